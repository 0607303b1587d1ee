//! `chinaums notify verify`: checks a notification body the way the merchant's server must,
//! with the core's [`chinaums::notify::verify`], and shows what it says.
//!
//! Also what `listen` shares with it: the notification key's flags ([`KeyArgs`]), the words of
//! a decision ([`state_text`]) and of a failure ([`reason`], [`class_of`]).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use chinaums::PaymentState;
use chinaums::notify::{
    self, BillNotification, Fields, Notification, NotifyError, NotifyKey, PaymentNotification,
    RefundNotification, SignType,
};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::commands::Run;
use crate::exit::{Class, CliError};
use crate::render::{self, Decision, amount};

/// The environment variable the notification key is read from unless `--key-env` names
/// another.
pub const NOTIFY_KEY_VAR: &str = "CHINAUMS_NOTIFY_KEY";

/// `notify --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Payment notifications: the platform POSTs a signed form to an order's notifyUrl when money \
moves. `notify verify` checks one the way the merchant's server must. To receive them on this \
machine, see `chinaums listen`.";

/// `notify verify --help`, after the one-line summary.
pub const VERIFY_LONG_ABOUT: &str = "\
Verify a notification body with the merchant's notification key (通讯密钥, not the appKey) and \
print what it says.

The body is read from --body-file, or from stdin, exactly as received: no trimming (a newline \
added by `echo` changes the last value, and the signature no longer matches: use `printf '%s'` \
or a file). A form body (application/x-www-form-urlencoded) is decoded once; a JSON object is \
read when --content-type says JSON or, without --content-type, when the body is one.

The key is read from the environment variable --key-env names (default CHINAUMS_NOTIFY_KEY), or \
from --key-file (one trailing newline ignored); it is never printed, and there is no flag that \
takes the key itself, so it stays out of shell history.

Prints the decision first (state: paid (TRADE_SUCCESS), in words then the raw status), then \
notifyId, merOrderId, the kind of notification, the hash the signature used, and every field \
the notification carries (amounts in yuan and fen; the sign itself is left out); with --json, \
the typed notification as JSON. A verified notification is a hint, not proof: confirm with \
`chinaums query` before shipping.";

/// `notify verify --help`, at the end.
pub const VERIFY_AFTER_LONG_HELP: &str = "\
Examples:
  export CHINAUMS_NOTIFY_KEY=chinaums-sandbox-notify-key-not-a-secret     (the sandbox's)
  chinaums notify verify --body-file notification.txt
  printf '%s' \"$BODY\" | chinaums notify verify --json | jq -r .state
  chinaums notify verify --key-file ~/.chinaums/notify-key --content-type application/json < body.json

Exit codes:
  0   verified (whatever state it reports: read `state`)
  1   other failure (stdout closed)
  2   usage: a bad flag, an unreadable --body-file or --key-file, a key variable that is not UTF-8
  4   no key: the variable is unset or empty (its name is in the message), or the key file is empty
  10  the signature does not match: a wrong key, or a value changed after signing
  11  there is no `sign` field
  12  a field appears more than once (which value was signed cannot be told)
  13  a name or value is not UTF-8 once decoded
  14  signType names a hash other than SHA256 and MD5
  15  the body is neither a form nor a JSON object
  16  not verified for another reason";

/// `chinaums notify`.
#[derive(Args, Debug)]
pub struct NotifyArgs {
    /// What to do with a notification.
    #[command(subcommand)]
    pub command: NotifyCommand,
}

/// The subcommands of `notify`.
#[derive(Subcommand, Debug)]
pub enum NotifyCommand {
    /// Verify a notification body (from a file or stdin) and print what it says.
    #[command(long_about = VERIFY_LONG_ABOUT, after_long_help = VERIFY_AFTER_LONG_HELP)]
    Verify(VerifyArgs),
}

impl Run for NotifyArgs {
    fn run(&self) -> Result<String, CliError> {
        match &self.command {
            NotifyCommand::Verify(args) => verify(args),
        }
    }

    fn json(&mut self) -> bool {
        match &self.command {
            NotifyCommand::Verify(args) => args.json,
        }
    }
}

/// Where the notification key comes from: a variable (by name) or a file, never a flag that
/// holds the key itself (it would land in shell history).
#[derive(Args, Debug)]
#[command(next_help_heading = "Notification key")]
pub struct KeyArgs {
    /// The environment variable that holds the notification key (通讯密钥).
    #[arg(long, value_name = "VAR", default_value = NOTIFY_KEY_VAR)]
    pub key_env: String,

    /// Read the notification key from this file instead (one trailing newline is ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "key_env")]
    pub key_file: Option<PathBuf>,
}

impl KeyArgs {
    /// The key, from the file or the variable. A missing key names the variable (exit 4); the
    /// key itself is never part of a message.
    pub fn key(&self) -> Result<NotifyKey, CliError> {
        if let Some(path) = &self.key_file {
            let bytes = std::fs::read(path).map_err(|e| {
                CliError::usage(format!("cannot read --key-file {}: {e}", path.display()))
            })?;
            let bytes = bytes
                .strip_suffix(b"\r\n")
                .or_else(|| bytes.strip_suffix(b"\n"))
                .unwrap_or(&bytes);
            let key = std::str::from_utf8(bytes).map_err(|_| {
                CliError::usage(format!(
                    "--key-file {}: the key is not UTF-8 text",
                    path.display()
                ))
            })?;
            if key.is_empty() {
                return Err(CliError::new(
                    Class::Config,
                    format!("--key-file {}: the file holds no key", path.display()),
                )
                .hint("put the notification key (通讯密钥) in it, alone"));
            }
            return Ok(NotifyKey::new(key));
        }
        let var = self.key_env.as_str();
        if var.is_empty() || var.contains(['=', '\0']) {
            return Err(CliError::usage(format!(
                "--key-env {var:?} is not the name of an environment variable"
            )));
        }
        match std::env::var_os(var) {
            Some(value) if !value.is_empty() => value
                .into_string()
                .map(NotifyKey::new)
                .map_err(|_| CliError::usage(format!("{var} is not valid UTF-8"))),
            _ => Err(CliError::new(
                Class::Config,
                format!("missing notification key: {var} is not set"),
            )
            .hint(format!(
                "export {var}=... with the merchant's notification key (通讯密钥, not the \
                 appKey; the sandbox's is {}), or give --key-file FILE",
                chinaums_sandbox::DEMO_NOTIFY_KEY
            ))),
        }
    }
}

/// `chinaums notify verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Read the body from this file instead of stdin (exactly as it is: no trimming).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// The Content-Type the body came with (e.g. application/x-www-form-urlencoded,
    /// application/json); without it, a body that is a JSON object is read as JSON.
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,

    /// The notification key's source.
    #[command(flatten)]
    pub key: KeyArgs,

    /// Print the typed notification as JSON (an error too: class, message, hint, exitCode).
    #[arg(long)]
    pub json: bool,
}

/// Reads the key and the body, verifies, and returns what to print.
pub fn verify(args: &VerifyArgs) -> Result<String, CliError> {
    // The key first: a missing key is reported without waiting for a body on stdin.
    let key = args.key.key()?;
    let body = read_body(args)?;
    check(&body, args.content_type.as_deref(), &key, args.json)
}

/// Verifies `body` and returns what to print: the summary, or with `json` the JSON object; a
/// failure is the error of its own class (hence exit code).
pub fn check(
    body: &[u8],
    content_type: Option<&str>,
    key: &NotifyKey,
    json: bool,
) -> Result<String, CliError> {
    let notification = notify::verify(body, content_type, key).map_err(|e| not_verified(&e))?;
    if json {
        render::json(&to_json(&notification))
    } else {
        summary(&notification)
    }
}

fn read_body(args: &VerifyArgs) -> Result<Vec<u8>, CliError> {
    match &args.body_file {
        Some(path) => std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read --body-file {}: {e}", path.display()))
        }),
        None => {
            let mut stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                eprintln!("reading the body from stdin; end it with Ctrl-D (or use --body-file)");
            }
            let mut body = Vec::new();
            stdin
                .read_to_end(&mut body)
                .map_err(|e| CliError::usage(format!("cannot read the body from stdin: {e}")))?;
            Ok(body)
        }
    }
}

/// The class (hence exit code) of a verification failure.
pub fn class_of(error: &NotifyError) -> Class {
    match error {
        NotifyError::SignatureMismatch => Class::SignatureMismatch,
        NotifyError::MissingSign => Class::MissingSign,
        NotifyError::DuplicateField(_) => Class::DuplicateField,
        NotifyError::NotUtf8(_) => Class::NotUtf8,
        NotifyError::UnknownSignType(_) => Class::UnknownSignType,
        NotifyError::Malformed(_) => Class::Malformed,
        _ => Class::NotVerified,
    }
}

/// Why a notification was not verified, in a few words (for `listen`'s one line); the core's
/// message has the details. Field names and values from the body are escaped.
pub fn reason(error: &NotifyError) -> String {
    match error {
        NotifyError::SignatureMismatch => "signature mismatch".to_owned(),
        NotifyError::MissingSign => "no sign".to_owned(),
        NotifyError::DuplicateField(name) => format!("duplicate field {}", shown(name)),
        NotifyError::NotUtf8(name) => format!("not UTF-8 ({})", shown(name)),
        NotifyError::UnknownSignType(t) => format!("unknown signType {}", shown(t)),
        NotifyError::Malformed(_) => "malformed body".to_owned(),
        other => format!("not verified ({})", shown(&other.to_string())),
    }
}

/// A failed verification as the command's error.
fn not_verified(error: &NotifyError) -> CliError {
    let hint = match error {
        NotifyError::SignatureMismatch => {
            "check the key (the notification key 通讯密钥 from the console, not the appKey; \
             --key-env or --key-file) and that the body is exactly as received (no added \
             newline: use printf '%s' or --body-file). Never act on it"
        }
        NotifyError::MissingSign => {
            "a notification from the platform always carries `sign`: is this the raw POST body?"
        }
        NotifyError::DuplicateField(_) => {
            "which of the values was signed cannot be told: refuse it (answer FAILED)"
        }
        NotifyError::NotUtf8(_) => "a genuine notification is UTF-8 once decoded: refuse it",
        NotifyError::UnknownSignType(_) => {
            "the platform signs with SHA256 (or MD5 for older notifications): refuse it"
        }
        NotifyError::Malformed(_) => {
            "the body should be a form (k=v&...) or a JSON object; check --content-type"
        }
        _ => "refuse it (answer FAILED)",
    };
    CliError::new(
        class_of(error),
        format!("not verified: {}", shown_up_to(&error.to_string(), 300)),
    )
    .hint(hint)
}

/// The decision in words and the raw status: `paid (TRADE_SUCCESS)`.
pub fn state_text(notification: &Notification) -> String {
    let state = notification.state().describe();
    let raw = match notification {
        Notification::Payment(n) => n.status.as_ref().map(ToString::to_string),
        Notification::Refund(n) => n.status.as_ref().map(ToString::to_string),
        Notification::Bill(n) => n.bill_status.as_ref().map(ToString::to_string),
        Notification::Unrecognized { .. } => {
            return format!("{state} (unrecognized fields)");
        }
        _ => None,
    };
    match raw {
        Some(raw) => format!("{state} ({raw})"),
        None => format!("{state} (no status in the notification)"),
    }
}

/// The kind of notification: `payment`, `refund`, `bill` or `unrecognized`.
pub fn family(notification: &Notification) -> &'static str {
    match notification {
        Notification::Payment(_) => "payment",
        Notification::Refund(_) => "refund",
        Notification::Bill(_) => "bill",
        _ => "unrecognized",
    }
}

/// The hash the signature used: `SHA256` or `MD5`.
pub fn hash_name(sign_type: SignType) -> &'static str {
    match sign_type {
        SignType::Sha256 => "SHA256",
        SignType::Md5 => "MD5",
    }
}

/// The hash that verified the notification (`None` for an unrecognized one, whose typed form
/// does not carry it).
pub fn sign_type(notification: &Notification) -> Option<SignType> {
    match notification {
        Notification::Payment(n) => n.sign_type,
        Notification::Refund(n) => n.sign_type,
        Notification::Bill(n) => n.sign_type,
        _ => None,
    }
}

/// The amount that moved: a refund's `refundAmount`, else `totalAmount`, with its name.
pub fn moved_amount(notification: &Notification) -> Option<(&'static str, String)> {
    let (name, fen) = match notification {
        Notification::Payment(n) => ("amount", n.total_amount?),
        Notification::Refund(n) => ("refundAmount", n.refund_amount?),
        Notification::Bill(n) => ("amount", n.total_amount?),
        _ => return None,
    };
    Some((name, amount(fen)))
}

/// `notification` without its `sign` field (a signature is not shown, as everywhere in this
/// command line).
pub fn without_sign(notification: &Notification) -> Notification {
    let mut copy = notification.clone();
    match &mut copy {
        Notification::Payment(n) => {
            n.extra.remove("sign");
        }
        Notification::Refund(n) => {
            n.extra.remove("sign");
        }
        Notification::Bill(n) => {
            n.extra.remove("sign");
        }
        Notification::Unrecognized { fields, .. } => {
            fields.remove("sign");
        }
        _ => {}
    }
    copy
}

/// The typed notification, as `--json` prints it under `notification`: the core's type, in its
/// declared field order, amounts as integers in fen, without `sign`.
#[derive(Serialize)]
#[serde(untagged)]
enum Typed {
    Payment(Box<PaymentNotification>),
    Refund(Box<RefundNotification>),
    Bill(Box<BillNotification>),
    Fields(Fields),
}

/// What `--json` prints for a verified notification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Verified {
    /// Always `true`: a notification that is not verified is an error.
    verified: bool,
    /// `payment`, `refund`, `bill` or `unrecognized`.
    family: &'static str,
    /// The core's decision: `paid`, `refunded`, `not_paid`, `closed`, `unknown`.
    state: PaymentState,
    /// The hash the signature used.
    sign_type: Option<&'static str>,
    notify_id: Option<String>,
    mer_order_id: Option<String>,
    /// For an unrecognized notification: what did not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
    notification: Typed,
}

/// `--json`: `verified`, `family`, `state`, `signType` (the hash used), `notifyId`,
/// `merOrderId`, (`why`), and `notification`, the typed notification.
fn to_json(notification: &Notification) -> Verified {
    let (typed, why) = match without_sign(notification) {
        Notification::Payment(n) => (Typed::Payment(n), None),
        Notification::Refund(n) => (Typed::Refund(n), None),
        Notification::Bill(n) => (Typed::Bill(n), None),
        Notification::Unrecognized { fields, why } => (Typed::Fields(fields), Some(why)),
        _ => (Typed::Fields(Fields::new()), None),
    };
    Verified {
        verified: true,
        family: family(notification),
        state: notification.state(),
        sign_type: sign_type(notification).map(hash_name),
        notify_id: notification.notify_id().map(str::to_owned),
        mer_order_id: notification.mer_order_id().map(str::to_owned),
        why,
        notification: typed,
    }
}

/// The summary: `state` first, then `notifyId`, `merOrderId`, `family`, `signType` (the hash
/// used, and whether the body declared it), then every other field of the typed notification.
fn summary(notification: &Notification) -> Result<String, CliError> {
    let mut decision = Decision::new("state", state_text(notification));
    if let Some(id) = notification.notify_id() {
        decision = decision.and("notifyId", id);
    }
    if let Some(id) = notification.mer_order_id() {
        decision = decision.and("merOrderId", id);
    }
    decision = decision.and("family", family(notification));
    if let Notification::Unrecognized { why, .. } = notification {
        decision = decision.and("why", why.as_str());
    }
    if let Some(hash) = sign_type(notification) {
        let declared = match notification {
            Notification::Payment(n) => n.extra.contains_key("signType"),
            Notification::Refund(n) => n.extra.contains_key("signType"),
            Notification::Bill(n) => n.extra.contains_key("signType"),
            _ => true,
        };
        let text = if declared {
            hash_name(hash).to_owned()
        } else {
            format!(
                "{} (no signType in the body: the signature matched {})",
                hash_name(hash),
                hash_name(hash)
            )
        };
        decision = decision.and("signType", text);
    }
    // The typed notification itself, so that its amounts (typed `Fen`) read in yuan and fen.
    match without_sign(notification) {
        Notification::Payment(n) => render::summary(&*n, Some(&decision)),
        Notification::Refund(n) => render::summary(&*n, Some(&decision)),
        Notification::Bill(n) => render::summary(&*n, Some(&decision)),
        Notification::Unrecognized { fields, .. } => render::summary(&fields, Some(&decision)),
        _ => render::summary(&(), Some(&decision)),
    }
}

/// A value from a body, for one line: control characters escaped, at most 64 characters.
pub fn shown(value: &str) -> String {
    shown_up_to(value, 64)
}

/// `value` for one line: control characters (and the invisible ones that reorder text)
/// escaped, at most `max` characters (then `…`).
pub fn shown_up_to(value: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "unit-test-notify-key";

    fn key() -> NotifyKey {
        NotifyKey::new(KEY)
    }

    fn signed(fields: &Fields, sign_type: SignType) -> Vec<u8> {
        let sign = notify::sign(fields, &key(), sign_type);
        format!("{}&sign={sign}", notify::encode_form(fields)).into_bytes()
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_failure_has_its_class() {
        for (error, class, exit) in [
            (NotifyError::SignatureMismatch, Class::SignatureMismatch, 10),
            (NotifyError::MissingSign, Class::MissingSign, 11),
            (
                NotifyError::DuplicateField("a".into()),
                Class::DuplicateField,
                12,
            ),
            (NotifyError::NotUtf8("a".into()), Class::NotUtf8, 13),
            (
                NotifyError::UnknownSignType("SHA1".into()),
                Class::UnknownSignType,
                14,
            ),
            (NotifyError::Malformed("x".into()), Class::Malformed, 15),
        ] {
            assert_eq!(class_of(&error), class);
            let e = not_verified(&error);
            assert_eq!((e.class, e.exit() as u8), (class, exit));
            assert!(e.message.starts_with("not verified: "), "{e}");
            assert!(e.hint.is_some());
        }
    }

    #[test]
    fn an_unrecognized_notification_is_verified_with_an_unknown_state() {
        let f = fields(&[
            ("notifyId", "n-9"),
            ("merOrderId", "3194UNIT0009"),
            ("status", "TRADE_SUCCESS"),
            ("totalAmount", "1.5"),
        ]);
        let body = signed(&f, SignType::Sha256);
        let text = check(&body, None, &key(), false).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("state:")
                && first.ends_with("unknown: query again (unrecognized fields)"),
            "{text}"
        );
        assert!(text.contains("family:      unrecognized\n"), "{text}");
        assert!(
            text.contains("\nwhy:         invalid value: string \"1.5\""),
            "{text}"
        );
        assert!(!text.contains("sign:"), "{text}");
        let json: serde_json::Value =
            serde_json::from_str(&check(&body, None, &key(), true).unwrap()).unwrap();
        assert_eq!(json["family"], "unrecognized");
        assert_eq!(json["state"], "unknown");
        assert_eq!(json["notification"]["totalAmount"], "1.5");
        assert!(
            json["why"].as_str().is_some_and(|w| !w.is_empty()),
            "{json}"
        );
        assert!(json["notification"].get("sign").is_none(), "{json}");
    }

    /// Any signed set of fields (names and values from an alphabet of the characters that
    /// matter: separators, escapes, control characters, non-ASCII) verifies and renders, as
    /// text and as JSON, without a panic and without showing the sign; any unsigned byte
    /// string is an error of one of the classes, never a panic.
    #[test]
    fn no_input_panics_verify() {
        let alphabet: Vec<&str> = vec![
            "a",
            "Z",
            "0",
            "9",
            "=",
            "&",
            "%",
            "+",
            " ",
            "\n",
            "\u{1b}",
            "{",
            "\"",
            "订",
            "\u{202e}",
            ".",
            "-",
            "status",
            "TRADE_SUCCESS",
            "TRADE_REFUND",
            "PAID",
            "billNo",
            "billPayment",
            "refundOrderId",
            "totalAmount",
            "notifyId",
            "100",
            "-1",
            "18446744073709551616",
            "signType",
            "MD5",
        ];
        let names = [
            "status",
            "totalAmount",
            "refundOrderId",
            "billNo",
            "billStatus",
            "billPayment",
            "notifyId",
            "merOrderId",
            "payTime",
            "billDate",
            "refundAmount",
            "x",
            "Ru",
        ];
        let mut verified = 0;
        let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for round in 0..3000 {
            let mut f = Fields::new();
            for _ in 0..next(6) {
                let name = names[next(names.len())].to_owned();
                let value: String = (0..next(5))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect();
                f.insert(name, value);
            }
            let sign_type = if round % 2 == 0 {
                SignType::Sha256
            } else {
                SignType::Md5
            };
            let body = signed(&f, sign_type);
            for json in [false, true] {
                match check(&body, None, &key(), json) {
                    Ok(out) => {
                        verified += 1;
                        let sign = notify::sign(&f, &key(), sign_type);
                        assert!(!out.contains(&sign) && !out.contains(KEY), "{out}");
                    }
                    // A `signType` the alphabet spelt oddly is refused, as it should be.
                    Err(e) => assert!(
                        matches!(e.class, Class::UnknownSignType | Class::SignatureMismatch),
                        "{f:?}: {e}"
                    ),
                }
            }
            // The same bytes cut anywhere, or random bytes: an error or a verdict, no panic.
            let cut = next(body.len() + 1);
            let _ = check(&body[..cut], None, &key(), false);
            let _ = check(&body[..cut], Some("application/json"), &key(), true);
            let noise: Vec<u8> = (0..next(40)).map(|_| next(256) as u8).collect();
            let _ = check(&noise, None, &key(), false);
        }
        assert!(verified > 3000, "{verified} of 6000 verified");
    }
}
