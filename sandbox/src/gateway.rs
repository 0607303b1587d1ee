//! What the gateway answers: routing, authentication, the query and the token endpoint.
//!
//! The real gateway's codes for authentication failures are undocumented; the ones here are
//! the sandbox's choice (see the crate README).

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use chinaums::auth::{body_sig, token};
use chinaums::types::ids;
use chinaums::types::time::{is_auth_timestamp, parse_auth_timestamp, request_timestamp};
use chinaums::{Fen, NonceSource as _, PlatformTime, TradeStatus};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::http::{Head, Response};
use crate::state::{Shared, constant_time_eq};
use crate::{Order, QUERY_PATH, TOKEN_LIFETIME, TOKEN_PATH};

/// Which endpoint a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Query,
    Token,
    Unknown,
}

impl Route {
    pub fn of(path: &str) -> Route {
        match path {
            QUERY_PATH => Route::Query,
            TOKEN_PATH => Route::Token,
            _ => Route::Unknown,
        }
    }
}

/// A JSON object whose fields keep the order they were added in.
struct Obj(Vec<(&'static str, Value)>);

impl Obj {
    fn new() -> Self {
        Obj(Vec::with_capacity(48))
    }

    fn set(&mut self, key: &'static str, value: impl Into<Value>) -> &mut Self {
        self.0.push((key, value.into()));
        self
    }

    fn to_bytes(&self) -> Vec<u8> {
        // Serializing strings and numbers into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A gateway rejection: `{"errCode":…,"errInfo":…}` with an HTTP error status.
fn reject(status: u16, code: &str, info: impl Into<String>) -> Response {
    let mut obj = Obj::new();
    obj.set("errCode", code).set("errInfo", info.into());
    Response::json(status, obj.to_bytes())
}

/// Answers that the HTTP layer produces itself (bad framing, oversized bodies, limits).
pub(crate) fn framing_error(status: u16, why: &str) -> Response {
    let code = match status {
        413 => "BODY_TOO_LARGE",
        431 => "HEADERS_TOO_LARGE",
        501 => "NOT_IMPLEMENTED",
        503 => "SERVICE_UNAVAILABLE",
        _ => "BAD_REQUEST",
    };
    reject(status, code, why)
}

/// |a − b| ≤ max.
fn within(a: SystemTime, b: SystemTime, max: std::time::Duration) -> bool {
    let diff = a.duration_since(b).unwrap_or_else(|e| e.duration());
    diff <= max
}

impl Shared {
    /// The answer to one fully read request.
    pub(crate) fn handle(&self, head: &Head, route: Route, body: &[u8]) -> Response {
        if route == Route::Unknown {
            return reject(
                404,
                "NOT_FOUND",
                format!("服务不存在: no such service {}", head.path),
            );
        }
        if head.method != "POST" {
            let mut r = reject(
                405,
                "METHOD_NOT_ALLOWED",
                format!("only POST is allowed, not {}", head.method),
            );
            r.headers.push(("Allow", "POST".into()));
            return r;
        }
        match route {
            Route::Token => self.token(body),
            _ => self.business(head, body),
        }
    }

    /// Authentication, then the JSON shape, then the operation.
    fn business(&self, head: &Head, body: &[u8]) -> Response {
        if let Err(rejection) = self.authenticate(head, body) {
            return rejection;
        }
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return reject(
                400,
                "BAD_REQUEST",
                "报文格式错误: the body is not a JSON object",
            );
        };
        self.query(&fields)
    }

    fn authenticate(&self, head: &Head, body: &[u8]) -> Result<(), Response> {
        let malformed = |why: &str| reject(401, "1001", format!("认证失败: {why}"));
        let mut values = head.values("authorization");
        let value = match (values.next(), values.next()) {
            (None, _) => return Err(malformed("the Authorization header is missing")),
            (Some(_), Some(_)) => return Err(malformed("more than one Authorization header")),
            (Some(v), None) => v,
        };
        let value = std::str::from_utf8(value)
            .map_err(|_| malformed("the Authorization header is not UTF-8"))?;
        if value.starts_with(token::SCHEME) {
            let token = token::parse_header(value)
                .ok_or_else(|| malformed("malformed OPEN-ACCESS-TOKEN header"))?;
            if !self.token_is_valid(&self.app_id, token) {
                return Err(reject(
                    401,
                    "INVALID_TOKEN",
                    "认证失败: AccessToken无效或已过期",
                ));
            }
            return Ok(());
        }
        let parsed = body_sig::parse_header(value).map_err(|e| malformed(&e.to_string()))?;
        if parsed.app_id != self.app_id {
            return Err(reject(
                401,
                "1002",
                format!("认证失败: AppId不存在 ({})", parsed.app_id),
            ));
        }
        if !is_auth_timestamp(&parsed.timestamp) {
            return Err(reject(412, "1000", "Timestamp解析失败"));
        }
        let at = parse_auth_timestamp(&parsed.timestamp).map(SystemTime::from);
        if !at.is_some_and(|at| within(at, self.now(), self.max_skew)) {
            return Err(reject(
                401,
                "ABNORMAL_REQUEST_TIME",
                "认证失败: Timestamp与系统时间相差过大",
            ));
        }
        if !body_sig::verify(&parsed, &self.app_key, body) {
            return Err(reject(
                401,
                "BAD_SIGN",
                "认证失败: 签名错误 (signature does not match the body)",
            ));
        }
        Ok(())
    }

    /// `POST /v1/netpay/query`.
    fn query(&self, fields: &Map<String, Value>) -> Response {
        let now = self.now();
        let answer_time = request_timestamp(now);
        let business_error = |code: &str, msg: String| {
            let mut obj = Obj::new();
            obj.set("errCode", code)
                .set("errMsg", msg)
                .set("responseTimestamp", answer_time.clone());
            Response::json(200, obj.to_bytes())
        };
        let request = match QueryRequest::read(fields) {
            Ok(request) => request,
            Err(msg) => return business_error("BAD_REQUEST", msg),
        };
        let sent_at = PlatformTime::from(request.request_timestamp.as_str())
            .to_offset_date_time()
            .map(SystemTime::from);
        if !sent_at.is_some_and(|at| within(at, now, self.max_skew)) {
            return business_error(
                "ABNORMAL_REQUEST_TIME",
                "请求时间异常: requestTimestamp differs too much from the platform's time".into(),
            );
        }
        let order = self
            .order(&request.mid, &request.mer_order_id)
            .filter(|o| o.inst_mid == request.inst_mid);
        let mut obj = Obj::new();
        let Some(order) = order else {
            obj.set("errCode", "NO_ORDER")
                .set("errMsg", "订单不存在")
                .set("responseTimestamp", answer_time)
                .set("mid", request.mid.as_str())
                .set("tid", request.tid.as_str())
                .set("instMid", request.inst_mid.as_str())
                .set("msgId", request.msg_id.unwrap_or_default())
                .set("srcReserve", request.src_reserve.unwrap_or_default())
                .set("merOrderId", request.mer_order_id.as_str());
            return Response::json(200, obj.to_bytes());
        };
        success_fields(&mut obj, &order, &request, answer_time);
        Response::json(200, obj.to_bytes())
    }

    /// `POST /v1/token/access`.
    fn token(&self, body: &[u8]) -> Response {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return reject(
                400,
                "BAD_REQUEST",
                "报文格式错误: the body is not a JSON object",
            );
        };
        let refuse = |code: &str, info: String| {
            let mut obj = Obj::new();
            obj.set("errCode", code).set("errInfo", info);
            Response::json(200, obj.to_bytes())
        };
        let get = |name: &str| match fields.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
            Some(Value::String(_)) | None => {
                Err(refuse("BAD_REQUEST", format!("{name}: is required")))
            }
            Some(_) => Err(refuse("BAD_REQUEST", format!("{name}: must be a string"))),
        };
        let (app_id, timestamp, nonce, sign_method, signature) = match (
            get("appId"),
            get("timestamp"),
            get("nonce"),
            get("signMethod"),
            get("signature"),
        ) {
            (Ok(a), Ok(t), Ok(n), Ok(m), Ok(s)) => (a, t, n, m, s),
            (a, t, n, m, s) => {
                return [a.err(), t.err(), n.err(), m.err(), s.err()]
                    .into_iter()
                    .flatten()
                    .next()
                    .unwrap_or_else(|| refuse("BAD_REQUEST", "bad request".into()));
            }
        };
        if !sign_method.eq_ignore_ascii_case(token::SIGN_METHOD) {
            return refuse(
                "BAD_REQUEST",
                format!("signMethod: the sandbox supports only SHA256, not {sign_method}"),
            );
        }
        if app_id != self.app_id {
            return refuse("1002", format!("AppId不存在 ({app_id})"));
        }
        if !is_auth_timestamp(timestamp) {
            return refuse("1000", "Timestamp解析失败".into());
        }
        let at = parse_auth_timestamp(timestamp).map(SystemTime::from);
        if !at.is_some_and(|at| within(at, self.now(), self.max_skew)) {
            return refuse(
                "ABNORMAL_REQUEST_TIME",
                "timestamp与系统时间相差过大".into(),
            );
        }
        let expected = token::signature(app_id, timestamp, nonce, &self.app_key);
        if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            return refuse("BAD_SIGN", "签名错误: signature does not match".into());
        }
        // 32 lowercase hex characters from the OS CSPRNG: the core's nonce source.
        let Ok(access_token) = chinaums::RandomNonce.nonce() else {
            return reject(500, "INTERNAL_ERROR", "cannot draw a random token");
        };
        self.add_token(app_id, access_token.clone());
        self.token_fetches.fetch_add(1, Ordering::SeqCst);
        let mut obj = Obj::new();
        obj.set("errCode", "0000")
            .set("errInfo", "正常")
            .set("accessToken", access_token)
            .set("expiresIn", TOKEN_LIFETIME.as_secs());
        Response::json(200, obj.to_bytes())
    }
}

/// The fields of a query request, checked against the official documentation's field table.
struct QueryRequest {
    request_timestamp: String,
    mid: String,
    tid: String,
    inst_mid: String,
    mer_order_id: String,
    msg_id: Option<String>,
    src_reserve: Option<String>,
}

impl QueryRequest {
    fn read(fields: &Map<String, Value>) -> Result<QueryRequest, String> {
        let text = |name: &str| -> Result<Option<String>, String> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("{name}: must be a string")),
            }
        };
        let required = |name: &str| -> Result<String, String> {
            text(name)?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("{name}: is required"))
        };
        let rule = |e: chinaums::InvalidField| format!("{}: {}", e.field, e.rule);
        let request_timestamp = required("requestTimestamp")?;
        if request_timestamp.len() != 19
            || PlatformTime::from(request_timestamp.as_str())
                .to_offset_date_time()
                .is_none()
        {
            return Err("requestTimestamp: must be yyyy-MM-dd HH:mm:ss".into());
        }
        let mid = required("mid")?;
        ids::mid(&mid).map_err(rule)?;
        let tid = required("tid")?;
        ids::tid(&tid).map_err(rule)?;
        let inst_mid = required("instMid")?;
        ids::inst_mid(&inst_mid).map_err(rule)?;
        let mer_order_id = required("merOrderId")?;
        ids::mer_order_id(&mer_order_id).map_err(rule)?;
        let msg_id = text("msgId")?;
        if let Some(m) = &msg_id {
            ids::msg_id(m).map_err(rule)?;
        }
        let src_reserve = text("srcReserve")?;
        if let Some(s) = &src_reserve {
            ids::src_reserve(s).map_err(rule)?;
        }
        if let Some(t) = text("targetOrderId")? {
            ids::text("targetOrderId", &t, 64).map_err(rule)?;
        }
        Ok(QueryRequest {
            request_timestamp,
            mid,
            tid,
            inst_mid,
            mer_order_id,
            msg_id,
            src_reserve,
        })
    }
}

/// A stable pseudo-random number from an order id (FNV-1a), for serial numbers.
fn fingerprint(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The success answer: the official documentation's example field set, in its order, plus
/// `connectSys`
/// (and `refundAmount` when the order has one).
fn success_fields(obj: &mut Obj, order: &Order, request: &QueryRequest, answer_time: String) {
    let amount = |fen: Fen| -> Value {
        if order.amounts_as_strings {
            Value::String(fen.get().to_string())
        } else {
            Value::from(fen.get())
        }
    };
    let paid = matches!(
        order.status,
        TradeStatus::TradeSuccess | TradeStatus::TradeRefund
    );
    let total = order.total_amount;
    let paid_amount = if paid { total } else { Fen::ZERO };
    let seq = fingerprint(&order.mer_order_id);
    let seq_id = format!("{:014}", seq % 100_000_000_000_000);
    let target_sys = order.target_sys.clone().unwrap_or_default();
    let pay_time = order.pay_time.clone().unwrap_or_default();
    let settle_date = pay_time.get(..10).unwrap_or_default().to_owned();
    let (bill_funds, bill_funds_desc, target_order_id) = if paid {
        (
            format!("现金:{}", total.get()),
            format!("现金支付{total}元"),
            format!("4200{:024}", seq),
        )
    } else {
        (String::new(), String::new(), String::new())
    };
    let target_status = match order.status {
        TradeStatus::TradeSuccess => "SUCCESS|SUCCESS",
        TradeStatus::TradeRefund => "REFUND|REFUND",
        TradeStatus::TradeClosed => "CLOSED|CLOSED",
        _ => "",
    };
    obj.set("errCode", "SUCCESS")
        .set("errMsg", "")
        .set("responseTimestamp", answer_time)
        .set("mid", request.mid.as_str())
        .set("tid", request.tid.as_str())
        .set("instMid", request.inst_mid.as_str())
        .set("billFunds", bill_funds)
        .set("billFundsDesc", bill_funds_desc)
        .set("payTime", pay_time)
        .set("couponMerchantContribute", amount(Fen::ZERO))
        .set("couponOtherContribute", amount(Fen::ZERO))
        .set("msgId", request.msg_id.clone().unwrap_or_default())
        .set(
            "srcReserve",
            request.src_reserve.clone().unwrap_or_default(),
        )
        .set("attachedData", "")
        .set("seqId", seq_id.as_str())
        .set("settleRefId", seq_id.as_str())
        .set("refId", "")
        .set("status", order.status.as_str())
        .set("totalAmount", amount(total))
        .set("merName", "银联商务沙箱测试商户")
        .set("merOrderId", order.mer_order_id.as_str())
        .set("targetOrderId", target_order_id)
        .set("targetSys", target_sys)
        .set("targetStatus", target_status)
        .set("buyerId", "")
        .set("targetMid", "")
        .set("bankCardNo", "")
        .set("bankInfo", "")
        .set("buyerPayAmount", amount(paid_amount))
        .set("buyerUsername", "")
        .set("couponAmount", amount(Fen::ZERO))
        // The official documentation's example sends invoiceAmount as a number even when the
        // others are strings.
        .set("invoiceAmount", paid_amount.get())
        .set("receiptAmount", amount(paid_amount))
        .set("settleDate", settle_date)
        .set("subBuyerId", "")
        .set("activityIds", "")
        .set("yxlmAmount", amount(Fen::ZERO))
        .set("secureStatus", "")
        .set("authIdRespCd", "")
        .set("connectSys", "UNIONPAY");
    if let Some(refund) = order.refund_amount {
        obj.set("refundAmount", amount(refund));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::of("/v1/netpay/query"), Route::Query);
        assert_eq!(Route::of("/v1/token/access"), Route::Token);
        assert_eq!(Route::of("/v1/netpay/query/"), Route::Unknown);
        assert_eq!(Route::of("/"), Route::Unknown);
    }

    #[test]
    fn objects_keep_field_order() {
        let mut obj = Obj::new();
        obj.set("z", 1).set("a", "x").set("m", Value::Null);
        assert_eq!(obj.to_bytes(), br#"{"z":1,"a":"x","m":null}"#);
    }

    #[test]
    fn skew_is_symmetric() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000);
        let d = std::time::Duration::from_secs(10);
        assert!(within(t, t + d, d));
        assert!(within(t + d, t, d));
        assert!(!within(t, t + d + d, d));
        assert!(!within(t + d + d, t, d));
    }
}
