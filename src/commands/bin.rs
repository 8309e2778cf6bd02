//! `bin [span=<int><unit>] [aligntime=<epoch>] <field> [AS new]` (alias `bucket`): put values in bins.
//!
//! `… | bucket span=5m _time` — time values are floored to the span, aligned to epoch 0
//! (`floor(t/300)*300`) and stay numeric; spans of a day or more align to midnight in the run's
//! zone and months to the first of the month. A numeric field with a plain span becomes the
//! range text `"20-30"`. Values that are not numbers are left as they are.

use super::args::{is_kw, split, tokens};
use crate::diag::{Diag, Kind, Span};
use crate::functions::EvalCtx;
use crate::plan::{Fields, Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::time::Zone;
use crate::value::{Value, format_number, parse_number};

const DAY: f64 = 86_400.0;

#[derive(Clone, Copy, Debug, PartialEq)]
enum BinSpan {
    /// Seconds, below a day: aligned to epoch 0 (plus `aligntime`).
    Secs(f64),
    /// Whole days, aligned to local midnight.
    Days(f64),
    /// Whole months, aligned to the first of the month.
    Months(i64),
    /// A plain number on a non-time field: range text.
    Plain(f64),
}

#[derive(Debug)]
struct Bin {
    span: BinSpan,
    /// The span as written, for `explain`.
    span_text: String,
    align: f64,
    field: FieldRef,
    out: String,
}

fn unsupported(l: &Lower, span: Span, code: &'static str, msg: impl Into<String>) -> Diag {
    Diag::error(Kind::Unsupported, code, msg)
        .at(span)
        .label(format!(
            "tripline cannot run this form of `{}` yet",
            l.cmd.name
        ))
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["span", "bins", "aligntime"])?;
    let mut names = Vec::new();
    let mut out = None;
    let mut i = 0;
    while let Some(t) = s.rest.get(i) {
        i += 1;
        if is_kw(t, "as") {
            let Some(n) = s.rest.get(i).and_then(|n| n.text()) else {
                return Err(l.error(t.span, "tripline::bin::as", "expected a name after `AS`"));
            };
            out = Some(n);
            i += 1;
            continue;
        }
        match t.text() {
            Some(n) => names.push((n, t.span)),
            None => {
                return Err(l.error(t.span, "tripline::bin::syntax", "expected a field name"));
            }
        }
    }
    let mut names = names.into_iter();
    let Some((field, _)) = names.next() else {
        return Err(l.error(
            l.cmd.span,
            "tripline::bin::field",
            format!("`{}` needs a field", l.cmd.name),
        ));
    };
    if let Some((extra, span)) = names.next() {
        return Err(l.error(
            span,
            "tripline::bin::one_field",
            format!("`{}` bins one field; `{extra}` is extra", l.cmd.name),
        ));
    }
    let Some((span_text, span_at)) = s.get("span") else {
        let at = s.get("bins").map_or(l.cmd.span, |(_, sp)| sp);
        return Err(unsupported(
            l,
            at,
            "tripline::bin::needs_span",
            format!(
                "`{}` without `span=` (bins chosen from the data) is not supported",
                l.cmd.name
            ),
        )
        .help("give the bin size, e.g. `span=5m`"));
    };
    let is_time = field == "_time";
    let span = parse_span(&span_text, is_time).map_err(|e| match e {
        SpanErr::Log => unsupported(
            l,
            span_at,
            "tripline::bin::log_span",
            "logarithmic spans are not supported",
        ),
        SpanErr::Bad => {
            l.error(
                span_at,
                "tripline::bin::span",
                format!("invalid span `{span_text}`"),
            )
            .help("write a positive number with an optional unit: s, m, h, d, mon (e.g. `span=5m`)")
        }
    })?;
    let align = match s.get("aligntime") {
        None => 0.0,
        Some((t, sp)) => match parse_number(&t) {
            Some(n) => n,
            None => {
                return Err(unsupported(
                    l,
                    sp,
                    "tripline::bin::aligntime",
                    format!("`aligntime={t}` is not supported; only an epoch time is"),
                ));
            }
        },
    };
    Ok(Box::new(Bin {
        span,
        span_text,
        align,
        out: out.unwrap_or_else(|| field.clone()),
        field: FieldRef::new(&field),
    }))
}

#[derive(Debug, PartialEq)]
enum SpanErr {
    Log,
    Bad,
}

fn parse_span(text: &str, is_time: bool) -> Result<BinSpan, SpanErr> {
    let t = text.trim().to_ascii_lowercase();
    if t.contains("log") {
        return Err(SpanErr::Log);
    }
    let split_at = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split_at);
    let n = parse_number(num).filter(|n| *n > 0.0).ok_or(SpanErr::Bad)?;
    let secs = match unit {
        "" if !is_time => return Ok(BinSpan::Plain(n)),
        "" | "s" | "sec" | "secs" | "second" | "seconds" => n,
        "m" | "min" | "mins" | "minute" | "minutes" => n * 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => n * 3600.0,
        "d" | "day" | "days" => n * DAY,
        "us" => n / 1_000_000.0,
        "ms" => n / 1000.0,
        "cs" => n / 100.0,
        "ds" => n / 10.0,
        "mon" | "month" | "months" => {
            if n.fract() != 0.0 {
                return Err(SpanErr::Bad);
            }
            #[expect(clippy::cast_possible_truncation, reason = "whole number of months")]
            let m = n as i64;
            return Ok(BinSpan::Months(m));
        }
        _ => return Err(SpanErr::Bad),
    };
    if secs >= DAY {
        Ok(BinSpan::Days(secs))
    } else {
        Ok(BinSpan::Secs(secs))
    }
}

impl Step for Bin {
    fn describe(&self) -> String {
        let mut s = format!("bin span={} {}", self.span_text, self.field.name());
        if self.align != 0.0 {
            s.push_str(&format!(" aligntime={}", format_number(self.align)));
        }
        if self.out != self.field.name() {
            s.push_str(&format!(" as {}", self.out));
        }
        s
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        input.add(&self.out);
        input
    }
    fn reads(&self) -> crate::plan::Reads {
        crate::plan::Reads::Fields(vec![self.field.name().to_string()])
    }
    fn writes(&self) -> usize {
        1
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
    fn derives(&self, name: &str) -> crate::plan::Derived {
        if name == self.out {
            crate::plan::Derived::Unknown
        } else {
            crate::plan::Derived::Same
        }
    }
}

impl PerRecord for Bin {
    fn apply(&self, rec: &mut Record, ctx: &EvalCtx) -> bool {
        let v = rec.get(&self.field);
        if v.is_null() {
            return true;
        }
        let binned = crate::functions::per_value(&v, |x| {
            x.as_number().map_or_else(
                || x.clone(),
                |n| bin_value(self.span, self.align, n, &ctx.zone),
            )
        });
        rec.set(&self.out, binned);
        true
    }
}

fn bin_value(span: BinSpan, align: f64, n: f64, zone: &Zone) -> Value {
    match span {
        BinSpan::Secs(s) => Value::Num(((n - align) / s).floor() * s + align),
        BinSpan::Days(s) => Value::Num(floor_days(n, s, zone)),
        BinSpan::Months(m) => Value::Num(floor_months(n, m, zone)),
        BinSpan::Plain(s) => {
            let low = (n / s).floor() * s;
            Value::Str(format!("{}-{}", format_number(low), format_number(low + s)))
        }
    }
}

#[expect(clippy::cast_possible_truncation, reason = "epoch seconds fit in i64")]
fn offset(zone: &Zone, t: f64) -> f64 {
    f64::from(zone.offset_at(t.floor() as i64))
}

/// Floor to a multiple of `span` seconds of local time (local midnight for whole days).
fn floor_days(t: f64, span: f64, zone: &Zone) -> f64 {
    let local = t + offset(zone, t);
    let start_local = (local / span).floor() * span;
    // The offset at the bin start may differ from the offset at `t` (daylight saving).
    let guess = start_local - offset(zone, t);
    start_local - offset(zone, guess)
}

/// Floor to the first of a month, in groups of `months` counted from January 1970.
fn floor_months(t: f64, months: i64, zone: &Zone) -> f64 {
    let local = t + offset(zone, t);
    #[expect(clippy::cast_possible_truncation, reason = "day numbers fit in i64")]
    let days = (local / DAY).floor() as i64;
    let (y, m, _) = civil_from_days(days);
    let index = (y - 1970) * 12 + (m - 1);
    let start = index.div_euclid(months.max(1)) * months.max(1);
    let (sy, sm) = (1970 + start.div_euclid(12), start.rem_euclid(12) + 1);
    #[expect(clippy::cast_precision_loss, reason = "day numbers are small")]
    let start_local = days_from_civil(sy, sm, 1) as f64 * DAY;
    let guess = start_local - offset(zone, t);
    start_local - offset(zone, guess)
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse() {
        assert_eq!(parse_span("5m", true), Ok(BinSpan::Secs(300.0)));
        assert_eq!(parse_span("30", true), Ok(BinSpan::Secs(30.0)));
        assert_eq!(parse_span("10", false), Ok(BinSpan::Plain(10.0)));
        assert_eq!(parse_span("1h", false), Ok(BinSpan::Secs(3600.0)));
        assert_eq!(parse_span("2d", true), Ok(BinSpan::Days(172_800.0)));
        assert_eq!(parse_span("1mon", true), Ok(BinSpan::Months(1)));
        assert_eq!(parse_span("2log5", true), Err(SpanErr::Log));
        assert_eq!(parse_span("5w", true), Err(SpanErr::Bad));
        assert_eq!(parse_span("0m", true), Err(SpanErr::Bad));
    }

    #[test]
    fn time_bins() {
        let utc = Zone::Utc;
        // 2024-01-01T10:03:20Z = 1704103400 → 10:00:00 = 1704103200.
        assert_eq!(
            bin_value(BinSpan::Secs(300.0), 0.0, 1_704_103_400.0, &utc),
            Value::Num(1_704_103_200.0)
        );
        // Day: midnight 2024-01-01 UTC = 1704067200.
        assert_eq!(
            bin_value(BinSpan::Days(DAY), 0.0, 1_704_103_400.0, &utc),
            Value::Num(1_704_067_200.0)
        );
        // In +02:00, 2024-01-01T23:30Z is 01:30 on Jan 2 local → midnight local = 2024-01-01T22:00Z.
        let plus2 = Zone::parse("+02:00").unwrap_or_default();
        assert_eq!(
            bin_value(BinSpan::Days(DAY), 0.0, 1_704_151_800.0, &plus2),
            Value::Num(1_704_146_400.0)
        );
        // Month: 2024-02-15T12:00Z (1707998400) → 2024-02-01T00:00Z (1706745600).
        assert_eq!(
            bin_value(BinSpan::Months(1), 0.0, 1_707_998_400.0, &utc),
            Value::Num(1_706_745_600.0)
        );
        // Three months from Jan 1970: Feb 2024 is month 649 → 648 = Jan 2024 (1704067200).
        assert_eq!(
            bin_value(BinSpan::Months(3), 0.0, 1_707_998_400.0, &utc),
            Value::Num(1_704_067_200.0)
        );
    }

    #[test]
    fn ranges() {
        let utc = Zone::Utc;
        assert_eq!(
            bin_value(BinSpan::Plain(10.0), 0.0, 23.0, &utc),
            Value::str("20-30")
        );
        assert_eq!(
            bin_value(BinSpan::Plain(10.0), 0.0, -3.0, &utc),
            Value::str("-10-0")
        );
        assert_eq!(
            bin_value(BinSpan::Plain(1.0), 0.0, 0.5, &utc),
            Value::str("0-1")
        );
    }

    #[test]
    fn civil_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
