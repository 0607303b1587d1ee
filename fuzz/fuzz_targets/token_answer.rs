//! The token answer (`chinaums::access_token::parse_response`) on an arbitrary status and body
//! (`NNN\n` then the body; any other input is a body answered with 200), then the same answer
//! given to a whole OPEN-ACCESS-TOKEN call sharing its token through a store.
//!
//! Invariants:
//! - an issued token is the body's `accessToken` (printable ASCII, no `"`), with the body's
//!   `expiresIn` (a positive integer, as a number or a string) and `errCode` `0000` on 2xx;
//! - a refusal never quotes the token and is never "outcome unknown" (nothing was sent);
//! - in a call, the token is used as issued and stored with a lifetime counted from when it
//!   was asked for and capped at `MAX_TOKEN_LIFETIME`, whatever the number and however close
//!   the clock is to the end of the years the platform's timestamps can carry; no number
//!   makes anything panic.
#![no_main]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chinaums::access_token::{self, parse_response};
use chinaums::{
    AuthScheme, Client, Credentials, Environment, ErrorClass, FixedClock, FixedNonce,
    MAX_TOKEN_LIFETIME, MemoryTokenStore, Merchant, PaymentQuery, TokenStore,
};
use chinaums_fuzz::{NOON_2024_UNIX, RawJson, status_and_body};
use libfuzzer_sys::fuzz_target;

const APP_ID: &str = "fuzz-app-id";

/// The last second whose Beijing time is still in year 9999 (`9999-12-31 23:59:59`, UTC+8).
const LAST_SECOND_9999: u64 = 253_402_300_799 - 8 * 3600;

fuzz_target!(|data: &[u8]| {
    let (status, body) = status_and_body(data);
    let response = chinaums::test_response(status, body.to_vec());
    let raw = RawJson::of(body);
    let parsed = parse_response(&response);
    match &parsed {
        Ok(issued) => {
            assert!(status.is_success(), "a token from HTTP {status}");
            assert_eq!(raw.text("errCode").as_deref(), Some("0000"));
            let token = issued.access_token.expose();
            assert_eq!(raw.text("accessToken").as_deref(), Some(token));
            assert!(
                !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic() && b != b'"'),
                "a token that cannot go into a header"
            );
            let said = raw.text("expiresIn").and_then(|s| s.parse::<u64>().ok());
            assert_eq!(said, Some(issued.expires_in), "expiresIn is not the body's");
            assert!(issued.expires_in > 0);
            assert_eq!(
                format!("{issued:?}"),
                format!(
                    "IssuedToken {{ access_token: AccessToken(<redacted>), expires_in: {} }}",
                    issued.expires_in
                ),
                "Debug shows the token"
            );
        }
        Err(error) => {
            assert_ne!(error.class, ErrorClass::OutcomeUnknown);
            let shown = error.to_string();
            if let Some(token) = raw.text("accessToken") {
                // What the refusal may show: the core's own wording and the body's other
                // values (a string as it reads, its escapes undone). Each is blotted out of the
                // message; the token must not be in what is left. (A leak of a token that
                // holds one of those texts whole goes unseen: the price of no false alarms.)
                let mut allowed: Vec<String> = [
                    "access token request failed",
                    " with errCode ",
                    "errCode 0000 but accessToken is missing or not printable ASCII",
                    "errCode 0000 but expiresIn is missing or not a positive integer",
                    "the token response is not a JSON object",
                ]
                .map(String::from)
                .into();
                allowed.push(format!("HTTP {status}"));
                allowed.push(format!(" [{}]", error.class));
                for (key, value) in raw.pairs() {
                    if key != "accessToken" {
                        allowed.push(match value {
                            serde_json::Value::String(text) => text.clone(),
                            other => other.to_string(),
                        });
                    }
                }
                allowed.sort_by_key(|a| std::cmp::Reverse(a.len()));
                let mut left = shown.clone();
                for text in allowed.iter().filter(|t| !t.is_empty()) {
                    left = left.replace(text.as_str(), "\u{1}");
                }
                if token.len() >= 4 && !token.contains('\u{1}') {
                    assert!(!left.contains(&token), "a refusal quotes the token: {shown}");
                }
            }
        }
    }
    for now in [NOON_2024_UNIX, LAST_SECOND_9999] {
        in_a_call(now, &response, parsed.as_ref().ok());
    }
});

/// The answer given to a call at `now` (Unix seconds) sharing tokens through a store.
fn in_a_call(
    now: u64,
    answer: &http::Response<Vec<u8>>,
    issued: Option<&access_token::IssuedToken>,
) {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
    let clock = Arc::new(FixedClock::new(at));
    let client = Client::builder(Credentials::new(APP_ID, "fuzz-app-key"), Environment::Test)
        .auth(AuthScheme::AccessToken)
        .shared_clock(clock.clone())
        .nonce_source(FixedNonce::new("0123456789abcdef"))
        .build();
    let store = MemoryTokenStore::with_clock(clock);
    let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap();
    let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse().unwrap());
    let sent = Mutex::new(Vec::new());
    let result = client
        .call(&query)
        .expect("a valid query")
        .run_blocking_with_store(Duration::from_secs(1), &store, |request| {
            let path = request.uri().path().to_owned();
            sent.lock().unwrap().push(request);
            Ok(if path == access_token::PATH {
                answer.clone()
            } else {
                http::Response::new(br#"{"errCode":"SUCCESS","status":"NEW_ORDER"}"#.to_vec())
            })
        });
    let sent = sent.into_inner().unwrap();
    match issued {
        Some(issued) => {
            let answer = result.expect("a token was issued: the query goes out");
            assert!(!answer.is_paid());
            assert_eq!(sent.len(), 2, "one token request, one query");
            let header = sent[1].headers()[http::header::AUTHORIZATION]
                .to_str()
                .expect("a header-safe token");
            assert_eq!(
                access_token::parse_header(header),
                Some(issued.access_token.expose()),
                "the query does not carry the issued token"
            );
            let stored = TokenStore::load(&store, APP_ID)
                .expect("a memory store")
                .expect("the issued token is published");
            assert_eq!(stored.access_token, issued.access_token);
            assert_eq!(stored.issued_at, at, "the lifetime counts from the request");
            let lifetime = stored
                .expires_at
                .duration_since(stored.issued_at)
                .expect("expires after it was issued");
            assert!(
                lifetime <= MAX_TOKEN_LIFETIME,
                "a lifetime over the cap: {lifetime:?}"
            );
            let expected = Duration::from_secs(issued.expires_in).min(MAX_TOKEN_LIFETIME);
            assert_eq!(lifetime, expected);
        }
        None => {
            let error = result.expect_err("no token, no query");
            assert_eq!(sent.len(), 1, "the query was sent without a token");
            assert_ne!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
            assert!(TokenStore::load(&store, APP_ID).unwrap().is_none());
        }
    }
}
