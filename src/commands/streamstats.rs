//! `streamstats [current=bool] [window=N] [global=bool] [reset_on_change=bool] agg… [by f…]`:
//! running aggregates, record by record, in the current order.
//!
//! `… | streamstats count as n by user` — each record gets the aggregates over the records
//! seen so far in its group (itself included unless `current=false`); `window=N` limits that
//! to the last N records (with `global=true`, the default, the last N records overall, of
//! which those of the record's group count; `global=false` keeps one window per group);
//! `reset_on_change=true` starts over whenever the BY values differ from the previous
//! record's. A record whose BY field is null gets nothing and counts for nothing. A multivalue
//! BY value is one group (its values together), not one group per value.

use super::args::number_opt;
use super::common::{key_text, parse_bool};
use super::stats::{AggSpec, Input, State, describe_aggs, input_of, lower_aggs};
use crate::diag::{Diag, Kind, Span};
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::Args;
use crate::value::Value;
use std::collections::{HashMap, VecDeque};

#[derive(Debug)]
struct StreamStats {
    aggs: Vec<AggSpec>,
    by: Vec<FieldRef>,
    current: bool,
    window: usize,
    global: bool,
    reset_on_change: bool,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let Args::Stats(s) = &l.cmd.args else {
        return Err(l.error(
            l.cmd.span,
            "tripline::streamstats::syntax",
            "`streamstats` needs aggregations",
        ));
    };
    if s.aggs.is_empty() {
        return Err(l
            .error(
                l.cmd.args_span,
                "tripline::streamstats::no_aggregation",
                "`streamstats` needs at least one aggregation",
            )
            .help("for example `streamstats count by user`"));
    }
    let opt = |name: &str| -> Option<(String, Span)> {
        s.options
            .iter()
            .rev()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v, sp)| (v.clone(), *sp))
    };
    for (k, _, span) in &s.options {
        let k = k.to_ascii_lowercase();
        if !["current", "window", "global", "reset_on_change", "allnum"].contains(&k.as_str()) {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::plan::unknown_option",
                format!("`streamstats` does not support the option `{k}` yet"),
            )
            .at(*span)
            .help("supported: current, window, global, reset_on_change"));
        }
    }
    Ok(Box::new(StreamStats {
        aggs: lower_aggs(l, &s.aggs, false)?,
        by: s.by.iter().map(|(n, _)| FieldRef::new(n)).collect(),
        current: parse_bool(l, opt("current"), true)?,
        window: number_opt(l, opt("window"), 0)?,
        global: parse_bool(l, opt("global"), true)?,
        reset_on_change: parse_bool(l, opt("reset_on_change"), false)?,
    }))
}

impl Step for StreamStats {
    fn describe(&self) -> String {
        let mut s = format!("streamstats {}", describe_aggs(&self.aggs, &self.by));
        if !self.current {
            s.push_str(" current=false");
        }
        if self.window > 0 {
            s.push_str(&format!(" window={} global={}", self.window, self.global));
        }
        if self.reset_on_change {
            s.push_str(" reset_on_change=true");
        }
        s
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        for a in &self.aggs {
            input.add(&a.out);
        }
        input
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(StreamStatsOp {
            spec: self,
            running: HashMap::new(),
            windows: HashMap::new(),
            global: VecDeque::new(),
            prev: None,
        }))
    }
}

/// One record's contribution: its aggregation inputs and time.
type Entry = (Vec<String>, Vec<Value>, Option<f64>);

struct StreamStatsOp<'a> {
    spec: &'a StreamStats,
    /// Without a window: running states per group.
    running: HashMap<Vec<String>, Vec<State>>,
    /// With a window and `global=false`: the last N entries per group.
    windows: HashMap<Vec<String>, VecDeque<Entry>>,
    /// With a window and `global=true`: the last N entries overall.
    global: VecDeque<Entry>,
    prev: Option<Vec<String>>,
}

impl StreamStatsOp<'_> {
    fn fresh(&self) -> Vec<State> {
        self.spec.aggs.iter().map(|a| State::new(a.func)).collect()
    }

    fn add(&self, states: &mut [State], inputs: &[Value], time: Option<f64>) {
        for ((state, spec), input) in states.iter_mut().zip(&self.spec.aggs).zip(inputs) {
            state.add(spec.func, input, matches!(spec.input, Input::Records), time);
        }
    }

    /// States over the windowed entries of group `key`.
    fn states_over_window<'e>(
        &self,
        entries: impl Iterator<Item = &'e Entry>,
        key: &[String],
    ) -> Vec<State> {
        let mut states = self.fresh();
        for (k, inputs, time) in entries {
            if k.as_slice() == key {
                self.add(&mut states, inputs, *time);
            }
        }
        states
    }

    fn reset(&mut self) {
        self.running.clear();
        self.windows.clear();
        self.global.clear();
    }

    fn remember(&mut self, entry: Entry) {
        let n = self.spec.window;
        if self.spec.global {
            self.global.push_back(entry);
            while self.global.len() > n {
                self.global.pop_front();
            }
        } else {
            let w = self.windows.entry(entry.0.clone()).or_default();
            w.push_back(entry);
            while w.len() > n {
                w.pop_front();
            }
        }
    }

    fn step(&mut self, rec: &mut Record, ctx: &ExecCtx, time_ref: &FieldRef) {
        let mut key = Vec::with_capacity(self.spec.by.len());
        for f in &self.spec.by {
            let v = rec.get(f);
            if v.is_null() {
                return;
            }
            key.push(v);
        }
        let key = key_text(&key);
        if self.spec.reset_on_change && self.prev.as_ref().is_some_and(|p| *p != key) {
            self.reset();
        }
        self.prev = Some(key.clone());
        let inputs: Vec<Value> = self
            .spec
            .aggs
            .iter()
            .map(|a| input_of(a, rec, ctx))
            .collect();
        let time = rec.get(time_ref).as_number();
        let states = if self.spec.window == 0 {
            let mut states = self.running.remove(&key).unwrap_or_else(|| self.fresh());
            let before = (!self.spec.current).then(|| states.clone());
            self.add(&mut states, &inputs, time);
            self.running.insert(key, states.clone());
            before.unwrap_or(states)
        } else {
            let entry = (key.clone(), inputs, time);
            if self.spec.current {
                self.remember(entry.clone());
            }
            let states = if self.spec.global {
                self.states_over_window(self.global.iter(), &key)
            } else {
                self.states_over_window(self.windows.get(&key).into_iter().flatten(), &key)
            };
            if !self.spec.current {
                self.remember(entry);
            }
            states
        };
        for (spec, state) in self.spec.aggs.iter().zip(&states) {
            let v = state.result(spec.func);
            if !v.is_null() {
                rec.set(&spec.out, v);
            }
        }
    }
}

impl Operator for StreamStatsOp<'_> {
    fn push(&mut self, mut batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let time_ref = FieldRef::new("_time");
        for rec in &mut batch {
            self.step(rec, ctx, &time_ref);
        }
        Ok(batch)
    }
}
