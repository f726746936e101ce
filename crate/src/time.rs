//! Simulated time: integer milliseconds since the start of a run, and the UTC
//! calendar the historical presets are pinned to.
//!
//! Time is never an accumulated float (style guide: determinism). Calendar
//! conversion uses Howard Hinnant's days-from-civil algorithm, so no time-zone
//! database and no OS clock is involved.

/// Milliseconds since the start of the run.
pub type Millis = u64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// Seconds since 1970-01-01T00:00Z.
pub type UnixSeconds = i64;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYY-MM-DDTHH:MMZ` (seconds `:SS` optional), the form used in
/// scenario links and the reference CSV files.
pub fn parse_utc(s: &str) -> Option<UnixSeconds> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix('z'))?;
    let (date, clock) = s.split_once(['T', 't'])?;
    let mut dp = date.split('-');
    let year = dp.next()?;
    // Four digits: no arithmetic on absurd years.
    if year.len() != 4 {
        return None;
    }
    let y: i64 = year.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    if d > days_in_month(y, m) {
        return None;
    }
    let mut cp = clock.split(':');
    let hh: i64 = cp.next()?.parse().ok()?;
    let mm: i64 = cp.next()?.parse().ok()?;
    let ss: i64 = match cp.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if cp.next().is_some() || !(0..24).contains(&hh) || !(0..60).contains(&mm) || !(0..60).contains(&ss) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3_600 + mm * 60 + ss)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Formats as `YYYY-MM-DDTHH:MMZ`, or `YYYY-MM-DDTHH:MM:SSZ` when the
/// seconds are not zero, so that [`parse_utc`] gives back the same instant:
/// a link's times round-trip.
pub fn format_utc(t: UnixSeconds) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3_600, (secs / 60) % 60, secs % 60);
    if ss == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }
}

/// Month (1-12) of a UTC instant; the region table uses it to decide daylight saving.
pub fn month_of(t: UnixSeconds) -> u32 {
    civil_from_days(t.div_euclid(86_400)).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates() {
        for s in ["2007-08-16T22:15Z", "2010-12-22T16:00Z", "2000-02-29T00:00Z", "1970-01-01T00:00Z"] {
            assert_eq!(format_utc(parse_utc(s).unwrap()), s);
        }
        assert_eq!(parse_utc("2007-08-16T22:15:30Z").unwrap() % 60, 30);
        // Seconds are kept when there are any, so every time round-trips.
        assert_eq!(format_utc(parse_utc("2007-08-15T16:00:30Z").unwrap()), "2007-08-15T16:00:30Z");
        assert_eq!(format_utc(parse_utc("2007-08-15T16:00:00Z").unwrap()), "2007-08-15T16:00Z");
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "2007-13-01T00:00Z",
            "2007-02-30T00:00Z",
            "2007-08-16 22:15Z",
            "2007-08-16T24:00Z",
            "x",
            "2007-08-16T22:15",
            "99999999999999999-01-01T00:00Z",
            "-2007-01-01T00:00Z",
        ] {
            assert!(parse_utc(s).is_none(), "{s}");
        }
    }

    #[test]
    fn knows_the_epoch() {
        assert_eq!(parse_utc("1970-01-02T00:00Z"), Some(86_400));
        assert_eq!(month_of(parse_utc("2010-12-22T16:00Z").unwrap()), 12);
    }
}
