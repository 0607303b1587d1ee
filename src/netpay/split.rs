//! `POST /v1/netpay/sub-orders-confirm`: confirm how a split payment is shared (异步分账确认).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::common::{AnswerEnvelope, FollowUp, OrderEcho};
use crate::netpay::refund::check_sum;
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids::{MerOrderId, Merchant, Mid};

/// Confirms the shares of a split order: the platform's and each sub-merchant's, which must add
/// up to the order's amount. A sub-order already confirmed cannot be confirmed again.
///
/// The order's amount is not sent; it is only used to check the shares before signing.
///
/// ```
/// use chinaums::{Fen, Merchant, SubOrder, SubOrdersConfirm};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let confirm = SubOrdersConfirm::new(
///     &merchant,
///     "3194202401011200000001".parse()?,
///     Fen(100),
///     Fen(10),
///     vec![SubOrder::new("898201612345679".parse()?, Fen(90))],
/// );
/// assert_eq!(confirm.platform_amount, Fen(10));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubOrdersConfirm {
    /// `mid`, `tid`, `instMid`.
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the split order.
    pub mer_order_id: MerOrderId,
    /// `platformAmount`: the platform's share.
    pub platform_amount: Fen,
    /// `subOrders`: each sub-merchant's share.
    pub sub_orders: Vec<SubOrder>,
    /// The order's amount, to check the shares against; not sent.
    #[serde(skip)]
    pub order_amount: Fen,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

/// One sub-merchant's share of a split order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubOrder {
    /// `mid`: the sub-merchant.
    pub mid: Mid,
    /// `merOrderId`: the sub-order's own number, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mer_order_id: Option<MerOrderId>,
    /// `totalAmount`: the sub-merchant's share.
    pub total_amount: Fen,
}

impl SubOrder {
    /// A share of `total_amount` for sub-merchant `mid`.
    pub fn new(mid: Mid, total_amount: Fen) -> Self {
        SubOrder {
            mid,
            mer_order_id: None,
            total_amount,
        }
    }

    /// Names the sub-order.
    pub fn mer_order_id(mut self, mer_order_id: MerOrderId) -> Self {
        self.mer_order_id = Some(mer_order_id);
        self
    }
}

impl SubOrdersConfirm {
    /// Confirms the shares of order `mer_order_id` of `order_amount`.
    pub fn new(
        merchant: &Merchant,
        mer_order_id: MerOrderId,
        order_amount: Fen,
        platform_amount: Fen,
        sub_orders: Vec<SubOrder>,
    ) -> Self {
        SubOrdersConfirm {
            merchant: merchant.clone(),
            mer_order_id,
            platform_amount,
            sub_orders,
            order_amount,
            request_timestamp: None,
        }
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for SubOrdersConfirm {
    const PATH: &'static str = "/v1/netpay/sub-orders-confirm";
    type Response = SubOrdersConfirmResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        if self.sub_orders.is_empty() {
            return Err(InvalidField::new(
                "subOrders",
                "must name at least one sub-order",
            ));
        }
        let shares = self.sub_orders.iter().map(|s| s.total_amount);
        check_sum(
            "subOrders",
            self.order_amount,
            "the order's amount with platformAmount",
            shares.chain([self.platform_amount]),
        )
    }

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }

    fn follow_up(&self) -> Option<FollowUp> {
        Some(FollowUp::QueryPayment {
            merchant: self.merchant.clone(),
            mer_order_id: self.mer_order_id.clone(),
        })
    }
}

/// The answer to a [`SubOrdersConfirm`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubOrdersConfirmResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The order's echoed fields.
    #[serde(flatten)]
    pub order: OrderEcho,
    /// `platformAmount`, echoed.
    #[serde(default, with = "fen::optional")]
    pub platform_amount: Option<Fen>,
    /// Every other field, as sent (e.g. `subOrders` as the platform reports them).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reply for SubOrdersConfirmResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
