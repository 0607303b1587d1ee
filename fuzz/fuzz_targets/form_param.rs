//! The OPEN-FORM-PARAM URL verifier (`chinaums::form_param::parse_query` and `verify`), as a
//! server checks an H5 redirect URL.
//!
//! The input's first byte chooses:
//! - even: the rest is a query string (lossily UTF-8), read and verified with the key of the
//!   core's known-answer vectors (so that their URLs, in the seed corpus, verify);
//! - odd: a URL is signed from parts (`appId`, `timestamp`, `nonce` lines, then the content),
//!   then one byte of its query changed (position: 4 bytes, kind: flip / delete / insert,
//!   byte; read before the parts).
//!
//! Invariants:
//! - `parse_query` reads what this crate's reader reads: the six parameters, each at most
//!   once, `authorization` exactly `OPEN-FORM-PARAM`, none of the others empty;
//! - `verify` is true exactly when the signature is the reference HMAC of what was read, with
//!   that key, and never with another key;
//! - a signed URL reads back as signed and verifies; changed, it verifies only if what the
//!   server reads (appId, timestamp, nonce, content, the signature's bytes) did not change.
#![no_main]

use chinaums::form_param::{self, ParsedQuery};
use chinaums_fuzz::{Cursor, base64_decode, body_sig_mac, query_pairs_lossy};
use libfuzzer_sys::fuzz_target;

/// The appKey of the core's known-answer vectors.
const KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
const NAMES: [&str; 6] = [
    "authorization",
    "appId",
    "timestamp",
    "nonce",
    "content",
    "signature",
];

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    if input.byte().is_multiple_of(2) {
        let query = String::from_utf8_lossy(input.rest());
        check_query(&query);
        return;
    }
    let position = input.u32() as usize;
    let kind = input.byte() % 3;
    let value = input.byte();
    let mut line = || String::from_utf8_lossy(input.line()).into_owned();
    let (app_id, timestamp, nonce) = (line(), line(), line());
    let content = String::from_utf8_lossy(input.rest()).into_owned();

    let signed = form_param::sign(&app_id, KEY, &timestamp, &nonce, &content);
    assert_eq!(
        base64_decode(&signed.signature),
        Some(body_sig_mac(
            KEY,
            &app_id,
            &timestamp,
            &nonce,
            content.as_bytes()
        )),
        "the core's signature is not the reference's"
    );
    let url = form_param::redirect_url(
        "https://gateway.test",
        "/v1/netpay/trade/h5-pay",
        &app_id,
        KEY,
        &timestamp,
        &nonce,
        &content,
    );
    let query = url
        .split_once('?')
        .map(|(_, q)| q)
        .expect("a URL with a query");
    let empty = [&app_id, &timestamp, &nonce, &content]
        .iter()
        .any(|p| p.is_empty());
    match form_param::parse_query(query) {
        Ok(parsed) => {
            assert!(!empty, "read a URL with an empty part");
            assert_eq!(
                (
                    &parsed.app_id,
                    &parsed.timestamp,
                    &parsed.nonce,
                    &parsed.content
                ),
                (&app_id, &timestamp, &nonce, &content),
                "the URL does not read back as signed"
            );
            assert_eq!(parsed.signature, signed.signature);
            assert!(
                form_param::verify(&parsed, KEY),
                "a signed URL does not verify"
            );
            assert!(
                !form_param::verify(&parsed, "another-key"),
                "verified with another key"
            );
        }
        Err(why) => assert!(empty, "a signed URL does not read: {why}"),
    }
    check_query(query);

    let mut changed = query.as_bytes().to_vec();
    match kind {
        0 => {
            let at = position % changed.len();
            changed[at] ^= value.max(1);
        }
        1 => {
            changed.remove(position % changed.len());
        }
        _ => changed.insert(position % (changed.len() + 1), value),
    }
    let Ok(changed) = String::from_utf8(changed) else {
        return; // not a &str: not a query the server can hand over
    };
    check_query(&changed);
    if let Ok(parsed) = form_param::parse_query(&changed)
        && form_param::verify(&parsed, KEY)
    {
        assert_eq!(
            (
                &parsed.app_id,
                &parsed.timestamp,
                &parsed.nonce,
                &parsed.content
            ),
            (&app_id, &timestamp, &nonce, &content),
            "accepted a changed URL that reads otherwise"
        );
        assert_eq!(
            base64_decode(&parsed.signature),
            base64_decode(&signed.signature),
            "accepted another signature"
        );
    }
});

/// `parse_query` agrees with the reference reader, and `verify` with the reference HMAC.
fn check_query(query: &str) {
    let pairs = query_pairs_lossy(query.as_bytes());
    let mut found: [Option<&str>; 6] = [None; 6];
    let mut repeated = false;
    for (name, value) in &pairs {
        if let Some(i) = NAMES.iter().position(|n| n == name) {
            repeated |= found[i].replace(value).is_some();
        }
    }
    let [authorization, app_id, timestamp, nonce, content, signature] = found;
    let readable = !repeated
        && authorization == Some(form_param::SCHEME)
        && [app_id, timestamp, nonce, content, signature]
            .iter()
            .all(|v| v.is_some_and(|v| !v.is_empty()));
    match form_param::parse_query(query) {
        Ok(parsed) => {
            assert!(readable, "read a query the reference refuses");
            let ParsedQuery {
                app_id: a,
                timestamp: t,
                nonce: n,
                content: c,
                signature: s,
            } = &parsed;
            assert_eq!(
                [
                    Some(a.as_str()),
                    Some(t.as_str()),
                    Some(n.as_str()),
                    Some(c.as_str()),
                    Some(s.as_str())
                ],
                [app_id, timestamp, nonce, content, signature]
            );
            let right = base64_decode(s) == Some(body_sig_mac(KEY, a, t, n, c.as_bytes()));
            assert_eq!(form_param::verify(&parsed, KEY), right, "verify disagrees");
            if right {
                assert!(!form_param::verify(&parsed, "another-key"));
            }
            // Debug never shows the signature.
            assert!(format!("{parsed:?}").contains("<redacted>"));
        }
        Err(why) => {
            assert!(!readable, "refused a query the reference reads: {why}");
            assert!(!why.is_empty());
        }
    }
}
