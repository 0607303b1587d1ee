//! Benchmarks of the payment-result query, each beside the bare cost it cannot beat, so the
//! SDK's overhead reads as a ratio:
//! - build + validate + serialize + sign a query request, vs SHA-256 + HMAC-SHA256 + Base64 of
//!   the same body bytes; with a fixed clock and nonce, and with the real clock and random
//!   nonces (what production pays);
//! - parse the documentation's example response into the typed reply, vs `serde_json::from_slice`
//!   of the same bytes into a `serde_json::Value`.
//!
//! It runs on the system allocator: a counting allocator adds atomic operations to every
//! allocation, which would tax whichever side allocates more. `benches/allocations.rs` counts
//! them instead (`cargo bench --bench allocations`).
#![allow(missing_docs)]

use std::hint::black_box;

use base64::Engine as _;
use chinaums::PaymentQuery;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

mod common;
use common::{APP_ID, APP_KEY, DOCUMENTED_RESPONSE, fixed_client, query, real_client};

fn sign(c: &mut Criterion) {
    let client = fixed_client();
    let query = query();
    let body = client.encode(&query).unwrap();
    let real = real_client();
    let mut group = c.benchmark_group("sign_query");
    group.bench_function("sdk_prepare", |b| {
        b.iter(|| client.prepare(black_box(&query)).unwrap())
    });
    group.bench_function("sdk_prepare_real_clock_and_nonce", |b| {
        b.iter(|| real.prepare(black_box(&query)).unwrap())
    });
    group.bench_function("bare_sha256_hmac_base64", |b| {
        b.iter(|| {
            let digest = Sha256::digest(black_box(&body));
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(APP_KEY.as_bytes()).unwrap();
            mac.update(APP_ID.as_bytes());
            mac.update(b"20240101120000");
            mac.update(b"0123456789abcdef0123456789abcdef");
            // The digest goes in as 64 hex characters, like the real string to sign.
            let mut hex = [0u8; 64];
            for (i, byte) in digest.iter().enumerate() {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                hex[2 * i] = DIGITS[usize::from(byte >> 4)];
                hex[2 * i + 1] = DIGITS[usize::from(byte & 0xf)];
            }
            mac.update(&hex);
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        })
    });
    group.finish();
}

fn parse(c: &mut Criterion) {
    let client = fixed_client();
    let response = http::Response::new(DOCUMENTED_RESPONSE.as_bytes().to_vec());
    let mut group = c.benchmark_group("parse_documented_response");
    group.bench_function("sdk_parse", |b| {
        b.iter(|| client.parse::<PaymentQuery>(black_box(&response)).unwrap())
    });
    group.bench_function("bare_serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(response.body())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, sign, parse);
criterion_main!(benches);
