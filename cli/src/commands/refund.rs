//! `chinaums refund`: give a payment back, in full or in part (`POST /v1/netpay/refund`).
//!
//! Its own arguments are the order number, the amount (`--amount` in yuan or `--fen`), the
//! refund's id (`--refund-order-id`, else a fresh one made from `--msg-src-id`) and `--desc`.
//! The refundOrderId used is printed second, right after the refund's state, and is in the
//! `--json` answer: it is what makes repeating the refund safe.

use chinaums::{
    MerOrderId, MsgSrcId, Operation, Refund, RefundOrderId, RefundResponse, RefundState,
    RefundStatus,
};
use clap::Args;

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::common::{AmountArgs, ApiArgs};
use crate::connect::{Connection, connect, output};
use crate::exit::{Class, CliError, describe, shell_word};
use crate::render::Decision;

/// The environment variable of `--msg-src-id`.
pub const MSG_SRC_ID_VAR: &str = "CHINAUMS_MSG_SRC_ID";

/// `refund --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Refund a paid order, in full or in part (POST /v1/netpay/refund).

Every refund has its own id, the refundOrderId. Sending a refund again with the same \
merOrderId and refundOrderId returns the existing refund instead of refunding twice, so \
repeating a refund with the same --refund-order-id is always safe (after a timeout, say); a new \
partial refund needs a new one. Without --refund-order-id a fresh one is generated \
(msgSrcId + time + random digits) and printed right after the refund's state: keep it.

Prints a summary, the refund's state first (refundStatus: refunded (SUCCESS)), then the \
refundOrderId used, then every field of the answer, amounts in yuan and fen; or, with --json, \
the typed answer as JSON (with the refundOrderId used when the answer does not echo it). Exit \
code 0 means the platform answered, whatever the refund's state: read refundStatus (PROCESSING \
means ask again with `chinaums refund-query`). Exit code 6 means the outcome is unknown: the \
error names the refund query to ask, never send a new refund for it.";

/// `refund --help`, at the end.
pub fn after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums refund --sandbox 3194DEMOPAID0001 --amount 0.30\n  \
        chinaums refund --sandbox 3194DEMOPAID0001 --fen 30 --refund-order-id 3194REFUND0001\n  \
        chinaums refund 3194202401011200000001 --amount 12.50 --desc 'damaged on arrival' \\\n      \
        --refund-order-id 3194202401021000000001     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums refund`.
#[derive(Args, Debug)]
pub struct RefundArgs {
    /// The merchant's order number (merOrderId) of the paid order to refund.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: String,

    /// How much to give back.
    #[command(flatten)]
    pub amount: AmountArgs,

    /// This refund's own id (refundOrderId, 6 to 32 characters). The same id again returns the
    /// existing refund instead of refunding twice: reuse it to retry. Default: a fresh one.
    #[arg(long, value_name = "ID")]
    pub refund_order_id: Option<String>,

    /// The merchant's msgSrcId (4 characters) a generated refundOrderId starts with. Default:
    /// the first 4 characters of merOrderId (the platform's order ids start with it).
    #[arg(long, env = MSG_SRC_ID_VAR, value_name = "ID")]
    pub msg_src_id: Option<String>,

    /// Why (refundDesc), at most 255 characters.
    #[arg(long, value_name = "TEXT")]
    pub desc: Option<String>,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for RefundArgs {
    fn run(&self) -> Result<String, CliError> {
        let (connection, merchant) = connect(&self.api)?;
        let mer_order_id = mer_order_id(&self.mer_order_id)?;
        let refund_order_id = self.refund_order_id(&mer_order_id, &connection)?;
        let mut refund = Refund::new(
            &merchant,
            mer_order_id,
            refund_order_id.clone(),
            self.amount.get(),
        );
        if let Some(desc) = &self.desc {
            refund = refund.refund_desc(desc.as_str());
        }
        // The core checks again when sending; here its error names the flag.
        refund.validate().map_err(|e| {
            let flag = match e.field {
                "refundDesc" => "--desc",
                _ => "--amount (or --fen)",
            };
            CliError::invalid(&e).hint(format!("fix {flag}"))
        })?;
        let mut answer = connection
            .call(&refund)
            .map_err(|e| retry_hint(e, &refund_order_id))?;
        let used = refund_order_id.to_string();
        let decision = decision(&answer).and("refundOrderId", echoed(&answer, &used));
        // A script reads the id from the answer: the one sent, if the platform left it out.
        if answer.refund_order_id.as_deref().is_none_or(str::is_empty) {
            answer.refund_order_id = Some(used);
        }
        output(&self.api, &answer, Some(&decision))
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

impl RefundArgs {
    /// `--refund-order-id`, or a fresh one from `--msg-src-id` (default: merOrderId's first 4
    /// characters).
    fn refund_order_id(
        &self,
        mer_order_id: &MerOrderId,
        connection: &Connection,
    ) -> Result<RefundOrderId, CliError> {
        if let Some(id) = &self.refund_order_id {
            return RefundOrderId::new(id.as_str())
                .map_err(|e| CliError::invalid(&e).hint("fix --refund-order-id"));
        }
        let msg_src_id = match &self.msg_src_id {
            Some(given) => MsgSrcId::new(given.as_str()).map_err(|e| {
                CliError::invalid(&e).hint(format!("fix --msg-src-id (or {MSG_SRC_ID_VAR})"))
            })?,
            None => default_msg_src_id(mer_order_id.as_str())?,
        };
        connection
            .client
            .core()
            .new_refund_order_id(&msg_src_id)
            .map_err(|e| describe(&e, &connection.base_url))
    }
}

/// The order number, by the core's rule.
pub fn mer_order_id(given: &str) -> Result<MerOrderId, CliError> {
    MerOrderId::new(given).map_err(|e| CliError::invalid(&e).hint("fix the <merOrderId> argument"))
}

/// The msgSrcId a generated refundOrderId starts with, by default: the order number's first 4
/// characters, as the platform's order numbers start with the merchant's msgSrcId.
pub fn default_msg_src_id(mer_order_id: &str) -> Result<MsgSrcId, CliError> {
    let prefix: String = mer_order_id.chars().take(4).collect();
    MsgSrcId::new(prefix.as_str()).map_err(|e| {
        CliError::usage(format!(
            "cannot take the msgSrcId from the first 4 characters of merOrderId ({e})"
        ))
        .hint(format!(
            "give --refund-order-id, or --msg-src-id (or {MSG_SRC_ID_VAR}) to generate one"
        ))
    })
}

/// A refund certainly not processed (exit 5): safe to repeat, with the same refundOrderId.
fn retry_hint(error: CliError, refund_order_id: &RefundOrderId) -> CliError {
    if error.class != Class::Retryable {
        return error;
    }
    let hint = format!(
        "safe to retry; repeat it with --refund-order-id {} (the same refund, never a second one)",
        shell_word(refund_order_id.as_str())
    );
    match &error.hint {
        Some(before) => {
            let hint = format!("{before}; {hint}");
            error.hint(hint)
        }
        None => error.hint(hint),
    }
}

/// The refundOrderId line: the id sent, and the one the answer echoes if it differs.
fn echoed(answer: &RefundResponse, used: &str) -> String {
    match answer.refund_order_id.as_deref() {
        Some(echoed) if !echoed.is_empty() && echoed != used => {
            format!("{echoed} (sent: {used})")
        }
        _ => used.to_owned(),
    }
}

/// The decision: `refundStatus`, the refund's state in words and the raw status.
pub fn decision(answer: &RefundResponse) -> Decision {
    refund_decision(&answer.state(), answer.refund_status.as_ref())
}

/// `refundStatus: refunded (SUCCESS)`, `pending: ask again with a refund query (PROCESSING)`,
/// `unknown: ask again with a refund query (no refundStatus in the answer)`.
pub fn refund_decision(state: &RefundState, status: Option<&RefundStatus>) -> Decision {
    let state = state.describe();
    Decision::new(
        "refundStatus",
        match status {
            Some(status) => format!("{state} ({status})"),
            None => format!("{state} (no refundStatus in the answer)"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::summary;

    fn response(json: &str) -> RefundResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_decision_names_the_state_and_the_raw_status() {
        let cases = [
            (r#"{"refundStatus":"SUCCESS"}"#, "refunded (SUCCESS)"),
            (r#"{"refundStatus":"FAIL"}"#, "not refunded (FAIL)"),
            (
                r#"{"refundStatus":"PROCESSING"}"#,
                "pending: ask again with a refund query (PROCESSING)",
            ),
            (
                r#"{"refundStatus":"FROZEN"}"#,
                "unknown: ask again with a refund query (FROZEN)",
            ),
            (
                r#"{"errCode":"SUCCESS"}"#,
                "unknown: ask again with a refund query (no refundStatus in the answer)",
            ),
        ];
        for (json, text) in cases {
            let d = decision(&response(json));
            assert_eq!((d.field, d.text.as_str()), ("refundStatus", text), "{json}");
        }
    }

    #[test]
    fn the_summary_shows_the_state_then_the_refund_order_id() {
        let r = response(
            r#"{"errCode":"SUCCESS","refundStatus":"SUCCESS","refundOrderId":"3194R0001",
                "refundAmount":30,"totalAmount":"100","merOrderId":"3194X","status":"TRADE_SUCCESS"}"#,
        );
        let d = decision(&r).and("refundOrderId", echoed(&r, "3194R0001"));
        let s = summary(&r, Some(&d)).unwrap();
        let names: Vec<&str> = s.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            names,
            [
                "refundStatus",
                "refundOrderId",
                "errCode",
                "refundAmount",
                "totalAmount",
                "merOrderId",
                "status"
            ],
            "{s}"
        );
        assert!(s.contains("refundOrderId: 3194R0001\n"), "{s}");
        assert!(s.contains("refundAmount:  0.30 yuan (30 fen)\n"), "{s}");
        // An answer that echoes another id shows both.
        assert_eq!(echoed(&r, "3194R0002"), "3194R0001 (sent: 3194R0002)");
        assert_eq!(echoed(&response("{}"), "3194R0002"), "3194R0002");
    }

    #[test]
    fn the_default_msg_src_id_is_the_order_numbers_prefix() {
        assert_eq!(default_msg_src_id("3194DEMOPAID0001").unwrap(), "3194");
        for bad in ["319", "31 4XXXX", "测试订单号码"] {
            let e = default_msg_src_id(bad).unwrap_err();
            assert_eq!(e.class, Class::Usage, "{bad}");
            assert!(e.hint.unwrap().contains("--msg-src-id"), "{bad}");
        }
    }

    #[test]
    fn a_retryable_error_says_to_reuse_the_refund_order_id() {
        let id = RefundOrderId::new("3194R0001").unwrap();
        let e = retry_hint(CliError::new(Class::Retryable, "busy").hint("later"), &id);
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "later; safe to retry; repeat it with --refund-order-id 3194R0001 \
                 (the same refund, never a second one)"
            )
        );
        let e = retry_hint(CliError::new(Class::Rejected, "no"), &id);
        assert_eq!(e.hint, None);
    }
}
