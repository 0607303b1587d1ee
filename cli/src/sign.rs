//! `chinaums sign`: the OPEN-BODY-SIG header for a body, with every intermediate value.

use std::io::{IsTerminal, Read};

use chinaums::auth::body_sig;
use chinaums::types::time::auth_timestamp;
use chinaums::{Clock, NonceSource, RandomNonce, SystemClock};

use crate::args::{Secret, SignArgs, check_app_id};
use crate::exit::{Class, CliError};

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
    let app_id = args.credentials.app_id.as_deref().filter(|s| !s.is_empty());
    let app_key = args
        .credentials
        .app_key
        .as_ref()
        .map(Secret::expose)
        .filter(|s| !s.is_empty());
    let (app_id, app_key) = match (app_id, app_key) {
        (Some(id), Some(key)) => (id, key),
        (id, key) => {
            let mut missing = Vec::new();
            if id.is_none() {
                missing.push("--app-id or CHINAUMS_APP_ID");
            }
            if key.is_none() {
                missing.push("--app-key or CHINAUMS_APP_KEY");
            }
            return Err(CliError::new(
                Class::Config,
                format!("missing credentials: set {}", missing.join(", and ")),
            ));
        }
    };
    check_app_id(app_id).map_err(CliError::usage)?;
    let timestamp = match &args.timestamp {
        Some(t) => t.clone(),
        None => auth_timestamp(SystemClock.now()),
    };
    let nonce = match &args.nonce {
        Some(n) => n.clone(),
        None => RandomNonce
            .nonce()
            .map_err(|e| CliError::new(Class::Other, e.to_string()))?,
    };
    let body = read_body(args)?;
    Ok(render(
        &SignInput {
            app_id,
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
