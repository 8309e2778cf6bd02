//! `lookup [local=bool] [update=bool] <table> <lookup-field> [AS <event-field>] [, …]
//! [OUTPUT | OUTPUTNEW <lookup-destfield> [AS <event-destfield>] [, …]]`: add fields from a
//! lookup table to each result.
//!
//! `… | lookup asr_rules ID AS ASR_ID OUTPUT ASR_Rule` — Splunk Search Reference, "lookup":
//! the table is a lookup definition or a `.csv` file of the lookup folders; every lookup field
//! must be a column of the table and is matched against the event field (by default the field
//! of the same name); without an OUTPUT clause every other column is output; `OUTPUT` overwrites
//! the destination fields, `OUTPUTNEW` writes only destination fields the result does not have.
//! Matching follows the definition's rules (src/lookup/matcher.rs: `case_sensitive_match`,
//! default true; `WILDCARD(f)`/`CIDR(f)`; `max_matches`, default 100; `min_matches` with
//! `default_match`). Several matching rows give multivalue outputs in row order; a multivalue
//! event field matches each of its values. `local` and `update` change nothing here.
//!
//! **Choices** (undocumented): a result without one of the event fields is left as it is (no
//! lookup, so no `default_match` either); with `OUTPUT`, a result that has the event fields but
//! no match loses its destination fields (they are overwritten with nothing), unless
//! `default_match` gives them a value; an empty cell is no value.

use super::args::{is_kw, split, tokens};
use crate::diag::{Diag, Kind, Span};
use crate::exec::ExecCtx;
use crate::lookup::Resolved;
use crate::lookup::matcher::Matcher;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{Tok, TokKind};
use crate::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No clause: every non-input column, overwriting.
    All,
    /// `OUTPUT`: overwrite.
    Output,
    /// `OUTPUTNEW`: only missing fields.
    OutputNew,
}

#[derive(Debug)]
struct Input {
    column: String,
    field: FieldRef,
}

#[derive(Debug)]
struct Output {
    col: usize,
    column: String,
    dest: String,
    dest_ref: FieldRef,
}

#[derive(Debug)]
struct Lookup {
    lookup: Resolved,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
    mode: Mode,
    /// The table's index, built when the search starts (not while planning: `check` never
    /// needs it), once per table and rules for the whole run.
    matcher: std::sync::OnceLock<std::sync::Arc<Matcher>>,
    input_cols: Vec<usize>,
    lookups: std::sync::Arc<crate::lookup::Lookups>,
}

/// A name with an optional `AS` rename, and where it was written.
struct Pair {
    from: (String, Span),
    to: Option<(String, Span)>,
}

/// `a [AS b] [,] c [AS d] …`.
fn pairs(l: &Lower, toks: &[&Tok], what: &str) -> Result<Vec<Pair>, Diag> {
    let mut out: Vec<Pair> = Vec::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        match &t.kind {
            TokKind::Comma => {
                i += 1;
                continue;
            }
            TokKind::Word(_) | TokKind::Str(_) if !is_kw(t, "as") => {}
            _ => {
                return Err(l.error(
                    t.span,
                    "tripline::lookup::syntax",
                    format!("expected a {what} name"),
                ));
            }
        }
        let from = (t.text().unwrap_or_default(), t.span);
        let mut to = None;
        if toks.get(i + 1).is_some_and(|n| is_kw(n, "as")) {
            match toks.get(i + 2) {
                Some(n) if matches!(n.kind, TokKind::Word(_) | TokKind::Str(_)) => {
                    to = Some((n.text().unwrap_or_default(), n.span));
                    i += 2;
                }
                _ => {
                    return Err(l.error(
                        toks.get(i + 1).map_or(t.span, |n| n.span),
                        "tripline::lookup::syntax",
                        "`AS` needs a field name after it",
                    ));
                }
            }
        }
        out.push(Pair { from, to });
        i += 1;
    }
    Ok(out)
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["local", "update"])?;
    let Some((name_tok, rest)) = s.rest.split_first() else {
        return Err(l
            .error(
                l.cmd.span,
                "tripline::lookup::syntax",
                "`lookup` needs a lookup table name and a field",
            )
            .help("for example `lookup users.csv user OUTPUT department`"));
    };
    let name = match &name_tok.kind {
        TokKind::Word(_) | TokKind::Str(_) => name_tok.text().unwrap_or_default(),
        _ => {
            return Err(l.error(
                name_tok.span,
                "tripline::lookup::syntax",
                "expected a lookup table name",
            ));
        }
    };
    let clause = rest
        .iter()
        .position(|t| is_kw(t, "output") || is_kw(t, "outputnew"));
    let (input_toks, output_toks, mode) = match clause {
        None => (rest, &[][..], Mode::All),
        Some(p) => {
            let mode = if rest.get(p).is_some_and(|t| is_kw(t, "outputnew")) {
                Mode::OutputNew
            } else {
                Mode::Output
            };
            (
                rest.get(..p).unwrap_or_default(),
                rest.get(p + 1..).unwrap_or_default(),
                mode,
            )
        }
    };
    let in_pairs = pairs(l, input_toks, "lookup field")?;
    if in_pairs.is_empty() {
        return Err(l
            .error(
                name_tok.span,
                "tripline::lookup::syntax",
                "`lookup` needs at least one lookup field after the table name",
            )
            .help("for example `lookup users.csv user OUTPUT department`"));
    }
    let out_pairs = pairs(l, output_toks, "output field")?;
    if let Some(p) = clause
        && out_pairs.is_empty()
    {
        let at = rest.get(p).map_or(l.cmd.span, |t| t.span);
        return Err(l.error(
            at,
            "tripline::lookup::syntax",
            "`OUTPUT`/`OUTPUTNEW` needs at least one field",
        ));
    }
    let lookup = l.env.lookups.resolve(&name).map_err(|d| {
        let d = d.at(name_tok.span);
        if d.label.is_none() {
            d.label("this lookup")
        } else {
            d
        }
    })?;
    let table = lookup.table.clone();
    let column = |(n, span): &(String, Span)| {
        table.column(n).ok_or_else(|| {
            Diag::error(
                Kind::Invalid,
                "tripline::lookup::no_column",
                format!("lookup `{name}` has no column `{n}`"),
            )
            .at(*span)
            .help(format!("its columns: {}", table.columns.join(", ")))
        })
    };
    let mut inputs = Vec::new();
    let mut input_cols = Vec::new();
    for p in &in_pairs {
        input_cols.push(column(&p.from)?);
        let event = p.to.as_ref().map_or(&p.from.0, |t| &t.0);
        inputs.push(Input {
            column: p.from.0.clone(),
            field: FieldRef::new(event),
        });
    }
    let mut outputs = Vec::new();
    if mode == Mode::All {
        for (col, c) in table.columns.iter().enumerate() {
            if !input_cols.contains(&col) {
                outputs.push(Output {
                    col,
                    column: c.clone(),
                    dest: c.clone(),
                    dest_ref: FieldRef::new(c),
                });
            }
        }
    } else {
        for p in &out_pairs {
            let col = column(&p.from)?;
            let dest = p.to.as_ref().map_or(&p.from.0, |t| &t.0).clone();
            outputs.push(Output {
                col,
                column: p.from.0.clone(),
                dest_ref: FieldRef::new(&dest),
                dest,
            });
        }
    }
    Ok(Box::new(Lookup {
        lookup,
        inputs,
        outputs,
        mode,
        matcher: std::sync::OnceLock::new(),
        input_cols,
        lookups: l.env.lookups.clone(),
    }))
}

fn renamed(from: &str, to: &str) -> String {
    if from == to {
        from.to_string()
    } else {
        format!("{from} AS {to}")
    }
}

impl Step for Lookup {
    fn describe(&self) -> String {
        let inputs: Vec<String> = self
            .inputs
            .iter()
            .map(|i| renamed(&i.column, i.field.name()))
            .collect();
        let outputs: Vec<String> = self
            .outputs
            .iter()
            .map(|o| renamed(&o.column, &o.dest))
            .collect();
        let clause = match self.mode {
            Mode::OutputNew => "OUTPUTNEW",
            _ => "OUTPUT",
        };
        format!(
            "lookup {} {} {clause} {}",
            self.lookup.name,
            inputs.join(", "),
            outputs.join(", ")
        )
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        for o in &self.outputs {
            input.add(&o.dest);
        }
        input
    }
    fn start(&self, ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        let table = &self.lookup.table;
        ctx.hold_once(&format!("lookup:{}", table.file.display()), table.bytes)?;
        let matcher = self
            .matcher
            .get_or_init(|| {
                self.lookups
                    .matcher(table, &self.input_cols, &self.lookup.rules)
            })
            .clone();
        ctx.hold(matcher.bytes)?;
        Ok(Box::new(LookupOp {
            spec: self,
            matcher,
        }))
    }
}

struct LookupOp<'a> {
    spec: &'a Lookup,
    matcher: std::sync::Arc<Matcher>,
}

impl LookupOp<'_> {
    fn apply(&self, rec: &mut Record) {
        let spec = self.spec;
        let table = &spec.lookup.table;
        let mut values: Vec<Vec<String>> = Vec::with_capacity(spec.inputs.len());
        for i in &spec.inputs {
            let texts: Vec<String> = rec
                .get(&i.field)
                .values()
                .iter()
                .filter_map(Value::to_text)
                .collect();
            if texts.is_empty() {
                return;
            }
            values.push(texts);
        }
        let rows = self.matcher.find(table, &values);
        let rules = &spec.lookup.rules;
        let pad = if rules.default_match.is_empty() {
            0
        } else {
            rules.min_matches.saturating_sub(rows.len())
        };
        for o in &spec.outputs {
            if spec.mode == Mode::OutputNew && !rec.get(&o.dest_ref).is_null() {
                continue;
            }
            let mut vals: Vec<Value> = rows
                .iter()
                .filter_map(|r| table.rows.get(*r as usize).and_then(|c| c.get(o.col)))
                .filter(|c| !c.is_empty())
                .map(|c| Value::Str(c.clone()))
                .collect();
            vals.extend((0..pad).map(|_| Value::Str(rules.default_match.clone())));
            let v = Value::from_values(vals);
            if spec.mode == Mode::OutputNew && v.is_null() {
                continue;
            }
            rec.set(&o.dest, v);
        }
    }
}

impl Operator for LookupOp<'_> {
    fn push(&mut self, mut batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        for rec in &mut batch {
            self.apply(rec);
        }
        Ok(batch)
    }
}
