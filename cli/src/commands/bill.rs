//! `chinaums bill query|refund|close|info`: a QR bill after it was made (`order create qr`).
//!
//! `bill` only groups them; each is an API command of its own, with the shared arguments and
//! the business type `QRPAYDEFAULT` unless `--inst-mid` says otherwise. A bill is named by its
//! billNo and billDate, its code by the platform's qrCodeId. The core names no follow-up query
//! for bills (its follow-ups name orders), so these commands name the bill query themselves
//! when an outcome is unknown.

use chinaums::{
    BillNo, BillQrCodeResponse, BillState, BillsCloseQrCode, BillsQuery, BillsQueryQrCodeInfo,
    BillsQueryResponse, BillsRefund, Date, MsgSrcId, Operation, QrCodeId, RefundOrderId,
};
use clap::{Args, Subcommand};

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::commands::order::QR_INST_MID;
use crate::commands::refund::{default_msg_src_id, refund_decision};
use crate::common::{AmountArgs, ApiArgs};
use crate::connect::{connect_with, output};
use crate::exit::{Class, CliError, FollowUpQuery, describe, shell_word};
use crate::order::{MSG_SRC_ID_VAR, format_date, invalid, parse_bill_date};
use crate::render::Decision;

/// `bill --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
A QR bill after it was made (`chinaums order create qr`): `bill query` tells where it stands, \
`bill refund` gives money back, `bill close` retires its QR code, `bill info` reads a code. \
The business type is --inst-mid (or CHINAUMS_INST_MID), else QRPAYDEFAULT.";

/// `chinaums bill`.
#[derive(Args, Debug)]
pub struct BillArgs {
    /// `query`, `refund`, `close` or `info`.
    #[command(subcommand)]
    pub command: BillCommand,
}

/// The subcommands of `bill`.
#[derive(Subcommand, Debug)]
pub enum BillCommand {
    /// Where a bill stands: paid, refunded, closed, or not paid yet (POST /v1/netpay/bills/query).
    #[command(long_about = QUERY_LONG_ABOUT, after_long_help = query_after_long_help())]
    Query(BillQueryArgs),

    /// Refund a paid bill, in full or in part (POST /v1/netpay/bills/refund).
    #[command(long_about = REFUND_LONG_ABOUT, after_long_help = refund_after_long_help())]
    Refund(BillRefundArgs),

    /// Retire a QR code, so that it can no longer be paid (POST /v1/netpay/bills/close-qrcode).
    #[command(long_about = CLOSE_LONG_ABOUT, after_long_help = close_after_long_help())]
    Close(BillCloseArgs),

    /// Read a QR code: the bill bound to it (POST /v1/netpay/bills/query-qrcode-info).
    #[command(long_about = INFO_LONG_ABOUT)]
    Info(BillInfoArgs),
}

impl BillCommand {
    fn inner(&mut self) -> &mut dyn Run {
        match self {
            BillCommand::Query(args) => args,
            BillCommand::Refund(args) => args,
            BillCommand::Close(args) => args,
            BillCommand::Info(args) => args,
        }
    }
}

impl Run for BillArgs {
    fn run(&self) -> Result<String, CliError> {
        match &self.command {
            BillCommand::Query(args) => args.run(),
            BillCommand::Refund(args) => args.run(),
            BillCommand::Close(args) => args.run(),
            BillCommand::Info(args) => args.run(),
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        self.command.inner().api()
    }
}

const QUERY_LONG_ABOUT: &str = "\
Where a QR bill stands (POST /v1/netpay/bills/query), named by its billNo and --bill-date.

Prints a summary, the bill's state first (billStatus: paid (PAID); paid, then refunded \
(REFUND); closed (CLOSED); in progress: not paid (yet), ask again (UNPAID)), then every field of \
the answer, the payment (billPayment) once there is one; or, with --json, the typed answer as \
JSON. Only PAID means the money arrived and stays. With --refund-order-id the answer describes \
that refund too (refundBillPayment).";

fn query_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums bill query 31942024010112000000000042 --bill-date 2024-01-01     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums bill query`.
#[derive(Args, Debug)]
pub struct BillQueryArgs {
    /// The bill's number (billNo).
    #[arg(value_name = "billNo")]
    pub bill_no: String,

    /// The bill's date (billDate), yyyy-MM-dd.
    #[arg(long, value_name = "DATE", value_parser = parse_bill_date)]
    pub bill_date: Date,

    /// Describe this refund of the bill too (refundOrderId).
    #[arg(long, value_name = "ID")]
    pub refund_order_id: Option<String>,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for BillQueryArgs {
    fn run(&self) -> Result<String, CliError> {
        let (connection, merchant) = connect_with(&self.api, Some(QR_INST_MID))?;
        let bill_no = bill_no(&self.bill_no)?;
        let date = self.bill_date;
        let mut query = BillsQuery::new(&merchant, bill_no, date);
        if let Some(id) = &self.refund_order_id {
            query = query.refund_order_id(refund_order_id(id)?);
        }
        query.validate().map_err(|e| invalid(&e))?;
        let answer = connection.call(&query)?;
        output(&self.api, &answer, Some(&query_decision(&answer)))
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// `billStatus: paid (PAID)`, `in progress: not paid (yet), ask again (no billStatus in the
/// answer)`.
pub fn query_decision(answer: &BillsQueryResponse) -> Decision {
    bill_status(answer.state(), answer.bill.bill_status.as_ref())
}

fn bill_status(state: BillState, status: Option<&chinaums::BillStatus>) -> Decision {
    let state = state.describe();
    Decision::new(
        "billStatus",
        match status {
            Some(status) => format!("{state} ({status})"),
            None => format!("{state} (no billStatus in the answer)"),
        },
    )
}

const REFUND_LONG_ABOUT: &str = "\
Refund a paid QR bill, in full or in part (POST /v1/netpay/bills/refund), named by its billNo \
and --bill-date.

Every refund has its own id, the refundOrderId: the same one again returns the existing refund \
instead of refunding twice, so repeating a refund with the same --refund-order-id is always \
safe; a new partial refund needs a new one. Without --refund-order-id a fresh one is generated \
from --msg-src-id (or CHINAUMS_MSG_SRC_ID; default: the billNo's first 4 characters) and printed \
right after the refund's state: keep it.

Prints a summary, the refund's state first (refundStatus: refunded (SUCCESS)), then the \
refundOrderId, then every field of the answer; or, with --json, the typed answer as JSON. Exit \
code 6 means the outcome is unknown: the error names the bill query to ask (with the \
refundOrderId), never send a new refund for it.";

fn refund_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums bill refund 31942024010112000000000042 --bill-date 2024-01-01 --amount 18.00 \\\n      \
        --refund-order-id 31942024010112000300000001     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums bill refund`.
#[derive(Args, Debug)]
pub struct BillRefundArgs {
    /// The bill's number (billNo).
    #[arg(value_name = "billNo")]
    pub bill_no: String,

    /// The bill's date (billDate), yyyy-MM-dd.
    #[arg(long, value_name = "DATE", value_parser = parse_bill_date)]
    pub bill_date: Date,

    /// How much to give back (refundAmount).
    #[command(flatten)]
    pub amount: AmountArgs,

    /// This refund's own id (refundOrderId, 6 to 32 characters). The same id again returns the
    /// existing refund instead of refunding twice: reuse it to retry. Default: a fresh one.
    #[arg(long, value_name = "ID")]
    pub refund_order_id: Option<String>,

    /// The merchant's msgSrcId (4 characters) a generated refundOrderId starts with. Default:
    /// the first 4 characters of the billNo.
    #[arg(long, env = MSG_SRC_ID_VAR, value_name = "ID")]
    pub msg_src_id: Option<String>,

    /// Why (refundDesc), at most 255 characters.
    #[arg(long, value_name = "TEXT")]
    pub desc: Option<String>,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for BillRefundArgs {
    fn run(&self) -> Result<String, CliError> {
        let (connection, merchant) = connect_with(&self.api, Some(QR_INST_MID))?;
        let bill_no = bill_no(&self.bill_no)?;
        let date = self.bill_date;
        let refund_order_id = match &self.refund_order_id {
            Some(id) => refund_order_id(id)?,
            None => {
                let msg_src_id = match &self.msg_src_id {
                    Some(given) => MsgSrcId::new(given.as_str()).map_err(|e| {
                        CliError::invalid(&e)
                            .hint(format!("fix --msg-src-id (or {MSG_SRC_ID_VAR})"))
                    })?,
                    None => default_msg_src_id(bill_no.as_str())?,
                };
                let fresh = connection
                    .client
                    .core()
                    .new_refund_order_id(&msg_src_id)
                    .map_err(|e| describe(&e, &connection.base_url))?;
                announce_refund(fresh.as_str());
                fresh
            }
        };
        let mut refund = BillsRefund::new(
            &merchant,
            bill_no.clone(),
            date,
            refund_order_id.clone(),
            self.amount.get(),
        );
        if let Some(desc) = &self.desc {
            refund = refund.refund_desc(desc.as_str());
        }
        refund.validate().map_err(|e| invalid(&e))?;
        let chosen_inst_mid = chosen_inst_mid(&self.api, &merchant);
        let date_text = format_date(date);
        let mut answer = connection.call(&refund).map_err(|e| {
            bill_refund_error(
                e,
                bill_no.as_str(),
                &date_text,
                refund_order_id.as_str(),
                chosen_inst_mid,
            )
        })?;
        let used = refund_order_id.to_string();
        let shown = match answer.refund_order_id.as_deref() {
            Some(echoed) if !echoed.is_empty() && echoed != used => {
                format!("{echoed} (sent: {used})")
            }
            _ => used.clone(),
        };
        let decision = refund_decision(&answer.state(), answer.refund_status.as_ref())
            .and("refundOrderId", shown);
        if answer.refund_order_id.as_deref().is_none_or(str::is_empty) {
            answer.refund_order_id = Some(used);
        }
        output(&self.api, &answer, Some(&decision))
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// A generated refundOrderId, on stderr before the refund is sent: known even if it fails.
fn announce_refund(id: &str) {
    eprintln!("refundOrderId: {id} (generated: keep it; the same id again is the same refund)");
}

/// The business type to name in a follow-up query, when the command chose it itself.
fn chosen_inst_mid(api: &ApiArgs, merchant: &chinaums::Merchant) -> Option<String> {
    api.merchant
        .inst_mid
        .as_deref()
        .is_none_or(str::is_empty)
        .then(|| merchant.inst_mid.to_string())
}

/// A bill refund that failed: when the outcome is unknown, the bill query with the refund's id
/// (never a new refund); when certainly not sent, that repeating it with the same id is safe.
pub fn bill_refund_error(
    mut error: CliError,
    bill_no: &str,
    bill_date: &str,
    refund_order_id: &str,
    inst_mid: Option<String>,
) -> CliError {
    match error.class {
        Class::OutcomeUnknown => {
            let mut query = FollowUpQuery::bill(bill_no, bill_date, Some(refund_order_id));
            query.inst_mid = inst_mid;
            let hint = query.hint();
            error.follow_up = Some(Box::new(query));
            error.hint(hint)
        }
        Class::Retryable => {
            let hint = format!(
                "safe to retry; repeat it with --refund-order-id {} (the same refund, never a \
                 second one)",
                shell_word(refund_order_id)
            );
            let hint = match &error.hint {
                Some(before) => format!("{before}; {hint}"),
                None => hint,
            };
            error.hint(hint)
        }
        _ => error,
    }
}

const CLOSE_LONG_ABOUT: &str = "\
Retire a QR code (POST /v1/netpay/bills/close-qrcode), named by its qrCodeId (from `order \
create qr`), so that it can no longer be paid; its unpaid bill closes. Closing a code again does \
no harm: after an unknown outcome (exit 6), repeat it.

Prints a summary, closed first, then every field of the answer; or, with --json, the typed \
answer as JSON.";

fn close_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums bill close 31942024010112000000000000123     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums bill close`.
#[derive(Args, Debug)]
pub struct BillCloseArgs {
    /// The code's id (qrCodeId).
    #[arg(value_name = "qrCodeId")]
    pub qr_code_id: String,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for BillCloseArgs {
    fn run(&self) -> Result<String, CliError> {
        let (connection, merchant) = connect_with(&self.api, Some(QR_INST_MID))?;
        let id = qr_code_id(&self.qr_code_id)?;
        let close = BillsCloseQrCode::new(&merchant, id.clone());
        let answer = connection.call(&close).map_err(|e| {
            if e.class == Class::OutcomeUnknown {
                let hint = format!(
                    "closing a code again does no harm: repeat it (same settings): chinaums \
                     bill close {}",
                    shell_word(id.as_str())
                );
                e.hint(hint)
            } else {
                e
            }
        })?;
        let decision = Decision::new("closed", close_text(&answer)).and("qrCodeId", id.as_str());
        output(&self.api, &answer, Some(&decision))
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// `yes`, with the bill's status when the answer has one.
fn close_text(answer: &BillQrCodeResponse) -> String {
    match &answer.bill.bill_status {
        Some(status) => format!("yes (the bill: {status})"),
        None => "yes".to_owned(),
    }
}

const INFO_LONG_ABOUT: &str = "\
Read a QR code (POST /v1/netpay/bills/query-qrcode-info), named by its qrCodeId: the bill bound \
to it, its amount and description. Prints every field of the answer (the bill's state first \
when there is one); or, with --json, the typed answer as JSON.";

/// `chinaums bill info`.
#[derive(Args, Debug)]
pub struct BillInfoArgs {
    /// The code's id (qrCodeId).
    #[arg(value_name = "qrCodeId")]
    pub qr_code_id: String,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for BillInfoArgs {
    fn run(&self) -> Result<String, CliError> {
        let (connection, merchant) = connect_with(&self.api, Some(QR_INST_MID))?;
        let info = BillsQueryQrCodeInfo::new(&merchant, qr_code_id(&self.qr_code_id)?);
        let answer = connection.call(&info)?;
        let decision = answer
            .bill
            .bill_status
            .as_ref()
            .map(|status| bill_status(status.state(), Some(status)));
        output(&self.api, &answer, decision.as_ref())
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

fn bill_no(given: &str) -> Result<BillNo, CliError> {
    BillNo::new(given).map_err(|e| CliError::invalid(&e).hint("fix the <billNo> argument"))
}

fn refund_order_id(given: &str) -> Result<RefundOrderId, CliError> {
    RefundOrderId::new(given).map_err(|e| CliError::invalid(&e).hint("fix --refund-order-id"))
}

fn qr_code_id(given: &str) -> Result<QrCodeId, CliError> {
    QrCodeId::new(given).map_err(|e| CliError::invalid(&e).hint("fix the <qrCodeId> argument"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::summary;

    #[test]
    fn the_bill_state_in_words() {
        for (json, text) in [
            (r#"{"billStatus":"PAID"}"#, "paid (PAID)"),
            (r#"{"billStatus":"REFUND"}"#, "paid, then refunded (REFUND)"),
            (r#"{"billStatus":"CLOSED"}"#, "closed (CLOSED)"),
            (
                r#"{"billStatus":"UNPAID"}"#,
                "in progress: not paid (yet), ask again (UNPAID)",
            ),
            (
                r#"{"billStatus":"TRADE_SUCCESS"}"#,
                "in progress: not paid (yet), ask again (TRADE_SUCCESS)",
            ),
            (
                r#"{"errCode":"SUCCESS"}"#,
                "in progress: not paid (yet), ask again (no billStatus in the answer)",
            ),
        ] {
            let answer: BillsQueryResponse = serde_json::from_str(json).unwrap();
            let d = query_decision(&answer);
            assert_eq!((d.field, d.text.as_str()), ("billStatus", text), "{json}");
        }
    }

    #[test]
    fn the_query_summary_shows_the_state_then_the_payment() {
        let answer: BillsQueryResponse = serde_json::from_str(
            r#"{"errCode":"SUCCESS","billNo":"3194BILL0001","billDate":"2024-01-01",
                "billStatus":"PAID","totalAmount":3600,
                "billPayment":"{\"merOrderId\":\"3194BILL0001\",\"status\":\"TRADE_SUCCESS\",\"totalAmount\":3600,\"targetSys\":\"WXPay\"}"}"#,
        )
        .unwrap();
        let s = summary(&answer, Some(&query_decision(&answer))).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("billStatus:") && lines[0].ends_with("paid (PAID)"));
        assert!(s.contains("billPayment:\n"), "{s}");
        assert!(s.contains("  totalAmount: 36.00 yuan (3600 fen)\n"), "{s}");
        assert!(s.contains("  targetSys:   WXPay\n"), "{s}");
    }

    #[test]
    fn an_unknown_bill_refund_names_the_bill_query_with_its_ids() {
        let e = bill_refund_error(
            CliError::new(Class::OutcomeUnknown, "lost"),
            "3194BILL0001",
            "2024-01-01",
            "3194R0001",
            Some("QRPAYDEFAULT".into()),
        );
        let command = "chinaums bill query 3194BILL0001 --bill-date 2024-01-01 --inst-mid \
                       QRPAYDEFAULT --refund-order-id 3194R0001";
        assert_eq!(e.follow_up.as_ref().unwrap().command(), command);
        let hint = e.hint.clone().unwrap();
        assert!(
            hint.starts_with("the refund may or may not have been made"),
            "{hint}"
        );
        assert!(hint.ends_with(command), "{hint}");
        let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            json["followUp"],
            serde_json::json!({"operation":"BillsQuery","billNo":"3194BILL0001",
                "billDate":"2024-01-01","refundOrderId":"3194R0001","instMid":"QRPAYDEFAULT",
                "command":command})
        );
        let e = bill_refund_error(
            CliError::new(Class::Retryable, "refused"),
            "3194BILL0001",
            "2024-01-01",
            "3194R0001",
            None,
        );
        assert!(e.hint.unwrap().contains("--refund-order-id 3194R0001"));
    }
}
