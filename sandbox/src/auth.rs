//! Authentication like the platform's: `OPEN-BODY-SIG` (checked with the core's own verifier)
//! or `OPEN-ACCESS-TOKEN` on business endpoints, and the store of issued access tokens.
//!
//! The real gateway's codes for authentication failures are undocumented; the ones here are
//! the sandbox's choice (see the crate README).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, SystemTime};

use chinaums::timestamps::{is_auth_timestamp, parse_auth_timestamp};
use chinaums::{access_token as token, body_sig, form_param};
use http::StatusCode;

use crate::endpoints::{Reply, reject};
use crate::gateway::Config;
use crate::{MAX_TOKENS_PER_APP, TOKEN_LIFETIME};

/// |a − b| ≤ max.
pub(crate) fn within(a: SystemTime, b: SystemTime, max: Duration) -> bool {
    let diff = a.duration_since(b).unwrap_or_else(|e| e.duration());
    diff <= max
}

/// Compares two secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// An authentication timestamp (`yyyyMMddHHmmss`, Beijing time) checked the platform's way:
/// one that does not parse is `1000 Timestamp解析失败`, one too far from `now` is
/// `ABNORMAL_REQUEST_TIME`.
pub(crate) enum Stamp {
    Fresh,
    Unparsable,
    Stale,
}

pub(crate) fn check_stamp(timestamp: &str, now: SystemTime, max_skew: Duration) -> Stamp {
    if !is_auth_timestamp(timestamp) {
        return Stamp::Unparsable;
    }
    match parse_auth_timestamp(timestamp).map(SystemTime::from) {
        Some(at) if within(at, now, max_skew) => Stamp::Fresh,
        _ => Stamp::Stale,
    }
}

/// Checks a business request's `Authorization` header against `body`; the rejection to send
/// otherwise.
#[expect(
    clippy::result_large_err,
    reason = "the rejection is the response itself, built at most once per request"
)]
pub(crate) fn authenticate(
    config: &Config,
    tokens: &Tokens,
    request: &http::Request<Vec<u8>>,
    now: SystemTime,
) -> Result<(), Reply> {
    let malformed =
        |why: &str| reject(StatusCode::UNAUTHORIZED, "1001", format!("认证失败: {why}"));
    let mut values = request
        .headers()
        .get_all(http::header::AUTHORIZATION)
        .iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Err(malformed("the Authorization header is missing")),
        (Some(_), Some(_)) => return Err(malformed("more than one Authorization header")),
        (Some(v), None) => v,
    };
    let value = std::str::from_utf8(value.as_bytes())
        .map_err(|_| malformed("the Authorization header is not UTF-8"))?;
    if value.starts_with(token::SCHEME) {
        let token = token::parse_header(value)
            .ok_or_else(|| malformed("malformed OPEN-ACCESS-TOKEN header"))?;
        if !tokens.is_valid(config.app_id.as_str(), token, now) {
            return Err(reject(
                StatusCode::UNAUTHORIZED,
                "INVALID_TOKEN",
                "认证失败: AccessToken无效或已过期",
            ));
        }
        return Ok(());
    }
    let parsed = body_sig::parse_header(value).map_err(|e| malformed(&e.to_string()))?;
    if parsed.app_id != config.app_id.as_str() {
        return Err(reject(
            StatusCode::UNAUTHORIZED,
            "1002",
            format!("认证失败: AppId不存在 ({})", parsed.app_id),
        ));
    }
    match check_stamp(&parsed.timestamp, now, config.max_skew) {
        Stamp::Fresh => {}
        Stamp::Unparsable => {
            return Err(reject(
                StatusCode::PRECONDITION_FAILED,
                "1000",
                "Timestamp解析失败",
            ));
        }
        Stamp::Stale => {
            return Err(reject(
                StatusCode::UNAUTHORIZED,
                "ABNORMAL_REQUEST_TIME",
                "认证失败: Timestamp与系统时间相差过大",
            ));
        }
    }
    if !body_sig::verify(&parsed, &config.app_key, request.body()) {
        return Err(reject(
            StatusCode::UNAUTHORIZED,
            "BAD_SIGN",
            "认证失败: 签名错误 (signature does not match the body)",
        ));
    }
    Ok(())
}

/// Checks an OPEN-FORM-PARAM query string (an H5 URL opened by a browser) with the core's own
/// parser and verifier: the parameters, the appId, the compact `timestamp` and its freshness,
/// then the signature over the raw `content`. The `content` (the business JSON), or the
/// rejection: the same codes and HTTP statuses as for a header (`1001` for a malformed query).
#[expect(
    clippy::result_large_err,
    reason = "the rejection is the response itself, built at most once per request"
)]
pub(crate) fn authenticate_form(
    config: &Config,
    request: &http::Request<Vec<u8>>,
    now: SystemTime,
) -> Result<String, Reply> {
    let query = request.uri().query().unwrap_or_default();
    let parsed = form_param::parse_query(query)
        .map_err(|why| reject(StatusCode::UNAUTHORIZED, "1001", format!("认证失败: {why}")))?;
    if parsed.app_id != config.app_id.as_str() {
        return Err(reject(
            StatusCode::UNAUTHORIZED,
            "1002",
            format!("认证失败: AppId不存在 ({})", parsed.app_id),
        ));
    }
    match check_stamp(&parsed.timestamp, now, config.max_skew) {
        Stamp::Fresh => {}
        Stamp::Unparsable => {
            return Err(reject(
                StatusCode::PRECONDITION_FAILED,
                "1000",
                "Timestamp解析失败",
            ));
        }
        Stamp::Stale => {
            return Err(reject(
                StatusCode::UNAUTHORIZED,
                "ABNORMAL_REQUEST_TIME",
                "认证失败: Timestamp与系统时间相差过大",
            ));
        }
    }
    if !form_param::verify(&parsed, &config.app_key) {
        return Err(reject(
            StatusCode::UNAUTHORIZED,
            "BAD_SIGN",
            "认证失败: 签名错误 (signature does not match the content)",
        ));
    }
    Ok(parsed.content)
}

/// An issued access token.
struct Token {
    value: String,
    expires_at: SystemTime,
}

/// The access tokens issued per appId, oldest first: each lives [`TOKEN_LIFETIME`], and at
/// most [`MAX_TOKENS_PER_APP`] are valid at once (one more evicts the oldest).
#[derive(Default)]
pub(crate) struct Tokens {
    by_app: HashMap<String, VecDeque<Token>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: a token is a bearer secret.
        f.debug_map()
            .entries(self.by_app.iter().map(|(app, t)| (app, t.len())))
            .finish()
    }
}

impl Tokens {
    /// Stores a new token for `app_id`, dropping expired ones and, past the limit, the oldest.
    pub fn add(&mut self, app_id: &str, value: String, now: SystemTime) {
        let tokens = self.by_app.entry(app_id.to_owned()).or_default();
        tokens.retain(|t| t.expires_at > now);
        while tokens.len() >= MAX_TOKENS_PER_APP {
            tokens.pop_front();
        }
        tokens.push_back(Token {
            value,
            expires_at: now + TOKEN_LIFETIME,
        });
    }

    /// Whether `value` is an issued, unexpired, not evicted token of `app_id`.
    pub fn is_valid(&self, app_id: &str, value: &str, now: SystemTime) -> bool {
        self.by_app.get(app_id).is_some_and(|tokens| {
            tokens.iter().any(|t| {
                t.expires_at > now && constant_time_eq(t.value.as_bytes(), value.as_bytes())
            })
        })
    }

    /// How many tokens of `app_id` are valid at `now`.
    pub fn valid_count(&self, app_id: &str, now: SystemTime) -> usize {
        self.by_app.get(app_id).map_or(0, |tokens| {
            tokens.iter().filter(|t| t.expires_at > now).count()
        })
    }

    /// Forgets every token (as if the platform had revoked them).
    pub fn clear(&mut self) {
        self.by_app.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_the_eleventh_evicts_the_oldest() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut tokens = Tokens::default();
        for i in 0..MAX_TOKENS_PER_APP {
            tokens.add("app", format!("t{i}"), now);
        }
        assert!(tokens.is_valid("app", "t0", now));
        assert!(!tokens.is_valid("other", "t0", now));
        tokens.add("app", "t10".into(), now);
        assert!(!tokens.is_valid("app", "t0", now));
        assert!(tokens.is_valid("app", "t1", now));
        assert!(tokens.is_valid("app", "t10", now));
        assert_eq!(tokens.valid_count("app", now), MAX_TOKENS_PER_APP);
        let later = now + TOKEN_LIFETIME;
        assert!(!tokens.is_valid("app", "t10", later));
        assert_eq!(tokens.valid_count("app", later), 0);
        assert!(!format!("{tokens:?}").contains("t10"), "no token in Debug");
        tokens.clear();
        assert_eq!(tokens.valid_count("app", now), 0);
    }

    #[test]
    fn skew_is_symmetric() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let d = Duration::from_secs(10);
        assert!(within(t, t + d, d));
        assert!(within(t + d, t, d));
        assert!(!within(t, t + d + d, d));
        assert!(!within(t + d + d, t, d));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
