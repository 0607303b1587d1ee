//! Mini-program and JSAPI orders: signed requests, the shared order rules, the typed pay request,
//! and the outcomes that are unknown. Data under `tests/data/mini/`.

mod support;

use chinaums::{
    AlipayMiniOrder, CertType, Environment, Error, ErrorClass, Fen, Goods, OrderFields, RealName,
    Step, SubOrder, TradeStatus, UnionPayMiniOrder, WxUnifiedOrder,
};
use support::*;

fn mini_merchant() -> chinaums::Merchant {
    chinaums::Merchant::new("898201612345678", "88880001", "MINIDEFAULT").unwrap()
}

fn full_order() -> OrderFields {
    OrderFields::new(Fen(1200))
        .order_desc("2 × 咖啡")
        .notify_url("https://shop.example/ums/notify".parse().unwrap())
        .expire_time(time::macros::datetime!(2024-01-01 12:30:00))
        .goods(vec![Goods::new("SKU-1", "咖啡", 2, Fen(600))])
        .attached_data("cart=42")
        .client_ip("203.0.113.7".parse().unwrap())
}

fn wechat() -> WxUnifiedOrder {
    WxUnifiedOrder::mini(
        &mini_merchant(),
        order(),
        full_order(),
        "wx0123456789abcdef",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
}

#[test]
fn snapshots_of_signed_orders() {
    let client = fixed_client(Environment::Test);
    snapshot(
        "wx_unified_order_mini",
        describe(&client.prepare(&wechat()).unwrap()),
    );
    let jsapi = WxUnifiedOrder::jsapi(
        &mini_merchant().with_inst_mid("YUEDANDEFAULT".parse().unwrap()),
        order(),
        OrderFields::new(Fen(100)),
        "wx0123456789abcdef",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    );
    snapshot(
        "wx_unified_order_jsapi",
        describe(&client.prepare(&jsapi).unwrap()),
    );
    let alipay = AlipayMiniOrder::new(
        &mini_merchant(),
        order(),
        OrderFields::new(Fen(100)),
        "2088102146225135",
    );
    snapshot(
        "alipay_mini_order",
        describe(&client.prepare(&alipay).unwrap()),
    );
    let unionpay = UnionPayMiniOrder::new(
        &mini_merchant(),
        order(),
        OrderFields::new(Fen(100))
            .split(
                Fen(10),
                vec![SubOrder::new("898201612345679".parse().unwrap(), Fen(90))],
            )
            .real_name(
                RealName::new("张三", CertType::IdentityCard, "110101199003070000")
                    .mobile("13800000000"),
            ),
        "unionpay-user-1",
    )
    .sub_app_id("unionpay-app-1");
    snapshot(
        "unionpay_mini_order",
        describe(&client.prepare(&unionpay).unwrap()),
    );
}

#[test]
fn the_shared_order_rules_are_checked_before_signing() {
    let client = fixed_client(Environment::Test);
    let field = |fields: OrderFields| {
        let order = WxUnifiedOrder::mini(&mini_merchant(), order(), fields, "wx1", "o1");
        match client.prepare(&order) {
            Err(Error::InvalidField(e)) => e.field,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(field(OrderFields::new(Fen(0))), "totalAmount");
    assert_eq!(
        field(OrderFields::new(Fen(1)).order_desc("咖".repeat(43))),
        "orderDesc",
        "129 bytes for WeChat"
    );
    assert!(
        client
            .prepare(&WxUnifiedOrder::mini(
                &mini_merchant(),
                order(),
                OrderFields::new(Fen(1)).order_desc("咖".repeat(42)),
                "wx1",
                "o1"
            ))
            .is_ok(),
        "126 bytes are fine"
    );
    let share = |fen| vec![SubOrder::new("898201612345679".parse().unwrap(), Fen(fen))];
    assert_eq!(
        field(OrderFields::new(Fen(100)).split(Fen(10), share(80))),
        "subOrders"
    );
    assert_eq!(
        field(
            OrderFields::new(Fen(100))
                .split(Fen(10), share(90))
                .guaranteed()
        ),
        "secureTransaction"
    );
    assert_eq!(
        field(OrderFields::new(Fen(100)).goods(vec![Goods::new("", "x", 1, Fen(1))])),
        "goods.goodsId"
    );
    assert_eq!(
        field(OrderFields::new(Fen(100)).goods(vec![Goods::new("a", "x", 0, Fen(1))])),
        "goods.quantity"
    );
    assert_eq!(
        field(OrderFields::new(Fen(100)).attached_data("x".repeat(256))),
        "attachedData"
    );
    let empty_open_id = WxUnifiedOrder::mini(
        &mini_merchant(),
        order(),
        OrderFields::new(Fen(1)),
        "wx1",
        "",
    );
    assert!(
        matches!(client.prepare(&empty_open_id), Err(Error::InvalidField(e)) if e.field == "subOpenId")
    );
    for bad in ["ftp://x/y", "/relative", "not a url", "https://"] {
        assert_eq!(
            bad.parse::<chinaums::NotifyUrl>().unwrap_err().field,
            "notifyUrl",
            "{bad}"
        );
    }
}

#[test]
fn real_name_fields_are_base64_on_the_wire_and_hidden_in_debug() {
    let real = RealName::new("张三", CertType::IdentityCard, "110101199003070000");
    assert!(!format!("{real:?}").contains("110101199003070000"));
    assert!(!format!("{:?}", full_order().real_name(real.clone())).contains("张三"));
    let body = fixed_client(Environment::Test)
        .encode(&AlipayMiniOrder::new(
            &mini_merchant(),
            order(),
            OrderFields::new(Fen(1)).real_name(real),
            "u1",
        ))
        .unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains(r#""name":"5byg5LiJ""#), "{body}");
    assert!(
        body.contains(r#""certNo":"MTEwMTAxMTk5MDAzMDcwMDAw""#),
        "{body}"
    );
    assert!(body.contains(r#""fixBuyer":"T""#), "{body}");
    assert!(!body.contains("张三"));
}

#[test]
fn the_pay_request_is_typed_for_the_front_end() {
    let client = fixed_client(Environment::Test);
    let created = client
        .parse::<WxUnifiedOrder>(&ok(include_str!("data/mini/wechat_created.json")))
        .unwrap();
    let pay = created.mini_pay_request.unwrap();
    assert_eq!(
        pay.package,
        "prepay_id=wx201410272009395522657a690389285100"
    );
    assert_eq!(
        pay.time_stamp, "1704081601",
        "a number becomes the string WeChat wants"
    );
    assert_eq!(pay.sign_type, "RSA");
    assert_eq!(created.order.status, Some(TradeStatus::NewOrder));
    assert_eq!(created.order.total_amount, Some(Fen(100)));
    assert_eq!(created.extra["delegatedFlag"], "N");
    let alipay = client
        .parse::<AlipayMiniOrder>(&ok(include_str!("data/mini/alipay_created.json")))
        .unwrap();
    assert_eq!(
        alipay.pay_request().unwrap(),
        "2024010122001412345678901234"
    );
}

/// A success without a usable pay request, and `DUP_ORDER`/`ORDER_PROCESSING`, are outcome
/// unknown: the order may exist; query it before creating it again.
#[test]
fn unusable_or_ambiguous_answers_are_outcome_unknown_with_the_query_to_ask() {
    let client = fixed_client(Environment::Test);
    let mut blank =
        serde_json::from_str::<serde_json::Value>(include_str!("data/mini/wechat_created.json"))
            .unwrap();
    blank["miniPayRequest"]["paySign"] = "".into();
    for body in [
        include_str!("data/mini/wechat_without_pay_request.json").to_owned(),
        blank.to_string(),
        r#"{"errCode":"DUP_ORDER","errMsg":"订单号重复"}"#.to_owned(),
        r#"{"errCode":"ORDER_PROCESSING"}"#.to_owned(),
    ] {
        let mut call = client.call(&wechat()).unwrap();
        let Step::Send(_) = call.start() else {
            panic!()
        };
        let Step::Done(Err(error)) = call.receive(Ok(ok(&body))) else {
            panic!("{body}")
        };
        assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{body}: {error}");
        let query = error.follow_up().expect("a follow-up").payment_query();
        assert_eq!(query.mer_order_id, order());
        assert_eq!(
            query.merchant.inst_mid, "MINIDEFAULT",
            "queried under the creation instMid"
        );
    }
    let no_target = client
        .parse::<AlipayMiniOrder>(&ok(r#"{"errCode":"SUCCESS","targetOrderId":""}"#))
        .unwrap_err();
    assert!(no_target.is_outcome_unknown());
}
