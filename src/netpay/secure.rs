//! `POST /v1/netpay/secure-complete` and `/v1/netpay/secure-cancel`: release or give back a
//! guaranteed payment (担保完成, 担保撤销).
//!
//! A guaranteed order (created with `secureTransaction`) holds the money until the merchant
//! completes it (in full or in part: the rest goes back to the payer) or cancels it (all goes
//! back). It cannot be refunded directly, and is cancelled by the platform after 30 days.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::common::{AnswerEnvelope, FollowUp, OrderEcho};
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids::{MerOrderId, Merchant};
use crate::types::status::wire_enum;
use crate::types::time::non_empty;

/// Releases `completed_amount` of a guaranteed payment to the merchant; the remainder goes
/// back to the payer.
///
/// ```
/// use chinaums::{Fen, Merchant, SecureComplete};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let complete = SecureComplete::new(&merchant, "3194202401011200000001".parse()?, Fen(80));
/// assert_eq!(complete.completed_amount, Fen(80));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecureComplete {
    /// `mid`, `tid`, `instMid`.
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the guaranteed order.
    pub mer_order_id: MerOrderId,
    /// `completedAmount`: what the merchant keeps; more than zero, at most what was paid.
    pub completed_amount: Fen,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl SecureComplete {
    /// Completes order `mer_order_id` for `completed_amount`.
    pub fn new(merchant: &Merchant, mer_order_id: MerOrderId, completed_amount: Fen) -> Self {
        SecureComplete {
            merchant: merchant.clone(),
            mer_order_id,
            completed_amount,
            request_timestamp: None,
        }
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for SecureComplete {
    const PATH: &'static str = "/v1/netpay/secure-complete";
    type Response = SecureResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        if self.completed_amount == Fen::ZERO {
            return Err(InvalidField::new(
                "completedAmount",
                "must be more than zero (cancel the guarantee to give everything back)",
            ));
        }
        Ok(())
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

/// Cancels a guaranteed payment: everything goes back to the payer.
///
/// A second cancel answers `HAS_CANCELLED` (class [`Rejected`](crate::ErrorClass::Rejected)):
/// after a retry, that means the first one went through.
///
/// ```
/// use chinaums::{Merchant, SecureCancel};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let cancel = SecureCancel::new(&merchant, "3194202401011200000001".parse()?);
/// assert_eq!(cancel.mer_order_id, "3194202401011200000001");
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecureCancel {
    /// `mid`, `tid`, `instMid`.
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the guaranteed order.
    pub mer_order_id: MerOrderId,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl SecureCancel {
    /// Cancels the guarantee of order `mer_order_id`.
    pub fn new(merchant: &Merchant, mer_order_id: MerOrderId) -> Self {
        SecureCancel {
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

impl Operation for SecureCancel {
    const PATH: &'static str = "/v1/netpay/secure-cancel";
    type Response = SecureResponse;

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

wire_enum! {
    /// `secureStatus`: where a guaranteed payment stands. Unknown values are kept.
    SecureStatus {
        /// `UNCOMPLETED`: held, nothing released yet.
        Uncompleted = "UNCOMPLETED" => "held",
        /// `PARTLY_COMPLETED`: part released to the merchant.
        PartlyCompleted = "PARTLY_COMPLETED" => "partly released",
        /// `ALL_COMPLETED`: all released to the merchant.
        AllCompleted = "ALL_COMPLETED" => "released",
        /// `CANCELED`: given back to the payer.
        Canceled = "CANCELED" => "cancelled",
    }
}

/// The answer to a [`SecureComplete`] or a [`SecureCancel`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SecureResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The order's echoed fields.
    #[serde(flatten)]
    pub order: OrderEcho,
    /// `secureStatus`: where the guarantee stands now.
    #[serde(default, deserialize_with = "non_empty")]
    pub secure_status: Option<SecureStatus>,
    /// `completedAmount`: what was released to the merchant.
    #[serde(default, with = "fen::optional")]
    pub completed_amount: Option<Fen>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reply for SecureResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
