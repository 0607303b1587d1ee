//! `POST /v1/netpay/query`: the payment-result query (支付结果查询).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::Error;
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids;
use crate::types::status::{PaymentState, TradeStatus};
use crate::types::time::{
    PlatformDate, PlatformTime, format_datetime, non_empty, request_timestamp,
};

/// The URL path of the payment-result query.
pub const PATH: &str = "/v1/netpay/query";

/// Asks the platform what became of an order.
///
/// `inst_mid` must be the business type the order was created with (e.g. `MINIDEFAULT` for a
/// mini-program order), or the platform answers `NO_ORDER`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentQuery {
    /// `mid`: merchant number, 15 characters.
    pub mid: String,
    /// `tid`: terminal number, 8 characters.
    pub tid: String,
    /// `instMid`: business type, 8 to 32 characters.
    pub inst_mid: String,
    /// `merOrderId`: the merchant's order number, 6 to 32 characters.
    pub mer_order_id: String,
    /// `msgId`: echoed back, at most 64 characters.
    pub msg_id: Option<String>,
    /// `srcReserve`: echoed back, at most 255 characters.
    pub src_reserve: Option<String>,
    /// `targetOrderId`: the channel's order number. Not in the documented field table; the official
    /// mini-program sample sends it (UNCERTAIN whether the platform uses it; at most 64
    /// characters assumed).
    pub target_order_id: Option<String>,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl PaymentQuery {
    /// A query for `mer_order_id` of merchant `mid`/`tid` under business type `inst_mid`.
    pub fn new(
        mid: impl Into<String>,
        tid: impl Into<String>,
        inst_mid: impl Into<String>,
        mer_order_id: impl Into<String>,
    ) -> Self {
        PaymentQuery {
            mid: mid.into(),
            tid: tid.into(),
            inst_mid: inst_mid.into(),
            mer_order_id: mer_order_id.into(),
            ..PaymentQuery::default()
        }
    }

    /// Sets `msgId`.
    pub fn msg_id(mut self, msg_id: impl Into<String>) -> Self {
        self.msg_id = Some(msg_id.into());
        self
    }

    /// Sets `srcReserve`.
    pub fn src_reserve(mut self, src_reserve: impl Into<String>) -> Self {
        self.src_reserve = Some(src_reserve.into());
        self
    }

    /// Sets `targetOrderId`.
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

/// The JSON body of a [`PaymentQuery`], fields in the documentation's order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentQueryBody<'a> {
    request_timestamp: String,
    mid: &'a str,
    tid: &'a str,
    inst_mid: &'a str,
    mer_order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    msg_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_reserve: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_order_id: Option<&'a str>,
}

impl Operation for PaymentQuery {
    type Body<'a> = PaymentQueryBody<'a>;
    type Response = PaymentQueryResponse;

    fn path(&self) -> &str {
        PATH
    }

    fn body(&self, now: SystemTime) -> Result<PaymentQueryBody<'_>, Error> {
        ids::mid(&self.mid)?;
        ids::tid(&self.tid)?;
        ids::inst_mid(&self.inst_mid)?;
        ids::mer_order_id(&self.mer_order_id)?;
        if let Some(msg_id) = &self.msg_id {
            ids::msg_id(msg_id)?;
        }
        if let Some(src_reserve) = &self.src_reserve {
            ids::src_reserve(src_reserve)?;
        }
        if let Some(target_order_id) = &self.target_order_id {
            ids::text("targetOrderId", target_order_id, 64)?;
        }
        let request_timestamp = match self.request_timestamp {
            Some(at) => format_datetime(at),
            None => request_timestamp(now),
        };
        if request_timestamp.len() != 19 {
            return Err(crate::error::InvalidField::new(
                "requestTimestamp",
                "must be a date between years 0000 and 9999",
            )
            .into());
        }
        Ok(PaymentQueryBody {
            request_timestamp,
            mid: &self.mid,
            tid: &self.tid,
            inst_mid: &self.inst_mid,
            mer_order_id: &self.mer_order_id,
            msg_id: self.msg_id.as_deref(),
            src_reserve: self.src_reserve.as_deref(),
            target_order_id: self.target_order_id.as_deref(),
        })
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
    /// `errCode`: `SUCCESS` once decoded (other codes become errors).
    pub err_code: Option<String>,
    /// `errMsg`: usually empty on success; may say e.g. "交易不存在" with `NEW_ORDER`.
    pub err_msg: Option<String>,
    /// `errInfo`: the gateway's spelling of the message.
    pub err_info: Option<String>,
    /// `responseTimestamp` (also read from the documentation's spelling `responseTimeStamp`).
    #[serde(default, alias = "responseTimeStamp", deserialize_with = "non_empty")]
    pub response_timestamp: Option<PlatformTime>,
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
    #[serde(default, deserialize_with = "non_empty_status")]
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

fn non_empty_status<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<TradeStatus>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.filter(|s| !s.is_empty())
        .map(|s| TradeStatus::from_wire(&s)))
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
        self.err_code.as_deref()
    }

    fn err_message(&self) -> Option<&str> {
        [&self.err_msg, &self.err_info]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|m| !m.is_empty())
    }
}
