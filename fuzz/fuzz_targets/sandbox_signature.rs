//! A business request signed by the core (OPEN-BODY-SIG), one byte of its body or of its
//! `Authorization` changed, answered by a fresh sandbox gateway in memory.
//!
//! The input, read from its front: which of the core's requests on the demo orders (query,
//! refund, refund query, close, guarantee, split, mini-program order, QR bill, bill query), where
//! to change it (even: the body, odd: the header), the position (2 bytes), the kind (flip /
//! delete / insert) and the byte.
//!
//! Invariants:
//! - the request as signed is answered 200 (the gateway accepts the core's signatures);
//! - changed, it is never answered 200, unless the change left the body's bytes and the
//!   header's four values (appId, timestamp, nonce, signature) as they were (a change in the
//!   header's separators, say): the gateway never accepts a signature it did not compute.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use chinaums::body_sig::{self, ParsedHeader};
use chinaums_fuzz::{Cursor, NOON_2024_UNIX, Template, templates};
use chinaums_sandbox::{DEFAULT_APP_ID, DEFAULT_APP_KEY, Sandbox};
use http::{HeaderValue, header};
use libfuzzer_sys::fuzz_target;

/// The business templates (POST, not the token request).
static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    templates(NOON_2024_UNIX)
        .into_iter()
        .filter(|t| t.method == "POST" && t.path_and_query != chinaums::access_token::PATH)
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOON_2024_UNIX);
    let mut input = Cursor::new(data);
    let template = &TEMPLATES[usize::from(input.byte()) % TEMPLATES.len()];
    let in_header = input.byte() % 2 == 1;
    let position = usize::from(input.u16());
    let kind = input.byte() % 3;
    let value = input.byte();

    let timestamp = chinaums::timestamps::auth_timestamp(now);
    let nonce = "fuzz-nonce-0001";
    let signed = body_sig::sign(
        DEFAULT_APP_ID,
        DEFAULT_APP_KEY,
        &timestamp,
        nonce,
        &template.body,
    );
    let request = |header: &[u8], body: Vec<u8>| {
        let mut request = http::Request::post(template.path_and_query.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .expect("a request");
        let value = HeaderValue::from_bytes(header).ok()?;
        request.headers_mut().insert(header::AUTHORIZATION, value);
        Some(request)
    };
    let answer = |request: http::Request<Vec<u8>>| {
        let gateway = Sandbox::builder()
            .seed_demo(true)
            .build_gateway()
            .expect("a gateway");
        gateway
            .handle(request, now)
            .into_result()
            .expect("no fault: a response")
    };

    // As signed: accepted.
    let original = request(signed.authorization.as_bytes(), template.body.clone())
        .expect("the core's header is a header value");
    let status = answer(original).status();
    assert_eq!(
        status, 200,
        "{}: the core's signature refused",
        template.path_and_query
    );

    // Changed.
    let change = |bytes: &mut Vec<u8>| match kind {
        0 if !bytes.is_empty() => {
            let at = position % bytes.len();
            bytes[at] ^= value.max(1);
        }
        1 if !bytes.is_empty() => {
            bytes.remove(position % bytes.len());
        }
        _ => bytes.insert(position % (bytes.len() + 1), value),
    };
    let mut header_bytes = signed.authorization.clone().into_bytes();
    let mut body = template.body.clone();
    if in_header {
        change(&mut header_bytes);
    } else {
        change(&mut body);
    }
    let Some(changed) = request(&header_bytes, body.clone()) else {
        return; // not a header value: no HTTP request can carry it
    };
    let response = answer(changed);
    if response.status() == 200 {
        let same_values = std::str::from_utf8(&header_bytes)
            .ok()
            .and_then(|h| body_sig::parse_header(h).ok())
            .is_some_and(|parsed| same(&parsed, &signed.signature, &timestamp, nonce));
        assert!(
            body == template.body && same_values,
            "{}: HTTP 200 to a changed {} ({})",
            template.path_and_query,
            if in_header { "header" } else { "body" },
            String::from_utf8_lossy(&header_bytes),
        );
    }
});

fn same(parsed: &ParsedHeader, signature: &str, timestamp: &str, nonce: &str) -> bool {
    parsed.app_id == DEFAULT_APP_ID
        && parsed.timestamp == timestamp
        && parsed.nonce == nonce
        && parsed.signature == signature
}
