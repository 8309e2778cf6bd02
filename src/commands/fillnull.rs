//! `fillnull [value=<v>] [f1 f2 …]`: give missing fields a value (default `0`).
//!
//! `… | fillnull value="unknown" user dest` — with a field list each listed field that is null
//! is set (a field that exists nowhere is created); without one, every field that appears in
//! at least one result is filled, so that form must see all results first (blocking).

use super::args::{name_list, split, tokens};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::value::{Value, parse_number};
use indexmap::IndexSet;

#[derive(Debug)]
struct FillNull {
    value: Value,
    fields: Vec<FieldRef>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["value"])?;
    let value = fill_value(&s.get("value").map_or_else(|| "0".to_string(), |(t, _)| t));
    let fields = name_list(l, &s.rest)?
        .into_iter()
        .map(|(n, _)| FieldRef::new(&n))
        .collect();
    Ok(Box::new(FillNull { value, fields }))
}

/// Numeric text becomes a number so that later arithmetic and output treat it as one.
fn fill_value(text: &str) -> Value {
    match parse_number(text) {
        Some(n) => Value::Num(n),
        None => Value::Str(text.to_string()),
    }
}

impl Step for FillNull {
    fn describe(&self) -> String {
        let v = self.value.to_text().unwrap_or_default();
        if self.fields.is_empty() {
            format!("fillnull value={v:?} (every field seen)")
        } else {
            let names: Vec<&str> = self.fields.iter().map(FieldRef::name).collect();
            format!("fillnull value={v:?} {}", names.join(", "))
        }
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        for f in &self.fields {
            input.add(f.name());
        }
        input
    }
    fn reads(&self) -> crate::plan::Reads {
        // Without a field list every field of the results is filled.
        if self.fields.is_empty() {
            crate::plan::Reads::All
        } else {
            crate::plan::Reads::Fields(self.fields.iter().map(|f| f.name().to_string()).collect())
        }
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(FillNullOp {
            spec: self,
            rows: Vec::new(),
        }))
    }
}

struct FillNullOp<'a> {
    spec: &'a FillNull,
    rows: Vec<Record>,
}

impl Operator for FillNullOp<'_> {
    fn push(&mut self, mut batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        if self.spec.fields.is_empty() {
            _ctx.hold(batch.iter().map(Record::approx_size).sum())?;
            self.rows.extend(batch);
            return Ok(Vec::new());
        }
        for rec in &mut batch {
            for f in &self.spec.fields {
                if rec.get(f).is_null() {
                    rec.set(f.name(), self.spec.value.clone());
                }
            }
        }
        Ok(batch)
    }
    fn finish(&mut self, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut rows = std::mem::take(&mut self.rows);
        fill_all(&mut rows, &self.spec.value);
        Ok(rows)
    }
}

/// Fill every field that some row has, in every row lacking it.
fn fill_all(rows: &mut [Record], value: &Value) {
    let mut names: IndexSet<String> = IndexSet::new();
    for r in rows.iter() {
        names.extend(r.visible().into_keys().map(|k| k.into_string()));
    }
    let refs: Vec<FieldRef> = names.iter().map(|n| FieldRef::new(n)).collect();
    for r in rows.iter_mut() {
        for f in &refs {
            if r.get(f).is_null() {
                r.set(f.name(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Record {
        let mut m = crate::record::FieldMap::default();
        for (k, v) in pairs {
            m.insert((*k).into(), Value::str(*v));
        }
        Record::from_row(m)
    }

    #[test]
    fn value_kind() {
        assert_eq!(fill_value("0"), Value::Num(0.0));
        assert_eq!(fill_value("NULL"), Value::str("NULL"));
    }

    #[test]
    fn fills_union_of_fields() {
        let mut rows = vec![row(&[("a", "1")]), row(&[("b", "2")])];
        fill_all(&mut rows, &Value::Num(0.0));
        let first = rows.first().map(Record::visible).unwrap_or_default();
        let second = rows.get(1).map(Record::visible).unwrap_or_default();
        assert_eq!(first.get("b"), Some(&Value::Num(0.0)));
        assert_eq!(second.get("a"), Some(&Value::Num(0.0)));
        assert_eq!(second.get("b"), Some(&Value::str("2")));
    }
}
