//! `POST /v1/netpay/refund-query`: where a refund stands (退款查询).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::netpay::common::AnswerEnvelope;
use crate::netpay::refund::{RefundState, RefundStatus};
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids::{MerOrderId, Merchant, RefundOrderId};
use crate::types::status::TradeStatus;
use crate::types::time::{PlatformDate, PlatformTime, non_empty};

/// Asks what became of the refunds of an order, or of one of them.
///
/// Name the refund with [`RefundQuery::refund_order_id`] when an order has several: the answer
/// is then about that one. (Whether the platform honours it is not documented; the official
/// H5 sample sends it and the platform accepts it, so the SDK sends it when given.)
///
/// ```
/// use chinaums::{Merchant, RefundQuery};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let query = RefundQuery::new(&merchant, "3194202401011200000001".parse()?)
///     .refund_order_id("3194202401011300000001".parse()?);
/// assert!(query.refund_order_id.is_some());
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundQuery {
    /// `mid`, `tid`, `instMid`.
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the refunded order.
    pub mer_order_id: MerOrderId,
    /// `refundOrderId`: which refund, when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_order_id: Option<RefundOrderId>,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl RefundQuery {
    /// A query for the refunds of order `mer_order_id`.
    pub fn new(merchant: &Merchant, mer_order_id: MerOrderId) -> Self {
        RefundQuery {
            merchant: merchant.clone(),
            mer_order_id,
            refund_order_id: None,
            request_timestamp: None,
        }
    }

    /// Asks about this refund only.
    pub fn refund_order_id(mut self, refund_order_id: RefundOrderId) -> Self {
        self.refund_order_id = Some(refund_order_id);
        self
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for RefundQuery {
    const PATH: &'static str = "/v1/netpay/refund-query";
    type Response = RefundQueryResponse;

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }
}

/// The answer to a [`RefundQuery`]. Decide on [`RefundQueryResponse::state`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundQueryResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// `refundStatus`: see [`Self::state`].
    #[serde(default, deserialize_with = "non_empty")]
    pub refund_status: Option<RefundStatus>,
    /// `refundOrderId`: the refund this answer is about.
    pub refund_order_id: Option<String>,
    /// `refundTargetOrderId`: the channel's number for the refund.
    pub refund_target_order_id: Option<String>,
    /// `refundAmount`.
    #[serde(default, with = "fen::optional")]
    pub refund_amount: Option<Fen>,
    /// `totalAmount`: the order's amount.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `merOrderId`, echoed.
    pub mer_order_id: Option<String>,
    /// `status`: the order's state.
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `payTime` of the order.
    #[serde(default, deserialize_with = "non_empty")]
    pub pay_time: Option<PlatformTime>,
    /// `settleDate` (`yyyy-MM-dd`).
    #[serde(default, deserialize_with = "non_empty")]
    pub settle_date: Option<PlatformDate>,
    /// `settleRefId`.
    pub settle_ref_id: Option<String>,
    /// `seqId`.
    pub seq_id: Option<String>,
    /// `targetSys`.
    pub target_sys: Option<String>,
    /// `targetStatus`.
    pub target_status: Option<String>,
    /// `targetMid`.
    pub target_mid: Option<String>,
    /// `merName`.
    pub mer_name: Option<String>,
    /// Every other field, as sent (e.g. `connectSys`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RefundQueryResponse {
    /// Was it refunded? Only [`RefundState::Refunded`] means the money went back.
    pub fn state(&self) -> RefundState {
        RefundState::of(self.refund_status.as_ref())
    }
}

impl Reply for RefundQueryResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
