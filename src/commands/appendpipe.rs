//! `appendpipe [run_in_preview=bool] [ subpipeline ]`: the current results, then what the
//! subpipeline makes of them.
//!
//! `… | stats count by user | appendpipe [stats sum(count) as count | eval user="ALL"]` —
//! Splunk Search Reference, *appendpipe*: "Appends the result of the subpipeline to the search
//! results. Unlike a subsearch, the subpipeline is not run first. The subpipeline is run when
//! the search reaches the appendpipe command." So the bracket is not a subsearch: it is a list
//! of commands applied to the results that reach `appendpipe`, and its output rows come after
//! those results (`appendpipe [stats count | where count=0]` adds one row `count=0` only when
//! there were no results). The subpipeline starts with a command (`stats`, `eval`, `search`
//! …), with or without a leading `|`. `run_in_preview` only concerns Splunk's preview and is
//! accepted. `appendpipe` holds the results until the last one (memory budget:
//! `--max-memory`).

use super::args::{split, tokens};
use super::common::{lower_pipeline, parse_bool, parse_pipeline, run_steps};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Plan, Step};
use crate::record::Record;
use crate::syntax::ast::TokKind;

#[derive(Debug)]
struct AppendPipe {
    steps: Vec<Box<dyn Step>>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["run_in_preview"])?;
    parse_bool(l, s.get("run_in_preview"), true)?;
    let mut steps = None;
    for t in &s.rest {
        match &t.kind {
            TokKind::Sub { raw, offset, .. } if steps.is_none() => {
                if raw.trim().trim_start_matches('|').trim().is_empty() {
                    return Err(l
                        .error(
                            t.span,
                            "tripline::appendpipe::empty",
                            "the `appendpipe` subpipeline is empty",
                        )
                        .help("put commands in the brackets, e.g. `appendpipe [stats count]`"));
                }
                let q = parse_pipeline(raw, *offset)?;
                steps = Some(lower_pipeline(&q, l.text, l.env)?);
            }
            TokKind::Sub { .. } => {
                return Err(l.error(
                    t.span,
                    "tripline::appendpipe::syntax",
                    "`appendpipe` takes one subpipeline",
                ));
            }
            _ => {
                return Err(l
                    .error(
                        t.span,
                        "tripline::appendpipe::syntax",
                        "expected a [subpipeline]",
                    )
                    .help("for example `appendpipe [stats count | where count=0]`"));
            }
        }
    }
    let Some(steps) = steps else {
        return Err(l
            .error(
                l.cmd.span,
                "tripline::appendpipe::syntax",
                "`appendpipe` needs a [subpipeline]",
            )
            .help("for example `appendpipe [stats count | where count=0]`"));
    };
    Ok(Box::new(AppendPipe { steps }))
}

impl Step for AppendPipe {
    fn describe(&self) -> String {
        let inner: Vec<String> = self.steps.iter().map(|s| s.describe()).collect();
        format!("appendpipe [{}]", inner.join(" | "))
    }
    fn subplans(&self) -> Vec<&Plan> {
        self.steps.iter().flat_map(|s| s.subplans()).collect()
    }
    fn outputs(&self, input: Fields) -> Fields {
        let sub = self.steps.iter().fold(input.clone(), |f, s| s.outputs(f));
        super::append::union(input, sub)
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(AppendPipeOp {
            spec: self,
            held: Vec::new(),
            bytes: 0,
        }))
    }
}

struct AppendPipeOp<'a> {
    spec: &'a AppendPipe,
    held: Vec<Record>,
    bytes: usize,
}

impl Operator for AppendPipeOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        for rec in batch {
            let size = rec.approx_size();
            ctx.hold(size)?;
            self.bytes += size;
            self.held.push(rec);
        }
        Ok(Vec::new())
    }

    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut out = std::mem::take(&mut self.held);
        let extra = run_steps(&self.spec.steps, out.clone(), ctx);
        ctx.release(self.bytes);
        self.bytes = 0;
        out.extend(extra?);
        Ok(out)
    }
}
