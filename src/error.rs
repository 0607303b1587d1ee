//! Errors, and the class each belongs to.
//!
//! Every error answers two questions: what went wrong ([`Error`]'s variants keep the HTTP
//! status, the platform's `errCode` and message, or the field that did not fit), and what the
//! caller should do about it ([`Error::class`]). A payment outcome is never guessed: when the
//! platform may have acted, the class is [`ErrorClass::OutcomeUnknown`] ("query before
//! retrying"), never a failure.

use std::fmt;

use http::StatusCode;

use crate::netpay::FollowUp;

/// What the caller should do about an error.
///
/// # HTTP statuses without an `errCode`
///
/// When the body carries no platform `errCode` (a proxy's HTML page, an empty body), the class
/// comes from the HTTP status alone. Only statuses that say the request was refused *before*
/// anything ran are [`Retryable`](ErrorClass::Retryable); anything a proxy may return after
/// forwarding the request is [`OutcomeUnknown`](ErrorClass::OutcomeUnknown), because the
/// platform may have acted on it (a refund, a close) before the proxy gave up.
///
/// | status | class | why |
/// |---|---|---|
/// | 401, 403 | `Auth` | the gateway refused the credentials or the signature |
/// | 404, 405 | `Config` | the base URL or path is not a gateway endpoint |
/// | 408, 425, 429 | `Retryable` | timed out waiting for the request, too early, rate-limited: not processed |
/// | 499 | `OutcomeUnknown` | the proxy's client went away; the request may have been forwarded |
/// | other 4xx | `Caller` | the request was refused as malformed |
/// | 501, 505 | `Config` | the server cannot handle this method or HTTP version at all |
/// | 500, 502, 503, 504, other 5xx | `OutcomeUnknown` | an error after the request may have reached the platform |
/// | 1xx, 3xx | `OutcomeUnknown` | not an answer to the request; redirects are never followed |
///
/// An undocumented `errCode` is classified by the same table; a documented one by its meaning
/// ([`known_class`]).
///
/// ```
/// use chinaums::{Delivery, Error, ErrorClass, TransportError, TransportErrorKind};
///
/// fn next_step(error: &Error) -> &'static str {
///     match error.class() {
///         ErrorClass::Retryable => "retry the same request later",
///         ErrorClass::OutcomeUnknown => "query the order before doing anything else",
///         ErrorClass::NotFound => "no such order for this mid and instMid",
///         ErrorClass::Rejected => "the platform refused: tell the user",
///         ErrorClass::Caller | ErrorClass::Auth | ErrorClass::Config => "fix the request or setup",
///     }
/// }
///
/// let cut = Error::Transport(TransportError::new(
///     Delivery::MaybeSent,
///     TransportErrorKind::Io,
///     "connection reset after the request was written",
/// ));
/// assert_eq!(next_step(&cut), "query the order before doing anything else");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The request is wrong (a field, the clock): fix it; retrying as is will fail again.
    Caller,
    /// Authentication failed (signature, appId, appKey, token).
    Auth,
    /// The merchant or SDK configuration is wrong (merchant number, IP whitelist, base URL).
    Config,
    /// The order (or bill) does not exist for this `mid` and `instMid`.
    NotFound,
    /// The platform refused the operation for business reasons (order closed, channel refused).
    Rejected,
    /// Certainly not processed: safe to retry the same request later.
    Retryable,
    /// The platform may or may not have acted. Query the order before doing anything else.
    OutcomeUnknown,
}

impl ErrorClass {
    /// A short English description of the class.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorClass::Caller => "invalid request",
            ErrorClass::Auth => "authentication failed",
            ErrorClass::Config => "configuration error",
            ErrorClass::NotFound => "not found",
            ErrorClass::Rejected => "rejected by the platform",
            ErrorClass::Retryable => "temporary failure, safe to retry",
            ErrorClass::OutcomeUnknown => "outcome unknown: query before retrying",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Every error the SDK reports.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field broke a rule; nothing was signed or sent.
    #[error(transparent)]
    InvalidField(#[from] InvalidField),
    /// The SDK itself is misconfigured (e.g. an unusable base URL); nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The nonce source failed or produced an unusable nonce; nothing was sent.
    #[error("nonce source failed: {0}")]
    Nonce(String),
    /// The platform answered with an `errCode` other than success.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// The platform (or something in between) answered with a non-success HTTP status and a
    /// body that carries no `errCode`.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The response body could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The request could not be exchanged with the server.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Fetching an access token failed; the business request was not sent.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// An operation that changes money may or may not have happened; the payload says why the
    /// outcome is unknown and which query tells. Only ever of class
    /// [`ErrorClass::OutcomeUnknown`].
    #[error("{}; outcome unknown: {}", .0.cause, .0.follow_up)]
    Unresolved(Box<Unresolved>),
}

impl Error {
    /// What the caller should do about this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::InvalidField(_) => ErrorClass::Caller,
            Error::Config(_) | Error::Nonce(_) => ErrorClass::Config,
            Error::Platform(e) => e.class,
            Error::Http(e) => e.class(),
            // A success status with a body we cannot read: the platform may have acted.
            Error::Decode(_) => ErrorClass::OutcomeUnknown,
            Error::Transport(e) => e.class(),
            Error::Token(e) => e.class,
            Error::Unresolved(_) => ErrorClass::OutcomeUnknown,
        }
    }

    /// When the outcome of an operation that changes money is unknown: the query to ask
    /// (e.g. the refund query with the refund's ids). Never send the operation anew before
    /// asking it.
    pub fn follow_up(&self) -> Option<&FollowUp> {
        match self {
            Error::Unresolved(u) => Some(&u.follow_up),
            _ => None,
        }
    }

    /// The error itself, without the follow-up an unresolved outcome adds.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Unresolved(u) => u.cause.cause(),
            other => other,
        }
    }

    /// Adds `follow_up` to an error whose outcome is unknown; any other error is returned as is.
    pub(crate) fn with_follow_up(self, follow_up: Option<FollowUp>) -> Error {
        match follow_up {
            Some(follow_up) if self.is_outcome_unknown() && self.follow_up().is_none() => {
                Error::Unresolved(Box::new(Unresolved {
                    cause: self,
                    follow_up,
                }))
            }
            _ => self,
        }
    }

    /// True when the platform may have acted: query before retrying or giving up.
    pub fn is_outcome_unknown(&self) -> bool {
        self.class() == ErrorClass::OutcomeUnknown
    }

    /// The HTTP status of the response this error came from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Platform(e) => Some(e.status),
            Error::Http(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Token(e) => e.status,
            Error::Unresolved(u) => u.cause.status(),
            _ => None,
        }
    }

    /// The platform's `errCode`, if the platform sent one.
    pub fn err_code(&self) -> Option<&str> {
        match self {
            Error::Platform(e) => Some(&e.err_code),
            Error::Token(e) => e.err_code.as_deref(),
            Error::Unresolved(u) => u.cause.err_code(),
            _ => None,
        }
    }
}

impl Error {
    /// A configuration error of `kind`.
    pub fn config(kind: ConfigErrorKind, message: impl Into<String>) -> Error {
        Error::Config(ConfigError {
            kind,
            message: message.into(),
        })
    }
}

/// An outcome that is unknown, and the query that settles it (see [`Error::Unresolved`]).
#[derive(Clone, Debug)]
pub struct Unresolved {
    /// Why the outcome is unknown (a timeout after sending, an unreadable answer, …).
    pub cause: Error,
    /// What to ask to learn the outcome.
    pub follow_up: FollowUp,
}

/// What part of the configuration is wrong; match on it rather than on the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The base URL (or the `CHINAUMS_ENV` naming it) is missing or unusable.
    BaseUrl,
    /// An operation's path does not make a usable URL.
    Path,
    /// The appId or appKey is missing or cannot go into a header.
    Credentials,
    /// The transport timeout is zero or above the maximum.
    Timeout,
    /// The response body cap is zero.
    ResponseCap,
    /// A root certificate cannot be read or cannot serve as a trust anchor.
    Certificate,
    /// The TLS stack cannot be configured.
    Tls,
    /// `prepare` with OPEN-ACCESS-TOKEN and no fresh token cached: drive a `call` instead.
    NoToken,
    /// A call was driven out of order (e.g. `receive` without a request in flight).
    Misuse,
    /// The request could not be serialized or built.
    Request,
}

/// The SDK is misconfigured; nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {message}")]
pub struct ConfigError {
    /// What part of the configuration is wrong.
    pub kind: ConfigErrorKind,
    /// What is wrong, for people.
    pub message: String,
}

/// A request field that broke a rule; reported before anything is signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid field `{field}`: {rule}")]
pub struct InvalidField {
    /// The field's wire name, e.g. `merOrderId`.
    pub field: &'static str,
    /// The rule it broke, e.g. "must be 6 to 32 characters, got 40".
    pub rule: String,
}

impl InvalidField {
    /// A new error for `field` breaking `rule`.
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        InvalidField {
            field,
            rule: rule.into(),
        }
    }
}

/// The platform answered with an `errCode` other than success.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("platform error {err_code} (HTTP {status}): {message} [{class}]")]
pub struct PlatformError {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// The platform's `errCode`, verbatim.
    pub err_code: String,
    /// `errMsg` or `errInfo`, whichever the platform filled (empty if neither).
    pub message: String,
    /// What the caller should do about it.
    pub class: ErrorClass,
}

impl PlatformError {
    /// Builds the error and classifies `err_code` ([`classify`]).
    ///
    /// The gateway's codes for an expired or invalid token are not documented, so this is a
    /// guess, made on purpose: an undocumented code whose message says 认证失败 ("authentication
    /// failed") is read as an authentication failure, whatever the HTTP status, so that the
    /// access-token flow refreshes its token.
    pub fn new(
        status: StatusCode,
        err_code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let err_code = err_code.into();
        let message = message.into();
        let class = match known_class(&err_code) {
            None if message.contains("认证失败") => ErrorClass::Auth,
            _ => classify(&err_code, status),
        };
        PlatformError {
            status,
            err_code,
            message,
            class,
        }
    }
}

/// Classifies an `errCode` from the platform's error-code table. Codes this SDK does not know
/// are classified by the HTTP status like [`HttpError::class`] (the table on [`ErrorClass`]).
pub fn classify(err_code: &str, status: StatusCode) -> ErrorClass {
    known_class(err_code).unwrap_or_else(|| status_class(status))
}

/// The class of a non-success HTTP status whose body says nothing more; see [`ErrorClass`] for
/// the table and the reasons.
fn status_class(status: StatusCode) -> ErrorClass {
    match status.as_u16() {
        401 | 403 => ErrorClass::Auth,
        404 | 405 | 501 | 505 => ErrorClass::Config,
        408 | 425 | 429 => ErrorClass::Retryable,
        499 => ErrorClass::OutcomeUnknown,
        400..=499 => ErrorClass::Caller,
        _ => ErrorClass::OutcomeUnknown,
    }
}

/// The class of a documented `errCode`, or `None` for a code this SDK does not know.
pub fn known_class(err_code: &str) -> Option<ErrorClass> {
    Some(match err_code {
        "BAD_REQUEST" | "ABNORMAL_REQUEST_TIME" | "1000" => ErrorClass::Caller,
        "BAD_SIGN" => ErrorClass::Auth,
        "NO_SERVICE"
        | "NO_MERCHANT"
        | "INACTIVE_MERCHANT"
        | "INVALID_MSGSRC"
        | "DENIED_IP"
        | "INVLID_MERCHANT_CONFIG"
        | "INVALID_MERCHANT_CONFIG" => ErrorClass::Config,
        "NO_ORDER" | "NO_BILL" => ErrorClass::NotFound,
        "OPERATION_NOT_ALLOWED"
        | "TARGET_FAIL"
        | "INVALID_ORDER"
        | "NO_CROSS_DAY_TRADING"
        | "HAS_CANCELLED" => ErrorClass::Rejected,
        "TXN_DISCARDED" | "SYSTEM_BUSY" | "9200" => ErrorClass::Retryable,
        "INTERNAL_ERROR" | "TIMEOUT" | "DUP_ORDER" | "ORDER_PROCESSING" | "NET_ERROR"
        | "INVALID_RESPONSE" => ErrorClass::OutcomeUnknown,
        _ => return None,
    })
}

/// Fetching an access token (`POST /v1/token/access`) failed. The business request was not
/// sent, so the class is never "outcome unknown".
///
/// The message never contains the response body: a token response may carry a token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("access token request failed{}: {message} [{class}]", .err_code.as_ref().map(|c| format!(" with errCode {c}")).unwrap_or_default())]
pub struct TokenError {
    /// The HTTP status of the token response, if one came back.
    pub status: Option<StatusCode>,
    /// The token endpoint's `errCode` (success is `0000`), if it sent one.
    pub err_code: Option<String>,
    /// `errInfo`, or what was wrong with the response.
    pub message: String,
    /// What the caller should do: `Auth` for a rejected appId or signature, `Caller` for a bad
    /// timestamp, `Retryable` for anything transient.
    pub class: ErrorClass,
}

impl TokenError {
    /// A token error. The class: a documented code keeps its class (with "outcome unknown"
    /// read as "retryable": no business request was sent); an undocumented code is an
    /// authentication failure unless the status is 5xx; no code at all is retryable unless the
    /// status is 401/403.
    pub fn new(
        status: Option<StatusCode>,
        err_code: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        let server_error = status.is_some_and(|s| s.is_server_error());
        let class = match (err_code.as_deref().map(known_class), status) {
            (Some(Some(ErrorClass::OutcomeUnknown)), _) => ErrorClass::Retryable,
            (Some(Some(known)), _) => known,
            (Some(None), _) if server_error => ErrorClass::Retryable,
            (Some(None), _) => ErrorClass::Auth,
            (None, Some(s)) if matches!(s.as_u16(), 401 | 403) => ErrorClass::Auth,
            (None, _) => ErrorClass::Retryable,
        };
        TokenError {
            status,
            err_code,
            message: message.into(),
            class,
        }
    }
}

/// A non-success HTTP status with a body that carries no `errCode`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status} without a platform error code; body: {excerpt:?}")]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The start of the body (at most [`EXCERPT_LIMIT`] bytes, lossily decoded).
    pub excerpt: String,
}

impl HttpError {
    /// The class of the status alone: the table on [`ErrorClass`].
    pub fn class(&self) -> ErrorClass {
        status_class(self.status)
    }
}

/// The response body could not be decoded into the expected shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode response (HTTP {status}) at `{path}`: {message}; body: {excerpt:?}")]
pub struct DecodeError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON path of the value that did not fit, e.g. `totalAmount` (`.` for the root).
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// The start of the body (at most [`EXCERPT_LIMIT`] bytes, lossily decoded).
    pub excerpt: String,
}

/// How many bytes of a response body an error keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// The first [`EXCERPT_LIMIT`] bytes of `body`, lossily decoded, cut at a character boundary.
pub fn excerpt(body: &[u8]) -> String {
    let was_cut = body.len() > EXCERPT_LIMIT;
    let mut cut = &body[..body.len().min(EXCERPT_LIMIT)];
    if was_cut {
        // A character split by the limit is dropped whole, whatever comes before it: walk
        // back over its continuation bytes (at most three) to its leading byte.
        let mut start = EXCERPT_LIMIT;
        while start > EXCERPT_LIMIT - 3 && is_continuation(body[start]) {
            start -= 1;
        }
        if start < EXCERPT_LIMIT && !is_continuation(body[start]) && body[start] >= 0xC0 {
            cut = &body[..start];
        }
    }
    let text = String::from_utf8_lossy(cut).into_owned();
    if was_cut { text + "…" } else { text }
}

/// A UTF-8 continuation byte (`10xxxxxx`).
fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Whether a failed exchange may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// The request certainly did not reach the server (e.g. connect or TLS handshake failed).
    NotSent,
    /// The request may have reached the server (e.g. a timeout or a reset after sending).
    MaybeSent,
}

/// What kind of transport failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// DNS resolution or TCP connect failed.
    Connect,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// The configured timeout elapsed.
    Timeout,
    /// The response body exceeded the configured size cap.
    BodyTooLarge,
    /// The connection broke while sending or receiving.
    Io,
    /// The response was not valid HTTP.
    Protocol,
    /// Anything else.
    Other,
}

/// A failure to exchange a request with the server, reported by a runtime adapter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transport error ({kind:?}, {}): {message}", match .delivery { Delivery::NotSent => "request not sent", Delivery::MaybeSent => "request may have been sent" })]
pub struct TransportError {
    /// Whether the request may have reached the server.
    pub delivery: Delivery,
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// A human-readable description (never contains secrets).
    pub message: String,
}

impl TransportError {
    /// A new transport error.
    pub fn new(delivery: Delivery, kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            delivery,
            kind,
            message: message.into(),
        }
    }

    /// Not sent → retryable; maybe sent → outcome unknown.
    pub fn class(&self) -> ErrorClass {
        match self.delivery {
            Delivery::NotSent => ErrorClass::Retryable,
            Delivery::MaybeSent => ErrorClass::OutcomeUnknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_documented_code() {
        let ok = StatusCode::OK;
        let cases = [
            ("BAD_REQUEST", ErrorClass::Caller),
            ("ABNORMAL_REQUEST_TIME", ErrorClass::Caller),
            ("BAD_SIGN", ErrorClass::Auth),
            ("NO_SERVICE", ErrorClass::Config),
            ("NO_MERCHANT", ErrorClass::Config),
            ("INACTIVE_MERCHANT", ErrorClass::Config),
            ("INVALID_MSGSRC", ErrorClass::Config),
            ("DENIED_IP", ErrorClass::Config),
            ("INVLID_MERCHANT_CONFIG", ErrorClass::Config),
            ("NO_ORDER", ErrorClass::NotFound),
            ("NO_BILL", ErrorClass::NotFound),
            ("OPERATION_NOT_ALLOWED", ErrorClass::Rejected),
            ("TARGET_FAIL", ErrorClass::Rejected),
            ("INVALID_ORDER", ErrorClass::Rejected),
            ("NO_CROSS_DAY_TRADING", ErrorClass::Rejected),
            ("HAS_CANCELLED", ErrorClass::Rejected),
            ("TXN_DISCARDED", ErrorClass::Retryable),
            ("SYSTEM_BUSY", ErrorClass::Retryable),
            ("INTERNAL_ERROR", ErrorClass::OutcomeUnknown),
            ("TIMEOUT", ErrorClass::OutcomeUnknown),
            ("DUP_ORDER", ErrorClass::OutcomeUnknown),
            ("ORDER_PROCESSING", ErrorClass::OutcomeUnknown),
            ("NET_ERROR", ErrorClass::OutcomeUnknown),
            ("INVALID_RESPONSE", ErrorClass::OutcomeUnknown),
        ];
        for (code, class) in cases {
            assert_eq!(classify(code, ok), class, "{code}");
        }
    }

    #[test]
    fn unknown_codes_fall_back_on_the_status() {
        assert_eq!(classify("X", StatusCode::UNAUTHORIZED), ErrorClass::Auth);
        assert_eq!(classify("X", StatusCode::FORBIDDEN), ErrorClass::Auth);
        assert_eq!(
            classify("X", StatusCode::PRECONDITION_FAILED),
            ErrorClass::Caller
        );
        assert_eq!(classify("X", StatusCode::OK), ErrorClass::OutcomeUnknown);
        assert_eq!(
            classify("X", StatusCode::BAD_GATEWAY),
            ErrorClass::OutcomeUnknown
        );
    }

    #[test]
    fn every_status_class_of_the_documented_table() {
        let cases = [
            (401, ErrorClass::Auth),
            (403, ErrorClass::Auth),
            (404, ErrorClass::Config),
            (405, ErrorClass::Config),
            (408, ErrorClass::Retryable),
            (425, ErrorClass::Retryable),
            (429, ErrorClass::Retryable),
            (499, ErrorClass::OutcomeUnknown),
            (400, ErrorClass::Caller),
            (413, ErrorClass::Caller),
            (501, ErrorClass::Config),
            (505, ErrorClass::Config),
            (500, ErrorClass::OutcomeUnknown),
            (502, ErrorClass::OutcomeUnknown),
            (503, ErrorClass::OutcomeUnknown),
            (504, ErrorClass::OutcomeUnknown),
            (599, ErrorClass::OutcomeUnknown),
            (302, ErrorClass::OutcomeUnknown),
            (101, ErrorClass::OutcomeUnknown),
        ];
        for (status, class) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            let http = HttpError {
                status,
                excerpt: String::new(),
            };
            assert_eq!(http.class(), class, "{status}");
            // An undocumented errCode follows the same table.
            assert_eq!(classify("UNDOCUMENTED", status), class, "{status}");
        }
    }

    #[test]
    fn an_undocumented_code_saying_authentication_failed_is_auth() {
        let e = PlatformError::new(StatusCode::OK, "4001", "认证失败: token已过期");
        assert_eq!(e.class, ErrorClass::Auth);
        // Documented codes keep their class whatever the message says.
        let e = PlatformError::new(StatusCode::OK, "NO_ORDER", "认证失败");
        assert_eq!(e.class, ErrorClass::NotFound);
        let e = PlatformError::new(StatusCode::OK, "4001", "其他");
        assert_eq!(e.class, ErrorClass::OutcomeUnknown);
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_a_char_boundary() {
        assert_eq!(excerpt(b"short"), "short");
        let long = "测".repeat(400); // 1200 bytes
        let e = excerpt(long.as_bytes());
        assert!(e.ends_with('…'));
        let body = e.trim_end_matches('…');
        assert!(body.len() <= EXCERPT_LIMIT && body.chars().all(|c| c == '测'));
        assert_eq!(excerpt(&[0xff, b'a']), "\u{fffd}a");
        // A body that was not cut keeps an incomplete last character, as a replacement.
        assert_eq!(excerpt(&[0xce]), "\u{fffd}");
        // A character split by the limit is dropped whole even after an invalid byte.
        let mut split = vec![0xff];
        split.extend("测".repeat(400).as_bytes());
        let e = excerpt(&split);
        let body = e.trim_end_matches('…');
        // 0xff, then 511 bytes: 170 whole characters and one byte of the 171st.
        assert!(body.starts_with('\u{fffd}'), "{e}");
        assert!(body.chars().skip(1).all(|c| c == '测'), "{e}");
        assert_eq!(body.chars().count(), 1 + 170);
    }

    #[test]
    fn transport_errors_say_whether_the_request_may_have_arrived() {
        let not_sent =
            TransportError::new(Delivery::NotSent, TransportErrorKind::Connect, "refused");
        let maybe = TransportError::new(Delivery::MaybeSent, TransportErrorKind::Timeout, "slow");
        assert_eq!(Error::from(not_sent).class(), ErrorClass::Retryable);
        let maybe = Error::from(maybe);
        assert!(maybe.is_outcome_unknown());
        assert!(maybe.to_string().contains("may have been sent"));
    }
}
