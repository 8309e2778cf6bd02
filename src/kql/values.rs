//! Typed values for KQL leaves (stage: plan/execute): numbers, dates (with Elasticsearch's
//! rounding of missing components and date math) and IP addresses (CIDR, IPv4-mapped IPv6).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use std::net::IpAddr;

/// Parse a number the way Elasticsearch parses a numeric query value or a coerced source
/// string: decimal or exponent notation; no `inf`/`nan` words.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A JSON value read as a number (numbers, and strings coerced at index time).
pub fn json_number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_number(s),
        _ => None,
    }
}

/// A date value as a closed millisecond interval: where it starts when rounded down and
/// where it ends when rounded up (a day-granularity `2024-01-01` covers the whole day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateSpan {
    /// First millisecond (gte / lt use this).
    pub start: i64,
    /// Last millisecond (lte / gt use this).
    pub end: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

fn unit_of(c: char) -> Option<Unit> {
    Some(match c {
        'y' => Unit::Year,
        'M' => Unit::Month,
        'w' => Unit::Week,
        'd' => Unit::Day,
        'h' | 'H' => Unit::Hour,
        'm' => Unit::Minute,
        's' => Unit::Second,
        _ => return None,
    })
}

fn to_dt(ms: i64) -> Option<NaiveDateTime> {
    Utc.timestamp_millis_opt(ms).single().map(|d| d.naive_utc())
}

fn to_ms(d: NaiveDateTime) -> i64 {
    d.and_utc().timestamp_millis()
}

/// Round `ms` down to the start of `unit` (UTC).
fn floor(ms: i64, unit: Unit) -> Option<i64> {
    let d = to_dt(ms)?;
    let date = d.date();
    let start = match unit {
        Unit::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1)?.and_time(NaiveTime::MIN),
        Unit::Month => {
            NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?.and_time(NaiveTime::MIN)
        }
        Unit::Week => {
            let back = i64::from(date.weekday().num_days_from_monday());
            (date - Duration::days(back)).and_time(NaiveTime::MIN)
        }
        Unit::Day => date.and_time(NaiveTime::MIN),
        Unit::Hour => return Some(ms - ms.rem_euclid(3_600_000)),
        Unit::Minute => return Some(ms - ms.rem_euclid(60_000)),
        Unit::Second => return Some(ms - ms.rem_euclid(1000)),
        Unit::Milli => return Some(ms),
    };
    Some(to_ms(start))
}

/// Add `n` units to `ms`.
fn add(ms: i64, n: i64, unit: Unit) -> Option<i64> {
    let d = to_dt(ms)?;
    let out = match unit {
        Unit::Year => shift_months(d, n.checked_mul(12)?)?,
        Unit::Month => shift_months(d, n)?,
        Unit::Week => d.checked_add_signed(Duration::try_weeks(n)?)?,
        Unit::Day => d.checked_add_signed(Duration::try_days(n)?)?,
        Unit::Hour => d.checked_add_signed(Duration::try_hours(n)?)?,
        Unit::Minute => d.checked_add_signed(Duration::try_minutes(n)?)?,
        Unit::Second => d.checked_add_signed(Duration::try_seconds(n)?)?,
        Unit::Milli => d.checked_add_signed(Duration::try_milliseconds(n)?)?,
    };
    Some(to_ms(out))
}

fn shift_months(d: NaiveDateTime, n: i64) -> Option<NaiveDateTime> {
    let m = chrono::Months::new(u32::try_from(n.unsigned_abs()).ok()?);
    if n >= 0 {
        d.checked_add_months(m)
    } else {
        d.checked_sub_months(m)
    }
}

/// End (last millisecond) of the `unit` that starts at `start`.
fn end_of(start: i64, unit: Unit) -> Option<i64> {
    Some(add(start, 1, unit)? - 1)
}

/// Parse an absolute date: `yyyy[-MM[-dd[THH[:mm[:ss[.SSS]]]]]][Z|±HH:mm]`, or epoch
/// milliseconds (digits that are not a 4-digit year). Times without a zone are UTC (the
/// detection engine's `dateFormatTZ` is Zulu).
fn parse_absolute(s: &str) -> Option<DateSpan> {
    let s = s.trim();
    let digits_only = !s.is_empty()
        && s.strip_prefix('-')
            .unwrap_or(s)
            .chars()
            .all(|c| c.is_ascii_digit());
    if digits_only && s.len() != 4 {
        let ms: i64 = s.parse().ok()?;
        return Some(DateSpan { start: ms, end: ms });
    }
    // Split off the zone.
    let (body, offset_ms) = split_zone(s)?;
    let (date_part, time_part) = match body.find(['T', ' ']) {
        Some(i) => (body.get(..i)?, Some(body.get(i + 1..)?)),
        None => (body, None),
    };
    let mut dp = date_part.split('-');
    let year: i32 = num(dp.next()?, 4)?;
    let month = opt_num(dp.next())?;
    let day = opt_num(dp.next())?;
    if dp.next().is_some() || (time_part.is_some() && day.is_none()) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month.unwrap_or(1), day.unwrap_or(1))?;
    let mut unit = if day.is_some() {
        Unit::Day
    } else if month.is_some() {
        Unit::Month
    } else {
        Unit::Year
    };
    let mut time = NaiveTime::MIN;
    let mut millis = 0i64;
    if let Some(t) = time_part {
        let (hms, frac) = match t.split_once(['.', ',']) {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let mut tp = hms.split(':');
        let h: u32 = num(tp.next()?, 2)?;
        let m = opt_num(tp.next())?;
        let sec = opt_num(tp.next())?;
        if tp.next().is_some() || (frac.is_some() && sec.is_none()) {
            return None;
        }
        time = NaiveTime::from_hms_opt(h, m.unwrap_or(0), sec.unwrap_or(0))?;
        unit = if sec.is_some() {
            Unit::Second
        } else if m.is_some() {
            Unit::Minute
        } else {
            Unit::Hour
        };
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 || !f.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Milliseconds; finer digits are dropped (a date field stores milliseconds).
            let padded = format!("{f:0<3}");
            millis = padded.get(..3)?.parse().ok()?;
            unit = Unit::Milli;
        }
    }
    let start = to_ms(date.and_time(time)) + millis - offset_ms;
    Some(DateSpan {
        start,
        end: end_of(start, unit)?,
    })
}

/// An optional component: absent is `Some(None)`, malformed is `None`.
fn opt_num(s: Option<&str>) -> Option<Option<u32>> {
    match s {
        None => Some(None),
        Some(s) => num::<u32>(s, 2).map(Some),
    }
}

fn num<T: std::str::FromStr>(s: &str, width: usize) -> Option<T> {
    if s.len() != width || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `(text without zone, offset in ms east of UTC)`.
fn split_zone(s: &str) -> Option<(&str, i64)> {
    if let Some(b) = s.strip_suffix(['Z', 'z']) {
        return Some((b, 0));
    }
    // A `+hh:mm` / `-hhmm` zone only after a time (dates use `-` as separator).
    if let Some(t) = s.find('T').or_else(|| s.find(' ')) {
        let after = s.get(t..)?;
        if let Some(i) = after.rfind(['+', '-']) {
            let zone = after.get(i..)?;
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let z = zone.get(1..)?.replace(':', "");
            let (h, m) = match z.len() {
                2 => (z.parse::<i64>().ok()?, 0),
                4 => (
                    z.get(..2)?.parse::<i64>().ok()?,
                    z.get(2..)?.parse::<i64>().ok()?,
                ),
                _ => return None,
            };
            return Some((s.get(..t + i)?, sign * (h * 3_600_000 + m * 60_000)));
        }
    }
    Some((s, 0))
}

/// Parse a query date with Elasticsearch date math (`now-1d/d`, `2024-01-01||+1M`).
/// `now_ms` is the current time.
pub fn parse_date_math(s: &str, now_ms: i64) -> Option<DateSpan> {
    let s = s.trim();
    let (mut span, mut rest) = if let Some(r) = s.strip_prefix("now") {
        (
            DateSpan {
                start: now_ms,
                end: now_ms,
            },
            r,
        )
    } else if let Some((base, r)) = s.split_once("||") {
        (parse_absolute(base)?, r)
    } else {
        return parse_absolute(s);
    };
    while let Some(op) = rest.chars().next() {
        let after = rest.get(1..)?;
        match op {
            '+' | '-' => {
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                let n: i64 = if digits.is_empty() {
                    1
                } else {
                    digits.parse().ok()?
                };
                let unit_c = after.get(digits.len()..)?.chars().next()?;
                let unit = unit_of(unit_c)?;
                let n = if op == '-' { -n } else { n };
                span = DateSpan {
                    start: add(span.start, n, unit)?,
                    end: add(span.end, n, unit)?,
                };
                rest = after.get(digits.len() + 1..)?;
            }
            '/' => {
                let unit = unit_of(after.chars().next()?)?;
                span = DateSpan {
                    start: floor(span.start, unit)?,
                    end: end_of(floor(span.end, unit)?, unit)?,
                };
                rest = after.get(1..)?;
            }
            _ => return None,
        }
    }
    Some(span)
}

/// A document's date value in epoch milliseconds (strings in the default
/// `strict_date_optional_time||epoch_millis` format, or numbers as epoch milliseconds).
pub fn json_date(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => parse_absolute(s).map(|d| d.start),
        _ => None,
    }
}

/// An address as Elasticsearch stores it: 16 bytes, IPv4 as IPv4-mapped IPv6.
pub fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Parse an address (`::ffff:10.0.0.1` and `10.0.0.1` are the same).
pub fn parse_ip(s: &str) -> Option<u128> {
    s.trim().parse::<IpAddr>().ok().map(ip_bits)
}

/// Parse an address or CIDR block into the inclusive range of addresses it covers.
pub fn parse_ip_or_cidr(s: &str) -> Option<(u128, u128)> {
    let s = s.trim();
    let Some((addr, len)) = s.split_once('/') else {
        let a = parse_ip(s)?;
        return Some((a, a));
    };
    let ip: IpAddr = addr.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    let len = match ip {
        IpAddr::V4(_) if len <= 32 => len + 96,
        IpAddr::V6(_) if len <= 128 => len,
        _ => return None,
    };
    let bits = ip_bits(ip);
    let host_mask = if len == 0 {
        u128::MAX
    } else {
        u128::MAX.checked_shr(len).unwrap_or(0)
    };
    Some((bits & !host_mask, bits | host_mask))
}

/// A document's ip value.
pub fn json_ip(v: &serde_json::Value) -> Option<u128> {
    match v {
        serde_json::Value::String(s) => parse_ip(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round() {
        let d = parse_date_math("2024-01-01", 0).expect("date");
        assert_eq!(d.end - d.start, 86_400_000 - 1);
        let t = json_date(&serde_json::json!("2024-01-01T05:00:00Z")).expect("t");
        assert!(t > d.start && t < d.end);
        let now = d.start + 3_600_000 * 5;
        let r = parse_date_math("now/d", now).expect("now");
        assert_eq!(r.start, d.start);
        assert_eq!(r.end, d.end);
        let m = parse_date_math("2024-02", 0).expect("month");
        assert_eq!(m.end - m.start + 1, 29 * 86_400_000);
        let z = parse_date_math("2024-01-01T01:00:00+01:00", 0).expect("zone");
        assert_eq!(z.start, d.start);
    }

    #[test]
    fn ips() {
        assert_eq!(parse_ip("::ffff:10.0.0.1"), parse_ip("10.0.0.1"));
        let (lo, hi) = parse_ip_or_cidr("10.0.0.0/8").expect("cidr");
        let x = parse_ip("10.1.2.3").expect("ip");
        assert!(lo <= x && x <= hi);
        assert!(parse_ip("10.0.0.9") < parse_ip("10.0.0.10"));
    }
}
