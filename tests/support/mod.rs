//! Shared fixtures for the core's integration tests.
#![allow(dead_code)]

use chinaums::{Client, Credentials, Environment, FixedClock, FixedNonce};

/// The platform's public test credentials, used by the known-answer vectors.
pub const APP_ID: &str = "10037e6f6a4e6da4016a670fd4530012";
/// The appKey of set B.
pub const APP_KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
/// 2024-01-01 12:00:00 Beijing time.
pub const NOON_2024_UNIX: u64 = 1_704_081_600;
/// The nonce of the known-answer vectors.
pub const NONCE: &str = "0123456789abcdef0123456789abcdef";

/// A client with the KAT credentials, a stopped clock and a fixed nonce.
pub fn fixed_client(environment: Environment) -> Client {
    Client::builder(Credentials::new(APP_ID, APP_KEY), environment)
        .clock(FixedClock::from_unix(NOON_2024_UNIX))
        .nonce_source(FixedNonce::new(NONCE))
        .build()
}

/// A readable, ordered view of a request for snapshots.
pub fn describe(request: &http::Request<Vec<u8>>) -> serde_json::Value {
    serde_json::json!({
        "method": request.method().as_str(),
        "uri": request.uri().to_string(),
        "headers": request
            .headers()
            .iter()
            .map(|(k, v)| [k.as_str(), v.to_str().unwrap()])
            .collect::<Vec<_>>(),
        "body": String::from_utf8(request.body().clone()).unwrap(),
    })
}

/// The example response of the query's official documentation, verbatim.
pub const DOCUMENTED_RESPONSE: &str = include_str!("../data/query/documented_answer.json");

/// The merchant of the known-answer vectors.
pub fn merchant() -> chinaums::Merchant {
    chinaums::Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap()
}

/// The order of the known-answer vectors.
pub fn order() -> chinaums::MerOrderId {
    "31942024010112000000001234".parse().unwrap()
}

/// A refund id of the same merchant.
pub fn refund_id() -> chinaums::RefundOrderId {
    "31942024010112000300000001".parse().unwrap()
}

/// Snapshots a value under `snapshots/` with an explicit name (so test files can move).
pub fn snapshot(name: &str, value: serde_json::Value) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!(name, value);
    });
}

/// An answer with status 200 and `body`.
pub fn ok(body: &str) -> http::Response<Vec<u8>> {
    chinaums::test_response(http::StatusCode::OK, body)
}
