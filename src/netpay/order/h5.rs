//! H5 payments: not POSTs but signed GET URLs (OPEN-FORM-PARAM) that the payer's browser opens;
//! the platform answers with a `302` to its cashier. Build them with
//! [`Client::redirect_url`](crate::Client::redirect_url); no adapter is involved.
//!
//! `GET /v1/netpay/trade/h5-pay` (Alipay), `/v1/netpay/wxpay/h5-pay` (WeChat outside WeChat:
//! needs `sceneType`, `merAppName`, `merAppId`), `/v1/netpay/uac/order` (UnionPay),
//! `/v1/netpay/wxpay/h5-to-minipay` (from a page into a WeChat mini-program), all under
//! `instMid` `H5DEFAULT`, and `/v1/netpay/webpay/pay` (the official-account cashier,
//! `YUEDANDEFAULT`).

use serde::Serialize;
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::order::OrderFields;
use crate::operation::Redirect;
use crate::types::ids::{self, MerOrderId, Merchant};
use crate::types::status::wire_enum;

/// Declares an H5 redirect: `merOrderId`, the merchant, the shared order fields.
macro_rules! h5_redirect {
    ($(#[$doc:meta])* $name:ident, $path:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// `merOrderId`: the new order's number.
            pub mer_order_id: MerOrderId,
            /// `mid`, `tid`, `instMid`.
            #[serde(flatten)]
            pub merchant: Merchant,
            /// The shared order fields (`returnUrl` is where the cashier sends the browser).
            #[serde(flatten)]
            pub order: OrderFields,
            /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
            #[serde(skip)]
            pub request_timestamp: Option<PrimitiveDateTime>,
        }

        impl $name {
            /// A payment of `order` as order `mer_order_id`.
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

        impl Redirect for $name {
            const PATH: &'static str = $path;

            fn validate(&self) -> Result<(), InvalidField> {
                self.order.validate(256)
            }

            fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
                self.request_timestamp
            }
        }
    };
}

h5_redirect!(
    /// An Alipay H5 payment.
    ///
    /// ```
    /// use chinaums::{AlipayH5Pay, Client, Credentials, Environment, Fen, Merchant, OrderFields};
    ///
    /// let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
    /// let merchant = Merchant::new("898201612345678", "88880001", "H5DEFAULT")?;
    /// let pay = AlipayH5Pay::new(
    ///     &merchant,
    ///     "3194202401011200000001".parse()?,
    ///     OrderFields::new(Fen(100)).return_url("https://shop.example/paid".parse()?),
    /// );
    /// let url = client.redirect_url(&pay)?; // send the payer's browser there
    /// assert_eq!(url.path(), "/v1/netpay/trade/h5-pay");
    /// assert!(url.query().unwrap().starts_with("authorization=OPEN-FORM-PARAM&appId=my-app-id&"));
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    AlipayH5Pay,
    "/v1/netpay/trade/h5-pay"
);

h5_redirect!(
    /// A UnionPay (云闪付) H5 payment.
    ///
    /// ```
    /// use chinaums::{Fen, Merchant, OrderFields, UnionPayH5Pay};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "H5DEFAULT")?;
    /// let pay = UnionPayH5Pay::new(&merchant, "3194202401011200000001".parse()?, OrderFields::new(Fen(100)));
    /// assert_eq!(pay.order.total_amount, Fen(100));
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    UnionPayH5Pay,
    "/v1/netpay/uac/order"
);

h5_redirect!(
    /// From a web page into a WeChat mini-program to pay.
    ///
    /// ```
    /// use chinaums::{Fen, Merchant, OrderFields, WxH5ToMiniPay};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "H5DEFAULT")?;
    /// let pay = WxH5ToMiniPay::new(&merchant, "3194202401011200000001".parse()?, OrderFields::new(Fen(100)));
    /// assert_eq!(pay.merchant.inst_mid, "H5DEFAULT");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    WxH5ToMiniPay,
    "/v1/netpay/wxpay/h5-to-minipay"
);

h5_redirect!(
    /// The official-account cashier (`instMid` `YUEDANDEFAULT`): a page inside WeChat.
    ///
    /// ```
    /// use chinaums::{Fen, Merchant, OrderFields, WebPay};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
    /// let pay = WebPay::new(&merchant, "3194202401011200000001".parse()?, OrderFields::new(Fen(100)));
    /// assert_eq!(pay.mer_order_id, "3194202401011200000001");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    WebPay,
    "/v1/netpay/webpay/pay"
);

wire_enum! {
    /// `sceneType`: where a WeChat H5 payment starts.
    SceneType {
        /// `IOS_SDK`: an iOS app.
        IosSdk = "IOS_SDK" => "iOS app",
        /// `AND_SDK`: an Android app.
        AndSdk = "AND_SDK" => "Android app",
        /// `IOS_WAP`: a mobile site on iOS.
        IosWap = "IOS_WAP" => "iOS mobile site",
        /// `AND_WAP`: a mobile site on Android.
        AndWap = "AND_WAP" => "Android mobile site",
    }
}

/// A WeChat H5 payment (outside WeChat). WeChat requires where it starts (`sceneType`) and the
/// app or site's name and id (`merAppName`, `merAppId`).
///
/// ```
/// use chinaums::{Fen, Merchant, OrderFields, SceneType, WxH5Pay};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "H5DEFAULT")?;
/// let pay = WxH5Pay::new(
///     &merchant,
///     "3194202401011200000001".parse()?,
///     OrderFields::new(Fen(100)),
///     SceneType::IosWap,
///     "咖啡商城",
///     "https://shop.example",
/// );
/// assert_eq!(pay.scene_type, SceneType::IosWap);
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxH5Pay {
    /// `merOrderId`: the new order's number.
    pub mer_order_id: MerOrderId,
    /// `mid`, `tid`, `instMid` (`H5DEFAULT`).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// The shared order fields.
    #[serde(flatten)]
    pub order: OrderFields,
    /// `sceneType`.
    pub scene_type: SceneType,
    /// `merAppName`: the app's or site's name.
    pub mer_app_name: String,
    /// `merAppId`: the app's bundle id or package name, or the site's URL.
    pub mer_app_id: String,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl WxH5Pay {
    /// A WeChat H5 payment of `order`, started from `scene_type` in app or site `mer_app_name`
    /// (`mer_app_id`).
    pub fn new(
        merchant: &Merchant,
        mer_order_id: MerOrderId,
        order: OrderFields,
        scene_type: SceneType,
        mer_app_name: impl Into<String>,
        mer_app_id: impl Into<String>,
    ) -> Self {
        WxH5Pay {
            mer_order_id,
            merchant: merchant.clone(),
            order,
            scene_type,
            mer_app_name: mer_app_name.into(),
            mer_app_id: mer_app_id.into(),
            request_timestamp: None,
        }
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Redirect for WxH5Pay {
    const PATH: &'static str = "/v1/netpay/wxpay/h5-pay";

    fn validate(&self) -> Result<(), InvalidField> {
        self.order.validate(128)?;
        if let SceneType::Other(other) = &self.scene_type {
            return Err(InvalidField::new(
                "sceneType",
                format!("must be IOS_SDK, AND_SDK, IOS_WAP or AND_WAP, got {other:?}"),
            ));
        }
        for (field, value) in [
            ("merAppName", &self.mer_app_name),
            ("merAppId", &self.mer_app_id),
        ] {
            if value.is_empty() {
                return Err(InvalidField::new(
                    field,
                    "must not be empty (WeChat requires it)",
                ));
            }
            ids::text(field, value, 128)?;
        }
        Ok(())
    }

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }
}
