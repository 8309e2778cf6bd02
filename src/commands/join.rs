//! `join [type=inner|left|outer] [max=N] [overwrite=bool] f1, f2 … [ subsearch ]`: combine
//! each result with the subsearch rows that have the same values in the join fields.
//!
//! `… | join InternetMessageId, user max=0 [ search … | stats … by user ]` — Splunk's
//! documented semantics: inner by default (`left` and `outer` keep unmatched rows unchanged);
//! `max=1` by default (the first matching subsearch row), `max=0` for all matches (one output
//! row each); on a name clash the subsearch value wins unless `overwrite=false`; keys compare
//! case-sensitively; without a field list the join uses every field both sides have.
//! **Choices** (undocumented): a null key never matches, a multivalue key matches only the
//! same value set, output keeps the order of the main results. The subsearch may return at most
//! 50,000 rows (`--join-max-rows`); beyond that tripline warns and uses the first ones, as
//! Splunk does.

use super::args::{split, tokens};
use crate::diag::{Diag, Kind};
use crate::exec::{ExecCtx, run};
use crate::plan::{Lower, Operator, Plan, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::TokKind;
use crate::value::Value;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Inner,
    Left,
}

#[derive(Debug)]
struct Join {
    kind: Type,
    max: usize,
    overwrite: bool,
    fields: Vec<String>,
    sub: Plan,
}

fn parse_bool(
    l: &Lower,
    v: Option<(String, crate::diag::Span)>,
    default: bool,
) -> Result<bool, Diag> {
    match v {
        None => Ok(default),
        Some((t, span)) => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Ok(true),
            "false" | "f" | "0" | "no" => Ok(false),
            _ => Err(l.error(
                span,
                "tripline::join::bool",
                format!("expected true or false, found `{t}`"),
            )),
        },
    }
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    for (k, _, span) in &s.options {
        if matches!(k.as_str(), "left" | "right" | "where") {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::join::aliases",
                "`join left=… right=… where …` is not supported yet",
            )
            .at(*span)
            .help("join on field names: `join f1, f2 [subsearch]`"));
        }
    }
    s.reject_unknown(l, &["type", "max", "overwrite", "usetime", "earlier"])?;
    let kind = match s.get("type") {
        None => Type::Inner,
        Some((t, span)) => match t.to_ascii_lowercase().as_str() {
            "inner" => Type::Inner,
            "left" | "outer" => Type::Left,
            _ => {
                return Err(l
                    .error(
                        span,
                        "tripline::join::type",
                        format!("unknown join type `{t}`"),
                    )
                    .help("types: inner, left, outer"));
            }
        },
    };
    if parse_bool(l, s.get("usetime"), false)? {
        return Err(Diag::error(
            Kind::Unsupported,
            "tripline::join::usetime",
            "`join usetime=true` is not supported yet",
        )
        .at(s.get("usetime").map(|x| x.1).unwrap_or(l.cmd.name_span)));
    }
    let max = super::args::number_opt(l, s.get("max"), 1)?;
    let overwrite = parse_bool(l, s.get("overwrite"), true)?;
    let mut fields = Vec::new();
    let mut sub = None;
    for t in &s.rest {
        match &t.kind {
            TokKind::Comma => {}
            TokKind::Word(w) => fields.push(w.clone()),
            TokKind::Str(_) => fields.push(t.text().unwrap_or_default()),
            TokKind::Sub { query: Some(q), .. } => {
                if sub.is_some() {
                    return Err(l.error(
                        t.span,
                        "tripline::join::subsearch",
                        "`join` takes one subsearch",
                    ));
                }
                sub = Some(l.sub(q)?);
            }
            _ => {
                return Err(l.error(
                    t.span,
                    "tripline::join::syntax",
                    "expected join field names and a [subsearch]",
                ));
            }
        }
    }
    let Some(sub) = sub else {
        return Err(l
            .error(
                l.cmd.span,
                "tripline::join::subsearch",
                "`join` needs a subsearch",
            )
            .help("for example `join user [search sourcetype=x | stats count by user]`"));
    };
    Ok(Box::new(Join {
        kind,
        max,
        overwrite,
        fields,
        sub,
    }))
}

impl Step for Join {
    fn describe(&self) -> String {
        format!(
            "join type={} max={} overwrite={} on {}",
            if self.kind == Type::Inner {
                "inner"
            } else {
                "left"
            },
            self.max,
            self.overwrite,
            if self.fields.is_empty() {
                "<common fields>".to_string()
            } else {
                self.fields.join(", ")
            }
        )
    }
    fn outputs(&self, input: crate::plan::Fields) -> crate::plan::Fields {
        use crate::plan::Fields;
        match (input, self.sub.outputs()) {
            (Fields::Known(mut a), Fields::Known(b)) => {
                for n in b {
                    if !a.contains(&n) {
                        a.push(n);
                    }
                }
                Fields::Known(a)
            }
            (Fields::Known(mut a) | Fields::Open(mut a), Fields::Open(b) | Fields::Known(b)) => {
                a.extend(b);
                Fields::Open(a)
            }
        }
    }
    fn subplans(&self) -> Vec<&Plan> {
        vec![&self.sub]
    }
    fn key_fields(&self) -> Option<Vec<String>> {
        (self.kind == Type::Inner && !self.fields.is_empty()).then(|| self.fields.clone())
    }
    fn reads(&self) -> crate::plan::Reads {
        // Without named fields the join is on every common field.
        if self.fields.is_empty() {
            crate::plan::Reads::All
        } else {
            crate::plan::Reads::Fields(self.fields.clone())
        }
    }
    fn start(&self, ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        let mut rows: Vec<_> = run(&self.sub, ctx)?
            .into_iter()
            .map(Record::into_row)
            .collect();
        let limit = ctx.limits.join_rows;
        if rows.len() > limit {
            ctx.warn(format!(
                "join: the subsearch returned {} rows; only the first {limit} are used (Splunk's limit; raise it with --join-max-rows)",
                rows.len()
            ));
            rows.truncate(limit);
        }
        ctx.hold(rows.iter().map(Record::approx_size).sum())?;
        let mut sub_fields: Vec<String> = Vec::new();
        for r in &rows {
            for k in r.fields.keys() {
                if !sub_fields.iter().any(|f| f == k) {
                    sub_fields.push(k.to_string());
                }
            }
        }
        let refs: Vec<FieldRef> = self.fields.iter().map(|f| FieldRef::new(f)).collect();
        let mut index = Index::default();
        if !refs.is_empty() {
            let mut k = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                if key(&refs, r, &mut k) {
                    index.entry(k.clone()).or_default().push(i);
                }
            }
        }
        Ok(Box::new(JoinOp {
            spec: self,
            refs,
            rows,
            sub_fields,
            index,
        }))
    }
}

/// The subsearch rows by join key (see [`key`]).
type Index = HashMap<Vec<u8>, Vec<usize>, foldhash::fast::RandomState>;

/// The join key of `r` into `out`: each field's text (a multivalue's values joined by a
/// newline), each after its length in bytes (eight bytes), so that two records have the same
/// key exactly when every field has the same text. `false` when a field is null. A field
/// holding one text is read where it stands.
fn key(refs: &[FieldRef], r: &Record, out: &mut Vec<u8>) -> bool {
    out.clear();
    for f in refs {
        let owned;
        let text = match r.str_of(f) {
            Some(s) => s,
            None => match r.get(f) {
                Value::Null => return false,
                v => {
                    owned = v
                        .values()
                        .iter()
                        .filter_map(Value::to_text)
                        .collect::<Vec<_>>()
                        .join("\n");
                    owned.as_str()
                }
            },
        };
        out.extend_from_slice(&(text.len() as u64).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    true
}

/// The texts of a key [`key`] made, one per field, in order (`None`: not such a key).
fn key_parts(mut k: &[u8]) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    while !k.is_empty() {
        let (len, rest) = k.split_first_chunk::<8>()?;
        let (text, rest) =
            rest.split_at_checked(usize::try_from(u64::from_le_bytes(*len)).ok()?)?;
        parts.push(std::str::from_utf8(text).ok()?);
        k = rest;
    }
    Some(parts)
}

struct JoinOp<'a> {
    spec: &'a Join,
    refs: Vec<FieldRef>,
    rows: Vec<Record>,
    sub_fields: Vec<String>,
    index: Index,
}

impl JoinOp<'_> {
    /// The subsearch rows `rec` joins, in order; `k` is room for its key, reused from record
    /// to record.
    fn matches(&self, rec: &Record, k: &mut Vec<u8>) -> std::borrow::Cow<'_, [usize]> {
        if !self.refs.is_empty() {
            if !key(&self.refs, rec, k) {
                return Default::default();
            }
            return self
                .index
                .get(k)
                .map_or(Default::default(), |v| v.as_slice().into());
        }
        // No field list: every field both sides have must be equal.
        let common: Vec<FieldRef> = self
            .sub_fields
            .iter()
            .filter(|f| !rec.get_name(f).is_null())
            .map(|f| FieldRef::new(f))
            .collect();
        if common.is_empty() {
            return Default::default();
        }
        if !key(&common, rec, k) {
            return Default::default();
        }
        let mut rk = Vec::new();
        (0..self.rows.len())
            .filter(|i| {
                self.rows
                    .get(*i)
                    .is_some_and(|r| key(&common, r, &mut rk) && rk == *k)
            })
            .collect::<Vec<_>>()
            .into()
    }
}

impl Operator for JoinOp<'_> {
    /// An inner join on named fields passes on only the records whose join fields hold the
    /// texts of some subsearch row's: each field's texts, read back from the index's keys
    /// (sorted, so that the prefilter built from them does not depend on the table's order).
    fn key_texts(&self) -> Option<Vec<(&str, Vec<&str>)>> {
        if self.spec.kind != Type::Inner || self.refs.is_empty() {
            return None;
        }
        let mut out: Vec<(&str, Vec<&str>)> =
            (self.refs.iter()).map(|f| (f.name(), Vec::new())).collect();
        for k in self.index.keys() {
            let parts = key_parts(k)?;
            if parts.len() != out.len() {
                return None;
            }
            for ((_, texts), part) in out.iter_mut().zip(parts) {
                texts.push(part);
            }
        }
        for (_, texts) in &mut out {
            texts.sort_unstable();
            texts.dedup();
        }
        Some(out)
    }
    fn push(&mut self, batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut out = Vec::with_capacity(batch.len());
        let mut k = Vec::new();
        for rec in batch {
            let all = self.matches(&rec, &mut k);
            let hits = match self.spec.max {
                0 => &all[..],
                max => all.get(..max).unwrap_or(&all),
            };
            if hits.is_empty() {
                if self.spec.kind == Type::Left {
                    out.push(rec);
                }
                continue;
            }
            for &i in hits {
                let Some(sub) = self.rows.get(i) else {
                    continue;
                };
                let mut merged = rec.clone();
                for (k, v) in &sub.fields {
                    if self.spec.overwrite || merged.get_name(k).is_null() {
                        merged.set(k, v.clone());
                    }
                }
                out.push(merged);
            }
        }
        Ok(out)
    }
}
