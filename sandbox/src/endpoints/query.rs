//! `POST /v1/netpay/query`: the payment result of one order, from the order book.

use std::time::SystemTime;

use chinaums::timestamps::request_timestamp;
use chinaums::{Fen, TradeStatus};
use http::StatusCode;
use serde::Serialize;

use super::{
    Amount, Exchange, Fields, MER_NAME, OrderRequest, Reply, as_string, fingerprint, json,
    read_order_request, seq_id, target_status,
};
use crate::Order;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::PaymentQuery as chinaums::Operation>::PATH;

/// Besides the common fields: `targetOrderId`, sent by the official mini-program sample (the
/// platform's own order number); only its length is checked.
fn read_own(fields: &Fields<'_>) -> Result<(), String> {
    if let Some(target) = fields.text("targetOrderId")? {
        let len = target.chars().count();
        if len > 64 {
            return Err(format!(
                "targetOrderId: must be at most 64 characters, got {len}"
            ));
        }
    }
    Ok(())
}

/// The success answer: the official documentation's example field set, in its order (it
/// spells `responseTimeStamp`; real responses use `responseTimestamp`), plus `connectSys` and,
/// when the order has one, `refundAmount`, two extra fields of real responses.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Found<'a> {
    err_code: &'static str,
    err_msg: &'static str,
    response_timestamp: String,
    mid: &'a str,
    tid: &'a str,
    inst_mid: &'a str,
    bill_funds: String,
    bill_funds_desc: String,
    pay_time: &'a str,
    coupon_merchant_contribute: Amount,
    coupon_other_contribute: Amount,
    msg_id: &'a str,
    src_reserve: &'a str,
    attached_data: &'static str,
    seq_id: String,
    settle_ref_id: String,
    ref_id: &'static str,
    status: &'a str,
    total_amount: Amount,
    mer_name: &'static str,
    mer_order_id: &'a str,
    target_order_id: String,
    target_sys: &'a str,
    target_status: &'static str,
    buyer_id: &'static str,
    target_mid: &'static str,
    bank_card_no: &'static str,
    bank_info: &'static str,
    buyer_pay_amount: Amount,
    buyer_username: &'static str,
    coupon_amount: Amount,
    /// A number even when the other amounts are strings, as in the official example.
    invoice_amount: u64,
    receipt_amount: Amount,
    settle_date: &'a str,
    sub_buyer_id: &'static str,
    activity_ids: &'static str,
    yxlm_amount: Amount,
    /// A guaranteed order's `secureStatus`; empty for others.
    secure_status: &'a str,
    auth_id_resp_cd: &'static str,
    connect_sys: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_amount: Option<Amount>,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, ()) = match read_order_request(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    let msg_id = request.msg_id.as_ref().map_or("", chinaums::MsgId::as_str);
    let src_reserve = request
        .src_reserve
        .as_ref()
        .map_or("", chinaums::SrcReserve::as_str);
    let Some(order) = request.order(exchange.state) else {
        // Unknown, or not under this instMid.
        return request.refuse("NO_ORDER", "订单不存在".to_owned(), now);
    };
    let as_string = as_string(order, exchange.config);
    json(
        StatusCode::OK,
        &found(order, &request, as_string, msg_id, src_reserve, now),
    )
}

fn found<'a>(
    order: &'a Order,
    request: &'a OrderRequest,
    as_string: bool,
    msg_id: &'a str,
    src_reserve: &'a str,
    now: SystemTime,
) -> Found<'a> {
    let amount = |fen: Fen| Amount {
        fen: fen.get(),
        as_string,
    };
    let paid = matches!(
        order.status,
        TradeStatus::TradeSuccess | TradeStatus::TradeRefund
    );
    let total = order.total_amount;
    let paid_amount = if paid { total } else { Fen::ZERO };
    let seq = fingerprint(&order.mer_order_id);
    let seq_id = seq_id(&order.mer_order_id);
    let pay_time = order.pay_time.as_deref().unwrap_or_default();
    let (bill_funds, bill_funds_desc, target_order_id) = if paid {
        (
            format!("现金:{}", total.get()),
            format!("现金支付{total}元"),
            order
                .target_order_id
                .clone()
                .unwrap_or_else(|| format!("4200{seq:024}")),
        )
    } else {
        Default::default()
    };
    Found {
        err_code: "SUCCESS",
        err_msg: "",
        response_timestamp: request_timestamp(now),
        mid: request.mid.as_str(),
        tid: request.tid.as_str(),
        inst_mid: request.inst_mid.as_str(),
        bill_funds,
        bill_funds_desc,
        pay_time,
        coupon_merchant_contribute: amount(Fen::ZERO),
        coupon_other_contribute: amount(Fen::ZERO),
        msg_id,
        src_reserve,
        attached_data: "",
        settle_ref_id: seq_id.clone(),
        seq_id,
        ref_id: "",
        status: order.status.as_str(),
        total_amount: amount(total),
        mer_name: MER_NAME,
        mer_order_id: &order.mer_order_id,
        target_order_id,
        target_sys: order.target_sys.as_deref().unwrap_or_default(),
        target_status: target_status(&order.status),
        buyer_id: "",
        target_mid: "",
        bank_card_no: "",
        bank_info: "",
        buyer_pay_amount: amount(paid_amount),
        buyer_username: "",
        coupon_amount: amount(Fen::ZERO),
        invoice_amount: paid_amount.get(),
        receipt_amount: amount(paid_amount),
        settle_date: pay_time.get(..10).unwrap_or_default(),
        sub_buyer_id: "",
        activity_ids: "",
        yxlm_amount: amount(Fen::ZERO),
        secure_status: order.secure_status().map_or("", |s| s.as_str()),
        auth_id_resp_cd: "",
        connect_sys: "UNIONPAY",
        refund_amount: order.refund_amount.map(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::super::request_time;
    use super::*;

    #[test]
    fn both_request_timestamp_forms_are_read_as_beijing_time() {
        let documented = request_time("2024-01-01 12:00:00").unwrap();
        let compact = request_time("20240101120000").unwrap();
        assert_eq!(documented, compact);
        // 12:00 in Beijing is 04:00 UTC.
        let utc = documented
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(utc, 1_704_081_600);
        for bad in [
            "2024/01/01 12:00:00",
            "2024-01-01T12:00:00",
            "2024-13-01 12:00:00",
            "2024010112000",
            "202401011200000",
            "",
        ] {
            assert!(request_time(bad).is_none(), "{bad:?}");
        }
    }
}
