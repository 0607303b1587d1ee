//! The notification verifier and parser (`chinaums::notify::verify`, `parse_form`,
//! `parse_json`, `verify_return_url`) on arbitrary bytes: `CT <content type>\n` then the body,
//! or a body alone (no content type).
//!
//! Invariants, against this crate's own form and JSON readers and hashes:
//! - the core's readers agree with the references, field for field, and fail exactly where
//!   they fail (not UTF-8, a repeated name, not a JSON object);
//! - a body is accepted only if its `sign` is the reference hash of its fields under the rule
//!   (`signType`'s hash, or either when there is none), and each refusal names a true cause;
//! - an accepted notification's decision is its fields': `Paid` only for a payment whose
//!   `status` is `TRADE_SUCCESS` or a bill whose `billStatus` is `PAID`; a refund only with
//!   `status` `TRADE_REFUND` and a `refundOrderId`.
#![no_main]

use chinaums::notify::{self, Notification, NotifyError, NotifyKey};
use chinaums_fuzz::{
    Cursor, check_decision, field, form_fields, hex_decode, json_fields, notify_digest,
    notify_signed_string,
};
use libfuzzer_sys::fuzz_target;

/// The key of the core's notification tests, so that their vectors (the seed corpus) verify.
const KEY: &str = "test-notify-key-0123456789";

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.strip_prefix(b"CT ") {
        Some(rest) => {
            let mut cursor = Cursor::new(rest);
            let ct = String::from_utf8_lossy(cursor.line()).into_owned();
            (Some(ct), cursor.rest())
        }
        None => (None, data),
    };
    let key = NotifyKey::new(KEY);

    // The readers agree with the references.
    let form = form_fields(body);
    match notify::parse_form(body) {
        Ok(fields) => {
            let reference = form
                .clone()
                .expect("the core read a form the reference refuses");
            assert_eq!(fields.len(), reference.len());
            for (k, v) in &reference {
                assert_eq!(fields.get(k), Some(v), "form field {k:?}");
            }
        }
        Err(e) => {
            assert!(
                form.is_none(),
                "the core refused a form the reference reads: {e}"
            );
            assert!(matches!(
                e,
                NotifyError::NotUtf8(_) | NotifyError::DuplicateField(_)
            ));
        }
    }
    let json = json_fields(body);
    match notify::parse_json(body) {
        Ok(fields) => {
            let reference = json
                .clone()
                .expect("the core read JSON the reference refuses");
            assert_eq!(fields.len(), reference.len());
            for (k, v) in &reference {
                assert_eq!(fields.get(k), Some(v), "JSON field {k:?}");
            }
        }
        Err(e) => assert!(
            json.is_none(),
            "the core refused JSON the reference reads: {e}"
        ),
    }

    // The verifier: JSON when the content type says so, or, without one, when the body is an
    // object.
    let is_json = match &content_type {
        Some(ct) => ct.to_ascii_lowercase().contains("json"),
        None => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    };
    let reference = if is_json { json } else { form };
    let verdict = notify::verify(body, content_type.as_deref(), &key);
    check(&verdict, reference.as_deref(), is_json);

    // The returnUrl text: a form, verified under the same rule.
    if let Ok(query) = std::str::from_utf8(body) {
        let back = notify::verify_return_url(query, &key);
        let reference = form_fields(body);
        match back {
            Ok(fields) => {
                let reference = reference.expect("accepted what does not read");
                assert!(
                    signed_right(&reference),
                    "a returnUrl accepted with a wrong sign"
                );
                assert_eq!(fields.len(), reference.len());
            }
            Err(NotifyError::SignatureMismatch) => {
                let reference = reference.expect("a mismatch of what does not read");
                assert!(!signed_right(&reference), "a right sign refused");
            }
            Err(_) => {}
        }
    }
});

/// Whether `fields` carry the sign the rule gives them.
fn signed_right(fields: &[(String, String)]) -> bool {
    let Some(given) = field(fields, "sign").and_then(hex_decode) else {
        return false;
    };
    let signed = notify_signed_string(fields, KEY);
    let hashes: &[bool] = match field(fields, "signType") {
        Some("SHA256") => &[false],
        Some("MD5") => &[true],
        Some(_) => &[],
        None => &[false, true],
    };
    hashes
        .iter()
        .any(|&md5| notify_digest(&signed, md5) == given)
}

fn check(
    verdict: &Result<Notification, NotifyError>,
    reference: Option<&[(String, String)]>,
    is_json: bool,
) {
    match verdict {
        Ok(notification) => {
            let fields = reference.expect("accepted a body the reference cannot read");
            assert!(
                signed_right(fields),
                "accepted a body whose sign is not the rule's"
            );
            check_decision(notification, fields);
        }
        Err(NotifyError::Malformed(_)) => {
            assert!(is_json && reference.is_none(), "Malformed, but it reads");
        }
        Err(NotifyError::NotUtf8(_) | NotifyError::DuplicateField(_)) => {
            assert!(reference.is_none(), "refused as unreadable, but it reads");
        }
        Err(NotifyError::MissingSign) => {
            let fields = reference.expect("MissingSign of what does not read");
            assert!(field(fields, "sign").is_none(), "MissingSign, with a sign");
        }
        Err(NotifyError::UnknownSignType(t)) => {
            let fields = reference.expect("UnknownSignType of what does not read");
            assert_eq!(field(fields, "signType"), Some(t.as_str()));
            assert!(t != "SHA256" && t != "MD5");
        }
        Err(NotifyError::SignatureMismatch) => {
            let fields = reference.expect("SignatureMismatch of what does not read");
            assert!(
                !signed_right(fields),
                "refused a body whose sign is the rule's"
            );
        }
        Err(other) => panic!("an error this target does not know: {other:?}"),
    }
}
