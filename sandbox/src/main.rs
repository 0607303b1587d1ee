//! `chinaums-sandbox`: runs the local ChinaUMS gateway emulator until Ctrl-C.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use chinaums::Fen;
use chinaums_sandbox::{
    DEFAULT_APP_ID, DEFAULT_APP_KEY, DEMO_NOTIFY_KEY, Order, OrderKind, Sandbox, endpoints,
};
use clap::Parser;

/// A local emulator of the ChinaUMS netpay gateway (OPEN-BODY-SIG, OPEN-ACCESS-TOKEN, the
/// netpay endpoints it lists when it starts). Binds 127.0.0.1 only.
#[derive(Debug, Parser)]
#[command(name = "chinaums-sandbox", version)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The appId to accept.
    #[arg(long, default_value = DEFAULT_APP_ID)]
    app_id: String,
    /// The appKey to accept.
    #[arg(long, default_value = DEFAULT_APP_KEY)]
    app_key: String,
    /// The notification key (通讯密钥) that signs notifications and returnUrl parameters.
    #[arg(long, default_value = DEMO_NOTIFY_KEY)]
    notify_key: String,
    /// Sign every order's notifications with MD5 (signType=MD5), the legacy way, instead of
    /// SHA-256.
    #[arg(long)]
    md5_notifications: bool,
    /// Insert the demo orders (paid, unpaid, refunded, closed, guaranteed, split, partly
    /// refunded).
    #[arg(long)]
    seed_demo: bool,
    /// Answer every new refund `refundStatus: PROCESSING`; the first refund query about it
    /// settles it (`SUCCESS`).
    #[arg(long)]
    refunds_pending_first: bool,
    /// Answer amounts as numeric strings ("100"), like the documentation's example, instead
    /// of JSON numbers.
    #[arg(long)]
    amounts_as_strings: bool,
    /// Answer a bill query's billPayment as a string holding its JSON instead of an object
    /// (the platform sends either).
    #[arg(long)]
    bill_payment_as_string: bool,
    /// Serve HTTPS with a generated certificate; the CA to trust is printed.
    #[arg(long)]
    tls: bool,
    /// With --tls, also write the CA certificate (PEM) to this file.
    #[arg(long, requires = "tls")]
    ca_out: Option<PathBuf>,
    /// Do not print a line per request.
    #[arg(long, short)]
    quiet: bool,
}

fn amount(fen: Fen, as_string: bool) -> String {
    if as_string {
        format!("\"{}\"", fen.get())
    } else {
        fen.get().to_string()
    }
}

fn describe(order: &Order, amounts_as_strings: bool) -> String {
    let as_string = order.amounts_as_strings || amounts_as_strings;
    let mut line = format!(
        "  merOrderId={:<20} mid={} tid={} instMid={} status={:<15} totalAmount={}",
        order.mer_order_id,
        order.mid,
        order.tid,
        order.inst_mid,
        order.status.as_str(),
        amount(order.total_amount, as_string),
    );
    if let Some(refund) = order.refund_amount {
        line.push_str(&format!(" refundAmount={}", amount(refund, as_string)));
    }
    for refund in &order.refunds {
        line.push_str(&format!(" refundOrderId={}", refund.refund_order_id));
    }
    match &order.kind {
        OrderKind::Direct => {}
        OrderKind::Guaranteed(g) => {
            line.push_str(&format!(" guaranteed secureStatus={}", g.status.as_str()));
        }
        OrderKind::Split(split) => {
            line.push_str(&format!(
                " split platformAmount={}",
                amount(split.platform_amount, as_string)
            ));
            for share in &split.sub_orders {
                line.push_str(&format!(
                    " subMid={}:{}",
                    share.mid,
                    amount(share.amount, as_string)
                ));
            }
        }
    }
    line
}

/// Listens for Ctrl-C from the moment it is created (so a signal that arrives while the banner
/// is printed is not lost).
#[cfg(unix)]
fn ctrl_c() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

/// Listens for Ctrl-C from the moment it is created.
#[cfg(windows)]
fn ctrl_c() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chinaums-sandbox: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut interrupt = {
        let _context = runtime.enter();
        match ctrl_c() {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("chinaums-sandbox: cannot listen for Ctrl-C: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let sandbox = match Sandbox::builder()
        .port(args.port)
        .app_id(args.app_id)
        .app_key(args.app_key)
        .notify_key(args.notify_key)
        .md5_notifications(args.md5_notifications)
        .seed_demo(args.seed_demo)
        .amounts_as_strings(args.amounts_as_strings)
        .refunds_pending_first(args.refunds_pending_first)
        .bill_payment_as_string(args.bill_payment_as_string)
        .tls(args.tls)
        .log_requests(!args.quiet)
        .start()
    {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("chinaums-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("chinaums-sandbox listening on {}", sandbox.base_url());
    println!("  appId:  {}", sandbox.app_id());
    println!("  appKey: {}", sandbox.app_key());
    println!("  notifyKey: {}", sandbox.notify_key().expose());
    println!(
        "  dashboard (orders, the payer's cashier, notifications): {}/sandbox/",
        sandbox.base_url()
    );
    println!(
        "  notification deliveries (JSON): {}/sandbox/notifications",
        sandbox.base_url()
    );
    if let Some(pem) = sandbox.ca_cert_pem() {
        if let Some(path) = &args.ca_out {
            if let Err(e) = std::fs::write(path, &pem) {
                eprintln!("chinaums-sandbox: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("  CA certificate written to {}", path.display());
        }
        println!("  CA certificate to trust:\n{pem}");
    }
    if args.seed_demo {
        println!("demo orders:");
        for order in Order::demo_orders() {
            println!("{}", describe(&order, args.amounts_as_strings));
        }
    }
    println!("endpoints:");
    let width = endpoints()
        .iter()
        .map(|e| e.to_string().len())
        .max()
        .unwrap_or(0);
    for endpoint in endpoints() {
        println!("  {:<width$}  {}", endpoint.to_string(), endpoint.what);
    }
    println!("Ctrl-C to stop.");
    runtime.block_on(interrupt.recv());
    println!("stopping");
    sandbox.shutdown();
    ExitCode::SUCCESS
}
