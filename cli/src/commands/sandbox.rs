//! `chinaums sandbox`: the sandbox gateway in the foreground until Ctrl-C.
//!
//! The banner lists the endpoints from the sandbox's own route table
//! ([`chinaums_sandbox::endpoints`]), so it shows whatever the sandbox serves.

use std::io::Write;

use std::time::Duration;

use chinaums::{MerOrderId, Mid, PaymentQueryResponse, form_param, redact_userinfo};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Order, Sandbox, endpoints,
};
use clap::{Args, Subcommand, ValueEnum};

use crate::commands::{Run, query};
use crate::common::{ENV, MID, Secret, parse_timeout};
use crate::control::{Loopback, described};
use crate::exit::{Class, CliError};
use crate::interrupt::Interrupt;
use crate::render::{self, amount};

/// `sandbox --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Run the local ChinaUMS gateway emulator in the foreground, with the demo orders, until Ctrl-C. \
It prints its base URL, the credentials it accepts, the demo orders and the endpoints \
it serves. It binds 127.0.0.1 only.

`chinaums sandbox serve` is the same; `chinaums sandbox pay|fail|expire <merOrderId> --env \
http://127.0.0.1:PORT` acts on an order of a running sandbox as the payer would at its cashier.";

/// `sandbox --help`, at the end.
pub const AFTER_LONG_HELP: &str = "\
Examples:
  chinaums sandbox --port 8080
  chinaums query --env http://127.0.0.1:8080 --app-id chinaums-sandbox-app-id \\
      --app-key chinaums-sandbox-app-key-not-a-secret --mid 898201612345678 \\
      --tid 88880001 --inst-mid YUEDANDEFAULT 3194DEMOPAID0001";

/// `chinaums sandbox`: with no subcommand (or `serve`), run the sandbox; `pay`, `fail` and
/// `expire` act on an order of a running one.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxArgs {
    /// What to do: run it (the default) or act on an order of a running one.
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,

    /// The server's settings, when it is run without a subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands of `sandbox`.
#[derive(Subcommand, Debug)]
pub enum SandboxCommand {
    /// Run the sandbox gateway in the foreground until Ctrl-C (the same as `chinaums sandbox`).
    #[command(long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
    Serve(ServeArgs),

    /// On a running sandbox: the payer pays an order (or a QR bill), as at its cashier.
    #[command(long_about = PAY_LONG_ABOUT, after_long_help = PAY_AFTER_LONG_HELP)]
    Pay(PayArgs),

    /// On a running sandbox: the payer's payment fails; the order stays unpaid.
    #[command(long_about = FAIL_LONG_ABOUT)]
    Fail(ControlArgs),

    /// On a running sandbox: the order expires unpaid (closed, TRADE_CLOSED).
    #[command(long_about = EXPIRE_LONG_ABOUT)]
    Expire(ControlArgs),
}

/// The settings of the server (`chinaums sandbox`, `chinaums sandbox serve`).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// The appId the sandbox accepts (default: the sandbox's demo appId).
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,

    /// The appKey the sandbox accepts (default: the sandbox's demo appKey).
    #[arg(long, value_name = "KEY")]
    pub app_key: Option<Secret>,

    /// The notification key (通讯密钥) it signs notifications with (default: the sandbox's
    /// demo key, printed; verify with `chinaums notify verify` or `chinaums listen`).
    #[arg(long, value_name = "KEY")]
    pub notify_key: Option<Secret>,

    /// Print one line per request received (never secrets).
    #[arg(long)]
    pub log: bool,
}

impl Run for SandboxArgs {
    fn run(&self) -> Result<String, CliError> {
        match &self.command {
            None => run(&self.serve).map(|()| String::new()),
            Some(SandboxCommand::Serve(serve)) => run(serve).map(|()| String::new()),
            Some(SandboxCommand::Pay(pay)) => {
                control(&pay.control, "pay", pay.wallet.map(Wallet::key))
            }
            Some(SandboxCommand::Fail(args)) => control(args, "fail", None),
            Some(SandboxCommand::Expire(args)) => control(args, "expire", None),
        }
    }

    fn json(&mut self) -> bool {
        match &self.command {
            Some(SandboxCommand::Pay(pay)) => pay.control.json,
            Some(SandboxCommand::Fail(args) | SandboxCommand::Expire(args)) => args.json,
            _ => false,
        }
    }
}

const PAY_LONG_ABOUT: &str = "\
On a running sandbox (`chinaums sandbox --port 8080` in another terminal), the payer pays an \
order, as at the sandbox's cashier: POST /sandbox/orders/{merOrderId}/pay. The order becomes \
TRADE_SUCCESS; the payment query says paid from then on, and it can be refunded.

The argument is the order's merOrderId, or a QR bill's billNo (then --wallet says which wallet \
scanned it; default alipay). --env (or CHINAUMS_ENV) must name the sandbox on this machine \
(http://127.0.0.1:PORT, localhost or [::1]): nothing else is ever called. Prints the order's \
new state first (status: paid (TRADE_SUCCESS)), then the order's fields; or, with --json, the \
answer as JSON. An unknown order exits 3 (NO_ORDER), an order paid or closed already 3 \
(ALREADY_PAID, ORDER_CLOSED); a sandbox that cannot be reached 5.";

const PAY_AFTER_LONG_HELP: &str = "\
Examples:
  chinaums sandbox pay 3194DEMOUNPAID0001 --env http://127.0.0.1:8080
  CHINAUMS_ENV=http://127.0.0.1:8080 chinaums sandbox pay --json 31942024010112000000000042 --wallet wechat";

const FAIL_LONG_ABOUT: &str = "\
On a running sandbox, the payer's payment fails (the cashier's \"Decline\"): POST \
/sandbox/orders/{merOrderId}/fail. The order stays unpaid (WAIT_BUYER_PAY) and can still be \
paid. --env must name the sandbox on this machine. Prints the order's state first.";

const EXPIRE_LONG_ABOUT: &str = "\
On a running sandbox, the order expires unpaid: POST /sandbox/orders/{merOrderId}/expire. It is \
closed (TRADE_CLOSED) and can no longer be paid. --env must name the sandbox on this machine. \
Prints the order's state first.";

/// The order a control command acts on, and the sandbox it is on.
#[derive(Args, Debug)]
pub struct ControlArgs {
    /// The order's merOrderId (or a QR bill's billNo).
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// The running sandbox: http://127.0.0.1:PORT (only a sandbox on this machine is called).
    #[arg(long = "env", env = ENV.var, value_name = "URL")]
    pub environment: Option<String>,

    /// The merchant the order belongs to, when several merchants have one with this number.
    #[arg(long, env = MID.var, value_name = "MID")]
    pub mid: Option<String>,

    /// The total time the call may take, e.g. `30s`, `500ms`; at most `1h`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Print the answer as JSON (an error too: class, errCode, message, hint, …).
    #[arg(long)]
    pub json: bool,
}

/// `chinaums sandbox pay`.
#[derive(Args, Debug)]
pub struct PayArgs {
    /// The order, and the sandbox.
    #[command(flatten)]
    pub control: ControlArgs,

    /// For a QR bill, the wallet that scanned it (an order made for one channel is paid with
    /// that one whatever this says). Default: alipay.
    #[arg(long, value_enum)]
    pub wallet: Option<Wallet>,
}

/// The wallet that pays a QR bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Wallet {
    /// Alipay.
    Alipay,
    /// WeChat Pay.
    Wechat,
    /// UnionPay, 云闪付.
    Unionpay,
}

impl Wallet {
    /// The control API's name for it.
    pub fn key(self) -> &'static str {
        match self {
            Wallet::Alipay => "alipay",
            Wallet::Wechat => "wechat",
            Wallet::Unionpay => "unionpay",
        }
    }
}

/// `POST /sandbox/orders/{merOrderId}/{action}` on the sandbox `--env` names; the answer as
/// the order's state first, then its fields (read as the payment query's answer, whose fields
/// it has), or with `--json` as the sandbox sent it.
pub fn control(args: &ControlArgs, action: &str, wallet: Option<&str>) -> Result<String, CliError> {
    let env = args
        .environment
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            CliError::usage(format!(
                "missing --env (or {}): the running sandbox, e.g. http://127.0.0.1:8080",
                ENV.var
            ))
            .hint("run `chinaums sandbox --port 8080` in another terminal, and give --env http://127.0.0.1:8080")
        })?;
    let sandbox = Loopback::parse(env)?;
    // The same rule as the platform's ids (a billNo follows it too): no character that would
    // need care in a path.
    let id = MerOrderId::new(args.mer_order_id.as_str())
        .map_err(|e| CliError::invalid(&e).hint("fix the <merOrderId> argument"))?;
    let mut query = Vec::new();
    if let Some(mid) = args.mid.as_deref().filter(|m| !m.is_empty()) {
        let mid = Mid::new(mid).map_err(|e| CliError::invalid(&e))?;
        query.push(format!("mid={}", form_param::encode(mid.as_str())));
    }
    if let Some(wallet) = wallet {
        query.push(format!("wallet={wallet}"));
    }
    let mut path = format!(
        "/sandbox/orders/{}/{action}",
        form_param::encode(id.as_str())
    );
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query.join("&"));
    }
    let shown = redact_userinfo(&sandbox.base_url).into_owned();
    let after = format!(
        "the order may or may not have changed: ask the payment query (with the sandbox's \
         settings): chinaums query {}",
        shell_word(id.as_str())
    );
    let (status, body) = sandbox
        .post(&path, args.timeout)
        .map_err(|failure| described(failure, &shown, &after))?;
    let answer = control_answer(status, &body, &shown, id.as_str(), &after)?;
    if args.json {
        // The sandbox's own answer, as it came: not a platform answer to type.
        let raw: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            CliError::new(Class::Other, format!("cannot read the answer as JSON: {e}"))
        })?;
        render::json(&raw)
    } else {
        render::summary(&answer, Some(&query::decision(&answer)))
    }
}

/// The control API's answer: the order (read as the payment query's answer, whose fields it
/// has), or the error it says.
fn control_answer(
    status: u16,
    body: &[u8],
    shown: &str,
    id: &str,
    after: &str,
) -> Result<PaymentQueryResponse, CliError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Refusal {
        err_code: Option<String>,
        err_info: Option<String>,
        err_msg: Option<String>,
    }
    if (200..300).contains(&status) {
        return serde_json::from_slice::<PaymentQueryResponse>(body).map_err(|e| {
            let mut error = CliError::new(
                Class::OutcomeUnknown,
                format!("the sandbox at {shown} answered HTTP {status} with no order: {e}"),
            )
            .hint(after.to_owned());
            error.http_status = Some(status);
            error
        });
    }
    let refusal = serde_json::from_slice::<Refusal>(body).ok();
    let code = refusal.as_ref().and_then(|r| r.err_code.clone());
    let why = refusal
        .as_ref()
        .and_then(|r| r.err_info.clone().or_else(|| r.err_msg.clone()))
        .filter(|w| !w.is_empty());
    let (class, hint) = match (status, code.as_deref()) {
        (404, Some("NO_ORDER")) => (
            Class::NotFound,
            format!(
                "check the order number ({id}; a QR bill goes by its billNo) and --env: a \
                 sandbox forgets its orders when it stops"
            ),
        ),
        (_, Some("AMBIGUOUS_ORDER")) => (
            Class::Caller,
            "several merchants have an order with this number: name one with --mid".to_owned(),
        ),
        (_, Some("ALREADY_PAID" | "ORDER_CLOSED" | "OPERATION_NOT_ALLOWED")) => (
            Class::Rejected,
            format!(
                "ask the payment query for its state: chinaums query {}",
                shell_word(id)
            ),
        ),
        (404 | 405, _) => (
            Class::Config,
            format!(
                "is {shown} a running `chinaums sandbox` of this version (with the control \
                 API)? Check --env (or {})",
                ENV.var
            ),
        ),
        (500.., _) => (Class::OutcomeUnknown, after.to_owned()),
        _ => (Class::Caller, String::new()),
    };
    let mut message = format!("the sandbox at {shown} answered HTTP {status}");
    if let Some(code) = &code {
        message.push_str(&format!(" {code}"));
    }
    if let Some(why) = &why {
        message.push_str(&format!(": {why}"));
    }
    let mut error = CliError::new(class, message);
    if !hint.is_empty() {
        error = error.hint(hint);
    }
    error.err_code = code;
    error.http_status = Some(status);
    Err(error)
}

/// Starts the sandbox, prints how to use it, and waits for Ctrl-C.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    // Listen for Ctrl-C before anything is printed: a script that reads the banner and then
    // interrupts at once must find the handler in place (else SIGINT kills the process).
    let mut interrupt = Interrupt::listen()?;
    let mut builder = Sandbox::builder()
        .port(args.port)
        .seed_demo(true)
        .log_requests(args.log);
    if let Some(id) = &args.app_id {
        builder = builder.app_id(id.as_str());
    }
    if let Some(key) = &args.app_key {
        builder = builder.app_key(key.expose());
    }
    if let Some(key) = &args.notify_key {
        builder = builder.notify_key(key.expose());
    }
    let sandbox = builder.start().map_err(|e| start_error(&e, args.port))?;
    // Written and flushed at once, so a script reading stdout sees the URL while we wait.
    let mut out = std::io::stdout().lock();
    out.write_all(banner(&sandbox).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(Class::Other, format!("cannot write to stdout: {e}")))?;
    drop(out);
    interrupt.wait();
    eprintln!("stopping the sandbox");
    sandbox.shutdown();
    Ok(())
}

/// Why the sandbox did not start. The OS's "Address already in use" names neither the address
/// nor the port, so the message does.
fn start_error(e: &std::io::Error, port: u16) -> CliError {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        // A setting the sandbox refused (an unusable --app-id or --app-key).
        return CliError::usage(format!("cannot start the sandbox: {e}"));
    }
    let address = if port == 0 {
        "127.0.0.1 (any free port)".to_owned()
    } else {
        format!("127.0.0.1:{port}")
    };
    let error = CliError::new(
        Class::Other,
        format!("cannot start the sandbox on {address}: {e}"),
    );
    if e.kind() == std::io::ErrorKind::AddrInUse {
        error.hint(
            "another program listens on that port: pick another --port, or --port 0 for a free one",
        )
    } else {
        error
    }
}

fn banner(sandbox: &Sandbox) -> String {
    let mut s = format!(
        "chinaums sandbox listening on {url}\n\
         \n\
         credentials it accepts (a local sandbox: these are not secrets):\n\
         \x20 appId:  {id}\n\
         \x20 appKey: {key}\n\
         notification key it signs notifications with (to an order's notifyUrl):\n\
         \x20 notifyKey: {notify_key}\n\
         \n\
         demo merchant: mid {DEMO_MID}, tid {DEMO_TID}, instMid {DEMO_INST_MID}\n\
         seeded orders:\n",
        url = redact_userinfo(&sandbox.base_url()),
        id = sandbox.app_id(),
        key = sandbox.app_key(),
        notify_key = sandbox.notify_key().expose(),
    );
    for order in Order::demo_orders() {
        s.push_str(&format!(
            "  {:<20} {:<15} {}\n",
            order.mer_order_id,
            order.status.as_str(),
            amount(order.total_amount)
        ));
    }
    s.push_str(&format!(
        "\ntry, in another shell:\n\
         \x20 export CHINAUMS_ENV={url} CHINAUMS_APP_ID={id} CHINAUMS_APP_KEY={key}\n\
         \x20 export CHINAUMS_MID={DEMO_MID} CHINAUMS_TID={DEMO_TID} CHINAUMS_INST_MID={DEMO_INST_MID}\n\
         \x20 export CHINAUMS_NOTIFY_KEY={notify_key}\n\
         \x20 chinaums query {DEMO_PAID_ORDER}\n\
         \n",
        url = redact_userinfo(&sandbox.base_url()),
        id = sandbox.app_id(),
        key = shell_word(sandbox.app_key()),
        notify_key = shell_word(sandbox.notify_key().expose()),
    ));
    s.push_str(&endpoint_list());
    s.push_str("Ctrl-C to stop.\n");
    s
}

/// `endpoints:` and one line per endpoint of the sandbox's route table: `POST /path`, aligned,
/// then what it does.
fn endpoint_list() -> String {
    let routes: Vec<(String, &str)> = endpoints()
        .iter()
        .map(|e| (e.to_string(), e.what))
        .collect();
    let width = routes
        .iter()
        .map(|(route, _)| route.len())
        .max()
        .unwrap_or(0);
    let mut s = String::from("endpoints:\n");
    for (route, what) in routes {
        s.push_str(&format!("  {route:<width$}  {what}\n"));
    }
    s
}

/// `s` quoted for a POSIX shell when it needs to be.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_errors_name_the_address() {
        let in_use = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let e = start_error(&in_use, 8080);
        assert_eq!(e.class, Class::Other);
        assert!(e.message.contains("127.0.0.1:8080"), "{e}");
        assert!(e.hint.is_some_and(|h| h.contains("--port")));
        let bad_key =
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "appKey must not be empty");
        assert_eq!(start_error(&bad_key, 0).class, Class::Usage);
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("abc-1"), "abc-1");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn banner_lists_url_credentials_and_orders() {
        let sandbox = Sandbox::builder().seed_demo(true).start().unwrap();
        let b = banner(&sandbox);
        assert!(b.contains(&sandbox.base_url()), "{b}");
        assert!(b.contains(sandbox.app_key()), "{b}");
        assert!(
            b.contains(&format!(
                "export CHINAUMS_NOTIFY_KEY={}\n",
                chinaums_sandbox::DEMO_NOTIFY_KEY
            )),
            "{b}"
        );
        for order in Order::demo_orders() {
            assert!(b.contains(&order.mer_order_id), "{b}");
        }
        assert!(b.ends_with("Ctrl-C to stop.\n"), "{b}");
    }

    /// Every route of the sandbox's table, on its own line, and the two the SDK calls.
    #[test]
    fn banner_lists_every_endpoint_of_the_route_table() {
        let list = endpoint_list();
        assert!(!endpoints().is_empty());
        for endpoint in endpoints() {
            let line = list
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{endpoint} ")))
                .unwrap_or_else(|| panic!("{endpoint} not listed:\n{list}"));
            assert!(line.ends_with(endpoint.what), "{line}");
        }
        assert_eq!(list.lines().count(), endpoints().len() + 1, "{list}");
        for path in [chinaums_sandbox::QUERY_PATH, chinaums_sandbox::TOKEN_PATH] {
            assert!(
                list.contains(&format!("POST {path} ")),
                "{path} not in\n{list}"
            );
        }
    }
}
