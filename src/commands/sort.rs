//! `sort [N|limit=N] [+|-]f1, [+|-]f2 … [desc]`: order the results.
//!
//! `… | sort - count, user` — numbers numerically, text byte-wise, numbers before text;
//! `num()`, `str()`, `ip()`, `auto()` force a comparison; missing values sort last in both
//! directions; the sort is stable. Splunk keeps only the first 10,000 rows unless a limit is
//! given (`0` = all): tripline does the same and warns when rows were dropped.

use super::args::{split, tokens};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::TokKind;
use crate::value::{Value, compare};
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Auto,
    Num,
    Str,
    Ip,
}

#[derive(Debug)]
struct Key {
    field: FieldRef,
    desc: bool,
    how: How,
}

#[derive(Debug)]
struct Sort {
    keys: Vec<Key>,
    limit: Option<usize>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["limit"])?;
    let mut limit = s
        .get("limit")
        .map(|(t, span)| {
            t.parse::<usize>().map_err(|_| {
                l.error(
                    span,
                    "tripline::sort::limit",
                    format!("`limit` must be a whole number, found `{t}`"),
                )
            })
        })
        .transpose()?;
    let mut keys = Vec::new();
    let mut sign_next: Option<bool> = None;
    let mut i = 0;
    let rest = &s.rest;
    let mut reverse_all = false;
    while let Some(t) = rest.get(i) {
        i += 1;
        match &t.kind {
            TokKind::Comma => {}
            TokKind::Word(w) if w == "-" || w == "+" => sign_next = Some(w == "-"),
            TokKind::Word(w)
                if keys.is_empty()
                    && limit.is_none()
                    && sign_next.is_none()
                    && w.parse::<usize>().is_ok() =>
            {
                limit = w.parse::<usize>().ok();
            }
            TokKind::Word(w) if w.eq_ignore_ascii_case("desc") || w.eq_ignore_ascii_case("d") => {
                if i == rest.len() {
                    reverse_all = true;
                } else {
                    return Err(l.error(
                        t.span,
                        "tripline::sort::desc",
                        "`desc` may only end the field list",
                    ));
                }
            }
            TokKind::Word(w) => {
                let (desc, name) = match (w.strip_prefix('-'), w.strip_prefix('+')) {
                    (Some(n), _) if !n.is_empty() => (true, n.to_string()),
                    (_, Some(n)) if !n.is_empty() => (false, n.to_string()),
                    _ => (sign_next.unwrap_or(false), w.clone()),
                };
                sign_next = None;
                let func = match name.to_ascii_lowercase().as_str() {
                    "num" => Some(How::Num),
                    "str" => Some(How::Str),
                    "ip" => Some(How::Ip),
                    "auto" => Some(How::Auto),
                    _ => None,
                };
                match (func, rest.get(i), rest.get(i + 1), rest.get(i + 2)) {
                    (Some(how), Some(open), Some(f), Some(close))
                        if matches!(open.kind, TokKind::LParen)
                            && matches!(close.kind, TokKind::RParen) =>
                    {
                        i += 3;
                        keys.push(Key {
                            field: FieldRef::new(&f.text().unwrap_or_default()),
                            desc,
                            how,
                        });
                    }
                    _ => keys.push(Key {
                        field: FieldRef::new(&name),
                        desc,
                        how: How::Auto,
                    }),
                }
            }
            TokKind::Str(_) => {
                keys.push(Key {
                    field: FieldRef::new(&t.text().unwrap_or_default()),
                    desc: sign_next.take().unwrap_or(false),
                    how: How::Auto,
                });
            }
            _ => {
                return Err(l.error(
                    t.span,
                    "tripline::sort::syntax",
                    "expected a field to sort by",
                ));
            }
        }
    }
    if reverse_all {
        for k in &mut keys {
            k.desc = !k.desc;
        }
    }
    if keys.is_empty() {
        return Err(l.error(
            l.cmd.span,
            "tripline::sort::empty",
            "`sort` needs at least one field",
        ));
    }
    Ok(Box::new(Sort { keys, limit }))
}

/// The number a value starts with: the whole value when numeric, else a leading decimal
/// number (`"10a"` → 10), as Splunk's sort reads strings that start with digits.
fn leading_number(v: &Value) -> Option<f64> {
    if let Some(n) = v.as_number() {
        return Some(n);
    }
    let t = v.to_text()?;
    let end = t
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || (*c == '.' && *i > 0) || (*i == 0 && *c == '-'))
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    crate::value::parse_number(t.get(..end)?)
}

fn auto(a: &Value, b: &Value) -> Ordering {
    match (leading_number(a), leading_number(b)) {
        (Some(x), Some(y)) => x
            .partial_cmp(&y)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.to_text().cmp(&b.to_text())),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => compare(a, b),
    }
}

fn cmp_key(how: How, a: &Value, b: &Value) -> Ordering {
    match how {
        How::Auto => auto(a, b),
        How::Num => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        How::Str => a.to_text().cmp(&b.to_text()),
        How::Ip => {
            let ip = |v: &Value| v.to_text().and_then(|t| t.parse::<std::net::IpAddr>().ok());
            match (ip(a), ip(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => compare(a, b),
            }
        }
    }
}

impl Step for Sort {
    fn describe(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let f = match k.how {
                    How::Auto => k.field.name().to_string(),
                    How::Num => format!("num({})", k.field.name()),
                    How::Str => format!("str({})", k.field.name()),
                    How::Ip => format!("ip({})", k.field.name()),
                };
                format!("{}{f}", if k.desc { "-" } else { "+" })
            })
            .collect();
        format!(
            "sort limit={} {}",
            self.limit.unwrap_or(10_000),
            keys.join(", ")
        )
    }
    fn reads(&self) -> crate::plan::Reads {
        crate::plan::Reads::Fields(
            self.keys
                .iter()
                .map(|k| k.field.name().to_string())
                .collect(),
        )
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(SortOp {
            spec: self,
            rows: Vec::new(),
        }))
    }
}

struct SortOp<'a> {
    spec: &'a Sort,
    rows: Vec<Record>,
}

impl Operator for SortOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        ctx.hold(batch.iter().map(Record::approx_size).sum())?;
        self.rows.extend(batch);
        Ok(Vec::new())
    }
    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut rows: Vec<(Vec<Value>, Record)> = std::mem::take(&mut self.rows)
            .into_iter()
            .map(|r| {
                let k = self
                    .spec
                    .keys
                    .iter()
                    .map(|k| first_value(r.get(&k.field)))
                    .collect();
                (k, r)
            })
            .collect();
        rows.sort_by(|(a, _), (b, _)| {
            for ((x, y), key) in a.iter().zip(b).zip(&self.spec.keys) {
                let o = match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ => {
                        let o = cmp_key(key.how, x, y);
                        if key.desc { o.reverse() } else { o }
                    }
                };
                if o.is_ne() {
                    return o;
                }
            }
            Ordering::Equal
        });
        let limit = match self.spec.limit {
            Some(0) => usize::MAX,
            Some(n) => n,
            None => ctx.limits.sort_rows,
        };
        if rows.len() > limit && self.spec.limit.is_none() {
            ctx.warn(format!("sort kept the first {limit} of {} rows (Splunk's default limit); write `sort 0 …` to keep all", rows.len()));
        }
        Ok(rows.into_iter().take(limit).map(|(_, r)| r).collect())
    }
}

fn first_value(v: Value) -> Value {
    match v {
        Value::Multi(mut vs) if !vs.is_empty() => vs.swap_remove(0),
        other => other,
    }
}
