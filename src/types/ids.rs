//! Validation of the platform's identifiers and free-text fields, with the lengths the
//! platform's documentation gives for each.
//!
//! Rules take the wire field name, so an error reads `invalid field \`mid\`: …`. Lengths are
//! counted in characters. Identifiers must be printable ASCII without spaces or quotes: the
//! platform's are letters and digits, and anything else is almost surely a copy-paste mistake.

use crate::error::InvalidField;

/// `mid` (商户号): exactly 15 characters.
pub fn mid(value: &str) -> Result<(), InvalidField> {
    identifier("mid", value, 15, 15)
}

/// `tid` (终端号): exactly 8 characters.
pub fn tid(value: &str) -> Result<(), InvalidField> {
    identifier("tid", value, 8, 8)
}

/// `instMid` (业务类型, e.g. `YUEDANDEFAULT`): 8 to 32 characters.
pub fn inst_mid(value: &str) -> Result<(), InvalidField> {
    identifier("instMid", value, 8, 32)
}

/// `merOrderId` (商户订单号): 6 to 32 characters.
///
/// The platform also requires it to start with the merchant's 4-character `msgSrcId`; the
/// query cannot check that (it does not know the msgSrcId), order creation will.
pub fn mer_order_id(value: &str) -> Result<(), InvalidField> {
    identifier("merOrderId", value, 6, 32)
}

/// `msgId` (消息ID): at most 64 characters.
pub fn msg_id(value: &str) -> Result<(), InvalidField> {
    text("msgId", value, 64)
}

/// `srcReserve` (请求系统预留字段): at most 255 characters.
pub fn src_reserve(value: &str) -> Result<(), InvalidField> {
    text("srcReserve", value, 255)
}

/// A printable-ASCII identifier of `min..=max` characters.
pub fn identifier(
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
pub fn text(field: &'static str, value: &str, max: usize) -> Result<(), InvalidField> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_example() {
        mid("898201612345678").unwrap();
        tid("88880001").unwrap();
        inst_mid("YUEDANDEFAULT").unwrap();
        mer_order_id("327M202204141724489725391331").unwrap();
        msg_id("001").unwrap();
        src_reserve("webpay").unwrap();
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let e = mid("89820161234567").unwrap_err();
        assert_eq!(e.field, "mid");
        assert_eq!(e.rule, "must be exactly 15 characters, got 14");
        assert_eq!(
            mer_order_id("12345").unwrap_err().to_string(),
            "invalid field `merOrderId`: must be 6 to 32 characters, got 5"
        );
        assert_eq!(inst_mid(&"A".repeat(33)).unwrap_err().field, "instMid");
        assert_eq!(tid("8888 001").unwrap_err().field, "tid");
        assert!(
            mer_order_id("订单订单订单")
                .unwrap_err()
                .rule
                .contains("printable ASCII")
        );
        assert_eq!(msg_id(&"x".repeat(65)).unwrap_err().field, "msgId");
        assert!(src_reserve(&"测".repeat(255)).is_ok());
        assert_eq!(
            src_reserve(&"测".repeat(256)).unwrap_err().field,
            "srcReserve"
        );
        assert!(src_reserve("a\nb").is_err());
    }
}
