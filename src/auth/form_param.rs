//! OPEN-FORM-PARAM: the signed GET URL of the H5 cashier redirects (`trade/h5-pay`,
//! `wxpay/h5-pay`, `uac/order`, `wxpay/h5-to-minipay`, `webpay/pay`).
//!
//! ```text
//! content   = the business JSON, exactly as it would be POSTed
//! signature = Base64(HMAC-SHA256(appKey, appId ‖ timestamp ‖ nonce ‖ lowercase_hex(SHA-256(content))))
//! URL       = {base}{path}?authorization=OPEN-FORM-PARAM&appId=…&timestamp=…&nonce=…&content=…&signature=…
//! ```
//!
//! The signature is OPEN-BODY-SIG's formula over the raw, unencoded content; only the values in
//! the query string are encoded, each once, with `java.net.URLEncoder`'s rules (space as `+`,
//! `A–Z a–z 0–9 . - * _` as they are, every other UTF-8 byte as `%XX` in uppercase hex). The
//! browser that opens the URL is answered with a `302` to the cashier; a server probing it must
//! not follow redirects. Pure functions, public for debugging and for servers (the sandbox).

use crate::auth::body_sig::{self, Signed};

/// The value of the `authorization` parameter.
pub const SCHEME: &str = "OPEN-FORM-PARAM";

/// Signs `content` (the raw JSON): the same steps and values as OPEN-BODY-SIG.
pub fn sign(app_id: &str, app_key: &str, timestamp: &str, nonce: &str, content: &str) -> Signed {
    body_sig::sign(app_id, app_key, timestamp, nonce, content.as_bytes())
}

/// `s` encoded with `java.net.URLEncoder`'s rules.
pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query string (without `?`): the six parameters in the order every client uses, each value
/// encoded once.
pub fn query_string(
    app_id: &str,
    timestamp: &str,
    nonce: &str,
    content: &str,
    signature: &str,
) -> String {
    format!(
        "authorization={SCHEME}&appId={}&timestamp={}&nonce={}&content={}&signature={}",
        encode(app_id),
        encode(timestamp),
        encode(nonce),
        encode(content),
        encode(signature)
    )
}

/// The whole signed URL for `path` under `base_url` (no trailing `/`).
pub fn redirect_url(
    base_url: &str,
    path: &str,
    app_id: &str,
    app_key: &str,
    timestamp: &str,
    nonce: &str,
    content: &str,
) -> String {
    let signed = sign(app_id, app_key, timestamp, nonce, content);
    let query = query_string(app_id, timestamp, nonce, content, &signed.signature);
    format!("{base_url}{path}?{query}")
}

/// The parameters of an OPEN-FORM-PARAM query string, decoded, as a server reads them.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// `appId`.
    pub app_id: String,
    /// `timestamp` (`yyyyMMddHHmmss`, unchecked).
    pub timestamp: String,
    /// `nonce`.
    pub nonce: String,
    /// `content`: the business JSON.
    pub content: String,
    /// `signature` (Base64).
    pub signature: String,
}

impl std::fmt::Debug for ParsedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedQuery")
            .field("app_id", &self.app_id)
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .field("content", &self.content)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Reads an OPEN-FORM-PARAM query string: `authorization` must be `OPEN-FORM-PARAM`, and each of
/// the five other parameters present exactly once. The error says what is wrong.
pub fn parse_query(query: &str) -> Result<ParsedQuery, String> {
    let mut found: [Option<String>; 6] = Default::default();
    const NAMES: [&str; 6] = [
        "authorization",
        "appId",
        "timestamp",
        "nonce",
        "content",
        "signature",
    ];
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(i) = NAMES.iter().position(|n| *n == name) {
            if found[i].replace(value.into_owned()).is_some() {
                return Err(format!("`{name}` appears more than once"));
            }
        }
    }
    let [authorization, app_id, timestamp, nonce, content, signature] = found;
    if authorization.as_deref() != Some(SCHEME) {
        return Err(format!("`authorization` must be `{SCHEME}`"));
    }
    let need = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("`{name}` is missing"))
    };
    Ok(ParsedQuery {
        app_id: need(app_id, "appId")?,
        timestamp: need(timestamp, "timestamp")?,
        nonce: need(nonce, "nonce")?,
        content: need(content, "content")?,
        signature: need(signature, "signature")?,
    })
}

/// Whether `query`'s signature is right for `app_key`, compared in constant time.
pub fn verify(query: &ParsedQuery, app_key: &str) -> bool {
    let header = body_sig::ParsedHeader {
        app_id: query.app_id.clone(),
        timestamp: query.timestamp.clone(),
        nonce: query.nonce.clone(),
        signature: query.signature.clone(),
    };
    body_sig::verify(&header, app_key, query.content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_ID: &str = "10037e6f6a4e6da4016a670fd4530012";
    const APP_KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
    const KAT3_CONTENT: &str = r#"{"requestTimestamp":"2024-01-01 12:00:00","merOrderId":"31942024010112000000001234","mid":"898201612345678","tid":"88880001","instMid":"H5DEFAULT","totalAmount":1,"orderDesc":"测试 order","notifyUrl":"https://example.com/notify?a=1&b=2"}"#;
    const KAT3_URL: &str = "https://test-api-open.chinaums.com/v1/netpay/trade/h5-pay?authorization=OPEN-FORM-PARAM&appId=10037e6f6a4e6da4016a670fd4530012&timestamp=20240101120000&nonce=0123456789abcdef0123456789abcdef&content=%7B%22requestTimestamp%22%3A%222024-01-01+12%3A00%3A00%22%2C%22merOrderId%22%3A%2231942024010112000000001234%22%2C%22mid%22%3A%22898201612345678%22%2C%22tid%22%3A%2288880001%22%2C%22instMid%22%3A%22H5DEFAULT%22%2C%22totalAmount%22%3A1%2C%22orderDesc%22%3A%22%E6%B5%8B%E8%AF%95+order%22%2C%22notifyUrl%22%3A%22https%3A%2F%2Fexample.com%2Fnotify%3Fa%3D1%26b%3D2%22%7D&signature=GX2YpqojK%2BHZop%2FvcUzk%2BwktDOUe0I5zGqj2lcopIDw%3D";

    #[test]
    fn kat3_url_byte_for_byte() {
        let url = redirect_url(
            "https://test-api-open.chinaums.com",
            "/v1/netpay/trade/h5-pay",
            APP_ID,
            APP_KEY,
            "20240101120000",
            "0123456789abcdef0123456789abcdef",
            KAT3_CONTENT,
        );
        assert_eq!(url, KAT3_URL);
        let signed = sign(
            APP_ID,
            APP_KEY,
            "20240101120000",
            "0123456789abcdef0123456789abcdef",
            KAT3_CONTENT,
        );
        assert_eq!(
            signed.body_digest,
            "29665892aec11ef1b3417296eaf50e0f73f2b7c5ddc35aa4c8c25e09fcbe6ba6"
        );
        assert_eq!(
            signed.signature,
            "GX2YpqojK+HZop/vcUzk+wktDOUe0I5zGqj2lcopIDw="
        );
    }

    #[test]
    fn java_url_encoder_rules() {
        assert_eq!(encode("a b*-._~+/=测"), "a+b*-._%7E%2B%2F%3D%E6%B5%8B");
    }

    #[test]
    fn a_parsed_url_verifies_and_a_tampered_one_does_not() {
        let query = KAT3_URL.split_once('?').unwrap().1;
        let parsed = parse_query(query).unwrap();
        assert_eq!(parsed.content, KAT3_CONTENT);
        assert!(verify(&parsed, APP_KEY));
        assert!(!verify(&parsed, "another-key"));
        let tampered = query.replace("totalAmount%22%3A1", "totalAmount%22%3A2");
        assert!(!verify(&parse_query(&tampered).unwrap(), APP_KEY));
        assert!(!format!("{parsed:?}").contains("GX2Y"));
        for (bad, why) in [
            (
                query.replace("OPEN-FORM-PARAM", "OPEN-BODY-SIG"),
                "authorization",
            ),
            (
                query.replace("&nonce=", "&nonce=x&nonce="),
                "more than once",
            ),
            (query.replace("&signature=", "&sig="), "signature"),
        ] {
            let e = parse_query(&bad).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }
}
