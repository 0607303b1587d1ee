//! Turning an HTTP response into a typed reply or a precise error, in order: HTTP status, JSON
//! shape, `errCode`. The business answer (`status`, `refundStatus`) is the reply type's.

use std::sync::LazyLock;

use http::StatusCode;
use memchr::memmem::Finder;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{
    DecodeError, EXCERPT_LIMIT, Error, ErrorClass, HttpError, PlatformError, excerpt,
};
use crate::operation::Reply;

/// How an operation reads an `errCode` when it means something of its own there (for example
/// `OPERATION_NOT_ALLOWED` on a close): `Some(class)`, or `None` for the platform-wide meaning
/// ([`classify`](crate::error::classify)).
pub type Classifier = fn(err_code: &str, status: StatusCode) -> Option<ErrorClass>;

/// Decodes `response` into `R`, or the error that describes what came back, in order: HTTP
/// status, JSON shape, `errCode` (read by `classify` first, then the platform-wide table), the
/// reply's own check that a success answer is usable ([`Reply::check`]: an unusable one is a
/// [`DecodeError`], outcome unknown, never a success).
///
/// A body that is not valid JSON (bad UTF-8, a number out of range, a repeated `errCode` or
/// `status`) is never read as a definite answer, whatever `errCode` it seems to carry: on a
/// success status it is a [`DecodeError`] (outcome unknown), on another status an
/// [`HttpError`] classed by the status alone.
pub(crate) fn parse<R: Reply>(
    response: &http::Response<Vec<u8>>,
    classify: Classifier,
) -> Result<R, Error> {
    let status = response.status();
    let platform_error = |code: String, message: String| -> Error {
        let mut error = PlatformError::new(status, code, message);
        if let Some(class) = classify(&error.err_code, status) {
            error.class = class;
        }
        error.into()
    };
    let body = response.body().as_slice();
    if !status.is_success() {
        return Err(match envelope(body) {
            Ok(Some(env)) => platform_error(env.code, env.message),
            Ok(None) | Err(_) => HttpError {
                status,
                excerpt: excerpt(body),
            }
            .into(),
        });
    }
    // serde's messages quote the offending value whole: cut them like the excerpt, so that an
    // error is never as large as the body.
    let decode_error = |path: String, message: String| -> Error {
        DecodeError {
            status,
            path: bounded(path),
            message: bounded(message),
            excerpt: excerpt(body),
        }
        .into()
    };
    let reply = match decode::<R>(body) {
        Ok(reply) => reply,
        Err((path, message)) => {
            // An error reply may have fields of unexpected types: report its errCode rather
            // than the shape mismatch, if the body is sound JSON.
            return Err(match envelope(body) {
                Ok(Some(env)) if env.code != R::SUCCESS_CODE => {
                    platform_error(env.code, env.message)
                }
                Err((corrupt_path, why)) => decode_error(corrupt_path, why),
                _ => decode_error(path, message),
            });
        }
    };
    match reply.err_code() {
        // A success whose decisive key is repeated is corrupted, whichever value the reply
        // type kept (a type without a `status` field keeps the last one among its extras).
        Some(code) if code == R::SUCCESS_CODE && may_repeat_decisive_key(body) => {
            match repeated_decisive_key(body) {
                Some(key) => Err(decode_error(
                    key.to_owned(),
                    format!("`{key}` appears more than once"),
                )),
                None => check(reply, decode_error),
            }
        }
        Some(code) if code == R::SUCCESS_CODE => check(reply, decode_error),
        Some(code) => {
            // A definite error class needs a sound body, also where the reply type skipped
            // fields without reading them.
            if let Err((path, why)) = envelope(body) {
                return Err(decode_error(path, why));
            }
            let message = reply.err_message().unwrap_or("").to_owned();
            Err(platform_error(code.to_owned(), message))
        }
        None => Err(decode_error(
            "errCode".into(),
            "missing: the platform did not say whether the call succeeded".into(),
        )),
    }
}

/// A success is usable if its reply type says so ([`Reply::check`]).
fn check<R: Reply>(reply: R, decode_error: impl Fn(String, String) -> Error) -> Result<R, Error> {
    match reply.check() {
        Ok(()) => Ok(reply),
        Err(why) => Err(decode_error(
            ".".into(),
            format!("success, but unusable: {why}"),
        )),
    }
}

/// `text` cut to [`EXCERPT_LIMIT`] bytes on a character boundary, marked with `…` if cut.
fn bounded(text: String) -> String {
    if text.len() <= EXCERPT_LIMIT {
        return text;
    }
    let mut end = EXCERPT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Whether `body` might repeat a decisive key: one of them occurs twice as a quoted string, or
/// the body has an escape that could spell one. A fast screen (one vectorized scan each), so
/// that the exact check runs only on the rare bodies that need it.
fn may_repeat_decisive_key(body: &[u8]) -> bool {
    // Searchers built once: building one costs about as much as a scan of a short body.
    static SEARCHERS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
        [
            Finder::new(b"\\u"),
            Finder::new(QUOTED_DECISIVE_KEYS[0]),
            Finder::new(QUOTED_DECISIVE_KEYS[1]),
        ]
    });
    let [escape, keys @ ..] = &*SEARCHERS;
    escape.find(body).is_some()
        || keys
            .iter()
            .any(|quoted| quoted.find_iter(body).nth(1).is_some())
}

fn decode<R: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<R, (String, String)> {
    // The common case first, at full speed; the field path is tracked (at about twice the
    // cost) only to explain a failure.
    if let Ok(reply) = serde_json::from_slice::<R>(body) {
        return Ok(reply);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let reply: R = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        (path, e.into_inner().to_string())
    })?;
    de.end().map_err(|e| (".".to_owned(), e.to_string()))?;
    Ok(reply)
}

/// The error envelope every platform answer shares.
struct Envelope {
    code: String,
    message: String,
}

/// Keys whose repetition makes an answer ambiguous: the platform's verdict and the order's
/// state. A body that says both `NO_ORDER` and `SUCCESS` is corrupted, not one or the other.
pub(crate) const DECISIVE_KEYS: &[&str] = &["errCode", "status"];

/// [`DECISIVE_KEYS`] as they stand, quoted, in a body without escapes.
const QUOTED_DECISIVE_KEYS: [&[u8]; 2] = [b"\"errCode\"", b"\"status\""];

/// Reads `errCode` (a string or a number) and `errMsg`/`errInfo` from a JSON object, after
/// checking that the whole body is valid JSON (every value parsed, not skipped) with no
/// decisive key repeated. `Ok(None)`: a sound object without `errCode`, or not an object.
/// `Err((path, why))`: the body is not sound JSON.
fn envelope(body: &[u8]) -> Result<Option<Envelope>, (String, String)> {
    let value: Value = decode(body)?;
    let Value::Object(fields) = value else {
        return Ok(None);
    };
    // `Value` keeps the last of repeated keys: look for repeats in the raw object.
    if let Some(key) = repeated_decisive_key(body) {
        return Err((key.to_owned(), format!("`{key}` appears more than once")));
    }
    let text = |key: &str| match fields.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let Some(code) = text("errCode") else {
        return Ok(None);
    };
    let message = ["errMsg", "errInfo"]
        .into_iter()
        .filter_map(text)
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    Ok(Some(Envelope { code, message }))
}

/// The first of [`DECISIVE_KEYS`] that occurs more than once at the top level of the JSON
/// object `body`, if any.
pub(crate) fn repeated_decisive_key(body: &[u8]) -> Option<&'static str> {
    use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};

    struct Repeated;
    impl<'de> Visitor<'de> for Repeated {
        type Value = Option<&'static str>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // Read to the end: the deserializer refuses a map left half-read.
            let mut seen = [false; DECISIVE_KEYS.len()];
            let mut repeated = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if let Some(i) = DECISIVE_KEYS.iter().position(|k| *k == key) {
                    if std::mem::replace(&mut seen[i], true) {
                        repeated = repeated.or(Some(DECISIVE_KEYS[i]));
                    }
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(repeated)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    de.deserialize_map(Repeated).ok().flatten()
}

/// Builds a response for tests and adapters: `status` and `body`.
pub fn response(status: StatusCode, body: impl Into<Vec<u8>>) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body.into());
    *response.status_mut() = status;
    response
}
