//! OPEN-BODY-SIG: the signature over the exact body bytes.
//!
//! ```text
//! bodyDigest   = lowercase_hex(SHA-256(body))
//! stringToSign = appId ‖ timestamp ‖ nonce ‖ bodyDigest      (no separators)
//! Signature    = Base64(HMAC-SHA256(key = appKey as UTF-8, stringToSign))
//! Authorization: OPEN-BODY-SIG AppId="…", Timestamp="…", Nonce="…", Signature="…"
//! ```
//!
//! Everything here is a pure function, public so that users can debug a `BAD_SIGN` step by
//! step against another implementation.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The scheme token at the start of the `Authorization` header.
pub const SCHEME: &str = "OPEN-BODY-SIG";

/// The longest nonce the platform accepts.
pub const MAX_NONCE_LEN: usize = 128;

/// Lowercase hex encoding of `bytes`.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Step 1: `lowercase_hex(SHA-256(body))`, 64 characters.
pub fn body_digest(body: &[u8]) -> String {
    lower_hex(&Sha256::digest(body))
}

/// Step 2: `appId ‖ timestamp ‖ nonce ‖ bodyDigest`.
pub fn string_to_sign(app_id: &str, timestamp: &str, nonce: &str, body_digest: &str) -> String {
    [app_id, timestamp, nonce, body_digest].concat()
}

/// Steps 3–4: `Base64(HMAC-SHA256(appKey, stringToSign))`, 44 characters.
pub fn signature(app_key: &str, string_to_sign: &str) -> String {
    BASE64.encode(hmac_sha256(app_key, string_to_sign))
}

fn hmac_sha256(app_key: &str, message: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Step 5: the `Authorization` header value, with the `", "` separator of the official demo.
pub fn authorization_header(app_id: &str, timestamp: &str, nonce: &str, signature: &str) -> String {
    format!(
        r#"{SCHEME} AppId="{app_id}", Timestamp="{timestamp}", Nonce="{nonce}", Signature="{signature}""#
    )
}

/// Every intermediate value of one signature, for debugging mismatches.
///
/// The fields are public, to be printed on purpose; `Debug` shows the digest and the string to
/// sign but not the signature or the header, which could be replayed within the timestamp
/// window. It never holds the appKey.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// `lowercase_hex(SHA-256(body))`.
    pub body_digest: String,
    /// `appId ‖ timestamp ‖ nonce ‖ bodyDigest`.
    pub string_to_sign: String,
    /// The Base64 signature.
    pub signature: String,
    /// The full `Authorization` header value.
    pub authorization: String,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("body_digest", &self.body_digest)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &"<redacted>")
            .field("authorization", &"<redacted>")
            .finish()
    }
}

/// Signs `body` with all the steps at once.
pub fn sign(app_id: &str, app_key: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Signed {
    let body_digest = body_digest(body);
    let string_to_sign = string_to_sign(app_id, timestamp, nonce, &body_digest);
    let signature = signature(app_key, &string_to_sign);
    let authorization = authorization_header(app_id, timestamp, nonce, &signature);
    Signed {
        body_digest,
        string_to_sign,
        signature,
        authorization,
    }
}

/// The request OPEN-BODY-SIG sends: `POST uri` with `body` (the exact bytes signed) and its
/// `Authorization` header.
pub(crate) fn signed_request(
    uri: http::Uri,
    credentials: &crate::Credentials,
    timestamp: &str,
    nonce: &str,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, crate::Error> {
    let header = header_for(
        credentials.app_id(),
        credentials.app_key(),
        timestamp,
        nonce,
        &body,
    );
    super::json_post(uri, Some(header), body)
}

/// Steps 1 to 5 at once, straight into the header: the same bytes as [`sign`]'s
/// `authorization`, without its intermediate strings (this runs on every call).
pub(crate) fn header_for(
    app_id: &str,
    app_key: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    let mut hex = [0u8; 64];
    for (i, byte) in digest.iter().enumerate() {
        hex[2 * i] = DIGITS[usize::from(byte >> 4)];
        hex[2 * i + 1] = DIGITS[usize::from(byte & 0xf)];
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for part in [
        app_id.as_bytes(),
        timestamp.as_bytes(),
        nonce.as_bytes(),
        &hex,
    ] {
        mac.update(part);
    }
    let mut signature = [0u8; 44];
    let written = BASE64
        .encode_slice(mac.finalize().into_bytes(), &mut signature)
        .unwrap_or(0);
    let signature = std::str::from_utf8(&signature[..written]).unwrap_or_default();
    let mut header = String::with_capacity(
        SCHEME.len() + app_id.len() + timestamp.len() + nonce.len() + written + 48,
    );
    for part in [
        SCHEME,
        " AppId=\"",
        app_id,
        "\", Timestamp=\"",
        timestamp,
        "\", Nonce=\"",
        nonce,
        "\", Signature=\"",
        signature,
        "\"",
    ] {
        header.push_str(part);
    }
    header
}

/// The fields of an `OPEN-BODY-SIG` header, as a server reads them.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedHeader {
    /// `AppId`.
    pub app_id: String,
    /// `Timestamp` (`yyyyMMddHHmmss`, unchecked).
    pub timestamp: String,
    /// `Nonce`.
    pub nonce: String,
    /// `Signature` (Base64).
    pub signature: String,
}

impl fmt::Debug for ParsedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedHeader")
            .field("app_id", &self.app_id)
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Why an `Authorization` header is not a well-formed `OPEN-BODY-SIG` header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed OPEN-BODY-SIG header: {0}")]
pub struct HeaderError(pub String);

/// Parses an `OPEN-BODY-SIG` header as the gateway tolerates it: `", "` or `","` between the
/// four `Name="value"` pairs, in any order; names are case-sensitive.
pub fn parse_header(header: &str) -> Result<ParsedHeader, HeaderError> {
    let rest = header
        .strip_prefix(SCHEME)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| HeaderError(format!("must start with `{SCHEME} `")))?;
    let (mut app_id, mut timestamp, mut nonce, mut signature) = (None, None, None, None);
    for pair in rest.split(',') {
        let pair = pair.trim_matches(' ');
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| HeaderError(format!("`{pair}` is not Name=\"value\"")))?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains('"'))
            .ok_or_else(|| {
                HeaderError(format!("the value of `{name}` must be in double quotes"))
            })?;
        let slot = match name {
            "AppId" => &mut app_id,
            "Timestamp" => &mut timestamp,
            "Nonce" => &mut nonce,
            "Signature" => &mut signature,
            other => return Err(HeaderError(format!("unknown parameter `{other}`"))),
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(HeaderError(format!("`{name}` appears twice")));
        }
    }
    let missing = |name: &str| HeaderError(format!("`{name}` is missing"));
    Ok(ParsedHeader {
        app_id: app_id.ok_or_else(|| missing("AppId"))?,
        timestamp: timestamp.ok_or_else(|| missing("Timestamp"))?,
        nonce: nonce.ok_or_else(|| missing("Nonce"))?,
        signature: signature.ok_or_else(|| missing("Signature"))?,
    })
}

/// Whether `header`'s signature is the one `app_key` gives over `body`, compared in constant
/// time. The caller checks the appId and the timestamp's freshness itself.
pub fn verify(header: &ParsedHeader, app_key: &str, body: &[u8]) -> bool {
    let digest = body_digest(body);
    let expected = hmac_sha256(
        app_key,
        &string_to_sign(&header.app_id, &header.timestamp, &header.nonce, &digest),
    );
    let Ok(given) = BASE64.decode(&header.signature) else {
        return false;
    };
    given.len() == expected.len() && bool::from(given.ct_eq(&expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The platform's public test credentials, and the known-answer vector KAT-5.
    const APP_ID: &str = "10037e6f6a4e6da4016a670fd4530012";
    const APP_KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
    const TS: &str = "20240101120000";
    const NONCE: &str = "0123456789abcdef0123456789abcdef";
    const KAT5_BODY: &str = r#"{"requestTimestamp":"2024-01-01 12:00:00","mid":"898201612345678","tid":"88880001","instMid":"YUEDANDEFAULT","merOrderId":"31942024010112000000001234"}"#;

    #[test]
    fn kat2_body_digest_of_the_official_demo() {
        let body = r#"{"merchantCode":"123456789900081","terminalCode":"00810001","merchantOrderId":"20123333644493200","transactionAmount":"1","merchantRemark":"测试","payMode":"CODE_SCAN","payCode":"285668667587422761","transactionCurrencyCode":"156"}"#;
        assert_eq!(
            body_digest(body.as_bytes()),
            "d60bc3aedeb853e2a11c0c096baaf19954dd9b752e48dea8e919e5fb29a42a8d"
        );
    }

    #[test]
    fn the_lean_header_is_the_stepwise_one() {
        for (body, nonce) in [
            (KAT5_BODY.as_bytes(), NONCE),
            (b"".as_slice(), "n"),
            ("测试".as_bytes(), "x".repeat(128).as_str()),
        ] {
            assert_eq!(
                header_for(APP_ID, APP_KEY, TS, nonce, body),
                sign(APP_ID, APP_KEY, TS, nonce, body).authorization
            );
        }
    }

    #[test]
    fn kat5_query_body_signature() {
        let signed = sign(APP_ID, APP_KEY, TS, NONCE, KAT5_BODY.as_bytes());
        assert_eq!(
            signed.body_digest,
            "fe69e92b6a076f75f6db9e61160b8cc8d3af8006e66094803b2f912faca63e57"
        );
        assert_eq!(
            signed.string_to_sign,
            format!("{APP_ID}{TS}{NONCE}{}", signed.body_digest)
        );
        assert_eq!(
            signed.signature,
            "YaoaLuAj7mznzwLXN4zbWA4ZGyQZNhhUionvH+48t18="
        );
        assert_eq!(
            signed.authorization,
            r#"OPEN-BODY-SIG AppId="10037e6f6a4e6da4016a670fd4530012", Timestamp="20240101120000", Nonce="0123456789abcdef0123456789abcdef", Signature="YaoaLuAj7mznzwLXN4zbWA4ZGyQZNhhUionvH+48t18=""#
        );
    }

    #[test]
    fn kat3_signature_over_form_param_content() {
        // The same formula signs OPEN-FORM-PARAM content (known-answer vector KAT-3).
        let content = r#"{"requestTimestamp":"2024-01-01 12:00:00","merOrderId":"31942024010112000000001234","mid":"898201612345678","tid":"88880001","instMid":"H5DEFAULT","totalAmount":1,"orderDesc":"测试 order","notifyUrl":"https://example.com/notify?a=1&b=2"}"#;
        let signed = sign(APP_ID, APP_KEY, TS, NONCE, content.as_bytes());
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
    fn empty_body_digest() {
        assert_eq!(
            body_digest(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parses_both_separators_and_verifies() {
        let signed = sign(APP_ID, APP_KEY, TS, NONCE, KAT5_BODY.as_bytes());
        let parsed = parse_header(&signed.authorization).unwrap();
        assert_eq!(parsed.app_id, APP_ID);
        assert_eq!(parsed.nonce, NONCE);
        assert!(verify(&parsed, APP_KEY, KAT5_BODY.as_bytes()));
        let compact = signed.authorization.replace("\", ", "\",");
        assert_eq!(parse_header(&compact).unwrap(), parsed);
        // A different key, body or timestamp fails.
        assert!(!verify(&parsed, "wrong", KAT5_BODY.as_bytes()));
        assert!(!verify(&parsed, APP_KEY, b"{}"));
        let mut other = parsed.clone();
        other.timestamp = "20240101120001".into();
        assert!(!verify(&other, APP_KEY, KAT5_BODY.as_bytes()));
        other.signature = "not base64!".into();
        assert!(!verify(&other, APP_KEY, KAT5_BODY.as_bytes()));
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            "OPEN-BODY-SIG",
            r#"OPEN-ACCESS-TOKEN AccessToken=abc"#,
            r#"OPEN-BODY-SIG AppId="a", Timestamp="t", Nonce="n""#,
            r#"OPEN-BODY-SIG AppId=a, Timestamp="t", Nonce="n", Signature="s""#,
            r#"OPEN-BODY-SIG appid="a", Timestamp="t", Nonce="n", Signature="s""#,
            r#"OPEN-BODY-SIG AppId="a", AppId="a", Timestamp="t", Nonce="n", Signature="s""#,
        ] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_redacts_the_signature() {
        let parsed = parse_header(&sign(APP_ID, APP_KEY, TS, NONCE, b"{}").authorization).unwrap();
        assert!(!format!("{parsed:?}").contains(&parsed.signature));
    }
}
