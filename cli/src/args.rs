//! The command line, as clap derive types. No logic here beyond parsing single values.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use chinaums::Environment;
use chinaums::transport::{MAX_TIMEOUT, TransportConfig};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::CliError;

/// The exit-code table, shown in `chinaums --help` and `chinaums query --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: the call succeeded (whatever state the order is in)
  1  other failure (e.g. the sandbox could not start, stdout closed)
  2  usage or invalid input: a bad flag, a field that breaks a rule (--mid, merOrderId, ...),
     a malformed --timestamp or --env
  3  the platform answered with an error code (errCode), e.g. NO_ORDER, BAD_REQUEST, TARGET_FAIL
  4  authentication or configuration: missing credentials, BAD_SIGN, unknown appId,
     rejected access token, NO_MERCHANT, DENIED_IP, a base URL that is not a gateway
  5  transport error, request certainly not sent (e.g. connection refused), or the platform
     said it is busy: safe to retry
  6  outcome unknown: the request may have reached the platform but no usable answer came back
     (timeout after sending, broken connection, unreadable response, HTTP 5xx): query again";

const ROOT_LONG_ABOUT: &str = "\
A command-line client for the ChinaUMS (银联商务) netpay open platform.

`query` asks for the payment result of an order; `sign` prints the OPEN-BODY-SIG Authorization
header the SDK would send, step by step; `sandbox` runs the local gateway emulator.
`chinaums query --sandbox ...` runs the query against an in-process sandbox with demo orders, no
credentials needed.";

const ROOT_AFTER_LONG_HELP: &str = "\
Examples:
  chinaums query --sandbox 3194DEMOPAID0001
  chinaums query --env test --mid 898201612345678 --tid 88880001 --inst-mid YUEDANDEFAULT \\
      3194202401011200000001          (credentials from CHINAUMS_APP_ID / CHINAUMS_APP_KEY)
  echo -n '{}' | chinaums sign --app-id my-app-id --verbose
  chinaums sandbox --port 8080";

/// `chinaums`: the command line.
#[derive(Parser)]
#[command(
    name = "chinaums",
    version,
    about = "ChinaUMS (银联商务) netpay from the command line: query orders, sign requests, run the sandbox.",
    long_about = ROOT_LONG_ABOUT,
    after_long_help = format!("{ROOT_AFTER_LONG_HELP}\n\n{EXIT_CODES_HELP}"),
    propagate_version = true,
    // A flag given twice (e.g. in an alias and again on the line): the last one wins.
    args_override_self = true
)]
pub struct Cli {
    /// `query --sandbox`, also accepted before the subcommand (`chinaums --sandbox query ...`,
    /// the form older examples use). Hidden, and not global, so that no other command's help
    /// lists an option it refuses.
    #[arg(long, hide = true)]
    pub sandbox: bool,

    /// `query --auth`, also accepted before the subcommand; hidden like `--sandbox`.
    #[arg(long, hide = true, value_enum, value_name = "SCHEME")]
    pub auth: Option<AuthArg>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Query the payment result of an order (POST /v1/netpay/query).
    #[command(
        long_about = "Query the payment result of an order (POST /v1/netpay/query).\n\n\
            Prints a summary: the order's state in words and the raw status, the total amount in \
            yuan and fen, payTime, merOrderId, targetSys, seqId, ... or, with --json, the \
            whole typed response as JSON. Exit code 0 means the query succeeded, whatever state \
            the order is in: read the status.\n\n\
            Credentials and merchant fields come from the flags or the environment variables \
            named below. instMid must be the business type the order was created with, or the \
            platform answers NO_ORDER.",
        after_long_help = format!(
            "Examples:\n  \
            chinaums query --sandbox 3194DEMOPAID0001\n  \
            chinaums query --sandbox --auth token --json 3194DEMOREFUND0001\n  \
            export CHINAUMS_APP_ID=... CHINAUMS_APP_KEY=... CHINAUMS_ENV=test\n  \
            chinaums query --mid 898201612345678 --tid 88880001 --inst-mid YUEDANDEFAULT \\\n      \
            3194202401011200000001\n\n{EXIT_CODES_HELP}"
        )
    )]
    Query(QueryArgs),

    /// Print the OPEN-BODY-SIG Authorization header for a body (from a file or stdin).
    #[command(
        long_about = "Print the OPEN-BODY-SIG Authorization header value the SDK would send for \
            a body, to compare with another implementation.\n\n\
            The body is read from --body-file, or from stdin, and signed exactly as read (no \
            trimming: a trailing newline is part of the body). Without --timestamp and --nonce \
            the current Beijing time and a fresh random nonce are used. --verbose also prints \
            every intermediate value, labelled:\n\
            \n  bodyDigest   = lowercase_hex(SHA-256(body))\
            \n  stringToSign = appId + timestamp + nonce + bodyDigest\
            \n  signature    = Base64(HMAC-SHA256(appKey, stringToSign))",
        after_long_help = "Examples:\n  \
            printf '%s' '{\"mid\":\"898201612345678\"}' | chinaums sign --app-id my-app-id \\\n      \
            --timestamp 20240101120000 --nonce 0123456789abcdef0123456789abcdef --verbose\n  \
            CHINAUMS_APP_KEY=... chinaums sign --app-id my-app-id --body-file body.json\n\n\
            Exit codes: 0 printed; 2 bad --timestamp/--nonce/--app-id or unreadable body file; \
            4 missing appId or appKey."
    )]
    Sign(SignArgs),

    /// Run the sandbox gateway in the foreground until Ctrl-C.
    #[command(
        long_about = "Run the local ChinaUMS gateway emulator in the foreground, seeded with the \
            demo orders, until Ctrl-C. It prints its base URL, the credentials it accepts and \
            the seeded orders. It binds 127.0.0.1 only.",
        after_long_help = "Examples:\n  \
            chinaums sandbox --port 8080\n  \
            chinaums query --env http://127.0.0.1:8080 --app-id chinaums-sandbox-app-id \\\n      \
            --app-key chinaums-sandbox-app-key-not-a-secret --mid 898201612345678 \\\n      \
            --tid 88880001 --inst-mid YUEDANDEFAULT 3194DEMOPAID0001"
    )]
    Sandbox(SandboxArgs),
}

/// OPEN-BODY-SIG or OPEN-ACCESS-TOKEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// OPEN-BODY-SIG: every request signed over its body.
    BodySig,
    /// OPEN-ACCESS-TOKEN: fetch a token, then send it with each request.
    Token,
}

impl From<AuthArg> for chinaums::AuthScheme {
    fn from(auth: AuthArg) -> Self {
        match auth {
            AuthArg::BodySig => chinaums::AuthScheme::BodySig,
            AuthArg::Token => chinaums::AuthScheme::AccessToken,
        }
    }
}

/// A secret flag value (the appKey): its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// The appId and appKey, from flags or the environment (`query` and `sign` alike).
#[derive(Args, Debug)]
pub struct CredentialArgs {
    /// The appId from the developer console.
    #[arg(long, env = "CHINAUMS_APP_ID", value_name = "ID")]
    pub app_id: Option<String>,

    /// The appKey (secret). Prefer CHINAUMS_APP_KEY, which keeps it out of shell history.
    #[arg(
        long,
        env = "CHINAUMS_APP_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub app_key: Option<Secret>,
}

/// Where and as whom API commands connect.
#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// `--app-id` and `--app-key`.
    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// The gateway: `production`, `test`, or a base URL such as http://127.0.0.1:8080.
    // Read as text and checked by [`ConnectionArgs::environment`], not by a clap value parser:
    // clap's "invalid value" message would repeat the value, password and all.
    #[arg(long = "env", env = "CHINAUMS_ENV", value_name = "ENV")]
    pub environment: Option<String>,

    /// The total time one HTTP exchange may take, e.g. `30s`, `500ms`; at most `1h`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub timeout: Duration,
}

impl ConnectionArgs {
    /// The gateway named by `--env` or `CHINAUMS_ENV`, `None` when neither is set. A value
    /// that is not one is a usage error (exit 2) that never repeats a `user:password@` part.
    pub fn environment(&self) -> Result<Option<Environment>, CliError> {
        match self.environment.as_deref().filter(|s| !s.trim().is_empty()) {
            None => Ok(None),
            Some(s) => parse_environment(s)
                .map(Some)
                .map_err(|why| CliError::usage(format!("invalid --env (or CHINAUMS_ENV): {why}"))),
        }
    }
}

/// The merchant a request is made for.
#[derive(Args, Debug)]
pub struct MerchantArgs {
    /// The merchant number (mid, 15 characters).
    #[arg(long, env = "CHINAUMS_MID", value_name = "MID")]
    pub mid: Option<String>,

    /// The terminal number (tid, 8 characters).
    #[arg(long, env = "CHINAUMS_TID", value_name = "TID")]
    pub tid: Option<String>,

    /// The business type (instMid) the order was created with, e.g. YUEDANDEFAULT, MINIDEFAULT.
    #[arg(long, env = "CHINAUMS_INST_MID", value_name = "INST_MID")]
    pub inst_mid: Option<String>,
}

/// `chinaums query`.
#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The merchant's order number (merOrderId) to query.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// A message id (msgId) the platform echoes back.
    #[arg(long, value_name = "ID")]
    pub msg_id: Option<String>,

    /// Print the whole typed response as JSON instead of a summary. An error is then a JSON
    /// object on stdout too: class, errCode, message, hint, httpStatus, delivery, exitCode.
    #[arg(long)]
    pub json: bool,

    /// Run the query against an in-process sandbox (127.0.0.1, ephemeral port) seeded with
    /// demo orders, using its credentials; --mid/--tid/--inst-mid default to the demo merchant.
    /// --env, --app-id and --app-key are ignored.
    #[arg(long)]
    pub sandbox: bool,

    /// How to authenticate: `body-sig` (OPEN-BODY-SIG, every request signed) or `token`
    /// (OPEN-ACCESS-TOKEN, a token fetched first). Default: body-sig.
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub auth: Option<AuthArg>,

    /// Connection options.
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Merchant options.
    #[command(flatten)]
    pub merchant: MerchantArgs,
}

/// `chinaums sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// `--app-id` and `--app-key`.
    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// The timestamp, yyyyMMddHHmmss in Beijing time (default: now).
    #[arg(long, value_name = "yyyyMMddHHmmss", value_parser = parse_auth_timestamp)]
    pub timestamp: Option<String>,

    /// The nonce: 1 to 128 printable ASCII characters without `"` or `,` (default: 32 random
    /// hex characters).
    #[arg(long, value_name = "NONCE", value_parser = parse_nonce)]
    pub nonce: Option<String>,

    /// Read the body from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// Also print the body digest, the string to sign and the signature, labelled.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `chinaums sandbox`.
#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// The port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// The appId the sandbox accepts (default: the sandbox's demo appId).
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,

    /// The appKey the sandbox accepts (default: the sandbox's demo appKey).
    #[arg(long, value_name = "KEY")]
    pub app_key: Option<Secret>,

    /// Print one line per request received (never secrets).
    #[arg(long)]
    pub log: bool,
}

/// `production`, `test` or a base URL (the core's [`Environment`] parser, whose message shows a
/// base URL without its `user:password@` part).
pub fn parse_environment(s: &str) -> Result<Environment, String> {
    s.parse().map_err(|e| match e {
        chinaums::Error::Config(why) => why,
        other => other.to_string(),
    })
}

/// A human duration such as `30s`, `500ms` or `1m` that the SDK accepts: more than zero and
/// at most [`MAX_TIMEOUT`]. Checked here so that a bad value is a usage error, not a failure
/// when the client is built.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}; expected a duration such as 30s or 500ms"))?;
    if d.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    // The core's own rule, so the two cannot drift apart.
    if TransportConfig::new().with_timeout(d).validate().is_err() {
        return Err(format!(
            "the timeout must be at most {}",
            humantime::format_duration(MAX_TIMEOUT)
        ));
    }
    Ok(d)
}

/// Exactly `yyyyMMddHHmmss`, a valid date and time.
pub fn parse_auth_timestamp(s: &str) -> Result<String, String> {
    if chinaums::types::time::is_auth_timestamp(s) {
        Ok(s.to_owned())
    } else {
        Err(
            "expected yyyyMMddHHmmss: 14 digits, a valid Beijing date and time, \
             e.g. 20240101120000"
                .into(),
        )
    }
}

/// 1 to 128 printable ASCII characters without `"` or `,` (what a header value can carry).
pub fn parse_nonce(s: &str) -> Result<String, String> {
    let max = chinaums::auth::body_sig::MAX_NONCE_LEN;
    if s.is_empty() || s.len() > max {
        return Err(format!("must be 1 to {max} characters, got {}", s.len()));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b',')
    {
        return Err("must be printable ASCII without spaces, `\"` or `,`".into());
    }
    Ok(s.to_owned())
}

/// Whether an appId can go into an `Authorization` header (what the core requires).
pub fn check_app_id(s: &str) -> Result<(), String> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b',')
    {
        return Err(
            "the appId must be non-empty printable ASCII without spaces, `\"` or `,`".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn environments() {
        assert_eq!(parse_environment("test"), Ok(Environment::Test));
        assert_eq!(parse_environment("production"), Ok(Environment::Production));
        assert_eq!(
            parse_environment("http://127.0.0.1:9/"),
            Ok(Environment::custom("http://127.0.0.1:9").unwrap())
        );
        let e = parse_environment("staging").unwrap_err();
        assert!(e.contains("`production`, `test`"), "{e}");
        let e = parse_environment("http://user:PW@127.0.0.1:9").unwrap_err();
        assert!(
            e.contains("http://***@127.0.0.1:9") && !e.contains("PW"),
            "{e}"
        );
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1h"), Ok(MAX_TIMEOUT));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("soon").is_err());
        let e = parse_timeout("18446744073709551615s").unwrap_err();
        assert!(e.contains("at most 1h"), "{e}");
    }

    #[test]
    fn timestamps_and_nonces() {
        assert!(parse_auth_timestamp("20240101120000").is_ok());
        for bad in ["2024010112000", "20241301120000", "2024-01-01 12:00", ""] {
            assert!(parse_auth_timestamp(bad).is_err(), "{bad}");
        }
        assert!(parse_nonce("abc").is_ok());
        for bad in ["", "a b", "a,b", "a\"b", &"x".repeat(129)] {
            assert!(parse_nonce(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s: Secret = "hunter2".parse().unwrap_or_else(|e| match e {});
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
