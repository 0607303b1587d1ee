//! Order status (`status`) and what it means for the merchant.

use serde::Serialize;

/// Declares a platform status enum: one variant per documented wire value, plus `Other(String)`
/// that keeps any value this SDK does not know (never dropped, never read as success), with
/// `as_str`, `from_wire`, `describe`, `Display` and serde. New statuses (refund, bill, …) are
/// a few lines each.
macro_rules! wire_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $wire:literal => $describe:literal, )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
            /// A value this SDK does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every documented wire value, in the documentation's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(other) => other,
                }
            }

            /// Parses the wire spelling; unknown values are kept in `Other`.
            pub fn from_wire(s: &str) -> $name {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }

            /// A short English description.
            pub fn describe(&self) -> &'static str {
                match self {
                    $( $name::$variant => $describe, )+
                    $name::Other(_) => "a value this SDK does not know",
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name::from_wire(&s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok($name::from_wire(&s))
            }
        }
    };
}
#[allow(unused_imports)] // for the statuses of the operations still to come (refund, bill)
pub(crate) use wire_enum;

wire_enum! {
    /// The platform's order `status`, as the query and notifications report it. Values this
    /// SDK does not know are kept in [`TradeStatus::Other`], never dropped.
    TradeStatus {
        /// `NEW_ORDER`: created, nothing paid yet.
        NewOrder = "NEW_ORDER" => "created, not paid",
        /// `WAIT_BUYER_PAY`: waiting for the buyer to pay.
        WaitBuyerPay = "WAIT_BUYER_PAY" => "waiting for the buyer to pay",
        /// `TRADE_SUCCESS`: paid.
        TradeSuccess = "TRADE_SUCCESS" => "paid",
        /// `TRADE_REFUND`: paid, then (partly or fully) refunded.
        TradeRefund = "TRADE_REFUND" => "paid, then refunded",
        /// `TRADE_CLOSED`: closed or expired; no further operations.
        TradeClosed = "TRADE_CLOSED" => "closed",
        /// `UNKNOWN`: the platform itself does not know yet; query again.
        Unknown = "UNKNOWN" => "unknown to the platform: query again",
    }
}

impl TradeStatus {
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
        assert_eq!(TradeStatus::KNOWN.len(), 6);
        for &s in TradeStatus::KNOWN {
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
