//! `POST /v1/token/access`: issues OPEN-ACCESS-TOKEN tokens. Refusals are HTTP 200 with an
//! `errCode` and `errInfo`, like the platform's token endpoint.

use chinaums::access_token as token;
use chinaums::{AppId, Nonce, NonceSource as _};
use http::StatusCode;
use serde::Serialize;
use sha1::{Digest as _, Sha1};

use super::{Exchange, Fields, Reply, json, object, reject};
use crate::TOKEN_LIFETIME;
use crate::auth::{Stamp, check_stamp, constant_time_eq};

/// The path, the core's own.
pub(crate) const PATH: &str = token::PATH;

/// The legacy signature, checked when a request has no `signMethod`: lowercase hex of
/// SHA-1(appId ‖ timestamp ‖ nonce ‖ appKey): the same concatenation as the SHA-256 signature,
/// under the older hash that clients written before `signMethod` existed still send.
pub(crate) fn legacy_signature(
    app_id: &str,
    timestamp: &str,
    nonce: &str,
    app_key: &str,
) -> String {
    let mut hash = Sha1::new();
    for part in [app_id, timestamp, nonce, app_key] {
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash a request's signature is checked with.
enum Method {
    Sha256,
    LegacySha1,
}

/// The request fields.
struct Request<'a> {
    app_id: AppId,
    timestamp: &'a str,
    nonce: Nonce,
    method: Method,
    signature: &'a str,
}

impl<'a> Request<'a> {
    fn read(fields: &Fields<'a>) -> Result<Self, String> {
        let app_id = fields.required("appId")?;
        let timestamp = fields.required_text("timestamp")?;
        let nonce = fields.required("nonce")?;
        let method = match fields.text("signMethod")? {
            None => Method::LegacySha1,
            Some(m) if m.eq_ignore_ascii_case(token::SIGN_METHOD) => Method::Sha256,
            Some(other) => {
                return Err(format!(
                    "signMethod: the sandbox supports SHA256 (or no signMethod, for the legacy SHA-1), not {other}"
                ));
            }
        };
        let signature = fields.required_text("signature")?;
        Ok(Request {
            app_id,
            timestamp,
            nonce,
            method,
            signature,
        })
    }
}

/// Every answer of the token endpoint: `0000` with the token, or a refusal.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    err_code: &'a str,
    err_info: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
}

fn refuse(code: &str, info: impl Into<String>) -> Reply {
    json(
        StatusCode::OK,
        &Answer {
            err_code: code,
            err_info: info.into(),
            access_token: None,
            expires_in: None,
        },
    )
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let fields = match object(exchange.request.body()) {
        Ok(fields) => fields,
        Err(rejection) => return rejection,
    };
    let request = match Request::read(&Fields(&fields)) {
        Ok(request) => request,
        Err(msg) => return refuse("BAD_REQUEST", msg),
    };
    let config = exchange.config;
    if request.app_id != config.app_id {
        return refuse("1002", format!("AppId不存在 ({})", request.app_id));
    }
    match check_stamp(request.timestamp, exchange.now, config.max_skew) {
        Stamp::Fresh => {}
        Stamp::Unparsable => return refuse("1000", "Timestamp解析失败"),
        Stamp::Stale => return refuse("ABNORMAL_REQUEST_TIME", "timestamp与系统时间相差过大"),
    }
    let (app_id, nonce) = (request.app_id.as_str(), request.nonce.as_str());
    let expected = match request.method {
        Method::Sha256 => token::signature(app_id, request.timestamp, nonce, &config.app_key),
        Method::LegacySha1 => legacy_signature(app_id, request.timestamp, nonce, &config.app_key),
    };
    if !constant_time_eq(expected.as_bytes(), request.signature.as_bytes()) {
        return refuse("BAD_SIGN", "签名错误: signature does not match");
    }
    // 32 lowercase hex characters from the OS CSPRNG: the core's nonce source.
    let Ok(access_token) = chinaums::RandomNonce.nonce() else {
        return reject(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "cannot draw a random token",
        );
    };
    exchange
        .state
        .tokens
        .add(app_id, access_token.clone(), exchange.now);
    exchange.state.token_fetches += 1;
    json(
        StatusCode::OK,
        &Answer {
            err_code: "0000",
            err_info: "正常".to_owned(),
            access_token: Some(&access_token),
            expires_in: Some(TOKEN_LIFETIME.as_secs()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently of this crate, with Python's hashlib:
    /// `hashlib.sha1(b"10037e6f6a4e6da4016a670fd4530012" b"20240101120000"
    /// b"0123456789abcdef0123456789abcdef" b"f7a74b6c02ae4e1e94aaba311c04acf2").hexdigest()`.
    #[test]
    fn legacy_sha1_known_answer() {
        assert_eq!(
            legacy_signature(
                "10037e6f6a4e6da4016a670fd4530012",
                "20240101120000",
                "0123456789abcdef0123456789abcdef",
                "f7a74b6c02ae4e1e94aaba311c04acf2",
            ),
            "88965ee683ba2b93d2fd9573d6e7624c6736fb55"
        );
    }
}
