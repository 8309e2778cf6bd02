//! `spath [input=f] [output=f] [path=p | p]`: extract fields from JSON text.
//!
//! `… | spath input=payload path=user.roles{} output=roles` — the input field (default
//! `_raw`) is parsed as JSON. Without a path every leaf becomes a field with Splunk's names
//! (`a.b`, `arr{}`, `arr{}.k`). With a path (`.`-separated keys, `{n}` = element n from 0,
//! `{}` = every element) the value goes to `output` (default: the path as written); several
//! values give a multivalue; an object or array reached by the path is written as JSON text.
//! Text that is not JSON extracts nothing; XML input is not read yet, and says so in a warning.

use super::args::{split, tokens};
use crate::diag::Diag;
use crate::event::path::{flatten, scalar};
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::TokKind;
use crate::value::Value;
use serde_json::Value as Json;

#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
    Each,
}

#[derive(Debug)]
struct Spath {
    input: FieldRef,
    path: Option<(String, Vec<Seg>)>,
    output: String,
}

/// Compile `a.b{1}.c{}` into segments; `None` when a `{…}` is not an index or empty.
fn compile_path(p: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
            }
            '{' => {
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if inner.is_empty() {
                    segs.push(Seg::Each);
                } else {
                    segs.push(Seg::Index(inner.trim().parse().ok()?));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        segs.push(Seg::Key(cur));
    }
    Some(segs)
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["input", "output", "path"])?;
    let mut path = s.get("path");
    for t in &s.rest {
        match &t.kind {
            TokKind::Word(_) | TokKind::Str(_) if path.is_none() => {
                path = t.text().map(|x| (x, t.span));
            }
            _ => {
                return Err(l
                    .error(
                        t.span,
                        "tripline::spath::syntax",
                        "unexpected argument to `spath`",
                    )
                    .help("write `spath [input=f] [output=f] [path=p]`"));
            }
        }
    }
    let path = match path {
        None => None,
        Some((p, span)) => match compile_path(&p) {
            Some(segs) => Some((p, segs)),
            None => {
                return Err(l
                    .error(span, "tripline::spath::path", format!("invalid path `{p}`"))
                    .help("steps are `.`-separated keys; `{n}` picks element n (from 0), `{}` every element"));
            }
        },
    };
    let output = s
        .get("output")
        .map(|(o, _)| o)
        .or_else(|| path.as_ref().map(|(p, _)| p.clone()))
        .unwrap_or_default();
    Ok(Box::new(Spath {
        input: FieldRef::new(
            &s.get("input")
                .map_or_else(|| "_raw".to_string(), |(t, _)| t),
        ),
        path,
        output,
    }))
}

impl Step for Spath {
    fn describe(&self) -> String {
        match &self.path {
            None => format!("spath input={} (every field)", self.input.name()),
            Some((p, _)) => format!(
                "spath input={} path={p} output={}",
                self.input.name(),
                self.output
            ),
        }
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        if self.path.is_none() {
            return match input {
                Fields::Known(v) | Fields::Open(v) => Fields::Open(v),
            };
        }
        input.add(&self.output);
        input
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(self))
    }
}

/// Values reached by `segs` from `v`: leaves as values, objects and arrays as JSON text.
fn walk(v: &Json, segs: &[Seg], out: &mut Vec<Value>) {
    match segs.split_first() {
        None => match scalar(v) {
            Some(s) => out.push(s),
            None => out.push(Value::Str(v.to_string())),
        },
        Some((Seg::Key(k), rest)) => {
            if let Some(child) = v.as_object().and_then(|m| m.get(k)) {
                walk(child, rest, out);
            }
        }
        Some((Seg::Index(i), rest)) => {
            if let Some(child) = v.as_array().and_then(|a| a.get(*i)) {
                walk(child, rest, out);
            }
        }
        Some((Seg::Each, rest)) => {
            if let Some(items) = v.as_array() {
                for item in items {
                    walk(item, rest, out);
                }
            }
        }
    }
}

/// Parse the first value of a field as JSON (objects and arrays only, as Splunk extracts).
pub(crate) fn parse_json_field(v: &Value) -> Option<Json> {
    let text = v.values().first().and_then(Value::to_text)?;
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    crate::event::json::from_str(trimmed).ok()
}

impl Operator for &Spath {
    fn push(&mut self, mut batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        for rec in &mut batch {
            let input = rec.get(&self.input);
            let Some(doc) = parse_json_field(&input) else {
                // Not silently: XML is valid spath input in Splunk.
                if input
                    .values()
                    .first()
                    .and_then(Value::to_text)
                    .is_some_and(|t| t.trim_start().starts_with('<'))
                {
                    ctx.warn(format!(
                        "spath: `{}` holds XML, which tripline does not read yet; nothing was extracted from it",
                        self.input.name()
                    ));
                }
                continue;
            };
            match &self.path {
                None => {
                    for (k, v) in flatten(&doc) {
                        rec.set(&k, v);
                    }
                }
                Some((_, segs)) => {
                    let mut out = Vec::new();
                    walk(&doc, segs, &mut out);
                    let v = Value::from_values(out);
                    if !v.is_null() {
                        rec.set(&self.output, v);
                    }
                }
            }
        }
        Ok(batch)
    }
}
