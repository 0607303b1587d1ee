//! APP orders: the signed requests, the shared order rules per channel, the pay request typed
//! where it is known and raw where the channel varies, the outcomes that are unknown, and the
//! ambiguous close. Data under `tests/data/app/`.

mod support;

use chinaums::{
    AlipayAppPreOrder, Environment, Error, ErrorClass, Fen, Goods, OrderFields, PaymentState, Step,
    TradeStatus, UnionPayAppOrder, WxAppPreClose, WxAppPreOrder,
};
use support::*;

fn app_merchant() -> chinaums::Merchant {
    chinaums::Merchant::new("898201612345678", "88880001", "APPDEFAULT").unwrap()
}

fn full_order() -> OrderFields {
    OrderFields::new(Fen(2500))
        .order_desc("会员月卡")
        .notify_url("https://shop.example/ums/notify".parse().unwrap())
        .expire_time(time::macros::datetime!(2024-01-01 12:30:00))
        .goods(vec![Goods::new("VIP-30", "会员月卡", 1, Fen(2500))])
        .attached_data("user=42")
        .client_ip("203.0.113.7".parse().unwrap())
}

fn wechat() -> WxAppPreOrder {
    WxAppPreOrder::new(&app_merchant(), order(), full_order(), "wx0123456789abcdef")
}

#[test]
fn snapshots_of_signed_app_orders() {
    let client = fixed_client(Environment::Test);
    snapshot(
        "wx_app_pre_order",
        describe(&client.prepare(&wechat()).unwrap()),
    );
    let alipay = AlipayAppPreOrder::new(
        &app_merchant(),
        order(),
        OrderFields::new(Fen(2500)).order_desc("会员月卡"),
    );
    snapshot(
        "alipay_app_pre_order",
        describe(&client.prepare(&alipay).unwrap()),
    );
    let unionpay = UnionPayAppOrder::new(
        &app_merchant(),
        order(),
        OrderFields::new(Fen(2500))
            .notify_url("https://shop.example/ums/notify".parse().unwrap())
            .no_credit_cards(),
    );
    snapshot(
        "unionpay_app_order",
        describe(&client.prepare(&unionpay).unwrap()),
    );
    let close = WxAppPreClose::new(&app_merchant(), order());
    snapshot(
        "wx_app_pre_close",
        describe(&client.prepare(&close).unwrap()),
    );
}

#[test]
fn the_body_starts_with_the_order_then_the_merchant_and_says_app() {
    let client = fixed_client(Environment::Test);
    let body = String::from_utf8(client.encode(&wechat()).unwrap()).unwrap();
    assert!(
        body.starts_with(
            r#"{"requestTimestamp":"2024-01-01 12:00:00","merOrderId":"31942024010112000000001234","mid":"898201612345678","tid":"88880001","instMid":"APPDEFAULT","totalAmount":2500,"#
        ),
        "{body}"
    );
    assert!(
        body.ends_with(r#""tradeType":"APP","subAppId":"wx0123456789abcdef"}"#),
        "{body}"
    );
    let alipay = AlipayAppPreOrder::new(&app_merchant(), order(), OrderFields::new(Fen(1)));
    let body = String::from_utf8(client.encode(&alipay).unwrap()).unwrap();
    assert!(!body.contains("tradeType"), "{body}");
}

#[test]
fn field_rules_are_checked_before_signing() {
    let client = fixed_client(Environment::Test);
    let refused = |result: Result<http::Request<Vec<u8>>, Error>| match result {
        Err(Error::InvalidField(e)) => e.field,
        other => panic!("{other:?}"),
    };
    let wx = |fields: OrderFields, app: &str| {
        client.prepare(&WxAppPreOrder::new(&app_merchant(), order(), fields, app))
    };
    assert_eq!(refused(wx(OrderFields::new(Fen(1)), "")), "subAppId");
    assert_eq!(
        refused(wx(OrderFields::new(Fen(1)), "wx\n0123456789abcdef")),
        "subAppId"
    );
    assert_eq!(refused(wx(OrderFields::new(Fen(0)), "wx1")), "totalAmount");
    // WeChat's description is counted in bytes (128); the other channels allow 256.
    let long = "卡".repeat(50); // 150 bytes
    assert_eq!(
        refused(wx(OrderFields::new(Fen(1)).order_desc(long.clone()), "wx1")),
        "orderDesc"
    );
    let alipay = |fields| client.prepare(&AlipayAppPreOrder::new(&app_merchant(), order(), fields));
    assert!(alipay(OrderFields::new(Fen(1)).order_desc(long.clone())).is_ok());
    assert_eq!(
        refused(alipay(OrderFields::new(Fen(1)).order_desc("卡".repeat(86)))),
        "orderDesc"
    );
    let unionpay =
        |fields| client.prepare(&UnionPayAppOrder::new(&app_merchant(), order(), fields));
    let share = vec![chinaums::SubOrder::new(
        "898201612345679".parse().unwrap(),
        Fen(80),
    )];
    assert_eq!(
        refused(unionpay(OrderFields::new(Fen(100)).split(Fen(10), share))),
        "subOrders"
    );
    assert_eq!(
        refused(unionpay(
            OrderFields::new(Fen(100)).attached_data("x".repeat(256))
        )),
        "attachedData"
    );
}

#[test]
fn the_pay_request_is_typed_where_known_and_raw_where_the_channel_varies() {
    let client = fixed_client(Environment::Test);
    let wechat = client
        .parse::<WxAppPreOrder>(&ok(include_str!("data/app/wechat_created.json")))
        .unwrap();
    let request = wechat.pay_request().unwrap();
    let typed = request.wechat().expect("all seven WeChat keys");
    assert_eq!(typed.appid, "wx0123456789abcdef");
    assert_eq!(typed.partnerid, "1900000109");
    assert_eq!(typed.prepayid, "wx01120001234567890abcdef0123456789");
    assert_eq!(typed.package, "Sign=WXPay");
    assert_eq!(typed.noncestr, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
    assert_eq!(
        typed.timestamp, "1704081601",
        "a number becomes the string WeChat wants"
    );
    assert_eq!(typed.sign, "9A0B8650F0F5B5D5D6E1C2A3B4C5D6E7");
    assert_eq!(
        serde_json::to_value(&typed).unwrap()["prepayid"],
        "wx01120001234567890abcdef0123456789",
        "serialized with WeChat's own key names"
    );
    assert_eq!(request.qr_code(), None);
    assert_eq!(wechat.order.total_amount, Some(Fen(100)), "from a string");
    assert_eq!(wechat.order.status, Some(TradeStatus::NewOrder));
    assert_eq!(wechat.order.target_sys.as_deref(), Some("WXPay"));
    assert_eq!(wechat.extra["settleRefId"], "00001234567B");

    let alipay = client
        .parse::<AlipayAppPreOrder>(&ok(include_str!("data/app/alipay_created.json")))
        .unwrap();
    let request = alipay.pay_request().unwrap();
    assert_eq!(
        request.qr_code(),
        Some("https://qr.alipay.com/bax01234abcdefghijklmn5678")
    );
    assert_eq!(request.msg_type(), Some("trade.precreate"));
    assert_eq!(request.wechat(), None, "not WeChat's shape");
    assert_eq!(
        alipay.qr_code,
        alipay.pay_request().unwrap().qr_code().map(str::to_owned)
    );
    assert_eq!(alipay.order.total_amount, Some(Fen(100)), "from a number");
    assert_eq!(alipay.extra["targetMid"], "2088123456789012");

    // A JSON-encoded object is read like the object; its keys stay as the channel sent them.
    let unionpay = client
        .parse::<UnionPayAppOrder>(&ok(include_str!("data/app/unionpay_string_request.json")))
        .unwrap();
    let request = unionpay.pay_request().unwrap();
    assert_eq!(request.get("tn").unwrap(), "612401011200001234567");
    assert_eq!(request.as_map().len(), 1);
    assert_eq!(request.wechat(), None);
    assert_eq!(unionpay.qr_code, None);
}

#[test]
fn the_wechat_view_needs_all_seven_keys() {
    let mut body: serde_json::Value =
        serde_json::from_str(include_str!("data/app/wechat_created.json")).unwrap();
    let client = fixed_client(Environment::Test);
    for key in [
        "appid",
        "partnerid",
        "prepayid",
        "package",
        "noncestr",
        "timestamp",
        "sign",
    ] {
        for blank in [serde_json::Value::Null, "".into(), serde_json::json!(true)] {
            let mut partial = body.clone();
            partial["appPayRequest"][key] = blank.clone();
            let answer = client
                .parse::<WxAppPreOrder>(&ok(&partial.to_string()))
                .expect("still a usable, raw pay request");
            assert_eq!(
                answer.pay_request().unwrap().wechat(),
                None,
                "{key}={blank}"
            );
        }
    }
    body["appPayRequest"]["timestamp"] = "1704081601".into();
    let answer = client
        .parse::<WxAppPreOrder>(&ok(&body.to_string()))
        .unwrap();
    assert_eq!(
        answer.pay_request().unwrap().wechat().unwrap().timestamp,
        "1704081601"
    );
}

/// A success without a usable pay request, and `DUP_ORDER`/`ORDER_PROCESSING`, are outcome
/// unknown: the order may exist; query it (under `APPDEFAULT`) before creating it again.
#[test]
fn unusable_or_ambiguous_answers_are_outcome_unknown_with_the_query_to_ask() {
    let client = fixed_client(Environment::Test);
    let without = include_str!("data/app/without_pay_request.json");
    let decode = client.parse::<WxAppPreOrder>(&ok(without)).unwrap_err();
    assert!(matches!(decode, Error::Decode(_)), "{decode:?}");
    assert!(decode.to_string().contains("appPayRequest"), "{decode}");
    for body in [
        without.to_owned(),
        without.replace(r#""totalAmount""#, r#""appPayRequest":{},"totalAmount""#),
        without.replace(r#""totalAmount""#, r#""appPayRequest":"","totalAmount""#),
        without.replace(r#""totalAmount""#, r#""appPayRequest":null,"totalAmount""#),
        without.replace(
            r#""totalAmount""#,
            r#""appPayRequest":"tn=1","totalAmount""#,
        ),
        without.replace(r#""totalAmount""#, r#""appPayRequest":[1],"totalAmount""#),
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
            query.merchant.inst_mid, "APPDEFAULT",
            "queried under the creation instMid"
        );
    }
    for parse in [
        client.parse::<AlipayAppPreOrder>(&ok(without)),
        client.parse::<UnionPayAppOrder>(&ok(without)),
    ] {
        assert!(matches!(parse, Err(Error::Decode(_))), "{parse:?}");
    }
}

#[test]
fn closing_an_app_order() {
    let client = fixed_client(Environment::Test);
    let closed = client
        .parse::<WxAppPreClose>(&ok(include_str!("data/app/closed.json")))
        .unwrap();
    assert!(closed.is_closed());
    assert_eq!(closed.state(), PaymentState::Closed);
    assert_eq!(closed.order.total_amount, Some(Fen(100)));
    let paid = client
        .parse::<WxAppPreClose>(&ok(r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#))
        .unwrap();
    assert!(!paid.is_closed());
    assert_eq!(paid.state(), PaymentState::Paid);
}

/// Already closed, or paid meanwhile: never "closed", never "rejected"; the payment query
/// decides.
#[test]
fn operation_not_allowed_on_close_is_an_unknown_outcome_with_the_query_to_ask() {
    let client = fixed_client(Environment::Test);
    let body = include_str!("data/app/close_not_allowed.json");
    let mut call = client
        .call(&WxAppPreClose::new(&app_merchant(), order()))
        .unwrap();
    let Step::Send(_) = call.start() else {
        panic!()
    };
    let Step::Done(Err(error)) = call.receive(Ok(ok(body))) else {
        panic!()
    };
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(error.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let query = error.follow_up().unwrap().payment_query();
    assert_eq!(query.mer_order_id, order());
    assert_eq!(query.merchant.inst_mid, "APPDEFAULT");
    // On an order creation the code keeps its platform-wide meaning.
    assert_eq!(
        client
            .parse::<WxAppPreOrder>(&ok(body))
            .unwrap_err()
            .class(),
        ErrorClass::Rejected
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// No bytes make an answer parser panic.
        #[test]
        fn answers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let client = fixed_client(Environment::Test);
            let response = chinaums::test_response(http::StatusCode::OK, body);
            let _ = client.parse::<WxAppPreOrder>(&response);
            let _ = client.parse::<AlipayAppPreOrder>(&response);
            let _ = client.parse::<UnionPayAppOrder>(&response);
            let _ = client.parse::<WxAppPreClose>(&response);
        }

        /// No text as the pay request (raw or JSON-encoded) makes the parser or the views panic.
        #[test]
        fn any_pay_request_text_never_panics(text in ".{0,64}", key in "[a-z]{1,10}") {
            let client = fixed_client(Environment::Test);
            for request in [serde_json::json!(text), serde_json::json!({ key.clone(): text.clone() })] {
                let body = serde_json::json!({"errCode": "SUCCESS", "appPayRequest": request});
                if let Ok(answer) = client.parse::<WxAppPreOrder>(&ok(&body.to_string())) {
                    let request = answer.pay_request().unwrap();
                    let _ = (request.wechat(), request.qr_code(), request.msg_type());
                }
            }
        }
    }
}
