//! The order book: every order the sandbox knows, and the only place its state changes.
//!
//! Endpoints never edit an [`Order`] directly: they ask for a transition (pay, refund, close)
//! and get the new state or the reason the platform would refuse it, so that every endpoint
//! agrees on what is legal.

use std::collections::HashMap;

use chinaums::{Fen, TradeStatus};

use crate::Order;

/// Orders by `mid` + `merOrderId`, with the refunds made on each.
#[derive(Debug, Default)]
pub(crate) struct Book {
    entries: HashMap<(String, String), Entry>,
}

#[derive(Debug)]
struct Entry {
    order: Order,
    refunds: Vec<Refund>,
}

/// One refund of an order, by the merchant's `refundOrderId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refund {
    pub refund_order_id: String,
    pub amount: Fen,
}

/// Why a transition is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No order with this `mid` and `merOrderId`.
    NoOrder,
    /// The order is not in a state this transition starts from.
    WrongState(TradeStatus),
    /// A refund of nothing.
    ZeroAmount,
    /// A refund larger than what is left to refund.
    OverRefund { remaining: Fen },
    /// A `refundOrderId` already used for another amount.
    RefundIdReused,
}

/// Where a refund left the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refunded {
    pub order: Order,
    pub refund: Refund,
    /// The same `refundOrderId` and amount again: the existing refund, nothing refunded twice.
    pub repeated: bool,
}

fn key(mid: &str, mer_order_id: &str) -> (String, String) {
    (mid.to_owned(), mer_order_id.to_owned())
}

// The transitions are for the refund and close endpoints (and the cashier's payment); until
// they land only the unit tests use them.
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "used by the refund, close and payment endpoints")
)]
impl Book {
    /// Adds `order`, replacing (and forgetting the refunds of) any with the same key.
    pub fn insert(&mut self, order: Order) {
        let key = key(&order.mid, &order.mer_order_id);
        self.entries.insert(
            key,
            Entry {
                order,
                refunds: Vec::new(),
            },
        );
    }

    pub fn get(&self, mid: &str, mer_order_id: &str) -> Option<&Order> {
        self.entries.get(&key(mid, mer_order_id)).map(|e| &e.order)
    }

    pub fn remove(&mut self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.entries
            .remove(&key(mid, mer_order_id))
            .map(|e| e.order)
    }

    fn entry(&mut self, mid: &str, mer_order_id: &str) -> Result<&mut Entry, Refusal> {
        self.entries
            .get_mut(&key(mid, mer_order_id))
            .ok_or(Refusal::NoOrder)
    }

    /// The buyer paid: `NEW_ORDER` or `WAIT_BUYER_PAY` → `TRADE_SUCCESS`.
    pub fn pay(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        pay_time: String,
    ) -> Result<Order, Refusal> {
        let entry = self.entry(mid, mer_order_id)?;
        match entry.order.status {
            TradeStatus::NewOrder | TradeStatus::WaitBuyerPay => {
                entry.order.status = TradeStatus::TradeSuccess;
                entry.order.pay_time = Some(pay_time);
                Ok(entry.order.clone())
            }
            ref other => Err(Refusal::WrongState(other.clone())),
        }
    }

    /// Refunds `amount` of a paid order, in part or in full: the order becomes
    /// `TRADE_REFUND` and its `refundAmount` grows. The same `refundOrderId` with the same
    /// amount again returns the existing refund (the platform's idempotency).
    pub fn refund(
        &mut self,
        mid: &str,
        mer_order_id: &str,
        refund_order_id: &str,
        amount: Fen,
    ) -> Result<Refunded, Refusal> {
        let entry = self.entry(mid, mer_order_id)?;
        if let Some(existing) = entry
            .refunds
            .iter()
            .find(|r| r.refund_order_id == refund_order_id)
        {
            return if existing.amount == amount {
                Ok(Refunded {
                    order: entry.order.clone(),
                    refund: existing.clone(),
                    repeated: true,
                })
            } else {
                Err(Refusal::RefundIdReused)
            };
        }
        if !matches!(
            entry.order.status,
            TradeStatus::TradeSuccess | TradeStatus::TradeRefund
        ) {
            return Err(Refusal::WrongState(entry.order.status.clone()));
        }
        if amount == Fen::ZERO {
            return Err(Refusal::ZeroAmount);
        }
        let refunded = entry.order.refund_amount.unwrap_or(Fen::ZERO);
        let remaining = Fen(entry
            .order
            .total_amount
            .get()
            .saturating_sub(refunded.get()));
        if amount.get() > remaining.get() {
            return Err(Refusal::OverRefund { remaining });
        }
        let refund = Refund {
            refund_order_id: refund_order_id.to_owned(),
            amount,
        };
        entry.refunds.push(refund.clone());
        entry.order.refund_amount = Some(Fen(refunded.get() + amount.get()));
        entry.order.status = TradeStatus::TradeRefund;
        Ok(Refunded {
            order: entry.order.clone(),
            refund,
            repeated: false,
        })
    }

    /// The refunds made on an order through [`Book::refund`], oldest first.
    pub fn refunds(&self, mid: &str, mer_order_id: &str) -> Option<&[Refund]> {
        self.entries
            .get(&key(mid, mer_order_id))
            .map(|e| e.refunds.as_slice())
    }

    /// Closes an unpaid order: `NEW_ORDER` or `WAIT_BUYER_PAY` → `TRADE_CLOSED`. A paid,
    /// refunded or already closed order cannot be closed.
    pub fn close(&mut self, mid: &str, mer_order_id: &str) -> Result<Order, Refusal> {
        let entry = self.entry(mid, mer_order_id)?;
        match entry.order.status {
            TradeStatus::NewOrder | TradeStatus::WaitBuyerPay => {
                entry.order.status = TradeStatus::TradeClosed;
                Ok(entry.order.clone())
            }
            ref other => Err(Refusal::WrongState(other.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEMO_MID;

    fn book_with(status: TradeStatus, total: u64) -> Book {
        let mut book = Book::default();
        book.insert(Order::new("3194TEST0001", Fen(total), status));
        book
    }

    #[test]
    fn an_unpaid_order_is_paid_once() {
        let mut book = book_with(TradeStatus::WaitBuyerPay, 100);
        let paid = book
            .pay(DEMO_MID, "3194TEST0001", "2024-01-01 12:00:00".into())
            .unwrap();
        assert_eq!(paid.status, TradeStatus::TradeSuccess);
        assert_eq!(paid.pay_time.as_deref(), Some("2024-01-01 12:00:00"));
        assert_eq!(
            book.pay(DEMO_MID, "3194TEST0001", "later".into()),
            Err(Refusal::WrongState(TradeStatus::TradeSuccess))
        );
        assert_eq!(
            book.pay(DEMO_MID, "3194NOSUCH01", "x".into()),
            Err(Refusal::NoOrder)
        );
    }

    #[test]
    fn partial_refunds_add_up_to_the_total_and_no_further() {
        let mut book = book_with(TradeStatus::TradeSuccess, 1000);
        let first = book
            .refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(300))
            .unwrap();
        assert_eq!(first.order.status, TradeStatus::TradeRefund);
        assert_eq!(first.order.refund_amount, Some(Fen(300)));
        assert!(!first.repeated);
        let second = book
            .refund(DEMO_MID, "3194TEST0001", "3194REF00002", Fen(700))
            .unwrap();
        assert_eq!(second.order.refund_amount, Some(Fen(1000)));
        assert_eq!(
            book.refund(DEMO_MID, "3194TEST0001", "3194REF00003", Fen(1)),
            Err(Refusal::OverRefund {
                remaining: Fen::ZERO
            })
        );
        assert_eq!(book.refunds(DEMO_MID, "3194TEST0001").unwrap().len(), 2);
    }

    #[test]
    fn a_refund_over_the_remainder_or_of_nothing_is_refused() {
        let mut book = book_with(TradeStatus::TradeSuccess, 500);
        assert_eq!(
            book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(501)),
            Err(Refusal::OverRefund {
                remaining: Fen(500)
            })
        );
        assert_eq!(
            book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen::ZERO),
            Err(Refusal::ZeroAmount)
        );
        // Nothing changed.
        let order = book.get(DEMO_MID, "3194TEST0001").unwrap();
        assert_eq!(order.status, TradeStatus::TradeSuccess);
        assert_eq!(order.refund_amount, None);
    }

    #[test]
    fn the_same_refund_id_returns_the_existing_refund() {
        let mut book = book_with(TradeStatus::TradeSuccess, 500);
        book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(200))
            .unwrap();
        let again = book
            .refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(200))
            .unwrap();
        assert!(again.repeated);
        assert_eq!(
            again.order.refund_amount,
            Some(Fen(200)),
            "not refunded twice"
        );
        assert_eq!(
            book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(100)),
            Err(Refusal::RefundIdReused)
        );
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
            assert_eq!(
                book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(1)),
                Err(Refusal::WrongState(status))
            );
        }
    }

    #[test]
    fn a_preset_refund_amount_counts_against_the_remainder() {
        let mut book = Book::default();
        book.insert(Order {
            refund_amount: Some(Fen(400)),
            ..Order::new("3194TEST0001", Fen(500), TradeStatus::TradeRefund)
        });
        assert_eq!(
            book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(101)),
            Err(Refusal::OverRefund {
                remaining: Fen(100)
            })
        );
        let done = book
            .refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(100))
            .unwrap();
        assert_eq!(done.order.refund_amount, Some(Fen(500)));
    }

    #[test]
    fn only_unpaid_orders_are_closed() {
        let mut book = book_with(TradeStatus::NewOrder, 500);
        let closed = book.close(DEMO_MID, "3194TEST0001").unwrap();
        assert_eq!(closed.status, TradeStatus::TradeClosed);
        assert_eq!(
            book.close(DEMO_MID, "3194TEST0001"),
            Err(Refusal::WrongState(TradeStatus::TradeClosed))
        );
        assert_eq!(
            book.pay(DEMO_MID, "3194TEST0001", "x".into()),
            Err(Refusal::WrongState(TradeStatus::TradeClosed)),
            "a closed order cannot be paid"
        );
        let mut paid = book_with(TradeStatus::TradeSuccess, 500);
        assert_eq!(
            paid.close(DEMO_MID, "3194TEST0001"),
            Err(Refusal::WrongState(TradeStatus::TradeSuccess))
        );
    }

    #[test]
    fn insert_replaces_and_remove_forgets() {
        let mut book = book_with(TradeStatus::TradeSuccess, 500);
        book.refund(DEMO_MID, "3194TEST0001", "3194REF00001", Fen(100))
            .unwrap();
        book.insert(Order::new("3194TEST0001", Fen(900), TradeStatus::NewOrder));
        assert_eq!(
            book.get(DEMO_MID, "3194TEST0001").unwrap().total_amount,
            Fen(900)
        );
        assert_eq!(book.refunds(DEMO_MID, "3194TEST0001"), Some(&[][..]));
        assert!(book.remove(DEMO_MID, "3194TEST0001").is_some());
        assert!(book.get(DEMO_MID, "3194TEST0001").is_none());
    }
}
