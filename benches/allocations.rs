//! How many allocations one payment-query `prepare` and one `parse` make, beside
//! `serde_json::from_slice` into a `Value` of the same answer: printed, not timed. A bench of
//! its own because its counting allocator (atomic counters on every allocation) would skew the
//! timings of `benches/query.rs`.
//!
//! `cargo bench --bench allocations`
#![allow(missing_docs)]

use std::alloc::System;

use chinaums::PaymentQuery;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod common;
use common::{DOCUMENTED_RESPONSE, fixed_client, query, real_client};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let fixed = fixed_client();
    let real = real_client();
    let query = query();
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
