//! `replace "a*" WITH "b*" [, "c" WITH "d" …] [IN f1, f2 …]`: replace whole field values.
//!
//! `… | replace "*.exe" WITH "*" IN process` — each value equal to a pattern (case-sensitive;
//! `*` matches any run of characters) is replaced by its replacement, whose `*`s take what the
//! pattern's `*`s matched, in order; a replacement has as many `*` as its pattern or none.
//! When several pairs match, an exact pair beats any wildcard, then the fuller match wins (the
//! pattern with the most characters besides `*`), and among equals the later pair, as Splunk
//! documents "non-wildcard replacements specified later take precedence … for wildcard
//! replacement, fuller matches take precedence over lesser matches". Without `IN` every field
//! not starting with `_` is rewritten ("to replace values on _internal fields, you must specify
//! the field name with the IN clause"). Each value of a multivalue field is replaced on its own.

use super::args::{is_kw, name_list, tokens};
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::Record;
use crate::syntax::ast::{Tok, TokKind};
use crate::value::{Value, wildcard_captures};

#[derive(Debug)]
struct Replace {
    pairs: Vec<(String, String)>,
    fields: Vec<String>,
}

fn value_text(l: &Lower, t: Option<&&Tok>, after: crate::diag::Span) -> Result<String, Diag> {
    match t {
        Some(t) if matches!(t.kind, TokKind::Str(_) | TokKind::Word(_)) => {
            Ok(t.text().unwrap_or_default())
        }
        Some(t) => Err(l.error(t.span, "tripline::replace::syntax", "expected a value")),
        None => Err(l
            .error(after, "tripline::replace::syntax", "expected a value")
            .help("write `replace \"old\" WITH \"new\" IN field`")),
    }
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks: Vec<&Tok> = tokens(l).iter().collect();
    let in_pos = toks.iter().position(|t| is_kw(t, "in"));
    let (pair_toks, field_toks) = match in_pos {
        Some(i) => (
            toks.get(..i).unwrap_or_default(),
            toks.get(i + 1..).unwrap_or_default(),
        ),
        None => (toks.as_slice(), &[][..]),
    };
    let mut pairs = Vec::new();
    for group in pair_toks.split(|t| matches!(t.kind, TokKind::Comma)) {
        match group {
            [from, with, rest @ ..] if is_kw(with, "with") => {
                let to = value_text(l, rest.first(), with.span)?;
                if let Some(extra) = rest.get(1) {
                    return Err(l
                        .error(
                            extra.span,
                            "tripline::replace::syntax",
                            "unexpected argument",
                        )
                        .help("separate pairs with commas; list fields after `IN`"));
                }
                let from_text = value_text(l, Some(from), from.span)?;
                let stars = |t: &str| t.matches('*').count();
                if stars(&to) != 0 && stars(&to) != stars(&from_text) {
                    let span = rest.first().map_or(with.span, |t| t.span);
                    return Err(l
                        .error(
                            span,
                            "tripline::replace::wildcards",
                            format!(
                                "`{to}` has {} `*` but `{from_text}` has {}",
                                stars(&to),
                                stars(&from_text)
                            ),
                        )
                        .help("a replacement has as many `*` as its pattern, or none"));
                }
                pairs.push((from_text, to));
            }
            _ => {
                let span = group.first().map_or(l.cmd.span, |t| t.span);
                return Err(l
                    .error(
                        span,
                        "tripline::replace::syntax",
                        "expected `\"old\" WITH \"new\"`",
                    )
                    .help("write `replace \"old\" WITH \"new\" [, …] [IN field, …]`"));
            }
        }
    }
    if let Some(i) = in_pos
        && field_toks.is_empty()
    {
        let span = toks.get(i).map_or(l.cmd.span, |t| t.span);
        return Err(l.error(span, "tripline::replace::fields", "`IN` needs field names"));
    }
    Ok(Box::new(Replace {
        pairs,
        fields: name_list(l, field_toks)?
            .into_iter()
            .map(|(n, _)| n)
            .collect(),
    }))
}

impl Replace {
    fn replace(&self, v: &Value) -> Option<Value> {
        let text = v.to_text()?;
        // An exact pair beats any wildcard, then the fullest match wins; `>=` lets a later
        // pair win a tie.
        let mut best: Option<((bool, usize), &str, Vec<String>)> = None;
        for (from, to) in &self.pairs {
            if let Some(caps) = wildcard_captures(from, &text) {
                let rank = (
                    !from.contains('*'),
                    from.chars().filter(|c| *c != '*').count(),
                );
                if best.as_ref().is_none_or(|(r, _, _)| rank >= *r) {
                    best = Some((rank, to, caps));
                }
            }
        }
        let (_, to, caps) = best?;
        let mut out = String::new();
        let mut caps = caps.into_iter();
        for (i, piece) in to.split('*').enumerate() {
            if i > 0 {
                out.push_str(&caps.next().unwrap_or_default());
            }
            out.push_str(piece);
        }
        Some(Value::Str(out))
    }
}

impl Step for Replace {
    fn describe(&self) -> String {
        let pairs: Vec<String> = self
            .pairs
            .iter()
            .map(|(a, b)| format!("{a:?} WITH {b:?}"))
            .collect();
        let mut s = format!("replace {}", pairs.join(", "));
        if !self.fields.is_empty() {
            s.push_str(&format!(" IN {}", self.fields.join(", ")));
        }
        s
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for Replace {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        let names = if self.fields.is_empty() {
            rec.visible()
                .into_keys()
                .filter(|n| !n.starts_with('_'))
                .map(|n| n.into_string())
                .collect()
        } else {
            self.fields.clone()
        };
        for name in names {
            let v = rec.get_name(&name);
            let vals = v.values();
            let mut changed = false;
            let new: Vec<Value> = vals
                .iter()
                .map(|x| match self.replace(x) {
                    Some(r) => {
                        changed = true;
                        r
                    }
                    None => x.clone(),
                })
                .collect();
            if changed {
                let nv = if let [one] = new.as_slice() {
                    one.clone()
                } else {
                    Value::Multi(new)
                };
                rec.set(&name, nv);
            }
        }
        true
    }
}
