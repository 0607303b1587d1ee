//! `chinaums sign`: the OPEN-BODY-SIG header for a body, with every intermediate value.
//!
//! Its own arguments, and the shared credentials group; the appId and nonce rules are the
//! core's ([`AppId`], [`Nonce`]).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use chinaums::body_sig;
use chinaums::timestamps::auth_timestamp;
use chinaums::{AppId, Clock, Nonce, NonceSource, RandomNonce, SystemClock};
use clap::Args;

use crate::commands::Run;
use crate::common::{CredentialArgs, parse_auth_timestamp, parse_nonce};
use crate::exit::{Class, CliError};

/// `sign --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Print the OPEN-BODY-SIG Authorization header value the SDK would send for a body, to compare \
with another implementation.

The body is read from --body-file, or from stdin, and signed exactly as read (no trimming: a \
trailing newline is part of the body). Without --timestamp and --nonce the current Beijing time \
and a fresh random nonce are used. --verbose also prints every intermediate value, labelled:

  bodyDigest   = lowercase_hex(SHA-256(body))
  stringToSign = appId + timestamp + nonce + bodyDigest
  signature    = Base64(HMAC-SHA256(appKey, stringToSign))";

/// `sign --help`, at the end.
pub const AFTER_LONG_HELP: &str = "\
Examples:
  printf '%s' '{\"mid\":\"898201612345678\"}' | chinaums sign --app-id my-app-id \\
      --timestamp 20240101120000 --nonce 0123456789abcdef0123456789abcdef --verbose
  CHINAUMS_APP_KEY=... chinaums sign --app-id my-app-id --body-file body.json

Exit codes: 0 printed; 2 bad --timestamp/--nonce/--app-id or unreadable body file; 4 missing \
appId or appKey.";

/// `chinaums sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// The timestamp, yyyyMMddHHmmss in Beijing time (default: now).
    #[arg(long, value_name = "yyyyMMddHHmmss", value_parser = parse_auth_timestamp)]
    pub timestamp: Option<String>,

    /// The nonce: 1 to 128 printable ASCII characters without spaces, `"` or `,` (default: 32
    /// random hex characters).
    #[arg(long, value_name = "NONCE", value_parser = parse_nonce)]
    pub nonce: Option<Nonce>,

    /// Read the body from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// Also print the body digest, the string to sign and the signature, labelled.
    #[arg(long, short)]
    pub verbose: bool,

    /// `--app-id` and `--app-key`.
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

impl Run for SignArgs {
    fn run(&self) -> Result<String, CliError> {
        run(self)
    }
}

/// Everything `sign` needs once the inputs are resolved.
pub struct SignInput<'a> {
    /// The appId.
    pub app_id: &'a str,
    /// The appKey.
    pub app_key: &'a str,
    /// `yyyyMMddHHmmss`.
    pub timestamp: &'a str,
    /// The nonce.
    pub nonce: &'a str,
    /// The body bytes, exactly as read.
    pub body: &'a [u8],
}

/// Resolves the inputs (reading the body from the file or stdin) and returns what to print.
pub fn run(args: &SignArgs) -> Result<String, CliError> {
    let mut missing = Vec::new();
    let Some((app_id, app_key)) = args.credentials.given(&mut missing) else {
        let missing: Vec<String> = missing
            .iter()
            .map(|setting| format!("{} or {}", setting.flag, setting.var))
            .collect();
        return Err(CliError::new(
            Class::Config,
            format!("missing credentials: set {}", missing.join(", and ")),
        ));
    };
    // The core's rule for an appId; here a usage error (the input of a computation).
    let app_id = AppId::new(app_id).map_err(|e| CliError::invalid(&e))?;
    let timestamp = match &args.timestamp {
        Some(t) => t.clone(),
        None => auth_timestamp(SystemClock.now()),
    };
    let nonce = match &args.nonce {
        Some(n) => n.as_str().to_owned(),
        None => RandomNonce
            .nonce()
            .map_err(|e| CliError::new(Class::Other, e.to_string()))?,
    };
    let body = read_body(args)?;
    Ok(render(
        &SignInput {
            app_id: app_id.as_str(),
            app_key,
            timestamp: &timestamp,
            nonce: &nonce,
            body: &body,
        },
        args.verbose,
    ))
}

fn read_body(args: &SignArgs) -> Result<Vec<u8>, CliError> {
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

/// The header value alone, or (verbose) every step labelled, ending with the header.
pub fn render(input: &SignInput<'_>, verbose: bool) -> String {
    let signed = body_sig::sign(
        input.app_id,
        input.app_key,
        input.timestamp,
        input.nonce,
        input.body,
    );
    if !verbose {
        return format!("{}\n", signed.authorization);
    }
    format!(
        "appId:         {}\n\
         timestamp:     {}\n\
         nonce:         {}\n\
         bodyLength:    {} bytes\n\
         bodyDigest:    {}\n\
         stringToSign:  {}\n\
         signature:     {}\n\
         Authorization: {}\n",
        input.app_id,
        input.timestamp,
        input.nonce,
        input.body.len(),
        signed.body_digest,
        signed.string_to_sign,
        signed.signature,
        signed.authorization,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KAT5_BODY: &str = r#"{"requestTimestamp":"2024-01-01 12:00:00","mid":"898201612345678","tid":"88880001","instMid":"YUEDANDEFAULT","merOrderId":"31942024010112000000001234"}"#;

    fn kat5() -> SignInput<'static> {
        SignInput {
            app_id: "10037e6f6a4e6da4016a670fd4530012",
            app_key: "f7a74b6c02ae4e1e94aaba311c04acf2",
            timestamp: "20240101120000",
            nonce: "0123456789abcdef0123456789abcdef",
            body: KAT5_BODY.as_bytes(),
        }
    }

    #[test]
    fn kat5_header() {
        assert_eq!(
            render(&kat5(), false),
            "OPEN-BODY-SIG AppId=\"10037e6f6a4e6da4016a670fd4530012\", \
             Timestamp=\"20240101120000\", Nonce=\"0123456789abcdef0123456789abcdef\", \
             Signature=\"YaoaLuAj7mznzwLXN4zbWA4ZGyQZNhhUionvH+48t18=\"\n"
        );
    }

    #[test]
    fn verbose_never_shows_the_key() {
        let out = render(&kat5(), true);
        assert!(out.contains(
            "bodyDigest:    fe69e92b6a076f75f6db9e61160b8cc8d3af8006e66094803b2f912faca63e57\n"
        ));
        assert!(!out.contains("f7a74b6c02ae4e1e94aaba311c04acf2"), "{out}");
    }
}
