//! What the core's benches share: the credentials, the query they sign and the answer they
//! parse, so that `query.rs` times exactly what `allocations.rs` counts.
//!
//! Each bench uses a part of it.
#![allow(dead_code)]

use chinaums::{Client, Credentials, Environment, FixedClock, FixedNonce};
use chinaums::{Merchant, PaymentQuery};

pub const APP_ID: &str = "10037e6f6a4e6da4016a670fd4530012";
pub const APP_KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
pub const DOCUMENTED_RESPONSE: &str = include_str!("../../tests/data/query/documented_answer.json");

/// A client on a fixed clock and nonce: every `prepare` signs the same bytes.
pub fn fixed_client() -> Client {
    Client::builder(Credentials::new(APP_ID, APP_KEY), Environment::Test)
        .clock(FixedClock::from_unix(1_704_081_600))
        .nonce_source(FixedNonce::new("0123456789abcdef0123456789abcdef"))
        .build()
}

/// A client on the real clock and random nonces, as in production.
pub fn real_client() -> Client {
    Client::new(Credentials::new(APP_ID, APP_KEY), Environment::Test)
}

pub fn query() -> PaymentQuery {
    PaymentQuery::new(
        &Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap(),
        "31942024010112000000001234".parse().unwrap(),
    )
}
