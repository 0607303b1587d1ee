//! Validation of the platform's identifiers and free-text fields, with the lengths the
//! platform's documentation gives for each.
//!
//! Rules take the wire field name, so an error reads `invalid field \`mid\`: …`. Lengths are
//! counted in characters. Identifiers must be printable ASCII without spaces or quotes: the
//! platform's are letters and digits, and anything else is almost surely a copy-paste mistake.

use crate::error::InvalidField;

/// A printable-ASCII identifier of `min..=max` characters.
pub(crate) fn identifier(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), InvalidField> {
    if let Some(bad) = value
        .chars()
        .find(|c| !c.is_ascii_graphic() || *c == '"' || *c == '\\')
    {
        return Err(InvalidField::new(
            field,
            format!(
                "must contain only printable ASCII letters, digits and symbols without quotes, found {bad:?}"
            ),
        ));
    }
    let len = value.len();
    if len < min || len > max {
        let rule = if min == max {
            format!("must be exactly {min} characters, got {len}")
        } else {
            format!("must be {min} to {max} characters, got {len}")
        };
        return Err(InvalidField::new(field, rule));
    }
    Ok(())
}

/// Free text of at most `max` characters without control characters.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<(), InvalidField> {
    if value.chars().any(char::is_control) {
        return Err(InvalidField::new(
            field,
            "must not contain control characters",
        ));
    }
    let len = value.chars().count();
    if len > max {
        return Err(InvalidField::new(
            field,
            format!("must be at most {max} characters, got {len}"),
        ));
    }
    Ok(())
}

/// Declares a validated wire string: a newtype that can only hold a value that passes its
/// rule, with `FromStr`, `Display`, `TryFrom`, `AsRef<str>` and serde (deserializing checks the
/// rule too). One rule per type, written once, used by the core, the CLI and the sandbox.
macro_rules! wire_string {
    ($(#[$doc:meta])* $name:ident, $wire:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The field's name on the wire, as errors name it.
            pub const FIELD: &'static str = $wire;

            /// Checks `value` against the field's rule.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidField> {
                let value = value.into();
                let check: fn(&'static str, &str) -> Result<(), InvalidField> = $check;
                check($wire, &value)?;
                Ok($name(value))
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidField;
            fn from_str(s: &str) -> Result<Self, InvalidField> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidField;
            fn try_from(s: String) -> Result<Self, InvalidField> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidField;
            fn try_from(s: &str) -> Result<Self, InvalidField> {
                $name::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = String::deserialize(d)?;
                $name::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_string!(
    /// `mid` (商户号), the merchant number: exactly 15 characters.
    ///
    /// ```
    /// use chinaums::Mid;
    /// let mid: Mid = "898201612345678".parse()?;
    /// assert_eq!(mid, "898201612345678");
    /// assert_eq!(
    ///     "8982016".parse::<Mid>().unwrap_err().to_string(),
    ///     "invalid field `mid`: must be exactly 15 characters, got 7"
    /// );
    /// # Ok::<(), chinaums::InvalidField>(())
    /// ```
    Mid, "mid", |field, v| identifier(field, v, 15, 15)
);
wire_string!(
    /// `tid` (终端号), the terminal number: exactly 8 characters.
    Tid, "tid", |field, v| identifier(field, v, 8, 8)
);
wire_string!(
    /// `instMid` (业务类型), the business type the order belongs to, e.g. `YUEDANDEFAULT`,
    /// `MINIDEFAULT`, `QRPAYDEFAULT`: 8 to 32 characters.
    InstMid, "instMid", |field, v| identifier(field, v, 8, 32)
);
wire_string!(
    /// `merOrderId` (商户订单号), the merchant's order number: 6 to 32 characters.
    ///
    /// The platform also requires it to start with the merchant's 4-character `msgSrcId`; a
    /// query cannot check that (it does not know the msgSrcId); order creation will.
    MerOrderId, "merOrderId", |field, v| identifier(field, v, 6, 32)
);
wire_string!(
    /// `refundOrderId` (退款订单号), the merchant's number for one refund: 6 to 32 characters,
    /// new for every partial refund (the same one again returns the existing refund).
    RefundOrderId, "refundOrderId", |field, v| identifier(field, v, 6, 32)
);
wire_string!(
    /// `msgId` (消息ID), echoed back in the answer: at most 64 characters.
    MsgId, "msgId", |field, v| text(field, v, 64)
);
wire_string!(
    /// `srcReserve` (请求系统预留字段), echoed back in the answer: at most 255 characters.
    SrcReserve, "srcReserve", |field, v| text(field, v, 255)
);
wire_string!(
    /// `msgSrcId` (来源编号), the 4-character prefix the platform assigns to a merchant; every
    /// `merOrderId`, `billNo` and `refundOrderId` starts with it.
    MsgSrcId, "msgSrcId", |field, v| identifier(field, v, 4, 4)
);
wire_string!(
    /// The `appId` of the developer console, as it goes into an `Authorization` header:
    /// non-empty printable ASCII without spaces, `"` or `,`.
    AppId, "appId", |field, v| header_token(field, v, 1, usize::MAX)
);
wire_string!(
    /// A signature nonce: 1 to 128 printable ASCII characters without spaces, `"` or `,` (what
    /// a header value can carry, and the longest the platform accepts).
    Nonce, "nonce", |field, v| header_token(field, v, 1, crate::auth::body_sig::MAX_NONCE_LEN)
);

wire_string!(
    /// `billNo` (账单号), the merchant's number for a QR bill: 6 to 32 characters, starting
    /// with the merchant's `msgSrcId`.
    BillNo, "billNo", |field, v| identifier(field, v, 6, 32)
);
wire_string!(
    /// `qrCodeId`: the platform's id of a QR code (a fixed code to bind, or one to close).
    QrCodeId, "qrCodeId", |field, v| identifier(field, v, 1, 64)
);
wire_string!(
    /// `notifyUrl`: where the platform POSTs payment notifications; an absolute `http(s)` URL
    /// of at most 255 characters.
    NotifyUrl, "notifyUrl", |field, v| absolute_url(field, v)
);
wire_string!(
    /// `returnUrl`: where the cashier sends the payer's browser after paying; an absolute
    /// `http(s)` URL of at most 255 characters.
    ReturnUrl, "returnUrl", |field, v| absolute_url(field, v)
);

/// An absolute `http` or `https` URL with a host, of at most 255 characters, kept exactly as
/// given (it is signed as sent).
fn absolute_url(field: &'static str, value: &str) -> Result<(), InvalidField> {
    if value.len() > 255 {
        return Err(InvalidField::new(
            field,
            format!("must be at most 255 characters, got {}", value.len()),
        ));
    }
    let bad = || {
        InvalidField::new(
            field,
            "must be an absolute http:// or https:// URL with a host",
        )
    };
    let uri: http::Uri = value.parse().map_err(|_| bad())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(()),
        _ => Err(bad()),
    }
}

/// Printable ASCII without spaces, `"` or `,`, of `min..=max` bytes: a value that goes into an
/// `Authorization` header's `Name="value"` pairs.
pub(crate) fn header_token(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), InvalidField> {
    // Byte by byte (the rule is ASCII-only: any non-ASCII byte is refused); runs per signature.
    let bad_at = value
        .bytes()
        .position(|b| !b.is_ascii_graphic() || b == b'"' || b == b',');
    if let Some(bad) = bad_at
        .and_then(|i| value.get(i..))
        .and_then(|rest| rest.chars().next())
    {
        return Err(InvalidField::new(
            field,
            format!("must be printable ASCII without spaces, `\"` or `,`, found {bad:?}"),
        ));
    }
    let len = value.len();
    if len < min || len > max {
        let rule = if max == usize::MAX {
            "must not be empty".to_owned()
        } else {
            format!("must be {min} to {max} characters, got {len}")
        };
        return Err(InvalidField::new(field, rule));
    }
    Ok(())
}

/// The merchant a request is made for: `mid`, `tid` and `instMid`, checked once and reused by
/// every operation (serialized as those three wire fields, in that order).
///
/// ```
/// use chinaums::Merchant;
///
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// assert_eq!(merchant.mid, "898201612345678");
/// let error = Merchant::new("898201612345678", "888", "YUEDANDEFAULT").unwrap_err();
/// assert_eq!(error.field, "tid");
/// # Ok::<(), chinaums::InvalidField>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// `mid`.
    pub mid: Mid,
    /// `tid`.
    pub tid: Tid,
    /// `instMid`.
    pub inst_mid: InstMid,
}

impl Merchant {
    /// Checks the three fields; the error names the first that breaks its rule.
    pub fn new(
        mid: impl Into<String>,
        tid: impl Into<String>,
        inst_mid: impl Into<String>,
    ) -> Result<Merchant, InvalidField> {
        Ok(Merchant {
            mid: Mid::new(mid)?,
            tid: Tid::new(tid)?,
            inst_mid: InstMid::new(inst_mid)?,
        })
    }

    /// The same merchant under another business type (`instMid`): an order must be queried
    /// with the business type it was created with.
    pub fn with_inst_mid(&self, inst_mid: InstMid) -> Merchant {
        Merchant {
            inst_mid,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_example() {
        Mid::new("898201612345678").unwrap();
        Tid::new("88880001").unwrap();
        InstMid::new("YUEDANDEFAULT").unwrap();
        MerOrderId::new("327M202204141724489725391331").unwrap();
        MsgId::new("001").unwrap();
        SrcReserve::new("webpay").unwrap();
    }

    #[test]
    fn newtypes_hold_only_valid_values_and_round_trip() {
        let mid: Mid = "898201612345678".parse().unwrap();
        assert_eq!(mid.to_string(), "898201612345678");
        assert_eq!(format!("{mid:?}"), "Mid(\"898201612345678\")");
        assert_eq!(serde_json::to_string(&mid).unwrap(), "\"898201612345678\"");
        let back: Mid = serde_json::from_str("\"898201612345678\"").unwrap();
        assert_eq!(back, mid);
        let e = serde_json::from_str::<Mid>("\"898\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid field `mid`"), "{e}");
        assert_eq!(Tid::try_from("8888 001").unwrap_err().field, "tid");
        assert_eq!(MsgSrcId::new("3194").unwrap().as_str(), "3194");
        assert!(MsgSrcId::new("319").is_err());
        assert_eq!(RefundOrderId::FIELD, "refundOrderId");
    }

    #[test]
    fn app_ids_and_nonces_are_header_safe() {
        assert!(AppId::new("10037e6f6a4e6da4016a670fd4530012").is_ok());
        for bad in ["", "a b", "a\"b", "a,b", "测"] {
            assert_eq!(AppId::new(bad).unwrap_err().field, "appId", "{bad:?}");
        }
        assert!(Nonce::new("x".repeat(128)).is_ok());
        let e = Nonce::new("x".repeat(129)).unwrap_err();
        assert_eq!(e.rule, "must be 1 to 128 characters, got 129");
        assert!(Nonce::new("").is_err());
    }

    #[test]
    fn a_merchant_serializes_as_its_three_fields_in_order() {
        let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap();
        assert_eq!(
            serde_json::to_string(&merchant).unwrap(),
            r#"{"mid":"898201612345678","tid":"88880001","instMid":"YUEDANDEFAULT"}"#
        );
        let other = merchant.with_inst_mid(InstMid::new("MINIDEFAULT").unwrap());
        assert_eq!(other.inst_mid, "MINIDEFAULT");
        assert_eq!(other.mid, merchant.mid);
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let e = Mid::new("89820161234567").unwrap_err();
        assert_eq!(e.field, "mid");
        assert_eq!(e.rule, "must be exactly 15 characters, got 14");
        assert_eq!(
            MerOrderId::new("12345").unwrap_err().to_string(),
            "invalid field `merOrderId`: must be 6 to 32 characters, got 5"
        );
        assert_eq!(InstMid::new("A".repeat(33)).unwrap_err().field, "instMid");
        assert_eq!(Tid::new("8888 001").unwrap_err().field, "tid");
        assert!(
            MerOrderId::new("订单订单订单")
                .unwrap_err()
                .rule
                .contains("printable ASCII")
        );
        assert_eq!(MsgId::new("x".repeat(65)).unwrap_err().field, "msgId");
        assert!(SrcReserve::new("测".repeat(255)).is_ok());
        assert_eq!(
            SrcReserve::new("测".repeat(256)).unwrap_err().field,
            "srcReserve"
        );
        assert!(SrcReserve::new("a\nb").is_err());
    }
}
