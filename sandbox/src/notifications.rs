//! Payment notifications, sans I/O: what the sandbox sends to an order's `notifyUrl` when money
//! moves, built from the order book's events and signed with the notification key by the
//! core's own `chinaums::notify::sign`; and the signed result parameters the cashier adds to
//! `returnUrl`. `delivery.rs` sends them and records each attempt.
//!
//! Three families, as the platform sends them (amounts as strings of fen, times as
//! `yyyy-MM-dd HH:mm:ss` Beijing time, every value signed as sent):
//!
//! - **payment** (an order was paid): `mid`, `tid`, `instMid`, `merOrderId`, `status`,
//!   `totalAmount`, `buyerPayAmount`, `buyerCashPayAmt`, `receiptAmount`, `invoiceAmount`,
//!   `couponAmount`, `payTime`, `settleDate`, `seqId`, `targetOrderId`, `targetSys`, `buyerId`,
//!   `billFunds`, `billFundsDesc`, `connectSys`, `merName`, `msgType`, `notifyId`, and when the
//!   order has them `createTime`, `orderDesc`, `attachedData`, `secureStatus` and
//!   `completeAmount` (a guaranteed order);
//! - **refund** (a refund settled): `mid`, `tid`, `instMid`, `merOrderId`, `status`
//!   (`TRADE_REFUND`), `totalAmount`, `refundOrderId`, `refundAmount`, `refundStatus`,
//!   `refundTargetOrderId`, `refundPayTime`, `refundSettleDate`, `payTime`, `targetOrderId`,
//!   `targetSys`, `seqId`, `connectSys`, `merName`, `msgType`, `notifyId`, `attachedData`;
//! - **bill** (a QR bill was paid or refunded): `mid`, `tid`, `instMid`, `billNo`, `billDate`,
//!   `billStatus` (`PAID`, `REFUND`), `billQRCode`, `qrCodeId`, `qrCodeType` (`BILLPAY`),
//!   `totalAmount`, `receiptAmount`, `createTime`, `merName`, `seqId`, `notifyId`, `billDesc`,
//!   and `billPayment` (and for a refund `refundBillPayment`) as JSON text inside the form.
//!
//! Each also carries a key with a random two-letter name and a random four-letter value (as
//! the platform's do, so that a verifier that signs a fixed list of fields fails), `signType`
//! (`SHA256`, or `MD5` for an order with [`Order::md5_notifications`]) and `sign`.

use std::fmt;
use std::time::{Duration, SystemTime};

use chinaums::notify::{self, Fields, NotifyKey, SignType};
use chinaums::timestamps::request_timestamp;
use chinaums::{Fen, NonceSource as _, RandomNonce};

use crate::book::Event;
use crate::endpoints::bill::qr_url;
use crate::endpoints::bills_query;
use crate::endpoints::creation::hex;
use crate::endpoints::refund::refund_target_order_id;
use crate::endpoints::{MER_NAME, fingerprint, seq_id};
use crate::order::{Channel, Order, OrderKind, RefundRecord};

/// How long the sandbox waits before each re-delivery of a notification that was not
/// acknowledged: 15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min, 1 h, 2 h, 6 h, 13 h. With the
/// first delivery that is 12 attempts within 23 h 4 min. The platform only says that it
/// re-sends "several times within 24 hours" until it gets `SUCCESS`; this schedule is the
/// sandbox's choice. Real time, not the sandbox clock; compress it for tests with
/// [`SandboxBuilder::notify_schedule`](crate::SandboxBuilder::notify_schedule).
pub const DEFAULT_NOTIFY_SCHEDULE: [Duration; 11] = [
    Duration::from_secs(15),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(3 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(20 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(13 * 3600),
];

/// How long one delivery attempt may take, connecting included, by default
/// ([`SandboxBuilder::notify_timeout`](crate::SandboxBuilder::notify_timeout)); past it the
/// attempt failed and is retried.
pub const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// Under [`NotifyFault::OutOfOrder`], how long a notification waits for the next one about
/// the same order before it is delivered anyway.
pub const OUT_OF_ORDER_HOLD: Duration = Duration::from_secs(60);

/// How many delivery attempts [`Sandbox::deliveries`](crate::Sandbox::deliveries) keeps (the
/// oldest are dropped).
pub const MAX_DELIVERY_LOG: usize = 1000;

/// How many notifications wait to be picked up at most: a gateway used in memory keeps them for
/// [`Gateway::take_notifications`](crate::Gateway::take_notifications); past this the oldest
/// are dropped. (A started sandbox picks them up at once.)
pub const MAX_PENDING_NOTIFICATIONS: usize = 1000;

/// The `Content-Type` of every notification: a form, as the platform sends.
pub const NOTIFY_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=UTF-8";

/// What a merchant's server meets in real life besides clean deliveries, to test that it copes
/// ([`Sandbox::set_notify_fault`](crate::Sandbox::set_notify_fault)). It applies to the
/// notifications made while it is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotifyFault {
    /// Every notification is delivered once more after it was acknowledged (`SUCCESS`): the
    /// same body, byte for byte (same `notifyId`, same `sign`), right after the acknowledged
    /// attempt. The extra delivery is recorded as the next attempt with `duplicate` set; its
    /// answer starts no retries. A merchant must de-duplicate on `notifyId` (or `merOrderId` and
    /// state).
    Duplicate,
    /// A notification about an order is held back until the next notification about the same
    /// order has had its first attempt, then delivered: a refund's notification arrives before
    /// the payment's, a newer state before an older one. The notification made while another
    /// about the same order is held is not held itself (it releases the held one). A held
    /// notification that nothing follows is delivered after [`OUT_OF_ORDER_HOLD`]. Retries keep
    /// their own schedule.
    OutOfOrder,
}

/// Which kind of notification: the core types them the same way
/// (`chinaums::notify::Notification`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotifyFamily {
    /// An order was paid.
    Payment,
    /// A refund of an order settled (`status` `TRADE_REFUND` with a `refundOrderId`).
    Refund,
    /// A QR bill was paid or refunded (the body has a `billNo`).
    Bill,
}

impl NotifyFamily {
    /// `payment`, `refund` or `bill`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyFamily::Payment => "payment",
            NotifyFamily::Refund => "refund",
            NotifyFamily::Bill => "bill",
        }
    }
}

impl fmt::Display for NotifyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed notification waiting to be sent: where to, and the form body. `Debug` shows
/// neither the body (it holds the signature) nor a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingNotification {
    pub(crate) notify_id: String,
    pub(crate) family: NotifyFamily,
    pub(crate) mid: String,
    pub(crate) mer_order_id: String,
    pub(crate) url: String,
    pub(crate) body: String,
    pub(crate) fault: Option<NotifyFault>,
}

impl fmt::Debug for OutgoingNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingNotification")
            .field("notify_id", &self.notify_id)
            .field("family", &self.family)
            .field("mid", &self.mid)
            .field("mer_order_id", &self.mer_order_id)
            .field("url", &redact_url(&self.url))
            .field("body_len", &self.body.len())
            .field("fault", &self.fault)
            .finish()
    }
}

impl OutgoingNotification {
    /// `notifyId`: the same on every re-delivery.
    pub fn notify_id(&self) -> &str {
        &self.notify_id
    }

    /// Which kind of notification.
    pub fn family(&self) -> NotifyFamily {
        self.family
    }

    /// The order's `mid`.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The order's `merOrderId` (a bill's `billNo`).
    pub fn mer_order_id(&self) -> &str {
        &self.mer_order_id
    }

    /// The order's `notifyUrl`, as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The form body, signed (it holds the `sign`: do not log it).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The fault that applies to it ([`NotifyFault`], as set when it was made).
    pub fn fault(&self) -> Option<NotifyFault> {
        self.fault
    }
}

/// One attempt to deliver a notification, as [`Sandbox::deliveries`](crate::Sandbox::deliveries)
/// and `GET /sandbox/notifications` report it. Never the body nor its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// `notifyId`: the same on every attempt of one notification.
    pub notify_id: String,
    /// Which kind of notification.
    pub family: NotifyFamily,
    /// The order's `mid`.
    pub mid: String,
    /// The order's `merOrderId` (a bill's `billNo`).
    pub mer_order_id: String,
    /// The `notifyUrl`, with any password in it replaced by `<redacted>`.
    pub url: String,
    /// 1 for the first delivery, 2 for the first re-delivery, …
    pub attempt: u32,
    /// Sent by [`NotifyFault::Duplicate`] after the notification was acknowledged.
    pub duplicate: bool,
    /// When it was sent, on the sandbox clock.
    pub at: SystemTime,
    /// The answer's HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Why there was no usable answer (connection refused, timeout, not HTTP, …).
    pub error: Option<String>,
    /// The first bytes of the answer's body (at most 64, as text).
    pub answer: String,
    /// Whether the answer acknowledged it: HTTP 200 and a body that is exactly `SUCCESS` once
    /// leading and trailing ASCII whitespace is removed.
    pub acknowledged: bool,
    /// From sending the request to the end of the answer (or the failure).
    pub latency: Duration,
    /// When the next attempt comes, counted from the end of this one; `None`: no more
    /// attempts (acknowledged, the schedule is over, or the URL cannot be delivered to).
    pub next_attempt_in: Option<Duration>,
}

/// What a notification is built with besides the event.
pub(crate) struct Context<'a> {
    pub key: &'a NotifyKey,
    /// Every order signs with MD5 ([`crate::SandboxBuilder::md5_notifications`]).
    pub md5_everywhere: bool,
    /// The sandbox's URL, for a bill's `billQRCode`.
    pub base_url: &'a str,
    /// When the event happened, on the sandbox clock.
    pub now: SystemTime,
    /// Amounts inside `billPayment` as strings rather than numbers.
    pub amounts_as_strings: bool,
    pub fault: Option<NotifyFault>,
}

/// The notification for `event`, when its order has a `notifyUrl`.
pub(crate) fn make(event: &Event, cx: &Context<'_>) -> Option<OutgoingNotification> {
    let (order, refund) = match event {
        Event::Paid(order) => (order, None),
        Event::Refunded { order, refund } => (order, Some(refund)),
    };
    let url = order.notify_url.as_deref().filter(|u| !u.is_empty())?;
    let notify_id = notify_id(cx.now);
    let as_string = order.amounts_as_strings || cx.amounts_as_strings;
    let (family, mut fields) = match (&order.bill, refund) {
        (Some(_), refund) => (
            NotifyFamily::Bill,
            bill_fields(order, refund, cx.base_url, as_string),
        ),
        (None, None) => (NotifyFamily::Payment, payment_fields(order)),
        (None, Some(refund)) => (NotifyFamily::Refund, refund_fields(order, refund, cx.now)),
    };
    fields.insert("notifyId".into(), notify_id.clone());
    let sign_type = if order.md5_notifications || cx.md5_everywhere {
        SignType::Md5
    } else {
        SignType::Sha256
    };
    fields.insert(
        "signType".into(),
        match sign_type {
            SignType::Md5 => "MD5",
            SignType::Sha256 => "SHA256",
        }
        .into(),
    );
    let (name, value) = random_pair(&fields);
    fields.insert(name, value);
    let sign = notify::sign(&fields, cx.key, sign_type);
    fields.insert("sign".into(), sign);
    Some(OutgoingNotification {
        notify_id,
        family,
        mid: order.mid.clone(),
        mer_order_id: order.mer_order_id.clone(),
        url: url.to_owned(),
        body: notify::encode_form(&fields),
        fault: cx.fault,
    })
}

fn put(fields: &mut Fields, name: &str, value: impl Into<String>) {
    fields.insert(name.to_owned(), value.into());
}

/// `name` = `value` when there is a value.
fn put_some(fields: &mut Fields, name: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        put(fields, name, value);
    }
}

/// The legacy `msgType` of an order notification: `wx.notify` (seen on WeChat payments); for
/// the other channels the sandbox's own `trade.notify` (Alipay) and `uac.notify` (UnionPay).
fn msg_type(order: &Order) -> &'static str {
    match order.channel {
        Some(Channel::Alipay) => "trade.notify",
        Some(Channel::UnionPay) => "uac.notify",
        Some(Channel::WeChat) | None => "wx.notify",
    }
}

/// What every order notification starts with.
fn order_fields(order: &Order) -> Fields {
    let mut fields = Fields::new();
    put(&mut fields, "mid", order.mid.as_str());
    put(&mut fields, "tid", order.tid.as_str());
    put(&mut fields, "instMid", order.inst_mid.as_str());
    put(&mut fields, "merOrderId", order.mer_order_id.as_str());
    put(&mut fields, "status", order.status.as_str());
    put(&mut fields, "totalAmount", fen(order.total_amount));
    put(&mut fields, "seqId", seq_id(&order.mer_order_id));
    put(&mut fields, "connectSys", "UNIONPAY");
    put(&mut fields, "merName", MER_NAME);
    put(&mut fields, "msgType", msg_type(order));
    put_some(&mut fields, "payTime", order.pay_time.as_deref());
    put_some(&mut fields, "targetSys", order.target_sys.as_deref());
    put_some(
        &mut fields,
        "targetOrderId",
        order.target_order_id.as_deref(),
    );
    put_some(&mut fields, "attachedData", order.attached_data.as_deref());
    fields
}

fn fen(amount: Fen) -> String {
    amount.get().to_string()
}

fn payment_fields(order: &Order) -> Fields {
    let mut fields = order_fields(order);
    let total = order.total_amount;
    for name in [
        "buyerPayAmount",
        "buyerCashPayAmt",
        "receiptAmount",
        "invoiceAmount",
    ] {
        put(&mut fields, name, fen(total));
    }
    put(&mut fields, "couponAmount", "0");
    let settle_date = order.pay_time.as_deref().and_then(|t| t.get(..10));
    put_some(&mut fields, "settleDate", settle_date);
    put(
        &mut fields,
        "buyerId",
        format!("sandbox-buyer-{}", hex(&order.mer_order_id, 8)),
    );
    put(&mut fields, "billFunds", format!("现金:{}", total.get()));
    put(&mut fields, "billFundsDesc", format!("现金支付{total}元"));
    let created = order.created_at.map(request_timestamp);
    put_some(&mut fields, "createTime", created.as_deref());
    put_some(&mut fields, "orderDesc", order.order_desc.as_deref());
    if let OrderKind::Guaranteed(guarantee) = &order.kind {
        put(&mut fields, "secureStatus", guarantee.status.as_str());
        put(
            &mut fields,
            "completeAmount",
            fen(guarantee.completed_amount),
        );
    }
    fields
}

fn refund_fields(order: &Order, refund: &RefundRecord, now: SystemTime) -> Fields {
    let mut fields = order_fields(order);
    let at = request_timestamp(now);
    put(
        &mut fields,
        "refundOrderId",
        refund.refund_order_id.as_str(),
    );
    put(&mut fields, "refundAmount", fen(refund.amount));
    put(&mut fields, "refundStatus", refund.status.as_str());
    put(
        &mut fields,
        "refundTargetOrderId",
        refund_target_order_id(order, refund),
    );
    put(
        &mut fields,
        "refundSettleDate",
        at.get(..10).unwrap_or_default(),
    );
    put(&mut fields, "refundPayTime", at);
    fields
}

fn bill_fields(
    order: &Order,
    refund: Option<&RefundRecord>,
    base_url: &str,
    as_string: bool,
) -> Fields {
    let mut fields = Fields::new();
    let (bill_date, qr_code_id) = order
        .bill
        .as_ref()
        .map_or(("", ""), |b| (b.bill_date.as_str(), b.qr_code_id.as_str()));
    put(&mut fields, "mid", order.mid.as_str());
    put(&mut fields, "tid", order.tid.as_str());
    put(&mut fields, "instMid", order.inst_mid.as_str());
    put(&mut fields, "billNo", order.mer_order_id.as_str());
    put_some(&mut fields, "billDate", Some(bill_date));
    put(&mut fields, "billStatus", order.bill_status());
    put_some(&mut fields, "qrCodeId", Some(qr_code_id));
    if !qr_code_id.is_empty() {
        put(&mut fields, "billQRCode", qr_url(base_url, qr_code_id));
    }
    put(&mut fields, "qrCodeType", "BILLPAY");
    put(&mut fields, "totalAmount", fen(order.total_amount));
    put(&mut fields, "receiptAmount", fen(order.total_amount));
    put(&mut fields, "merName", MER_NAME);
    put(&mut fields, "seqId", seq_id(&order.mer_order_id));
    put_some(&mut fields, "billDesc", order.order_desc.as_deref());
    let created = order.created_at.map(request_timestamp);
    put_some(&mut fields, "createTime", created.as_deref());
    put(
        &mut fields,
        "billPayment",
        bills_query::payment_json(order, as_string),
    );
    if let Some(refund) = refund {
        put(
            &mut fields,
            "refundBillPayment",
            bills_query::refund_payment_json(order, refund, as_string),
        );
    }
    fields
}

/// 16 random bytes, from the OS (the core's nonce source); should it fail, from the clock and a
/// counter (unique, not secret: nothing depends on a notification id being unguessable).
fn random_bytes(now: SystemTime) -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let hex = RandomNonce.nonce().unwrap_or_else(|_| {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let basis = format!("{nanos}/{n}");
        format!(
            "{:016x}{:016x}",
            fingerprint(&basis),
            fingerprint(&format!("{basis}#"))
        )
    });
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or_default();
    }
    bytes
}

/// A fresh `notifyId`, shaped like a UUID (8-4-4-4-12 lowercase hex).
fn notify_id(now: SystemTime) -> String {
    let hex: String = random_bytes(now)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A field with a random two-letter name and a random four-letter value, like the platform's
/// `Ru=NcFv`; never one of the notification's own names.
fn random_pair(fields: &Fields) -> (String, String) {
    const LETTERS: &[u8; 52] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let letter = |b: u8| char::from(LETTERS[usize::from(b) % LETTERS.len()]);
    let mut round = 0u8;
    loop {
        let bytes = random_bytes(SystemTime::UNIX_EPOCH);
        let offset = usize::from(round % 8);
        let name: String = bytes[offset..offset + 2]
            .iter()
            .map(|&b| letter(b))
            .collect();
        let value: String = bytes[offset + 2..offset + 6]
            .iter()
            .map(|&b| letter(b))
            .collect();
        round = round.wrapping_add(1);
        if !fields.contains_key(&name) || round > 64 {
            // (Two-letter names are not the platform's, so a clash is all but impossible;
            // after 64 draws the name is made longer, which cannot clash.)
            let name = if fields.contains_key(&name) {
                format!("{name}{round}")
            } else {
                name
            };
            return (name, value);
        }
    }
}

/// The parameters the cashier adds to an order's `returnUrl` when it sends the payer back:
/// `mid`, `tid`, `instMid`, `merOrderId`, `status`, `totalAmount`, `payTime`, `targetSys`,
/// `targetOrderId` (those the order has), `signType=SHA256` and `sign`, computed with the
/// notification key over every parameter of the resulting query, the ones already in
/// `returnUrl` included, so that `chinaums::notify::verify_return_url` accepts the whole query.
/// A parameter of `returnUrl` with the name of one of these is replaced; a fragment stays at
/// the end.
pub(crate) fn return_url_with_result(return_url: &str, order: &Order, key: &NotifyKey) -> String {
    let (before_fragment, fragment) = match return_url.find('#') {
        Some(i) => return_url.split_at(i),
        None => (return_url, ""),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], &before_fragment[i + 1..]),
        None => (before_fragment, ""),
    };
    let mut ours = Fields::new();
    put(&mut ours, "mid", order.mid.as_str());
    put(&mut ours, "tid", order.tid.as_str());
    put(&mut ours, "instMid", order.inst_mid.as_str());
    put(&mut ours, "merOrderId", order.mer_order_id.as_str());
    put(&mut ours, "status", order.status.as_str());
    put(&mut ours, "totalAmount", fen(order.total_amount));
    put_some(&mut ours, "payTime", order.pay_time.as_deref());
    put_some(&mut ours, "targetSys", order.target_sys.as_deref());
    put_some(&mut ours, "targetOrderId", order.target_order_id.as_deref());
    put(&mut ours, "signType", "SHA256");
    let clashes = |name: &str| name == "sign" || ours.contains_key(name);
    // The merchant's own parameters, as written, except those ours replace.
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            let decoded = form_urlencoded::parse(name.as_bytes())
                .next()
                .map(|(n, _)| n.into_owned())
                .unwrap_or_default();
            !clashes(&decoded)
        })
        .collect();
    let mut signed = ours.clone();
    for pair in &kept {
        if let Some((name, value)) = form_urlencoded::parse(pair.as_bytes()).next() {
            signed
                .entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
    }
    put(
        &mut ours,
        "sign",
        notify::sign(&signed, key, SignType::Sha256),
    );
    let mut query: Vec<String> = kept.iter().map(|p| (*p).to_owned()).collect();
    query.push(notify::encode_form(&ours));
    format!("{base}?{}{fragment}", query.join("&"))
}

/// `url` with the password of its user information, if any, replaced by `<redacted>`
/// (`http://user:<redacted>@host/…`): what logs, pages and the delivery record show.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let user = match userinfo.find(':') {
        Some(colon) => format!("{}:<redacted>", &userinfo[..colon]),
        None => userinfo.to_owned(),
    };
    format!(
        "{}{user}{}",
        &url[..scheme_end + 3],
        &url[scheme_end + 3 + at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::Bill;
    use chinaums::notify::Notification;
    use chinaums::{PaymentState, TradeStatus};

    fn key() -> NotifyKey {
        NotifyKey::new(crate::DEMO_NOTIFY_KEY)
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_081_600)
    }

    fn cx(key: &NotifyKey) -> Context<'_> {
        Context {
            key,
            md5_everywhere: false,
            base_url: "http://127.0.0.1:1",
            now: now(),
            amounts_as_strings: false,
            fault: None,
        }
    }

    fn paid_order() -> Order {
        Order {
            notify_url: Some("http://127.0.0.1:9/notify?shop=1".into()),
            pay_time: Some("2024-01-01 12:00:00".into()),
            target_sys: Some("WXPay".into()),
            target_order_id: Some("4200000001".into()),
            channel: Some(Channel::WeChat),
            attached_data: Some("a+b=c&d 订单".into()),
            ..Order::new("3194NOTIFY000001", Fen(250), TradeStatus::TradeSuccess)
        }
    }

    fn verify(n: &OutgoingNotification) -> Notification {
        notify::verify(n.body().as_bytes(), Some(NOTIFY_CONTENT_TYPE), &key()).unwrap()
    }

    #[test]
    fn a_payment_notification_verifies_and_is_typed() {
        let key = key();
        let n = make(&Event::Paid(paid_order()), &cx(&key)).unwrap();
        assert_eq!(n.family(), NotifyFamily::Payment);
        assert_eq!(n.url(), "http://127.0.0.1:9/notify?shop=1");
        let typed = verify(&n);
        assert_eq!(typed.state(), PaymentState::Paid);
        assert_eq!(typed.notify_id(), Some(n.notify_id()));
        let Notification::Payment(p) = typed else {
            panic!("{typed:?}")
        };
        assert_eq!(p.total_amount, Some(Fen(250)));
        assert_eq!(p.attached_data.as_deref(), Some("a+b=c&d 订单"));
        assert_eq!(p.sign_type, Some(SignType::Sha256));
        assert_eq!(p.extra["msgType"], "wx.notify");
        assert_eq!(p.extra["signType"], "SHA256");
        // The random key: a two-letter name the families do not use.
        let fields = notify::parse_form(n.body().as_bytes()).unwrap();
        let random: Vec<_> = fields.keys().filter(|k| k.len() == 2).collect();
        assert_eq!(random.len(), 1, "{fields:?}");
        // A wrong key does not verify.
        let wrong = NotifyKey::new("another-key");
        assert!(notify::verify(n.body().as_bytes(), None, &wrong).is_err());
        assert!(!format!("{n:?}").contains(&fields["sign"]));
    }

    #[test]
    fn md5_orders_and_the_sandbox_wide_switch_sign_with_md5() {
        let key = key();
        let legacy = paid_order().with_md5_notifications();
        let n = make(&Event::Paid(legacy), &cx(&key)).unwrap();
        let Notification::Payment(p) = verify(&n) else {
            panic!()
        };
        assert_eq!(p.sign_type, Some(SignType::Md5));
        assert_eq!(p.extra["signType"], "MD5");
        let everywhere = Context {
            md5_everywhere: true,
            ..cx(&key)
        };
        let n = make(&Event::Paid(paid_order()), &everywhere).unwrap();
        let fields = notify::parse_form(n.body().as_bytes()).unwrap();
        assert_eq!(fields["sign"].len(), 32, "MD5 is 16 bytes of hex");
    }

    #[test]
    fn no_notify_url_no_notification_and_ids_differ() {
        let key = key();
        let silent = Order {
            notify_url: None,
            ..paid_order()
        };
        assert!(make(&Event::Paid(silent), &cx(&key)).is_none());
        let a = make(&Event::Paid(paid_order()), &cx(&key)).unwrap();
        let b = make(&Event::Paid(paid_order()), &cx(&key)).unwrap();
        assert_ne!(a.notify_id(), b.notify_id());
        assert_eq!(a.notify_id().len(), 36);
    }

    #[test]
    fn refund_and_bill_notifications_are_their_families() {
        let key = key();
        let refunded = paid_order().with_refund("3194NOTIFY000001R1", Fen(100));
        let refund = refunded.refunds[0].clone();
        let n = make(
            &Event::Refunded {
                order: refunded,
                refund,
            },
            &cx(&key),
        )
        .unwrap();
        assert_eq!(n.family(), NotifyFamily::Refund);
        let Notification::Refund(r) = verify(&n) else {
            panic!()
        };
        assert_eq!(r.refund_amount, Some(Fen(100)));
        assert_eq!(r.refund_order_id.as_deref(), Some("3194NOTIFY000001R1"));
        assert!(r.refund_pay_time.is_some());

        let bill = Order {
            bill: Some(Bill {
                bill_date: "2024-01-01".into(),
                qr_code_id: "3194QR".into(),
                fixed_code: false,
            }),
            ..paid_order()
        };
        let n = make(&Event::Paid(bill.clone()), &cx(&key)).unwrap();
        assert_eq!(n.family(), NotifyFamily::Bill);
        let typed = verify(&n);
        assert_eq!(typed.state(), PaymentState::Paid);
        assert_eq!(typed.mer_order_id(), Some("3194NOTIFY000001"));
        let Notification::Bill(b) = typed else {
            panic!()
        };
        assert_eq!(
            b.bill_qr_code.as_deref(),
            Some("http://127.0.0.1:1/sandbox/qr/3194QR")
        );
        assert_eq!(b.bill_payment.and_then(|p| p.total_amount), Some(Fen(250)));
        let refunded = bill.with_refund("3194NOTIFY000001R1", Fen(50));
        let refund = refunded.refunds[0].clone();
        let n = make(
            &Event::Refunded {
                order: refunded,
                refund,
            },
            &cx(&key),
        )
        .unwrap();
        let typed = verify(&n);
        assert_eq!(typed.state(), PaymentState::Refunded);
        let Notification::Bill(b) = typed else {
            panic!()
        };
        assert!(
            b.extra["refundBillPayment"]
                .as_str()
                .is_some_and(|s| s.contains("3194NOTIFY000001R1"))
        );
    }

    #[test]
    fn return_url_parameters_verify_with_the_shops_own() {
        let key = key();
        let order = paid_order();
        for (url, starts) in [
            ("https://shop.test/back", "https://shop.test/back?"),
            (
                "https://shop.test/back?shop=a%26b&status=mine#top",
                "https://shop.test/back?shop=a%26b&",
            ),
        ] {
            let full = return_url_with_result(url, &order, &key);
            assert!(full.starts_with(starts), "{full}");
            let (_, query) = full.split_once('?').unwrap();
            let query = query.split('#').next().unwrap();
            let fields = notify::verify_return_url(query, &key).unwrap();
            assert_eq!(
                fields["status"], "TRADE_SUCCESS",
                "ours replaced the shop's"
            );
            assert_eq!(fields["merOrderId"], "3194NOTIFY000001");
            assert_eq!(fields["totalAmount"], "250");
            assert_eq!(fields["signType"], "SHA256");
            if url.contains('#') {
                assert!(full.ends_with("#top"), "{full}");
                assert_eq!(fields["shop"], "a&b");
            }
            assert!(notify::verify_return_url(query, &NotifyKey::new("x")).is_err());
        }
    }

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_url("http://user:pw@h.test:8/p?q=@"),
            "http://user:<redacted>@h.test:8/p?q=@"
        );
        assert_eq!(redact_url("http://user@h.test/"), "http://user@h.test/");
        assert_eq!(redact_url("http://h.test/a@b"), "http://h.test/a@b");
        assert_eq!(redact_url("nonsense"), "nonsense");
    }
}
