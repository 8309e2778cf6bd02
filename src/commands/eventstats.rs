//! `eventstats agg… [by f1, f2 …]`: add group aggregates to every record, keeping them all.
//!
//! `… | eventstats count as n, avg(bytes) as avg_bytes by user` — the same aggregations and
//! BY as `stats`; every record of a group gets the group's results (also records without the
//! aggregated field); records keep their order; a record whose BY field is null gets nothing.
//! A multivalue BY field puts the record in several groups; it then receives the results of
//! the last of them (Splunk does not document this case).

use super::common::key_text;
use super::stats::{AggSpec, Input, State, describe_aggs, group_keys, input_of, lower_aggs};
use crate::diag::{Diag, Kind};
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::Args;
use crate::value::Value;
use std::collections::HashMap;

#[derive(Debug)]
struct EventStats {
    aggs: Vec<AggSpec>,
    by: Vec<FieldRef>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let Args::Stats(s) = &l.cmd.args else {
        return Err(l.error(
            l.cmd.span,
            "tripline::eventstats::syntax",
            "`eventstats` needs aggregations",
        ));
    };
    if s.aggs.is_empty() {
        return Err(l
            .error(
                l.cmd.args_span,
                "tripline::eventstats::no_aggregation",
                "`eventstats` needs at least one aggregation",
            )
            .help("for example `eventstats count by user`"));
    }
    for (k, _, span) in &s.options {
        if !["allnum"].contains(&k.to_ascii_lowercase().as_str()) {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::plan::unknown_option",
                format!("`eventstats` does not support the option `{k}` yet"),
            )
            .at(*span));
        }
    }
    Ok(Box::new(EventStats {
        aggs: lower_aggs(l, &s.aggs, false)?,
        by: s.by.iter().map(|(n, _)| FieldRef::new(n)).collect(),
    }))
}

impl Step for EventStats {
    fn describe(&self) -> String {
        format!("eventstats {}", describe_aggs(&self.aggs, &self.by))
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        for a in &self.aggs {
            input.add(&a.out);
        }
        input
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(EventStatsOp {
            spec: self,
            held: Vec::new(),
            groups: HashMap::new(),
            bytes: 0,
        }))
    }
}

struct EventStatsOp<'a> {
    spec: &'a EventStats,
    /// Records in input order, with the group keys each belongs to.
    held: Vec<(Record, Vec<Vec<String>>)>,
    groups: HashMap<Vec<String>, Vec<State>>,
    bytes: usize,
}

impl Operator for EventStatsOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let time_ref = FieldRef::new("_time");
        for rec in batch {
            let size = rec.approx_size();
            ctx.hold(size)?;
            self.bytes += size;
            let keys: Vec<Vec<String>> = group_keys(&self.spec.by, &rec)
                .iter()
                .map(|k| key_text(k))
                .collect();
            let inputs: Vec<Value> = self
                .spec
                .aggs
                .iter()
                .map(|a| input_of(a, &rec, ctx))
                .collect();
            let time = rec.get(&time_ref).as_number();
            for key in &keys {
                let states = self
                    .groups
                    .entry(key.clone())
                    .or_insert_with(|| self.spec.aggs.iter().map(|a| State::new(a.func)).collect());
                for ((state, spec), input) in states.iter_mut().zip(&self.spec.aggs).zip(&inputs) {
                    state.add(spec.func, input, matches!(spec.input, Input::Records), time);
                }
            }
            self.held.push((rec, keys));
        }
        Ok(Vec::new())
    }

    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        ctx.release(self.bytes);
        self.bytes = 0;
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::with_capacity(held.len());
        for (mut rec, keys) in held {
            for key in &keys {
                let Some(states) = self.groups.get(key) else {
                    continue;
                };
                for (spec, state) in self.spec.aggs.iter().zip(states) {
                    let v = state.result(spec.func);
                    if !v.is_null() {
                        rec.set(&spec.out, v);
                    }
                }
            }
            out.push(rec);
        }
        Ok(out)
    }
}
