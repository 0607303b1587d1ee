//! Exit codes and the one error type every command returns.

use std::fmt;
use std::process::ExitCode;

use chinaums::{Delivery, Error, ErrorClass};

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
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A failed command: the exit code, what went wrong, and what to do about it.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// One line saying what went wrong.
    pub message: String,
    /// Optional advice.
    pub hint: Option<String>,
}

impl CliError {
    /// An error with `exit` and `message`.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds advice.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(Exit::Usage, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// The exit code for an SDK error, by its class: invalid input → 2; an answer the platform
/// gave (`NO_ORDER`, a rejected operation, a malformed request) → 3; authentication or
/// configuration (including a base URL that is not a gateway: HTTP 404/405) → 4; certainly not
/// processed → 5; outcome unknown → 6.
pub fn exit_for(error: &Error) -> Exit {
    if let Error::InvalidField(_) = error {
        return Exit::Usage;
    }
    match error.class() {
        ErrorClass::Auth | ErrorClass::Config => Exit::AuthConfig,
        ErrorClass::Retryable => Exit::Transport,
        ErrorClass::OutcomeUnknown => Exit::OutcomeUnknown,
        ErrorClass::Caller | ErrorClass::NotFound | ErrorClass::Rejected => Exit::Platform,
    }
}

/// Where an SDK field error comes from on the command line.
fn flag_for_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "mid" => "--mid (or CHINAUMS_MID)",
        "tid" => "--tid (or CHINAUMS_TID)",
        "instMid" => "--inst-mid (or CHINAUMS_INST_MID)",
        "merOrderId" => "the <merOrderId> argument",
        "msgId" => "--msg-id",
        _ => return None,
    })
}

/// Describes an SDK error for a user who called `base_url`. Never includes secrets: the core's
/// errors carry none.
pub fn describe(error: &Error, base_url: &str) -> CliError {
    let exit = exit_for(error);
    let class = error.class();
    match error {
        Error::InvalidField(f) => {
            let e = CliError::new(exit, f.to_string());
            match flag_for_field(f.field) {
                Some(flag) => e.hint(format!("fix {flag}")),
                None => e,
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
            let e = CliError::new(exit, what);
            match t.delivery {
                Delivery::NotSent => e.hint("check --env (or CHINAUMS_ENV) and the network"),
                Delivery::MaybeSent => {
                    e.hint("the outcome is unknown: query the order again before acting")
                }
            }
        }
        Error::Platform(p) if matches!(p.status.as_u16(), 404 | 405) => CliError::new(
            exit,
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
            let e = CliError::new(exit, message);
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
            CliError::new(exit, error.to_string()).hint(auth_hint())
        }
        Error::Http(h) if class == ErrorClass::Auth => CliError::new(
            exit,
            format!("{base_url} rejected the credentials (HTTP {})", h.status),
        )
        .hint(auth_hint()),
        Error::Http(h) if class == ErrorClass::Config => CliError::new(
            exit,
            format!(
                "{base_url} answered HTTP {}: is it a ChinaUMS gateway?",
                h.status
            ),
        )
        .hint("check --env (or CHINAUMS_ENV)"),
        Error::Decode(_) | Error::Http(_) if class == ErrorClass::OutcomeUnknown => {
            CliError::new(exit, error.to_string()).hint("the outcome is unknown: query again")
        }
        _ => CliError::new(exit, error.to_string()),
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
    use chinaums::{HttpError, InvalidField, PlatformError, TransportError, TransportErrorKind};

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
            (Error::Config("x".into()), Exit::AuthConfig),
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
    }
}
