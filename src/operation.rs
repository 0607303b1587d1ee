//! The shape every API operation has, and the raw escape hatch.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use time::PrimitiveDateTime;

use crate::error::{ConfigErrorKind, Error, ErrorClass, InvalidField};
use crate::netpay::common::FollowUp;

/// One platform API operation: where it goes, what it sends, what comes back.
///
/// Implementing it is declarative: the operation is a `Serialize` struct of its own fields (the
/// client wraps them in the common envelope, `requestTimestamp` first), a `PATH`, checks its
/// field types cannot express, and its answer type. Signing, sending and error handling are the
/// client's and the adapters'.
pub trait Operation: Serialize {
    /// The URL path, e.g. `/v1/netpay/query`.
    const PATH: &'static str;

    /// The decoded success answer.
    type Response: Reply;

    /// Checks the rules the field types cannot carry (a sum of amounts, a field needed only
    /// with another). Runs before anything is signed. Default: nothing more to check.
    fn validate(&self) -> Result<(), InvalidField> {
        Ok(())
    }

    /// The `requestTimestamp` the caller chose (Beijing wall-clock time); `None`, the default,
    /// takes the client's clock.
    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        None
    }

    /// The URL path; [`Self::PATH`] unless the operation chooses it at run time.
    fn path(&self) -> &str {
        Self::PATH
    }

    /// The body bytes to sign and send: the common envelope with `request_timestamp` first and
    /// this operation's fields flattened in. Override only to send a body of another shape.
    fn encode(&self, request_timestamp: &str) -> Result<Vec<u8>, Error> {
        encode_enveloped(self, request_timestamp)
    }

    /// What to ask when this operation's outcome is unknown (a timeout after sending, an
    /// unreadable answer, an ambiguous code): an error of class
    /// [`OutcomeUnknown`](ErrorClass::OutcomeUnknown) then carries it
    /// ([`Error::follow_up`]). `None`, the default, for operations that are safe to repeat
    /// as they are (queries).
    fn follow_up(&self) -> Option<FollowUp> {
        None
    }

    /// What an `errCode` means for this operation, where it differs from the platform-wide
    /// table (`DUP_ORDER` on an order creation, `OPERATION_NOT_ALLOWED` on a close); `None`
    /// keeps the platform-wide class. The default: none of its own.
    fn classify(err_code: &str, status: http::StatusCode) -> Option<ErrorClass>
    where
        Self: Sized,
    {
        let _ = (err_code, status);
        None
    }
}

/// The common envelope around `op`'s fields: `{"requestTimestamp":"…",` then the operation's
/// own JSON object spliced in after its `{`. The same bytes as serializing a struct with the
/// operation flattened into it, without serde's flattening machinery (this runs on every call).
pub(crate) fn encode_enveloped<O: Serialize + ?Sized>(
    op: &O,
    request_timestamp: &str,
) -> Result<Vec<u8>, Error> {
    let failed = |why: String| {
        Error::config(
            ConfigErrorKind::Request,
            format!("cannot serialize the request body: {why}"),
        )
    };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"requestTimestamp\":");
    serde_json::to_writer(&mut out, request_timestamp).map_err(|e| failed(e.to_string()))?;
    let start = out.len();
    serde_json::to_writer(&mut out, op).map_err(|e| failed(e.to_string()))?;
    let no_fields = &out[start..] == b"{}" || &out[start..] == b"null";
    match (out.get(start), out.last()) {
        // `{}`, or a unit struct: no fields of its own.
        _ if no_fields => {
            out.truncate(start);
            out.push(b'}');
        }
        (Some(b'{'), Some(b'}')) => out[start] = b',',
        _ => {
            return Err(failed(
                "an operation must serialize as a JSON object".into(),
            ));
        }
    }
    Ok(out)
}

/// A payment the payer's browser opens: a GET URL signed with OPEN-FORM-PARAM (the H5 cashier
/// redirects), built by [`Client::redirect_url`](crate::Client::redirect_url). The operation's
/// fields, after the common `requestTimestamp`, are the URL's `content`.
pub trait Redirect: Serialize {
    /// The URL path, e.g. `/v1/netpay/trade/h5-pay`.
    const PATH: &'static str;

    /// Checks the rules the field types cannot carry; runs before anything is signed.
    fn validate(&self) -> Result<(), InvalidField> {
        Ok(())
    }

    /// The `requestTimestamp` the caller chose (Beijing wall-clock time); `None` takes the
    /// client's clock.
    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        None
    }
}

/// A decoded platform reply: it knows its `errCode` and message. Plain data that can move
/// between threads, so any adapter can hand it back from a spawned task.
pub trait Reply: DeserializeOwned + Send + 'static {
    /// The `errCode` that means success (`SUCCESS` on business APIs, `0000` on the token API).
    const SUCCESS_CODE: &'static str = "SUCCESS";

    /// The `errCode`, if present.
    fn err_code(&self) -> Option<&str>;

    /// `errMsg` or `errInfo`, whichever is non-empty.
    fn err_message(&self) -> Option<&str>;

    /// Whether a success answer is usable, e.g. an order creation answer that carries its pay
    /// request. `Err(why)` turns the success into a decode error whose outcome is unknown:
    /// the platform may have acted, but the answer cannot be relied on. Default: usable.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Any JSON body to any path, for endpoints the SDK does not wrap yet.
///
/// The body is serialized once and those bytes are signed and sent. The reply is checked for
/// `errCode: SUCCESS` like any other; its fields are returned as they came.
///
/// ```
/// use chinaums::{Client, Credentials, Environment, RawOperation};
/// use serde_json::json;
///
/// let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
/// let refund_query = RawOperation::new(
///     "/v1/netpay/refund-query",
///     json!({"requestTimestamp": "2024-01-01 12:00:00", "mid": "898201612345678",
///            "tid": "88880001", "instMid": "YUEDANDEFAULT", "merOrderId": "3194202401011200000001"}),
/// );
/// let request = client.prepare(&refund_query)?; // signed like any other operation
/// assert_eq!(request.uri().path(), "/v1/netpay/refund-query");
///
/// let response = http::Response::new(br#"{"errCode":"SUCCESS","refundStatus":"SUCCESS"}"#.to_vec());
/// let answer = client.parse::<RawOperation>(&response)?;
/// assert_eq!(answer.0["refundStatus"], "SUCCESS");
/// # Ok::<(), chinaums::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RawOperation {
    /// The URL path, e.g. `/v1/netpay/refund-query`.
    pub path: String,
    /// The JSON body.
    pub body: Value,
}

impl RawOperation {
    /// A raw operation.
    pub fn new(path: impl Into<String>, body: Value) -> Self {
        RawOperation {
            path: path.into(),
            body,
        }
    }
}

impl Serialize for RawOperation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

impl Operation for RawOperation {
    /// Unused: a raw operation's path is chosen at run time ([`Operation::path`]).
    const PATH: &'static str = "";
    type Response = RawResponse;

    fn path(&self) -> &str {
        &self.path
    }

    /// The body exactly as given: no envelope is added, so it must carry its own
    /// `requestTimestamp`.
    fn encode(&self, _request_timestamp: &str) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(&self.body).map_err(|e| {
            Error::config(
                ConfigErrorKind::Request,
                format!("cannot serialize the request body: {e}"),
            )
        })
    }
}

/// The fields of a successful raw reply.
///
/// A reply that repeats a key is refused as corrupted (a decode error, outcome unknown): with
/// no schema, any key may be the one the caller decides on, and a JSON map would silently keep
/// only the last value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct RawResponse(pub Map<String, Value>);

impl<'de> Deserialize<'de> for RawResponse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = RawResponse;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawResponse, A::Error> {
                let mut fields = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Value = map.next_value()?;
                    if fields.contains_key(&key) {
                        return Err(serde::de::Error::custom(format_args!(
                            "`{key}` appears more than once"
                        )));
                    }
                    fields.insert(key, value);
                }
                Ok(RawResponse(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}

impl Reply for RawResponse {
    fn err_code(&self) -> Option<&str> {
        self.0.get("errCode").and_then(Value::as_str)
    }

    fn err_message(&self) -> Option<&str> {
        ["errMsg", "errInfo"]
            .into_iter()
            .filter_map(|k| self.0.get(k).and_then(Value::as_str))
            .find(|m| !m.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Flattened<'a, O: Serialize> {
        #[serde(rename = "requestTimestamp")]
        request_timestamp: &'a str,
        #[serde(flatten)]
        op: &'a O,
    }

    /// The splice gives exactly what serde's flattening gives, including for no fields, and
    /// refuses what is not a JSON object.
    #[test]
    fn the_envelope_splice_is_serde_flattening() {
        #[derive(Serialize)]
        struct Empty {}
        #[derive(Serialize)]
        struct Unit;
        #[derive(Serialize)]
        struct Some {
            a: u8,
            #[serde(rename = "b\"q")]
            b: &'static str,
            c: Vec<u8>,
        }
        let ts = "2024-01-01 12:00:00";
        let expect = |op: &dyn erased::Op| op.flattened(ts);
        for (got, want) in [
            (encode_enveloped(&Empty {}, ts).unwrap(), expect(&Empty {})),
            (encode_enveloped(&Unit, ts).unwrap(), expect(&Unit)),
            (
                encode_enveloped(
                    &Some {
                        a: 1,
                        b: "x\"}",
                        c: vec![1, 2],
                    },
                    ts,
                )
                .unwrap(),
                expect(&Some {
                    a: 1,
                    b: "x\"}",
                    c: vec![1, 2],
                }),
            ),
        ] {
            assert_eq!(String::from_utf8(got).unwrap(), want);
        }
        assert!(encode_enveloped(&7u8, ts).is_err());
        assert!(encode_enveloped(&vec![1u8], ts).is_err());
    }

    mod erased {
        use super::*;
        pub(super) trait Op {
            fn flattened(&self, ts: &str) -> String;
        }
        impl<T: Serialize> Op for T {
            fn flattened(&self, ts: &str) -> String {
                serde_json::to_string(&Flattened {
                    request_timestamp: ts,
                    op: self,
                })
                .unwrap()
            }
        }
    }
}
