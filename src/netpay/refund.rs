//! `POST /v1/netpay/refund`: give a payment back, in full or in part (退款).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::common::{AnswerEnvelope, FollowUp};
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids::{self, MerOrderId, Merchant, Mid, RefundOrderId};
use crate::types::status::{TradeStatus, wire_enum};
use crate::types::time::{PlatformDate, PlatformTime, non_empty};

/// Refunds `refund_amount` of a paid order.
///
/// **`refund_order_id` is required, and is what makes a refund safe to retry.** Sending the
/// same `merOrderId` + `refundOrderId` again returns the existing refund instead of refunding
/// twice, so after a timeout the same `Refund` can be sent again, or asked about with
/// [`RefundQuery`](crate::RefundQuery). Use a new one for every partial refund
/// ([`Client::new_refund_order_id`](crate::Client::new_refund_order_id) makes one).
///
/// Decide on [`RefundResponse::state`]. A refund whose outcome is unknown (a timeout after
/// sending, `PROCESSING`, `UNKNOWN`, an unreadable answer) is never a failure: the error or the
/// state says so, and [`Error::follow_up`](crate::Error::follow_up) gives the query to ask.
///
/// ```
/// use chinaums::{Fen, Merchant, Refund};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let refund = Refund::new(
///     &merchant,
///     "3194202401011200000001".parse()?,
///     "3194202401011300000001".parse()?,
///     Fen(50),
/// )
/// .refund_desc("damaged on arrival");
/// assert_eq!(refund.refund_amount, Fen(50));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// `mid`, `tid`, `instMid` (the business type the order was created with).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the order to refund.
    pub mer_order_id: MerOrderId,
    /// `refundOrderId`: this refund's own id; the same one again returns the same refund.
    pub refund_order_id: RefundOrderId,
    /// `refundAmount`: how much to give back; more than zero.
    pub refund_amount: Fen,
    /// `refundDesc`: why, at most 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_desc: Option<String>,
    /// `platformAmount`: for a split order, the platform's share of this refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_amount: Option<Fen>,
    /// `subOrders`: for a split order, each sub-merchant's share of this refund. With
    /// `platformAmount`, they must add up to `refundAmount`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_orders: Vec<RefundSubOrder>,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

/// One sub-merchant's share of a split refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundSubOrder {
    /// `mid`: the sub-merchant.
    pub mid: Mid,
    /// `merOrderId`: the sub-order, when the split order named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mer_order_id: Option<MerOrderId>,
    /// `refundOrderId`: the sub-refund's own id, when wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_order_id: Option<RefundOrderId>,
    /// `totalAmount`: the sub-merchant's share.
    pub total_amount: Fen,
}

impl Refund {
    /// Refunds `refund_amount` of order `mer_order_id`, as refund `refund_order_id`.
    pub fn new(
        merchant: &Merchant,
        mer_order_id: MerOrderId,
        refund_order_id: RefundOrderId,
        refund_amount: Fen,
    ) -> Self {
        Refund {
            merchant: merchant.clone(),
            mer_order_id,
            refund_order_id,
            refund_amount,
            refund_desc: None,
            platform_amount: None,
            sub_orders: Vec::new(),
            request_timestamp: None,
        }
    }

    /// Sets `refundDesc`.
    pub fn refund_desc(mut self, why: impl Into<String>) -> Self {
        self.refund_desc = Some(why.into());
        self
    }

    /// Splits the refund: the platform's share and each sub-merchant's, which must add up to
    /// the refund amount (checked before signing).
    pub fn split(mut self, platform_amount: Fen, sub_orders: Vec<RefundSubOrder>) -> Self {
        self.platform_amount = Some(platform_amount);
        self.sub_orders = sub_orders;
        self
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

/// Checks that `parts` add up to `total` exactly, without overflow: the error names `field`.
pub(crate) fn check_sum(
    field: &'static str,
    total: Fen,
    total_name: &str,
    parts: impl IntoIterator<Item = Fen>,
) -> Result<(), InvalidField> {
    let sum = parts
        .into_iter()
        .try_fold(Fen::ZERO, Fen::checked_add)
        .ok_or_else(|| InvalidField::new(field, "the amounts overflow"))?;
    if sum != total {
        return Err(InvalidField::new(
            field,
            format!(
                "must add up to {total_name} ({} fen), got {} fen",
                total.0, sum.0
            ),
        ));
    }
    Ok(())
}

impl Operation for Refund {
    const PATH: &'static str = "/v1/netpay/refund";
    type Response = RefundResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        if self.refund_amount == Fen::ZERO {
            return Err(InvalidField::new("refundAmount", "must be more than zero"));
        }
        if let Some(desc) = &self.refund_desc {
            ids::text("refundDesc", desc, 255)?;
        }
        if self.platform_amount.is_some() || !self.sub_orders.is_empty() {
            let shares = self.sub_orders.iter().map(|s| s.total_amount);
            let platform = self.platform_amount.unwrap_or(Fen::ZERO);
            check_sum(
                "subOrders",
                self.refund_amount,
                "refundAmount with platformAmount",
                shares.chain([platform]),
            )?;
        }
        Ok(())
    }

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }

    fn follow_up(&self) -> Option<FollowUp> {
        Some(FollowUp::QueryRefund {
            merchant: self.merchant.clone(),
            mer_order_id: self.mer_order_id.clone(),
            refund_order_id: self.refund_order_id.clone(),
        })
    }
}

wire_enum! {
    /// `refundStatus`: where a refund stands. Values this SDK does not know are kept in
    /// [`RefundStatus::Other`], never read as refunded or failed.
    RefundStatus {
        /// `SUCCESS`: refunded.
        Success = "SUCCESS" => "refunded",
        /// `FAIL`: not refunded.
        Fail = "FAIL" => "not refunded",
        /// `PROCESSING`: under way; ask again with a refund query.
        Processing = "PROCESSING" => "being processed: ask again",
        /// `UNKNOWN`: the platform does not know yet; ask again with a refund query.
        Unknown = "UNKNOWN" => "unknown to the platform: ask again",
    }
}

/// The merchant's question "was it refunded?", answered from a [`RefundStatus`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RefundState {
    /// `SUCCESS`: the money went back.
    Refunded,
    /// `FAIL`: nothing went back; a new attempt needs a new `refundOrderId`.
    NotRefunded,
    /// `PROCESSING` or `UNKNOWN`: not decided yet. Ask [`RefundQuery`](crate::RefundQuery)
    /// with the same `refundOrderId` later; never send a new refund for it.
    Pending,
    /// No `refundStatus`, or one this SDK does not know (kept here): treat as pending.
    Unknown(Option<String>),
}

impl RefundState {
    /// The state a `refundStatus` (or its absence) means.
    pub fn of(status: Option<&RefundStatus>) -> RefundState {
        match status {
            Some(RefundStatus::Success) => RefundState::Refunded,
            Some(RefundStatus::Fail) => RefundState::NotRefunded,
            Some(RefundStatus::Processing | RefundStatus::Unknown) => RefundState::Pending,
            Some(RefundStatus::Other(other)) => RefundState::Unknown(Some(other.clone())),
            None => RefundState::Unknown(None),
        }
    }

    /// A short English description, e.g. "refunded".
    pub fn describe(&self) -> &'static str {
        match self {
            RefundState::Refunded => "refunded",
            RefundState::NotRefunded => "not refunded",
            RefundState::Pending => "pending: ask again with a refund query",
            RefundState::Unknown(_) => "unknown: ask again with a refund query",
        }
    }
}

/// The answer to a [`Refund`]. Decide on [`RefundResponse::state`], never on `errCode`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// `refundStatus`: see [`Self::state`].
    #[serde(default, deserialize_with = "non_empty")]
    pub refund_status: Option<RefundStatus>,
    /// `refundOrderId`, echoed.
    pub refund_order_id: Option<String>,
    /// `refundTargetOrderId`: the channel's number for the refund.
    pub refund_target_order_id: Option<String>,
    /// `refundAmount`: what this refund gives back.
    #[serde(default, with = "fen::optional")]
    pub refund_amount: Option<Fen>,
    /// `totalAmount`: the order's amount.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `refundInvoiceAmount`.
    #[serde(default, with = "fen::optional")]
    pub refund_invoice_amount: Option<Fen>,
    /// `merOrderId`, echoed.
    pub mer_order_id: Option<String>,
    /// `status`: the order's state after the refund (e.g. `TRADE_REFUND`).
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `targetSys`: the channel, e.g. `WXPay`.
    pub target_sys: Option<String>,
    /// `targetStatus`: the channel's own status text.
    pub target_status: Option<String>,
    /// `settleDate` (`yyyy-MM-dd`).
    #[serde(default, deserialize_with = "non_empty")]
    pub settle_date: Option<PlatformDate>,
    /// `payTime` of the order.
    #[serde(default, deserialize_with = "non_empty")]
    pub pay_time: Option<PlatformTime>,
    /// `mid`, echoed.
    pub mid: Option<String>,
    /// `tid`, echoed.
    pub tid: Option<String>,
    /// `instMid`, echoed.
    pub inst_mid: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RefundResponse {
    /// Was it refunded? Only [`RefundState::Refunded`] means the money went back.
    pub fn state(&self) -> RefundState {
        RefundState::of(self.refund_status.as_ref())
    }
}

impl Reply for RefundResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
