//! The payment-result query: its signed request (the known-answer vector KAT-5 through the
//! whole client, snapshots, field rules) and its answer (the documented example, amount shapes,
//! every state). Its data is under `tests/data/query/`.

mod support;

use chinaums::test_response as response;
use chinaums::{
    Environment, Error, Fen, Merchant, PaymentQuery, PaymentQueryResponse, PaymentState, Step,
    TradeStatus,
};
use http::StatusCode;
use support::*;

fn kat5_query() -> PaymentQuery {
    PaymentQuery::new(
        &Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap(),
        "31942024010112000000001234".parse().unwrap(),
    )
}

fn snapshot(name: &str, value: serde_json::Value) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!(name, value);
    });
}

/// The client, from a typed query, produces exactly the KAT-5 body and signature.
#[test]
fn query_request_matches_kat5_byte_for_byte() {
    let request = fixed_client(Environment::Test)
        .prepare(&kat5_query())
        .unwrap();
    assert_eq!(
        request.body().as_slice(),
        br#"{"requestTimestamp":"2024-01-01 12:00:00","mid":"898201612345678","tid":"88880001","instMid":"YUEDANDEFAULT","merOrderId":"31942024010112000000001234"}"#
    );
    assert_eq!(
        request.headers()["authorization"],
        r#"OPEN-BODY-SIG AppId="10037e6f6a4e6da4016a670fd4530012", Timestamp="20240101120000", Nonce="0123456789abcdef0123456789abcdef", Signature="YaoaLuAj7mznzwLXN4zbWA4ZGyQZNhhUionvH+48t18=""#
    );
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.uri(),
        "https://test-api-open.chinaums.com/v1/netpay/query"
    );
    assert_eq!(request.headers()["content-type"], "application/json");
}

/// The bytes signed are the bytes sent: the header verifies against the body.
#[test]
fn signed_body_is_the_sent_body() {
    let query = kat5_query()
        .msg_id("001".parse().unwrap())
        .src_reserve("测试 \"quoted\" / slash".parse().unwrap());
    let request = fixed_client(Environment::Production)
        .prepare(&query)
        .unwrap();
    let header = request.headers()["authorization"].to_str().unwrap();
    let parsed = chinaums::body_sig::parse_header(header).unwrap();
    assert!(chinaums::body_sig::verify(&parsed, APP_KEY, request.body()));
    assert!(!chinaums::body_sig::verify(&parsed, APP_KEY, b"{}"));
}

#[test]
fn snapshot_minimal_query() {
    let request = fixed_client(Environment::Test)
        .prepare(&kat5_query())
        .unwrap();
    snapshot("query_minimal", describe(&request));
}

#[test]
fn snapshot_full_query_on_production() {
    let query = kat5_query()
        .msg_id("001".parse().unwrap())
        .src_reserve("webpay".parse().unwrap())
        .target_order_id("4200001234202401011234567890")
        .request_timestamp(time::macros::datetime!(2024-01-01 11:59:58));
    let request = fixed_client(Environment::Production)
        .prepare(&query)
        .unwrap();
    snapshot("query_full_production", describe(&request));
}

#[test]
fn snapshot_query_on_custom_base_url() {
    let environment = Environment::custom("http://127.0.0.1:8080/").unwrap();
    let request = fixed_client(environment).prepare(&kat5_query()).unwrap();
    snapshot("query_custom_base_url", describe(&request));
}

/// The call state machine sends the same request `prepare` builds.
#[test]
fn call_sends_the_prepared_request() {
    let client = fixed_client(Environment::Test);
    let expected = client.prepare(&kat5_query()).unwrap();
    let mut call = client.call(&kat5_query()).unwrap();
    let Step::Send(request) = call.start() else {
        panic!("expected a request to send")
    };
    assert_eq!(describe(&request), describe(&expected));
    // Driving it out of order is an error, not a panic.
    let mut again = client.call(&kat5_query()).unwrap();
    assert!(matches!(
        again.resume(),
        Step::Done(Err(chinaums::Error::Config(e))) if e.kind == chinaums::ConfigErrorKind::Misuse
    ));
}

/// Invalid fields are refused when their value is made, naming the field and the rule, so an
/// invalid request cannot even be built; what the types cannot carry is refused before signing.
#[test]
fn invalid_fields_are_rejected_before_signing() {
    use chinaums::{InstMid, MerOrderId, Mid, MsgId, SrcReserve, Tid};
    let cases: [(Result<(), chinaums::InvalidField>, &str, &str); 6] = [
        (Mid::new("12345").map(drop), "mid", "exactly 15"),
        (Tid::new("123456789").map(drop), "tid", "exactly 8"),
        (InstMid::new("SHORT").map(drop), "instMid", "8 to 32"),
        (
            MerOrderId::new("x".repeat(33)).map(drop),
            "merOrderId",
            "6 to 32",
        ),
        (MsgId::new("m".repeat(65)).map(drop), "msgId", "at most 64"),
        (
            SrcReserve::new("s".repeat(256)).map(drop),
            "srcReserve",
            "at most 255",
        ),
    ];
    for (result, field, rule) in cases {
        let invalid = result.unwrap_err();
        assert_eq!(invalid.field, field);
        assert!(invalid.rule.contains(rule), "{field}: {}", invalid.rule);
        let err = chinaums::Error::from(invalid);
        assert_eq!(err.class(), chinaums::ErrorClass::Caller);
    }
    let client = fixed_client(Environment::Test);
    let query = kat5_query().target_order_id("t".repeat(65));
    let err = client.prepare(&query).unwrap_err();
    let chinaums::Error::InvalidField(invalid) = &err else {
        panic!("expected InvalidField, got {err:?}")
    };
    assert_eq!(invalid.field, "targetOrderId");
    assert!(invalid.rule.contains("at most 64"), "{}", invalid.rule);
    assert!(client.call(&query).is_err());
}

fn parse(status: u16, body: &str) -> Result<PaymentQueryResponse, Error> {
    let client = fixed_client(Environment::Test);
    client.parse::<PaymentQuery>(&response(StatusCode::from_u16(status).unwrap(), body))
}

#[test]
fn documented_example_response_parses_field_by_field() {
    let r = parse(200, DOCUMENTED_RESPONSE).unwrap();
    assert_eq!(r.envelope.err_code.as_deref(), Some("SUCCESS"));
    assert_eq!(
        r.envelope.response_timestamp.as_ref().unwrap().as_str(),
        "2022-07-19 16:29:59"
    );
    assert_eq!(r.mid.as_deref(), Some("898310148160568"));
    assert_eq!(r.tid.as_deref(), Some("88880001"));
    assert_eq!(r.inst_mid.as_deref(), Some(""));
    assert_eq!(r.bill_funds_desc.as_deref(), Some("支付"));
    assert_eq!(r.pay_time.as_ref().unwrap().as_str(), "2022-07-19 16:29:59");
    assert_eq!(r.coupon_merchant_contribute, Some(Fen(100)));
    assert_eq!(r.coupon_other_contribute, Some(Fen(100)));
    assert_eq!(r.msg_id.as_deref(), Some("001"));
    assert_eq!(r.src_reserve.as_deref(), Some("保留字段"));
    assert_eq!(r.seq_id.as_deref(), Some("20230719162959"));
    assert_eq!(r.settle_ref_id.as_deref(), Some("35316566855N"));
    assert_eq!(r.ref_id.as_deref(), Some("35316566855N"));
    assert_eq!(r.status, Some(TradeStatus::NewOrder));
    assert_eq!(r.total_amount, Some(Fen(100)));
    assert_eq!(r.mer_name.as_deref(), Some("测试商户"));
    assert_eq!(
        r.mer_order_id.as_deref(),
        Some("13DA002023071900000000003327")
    );
    assert_eq!(r.buyer_id.as_deref(), Some("86833140"));
    assert_eq!(r.target_mid.as_deref(), Some("523693523"));
    assert_eq!(r.buyer_pay_amount, Some(Fen(100)));
    assert_eq!(r.buyer_username.as_deref(), Some("测试用户"));
    assert_eq!(r.coupon_amount, Some(Fen(100)));
    assert_eq!(r.invoice_amount, Some(Fen(0)));
    assert_eq!(r.receipt_amount, Some(Fen(100)));
    assert_eq!(
        r.settle_date
            .as_ref()
            .unwrap()
            .to_date()
            .unwrap()
            .to_string(),
        "2022-07-19"
    );
    assert_eq!(r.yxlm_amount, Some(Fen(1000)));
    assert_eq!(r.auth_id_resp_cd.as_deref(), Some(""));
    assert!(
        r.extra.is_empty(),
        "every documented field is named: {:?}",
        r.extra
    );
    // SUCCESS + NEW_ORDER is not a paid order.
    assert!(!r.is_paid());
    assert_eq!(r.state(), PaymentState::NotPaid);
}

#[test]
fn amounts_as_numbers_and_strings_are_the_same() {
    let as_number = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":100,"refundAmount":5}"#,
    )
    .unwrap();
    let as_string = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":"100","refundAmount":"5"}"#,
    )
    .unwrap();
    assert_eq!(as_number.total_amount, Some(Fen(100)));
    assert_eq!(as_string.total_amount, Some(Fen(100)));
    // refundAmount is money too, typed, not left in `extra`.
    assert_eq!(as_number.refund_amount, Some(Fen(5)));
    assert_eq!(as_string.refund_amount, Some(Fen(5)));
    assert!(as_number.extra.is_empty(), "{:?}", as_number.extra);
    assert!(as_number.is_paid() && as_string.is_paid());
}

#[test]
fn both_timestamp_spellings_and_message_fields() {
    let lower = parse(
        200,
        r#"{"errCode":"SUCCESS","responseTimestamp":"2024-01-01 12:00:00"}"#,
    )
    .unwrap();
    let upper = parse(
        200,
        r#"{"errCode":"SUCCESS","responseTimeStamp":"2024-01-01 12:00:00"}"#,
    )
    .unwrap();
    assert_eq!(
        lower.envelope.response_timestamp,
        upper.envelope.response_timestamp
    );
    assert!(lower.envelope.response_timestamp.is_some());

    let err = parse(200, r#"{"errCode":"NO_ORDER","errInfo":"订单不存在"}"#).unwrap_err();
    let Error::Platform(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.message, "订单不存在");
    let err = parse(
        200,
        r#"{"errCode":"NO_ORDER","errMsg":"","errInfo":"from errInfo"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("from errInfo"));
}

#[test]
fn unknown_fields_and_statuses_are_kept() {
    let r = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_FROZEN","connectSys":"UNIONPAY","chnlCost":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(r.status, Some(TradeStatus::Other("TRADE_FROZEN".into())));
    assert_eq!(r.state(), PaymentState::Unknown);
    assert_eq!(r.extra["connectSys"], "UNIONPAY");
    assert_eq!(r.extra["chnlCost"]["a"], 1);
}

#[test]
fn missing_status_is_unknown_not_unpaid() {
    let r = parse(200, r#"{"errCode":"SUCCESS"}"#).unwrap();
    assert_eq!(r.state(), PaymentState::Unknown);
    assert!(!r.is_paid());
}

#[test]
fn every_state_answers_is_it_paid() {
    for (status, state) in [
        ("TRADE_SUCCESS", PaymentState::Paid),
        ("TRADE_REFUND", PaymentState::Refunded),
        ("NEW_ORDER", PaymentState::NotPaid),
        ("WAIT_BUYER_PAY", PaymentState::NotPaid),
        ("TRADE_CLOSED", PaymentState::Closed),
        ("UNKNOWN", PaymentState::Unknown),
    ] {
        let r = parse(
            200,
            &format!(r#"{{"errCode":"SUCCESS","status":"{status}"}}"#),
        )
        .unwrap();
        assert_eq!(r.state(), state, "{status}");
        assert_eq!(r.is_paid(), state == PaymentState::Paid, "{status}");
    }
}

#[test]
fn bill_funds_are_split() {
    let r = parse(
        200,
        r#"{"errCode":"SUCCESS","billFunds":"现金:10|零钱:90"}"#,
    )
    .unwrap();
    assert_eq!(
        r.bill_funds_entries(),
        Some(vec![("现金", Fen(10)), ("零钱", Fen(90))])
    );
    let r = parse(200, r#"{"errCode":"SUCCESS","billFunds":"garbage"}"#).unwrap();
    assert_eq!(r.bill_funds_entries(), None);
}
