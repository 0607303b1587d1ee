//! Exit codes and the one error type every command returns, as text or as JSON.

use std::fmt;
use std::process::ExitCode;

use chinaums::{ConfigErrorKind, Delivery, Error, ErrorClass, FollowUp, InvalidField};
use serde_json::Value;

use crate::common::{APP_ID, APP_KEY, ENV, setting_for_field};
use crate::redact;

/// The process exit codes (documented in `--help` and the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The command did what it was asked.
    Success = 0,
    /// Anything that fits no other code (the sandbox could not start, stdout failed).
    Other = 1,
    /// A bad flag or input value; clap's code for usage errors.
    Usage = 2,
    /// The platform answered with an `errCode` (e.g. `NO_ORDER`).
    Platform = 3,
    /// Missing or rejected credentials, or an unusable configuration.
    AuthConfig = 4,
    /// Certainly not processed: the request was not sent, or the platform said it is busy.
    Transport = 5,
    /// The platform may have acted; no usable answer came back.
    OutcomeUnknown = 6,
    /// `notify verify`: the signature does not match (a wrong key, or a changed value).
    SignatureMismatch = 10,
    /// `notify verify`: the body has no `sign` field.
    MissingSign = 11,
    /// `notify verify`: a field appears more than once.
    DuplicateField = 12,
    /// `notify verify`: a name or value is not UTF-8 once decoded.
    NotUtf8 = 13,
    /// `notify verify`: `signType` names a hash other than SHA256 and MD5.
    UnknownSignType = 14,
    /// `notify verify`: the body is neither a form nor a JSON object.
    Malformed = 15,
    /// `notify verify`: not verified, for a reason this version does not know by name.
    NotVerified = 16,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// What kind of failure: the stable word `--json` prints as `class`. Each class has exactly
/// one exit code, so a script may branch on either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A bad flag, value or field, found before anything was sent (exit 2).
    Usage,
    /// The platform found the request wrong: `BAD_REQUEST`, an HTTP 4xx (exit 3).
    Caller,
    /// No such order for this `mid` and `instMid`: `NO_ORDER` (exit 3).
    NotFound,
    /// The platform refused for business reasons: `TARGET_FAIL` (exit 3).
    Rejected,
    /// The credentials were refused: `BAD_SIGN`, an unknown appId (exit 4).
    Auth,
    /// Missing settings or an unusable configuration: `NO_MERCHANT`, a wrong base URL (exit 4).
    Config,
    /// Certainly not processed: safe to retry (exit 5).
    Retryable,
    /// The platform may have acted: query again (exit 6).
    OutcomeUnknown,
    /// Anything else: the sandbox could not start, stdout failed (exit 1).
    Other,
    /// A notification whose signature does not match (exit 10).
    SignatureMismatch,
    /// A notification without `sign` (exit 11).
    MissingSign,
    /// A notification with a field given twice (exit 12).
    DuplicateField,
    /// A notification that is not UTF-8 once decoded (exit 13).
    NotUtf8,
    /// A notification signed with a hash that is not SHA256 or MD5 (exit 14).
    UnknownSignType,
    /// A body that is neither a form nor a JSON object (exit 15).
    Malformed,
    /// A notification not verified for another reason (exit 16).
    NotVerified,
}

impl Class {
    /// The SDK error's class; a field the SDK refused before sending is a usage error.
    pub fn of(error: &Error) -> Class {
        if let Error::InvalidField(_) = error {
            return Class::Usage;
        }
        match error.class() {
            ErrorClass::Caller => Class::Caller,
            ErrorClass::NotFound => Class::NotFound,
            ErrorClass::Rejected => Class::Rejected,
            ErrorClass::Auth => Class::Auth,
            ErrorClass::Config => Class::Config,
            ErrorClass::Retryable => Class::Retryable,
            ErrorClass::OutcomeUnknown => Class::OutcomeUnknown,
        }
    }

    /// The word printed as `class` (snake case, never changed once published).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Usage => "usage",
            Class::Caller => "caller",
            Class::NotFound => "not_found",
            Class::Rejected => "rejected",
            Class::Auth => "auth",
            Class::Config => "config",
            Class::Retryable => "retryable",
            Class::OutcomeUnknown => "outcome_unknown",
            Class::Other => "other",
            Class::SignatureMismatch => "signature_mismatch",
            Class::MissingSign => "missing_sign",
            Class::DuplicateField => "duplicate_field",
            Class::NotUtf8 => "not_utf8",
            Class::UnknownSignType => "unknown_sign_type",
            Class::Malformed => "malformed",
            Class::NotVerified => "not_verified",
        }
    }

    /// The exit code of this class.
    pub fn exit(self) -> Exit {
        match self {
            Class::Usage => Exit::Usage,
            Class::Caller | Class::NotFound | Class::Rejected => Exit::Platform,
            Class::Auth | Class::Config => Exit::AuthConfig,
            Class::Retryable => Exit::Transport,
            Class::OutcomeUnknown => Exit::OutcomeUnknown,
            Class::Other => Exit::Other,
            Class::SignatureMismatch => Exit::SignatureMismatch,
            Class::MissingSign => Exit::MissingSign,
            Class::DuplicateField => Exit::DuplicateField,
            Class::NotUtf8 => Exit::NotUtf8,
            Class::UnknownSignType => Exit::UnknownSignType,
            Class::Malformed => Exit::Malformed,
            Class::NotVerified => Exit::NotVerified,
        }
    }
}

/// A failed command: its class (hence exit code), what went wrong, what to do about it, and
/// what the SDK error said, for `--json`.
#[derive(Debug)]
pub struct CliError {
    /// What kind of failure; decides the exit code.
    pub class: Class,
    /// What went wrong (one line, or a short list).
    pub message: String,
    /// Optional advice.
    pub hint: Option<String>,
    /// The platform's `errCode`, when it sent one.
    pub err_code: Option<String>,
    /// The HTTP status of the answer, when one came.
    pub http_status: Option<u16>,
    /// Whether the request may have been sent, for a transport failure.
    pub delivery: Option<Delivery>,
    /// When the outcome is unknown: the query that settles it (boxed: errors stay small).
    pub follow_up: Option<Box<FollowUpQuery>>,
}

/// The query that settles an unknown outcome, as `--json` prints it (`followUp`) and the hint
/// names it: the operation and the ids to ask it with, and the command that asks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpQuery {
    /// `PaymentQuery`, `RefundQuery` or `BillsQuery`: the SDK's name of the query.
    pub operation: &'static str,
    /// The order to ask about; for `BillsQuery`, the bill's billNo (`billNo` in `--json`).
    pub mer_order_id: String,
    /// The refund to ask about, for a refund query.
    pub refund_order_id: Option<String>,
    /// The business type to ask with, when the failed command chose it itself (an order
    /// created without `--inst-mid` gets its kind's): the query then needs `--inst-mid`.
    pub inst_mid: Option<String>,
    /// For `BillsQuery`: the bill's date, `yyyy-MM-dd`.
    pub bill_date: Option<String>,
}

impl FollowUpQuery {
    /// The query a core [`FollowUp`] names: the refund query when it is about a refund, else
    /// the payment query (read through the follow-up's own queries, so a kind of follow-up
    /// the core adds later still has one).
    pub fn of(follow_up: &FollowUp) -> Self {
        match follow_up.refund_query() {
            Some(query) => FollowUpQuery {
                operation: "RefundQuery",
                mer_order_id: query.mer_order_id.to_string(),
                refund_order_id: query.refund_order_id.map(|id| id.to_string()),
                inst_mid: None,
                bill_date: None,
            },
            None => FollowUpQuery {
                operation: "PaymentQuery",
                mer_order_id: follow_up.payment_query().mer_order_id.to_string(),
                refund_order_id: None,
                inst_mid: None,
                bill_date: None,
            },
        }
    }

    /// The bill query about bill `bill_no` of `bill_date` (and refund `refund_order_id`), which
    /// settles an unknown outcome of a bill operation: the core names none (its follow-ups
    /// name orders), so the command that knows the bill does.
    pub fn bill(bill_no: &str, bill_date: &str, refund_order_id: Option<&str>) -> Self {
        FollowUpQuery {
            operation: "BillsQuery",
            mer_order_id: bill_no.to_owned(),
            refund_order_id: refund_order_id.map(str::to_owned),
            inst_mid: None,
            bill_date: Some(bill_date.to_owned()),
        }
    }

    /// The `chinaums` command that asks it (with the same settings as the failed one), each id
    /// quoted for a POSIX shell when it needs to be.
    pub fn command(&self) -> String {
        let mut order = shell_word(&self.mer_order_id);
        if let Some(date) = &self.bill_date {
            order.push_str(&format!(" --bill-date {}", shell_word(date)));
        }
        if let Some(inst_mid) = &self.inst_mid {
            order.push_str(&format!(" --inst-mid {}", shell_word(inst_mid)));
        }
        if self.operation == "BillsQuery" {
            return match &self.refund_order_id {
                Some(refund) => format!(
                    "chinaums bill query {order} --refund-order-id {}",
                    shell_word(refund)
                ),
                None => format!("chinaums bill query {order}"),
            };
        }
        match &self.refund_order_id {
            Some(refund) => format!(
                "chinaums refund-query {order} --refund-order-id {}",
                shell_word(refund)
            ),
            None if self.operation == "RefundQuery" => format!("chinaums refund-query {order}"),
            None => format!("chinaums query {order}"),
        }
    }

    /// The hint: what to do now, and the command.
    pub fn hint(&self) -> String {
        if self.operation == "BillsQuery" {
            if self.refund_order_id.is_some() {
                format!(
                    "the refund may or may not have been made: never send a new refund for it \
                     (the same --refund-order-id again is safe); ask the bill query (same \
                     settings): {}",
                    self.command()
                )
            } else {
                format!(
                    "the outcome is unknown: ask the bill query before doing anything else \
                     (same settings): {}",
                    self.command()
                )
            }
        } else if self.operation == "RefundQuery" {
            format!(
                "the refund may or may not have been made: never send a new refund for it; \
                 ask the refund query (same settings): {}",
                self.command()
            )
        } else {
            format!(
                "the outcome is unknown: ask the payment query before doing anything else \
                 (same settings): {}",
                self.command()
            )
        }
    }

    /// The `followUp` object of `--json`.
    fn to_json(&self) -> Value {
        let mut object = serde_json::Map::new();
        object.insert("operation".into(), self.operation.into());
        if self.operation == "BillsQuery" {
            object.insert("billNo".into(), self.mer_order_id.clone().into());
        } else {
            object.insert("merOrderId".into(), self.mer_order_id.clone().into());
        }
        if let Some(date) = &self.bill_date {
            object.insert("billDate".into(), date.clone().into());
        }
        if let Some(refund) = &self.refund_order_id {
            object.insert("refundOrderId".into(), refund.clone().into());
        }
        if let Some(inst_mid) = &self.inst_mid {
            object.insert("instMid".into(), inst_mid.clone().into());
        }
        object.insert("command".into(), self.command().into());
        Value::Object(object)
    }
}

impl CliError {
    /// An error of `class` saying `message`.
    pub fn new(class: Class, message: impl Into<String>) -> Self {
        CliError {
            class,
            message: message.into(),
            hint: None,
            err_code: None,
            http_status: None,
            delivery: None,
            follow_up: None,
        }
    }

    /// Adds advice.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(Class::Usage, message)
    }

    /// A field that breaks the core's rule (exit 2): ``invalid field `mid`: …``, with a hint
    /// naming the flag and variable when the field comes from a shared group. A command adds
    /// its own hint for its own flags.
    pub fn invalid(field: &InvalidField) -> Self {
        let error = CliError::usage(field.to_string());
        match setting_for_field(field.field) {
            Some(setting) => error.hint(format!("fix {}", setting.source())),
            None => error,
        }
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        self.class.exit()
    }

    /// The error as the JSON object `--json` prints (documented in the README), URL passwords
    /// redacted like the text form.
    pub fn to_json(&self) -> String {
        let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::from(redact::urls(s)));
        let fields = [
            ("class", Value::from(self.class.as_str())),
            ("errCode", text(self.err_code.as_deref())),
            ("message", text(Some(&self.message))),
            ("hint", text(self.hint.as_deref())),
            (
                "httpStatus",
                self.http_status.map_or(Value::Null, Value::from),
            ),
            (
                "delivery",
                self.delivery.map_or(Value::Null, |d| {
                    Value::from(match d {
                        Delivery::NotSent => "not_sent",
                        Delivery::MaybeSent => "maybe_sent",
                    })
                }),
            ),
            (
                "followUp",
                self.follow_up
                    .as_ref()
                    .map_or(Value::Null, |query| query.to_json()),
            ),
            ("exitCode", Value::from(self.exit() as u8)),
        ];
        // Written field by field to keep the documented order (a `serde_json::Map` sorts its
        // keys); each value is JSON from serde_json, so escaping is its job.
        let lines: Vec<String> = fields
            .iter()
            .map(|(name, value)| format!("  {}: {value}", Value::from(*name)))
            .collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }
}

/// `error: …` and `hint: …`, URL passwords redacted.
impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", redact::urls(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {}", redact::urls(hint))?;
        }
        Ok(())
    }
}

/// The exit code for an SDK error, by its class: invalid input → 2; an answer the platform
/// gave (`NO_ORDER`, a rejected operation, a malformed request) → 3; authentication or
/// configuration (including a base URL that is not a gateway: HTTP 404/405) → 4; certainly not
/// processed → 5; outcome unknown → 6.
pub fn exit_for(error: &Error) -> Exit {
    Class::of(error).exit()
}

/// Describes an SDK error for a user who called `base_url`, with its `errCode`, HTTP status and
/// delivery for `--json`, all read from the error's cause ([`Error::cause`]); when the outcome
/// is unknown and the core names the query that settles it ([`Error::follow_up`]), that query
/// is the hint and the `followUp` of `--json`. Never includes secrets: the core's errors carry
/// none.
pub fn describe(error: &Error, base_url: &str) -> CliError {
    let cause = error.cause();
    let mut described = explain(cause, base_url);
    described.class = Class::of(error);
    described.err_code = cause.err_code().map(str::to_owned);
    described.http_status = cause.status().map(|s| s.as_u16());
    described.delivery = match cause {
        Error::Transport(t) => Some(t.delivery),
        _ => None,
    };
    if let Some(follow_up) = error.follow_up() {
        let query = FollowUpQuery::of(follow_up);
        described.hint = Some(query.hint());
        described.follow_up = Some(Box::new(query));
    }
    described
}

/// The message and hint for an SDK error.
fn explain(error: &Error, base_url: &str) -> CliError {
    let kind = Class::of(error);
    let class = error.class();
    match error {
        Error::InvalidField(f) => CliError::invalid(f),
        Error::Config(c) => {
            let e = CliError::new(kind, error.to_string());
            match c.kind {
                ConfigErrorKind::BaseUrl | ConfigErrorKind::Path => {
                    e.hint(format!("check {}", ENV.source()))
                }
                ConfigErrorKind::Credentials => e.hint(format!(
                    "check {}/{} (or {}/{})",
                    APP_ID.flag, APP_KEY.flag, APP_ID.var, APP_KEY.var
                )),
                ConfigErrorKind::Timeout => e.hint("check --timeout"),
                _ => e,
            }
        }
        Error::Transport(t) => {
            let what = match t.delivery {
                Delivery::NotSent => format!(
                    "cannot reach {base_url}: {} (the request was not sent; safe to retry)",
                    t.message
                ),
                Delivery::MaybeSent => format!(
                    "no usable answer from {base_url}: {} (the request may have been sent)",
                    t.message
                ),
            };
            let e = CliError::new(kind, what);
            match t.delivery {
                Delivery::NotSent => e.hint("check --env (or CHINAUMS_ENV) and the network"),
                Delivery::MaybeSent => {
                    e.hint("the outcome is unknown: query the order again before acting")
                }
            }
        }
        Error::Platform(p) if matches!(p.status.as_u16(), 404 | 405) => CliError::new(
            kind,
            format!(
                "{base_url} answered HTTP {} ({}): is it a ChinaUMS gateway?",
                p.status, p.err_code
            ),
        )
        .hint("check --env (or CHINAUMS_ENV)"),
        Error::Platform(p) => {
            let mut message = format!("the platform answered {} (HTTP {})", p.err_code, p.status);
            if !p.message.is_empty() {
                message.push_str(&format!(": {}", p.message));
            }
            message.push_str(&format!(" [{}]", class.describe()));
            let e = CliError::new(kind, message);
            match (p.err_code.as_str(), class) {
                ("NO_ORDER", _) => e.hint(
                    "check merOrderId, --mid and --inst-mid: instMid must be the business type \
                     the order was created with",
                ),
                (_, ErrorClass::Auth) => e.hint(auth_hint()),
                (_, ErrorClass::OutcomeUnknown) => e.hint("query the order again"),
                _ => e,
            }
        }
        Error::Token(_) if class == ErrorClass::Auth => {
            CliError::new(kind, error.to_string()).hint(auth_hint())
        }
        Error::Http(h) if class == ErrorClass::Auth => CliError::new(
            kind,
            format!("{base_url} rejected the credentials (HTTP {})", h.status),
        )
        .hint(auth_hint()),
        Error::Http(h) if class == ErrorClass::Config => CliError::new(
            kind,
            format!(
                "{base_url} answered HTTP {}: is it a ChinaUMS gateway?",
                h.status
            ),
        )
        .hint("check --env (or CHINAUMS_ENV)"),
        Error::Decode(_) | Error::Http(_) if class == ErrorClass::OutcomeUnknown => {
            CliError::new(kind, error.to_string()).hint("the outcome is unknown: query again")
        }
        _ => CliError::new(kind, error.to_string()),
    }
}

/// `word` as one word of a POSIX shell command: as is when it is made of letters, digits and
/// `_-.:/@%+=,` only, else in single quotes (an id may hold any printable ASCII character).
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.:/@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn auth_hint() -> &'static str {
    "check --app-id/--app-key (or CHINAUMS_APP_ID/CHINAUMS_APP_KEY), that --env matches the \
     credentials, and the machine's clock"
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinaums::http::StatusCode;
    use chinaums::{
        Close, Fen, HttpError, InvalidField, Merchant, Operation, PlatformError, Refund,
        TransportError, TransportErrorKind,
    };

    fn platform(code: &str, status: StatusCode) -> Error {
        PlatformError::new(status, code, "msg").into()
    }

    #[test]
    fn exit_codes_follow_the_table() {
        let cases = [
            (InvalidField::new("mid", "bad").into(), Exit::Usage),
            (platform("NO_ORDER", StatusCode::OK), Exit::Platform),
            (platform("BAD_REQUEST", StatusCode::OK), Exit::Platform),
            (platform("NO_MERCHANT", StatusCode::OK), Exit::AuthConfig),
            (
                platform("BAD_SIGN", StatusCode::UNAUTHORIZED),
                Exit::AuthConfig,
            ),
            (platform("1002", StatusCode::UNAUTHORIZED), Exit::AuthConfig),
            (platform("SYSTEM_BUSY", StatusCode::OK), Exit::Transport),
            (
                platform("NOT_FOUND", StatusCode::NOT_FOUND),
                Exit::AuthConfig,
            ),
            (
                platform("INTERNAL_ERROR", StatusCode::OK),
                Exit::OutcomeUnknown,
            ),
            (
                Error::config(ConfigErrorKind::BaseUrl, "x"),
                Exit::AuthConfig,
            ),
            (
                TransportError::new(Delivery::NotSent, TransportErrorKind::Connect, "refused")
                    .into(),
                Exit::Transport,
            ),
            (
                TransportError::new(Delivery::MaybeSent, TransportErrorKind::Timeout, "slow")
                    .into(),
                Exit::OutcomeUnknown,
            ),
            (
                HttpError {
                    status: StatusCode::NOT_FOUND,
                    excerpt: String::new(),
                }
                .into(),
                Exit::AuthConfig,
            ),
            (
                HttpError {
                    status: StatusCode::BAD_REQUEST,
                    excerpt: String::new(),
                }
                .into(),
                Exit::Platform,
            ),
            (
                HttpError {
                    status: StatusCode::BAD_GATEWAY,
                    excerpt: String::new(),
                }
                .into(),
                Exit::OutcomeUnknown,
            ),
        ];
        for (error, exit) in cases {
            assert_eq!(exit_for(&error), exit, "{error}");
        }
    }

    #[test]
    fn each_class_has_a_word_and_one_exit_code() {
        let table = [
            (Class::Usage, "usage", 2),
            (Class::Caller, "caller", 3),
            (Class::NotFound, "not_found", 3),
            (Class::Rejected, "rejected", 3),
            (Class::Auth, "auth", 4),
            (Class::Config, "config", 4),
            (Class::Retryable, "retryable", 5),
            (Class::OutcomeUnknown, "outcome_unknown", 6),
            (Class::Other, "other", 1),
            (Class::SignatureMismatch, "signature_mismatch", 10),
            (Class::MissingSign, "missing_sign", 11),
            (Class::DuplicateField, "duplicate_field", 12),
            (Class::NotUtf8, "not_utf8", 13),
            (Class::UnknownSignType, "unknown_sign_type", 14),
            (Class::Malformed, "malformed", 15),
            (Class::NotVerified, "not_verified", 16),
        ];
        for (class, word, code) in table {
            assert_eq!((class.as_str(), class.exit() as u8), (word, code));
        }
    }

    #[test]
    fn json_has_every_field_and_no_url_password() {
        let e = CliError::new(Class::Other, "cannot reach http://u:secret@h:1/x")
            .hint("see http://u:secret@h:1");
        let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "class": "other",
                "errCode": null,
                "message": "cannot reach http://***@h:1/x",
                "hint": "see http://***@h:1",
                "httpStatus": null,
                "delivery": null,
                "followUp": null,
                "exitCode": 1,
            })
        );
        assert!(!e.to_string().contains("secret"), "{e}");
        // The documented order; quotes and newlines escaped.
        let text = CliError::usage("a \"b\"\nc").to_json();
        let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
        let keys = [
            "class",
            "errCode",
            "message",
            "hint",
            "httpStatus",
            "delivery",
            "followUp",
            "exitCode",
        ];
        assert!(keys.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["message"], "a \"b\"\nc");
    }

    #[test]
    fn described_errors_carry_code_status_and_delivery() {
        let e = describe(&platform("NO_ORDER", StatusCode::OK), "http://h");
        assert_eq!(e.class, Class::NotFound);
        assert_eq!(e.err_code.as_deref(), Some("NO_ORDER"));
        assert_eq!(e.http_status, Some(200));
        assert_eq!(e.delivery, None);
        let refused: Error =
            TransportError::new(Delivery::NotSent, TransportErrorKind::Connect, "refused").into();
        let e = describe(&refused, "http://h");
        assert_eq!(
            (e.class, e.delivery),
            (Class::Retryable, Some(Delivery::NotSent))
        );
        assert_eq!((e.err_code, e.http_status), (None, None));
    }

    #[test]
    fn field_errors_name_the_flag() {
        let e = describe(
            &InvalidField::new("mid", "must be 15 characters").into(),
            "u",
        );
        assert!(
            e.to_string().contains("`mid`: must be 15 characters"),
            "{e}"
        );
        assert!(e.to_string().contains("--mid (or CHINAUMS_MID)"), "{e}");
        let e = describe(&InvalidField::new("appId", "must not be empty").into(), "u");
        assert_eq!(e.hint.as_deref(), Some("fix --app-id (or CHINAUMS_APP_ID)"));
        let e = describe(&InvalidField::new("merOrderId", "x").into(), "u");
        assert_eq!((e.class, e.hint), (Class::Usage, None));
    }

    #[test]
    fn config_errors_are_told_apart_by_kind() {
        let hint = |kind| describe(&Error::config(kind, "m"), "u").hint;
        assert_eq!(
            hint(ConfigErrorKind::BaseUrl).as_deref(),
            Some("check --env (or CHINAUMS_ENV)")
        );
        assert!(hint(ConfigErrorKind::Credentials).is_some_and(|h| h.contains("--app-key")));
        assert_eq!(
            hint(ConfigErrorKind::Timeout).as_deref(),
            Some("check --timeout")
        );
        assert_eq!(hint(ConfigErrorKind::Tls), None);
        let e = describe(&Error::config(ConfigErrorKind::Tls, "no TLS"), "u");
        assert_eq!((e.class, e.exit()), (Class::Config, Exit::AuthConfig));
        assert!(e.message.contains("no TLS"), "{e}");
    }

    fn merchant() -> Merchant {
        Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap()
    }

    /// What the core's own call makes of `operation` when the exchange gives `answer` (one
    /// attempt): an unknown outcome comes back with the operation's follow-up.
    fn through_the_core<O: Operation>(
        operation: &O,
        answer: Result<chinaums::http::Response<Vec<u8>>, TransportError>,
    ) -> Error {
        let client = chinaums::Client::builder(
            chinaums::Credentials::new("app", "key"),
            chinaums::Environment::Test,
        )
        .build();
        let call = client.call(operation).unwrap();
        match call.run_blocking(std::time::Duration::from_secs(1), |_| answer.clone()) {
            Ok(_) => panic!("the call succeeded"),
            Err(e) => e,
        }
    }

    fn unresolved<O: Operation>(operation: &O, cause: TransportError) -> Error {
        through_the_core(operation, Err(cause))
    }

    #[test]
    fn an_unknown_refund_names_the_refund_query_in_text_and_json() {
        let refund = Refund::new(
            &merchant(),
            "3194ORDER0001".parse().unwrap(),
            "3194REFUND0001".parse().unwrap(),
            Fen(30),
        );
        let cut = TransportError::new(Delivery::MaybeSent, TransportErrorKind::Io, "reset");
        let error = unresolved(&refund, cut);
        assert!(error.follow_up().is_some(), "{error:?}");
        let e = describe(&error, "http://h");
        assert_eq!(
            (e.class, e.exit()),
            (Class::OutcomeUnknown, Exit::OutcomeUnknown)
        );
        // errCode, httpStatus and delivery come from the cause.
        assert_eq!(e.delivery, Some(Delivery::MaybeSent));
        assert_eq!((e.err_code.as_deref(), e.http_status), (None, None));
        let hint = e.hint.clone().unwrap();
        assert!(
            hint.contains("never send a new refund")
                && hint.ends_with(
                    "chinaums refund-query 3194ORDER0001 --refund-order-id 3194REFUND0001"
                ),
            "{hint}"
        );
        assert!(e.to_string().contains(&hint), "{e}");
        let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            json["followUp"],
            serde_json::json!({
                "operation": "RefundQuery",
                "merOrderId": "3194ORDER0001",
                "refundOrderId": "3194REFUND0001",
                "command": "chinaums refund-query 3194ORDER0001 --refund-order-id 3194REFUND0001",
            })
        );
        assert_eq!(json["delivery"], "maybe_sent");
        assert_eq!(json["exitCode"], 6);
    }

    #[test]
    fn an_unknown_close_names_the_payment_query() {
        let close = Close::new(&merchant(), "3194ORDER0001".parse().unwrap());
        let cut = TransportError::new(Delivery::MaybeSent, TransportErrorKind::Timeout, "slow");
        let e = describe(&unresolved(&close, cut), "http://h");
        let query = e.follow_up.clone().unwrap();
        assert_eq!(
            (
                query.operation,
                query.mer_order_id.as_str(),
                query.refund_order_id
            ),
            ("PaymentQuery", "3194ORDER0001", None)
        );
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .ends_with("chinaums query 3194ORDER0001"),
            "the payment query command"
        );
        let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(json["followUp"]["operation"], "PaymentQuery");
        assert!(json["followUp"].get("refundOrderId").is_none(), "{json}");
        // OPERATION_NOT_ALLOWED (closed already, or paid meanwhile): the same follow-up, and
        // errCode and HTTP status from the cause.
        let answer = chinaums::http::Response::new(
            br#"{"errCode":"OPERATION_NOT_ALLOWED","errMsg":"x"}"#.to_vec(),
        );
        let e = describe(&through_the_core(&close, Ok(answer)), "http://h");
        assert_eq!(e.class, Class::OutcomeUnknown);
        assert_eq!(e.err_code.as_deref(), Some("OPERATION_NOT_ALLOWED"));
        assert_eq!((e.http_status, e.delivery), (Some(200), None));
        assert_eq!(e.follow_up.unwrap().operation, "PaymentQuery");
        // A failure that is not "outcome unknown" has no follow-up.
        let e = describe(&platform("NO_ORDER", StatusCode::OK), "http://h");
        assert_eq!(e.follow_up, None);
    }

    #[test]
    fn ids_in_a_command_are_quoted_when_a_shell_would_read_them() {
        assert_eq!(shell_word("3194ORDER0001"), "3194ORDER0001");
        assert_eq!(shell_word("a;b"), "'a;b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$(x)"), "'$(x)'");
        assert_eq!(shell_word(""), "''");
    }
}
