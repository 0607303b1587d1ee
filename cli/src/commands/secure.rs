//! `chinaums secure complete` and `chinaums secure cancel`: release or give back a guaranteed
//! payment (`POST /v1/netpay/secure-complete`, `/v1/netpay/secure-cancel`).
//!
//! `secure` only groups the two; each is an API command of its own, with the shared
//! arguments. The answer is printed by the generic renderer, `secureStatus` first.

use chinaums::{SecureCancel, SecureComplete, SecureResponse};
use clap::{Args, Subcommand};

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::commands::refund::mer_order_id;
use crate::common::{AmountArgs, ApiArgs};
use crate::connect::execute;
use crate::exit::CliError;
use crate::render::Decision;

/// `secure --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Release or give back a guaranteed payment (an order created with secureTransaction).

The platform holds a guaranteed payment until the merchant completes it (in full or in part: \
the rest goes back to the payer) or cancels it (everything goes back); it cannot be refunded \
directly, and the platform cancels it by itself after 30 days.";

/// `chinaums secure`.
#[derive(Args, Debug)]
pub struct SecureArgs {
    /// `complete` or `cancel`.
    #[command(subcommand)]
    pub command: SecureCommand,
}

/// The subcommands of `secure`.
#[derive(Subcommand, Debug)]
pub enum SecureCommand {
    /// Release all or part of a guaranteed payment to the merchant (POST
    /// /v1/netpay/secure-complete).
    #[command(long_about = COMPLETE_LONG_ABOUT, after_long_help = complete_after_long_help())]
    Complete(CompleteArgs),

    /// Give a guaranteed payment back to the payer (POST /v1/netpay/secure-cancel).
    #[command(long_about = CANCEL_LONG_ABOUT, after_long_help = cancel_after_long_help())]
    Cancel(CancelArgs),
}

impl SecureCommand {
    fn inner(&mut self) -> &mut dyn Run {
        match self {
            SecureCommand::Complete(args) => args,
            SecureCommand::Cancel(args) => args,
        }
    }
}

impl Run for SecureArgs {
    fn run(&self) -> Result<String, CliError> {
        match &self.command {
            SecureCommand::Complete(args) => args.run(),
            SecureCommand::Cancel(args) => args.run(),
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        self.command.inner().api()
    }
}

const COMPLETE_LONG_ABOUT: &str = "\
Release all or part of a guaranteed payment to the merchant (POST /v1/netpay/secure-complete).

The amount (--amount in yuan or --fen) is what the merchant keeps: more than zero, at most what \
was paid; the rest goes back to the payer. Prints a summary, the guarantee's state first \
(secureStatus: released (ALL_COMPLETED)), then every field of the answer; or, with --json, the \
typed answer as JSON. Exit code 6 (outcome unknown) names the payment query to ask.";

fn complete_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums secure complete --sandbox 3194DEMOSECURE0001 --amount 0.80\n  \
        chinaums secure complete 3194202401011200000001 --fen 8000     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

const CANCEL_LONG_ABOUT: &str = "\
Give a guaranteed payment back to the payer (POST /v1/netpay/secure-cancel).

Prints a summary, the guarantee's state first (secureStatus: cancelled (CANCELED)), then every \
field of the answer; or, with --json, the typed answer as JSON. A second cancel is refused with \
HAS_CANCELLED (exit 3): after a retry, that means the first one went through.";

fn cancel_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums secure cancel --sandbox 3194DEMOSECURE0001\n  \
        chinaums secure cancel --json 3194202401011200000001     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums secure complete`.
#[derive(Args, Debug)]
pub struct CompleteArgs {
    /// The merchant's order number (merOrderId) of the guaranteed order.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// How much the merchant keeps (completedAmount).
    #[command(flatten)]
    pub amount: AmountArgs,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for CompleteArgs {
    fn run(&self) -> Result<String, CliError> {
        execute(
            &self.api,
            |merchant, _| {
                let order = mer_order_id(&self.mer_order_id)?;
                Ok(SecureComplete::new(merchant, order, self.amount.get()))
            },
            |answer| Some(decision(answer)),
        )
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// `chinaums secure cancel`.
#[derive(Args, Debug)]
pub struct CancelArgs {
    /// The merchant's order number (merOrderId) of the guaranteed order.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for CancelArgs {
    fn run(&self) -> Result<String, CliError> {
        execute(
            &self.api,
            |merchant, _| {
                Ok(SecureCancel::new(
                    merchant,
                    mer_order_id(&self.mer_order_id)?,
                ))
            },
            |answer| Some(decision(answer)),
        )
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// The decision: `secureStatus`, in words and raw: `released (ALL_COMPLETED)`,
/// `cancelled (CANCELED)`; `unknown: query the order (no secureStatus in the answer)`.
pub fn decision(answer: &SecureResponse) -> Decision {
    Decision::new(
        "secureStatus",
        match &answer.secure_status {
            Some(status) => format!("{} ({status})", status.describe()),
            None => "unknown: query the order (no secureStatus in the answer)".to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(json: &str) -> String {
        let r: SecureResponse = serde_json::from_str(json).unwrap();
        decision(&r).text
    }

    #[test]
    fn the_guarantee_state_in_words() {
        let cases = [
            ("ALL_COMPLETED", "released (ALL_COMPLETED)"),
            ("PARTLY_COMPLETED", "partly released (PARTLY_COMPLETED)"),
            ("UNCOMPLETED", "held (UNCOMPLETED)"),
            ("CANCELED", "cancelled (CANCELED)"),
            ("FROZEN", "a value this SDK does not know (FROZEN)"),
        ];
        for (status, text) in cases {
            assert_eq!(decided(&format!(r#"{{"secureStatus":"{status}"}}"#)), text);
        }
        assert_eq!(
            decided(r#"{"errCode":"SUCCESS"}"#),
            "unknown: query the order (no secureStatus in the answer)"
        );
    }
}
