//! `table f1, f2*, …`: keep only the listed fields, in the listed order.
//!
//! `… | table _time user src` — wildcard matches come in alphabetical order; a listed field a
//! row lacks is simply absent from that row.

use super::args::{name_list, tokens};
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::Record;
use crate::syntax::ast::Tok;
use crate::value::wildcard_captures;

#[derive(Debug)]
struct Table {
    names: Vec<String>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks: Vec<&Tok> = tokens(l).iter().collect();
    let names: Vec<String> = name_list(l, &toks)?.into_iter().map(|(n, _)| n).collect();
    if names.is_empty() {
        return Err(l.error(
            l.cmd.span,
            "tripline::table::empty",
            "`table` needs at least one field name",
        ));
    }
    Ok(Box::new(Table { names }))
}

impl Step for Table {
    fn describe(&self) -> String {
        format!("table {}", self.names.join(", "))
    }
    fn outputs(&self, input: crate::plan::Fields) -> crate::plan::Fields {
        match input {
            crate::plan::Fields::Known(have) => crate::plan::Fields::Known(
                have.into_iter()
                    .filter(|h| self.names.iter().any(|n| wildcard_captures(n, h).is_some()))
                    .collect(),
            ),
            crate::plan::Fields::Open(_) if self.names.iter().any(|n| n.contains('*')) => {
                crate::plan::Fields::Open(
                    self.names
                        .iter()
                        .filter(|n| !n.contains('*'))
                        .cloned()
                        .collect(),
                )
            }
            crate::plan::Fields::Open(_) => crate::plan::Fields::Known(self.names.clone()),
        }
    }
    fn reads(&self) -> crate::plan::Reads {
        if self.names.iter().any(|n| n.contains('*')) {
            crate::plan::Reads::All
        } else {
            crate::plan::Reads::Consumes(self.names.clone())
        }
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for Table {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        *rec = self.map(std::mem::take(rec));
        true
    }
}

impl Table {
    /// The row of the listed fields, in their order.
    fn map(&self, rec: Record) -> Record {
        let mut row = crate::record::FieldMap::default();
        let mut all: Option<Vec<String>> = None;
        for n in &self.names {
            if n.contains('*') {
                let names = all.get_or_insert_with(|| rec.all_names());
                let mut hits: Vec<&String> = names
                    .iter()
                    .filter(|k| wildcard_captures(n, k).is_some())
                    .collect();
                hits.sort();
                for h in hits {
                    if !row.contains_key(h.as_str()) {
                        row.insert(h.into(), rec.get_name(h));
                    }
                }
            } else if !row.contains_key(n.as_str()) {
                row.insert(n.into(), rec.get_name(n));
            }
        }
        row.retain(|_, v: &mut crate::value::Value| !v.is_null());
        Record::from_row(row)
    }
}
