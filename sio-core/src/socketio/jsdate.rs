//! JavaScript's text forms of a date, for what Node writes between servers: `Date#toString`
//! (a fetched socket's `handshake.time`) and `Date#toISOString` (what a client gets for a
//! `Date`, through `toJSON`). Always in UTC: Node writes its process's time zone, which is
//! UTC on servers configured as usual.

use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// The largest distance from the epoch a JavaScript date may have, in milliseconds.
const MAX_MS: i64 = 8_640_000_000_000_000;

/// A moment broken into its UTC calendar fields.
struct Civil {
    year: i64,
    /// 1–12.
    month: u32,
    /// 1–31.
    day: u32,
    /// 0 = Sunday.
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
    #[cfg_attr(not(feature = "msgpack"), allow(dead_code))] // read by `to_iso_string`
    milli: i64,
}

/// Splits milliseconds since the epoch into UTC calendar fields (proleptic Gregorian).
fn civil(ms: i64) -> Civil {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Days to year/month/day, counting from 0000-03-01 so that leap days end the year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1_000 % 60,
        milli: in_day % 1_000,
    }
}

/// Milliseconds since the epoch (negative before it).
pub(crate) fn millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// `Date#toString` in UTC: `Sun Dec 06 2026 17:00:00 GMT+0000 (Coordinated Universal Time)`.
pub(crate) fn to_date_string(ms: i64) -> String {
    let c = civil(ms.clamp(-MAX_MS, MAX_MS));
    let sign = if c.year < 0 { "-" } else { "" };
    format!(
        "{} {} {:02} {sign}{:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[c.weekday],
        MONTHS[c.month as usize - 1],
        c.day,
        c.year.abs(),
        c.hour,
        c.minute,
        c.second,
    )
}

/// `Date#toISOString` (`2026-12-06T17:00:00.000Z`; years outside 0–9999 as `±YYYYYY`), or
/// `None` when JavaScript would hold an invalid date (past ±8.64e15 ms), which `toJSON`
/// writes as `null`.
#[cfg_attr(not(feature = "msgpack"), allow(dead_code))] // for the msgpack conversions
pub(crate) fn to_iso_string(ms: i64) -> Option<String> {
    if !(-MAX_MS..=MAX_MS).contains(&ms) {
        return None;
    }
    let c = civil(ms);
    let year = if (0..=9999).contains(&c.year) {
        format!("{:04}", c.year)
    } else if c.year < 0 {
        format!("-{:06}", -c.year)
    } else {
        format!("+{:06}", c.year)
    };
    Some(format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.month, c.day, c.hour, c.minute, c.second, c.milli
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_strings_are_javascripts() {
        // new Date(Date.UTC(2026, 11, 6, 17, 0, 0)).toString() with TZ=UTC
        assert_eq!(
            to_date_string(1_796_576_400_000),
            "Sun Dec 06 2026 17:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            to_date_string(0),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        // A leap day, with milliseconds dropped.
        assert_eq!(
            to_date_string(951_827_696_789),
            "Tue Feb 29 2000 12:34:56 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            to_date_string(-1),
            "Wed Dec 31 1969 23:59:59 GMT+0000 (Coordinated Universal Time)"
        );
    }

    #[test]
    fn iso_strings_are_javascripts() {
        assert_eq!(to_iso_string(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            to_iso_string(960_854_400_000).unwrap(),
            "2000-06-13T00:00:00.000Z"
        );
        assert_eq!(
            to_iso_string(951_827_696_789).unwrap(),
            "2000-02-29T12:34:56.789Z"
        );
        assert_eq!(to_iso_string(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        // new Date(8.64e15).toISOString(), new Date(-8.64e15).toISOString()
        assert_eq!(
            to_iso_string(MAX_MS).unwrap(),
            "+275760-09-13T00:00:00.000Z"
        );
        assert_eq!(
            to_iso_string(-MAX_MS).unwrap(),
            "-271821-04-20T00:00:00.000Z"
        );
        assert_eq!(
            to_iso_string(-62_198_755_200_000).unwrap(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert_eq!(to_iso_string(MAX_MS + 1), None);
    }

    #[test]
    fn system_times_become_milliseconds() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_500);
        assert_eq!(millis(t), 1_500);
        let t = UNIX_EPOCH - std::time::Duration::from_millis(1_500);
        assert_eq!(millis(t), -1_500);
    }
}
