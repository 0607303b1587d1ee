//! `chinaums refund-query`: where a refund stands (`POST /v1/netpay/refund-query`).
//!
//! Its own arguments are the order number and, to ask about one refund of several,
//! `--refund-order-id`. The answer is printed by the generic renderer, the refund's state
//! first.

use chinaums::{RefundOrderId, RefundQuery, RefundQueryResponse};
use clap::Args;

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::commands::refund::{mer_order_id, refund_decision};
use crate::common::ApiArgs;
use crate::connect::execute;
use crate::exit::CliError;
use crate::render::Decision;

/// `refund-query --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Ask where a refund stands (POST /v1/netpay/refund-query).

Name the refund with --refund-order-id when the order has several (the id `chinaums refund` \
printed); without it the platform answers about the order's refunds as it sees fit.

Prints a summary, the refund's state first (refundStatus: refunded (SUCCESS), or pending: ask \
again), then every field of the answer, amounts in yuan and fen; or, with --json, the typed \
answer as JSON. Exit code 0 means the query succeeded, whatever the refund's state.";

/// `refund-query --help`, at the end.
pub fn after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums refund-query --sandbox 3194DEMOPARTREF0001 --refund-order-id 3194DEMOPARTREF0001R1\n  \
        chinaums refund-query --json 3194202401011200000001 \\\n      \
        --refund-order-id 3194202401021000000001     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums refund-query`.
#[derive(Args, Debug)]
pub struct RefundQueryArgs {
    /// The merchant's order number (merOrderId) of the refunded order.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// The refund to ask about (refundOrderId), when the order has several.
    #[arg(long, value_name = "ID")]
    pub refund_order_id: Option<String>,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for RefundQueryArgs {
    fn run(&self) -> Result<String, CliError> {
        execute(
            &self.api,
            |merchant, _| {
                let mut query = RefundQuery::new(merchant, mer_order_id(&self.mer_order_id)?);
                if let Some(id) = &self.refund_order_id {
                    let id = RefundOrderId::new(id.as_str())
                        .map_err(|e| CliError::invalid(&e).hint("fix --refund-order-id"))?;
                    query = query.refund_order_id(id);
                }
                Ok(query)
            },
            |answer| Some(decision(answer)),
        )
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// The decision: `refundStatus`, as for a refund.
pub fn decision(answer: &RefundQueryResponse) -> Decision {
    refund_decision(&answer.state(), answer.refund_status.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::summary;

    #[test]
    fn the_summary_shows_the_refund_state_first() {
        let r: RefundQueryResponse = serde_json::from_str(
            r#"{"errCode":"SUCCESS","merOrderId":"3194X","refundStatus":"PROCESSING",
                "refundOrderId":"3194R1","refundAmount":"30","status":"TRADE_SUCCESS"}"#,
        )
        .unwrap();
        let s = summary(&r, Some(&decision(&r))).unwrap();
        assert!(
            s.starts_with("refundStatus:  pending: ask again with a refund query (PROCESSING)\n"),
            "{s}"
        );
        assert!(s.contains("\nrefundAmount:  0.30 yuan (30 fen)\n"), "{s}");
        assert_eq!(s.matches("refundStatus").count(), 1, "{s}");
    }
}
