//! How many allocations one payment-query `prepare` and one `parse` make, beside
//! `serde_json::from_slice` into a `Value` of the same answer: printed, not timed. A bench of
//! its own because its counting allocator (atomic counters on every allocation) would skew the
//! timings of `benches/query.rs`.
//!
//! `cargo bench --bench allocations`
#![allow(missing_docs)]

use std::alloc::System;

use chinaums::{Client, Credentials, Environment, FixedClock, FixedNonce};
use chinaums::{Merchant, PaymentQuery};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const APP_ID: &str = "10037e6f6a4e6da4016a670fd4530012";
const APP_KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
const DOCUMENTED_RESPONSE: &str = include_str!("../tests/data/query/documented_answer.json");

fn main() {
    let fixed = Client::builder(Credentials::new(APP_ID, APP_KEY), Environment::Test)
        .clock(FixedClock::from_unix(1_704_081_600))
        .nonce_source(FixedNonce::new("0123456789abcdef0123456789abcdef"))
        .build();
    let real = Client::new(Credentials::new(APP_ID, APP_KEY), Environment::Test);
    let query = PaymentQuery::new(
        &Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap(),
        "31942024010112000000001234".parse().unwrap(),
    );
    let response = http::Response::new(DOCUMENTED_RESPONSE.as_bytes().to_vec());
    report("prepare (fixed clock and nonce)", || {
        fixed.prepare(&query).unwrap();
    });
    report("prepare (real clock and nonce)", || {
        real.prepare(&query).unwrap();
    });
    report("parse", || {
        fixed.parse::<PaymentQuery>(&response).unwrap();
    });
    report("serde_json::Value", || {
        serde_json::from_slice::<serde_json::Value>(response.body()).unwrap();
    });
}

/// Prints the allocations `f` makes once warmed up (thread-local caches filled).
fn report(what: &str, mut f: impl FnMut()) {
    f();
    let region = Region::new(ALLOCATOR);
    f();
    let stats = region.change();
    println!(
        "allocations per {what}: {} ({} reallocations, {} bytes)",
        stats.allocations, stats.reallocations, stats.bytes_allocated
    );
}
