//! APP orders (`instMid` `APPDEFAULT`): the merchant's server creates the order, and the app hands
//! the answer's `appPayRequest` to the channel's SDK (WeChat OpenSDK, Alipay, UnionPay).
//!
//! `POST /v1/netpay/wx/app-pre-order` (WeChat, `tradeType` `APP`),
//! `/v1/netpay/trade/app-pre-order` (Alipay), `/v1/netpay/uac/app-order` (UnionPay), and
//! `/v1/netpay/wx/app-pre-close` to close an unpaid WeChat APP order. A success without an
//! `appPayRequest`, `DUP_ORDER` and `ORDER_PROCESSING` are outcome unknown: query the order before
//! creating it again.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::{ErrorClass, InvalidField};
use crate::netpay::CloseResponse;
use crate::netpay::common::{AnswerEnvelope, FollowUp, OrderEcho};
use crate::netpay::order::OrderFields;
use crate::netpay::order::bills::object_or_json_string;
use crate::operation::{Operation, Reply};
use crate::types::ids::{self, MerOrderId, Merchant};
use crate::types::time::non_empty;

/// A WeChat APP order (`/v1/netpay/wx/app-pre-order`, `tradeType` `APP`).
///
/// ```
/// use chinaums::{Fen, Merchant, OrderFields, WxAppPreOrder};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "APPDEFAULT")?;
/// let order = WxAppPreOrder::new(
///     &merchant,
///     "3194202401011200000001".parse()?,
///     OrderFields::new(Fen(100)).order_desc("会员月卡"),
///     "wx0123456789abcdef", // subAppId: the app's WeChat appid
/// );
/// assert_eq!(order.trade_type, "APP");
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxAppPreOrder {
    /// `merOrderId`: the new order's number (e.g. from
    /// [`Client::new_mer_order_id`](crate::Client::new_mer_order_id)).
    pub mer_order_id: MerOrderId,
    /// `mid`, `tid`, `instMid` (`APPDEFAULT`).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// The shared order fields.
    #[serde(flatten)]
    pub order: OrderFields,
    /// `tradeType`: `APP`.
    pub trade_type: &'static str,
    /// `subAppId`: the app's WeChat appid (the one its OpenSDK is registered with).
    pub sub_app_id: String,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl WxAppPreOrder {
    /// An order of `order` paid in the app whose WeChat appid is `sub_app_id`.
    pub fn new(
        merchant: &Merchant,
        mer_order_id: MerOrderId,
        order: OrderFields,
        sub_app_id: impl Into<String>,
    ) -> Self {
        WxAppPreOrder {
            mer_order_id,
            merchant: merchant.clone(),
            order,
            trade_type: "APP",
            sub_app_id: sub_app_id.into(),
            request_timestamp: None,
        }
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for WxAppPreOrder {
    const PATH: &'static str = "/v1/netpay/wx/app-pre-order";
    type Response = AppPayResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        // WeChat's limit on the description, as for the mini-program order.
        self.order.validate(128)?;
        if self.sub_app_id.is_empty() {
            return Err(InvalidField::new("subAppId", "must not be empty"));
        }
        ids::text("subAppId", &self.sub_app_id, 128)
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

/// Declares an APP order of a channel that needs nothing but the shared order fields.
macro_rules! channel_app_order {
    ($(#[$doc:meta])* $name:ident, $path:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// `merOrderId`: the new order's number.
            pub mer_order_id: MerOrderId,
            /// `mid`, `tid`, `instMid` (`APPDEFAULT`).
            #[serde(flatten)]
            pub merchant: Merchant,
            /// The shared order fields.
            #[serde(flatten)]
            pub order: OrderFields,
            /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
            #[serde(skip)]
            pub request_timestamp: Option<PrimitiveDateTime>,
        }

        impl $name {
            /// An order of `order`, paid in the merchant's app.
            pub fn new(merchant: &Merchant, mer_order_id: MerOrderId, order: OrderFields) -> Self {
                $name {
                    mer_order_id,
                    merchant: merchant.clone(),
                    order,
                    request_timestamp: None,
                }
            }

            /// Sets `requestTimestamp` (Beijing wall-clock time).
            pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
                self.request_timestamp = Some(at);
                self
            }
        }

        impl Operation for $name {
            const PATH: &'static str = $path;
            type Response = AppPayResponse;

            fn validate(&self) -> Result<(), InvalidField> {
                self.order.validate(256)
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
    };
}

channel_app_order!(
    /// An Alipay APP order (`/v1/netpay/trade/app-pre-order`). No `tradeType` is sent: the
    /// platform names one only for WeChat. The answer's pay request carries Alipay's `qrCode`
    /// ([`AppPayRequest::qr_code`]).
    ///
    /// ```
    /// use chinaums::{AlipayAppPreOrder, Fen, Merchant, OrderFields};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "APPDEFAULT")?;
    /// let order = AlipayAppPreOrder::new(
    ///     &merchant,
    ///     "3194202401011200000001".parse()?,
    ///     OrderFields::new(Fen(100)).order_desc("会员月卡"),
    /// );
    /// assert_eq!(order.order.total_amount, Fen(100));
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    AlipayAppPreOrder,
    "/v1/netpay/trade/app-pre-order"
);

channel_app_order!(
    /// A UnionPay (云闪付) APP order (`/v1/netpay/uac/app-order`). No `tradeType` is sent: the
    /// platform names one only for WeChat.
    ///
    /// ```
    /// use chinaums::{Fen, Merchant, OrderFields, UnionPayAppOrder};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "APPDEFAULT")?;
    /// let order = UnionPayAppOrder::new(
    ///     &merchant,
    ///     "3194202401011200000001".parse()?,
    ///     OrderFields::new(Fen(100)),
    /// );
    /// assert_eq!(order.merchant.inst_mid, "APPDEFAULT");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    UnionPayAppOrder,
    "/v1/netpay/uac/app-order"
);

/// `appPayRequest`: what the app hands to the channel's SDK, kept as the JSON object the
/// platform sent, since its keys are the channel's. Accessors read the keys that are known.
///
/// The platform documents it as an object; a JSON-encoded string of an object is read too (some
/// answers of this platform encode nested objects so), and anything else is refused.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct AppPayRequest(pub Map<String, Value>);

impl AppPayRequest {
    /// The object, as sent.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// A key, as sent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A key whose value is a non-empty string.
    fn text(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Alipay's `qrCode`: the URL the app opens to pay.
    pub fn qr_code(&self) -> Option<&str> {
        self.text("qrCode")
    }

    /// `msgType`, when the platform names the channel call (e.g. `trade.precreate`).
    pub fn msg_type(&self) -> Option<&str> {
        self.text("msgType")
    }

    /// WeChat's APP pay request, typed, when all seven of its keys are there and non-empty;
    /// `None` otherwise (another channel, or a shape this SDK does not know: read
    /// [`Self::as_map`]).
    pub fn wechat(&self) -> Option<WxAppPayRequest> {
        let timestamp = match self.0.get("timestamp")? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let request = WxAppPayRequest {
            appid: self.text("appid")?.to_owned(),
            partnerid: self.text("partnerid")?.to_owned(),
            prepayid: self.text("prepayid")?.to_owned(),
            package: self.text("package")?.to_owned(),
            noncestr: self.text("noncestr")?.to_owned(),
            timestamp,
            sign: self.text("sign")?.to_owned(),
        };
        (!request.timestamp.is_empty()).then_some(request)
    }
}

/// What WeChat's OpenSDK `PayReq` takes, with WeChat's own key names (so it serializes as the
/// app expects it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WxAppPayRequest {
    /// `appid`: the app's WeChat appid.
    pub appid: String,
    /// `partnerid`: WeChat's merchant number.
    pub partnerid: String,
    /// `prepayid`: WeChat's prepaid order.
    pub prepayid: String,
    /// `package`: `Sign=WXPay`.
    pub package: String,
    /// `noncestr`.
    pub noncestr: String,
    /// `timestamp` (sent as a string or a number; kept as the string WeChat wants).
    pub timestamp: String,
    /// `sign`: the channel's signature over the other six.
    pub sign: String,
}

/// The answer to an APP order ([`WxAppPreOrder`], [`AlipayAppPreOrder`],
/// [`UnionPayAppOrder`]): the new order, and the pay request for the app.
///
/// A success without a non-empty `appPayRequest` is not a success: it becomes an error whose
/// outcome is unknown (the order may exist): query before creating it again. Only the presence
/// of the object is required, not WeChat's keys: the platform does not document them, so a
/// shape this SDK does not know is handed over as it is rather than refused.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppPayResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The order's echoed fields (`status` is `NEW_ORDER`).
    #[serde(flatten)]
    pub order: OrderEcho,
    /// `appPayRequest`: hand it to the channel's SDK.
    #[serde(default, deserialize_with = "object_or_json_string")]
    pub app_pay_request: Option<AppPayRequest>,
    /// `qrCode`: Alipay's pay URL, repeated at the top level.
    #[serde(default, deserialize_with = "non_empty")]
    pub qr_code: Option<String>,
    /// Every other field, as sent (e.g. `targetMid`, `connectSys`, `settleRefId`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AppPayResponse {
    /// The pay request, when it is a non-empty object.
    pub fn pay_request(&self) -> Option<&AppPayRequest> {
        self.app_pay_request.as_ref().filter(|r| !r.0.is_empty())
    }
}

impl Reply for AppPayResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }

    fn check(&self) -> Result<(), String> {
        match self.pay_request() {
            Some(_) => Ok(()),
            None => Err("no appPayRequest to hand to the app".into()),
        }
    }
}

/// Closes an unpaid WeChat APP order (`/v1/netpay/wx/app-pre-close`), so that it can no longer
/// be paid. The answer is the same as [`Close`](crate::Close)'s.
///
/// `OPERATION_NOT_ALLOWED` is ambiguous, as for [`Close`](crate::Close): the order may be closed
/// already, or paid meanwhile. Its class is
/// [`OutcomeUnknown`](crate::ErrorClass::OutcomeUnknown), and the follow-up is the payment query.
///
/// ```
/// use chinaums::{Merchant, WxAppPreClose};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "APPDEFAULT")?;
/// let close = WxAppPreClose::new(&merchant, "3194202401011200000001".parse()?);
/// assert_eq!(close.mer_order_id, "3194202401011200000001");
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxAppPreClose {
    /// `mid`, `tid`, `instMid` (`APPDEFAULT`).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `merOrderId`: the order to close.
    pub mer_order_id: MerOrderId,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl WxAppPreClose {
    /// Closes WeChat APP order `mer_order_id`.
    pub fn new(merchant: &Merchant, mer_order_id: MerOrderId) -> Self {
        WxAppPreClose {
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

impl Operation for WxAppPreClose {
    const PATH: &'static str = "/v1/netpay/wx/app-pre-close";
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
