//! `| inputlookup [append=bool] [strict=bool] [start=N] [max=N] <table> [WHERE <search>]`:
//! the rows of a lookup table as results (options may also follow the table name).
//!
//! `| inputlookup previously_seen_users.csv where user=admin*` — Splunk Search Reference,
//! "inputlookup": a generating command whose table is a lookup definition or a `.csv`/`.csv.gz`
//! file; `append=true` adds the rows after the current results instead of replacing them (so
//! it can appear mid-pipeline); `start` is the 0-based offset of the first row read (default
//! 0), `max` the most rows read (default 1,000,000,000); `WHERE` filters the rows with search
//! terms (case-insensitive values, `*` wildcards, `AND`/`OR`/`NOT`). In a subsearch
//! (`[| inputlookup x | fields a]`) its rows become search terms like any subsearch's.
//! `strict` is accepted; tripline always fails on a lookup it cannot read. Like Splunk, it
//! must be the first command unless `append=true`.
//!
//! **Choices** (undocumented): `start`/`max` count rows of the file, before `WHERE`; an empty
//! cell is no field; a lookup definition's matching rules do not apply (they are for `lookup`).

use super::args::{is_kw, split, tokens};
use crate::diag::Diag;
use crate::exec::{ExecCtx, run_subsearch};
use crate::lookup::Resolved;
use crate::plan::search::{Pred, compile};
use crate::plan::{Fields, Lower, Operator, Plan, Step};
use crate::record::Record;
use crate::syntax::ast::TokKind;
use crate::syntax::parse_search;
use crate::value::Value;

#[derive(Debug)]
struct InputLookup {
    lookup: Resolved,
    append: bool,
    start: usize,
    max: usize,
    pred: Option<Pred>,
    where_text: String,
}

fn parse_bool(l: &Lower, v: Option<(String, crate::diag::Span)>) -> Result<bool, Diag> {
    match v {
        None => Ok(false),
        Some((t, span)) => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Ok(true),
            "false" | "f" | "0" | "no" => Ok(false),
            _ => Err(l.error(
                span,
                "tripline::inputlookup::bool",
                format!("expected true or false, found `{t}`"),
            )),
        },
    }
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks = tokens(l);
    // Options come before the table name; `where` ends the generic part.
    let where_at = toks.iter().position(|t| is_kw(t, "where"));
    let head = where_at.map_or(toks, |w| toks.get(..w).unwrap_or_default());
    // Options may come before or after the name (security_content writes `inputlookup
    // baseline append=t`); an unknown `key=value` after the name is a filter missing `where`.
    let known = ["append", "strict", "start", "max"];
    let name_at = head
        .iter()
        .position(|t| !matches!(t.kind, TokKind::Kv { .. }));
    if let Some(t) = name_at.and_then(|n| head.get(n + 1..)).and_then(|rest| {
        rest.iter().find(|t| match &t.kind {
            TokKind::Kv { key, .. } => !known.contains(&key.to_ascii_lowercase().as_str()),
            _ => false,
        })
    }) {
        return Err(l
            .error(
                t.span,
                "tripline::inputlookup::syntax",
                "unexpected text after the lookup table name",
            )
            .help("filter the rows with `where`: `| inputlookup users.csv where dept=eng`"));
    }
    let s = split(head);
    s.reject_unknown(l, &known)?;
    let append = parse_bool(l, s.get("append"))?;
    parse_bool(l, s.get("strict"))?;
    let start = super::args::number_opt(l, s.get("start"), 0)?;
    let max = super::args::number_opt(l, s.get("max"), 1_000_000_000)?;
    if l.index > 0 && !append {
        return Err(l
            .error(
                l.cmd.name_span,
                "tripline::inputlookup::not_first",
                "`inputlookup` must be the first command unless it appends",
            )
            .help(
                "write `| inputlookup append=true …` to add the table's rows after the results",
            ));
    }
    let Some((name_tok, extra)) = s.rest.split_first() else {
        return Err(l
            .error(
                l.cmd.span,
                "tripline::inputlookup::syntax",
                "`inputlookup` needs a lookup table name",
            )
            .help("for example `| inputlookup users.csv`"));
    };
    let name = match &name_tok.kind {
        TokKind::Word(_) | TokKind::Str(_) => name_tok.text().unwrap_or_default(),
        _ => {
            return Err(l.error(
                name_tok.span,
                "tripline::inputlookup::syntax",
                "expected a lookup table name",
            ));
        }
    };
    if let Some(t) = extra.first() {
        return Err(l
            .error(
                t.span,
                "tripline::inputlookup::syntax",
                "unexpected text after the lookup table name",
            )
            .help("filter the rows with `where`: `| inputlookup users.csv where dept=eng`"));
    }
    let (pred, where_text) = match where_at.and_then(|w| toks.get(w)) {
        None => (None, String::new()),
        Some(w) => {
            let start_at = w.span.end;
            let text = l.text.get(start_at..l.cmd.span.end).unwrap_or_default();
            match parse_search(text, start_at)? {
                None => {
                    return Err(l.error(
                        w.span,
                        "tripline::inputlookup::syntax",
                        "`where` needs search terms after it",
                    ));
                }
                Some(e) => (
                    Some(compile(&e, &mut |q| l.sub(q))?),
                    text.trim().to_string(),
                ),
            }
        }
    };
    let lookup = l.env.lookups.resolve(&name).map_err(|d| {
        let d = d.at(name_tok.span);
        if d.label.is_none() {
            d.label("this lookup")
        } else {
            d
        }
    })?;
    Ok(Box::new(InputLookup {
        lookup,
        append,
        start,
        max,
        pred,
        where_text,
    }))
}

/// `| from lookup:<name>`: the whole table, as `| inputlookup <name>`.
pub(super) fn from_lookup(
    l: &Lower,
    name: &str,
    span: crate::diag::Span,
) -> Result<Box<dyn Step>, Diag> {
    if l.index > 0 {
        return Err(l.error(
            l.cmd.name_span,
            "tripline::from::not_first",
            "`from` must be the first command",
        ));
    }
    let lookup = l.env.lookups.resolve(name).map_err(|d| d.at(span))?;
    Ok(Box::new(InputLookup {
        lookup,
        append: false,
        start: 0,
        max: 1_000_000_000,
        pred: None,
        where_text: String::new(),
    }))
}

impl Step for InputLookup {
    fn describe(&self) -> String {
        let mut s = format!("inputlookup {}", self.lookup.name);
        if self.append {
            s.push_str(" append=true");
        }
        if self.start > 0 {
            s.push_str(&format!(" start={}", self.start));
        }
        if self.max != 1_000_000_000 {
            s.push_str(&format!(" max={}", self.max));
        }
        if self.pred.is_some() {
            s.push_str(&format!(" where {}", self.where_text));
        }
        s
    }
    fn subplans(&self) -> Vec<&Plan> {
        self.pred.as_ref().map(Pred::subplans).unwrap_or_default()
    }
    fn outputs(&self, input: Fields) -> Fields {
        let mut out = if self.append {
            input
        } else {
            Fields::Known(Vec::new())
        };
        for c in &self.lookup.table.columns {
            out.add(c);
        }
        out
    }
    fn start(&self, ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        let table = &self.lookup.table;
        ctx.hold_once(&format!("lookup:{}", table.file.display()), table.bytes)?;
        let resolved = match &self.pred {
            Some(p) => p.resolve(&mut |sub| run_subsearch(sub, ctx))?,
            None => None,
        };
        Ok(Box::new(InputLookupOp {
            spec: self,
            pred: resolved,
            done: false,
        }))
    }
}

struct InputLookupOp<'a> {
    spec: &'a InputLookup,
    /// The `where` predicate with its subsearches run.
    pred: Option<Pred>,
    done: bool,
}

impl Operator for InputLookupOp<'_> {
    fn push(&mut self, batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        // Mid-pipeline it appends (lowering refuses it otherwise); first, it has no input.
        Ok(batch)
    }
    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        if self.done {
            return Ok(Vec::new());
        }
        self.done = true;
        let spec = self.spec;
        let table = &spec.lookup.table;
        let pred = self.pred.as_ref().or(spec.pred.as_ref());
        let mut out = Vec::new();
        for row in table.rows.iter().skip(spec.start).take(spec.max) {
            let mut fields = crate::record::FieldMap::with_capacity_and_hasher(
                table.columns.len(),
                Default::default(),
            );
            for (c, cell) in table.columns.iter().zip(row.iter()) {
                if !cell.is_empty() {
                    fields.insert(c.into(), Value::Str(cell.clone()));
                }
            }
            let rec = Record::from_row(fields);
            if pred.is_none_or(|p| p.matches(&rec, &ctx.eval)) {
                out.push(rec);
            }
        }
        Ok(out)
    }
}
