//! `addtotals [row=true] [col=false] [labelfield=f] [label=Total] [fieldname=Total] [fields…]`:
//! row and column sums of numeric fields.
//!
//! `… | addtotals fieldname=all_bytes bytes_in bytes_out` — with `row=true` each record gets
//! the sum of the listed fields (wildcards allowed; without a list every field not starting
//! with `_`) that hold numbers; a record with none of them gets no total. With `col=true` a
//! last row holds each numeric field's sum, and `label` in `labelfield` when that is given.

use super::args::{name_list, split, tokens};
use super::common::parse_bool;
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::Record;
use crate::value::{Value, glob_match};
use indexmap::IndexMap;

#[derive(Debug)]
struct AddTotals {
    row: bool,
    col: bool,
    fieldname: String,
    labelfield: Option<String>,
    label: String,
    fields: Vec<String>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["row", "col", "fieldname", "labelfield", "label"])?;
    Ok(Box::new(AddTotals {
        row: parse_bool(l, s.get("row"), true)?,
        col: parse_bool(l, s.get("col"), false)?,
        fieldname: s
            .get("fieldname")
            .map_or_else(|| "Total".to_string(), |(t, _)| t),
        labelfield: s.get("labelfield").map(|(t, _)| t),
        label: s
            .get("label")
            .map_or_else(|| "Total".to_string(), |(t, _)| t),
        fields: name_list(l, &s.rest)?.into_iter().map(|(n, _)| n).collect(),
    }))
}

impl AddTotals {
    fn counts(&self, name: &str) -> bool {
        if self.fields.is_empty() {
            !name.starts_with('_')
        } else {
            self.fields.iter().any(|p| glob_match(p, name))
        }
    }
}

impl Step for AddTotals {
    fn describe(&self) -> String {
        format!(
            "addtotals row={} col={} fieldname={} fields={}",
            self.row,
            self.col,
            self.fieldname,
            if self.fields.is_empty() {
                "<all>".to_string()
            } else {
                self.fields.join(", ")
            }
        )
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        if self.row {
            input.add(&self.fieldname);
        }
        if let Some(f) = &self.labelfield {
            input.add(f);
        }
        input
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(AddTotalsOp {
            spec: self,
            sums: IndexMap::new(),
        }))
    }
}

struct AddTotalsOp<'a> {
    spec: &'a AddTotals,
    /// Column sums, in the order fields were first seen.
    sums: IndexMap<String, f64>,
}

impl Operator for AddTotalsOp<'_> {
    fn push(&mut self, mut batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        for rec in &mut batch {
            let mut total: Option<f64> = None;
            for (name, v) in rec.visible() {
                if name == self.spec.fieldname || !self.spec.counts(&name) {
                    continue;
                }
                let nums: Vec<f64> = v.values().iter().filter_map(Value::as_number).collect();
                if nums.is_empty() {
                    continue;
                }
                let sum: f64 = nums.iter().sum();
                total = Some(total.unwrap_or(0.0) + sum);
                if self.spec.col {
                    *self.sums.entry(name.to_string()).or_insert(0.0) += sum;
                }
            }
            if self.spec.row
                && let Some(t) = total
            {
                rec.set(&self.spec.fieldname, Value::Num(t));
                if self.spec.col {
                    *self.sums.entry(self.spec.fieldname.clone()).or_insert(0.0) += t;
                }
            }
        }
        Ok(batch)
    }

    fn finish(&mut self, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        if !self.spec.col {
            return Ok(Vec::new());
        }
        let mut row: crate::record::FieldMap = std::mem::take(&mut self.sums)
            .into_iter()
            .map(|(k, v)| (k.into(), Value::Num(v)))
            .collect();
        if let Some(f) = &self.spec.labelfield {
            row.insert(f.into(), Value::Str(self.spec.label.clone()));
        }
        Ok(vec![Record::from_row(row)])
    }
}
