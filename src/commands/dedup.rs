//! `dedup [N] f1 f2 … [keepevents=bool] [keepempty=bool] [consecutive=bool] [sortby ±f …]`.
//!
//! `… | dedup 2 user dest sortby -_time` — keeps the first N (default 1) results per
//! combination of values, in the current order. A result where any listed field is null is
//! dropped unless `keepempty=true` (then it is always kept); a multivalue field matches only
//! the same values in the same order; `consecutive=true` only removes runs of duplicates;
//! `keepevents=true` keeps duplicates but removes the listed fields from them; `sortby`
//! sorts the results first, as a `sort` before `dedup` would, so the first N are chosen in
//! that order (it is blocking).

use super::args::{is_kw, split, tokens};
use crate::diag::{Diag, Span};
use crate::exec::ExecCtx;
use crate::plan::{Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{Tok, TokKind};
use crate::value::{Value, compare};
use std::cmp::Ordering;
use std::collections::HashMap;

#[derive(Debug)]
struct Dedup {
    count: usize,
    fields: Vec<FieldRef>,
    keepevents: bool,
    keepempty: bool,
    consecutive: bool,
    /// (field, descending).
    sortby: Vec<(FieldRef, bool)>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["keepevents", "keepempty", "consecutive"])?;
    let flag = |key: &str| -> Result<bool, Diag> {
        match s.get(key) {
            None => Ok(false),
            Some((t, span)) => parse_bool(&t).ok_or_else(|| {
                l.error(
                    span,
                    "tripline::dedup::bool",
                    format!("`{key}` must be true or false, found `{t}`"),
                )
            }),
        }
    };
    let (keepevents, keepempty, consecutive) = (
        flag("keepevents")?,
        flag("keepempty")?,
        flag("consecutive")?,
    );
    let mut count = 1;
    let mut rest: &[&Tok] = &s.rest;
    if let Some((first, tail)) = rest.split_first()
        && let Some(n) = first.word().and_then(|w| w.parse::<usize>().ok())
    {
        if n == 0 {
            return Err(l.error(
                first.span,
                "tripline::dedup::count",
                "the number of results to keep must be at least 1",
            ));
        }
        count = n;
        rest = tail;
    }
    let sort_at = rest.iter().position(|t| is_kw(t, "sortby"));
    let (field_toks, sort_toks) = match sort_at {
        Some(i) => (
            rest.get(..i).unwrap_or_default(),
            rest.get(i + 1..).unwrap_or_default(),
        ),
        None => (rest, &[][..]),
    };
    let mut fields = Vec::new();
    for t in field_toks {
        match &t.kind {
            TokKind::Comma => {}
            TokKind::Word(_) | TokKind::Str(_) => {
                fields.push(FieldRef::new(&t.text().unwrap_or_default()))
            }
            _ => {
                return Err(l.error(t.span, "tripline::dedup::syntax", "expected a field name"));
            }
        }
    }
    if fields.is_empty() {
        return Err(l.error(
            l.cmd.span,
            "tripline::dedup::fields",
            "`dedup` needs at least one field",
        ));
    }
    let sortby = sort_keys(
        l,
        sort_toks,
        sort_at.and_then(|i| rest.get(i)).map(|t| t.span),
    )?;
    Ok(Box::new(Dedup {
        count,
        fields,
        keepevents,
        keepempty,
        consecutive,
        sortby,
    }))
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" => Some(true),
        "false" | "f" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// `sortby -f1 +f2` or `sortby - f1, + f2`.
fn sort_keys(
    l: &Lower,
    toks: &[&Tok],
    kw_span: Option<Span>,
) -> Result<Vec<(FieldRef, bool)>, Diag> {
    let mut keys = Vec::new();
    let mut sign: Option<bool> = None;
    for t in toks {
        match &t.kind {
            TokKind::Comma => {}
            TokKind::Word(w) if w == "-" || w == "+" => sign = Some(w == "-"),
            TokKind::Word(w) => {
                let (desc, name) = match (w.strip_prefix('-'), w.strip_prefix('+')) {
                    (Some(n), _) if !n.is_empty() => (true, n.to_string()),
                    (_, Some(n)) if !n.is_empty() => (false, n.to_string()),
                    _ => (sign.unwrap_or(false), w.clone()),
                };
                sign = None;
                keys.push((FieldRef::new(&name), desc));
            }
            TokKind::Str(_) => keys.push((
                FieldRef::new(&t.text().unwrap_or_default()),
                sign.take().unwrap_or(false),
            )),
            _ => {
                return Err(l.error(
                    t.span,
                    "tripline::dedup::sortby",
                    "expected a field to sort by, such as `-_time`",
                ));
            }
        }
    }
    if let Some(span) = kw_span
        && keys.is_empty()
    {
        return Err(l.error(
            span,
            "tripline::dedup::sortby",
            "`sortby` needs at least one field",
        ));
    }
    Ok(keys)
}

impl Step for Dedup {
    fn describe(&self) -> String {
        let names: Vec<&str> = self.fields.iter().map(FieldRef::name).collect();
        let mut out = format!("dedup {} {}", self.count, names.join(", "));
        for (k, on) in [
            ("keepevents", self.keepevents),
            ("keepempty", self.keepempty),
            ("consecutive", self.consecutive),
        ] {
            if on {
                out.push_str(&format!(" {k}=true"));
            }
        }
        if !self.sortby.is_empty() {
            let keys: Vec<String> = self
                .sortby
                .iter()
                .map(|(f, d)| format!("{}{}", if *d { "-" } else { "+" }, f.name()))
                .collect();
            out.push_str(&format!(" sortby {}", keys.join(", ")));
        }
        out
    }
    fn reads(&self) -> crate::plan::Reads {
        let names = self
            .fields
            .iter()
            .chain(self.sortby.iter().map(|(f, _)| f))
            .map(|f| f.name().to_string())
            .collect();
        crate::plan::Reads::Fields(names)
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(DedupOp {
            spec: self,
            seen: HashMap::new(),
            last: None,
            sorted: Vec::new(),
        }))
    }
}

/// The values of the listed fields, as text (a multivalue field as its list of values).
type Key = Vec<Vec<String>>;

struct DedupOp<'a> {
    spec: &'a Dedup,
    seen: HashMap<Key, usize>,
    /// For `consecutive=true`: the previous key and how many of its run were kept.
    last: Option<(Key, usize)>,
    /// For `sortby`: every record, sorted and then chosen in `finish`.
    sorted: Vec<Record>,
}

fn key_of(rec: &Record, fields: &[FieldRef]) -> Option<Key> {
    fields
        .iter()
        .map(|f| {
            let v = rec.get(f);
            if v.is_null() {
                None
            } else {
                Some(v.values().iter().filter_map(Value::to_text).collect())
            }
        })
        .collect()
}

impl DedupOp<'_> {
    /// Is this occurrence within the first N (of its value combination, or of its run)?
    fn keep(&mut self, key: Key) -> bool {
        let n = self.spec.count;
        if self.spec.consecutive {
            match &mut self.last {
                Some((k, kept)) if *k == key => {
                    *kept += 1;
                    *kept <= n
                }
                _ => {
                    self.last = Some((key, 1));
                    true
                }
            }
        } else {
            let c = self.seen.entry(key).or_insert(0);
            *c += 1;
            *c <= n
        }
    }
}

impl DedupOp<'_> {
    /// Keep, thin (keepevents) or drop each record, in order.
    fn choose(&mut self, batch: Vec<Record>) -> Vec<Record> {
        let mut out = Vec::with_capacity(batch.len());
        for mut rec in batch {
            match key_of(&rec, &self.spec.fields) {
                None => {
                    if self.spec.keepempty {
                        out.push(rec);
                    }
                }
                Some(key) => {
                    if self.keep(key) {
                        out.push(rec);
                    } else if self.spec.keepevents {
                        for f in &self.spec.fields {
                            rec.remove(f.name());
                        }
                        out.push(rec);
                    }
                }
            }
        }
        out
    }
}

impl Operator for DedupOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        if self.spec.sortby.is_empty() {
            return Ok(self.choose(batch));
        }
        // `sortby` is "equivalent to performing a sort command before the dedup command"
        // (searchbnf.conf [dedup-command]): hold everything, sort, then choose.
        ctx.hold(batch.iter().map(Record::approx_size).sum())?;
        self.sorted.extend(batch);
        Ok(Vec::new())
    }
    fn finish(&mut self, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut rows = std::mem::take(&mut self.sorted);
        sort_rows(&mut rows, &self.spec.sortby);
        Ok(self.choose(rows))
    }
}

/// Stable sort; missing values last in both directions, as `sort` does.
fn sort_rows(rows: &mut [Record], keys: &[(FieldRef, bool)]) {
    if keys.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for (f, desc) in keys {
            let (x, y) = (a.get(f), b.get(f));
            let o = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => {
                    let o = compare(&x, &y);
                    if *desc { o.reverse() } else { o }
                }
            };
            if o.is_ne() {
                return o;
            }
        }
        Ordering::Equal
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Value)]) -> Record {
        let mut m = crate::record::FieldMap::default();
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        Record::from_row(m)
    }

    #[test]
    fn keys_and_sorting() {
        let f = vec![FieldRef::new("a")];
        let mv = Value::Multi(vec![Value::str("x"), Value::Num(2.0)]);
        assert_eq!(
            key_of(&row(&[("a", mv)]), &f),
            Some(vec![vec!["x".to_string(), "2".to_string()]])
        );
        assert_eq!(key_of(&row(&[("b", Value::str("1"))]), &f), None);
        // Numeric text and numbers are the same value.
        assert_eq!(
            key_of(&row(&[("a", Value::str("2"))]), &f),
            key_of(&row(&[("a", Value::Num(2.0))]), &f)
        );
        let mut rows = vec![
            row(&[("a", Value::Num(1.0))]),
            row(&[]),
            row(&[("a", Value::Num(10.0))]),
            row(&[("a", Value::Num(2.0))]),
        ];
        sort_rows(&mut rows, &[(FieldRef::new("a"), true)]);
        let got: Vec<String> = rows
            .iter()
            .map(|r| r.get_name("a").to_text().unwrap_or_default())
            .collect();
        assert_eq!(got, ["10", "2", "1", ""]);
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("f"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
