//! `convert [timeformat=…] func(field) [AS new] …`: convert field values.
//!
//! `… | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)` — `ctime` renders epoch
//! seconds with `timeformat` (default `%m/%d/%Y %H:%M:%S`) in the run's time zone; `mktime`
//! reads such text back to epoch seconds; `num`, `rmcomma`, `rmunit`, `dur2sec`, `memk`,
//! `auto`, `none` as in Splunk. Values that do not convert are left as they are. Without `AS`
//! the field is replaced.

use super::args::{is_kw, split, tokens};
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::TokKind;
use crate::value::{Value, parse_number};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Ctime,
    Mktime,
    Num,
    Auto,
    None,
    Rmcomma,
    Rmunit,
    Dur2sec,
    Memk,
    Mstime,
}

#[derive(Debug)]
struct Conversion {
    func: Func,
    name: &'static str,
    field: FieldRef,
    out: String,
}

#[derive(Debug)]
struct Convert {
    timeformat: String,
    convs: Vec<Conversion>,
}

const DEFAULT_FORMAT: &str = "%m/%d/%Y %H:%M:%S";

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["timeformat"])?;
    let timeformat = s
        .get("timeformat")
        .map_or_else(|| DEFAULT_FORMAT.to_string(), |(t, _)| t);
    let mut convs = Vec::new();
    let rest = &s.rest;
    let mut i = 0;
    while let Some(t) = rest.get(i) {
        if matches!(t.kind, TokKind::Comma) {
            i += 1;
            continue;
        }
        let Some(fname) = t.word() else {
            return Err(l.error(
                t.span,
                "tripline::convert::syntax",
                "expected a conversion such as `ctime(field)`",
            ));
        };
        let (func, name) = match fname.to_ascii_lowercase().as_str() {
            "ctime" => (Func::Ctime, "ctime"),
            "mktime" => (Func::Mktime, "mktime"),
            "num" => (Func::Num, "num"),
            "auto" => (Func::Auto, "auto"),
            "none" => (Func::None, "none"),
            "rmcomma" => (Func::Rmcomma, "rmcomma"),
            "rmunit" => (Func::Rmunit, "rmunit"),
            "dur2sec" => (Func::Dur2sec, "dur2sec"),
            "memk" => (Func::Memk, "memk"),
            "mstime" => (Func::Mstime, "mstime"),
            other => {
                return Err(l
                    .error(t.span, "tripline::convert::unknown_function", format!("unknown conversion `{other}`"))
                    .help("conversions: auto, ctime, dur2sec, memk, mktime, mstime, none, num, rmcomma, rmunit"))
            }
        };
        let (Some(open), Some(field), Some(close)) =
            (rest.get(i + 1), rest.get(i + 2), rest.get(i + 3))
        else {
            return Err(l.error(
                t.span,
                "tripline::convert::syntax",
                format!("expected `{name}(field)`"),
            ));
        };
        let field_name = field.text();
        if !matches!(open.kind, TokKind::LParen)
            || !matches!(close.kind, TokKind::RParen)
            || field_name.is_none()
        {
            return Err(l.error(
                t.span.to(close.span),
                "tripline::convert::syntax",
                format!("expected `{name}(field)`"),
            ));
        }
        let field_name = field_name.unwrap_or_default();
        i += 4;
        let mut out = field_name.clone();
        if let (Some(kw), Some(new)) = (rest.get(i), rest.get(i + 1))
            && is_kw(kw, "as")
        {
            out = new.text().unwrap_or_default();
            i += 2;
        }
        convs.push(Conversion {
            func,
            name,
            field: FieldRef::new(&field_name),
            out,
        });
    }
    if convs.is_empty() {
        return Err(l.error(
            l.cmd.span,
            "tripline::convert::empty",
            "`convert` needs at least one conversion such as `ctime(field)`",
        ));
    }
    Ok(Box::new(Convert { timeformat, convs }))
}

impl Step for Convert {
    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .convs
            .iter()
            .map(|c| {
                if c.out == c.field.name() {
                    format!("{}({})", c.name, c.field.name())
                } else {
                    format!("{}({}) as {}", c.name, c.field.name(), c.out)
                }
            })
            .collect();
        format!(
            "convert timeformat={:?} {}",
            self.timeformat,
            parts.join(", ")
        )
    }
    fn outputs(&self, mut input: crate::plan::Fields) -> crate::plan::Fields {
        for c in &self.convs {
            input.add(&c.out);
        }
        input
    }
    fn reads(&self) -> crate::plan::Reads {
        let names: Vec<String> = self
            .convs
            .iter()
            .map(|c| c.field.name().to_string())
            .collect();
        if names.iter().any(|n| n.contains('*')) {
            crate::plan::Reads::All
        } else {
            crate::plan::Reads::Fields(names)
        }
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for Convert {
    fn apply(&self, rec: &mut Record, ctx: &EvalCtx) -> bool {
        for c in &self.convs {
            let v = rec.get(&c.field);
            if v.is_null() {
                continue;
            }
            let converted = crate::functions::per_value(&v, |x| {
                convert_one(c.func, x, &self.timeformat, ctx).unwrap_or_else(|| x.clone())
            });
            rec.set(&c.out, converted);
        }
        true
    }
}

fn convert_one(f: Func, v: &Value, timeformat: &str, ctx: &EvalCtx) -> Option<Value> {
    let text = v.to_text()?;
    match f {
        Func::Ctime => {
            let n = v.as_number()?;
            crate::time::strftime(n, timeformat, &ctx.zone).map(Value::Str)
        }
        Func::Mktime => {
            if let Some(n) = v.as_number() {
                return Some(Value::Num(n));
            }
            crate::time::strptime(&text, timeformat, &ctx.zone).map(Value::Num)
        }
        Func::Num | Func::Auto => {
            if let Some(n) = parse_number(&text) {
                return Some(Value::Num(n));
            }
            if let Some(n) = parse_number(&text.replace(',', "")) {
                return Some(Value::Num(n));
            }
            let lead = leading_number(&text)?;
            Some(Value::Num(lead))
        }
        Func::None => Some(v.clone()),
        Func::Rmcomma => parse_number(&text.replace(',', "")).map(Value::Num),
        Func::Rmunit => leading_number(&text).map(Value::Num),
        Func::Dur2sec => dur2sec(&text).map(Value::Num),
        Func::Memk => memk(&text).map(Value::Num),
        Func::Mstime => mstime(&text).map(Value::Num),
    }
}

fn leading_number(s: &str) -> Option<f64> {
    let s = s.trim_start();
    let end = s
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))
        })
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    parse_number(s.get(..end)?)
}

/// `[D+]HH:MM:SS` → seconds.
fn dur2sec(s: &str) -> Option<f64> {
    let (days, rest) = match s.split_once('+') {
        Some((d, r)) => (parse_number(d)?, r),
        None => (0.0, s),
    };
    let parts: Vec<f64> = rest.split(':').map(parse_number).collect::<Option<_>>()?;
    let secs = parts.iter().fold(0.0, |acc, p| acc * 60.0 + p);
    (parts.len() <= 3).then_some(days * 86400.0 + secs)
}

/// Memory with a unit (`10m`, `3g`, `512k`) → kilobytes.
fn memk(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()?.to_ascii_lowercase() {
        'k' => (s.get(..s.len() - 1)?, 1.0),
        'm' => (s.get(..s.len() - 1)?, 1024.0),
        'g' => (s.get(..s.len() - 1)?, 1024.0 * 1024.0),
        _ => (s, 1.0),
    };
    parse_number(num).map(|n| n * mult)
}

/// `[MM:]SS.SSS` → seconds.
fn mstime(s: &str) -> Option<f64> {
    match s.split_once(':') {
        Some((m, rest)) => Some(parse_number(m)? * 60.0 + parse_number(rest)?),
        None => parse_number(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(dur2sec("00:10:15"), Some(615.0));
        assert_eq!(dur2sec("1+00:00:01"), Some(86401.0));
        assert_eq!(leading_number("212 sec"), Some(212.0));
        assert_eq!(memk("2m"), Some(2048.0));
        assert_eq!(mstime("01:30.5"), Some(90.5));
    }
}
