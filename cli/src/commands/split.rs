//! `chinaums split confirm`: confirm how a split payment is shared
//! (`POST /v1/netpay/sub-orders-confirm`).
//!
//! `split` only groups it. The shares are flags: the order's amount, the platform's share and
//! one `--sub MID=AMOUNT` per sub-merchant, each in yuan or, with the `-fen` form of the flag,
//! in fen. They must add up exactly, which is checked (by the core's rule) before anything is
//! sent.

use chinaums::{Fen, Operation, SubOrder, SubOrdersConfirm, SubOrdersConfirmResponse};
use clap::{Args, Subcommand};

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::commands::refund::mer_order_id;
use crate::common::{
    ApiArgs, parse_fen, parse_fen_or_zero, parse_share, parse_share_fen, parse_yuan,
    parse_yuan_or_zero,
};
use crate::connect::execute;
use crate::exit::CliError;
use crate::render::Decision;

/// `split --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Split payments: confirm how an order's amount is shared between the platform and its \
sub-merchants.";

/// `chinaums split`.
#[derive(Args, Debug)]
pub struct SplitArgs {
    /// `confirm`.
    #[command(subcommand)]
    pub command: SplitCommand,
}

/// The subcommands of `split`.
#[derive(Subcommand, Debug)]
pub enum SplitCommand {
    /// Confirm the shares of a split order (POST /v1/netpay/sub-orders-confirm).
    #[command(long_about = CONFIRM_LONG_ABOUT, after_long_help = confirm_after_long_help())]
    Confirm(ConfirmArgs),
}

impl Run for SplitArgs {
    fn run(&self) -> Result<String, CliError> {
        match &self.command {
            SplitCommand::Confirm(args) => args.run(),
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        match &mut self.command {
            SplitCommand::Confirm(args) => args.api(),
        }
    }
}

const CONFIRM_LONG_ABOUT: &str = "\
Confirm the shares of a split order (POST /v1/netpay/sub-orders-confirm).

Give the order's amount, the platform's share and one --sub MID=AMOUNT per sub-merchant. Each \
amount is in yuan with at most two decimals (--order-amount 1.00, --platform-amount 0.10, \
--sub 898201612345679=0.90), or in fen with the -fen form of the flag (--order-fen 100, \
--platform-fen 10, --sub-fen 898201612345679=90); the two forms may be mixed. The platform's \
share may be zero, the others not. The shares must add up to the order's amount exactly: \
checked before anything is sent (exit 2). The order's amount is only used for that check; it \
is not sent. A sub-order already confirmed cannot be confirmed again.

Prints a summary (confirmed: yes, then every field of the answer) or, with --json, the typed \
answer as JSON. Exit code 6 (outcome unknown) names the payment query to ask.";

fn confirm_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums split confirm --sandbox 3194DEMOSPLIT0001 --order-amount 1.00 \\\n      \
        --platform-amount 0.10 --sub 898201612345679=0.90\n  \
        chinaums split confirm 3194202401011200000001 --order-fen 10000 --platform-fen 500 \\\n      \
        --sub-fen 898201612345679=6000 --sub-fen 898201612345680=3500     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums split confirm`.
#[derive(Args, Debug)]
pub struct ConfirmArgs {
    /// The merchant's order number (merOrderId) of the split order.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// The order's amount, to check the shares against (not sent).
    #[command(flatten)]
    pub order: OrderAmount,

    /// The platform's share (platformAmount).
    #[command(flatten)]
    pub platform: PlatformAmount,

    /// The sub-merchants' shares.
    #[command(flatten)]
    pub subs: Shares,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `--order-amount` or `--order-fen`.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct OrderAmount {
    /// The order's amount in yuan, e.g. 1.00 (only to check the shares; not sent).
    #[arg(long, value_name = "YUAN", value_parser = parse_yuan)]
    pub order_amount: Option<Fen>,

    /// The order's amount in fen, e.g. 100; instead of --order-amount.
    #[arg(long, value_name = "FEN", value_parser = parse_fen)]
    pub order_fen: Option<Fen>,
}

/// `--platform-amount` or `--platform-fen`.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct PlatformAmount {
    /// The platform's share in yuan (platformAmount), e.g. 0.10; may be 0.
    #[arg(long, value_name = "YUAN", value_parser = parse_yuan_or_zero)]
    pub platform_amount: Option<Fen>,

    /// The platform's share in fen, e.g. 10; instead of --platform-amount.
    #[arg(long, value_name = "FEN", value_parser = parse_fen_or_zero)]
    pub platform_fen: Option<Fen>,
}

/// `--sub` and `--sub-fen`, at least one in all.
#[derive(Args, Debug)]
#[group(required = true, multiple = true)]
pub struct Shares {
    /// A sub-merchant's share: its merchant number (15 characters), `=`, the amount in yuan,
    /// e.g. 898201612345679=0.90. Repeat for each sub-merchant.
    #[arg(long, value_name = "MID=YUAN", value_parser = parse_share)]
    pub sub: Vec<SubOrder>,

    /// A sub-merchant's share with the amount in fen, e.g. 898201612345679=90. Repeatable;
    /// sent after the --sub ones.
    #[arg(long, value_name = "MID=FEN", value_parser = parse_share_fen)]
    pub sub_fen: Vec<SubOrder>,
}

impl ConfirmArgs {
    /// The shares, in the order given (`--sub` first); a sub-merchant named twice is refused.
    fn sub_orders(&self) -> Result<Vec<SubOrder>, CliError> {
        let all: Vec<SubOrder> = self
            .subs
            .sub
            .iter()
            .chain(&self.subs.sub_fen)
            .cloned()
            .collect();
        for (i, share) in all.iter().enumerate() {
            if all[..i].iter().any(|earlier| earlier.mid == share.mid) {
                return Err(
                    CliError::usage(format!("sub-merchant {} is named twice", share.mid)).hint(
                        "give one --sub (or --sub-fen) per sub-merchant, with its whole share",
                    ),
                );
            }
        }
        Ok(all)
    }
}

impl Run for ConfirmArgs {
    fn run(&self) -> Result<String, CliError> {
        execute(
            &self.api,
            |merchant, _| {
                let order = mer_order_id(&self.mer_order_id)?;
                let confirm = SubOrdersConfirm::new(
                    merchant,
                    order,
                    self.order
                        .order_amount
                        .or(self.order.order_fen)
                        .unwrap_or(Fen::ZERO),
                    self.platform
                        .platform_amount
                        .or(self.platform.platform_fen)
                        .unwrap_or(Fen::ZERO),
                    self.sub_orders()?,
                );
                // The core checks the sum again when sending; here its error names the flags.
                confirm.validate().map_err(|e| {
                    CliError::invalid(&e).hint(
                        "the platform's share (--platform-amount) and every --sub share must \
                         add up to --order-amount exactly",
                    )
                })?;
                Ok(confirm)
            },
            |answer| Some(decision(answer)),
        )
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// The decision: the platform accepted the shares (`confirmed: yes`); an answer that is not a
/// success is an error, never rendered.
pub fn decision(_answer: &SubOrdersConfirmResponse) -> Decision {
    Decision::new("confirmed", "yes")
}
