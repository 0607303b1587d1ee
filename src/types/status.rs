//! Order status (`status`) and what it means for the merchant.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The platform's order `status`, as the query and notifications report it. Values this SDK does not know are kept in
/// [`TradeStatus::Other`], never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TradeStatus {
    /// `NEW_ORDER`: created, nothing paid yet.
    NewOrder,
    /// `WAIT_BUYER_PAY`: waiting for the buyer to pay.
    WaitBuyerPay,
    /// `TRADE_SUCCESS`: paid.
    TradeSuccess,
    /// `TRADE_REFUND`: paid, then (partly or fully) refunded.
    TradeRefund,
    /// `TRADE_CLOSED`: closed or expired; no further operations.
    TradeClosed,
    /// `UNKNOWN`: the platform itself does not know yet; query again.
    Unknown,
    /// A value this SDK does not know, kept verbatim.
    Other(String),
}

impl TradeStatus {
    /// The wire spelling, e.g. `TRADE_SUCCESS`.
    pub fn as_str(&self) -> &str {
        match self {
            TradeStatus::NewOrder => "NEW_ORDER",
            TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
            TradeStatus::TradeSuccess => "TRADE_SUCCESS",
            TradeStatus::TradeRefund => "TRADE_REFUND",
            TradeStatus::TradeClosed => "TRADE_CLOSED",
            TradeStatus::Unknown => "UNKNOWN",
            TradeStatus::Other(other) => other,
        }
    }

    /// Parses the wire spelling; unknown values become [`TradeStatus::Other`].
    pub fn from_wire(s: &str) -> TradeStatus {
        match s {
            "NEW_ORDER" => TradeStatus::NewOrder,
            "WAIT_BUYER_PAY" => TradeStatus::WaitBuyerPay,
            "TRADE_SUCCESS" => TradeStatus::TradeSuccess,
            "TRADE_REFUND" => TradeStatus::TradeRefund,
            "TRADE_CLOSED" => TradeStatus::TradeClosed,
            "UNKNOWN" => TradeStatus::Unknown,
            other => TradeStatus::Other(other.to_owned()),
        }
    }

    /// What this status means for the merchant.
    pub fn state(&self) -> PaymentState {
        match self {
            TradeStatus::TradeSuccess => PaymentState::Paid,
            TradeStatus::TradeRefund => PaymentState::Refunded,
            TradeStatus::NewOrder | TradeStatus::WaitBuyerPay => PaymentState::NotPaid,
            TradeStatus::TradeClosed => PaymentState::Closed,
            TradeStatus::Unknown | TradeStatus::Other(_) => PaymentState::Unknown,
        }
    }
}

impl fmt::Display for TradeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TradeStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TradeStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(TradeStatus::from_wire(&s))
    }
}

/// The merchant's question "is it paid?", answered from a [`TradeStatus`].
///
/// Only [`PaymentState::Paid`] means the money arrived and stays. `errCode: SUCCESS` alone
/// means nothing more than "the query was accepted".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// `TRADE_SUCCESS`: paid.
    Paid,
    /// `TRADE_REFUND`: was paid, then refunded in part or in full.
    Refunded,
    /// `NEW_ORDER` or `WAIT_BUYER_PAY`: not paid (yet).
    NotPaid,
    /// `TRADE_CLOSED`: closed or expired without (further) payment.
    Closed,
    /// `UNKNOWN`, a status this SDK does not know, or no status at all: query again later.
    Unknown,
}

impl PaymentState {
    /// A short English description, e.g. "paid".
    pub fn describe(self) -> &'static str {
        match self {
            PaymentState::Paid => "paid",
            PaymentState::Refunded => "paid, then refunded",
            PaymentState::NotPaid => "not paid",
            PaymentState::Closed => "closed",
            PaymentState::Unknown => "unknown: query again",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip() {
        for s in [
            "NEW_ORDER",
            "WAIT_BUYER_PAY",
            "TRADE_SUCCESS",
            "TRADE_REFUND",
            "TRADE_CLOSED",
            "UNKNOWN",
        ] {
            let status = TradeStatus::from_wire(s);
            assert!(!matches!(status, TradeStatus::Other(_)), "{s}");
            assert_eq!(status.as_str(), s);
        }
    }

    #[test]
    fn unknown_values_are_kept() {
        let status: TradeStatus = serde_json::from_str(r#""TRADE_FROZEN""#).unwrap();
        assert_eq!(status, TradeStatus::Other("TRADE_FROZEN".into()));
        assert_eq!(status.state(), PaymentState::Unknown);
        assert_eq!(serde_json::to_string(&status).unwrap(), r#""TRADE_FROZEN""#);
    }

    #[test]
    fn only_trade_success_is_paid() {
        assert_eq!(TradeStatus::TradeSuccess.state(), PaymentState::Paid);
        assert_eq!(TradeStatus::NewOrder.state(), PaymentState::NotPaid);
        assert_eq!(TradeStatus::WaitBuyerPay.state(), PaymentState::NotPaid);
        assert_eq!(TradeStatus::TradeRefund.state(), PaymentState::Refunded);
        assert_eq!(TradeStatus::TradeClosed.state(), PaymentState::Closed);
        assert_eq!(TradeStatus::Unknown.state(), PaymentState::Unknown);
    }
}
