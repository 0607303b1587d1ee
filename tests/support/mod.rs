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
pub const DOCUMENTED_RESPONSE: &str = include_str!("../data/query_response.json");
