//! `POST /v1/netpay/refund`: give a payment back, in full or in part.

use chinaums::timestamps::request_timestamp;
use chinaums::{Fen, RefundOrderId, RefundSubOrder};
use http::StatusCode;
use serde::Serialize;

use super::{
    Amount, Echo, Exchange, Fields, Reply, as_string, fingerprint, json, read_order_request,
    target_status,
};
use crate::Order;
use crate::book::Refusal;
use crate::order::RefundRecord;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::Refund as chinaums::Operation>::PATH;

/// The refund's own fields, read with the core's types.
struct Own {
    refund_order_id: RefundOrderId,
    refund_amount: Fen,
}

/// `refundOrderId`, `refundAmount` (more than zero), `refundDesc` (at most 255 characters),
/// `targetOrderId` (at most 64), and for a split refund `platformAmount` and `subOrders`
/// (read into the core's [`RefundSubOrder`]), which must add up to `refundAmount`. The split
/// shares are checked for their sum only, not against the order's sub-merchants.
fn read_own(fields: &Fields<'_>) -> Result<Own, String> {
    let refund_order_id = fields.required("refundOrderId")?;
    let refund_amount = fields.amount("refundAmount")?;
    if refund_amount == Fen::ZERO {
        return Err(Refusal::ZeroAmount("refundAmount").to_string());
    }
    for (name, max) in [("refundDesc", 255), ("targetOrderId", 64)] {
        if let Some(text) = fields.text(name)? {
            let len = text.chars().count();
            if len > max {
                return Err(format!(
                    "{name}: must be at most {max} characters, got {len}"
                ));
            }
        }
    }
    let platform = fields.optional_amount("platformAmount")?;
    let sub_orders = fields.objects("subOrders", |sub| {
        Ok(RefundSubOrder {
            mid: sub.required("mid")?,
            mer_order_id: sub.optional("merOrderId")?,
            refund_order_id: sub.optional("refundOrderId")?,
            total_amount: sub.amount("totalAmount")?,
        })
    })?;
    if platform.is_some() || !sub_orders.is_empty() {
        let sum = sub_orders
            .iter()
            .try_fold(platform.unwrap_or(Fen::ZERO), |sum, s| {
                sum.checked_add(s.total_amount)
            })
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
        refund_order_id,
        refund_amount,
    })
}

/// The answer: the echoed request, the refund (`refundStatus`, `refundOrderId`,
/// `refundAmount`, …) and the order as it is now (`status`, `totalAmount`, …).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Refunded<'a> {
    #[serde(flatten)]
    echo: Echo<'a>,
    refund_status: &'a str,
    refund_order_id: &'a str,
    refund_target_order_id: String,
    refund_amount: Amount,
    refund_invoice_amount: Amount,
    total_amount: Amount,
    status: &'a str,
    target_sys: &'a str,
    target_status: &'static str,
    settle_date: String,
    pay_time: &'a str,
}

/// The channel's number for a refund: stable for the same order and refund.
pub(crate) fn refund_target_order_id(order: &Order, refund: &RefundRecord) -> String {
    let seed = format!("{}/{}", order.mer_order_id, refund.refund_order_id);
    format!("5000{:024}", fingerprint(&seed))
}

/// A new `refundOrderId` refunds (`SUCCESS`, or `PROCESSING` under
/// `refunds_pending_first`); a `refundOrderId` used before answers that refund as it stands,
/// `SUCCESS` with its own amount, and refunds nothing again. When the repeat asked for another
/// amount, `errMsg` says so (`errCode` stays `SUCCESS`: the refund exists).
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, own) = match read_order_request(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if request.order(exchange.state).is_none() {
        return request.refused(&Refusal::NoOrder, now);
    }
    let pending = exchange.state.refunds_pending_first;
    let refunded = exchange.state.book.refund(
        request.mid.as_str(),
        request.mer_order_id.as_str(),
        own.refund_order_id.as_str(),
        own.refund_amount,
        pending,
    );
    let done = match refunded {
        Ok(done) => done,
        Err(refusal) => return request.refused(&refusal, now),
    };
    let (order, refund) = (&done.order, &done.refund);
    let err_msg = if done.repeated && refund.amount != own.refund_amount {
        format!(
            "退款订单号已存在: refundOrderId {} refunded {} fen before; this is that refund, \
             nothing was refunded again",
            refund.refund_order_id,
            refund.amount.get()
        )
    } else {
        String::new()
    };
    let as_string = as_string(order, exchange.config);
    let amount = |fen| Amount::new(fen, as_string);
    let today = request_timestamp(now);
    json(
        StatusCode::OK,
        &Refunded {
            echo: request.echo("SUCCESS", err_msg, now),
            refund_status: refund.status.as_str(),
            refund_order_id: &refund.refund_order_id,
            refund_target_order_id: refund_target_order_id(order, refund),
            refund_amount: amount(refund.amount),
            refund_invoice_amount: amount(refund.amount),
            total_amount: amount(order.total_amount),
            status: order.status.as_str(),
            target_sys: order.target_sys.as_deref().unwrap_or_default(),
            target_status: target_status(&order.status),
            settle_date: today.get(..10).unwrap_or_default().to_owned(),
            pay_time: order.pay_time.as_deref().unwrap_or_default(),
        },
    )
}
