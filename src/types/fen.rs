//! Money: integer fen (分), never floats.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in fen (分): `Fen(1)` is CNY 0.01.
///
/// Serialized as a JSON number. Deserialized from a JSON integer or from a string of ASCII
/// digits (the platform sends both, sometimes in the same response); fractions, signs,
/// exponents and floats are rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub u64);

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// The amount in fen.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Parses a string of 1 to 20 ASCII digits that fits in a `u64`.
    pub fn parse(s: &str) -> Option<Fen> {
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().map(Fen)
    }

    /// Parses an amount written in yuan, exactly: digits, then optionally `.` and one or two
    /// digits (`"1.23"`, `"0.5"`, `"12"`). No sign, exponent, grouping or third decimal: an
    /// amount of money is never rounded.
    ///
    /// ```
    /// use chinaums::Fen;
    /// assert_eq!(Fen::from_yuan("1.23"), Some(Fen(123)));
    /// assert_eq!(Fen::from_yuan("0.5"), Some(Fen(50)));
    /// assert_eq!(Fen::from_yuan("12"), Some(Fen(1200)));
    /// assert_eq!(Fen::from_yuan("1.234"), None);
    /// assert_eq!(Fen::from_yuan("-1"), None);
    /// ```
    pub fn from_yuan(s: &str) -> Option<Fen> {
        let (yuan, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if yuan.is_empty() || yuan.len() > 18 || !digits(yuan) {
            return None;
        }
        if fraction.len() > 2 || !digits(fraction) || (s.contains('.') && fraction.is_empty()) {
            return None;
        }
        let fen: u64 = format!("{fraction:0<2}").parse().ok()?;
        yuan.parse::<u64>()
            .ok()?
            .checked_mul(100)?
            .checked_add(fen)
            .map(Fen)
    }

    /// Checked addition.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// Checked subtraction.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }
}

/// Formats as yuan with two decimals, e.g. `Fen(12345)` → `123.45`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl From<u64> for Fen {
    fn from(fen: u64) -> Self {
        Fen(fen)
    }
}

/// A JSON number of fen. Serialized as a newtype named [`Fen::SERDE_NAME`], which JSON writes
/// as the bare number, so that generic renderers (the CLI) can tell an amount from any other
/// number without a list of field names.
impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(Fen::SERDE_NAME, &self.0)
    }
}

impl Fen {
    /// The newtype name `Fen` serializes under.
    pub const SERDE_NAME: &'static str = "Fen";
}

struct FenVisitor;

const EXPECTED: &str = "an amount in fen: a non-negative JSON integer or a string of digits";

impl<'de> Visitor<'de> for FenVisitor {
    type Value = Option<Fen>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Fen(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .map(|v| Some(Fen(v)))
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &EXPECTED))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Err(E::invalid_type(de::Unexpected::Float(v), &EXPECTED))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        Fen::parse(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &EXPECTED))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(FenVisitor)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(FenVisitor)?
            .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(""), &EXPECTED))
    }
}

/// `#[serde(with = "…")]` helper for optional amounts: `null`, a missing field and the empty
/// string `""` (which the platform sends for "no value") all become `None`.
pub mod optional {
    use super::*;

    /// Deserializes an optional amount.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Fen>, D::Error> {
        deserializer.deserialize_any(FenVisitor)
    }

    /// Serializes an optional amount as a number or `null`.
    pub fn serialize<S: Serializer>(value: &Option<Fen>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(fen) => fen.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, with = "optional")]
        amount: Option<Fen>,
    }

    fn amount(json: &str) -> Result<Option<Fen>, serde_json::Error> {
        serde_json::from_str::<Holder>(json).map(|h| h.amount)
    }

    #[test]
    fn accepts_numbers_and_numeric_strings() {
        assert_eq!(amount(r#"{"amount":100}"#).unwrap(), Some(Fen(100)));
        assert_eq!(amount(r#"{"amount":"100"}"#).unwrap(), Some(Fen(100)));
        assert_eq!(amount(r#"{"amount":0}"#).unwrap(), Some(Fen(0)));
        assert_eq!(
            amount(r#"{"amount":"18446744073709551615"}"#).unwrap(),
            Some(Fen(u64::MAX))
        );
    }

    #[test]
    fn empty_null_and_missing_are_none() {
        assert_eq!(amount(r#"{"amount":""}"#).unwrap(), None);
        assert_eq!(amount(r#"{"amount":null}"#).unwrap(), None);
        assert_eq!(amount(r#"{}"#).unwrap(), None);
    }

    #[test]
    fn rejects_floats_signs_and_junk() {
        for bad in [
            r#"{"amount":1.5}"#,
            r#"{"amount":1e2}"#,
            r#"{"amount":-1}"#,
            r#"{"amount":"-1"}"#,
            r#"{"amount":"1.00"}"#,
            r#"{"amount":" 1"}"#,
            r#"{"amount":"18446744073709551616"}"#,
            r#"{"amount":true}"#,
            r#"{"amount":[1]}"#,
        ] {
            assert!(amount(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn displays_as_yuan() {
        assert_eq!(Fen(12345).to_string(), "123.45");
        assert_eq!(Fen(1).to_string(), "0.01");
        assert_eq!(Fen(0).to_string(), "0.00");
    }

    #[test]
    fn serializes_as_number() {
        assert_eq!(serde_json::to_string(&Fen(100)).unwrap(), "100");
    }
}
