//! `head [N | limit=N | (expr)]`: the first N results (default 10), or the results up to the
//! first one for which the expression is not true.

use super::args::{split, tokens};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::expr::{CExpr, compile, show};
use crate::plan::{Lower, Operator, Step};
use crate::record::Record;
use crate::syntax::ast::TokKind;
use crate::syntax::parse_expr;

#[derive(Debug)]
enum Limit {
    Count(usize),
    While(CExpr),
}

#[derive(Debug)]
struct Head {
    limit: Limit,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["limit"])?;
    let mut limit = Limit::Count(10);
    if let Some((t, span)) = s.get("limit") {
        limit = Limit::Count(t.parse().map_err(|_| {
            l.error(
                span,
                "tripline::head::limit",
                format!("expected a whole number, found `{t}`"),
            )
        })?);
    }
    match (s.rest.first(), s.rest.last()) {
        (Some(first), Some(last))
            if matches!(first.kind, TokKind::LParen) && matches!(last.kind, TokKind::RParen) =>
        {
            let inner = l
                .text
                .get(first.span.end..last.span.start)
                .unwrap_or_default();
            limit = Limit::While(compile(&parse_expr(inner, first.span.end)?)?);
        }
        (Some(first), _) => {
            let w = first.word().unwrap_or_default();
            limit = Limit::Count(w.parse().map_err(|_| {
                l.error(
                    first.span,
                    "tripline::head::count",
                    format!("expected a number of results, found `{w}`"),
                )
            })?);
            if let Some(extra) = s.rest.get(1) {
                return Err(l.error(extra.span, "tripline::head::syntax", "unexpected argument"));
            }
        }
        _ => {}
    }
    Ok(Box::new(Head { limit }))
}

impl Step for Head {
    fn describe(&self) -> String {
        match &self.limit {
            Limit::Count(n) => format!("head {n}"),
            Limit::While(e) => format!("head ({})", show(e)),
        }
    }
    fn reads(&self) -> crate::plan::Reads {
        let mut names = Vec::new();
        if let Limit::While(e) = &self.limit {
            e.fields(&mut names);
        }
        crate::plan::Reads::Fields(names)
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(HeadOp {
            spec: self,
            seen: 0,
            done: false,
        }))
    }
}

struct HeadOp<'a> {
    spec: &'a Head,
    seen: usize,
    done: bool,
}

impl Operator for HeadOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut out = Vec::new();
        for r in batch {
            if self.done {
                break;
            }
            match &self.spec.limit {
                Limit::Count(n) => {
                    if self.seen >= *n {
                        self.done = true;
                        break;
                    }
                }
                Limit::While(e) => {
                    if !e.eval(&r, &ctx.eval).is_true() {
                        self.done = true;
                        break;
                    }
                }
            }
            self.seen += 1;
            out.push(r);
        }
        Ok(out)
    }
}
