//! What every netpay answer shares: the answer envelope (`errCode`, `errMsg`/`errInfo`,
//! `responseTimestamp`), declared once.

use serde::{Deserialize, Serialize};

use crate::netpay::{PaymentQuery, RefundQuery};
use crate::types::fen::{self, Fen};
use crate::types::ids::{MerOrderId, Merchant, RefundOrderId};
use crate::types::status::TradeStatus;
use crate::types::time::{PlatformTime, non_empty};

/// The fields every netpay answer carries, flattened into each answer type.
///
/// Decide on the answer's own state (`status`, `refundStatus`), never on `errCode` alone:
/// `SUCCESS` only means the request was accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerEnvelope {
    /// `errCode`: `SUCCESS` once decoded (other codes become errors).
    pub err_code: Option<String>,
    /// `errMsg`: usually empty on success; may say e.g. "交易不存在" with `NEW_ORDER`.
    pub err_msg: Option<String>,
    /// `errInfo`: the gateway's spelling of the message.
    pub err_info: Option<String>,
    /// `responseTimestamp` (also read from the documentation's spelling `responseTimeStamp`).
    #[serde(default, alias = "responseTimeStamp", deserialize_with = "non_empty")]
    pub response_timestamp: Option<PlatformTime>,
}

impl AnswerEnvelope {
    /// `errCode`, if present.
    pub fn err_code(&self) -> Option<&str> {
        self.err_code.as_deref()
    }

    /// `errMsg` or `errInfo`, whichever is non-empty.
    pub fn message(&self) -> Option<&str> {
        [&self.err_msg, &self.err_info]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|m| !m.is_empty())
    }
}

/// The order fields that answers about one order echo back (close, guarantee, split),
/// flattened into each of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEcho {
    /// `mid`, echoed.
    pub mid: Option<String>,
    /// `tid`, echoed.
    pub tid: Option<String>,
    /// `instMid`, echoed.
    pub inst_mid: Option<String>,
    /// `merOrderId`, echoed.
    pub mer_order_id: Option<String>,
    /// `status`: the order's state after the operation.
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `totalAmount`: the order's amount.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `targetSys`: the channel, e.g. `WXPay`.
    pub target_sys: Option<String>,
    /// `targetStatus`: the channel's own status text.
    pub target_status: Option<String>,
    /// `seqId`: the platform's serial number.
    pub seq_id: Option<String>,
    /// `merName`: the merchant's name.
    pub mer_name: Option<String>,
}

/// What to ask to learn the outcome of an operation whose answer did not say (a timeout after
/// sending, an unreadable answer, an ambiguous code): the ids are the operation's own, so the
/// query can be built from it directly.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FollowUp {
    /// Ask the payment query about the order.
    QueryPayment {
        /// The merchant the order belongs to.
        merchant: Merchant,
        /// The order.
        mer_order_id: MerOrderId,
    },
    /// Ask the refund query about this refund; never send a new refund for it.
    QueryRefund {
        /// The merchant the order belongs to.
        merchant: Merchant,
        /// The refunded order.
        mer_order_id: MerOrderId,
        /// The refund.
        refund_order_id: RefundOrderId,
    },
}

impl FollowUp {
    /// The payment query about the order (for any follow-up: a refund's order too).
    pub fn payment_query(&self) -> PaymentQuery {
        match self {
            FollowUp::QueryPayment {
                merchant,
                mer_order_id,
            }
            | FollowUp::QueryRefund {
                merchant,
                mer_order_id,
                ..
            } => PaymentQuery::new(merchant, mer_order_id.clone()),
        }
    }

    /// The refund query about the refund, when the follow-up is about one.
    pub fn refund_query(&self) -> Option<RefundQuery> {
        match self {
            FollowUp::QueryRefund {
                merchant,
                mer_order_id,
                refund_order_id,
            } => Some(
                RefundQuery::new(merchant, mer_order_id.clone())
                    .refund_order_id(refund_order_id.clone()),
            ),
            FollowUp::QueryPayment { .. } => None,
        }
    }
}

/// `ask RefundQuery with merOrderId=… refundOrderId=…`, for messages.
impl std::fmt::Display for FollowUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FollowUp::QueryPayment { mer_order_id, .. } => {
                write!(f, "ask PaymentQuery with merOrderId={mer_order_id}")
            }
            FollowUp::QueryRefund {
                mer_order_id,
                refund_order_id,
                ..
            } => write!(
                f,
                "ask RefundQuery with merOrderId={mer_order_id} refundOrderId={refund_order_id}"
            ),
        }
    }
}
