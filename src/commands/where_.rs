//! `where <expr>`: keep the records for which the expression is true.
//!
//! `… | where opcount > 1 AND firstTime < lastTime` — eval semantics: unquoted words are
//! fields, quoted strings are text, a null result drops the record.

use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::expr::{CExpr, compile, show};
use crate::plan::{Lower, Operator, Step};
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
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(self))
    }
}

impl Operator for &Where {
    fn push(&mut self, mut batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        batch.retain(|r| self.expr.eval(r, &ctx.eval).is_true());
        Ok(batch)
    }
}
