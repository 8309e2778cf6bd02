//! `append [extendtimerange=bool] [maxtime=N] [maxout=N] [timeout=N] [ subsearch ]`: the
//! current results, then the subsearch's rows.
//!
//! `… | append [search sourcetype=stream:tcp bytes_out>65000] | stats count by flow_id` —
//! Splunk Search Reference, *append*: "Appends the results of a subsearch to the current
//! results"; fields line up by name (a row keeps only the fields it has). The subsearch runs
//! over the same data as the main search. `maxout` (default 50,000, the documented default of
//! the option) caps the subsearch rows: beyond it tripline keeps the first `maxout` rows and
//! warns, as Splunk truncates a subsearch and as `join` does here (docs/limits.md). `maxtime`,
//! `timeout` and `extendtimerange` are accepted and have no effect: tripline has no search time
//! budget and no time range to extend. A subsearch may start with a generating command with or
//! without `|` (`[| tstats …]`, `[mstats …]`, as the corpus writes them).

use super::args::{split, tokens};
use super::common::{parse_bool, parse_pipeline};
use crate::diag::Diag;
use crate::exec::{ExecCtx, run};
use crate::plan::{Fields, Lower, Operator, Plan, Step};
use crate::record::Record;
use crate::syntax::ast::{Query, TokKind};

/// Splunk's default for the `maxout` option of `append` (Search Reference, *append*,
/// subsearch options: "maxout … Default: 50000").
const DEFAULT_MAXOUT: usize = 50_000;

#[derive(Debug)]
struct Append {
    maxout: usize,
    sub: Plan,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["extendtimerange", "maxtime", "maxout", "timeout"])?;
    parse_bool(l, s.get("extendtimerange"), false)?;
    for key in ["maxtime", "timeout"] {
        super::args::number_opt(l, s.get(key), 0)?;
    }
    let maxout = super::args::number_opt(l, s.get("maxout"), DEFAULT_MAXOUT)?;
    if maxout == 0
        && let Some((_, span)) = s.get("maxout")
    {
        return Err(l
            .error(
                span,
                "tripline::append::maxout",
                "`maxout` must be at least 1",
            )
            .help("`maxout` is the most subsearch rows `append` keeps (default 50000)"));
    }
    let mut sub = None;
    for t in &s.rest {
        match &t.kind {
            TokKind::Sub {
                raw,
                offset,
                query: Some(q),
            } if sub.is_none() => {
                sub = Some(l.sub(&generating_first(q, raw, *offset)?)?);
            }
            TokKind::Sub { .. } => {
                return Err(l
                    .error(
                        t.span,
                        "tripline::append::subsearch",
                        "`append` takes one subsearch",
                    )
                    .help(
                        "write one `[ … ]`; several `append` commands append several subsearches",
                    ));
            }
            _ => {
                return Err(l
                    .error(
                        t.span,
                        "tripline::append::syntax",
                        "expected `append` options and a [subsearch]",
                    )
                    .help("for example `append [search sourcetype=x | stats count by user]`"));
            }
        }
    }
    let Some(sub) = sub else {
        return Err(l
            .error(
                l.cmd.span,
                "tripline::append::subsearch",
                "`append` needs a subsearch",
            )
            .help("for example `append [search sourcetype=x | stats count by user]`"));
    };
    Ok(Box::new(Append { maxout, sub }))
}

/// A subsearch whose first word names a generating command (`[mstats …]`, `[tstats …]`,
/// `[inputlookup …]`) runs that command, as Splunk does, rather than searching for the word.
fn generating_first(q: &Query, raw: &str, offset: usize) -> Result<Query, Diag> {
    let first = raw
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == '[' || c == '(')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let implicit = q.commands.first().is_some_and(|c| c.implicit);
    if implicit && super::starts_generating(&first) {
        parse_pipeline(raw, offset)
    } else {
        Ok(q.clone())
    }
}

impl Step for Append {
    fn describe(&self) -> String {
        format!("append maxout={}", self.maxout)
    }
    fn subplans(&self) -> Vec<&Plan> {
        vec![&self.sub]
    }
    fn outputs(&self, input: Fields) -> Fields {
        union(input, self.sub.outputs())
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(AppendOp { spec: self }))
    }
}

/// The fields of rows from either side.
pub(super) fn union(a: Fields, b: Fields) -> Fields {
    match (a, b) {
        (Fields::Known(mut a), Fields::Known(b)) => {
            for n in b {
                if !a.contains(&n) {
                    a.push(n);
                }
            }
            Fields::Known(a)
        }
        (Fields::Known(mut a) | Fields::Open(mut a), Fields::Open(b) | Fields::Known(b)) => {
            for n in b {
                if !a.contains(&n) {
                    a.push(n);
                }
            }
            Fields::Open(a)
        }
    }
}

struct AppendOp<'a> {
    spec: &'a Append,
}

impl Operator for AppendOp<'_> {
    /// The main results pass through unchanged.
    fn push(&mut self, batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        Ok(batch)
    }

    /// After the last main result: the subsearch's rows.
    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut rows = run(&self.spec.sub, ctx)?;
        let limit = self.spec.maxout;
        if rows.len() > limit {
            ctx.warn(format!(
                "append: the subsearch returned {} rows; only the first {limit} are appended (maxout={limit}; raise it with `append maxout=N`)",
                rows.len()
            ));
            rows.truncate(limit);
        }
        Ok(rows)
    }
}
