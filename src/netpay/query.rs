//! `POST /v1/netpay/query`: the payment-result query (支付结果查询).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::common::AnswerEnvelope;
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids::{self, MerOrderId, Merchant, MsgId, SrcReserve};
use crate::types::status::{PaymentState, TradeStatus};
use crate::types::time::{PlatformDate, PlatformTime, non_empty};

/// Asks the platform what became of an order.
///
/// The merchant's `instMid` must be the business type the order was created with (e.g.
/// `MINIDEFAULT` for a mini-program order), or the platform answers `NO_ORDER`.
///
/// ```
/// use chinaums::{Merchant, PaymentQuery};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?).msg_id("001".parse()?);
/// assert_eq!(query.mer_order_id, "3194202401011200000001");
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentQuery {
    /// `mid`, `tid`, `instMid`.
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the merchant's order number.
    pub mer_order_id: MerOrderId,
    /// `msgId`: echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_id: Option<MsgId>,
    /// `srcReserve`: echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_reserve: Option<SrcReserve>,
    /// `targetOrderId`: the channel's order number. Not in the documented field table; the
    /// official mini-program sample sends it, so it is accepted here (whether the platform uses
    /// it is not documented; at most 64 characters assumed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_order_id: Option<String>,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl PaymentQuery {
    /// A query for `mer_order_id` of `merchant`.
    pub fn new(merchant: &Merchant, mer_order_id: MerOrderId) -> Self {
        PaymentQuery {
            merchant: merchant.clone(),
            mer_order_id,
            msg_id: None,
            src_reserve: None,
            target_order_id: None,
            request_timestamp: None,
        }
    }

    /// Sets `msgId`.
    pub fn msg_id(mut self, msg_id: MsgId) -> Self {
        self.msg_id = Some(msg_id);
        self
    }

    /// Sets `srcReserve`.
    pub fn src_reserve(mut self, src_reserve: SrcReserve) -> Self {
        self.src_reserve = Some(src_reserve);
        self
    }

    /// Sets `targetOrderId` (checked before signing: at most 64 characters).
    pub fn target_order_id(mut self, target_order_id: impl Into<String>) -> Self {
        self.target_order_id = Some(target_order_id.into());
        self
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for PaymentQuery {
    const PATH: &'static str = "/v1/netpay/query";
    type Response = PaymentQueryResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        match &self.target_order_id {
            Some(target_order_id) => ids::text("targetOrderId", target_order_id, 64),
            None => Ok(()),
        }
    }

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }
}

/// The answer to a [`PaymentQuery`]: every field of the documented answer, typed.
///
/// Decide on [`PaymentQueryResponse::state`] (or [`PaymentQueryResponse::is_paid`]), never on
/// `errCode`: `SUCCESS` only means the query was accepted, and comes with `NEW_ORDER` for an
/// order nobody paid. Fields the platform sent but this type does not name are kept in
/// [`PaymentQueryResponse::extra`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaymentQueryResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// `mid`, echoed.
    pub mid: Option<String>,
    /// `tid`, echoed.
    pub tid: Option<String>,
    /// `instMid`, echoed.
    pub inst_mid: Option<String>,
    /// `billFunds`: payment channels as `method:amount-in-fen|…`; see [`Self::bill_funds_entries`].
    pub bill_funds: Option<String>,
    /// `billFundsDesc`.
    pub bill_funds_desc: Option<String>,
    /// `payTime` (`yyyy-MM-dd HH:mm:ss`, Beijing).
    #[serde(default, deserialize_with = "non_empty")]
    pub pay_time: Option<PlatformTime>,
    /// `couponMerchantContribute`: discount funded by the merchant (WeChat only for now).
    #[serde(default, with = "fen::optional")]
    pub coupon_merchant_contribute: Option<Fen>,
    /// `couponOtherContribute`: discount funded by others (WeChat only for now).
    #[serde(default, with = "fen::optional")]
    pub coupon_other_contribute: Option<Fen>,
    /// `msgId`, echoed.
    pub msg_id: Option<String>,
    /// `srcReserve`, echoed.
    pub src_reserve: Option<String>,
    /// `attachedData`.
    pub attached_data: Option<String>,
    /// `seqId`: the platform's serial number.
    pub seq_id: Option<String>,
    /// `settleRefId`: clearing id.
    pub settle_ref_id: Option<String>,
    /// `refId`: retrieval reference number (UnionPay).
    pub ref_id: Option<String>,
    /// `status`: the order's state; see [`Self::state`].
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `totalAmount`: the order amount.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `merName`: merchant name.
    pub mer_name: Option<String>,
    /// `merOrderId`.
    pub mer_order_id: Option<String>,
    /// `targetOrderId`: the channel's (WeChat/Alipay/UnionPay) order number.
    pub target_order_id: Option<String>,
    /// `targetSys`: the channel, e.g. `WXPay`, `Alipay 2.0`.
    pub target_sys: Option<String>,
    /// `targetStatus`: the channel's own status text.
    pub target_status: Option<String>,
    /// `buyerId`.
    pub buyer_id: Option<String>,
    /// `targetMid`: the channel's merchant number.
    pub target_mid: Option<String>,
    /// `bankCardNo`.
    pub bank_card_no: Option<String>,
    /// `bankInfo`.
    pub bank_info: Option<String>,
    /// `buyerPayAmount`: what the buyer paid (Alipay).
    #[serde(default, with = "fen::optional")]
    pub buyer_pay_amount: Option<Fen>,
    /// `buyerUsername`.
    pub buyer_username: Option<String>,
    /// `couponAmount`: channel discount.
    #[serde(default, with = "fen::optional")]
    pub coupon_amount: Option<Fen>,
    /// `invoiceAmount`: amount that can be invoiced.
    #[serde(default, with = "fen::optional")]
    pub invoice_amount: Option<Fen>,
    /// `receiptAmount`: what the merchant receives (Alipay).
    #[serde(default, with = "fen::optional")]
    pub receipt_amount: Option<Fen>,
    /// `settleDate` (`yyyy-MM-dd`).
    #[serde(default, deserialize_with = "non_empty")]
    pub settle_date: Option<PlatformDate>,
    /// `subBuyerId`: e.g. WeChat's subOpenId.
    pub sub_buyer_id: Option<String>,
    /// `activityIds`: WeChat activity ids.
    pub activity_ids: Option<String>,
    /// `yxlmAmount`: marketing-alliance discount.
    #[serde(default, with = "fen::optional")]
    pub yxlm_amount: Option<Fen>,
    /// `secureStatus`: guarantee state (`UNCOMPLETED`, `PARTLY_COMPLETED`, …).
    pub secure_status: Option<String>,
    /// `authIdRespCd`: authorization response code (pre-authorized orders).
    pub auth_id_resp_cd: Option<String>,
    /// `refundAmount`: how much of the order has been refunded so far, when the platform says.
    #[serde(default, with = "fen::optional")]
    pub refund_amount: Option<Fen>,
    /// Every other field, as sent (e.g. `connectSys`, `cardAttr`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PaymentQueryResponse {
    /// Is it paid? The one question to ask: [`PaymentState::Paid`] only for `TRADE_SUCCESS`.
    pub fn state(&self) -> PaymentState {
        self.status
            .as_ref()
            .map_or(PaymentState::Unknown, TradeStatus::state)
    }

    /// True only when the order is paid (`TRADE_SUCCESS`). A refunded, closed, unpaid or
    /// unknown order is not.
    pub fn is_paid(&self) -> bool {
        self.state() == PaymentState::Paid
    }

    /// `billFunds` split into `(method, amount)` pairs; `None` if absent or not of the form
    /// `method:fen|method:fen`.
    pub fn bill_funds_entries(&self) -> Option<Vec<(&str, Fen)>> {
        let funds = self.bill_funds.as_deref().filter(|f| !f.is_empty())?;
        funds
            .split('|')
            .map(|entry| {
                let (method, amount) = entry.rsplit_once(':')?;
                Some((method, Fen::parse(amount)?))
            })
            .collect()
    }
}

impl Reply for PaymentQueryResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
