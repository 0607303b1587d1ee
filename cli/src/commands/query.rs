//! `chinaums query`: the payment-result query (`POST /v1/netpay/query`).
//!
//! Its own arguments are the order number and `--msg-id`; the connection, credentials,
//! merchant and `--json` are the shared [`ApiArgs`]. The answer is printed by the generic
//! renderer, with the order's state first.

use chinaums::{MerOrderId, MsgId, PaymentQuery, PaymentQueryResponse};
use clap::Args;

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::common::ApiArgs;
use crate::connect::execute;
use crate::exit::CliError;
use crate::render::Decision;

/// `query --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Query the payment result of an order (POST /v1/netpay/query).

Prints a summary: the order's state in words and the raw status first, then every field the \
answer carries by its wire name (totalAmount, payTime, merOrderId, targetSys, seqId, ...), \
amounts in yuan and fen; or, with --json, the whole typed response as JSON. Exit code 0 means \
the query succeeded, whatever state the order is in: read the status.

Credentials and merchant fields come from the flags or the environment variables named below. \
instMid must be the business type the order was created with, or the platform answers NO_ORDER.";

/// `query --help`, at the end.
pub fn after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums query --sandbox 3194DEMOPAID0001\n  \
        chinaums query --sandbox --auth token --json 3194DEMOREFUND0001\n  \
        export CHINAUMS_APP_ID=... CHINAUMS_APP_KEY=... CHINAUMS_ENV=test\n  \
        chinaums query --mid 898201612345678 --tid 88880001 --inst-mid YUEDANDEFAULT \\\n      \
        3194202401011200000001\n\n{EXIT_CODES_HELP}"
    )
}

/// `chinaums query`.
#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The merchant's order number (merOrderId) to query.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// A message id (msgId) the platform echoes back.
    #[arg(long, value_name = "ID")]
    pub msg_id: Option<String>,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for QueryArgs {
    fn run(&self) -> Result<String, CliError> {
        execute(
            &self.api,
            |merchant, _| {
                let mer_order_id = MerOrderId::new(self.mer_order_id.as_str())
                    .map_err(|e| CliError::invalid(&e).hint("fix the <merOrderId> argument"))?;
                let mut query = PaymentQuery::new(merchant, mer_order_id);
                if let Some(msg_id) = &self.msg_id {
                    let msg_id = MsgId::new(msg_id.as_str())
                        .map_err(|e| CliError::invalid(&e).hint("fix --msg-id"))?;
                    query = query.msg_id(msg_id);
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

/// The decision: `status`, as the state in words and the raw status, e.g.
/// `paid (TRADE_SUCCESS)`; `unknown: query again (no status in the answer)` without one.
pub fn decision(answer: &PaymentQueryResponse) -> Decision {
    let state = answer.state().describe();
    Decision::new(
        "status",
        match &answer.status {
            Some(status) => format!("{state} ({status})"),
            None => format!("{state} (no status in the answer)"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::summary;

    fn response(json: &str) -> PaymentQueryResponse {
        serde_json::from_str(json).unwrap()
    }

    fn lines(text: &str) -> Vec<(&str, &str)> {
        text.lines()
            .map(|l| {
                let (name, value) = l.split_once(':').unwrap();
                (name, value.trim())
            })
            .collect()
    }

    #[test]
    fn summary_shows_the_state_first_then_every_field_the_answer_carries() {
        let r = response(
            r#"{"errCode":"SUCCESS","errMsg":"","status":"TRADE_REFUND","totalAmount":"880",
                "payTime":"2024-01-02 09:30:00","merOrderId":"3194X","targetSys":"Alipay 2.0",
                "seqId":"","refundAmount":880,"couponAmount":0,"connectSys":"UNIONPAY",
                "responseTimestamp":"2024-01-02 09:31:00"}"#,
        );
        let s = summary(&r, Some(&decision(&r))).unwrap();
        assert_eq!(
            lines(&s),
            [
                ("status", "paid, then refunded (TRADE_REFUND)"),
                ("errCode", "SUCCESS"),
                ("responseTimestamp", "2024-01-02 09:31:00"),
                ("payTime", "2024-01-02 09:30:00"),
                ("totalAmount", "8.80 yuan (880 fen)"),
                ("merOrderId", "3194X"),
                ("targetSys", "Alipay 2.0"),
                ("couponAmount", "0.00 yuan (0 fen)"),
                ("refundAmount", "8.80 yuan (880 fen)"),
                ("connectSys", "UNIONPAY"),
            ],
            "{s}"
        );
        // Values aligned: every value starts in the same column.
        let columns: Vec<usize> = s
            .lines()
            .map(|l| l.len() - l.split_once(':').unwrap().1.trim_start().len())
            .collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{s}");
    }

    #[test]
    fn summary_without_status_says_unknown() {
        let r = response(r#"{"errCode":"SUCCESS"}"#);
        let s = summary(&r, Some(&decision(&r))).unwrap();
        assert!(
            s.starts_with("status:  unknown: query again (no status in the answer)\n"),
            "{s}"
        );
    }

    #[test]
    fn an_unknown_status_is_shown_verbatim() {
        let r = response(r#"{"status":"TRADE_FROZEN"}"#);
        assert_eq!(
            summary(&r, Some(&decision(&r))).unwrap(),
            "status: unknown: query again (TRADE_FROZEN)\n"
        );
    }
}
