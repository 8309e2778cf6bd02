//! `search` later in the pipeline: keep the records matching the search terms.
//!
//! `… | search x=1 NOT y=2` — same term semantics as the leading search (see
//! `crate::plan::search`). After a transforming command there is no `_raw`, so bare terms are
//! matched against the field values.

use crate::diag::Diag;
use crate::exec::{ExecCtx, run_subsearch};
use crate::functions::EvalCtx;
use crate::plan::search::{Pred, compile};
use crate::plan::{Lower, Operator, PerRecord, Plan, Step};
use crate::record::Record;
use crate::syntax::ast::Args;

#[derive(Debug)]
struct Search {
    pred: Pred,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let pred = match &l.cmd.args {
        Args::Search(Some(e)) => compile(e, &mut |q| l.sub(q))?,
        _ => Pred::True,
    };
    Ok(Box::new(Search { pred }))
}

struct Op<'a> {
    base: &'a Pred,
    /// The predicate with subsearch results filled in, when it had subsearches.
    resolved: Option<Pred>,
}

impl Step for Search {
    fn describe(&self) -> String {
        format!("search {}", self.pred.show())
    }
    fn subplans(&self) -> Vec<&Plan> {
        self.pred.subplans()
    }
    fn reads(&self) -> crate::plan::Reads {
        let mut names = Vec::new();
        if self.pred.fields(&mut names) {
            crate::plan::Reads::Fields(names)
        } else {
            crate::plan::Reads::All
        }
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        // With a subsearch, the terms are known only once it has run, when the search starts.
        if self.pred.subplans().is_empty() {
            Some(self)
        } else {
            None
        }
    }
    fn derives(&self, _name: &str) -> crate::plan::Derived {
        // It only keeps or drops records.
        crate::plan::Derived::Same
    }
    fn start(&self, ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        let resolved = self.pred.resolve(&mut |p| run_subsearch(p, ctx))?;
        Ok(Box::new(Op {
            base: &self.pred,
            resolved,
        }))
    }
}

impl PerRecord for Search {
    fn apply(&self, rec: &mut Record, ctx: &EvalCtx) -> bool {
        self.pred.matches(rec, ctx)
    }
}

impl Operator for Op<'_> {
    fn push(&mut self, mut batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let pred = self.resolved.as_ref().unwrap_or(self.base);
        batch.retain(|r| pred.matches(r, &ctx.eval));
        Ok(batch)
    }
}
