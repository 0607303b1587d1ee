//! Resolving where API commands go and as whom: flags, environment variables, or `--sandbox`.

use chinaums::environment::redact_userinfo;
use chinaums::{AuthScheme, Credentials};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_TID, Sandbox};

use crate::args::{ConnectionArgs, MerchantArgs, Secret, check_app_id};
use crate::exit::{Class, CliError};

/// A ready transport, and the sandbox it talks to when `--sandbox` was given (kept alive for
/// as long as the command runs).
pub struct Connection {
    /// The blocking client.
    pub client: chinaums_ureq::Client,
    /// The base URL for messages, any `user:password@` part redacted.
    pub base_url: String,
    /// The in-process sandbox, stopped on drop.
    pub sandbox: Option<Sandbox>,
}

/// The merchant a request is made for, every field present.
#[derive(Debug)]
pub struct Merchant {
    /// `mid`.
    pub mid: String,
    /// `tid`.
    pub tid: String,
    /// `instMid`.
    pub inst_mid: String,
}

fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// Opens a connection: to an in-process sandbox with `sandbox`, else from the flags and
/// environment variables. An invalid `--env` is a usage error (exit 2); every missing setting
/// is named in one error (exit 4).
pub fn connect(
    args: &ConnectionArgs,
    merchant: &MerchantArgs,
    sandbox: bool,
    auth: AuthScheme,
) -> Result<(Connection, Merchant), CliError> {
    let mut missing = Vec::new();
    let (credentials, environment, running) = if sandbox {
        let running = Sandbox::builder()
            .seed_demo(true)
            .start()
            .map_err(|e| CliError::new(Class::Other, format!("cannot start the sandbox: {e}")))?;
        (
            Some(running.credentials()),
            Some(running.environment()),
            Some(running),
        )
    } else {
        // Checked first: a malformed value is a usage error even when settings are missing.
        let environment = args.environment()?;
        let app_id = present(args.credentials.app_id.as_deref());
        let app_key = present(args.credentials.app_key.as_ref().map(Secret::expose));
        if app_id.is_none() {
            missing.push(("--app-id", "CHINAUMS_APP_ID", "the appId"));
        }
        if app_key.is_none() {
            missing.push(("--app-key", "CHINAUMS_APP_KEY", "the appKey"));
        }
        if environment.is_none() {
            missing.push(("--env", "CHINAUMS_ENV", "production, test or a base URL"));
        }
        let credentials = app_id
            .zip(app_key)
            .map(|(id, key)| Credentials::new(id, key));
        (credentials, environment, None)
    };

    let pick = |value: Option<&String>, demo: &str| -> Option<String> {
        match present(value.map(String::as_str)) {
            Some(v) => Some(v.to_owned()),
            None if sandbox => Some(demo.to_owned()),
            None => None,
        }
    };
    let mid = pick(merchant.mid.as_ref(), DEMO_MID);
    let tid = pick(merchant.tid.as_ref(), DEMO_TID);
    let inst_mid = pick(merchant.inst_mid.as_ref(), DEMO_INST_MID);
    if mid.is_none() {
        missing.push(("--mid", "CHINAUMS_MID", "the merchant number"));
    }
    if tid.is_none() {
        missing.push(("--tid", "CHINAUMS_TID", "the terminal number"));
    }
    if inst_mid.is_none() {
        missing.push(("--inst-mid", "CHINAUMS_INST_MID", "the business type"));
    }
    let (Some(credentials), Some(environment), Some(mid), Some(tid), Some(inst_mid)) =
        (credentials, environment, mid, tid, inst_mid)
    else {
        return Err(missing_error(&missing));
    };
    if let Err(why) = check_app_id(credentials.app_id()) {
        return Err(CliError::new(Class::Config, why).hint("fix --app-id (or CHINAUMS_APP_ID)"));
    }

    // The core refuses a base URL with a password; redacted all the same, as every URL shown.
    let base_url = redact_userinfo(environment.base_url()).into_owned();
    let core = chinaums::Client::builder(credentials, environment)
        .auth(auth)
        .build();
    let client = chinaums_ureq::Client::builder(core)
        .with_timeout(args.timeout)
        .build()
        .map_err(|e| CliError::new(Class::Config, e.to_string()))?;
    Ok((
        Connection {
            client,
            base_url,
            sandbox: running,
        },
        Merchant { mid, tid, inst_mid },
    ))
}

fn missing_error(missing: &[(&str, &str, &str)]) -> CliError {
    let mut message = String::from("missing settings; set each flag or its environment variable:");
    for (flag, var, what) in missing {
        message.push_str(&format!("\n  {flag:<11} or {var:<18} ({what})"));
    }
    CliError::new(Class::Config, message)
        .hint("or add --sandbox to try the command against a local sandbox with demo orders")
}
