//! Taking payments: the fields every order creation shares, defined once ([`OrderFields`],
//! [`Goods`], [`RealName`], split payment), and one file per way to pay: mini-programs and
//! JSAPI (`mini.rs`), apps (`app.rs`), QR bills (`bills.rs`), H5 redirect URLs (`h5.rs`).

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Serialize, Serializer};
use time::PrimitiveDateTime;

use crate::error::InvalidField;
use crate::netpay::refund::check_sum;
use crate::netpay::split::SubOrder;
use crate::types::fen::Fen;
use crate::types::ids::{self, Mid, NotifyUrl, ReturnUrl};
use crate::types::status::wire_enum;
use crate::types::time::format_datetime;

pub(crate) mod app;
pub(crate) mod bills;
pub(crate) mod h5;
pub(crate) mod mini;

pub use app::*;
pub use bills::*;
pub use h5::*;
pub use mini::*;

/// The order fields every creation shares (after `merOrderId` and the merchant): the amount,
/// what is sold, where the platform reports back, and the options. Built with
/// [`OrderFields::new`] and its setters; checked before signing.
///
/// ```
/// use chinaums::{Fen, Goods, OrderFields};
///
/// let order = OrderFields::new(Fen(1200))
///     .order_desc("2 × 咖啡")
///     .notify_url("https://shop.example/ums/notify".parse()?)
///     .goods(vec![Goods::new("SKU-1", "咖啡", 2, Fen(600))]);
/// assert_eq!(order.total_amount, Fen(1200));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFields {
    /// `totalAmount`: what the payer pays; more than zero.
    pub total_amount: Fen,
    /// `orderDesc`: what the payer sees (WeChat allows 128 bytes of UTF-8; the others 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_desc: Option<String>,
    /// `notifyUrl`: where the platform POSTs the payment notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<NotifyUrl>,
    /// `returnUrl`: where the cashier sends the browser after paying (H5, official accounts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<ReturnUrl>,
    /// `expireTime` (Beijing wall-clock time): after it the order can no longer be paid. The
    /// platform's default is said to be about 30 minutes (not documented).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "beijing_datetime"
    )]
    pub expire_time: Option<PrimitiveDateTime>,
    /// `goods`: what is sold, line by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub goods: Vec<Goods>,
    /// `divisionFlag`: a split payment (set by [`OrderFields::split`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division_flag: Option<bool>,
    /// `platformAmount`: the platform's share of a split payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_amount: Option<Fen>,
    /// `subOrders`: each sub-merchant's share of a split payment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_orders: Vec<SubOrder>,
    /// `secureTransaction`: a guaranteed payment, held until completed or cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_transaction: Option<bool>,
    /// `limitCreditCard`: refuse credit cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_credit_card: Option<bool>,
    /// `attachedData`: the merchant's own data, returned in notifications; at most 255
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached_data: Option<String>,
    /// `clientIp`: the payer's IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<IpAddr>,
    /// Real-name check of the payer (Alipay and UnionPay only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub real_name: Option<RealName>,
}

fn beijing_datetime<S: Serializer>(
    at: &Option<PrimitiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&format_datetime(*at)),
        None => serializer.serialize_none(),
    }
}

impl OrderFields {
    /// An order of `total_amount`, with nothing else set.
    pub fn new(total_amount: Fen) -> Self {
        OrderFields {
            total_amount,
            order_desc: None,
            notify_url: None,
            return_url: None,
            expire_time: None,
            goods: Vec::new(),
            division_flag: None,
            platform_amount: None,
            sub_orders: Vec::new(),
            secure_transaction: None,
            limit_credit_card: None,
            attached_data: None,
            client_ip: None,
            real_name: None,
        }
    }

    /// Sets `orderDesc`.
    pub fn order_desc(mut self, desc: impl Into<String>) -> Self {
        self.order_desc = Some(desc.into());
        self
    }

    /// Sets `notifyUrl`.
    pub fn notify_url(mut self, url: NotifyUrl) -> Self {
        self.notify_url = Some(url);
        self
    }

    /// Sets `returnUrl`.
    pub fn return_url(mut self, url: ReturnUrl) -> Self {
        self.return_url = Some(url);
        self
    }

    /// Sets `expireTime` (Beijing wall-clock time).
    pub fn expire_time(mut self, at: PrimitiveDateTime) -> Self {
        self.expire_time = Some(at);
        self
    }

    /// Sets `goods`.
    pub fn goods(mut self, goods: Vec<Goods>) -> Self {
        self.goods = goods;
        self
    }

    /// Splits the payment: the platform's share and each sub-merchant's, which must add up to
    /// `totalAmount` (checked before signing). Not with a guaranteed payment.
    pub fn split(mut self, platform_amount: Fen, sub_orders: Vec<SubOrder>) -> Self {
        self.division_flag = Some(true);
        self.platform_amount = Some(platform_amount);
        self.sub_orders = sub_orders;
        self
    }

    /// Makes it a guaranteed payment (`secureTransaction`). Not with a split payment.
    pub fn guaranteed(mut self) -> Self {
        self.secure_transaction = Some(true);
        self
    }

    /// Refuses credit cards (`limitCreditCard`).
    pub fn no_credit_cards(mut self) -> Self {
        self.limit_credit_card = Some(true);
        self
    }

    /// Sets `attachedData`.
    pub fn attached_data(mut self, data: impl Into<String>) -> Self {
        self.attached_data = Some(data.into());
        self
    }

    /// Sets `clientIp`.
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// Asks the channel to check that the payer is this person (Alipay and UnionPay).
    pub fn real_name(mut self, real_name: RealName) -> Self {
        self.real_name = Some(real_name);
        self
    }

    /// The rules the types cannot carry; `max_desc_bytes` is the channel's limit on
    /// `orderDesc`.
    pub(crate) fn validate(&self, max_desc_bytes: usize) -> Result<(), InvalidField> {
        if self.total_amount == Fen::ZERO {
            return Err(InvalidField::new("totalAmount", "must be more than zero"));
        }
        if let Some(desc) = &self.order_desc {
            ids::text("orderDesc", desc, usize::MAX)?;
            if desc.len() > max_desc_bytes {
                return Err(InvalidField::new(
                    "orderDesc",
                    format!(
                        "must be at most {max_desc_bytes} bytes of UTF-8, got {}",
                        desc.len()
                    ),
                ));
            }
        }
        if let Some(data) = &self.attached_data {
            ids::text("attachedData", data, 255)?;
        }
        for goods in &self.goods {
            goods.validate()?;
        }
        if self.division_flag == Some(true) || !self.sub_orders.is_empty() {
            if self.secure_transaction == Some(true) {
                return Err(InvalidField::new(
                    "secureTransaction",
                    "a guaranteed payment cannot also be split",
                ));
            }
            if self.sub_orders.is_empty() {
                return Err(InvalidField::new(
                    "subOrders",
                    "a split payment must name at least one sub-order",
                ));
            }
            let shares = self.sub_orders.iter().map(|s| s.total_amount);
            let platform = self.platform_amount.unwrap_or(Fen::ZERO);
            check_sum(
                "subOrders",
                self.total_amount,
                "totalAmount with platformAmount",
                shares.chain([platform]),
            )?;
        }
        if let Some(real_name) = &self.real_name {
            real_name.validate()?;
        }
        Ok(())
    }
}

/// One line of what is sold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Goods {
    /// `goodsId`: the merchant's id of the item, at most 64 characters.
    pub goods_id: String,
    /// `goodsName`: at most 128 characters.
    pub goods_name: String,
    /// `quantity`: more than zero.
    pub quantity: u64,
    /// `price`: the price of one.
    pub price: Fen,
    /// `goodsCategory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_category: Option<String>,
    /// `body`: a longer description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `unit`: e.g. 件, 杯.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `discount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<Fen>,
    /// `subMerchantId`: for a split payment, the sub-merchant selling this item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_merchant_id: Option<Mid>,
}

impl Goods {
    /// `quantity` of item `goods_id` named `goods_name`, at `price` each.
    pub fn new(
        goods_id: impl Into<String>,
        goods_name: impl Into<String>,
        quantity: u64,
        price: Fen,
    ) -> Self {
        Goods {
            goods_id: goods_id.into(),
            goods_name: goods_name.into(),
            quantity,
            price,
            goods_category: None,
            body: None,
            unit: None,
            discount: None,
            sub_merchant_id: None,
        }
    }

    fn validate(&self) -> Result<(), InvalidField> {
        if self.goods_id.is_empty() {
            return Err(InvalidField::new("goods.goodsId", "must not be empty"));
        }
        ids::text("goods.goodsId", &self.goods_id, 64)?;
        ids::text("goods.goodsName", &self.goods_name, 128)?;
        if self.quantity == 0 {
            return Err(InvalidField::new(
                "goods.quantity",
                "must be more than zero",
            ));
        }
        for (field, text) in [
            ("goods.goodsCategory", &self.goods_category),
            ("goods.body", &self.body),
            ("goods.unit", &self.unit),
        ] {
            if let Some(text) = text {
                ids::text(field, text, 255)?;
            }
        }
        Ok(())
    }
}

wire_enum! {
    /// `certType`: the kind of identity document of a real-name check.
    CertType {
        /// `IDENTITY_CARD`: the resident identity card.
        IdentityCard = "IDENTITY_CARD" => "resident identity card",
        /// `PASSPORT`.
        Passport = "PASSPORT" => "passport",
        /// `OFFICER_CARD`.
        OfficerCard = "OFFICER_CARD" => "officer card",
        /// `SOLDIER_CARD`.
        SoldierCard = "SOLDIER_CARD" => "soldier card",
        /// `HOKOU` (Alipay only).
        Hokou = "HOKOU" => "household register",
        /// `HM_EXIT`: Hong Kong and Macao travel permit.
        HmExit = "HM_EXIT" => "Hong Kong and Macao permit",
        /// `TW_EXIT`: Taiwan travel permit.
        TwExit = "TW_EXIT" => "Taiwan permit",
        /// `POLICE_CERTIFICATE`.
        PoliceCertificate = "POLICE_CERTIFICATE" => "police certificate",
        /// `OTHER`: another document.
        OtherDocument = "OTHER" => "other document",
    }
}

/// The payer's identity for a real-name check (`fixBuyer=T`): sent Base64-encoded, as the
/// platform asks, and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RealName {
    /// `name`.
    pub name: String,
    /// `mobile`.
    pub mobile: Option<String>,
    /// `certType`.
    pub cert_type: CertType,
    /// `certNo`.
    pub cert_no: String,
}

impl RealName {
    /// The payer `name` with document `cert_type` number `cert_no`.
    pub fn new(name: impl Into<String>, cert_type: CertType, cert_no: impl Into<String>) -> Self {
        RealName {
            name: name.into(),
            mobile: None,
            cert_type,
            cert_no: cert_no.into(),
        }
    }

    /// Adds the payer's mobile number.
    pub fn mobile(mut self, mobile: impl Into<String>) -> Self {
        self.mobile = Some(mobile.into());
        self
    }

    fn validate(&self) -> Result<(), InvalidField> {
        for (field, value) in [("name", &self.name), ("certNo", &self.cert_no)] {
            if value.is_empty() {
                return Err(InvalidField::new(field, "must not be empty"));
            }
            ids::text(field, value, 64)?;
        }
        if let Some(mobile) = &self.mobile {
            ids::text("mobile", mobile, 32)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for RealName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealName")
            .field("cert_type", &self.cert_type)
            .finish_non_exhaustive()
    }
}

impl Serialize for RealName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &BASE64.encode(&self.name))?;
        if let Some(mobile) = &self.mobile {
            map.serialize_entry("mobile", &BASE64.encode(mobile))?;
        }
        map.serialize_entry("certType", &self.cert_type)?;
        map.serialize_entry("certNo", &BASE64.encode(&self.cert_no))?;
        map.serialize_entry("fixBuyer", "T")?;
        map.end()
    }
}
