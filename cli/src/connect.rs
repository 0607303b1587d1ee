//! Running an API command: resolving [`ApiArgs`] (flags, environment variables, or
//! `--sandbox`) into a client and a [`Merchant`], sending the operation, and rendering the
//! answer. [`execute`] is all an API command calls.

use chinaums::{AppId, Credentials, Merchant, Operation, redact_userinfo};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_TID, Sandbox};
use serde::Serialize;

use crate::common::{ApiArgs, ENV, MerchantArgs, Setting};
use crate::exit::{Class, CliError, describe};
use crate::render::{self, Decision};

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

/// Runs an API command: connects ([`connect`]), builds the operation for the merchant with
/// `build` (which may use the core client, e.g. for a fresh id), sends it, and returns the
/// answer to print ([`output`]): with `--json` the typed answer as JSON, else the summary
/// ([`render::summary`]) with `decision` first.
///
/// Errors come in this order, each with its exit code: a bad `--env` (2); every missing
/// setting at once (4); an appId the core refuses (4); a merchant field that breaks its rule
/// (2); whatever `build` refuses; then what the call returns.
pub fn execute<O>(
    api: &ApiArgs,
    build: impl FnOnce(&Merchant, &chinaums::Client) -> Result<O, CliError>,
    decision: impl FnOnce(&O::Response) -> Option<Decision>,
) -> Result<String, CliError>
where
    O: Operation,
    O::Response: Serialize,
{
    let (connection, merchant) = connect(api)?;
    let operation = build(&merchant, connection.client.core())?;
    let answer = connection.call(&operation)?;
    output(api, &answer, decision(&answer).as_ref())
}

impl Connection {
    /// Sends `operation` and returns its answer, or the error described for the command line
    /// (with the follow-up query when the outcome is unknown).
    pub fn call<O: Operation>(&self, operation: &O) -> Result<O::Response, CliError> {
        self.client
            .execute(operation)
            .map_err(|e| describe(&e, &self.base_url))
    }
}

/// The answer as the command prints it: JSON with `--json`, else the summary with `decision`
/// first.
pub fn output<T: Serialize + ?Sized>(
    api: &ApiArgs,
    answer: &T,
    decision: Option<&Decision>,
) -> Result<String, CliError> {
    if api.json {
        render::json(answer)
    } else {
        render::summary(answer, decision)
    }
}

/// Opens a connection: to an in-process sandbox with `--sandbox`, else from the flags and
/// environment variables; and checks the merchant.
pub fn connect(api: &ApiArgs) -> Result<(Connection, Merchant), CliError> {
    connect_with(api, None)
}

/// [`connect`], with `inst_mid` as the business type when neither `--inst-mid` nor
/// `CHINAUMS_INST_MID` gives one (with or without `--sandbox`): the commands that create an
/// order know the business type of the kind of order they create (`MINIDEFAULT`, …).
pub fn connect_with(
    api: &ApiArgs,
    inst_mid: Option<&str>,
) -> Result<(Connection, Merchant), CliError> {
    let mut missing = Vec::new();
    let (credentials, environment, running) = if api.connection.sandbox {
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
        let environment = api.connection.environment()?;
        let credentials = api.credentials.given(&mut missing);
        if environment.is_none() {
            missing.push(ENV);
        }
        let credentials = credentials.map(|(app_id, app_key)| Credentials::new(app_id, app_key));
        (credentials, environment, None)
    };
    let demo = running
        .is_some()
        .then_some([DEMO_MID, DEMO_TID, DEMO_INST_MID]);
    let merchant_args = MerchantArgs {
        mid: api.merchant.mid.clone(),
        tid: api.merchant.tid.clone(),
        inst_mid: match api.merchant.inst_mid.as_deref().filter(|s| !s.is_empty()) {
            Some(given) => Some(given.to_owned()),
            None => inst_mid.map(str::to_owned),
        },
    };
    let fields = merchant_args.given(demo, &mut missing);
    let (Some(credentials), Some(environment), Some(fields)) = (credentials, environment, fields)
    else {
        return Err(missing_error(&missing));
    };
    // The core's rule for an appId; refused as a configuration error (exit 4), as the core
    // itself reports an unusable appId.
    AppId::new(credentials.app_id()).map_err(|e| CliError {
        class: Class::Config,
        ..CliError::invalid(&e)
    })?;
    let merchant = MerchantArgs::merchant(fields).map_err(|e| CliError::invalid(&e))?;

    // The core refuses a base URL with a password; redacted all the same, as every URL shown.
    let base_url = redact_userinfo(environment.base_url()).into_owned();
    let core = chinaums::Client::builder(credentials, environment)
        .auth(api.connection.auth())
        .build();
    let client = chinaums_ureq::Client::builder(core)
        .with_transport(api.connection.transport())
        .build()
        .map_err(|e| describe(&e, &base_url))?;
    Ok((
        Connection {
            client,
            base_url,
            sandbox: running,
        },
        merchant,
    ))
}

/// Every missing setting, with its flag and variable, in one error (exit 4).
pub fn missing_error(missing: &[Setting]) -> CliError {
    let mut message = String::from("missing settings; set each flag or its environment variable:");
    for setting in missing {
        message.push_str(&format!(
            "\n  {:<11} or {:<18} ({})",
            setting.flag, setting.var, setting.what
        ));
    }
    CliError::new(Class::Config, message)
        .hint("or add --sandbox to try the command against a local sandbox with demo orders")
}
