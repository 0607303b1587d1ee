//! `chinaums close`: close an order nobody paid (`POST /v1/netpay/close`).
//!
//! Its own argument is the order number. The answer is printed by the generic renderer, with
//! whether the order is closed first. The platform's `OPERATION_NOT_ALLOWED` means "closed
//! already, or paid meanwhile": the core reads it as an unknown outcome whose follow-up is the
//! payment query, so it exits 6 and names that query.

use chinaums::{Close, CloseResponse};
use clap::Args;

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::commands::refund::mer_order_id;
use crate::common::ApiArgs;
use crate::connect::execute;
use crate::exit::CliError;
use crate::render::Decision;

/// `close --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Close an order nobody paid, so that it can no longer be paid (POST /v1/netpay/close).

Prints a summary, whether the order is closed first (closed: yes (TRADE_CLOSED)), then every \
field of the answer; or, with --json, the typed answer as JSON. When the platform refuses with \
OPERATION_NOT_ALLOWED the order may be closed already or paid in the meantime: only the \
payment query can tell, so the exit code is 6 (outcome unknown) and the error names the query \
to ask (`chinaums query <merOrderId>`).";

/// `close --help`, at the end.
pub fn after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums close --sandbox 3194DEMOUNPAID0001\n  \
        chinaums close --json 3194202401011200000001     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums close`.
#[derive(Args, Debug)]
pub struct CloseArgs {
    /// The merchant's order number (merOrderId) of the order to close.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for CloseArgs {
    fn run(&self) -> Result<String, CliError> {
        execute(
            &self.api,
            |merchant, _| Ok(Close::new(merchant, mer_order_id(&self.mer_order_id)?)),
            |answer| Some(decision(answer)),
        )
        .map_err(not_allowed_hint)
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// `OPERATION_NOT_ALLOWED` with the payment query as follow-up: the hint says why the order
/// could not be closed (closed already, or paid) before naming the query.
fn not_allowed_hint(error: CliError) -> CliError {
    match (&error.err_code, &error.follow_up) {
        (Some(code), Some(query)) if code == "OPERATION_NOT_ALLOWED" => {
            let hint = format!(
                "the order may be closed already, or paid in the meantime: only the payment \
                 query can tell; ask it (same settings): {}",
                query.command()
            );
            error.hint(hint)
        }
        _ => error,
    }
}

/// The decision: `closed: yes (TRADE_CLOSED)`, `closed: yes` (no status in the answer), or
/// `closed: no: paid (TRADE_SUCCESS)`.
pub fn decision(answer: &CloseResponse) -> Decision {
    let text = match (answer.is_closed(), &answer.order.status) {
        (true, Some(status)) => format!("yes ({status})"),
        (true, None) => "yes".to_owned(),
        (false, Some(status)) => format!("no: {} ({status})", answer.state().describe()),
        (false, None) => "no".to_owned(),
    };
    Decision::new("closed", text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::summary;

    fn decided(json: &str) -> String {
        let r: CloseResponse = serde_json::from_str(json).unwrap();
        decision(&r).text
    }

    #[test]
    fn operation_not_allowed_says_why_then_names_the_query() {
        use crate::exit::{Class, FollowUpQuery};
        let query = FollowUpQuery {
            operation: "PaymentQuery",
            mer_order_id: "3194X0001".into(),
            refund_order_id: None,
            inst_mid: None,
            bill_date: None,
        };
        let mut e = CliError::new(Class::OutcomeUnknown, "m");
        e.err_code = Some("OPERATION_NOT_ALLOWED".into());
        e.follow_up = Some(Box::new(query));
        let hint = not_allowed_hint(e).hint.unwrap();
        assert!(
            hint.starts_with("the order may be closed already, or paid")
                && hint.ends_with(": chinaums query 3194X0001"),
            "{hint}"
        );
        let e = not_allowed_hint(CliError::new(Class::OutcomeUnknown, "m").hint("h"));
        assert_eq!(e.hint.as_deref(), Some("h"));
    }

    #[test]
    fn closed_or_not_in_words() {
        assert_eq!(
            decided(r#"{"status":"TRADE_CLOSED"}"#),
            "yes (TRADE_CLOSED)"
        );
        assert_eq!(decided(r#"{"errCode":"SUCCESS"}"#), "yes");
        assert_eq!(
            decided(r#"{"status":"TRADE_SUCCESS"}"#),
            "no: paid (TRADE_SUCCESS)"
        );
    }

    #[test]
    fn the_summary_says_closed_first_and_keeps_the_status() {
        let r: CloseResponse = serde_json::from_str(
            r#"{"errCode":"SUCCESS","merOrderId":"3194X","status":"TRADE_CLOSED",
                "totalAmount":2500}"#,
        )
        .unwrap();
        let s = summary(&r, Some(&decision(&r))).unwrap();
        assert!(s.starts_with("closed:      yes (TRADE_CLOSED)\n"), "{s}");
        assert!(s.contains("\nstatus:      TRADE_CLOSED\n"), "{s}");
        assert!(s.contains("\ntotalAmount: 25.00 yuan (2500 fen)\n"), "{s}");
    }
}
