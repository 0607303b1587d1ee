//! `POST /v1/netpay/refund-query`: where a refund stands.

use chinaums::RefundOrderId;
use http::StatusCode;
use serde::Serialize;

use super::refund::refund_target_order_id;
use super::{
    Amount, Echo, Exchange, Fields, MER_NAME, Reply, as_string, json, read_order_request, seq_id,
    target_status,
};
use crate::book::Refusal;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::RefundQuery as chinaums::Operation>::PATH;

/// `refundOrderId`, optional: which refund, when an order has several.
fn read_own(fields: &Fields<'_>) -> Result<Option<RefundOrderId>, String> {
    fields.optional("refundOrderId")
}

/// The answer: the echoed request, the refund, and the order as it is now.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Found<'a> {
    #[serde(flatten)]
    echo: Echo<'a>,
    refund_status: &'a str,
    refund_order_id: &'a str,
    refund_target_order_id: String,
    refund_amount: Amount,
    total_amount: Amount,
    status: &'a str,
    pay_time: &'a str,
    settle_date: &'a str,
    settle_ref_id: String,
    seq_id: String,
    target_sys: &'a str,
    target_status: &'static str,
    target_mid: &'static str,
    mer_name: &'static str,
    connect_sys: &'static str,
}

/// About the named refund, or the order's latest without a `refundOrderId`; `NO_ORDER` when
/// the order (under this `instMid`) or the refund does not exist. A refund still
/// `PROCESSING` settles now and answers `SUCCESS`.
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, refund_order_id) = match read_order_request(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if request.order(exchange.state).is_none() {
        return request.refused(&Refusal::NoOrder, now);
    }
    let found = exchange.state.book.query_refund(
        request.mid.as_str(),
        request.mer_order_id.as_str(),
        refund_order_id.as_ref().map(RefundOrderId::as_str),
    );
    let (order, refund) = match found {
        Ok(found) => found,
        Err(refusal) => return request.refused(&refusal, now),
    };
    let as_string = as_string(&order, exchange.config);
    let pay_time = order.pay_time.as_deref().unwrap_or_default();
    json(
        StatusCode::OK,
        &Found {
            echo: request.echo("SUCCESS", String::new(), now),
            refund_status: refund.status.as_str(),
            refund_order_id: &refund.refund_order_id,
            refund_target_order_id: refund_target_order_id(&order, &refund),
            refund_amount: Amount::new(refund.amount, as_string),
            total_amount: Amount::new(order.total_amount, as_string),
            status: order.status.as_str(),
            pay_time,
            settle_date: pay_time.get(..10).unwrap_or_default(),
            settle_ref_id: seq_id(&order.mer_order_id),
            seq_id: seq_id(&order.mer_order_id),
            target_sys: order.target_sys.as_deref().unwrap_or_default(),
            target_status: target_status(&order.status),
            target_mid: "",
            mer_name: MER_NAME,
            connect_sys: "UNIONPAY",
        },
    )
}
