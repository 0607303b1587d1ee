//! The root of the command line: `chinaums`, its subcommands, and the exit-code table. Each
//! subcommand's own arguments are in its file under [`crate::commands`]; the groups they share
//! are in [`crate::common`].

use clap::{Parser, Subcommand};

use crate::commands::{
    Run, bill, close, h5_url, listen, notify, order, query, refund, refund_query, sandbox, secure,
    sign, split,
};
use crate::common::{ApiArgs, AuthArg};

/// The exit-code table, shown in `chinaums --help` and each API command's `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: the call succeeded (whatever state the order is in)
  1  other failure (e.g. the sandbox could not start, stdout closed)
  2  usage or invalid input: a bad flag, a field that breaks a rule (--mid, merOrderId, ...),
     a malformed --timestamp or --env
  3  the platform answered with an error code (errCode), e.g. NO_ORDER, BAD_REQUEST, TARGET_FAIL,
     HAS_CANCELLED
  4  authentication or configuration: missing credentials, BAD_SIGN, unknown appId,
     rejected access token, NO_MERCHANT, DENIED_IP, a base URL that is not a gateway
  5  transport error, request certainly not sent (e.g. connection refused), or the platform
     said it is busy: safe to retry
  6  outcome unknown: the request may have reached the platform but no usable answer came back
     (timeout after sending, broken connection, unreadable response, HTTP 5xx), or an order
     created with a number used before (DUP_ORDER): query again; the error names the query to
     ask (for a refund: refund-query with its refundOrderId; for a bill: bill query)";

const ROOT_LONG_ABOUT: &str = "\
A command-line client for the ChinaUMS (银联商务) netpay open platform.

`order create mini|jsapi|app|qr` creates an order (the pay request for the payer's front end, or \
a QR code); `h5-url` prints the signed URL of an H5 payment for the payer's browser; `bill` \
queries, refunds and closes QR bills. `query` asks for the payment result of an order; `refund` gives a payment back and \
`refund-query` asks where a refund stands; `close` closes an order nobody paid; `secure \
complete`/`secure cancel` release or give back a guaranteed payment; `split confirm` confirms \
the shares of a split payment. `sign` prints the OPEN-BODY-SIG Authorization header the SDK \
would send, step by step; `sandbox` runs the local gateway emulator, and `sandbox \
pay|fail|expire` acts on an order of a running one as the payer would. `notify verify` checks a \
payment notification with the notification key; `listen` receives them on this machine (a \
notifyUrl on 127.0.0.1) and passes them on to your app. `--sandbox` runs any API \
command against an in-process sandbox with demo orders, no credentials needed.";

const ROOT_AFTER_LONG_HELP: &str = "\
Examples:
  chinaums order create mini --sandbox --amount 25.00 --sub-app-id wx0123456789abcdef \\
      --sub-open-id oUpF8uMuAJO_M2pxb1Q9zNjWeS6o
  chinaums h5-url alipay --msg-src-id 3194 --amount 8.80 --open     (settings from CHINAUMS_*)
  chinaums query --sandbox 3194DEMOPAID0001
  chinaums refund --sandbox 3194DEMOPAID0001 --amount 0.30
  chinaums query --env test --mid 898201612345678 --tid 88880001 --inst-mid YUEDANDEFAULT \\
      3194202401011200000001          (credentials from CHINAUMS_APP_ID / CHINAUMS_APP_KEY)
  echo -n '{}' | chinaums sign --app-id my-app-id --verbose
  chinaums sandbox --port 8080
  chinaums sandbox pay 3194DEMOUNPAID0001 --env http://127.0.0.1:8080
  chinaums notify verify --body-file notification.txt      (key from CHINAUMS_NOTIFY_KEY)
  chinaums listen --port 9000 --forward-to http://localhost:3000/notify";

/// `chinaums`: the command line.
#[derive(Parser, Debug)]
#[command(
    name = "chinaums",
    version,
    about = "ChinaUMS (银联商务) netpay from the command line: take payments, query, refund and close orders, sign requests, run the sandbox.",
    long_about = ROOT_LONG_ABOUT,
    after_long_help = format!("{ROOT_AFTER_LONG_HELP}\n\n{EXIT_CODES_HELP}"),
    propagate_version = true,
    // A flag given twice (e.g. in an alias and again on the line): the last one wins.
    args_override_self = true
)]
pub struct Cli {
    /// An API command's `--sandbox`, also accepted before the subcommand (`chinaums --sandbox
    /// query ...`, the form older examples use). Hidden, and not global, so that no other
    /// command's help lists an option it refuses.
    #[arg(long, hide = true)]
    pub sandbox: bool,

    /// An API command's `--auth`, also accepted before the subcommand; hidden like `--sandbox`.
    #[arg(long, hide = true, value_enum, value_name = "SCHEME")]
    pub auth: Option<AuthArg>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Declares [`Command`], one variant per command with its clap attributes, and
/// [`Command::run`], from one list: adding a command is its file under `commands/` and one
/// entry here.
macro_rules! commands {
    ($( $(#[$attr:meta])* $variant:ident($args:ty), )+) => {
        /// The subcommands.
        #[derive(Subcommand, Debug)]
        pub enum Command {
            $( $(#[$attr])* $variant($args), )+
        }

        impl Command {
            /// The command, to run.
            pub fn run(&mut self) -> &mut dyn Run {
                match self {
                    $( Command::$variant(args) => args, )+
                }
            }
        }
    };
}

commands! {
    /// Create an order: a mini-program, a page inside WeChat, an app, a QR bill.
    #[command(long_about = order::LONG_ABOUT, subcommand_required = true)]
    Order(order::OrderArgs),

    /// Print the signed URL of an H5 payment, for the payer's browser (nothing is sent).
    #[command(
        name = "h5-url",
        long_about = h5_url::LONG_ABOUT,
        after_long_help = h5_url::after_long_help(),
        // No request is sent, and the URL is always signed with OPEN-FORM-PARAM.
        mut_arg("timeout", |a| a.hide(true)),
        mut_arg("auth", |a| a.hide(true))
    )]
    H5Url(h5_url::H5UrlArgs),

    /// A QR bill after it was made: query, refund, close its code, read a code.
    #[command(long_about = bill::LONG_ABOUT, subcommand_required = true)]
    Bill(bill::BillArgs),

    /// Query the payment result of an order (POST /v1/netpay/query).
    #[command(long_about = query::LONG_ABOUT, after_long_help = query::after_long_help())]
    Query(query::QueryArgs),

    /// Refund a paid order, in full or in part (POST /v1/netpay/refund).
    #[command(long_about = refund::LONG_ABOUT, after_long_help = refund::after_long_help())]
    Refund(refund::RefundArgs),

    /// Ask where a refund stands (POST /v1/netpay/refund-query).
    #[command(
        long_about = refund_query::LONG_ABOUT,
        after_long_help = refund_query::after_long_help()
    )]
    RefundQuery(refund_query::RefundQueryArgs),

    /// Close an order nobody paid (POST /v1/netpay/close).
    #[command(long_about = close::LONG_ABOUT, after_long_help = close::after_long_help())]
    Close(close::CloseArgs),

    /// Release (complete) or give back (cancel) a guaranteed payment.
    #[command(long_about = secure::LONG_ABOUT, subcommand_required = true)]
    Secure(secure::SecureArgs),

    /// Confirm the shares of a split payment.
    #[command(long_about = split::LONG_ABOUT, subcommand_required = true)]
    Split(split::SplitArgs),

    /// Print the OPEN-BODY-SIG Authorization header for a body (from a file or stdin).
    #[command(long_about = sign::LONG_ABOUT, after_long_help = sign::AFTER_LONG_HELP)]
    Sign(sign::SignArgs),

    /// Run the sandbox gateway in the foreground until Ctrl-C.
    #[command(long_about = sandbox::LONG_ABOUT, after_long_help = sandbox::AFTER_LONG_HELP)]
    Sandbox(sandbox::SandboxArgs),

    /// Payment notifications: verify one (`notify verify`).
    #[command(long_about = notify::LONG_ABOUT, subcommand_required = true)]
    Notify(notify::NotifyArgs),

    /// Receive notifications on this machine: a notifyUrl on 127.0.0.1 that verifies, tells
    /// and forwards each one, until Ctrl-C.
    #[command(long_about = listen::LONG_ABOUT, after_long_help = listen::AFTER_LONG_HELP)]
    Listen(listen::ListenArgs),
}

impl Command {
    /// The shared API arguments, for an API command.
    pub fn api(&mut self) -> Option<&mut ApiArgs> {
        self.run().api()
    }

    /// `--json` of the command: an error is then printed as JSON too.
    pub fn json(&mut self) -> bool {
        self.run().json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every API command (one with `--sandbox`, nested ones too) has every shared flag, under
    /// the group's heading; the others have none of the connection and merchant flags.
    #[test]
    fn api_commands_share_one_set_of_flags() {
        let shared = [
            ("json", None),
            ("env", Some("Connection")),
            ("timeout", Some("Connection")),
            ("sandbox", Some("Connection")),
            ("auth", Some("Connection")),
            ("app-id", Some("Credentials")),
            ("app-key", Some("Credentials")),
            ("mid", Some("Merchant")),
            ("tid", Some("Merchant")),
            ("inst-mid", Some("Merchant")),
        ];
        let cli = Cli::command();
        let mut commands: Vec<&clap::Command> = cli.get_subcommands().collect();
        let mut api_commands = Vec::new();
        while let Some(command) = commands.pop() {
            commands.extend(command.get_subcommands());
            let flag = |long: &str| command.get_arguments().find(|a| a.get_long() == Some(long));
            if flag("sandbox").is_none() {
                // `sign` signs (credentials); `sandbox pay|fail|expire` call a running sandbox
                // (its URL, the order's merchant, how long to wait).
                let control = ["pay", "fail", "expire"].contains(&command.get_name());
                for (long, _) in &shared[1..] {
                    let allowed = ["app-id", "app-key"].contains(long)
                        || (control && ["env", "timeout", "mid"].contains(long));
                    assert!(
                        flag(long).is_none() || allowed,
                        "{} has --{long}",
                        command.get_name()
                    );
                }
                continue;
            }
            api_commands.push(command.get_name());
            for (long, heading) in shared {
                let arg =
                    flag(long).unwrap_or_else(|| panic!("{} lacks --{long}", command.get_name()));
                assert_eq!(arg.get_help_heading(), heading, "--{long}");
            }
        }
        api_commands.sort_unstable();
        assert_eq!(
            api_commands,
            [
                "app",
                "cancel",
                "close",
                "close",
                "complete",
                "confirm",
                "h5-url",
                "info",
                "jsapi",
                "mini",
                "qr",
                "query",
                "query",
                "refund",
                "refund",
                "refund-query"
            ]
        );
    }
}
