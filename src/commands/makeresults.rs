//! `| makeresults [count=N]`: generate N results (default 1) holding only `_time`.
//!
//! `| makeresults count=3 | eval x=1` — every result's `_time` is the search's `now()`, so a
//! rule's test stays reproducible when the run fixes the clock.

use super::args::{number_opt, split, tokens};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::Record;
use crate::value::Value;

#[derive(Debug)]
struct MakeResults {
    count: usize,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["count"])?;
    if let Some(extra) = s.rest.first() {
        return Err(l.error(
            extra.span,
            "tripline::makeresults::syntax",
            "`makeresults` takes only `count=N`",
        ));
    }
    let count = number_opt(l, s.get("count"), 1)?;
    Ok(Box::new(MakeResults { count }))
}

impl Step for MakeResults {
    fn describe(&self) -> String {
        format!("makeresults count={}", self.count)
    }
    fn outputs(&self, _input: Fields) -> Fields {
        Fields::Known(vec!["_time".to_string()])
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(MakeResultsOp {
            count: self.count,
            done: false,
        }))
    }
}

struct MakeResultsOp {
    count: usize,
    done: bool,
}

impl Operator for MakeResultsOp {
    fn push(&mut self, _batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        // A generating command ignores input; its rows come out of `finish`.
        Ok(Vec::new())
    }
    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        if self.done {
            return Ok(Vec::new());
        }
        self.done = true;
        Ok(rows(self.count, ctx.eval.now))
    }
}

fn rows(count: usize, now: f64) -> Vec<Record> {
    (0..count)
        .map(|_| {
            let mut f = crate::record::FieldMap::default();
            f.insert("_time".into(), Value::Num(now));
            Record::from_row(f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_only_time() {
        let r = rows(3, 100.0);
        assert_eq!(r.len(), 3);
        let first = r.first().map(Record::visible).unwrap_or_default();
        assert_eq!(first.len(), 1);
        assert_eq!(first.get("_time"), Some(&Value::Num(100.0)));
        assert!(rows(0, 1.0).is_empty());
    }
}
