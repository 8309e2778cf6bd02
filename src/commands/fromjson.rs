//! `fromjson field [prefix=p]`: the top-level keys of a JSON object become fields.
//!
//! `… | fromjson payload prefix=p_` — each key of the object in `field` sets `<prefix><key>`;
//! scalars as values (JSON `null` as the text `null`, booleans as `true`/`false`), arrays as
//! multivalues (objects in them as JSON text), nested objects as their JSON text. Text that
//! is not a JSON object sets nothing.

use super::args::{name_list, split, tokens};
use super::spath::parse_json_field;
use crate::diag::Diag;
use crate::event::path::scalar;
use crate::functions::EvalCtx;
use crate::plan::{Fields, Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::value::Value;
use serde_json::Value as Json;

#[derive(Debug)]
struct FromJson {
    field: FieldRef,
    prefix: String,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["prefix"])?;
    let names = name_list(l, &s.rest)?;
    let field = match names.as_slice() {
        [(f, _)] => f.clone(),
        [] => {
            return Err(l
                .error(
                    l.cmd.span,
                    "tripline::fromjson::field",
                    "`fromjson` needs a field",
                )
                .help("for example `fromjson payload`"));
        }
        [_, (_, span), ..] => {
            return Err(l.error(
                *span,
                "tripline::fromjson::field",
                "`fromjson` takes one field",
            ));
        }
    };
    Ok(Box::new(FromJson {
        field: FieldRef::new(&field),
        prefix: s.get("prefix").map(|(p, _)| p).unwrap_or_default(),
    }))
}

fn convert(v: &Json) -> Value {
    match v {
        Json::Array(items) => Value::from_values(
            items
                .iter()
                .map(|i| scalar(i).unwrap_or_else(|| Value::Str(i.to_string())))
                .collect(),
        ),
        other => scalar(other).unwrap_or_else(|| Value::Str(other.to_string())),
    }
}

impl Step for FromJson {
    fn describe(&self) -> String {
        format!("fromjson {} prefix={:?}", self.field.name(), self.prefix)
    }
    fn outputs(&self, input: Fields) -> Fields {
        match input {
            Fields::Known(v) | Fields::Open(v) => Fields::Open(v),
        }
    }
    fn reads(&self) -> crate::plan::Reads {
        crate::plan::Reads::Fields(vec![self.field.name().to_string()])
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for FromJson {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        let Some(Json::Object(map)) = parse_json_field(&rec.get(&self.field)) else {
            return true;
        };
        for (k, v) in &map {
            let v = convert(v);
            if !v.is_null() {
                rec.set(&format!("{}{k}", self.prefix), v);
            }
        }
        true
    }
}
