//! Amounts, timestamps and identifiers: `Fen::from_yuan`, `Fen::parse`, `Fen`'s serde,
//! `chinaums::timestamps::*` and every id newtype's `new`.
//!
//! The input: 12 bytes of a clock reading (seconds as a signed 8-byte number, nanoseconds: 4
//! bytes), then a text (lossily UTF-8) tried as an amount, a timestamp and every identifier.
//!
//! Invariants:
//! - `from_yuan` and `parse` agree with a reference written with 128-bit arithmetic, exactly
//!   (accept and refuse the same texts, same values); yuan shown and read back round-trips;
//!   `Fen` deserializes only from a non-negative JSON integer or a string of digits, to that
//!   value, and serializes as the bare number;
//! - no clock reading panics; the timestamps are empty together (outside years 0000–9999) or
//!   14 and 19 characters of fixed shape, the same instant, read back to the same second;
//!   a text that is a timestamp reads back to itself;
//! - an id's `new` accepts exactly what its rule says, keeps the text as given, and agrees
//!   with `FromStr` and serde; header values (`AppId`, `Nonce`) go into a header unchanged.
#![no_main]

use std::time::{Duration, SystemTime};

use chinaums::timestamps::{
    auth_timestamp, beijing, format_datetime, is_auth_timestamp, parse_auth_timestamp,
    request_timestamp,
};
use chinaums::{
    AppId, BillNo, Fen, InstMid, MerOrderId, Merchant, Mid, MsgId, MsgSrcId, Nonce, NotifyUrl,
    QrCodeId, RefundOrderId, ReturnUrl, SrcReserve, Tid,
};
use chinaums_fuzz::Cursor;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let secs = input.u64() as i64;
    let nanos = input.u32() % 1_000_000_000;
    let text = String::from_utf8_lossy(input.rest()).into_owned();

    amounts(&text);
    clock(secs, nanos);
    timestamp_text(&text);
    identifiers(&text);
});

// ---------------------------------------------------------------------------------------------
// Amounts

/// `digits[.d{1,2}]`, at most 18 digits before the point, fitting in a u64 of fen.
fn reference_yuan(s: &str) -> Option<u64> {
    let (yuan, fraction) = match s.split_once('.') {
        Some((y, f)) if !f.is_empty() && f.len() <= 2 => (y, f),
        Some(_) => return None,
        None => (s, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if yuan.is_empty() || yuan.len() > 18 || !digits(yuan) || !digits(fraction) {
        return None;
    }
    let mut fen: u128 = 0;
    for b in yuan.bytes() {
        fen = fen * 10 + u128::from(b - b'0');
    }
    fen *= 100;
    let frac: u128 = fraction
        .bytes()
        .fold(0u128, |n, b| n * 10 + u128::from(b - b'0'));
    // "5" is 50 fen, "05" and "50" are what they say.
    fen += if fraction.len() == 1 { frac * 10 } else { frac };
    u64::try_from(fen).ok()
}

fn amounts(text: &str) {
    let got = Fen::from_yuan(text).map(Fen::get);
    assert_eq!(got, reference_yuan(text), "from_yuan({text:?})");
    if let Some(fen) = got {
        let shown = Fen(fen).to_string();
        assert_eq!(Fen::from_yuan(&shown), Some(Fen(fen)), "{shown}");
        let (yuan, cents) = shown.split_once('.').expect("two decimals");
        assert_eq!(cents.len(), 2);
        assert!(!yuan.is_empty());
    }

    let parsed = Fen::parse(text);
    let reference =
        (!text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten();
    assert_eq!(parsed.map(Fen::get), reference, "parse({text:?})");

    // As JSON: a number or a string of digits, nothing else.
    match serde_json::from_str::<Fen>(text) {
        Ok(fen) => {
            let value: serde_json::Value = serde_json::from_str(text).expect("it parsed");
            match value {
                serde_json::Value::Number(n) => assert_eq!(n.as_u64(), Some(fen.get())),
                serde_json::Value::String(s) => assert_eq!(Fen::parse(&s), Some(fen)),
                other => panic!("a Fen from {other}"),
            }
            let out = serde_json::to_string(&fen).expect("serializes");
            assert_eq!(out, fen.get().to_string());
            assert_eq!(serde_json::from_str::<Fen>(&out).ok(), Some(fen));
        }
        Err(_) => {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
                match value {
                    serde_json::Value::Number(n) => assert!(n.as_u64().is_none(), "{n}"),
                    serde_json::Value::String(s) => assert_eq!(Fen::parse(&s), None, "{s:?}"),
                    _ => {}
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps

fn clock(secs: i64, nanos: u32) {
    let now = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs as u64, nanos))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::new(secs.unsigned_abs(), nanos))
    };
    let Some(now) = now else { return };
    let wall = beijing(now);
    let auth = auth_timestamp(now);
    let request = request_timestamp(now);
    assert_eq!(auth.is_empty(), request.is_empty(), "{auth:?} {request:?}");
    if auth.is_empty() {
        // Outside the years 0000 to 9999 in Beijing time.
        let year = (secs.div_euclid(86_400) as f64 / 365.2425) + 1970.0;
        assert!(
            !(1.0..=9998.0).contains(&year),
            "empty timestamps in year {year}"
        );
        return;
    }
    assert_eq!(auth.len(), 14, "{auth:?}");
    assert!(auth.bytes().all(|b| b.is_ascii_digit()), "{auth:?}");
    assert_eq!(request.len(), 19, "{request:?}");
    for (i, b) in request.bytes().enumerate() {
        let expected = match i {
            4 | 7 => Some(b'-'),
            10 => Some(b' '),
            13 | 16 => Some(b':'),
            _ => None,
        };
        match expected {
            Some(sep) => assert_eq!(b, sep, "{request:?}"),
            None => assert!(b.is_ascii_digit(), "{request:?}"),
        }
    }
    let digits: String = request.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(digits, auth, "the two formats show different instants");
    assert_eq!(format_datetime(wall), request, "the wall clock disagrees");
    assert!(is_auth_timestamp(&auth), "{auth:?} is not a timestamp");
    let back = parse_auth_timestamp(&auth).expect("reads back");
    // The same second (rounded down, before 1970 too).
    let whole = if secs >= 0 || nanos == 0 {
        secs
    } else {
        secs - 1
    };
    assert_eq!(back.unix_timestamp(), whole, "{auth:?}");
}

fn timestamp_text(text: &str) {
    let is = is_auth_timestamp(text);
    let parsed = parse_auth_timestamp(text);
    assert_eq!(is, parsed.is_some(), "{text:?}");
    if let Some(at) = parsed {
        assert_eq!(text.len(), 14);
        let now = SystemTime::from(at);
        assert_eq!(
            auth_timestamp(now),
            text,
            "a timestamp does not read back to itself"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers

/// Printable ASCII without `"` or `\`, of `min..=max` bytes.
fn identifier(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

/// No control character, at most `max` characters.
fn text_rule(s: &str, max: usize) -> bool {
    !s.chars().any(char::is_control) && s.chars().count() <= max
}

/// Printable ASCII without `"` or `,`, of `min..=max` bytes.
fn header_token(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b',')
}

fn url_rule(s: &str) -> bool {
    s.len() <= 255
        && s.parse::<http::Uri>().is_ok_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some_and(|h| !h.is_empty())
        })
}

/// `new` accepts exactly what `rule` says; the value is the text; `FromStr` and serde agree.
fn id<T>(text: &str, rule: bool, new: fn(String) -> Result<T, chinaums::InvalidField>)
where
    T: AsRef<str> + std::str::FromStr + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned,
{
    let made = new(text.to_owned());
    assert_eq!(
        made.is_ok(),
        rule,
        "{} of {text:?}",
        std::any::type_name::<T>()
    );
    let from_str = text.parse::<T>().ok();
    let json = serde_json::to_string(text).expect("a string");
    let from_json = serde_json::from_str::<T>(&json).ok();
    match made {
        Ok(value) => {
            assert_eq!(value.as_ref(), text);
            assert_eq!(from_str.as_ref(), Some(&value));
            assert_eq!(serde_json::to_string(&value).expect("serializes"), json);
            assert_eq!(from_json.as_ref(), Some(&value));
        }
        Err(e) => {
            assert!(from_str.is_none() && from_json.is_none());
            assert!(!e.field.is_empty() && !e.rule.is_empty());
        }
    }
}

fn identifiers(text: &str) {
    id::<Mid>(text, identifier(text, 15, 15), Mid::new);
    id::<Tid>(text, identifier(text, 8, 8), Tid::new);
    id::<InstMid>(text, identifier(text, 8, 32), InstMid::new);
    id::<MerOrderId>(text, identifier(text, 6, 32), MerOrderId::new);
    id::<RefundOrderId>(text, identifier(text, 6, 32), RefundOrderId::new);
    id::<BillNo>(text, identifier(text, 6, 32), BillNo::new);
    id::<MsgSrcId>(text, identifier(text, 4, 4), MsgSrcId::new);
    id::<QrCodeId>(text, identifier(text, 1, 64), QrCodeId::new);
    id::<MsgId>(text, text_rule(text, 64), MsgId::new);
    id::<SrcReserve>(text, text_rule(text, 255), SrcReserve::new);
    id::<AppId>(text, header_token(text, 1, usize::MAX), AppId::new);
    id::<Nonce>(text, header_token(text, 1, 128), Nonce::new);
    id::<NotifyUrl>(text, url_rule(text), NotifyUrl::new);
    id::<ReturnUrl>(text, url_rule(text), ReturnUrl::new);
    if header_token(text, 1, 128) {
        let header = chinaums::body_sig::authorization_header(text, "20240101120000", text, "x");
        let value = http::HeaderValue::from_str(&header).expect("a header-safe id");
        let parsed = chinaums::body_sig::parse_header(value.to_str().unwrap()).expect("reads");
        assert_eq!(
            (parsed.app_id.as_str(), parsed.nonce.as_str()),
            (text, text)
        );
    }
    // A merchant from three parts: the first broken rule is named.
    let parts: Vec<&str> = text.splitn(3, '|').collect();
    if let [mid, tid, inst_mid] = parts[..] {
        let merchant = Merchant::new(mid, tid, inst_mid);
        let expected = [
            ("mid", identifier(mid, 15, 15)),
            ("tid", identifier(tid, 8, 8)),
            ("instMid", identifier(inst_mid, 8, 32)),
        ]
        .into_iter()
        .find(|(_, ok)| !ok)
        .map(|(field, _)| field);
        assert_eq!(merchant.as_ref().err().map(|e| e.field), expected);
    }
}
