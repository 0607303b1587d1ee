//! The order book: every order the sandbox knows, and the only place its state changes.
//!
//! Endpoints never edit an [`Order`] directly: they ask for a transition (pay, refund, close,
//! complete or cancel a guarantee, confirm a split) and get the new state or the reason the
//! platform would refuse it ([`Refusal`], which also says which `errCode` that is), so that
//! every endpoint agrees on what is legal.
//!
//! The platform documents the codes, not which case gets which; where it does not say, the
//! choice is made here, once:
//!
//! - a request whose fields are fine but which the order's state does not allow (not paid,
//!   closed, over what is left, guaranteed, not split, already confirmed or completed) is
//!   `OPERATION_NOT_ALLOWED`: the same request could have been valid on the order a moment
//!   earlier, so it is not malformed, and retrying it will not help;
//! - a request that could never be valid for this order (shares that do not add up to it, a
//!   sub-merchant it does not have, an amount of zero) is `BAD_REQUEST`, naming the field;
//! - a second cancel of a guarantee is `HAS_CANCELLED`, the documented code;
//! - an order that does not exist, or a refund it does not have, is `NO_ORDER`.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use chinaums::{Fen, RefundStatus, SecureStatus, SubOrder, TradeStatus};

use crate::order::{Channel, Guarantee, Order, OrderKind, RefundRecord, Split};

/// Orders by `mid` + `merOrderId`, with the refunds made on each; and the QR codes bills are
/// shown with.
#[derive(Debug, Default)]
pub(crate) struct Book {
    orders: HashMap<(String, String), Order>,
    codes: HashMap<String, QrCode>,
    /// What happened since the last [`Book::take_events`]: the changes a notification is sent
    /// for.
    events: Vec<Event>,
}

/// A change the merchant is notified of (at the order's `notifyUrl`), with the order as it was
/// right after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The payer paid: the order is `TRADE_SUCCESS`.
    Paid(Order),
    /// A refund settled (at once, or at the query that settled a `PROCESSING` one).
    Refunded {
        /// The order after the refund (`TRADE_REFUND`).
        order: Order,
        /// The refund.
        refund: RefundRecord,
    },
}

/// A QR code made by `get-qrcode`: the bill it shows now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QrCode {
    pub mid: String,
    /// The bill shown (its `billNo`, the order's `mer_order_id`).
    pub bill_no: String,
    /// Retired by `close-qrcode`: it shows nothing any more.
    pub closed: bool,
}

/// The payer paid: where, when and the channel's number for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Payment {
    /// `payTime` (`yyyy-MM-dd HH:mm:ss`, Beijing).
    pub pay_time: String,
    /// The wallet, when the order does not name one already (a QR bill).
    pub channel: Option<Channel>,
    /// The channel's number for the payment, unless the order has one.
    pub target_order_id: String,
}

/// Why a transition is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No order with this `mid` and `merOrderId`.
    NoOrder,
    /// The order has no refund with this `refundOrderId` (or no refund at all).
    NoRefund,
    /// The order is not in a state this transition starts from.
    WrongState(TradeStatus),
    /// An amount of nothing, in this field.
    ZeroAmount(&'static str),
    /// A refund larger than what is left to refund.
    OverRefund {
        /// What is left to refund.
        remaining: Fen,
    },
    /// A guaranteed payment: complete or cancel the guarantee instead of refunding it.
    Guaranteed,
    /// `secure-complete` or `secure-cancel` on an order that is not guaranteed.
    NotGuaranteed,
    /// The guarantee was cancelled: nothing left to complete.
    GuaranteeCancelled,
    /// The guarantee was cancelled already: a second cancel.
    HasCancelled,
    /// The guarantee was completed already (in part or in full); it is completed once.
    GuaranteeSettled(SecureStatus),
    /// `completedAmount` over what was paid.
    OverComplete {
        /// What was paid.
        paid: Fen,
    },
    /// `sub-orders-confirm` on an order that is not split.
    NotSplit,
    /// The confirmed shares do not add up to the order's amount.
    SharesMismatch {
        /// The order's amount.
        total: Fen,
        /// What the shares add up to.
        sum: Fen,
    },
    /// The amounts in the request overflow when added up.
    Overflow(&'static str),
    /// A sub-merchant the split order does not have.
    UnknownSubMerchant(String),
    /// The same sub-merchant twice in one confirmation.
    DuplicateSubMerchant(String),
    /// This sub-order was confirmed already.
    AlreadyConfirmed(String),
    /// An order with this `mid` and `merOrderId` (or bill with this `billNo`) exists already.
    DupOrder,
    /// No bill with this `billNo` and `billDate`, or no such QR code.
    NoBill,
    /// The fixed QR code to bind a bill to was closed.
    CodeClosed(String),
    /// The fixed QR code belongs to another merchant.
    ForeignCode(String),
}

impl Refusal {
    /// The `errCode` the sandbox answers; the choices are explained at the top of this module.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoOrder | Refusal::NoRefund => "NO_ORDER",
            Refusal::NoBill => "NO_BILL",
            Refusal::DupOrder => "DUP_ORDER",
            Refusal::ForeignCode(_) => "BAD_REQUEST",
            Refusal::CodeClosed(_) => "OPERATION_NOT_ALLOWED",
            Refusal::ZeroAmount(_)
            | Refusal::SharesMismatch { .. }
            | Refusal::Overflow(_)
            | Refusal::UnknownSubMerchant(_)
            | Refusal::DuplicateSubMerchant(_) => "BAD_REQUEST",
            Refusal::HasCancelled => "HAS_CANCELLED",
            Refusal::WrongState(_)
            | Refusal::OverRefund { .. }
            | Refusal::Guaranteed
            | Refusal::NotGuaranteed
            | Refusal::GuaranteeCancelled
            | Refusal::GuaranteeSettled(_)
            | Refusal::OverComplete { .. }
            | Refusal::NotSplit
            | Refusal::AlreadyConfirmed(_) => "OPERATION_NOT_ALLOWED",
        }
    }
}

/// The `errMsg`: the platform's kind of Chinese text, then what exactly was wrong (for
/// `BAD_REQUEST`, `"<field>: <rule>"`).
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoOrder => f.write_str("订单不存在"),
            Refusal::NoRefund => f.write_str("退款订单不存在: the order has no such refund"),
            Refusal::WrongState(status) => write!(
                f,
                "当前订单状态不允许此操作: the order is {} ({})",
                status.as_str(),
                status.describe()
            ),
            Refusal::ZeroAmount(field) => write!(f, "{field}: must be more than zero"),
            Refusal::OverRefund { remaining } => write!(
                f,
                "退款金额超过可退金额: only {} fen is left to refund",
                remaining.get()
            ),
            Refusal::Guaranteed => f.write_str(
                "担保交易不能直接退款: a guaranteed payment is completed or cancelled, not refunded",
            ),
            Refusal::NotGuaranteed => f.write_str("非担保交易: the order is not guaranteed"),
            Refusal::GuaranteeCancelled => {
                f.write_str("担保交易已撤销: the guarantee was cancelled")
            }
            Refusal::HasCancelled => f.write_str("担保交易已撤销: cancelled already"),
            Refusal::GuaranteeSettled(status) => write!(
                f,
                "担保交易已完成: the guarantee is {} already",
                status.as_str()
            ),
            Refusal::OverComplete { paid } => write!(
                f,
                "担保完成金额超过订单金额: only {} fen was paid",
                paid.get()
            ),
            Refusal::NotSplit => f.write_str("非分账订单: the order is not split"),
            Refusal::SharesMismatch { total, sum } => write!(
                f,
                "subOrders: must add up to the order's amount with platformAmount ({} fen), got {} fen",
                total.get(),
                sum.get()
            ),
            Refusal::Overflow(field) => write!(f, "{field}: the amounts overflow"),
            Refusal::UnknownSubMerchant(mid) => {
                write!(f, "subOrders: {mid} is not a sub-merchant of this order")
            }
            Refusal::DuplicateSubMerchant(mid) => {
                write!(f, "subOrders: {mid} is named twice")
            }
            Refusal::AlreadyConfirmed(mid) => write!(
                f,
                "子订单已确认: the sub-order of {mid} was confirmed already"
            ),
            Refusal::DupOrder => f.write_str("订单号重复: an order with this number exists already"),
            Refusal::NoBill => f.write_str("账单不存在: no such bill or QR code"),
            Refusal::CodeClosed(id) => write!(f, "二维码已关闭: QR code {id} was closed"),
            Refusal::ForeignCode(id) => {
                write!(f, "qrCodeId: {id} belongs to another merchant")
            }
        }
    }
}

/// Where a refund left the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refunded {
    pub order: Order,
    pub refund: RefundRecord,
    /// The `refundOrderId` was used before: this is the existing refund, nothing was refunded
    /// again (whatever amount the repeat asked for).
    pub repeated: bool,
}

fn key(mid: &str, mer_order_id: &str) -> (String, String) {
    (mid.to_owned(), mer_order_id.to_owned())
}

/// What is left to refund: the amount, less what was refunded and what refunds still being
/// processed hold. Zero when an order was set up with more refunded than paid.
fn remaining(order: &Order) -> Option<Fen> {
    let pending = order
        .refunds
        .iter()
        .filter(|r| r.status != RefundStatus::Success)
        .try_fold(Fen::ZERO, |sum, r| sum.checked_add(r.amount))?;
    let held = order
        .refund_amount
        .unwrap_or(Fen::ZERO)
        .checked_add(pending)?;
    Some(order.total_amount.checked_sub(held).unwrap_or(Fen::ZERO))
}

/// Adds `amount` to what went back to the payer; the order is then `TRADE_REFUND`.
fn give_back(order: &mut Order, amount: Fen) -> Result<(), Refusal> {
    let refunded = order
        .refund_amount
        .unwrap_or(Fen::ZERO)
        .checked_add(amount)
        .ok_or(Refusal::Overflow("refundAmount"))?;
    order.refund_amount = Some(refunded);
    order.status = TradeStatus::TradeRefund;
    Ok(())
}

impl Book {
    /// Adds `order`, replacing any with the same key (and its refunds).
    pub fn insert(&mut self, order: Order) {
        self.orders
            .insert(key(&order.mid, &order.mer_order_id), order);
    }

    pub fn get(&self, mid: &str, mer_order_id: &str) -> Option<&Order> {
        self.orders.get(&key(mid, mer_order_id))
    }

    pub fn remove(&mut self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.orders.remove(&key(mid, mer_order_id))
    }

    /// The changes since the last call, oldest first. Guarantee completions and cancels are
    /// not among them: the sandbox does not notify them.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn order(&mut self, mid: &str, mer_order_id: &str) -> Result<&mut Order, Refusal> {
        self.orders
            .get_mut(&key(mid, mer_order_id))
            .ok_or(Refusal::NoOrder)
    }

    /// The buyer paid: `NEW_ORDER` or `WAIT_BUYER_PAY` → `TRADE_SUCCESS`, with `payTime`,
    /// `targetSys` (the order's channel, else the payment's) and `targetOrderId`.
    pub fn pay(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        payment: Payment,
    ) -> Result<Order, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        if !order.is_open() {
            return Err(Refusal::WrongState(order.status.clone()));
        }
        let channel = order.channel.or(payment.channel);
        order.status = TradeStatus::TradeSuccess;
        order.pay_time = Some(payment.pay_time);
        if order.channel.is_none() {
            order.channel = channel;
        }
        if let Some(channel) = channel {
            order.target_sys = Some(channel.target_sys().to_owned());
        }
        if order.target_order_id.is_none() {
            order.target_order_id = Some(payment.target_order_id);
        }
        let order = order.clone();
        self.events.push(Event::Paid(order.clone()));
        Ok(order)
    }

    /// The payer's payment failed (declined at the cashier): the order stays unpaid, waiting
    /// for the buyer (`NEW_ORDER` → `WAIT_BUYER_PAY`).
    pub fn decline(&mut self, mid: &str, mer_order_id: &str) -> Result<Order, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        if !order.is_open() {
            return Err(Refusal::WrongState(order.status.clone()));
        }
        order.status = TradeStatus::WaitBuyerPay;
        Ok(order.clone())
    }

    /// Adds a new order (or bill); `DUP_ORDER` when its `mid` + `merOrderId` exists. A bill
    /// takes over its QR code: a new code, or the fixed one it names (not a closed one, nor
    /// another merchant's).
    pub fn create(&mut self, order: Order) -> Result<Order, Refusal> {
        let key = key(&order.mid, &order.mer_order_id);
        if self.orders.contains_key(&key) {
            return Err(Refusal::DupOrder);
        }
        if let Some(bill) = &order.bill {
            match self.codes.get(&bill.qr_code_id) {
                Some(code) if code.mid != order.mid => {
                    return Err(Refusal::ForeignCode(bill.qr_code_id.clone()));
                }
                Some(code) if code.closed => {
                    return Err(Refusal::CodeClosed(bill.qr_code_id.clone()));
                }
                _ => {}
            }
            self.codes.insert(
                bill.qr_code_id.clone(),
                QrCode {
                    mid: order.mid.clone(),
                    bill_no: order.mer_order_id.clone(),
                    closed: false,
                },
            );
        }
        self.orders.insert(key, order.clone());
        Ok(order)
    }

    /// Records the channel's number for an order known before it is paid (Alipay's trade
    /// number of a mini-program order).
    pub fn set_target_order_id(&mut self, mid: &str, mer_order_id: &str, target_order_id: &str) {
        if let Ok(order) = self.order(mid, mer_order_id) {
            order.target_order_id = Some(target_order_id.to_owned());
        }
    }

    /// Closes every unpaid order whose `expireTime` is not after `now` (`TRADE_CLOSED`).
    pub fn expire_due(&mut self, now: SystemTime) {
        for order in self.orders.values_mut() {
            if order.is_open() && order.expire_time.is_some_and(|at| at <= now) {
                order.status = TradeStatus::TradeClosed;
            }
        }
    }

    /// Every order with this `merOrderId` (under any `mid`).
    pub fn with_id(&self, mer_order_id: &str) -> Vec<&Order> {
        self.orders
            .values()
            .filter(|o| o.mer_order_id == mer_order_id)
            .collect()
    }

    /// Every order, by `mid` then `merOrderId`.
    pub fn all(&self) -> Vec<&Order> {
        let mut orders: Vec<&Order> = self.orders.values().collect();
        orders.sort_by(|a, b| (&a.mid, &a.mer_order_id).cmp(&(&b.mid, &b.mer_order_id)));
        orders
    }

    /// The bill `bill_no` of `bill_date`; `NO_BILL` when there is none (or not of that date).
    pub fn bill(&self, mid: &str, bill_no: &str, bill_date: &str) -> Result<&Order, Refusal> {
        self.get(mid, bill_no)
            .filter(|o| o.bill.as_ref().is_some_and(|b| b.bill_date == bill_date))
            .ok_or(Refusal::NoBill)
    }

    /// Changes an unpaid bill with `change`; a paid or closed one is `OPERATION_NOT_ALLOWED`.
    pub fn update_bill(
        &mut self,
        mid: &str,
        bill_no: &str,
        bill_date: &str,
        change: impl FnOnce(&mut Order),
    ) -> Result<Order, Refusal> {
        self.bill(mid, bill_no, bill_date)?;
        let order = self.order(mid, bill_no)?;
        if !order.is_open() {
            return Err(Refusal::WrongState(order.status.clone()));
        }
        change(order);
        Ok(order.clone())
    }

    /// The QR code `qr_code_id` of merchant `mid`, and the bill it shows.
    pub fn code(&self, mid: &str, qr_code_id: &str) -> Result<(&QrCode, &Order), Refusal> {
        let code = self
            .codes
            .get(qr_code_id)
            .filter(|c| c.mid == mid)
            .ok_or(Refusal::NoBill)?;
        let bill = self.get(&code.mid, &code.bill_no).ok_or(Refusal::NoBill)?;
        Ok((code, bill))
    }

    /// The QR code `qr_code_id` (of any merchant), for a browser that opened it.
    pub fn code_by_id(&self, qr_code_id: &str) -> Option<(&QrCode, Option<&Order>)> {
        let code = self.codes.get(qr_code_id)?;
        Some((code, self.get(&code.mid, &code.bill_no)))
    }

    /// Retires a QR code: it shows nothing any more, and its bill closes if unpaid. Closing it
    /// again changes nothing. The code and the bill as they are now.
    pub fn close_code(&mut self, mid: &str, qr_code_id: &str) -> Result<(QrCode, Order), Refusal> {
        let (code, _) = self.code(mid, qr_code_id)?;
        let bill_no = code.bill_no.clone();
        if let Some(code) = self.codes.get_mut(qr_code_id) {
            code.closed = true;
        }
        let order = self.order(mid, &bill_no)?;
        if order.is_open() {
            order.status = TradeStatus::TradeClosed;
        }
        let order = order.clone();
        let code = self.codes.get(qr_code_id).cloned().ok_or(Refusal::NoBill)?;
        Ok((code, order))
    }

    /// Refunds `amount` of a paid order, in part or in full, as refund `refund_order_id`.
    ///
    /// - The same `refundOrderId` again returns the existing refund, as it stands (amount and
    ///   status), whatever amount the repeat asks for: nothing is refunded twice (the
    ///   platform's idempotency). A client that compares the answer's `refundAmount` with what
    ///   it sent sees the difference.
    /// - Only a paid order (`TRADE_SUCCESS`, or `TRADE_REFUND` with something left) is
    ///   refunded, never a guaranteed one, and never more than what is left.
    /// - Settled (`pending` false): `refundAmount` grows and the order reports `TRADE_REFUND`,
    ///   after a partial refund too (the platform's "paid, then partly or fully refunded";
    ///   `refundAmount` tells how much). Pending: recorded as `PROCESSING`, holding its amount,
    ///   the order unchanged until [`Book::query_refund`] settles it.
    pub fn refund(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        refund_order_id: &str,
        amount: Fen,
        pending: bool,
    ) -> Result<Refunded, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        if let Some(existing) = order.refund(refund_order_id) {
            return Ok(Refunded {
                refund: existing.clone(),
                order: order.clone(),
                repeated: true,
            });
        }
        if matches!(order.kind, OrderKind::Guaranteed(_)) {
            return Err(Refusal::Guaranteed);
        }
        if !matches!(
            order.status,
            TradeStatus::TradeSuccess | TradeStatus::TradeRefund
        ) {
            return Err(Refusal::WrongState(order.status.clone()));
        }
        if amount == Fen::ZERO {
            return Err(Refusal::ZeroAmount("refundAmount"));
        }
        let remaining = remaining(order).ok_or(Refusal::Overflow("refundAmount"))?;
        if amount > remaining {
            return Err(Refusal::OverRefund { remaining });
        }
        let refund = RefundRecord {
            refund_order_id: refund_order_id.to_owned(),
            amount,
            status: if pending {
                RefundStatus::Processing
            } else {
                RefundStatus::Success
            },
        };
        if !pending {
            give_back(order, amount)?;
        }
        order.refunds.push(refund.clone());
        let order = order.clone();
        if !pending {
            self.events.push(Event::Refunded {
                order: order.clone(),
                refund: refund.clone(),
            });
        }
        Ok(Refunded {
            order,
            refund,
            repeated: false,
        })
    }

    /// The refund `refund_order_id` of an order, or its latest refund without one; a refund
    /// still `PROCESSING` settles now (`SUCCESS`, counted in `refundAmount`, the order
    /// `TRADE_REFUND`). `NO_ORDER` when the order has no such refund.
    pub fn query_refund(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        refund_order_id: Option<&str>,
    ) -> Result<(Order, RefundRecord), Refusal> {
        let order = self.order(mid, mer_order_id)?;
        let index = match refund_order_id {
            Some(id) => order.refunds.iter().position(|r| r.refund_order_id == id),
            None => order.refunds.len().checked_sub(1),
        }
        .ok_or(Refusal::NoRefund)?;
        let amount = order.refunds[index].amount;
        let settles = order.refunds[index].status != RefundStatus::Success;
        if settles {
            give_back(order, amount)?;
            order.refunds[index].status = RefundStatus::Success;
        }
        let (order, refund) = (order.clone(), order.refunds[index].clone());
        if settles {
            self.events.push(Event::Refunded {
                order: order.clone(),
                refund: refund.clone(),
            });
        }
        Ok((order, refund))
    }

    /// Closes an unpaid order: `NEW_ORDER` or `WAIT_BUYER_PAY` → `TRADE_CLOSED`. A paid,
    /// refunded or already closed order cannot be closed.
    pub fn close(&mut self, mid: &str, mer_order_id: &str) -> Result<Order, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        match order.status {
            TradeStatus::NewOrder | TradeStatus::WaitBuyerPay => {
                order.status = TradeStatus::TradeClosed;
                Ok(order.clone())
            }
            ref other => Err(Refusal::WrongState(other.clone())),
        }
    }

    /// The guarantee of a paid guaranteed order, if it may still be completed or cancelled.
    fn open_guarantee(order: &mut Order, cancel: bool) -> Result<&mut Guarantee, Refusal> {
        let paid = order.status == TradeStatus::TradeSuccess;
        let OrderKind::Guaranteed(guarantee) = &mut order.kind else {
            return Err(Refusal::NotGuaranteed);
        };
        match &guarantee.status {
            SecureStatus::Uncompleted if paid => Ok(guarantee),
            SecureStatus::Uncompleted => Err(Refusal::WrongState(order.status.clone())),
            SecureStatus::Canceled if cancel => Err(Refusal::HasCancelled),
            SecureStatus::Canceled => Err(Refusal::GuaranteeCancelled),
            other => Err(Refusal::GuaranteeSettled(other.clone())),
        }
    }

    /// Releases `amount` of a paid guaranteed order to the merchant: all of it
    /// (`ALL_COMPLETED`) or part (`PARTLY_COMPLETED`: the rest goes back to the payer, so the
    /// order then reports `TRADE_REFUND` with that `refundAmount`). Completed once; never
    /// after a cancel, never more than was paid.
    pub fn secure_complete(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        amount: Fen,
    ) -> Result<Order, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        let paid = order.total_amount;
        let guarantee = Self::open_guarantee(order, false)?;
        if amount == Fen::ZERO {
            return Err(Refusal::ZeroAmount("completedAmount"));
        }
        let back = paid
            .checked_sub(amount)
            .ok_or(Refusal::OverComplete { paid })?;
        guarantee.completed_amount = amount;
        guarantee.status = if back == Fen::ZERO {
            SecureStatus::AllCompleted
        } else {
            SecureStatus::PartlyCompleted
        };
        if back != Fen::ZERO {
            give_back(order, back)?;
        }
        Ok(order.clone())
    }

    /// Gives a paid guaranteed payment back to the payer: `CANCELED`, the whole amount in
    /// `refundAmount`, the order `TRADE_REFUND`. A second cancel is `HAS_CANCELLED`; a
    /// completed guarantee cannot be cancelled.
    pub fn secure_cancel(&mut self, mid: &str, mer_order_id: &str) -> Result<Order, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        let paid = order.total_amount;
        let guarantee = Self::open_guarantee(order, true)?;
        guarantee.status = SecureStatus::Canceled;
        give_back(order, paid)?;
        Ok(order.clone())
    }

    /// Confirms the shares of a paid split order: `platform` and `sub_orders` must add up to
    /// the order's amount and name only its sub-merchants, each once; a sub-order confirmed
    /// already cannot be confirmed again. The confirmed amounts replace the planned ones. All
    /// or nothing: a refused confirmation changes nothing.
    pub fn confirm_split(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        platform: Fen,
        sub_orders: &[SubOrder],
    ) -> Result<Order, Refusal> {
        let order = self.order(mid, mer_order_id)?;
        let total = order.total_amount;
        let OrderKind::Split(split) = &mut order.kind else {
            return Err(Refusal::NotSplit);
        };
        if order.status != TradeStatus::TradeSuccess {
            return Err(Refusal::WrongState(order.status.clone()));
        }
        let sum = sub_orders
            .iter()
            .try_fold(platform, |sum, s| sum.checked_add(s.total_amount))
            .ok_or(Refusal::Overflow("subOrders"))?;
        if sum != total {
            return Err(Refusal::SharesMismatch { total, sum });
        }
        let mut shares = Vec::with_capacity(sub_orders.len());
        for sub in sub_orders {
            let mid = sub.mid.as_str();
            let index = split
                .sub_orders
                .iter()
                .position(|s| s.mid == mid)
                .ok_or_else(|| Refusal::UnknownSubMerchant(mid.to_owned()))?;
            if shares.contains(&index) {
                return Err(Refusal::DuplicateSubMerchant(mid.to_owned()));
            }
            shares.push(index);
        }
        if let Some(done) = shares.iter().find(|&&i| split.sub_orders[i].confirmed) {
            return Err(Refusal::AlreadyConfirmed(
                split.sub_orders[*done].mid.clone(),
            ));
        }
        let Split {
            platform_amount,
            sub_orders: planned,
        } = split;
        *platform_amount = platform;
        for (sub, index) in sub_orders.iter().zip(shares) {
            let share = &mut planned[index];
            share.amount = sub.total_amount;
            share.confirmed = true;
            if let Some(id) = &sub.mer_order_id {
                share.mer_order_id = Some(id.to_string());
            }
        }
        Ok(order.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::SplitShare;
    use crate::{DEMO_MID, DEMO_SUB_MID};

    const ID: &str = "3194TEST0001";

    fn book_of(order: Order) -> Book {
        let mut book = Book::default();
        book.insert(order);
        book
    }

    fn payment() -> Payment {
        Payment {
            pay_time: "2024-01-01 12:00:00".into(),
            channel: Some(Channel::WeChat),
            target_order_id: "4200000001".into(),
        }
    }

    fn book_with(status: TradeStatus, total: u64) -> Book {
        book_of(Order::new(ID, Fen(total), status))
    }

    fn order(book: &Book) -> &Order {
        book.get(DEMO_MID, ID).unwrap()
    }

    fn refund(book: &mut Book, refund_id: &str, fen: u64) -> Result<Refunded, Refusal> {
        book.refund(DEMO_MID, ID, refund_id, Fen(fen), false)
    }

    #[test]
    fn an_unpaid_order_is_paid_once() {
        let mut book = book_with(TradeStatus::WaitBuyerPay, 100);
        let paid = book.pay(DEMO_MID, ID, payment()).unwrap();
        assert_eq!(paid.status, TradeStatus::TradeSuccess);
        assert_eq!(paid.pay_time.as_deref(), Some("2024-01-01 12:00:00"));
        assert_eq!(paid.target_sys.as_deref(), Some("WXPay"));
        assert_eq!(paid.target_order_id.as_deref(), Some("4200000001"));
        assert_eq!(
            book.pay(DEMO_MID, ID, payment()),
            Err(Refusal::WrongState(TradeStatus::TradeSuccess))
        );
        assert_eq!(
            book.pay(DEMO_MID, "3194NOSUCH01", payment()),
            Err(Refusal::NoOrder)
        );
    }

    #[test]
    fn the_order_s_own_channel_and_target_order_id_win() {
        let mut book = book_of(Order {
            channel: Some(Channel::Alipay),
            target_order_id: Some("2024010122001400000000000001".into()),
            ..Order::new(ID, Fen(100), TradeStatus::NewOrder)
        });
        let paid = book.pay(DEMO_MID, ID, payment()).unwrap();
        assert_eq!(paid.target_sys.as_deref(), Some("Alipay 2.0"));
        assert_eq!(
            paid.target_order_id.as_deref(),
            Some("2024010122001400000000000001")
        );
    }

    #[test]
    fn a_declined_payment_leaves_the_order_waiting_for_the_buyer() {
        let mut book = book_with(TradeStatus::NewOrder, 100);
        assert_eq!(
            book.decline(DEMO_MID, ID).unwrap().status,
            TradeStatus::WaitBuyerPay
        );
        assert_eq!(
            book.decline(DEMO_MID, ID).unwrap().status,
            TradeStatus::WaitBuyerPay
        );
        // Still payable.
        assert!(book.pay(DEMO_MID, ID, payment()).is_ok());
        assert_eq!(
            book.decline(DEMO_MID, ID),
            Err(Refusal::WrongState(TradeStatus::TradeSuccess))
        );
    }

    #[test]
    fn orders_expire_at_their_expire_time_and_only_if_unpaid() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000);
        let with_expiry = |id: &str, status| Order {
            expire_time: Some(at),
            ..Order::new(id, Fen(100), status)
        };
        let mut book = Book::default();
        book.insert(with_expiry("3194OPEN0001", TradeStatus::NewOrder));
        book.insert(with_expiry("3194WAIT0001", TradeStatus::WaitBuyerPay));
        book.insert(with_expiry("3194PAID0001", TradeStatus::TradeSuccess));
        book.insert(Order::new("3194NEVER001", Fen(1), TradeStatus::NewOrder));
        book.expire_due(at - std::time::Duration::from_secs(1));
        assert!(
            book.all()
                .iter()
                .all(|o| o.status != TradeStatus::TradeClosed)
        );
        book.expire_due(at);
        let status = |id: &str| book.get(DEMO_MID, id).unwrap().status.clone();
        assert_eq!(status("3194OPEN0001"), TradeStatus::TradeClosed);
        assert_eq!(status("3194WAIT0001"), TradeStatus::TradeClosed);
        assert_eq!(status("3194PAID0001"), TradeStatus::TradeSuccess);
        assert_eq!(status("3194NEVER001"), TradeStatus::NewOrder);
    }

    fn bill(id: &str, code: &str) -> Order {
        Order {
            bill: Some(crate::order::Bill {
                bill_date: "2024-01-01".into(),
                qr_code_id: code.into(),
                fixed_code: false,
            }),
            ..Order::new(id, Fen(100), TradeStatus::NewOrder)
        }
    }

    #[test]
    fn a_number_is_created_once() {
        let mut book = Book::default();
        book.create(Order::new(ID, Fen(100), TradeStatus::NewOrder))
            .unwrap();
        let again = book
            .create(Order::new(ID, Fen(200), TradeStatus::NewOrder))
            .unwrap_err();
        assert_eq!((again.code(), &again), ("DUP_ORDER", &Refusal::DupOrder));
        assert_eq!(order(&book).total_amount, Fen(100), "unchanged");
        // Another merchant may use the same number.
        let other = Order {
            mid: DEMO_SUB_MID.into(),
            ..Order::new(ID, Fen(1), TradeStatus::NewOrder)
        };
        assert!(book.create(other).is_ok());
        assert_eq!(book.with_id(ID).len(), 2);
    }

    #[test]
    fn bills_are_found_by_number_and_date_and_their_codes_close() {
        let mut book = Book::default();
        book.create(bill("3194BILL0001", "QR1")).unwrap();
        assert!(book.bill(DEMO_MID, "3194BILL0001", "2024-01-01").is_ok());
        assert_eq!(
            book.bill(DEMO_MID, "3194BILL0001", "2024-01-02")
                .unwrap_err(),
            Refusal::NoBill
        );
        assert_eq!(book.code(DEMO_SUB_MID, "QR1").unwrap_err(), Refusal::NoBill);
        let updated = book
            .update_bill(DEMO_MID, "3194BILL0001", "2024-01-01", |o| {
                o.total_amount = Fen(300)
            })
            .unwrap();
        assert_eq!(updated.total_amount, Fen(300));
        let (code, closed) = book.close_code(DEMO_MID, "QR1").unwrap();
        assert!(code.closed);
        assert_eq!(closed.status, TradeStatus::TradeClosed);
        // Again: no harm.
        assert!(book.close_code(DEMO_MID, "QR1").is_ok());
        assert_eq!(
            book.update_bill(DEMO_MID, "3194BILL0001", "2024-01-01", |_| {}),
            Err(Refusal::WrongState(TradeStatus::TradeClosed))
        );
        // A closed code takes no new bill.
        let refused = book.create(bill("3194BILL0002", "QR1")).unwrap_err();
        assert_eq!(refused, Refusal::CodeClosed("QR1".into()));
        assert!(book.get(DEMO_MID, "3194BILL0002").is_none());
    }

    #[test]
    fn a_fixed_code_shows_its_newest_bill() {
        let mut book = Book::default();
        book.create(bill("3194BILL0001", "FIXED")).unwrap();
        book.create(bill("3194BILL0002", "FIXED")).unwrap();
        let (_, shown) = book.code(DEMO_MID, "FIXED").unwrap();
        assert_eq!(shown.mer_order_id, "3194BILL0002");
        let foreign = Order {
            mid: DEMO_SUB_MID.into(),
            ..bill("3194BILL0003", "FIXED")
        };
        assert_eq!(
            book.create(foreign),
            Err(Refusal::ForeignCode("FIXED".into()))
        );
    }

    #[test]
    fn partial_refunds_add_up_to_the_total_and_no_further() {
        let mut book = book_with(TradeStatus::TradeSuccess, 1000);
        let first = refund(&mut book, "3194REF00001", 300).unwrap();
        assert_eq!(
            first.order.status,
            TradeStatus::TradeRefund,
            "partly refunded reports TRADE_REFUND"
        );
        assert_eq!(first.order.refund_amount, Some(Fen(300)));
        assert_eq!(first.refund.status, RefundStatus::Success);
        assert!(!first.repeated);
        let second = refund(&mut book, "3194REF00002", 700).unwrap();
        assert_eq!(second.order.refund_amount, Some(Fen(1000)));
        assert_eq!(second.order.status, TradeStatus::TradeRefund);
        let over = refund(&mut book, "3194REF00003", 1).unwrap_err();
        assert_eq!(
            over,
            Refusal::OverRefund {
                remaining: Fen::ZERO
            }
        );
        assert_eq!(over.code(), "OPERATION_NOT_ALLOWED");
        assert_eq!(order(&book).refunds.len(), 2);
    }

    #[test]
    fn a_refund_over_the_remainder_or_of_nothing_is_refused_and_changes_nothing() {
        let mut book = book_with(TradeStatus::TradeSuccess, 500);
        refund(&mut book, "3194REF00001", 100).unwrap();
        assert_eq!(
            refund(&mut book, "3194REF00002", 401),
            Err(Refusal::OverRefund {
                remaining: Fen(400)
            })
        );
        let zero = refund(&mut book, "3194REF00002", 0).unwrap_err();
        assert_eq!(zero, Refusal::ZeroAmount("refundAmount"));
        assert_eq!(
            (zero.code(), zero.to_string().as_str()),
            ("BAD_REQUEST", "refundAmount: must be more than zero")
        );
        assert_eq!(order(&book).refund_amount, Some(Fen(100)));
        assert_eq!(order(&book).refunds.len(), 1);
        // The refused id was not taken: it can still be used for a valid amount.
        assert!(!refund(&mut book, "3194REF00002", 400).unwrap().repeated);
    }

    #[test]
    fn the_same_refund_id_returns_the_existing_refund_whatever_the_amount() {
        let mut book = book_with(TradeStatus::TradeSuccess, 500);
        refund(&mut book, "3194REF00001", 200).unwrap();
        let again = refund(&mut book, "3194REF00001", 200).unwrap();
        assert!(again.repeated);
        assert_eq!(again.refund.amount, Fen(200));
        assert_eq!(again.order.refund_amount, Some(Fen(200)), "not twice");
        let other_amount = refund(&mut book, "3194REF00001", 100).unwrap();
        assert!(other_amount.repeated);
        assert_eq!(
            other_amount.refund.amount,
            Fen(200),
            "the existing refund's amount, not the repeat's"
        );
        // Even an amount over the remainder: the repeat is answered, not checked.
        assert!(refund(&mut book, "3194REF00001", 10_000).unwrap().repeated);
        assert_eq!(order(&book).refund_amount, Some(Fen(200)));
        assert_eq!(order(&book).refunds.len(), 1);
    }

    #[test]
    fn only_paid_orders_are_refunded() {
        for status in [
            TradeStatus::NewOrder,
            TradeStatus::WaitBuyerPay,
            TradeStatus::TradeClosed,
            TradeStatus::Unknown,
        ] {
            let mut book = book_with(status.clone(), 500);
            let refused = refund(&mut book, "3194REF00001", 1).unwrap_err();
            assert_eq!(refused, Refusal::WrongState(status));
            assert_eq!(refused.code(), "OPERATION_NOT_ALLOWED");
        }
        let mut book = Book::default();
        assert_eq!(refund(&mut book, "3194REF00001", 1), Err(Refusal::NoOrder));
        assert_eq!(Refusal::NoOrder.code(), "NO_ORDER");
    }

    #[test]
    fn a_preset_refund_amount_counts_against_the_remainder() {
        let mut book = book_of(Order {
            refund_amount: Some(Fen(400)),
            ..Order::new(ID, Fen(500), TradeStatus::TradeRefund)
        });
        assert_eq!(
            refund(&mut book, "3194REF00001", 101),
            Err(Refusal::OverRefund {
                remaining: Fen(100)
            })
        );
        let done = refund(&mut book, "3194REF00001", 100).unwrap();
        assert_eq!(done.order.refund_amount, Some(Fen(500)));
        // More refunded than paid (a test's own setup): nothing left, no underflow.
        let mut odd = book_of(Order {
            refund_amount: Some(Fen(900)),
            ..Order::new(ID, Fen(500), TradeStatus::TradeRefund)
        });
        assert_eq!(
            refund(&mut odd, "3194REF00001", 1),
            Err(Refusal::OverRefund {
                remaining: Fen::ZERO
            })
        );
    }

    #[test]
    fn a_pending_refund_holds_its_amount_and_settles_at_its_query() {
        let mut book = book_with(TradeStatus::TradeSuccess, 100);
        let pending = book
            .refund(DEMO_MID, ID, "3194REF00001", Fen(60), true)
            .unwrap();
        assert_eq!(pending.refund.status, RefundStatus::Processing);
        assert_eq!(pending.order.status, TradeStatus::TradeSuccess, "not yet");
        assert_eq!(pending.order.refund_amount, None);
        // Its amount is held: only 40 is left.
        assert_eq!(
            refund(&mut book, "3194REF00002", 41),
            Err(Refusal::OverRefund { remaining: Fen(40) })
        );
        // A repeat answers it as it stands.
        let repeat = refund(&mut book, "3194REF00001", 60).unwrap();
        assert!(repeat.repeated);
        assert_eq!(repeat.refund.status, RefundStatus::Processing);
        let (order_now, settled) = book
            .query_refund(DEMO_MID, ID, Some("3194REF00001"))
            .unwrap();
        assert_eq!(settled.status, RefundStatus::Success);
        assert_eq!(order_now.status, TradeStatus::TradeRefund);
        assert_eq!(order_now.refund_amount, Some(Fen(60)));
        // Settled once: asking again changes nothing.
        let (again, _) = book
            .query_refund(DEMO_MID, ID, Some("3194REF00001"))
            .unwrap();
        assert_eq!(again.refund_amount, Some(Fen(60)));
    }

    #[test]
    fn a_refund_query_names_a_refund_or_takes_the_latest() {
        let mut book = book_with(TradeStatus::TradeSuccess, 100);
        assert_eq!(
            book.query_refund(DEMO_MID, ID, None),
            Err(Refusal::NoRefund),
            "no refund yet"
        );
        refund(&mut book, "3194REF00001", 10).unwrap();
        refund(&mut book, "3194REF00002", 20).unwrap();
        let (_, first) = book
            .query_refund(DEMO_MID, ID, Some("3194REF00001"))
            .unwrap();
        assert_eq!(first.amount, Fen(10));
        let (_, latest) = book.query_refund(DEMO_MID, ID, None).unwrap();
        assert_eq!(latest.refund_order_id, "3194REF00002");
        let missing = book
            .query_refund(DEMO_MID, ID, Some("3194REF00009"))
            .unwrap_err();
        assert_eq!((missing.code(), missing), ("NO_ORDER", Refusal::NoRefund));
        assert_eq!(
            book.query_refund(DEMO_MID, "3194NOSUCH01", None),
            Err(Refusal::NoOrder)
        );
    }

    #[test]
    fn only_unpaid_orders_are_closed() {
        for status in [TradeStatus::NewOrder, TradeStatus::WaitBuyerPay] {
            let mut book = book_with(status, 500);
            let closed = book.close(DEMO_MID, ID).unwrap();
            assert_eq!(closed.status, TradeStatus::TradeClosed);
            let again = book.close(DEMO_MID, ID).unwrap_err();
            assert_eq!(again, Refusal::WrongState(TradeStatus::TradeClosed));
            assert_eq!(again.code(), "OPERATION_NOT_ALLOWED");
            assert_eq!(
                book.pay(DEMO_MID, ID, payment()),
                Err(Refusal::WrongState(TradeStatus::TradeClosed)),
                "a closed order cannot be paid"
            );
        }
        for status in [TradeStatus::TradeSuccess, TradeStatus::TradeRefund] {
            let mut paid = book_with(status.clone(), 500);
            assert_eq!(
                paid.close(DEMO_MID, ID),
                Err(Refusal::WrongState(status.clone()))
            );
            assert_eq!(order(&paid).status, status, "unchanged");
        }
        assert_eq!(Book::default().close(DEMO_MID, ID), Err(Refusal::NoOrder));
    }

    fn guaranteed(total: u64) -> Book {
        book_of(Order::new(ID, Fen(total), TradeStatus::TradeSuccess).guaranteed())
    }

    #[test]
    fn a_guaranteed_order_is_not_refunded_directly() {
        let mut book = guaranteed(100);
        let refused = refund(&mut book, "3194REF00001", 10).unwrap_err();
        assert_eq!(
            (refused.code(), &refused),
            ("OPERATION_NOT_ALLOWED", &Refusal::Guaranteed)
        );
        assert!(order(&book).refunds.is_empty());
        // Nor after it was completed or cancelled.
        book.secure_complete(DEMO_MID, ID, Fen(100)).unwrap();
        assert_eq!(
            refund(&mut book, "3194REF00001", 10),
            Err(Refusal::Guaranteed)
        );
    }

    #[test]
    fn completing_all_or_part_of_a_guarantee() {
        let mut book = guaranteed(100);
        let all = book.secure_complete(DEMO_MID, ID, Fen(100)).unwrap();
        assert_eq!(
            all.kind,
            OrderKind::Guaranteed(Guarantee {
                status: SecureStatus::AllCompleted,
                completed_amount: Fen(100)
            })
        );
        assert_eq!(all.status, TradeStatus::TradeSuccess);
        assert_eq!(all.refund_amount, None);

        let mut book = guaranteed(100);
        let part = book.secure_complete(DEMO_MID, ID, Fen(80)).unwrap();
        assert_eq!(part.secure_status(), Some(&SecureStatus::PartlyCompleted));
        assert_eq!(
            (part.status, part.refund_amount),
            (TradeStatus::TradeRefund, Some(Fen(20))),
            "the remainder went back to the payer"
        );
        // Completed once.
        let again = book.secure_complete(DEMO_MID, ID, Fen(10)).unwrap_err();
        assert_eq!(
            again,
            Refusal::GuaranteeSettled(SecureStatus::PartlyCompleted)
        );
        assert_eq!(again.code(), "OPERATION_NOT_ALLOWED");
        assert_eq!(
            book.secure_cancel(DEMO_MID, ID),
            Err(Refusal::GuaranteeSettled(SecureStatus::PartlyCompleted)),
            "a completed guarantee cannot be cancelled"
        );
    }

    #[test]
    fn a_completion_over_what_was_paid_or_of_nothing_is_refused() {
        let mut book = guaranteed(100);
        let over = book.secure_complete(DEMO_MID, ID, Fen(101)).unwrap_err();
        assert_eq!(over, Refusal::OverComplete { paid: Fen(100) });
        assert_eq!(over.code(), "OPERATION_NOT_ALLOWED");
        let zero = book.secure_complete(DEMO_MID, ID, Fen::ZERO).unwrap_err();
        assert_eq!(zero.code(), "BAD_REQUEST");
        assert_eq!(zero.to_string(), "completedAmount: must be more than zero");
        assert_eq!(
            order(&book).secure_status(),
            Some(&SecureStatus::Uncompleted)
        );
    }

    #[test]
    fn cancelling_a_guarantee_gives_everything_back_once() {
        let mut book = guaranteed(100);
        let cancelled = book.secure_cancel(DEMO_MID, ID).unwrap();
        assert_eq!(cancelled.secure_status(), Some(&SecureStatus::Canceled));
        assert_eq!(
            (cancelled.status, cancelled.refund_amount),
            (TradeStatus::TradeRefund, Some(Fen(100)))
        );
        let again = book.secure_cancel(DEMO_MID, ID).unwrap_err();
        assert_eq!(
            (again.code(), &again),
            ("HAS_CANCELLED", &Refusal::HasCancelled)
        );
        let complete = book.secure_complete(DEMO_MID, ID, Fen(10)).unwrap_err();
        assert_eq!(complete, Refusal::GuaranteeCancelled);
        assert_eq!(complete.code(), "OPERATION_NOT_ALLOWED");
        assert_eq!(
            order(&book).refund_amount,
            Some(Fen(100)),
            "given back once"
        );
    }

    #[test]
    fn guarantee_operations_need_a_paid_guaranteed_order() {
        let mut plain = book_with(TradeStatus::TradeSuccess, 100);
        assert_eq!(
            plain.secure_complete(DEMO_MID, ID, Fen(10)),
            Err(Refusal::NotGuaranteed)
        );
        assert_eq!(
            plain.secure_cancel(DEMO_MID, ID),
            Err(Refusal::NotGuaranteed)
        );
        assert_eq!(Refusal::NotGuaranteed.code(), "OPERATION_NOT_ALLOWED");
        let mut unpaid = book_of(Order::new(ID, Fen(100), TradeStatus::WaitBuyerPay).guaranteed());
        assert_eq!(
            unpaid.secure_complete(DEMO_MID, ID, Fen(10)),
            Err(Refusal::WrongState(TradeStatus::WaitBuyerPay))
        );
        assert_eq!(
            unpaid.secure_cancel(DEMO_MID, ID),
            Err(Refusal::WrongState(TradeStatus::WaitBuyerPay))
        );
        // An unpaid guaranteed order closes like any other.
        assert_eq!(
            unpaid.close(DEMO_MID, ID).unwrap().status,
            TradeStatus::TradeClosed
        );
        assert_eq!(
            Book::default().secure_cancel(DEMO_MID, ID),
            Err(Refusal::NoOrder)
        );
    }

    fn split() -> Book {
        book_of(
            Order::new(ID, Fen(100), TradeStatus::TradeSuccess)
                .split(Fen(10), vec![SplitShare::new(DEMO_SUB_MID, Fen(90))]),
        )
    }

    fn share(mid: &str, fen: u64) -> SubOrder {
        SubOrder::new(mid.parse().unwrap(), Fen(fen))
    }

    #[test]
    fn a_split_is_confirmed_once_per_sub_order() {
        let mut book = split();
        let confirmed = book
            .confirm_split(
                DEMO_MID,
                ID,
                Fen(20),
                &[share(DEMO_SUB_MID, 80).mer_order_id("3194SUB00001".parse().unwrap())],
            )
            .unwrap();
        let OrderKind::Split(done) = &confirmed.kind else {
            panic!("{confirmed:?}")
        };
        assert_eq!(done.platform_amount, Fen(20), "the confirmed share");
        assert_eq!(
            done.sub_orders,
            vec![SplitShare {
                mid: DEMO_SUB_MID.into(),
                mer_order_id: Some("3194SUB00001".into()),
                amount: Fen(80),
                confirmed: true,
            }]
        );
        let again = book
            .confirm_split(DEMO_MID, ID, Fen(20), &[share(DEMO_SUB_MID, 80)])
            .unwrap_err();
        assert_eq!(again, Refusal::AlreadyConfirmed(DEMO_SUB_MID.into()));
        assert_eq!(again.code(), "OPERATION_NOT_ALLOWED");
    }

    #[test]
    fn confirmed_shares_must_add_up_to_the_order_and_name_its_sub_merchants() {
        let mut book = split();
        let short = book
            .confirm_split(DEMO_MID, ID, Fen(10), &[share(DEMO_SUB_MID, 80)])
            .unwrap_err();
        assert_eq!(
            short,
            Refusal::SharesMismatch {
                total: Fen(100),
                sum: Fen(90)
            }
        );
        assert_eq!(short.code(), "BAD_REQUEST");
        assert!(short.to_string().starts_with("subOrders: "), "{short}");
        let overflow = book
            .confirm_split(DEMO_MID, ID, Fen(u64::MAX), &[share(DEMO_SUB_MID, 1)])
            .unwrap_err();
        assert_eq!(
            (overflow.code(), overflow),
            ("BAD_REQUEST", Refusal::Overflow("subOrders"))
        );
        let stranger = book
            .confirm_split(DEMO_MID, ID, Fen(10), &[share("898201600000000", 90)])
            .unwrap_err();
        assert_eq!(
            stranger,
            Refusal::UnknownSubMerchant("898201600000000".into())
        );
        assert_eq!(stranger.code(), "BAD_REQUEST");
        let twice = book
            .confirm_split(
                DEMO_MID,
                ID,
                Fen(10),
                &[share(DEMO_SUB_MID, 45), share(DEMO_SUB_MID, 45)],
            )
            .unwrap_err();
        assert_eq!(twice, Refusal::DuplicateSubMerchant(DEMO_SUB_MID.into()));
        // Nothing was confirmed by the refusals.
        assert!(!order(&book).split_shares().unwrap()[0].confirmed);
    }

    #[test]
    fn only_paid_split_orders_are_confirmed() {
        let mut plain = book_with(TradeStatus::TradeSuccess, 100);
        let refused = plain
            .confirm_split(DEMO_MID, ID, Fen(10), &[share(DEMO_SUB_MID, 90)])
            .unwrap_err();
        assert_eq!(
            (refused.code(), refused),
            ("OPERATION_NOT_ALLOWED", Refusal::NotSplit)
        );
        let mut unpaid = book_of(
            Order::new(ID, Fen(100), TradeStatus::WaitBuyerPay)
                .split(Fen(10), vec![SplitShare::new(DEMO_SUB_MID, Fen(90))]),
        );
        assert_eq!(
            unpaid.confirm_split(DEMO_MID, ID, Fen(10), &[share(DEMO_SUB_MID, 90)]),
            Err(Refusal::WrongState(TradeStatus::WaitBuyerPay))
        );
    }

    #[test]
    fn payments_and_settled_refunds_are_events_repeats_and_pending_ones_are_not() {
        let mut book = book_with(TradeStatus::WaitBuyerPay, 100);
        let paid = book.pay(DEMO_MID, ID, payment()).unwrap();
        assert_eq!(book.take_events(), vec![Event::Paid(paid)]);
        assert!(book.take_events().is_empty(), "taken once");
        let done = refund(&mut book, "3194REF00001", 30).unwrap();
        refund(&mut book, "3194REF00001", 30).unwrap();
        assert_eq!(
            book.take_events(),
            vec![Event::Refunded {
                order: done.order,
                refund: done.refund
            }],
            "the repeat is no new refund"
        );
        book.refund(DEMO_MID, ID, "3194REF00002", Fen(20), true)
            .unwrap();
        assert!(book.take_events().is_empty(), "PROCESSING: not yet");
        let (order_now, settled) = book
            .query_refund(DEMO_MID, ID, Some("3194REF00002"))
            .unwrap();
        assert_eq!(
            book.take_events(),
            vec![Event::Refunded {
                order: order_now,
                refund: settled
            }]
        );
        book.query_refund(DEMO_MID, ID, Some("3194REF00002"))
            .unwrap();
        book.decline(DEMO_MID, ID).unwrap_err();
        book.secure_cancel(DEMO_MID, ID).unwrap_err();
        assert!(book.take_events().is_empty(), "settled once");
    }

    #[test]
    fn insert_replaces_and_remove_forgets() {
        let mut book = book_with(TradeStatus::TradeSuccess, 500);
        refund(&mut book, "3194REF00001", 100).unwrap();
        book.insert(Order::new(ID, Fen(900), TradeStatus::NewOrder));
        assert_eq!(order(&book).total_amount, Fen(900));
        assert!(order(&book).refunds.is_empty());
        assert!(book.remove(DEMO_MID, ID).is_some());
        assert!(book.get(DEMO_MID, ID).is_none());
    }
}
