//! `chinaums sandbox`: the sandbox gateway in the foreground until Ctrl-C.
//!
//! The banner lists the endpoints from the sandbox's own route table
//! ([`chinaums_sandbox::endpoints`]), so it shows whatever the sandbox serves.

use std::io::Write;

use chinaums::redact_userinfo;
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Order, Sandbox, endpoints,
};
use clap::Args;

use crate::commands::Run;
use crate::common::Secret;
use crate::exit::{Class, CliError};
use crate::render::amount;

/// `sandbox --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Run the local ChinaUMS gateway emulator in the foreground, with the demo orders, until Ctrl-C. \
It prints its base URL, the credentials it accepts, the demo orders and the endpoints \
it serves. It binds 127.0.0.1 only.";

/// `sandbox --help`, at the end.
pub const AFTER_LONG_HELP: &str = "\
Examples:
  chinaums sandbox --port 8080
  chinaums query --env http://127.0.0.1:8080 --app-id chinaums-sandbox-app-id \\
      --app-key chinaums-sandbox-app-key-not-a-secret --mid 898201612345678 \\
      --tid 88880001 --inst-mid YUEDANDEFAULT 3194DEMOPAID0001";

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

impl Run for SandboxArgs {
    fn run(&self) -> Result<String, CliError> {
        run(self).map(|()| String::new())
    }
}

/// Starts the sandbox, prints how to use it, and waits for Ctrl-C.
pub fn run(args: &SandboxArgs) -> Result<(), CliError> {
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
         \n\
         demo merchant: mid {DEMO_MID}, tid {DEMO_TID}, instMid {DEMO_INST_MID}\n\
         seeded orders:\n",
        url = redact_userinfo(&sandbox.base_url()),
        id = sandbox.app_id(),
        key = sandbox.app_key(),
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
         \x20 chinaums query {DEMO_PAID_ORDER}\n\
         \n",
        url = redact_userinfo(&sandbox.base_url()),
        id = sandbox.app_id(),
        key = shell_word(sandbox.app_key()),
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

/// A Ctrl-C listener, registered from the moment it is created.
struct Interrupt {
    runtime: tokio::runtime::Runtime,
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    fn listen() -> Result<Interrupt, CliError> {
        let cannot = |e: std::io::Error| {
            CliError::new(Class::Other, format!("cannot listen for Ctrl-C: {e}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(cannot)?;
        let signal = {
            let _context = runtime.enter();
            #[cfg(unix)]
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
            #[cfg(windows)]
            let signal = tokio::signal::windows::ctrl_c();
            signal.map_err(cannot)?
        };
        Ok(Interrupt { runtime, signal })
    }

    /// Blocks until Ctrl-C.
    fn wait(&mut self) {
        self.runtime.block_on(self.signal.recv());
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
