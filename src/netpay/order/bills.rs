//! QR bills (`instMid` `QRPAYDEFAULT`): the merchant shows a QR code, the customer scans it with
//! any wallet and pays the bill behind it (C扫B).
//!
//! A bill is named by the merchant's `billNo` and its `billDate`; its code by the platform's
//! `qrCodeId`. `POST /v1/netpay/bills/get-qrcode` makes a code for a bill (or binds the bill to a
//! fixed code), `update-qrcode` changes the bill, `close-qrcode` retires a code, `query` tells
//! where the bill stands ([`BillState`]), `refund` gives money back, `query-qrcode-info` reads a
//! code.
//!
//! Outcome unknown: the core's follow-ups ([`FollowUp`]) name an order (`merOrderId`), which a
//! bill has only once it is paid, so these operations carry none. After a timeout, ask
//! [`BillsQuery`] (each changing operation's `query()` builds it), or send a [`BillsRefund`]
//! again with the same `refundOrderId`.

use std::marker::PhantomData;
use std::net::IpAddr;

use serde::de::{self, DeserializeOwned, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::macros::format_description;
use time::{Date, PrimitiveDateTime};

use crate::error::InvalidField;
use crate::netpay::FollowUp;
use crate::netpay::common::AnswerEnvelope;
use crate::netpay::order::{Goods, beijing_datetime};
use crate::netpay::refund::{RefundState, RefundStatus, RefundSubOrder, check_sum};
use crate::netpay::split::SubOrder;
use crate::operation::{Operation, Reply};
use crate::types::fen::{self, Fen};
use crate::types::ids::{self, BillNo, Merchant, NotifyUrl, QrCodeId, RefundOrderId, ReturnUrl};
use crate::types::status::{PaymentState, TradeStatus, wire_enum};
use crate::types::time::{PlatformDate, PlatformTime, non_empty};

/// Reads a nested object that the platform sends either as a JSON object or as a string holding
/// its JSON (`billPayment` comes both ways). `null`, a missing key and a blank string are `None`;
/// a string that is not such JSON is refused.
pub(crate) fn object_or_json_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    struct ObjectOrString<T>(PhantomData<T>);

    impl<'de, T: DeserializeOwned> Visitor<'de> for ObjectOrString<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object, or a string holding one")
        }

        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            serde_json::from_str(s)
                .map(Some)
                .map_err(|e| E::custom(format_args!("in the JSON string: {e}")))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    d.deserialize_any(ObjectOrString(PhantomData))
}

/// `billDate` on the wire: `yyyy-MM-dd`.
fn bill_date<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    let text = date
        .format(format_description!("[year]-[month]-[day]"))
        .map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

/// Checks that a `billDate` writes as `yyyy-MM-dd` (four-digit year).
fn check_bill_date(date: Date) -> Result<(), InvalidField> {
    if (0..=9999).contains(&date.year()) {
        Ok(())
    } else {
        Err(InvalidField::new(
            "billDate",
            format!("must be in the years 0000 to 9999, got {}", date.year()),
        ))
    }
}

/// A bill: what the customer pays when scanning its code. Shared by [`BillsGetQrCode`] and
/// [`BillsUpdateQrCode`]; built with [`BillFields::new`] and its setters, checked before signing.
///
/// `billNo` and `billDate` are always sent, also when binding the bill to a fixed code
/// (`qrCodeId`): they are what [`BillsQuery`] and [`BillsRefund`] name the bill by.
///
/// ```
/// use chinaums::{BillFields, Fen, Goods};
///
/// let bill = BillFields::new(
///     "31942024010112000000000042".parse()?,
///     chinaums::time::macros::date!(2024-01-01),
///     Fen(3600),
/// )
/// .bill_desc("3 号桌")
/// .goods(vec![Goods::new("SKU-7", "套餐", 2, Fen(1800))]);
/// assert_eq!(bill.total_amount, Fen(3600));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillFields {
    /// `billNo`: the merchant's number for the bill, starting with its `msgSrcId`.
    pub bill_no: BillNo,
    /// `billDate`: the bill's date, sent `yyyy-MM-dd`.
    #[serde(serialize_with = "bill_date")]
    pub bill_date: Date,
    /// `totalAmount`: what the customer pays; more than zero.
    pub total_amount: Fen,
    /// `billDesc`: what the customer sees. The platform gives no length: at most 255
    /// characters are allowed here, its usual free-text limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_desc: Option<String>,
    /// `expireTime` (Beijing wall-clock time): after it the code can no longer be paid. Said to
    /// default to about 30 minutes for a one-time code, and no expiry for a fixed one (not
    /// documented).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "beijing_datetime"
    )]
    pub expire_time: Option<PrimitiveDateTime>,
    /// `notifyUrl`: where the platform POSTs the payment notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<NotifyUrl>,
    /// `returnUrl`: where the wallet's page sends the customer after paying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<ReturnUrl>,
    /// `goods`: what is sold, line by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub goods: Vec<Goods>,
    /// `divisionFlag`: a split payment (set by [`BillFields::split`]).
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
    /// `qrCodeId`: a fixed code (printed at the counter) to bind this bill to; without it the
    /// platform makes a new code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code_id: Option<QrCodeId>,
    /// `clientIp`: the IP address of the device that shows the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<IpAddr>,
    /// `attachedData`: the merchant's own data, returned in notifications; at most 255
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached_data: Option<String>,
}

impl BillFields {
    /// Bill `bill_no` of `bill_date`, for `total_amount`, with nothing else set.
    pub fn new(bill_no: BillNo, bill_date: Date, total_amount: Fen) -> Self {
        BillFields {
            bill_no,
            bill_date,
            total_amount,
            bill_desc: None,
            expire_time: None,
            notify_url: None,
            return_url: None,
            goods: Vec::new(),
            division_flag: None,
            platform_amount: None,
            sub_orders: Vec::new(),
            secure_transaction: None,
            limit_credit_card: None,
            qr_code_id: None,
            client_ip: None,
            attached_data: None,
        }
    }

    /// Sets `billDesc`.
    pub fn bill_desc(mut self, desc: impl Into<String>) -> Self {
        self.bill_desc = Some(desc.into());
        self
    }

    /// Sets `expireTime` (Beijing wall-clock time).
    pub fn expire_time(mut self, at: PrimitiveDateTime) -> Self {
        self.expire_time = Some(at);
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

    /// Binds the bill to the fixed code `qr_code_id`.
    pub fn qr_code_id(mut self, qr_code_id: QrCodeId) -> Self {
        self.qr_code_id = Some(qr_code_id);
        self
    }

    /// Sets `clientIp`.
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// Sets `attachedData`.
    pub fn attached_data(mut self, data: impl Into<String>) -> Self {
        self.attached_data = Some(data.into());
        self
    }

    fn validate(&self) -> Result<(), InvalidField> {
        check_bill_date(self.bill_date)?;
        if self.total_amount == Fen::ZERO {
            return Err(InvalidField::new("totalAmount", "must be more than zero"));
        }
        if let Some(desc) = &self.bill_desc {
            ids::text("billDesc", desc, 255)?;
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
        Ok(())
    }
}

/// Declares an operation that sends a whole bill ([`BillFields`]) and answers with its code.
macro_rules! bill_operation {
    ($(#[$doc:meta])* $name:ident, $answer:ident, $path:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// `mid`, `tid`, `instMid` (`QRPAYDEFAULT`).
            #[serde(flatten)]
            pub merchant: Merchant,
            /// The bill.
            #[serde(flatten)]
            pub bill: BillFields,
            /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
            #[serde(skip)]
            pub request_timestamp: Option<PrimitiveDateTime>,
        }

        impl $name {
            #[doc = concat!($what, " `bill`.")]
            pub fn new(merchant: &Merchant, bill: BillFields) -> Self {
                $name {
                    merchant: merchant.clone(),
                    bill,
                    request_timestamp: None,
                }
            }

            /// Sets `requestTimestamp` (Beijing wall-clock time).
            pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
                self.request_timestamp = Some(at);
                self
            }

            /// The bill query that tells what became of the bill (after an unknown outcome).
            pub fn query(&self) -> BillsQuery {
                BillsQuery::new(
                    &self.merchant,
                    self.bill.bill_no.clone(),
                    self.bill.bill_date,
                )
            }
        }

        impl Operation for $name {
            const PATH: &'static str = $path;
            type Response = $answer;

            fn validate(&self) -> Result<(), InvalidField> {
                self.bill.validate()
            }

            fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
                self.request_timestamp
            }

            /// None: the core's follow-ups name an order, which a bill has only once paid;
            /// ask [`Self::query`] instead.
            fn follow_up(&self) -> Option<FollowUp> {
                None
            }
        }
    };
}

bill_operation!(
    /// Makes the QR code of a bill (`/v1/netpay/bills/get-qrcode`), or binds the bill to a fixed
    /// code ([`BillFields::qr_code_id`]). The answer's `billQRCode` is the URL to show as a QR
    /// code; a success without it is outcome unknown.
    ///
    /// ```
    /// use chinaums::{BillFields, BillsGetQrCode, Fen, Merchant};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT")?;
    /// let bill = BillFields::new(
    ///     "31942024010112000000000042".parse()?,
    ///     chinaums::time::macros::date!(2024-01-01),
    ///     Fen(3600),
    /// )
    /// .notify_url("https://shop.example/ums/notify".parse()?);
    /// let get = BillsGetQrCode::new(&merchant, bill);
    /// assert_eq!(get.query().bill_no, "31942024010112000000000042");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    BillsGetQrCode,
    BillsGetQrCodeResponse,
    "/v1/netpay/bills/get-qrcode",
    "The QR code of"
);

bill_operation!(
    /// Changes a bill not paid yet (`/v1/netpay/bills/update-qrcode`): its amount, description,
    /// goods, expiry. The bill is named by `billNo` and `billDate`; its code stays the same.
    ///
    /// ```
    /// use chinaums::{BillFields, BillsUpdateQrCode, Fen, Merchant};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT")?;
    /// let bill = BillFields::new(
    ///     "31942024010112000000000042".parse()?,
    ///     chinaums::time::macros::date!(2024-01-01),
    ///     Fen(4200),
    /// );
    /// let update = BillsUpdateQrCode::new(&merchant, bill);
    /// assert_eq!(update.bill.total_amount, Fen(4200));
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    BillsUpdateQrCode,
    BillQrCodeResponse,
    "/v1/netpay/bills/update-qrcode",
    "Changes the bill to"
);

/// Declares an operation that names one QR code (`qrCodeId`).
macro_rules! qr_code_operation {
    ($(#[$doc:meta])* $name:ident, $path:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// `mid`, `tid`, `instMid` (`QRPAYDEFAULT`).
            #[serde(flatten)]
            pub merchant: Merchant,
            /// `qrCodeId`: the code.
            pub qr_code_id: QrCodeId,
            /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
            #[serde(skip)]
            pub request_timestamp: Option<PrimitiveDateTime>,
        }

        impl $name {
            #[doc = concat!($what, " `qr_code_id`.")]
            pub fn new(merchant: &Merchant, qr_code_id: QrCodeId) -> Self {
                $name {
                    merchant: merchant.clone(),
                    qr_code_id,
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
            type Response = BillQrCodeResponse;

            fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
                self.request_timestamp
            }
        }
    };
}

qr_code_operation!(
    /// Retires a QR code (`/v1/netpay/bills/close-qrcode`), so that it can no longer be paid.
    /// Closing a code again does no harm, so it is safe to repeat after an unknown outcome.
    ///
    /// ```
    /// use chinaums::{BillsCloseQrCode, Merchant};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT")?;
    /// let close = BillsCloseQrCode::new(&merchant, "31942024010112000000000000123".parse()?);
    /// assert_eq!(close.qr_code_id, "31942024010112000000000000123");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    BillsCloseQrCode,
    "/v1/netpay/bills/close-qrcode",
    "Closes code"
);

qr_code_operation!(
    /// Reads a QR code (`/v1/netpay/bills/query-qrcode-info`): the bill bound to it, its amount
    /// and description. The platform names no business type for it: send the merchant's
    /// `QRPAYDEFAULT`, like the other bill operations.
    ///
    /// ```
    /// use chinaums::{BillsQueryQrCodeInfo, Merchant};
    ///
    /// let merchant = Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT")?;
    /// let info = BillsQueryQrCodeInfo::new(&merchant, "31942024010112000000000000123".parse()?);
    /// assert_eq!(info.merchant.inst_mid, "QRPAYDEFAULT");
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    BillsQueryQrCodeInfo,
    "/v1/netpay/bills/query-qrcode-info",
    "Reads code"
);

/// Asks where a bill stands (`/v1/netpay/bills/query`): decide on
/// [`BillsQueryResponse::state`]. With a `refundOrderId`, the answer also describes that refund
/// (`refundBillPayment`).
///
/// ```
/// use chinaums::{BillsQuery, Merchant};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT")?;
/// let query = BillsQuery::new(
///     &merchant,
///     "31942024010112000000000042".parse()?,
///     chinaums::time::macros::date!(2024-01-01),
/// )
/// .refund_order_id("31942024010112000300000001".parse()?);
/// assert!(query.refund_order_id.is_some());
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillsQuery {
    /// `mid`, `tid`, `instMid` (`QRPAYDEFAULT`).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `billNo`: the bill.
    pub bill_no: BillNo,
    /// `billDate`: the bill's date, sent `yyyy-MM-dd`.
    #[serde(serialize_with = "bill_date")]
    pub bill_date: Date,
    /// `refundOrderId`: a refund of the bill to describe too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_order_id: Option<RefundOrderId>,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl BillsQuery {
    /// A query for bill `bill_no` of `bill_date`.
    pub fn new(merchant: &Merchant, bill_no: BillNo, bill_date: Date) -> Self {
        BillsQuery {
            merchant: merchant.clone(),
            bill_no,
            bill_date,
            refund_order_id: None,
            request_timestamp: None,
        }
    }

    /// Asks about refund `refund_order_id` of the bill too.
    pub fn refund_order_id(mut self, refund_order_id: RefundOrderId) -> Self {
        self.refund_order_id = Some(refund_order_id);
        self
    }

    /// Sets `requestTimestamp` (Beijing wall-clock time).
    pub fn request_timestamp(mut self, at: PrimitiveDateTime) -> Self {
        self.request_timestamp = Some(at);
        self
    }
}

impl Operation for BillsQuery {
    const PATH: &'static str = "/v1/netpay/bills/query";
    type Response = BillsQueryResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        check_bill_date(self.bill_date)
    }

    fn request_timestamp(&self) -> Option<PrimitiveDateTime> {
        self.request_timestamp
    }
}

/// Refunds `refund_amount` of a paid bill (`/v1/netpay/bills/refund`).
///
/// **`refund_order_id` is required, and is what makes the refund safe to retry**, as for
/// [`Refund`](crate::Refund): the same `refundOrderId` again returns the existing refund instead
/// of refunding twice. Use a new one for every partial refund. After an unknown outcome (no
/// [`FollowUp`] is attached, see the module), send the same `BillsRefund` again, or ask
/// [`BillsRefund::query`].
///
/// Decide on [`BillsRefundResponse::state`].
///
/// ```
/// use chinaums::{BillsRefund, Fen, Merchant};
///
/// let merchant = Merchant::new("898201612345678", "88880001", "QRPAYDEFAULT")?;
/// let refund = BillsRefund::new(
///     &merchant,
///     "31942024010112000000000042".parse()?,
///     chinaums::time::macros::date!(2024-01-01),
///     "31942024010112000300000001".parse()?,
///     Fen(1800),
/// )
/// .refund_desc("少上一道菜");
/// assert_eq!(refund.query().refund_order_id, Some(refund.refund_order_id.clone()));
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillsRefund {
    /// `mid`, `tid`, `instMid` (`QRPAYDEFAULT`).
    #[serde(flatten)]
    pub merchant: Merchant,
    /// `billNo`: the bill to refund.
    pub bill_no: BillNo,
    /// `billDate`: the bill's date, sent `yyyy-MM-dd`.
    #[serde(serialize_with = "bill_date")]
    pub bill_date: Date,
    /// `refundOrderId`: this refund's own id; the same one again returns the same refund.
    pub refund_order_id: RefundOrderId,
    /// `refundAmount`: how much to give back; more than zero.
    pub refund_amount: Fen,
    /// `refundDesc`: why, at most 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_desc: Option<String>,
    /// `platformAmount`: for a split bill, the platform's share of this refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_amount: Option<Fen>,
    /// `subOrders`: for a split bill, each sub-merchant's share of this refund. With
    /// `platformAmount`, they must add up to `refundAmount`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_orders: Vec<RefundSubOrder>,
    /// `requestTimestamp` as Beijing wall-clock time; the client's clock when `None`.
    #[serde(skip)]
    pub request_timestamp: Option<PrimitiveDateTime>,
}

impl BillsRefund {
    /// Refunds `refund_amount` of bill `bill_no` of `bill_date`, as refund `refund_order_id`.
    pub fn new(
        merchant: &Merchant,
        bill_no: BillNo,
        bill_date: Date,
        refund_order_id: RefundOrderId,
        refund_amount: Fen,
    ) -> Self {
        BillsRefund {
            merchant: merchant.clone(),
            bill_no,
            bill_date,
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

    /// The bill query that describes this refund (`refundOrderId` set).
    pub fn query(&self) -> BillsQuery {
        BillsQuery::new(&self.merchant, self.bill_no.clone(), self.bill_date)
            .refund_order_id(self.refund_order_id.clone())
    }
}

impl Operation for BillsRefund {
    const PATH: &'static str = "/v1/netpay/bills/refund";
    type Response = BillsRefundResponse;

    fn validate(&self) -> Result<(), InvalidField> {
        check_bill_date(self.bill_date)?;
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

    /// None: the core's follow-ups name an order, which the bill refund does not know; send the
    /// same refund again, or ask [`BillsRefund::query`].
    fn follow_up(&self) -> Option<FollowUp> {
        None
    }
}

wire_enum! {
    /// `billStatus`: where a bill stands. Values this SDK does not know are kept in
    /// [`BillStatus::Other`] and read as in progress, never as paid. (Order statuses such as
    /// `TRADE_SUCCESS` are sometimes described for this field; they too are kept and read as in
    /// progress: decide on the documented values only.)
    BillStatus {
        /// `PAID`: paid.
        Paid = "PAID" => "paid",
        /// `REFUND`: paid, then (partly or fully) refunded.
        Refund = "REFUND" => "paid, then refunded",
        /// `CLOSED`: closed; it can no longer be paid.
        Closed = "CLOSED" => "closed",
        /// `UNPAID`: waiting for the customer.
        Unpaid = "UNPAID" => "not paid yet",
        /// `UNKNOWN`: the platform does not know yet; ask again.
        Unknown = "UNKNOWN" => "unknown to the platform: ask again",
    }
}

impl BillStatus {
    /// What this status means for the merchant.
    pub fn state(&self) -> BillState {
        match self {
            BillStatus::Paid => BillState::Paid,
            BillStatus::Refund => BillState::Refunded,
            BillStatus::Closed => BillState::Closed,
            BillStatus::Unpaid | BillStatus::Unknown | BillStatus::Other(_) => {
                BillState::InProgress
            }
        }
    }
}

/// The merchant's question "is the bill paid?", answered from a [`BillStatus`]. Only
/// [`BillState::Paid`] means the money arrived and stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillState {
    /// `PAID`: paid.
    Paid,
    /// `REFUND`: was paid, then refunded in part or in full.
    Refunded,
    /// `CLOSED`: closed without (further) payment.
    Closed,
    /// `UNPAID`, `UNKNOWN`, a status this SDK does not know, or none: not paid (yet); ask again
    /// later.
    InProgress,
}

impl BillState {
    /// The state a `billStatus` (or its absence) means.
    pub fn of(status: Option<&BillStatus>) -> BillState {
        status.map_or(BillState::InProgress, BillStatus::state)
    }

    /// A short English description, e.g. "paid".
    pub fn describe(self) -> &'static str {
        match self {
            BillState::Paid => "paid",
            BillState::Refunded => "paid, then refunded",
            BillState::Closed => "closed",
            BillState::InProgress => "in progress: not paid (yet), ask again",
        }
    }
}

/// The bill fields that bill answers echo, flattened into each of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillEcho {
    /// `mid`, echoed.
    pub mid: Option<String>,
    /// `tid`, echoed.
    pub tid: Option<String>,
    /// `instMid`, echoed.
    pub inst_mid: Option<String>,
    /// `billNo`, echoed.
    pub bill_no: Option<String>,
    /// `billDate` (`yyyy-MM-dd`).
    #[serde(default, deserialize_with = "non_empty")]
    pub bill_date: Option<PlatformDate>,
    /// `billQRCode`: the URL to show as a QR code.
    #[serde(
        default,
        rename = "billQRCode",
        alias = "billQrCode",
        deserialize_with = "non_empty"
    )]
    pub bill_qr_code: Option<String>,
    /// `qrCodeId`: the platform's id of the code.
    pub qr_code_id: Option<String>,
    /// `billStatus`: see [`BillStatus::state`].
    #[serde(default, deserialize_with = "non_empty")]
    pub bill_status: Option<BillStatus>,
    /// `billDesc`.
    pub bill_desc: Option<String>,
    /// `totalAmount`: the bill's amount.
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `merName`: the merchant's name.
    pub mer_name: Option<String>,
}

/// The answer to a [`BillsGetQrCode`]: the code to show.
///
/// A success without a `billQRCode` is not a success: it becomes an error whose outcome is
/// unknown (the bill may exist): ask [`BillsGetQrCode::query`] before making it again.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillsGetQrCodeResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The bill's fields (`billQRCode`, `qrCodeId`, `billNo`, `billDate`, …).
    #[serde(flatten)]
    pub bill: BillEcho,
    /// Every other field, as sent (e.g. `systemId`, `msgId`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BillsGetQrCodeResponse {
    /// `billQRCode`: the URL to show as a QR code.
    pub fn qr_code(&self) -> Option<&str> {
        self.bill.bill_qr_code.as_deref()
    }
}

impl Reply for BillsGetQrCodeResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }

    fn check(&self) -> Result<(), String> {
        match self.qr_code() {
            Some(_) => Ok(()),
            None => Err("no billQRCode to show".into()),
        }
    }
}

/// The answer to [`BillsUpdateQrCode`], [`BillsCloseQrCode`] and [`BillsQueryQrCodeInfo`]: the
/// bill and code fields echoed, the rest as sent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillQrCodeResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The bill's fields (`qrCodeId`, `billQRCode`, `billNo`, `billStatus`, …).
    #[serde(flatten)]
    pub bill: BillEcho,
    /// Every other field, as sent (e.g. `expireTime`, `goods`, `notifyUrl`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reply for BillQrCodeResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}

/// The payment of a bill (`billPayment`), or of one of its refunds (`refundBillPayment`):
/// amounts in fen, every field the platform adds kept in `extra`. Read from a JSON object or a
/// string holding one: the platform sends both.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillPayment {
    /// `merOrderId`: the platform's order for this payment (for a refund, the refund's id).
    pub mer_order_id: Option<String>,
    /// `status`: the payment's order status.
    #[serde(default, deserialize_with = "non_empty")]
    pub status: Option<TradeStatus>,
    /// `payTime`.
    #[serde(default, deserialize_with = "non_empty")]
    pub pay_time: Option<PlatformTime>,
    /// `paySeqId`: the platform's reference number.
    pub pay_seq_id: Option<String>,
    /// `totalAmount`: the payment's amount (after any discount).
    #[serde(default, with = "fen::optional")]
    pub total_amount: Option<Fen>,
    /// `buyerPayAmount`: what the customer paid.
    #[serde(default, with = "fen::optional")]
    pub buyer_pay_amount: Option<Fen>,
    /// `buyerCashPayAmt`: what the customer paid in cash (not coupons).
    #[serde(default, with = "fen::optional")]
    pub buyer_cash_pay_amt: Option<Fen>,
    /// `invoiceAmount`: the amount to invoice.
    #[serde(default, with = "fen::optional")]
    pub invoice_amount: Option<Fen>,
    /// `receiptAmount`: what the merchant receives.
    #[serde(default, with = "fen::optional")]
    pub receipt_amount: Option<Fen>,
    /// `couponAmount`: paid with coupons.
    #[serde(default, with = "fen::optional")]
    pub coupon_amount: Option<Fen>,
    /// `settleDate` (`yyyy-MM-dd`).
    #[serde(default, deserialize_with = "non_empty")]
    pub settle_date: Option<PlatformDate>,
    /// `buyerId`: the customer's id in the channel.
    pub buyer_id: Option<String>,
    /// `billBizType`.
    pub bill_biz_type: Option<String>,
    /// `targetOrderId`: the channel's number for the payment.
    pub target_order_id: Option<String>,
    /// `targetSys`: the channel, e.g. `WXPay`.
    pub target_sys: Option<String>,
    /// `connectSys`.
    pub connect_sys: Option<String>,
    /// Every other field, as sent (e.g. `payDetail`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BillPayment {
    /// The payment's own state ([`PaymentState::Unknown`] without a status).
    pub fn state(&self) -> PaymentState {
        self.status
            .as_ref()
            .map_or(PaymentState::Unknown, TradeStatus::state)
    }
}

/// The answer to a [`BillsQuery`]. Decide on [`BillsQueryResponse::state`], never on
/// `errCode`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillsQueryResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The bill's fields (`billStatus`, `billNo`, `billDate`, `billQRCode`, `totalAmount`, …).
    #[serde(flatten)]
    pub bill: BillEcho,
    /// `createTime`: when the bill was made.
    #[serde(default, deserialize_with = "non_empty")]
    pub create_time: Option<PlatformTime>,
    /// `billPayment`: the payment, once there is one.
    #[serde(default, deserialize_with = "object_or_json_string")]
    pub bill_payment: Option<BillPayment>,
    /// `refundBillPayment`: the refund asked about with `refundOrderId`, once it was carried
    /// out. Its fields are not documented: they are read as a payment's.
    #[serde(default, deserialize_with = "object_or_json_string")]
    pub refund_bill_payment: Option<BillPayment>,
    /// Every other field, as sent (e.g. `cardAttr`, `secureStatus`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BillsQueryResponse {
    /// Is the bill paid? Only [`BillState::Paid`] says so; anything unknown is in progress.
    pub fn state(&self) -> BillState {
        BillState::of(self.bill.bill_status.as_ref())
    }

    /// Whether the bill is paid (and not refunded).
    pub fn is_paid(&self) -> bool {
        self.state() == BillState::Paid
    }
}

impl Reply for BillsQueryResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}

/// The answer to a [`BillsRefund`]. Decide on [`BillsRefundResponse::state`], never on
/// `errCode`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillsRefundResponse {
    /// `errCode`, `errMsg`/`errInfo`, `responseTimestamp`.
    #[serde(flatten)]
    pub envelope: AnswerEnvelope,
    /// The bill's fields (`billStatus`, `billNo`, `billDate`, …).
    #[serde(flatten)]
    pub bill: BillEcho,
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
    /// `refundInvoiceAmount`.
    #[serde(default, with = "fen::optional")]
    pub refund_invoice_amount: Option<Fen>,
    /// `refundPayTime`.
    #[serde(default, deserialize_with = "non_empty")]
    pub refund_pay_time: Option<PlatformTime>,
    /// `merOrderId`: the platform's order of the bill's payment.
    pub mer_order_id: Option<String>,
    /// `targetSys`: the channel, e.g. `WXPay`.
    pub target_sys: Option<String>,
    /// `settleDate` (`yyyy-MM-dd`).
    #[serde(default, deserialize_with = "non_empty")]
    pub settle_date: Option<PlatformDate>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BillsRefundResponse {
    /// Was it refunded? Only [`RefundState::Refunded`] means the money went back.
    pub fn state(&self) -> RefundState {
        RefundState::of(self.refund_status.as_ref())
    }

    /// The bill's state after the refund, as the answer reports it.
    pub fn bill_state(&self) -> BillState {
        BillState::of(self.bill.bill_status.as_ref())
    }
}

impl Reply for BillsRefundResponse {
    fn err_code(&self) -> Option<&str> {
        self.envelope.err_code()
    }

    fn err_message(&self) -> Option<&str> {
        self.envelope.message()
    }
}
