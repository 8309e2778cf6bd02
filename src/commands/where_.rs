//! `where <expr>`: keep the records for which the expression is true.
//!
//! `… | where opcount > 1 AND firstTime < lastTime` — eval semantics: unquoted words are
//! fields, quoted strings are text, a null result drops the record.

use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::expr::{CExpr, compile, show};
use crate::plan::{Lower, PerRecord, Step};
use crate::record::Record;
use crate::syntax::ast::Args;

#[derive(Debug)]
struct Where {
    expr: CExpr,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let Args::Where(e) = &l.cmd.args else {
        return Err(l.error(
            l.cmd.span,
            "tripline::plan::where",
            "`where` needs an expression",
        ));
    };
    Ok(Box::new(Where { expr: compile(e)? }))
}

impl Step for Where {
    fn describe(&self) -> String {
        format!("where {}", show(&self.expr))
    }
    fn reads(&self) -> crate::plan::Reads {
        let mut names = Vec::new();
        self.expr.fields(&mut names);
        crate::plan::Reads::Fields(names)
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
    fn derives(&self, _name: &str) -> crate::plan::Derived {
        // It only keeps or drops records.
        crate::plan::Derived::Same
    }
    fn filter(&self) -> Option<crate::plan::Filter<'_>> {
        let crate::plan::Reads::Fields(reads) = self.reads() else {
            return None;
        };
        Some(crate::plan::Filter { step: self, reads })
    }
}

impl PerRecord for Where {
    fn apply(&self, rec: &mut Record, ctx: &EvalCtx) -> bool {
        self.expr.eval(rec, ctx).is_true()
    }
}
