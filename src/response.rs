//! Turning an HTTP response into a typed reply or a precise error, in order: HTTP status, JSON
//! shape, `errCode`. The business answer (`status`, `refundStatus`) is the reply type's.

use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{DecodeError, Error, HttpError, PlatformError, excerpt};
use crate::operation::Reply;

/// Decodes `response` into `R`, or the error that describes what came back.
pub fn parse<R: Reply>(response: &http::Response<Vec<u8>>) -> Result<R, Error> {
    let status = response.status();
    let body = response.body().as_slice();
    if !status.is_success() {
        return Err(match envelope(body) {
            Some(env) => PlatformError::new(status, env.code, env.message).into(),
            None => HttpError {
                status,
                excerpt: excerpt(body),
            }
            .into(),
        });
    }
    let reply = match decode::<R>(body) {
        Ok(reply) => reply,
        Err((path, message)) => {
            // An error reply may have fields of unexpected types: report its errCode rather
            // than the shape mismatch.
            return Err(match envelope(body) {
                Some(env) if env.code != R::SUCCESS_CODE => {
                    PlatformError::new(status, env.code, env.message).into()
                }
                _ => DecodeError {
                    status,
                    path,
                    message,
                    excerpt: excerpt(body),
                }
                .into(),
            });
        }
    };
    match reply.err_code() {
        Some(code) if code == R::SUCCESS_CODE => Ok(reply),
        Some(code) => {
            Err(PlatformError::new(status, code, reply.err_message().unwrap_or("")).into())
        }
        None => Err(DecodeError {
            status,
            path: "errCode".into(),
            message: "missing: the platform did not say whether the call succeeded".into(),
            excerpt: excerpt(body),
        }
        .into()),
    }
}

fn decode<R: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<R, (String, String)> {
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

/// Reads `errCode` (a string or a number) and `errMsg`/`errInfo` from any JSON object.
fn envelope(body: &[u8]) -> Option<Envelope> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "errCode")]
        code: Option<Value>,
        #[serde(rename = "errMsg")]
        msg: Option<Value>,
        #[serde(rename = "errInfo")]
        info: Option<Value>,
    }
    let raw: Raw = serde_json::from_slice(body).ok()?;
    let text = |v: Value| match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let code = raw.code.and_then(text)?;
    let message = [raw.msg, raw.info]
        .into_iter()
        .flatten()
        .filter_map(text)
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    Some(Envelope { code, message })
}

/// Builds a response for tests and adapters: `status` and `body`.
pub fn response(status: StatusCode, body: impl Into<Vec<u8>>) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body.into());
    *response.status_mut() = status;
    response
}
