//! The sandbox gateway's `Gateway::handle` on arbitrary requests, in memory: a fresh gateway
//! with the demo orders per input, its clock stopped, up to four requests in a row (so that a
//! token issued by one can authorize the next).
//!
//! Each request, read from the input's front: the method (`POST GET HEAD PUT DELETE OPTIONS`),
//! the path (`0..128`: a template's, `128..255`: a route of the sandbox's table with its
//! `{…}` segments filled, `255`: a line of its own with any query), the `Authorization` (none; a line as is; signed by the
//! core over the body; signed, then a byte of the header or of the body changed; a token the
//! gateway issued earlier in the input; a line as a token; signed with a stale timestamp or
//! another key), the body (`0`: a line, `1`: the rest of the input, `k`: template `k - 2`'s,
//! the body the core builds for an operation on a demo order), and up to three more header lines.
//!
//! Invariants, checked against this crate's references (HMAC, timestamps, the token
//! endpoint's hashes), not the sandbox's own checks:
//! - a business request whose `Authorization` is not a valid OPEN-BODY-SIG signature of its
//!   exact body (right appId, fresh timestamp) or a token the gateway issued is answered 401
//!   or 412, never 200; one that is valid is never refused as unauthenticated;
//! - an H5 redirect is let through only with a valid OPEN-FORM-PARAM query, and always then;
//! - a token is issued only for a token request signed with the appKey, fresh;
//! - no request makes the gateway panic or answer 5xx.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use chinaums::body_sig;
use chinaums_fuzz::{
    Access, Cursor, NOON_2024_UNIX, Template, access, business_authorized, form_authorized,
    templates, token_request_signed,
};
use chinaums_sandbox::{DEFAULT_APP_ID, DEFAULT_APP_KEY, DEMO_UNPAID_ORDER, Sandbox};
use http::{HeaderName, HeaderValue, header};
use libfuzzer_sys::fuzz_target;

static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| templates(NOON_2024_UNIX));
const METHODS: [&str; 6] = ["POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS"];

fuzz_target!(|data: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOON_2024_UNIX);
    let gateway = Sandbox::builder()
        .seed_demo(true)
        .build_gateway()
        .expect("a gateway");
    let mut input = Cursor::new(data);
    let mut issued: Vec<String> = Vec::new();
    let count = 1 + input.byte() % 4;
    for _ in 0..count {
        let Some(request) = read_request(&mut input, now, &issued) else {
            continue;
        };
        let (method, path) = (
            request.method().to_string(),
            request.uri().path().to_owned(),
        );
        let query = request.uri().query().unwrap_or_default().to_owned();
        let token_body = request.body().clone();
        let authorized =
            business_authorized(&request, DEFAULT_APP_ID, DEFAULT_APP_KEY, now, &issued);
        let response = gateway
            .handle(request, now)
            .into_result()
            .expect("no fault injected: a response");
        let status = response.status().as_u16();
        assert!(status < 500, "{method} {path}: HTTP {status}");
        let refused = matches!(status, 401 | 412);
        match access(&method, &path) {
            Access::Business => {
                assert!(
                    authorized || refused,
                    "{method} {path}: HTTP {status} to a request without a valid signature or token"
                );
                if authorized {
                    assert!(
                        !refused,
                        "{method} {path}: a valid signature or token refused ({status})"
                    );
                }
            }
            Access::FormParam => {
                let right = form_authorized(&query, DEFAULT_APP_ID, DEFAULT_APP_KEY, now);
                assert_eq!(
                    !refused, right,
                    "{method} {path}: HTTP {status} to an H5 URL"
                );
            }
            Access::Token => {
                let answer: serde_json::Value =
                    serde_json::from_slice(response.body()).unwrap_or_default();
                if answer["errCode"] == "0000" {
                    assert!(
                        token_request_signed(&token_body, DEFAULT_APP_ID, DEFAULT_APP_KEY, now),
                        "a token issued for a request not signed with the appKey"
                    );
                    let token = answer["accessToken"].as_str().expect("a token");
                    issued.push(token.to_owned());
                }
            }
            Access::Other => {}
        }
    }
});

/// One request from the input; `None` when its parts cannot make one (an invalid URI).
fn read_request(
    input: &mut Cursor<'_>,
    now: SystemTime,
    issued: &[String],
) -> Option<http::Request<Vec<u8>>> {
    let method = METHODS[usize::from(input.byte()) % METHODS.len()];
    let routes = chinaums_sandbox::endpoints();
    let path = match input.byte() {
        pick @ 0..128 => TEMPLATES[usize::from(pick) % TEMPLATES.len()]
            .path_and_query
            .clone(),
        255 => String::from_utf8_lossy(input.line()).into_owned(),
        pick => fill(routes[usize::from(pick - 128) % routes.len()].path),
    };
    let auth = input.byte() % 9;
    let (position, flip) = (usize::from(input.u16()), input.byte().max(1));
    let mut body = match input.byte() {
        0 => input.line().to_vec(),
        1 => std::mem::replace(input, Cursor::new(&[])).rest().to_vec(),
        k => TEMPLATES[usize::from(k - 2) % TEMPLATES.len()].body.clone(),
    };
    let timestamp = |at: SystemTime| chinaums::timestamps::auth_timestamp(at);
    let sign = |key: &str, at: SystemTime, body: &[u8]| {
        body_sig::sign(DEFAULT_APP_ID, key, &timestamp(at), "fuzz-nonce-0001", body).authorization
    };
    let authorization: Option<Vec<u8>> = match auth {
        0 => None,
        1 => Some(input.line().to_vec()),
        2 => Some(sign(DEFAULT_APP_KEY, now, &body).into_bytes()),
        3 => {
            let mut header = sign(DEFAULT_APP_KEY, now, &body).into_bytes();
            let at = position % header.len();
            header[at] ^= flip;
            Some(header)
        }
        4 => {
            let header = sign(DEFAULT_APP_KEY, now, &body).into_bytes();
            if body.is_empty() {
                body.push(flip);
            } else {
                let at = position % body.len();
                body[at] ^= flip;
            }
            Some(header)
        }
        5 => Some(
            chinaums::access_token::authorization_header(
                issued.last().map_or("no-token", String::as_str),
            )
            .into_bytes(),
        ),
        6 => Some(
            chinaums::access_token::authorization_header(&String::from_utf8_lossy(input.line()))
                .into_bytes(),
        ),
        7 => Some(sign(DEFAULT_APP_KEY, now - Duration::from_secs(700), &body).into_bytes()),
        _ => Some(sign("another-app-key", now, &body).into_bytes()),
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .body(body)
        .ok()?;
    let headers = request.headers_mut();
    if let Some(value) = authorization.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    for _ in 0..input.byte() % 4 {
        let line = input.line();
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(&line[..colon]);
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    Some(request)
}

/// A route's path with its `{…}` segments filled with a demo order.
fn fill(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                DEMO_UNPAID_ORDER
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
