//! OPEN-ACCESS-TOKEN: the token request's signature and the business header. The token flow itself (fetch, cache, refresh) builds on these.

use sha2::{Digest, Sha256};

use crate::auth::body_sig::lower_hex;

/// The scheme token at the start of the business `Authorization` header.
pub const SCHEME: &str = "OPEN-ACCESS-TOKEN";

/// The token endpoint's path.
pub const PATH: &str = "/v1/token/access";

/// The `signMethod` the SDK always sends.
pub const SIGN_METHOD: &str = "SHA256";

/// The token request's `signature`: `lowercase_hex(SHA-256(appId ‖ timestamp ‖ nonce ‖ appKey))`.
/// A plain hash, not an HMAC; the appKey is appended.
pub fn signature(app_id: &str, timestamp: &str, nonce: &str, app_key: &str) -> String {
    let mut hash = Sha256::new();
    for part in [app_id, timestamp, nonce, app_key] {
        hash.update(part.as_bytes());
    }
    lower_hex(&hash.finalize())
}

/// The business `Authorization` header value: `OPEN-ACCESS-TOKEN AccessToken=<token>`
/// (unquoted, the official demo's canonical form).
pub fn authorization_header(access_token: &str) -> String {
    format!("{SCHEME} AccessToken={access_token}")
}

/// Reads the token from a business `Authorization` header (canonical form, or quoted).
pub fn parse_header(header: &str) -> Option<&str> {
    let token = header
        .strip_prefix(SCHEME)?
        .strip_prefix(' ')?
        .trim()
        .strip_prefix("AccessToken=")?;
    let token = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token);
    (!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic() && b != b'"')).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kat4_token_signature() {
        assert_eq!(
            signature(
                "10037e6f6a4e6da4016a670fd4530012",
                "20240101120000",
                "0123456789abcdef0123456789abcdef",
                "f7a74b6c02ae4e1e94aaba311c04acf2"
            ),
            "b3dc3f93941deb1cdfb88938e70c7482204fccdb8803a92cc11d9e9c413a14b4"
        );
    }

    #[test]
    fn header_round_trip() {
        let header = authorization_header("30fabba831a447699f5a1fc056dfd4ee");
        assert_eq!(
            header,
            "OPEN-ACCESS-TOKEN AccessToken=30fabba831a447699f5a1fc056dfd4ee"
        );
        assert_eq!(
            parse_header(&header),
            Some("30fabba831a447699f5a1fc056dfd4ee")
        );
        assert_eq!(
            parse_header(r#"OPEN-ACCESS-TOKEN AccessToken="abc""#),
            Some("abc")
        );
        assert_eq!(parse_header("OPEN-ACCESS-TOKEN AccessToken="), None);
        assert_eq!(parse_header("OPEN-BODY-SIG AppId=\"x\""), None);
    }
}

/// An access token. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token value.
    pub fn new(value: impl Into<String>) -> Self {
        AccessToken(value.into())
    }

    /// The token itself (secret: never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// The JSON body of `POST /v1/token/access`, fields in the official demo's order.
///
/// `Debug` hides the signature: within the timestamp window it could be replayed to mint a
/// token.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequestBody<'a> {
    /// `appId`.
    pub app_id: &'a str,
    /// `timestamp` (`yyyyMMddHHmmss`, UTC+8).
    pub timestamp: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// Always `SHA256`.
    pub sign_method: &'static str,
    /// [`signature`] of the above with the appKey.
    pub signature: String,
}

impl std::fmt::Debug for TokenRequestBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequestBody")
            .field("app_id", &self.app_id)
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .field("sign_method", &self.sign_method)
            .field("signature", &"<redacted>")
            .finish()
    }
}

impl<'a> TokenRequestBody<'a> {
    /// The body for `app_id`/`app_key` at `timestamp` with `nonce`.
    pub fn new(app_id: &'a str, app_key: &str, timestamp: &'a str, nonce: &'a str) -> Self {
        TokenRequestBody {
            app_id,
            timestamp,
            nonce,
            sign_method: SIGN_METHOD,
            signature: signature(app_id, timestamp, nonce, app_key),
        }
    }
}

/// The token request: `POST uri` (the token path) with the signed [`TokenRequestBody`] and no
/// `Authorization` header.
pub(crate) fn token_request(
    uri: http::Uri,
    credentials: &crate::Credentials,
    timestamp: &str,
    nonce: &str,
) -> Result<http::Request<Vec<u8>>, crate::Error> {
    let body = TokenRequestBody::new(
        credentials.app_id(),
        credentials.app_key(),
        timestamp,
        nonce,
    );
    let body = serde_json::to_vec(&body).map_err(|e| {
        crate::Error::config(
            crate::ConfigErrorKind::Request,
            format!("cannot serialize token request: {e}"),
        )
    })?;
    super::json_post(uri, None, body)
}

/// A business request authorized by `token`: `POST uri` with `body` and
/// `Authorization: OPEN-ACCESS-TOKEN AccessToken=…`.
pub(crate) fn authorized_request(
    uri: http::Uri,
    token: &AccessToken,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, crate::Error> {
    super::json_post(uri, Some(authorization_header(token.expose())), body)
}

/// A successfully issued token: the value and how long it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token.
    pub access_token: AccessToken,
    /// `expiresIn`: lifetime in seconds from issue.
    pub expires_in: u64,
}

/// Reads a token response: `{"errCode":"0000","errInfo":"正常","accessToken":"…","expiresIn":3600}`.
///
/// `expiresIn` is accepted as a number or a numeric string. Errors never quote the body (it may
/// hold a token).
pub fn parse_response(
    response: &http::Response<Vec<u8>>,
) -> Result<IssuedToken, crate::error::TokenError> {
    use crate::error::TokenError;
    use serde_json::Value;

    let status = response.status();
    let fail = |code: Option<String>, message: String| TokenError::new(Some(status), code, message);
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(response.body()) else {
        return Err(fail(
            None,
            format!("HTTP {status}: the token response is not a JSON object"),
        ));
    };
    let text = |key: &str| match fields.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let code = text("errCode");
    let info = text("errInfo").unwrap_or_default();
    if code.as_deref() != Some("0000") || !status.is_success() {
        let message = if info.is_empty() {
            format!("HTTP {status}")
        } else {
            info
        };
        return Err(fail(code, message));
    }
    let access_token = text("accessToken")
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
        .ok_or_else(|| {
            fail(
                None,
                "errCode 0000 but accessToken is missing or not printable ASCII".into(),
            )
        })?;
    let expires_in = text("expiresIn")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .ok_or_else(|| {
            fail(
                None,
                "errCode 0000 but expiresIn is missing or not a positive integer".into(),
            )
        })?;
    Ok(IssuedToken {
        access_token: AccessToken(access_token),
        expires_in,
    })
}

#[cfg(test)]
mod response_tests {
    use super::*;
    use crate::error::ErrorClass;
    use crate::response::response;
    use http::StatusCode;

    #[test]
    fn parses_the_documented_example() {
        let ok = response(
            StatusCode::OK,
            r#"{"errCode":"0000","errInfo":"正常","accessToken":"30fabba831a447699f5a1fc056dfd4ee","expiresIn":3600}"#,
        );
        let issued = parse_response(&ok).unwrap();
        assert_eq!(
            issued.access_token.expose(),
            "30fabba831a447699f5a1fc056dfd4ee"
        );
        assert_eq!(issued.expires_in, 3600);
        assert!(!format!("{issued:?}").contains("30fabba8"));
        let as_string = response(
            StatusCode::OK,
            r#"{"errCode":"0000","accessToken":"abc","expiresIn":"60"}"#,
        );
        assert_eq!(parse_response(&as_string).unwrap().expires_in, 60);
    }

    #[test]
    fn failures_are_typed_and_never_quote_the_body() {
        let cases = [
            (
                200,
                r#"{"errCode":"1002","errInfo":"AppId不存在"}"#,
                ErrorClass::Auth,
                Some("1002"),
            ),
            (
                401,
                r#"{"errCode":"BAD_SIGN","errInfo":"签名错误"}"#,
                ErrorClass::Auth,
                Some("BAD_SIGN"),
            ),
            (
                412,
                r#"{"errCode":"1000","errInfo":"Timestamp解析失败"}"#,
                ErrorClass::Caller,
                Some("1000"),
            ),
            (500, "oops", ErrorClass::Retryable, None),
            (
                200,
                r#"{"errCode":"0000","accessToken":"secret-token"}"#,
                ErrorClass::Retryable,
                None,
            ),
            (
                200,
                r#"{"errCode":"0000","accessToken":"secret-token","expiresIn":-5}"#,
                ErrorClass::Retryable,
                None,
            ),
            (200, "not json secret-token", ErrorClass::Retryable, None),
        ];
        for (status, body, class, code) in cases {
            let err =
                parse_response(&response(StatusCode::from_u16(status).unwrap(), body)).unwrap_err();
            assert_eq!(err.class, class, "{body}");
            assert_eq!(err.err_code.as_deref(), code, "{body}");
            assert!(!err.to_string().contains("secret-token"), "{err}");
        }
    }
}
