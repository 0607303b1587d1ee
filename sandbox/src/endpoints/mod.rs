//! One file per endpoint, each with its request reading, its logic and its answers as serde
//! structs; and what they share: the exchange they answer, JSON replies, field reading.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use chinaums::timestamps::{parse_auth_timestamp, request_timestamp};
use chinaums::{
    Fen, InstMid, InvalidField, MerOrderId, Mid, MsgId, PlatformTime, SrcReserve, Tid, TradeStatus,
};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::Order;
use crate::auth::within;
use crate::book::Refusal;
use crate::gateway::{Config, State};

pub(crate) mod bill;
pub(crate) mod bills_close_qrcode;
pub(crate) mod bills_get_qrcode;
pub(crate) mod bills_query;
pub(crate) mod bills_query_qrcode_info;
pub(crate) mod bills_refund;
pub(crate) mod bills_update_qrcode;
pub(crate) mod close;
pub(crate) mod creation;
pub(crate) mod h5_trade_pay;
pub(crate) mod h5_uac_order;
pub(crate) mod h5_wx_to_minipay;
pub(crate) mod h5_wxpay;
pub(crate) mod query;
pub(crate) mod refund;
pub(crate) mod refund_query;
pub(crate) mod secure_cancel;
pub(crate) mod secure_complete;
pub(crate) mod sub_orders_confirm;
pub(crate) mod token;
pub(crate) mod trade_app_pre_order;
pub(crate) mod trade_create;
pub(crate) mod uac_app_order;
pub(crate) mod uac_mini_order;
pub(crate) mod webpay;
pub(crate) mod wx_app_pre_close;
pub(crate) mod wx_app_pre_order;
pub(crate) mod wx_unified_order;

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
    /// The values of the route's `{…}` path segments, in order.
    pub params: &'a [String],
    /// For an OPEN-FORM-PARAM route: the verified `content` (the business JSON).
    pub content: Option<&'a str>,
    /// The sandbox's own URL (`http://127.0.0.1:PORT`), for the links it hands out.
    pub base_url: &'a str,
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

    /// A required amount in fen: a JSON integer, or a string of digits (the official
    /// samples send `"refundAmount":"1"`, and the platform takes it), read by the core's
    /// [`Fen`].
    pub fn amount(&self, name: &str) -> Result<Fen, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(format!("{name}: is required")),
            Some(Value::String(s)) if s.is_empty() => Err(format!("{name}: is required")),
            Some(value) => Fen::deserialize(value).map_err(|_| {
                format!("{name}: must be an amount in fen (a non-negative integer or a string of digits)")
            }),
        }
    }

    /// An optional amount in fen.
    pub fn optional_amount(&self, name: &str) -> Result<Option<Fen>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.amount(name).map(Some),
        }
    }

    /// A flag: `true`/`false`, or the strings `"true"`/`"false"` (official samples quote
    /// everything); absent or `null` is `false`.
    pub fn flag(&self, name: &str) -> Result<bool, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" => Ok(true),
            Some(Value::String(s)) if s == "false" || s.is_empty() => Ok(false),
            Some(_) => Err(format!("{name}: must be true or false")),
        }
    }

    /// A required count (`quantity`): a positive JSON integer or a string of digits.
    pub fn count(&self, name: &str) -> Result<u64, String> {
        let n = match self.0.get(name) {
            None | Some(Value::Null) => return Err(format!("{name}: is required")),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            Some(_) => None,
        };
        n.filter(|n| *n > 0)
            .ok_or_else(|| format!("{name}: must be a whole number more than zero"))
    }

    /// Optional free text of at most `max` characters, without control characters.
    pub fn short_text(&self, name: &str, max: usize) -> Result<Option<&'a str>, String> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        if text.chars().any(char::is_control) {
            return Err(format!("{name}: must not contain control characters"));
        }
        let len = text.chars().count();
        if len > max {
            return Err(format!(
                "{name}: must be at most {max} characters, got {len}"
            ));
        }
        Ok(Some(text))
    }

    /// A list of objects (`subOrders`), each read by `item` with its own fields; errors name
    /// the element: `subOrders[0].mid: …`. Absent or `null` is an empty list.
    pub fn objects<T>(
        &self,
        name: &str,
        item: impl Fn(&Fields<'_>) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let items = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(format!("{name}: must be an array")),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, value)| match value {
                Value::Object(fields) => {
                    item(&Fields(fields)).map_err(|e| format!("{name}[{i}].{e}"))
                }
                _ => Err(format!("{name}[{i}]: must be an object")),
            })
            .collect()
    }
}

fn rule(e: InvalidField) -> String {
    format!("{}: {}", e.field, e.rule)
}

/// `requestTimestamp` in the documented `yyyy-MM-dd HH:mm:ss` or in the compact
/// `yyyyMMddHHmmss` that some maintained clients send (and the platform accepts).
pub(crate) fn request_time(text: &str) -> Option<SystemTime> {
    let documented = || {
        (text.len() == 19)
            .then(|| PlatformTime::from(text).to_offset_date_time())
            .flatten()
    };
    documented()
        .or_else(|| parse_auth_timestamp(text))
        .map(SystemTime::from)
}

/// The fields every request about one order sends (the official field table's rules, with
/// the core's validated types), in the order they are checked.
pub(crate) struct OrderRequest {
    pub request_timestamp: SystemTime,
    pub mid: Mid,
    pub tid: Tid,
    pub inst_mid: InstMid,
    pub mer_order_id: MerOrderId,
    pub msg_id: Option<MsgId>,
    pub src_reserve: Option<SrcReserve>,
}

impl OrderRequest {
    pub fn read(fields: &Fields<'_>) -> Result<OrderRequest, String> {
        let stamp = fields.required_text("requestTimestamp")?;
        let request_timestamp = request_time(stamp).ok_or_else(|| {
            "requestTimestamp: must be yyyy-MM-dd HH:mm:ss (or yyyyMMddHHmmss)".to_owned()
        })?;
        Ok(OrderRequest {
            request_timestamp,
            mid: fields.required("mid")?,
            tid: fields.required("tid")?,
            inst_mid: fields.required("instMid")?,
            mer_order_id: fields.required("merOrderId")?,
            msg_id: fields.optional("msgId")?,
            src_reserve: fields.optional("srcReserve")?,
        })
    }

    /// The order this request is about: same `mid` and `merOrderId`, and the `instMid` it was
    /// created with (another one does not find it, as on the platform).
    pub fn order<'b>(&self, state: &'b State) -> Option<&'b Order> {
        state
            .book
            .get(self.mid.as_str(), self.mer_order_id.as_str())
            .filter(|o| o.inst_mid == self.inst_mid.as_str())
    }

    /// The fields every answer about the order starts with.
    pub fn echo(&self, err_code: &'static str, err_msg: String, now: SystemTime) -> Echo<'_> {
        Echo {
            err_code,
            err_msg,
            response_timestamp: request_timestamp(now),
            mid: self.mid.as_str(),
            tid: self.tid.as_str(),
            inst_mid: self.inst_mid.as_str(),
            msg_id: self.msg_id.as_ref().map_or("", MsgId::as_str),
            src_reserve: self.src_reserve.as_ref().map_or("", SrcReserve::as_str),
            mer_order_id: self.mer_order_id.as_str(),
        }
    }

    /// A business refusal that echoes the request: HTTP 200, `errCode`, `errMsg`.
    pub fn refuse(&self, err_code: &'static str, err_msg: String, now: SystemTime) -> Reply {
        json(StatusCode::OK, &self.echo(err_code, err_msg, now))
    }

    /// The order book's refusal, with its code and message.
    pub fn refused(&self, refusal: &Refusal, now: SystemTime) -> Reply {
        self.refuse(refusal.code(), refusal.to_string(), now)
    }
}

/// Reads an order request: the body as a JSON object, the common fields, the operation's own
/// (`own`), then `requestTimestamp`'s freshness. The request, or the answer refusing it.
#[expect(
    clippy::result_large_err,
    reason = "the rejection is the response itself, built at most once per request"
)]
pub(crate) fn read_order_request<T>(
    exchange: &Exchange<'_>,
    own: impl FnOnce(&Fields<'_>) -> Result<T, String>,
) -> Result<(OrderRequest, T), Reply> {
    let fields = object(exchange.request.body())?;
    let now = exchange.now;
    let fields = Fields(&fields);
    let read = OrderRequest::read(&fields).and_then(|common| Ok((common, own(&fields)?)));
    let (request, own) = read.map_err(|msg| business_error("BAD_REQUEST", msg, now))?;
    if !within(request.request_timestamp, now, exchange.config.max_skew) {
        return Err(business_error(
            "ABNORMAL_REQUEST_TIME",
            "请求时间异常: requestTimestamp differs too much from the platform's time",
            now,
        ));
    }
    Ok((request, own))
}

/// What every answer about an order starts with: the envelope and the echoed request fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Echo<'a> {
    pub err_code: &'static str,
    pub err_msg: String,
    pub response_timestamp: String,
    pub mid: &'a str,
    pub tid: &'a str,
    pub inst_mid: &'a str,
    pub msg_id: &'a str,
    pub src_reserve: &'a str,
    pub mer_order_id: &'a str,
}

/// The order's fields that answers about it report (close, guarantee, split).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderFields<'a> {
    pub status: &'a str,
    pub total_amount: Amount,
    pub target_sys: &'a str,
    pub target_status: &'static str,
    pub seq_id: String,
    pub mer_name: &'static str,
}

/// The merchant name every answer reports.
pub(crate) const MER_NAME: &str = "银联商务沙箱测试商户";

impl<'a> OrderFields<'a> {
    pub fn of(order: &'a Order, as_string: bool) -> OrderFields<'a> {
        OrderFields {
            status: order.status.as_str(),
            total_amount: Amount::new(order.total_amount, as_string),
            target_sys: order.target_sys.as_deref().unwrap_or_default(),
            target_status: target_status(&order.status),
            seq_id: seq_id(&order.mer_order_id),
            mer_name: MER_NAME,
        }
    }
}

/// Whether this order's amounts are answered as strings.
pub(crate) fn as_string(order: &Order, config: &Config) -> bool {
    order.amounts_as_strings || config.amounts_as_strings
}

/// The channel's status text for an order status, as the platform reports it.
pub(crate) fn target_status(status: &TradeStatus) -> &'static str {
    match status {
        TradeStatus::TradeSuccess => "SUCCESS|SUCCESS",
        TradeStatus::TradeRefund => "REFUND|REFUND",
        TradeStatus::TradeClosed => "CLOSED|CLOSED",
        _ => "",
    }
}

/// A stable pseudo-random number from an id (FNV-1a), for serial numbers.
pub(crate) fn fingerprint(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The platform's serial number (`seqId`, `settleRefId`) of an order.
pub(crate) fn seq_id(mer_order_id: &str) -> String {
    format!("{:014}", fingerprint(mer_order_id) % 100_000_000_000_000)
}

/// An amount in fen as the answer spells it: a JSON number (what real responses send), or a
/// numeric string (what the official documentation's example shows).
#[derive(Clone, Copy)]
pub(crate) struct Amount {
    pub fen: u64,
    pub as_string: bool,
}

impl Amount {
    pub fn new(fen: Fen, as_string: bool) -> Amount {
        Amount {
            fen: fen.get(),
            as_string,
        }
    }
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
