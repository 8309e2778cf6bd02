//! Small helpers shared by the commands added with `eventstats` … `transaction`.
//!
//! `parse_bool(l, Some(("t".into(), span)), false)` — Splunk's boolean spellings; `run_steps`
//! pushes held rows through lowered steps, and `parse_pipeline`/`lower_pipeline` turn the text
//! of a `[ … ]` into those steps (for `appendpipe` and `foreach`).

use crate::diag::{Diag, Span};
use crate::exec::ExecCtx;
use crate::plan::{Lower, Operator, Step};
use crate::record::Record;
use crate::value::Value;

/// A boolean option as Splunk spells it (`true`/`t`/`1`/`yes`, `false`/`f`/`0`/`no`).
pub(crate) fn parse_bool(
    l: &Lower,
    v: Option<(String, Span)>,
    default: bool,
) -> Result<bool, Diag> {
    match v {
        None => Ok(default),
        Some((t, span)) => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "y" => Ok(true),
            "false" | "f" | "0" | "no" | "n" => Ok(false),
            _ => Err(l.error(
                span,
                "tripline::plan::bool",
                format!("expected true or false, found `{t}`"),
            )),
        },
    }
}

/// The text form of a group key (values compare as printed text, as stats does).
pub(crate) fn key_text(key: &[Value]) -> Vec<String> {
    key.iter()
        .map(|v| v.to_text().unwrap_or_default())
        .collect()
}

/// Run `rows` through `steps` to completion, flushing blocking steps in order, as the
/// executor does for a plan.
pub(crate) fn run_steps(
    steps: &[Box<dyn Step>],
    rows: Vec<Record>,
    ctx: &ExecCtx,
) -> Result<Vec<Record>, Diag> {
    let mut ops: Vec<Box<dyn Operator + '_>> = Vec::with_capacity(steps.len());
    for s in steps {
        ops.push(s.start(ctx)?);
    }
    let mut out = push_from(&mut ops, 0, rows, ctx)?;
    for i in 0..ops.len() {
        let Some(op) = ops.get_mut(i) else { break };
        let rows = op.finish(ctx)?;
        out.extend(push_from(&mut ops, i + 1, rows, ctx)?);
    }
    Ok(out)
}

fn push_from(
    ops: &mut [Box<dyn Operator + '_>],
    from: usize,
    mut batch: Vec<Record>,
    ctx: &ExecCtx,
) -> Result<Vec<Record>, Diag> {
    for op in ops.iter_mut().skip(from) {
        if batch.is_empty() {
            return Ok(batch);
        }
        batch = op.push(batch, ctx)?;
    }
    Ok(batch)
}

/// Parse `raw` (the inside of a `[ … ]` found at byte `offset` of `text`) as a pipeline whose
/// first segment is a command, not an implicit search, with spans that index into `text`.
/// A leading `|` is allowed (`appendpipe [| timechart …]`, as the corpus writes it).
pub(crate) fn parse_pipeline(raw: &str, offset: usize) -> Result<crate::syntax::ast::Query, Diag> {
    // Pad so spans line up with the whole query; the `|` makes the first segment a command.
    let trimmed = raw.trim_start();
    let lead = raw.len() - trimmed.len();
    let (raw, offset) = match trimmed.strip_prefix('|') {
        Some(rest) => (rest, offset + lead + 1),
        None => (raw, offset),
    };
    let pad = offset.saturating_sub(1);
    let mut padded = String::with_capacity(pad + 1 + raw.len());
    padded.push_str(&" ".repeat(pad));
    padded.push('|');
    padded.push_str(raw);
    crate::syntax::parser::parse_query(&padded)
}

/// Lower every command of a pipeline parsed by [`parse_pipeline`].
pub(crate) fn lower_pipeline(
    q: &crate::syntax::ast::Query,
    text: &str,
    env: &crate::plan::Env,
) -> Result<Vec<Box<dyn Step>>, Diag> {
    q.commands
        .iter()
        .enumerate()
        .map(|(index, cmd)| {
            crate::commands::lower(&Lower {
                cmd,
                index,
                text,
                env,
            })
        })
        .collect()
}
