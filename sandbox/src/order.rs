//! What the order book holds about one order: its fields, how its payment settles (directly,
//! under a guarantee, or split between sub-merchants) and the refunds made on it. The legal
//! transitions between these states are the book's (`book.rs`); this is only the data.

use std::time::{Duration, SystemTime};

use chinaums::{Fen, RefundStatus, SecureStatus, TradeStatus};

use crate::{
    DEMO_CLOSED_ORDER, DEMO_GUARANTEED_ORDER, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER,
    DEMO_PARTLY_REFUNDED_ORDER, DEMO_PARTLY_REFUNDED_REFUND, DEMO_REFUNDED_ORDER,
    DEMO_REFUNDED_REFUND, DEMO_SPLIT_ORDER, DEMO_SUB_MID, DEMO_TID, DEMO_UNPAID_ORDER,
};

/// An order in the sandbox's order book, keyed by `mid` + `merOrderId`.
///
/// Build one with [`Order::new`] and, for the kinds a merchant meets after a payment,
/// [`Order::guaranteed`], [`Order::split`] and [`Order::with_refund`]:
///
/// ```
/// use chinaums::{Fen, SecureStatus, TradeStatus};
/// use chinaums_sandbox::{Order, SplitShare};
///
/// let held = Order::new("3194HELD00000001", Fen(500), TradeStatus::TradeSuccess).guaranteed();
/// assert_eq!(held.secure_status(), Some(&SecureStatus::Uncompleted));
///
/// let split = Order::new("3194SPLIT0000001", Fen(100), TradeStatus::TradeSuccess)
///     .split(Fen(10), vec![SplitShare::new("898201612345679", Fen(90))]);
/// assert!(split.split_shares().is_some());
///
/// let refunded = Order::new("3194PART00000001", Fen(100), TradeStatus::TradeSuccess)
///     .with_refund("3194PART00000001R1", Fen(30));
/// assert_eq!(refunded.status, TradeStatus::TradeRefund);
/// assert_eq!(refunded.refund_amount, Some(Fen(30)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// `mid`: merchant number.
    pub mid: String,
    /// `tid`: terminal number.
    pub tid: String,
    /// `instMid`: business type; a request about the order must name the same one or gets
    /// `NO_ORDER`.
    pub inst_mid: String,
    /// `merOrderId`: the merchant's order number.
    pub mer_order_id: String,
    /// `totalAmount`: what the buyer pays (or paid).
    pub total_amount: Fen,
    /// `status`.
    pub status: TradeStatus,
    /// Answer this order's amounts as JSON strings (`"100"`) instead of numbers, like the
    /// official example (which keeps `invoiceAmount` a number; so does the sandbox). See also
    /// [`SandboxBuilder::amounts_as_strings`](crate::SandboxBuilder::amounts_as_strings), for
    /// every order.
    pub amounts_as_strings: bool,
    /// `payTime` (`yyyy-MM-dd HH:mm:ss`).
    pub pay_time: Option<String>,
    /// `targetSys`, e.g. `WXPay`.
    pub target_sys: Option<String>,
    /// `refundAmount`: how much went back to the payer (settled refunds, and what a guarantee
    /// gave back), when anything did. Refunds still `PROCESSING` are not in it.
    pub refund_amount: Option<Fen>,
    /// How the payment settles: directly (the default), under a guarantee, or split.
    pub kind: OrderKind,
    /// The refunds made with a `refundOrderId`, oldest first; what `refund-query` answers
    /// about and what makes a repeated `refundOrderId` return the same refund.
    pub refunds: Vec<RefundRecord>,
    /// The wallet the order is paid with (it decides `targetSys`); `None` when the payer
    /// chooses at the cashier (a QR bill) or for orders inserted by hand.
    pub channel: Option<Channel>,
    /// The path of the endpoint that created the order (e.g. `/v1/netpay/trade/h5-pay`);
    /// `None` for orders inserted by hand.
    pub created_by: Option<&'static str>,
    /// When it was created, on the sandbox clock.
    pub created_at: Option<SystemTime>,
    /// `orderDesc` (or a bill's `billDesc`): what the payer sees.
    pub order_desc: Option<String>,
    /// `goods`: what was ordered, line by line.
    pub goods: Vec<GoodsLine>,
    /// `notifyUrl`, as sent: where payment notifications go.
    pub notify_url: Option<String>,
    /// `returnUrl`, as sent: where the cashier sends the browser after paying.
    pub return_url: Option<String>,
    /// `expireTime` on the sandbox clock: an unpaid order closes (`TRADE_CLOSED`) once it has
    /// passed, checked whenever the sandbox is asked anything. `None`: never.
    pub expire_time: Option<SystemTime>,
    /// `attachedData`, as sent.
    pub attached_data: Option<String>,
    /// `targetOrderId`: the channel's number for the payment, once known (at creation for an
    /// Alipay mini-program order, else when paid).
    pub target_order_id: Option<String>,
    /// For a QR bill: its date and code. The bill's `billNo` is the order's `mer_order_id`
    /// (and the `merOrderId` of its payment).
    pub bill: Option<Bill>,
    /// Sign this order's notifications with MD5 (`signType=MD5`), as merchants set up before
    /// SHA-256 still receive them, instead of SHA-256. See [`Order::with_md5_notifications`]
    /// and, for every order,
    /// [`SandboxBuilder::md5_notifications`](crate::SandboxBuilder::md5_notifications).
    pub md5_notifications: bool,
}

/// How long an order created without `expireTime` stays payable, on the sandbox clock. The
/// platform is said to default to about 30 minutes; a bill bound to a fixed QR code has no
/// default expiry.
pub const DEFAULT_ORDER_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The wallet an order is paid with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// WeChat Pay: `targetSys` `WXPay`.
    WeChat,
    /// Alipay: `targetSys` `Alipay 2.0`.
    Alipay,
    /// UnionPay (云闪付): `targetSys` `UAC`.
    UnionPay,
}

impl Channel {
    /// Every channel, in the order the cashier offers them.
    pub const ALL: [Channel; 3] = [Channel::Alipay, Channel::WeChat, Channel::UnionPay];

    /// `targetSys`, as the platform spells it.
    pub fn target_sys(self) -> &'static str {
        match self {
            Channel::WeChat => "WXPay",
            Channel::Alipay => "Alipay 2.0",
            Channel::UnionPay => "UAC",
        }
    }

    /// The name a payer knows it by.
    pub fn label(self) -> &'static str {
        match self {
            Channel::WeChat => "WeChat Pay (微信支付)",
            Channel::Alipay => "Alipay (支付宝)",
            Channel::UnionPay => "UnionPay (云闪付)",
        }
    }

    /// The short name the control API and the cashier's form use: `wechat`, `alipay`,
    /// `unionpay`.
    pub fn key(self) -> &'static str {
        match self {
            Channel::WeChat => "wechat",
            Channel::Alipay => "alipay",
            Channel::UnionPay => "unionpay",
        }
    }

    /// The channel named by [`Channel::key`].
    pub fn from_key(key: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// One line of what was ordered (`goods`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoodsLine {
    /// `goodsId`.
    pub goods_id: String,
    /// `goodsName`.
    pub goods_name: String,
    /// `quantity`.
    pub quantity: u64,
    /// `price`: of one.
    pub price: Fen,
}

/// What makes an order a QR bill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    /// `billDate` (`yyyy-MM-dd`): with `billNo`, what names the bill.
    pub bill_date: String,
    /// `qrCodeId`: the code the bill is shown with.
    pub qr_code_id: String,
    /// Whether the code is a fixed one the merchant bound the bill to (it outlives the bill).
    pub fixed_code: bool,
}

/// How an order's payment settles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OrderKind {
    /// Straight to the merchant: refunds allowed up to what was paid.
    #[default]
    Direct,
    /// A guaranteed payment (`secureTransaction`): held until `secure-complete` or
    /// `secure-cancel`, never refunded directly.
    Guaranteed(Guarantee),
    /// A split payment: shared between the platform and sub-merchants, each share confirmed
    /// once with `sub-orders-confirm`. (A payment is never both split and guaranteed.)
    Split(Split),
}

/// Where a guaranteed payment stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guarantee {
    /// `secureStatus`: `UNCOMPLETED` until completed or cancelled.
    pub status: SecureStatus,
    /// `completedAmount`: what was released to the merchant.
    pub completed_amount: Fen,
}

/// The shares of a split payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// `platformAmount`: the platform's share (the one confirmed, once confirmed).
    pub platform_amount: Fen,
    /// Each sub-merchant's share.
    pub sub_orders: Vec<SplitShare>,
}

/// One sub-merchant's share of a split payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitShare {
    /// `mid`: the sub-merchant.
    pub mid: String,
    /// `merOrderId`: the sub-order's own number, when it has one.
    pub mer_order_id: Option<String>,
    /// `totalAmount`: the share (the one confirmed, once confirmed).
    pub amount: Fen,
    /// Whether `sub-orders-confirm` confirmed it (a sub-order is confirmed at most once).
    pub confirmed: bool,
}

impl SplitShare {
    /// An unconfirmed share of `amount` for sub-merchant `mid`.
    pub fn new(mid: &str, amount: Fen) -> SplitShare {
        SplitShare {
            mid: mid.to_owned(),
            mer_order_id: None,
            amount,
            confirmed: false,
        }
    }
}

/// One refund of an order, by the merchant's `refundOrderId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRecord {
    /// `refundOrderId`.
    pub refund_order_id: String,
    /// `refundAmount`: what this refund gives back.
    pub amount: Fen,
    /// `refundStatus`: `SUCCESS`, or `PROCESSING` until a refund query settles it (see
    /// [`SandboxBuilder::refunds_pending_first`](crate::SandboxBuilder::refunds_pending_first)).
    pub status: RefundStatus,
}

impl Order {
    /// [`DEMO_MID`] / [`DEMO_TID`] / [`DEMO_INST_MID`], the given id, amount and status; paid
    /// directly, no refunds.
    pub fn new(mer_order_id: &str, total_amount: Fen, status: TradeStatus) -> Order {
        Order {
            mid: DEMO_MID.to_owned(),
            tid: DEMO_TID.to_owned(),
            inst_mid: DEMO_INST_MID.to_owned(),
            mer_order_id: mer_order_id.to_owned(),
            total_amount,
            status,
            amounts_as_strings: false,
            pay_time: None,
            target_sys: None,
            refund_amount: None,
            kind: OrderKind::Direct,
            refunds: Vec::new(),
            channel: None,
            created_by: None,
            created_at: None,
            order_desc: None,
            goods: Vec::new(),
            notify_url: None,
            return_url: None,
            expire_time: None,
            attached_data: None,
            target_order_id: None,
            bill: None,
            md5_notifications: false,
        }
    }

    /// The order with its notifications signed the legacy way, MD5 (`signType=MD5`); the
    /// notification key and the rest of the rule are the same.
    ///
    /// ```
    /// use chinaums::{Fen, TradeStatus};
    /// use chinaums_sandbox::Order;
    ///
    /// let order = Order::new("3194LEGACY000001", Fen(100), TradeStatus::WaitBuyerPay)
    ///     .with_md5_notifications();
    /// assert!(order.md5_notifications);
    /// ```
    pub fn with_md5_notifications(mut self) -> Order {
        self.md5_notifications = true;
        self
    }

    /// Whether the order can still be paid: `NEW_ORDER` or `WAIT_BUYER_PAY`.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            TradeStatus::NewOrder | TradeStatus::WaitBuyerPay
        )
    }

    /// The bill's `billStatus` for the order's `status`: `UNPAID`, `PAID`, `REFUND`, `CLOSED`
    /// or `UNKNOWN`.
    pub fn bill_status(&self) -> &'static str {
        match self.status {
            TradeStatus::NewOrder | TradeStatus::WaitBuyerPay => "UNPAID",
            TradeStatus::TradeSuccess => "PAID",
            TradeStatus::TradeRefund => "REFUND",
            TradeStatus::TradeClosed => "CLOSED",
            _ => "UNKNOWN",
        }
    }

    /// The order as a guaranteed payment (`secureTransaction`), nothing completed yet
    /// (`UNCOMPLETED`). Replaces a split: a payment is never both.
    pub fn guaranteed(mut self) -> Order {
        self.kind = OrderKind::Guaranteed(Guarantee {
            status: SecureStatus::Uncompleted,
            completed_amount: Fen::ZERO,
        });
        self
    }

    /// The order as a split payment: the platform's share and the sub-merchants', none
    /// confirmed yet. A confirmation names the final shares, which must add up to the order's
    /// amount (these need not). Replaces a guarantee: a payment is never both.
    pub fn split(mut self, platform_amount: Fen, sub_orders: Vec<SplitShare>) -> Order {
        self.kind = OrderKind::Split(Split {
            platform_amount,
            sub_orders,
        });
        self
    }

    /// Records a settled refund of `amount` as `refund_order_id` on a paid order: it counts in
    /// `refundAmount`, and the order reports `TRADE_REFUND` (as after any refund). An amount
    /// that would overflow `refundAmount` is not recorded: the order comes back unchanged.
    pub fn with_refund(mut self, refund_order_id: &str, amount: Fen) -> Order {
        let Some(refunded) = self.refund_amount.unwrap_or(Fen::ZERO).checked_add(amount) else {
            return self;
        };
        self.refund_amount = Some(refunded);
        self.status = TradeStatus::TradeRefund;
        self.refunds.push(RefundRecord {
            refund_order_id: refund_order_id.to_owned(),
            amount,
            status: RefundStatus::Success,
        });
        self
    }

    /// `secureStatus`, for a guaranteed order.
    pub fn secure_status(&self) -> Option<&SecureStatus> {
        match &self.kind {
            OrderKind::Guaranteed(g) => Some(&g.status),
            _ => None,
        }
    }

    /// The sub-merchants' shares, for a split order.
    pub fn split_shares(&self) -> Option<&[SplitShare]> {
        match &self.kind {
            OrderKind::Split(s) => Some(&s.sub_orders),
            _ => None,
        }
    }

    /// The refund with this `refundOrderId`, if the order has one.
    pub fn refund(&self, refund_order_id: &str) -> Option<&RefundRecord> {
        self.refunds
            .iter()
            .find(|r| r.refund_order_id == refund_order_id)
    }

    /// The demo orders that [`SandboxBuilder::seed_demo`](crate::SandboxBuilder::seed_demo)
    /// inserts (see the `DEMO_*` constants). Their amounts are JSON numbers, as in real
    /// responses, unless
    /// [`SandboxBuilder::amounts_as_strings`](crate::SandboxBuilder::amounts_as_strings).
    pub fn demo_orders() -> Vec<Order> {
        let paid = |id: &str, pay_time: &str, target_sys: &str, total: Fen| Order {
            pay_time: Some(pay_time.into()),
            target_sys: Some(target_sys.into()),
            ..Order::new(id, total, TradeStatus::TradeSuccess)
        };
        vec![
            paid(DEMO_PAID_ORDER, "2024-01-01 12:00:05", "WXPay", Fen(100)),
            Order::new(DEMO_UNPAID_ORDER, Fen(2500), TradeStatus::WaitBuyerPay),
            paid(
                DEMO_REFUNDED_ORDER,
                "2024-01-02 09:30:00",
                "Alipay 2.0",
                Fen(880),
            )
            .with_refund(DEMO_REFUNDED_REFUND, Fen(880)),
            Order::new(DEMO_CLOSED_ORDER, Fen(1200), TradeStatus::TradeClosed),
            paid(
                DEMO_GUARANTEED_ORDER,
                "2024-01-03 10:00:00",
                "WXPay",
                Fen(100),
            )
            .guaranteed(),
            paid(DEMO_SPLIT_ORDER, "2024-01-03 11:00:00", "WXPay", Fen(100))
                .split(Fen(10), vec![SplitShare::new(DEMO_SUB_MID, Fen(90))]),
            paid(
                DEMO_PARTLY_REFUNDED_ORDER,
                "2024-01-03 12:00:00",
                "Alipay 2.0",
                Fen(100),
            )
            .with_refund(DEMO_PARTLY_REFUNDED_REFUND, Fen(30)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_the_kind_and_one_replaces_the_other() {
        let order = Order::new("3194TEST0001", Fen(100), TradeStatus::TradeSuccess);
        assert_eq!(order.kind, OrderKind::Direct);
        assert_eq!(order.secure_status(), None);
        let held = order.clone().guaranteed();
        assert_eq!(held.secure_status(), Some(&SecureStatus::Uncompleted));
        let split = held.split(Fen(10), vec![SplitShare::new(DEMO_SUB_MID, Fen(90))]);
        assert_eq!(
            split.secure_status(),
            None,
            "a split replaces the guarantee"
        );
        assert_eq!(split.split_shares().map(<[_]>::len), Some(1));
        assert!(split.guaranteed().split_shares().is_none());
    }

    #[test]
    fn with_refund_records_and_adds_up_without_overflowing() {
        let order = Order::new("3194TEST0001", Fen(100), TradeStatus::TradeSuccess)
            .with_refund("3194REF00001", Fen(30))
            .with_refund("3194REF00002", Fen(20));
        assert_eq!(order.refund_amount, Some(Fen(50)));
        assert_eq!(order.status, TradeStatus::TradeRefund);
        assert_eq!(
            order.refund("3194REF00002").map(|r| r.amount),
            Some(Fen(20))
        );
        assert_eq!(order.refunds.len(), 2);
        let full = Order {
            refund_amount: Some(Fen(u64::MAX)),
            ..Order::new("3194TEST0002", Fen(u64::MAX), TradeStatus::TradeRefund)
        };
        assert_eq!(full.clone().with_refund("3194REF00003", Fen(1)), full);
    }

    #[test]
    fn the_demo_orders_are_the_documented_ones() {
        let orders = Order::demo_orders();
        let find = |id: &str| orders.iter().find(|o| o.mer_order_id == id).unwrap();
        let guaranteed = find(DEMO_GUARANTEED_ORDER);
        assert_eq!(guaranteed.total_amount, Fen(100));
        assert_eq!(guaranteed.status, TradeStatus::TradeSuccess);
        assert_eq!(
            guaranteed.kind,
            OrderKind::Guaranteed(Guarantee {
                status: SecureStatus::Uncompleted,
                completed_amount: Fen::ZERO
            })
        );
        let split = find(DEMO_SPLIT_ORDER);
        assert_eq!(split.status, TradeStatus::TradeSuccess);
        assert_eq!(
            split.kind,
            OrderKind::Split(Split {
                platform_amount: Fen(10),
                sub_orders: vec![SplitShare::new(DEMO_SUB_MID, Fen(90))],
            })
        );
        let partly = find(DEMO_PARTLY_REFUNDED_ORDER);
        assert_eq!(partly.total_amount, Fen(100));
        assert_eq!(partly.refund_amount, Some(Fen(30)));
        assert_eq!(
            partly.refunds,
            vec![RefundRecord {
                refund_order_id: DEMO_PARTLY_REFUNDED_REFUND.into(),
                amount: Fen(30),
                status: RefundStatus::Success,
            }]
        );
        let refunded = find(DEMO_REFUNDED_ORDER);
        assert_eq!(refunded.status, TradeStatus::TradeRefund);
        assert_eq!(refunded.refund_amount, Some(Fen(880)));
        assert_eq!(find(DEMO_PAID_ORDER).kind, OrderKind::Direct);
        // Every id is one the core accepts.
        for order in &orders {
            order.mer_order_id.parse::<chinaums::MerOrderId>().unwrap();
            for refund in &order.refunds {
                refund
                    .refund_order_id
                    .parse::<chinaums::RefundOrderId>()
                    .unwrap();
            }
        }
        DEMO_SUB_MID.parse::<chinaums::Mid>().unwrap();
    }
}
