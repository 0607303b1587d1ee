//! One file per endpoint, each with its request reading, its logic and its answers as serde
//! structs; and what they share: the exchange they answer, JSON replies, field reading.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use chinaums::InvalidField;
use http::{HeaderValue, StatusCode, header};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::gateway::{Config, State};

pub(crate) mod query;
pub(crate) mod token;

/// The response type at the gateway's boundary.
pub(crate) type Reply = http::Response<Vec<u8>>;

/// The content type of every JSON answer.
pub(crate) const JSON: &str = "application/json;charset=UTF-8";

/// What an endpoint answers: the request (authenticated already, for business endpoints), the
/// gateway's clock reading, its configuration and its state (locked for the whole exchange,
/// so one request's changes are atomic).
pub(crate) struct Exchange<'a> {
    pub request: &'a http::Request<Vec<u8>>,
    pub now: SystemTime,
    pub config: &'a Config,
    pub state: &'a mut State,
}

/// A response with this status and body, and a `Content-Type`.
pub(crate) fn reply(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `value` as a JSON response.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    // The answers are structs of strings and numbers: serializing them cannot fail; should
    // it ever, an empty object is still JSON.
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    reply(status, JSON, body)
}

/// A gateway rejection (authentication, routing, framing): `errCode` and `errInfo`, the
/// gateway's field names, under an HTTP error status.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatewayError<'a> {
    pub err_code: &'a str,
    pub err_info: String,
}

pub(crate) fn reject(status: StatusCode, code: &str, info: impl Into<String>) -> Reply {
    json(
        status,
        &GatewayError {
            err_code: code,
            err_info: info.into(),
        },
    )
}

/// A business error: HTTP 200 with `errCode`, `errMsg` and `responseTimestamp`, the fields of
/// every netpay answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BusinessError<'a> {
    pub err_code: &'a str,
    pub err_msg: String,
    pub response_timestamp: String,
}

pub(crate) fn business_error(code: &str, msg: impl Into<String>, now: SystemTime) -> Reply {
    json(
        StatusCode::OK,
        &BusinessError {
            err_code: code,
            err_msg: msg.into(),
            response_timestamp: chinaums::timestamps::request_timestamp(now),
        },
    )
}

/// The body as a JSON object, or the gateway's 400.
#[expect(
    clippy::result_large_err,
    reason = "the rejection is the response itself, built at most once per request"
)]
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(reject(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "报文格式错误: the body is not a JSON object",
        )),
    }
}

/// Reads a request's fields with the core's validated types; errors read
/// `"<field>: <rule>"`, the text the sandbox puts in `errMsg`/`errInfo`.
pub(crate) struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The field as a string: `None` when absent or `null`; an error when it is not a string.
    pub fn text(&self, name: &str) -> Result<Option<&'a str>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("{name}: must be a string")),
        }
    }

    /// A required, non-empty string.
    pub fn required_text(&self, name: &str) -> Result<&'a str, String> {
        self.text(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("{name}: is required"))
    }

    /// A required field of a validated type (`Mid`, `Nonce`, …).
    pub fn required<T: FromStr<Err = InvalidField>>(&self, name: &str) -> Result<T, String> {
        self.required_text(name)?.parse().map_err(rule)
    }

    /// An optional field of a validated type.
    pub fn optional<T: FromStr<Err = InvalidField>>(
        &self,
        name: &str,
    ) -> Result<Option<T>, String> {
        self.text(name)?.map(str::parse).transpose().map_err(rule)
    }
}

fn rule(e: InvalidField) -> String {
    format!("{}: {}", e.field, e.rule)
}

/// An amount in fen as the answer spells it: a JSON number (what real responses send), or a
/// numeric string (what the official documentation's example shows).
#[derive(Clone, Copy)]
pub(crate) struct Amount {
    pub fen: u64,
    pub as_string: bool,
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.as_string {
            s.collect_str(&self.fen)
        } else {
            s.serialize_u64(self.fen)
        }
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinaums::{Mid, MsgId};
    use serde_json::json;

    #[test]
    fn fields_name_the_field_and_the_rule() {
        let body = json!({"mid": "8982016", "tid": 1, "empty": "", "msgId": "m"});
        let fields = Fields(body.as_object().unwrap());
        assert_eq!(
            fields.required::<Mid>("mid").unwrap_err(),
            "mid: must be exactly 15 characters, got 7"
        );
        assert_eq!(
            fields.required_text("tid").unwrap_err(),
            "tid: must be a string"
        );
        assert_eq!(
            fields.required_text("empty").unwrap_err(),
            "empty: is required"
        );
        assert_eq!(
            fields.required_text("nope").unwrap_err(),
            "nope: is required"
        );
        assert_eq!(
            fields.optional::<MsgId>("msgId").unwrap().unwrap().as_str(),
            "m"
        );
        assert!(fields.optional::<MsgId>("srcReserve").unwrap().is_none());
    }

    #[test]
    fn amounts_are_numbers_or_numeric_strings() {
        let n = Amount {
            fen: 100,
            as_string: false,
        };
        let s = Amount {
            fen: 100,
            as_string: true,
        };
        assert_eq!(serde_json::to_string(&n).unwrap(), "100");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"100\"");
    }

    #[test]
    fn rejections_are_gateway_json() {
        let r = reject(StatusCode::NOT_FOUND, "NOT_FOUND", "x");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()[header::CONTENT_TYPE], JSON);
        assert_eq!(r.body(), br#"{"errCode":"NOT_FOUND","errInfo":"x"}"#);
    }
}
