//! Taking payments in memory: every order creation and QR bill operation sent with the core's
//! `Client::call`, answered by `Gateway::handle` at a fixed time, read with the core's own
//! answer types; the payer stands in through `Gateway::pay`/`fail`/`expire`.

use std::time::{Duration, SystemTime};

use chinaums::time::macros::date;
use chinaums::{
    AlipayAppPreOrder, AlipayMiniOrder, BillFields, BillState, BillStatus, BillsCloseQrCode,
    BillsGetQrCode, BillsQuery, BillsQueryQrCodeInfo, BillsRefund, BillsUpdateQrCode, Client,
    Environment, Error, ErrorClass, Fen, FixedClock, Goods, Merchant, Operation, OrderFields,
    PaymentQuery, PaymentState, RefundState, SubOrder, TradeStatus, UnionPayAppOrder,
    UnionPayMiniOrder, WxAppPreClose, WxAppPreOrder, WxUnifiedOrder,
};
use chinaums_sandbox::{
    Channel, ControlError, DEMO_MID, DEMO_SUB_MID, DEMO_TID, Gateway, OrderKind, Sandbox,
    SandboxBuilder,
};
use serde_json::{Value, json};

/// 2024-01-01 12:00:00 in Beijing.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_081_600)
}

fn gateway_from(builder: SandboxBuilder) -> Gateway {
    builder.build_gateway().unwrap()
}

fn client_at(gateway: &Gateway, at: SystemTime) -> Client {
    Client::builder(
        gateway.credentials(),
        Environment::custom("http://gateway.test").unwrap(),
    )
    .clock(FixedClock::new(at))
    .build()
}

/// Sends `op` at `at` on both sides.
fn run_at<O: Operation>(gateway: &Gateway, at: SystemTime, op: &O) -> Result<O::Response, Error> {
    client_at(gateway, at)
        .call(op)?
        .run_blocking(Duration::from_secs(5), |request| {
            gateway.handle(request, at).into_result()
        })
}

fn run<O: Operation>(gateway: &Gateway, op: &O) -> Result<O::Response, Error> {
    run_at(gateway, now(), op)
}

fn merchant(inst_mid: &str) -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, inst_mid).unwrap()
}

fn query(inst_mid: &str, id: &str) -> PaymentQuery {
    PaymentQuery::new(&merchant(inst_mid), id.parse().unwrap())
}

fn wechat_mini(id: &str, order: OrderFields) -> WxUnifiedOrder {
    WxUnifiedOrder::mini(
        &merchant("MINIDEFAULT"),
        id.parse().unwrap(),
        order,
        "wx0123456789abcdef",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
}

/// `body` signed for `path` exactly as given, answered in memory: for requests the core
/// would refuse to build.
fn raw(gateway: &Gateway, path: &str, body: &Value) -> Value {
    let request = client_at(gateway, now())
        .sign_request(path, serde_json::to_vec(body).unwrap())
        .unwrap();
    let response = gateway.handle(request, now()).into_result().unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(response.body()).unwrap()
}

fn order_body(id: &str, extra: Value) -> Value {
    let mut body = json!({
        "requestTimestamp": "2024-01-01 12:00:00",
        "mid": DEMO_MID, "tid": DEMO_TID, "instMid": "MINIDEFAULT",
        "merOrderId": id, "totalAmount": 100,
        "tradeType": "MINI", "subOpenId": "o-payer",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[test]
fn a_wechat_mini_program_order_is_created_paid_and_queried() {
    let gateway = gateway_from(Sandbox::builder());
    let created = run(
        &gateway,
        &wechat_mini(
            "3194WXMINI0001",
            OrderFields::new(Fen(2500)).order_desc("咖啡"),
        ),
    )
    .unwrap();
    let pay = created.mini_pay_request.expect("a pay request");
    assert_eq!(pay.app_id, "wx0123456789abcdef");
    assert!(pay.package.starts_with("prepay_id=wx"), "{}", pay.package);
    assert_eq!(pay.time_stamp, "1704081600");
    assert_eq!(pay.sign_type, "RSA");
    assert!(!pay.nonce_str.is_empty() && !pay.pay_sign.is_empty());
    assert_eq!(created.order.status, Some(TradeStatus::NewOrder));
    assert_eq!(created.order.total_amount, Some(Fen(2500)));
    assert_eq!(created.order.target_sys.as_deref(), Some("WXPay"));

    let q = query("MINIDEFAULT", "3194WXMINI0001");
    assert_eq!(run(&gateway, &q).unwrap().state(), PaymentState::NotPaid);
    let paid = gateway
        .pay(
            None,
            "3194WXMINI0001",
            None,
            now() + Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(paid.status, TradeStatus::TradeSuccess);
    let answer = run(&gateway, &q).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.target_sys.as_deref(), Some("WXPay"));
    assert_eq!(
        answer.pay_time.as_ref().map(|t| t.as_str()),
        Some("2024-01-01 12:01:00"),
        "payTime on the sandbox clock"
    );
    let target = answer.target_order_id.unwrap();
    assert!(target.starts_with("4200") && target.len() == 28, "{target}");
    assert_eq!(answer.bill_funds.as_deref(), Some("现金:2500"));
}

#[test]
fn a_second_order_with_the_same_number_is_dup_order_an_unknown_outcome() {
    let gateway = gateway_from(Sandbox::builder());
    run(
        &gateway,
        &wechat_mini("3194WXMINI0002", OrderFields::new(Fen(100))),
    )
    .unwrap();
    let again = run(
        &gateway,
        &wechat_mini("3194WXMINI0002", OrderFields::new(Fen(999))),
    )
    .unwrap_err();
    assert_eq!(again.err_code(), Some("DUP_ORDER"));
    assert_eq!(again.class(), ErrorClass::OutcomeUnknown, "{again}");
    let kept = gateway.order(DEMO_MID, "3194WXMINI0002").unwrap();
    assert_eq!(kept.total_amount, Fen(100), "the first order stands");
}

#[test]
fn a_jsapi_order_answers_the_same_pay_request() {
    let gateway = gateway_from(Sandbox::builder());
    let jsapi = WxUnifiedOrder::jsapi(
        &merchant("YUEDANDEFAULT"),
        "3194WXJSAPI001".parse().unwrap(),
        OrderFields::new(Fen(100)),
        "wx0123456789abcdef",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    );
    let created = run(&gateway, &jsapi).unwrap();
    assert!(created.mini_pay_request.is_some());
    let order = gateway.order(DEMO_MID, "3194WXJSAPI001").unwrap();
    assert_eq!(order.inst_mid, "YUEDANDEFAULT");
    assert_eq!(order.created_by, Some(WxUnifiedOrder::PATH));
}

#[test]
fn an_alipay_mini_order_answers_the_trade_number_the_payment_keeps() {
    let gateway = gateway_from(Sandbox::builder());
    let order = AlipayMiniOrder::new(
        &merchant("MINIDEFAULT"),
        "3194ALIMINI001".parse().unwrap(),
        OrderFields::new(Fen(100)),
        "2088102146225135",
    );
    let created = run(&gateway, &order).unwrap();
    let trade_no = created
        .pay_request()
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    assert!(
        trade_no.starts_with("2024010122001") && trade_no.len() == 28,
        "{trade_no}"
    );
    gateway.pay(None, "3194ALIMINI001", None, now()).unwrap();
    let answer = run(&gateway, &query("MINIDEFAULT", "3194ALIMINI001")).unwrap();
    assert_eq!(answer.target_sys.as_deref(), Some("Alipay 2.0"));
    assert_eq!(answer.target_order_id.as_deref(), Some(trade_no.as_str()));
}

#[test]
fn a_unionpay_mini_order_answers_a_pay_request_object() {
    let gateway = gateway_from(Sandbox::builder());
    let order = UnionPayMiniOrder::new(
        &merchant("MINIDEFAULT"),
        "3194UACMINI001".parse().unwrap(),
        OrderFields::new(Fen(100)),
        "unionpay-user",
    );
    let created = run(&gateway, &order).unwrap();
    let tn = &created.pay_request().unwrap()["tn"];
    assert_eq!(tn.as_str().map(str::len), Some(21));
    gateway.pay(None, "3194UACMINI001", None, now()).unwrap();
    let answer = run(&gateway, &query("MINIDEFAULT", "3194UACMINI001")).unwrap();
    assert_eq!(answer.target_sys.as_deref(), Some("UAC"));
}

#[test]
fn app_orders_answer_each_channel_s_pay_request() {
    let gateway = gateway_from(Sandbox::builder());
    let app = merchant("APPDEFAULT");
    let wx = run(
        &gateway,
        &WxAppPreOrder::new(
            &app,
            "3194WXAPP00001".parse().unwrap(),
            OrderFields::new(Fen(100)),
            "wx0123456789abcdef",
        ),
    )
    .unwrap();
    let pay = wx
        .pay_request()
        .unwrap()
        .wechat()
        .expect("WeChat's seven keys");
    assert_eq!(pay.appid, "wx0123456789abcdef");
    assert_eq!(pay.package, "Sign=WXPay");
    assert!(pay.prepayid.starts_with("wx"));

    let ali = run(
        &gateway,
        &AlipayAppPreOrder::new(
            &app,
            "3194ALIAPP0001".parse().unwrap(),
            OrderFields::new(Fen(100)),
        ),
    )
    .unwrap();
    let request = ali.pay_request().unwrap();
    assert_eq!(request.msg_type(), Some("trade.precreate"));
    assert_eq!(request.qr_code(), ali.qr_code.as_deref());
    assert!(
        ali.qr_code
            .unwrap()
            .starts_with("http://gateway.test/sandbox/orders/3194ALIAPP0001/cashier"),
        "the Alipay qrCode opens the sandbox's cashier"
    );

    let uac = run(
        &gateway,
        &UnionPayAppOrder::new(
            &app,
            "3194UACAPP0001".parse().unwrap(),
            OrderFields::new(Fen(100)),
        ),
    )
    .unwrap();
    assert!(uac.pay_request().unwrap().get("tn").is_some());
    for (id, target_sys) in [
        ("3194WXAPP00001", "WXPay"),
        ("3194ALIAPP0001", "Alipay 2.0"),
        ("3194UACAPP0001", "UAC"),
    ] {
        assert_eq!(
            gateway.order(DEMO_MID, id).unwrap().target_sys.as_deref(),
            Some(target_sys)
        );
    }
}

#[test]
fn the_wechat_app_close_closes_only_an_unpaid_order() {
    let gateway = gateway_from(Sandbox::builder());
    let app = merchant("APPDEFAULT");
    for id in ["3194WXAPP00002", "3194WXAPP00003"] {
        run(
            &gateway,
            &WxAppPreOrder::new(
                &app,
                id.parse().unwrap(),
                OrderFields::new(Fen(100)),
                "wx01",
            ),
        )
        .unwrap();
    }
    let closed = run(
        &gateway,
        &WxAppPreClose::new(&app, "3194WXAPP00002".parse().unwrap()),
    )
    .unwrap();
    assert_eq!(closed.order.status, Some(TradeStatus::TradeClosed));
    assert_eq!(
        gateway.pay(None, "3194WXAPP00002", None, now()),
        Err(ControlError::Closed),
        "a closed order cannot be paid"
    );
    gateway.pay(None, "3194WXAPP00003", None, now()).unwrap();
    let refused = run(
        &gateway,
        &WxAppPreClose::new(&app, "3194WXAPP00003".parse().unwrap()),
    )
    .unwrap_err();
    assert_eq!(refused.err_code(), Some("OPERATION_NOT_ALLOWED"));
    assert_eq!(refused.class(), ErrorClass::OutcomeUnknown);
}

#[test]
fn the_order_keeps_its_urls_expiry_goods_and_kind() {
    let gateway = gateway_from(Sandbox::builder());
    let expire = chinaums::time::macros::datetime!(2024-01-01 12:10:00);
    let fields = OrderFields::new(Fen(1200))
        .order_desc("2 × 咖啡")
        .notify_url("https://shop.example/notify".parse().unwrap())
        .return_url("https://shop.example/paid?x=1".parse().unwrap())
        .expire_time(expire)
        .goods(vec![Goods::new("SKU-1", "咖啡", 2, Fen(600))])
        .split(
            Fen(200),
            vec![SubOrder::new(DEMO_SUB_MID.parse().unwrap(), Fen(1000))],
        );
    run(&gateway, &wechat_mini("3194WXMINI0003", fields)).unwrap();
    let order = gateway.order(DEMO_MID, "3194WXMINI0003").unwrap();
    assert_eq!(
        order.notify_url.as_deref(),
        Some("https://shop.example/notify")
    );
    assert_eq!(
        order.return_url.as_deref(),
        Some("https://shop.example/paid?x=1")
    );
    assert_eq!(order.expire_time, Some(now() + Duration::from_secs(600)));
    assert_eq!(order.order_desc.as_deref(), Some("2 × 咖啡"));
    assert_eq!(order.goods.len(), 1);
    assert_eq!(
        (order.goods[0].quantity, order.goods[0].price),
        (2, Fen(600))
    );
    let OrderKind::Split(split) = &order.kind else {
        panic!("{:?}", order.kind)
    };
    assert_eq!(split.platform_amount, Fen(200));
    assert_eq!(split.sub_orders[0].amount, Fen(1000));

    run(
        &gateway,
        &wechat_mini("3194WXMINI0004", OrderFields::new(Fen(100)).guaranteed()),
    )
    .unwrap();
    let held = gateway.order(DEMO_MID, "3194WXMINI0004").unwrap();
    assert!(held.secure_status().is_some());
    assert_eq!(
        held.expire_time,
        Some(now() + chinaums_sandbox::DEFAULT_ORDER_LIFETIME),
        "30 minutes without expireTime"
    );
}

#[test]
fn orders_expire_at_their_expire_time_on_the_gateway_clock() {
    let gateway = gateway_from(Sandbox::builder());
    let fields = OrderFields::new(Fen(100))
        .expire_time(chinaums::time::macros::datetime!(2024-01-01 12:05:00));
    run(&gateway, &wechat_mini("3194WXMINI0005", fields)).unwrap();
    let q = query("MINIDEFAULT", "3194WXMINI0005");
    let before = run_at(&gateway, now() + Duration::from_secs(299), &q).unwrap();
    assert_eq!(before.status, Some(TradeStatus::NewOrder));
    let after = run_at(&gateway, now() + Duration::from_secs(300), &q).unwrap();
    assert_eq!(after.status, Some(TradeStatus::TradeClosed));
    assert_eq!(after.state(), PaymentState::Closed);
    assert_eq!(
        gateway.pay(
            None,
            "3194WXMINI0005",
            None,
            now() + Duration::from_secs(301)
        ),
        Err(ControlError::Closed)
    );
}

#[test]
fn creation_requests_are_checked_field_by_field() {
    let gateway = gateway_from(Sandbox::builder());
    let path = WxUnifiedOrder::PATH;
    for (extra, field) in [
        (json!({"totalAmount": 0}), "totalAmount"),
        (json!({"totalAmount": -1}), "totalAmount"),
        (json!({"tradeType": "APP"}), "tradeType"),
        (json!({"subOpenId": null}), "subOpenId"),
        (json!({"notifyUrl": "not a url"}), "notifyUrl"),
        (json!({"expireTime": "2024-01-01T12:00"}), "expireTime"),
        (json!({"expireTime": "2024-01-01 11:59:59"}), "expireTime"),
        (
            json!({"divisionFlag": true, "platformAmount": 10, "subOrders": [{"mid": DEMO_SUB_MID, "totalAmount": 80}]}),
            "subOrders",
        ),
        (json!({"divisionFlag": true}), "subOrders"),
        (
            json!({"secureTransaction": "true", "subOrders": [{"mid": DEMO_SUB_MID, "totalAmount": 100}]}),
            "secureTransaction",
        ),
        (
            json!({"goods": [{"goodsId": "A", "quantity": 0, "price": 1}]}),
            "goods[0].quantity",
        ),
        (json!({"goods": "[]"}), "goods"),
        (json!({"secureTransaction": 1}), "secureTransaction"),
    ] {
        let answer = raw(&gateway, path, &order_body("3194BADREQ0001", extra.clone()));
        assert_eq!(answer["errCode"], "BAD_REQUEST", "{extra}: {answer}");
        let msg = answer["errMsg"].as_str().unwrap();
        assert!(msg.starts_with(&format!("{field}: ")), "{extra}: {msg}");
        assert!(
            gateway.order(DEMO_MID, "3194BADREQ0001").is_none(),
            "{extra}"
        );
    }
    // Amounts and flags as strings are read as the platform reads them.
    let ok = raw(
        &gateway,
        path,
        &order_body(
            "3194STRINGS001",
            json!({"totalAmount": "100", "secureTransaction": "true"}),
        ),
    );
    assert_eq!(ok["errCode"], "SUCCESS", "{ok}");
    assert!(
        gateway
            .order(DEMO_MID, "3194STRINGS001")
            .unwrap()
            .secure_status()
            .is_some()
    );
    // A stale requestTimestamp.
    let stale = raw(
        &gateway,
        path,
        &order_body(
            "3194STALE00001",
            json!({"requestTimestamp": "2023-12-31 12:00:00"}),
        ),
    );
    assert_eq!(stale["errCode"], "ABNORMAL_REQUEST_TIME");
}

fn qr() -> Merchant {
    merchant("QRPAYDEFAULT")
}

fn bill(no: &str, fen: u64) -> BillFields {
    BillFields::new(no.parse().unwrap(), date!(2024 - 01 - 01), Fen(fen)).bill_desc("3 号桌")
}

#[test]
fn a_bill_is_shown_paid_queried_and_refunded() {
    let gateway = gateway_from(Sandbox::builder());
    let made = run(
        &gateway,
        &BillsGetQrCode::new(&qr(), bill("3194BILL000001", 3600)),
    )
    .unwrap();
    let url = made.qr_code().unwrap().to_owned();
    let code = made.bill.qr_code_id.clone().unwrap();
    assert_eq!(url, format!("http://gateway.test/sandbox/qr/{code}"));
    assert_eq!(made.bill.bill_status, Some(BillStatus::Unpaid));
    assert_eq!(made.envelope.message(), Some("查询二维码成功"));

    let ask = BillsQuery::new(
        &qr(),
        "3194BILL000001".parse().unwrap(),
        date!(2024 - 01 - 01),
    );
    let unpaid = run(&gateway, &ask).unwrap();
    assert_eq!(unpaid.state(), BillState::InProgress);
    assert!(unpaid.bill_payment.is_none());
    assert_eq!(
        unpaid.create_time.as_ref().map(|t| t.as_str()),
        Some("2024-01-01 12:00:00")
    );

    let paid = gateway
        .pay(None, "3194BILL000001", Some(Channel::WeChat), now())
        .unwrap();
    assert_eq!(
        paid.target_sys.as_deref(),
        Some("WXPay"),
        "the wallet the payer chose"
    );
    let answer = run(&gateway, &ask).unwrap();
    assert!(answer.is_paid());
    let payment = answer.bill_payment.expect("billPayment once paid");
    assert_eq!(payment.target_sys.as_deref(), Some("WXPay"));
    assert_eq!(payment.total_amount, Some(Fen(3600)));
    assert_eq!(payment.state(), PaymentState::Paid);
    assert_eq!(payment.mer_order_id.as_deref(), Some("3194BILL000001"));

    let refund = BillsRefund::new(
        &qr(),
        "3194BILL000001".parse().unwrap(),
        date!(2024 - 01 - 01),
        "3194BILLREF0001".parse().unwrap(),
        Fen(1000),
    );
    let refunded = run(&gateway, &refund).unwrap();
    assert_eq!(refunded.state(), RefundState::Refunded);
    assert_eq!(refunded.bill_state(), BillState::Refunded);
    assert_eq!(refunded.refund_amount, Some(Fen(1000)));
    // The same refundOrderId again: the same refund, nothing refunded twice.
    run(&gateway, &refund).unwrap();
    assert_eq!(
        gateway
            .order(DEMO_MID, "3194BILL000001")
            .unwrap()
            .refund_amount,
        Some(Fen(1000))
    );
    let described = run(&gateway, &refund.query()).unwrap();
    assert_eq!(described.state(), BillState::Refunded);
    let refund_payment = described.refund_bill_payment.expect("refundBillPayment");
    assert_eq!(
        refund_payment.mer_order_id.as_deref(),
        Some("3194BILLREF0001")
    );
    assert_eq!(refund_payment.total_amount, Some(Fen(1000)));
    // Over what is left.
    let over = BillsRefund::new(
        &qr(),
        "3194BILL000001".parse().unwrap(),
        date!(2024 - 01 - 01),
        "3194BILLREF0002".parse().unwrap(),
        Fen(2601),
    );
    assert_eq!(
        run(&gateway, &over).unwrap_err().err_code(),
        Some("OPERATION_NOT_ALLOWED")
    );
}

#[test]
fn bill_payment_comes_as_a_json_string_under_the_option_and_parses_the_same() {
    let gateway = gateway_from(Sandbox::builder().bill_payment_as_string(true));
    run(
        &gateway,
        &BillsGetQrCode::new(&qr(), bill("3194BILL000002", 500)),
    )
    .unwrap();
    gateway.pay(None, "3194BILL000002", None, now()).unwrap();
    let ask = BillsQuery::new(
        &qr(),
        "3194BILL000002".parse().unwrap(),
        date!(2024 - 01 - 01),
    );
    // On the wire: a string holding the object.
    let request = client_at(&gateway, now()).prepare(&ask).unwrap();
    let response = gateway.handle(request, now()).into_result().unwrap();
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    let text = body["billPayment"].as_str().expect("a JSON string");
    let inner: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        inner["targetSys"], "Alipay 2.0",
        "Alipay when no wallet is named"
    );
    // The core reads it as it reads the object.
    let answer = run(&gateway, &ask).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.bill_payment.unwrap().total_amount, Some(Fen(500)));
}

#[test]
fn an_unpaid_bill_is_updated_and_its_code_closed() {
    let gateway = gateway_from(Sandbox::builder());
    let made = run(
        &gateway,
        &BillsGetQrCode::new(&qr(), bill("3194BILL000003", 500)),
    )
    .unwrap();
    let code: chinaums::QrCodeId = made.bill.qr_code_id.unwrap().parse().unwrap();
    let updated = run(
        &gateway,
        &BillsUpdateQrCode::new(&qr(), bill("3194BILL000003", 800).bill_desc("加一道菜")),
    )
    .unwrap();
    assert_eq!(updated.bill.total_amount, Some(Fen(800)));
    assert_eq!(updated.bill.bill_desc.as_deref(), Some("加一道菜"));
    let info = run(&gateway, &BillsQueryQrCodeInfo::new(&qr(), code.clone())).unwrap();
    assert_eq!(info.bill.bill_no.as_deref(), Some("3194BILL000003"));
    assert_eq!(info.bill.total_amount, Some(Fen(800)));
    assert_eq!(info.extra["qrCodeStatus"], "NORMAL");

    let closed = run(&gateway, &BillsCloseQrCode::new(&qr(), code.clone())).unwrap();
    assert_eq!(closed.bill.bill_status, Some(BillStatus::Closed));
    // Again: no harm.
    let again = run(&gateway, &BillsCloseQrCode::new(&qr(), code.clone())).unwrap();
    assert_eq!(again.bill.bill_status, Some(BillStatus::Closed));
    let info = run(&gateway, &BillsQueryQrCodeInfo::new(&qr(), code)).unwrap();
    assert_eq!(info.extra["qrCodeStatus"], "CLOSED");
    let refused = run(
        &gateway,
        &BillsUpdateQrCode::new(&qr(), bill("3194BILL000003", 900)),
    )
    .unwrap_err();
    assert_eq!(refused.err_code(), Some("OPERATION_NOT_ALLOWED"));
    assert_eq!(
        gateway.pay(None, "3194BILL000003", None, now()),
        Err(ControlError::Closed)
    );
}

#[test]
fn unknown_bills_and_codes_are_no_bill() {
    let gateway = gateway_from(Sandbox::builder());
    run(
        &gateway,
        &BillsGetQrCode::new(&qr(), bill("3194BILL000004", 500)),
    )
    .unwrap();
    let wrong_date = BillsQuery::new(
        &qr(),
        "3194BILL000004".parse().unwrap(),
        date!(2024 - 01 - 02),
    );
    assert_eq!(
        run(&gateway, &wrong_date).unwrap_err().err_code(),
        Some("NO_BILL")
    );
    let unknown = BillsQuery::new(
        &qr(),
        "3194BILL999999".parse().unwrap(),
        date!(2024 - 01 - 01),
    );
    assert_eq!(
        run(&gateway, &unknown).unwrap_err().err_code(),
        Some("NO_BILL")
    );
    let no_code = BillsCloseQrCode::new(&qr(), "NOSUCHCODE".parse().unwrap());
    assert_eq!(
        run(&gateway, &no_code).unwrap_err().err_code(),
        Some("NO_BILL")
    );
    // Under another instMid the bill is not found, as for orders.
    let other = BillsQuery::new(
        &merchant("YUEDANDEFAULT"),
        "3194BILL000004".parse().unwrap(),
        date!(2024 - 01 - 01),
    );
    assert_eq!(
        run(&gateway, &other).unwrap_err().err_code(),
        Some("NO_BILL")
    );
    let again = run(
        &gateway,
        &BillsGetQrCode::new(&qr(), bill("3194BILL000004", 1)),
    )
    .unwrap_err();
    assert_eq!(again.err_code(), Some("DUP_ORDER"));
}

#[test]
fn a_fixed_code_shows_each_new_bill_and_has_no_default_expiry() {
    let gateway = gateway_from(Sandbox::builder());
    let fixed: chinaums::QrCodeId = "3194FIXEDCODE0001".parse().unwrap();
    for no in ["3194BILL000005", "3194BILL000006"] {
        let made = run(
            &gateway,
            &BillsGetQrCode::new(&qr(), bill(no, 100).qr_code_id(fixed.clone())),
        )
        .unwrap();
        assert_eq!(
            made.qr_code(),
            Some("http://gateway.test/sandbox/qr/3194FIXEDCODE0001")
        );
    }
    let info = run(&gateway, &BillsQueryQrCodeInfo::new(&qr(), fixed)).unwrap();
    assert_eq!(info.bill.bill_no.as_deref(), Some("3194BILL000006"));
    assert_eq!(
        gateway
            .order(DEMO_MID, "3194BILL000006")
            .unwrap()
            .expire_time,
        None
    );
}

#[test]
fn a_pending_bill_refund_settles_at_the_bill_query_naming_it() {
    let gateway = gateway_from(Sandbox::builder().refunds_pending_first(true));
    run(
        &gateway,
        &BillsGetQrCode::new(&qr(), bill("3194BILL000007", 500)),
    )
    .unwrap();
    gateway.pay(None, "3194BILL000007", None, now()).unwrap();
    let refund = BillsRefund::new(
        &qr(),
        "3194BILL000007".parse().unwrap(),
        date!(2024 - 01 - 01),
        "3194BILLREF0007".parse().unwrap(),
        Fen(500),
    );
    let pending = run(&gateway, &refund).unwrap();
    assert_eq!(pending.state(), RefundState::Pending);
    assert_eq!(pending.bill_state(), BillState::Paid, "not refunded yet");
    let settled = run(&gateway, &refund.query()).unwrap();
    assert_eq!(settled.state(), BillState::Refunded);
}

#[test]
fn the_payer_s_actions_are_refused_on_closed_and_paid_orders() {
    let gateway = gateway_from(Sandbox::builder());
    for id in ["3194WXMINI0010", "3194WXMINI0011"] {
        run(&gateway, &wechat_mini(id, OrderFields::new(Fen(100)))).unwrap();
    }
    let declined = gateway.fail(None, "3194WXMINI0010", now()).unwrap();
    assert_eq!(declined.status, TradeStatus::WaitBuyerPay);
    let answer = run(&gateway, &query("MINIDEFAULT", "3194WXMINI0010")).unwrap();
    assert_eq!(answer.state(), PaymentState::NotPaid);
    gateway.pay(None, "3194WXMINI0010", None, now()).unwrap();
    for result in [
        gateway.pay(None, "3194WXMINI0010", None, now()),
        gateway.fail(None, "3194WXMINI0010", now()),
        gateway.expire(None, "3194WXMINI0010", now()),
    ] {
        assert_eq!(
            result,
            Err(ControlError::AlreadyPaid(TradeStatus::TradeSuccess))
        );
    }
    let expired = gateway.expire(None, "3194WXMINI0011", now()).unwrap();
    assert_eq!(expired.status, TradeStatus::TradeClosed);
    assert_eq!(
        gateway.fail(None, "3194WXMINI0011", now()),
        Err(ControlError::Closed)
    );
    let unknown = gateway
        .pay(None, "3194NOSUCH0001", None, now())
        .unwrap_err();
    assert_eq!((unknown.code(), unknown.http_status()), ("NO_ORDER", 404));
}

/// Hostile or broken values in every field of every payment route: always an answer (a JSON
/// one for the gateway's routes), never a panic, never a 5xx.
#[test]
fn no_input_panics_a_payment_route() {
    let gateway = gateway_from(Sandbox::builder().seed_demo(true));
    let client = client_at(&gateway, now());
    let hostile = [
        json!(null),
        json!(""),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!("18446744073709551616"),
        json!("<script>\u{0}\u{202e}"),
        json!("x".repeat(5000)),
        json!([]),
        json!([{"mid": 1, "totalAmount": "x"}, null]),
        json!({"nested": {"deeper": [1]}}),
        json!(true),
        json!("2024-13-45 25:61:61"),
    ];
    let fields = [
        "requestTimestamp",
        "mid",
        "tid",
        "instMid",
        "merOrderId",
        "totalAmount",
        "orderDesc",
        "notifyUrl",
        "returnUrl",
        "expireTime",
        "goods",
        "divisionFlag",
        "platformAmount",
        "subOrders",
        "secureTransaction",
        "attachedData",
        "tradeType",
        "subAppId",
        "subOpenId",
        "billNo",
        "billDate",
        "billDesc",
        "qrCodeId",
        "refundOrderId",
        "refundAmount",
        "sceneType",
        "merAppName",
        "merAppId",
    ];
    let base = json!({
        "requestTimestamp": "2024-01-01 12:00:00", "mid": DEMO_MID, "tid": DEMO_TID,
        "instMid": "QRPAYDEFAULT", "merOrderId": "3194HOSTILE0001", "totalAmount": 100,
        "tradeType": "MINI", "subOpenId": "o", "subAppId": "wx", "billNo": "3194HOSTILE0001",
        "billDate": "2024-01-01", "qrCodeId": "3194HOSTILE0001", "refundOrderId": "3194HOSTILER01",
        "refundAmount": 1, "sceneType": "IOS_WAP", "merAppName": "a", "merAppId": "b",
        "goods": [{"goodsId": "g", "goodsName": "n", "quantity": 1, "price": 100}],
    });
    for endpoint in chinaums_sandbox::endpoints() {
        let path = endpoint
            .path
            .replace("{merOrderId}", "3194HOSTILE0001")
            .replace("{qrCodeId}", "QR");
        for field in fields {
            for value in &hostile {
                let mut body = base.clone();
                body[field] = value.clone();
                let request = match endpoint.method {
                    "POST" if path.starts_with("/v1/") => client
                        .sign_request(&path, serde_json::to_vec(&body).unwrap())
                        .unwrap(),
                    "GET" if path.starts_with("/v1/") => {
                        let content = body.to_string();
                        let signed = chinaums::form_param::redirect_url(
                            "http://gateway.test",
                            &path,
                            gateway.app_id(),
                            gateway.app_key(),
                            &chinaums::timestamps::auth_timestamp(now()),
                            "0123456789abcdef",
                            &content,
                        );
                        http::Request::get(signed).body(Vec::new()).unwrap()
                    }
                    method => {
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        let form = format!(
                            "mid={}&merOrderId={}&action={}&wallet={}",
                            chinaums::form_param::encode(&text),
                            chinaums::form_param::encode(&text),
                            chinaums::form_param::encode(&text),
                            chinaums::form_param::encode(&text),
                        );
                        http::Request::builder()
                            .method(method)
                            .uri(format!("http://gateway.test{path}?{form}"))
                            .body(form.into_bytes())
                            .unwrap()
                    }
                };
                let response = gateway.handle(request, now()).into_result().unwrap();
                let status = response.status().as_u16();
                assert!(status < 500, "{endpoint} {field}={value}: {status}");
                if path.starts_with("/v1/") && status != 302 {
                    let parsed: Result<Value, _> = serde_json::from_slice(response.body());
                    assert!(parsed.is_ok(), "{endpoint} {field}={value}: not JSON");
                }
            }
        }
    }
}
