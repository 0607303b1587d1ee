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

/// `now` as Beijing wall-clock time. A clock beyond what the `time` crate represents (about
/// ±9999 years) is clamped to its nearest end rather than panicking.
pub fn beijing(now: SystemTime) -> PrimitiveDateTime {
    let utc = match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => time::Duration::try_from(after)
            .ok()
            .and_then(|d| OffsetDateTime::UNIX_EPOCH.checked_add(d))
            .unwrap_or(PrimitiveDateTime::MAX.assume_utc()),
        Err(before) => time::Duration::try_from(before.duration())
            .ok()
            .and_then(|d| OffsetDateTime::UNIX_EPOCH.checked_sub(d))
            .unwrap_or(PrimitiveDateTime::MIN.assume_utc()),
    };
    let at = utc.checked_to_offset(BEIJING).unwrap_or(utc);
    PrimitiveDateTime::new(at.date(), at.time())
}

/// The authentication timestamp `yyyyMMddHHmmss` (14 digits, UTC+8) used by OPEN-BODY-SIG,
/// OPEN-FORM-PARAM and the token request. Empty for a clock outside the years 0000 to 9999
/// (then refused by validation, never a panic).
pub fn auth_timestamp(now: SystemTime) -> String {
    match Civil::beijing(now) {
        Some(c) => {
            let mut out = [0u8; 14];
            c.write_compact(&mut out);
            ascii(&out)
        }
        None => String::new(),
    }
}

/// The body timestamp `yyyy-MM-dd HH:mm:ss` (UTC+8) used by `requestTimestamp`; empty outside
/// the years 0000 to 9999.
pub fn request_timestamp(now: SystemTime) -> String {
    match Civil::beijing(now) {
        Some(c) => {
            let mut out = *b"0000-00-00 00:00:00";
            let mut compact = [0u8; 14];
            c.write_compact(&mut compact);
            out[..4].copy_from_slice(&compact[..4]);
            out[5..7].copy_from_slice(&compact[4..6]);
            out[8..10].copy_from_slice(&compact[6..8]);
            out[11..13].copy_from_slice(&compact[8..10]);
            out[14..16].copy_from_slice(&compact[10..12]);
            out[17..19].copy_from_slice(&compact[12..14]);
            ascii(&out)
        }
        None => String::new(),
    }
}

/// A Beijing wall-clock second, computed directly from the Unix time: both timestamps are
/// formatted on every signed request, so this skips the general formatter (a tenth of its
/// cost). Checked against the `time` crate by a property test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Civil {
    year: u32,
    month: u32,
    day: u32,
    secs_of_day: u32,
}

impl Civil {
    /// `now` in UTC+8, or `None` outside the years 0000 to 9999.
    fn beijing(now: SystemTime) -> Option<Civil> {
        let secs: i64 = match now.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok()?,
            // Before 1970: round down to the whole second before.
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).ok()?;
                -whole - i64::from(d.subsec_nanos() > 0)
            }
        };
        let local = secs.checked_add(8 * 3600)?;
        let days = local.div_euclid(86_400);
        let secs_of_day = u32::try_from(local.rem_euclid(86_400)).ok()?;
        // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar).
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe.checked_add(era.checked_mul(400)?)? + i64::from(month <= 2);
        if !(0..=9999).contains(&year) {
            return None;
        }
        Some(Civil {
            year: u32::try_from(year).ok()?,
            month: u32::try_from(month).ok()?,
            day: u32::try_from(day).ok()?,
            secs_of_day,
        })
    }

    /// `yyyyMMddHHmmss` into `out`.
    fn write_compact(&self, out: &mut [u8; 14]) {
        let fields = [
            (self.year, 4usize),
            (self.month, 2),
            (self.day, 2),
            (self.secs_of_day / 3600, 2),
            (self.secs_of_day / 60 % 60, 2),
            (self.secs_of_day % 60, 2),
        ];
        let mut at = 0;
        for (value, width) in fields {
            let mut v = value;
            for i in (0..width).rev() {
                out[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            at += width;
        }
    }
}

fn ascii(bytes: &[u8]) -> String {
    // Only ASCII digits and separators are ever written.
    String::from_utf8_lossy(bytes).into_owned()
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

    /// The direct formatting agrees with the `time` crate's, second for second, over the whole
    /// range it covers and beyond its edges.
    #[test]
    fn direct_formatting_matches_the_time_crate() {
        use std::time::Duration;
        let slow_auth = |now: SystemTime| format_or_empty(beijing(now), AUTH_FORMAT);
        let slow_request = |now: SystemTime| format_datetime(beijing(now));
        let mut secs: Vec<i64> = vec![
            0,
            -1,
            1,
            59,
            86_399,
            86_400,
            -86_400,
            -28_800,
            -28_801,
            951_782_400,
            4_107_542_399,
            1_704_081_600,
            -62_167_248_000,
            253_402_271_999,
        ];
        // A deterministic spread: every ~37 hours from year 0 to 9999, plus odd seconds.
        let mut x: i64 = -62_167_248_000;
        while x < 253_402_271_999 {
            secs.push(x);
            secs.push(x + 17_077);
            x += 133_337 * 1_000;
        }
        for s in secs {
            let now = if s >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_secs(s as u64)
            } else {
                SystemTime::UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
            };
            assert_eq!(auth_timestamp(now), slow_auth(now), "{s}");
            assert_eq!(request_timestamp(now), slow_request(now), "{s}");
        }
        // Sub-second instants before 1970 round down, like the time crate.
        let just_before = SystemTime::UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(auth_timestamp(just_before), slow_auth(just_before));
        // Outside years 0000..9999: empty, never a panic.
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        assert_eq!(auth_timestamp(far), "");
        assert_eq!(request_timestamp(far), "");
        // The general conversion clamps instead of panicking, however far the clock.
        let _ = beijing(SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64));
        let _ = beijing(SystemTime::UNIX_EPOCH - Duration::from_secs(i64::MAX as u64 / 2));
    }
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
