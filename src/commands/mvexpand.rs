//! `mvexpand <field> [limit=N]`: one result per value of a multivalue field.
//!
//! `… | mvexpand recipients` — every other field is copied; a result without the field is
//! dropped (as Splunk does); `limit=N` keeps the first N values (0 = all, the default).

use super::args::{name_list, number_opt, split, tokens};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::value::Value;

#[derive(Debug)]
struct MvExpand {
    field: FieldRef,
    limit: usize,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["limit"])?;
    let limit = number_opt(l, s.get("limit"), 0)?;
    let names = name_list(l, &s.rest)?;
    let mut it = names.into_iter();
    let Some((name, _)) = it.next() else {
        return Err(l.error(
            l.cmd.span,
            "tripline::mvexpand::field",
            "`mvexpand` needs a field",
        ));
    };
    if let Some((extra, span)) = it.next() {
        return Err(l
            .error(
                span,
                "tripline::mvexpand::one_field",
                format!("`mvexpand` expands one field only; `{extra}` is extra"),
            )
            .help("write one `mvexpand` per field"));
    }
    Ok(Box::new(MvExpand {
        field: FieldRef::new(&name),
        limit,
    }))
}

impl Step for MvExpand {
    fn describe(&self) -> String {
        if self.limit == 0 {
            format!("mvexpand {}", self.field.name())
        } else {
            format!("mvexpand {} limit={}", self.field.name(), self.limit)
        }
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(self))
    }
}

impl Operator for &MvExpand {
    fn push(&mut self, batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut out = Vec::with_capacity(batch.len());
        for rec in batch {
            let v = rec.get(&self.field);
            for one in expand(&v, self.limit) {
                let mut r = rec.clone();
                r.set(self.field.name(), one);
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// The values a record is expanded into (none for a missing field).
fn expand(v: &Value, limit: usize) -> Vec<Value> {
    let take = if limit == 0 { usize::MAX } else { limit };
    v.values().iter().take(take).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_values() {
        let mv = Value::Multi(vec![Value::str("a"), Value::str("b"), Value::str("c")]);
        assert_eq!(expand(&mv, 0).len(), 3);
        assert_eq!(expand(&mv, 2), vec![Value::str("a"), Value::str("b")]);
        assert_eq!(expand(&Value::str("x"), 0), vec![Value::str("x")]);
        assert!(expand(&Value::Null, 0).is_empty());
    }
}
