//! What stands in for the payer: the cashier page an H5 URL or a QR code leads a browser to,
//! the control API that does the same without a browser, and the dashboard. Every route here
//! is under `/sandbox/`, unauthenticated, not counted and never faulted.
//!
//! The three things a payer can do, whichever way they are asked for ([`Action`]): pay
//! (`TRADE_SUCCESS`, with `payTime` on the sandbox clock, the channel's `targetSys` and a
//! `targetOrderId`), fail (declined: the order stays unpaid, `WAIT_BUYER_PAY`), or let the order
//! expire (`TRADE_CLOSED`).

use std::fmt;
use std::time::SystemTime;

use chinaums::TradeStatus;
use chinaums::body_sig::body_digest;
use chinaums::form_param::encode;

use crate::Order;
use crate::auth::constant_time_eq;
use crate::book::{Book, Payment, Refusal};
use crate::endpoints::creation::{pay_time, target_order_id};
use crate::order::Channel;
use crate::router::SANDBOX_PREFIX;

pub(crate) mod control;
pub(crate) mod dashboard;
pub(crate) mod html;
pub(crate) mod notifications;
pub(crate) mod page;
pub(crate) mod qr;

/// Why the payer's action was refused (by the control API, the cashier or the `Sandbox`
/// methods such as [`Sandbox::pay`](crate::Sandbox::pay)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlError {
    /// No order with this `merOrderId` (under this `mid`, when one was named).
    NoOrder(String),
    /// Several merchants have an order with this `merOrderId`: name the `mid` (`?mid=`).
    Ambiguous(String),
    /// Paid already (`TRADE_SUCCESS`, or refunded since: `TRADE_REFUND`).
    AlreadyPaid(TradeStatus),
    /// Closed (expired, or closed by the merchant): it can no longer be paid.
    Closed,
    /// In a state nothing moves it from (`UNKNOWN`).
    NotOpen(TradeStatus),
}

impl ControlError {
    /// The `errCode` of the control API's answer.
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::NoOrder(_) => "NO_ORDER",
            ControlError::Ambiguous(_) => "AMBIGUOUS_ORDER",
            ControlError::AlreadyPaid(_) => "ALREADY_PAID",
            ControlError::Closed => "ORDER_CLOSED",
            ControlError::NotOpen(_) => "OPERATION_NOT_ALLOWED",
        }
    }

    /// The HTTP status of the control API's answer: 404 for an unknown order, else 409.
    pub fn http_status(&self) -> u16 {
        match self {
            ControlError::NoOrder(_) => 404,
            _ => 409,
        }
    }

    fn from_refusal(refusal: Refusal, mer_order_id: &str) -> ControlError {
        match refusal {
            Refusal::WrongState(
                status @ (TradeStatus::TradeSuccess | TradeStatus::TradeRefund),
            ) => ControlError::AlreadyPaid(status),
            Refusal::WrongState(TradeStatus::TradeClosed) => ControlError::Closed,
            Refusal::WrongState(status) => ControlError::NotOpen(status),
            _ => ControlError::NoOrder(mer_order_id.to_owned()),
        }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::NoOrder(id) => write!(f, "no order {id}"),
            ControlError::Ambiguous(id) => write!(
                f,
                "several merchants have an order {id}: name the merchant with ?mid="
            ),
            ControlError::AlreadyPaid(status) => write!(
                f,
                "the order is paid already ({}): it cannot be paid, declined or expired again",
                status.as_str()
            ),
            ControlError::Closed => f.write_str(
                "the order is closed (TRADE_CLOSED): it can no longer be paid, declined or expired",
            ),
            ControlError::NotOpen(status) => write!(
                f,
                "the order is {}: nothing can be done with it",
                status.as_str()
            ),
        }
    }
}

impl std::error::Error for ControlError {}

/// What the payer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Pays, with this wallet when the order does not name one (a QR bill; Alipay when
    /// neither does).
    Pay(Option<Channel>),
    /// The payment is declined: the order stays unpaid.
    Fail,
    /// Lets the order expire: `TRADE_CLOSED`.
    Expire,
}

/// The one order with this `merOrderId` (under `mid`, when given).
pub(crate) fn find<'b>(
    book: &'b Book,
    mer_order_id: &str,
    mid: Option<&str>,
) -> Result<&'b Order, ControlError> {
    let mut found = book
        .with_id(mer_order_id)
        .into_iter()
        .filter(|o| mid.is_none_or(|mid| o.mid == mid));
    match (found.next(), found.next()) {
        (Some(order), None) => Ok(order),
        (Some(_), Some(_)) => Err(ControlError::Ambiguous(mer_order_id.to_owned())),
        (None, _) => Err(ControlError::NoOrder(mer_order_id.to_owned())),
    }
}

/// Does `action` to the order: the order as it is then, or why not.
pub(crate) fn act(
    book: &mut Book,
    mer_order_id: &str,
    mid: Option<&str>,
    action: Action,
    now: SystemTime,
) -> Result<Order, ControlError> {
    let order = find(book, mer_order_id, mid)?;
    let (mid, channel) = (order.mid.clone(), order.channel);
    let done = match action {
        Action::Pay(wallet) => {
            let channel = channel.or(wallet).or(Some(Channel::Alipay));
            let payment = Payment {
                pay_time: pay_time(now),
                channel,
                target_order_id: target_order_id(channel, &format!("{mid}/{mer_order_id}"), now),
            };
            book.pay(&mid, mer_order_id, payment)
        }
        Action::Fail => book.decline(&mid, mer_order_id),
        Action::Expire => book.close(&mid, mer_order_id),
    };
    done.map_err(|refusal| ControlError::from_refusal(refusal, mer_order_id))
}

/// The cashier's `sign` over the link's parameters: the key-append scheme (the parameters
/// sorted by name, joined with `&`, the appKey appended, SHA-256 in uppercase hex), made and
/// checked by the sandbox alone.
fn sign(mid: &str, mer_order_id: &str, msg_type: &str, app_key: &str) -> String {
    let text = format!("merOrderId={mer_order_id}&mid={mid}&msgType={msg_type}{app_key}");
    body_digest(text.as_bytes()).to_ascii_uppercase()
}

/// Whether `given` is the link's `sign`, compared in constant time.
pub(crate) fn sign_matches(
    mid: &str,
    mer_order_id: &str,
    msg_type: &str,
    app_key: &str,
    given: &str,
) -> bool {
    let expected = sign(mid, mer_order_id, msg_type, app_key);
    constant_time_eq(expected.as_bytes(), given.as_bytes())
}

/// The cashier's URL for an order, as the `Location` of a redirect: `merOrderId`, `mid`,
/// `msgType` and the `sign` (never shown on a page, never logged: the request log prints
/// paths only).
pub(crate) fn location(
    base_url: &str,
    mid: &str,
    mer_order_id: &str,
    msg_type: &str,
    app_key: &str,
) -> String {
    format!(
        "{base_url}{}?merOrderId={}&mid={}&msgType={}&sign={}",
        page::PATH,
        encode(mer_order_id),
        encode(mid),
        encode(msg_type),
        sign(mid, mer_order_id, msg_type, app_key)
    )
}

/// The `msgType` a cashier link names for an order: from the way it was made.
pub(crate) fn msg_type(order: &Order) -> &'static str {
    match order.created_by {
        Some(p) if p.ends_with("/trade/h5-pay") => "trade.h5Pay",
        Some(p) if p.ends_with("/wxpay/h5-pay") => "wx.h5Pay",
        Some(p) if p.ends_with("/uac/order") => "uac.order",
        Some(p) if p.ends_with("/h5-to-minipay") => "wx.h5ToMiniPay",
        Some(p) if p.ends_with("/webpay/pay") => "WXPay.jsPay",
        _ if order.bill.is_some() => "bills.qrCode",
        _ => "sandbox.cashier",
    }
}

/// The pairs of a query string or form body, decoded (`+` as space, `%XX`).
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(bytes: &[u8]) -> Form {
        Form(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The request's query string.
    pub fn query(request: &http::Request<Vec<u8>>) -> Form {
        Form::parse(request.uri().query().unwrap_or_default().as_bytes())
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// A path under `/sandbox/` (for links on pages).
pub(crate) fn sandbox_path(rest: &str) -> String {
    format!("{SANDBOX_PREFIX}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::Bill;
    use chinaums::Fen;

    #[test]
    fn the_sign_covers_every_parameter_and_the_key() {
        let good = sign("898201612345678", "3194A", "trade.h5Pay", "key");
        assert_eq!(good.len(), 64);
        assert!(sign_matches(
            "898201612345678",
            "3194A",
            "trade.h5Pay",
            "key",
            &good
        ));
        for (mid, id, msg, key) in [
            ("898201612345679", "3194A", "trade.h5Pay", "key"),
            ("898201612345678", "3194B", "trade.h5Pay", "key"),
            ("898201612345678", "3194A", "wx.h5Pay", "key"),
            ("898201612345678", "3194A", "trade.h5Pay", "other"),
        ] {
            assert!(!sign_matches(mid, id, msg, key, &good), "{mid} {id} {msg}");
        }
        let url = location(
            "http://127.0.0.1:1",
            "898201612345678",
            "3194 A&",
            "m",
            "key",
        );
        assert!(
            url.starts_with("http://127.0.0.1:1/sandbox/cashier?merOrderId=3194+A%26&mid="),
            "{url}"
        );
    }

    #[test]
    fn paying_needs_one_open_order() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_704_081_600);
        let mut book = Book::default();
        let bill = Order {
            bill: Some(Bill {
                bill_date: "2024-01-01".into(),
                qr_code_id: "QR".into(),
                fixed_code: false,
            }),
            ..Order::new("3194BILL0001", Fen(100), TradeStatus::NewOrder)
        };
        book.create(bill).unwrap();
        assert_eq!(
            act(&mut book, "3194NOPE0001", None, Action::Fail, now),
            Err(ControlError::NoOrder("3194NOPE0001".into()))
        );
        let paid = act(
            &mut book,
            "3194BILL0001",
            None,
            Action::Pay(Some(Channel::WeChat)),
            now,
        )
        .unwrap();
        assert_eq!(
            paid.target_sys.as_deref(),
            Some("WXPay"),
            "the wallet chosen"
        );
        assert_eq!(paid.pay_time.as_deref(), Some("2024-01-01 12:00:00"));
        assert!(paid.target_order_id.unwrap().starts_with("4200"));
        let again = act(&mut book, "3194BILL0001", None, Action::Expire, now).unwrap_err();
        assert_eq!(again, ControlError::AlreadyPaid(TradeStatus::TradeSuccess));
        assert_eq!((again.code(), again.http_status()), ("ALREADY_PAID", 409));
        // The same number under another merchant: the mid must be named.
        book.create(Order {
            mid: crate::DEMO_SUB_MID.into(),
            ..Order::new("3194BILL0001", Fen(1), TradeStatus::NewOrder)
        })
        .unwrap();
        assert_eq!(
            act(&mut book, "3194BILL0001", None, Action::Fail, now),
            Err(ControlError::Ambiguous("3194BILL0001".into()))
        );
        let closed = act(
            &mut book,
            "3194BILL0001",
            Some(crate::DEMO_SUB_MID),
            Action::Expire,
            now,
        )
        .unwrap();
        assert_eq!(closed.status, TradeStatus::TradeClosed);
        assert_eq!(
            act(
                &mut book,
                "3194BILL0001",
                Some(crate::DEMO_SUB_MID),
                Action::Pay(None),
                now
            ),
            Err(ControlError::Closed)
        );
    }
}
