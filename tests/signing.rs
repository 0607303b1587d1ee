//! Signed query requests: known-answer vectors through the whole client, and snapshots.

mod support;

use chinaums::netpay::PaymentQuery;
use chinaums::{Environment, RawOperation, Step};
use support::*;

fn kat5_query() -> PaymentQuery {
    PaymentQuery::new(
        "898201612345678",
        "88880001",
        "YUEDANDEFAULT",
        "31942024010112000000001234",
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
        .msg_id("001")
        .src_reserve("测试 \"quoted\" / slash");
    let request = fixed_client(Environment::Production)
        .prepare(&query)
        .unwrap();
    let header = request.headers()["authorization"].to_str().unwrap();
    let parsed = chinaums::auth::body_sig::parse_header(header).unwrap();
    assert!(chinaums::auth::body_sig::verify(
        &parsed,
        APP_KEY,
        request.body()
    ));
    assert!(!chinaums::auth::body_sig::verify(&parsed, APP_KEY, b"{}"));
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
        .msg_id("001")
        .src_reserve("webpay")
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

#[test]
fn snapshot_raw_operation() {
    let raw = RawOperation::new(
        "/v1/netpay/refund-query",
        serde_json::json!({"requestTimestamp": "2024-01-01 12:00:00", "mid": "898201612345678",
                           "tid": "88880001", "instMid": "YUEDANDEFAULT",
                           "merOrderId": "31942024010112000000001234"}),
    );
    let request = fixed_client(Environment::Test).prepare(&raw).unwrap();
    snapshot("raw_refund_query", describe(&request));
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
        Step::Done(Err(chinaums::Error::Config(_)))
    ));
}

/// Invalid fields are rejected before signing, naming the field and the rule.
#[test]
fn invalid_fields_are_rejected_before_signing() {
    let client = fixed_client(Environment::Test);
    let cases: [(PaymentQuery, &str, &str); 7] = [
        (
            PaymentQuery {
                mid: "12345".into(),
                ..kat5_query()
            },
            "mid",
            "exactly 15",
        ),
        (
            PaymentQuery {
                tid: "123456789".into(),
                ..kat5_query()
            },
            "tid",
            "exactly 8",
        ),
        (
            PaymentQuery {
                inst_mid: "SHORT".into(),
                ..kat5_query()
            },
            "instMid",
            "8 to 32",
        ),
        (
            PaymentQuery {
                mer_order_id: "x".repeat(33),
                ..kat5_query()
            },
            "merOrderId",
            "6 to 32",
        ),
        (kat5_query().msg_id("m".repeat(65)), "msgId", "at most 64"),
        (
            kat5_query().src_reserve("s".repeat(256)),
            "srcReserve",
            "at most 255",
        ),
        (
            kat5_query().target_order_id("t".repeat(65)),
            "targetOrderId",
            "at most 64",
        ),
    ];
    for (query, field, rule) in cases {
        let err = client.prepare(&query).unwrap_err();
        let chinaums::Error::InvalidField(invalid) = &err else {
            panic!("{field}: expected InvalidField, got {err:?}")
        };
        assert_eq!(invalid.field, field);
        assert!(invalid.rule.contains(rule), "{field}: {}", invalid.rule);
        assert_eq!(err.class(), chinaums::ErrorClass::Caller);
        assert!(client.call(&query).is_err());
    }
}
