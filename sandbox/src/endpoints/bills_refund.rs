//! `POST /v1/netpay/bills/refund`: give a bill's payment back, in full or in part. The same
//! rules as the order refund (one refund per `refundOrderId`, never more than what is left,
//! `PROCESSING` first under `refunds_pending_first`, settled by a bill query naming it).

use chinaums::timestamps::request_timestamp;
use chinaums::{Fen, RefundOrderId};
use http::StatusCode;
use serde::Serialize;

use super::bill::{self, BillEcho, BillFields};
use super::refund::refund_target_order_id;
use super::{Amount, Exchange, Fields, Reply, as_string, json};
use crate::book::Refusal;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::BillsRefund as chinaums::Operation>::PATH;

struct Own {
    bill_no: chinaums::BillNo,
    bill_date: String,
    refund_order_id: RefundOrderId,
    refund_amount: Fen,
}

/// `billNo`, `billDate`, `refundOrderId`, `refundAmount` (more than zero), `refundDesc` (at
/// most 255 characters), and for a split refund `platformAmount` and `subOrders`, which must
/// add up to `refundAmount`.
fn read_own(fields: &Fields<'_>) -> Result<Own, String> {
    let (bill_no, bill_date) = bill::read_name(fields)?;
    let refund_order_id = fields.required("refundOrderId")?;
    let refund_amount = fields.amount("refundAmount")?;
    if refund_amount == Fen::ZERO {
        return Err(Refusal::ZeroAmount("refundAmount").to_string());
    }
    fields.short_text("refundDesc", 255)?;
    let platform = fields.optional_amount("platformAmount")?;
    let shares = fields.objects("subOrders", |sub| {
        sub.required::<chinaums::Mid>("mid")?;
        sub.amount("totalAmount")
    })?;
    if platform.is_some() || !shares.is_empty() {
        let sum = shares
            .iter()
            .try_fold(platform.unwrap_or(Fen::ZERO), |sum, s| sum.checked_add(*s))
            .ok_or_else(|| Refusal::Overflow("subOrders").to_string())?;
        if sum != refund_amount {
            return Err(format!(
                "subOrders: must add up to refundAmount with platformAmount ({} fen), got {} fen",
                refund_amount.get(),
                sum.get()
            ));
        }
    }
    Ok(Own {
        bill_no,
        bill_date,
        refund_order_id,
        refund_amount,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    echo: BillEcho<'a>,
    #[serde(flatten)]
    bill: BillFields<'a>,
    refund_status: &'a str,
    refund_order_id: &'a str,
    refund_target_order_id: String,
    refund_amount: Amount,
    refund_invoice_amount: Amount,
    refund_pay_time: String,
    mer_order_id: &'a str,
    target_sys: &'a str,
    settle_date: String,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, own) = match bill::read(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if let Err(refusal) = bill::find(exchange, &request, own.bill_no.as_str(), &own.bill_date) {
        return request.refuse(&refusal, now);
    }
    let pending = exchange.state.refunds_pending_first;
    let refunded = exchange.state.book.refund(
        request.mid.as_str(),
        own.bill_no.as_str(),
        own.refund_order_id.as_str(),
        own.refund_amount,
        pending,
    );
    let done = match refunded {
        Ok(done) => done,
        Err(refusal) => return request.refuse(&refusal, now),
    };
    let (order, refund) = (&done.order, &done.refund);
    let as_string = as_string(order, exchange.config);
    let today = request_timestamp(now);
    json(
        StatusCode::OK,
        &Answer {
            echo: request.echo("SUCCESS", "", now),
            bill: BillFields::of(order, exchange),
            refund_status: refund.status.as_str(),
            refund_order_id: &refund.refund_order_id,
            refund_target_order_id: refund_target_order_id(order, refund),
            refund_amount: Amount::new(refund.amount, as_string),
            refund_invoice_amount: Amount::new(refund.amount, as_string),
            refund_pay_time: today.clone(),
            mer_order_id: &order.mer_order_id,
            target_sys: order.target_sys.as_deref().unwrap_or_default(),
            settle_date: today.get(..10).unwrap_or_default().to_owned(),
        },
    )
}
