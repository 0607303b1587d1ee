//! OPEN-ACCESS-TOKEN (PROTOCOL.md §3.3): the token request's signature and the business
//! header. The token flow itself (fetch, cache, refresh) builds on these.

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
