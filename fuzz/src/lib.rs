//! What the fuzz targets share: reading an input from its front, the raw view of a JSON body
//! the targets check the parsers against, and reference implementations of the signatures,
//! written here from the rules (not calling the core's code), so that a target compares the
//! core with an independent computation instead of with itself.

use hmac::{Hmac, Mac};
use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

// ---------------------------------------------------------------------------------------------
// Inputs

/// Reads a fuzz input from its front: fixed-size fields first, then the rest (a body), so that
/// a seed is a readable prefix followed by a file from the test data.
pub struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Cursor(data)
    }

    /// The next byte (0 once the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// The next four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// The next eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// Up to the next `\n` (not included; consumed), or the rest.
    pub fn line(&mut self) -> &'a [u8] {
        match self.0.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &self.0[..i];
                self.0 = &self.0[i + 1..];
                line
            }
            None => std::mem::take(&mut self.0),
        }
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// `NNN\n` then a body: the status and the body; any other input is a body answered with 200.
/// (So that a JSON file from the test data is an input as it is.)
pub fn status_and_body(data: &[u8]) -> (http::StatusCode, &[u8]) {
    if data.len() >= 4 && data[..3].iter().all(u8::is_ascii_digit) && data[3] == b'\n' {
        let code = data[..3]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        let status = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK);
        return (status, &data[4..]);
    }
    (http::StatusCode::OK, data)
}

/// A fixed instant: 2024-01-01 12:00:00 Beijing time.
pub const NOON_2024_UNIX: u64 = 1_704_081_600;

// ---------------------------------------------------------------------------------------------
// The raw view of a JSON body

/// A body as JSON, seen without any of the core's types: every top-level pair in order,
/// repeats kept.
#[derive(Debug)]
pub enum RawJson {
    /// Not one JSON value (bad UTF-8, a syntax error, a number out of range, trailing bytes).
    Unsound,
    /// Sound JSON, but not an object.
    NotObject,
    /// A JSON object's pairs, in order, repeats kept.
    Object(Vec<(String, Value)>),
}

impl RawJson {
    /// Reads `body`.
    pub fn of(body: &[u8]) -> RawJson {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return RawJson::Unsound;
        };
        if !value.is_object() {
            return RawJson::NotObject;
        }
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Vec<(String, Value)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    pairs.push((k, v));
                }
                Ok(pairs)
            }
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        match de.deserialize_map(Pairs) {
            Ok(pairs) => RawJson::Object(pairs),
            // Sound as a Value, so sound as pairs: anything else is a bug of this reader.
            Err(e) => panic!("the pairs reader disagrees with serde_json::Value: {e}"),
        }
    }

    /// Whether the body is sound JSON.
    pub fn is_sound(&self) -> bool {
        !matches!(self, RawJson::Unsound)
    }

    /// The top-level pairs (empty unless an object).
    pub fn pairs(&self) -> &[(String, Value)] {
        match self {
            RawJson::Object(pairs) => pairs,
            _ => &[],
        }
    }

    /// How many times `key` appears at the top level.
    pub fn count(&self, key: &str) -> usize {
        self.pairs().iter().filter(|(k, _)| k == key).count()
    }

    /// The value of `key` if it appears exactly once.
    pub fn once(&self, key: &str) -> Option<&Value> {
        let mut found = self.pairs().iter().filter(|(k, _)| k == key);
        match (found.next(), found.next()) {
            (Some((_, v)), None) => Some(v),
            _ => None,
        }
    }

    /// Whether `key` appears exactly once, as the string `value`.
    pub fn says(&self, key: &str, value: &str) -> bool {
        self.once(key).and_then(Value::as_str) == Some(value)
    }

    /// The last value of `key` as text (a string, or a number's JSON text), the way an error
    /// envelope reads it.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.pairs().iter().rev().find(|(k, _)| k == key)?.1 {
            Value::String(ref s) => Some(s.clone()),
            Value::Number(ref n) => Some(n.to_string()),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// References

/// Lowercase hex.
pub fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex in either case to bytes; `None` for anything else.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// OPEN-BODY-SIG (and OPEN-FORM-PARAM over the content):
/// `HMAC-SHA256(appKey, appId ‖ timestamp ‖ nonce ‖ lowercase_hex(SHA-256(body)))`.
pub fn body_sig_mac(
    app_key: &str,
    app_id: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let digest = lower_hex(&Sha256::digest(body));
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(app_key.as_bytes()).expect("any key length");
    mac.update(app_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(nonce.as_bytes());
    mac.update(digest.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Standard Base64 (with padding) to bytes, strictly.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// The notification rule's signed string: every field but `sign` with a non-empty value,
/// sorted by name in byte order, `k=v` joined by `&`, the key appended.
pub fn notify_signed_string(fields: &[(String, String)], key: &str) -> String {
    let mut kept: Vec<&(String, String)> = fields
        .iter()
        .filter(|(k, v)| k != "sign" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (i, (k, v)) in kept.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out.push_str(key);
    out
}

/// SHA-256 (or MD5) of `text`.
pub fn notify_digest(text: &str, md5: bool) -> Vec<u8> {
    if md5 {
        md5::Md5::digest(text.as_bytes()).to_vec()
    } else {
        Sha256::digest(text.as_bytes()).to_vec()
    }
}

/// An `application/x-www-form-urlencoded` body decoded once, byte by byte: pairs split on `&`
/// (empty ones skipped), name and value on the first `=`, `+` a space, `%XX` a byte (a broken
/// escape kept as it is). `None` if a name or value is not UTF-8 once decoded, or a name
/// repeats.
pub fn form_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    fn decode(raw: &[u8]) -> Option<String> {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                },
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).ok()
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode(name)?;
        let value = decode(value)?;
        if fields.iter().any(|(k, _)| *k == name) {
            return None;
        }
        fields.push((name, value));
    }
    Some(fields)
}

/// A JSON-object body's fields under the notification rule: strings as they are, any other
/// value as its JSON text exactly as sent. `None` unless a sound object without repeats.
pub fn json_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    use serde_json::value::RawValue;
    let text = std::str::from_utf8(body).ok()?;
    struct Pairs;
    impl<'de> Visitor<'de> for Pairs {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                let raw: Box<RawValue> = map.next_value()?;
                let v = match serde_json::from_str::<Value>(raw.get()) {
                    Ok(Value::String(s)) => s,
                    _ => raw.get().to_owned(),
                };
                pairs.push((k, v));
            }
            Ok(pairs)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let pairs = de.deserialize_map(Pairs).ok()?;
    de.end().ok()?;
    let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    Some(pairs)
}

/// The value of `name` among `fields`.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// Notifications

/// An accepted notification decides only what its fields say.
pub fn check_decision(notification: &chinaums::notify::Notification, fields: &[(String, String)]) {
    let status = field(fields, "status");
    match notification {
        chinaums::notify::Notification::Payment(_) => {
            let expected = match status {
                Some("TRADE_SUCCESS") => chinaums::PaymentState::Paid,
                Some("TRADE_REFUND") => chinaums::PaymentState::Refunded,
                Some("NEW_ORDER" | "WAIT_BUYER_PAY") => chinaums::PaymentState::NotPaid,
                Some("TRADE_CLOSED") => chinaums::PaymentState::Closed,
                _ => chinaums::PaymentState::Unknown,
            };
            assert_eq!(notification.state(), expected, "status {status:?}");
            assert!(field(fields, "billNo").is_none_or(str::is_empty));
        }
        chinaums::notify::Notification::Refund(_) => {
            assert_eq!(status, Some("TRADE_REFUND"));
            assert!(field(fields, "refundOrderId").is_some_and(|v| !v.is_empty()));
            assert!(field(fields, "billNo").is_none_or(str::is_empty));
            assert_eq!(notification.state(), chinaums::PaymentState::Refunded);
        }
        chinaums::notify::Notification::Bill(_) => {
            assert!(field(fields, "billNo").is_some_and(|v| !v.is_empty()));
            let expected = match field(fields, "billStatus") {
                Some("PAID") => chinaums::PaymentState::Paid,
                Some("REFUND") => chinaums::PaymentState::Refunded,
                Some("CLOSED") => chinaums::PaymentState::Closed,
                _ => chinaums::PaymentState::Unknown,
            };
            assert_eq!(notification.state(), expected);
        }
        chinaums::notify::Notification::Unrecognized { fields: kept, .. } => {
            assert_eq!(notification.state(), chinaums::PaymentState::Unknown);
            assert_eq!(kept.len(), fields.len());
        }
        other => panic!("a family this target does not know: {other:?}"),
    }
    if notification.state() == chinaums::PaymentState::Paid {
        assert!(
            status == Some("TRADE_SUCCESS") || field(fields, "billStatus") == Some("PAID"),
            "paid without saying so"
        );
    }
    assert_eq!(notification.notify_id(), field(fields, "notifyId"));
}

// ---------------------------------------------------------------------------------------------
// Query strings

/// A query string's pairs as `application/x-www-form-urlencoded` reads them: split on `&`
/// (empty ones skipped), name and value on the first `=`, `+` a space, `%XX` a byte (a broken
/// escape kept as it is), then decoded as UTF-8 lossily; repeats kept, in order.
pub fn query_pairs_lossy(query: &[u8]) -> Vec<(String, String)> {
    fn decode(raw: &[u8]) -> String {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), String::new()),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The sandbox gateway

/// What the sandbox's router makes of a request, as far as authentication goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A business endpoint (`POST /v1/…`): OPEN-BODY-SIG or OPEN-ACCESS-TOKEN.
    Business,
    /// An H5 redirect (`GET /v1/…`): an OPEN-FORM-PARAM query.
    FormParam,
    /// The token endpoint: its own signature in the body.
    Token,
    /// No route, or the sandbox's own pages and control API (no authentication).
    Other,
}

/// Whether `path` has the shape of the route `pattern` (a `{…}` segment matches one
/// non-empty segment).
pub fn route_matches(pattern: &str, path: &str) -> bool {
    let (mut want, mut got) = (pattern.split('/'), path.split('/'));
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// The access of the route `method` and `path` (no query) reach, from the sandbox's table.
pub fn access(method: &str, path: &str) -> Access {
    let Some(route) = chinaums_sandbox::endpoints()
        .iter()
        .find(|e| e.method == method && route_matches(e.path, path))
    else {
        return Access::Other;
    };
    if route.path == chinaums::access_token::PATH {
        Access::Token
    } else if !route.path.starts_with("/v1/") {
        Access::Other
    } else if method == "GET" {
        Access::FormParam
    } else {
        Access::Business
    }
}

/// Whether `timestamp` is an authentication timestamp within `max_skew` of `now`.
pub fn fresh(timestamp: &str, now: std::time::SystemTime, max_skew: std::time::Duration) -> bool {
    let Some(at) = chinaums::timestamps::parse_auth_timestamp(timestamp) else {
        return false;
    };
    let at = std::time::SystemTime::from(at);
    let skew = at.duration_since(now).unwrap_or_else(|e| e.duration());
    timestamp.len() == 14 && skew <= max_skew
}

/// Whether a business request carries what a real gateway would let through, checked with the
/// references: one `Authorization`, either a token in `issued`, or an OPEN-BODY-SIG header for
/// `app_id`, fresh at `now`, whose signature is the reference HMAC of the exact body.
pub fn business_authorized(
    request: &http::Request<Vec<u8>>,
    app_id: &str,
    app_key: &str,
    now: std::time::SystemTime,
    issued: &[String],
) -> bool {
    let mut values = request
        .headers()
        .get_all(http::header::AUTHORIZATION)
        .iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Ok(value) = std::str::from_utf8(value.as_bytes()) else {
        return false;
    };
    if value.starts_with(chinaums::access_token::SCHEME) {
        return chinaums::access_token::parse_header(value)
            .is_some_and(|t| issued.iter().any(|i| i == t));
    }
    let Ok(header) = chinaums::body_sig::parse_header(value) else {
        return false;
    };
    header.app_id == app_id
        && fresh(&header.timestamp, now, std::time::Duration::from_secs(600))
        && base64_decode(&header.signature)
            == Some(body_sig_mac(
                app_key,
                &header.app_id,
                &header.timestamp,
                &header.nonce,
                request.body(),
            ))
}

/// Whether an H5 redirect's query is signed with `app_key` for `app_id` and fresh at `now`,
/// checked with the references.
pub fn form_authorized(
    query: &str,
    app_id: &str,
    app_key: &str,
    now: std::time::SystemTime,
) -> bool {
    let pairs = query_pairs_lossy(query.as_bytes());
    let one = |name: &str| {
        let mut found = pairs.iter().filter(|(k, _)| k == name);
        match (found.next(), found.next()) {
            (Some((_, v)), None) if !v.is_empty() => Some(v.as_str()),
            _ => None,
        }
    };
    let (Some("OPEN-FORM-PARAM"), Some(id), Some(ts), Some(nonce), Some(content), Some(sig)) = (
        one("authorization"),
        one("appId"),
        one("timestamp"),
        one("nonce"),
        one("content"),
        one("signature"),
    ) else {
        return false;
    };
    id == app_id
        && fresh(ts, now, std::time::Duration::from_secs(600))
        && base64_decode(sig) == Some(body_sig_mac(app_key, id, ts, nonce, content.as_bytes()))
}

/// Whether a token request's body is signed for `app_id` with `app_key` and fresh at `now`:
/// SHA-256 of `appId ‖ timestamp ‖ nonce ‖ appKey` with `signMethod` SHA256, or SHA-1 without
/// a `signMethod` (the sandbox's legacy clients), lowercase hex.
pub fn token_request_signed(
    body: &[u8],
    app_id: &str,
    app_key: &str,
    now: std::time::SystemTime,
) -> bool {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let text = |k: &str| fields.get(k).and_then(Value::as_str);
    let (Some(id), Some(ts), Some(nonce), Some(sig)) = (
        text("appId"),
        text("timestamp"),
        text("nonce"),
        text("signature"),
    ) else {
        return false;
    };
    let concat = [id, ts, nonce, app_key].concat();
    let expected = match fields.get("signMethod") {
        None | Some(Value::Null) => lower_hex(&sha1::Sha1::digest(concat.as_bytes())),
        Some(Value::String(m)) if m.eq_ignore_ascii_case("SHA256") => {
            lower_hex(&Sha256::digest(concat.as_bytes()))
        }
        _ => return false,
    };
    id == app_id && fresh(ts, now, std::time::Duration::from_secs(600)) && sig == expected
}

/// A request body (or, for an H5 redirect, a URL's path and query) the core builds for the
/// sandbox's demo orders: what a well-behaved client sends to each kind of endpoint.
pub struct Template {
    /// `POST` or `GET`.
    pub method: &'static str,
    /// The path, with the query of an H5 redirect.
    pub path_and_query: String,
    /// The body (empty for an H5 redirect).
    pub body: Vec<u8>,
}

/// The templates, built by a client with the sandbox's default credentials and a clock
/// stopped at `now` (Unix seconds).
pub fn templates(now: u64) -> Vec<Template> {
    use chinaums::time::{Date, Month};
    use chinaums::*;
    use chinaums_sandbox::*;

    let client = Client::builder(
        Credentials::new(DEFAULT_APP_ID, DEFAULT_APP_KEY),
        Environment::custom("http://gateway.test").expect("a base URL"),
    )
    .clock(FixedClock::from_unix(now))
    .nonce_source(FixedNonce::new("0123456789abcdef0123456789abcdef"))
    .build();
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).expect("the demo merchant");
    let with =
        |inst_mid: &str| merchant.with_inst_mid(InstMid::new(inst_mid).expect("a business type"));
    let id = |s: &str| MerOrderId::new(s).expect("an order id");
    let refund_id = |s: &str| RefundOrderId::new(s).expect("a refund id");
    let bill_no = BillNo::new("31942024010112000000000042").expect("a bill number");
    let bill_date = Date::from_calendar_date(2024, Month::January, 1).expect("a date");
    let mut out = Vec::new();
    let mut post = |path: &str, body: Result<Vec<u8>, Error>| {
        out.push(Template {
            method: "POST",
            path_and_query: path.to_owned(),
            body: body.expect("a valid operation"),
        });
    };
    let query = PaymentQuery::new(&merchant, id(DEMO_PAID_ORDER));
    post(PaymentQuery::PATH, client.encode(&query));
    let refund = Refund::new(
        &merchant,
        id(DEMO_PAID_ORDER),
        refund_id("3194FUZZREFUND01"),
        Fen(10),
    );
    post(Refund::PATH, client.encode(&refund));
    let refund_query = RefundQuery::new(&merchant, id(DEMO_REFUNDED_ORDER))
        .refund_order_id(refund_id(DEMO_REFUNDED_REFUND));
    post(RefundQuery::PATH, client.encode(&refund_query));
    post(
        Close::PATH,
        client.encode(&Close::new(&merchant, id(DEMO_UNPAID_ORDER))),
    );
    post(
        SecureComplete::PATH,
        client.encode(&SecureComplete::new(
            &merchant,
            id(DEMO_GUARANTEED_ORDER),
            Fen(50),
        )),
    );
    let split = SubOrdersConfirm::new(
        &merchant,
        id(DEMO_SPLIT_ORDER),
        Fen(100),
        Fen(10),
        vec![SubOrder::new(
            Mid::new(DEMO_SUB_MID).expect("a mid"),
            Fen(90),
        )],
    );
    post(SubOrdersConfirm::PATH, client.encode(&split));
    let mini = WxUnifiedOrder::mini(
        &with("MINIDEFAULT"),
        id("3194FUZZORDER0001"),
        OrderFields::new(Fen(100)).order_desc("fuzz"),
        "wx0123456789abcdef",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    );
    post(WxUnifiedOrder::PATH, client.encode(&mini));
    let bill = BillsGetQrCode::new(
        &with("QRPAYDEFAULT"),
        BillFields::new(bill_no.clone(), bill_date, Fen(3600)),
    );
    post(BillsGetQrCode::PATH, client.encode(&bill));
    let bill_query = BillsQuery::new(&with("QRPAYDEFAULT"), bill_no, bill_date);
    post(BillsQuery::PATH, client.encode(&bill_query));
    let timestamp = chinaums::timestamps::auth_timestamp(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(now),
    );
    let token = access_token::TokenRequestBody::new(
        DEFAULT_APP_ID,
        DEFAULT_APP_KEY,
        &timestamp,
        "0123456789abcdef",
    );
    post(
        access_token::PATH,
        Ok(serde_json::to_vec(&token).expect("serializes")),
    );
    let h5 = AlipayH5Pay::new(
        &with("H5DEFAULT"),
        id("3194FUZZH5000001"),
        OrderFields::new(Fen(100)),
    );
    let url = client.redirect_url(&h5).expect("a signed URL");
    out.push(Template {
        method: "GET",
        path_and_query: url
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        body: Vec::new(),
    });
    out
}
