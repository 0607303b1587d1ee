//! QR bills: the signed requests, the bill and refund rules checked before signing, every
//! decision of the bill's state (unknown values in progress, never paid), `billPayment` as an
//! object and as a string, the refund's state, and the unusable code answer. Data under
//! `tests/data/bills/`.

mod support;

use chinaums::{
    BillFields, BillState, BillStatus, BillsCloseQrCode, BillsGetQrCode, BillsQuery,
    BillsQueryQrCodeInfo, BillsRefund, BillsUpdateQrCode, Environment, Error, ErrorClass, Fen,
    Goods, Operation, PaymentState, RefundState, RefundStatus, RefundSubOrder, Step, SubOrder,
    TradeStatus,
};
use support::*;
use time::macros::{date, datetime};

fn bill_merchant() -> chinaums::Merchant {
    chinaums::Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT").unwrap()
}

fn bill_no() -> chinaums::BillNo {
    "31942024010112000000000042".parse().unwrap()
}

fn qr_code_id() -> chinaums::QrCodeId {
    "3194202401011200000001234567".parse().unwrap()
}

fn bill(total: u64) -> BillFields {
    BillFields::new(bill_no(), date!(2024 - 01 - 01), Fen(total))
}

fn full_bill() -> BillFields {
    bill(3600)
        .bill_desc("3 号桌")
        .expire_time(datetime!(2024-01-01 12:30:00))
        .notify_url("https://shop.example/ums/notify".parse().unwrap())
        .return_url("https://shop.example/paid".parse().unwrap())
        .goods(vec![Goods::new("SKU-7", "套餐", 2, Fen(1800))])
        .attached_data("table=3")
        .client_ip("203.0.113.7".parse().unwrap())
}

fn refund(amount: u64) -> BillsRefund {
    BillsRefund::new(
        &bill_merchant(),
        bill_no(),
        date!(2024 - 01 - 01),
        refund_id(),
        Fen(amount),
    )
}

fn share(fen: u64) -> SubOrder {
    SubOrder::new("898201612345679".parse().unwrap(), Fen(fen))
}

fn refund_share(fen: u64) -> RefundSubOrder {
    RefundSubOrder {
        mid: "898201612345679".parse().unwrap(),
        mer_order_id: None,
        refund_order_id: None,
        total_amount: Fen(fen),
    }
}

#[test]
fn snapshots_of_signed_bill_requests() {
    let client = fixed_client(Environment::Test);
    let signed = |op: &dyn Fn() -> Result<http::Request<Vec<u8>>, Error>| describe(&op().unwrap());
    snapshot(
        "bills_get_qrcode",
        signed(&|| client.prepare(&BillsGetQrCode::new(&bill_merchant(), full_bill()))),
    );
    let fixed_code = bill(3600)
        .split(Fen(600), vec![share(3000)])
        .qr_code_id(qr_code_id())
        .no_credit_cards();
    snapshot(
        "bills_get_qrcode_fixed_code_split",
        signed(&|| client.prepare(&BillsGetQrCode::new(&bill_merchant(), fixed_code.clone()))),
    );
    snapshot(
        "bills_update_qrcode",
        signed(&|| {
            client.prepare(&BillsUpdateQrCode::new(
                &bill_merchant(),
                bill(4200).bill_desc("3 号桌，加一道菜").guaranteed(),
            ))
        }),
    );
    snapshot(
        "bills_close_qrcode",
        signed(&|| client.prepare(&BillsCloseQrCode::new(&bill_merchant(), qr_code_id()))),
    );
    snapshot(
        "bills_query",
        signed(&|| {
            client.prepare(&BillsQuery::new(
                &bill_merchant(),
                bill_no(),
                date!(2024 - 01 - 01),
            ))
        }),
    );
    snapshot(
        "bills_query_refund",
        signed(&|| client.prepare(&refund(1800).query())),
    );
    snapshot(
        "bills_refund",
        signed(&|| {
            client.prepare(
                &refund(1800)
                    .refund_desc("少上一道菜")
                    .split(Fen(300), vec![refund_share(1500)]),
            )
        }),
    );
    snapshot(
        "bills_query_qrcode_info",
        signed(&|| client.prepare(&BillsQueryQrCodeInfo::new(&bill_merchant(), qr_code_id()))),
    );
}

#[test]
fn the_bill_date_is_sent_as_a_date_and_the_description_as_bill_desc() {
    let client = fixed_client(Environment::Test);
    let body = String::from_utf8(
        client
            .encode(&BillsGetQrCode::new(&bill_merchant(), full_bill()))
            .unwrap(),
    )
    .unwrap();
    assert!(
        body.starts_with(
            r#"{"requestTimestamp":"2024-01-01 12:00:00","mid":"898201612345678","tid":"88880001","instMid":"QRPAYDEFAULT","billNo":"31942024010112000000000042","billDate":"2024-01-01","totalAmount":3600,"billDesc":"3 号桌","expireTime":"2024-01-01 12:30:00","#
        ),
        "{body}"
    );
    assert!(!body.contains("orderDesc"), "{body}");
    let early = BillsQuery::new(&bill_merchant(), bill_no(), date!(0999 - 03 - 04));
    let body = String::from_utf8(client.encode(&early).unwrap()).unwrap();
    assert!(body.contains(r#""billDate":"0999-03-04""#), "{body}");
}

#[test]
fn bill_rules_are_checked_before_signing() {
    let client = fixed_client(Environment::Test);
    let refused = |result: Result<http::Request<Vec<u8>>, Error>| match result {
        Err(Error::InvalidField(e)) => (e.field, e.rule),
        other => panic!("{other:?}"),
    };
    let get = |fields: BillFields| client.prepare(&BillsGetQrCode::new(&bill_merchant(), fields));
    let update =
        |fields: BillFields| client.prepare(&BillsUpdateQrCode::new(&bill_merchant(), fields));
    for op in [&get as &dyn Fn(BillFields) -> _, &update] {
        assert_eq!(refused(op(bill(0))).0, "totalAmount");
        assert_eq!(
            refused(op(bill(1).bill_desc("账".repeat(256)))).0,
            "billDesc"
        );
        assert!(op(bill(1).bill_desc("账".repeat(255))).is_ok());
        assert_eq!(refused(op(bill(1).bill_desc("a\tb"))).0, "billDesc");
        assert_eq!(
            refused(op(bill(1).attached_data("x".repeat(256)))).0,
            "attachedData"
        );
        assert_eq!(
            refused(op(bill(1).goods(vec![Goods::new("a", "x", 0, Fen(1))]))).0,
            "goods.quantity"
        );
        let (field, rule) = refused(op(bill(100).split(Fen(10), vec![share(80)])));
        assert_eq!(field, "subOrders");
        assert!(rule.contains("100") && rule.contains("90"), "{rule}");
        assert_eq!(
            refused(op(bill(100).split(Fen(u64::MAX), vec![share(1)]))).0,
            "subOrders",
            "an overflowing sum is refused, not wrapped"
        );
        assert_eq!(
            refused(op(bill(100).split(Fen(100), vec![]))).0,
            "subOrders"
        );
        assert_eq!(
            refused(op(bill(100).split(Fen(10), vec![share(90)]).guaranteed())).0,
            "secureTransaction"
        );
        assert!(op(bill(100).split(Fen(10), vec![share(90)])).is_ok());
        let negative = BillFields::new(
            bill_no(),
            time::Date::from_calendar_date(-1, time::Month::January, 1).unwrap(),
            Fen(1),
        );
        assert_eq!(refused(op(negative)).0, "billDate");
    }
    assert_eq!(
        "31942".parse::<chinaums::BillNo>().unwrap_err().field,
        "billNo"
    );
    assert_eq!(
        "".parse::<chinaums::QrCodeId>().unwrap_err().field,
        "qrCodeId"
    );
}

#[test]
fn refund_rules_are_checked_before_signing() {
    let client = fixed_client(Environment::Test);
    let refused = |refund: BillsRefund| match client.prepare(&refund) {
        Err(Error::InvalidField(e)) => (e.field, e.rule),
        other => panic!("{other:?}"),
    };
    assert_eq!(refused(refund(0)).0, "refundAmount");
    assert_eq!(
        refused(refund(5).refund_desc("x".repeat(256))).0,
        "refundDesc"
    );
    let (field, rule) = refused(refund(100).split(Fen(10), vec![refund_share(80)]));
    assert_eq!(field, "subOrders");
    assert!(rule.contains("refundAmount"), "{rule}");
    assert_eq!(
        refused(refund(100).split(Fen(u64::MAX), vec![refund_share(1)])).0,
        "subOrders"
    );
    assert!(
        client
            .prepare(&refund(100).split(Fen(10), vec![refund_share(90)]))
            .is_ok()
    );
    let mut odd_date = refund(1);
    odd_date.bill_date = time::Date::from_calendar_date(-5, time::Month::May, 5).unwrap();
    assert_eq!(refused(odd_date).0, "billDate");
}

#[test]
fn the_code_answer_gives_the_code_to_show() {
    let client = fixed_client(Environment::Test);
    let answer = client
        .parse::<BillsGetQrCode>(&ok(include_str!("data/bills/get_qrcode.json")))
        .unwrap();
    assert_eq!(
        answer.qr_code(),
        Some("https://qr-test2.chinaums.com/bills/qrCode.do?id=3194202401011200000001234567")
    );
    assert_eq!(
        answer.bill.qr_code_id.as_deref(),
        Some("3194202401011200000001234567")
    );
    assert_eq!(
        answer.bill.bill_no.as_deref(),
        Some("31942024010112000000000042")
    );
    assert_eq!(
        answer.bill.bill_date.as_ref().and_then(|d| d.to_date()),
        Some(date!(2024 - 01 - 01))
    );
    assert_eq!(answer.envelope.message(), Some("查询二维码成功"));
    assert_eq!(answer.extra["systemId"], "0001");
    assert_eq!(answer.extra["msgId"], "bills-0001");
}

/// A success without a code to show cannot be relied on: a decode error, outcome unknown; the
/// bill query tells whether the bill exists.
#[test]
fn a_code_answer_without_a_code_is_outcome_unknown() {
    let client = fixed_client(Environment::Test);
    let without = include_str!("data/bills/get_qrcode_without_code.json");
    let missing = without.replace(r#""billQRCode":"","#, "");
    for body in [without, missing.as_str()] {
        let error = client.parse::<BillsGetQrCode>(&ok(body)).unwrap_err();
        assert!(matches!(error, Error::Decode(_)), "{error:?}");
        assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
        assert!(error.to_string().contains("billQRCode"), "{error}");
    }
    // Through a call too: no follow-up is attached (bills have no order to query yet), and the
    // bill query to ask is built from the operation.
    let get = BillsGetQrCode::new(&bill_merchant(), full_bill());
    assert!(get.follow_up().is_none());
    let mut call = client.call(&get).unwrap();
    let Step::Send(_) = call.start() else {
        panic!()
    };
    let Step::Done(Err(error)) = call.receive(Ok(ok(without))) else {
        panic!()
    };
    assert!(error.is_outcome_unknown());
    let query = get.query();
    assert_eq!(
        (query.bill_no, query.bill_date, query.refund_order_id),
        (bill_no(), date!(2024 - 01 - 01), None)
    );
    // Updating, closing and reading a code ask no code of the answer.
    let closed = client
        .parse::<BillsCloseQrCode>(&ok(include_str!("data/bills/closed_qrcode.json")))
        .unwrap();
    assert_eq!(
        closed.bill.qr_code_id.as_deref(),
        Some("3194202401011200000001234567")
    );
    assert!(client.parse::<BillsUpdateQrCode>(&ok(without)).is_ok());
}

#[test]
fn the_code_info_answer() {
    let client = fixed_client(Environment::Test);
    let info = client
        .parse::<BillsQueryQrCodeInfo>(&ok(include_str!("data/bills/qrcode_info.json")))
        .unwrap();
    assert_eq!(info.bill.total_amount, Some(Fen(3600)), "from a string");
    assert_eq!(info.bill.bill_desc.as_deref(), Some("3 号桌"));
    assert_eq!(info.bill.mer_name.as_deref(), Some("测试商户"));
    assert_eq!(info.extra["goods"][0]["goodsId"], "SKU-7");
    assert_eq!(info.extra["expireTime"], "2024-01-01 12:30:00");
}

#[test]
fn every_decision_of_the_bill_query() {
    let client = fixed_client(Environment::Test);
    let parse = |body: &str| client.parse::<BillsQuery>(&ok(body)).unwrap();
    let paid = parse(include_str!("data/bills/query_paid_object.json"));
    assert_eq!(paid.state(), BillState::Paid);
    assert!(paid.is_paid());
    let refunded = parse(include_str!("data/bills/query_refunded.json"));
    assert_eq!(refunded.state(), BillState::Refunded);
    assert!(!refunded.is_paid());
    let closed = parse(include_str!("data/bills/query_closed.json"));
    assert_eq!(closed.state(), BillState::Closed);
    assert_eq!(closed.bill_payment, None, "an empty string is no payment");
    assert_eq!(closed.bill.total_amount, Some(Fen(3600)));
    let unpaid = parse(include_str!("data/bills/query_unpaid.json"));
    assert_eq!(unpaid.bill.bill_status, Some(BillStatus::Unpaid));
    assert_eq!(unpaid.state(), BillState::InProgress);
    assert_eq!(
        unpaid.create_time.as_ref().map(|t| t.as_str()),
        Some("2024-01-01 12:00:01")
    );
    // A value this SDK does not know is kept, and never read as paid — not even one that
    // looks like success.
    let odd = parse(include_str!("data/bills/query_unknown_status.json"));
    assert_eq!(
        odd.bill.bill_status,
        Some(BillStatus::Other("TRADE_SUCCESS".into()))
    );
    assert_eq!(odd.state(), BillState::InProgress);
    assert!(!odd.is_paid());
    assert_eq!(odd.bill_payment, None, "null is no payment");
    let platform_unknown = parse(r#"{"errCode":"SUCCESS","billStatus":"UNKNOWN"}"#);
    assert_eq!(platform_unknown.state(), BillState::InProgress);
    let bare = parse(r#"{"errCode":"SUCCESS","billStatus":""}"#);
    assert_eq!(bare.bill.bill_status, None);
    assert_eq!(bare.state(), BillState::InProgress);
    for status in BillStatus::KNOWN {
        let expected = match *status {
            "PAID" => BillState::Paid,
            "REFUND" => BillState::Refunded,
            "CLOSED" => BillState::Closed,
            _ => BillState::InProgress,
        };
        assert_eq!(BillStatus::from_wire(status).state(), expected, "{status}");
    }
}

#[test]
fn the_bill_payment_is_read_from_an_object_or_a_string() {
    let client = fixed_client(Environment::Test);
    let parse = |body: &str| client.parse::<BillsQuery>(&ok(body)).unwrap();
    let object = parse(include_str!("data/bills/query_paid_object.json"));
    let string = parse(include_str!("data/bills/query_paid_string.json"));
    let payment = object.bill_payment.clone().expect("a payment");
    assert_eq!(
        string.bill_payment.as_ref(),
        Some(&payment),
        "the same payment"
    );
    assert_eq!(object.bill.total_amount, string.bill.total_amount);
    assert_eq!(
        payment.pay_time.as_ref().map(|t| t.as_str()),
        Some("2024-01-01 12:03:12")
    );
    assert_eq!(payment.pay_seq_id.as_deref(), Some("00001234567D"));
    assert_eq!(payment.total_amount, Some(Fen(3600)));
    assert_eq!(payment.buyer_pay_amount, Some(Fen(3500)));
    assert_eq!(payment.buyer_cash_pay_amt, Some(Fen(3500)));
    assert_eq!(payment.invoice_amount, Some(Fen(3600)));
    assert_eq!(payment.receipt_amount, Some(Fen(3600)));
    assert_eq!(payment.coupon_amount, Some(Fen(100)));
    assert_eq!(
        payment.mer_order_id.as_deref(),
        Some("319420240101120312000001")
    );
    assert_eq!(payment.status, Some(TradeStatus::TradeSuccess));
    assert_eq!(payment.state(), PaymentState::Paid);
    assert_eq!(payment.target_sys.as_deref(), Some("WXPay"));
    assert_eq!(payment.connect_sys.as_deref(), Some("UNIONPAY"));
    assert_eq!(
        payment.settle_date.as_ref().and_then(|d| d.to_date()),
        Some(date!(2024 - 01 - 01))
    );
    assert_eq!(payment.extra["payDetail"], "现金支付35.00元。");
    assert_eq!(object.extra["cardAttr"], "BALANCE");

    // The refund asked about with refundOrderId, with its own fields kept.
    let refunded = parse(include_str!("data/bills/query_refunded.json"));
    let refund = refunded.refund_bill_payment.expect("the refund");
    assert_eq!(
        refund.mer_order_id.as_deref(),
        Some("31942024010112000300000001")
    );
    assert_eq!(refund.total_amount, Some(Fen(1800)));
    assert_eq!(refund.extra["discountAmount"], "0");
    assert_eq!(
        refunded.bill_payment.unwrap().status,
        Some(TradeStatus::TradeRefund)
    );
}

/// A payment that cannot be read (a string that is not JSON, a float amount, a list) makes the
/// answer unreadable: outcome unknown, never a guess.
#[test]
fn an_unreadable_bill_payment_is_a_decode_error() {
    let client = fixed_client(Environment::Test);
    for payment in [
        r#""paid""#,
        r#""{\"totalAmount\":36.5}""#,
        r#"{"totalAmount":36.5}"#,
        r#"["TRADE_SUCCESS"]"#,
        r#""[1,2]""#,
        "true",
        "12",
    ] {
        let body =
            format!(r#"{{"errCode":"SUCCESS","billStatus":"PAID","billPayment":{payment}}}"#);
        let error = client.parse::<BillsQuery>(&ok(&body)).unwrap_err();
        assert!(matches!(error, Error::Decode(_)), "{payment}: {error:?}");
        assert!(error.to_string().contains("billPayment"), "{error}");
    }
    // A business error's odd fields do not hide its code.
    let no_bill = client
        .parse::<BillsQuery>(&ok(
            r#"{"errCode":"NO_BILL","errMsg":"账单不存在","billPayment":"x"}"#,
        ))
        .unwrap_err();
    assert_eq!(no_bill.class(), ErrorClass::NotFound);
    assert_eq!(no_bill.err_code(), Some("NO_BILL"));
}

#[test]
fn every_decision_of_the_bill_refund() {
    let client = fixed_client(Environment::Test);
    let parse = |body: &str| client.parse::<BillsRefund>(&ok(body)).unwrap();
    let done = parse(include_str!("data/bills/refunded.json"));
    assert_eq!(done.state(), RefundState::Refunded);
    assert_eq!(done.bill_state(), BillState::Refunded);
    assert_eq!(done.refund_amount, Some(Fen(1800)));
    assert_eq!(done.refund_invoice_amount, Some(Fen(1800)), "from a string");
    assert_eq!(
        done.refund_order_id.as_deref(),
        Some("31942024010112000300000001")
    );
    assert_eq!(
        done.refund_target_order_id.as_deref(),
        Some("2024010122001412345678901234")
    );
    assert_eq!(
        done.refund_pay_time.as_ref().map(|t| t.as_str()),
        Some("2024-01-01 12:59:40")
    );
    assert_eq!(
        done.bill.bill_no.as_deref(),
        Some("31942024010112000000000042")
    );
    let pending = parse(include_str!("data/bills/refund_processing.json"));
    assert_eq!(pending.state(), RefundState::Pending);
    assert_eq!(pending.bill_state(), BillState::Paid);
    assert_eq!(pending.refund_amount, Some(Fen(1800)));
    assert_eq!(
        pending.refund_invoice_amount, None,
        "an empty amount is absent"
    );
    assert_eq!(pending.settle_date, None, "an empty date is absent");
    let odd = parse(include_str!("data/bills/refund_unknown_status.json"));
    assert_eq!(
        odd.refund_status,
        Some(RefundStatus::Other("REFUND_HELD".into()))
    );
    assert_eq!(
        odd.state(),
        RefundState::Unknown(Some("REFUND_HELD".into()))
    );
    assert_eq!(odd.bill_state(), BillState::InProgress);
    let failed = parse(r#"{"errCode":"SUCCESS","refundStatus":"FAIL"}"#);
    assert_eq!(failed.state(), RefundState::NotRefunded);
    let bare = parse(r#"{"errCode":"SUCCESS"}"#);
    assert_eq!(bare.state(), RefundState::Unknown(None));
}

/// No follow-up is attached to a bill refund (the core's follow-ups name an order); the same
/// refund can be sent again, and its query names the refund.
#[test]
fn an_unknown_refund_outcome_is_settled_by_the_bill_query_with_the_refund_id() {
    let client = fixed_client(Environment::Test);
    let refund = refund(1800);
    assert!(refund.follow_up().is_none());
    let mut call = client.call(&refund).unwrap();
    let Step::Send(_) = call.start() else {
        panic!()
    };
    let Step::Done(Err(error)) = call.receive(Ok(ok(r#"{"errCode":"TIMEOUT"}"#))) else {
        panic!()
    };
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    let query = refund.query();
    assert_eq!(query.refund_order_id, Some(refund_id()));
    assert_eq!(query.bill_no, bill_no());
    assert_eq!(query.merchant.inst_mid, "QRPAYDEFAULT");
    let body = String::from_utf8(client.encode(&query).unwrap()).unwrap();
    assert!(
        body.ends_with(r#""billDate":"2024-01-01","refundOrderId":"31942024010112000300000001"}"#),
        "{body}"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// No bytes make a bill answer parser panic.
        #[test]
        fn answers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let client = fixed_client(Environment::Test);
            let response = chinaums::test_response(http::StatusCode::OK, body);
            let _ = client.parse::<BillsGetQrCode>(&response);
            let _ = client.parse::<BillsUpdateQrCode>(&response);
            let _ = client.parse::<BillsCloseQrCode>(&response);
            let _ = client.parse::<BillsQueryQrCodeInfo>(&response);
            let _ = client.parse::<BillsQuery>(&response);
            let _ = client.parse::<BillsRefund>(&response);
        }

        /// No text as `billPayment` (raw, or a JSON string of it) makes the query parser panic,
        /// and an unknown `billStatus` is never paid.
        #[test]
        fn any_bill_payment_or_status_never_panics(text in ".{0,64}", status in "[A-Z_]{0,12}") {
            let client = fixed_client(Environment::Test);
            for payment in [serde_json::json!(text), serde_json::json!({ "status": text.clone(), "totalAmount": text.clone() })] {
                let body = serde_json::json!({"errCode": "SUCCESS", "billStatus": status, "billPayment": payment});
                if let Ok(answer) = client.parse::<BillsQuery>(&ok(&body.to_string())) {
                    prop_assert_eq!(answer.is_paid(), status == "PAID");
                }
            }
        }

        /// No amounts make the bill or refund checks panic; a split is accepted exactly when
        /// its shares add up.
        #[test]
        fn split_amounts_never_panic(total in any::<u64>(), platform in any::<u64>(), shares in proptest::collection::vec(any::<u64>(), 1..4)) {
            let client = fixed_client(Environment::Test);
            let sum = shares.iter().try_fold(platform, |a, &b| a.checked_add(b));
            let subs = shares.iter().map(|&fen| share(fen)).collect();
            let result = client.prepare(&BillsGetQrCode::new(&bill_merchant(), bill(total).split(Fen(platform), subs)));
            prop_assert_eq!(result.is_ok(), total > 0 && sum == Some(total));
            let subs = shares.iter().map(|&fen| refund_share(fen)).collect();
            let result = client.prepare(&refund(total).split(Fen(platform), subs));
            prop_assert_eq!(result.is_ok(), total > 0 && sum == Some(total));
        }
    }
}
