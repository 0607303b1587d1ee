//! `POST /v1/netpay/close`: close an order nobody paid (关闭订单).

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::ErrorClass;
use crate::netpay::common::{AnswerEnvelope, FollowUp, OrderEcho};
use crate::operation::{Operation, Reply};
use crate::types::ids::{MerOrderId, Merchant};
use crate::types::status::{PaymentState, TradeStatus};

/// Closes an unpaid order, so that it can no longer be paid.
///
/// `OPERATION_NOT_ALLOWED` is ambiguous here: the order may have been closed already, or paid
/// in the meantime. It is therefore never read as "closed" (nor as "rejected"): the error's
/// class is [`OutcomeUnknown`](crate::ErrorClass::OutcomeUnknown) and its
/// [`follow_up`](crate::Error::follow_up) is the payment query that decides.
///
/// ```
/// use chinaums::{Close, Merchant};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let close = Close::new(&merchant, "3194202401011200000001".parse()?);
/// assert_eq!(close.mer_order_id, "3194202401011200000001");
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Close {
    /// `mid`, `tid`, `instMid`.
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the order to close.
    pub mer_order_id: MerOrderId,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl Close {
    /// Closes order `mer_order_id`.
    pub fn new(merchant: &Merchant, mer_order_id: MerOrderId) -> Self {
        Close {
            merchant: merchant.clone(),
            mer_order_id,
            request_timestamp: None,
        }
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for Close {
    const PATH: &'static str = "/v1/netpay/close";
    type Response = CloseResponse;

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }

    fn follow_up(&self) -> Option<FollowUp> {
        Some(FollowUp::QueryPayment {
            merchant: self.merchant.clone(),
            mer_order_id: self.mer_order_id.clone(),
        })
    }

    fn classify(err_code: &str, _status: StatusCode) -> Option<ErrorClass> {
        // Already closed, or paid meanwhile: only a query can tell.
        (err_code == "OPERATION_NOT_ALLOWED").then_some(ErrorClass::OutcomeUnknown)
    }
}

/// The answer to a [`Close`]. Decide on [`CloseResponse::is_closed`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CloseResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The order's echoed fields (`merOrderId`, `status`, `totalAmount`, …).
    #[serde(flatten)]
    pub order: OrderEcho,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CloseResponse {
    /// Whether the order is closed: the platform accepted the close, and the order's status,
    /// when the answer gives one, says closed. A status that says otherwise (paid, say) is not
    /// closed, whatever `errCode` was.
    pub fn is_closed(&self) -> bool {
        matches!(self.order.status, None | Some(TradeStatus::TradeClosed))
    }

    /// The order's state as the answer reports it ([`PaymentState::Unknown`] without a status).
    pub fn state(&self) -> PaymentState {
        self.order
            .status
            .as_ref()
            .map_or(PaymentState::Unknown, TradeStatus::state)
    }
}

impl Reply for CloseResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
