//! Mini-program and in-app-browser (JSAPI) orders: the answer carries what the front end hands
//! to the channel's pay call (`wx.requestPayment`, `my.tradePay`, UnionPay's).
//!
//! `POST /v1/netpay/wx/unified-order` (WeChat, `tradeType` `MINI` or `JSAPI`),
//! `/v1/netpay/trade/create` (Alipay mini-program), `/v1/netpay/uac/mini-order` (UnionPay
//! mini-program). A success without a usable pay request, `DUP_ORDER` and `ORDER_PROCESSING` are
//! outcome unknown: query the order before creating it again.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::common::{AnswerEnvelope, FollowUp, OrderEcho};
use crate::netpay::order::OrderFields;
use crate::operation::{Operation, Reply};
use crate::types::ids::{self, MerOrderId, Merchant};

/// WeChat's `tradeType` for a unified order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum WxTradeType {
    /// `MINI`: a WeChat mini-program.
    #[serde(rename = "MINI")]
    Mini,
    /// `JSAPI`: a page inside WeChat (official account).
    #[serde(rename = "JSAPI")]
    Jsapi,
}

/// A WeChat mini-program or JSAPI order (`/v1/netpay/wx/unified-order`).
///
/// ```
/// use chinaums::{Fen, Merchant, OrderFields, WxUnifiedOrder};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "MINIDEFAULT")?;
/// let order = WxUnifiedOrder::mini(
///     &merchant,
///     "3194202401011200000001".parse()?,
///     OrderFields::new(Fen(100)).order_desc("咖啡"),
///     "wx0123456789abcdef",  // subAppId: the mini-program's appid
///     "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",  // subOpenId: the payer's openid in it
/// );
/// assert_eq!(order.order.total_amount, Fen(100));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxUnifiedOrder {
    /// `merOrderId`: the new order's number (e.g. from
    /// [`Client::new_mer_order_id`](crate::Client::new_mer_order_id)).
    pub mer_order_id: MerOrderId,
    /// `mid`, `tid`, `instMid` (`MINIDEFAULT` for a mini-program, `YUEDANDEFAULT` for JSAPI).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// The shared order fields.
    #[serde(flatten)]
    pub order: OrderFields,
    /// `tradeType`.
    pub trade_type: WxTradeType,
    /// `subAppId`: the mini-program's or official account's WeChat appid.
    pub sub_app_id: String,
    /// `subOpenId`: the payer's openid under that appid.
    pub sub_open_id: String,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl WxUnifiedOrder {
    /// A mini-program order (`tradeType` `MINI`).
    pub fn mini(
        merchant: &Merchant,
        mer_order_id: MerOrderId,
        order: OrderFields,
        sub_app_id: impl Into<String>,
        sub_open_id: impl Into<String>,
    ) -> Self {
        WxUnifiedOrder {
            mer_order_id,
            merchant: merchant.clone(),
            order,
            trade_type: WxTradeType::Mini,
            sub_app_id: sub_app_id.into(),
            sub_open_id: sub_open_id.into(),
            request_timestamp: None,
        }
    }

    /// An order paid in a page inside WeChat (`tradeType` `JSAPI`).
    pub fn jsapi(
        merchant: &Merchant,
        mer_order_id: MerOrderId,
        order: OrderFields,
        sub_app_id: impl Into<String>,
        sub_open_id: impl Into<String>,
    ) -> Self {
        WxUnifiedOrder {
            trade_type: WxTradeType::Jsapi,
            ..WxUnifiedOrder::mini(merchant, mer_order_id, order, sub_app_id, sub_open_id)
        }
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

/// Checks a channel's user and app ids: non-empty, at most 128 characters, no control
/// characters.
fn check_channel_id(field: &'static str, value: &str) -> Result<(), InvalidField> {
    if value.is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    ids::text(field, value, 128)
}

impl Operation for WxUnifiedOrder {
    const PATH: &'static str = "/v1/netpay/wx/unified-order";
    type Response = WxUnifiedOrderResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        self.order.validate(128)?;
        check_channel_id("subAppId", &self.sub_app_id)?;
        check_channel_id("subOpenId", &self.sub_open_id)
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

/// What `wx.requestPayment` takes, as the platform hands it over: six non-empty strings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct MiniPayRequest {
    /// `appId`.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// `nonceStr`.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `package`: `prepay_id=…`.
    pub package: String,
    /// `paySign`.
    #[serde(rename = "paySign")]
    pub pay_sign: String,
    /// `signType`, e.g. `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// `timeStamp` (sent as a string or a number; kept as the string WeChat wants).
    #[serde(rename = "timeStamp", deserialize_with = "string_or_number")]
    pub time_stamp: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or a number, got {other}"
        ))),
    }
}

impl MiniPayRequest {
    fn usable(&self) -> Result<(), String> {
        let fields = [
            ("appId", &self.app_id),
            ("nonceStr", &self.nonce_str),
            ("package", &self.package),
            ("paySign", &self.pay_sign),
            ("signType", &self.sign_type),
            ("timeStamp", &self.time_stamp),
        ];
        match fields.iter().find(|(_, v)| v.is_empty()) {
            Some((name, _)) => Err(format!("miniPayRequest.{name} is empty")),
            None => Ok(()),
        }
    }
}

/// The answer to a [`WxUnifiedOrder`]: the new order, and the pay request for the front end.
///
/// A success without a usable `miniPayRequest` is not a success: it becomes an error whose
/// outcome is unknown (the order may exist): query before creating it again.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WxUnifiedOrderResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The order's echoed fields (`status` is `NEW_ORDER`).
    #[serde(flatten)]
    pub order: OrderEcho,
    /// `miniPayRequest`: hand it to `wx.requestPayment` as it is. (For JSAPI the platform's
    /// key is not documented; `jsPayRequest` is read too, as the likely spelling.)
    #[serde(default, alias = "jsPayRequest")]
    pub mini_pay_request: Option<MiniPayRequest>,
    /// Every other field, as sent (e.g. `targetMid`, `connectSys`, `delegatedFlag`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reply for WxUnifiedOrderResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }

    fn check(&self) -> Result<(), String> {
        match &self.mini_pay_request {
            Some(request) => request.usable(),
            None => Err("no miniPayRequest to hand to the payer".into()),
        }
    }
}

/// Declares a mini-program order of another channel: the same fields as WeChat's (the buyer's
/// id in that channel as `subOpenId`, the app's as `subAppId`), `tradeType` `MINI`, and an
/// answer that must carry `key` (its shape is the channel's: kept as JSON).
macro_rules! channel_mini_order {
    ($(#[$doc:meta])* $name:ident, $answer:ident, $path:literal, $key:literal, $inst:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// `merOrderId`: the new order's number.
            pub mer_order_id: MerOrderId,
            #[doc = concat!("`mid`, `tid`, `instMid` (`", $inst, "`).")]
            #[serde(flatten)]
            pub merchant: Merchant,
            /// The shared order fields.
            #[serde(flatten)]
            pub order: OrderFields,
            /// `tradeType`: `MINI`.
            pub trade_type: &'static str,
            /// `subAppId`: the mini-program's id in the channel, when it needs one.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub sub_app_id: Option<String>,
            /// `subOpenId`: the payer's user id in the channel.
            pub sub_open_id: String,
            /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
            #[serde(skip)]
            pub request_timestamp: Option<PrimitiveDateTime>,
        }

        impl $name {
            /// An order of `order` for the payer `sub_open_id`.
            pub fn new(
                merchant: &Merchant,
                mer_order_id: MerOrderId,
                order: OrderFields,
                sub_open_id: impl Into<String>,
            ) -> Self {
                $name {
                    mer_order_id,
                    merchant: merchant.clone(),
                    order,
                    trade_type: "MINI",
                    sub_app_id: None,
                    sub_open_id: sub_open_id.into(),
                    request_timestamp: None,
                }
            }

            /// Sets `subAppId`.
            pub fn sub_app_id(mut self, sub_app_id: impl Into<String>) -> Self {
                self.sub_app_id = Some(sub_app_id.into());
                self
            }

            /// Sets `requestTimestamp` (Beijing wall-clock time).
            pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
                self.request_timestamp = Some(at);
                self
            }
        }

        impl Operation for $name {
            const PATH: &'static str = $path;
            type Response = $answer;

            fn validate(&self) -> Result<(), InvalidField> {
                self.order.validate(256)?;
                if let Some(app) = &self.sub_app_id {
                    check_channel_id("subAppId", app)?;
                }
                check_channel_id("subOpenId", &self.sub_open_id)
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

        #[doc = concat!("The answer to a [`", stringify!($name), "`]: the new order and `", $key, "` for the front end. A success without it is outcome unknown.")]
        #[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
        #[serde(rename_all = "camelCase")]
        #[non_exhaustive]
        pub struct $answer {
            /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
            #[serde(flatten)]
            pub envelope: AnswerEnvelope,
            /// The order's echoed fields.
            #[serde(flatten)]
            pub order: OrderEcho,
            /// Every other field, as sent, including the pay request.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl $answer {
            #[doc = concat!("`", $key, "`, for the front end, as the channel shaped it.")]
            pub fn pay_request(&self) -> Option<&Value> {
                self.extra.get($key).filter(|v| match v {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty(),
                    Value::Object(o) => !o.is_empty(),
                    _ => true,
                })
            }
        }

        impl Reply for $answer {
            fn err_code(&self) -> Option<&str> {
                self.envelope.err_code()
            }

            fn err_message(&self) -> Option<&str> {
                self.envelope.message()
            }

            fn check(&self) -> Result<(), String> {
                match self.pay_request() {
                    Some(_) => Ok(()),
                    None => Err(concat!("no ", $key, " to hand to the payer").into()),
                }
            }
        }
    };
}

channel_mini_order!(
    /// An Alipay mini-program order (`/v1/netpay/trade/create`). The answer's `targetOrderId`
    /// is the Alipay trade number `my.tradePay` takes. (The platform's own documentation of
    /// this endpoint was not available: the field names follow the WeChat order, as clients
    /// in use do.)
    ///
    /// ```
    /// use chinaums::{AlipayMiniOrder, Fen, Merchant, OrderFields};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "MINIDEFAULT")?;
    /// let order = AlipayMiniOrder::new(
    ///     &merchant,
    ///     "3194202401011200000001".parse()?,
    ///     OrderFields::new(Fen(100)),
    ///     "2088102146225135", // the payer's Alipay user id
    /// );
    /// assert_eq!(order.trade_type, "MINI");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    AlipayMiniOrder,
    AlipayMiniOrderResponse,
    "/v1/netpay/trade/create",
    "targetOrderId",
    "MINIDEFAULT"
);

channel_mini_order!(
    /// A UnionPay (云闪付) mini-program order (`/v1/netpay/uac/mini-order`).
    ///
    /// ```
    /// use chinaums::{Fen, Merchant, OrderFields, UnionPayMiniOrder};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "MINIDEFAULT")?;
    /// let order = UnionPayMiniOrder::new(
    ///     &merchant,
    ///     "3194202401011200000001".parse()?,
    ///     OrderFields::new(Fen(100)),
    ///     "the-payers-unionpay-user-id",
    /// );
    /// assert_eq!(order.sub_open_id, "the-payers-unionpay-user-id");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    UnionPayMiniOrder,
    UnionPayMiniOrderResponse,
    "/v1/netpay/uac/mini-order",
    "miniPayRequest",
    "MINIDEFAULT"
);
