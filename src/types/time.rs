//! Beijing time (fixed UTC+8, whatever the machine's zone) and the platform's date formats.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The platform's time zone: a fixed UTC+8 offset (no tz database, no DST).
pub const BEIJING: UtcOffset = offset!(+8);

const AUTH_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day][hour][minute][second]");
const DATETIME_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const DATE_FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `now` as Beijing wall-clock time.
pub fn beijing(now: SystemTime) -> PrimitiveDateTime {
    let at = OffsetDateTime::from(now).to_offset(BEIJING);
    PrimitiveDateTime::new(at.date(), at.time())
}

/// The authentication timestamp `yyyyMMddHHmmss` (14 digits, UTC+8) used by OPEN-BODY-SIG,
/// OPEN-FORM-PARAM and the token request.
pub fn auth_timestamp(now: SystemTime) -> String {
    format_or_empty(beijing(now), AUTH_FORMAT)
}

/// The body timestamp `yyyy-MM-dd HH:mm:ss` (UTC+8) used by `requestTimestamp`.
pub fn request_timestamp(now: SystemTime) -> String {
    format_datetime(beijing(now))
}

/// Formats a Beijing wall-clock time as `yyyy-MM-dd HH:mm:ss`.
pub fn format_datetime(at: PrimitiveDateTime) -> String {
    format_or_empty(at, DATETIME_FORMAT)
}

fn format_or_empty(at: PrimitiveDateTime, format: &[BorrowedFormatItem<'_>]) -> String {
    // Formatting a PrimitiveDateTime with these numeric items only fails for years outside
    // 0..=9999, which a SystemTime-derived date never has in practice; an empty string then
    // fails validation with a clear error instead of panicking.
    at.format(format).unwrap_or_default()
}

/// `yyyyMMddHHmmssSSS` (17 digits, milliseconds), the time part of a generated order id.
pub fn order_id_timestamp(at: PrimitiveDateTime) -> String {
    format!(
        "{}{:03}",
        format_or_empty(at, AUTH_FORMAT),
        at.millisecond()
    )
}

/// Whether `s` is exactly `yyyyMMddHHmmss` and a valid date and time.
pub fn is_auth_timestamp(s: &str) -> bool {
    s.len() == 14 && PrimitiveDateTime::parse(s, AUTH_FORMAT).is_ok()
}

/// Parses `yyyyMMddHHmmss` as Beijing time.
pub fn parse_auth_timestamp(s: &str) -> Option<OffsetDateTime> {
    if s.len() != 14 {
        return None;
    }
    PrimitiveDateTime::parse(s, AUTH_FORMAT)
        .ok()
        .map(|t| t.assume_offset(BEIJING))
}

/// A `yyyy-MM-dd HH:mm:ss` time from a response (Beijing time), kept verbatim.
///
/// Responses are never rejected for an odd date: the raw text is always available, and
/// [`PlatformTime::to_offset_date_time`] gives the parsed instant when it is well-formed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlatformTime(String);

impl PlatformTime {
    /// The text as the platform sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant, when the text is a valid `yyyy-MM-dd HH:mm:ss` Beijing time.
    pub fn to_offset_date_time(&self) -> Option<OffsetDateTime> {
        PrimitiveDateTime::parse(&self.0, DATETIME_FORMAT)
            .ok()
            .map(|t| t.assume_offset(BEIJING))
    }
}

/// A `yyyy-MM-dd` date from a response (e.g. `settleDate`), kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlatformDate(String);

impl PlatformDate {
    /// The text as the platform sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The date, when the text is a valid `yyyy-MM-dd`.
    pub fn to_date(&self) -> Option<Date> {
        Date::parse(&self.0, DATE_FORMAT).ok()
    }
}

macro_rules! text_newtype_serde {
    ($ty:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($ty)
            }
        }

        impl From<&str> for $ty {
            fn from(s: &str) -> Self {
                $ty(s.to_owned())
            }
        }

        impl From<String> for $ty {
            fn from(s: String) -> Self {
                $ty(s)
            }
        }
    };
}

text_newtype_serde!(PlatformTime);
text_newtype_serde!(PlatformDate);

/// `#[serde(deserialize_with = "…")]` helper: `""` and `null` become `None`.
pub(crate) fn non_empty<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|s| !s.is_empty()).map(T::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    // 2024-01-01 04:00:00 UTC = 2024-01-01 12:00:00 in Beijing.
    fn noon_beijing() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_704_081_600)
    }

    #[test]
    fn formats_in_utc_plus_8() {
        assert_eq!(auth_timestamp(noon_beijing()), "20240101120000");
        assert_eq!(request_timestamp(noon_beijing()), "2024-01-01 12:00:00");
    }

    #[test]
    fn crosses_the_date_line_at_16_utc() {
        // 2023-12-31 16:00:01 UTC is already 2024-01-01 00:00:01 in Beijing.
        let t = noon_beijing() - Duration::from_secs(12 * 3600 - 1);
        assert_eq!(auth_timestamp(t), "20240101000001");
    }

    #[test]
    fn parses_platform_times() {
        let t = PlatformTime::from("2024-01-01 12:00:00");
        assert_eq!(
            SystemTime::from(t.to_offset_date_time().unwrap()),
            noon_beijing()
        );
        assert!(
            PlatformTime::from("2024/01/01")
                .to_offset_date_time()
                .is_none()
        );
        assert_eq!(
            PlatformDate::from("2022-07-19")
                .to_date()
                .unwrap()
                .to_string(),
            "2022-07-19"
        );
    }

    #[test]
    fn auth_timestamp_validation() {
        assert!(is_auth_timestamp("20240101120000"));
        assert!(!is_auth_timestamp("2024010112000"));
        assert!(!is_auth_timestamp("20241301120000"));
        assert!(!is_auth_timestamp("2024-01-01 12:0"));
        assert_eq!(
            parse_auth_timestamp("20240101120000").map(SystemTime::from),
            Some(noon_beijing())
        );
    }
}
