//! `POST /v1/netpay/bills/query`: where a bill stands. `billStatus` (`UNPAID`, `PAID`,
//! `REFUND`, `CLOSED`), `billPayment` once it was paid, and with a `refundOrderId` of one of its
//! refunds, `refundBillPayment` (a refund still `PROCESSING` settles here, as at the refund
//! query).
//!
//! `billPayment` is a JSON object, or under
//! [`SandboxBuilder::bill_payment_as_string`](crate::SandboxBuilder::bill_payment_as_string) a
//! string holding its JSON: the platform sends both.

use chinaums::RefundOrderId;
use chinaums::timestamps::request_timestamp;
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::bill::{self, BillEcho, BillFields};
use super::{Amount, Exchange, Fields, Reply, as_string, json, seq_id};
use crate::Order;
use crate::order::RefundRecord;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::BillsQuery as chinaums::Operation>::PATH;

struct Own {
    bill_no: chinaums::BillNo,
    bill_date: String,
    refund_order_id: Option<RefundOrderId>,
}

fn read_own(fields: &Fields<'_>) -> Result<Own, String> {
    let (bill_no, bill_date) = bill::read_name(fields)?;
    Ok(Own {
        bill_no,
        bill_date,
        refund_order_id: fields.optional("refundOrderId")?,
    })
}

/// The payment of a paid bill (`billPayment`), with the field set of the platform's examples.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payment<'a> {
    mer_order_id: &'a str,
    status: &'a str,
    pay_time: &'a str,
    pay_seq_id: String,
    total_amount: Amount,
    buyer_pay_amount: Amount,
    buyer_cash_pay_amt: Amount,
    invoice_amount: Amount,
    receipt_amount: Amount,
    coupon_amount: Amount,
    settle_date: &'a str,
    buyer_id: String,
    bill_biz_type: &'static str,
    target_order_id: &'a str,
    target_sys: &'a str,
    connect_sys: &'static str,
    pay_detail: String,
}

fn payment<'a>(order: &'a Order, as_string: bool) -> Payment<'a> {
    let amount = |fen| Amount::new(fen, as_string);
    let pay_time = order.pay_time.as_deref().unwrap_or_default();
    Payment {
        mer_order_id: &order.mer_order_id,
        status: order.status.as_str(),
        pay_time,
        pay_seq_id: seq_id(&order.mer_order_id),
        total_amount: amount(order.total_amount),
        buyer_pay_amount: amount(order.total_amount),
        buyer_cash_pay_amt: amount(order.total_amount),
        invoice_amount: amount(order.total_amount),
        receipt_amount: amount(order.total_amount),
        coupon_amount: amount(chinaums::Fen::ZERO),
        settle_date: pay_time.get(..10).unwrap_or_default(),
        buyer_id: format!(
            "sandbox-buyer-{}",
            super::creation::hex(&order.mer_order_id, 8)
        ),
        bill_biz_type: "bills",
        target_order_id: order.target_order_id.as_deref().unwrap_or_default(),
        target_sys: order.target_sys.as_deref().unwrap_or_default(),
        connect_sys: "UNIONPAY",
        pay_detail: format!("现金支付{}元", order.total_amount),
    }
}

/// A refund of the bill (`refundBillPayment`): its id, `TRADE_REFUND`, its amount.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundPayment<'a> {
    mer_order_id: &'a str,
    status: &'static str,
    refund_status: &'a str,
    total_amount: Amount,
    target_order_id: String,
    target_sys: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    echo: BillEcho<'a>,
    #[serde(flatten)]
    bill: BillFields<'a>,
    create_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    bill_payment: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_bill_payment: Option<Value>,
}

fn refund_payment<'a>(
    order: &'a Order,
    refund: &'a RefundRecord,
    as_string: bool,
) -> RefundPayment<'a> {
    RefundPayment {
        mer_order_id: &refund.refund_order_id,
        status: "TRADE_REFUND",
        refund_status: refund.status.as_str(),
        total_amount: Amount::new(refund.amount, as_string),
        target_order_id: super::refund::refund_target_order_id(order, refund),
        target_sys: order.target_sys.as_deref().unwrap_or_default(),
    }
}

/// A paid bill's `billPayment` as JSON text: what a bill notification carries in its
/// `billPayment` field (the same object the query answers).
pub(crate) fn payment_json(order: &Order, as_string: bool) -> String {
    serde_json::to_string(&payment(order, as_string)).unwrap_or_default()
}

/// A bill refund's `refundBillPayment` as JSON text, for its notification.
pub(crate) fn refund_payment_json(order: &Order, refund: &RefundRecord, as_string: bool) -> String {
    serde_json::to_string(&refund_payment(order, refund, as_string)).unwrap_or_default()
}

/// `value` as JSON, or as a string holding that JSON.
fn nested<T: Serialize>(value: &T, as_text: bool) -> Option<Value> {
    let value = serde_json::to_value(value).ok()?;
    Some(if as_text {
        Value::String(value.to_string())
    } else {
        value
    })
}

/// An unknown bill (or date) is `NO_BILL`. A `refundOrderId` the bill has no refund for adds
/// nothing: the bill is answered without `refundBillPayment` (the refund was not carried out).
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, own) = match bill::read(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    let (mid, bill_no) = (request.mid.as_str(), own.bill_no.as_str());
    let mut refund: Option<RefundRecord> = None;
    match bill::find(exchange, &request, bill_no, &own.bill_date) {
        Err(refusal) => return request.refuse(&refusal, now),
        Ok(order) => {
            let asked = own.refund_order_id.as_ref().map(RefundOrderId::as_str);
            if asked.is_some_and(|id| order.refund(id).is_some()) {
                // Settles a PROCESSING refund.
                refund = exchange
                    .state
                    .book
                    .query_refund(mid, bill_no, asked)
                    .ok()
                    .map(|(_, r)| r);
            }
        }
    }
    let Ok(order) = bill::find(exchange, &request, bill_no, &own.bill_date) else {
        return request.refuse(&crate::book::Refusal::NoBill, now);
    };
    let as_string = as_string(order, exchange.config);
    let as_text = exchange.config.bill_payment_as_string;
    let paid = order.pay_time.is_some()
        && matches!(
            order.status,
            chinaums::TradeStatus::TradeSuccess | chinaums::TradeStatus::TradeRefund
        );
    let bill_payment = paid
        .then(|| nested(&payment(order, as_string), as_text))
        .flatten();
    let refund_bill_payment = refund
        .as_ref()
        .and_then(|r| nested(&refund_payment(order, r, as_string), as_text));
    json(
        StatusCode::OK,
        &Answer {
            echo: request.echo("SUCCESS", "", now),
            bill: BillFields::of(order, exchange),
            create_time: order.created_at.map(request_timestamp).unwrap_or_default(),
            bill_payment,
            refund_bill_payment,
        },
    )
}
