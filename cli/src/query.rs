//! `chinaums query`: the payment-result query and how its answer is shown.

use chinaums::netpay::PaymentQuery;
use chinaums::netpay::query::PaymentQueryResponse;
use chinaums::{AuthScheme, Fen};
use serde_json::Value;

use crate::args::QueryArgs;
use crate::connect::connect;
use crate::exit::{Class, CliError, describe};

/// Runs the query and returns what to print on stdout.
pub fn run(args: &QueryArgs, sandbox: bool, auth: AuthScheme) -> Result<String, CliError> {
    let (connection, merchant) = connect(&args.connection, &args.merchant, sandbox, auth)?;
    let mut query = PaymentQuery::new(
        merchant.mid,
        merchant.tid,
        merchant.inst_mid,
        args.mer_order_id.as_str(),
    );
    if let Some(msg_id) = &args.msg_id {
        query = query.msg_id(msg_id.as_str());
    }
    let answer = connection
        .client
        .execute(&query)
        .map_err(|e| describe(&e, &connection.base_url))?;
    if args.json {
        let mut text = serde_json::to_string_pretty(&answer).map_err(|e| {
            CliError::new(
                Class::Other,
                format!("cannot encode the answer as JSON: {e}"),
            )
        })?;
        text.push('\n');
        Ok(text)
    } else {
        Ok(summary(&answer))
    }
}

/// `1.00 yuan (100 fen)`.
pub fn amount(fen: Fen) -> String {
    format!("{fen} yuan ({} fen)", fen.get())
}

/// The readable summary: the state first, then every field the platform filled.
pub fn summary(r: &PaymentQueryResponse) -> String {
    let status = match &r.status {
        Some(status) => format!("{} ({status})", r.state().describe()),
        None => format!("{} (no status in the answer)", r.state().describe()),
    };
    let text = |v: &Option<String>| v.as_ref().filter(|s| !s.is_empty()).cloned();
    let money = |v: Option<Fen>| v.map(amount);
    // Discounts are mostly zero: shown only when there was one.
    let discount = |v: Option<Fen>| v.filter(|f| f.get() > 0).map(amount);
    let fields: Vec<(&str, Option<String>)> = vec![
        ("status", Some(status)),
        ("totalAmount", money(r.total_amount)),
        ("payTime", r.pay_time.as_ref().map(ToString::to_string)),
        ("merOrderId", text(&r.mer_order_id)),
        ("targetSys", text(&r.target_sys)),
        ("targetOrderId", text(&r.target_order_id)),
        ("targetStatus", text(&r.target_status)),
        ("seqId", text(&r.seq_id)),
        (
            "settleDate",
            r.settle_date.as_ref().map(ToString::to_string),
        ),
        ("billFunds", text(&r.bill_funds)),
        ("billFundsDesc", text(&r.bill_funds_desc)),
        ("buyerPayAmount", money(r.buyer_pay_amount)),
        ("receiptAmount", money(r.receipt_amount)),
        ("invoiceAmount", money(r.invoice_amount)),
        ("refundAmount", money(r.refund_amount)),
        ("couponAmount", discount(r.coupon_amount)),
        (
            "couponMerchantContribute",
            discount(r.coupon_merchant_contribute),
        ),
        ("couponOtherContribute", discount(r.coupon_other_contribute)),
        ("yxlmAmount", discount(r.yxlm_amount)),
        ("mid", text(&r.mid)),
        ("tid", text(&r.tid)),
        ("instMid", text(&r.inst_mid)),
        ("merName", text(&r.mer_name)),
        ("msgId", text(&r.msg_id)),
        ("srcReserve", text(&r.src_reserve)),
        ("attachedData", text(&r.attached_data)),
        ("settleRefId", text(&r.settle_ref_id)),
        ("refId", text(&r.ref_id)),
        ("buyerId", text(&r.buyer_id)),
        ("buyerUsername", text(&r.buyer_username)),
        ("subBuyerId", text(&r.sub_buyer_id)),
        ("targetMid", text(&r.target_mid)),
        ("bankCardNo", text(&r.bank_card_no)),
        ("bankInfo", text(&r.bank_info)),
        ("secureStatus", text(&r.secure_status)),
        ("authIdRespCd", text(&r.auth_id_resp_cd)),
        ("activityIds", text(&r.activity_ids)),
        ("errMsg", text(&r.err_msg)),
        (
            "responseTimestamp",
            r.response_timestamp.as_ref().map(ToString::to_string),
        ),
    ];
    let extras = r
        .extra
        .iter()
        .filter_map(|(name, value)| extra_value(name, value).map(|v| (name.as_str(), Some(v))));
    let rows: Vec<(&str, String)> = fields
        .into_iter()
        .chain(extras)
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (name, value) in rows {
        out.push_str(&format!("{:<width$} {value}\n", format!("{name}:")));
    }
    out
}

/// A field the SDK does not name, as text; amounts (`…Amount`) in yuan and fen; empty values
/// are left out.
fn extra_value(name: &str, value: &Value) -> Option<String> {
    let raw = match value {
        Value::Null => return None,
        Value::String(s) if s.is_empty() => return None,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if name.ends_with("Amount") {
        if let Some(fen) = Fen::parse(&raw) {
            return Some(amount(fen));
        }
    }
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> PaymentQueryResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn summary_shows_state_amount_and_extras() {
        let r = response(
            r#"{"errCode":"SUCCESS","errMsg":"","status":"TRADE_REFUND","totalAmount":"880",
                "payTime":"2024-01-02 09:30:00","merOrderId":"3194X","targetSys":"Alipay 2.0",
                "seqId":"","refundAmount":880,"connectSys":"UNIONPAY"}"#,
        );
        let s = summary(&r);
        assert!(s.starts_with("status:"), "{s}");
        assert!(s.contains("paid, then refunded (TRADE_REFUND)"), "{s}");
        assert!(s.contains("totalAmount:"), "{s}");
        assert!(s.contains("8.80 yuan (880 fen)"), "{s}");
        assert!(s.contains("refundAmount:"), "{s}");
        assert!(s.contains("connectSys:"), "{s}");
        assert!(s.contains("UNIONPAY"), "{s}");
        // Empty fields are left out.
        assert!(!s.contains("seqId"), "{s}");
        assert!(!s.contains("errMsg"), "{s}");
    }

    #[test]
    fn summary_without_status_says_unknown() {
        let s = summary(&response(r#"{"errCode":"SUCCESS"}"#));
        assert!(
            s.contains("unknown: query again (no status in the answer)"),
            "{s}"
        );
    }
}
