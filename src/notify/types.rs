//! Typed notifications: what a verified body says, with one decision, like the query's.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::netpay::order::bills::object_or_json_string;
use crate::netpay::{BillPayment, BillState, BillStatus};
use crate::notify::verify::{Fields, SignType};
use crate::types::fen::{self, Fen};
use crate::types::status::{PaymentState, TradeStatus};
use crate::types::time::{PlatformDate, PlatformTime, non_empty};

/// A verified notification, by family.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// An order was paid, closed, …: mini-program, H5, official account, APP orders.
    Payment(Box<PaymentNotification>),
    /// An order was refunded (`status` `TRADE_REFUND` with a `refundOrderId`).
    Refund(Box<RefundNotification>),
    /// A QR bill was paid, refunded or closed (the body has a `billNo`).
    Bill(Box<BillNotification>),
    /// A verified body whose fields do not fit the family they claim (an amount that is not a
    /// number, say): kept as sent, and its state is unknown.
    Unrecognized {
        /// The verified fields, `sign` included.
        fields: Fields,
        /// What did not fit.
        why: String,
    },
}

impl Notification {
    /// Types verified `fields`.
    pub(crate) fn from_fields(fields: Fields, sign_type: SignType) -> Notification {
        let object: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let refund = fields.get("status").map(String::as_str) == Some("TRADE_REFUND")
            && fields.get("refundOrderId").is_some_and(|v| !v.is_empty());
        let bill = fields.get("billNo").is_some_and(|v| !v.is_empty());
        let typed = if bill {
            serde_json::from_value::<BillNotification>(Value::Object(object)).map(|mut n| {
                n.sign_type = Some(sign_type);
                Notification::Bill(Box::new(n))
            })
        } else if refund {
            serde_json::from_value::<RefundNotification>(Value::Object(object)).map(|mut n| {
                n.sign_type = Some(sign_type);
                Notification::Refund(Box::new(n))
            })
        } else {
            serde_json::from_value::<PaymentNotification>(Value::Object(object)).map(|mut n| {
                n.sign_type = Some(sign_type);
                Notification::Payment(Box::new(n))
            })
        };
        typed.unwrap_or_else(|e| Notification::Unrecognized {
            why: e.to_string(),
            fields,
        })
    }

    /// What the notification says happened, decided like the query's answer: only
    /// [`PaymentState::Paid`] is paid. Confirm with a query before acting on it.
    pub fn state(&self) -> PaymentState {
        match self {
            Notification::Payment(n) => n
                .status
                .as_ref()
                .map_or(PaymentState::Unknown, TradeStatus::state),
            Notification::Refund(_) => PaymentState::Refunded,
            Notification::Bill(n) => match BillState::of(n.bill_status.as_ref()) {
                BillState::Paid => PaymentState::Paid,
                BillState::Refunded => PaymentState::Refunded,
                BillState::Closed => PaymentState::Closed,
                // Unpaid, unknown to the platform, or a value this SDK does not know: never paid.
                BillState::InProgress => PaymentState::Unknown,
            },
            Notification::Unrecognized { .. } => PaymentState::Unknown,
        }
    }

    /// `notifyId`: the same for every re-delivery of one notification; de-duplicate on it.
    pub fn notify_id(&self) -> Option<&str> {
        match self {
            Notification::Payment(n) => n.notify_id.as_deref(),
            Notification::Refund(n) => n.notify_id.as_deref(),
            Notification::Bill(n) => n.notify_id.as_deref(),
            Notification::Unrecognized { fields, .. } => fields.get("notifyId").map(String::as_str),
        }
    }

    /// `merOrderId`: the order it is about.
    pub fn mer_order_id(&self) -> Option<&str> {
        match self {
            Notification::Payment(n) => n.mer_order_id.as_deref(),
            Notification::Refund(n) => n.mer_order_id.as_deref(),
            // A bill's order is the payment's (a bill has none before it is paid).
            Notification::Bill(n) => n
                .bill_payment
                .as_ref()
                .and_then(|p| p.mer_order_id.as_deref()),
            Notification::Unrecognized { fields, .. } => {
                fields.get("merOrderId").map(String::as_str)
            }
        }
    }
}

/// A notification about an order's payment. Amounts arrive as strings of fen.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaymentNotification {
    /// `mid`.
    pub mid: Option<String>,
    /// `tid`.
    pub tid: Option<String>,
    /// `instMid`.
    pub inst_mid: Option<String>,
    /// `merOrderId`.
    pub mer_order_id: Option<String>,
    /// `status`: the order's state; see [`Notification::state`].
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `totalAmount`.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `buyerPayAmount`.
    #[serde(default, with = "fen::optional")]
    pub buyer_pay_amount: Option<Fen>,
    /// `receiptAmount`.
    #[serde(default, with = "fen::optional")]
    pub receipt_amount: Option<Fen>,
    /// `invoiceAmount`.
    #[serde(default, with = "fen::optional")]
    pub invoice_amount: Option<Fen>,
    /// `couponAmount`.
    #[serde(default, with = "fen::optional")]
    pub coupon_amount: Option<Fen>,
    /// `payTime`.
    #[serde(default, deserialize_with = "non_empty")]
    pub pay_time: Option<PlatformTime>,
    /// `settleDate`.
    #[serde(default, deserialize_with = "non_empty")]
    pub settle_date: Option<PlatformDate>,
    /// `seqId`.
    pub seq_id: Option<String>,
    /// `targetOrderId`: the channel's order number.
    pub target_order_id: Option<String>,
    /// `targetSys`: the channel.
    pub target_sys: Option<String>,
    /// `buyerId`.
    pub buyer_id: Option<String>,
    /// `billFunds`.
    pub bill_funds: Option<String>,
    /// `notifyId`: the same for every re-delivery.
    pub notify_id: Option<String>,
    /// `attachedData`: the merchant's own data, as given at creation.
    pub attached_data: Option<String>,
    /// `secureStatus`, for a guaranteed payment.
    pub secure_status: Option<String>,
    /// `completeAmount`, for a guaranteed payment.
    #[serde(default, with = "fen::optional")]
    pub complete_amount: Option<Fen>,
    /// The hash the signature used.
    #[serde(skip)]
    pub sign_type: Option<SignType>,
    /// Every other field, as sent (`msgType`, `signType`, the random key, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A notification about a refund of an order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundNotification {
    /// `mid`.
    pub mid: Option<String>,
    /// `merOrderId`: the refunded order.
    pub mer_order_id: Option<String>,
    /// `status`: `TRADE_REFUND`.
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `refundOrderId`: which refund.
    pub refund_order_id: Option<String>,
    /// `refundAmount`.
    #[serde(default, with = "fen::optional")]
    pub refund_amount: Option<Fen>,
    /// `totalAmount`: the order's amount.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `refundTargetOrderId`: the channel's number for the refund.
    pub refund_target_order_id: Option<String>,
    /// `refundPayTime`.
    #[serde(default, deserialize_with = "non_empty")]
    pub refund_pay_time: Option<PlatformTime>,
    /// `refundDesc`.
    pub refund_desc: Option<String>,
    /// `targetSys`.
    pub target_sys: Option<String>,
    /// `notifyId`: the same for every re-delivery.
    pub notify_id: Option<String>,
    /// The hash the signature used.
    #[serde(skip)]
    pub sign_type: Option<SignType>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A notification about a QR bill. `billPayment` arrives as a JSON string inside the form and is
/// decoded here (its bytes were verified as sent).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillNotification {
    /// `mid`.
    pub mid: Option<String>,
    /// `tid`.
    pub tid: Option<String>,
    /// `instMid`.
    pub inst_mid: Option<String>,
    /// `billNo`.
    pub bill_no: Option<String>,
    /// `billDate`.
    #[serde(default, deserialize_with = "non_empty")]
    pub bill_date: Option<PlatformDate>,
    /// `billStatus`: see [`Notification::state`]; only `PAID` is paid.
    #[serde(default, deserialize_with = "non_empty")]
    pub bill_status: Option<BillStatus>,
    /// `totalAmount`.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `receiptAmount`.
    #[serde(default, with = "fen::optional")]
    pub receipt_amount: Option<Fen>,
    /// `billQRCode`.
    #[serde(rename = "billQRCode")]
    pub bill_qr_code: Option<String>,
    /// `qrCodeId`.
    pub qr_code_id: Option<String>,
    /// `billDesc`.
    pub bill_desc: Option<String>,
    /// `createTime`.
    #[serde(default, deserialize_with = "non_empty")]
    pub create_time: Option<PlatformTime>,
    /// `notifyId`: the same for every re-delivery.
    pub notify_id: Option<String>,
    /// `billPayment`, decoded from its JSON string.
    #[serde(default, deserialize_with = "object_or_json_string")]
    pub bill_payment: Option<BillPayment>,
    /// The hash the signature used.
    #[serde(skip)]
    pub sign_type: Option<SignType>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
