//! `stats agg… [by f1, f2 …]`: aggregate records into one row per group.
//!
//! `… | stats count earliest(_time) as firstTime by Source Severity` — records whose BY fields
//! are null are dropped; a multivalue BY field puts the record in one group per value; rows
//! come out sorted by the BY values (numbers numerically, text byte-wise); without BY there is
//! exactly one row, even over no input. The aggregation state is shared with `eventstats`.

use crate::diag::{Diag, Kind};
use crate::exec::ExecCtx;
use crate::plan::expr::{CExpr, compile, show};
use crate::plan::{Lower, Operator, Step};
use crate::record::{FieldRef, Name, Record};
use crate::syntax::ast::{Agg, AggArg, Args};
use crate::value::{SortKey, Value};
use indexmap::IndexMap;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Which aggregation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Count,
    Dc,
    Values,
    List,
    Sum,
    Avg,
    Min,
    Max,
    Range,
    Earliest,
    Latest,
    EarliestTime,
    LatestTime,
    First,
    Last,
    Stdev,
    Stdevp,
    Var,
    Varp,
    Sumsq,
    Median,
    Mode,
    /// `perc<X>`, `p<X>`, `exactperc<X>`, `upperperc<X>`: X in ten-thousandths (99.95 → 999500).
    Perc(u32),
}

impl Func {
    /// Whether the aggregation keeps its input values (its state grows with them, so each
    /// value it takes is held against the memory budget).
    fn collects(self) -> bool {
        matches!(
            self,
            Func::Values | Func::List | Func::Dc | Func::Median | Func::Mode | Func::Perc(_)
        )
    }
}

fn func_of(name: &str) -> Option<Func> {
    Some(match name {
        "count" | "c" => Func::Count,
        "dc" | "distinct_count" | "estdc" => Func::Dc,
        "values" => Func::Values,
        "list" => Func::List,
        "sum" => Func::Sum,
        "avg" | "mean" => Func::Avg,
        "min" => Func::Min,
        "max" => Func::Max,
        "range" => Func::Range,
        "earliest" => Func::Earliest,
        "latest" => Func::Latest,
        "earliest_time" => Func::EarliestTime,
        "latest_time" => Func::LatestTime,
        "first" => Func::First,
        "last" => Func::Last,
        "stdev" => Func::Stdev,
        "stdevp" => Func::Stdevp,
        "var" => Func::Var,
        "varp" => Func::Varp,
        "sumsq" => Func::Sumsq,
        "median" => Func::Median,
        "mode" => Func::Mode,
        _ => return perc_of(name),
    })
}

/// `perc95`, `p99.9`, `exactperc50`, `upperperc75`: the percentile, 0 < X ≤ 100.
fn perc_of(name: &str) -> Option<Func> {
    let x = ["exactperc", "upperperc", "perc", "p"]
        .iter()
        .find_map(|k| name.strip_prefix(k))?;
    if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let x: f64 = x.parse().ok()?;
    if !(x > 0.0 && x <= 100.0) {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 < x ≤ 100"
    )]
    Some(Func::Perc((x * 10_000.0).round() as u32))
}

/// `list()` keeps at most this many values (Splunk's `[stats] list_maxsize`).
const LIST_MAX: usize = 100;

/// What an aggregation reads.
#[derive(Debug)]
pub(crate) enum Input {
    /// Every record (bare `count`).
    Records,
    /// A field.
    Field(FieldRef),
    /// `eval(expr)`.
    Eval(CExpr),
    /// A wildcard field name (`values(*) as *`, `values(requestParameters.*) as *`): one
    /// aggregation per matching field, `stats` only.
    Wild(String),
}

/// One compiled aggregation.
#[derive(Debug)]
pub(crate) struct AggSpec {
    pub func: Func,
    pub input: Input,
    pub out: String,
    pub text: String,
}

/// Lower stats-shaped aggregations.
///
/// `wild`: whether wildcard field names are allowed (`stats`); elsewhere they are an error.
pub(crate) fn lower_aggs(l: &Lower, aggs: &[Agg], wild: bool) -> Result<Vec<AggSpec>, Diag> {
    let mut out = Vec::new();
    for a in aggs {
        let Some(func) = func_of(&a.func) else {
            let known_elsewhere = [
                "rate",
                "per_second",
                "per_minute",
                "per_hour",
                "per_day",
                "sparkline",
                "estdc_error",
            ]
            .iter()
            .any(|k| a.func.starts_with(k));
            return Err(Diag::error(
                if known_elsewhere { Kind::Unsupported } else { Kind::Invalid },
                if known_elsewhere { "tripline::stats::unsupported_function" } else { "tripline::stats::unknown_function" },
                if known_elsewhere {
                    format!("aggregation `{}` is not supported yet", a.func)
                } else {
                    format!("unknown aggregation `{}`", a.func)
                },
            )
            .at(a.span)
            .help("supported: count, dc, values, list, sum, avg, min, max, range, earliest, latest, first, last, stdev, var, median, mode, perc<X>/p<X>/exactperc<X>/upperperc<X>"));
        };
        let input = match (&a.arg, func) {
            (None, Func::Count) => Input::Records,
            (None, _) => {
                return Err(l
                    .error(
                        a.span,
                        "tripline::stats::missing_field",
                        format!("`{}` needs a field: `{}(field)`", a.func, a.func),
                    )
                    .help("only `count` may stand alone"));
            }
            (Some(AggArg::Field(f)), _) if f.contains('*') => {
                if !wild {
                    return Err(Diag::error(
                        Kind::Unsupported,
                        "tripline::stats::wildcard",
                        format!(
                            "wildcard fields in aggregations are supported by `stats` only, not by `{}`",
                            l.cmd.name
                        ),
                    )
                    .at(a.span)
                    .help("name the fields, or aggregate with `stats`"));
                }
                let stars = f.matches('*').count();
                if let Some(alias) = &a.alias
                    && alias.matches('*').count() != stars
                {
                    return Err(l
                        .error(
                            a.span,
                            "tripline::stats::wildcard_name",
                            format!("`{alias}` needs {stars} `*` to name the fields `{f}` matches"),
                        )
                        .help("for example `values(*) as *` or `values(req.*) as last_*`"));
                }
                Input::Wild(f.clone())
            }
            (Some(AggArg::Field(f)), _) => Input::Field(FieldRef::new(f)),
            (Some(AggArg::Eval(e)), _) => Input::Eval(compile(e)?),
        };
        out.push(AggSpec {
            func,
            input,
            out: a.alias.clone().unwrap_or_else(|| a.text.clone()),
            text: a.text.clone(),
        });
    }
    Ok(out)
}

/// Distinct texts (with a value each), in lexicographic order: the state of `values` and `dc`.
/// Most groups see one or a few values, so the first is held in place and the entries then
/// stay in a sorted vector until there are more than [`TextSet::SMALL`] of them (a B-tree's
/// first leaf reserves room for eleven entries and a hash set for several, whatever they hold —
/// with tens of thousands of groups and several aggregations each, that was most of the memory
/// of a stats). The texts are [`Name`]s, like a group's key texts: up to 24 bytes held inline
/// (numbers' printed forms, most addresses, operation names), so that most entries cost no
/// allocation of their own (the send/hard-delete join over 1 GB: peak memory on one thread 90 →
/// 80 MB, CPU time on two threads 4–5 % less in alternated runs; a kept group's text is
/// copied out when its row is made).
#[derive(Clone, Debug, Default)]
pub(crate) enum TextSet<V> {
    #[default]
    Empty,
    /// One text, held in place: most groups see one value per `values` or `dc`, and a list
    /// of one cost an allocation of its own (the send/hard-delete join's subsearch: six per
    /// group, about 60,000 of the 224,000 blocks its memory held at its peak per 200 MB).
    One(Name, V),
    /// Two texts or more (up to [`TextSet::SMALL`]).
    Small(Vec<(Name, V)>),
    Big(BTreeMap<Name, V>),
}

impl<V> TextSet<V> {
    const SMALL: usize = 32;

    /// Add `text` unless present (the first value stays); the text is copied only then.
    pub(crate) fn insert(&mut self, text: Cow<'_, str>, value: impl FnOnce() -> V) {
        match self {
            TextSet::Empty => *self = TextSet::One(Name::from(text), value()),
            TextSet::One(first, _) if first.as_str() == text.as_ref() => {}
            TextSet::One(..) => {
                if let TextSet::One(first, v) = std::mem::take(self) {
                    let (first, second) = ((first, v), (Name::from(text), value()));
                    let pair = if second.0 < first.0 {
                        [second, first]
                    } else {
                        [first, second]
                    };
                    *self = TextSet::Small(Vec::from(pair));
                }
            }
            TextSet::Small(v) => match v.binary_search_by(|(k, _)| k.as_str().cmp(&text)) {
                Ok(_) => {}
                Err(i) if v.len() < Self::SMALL => {
                    // Room doubling from two entries: `insert` would make room for four at
                    // once, and most groups see few values (the send/hard-delete join's
                    // subsearch: three quarters of its `values` entries' memory was room).
                    if v.len() == v.capacity() {
                        v.reserve_exact(v.len().max(1));
                    }
                    v.insert(i, (Name::from(text), value()));
                }
                Err(_) => {
                    let mut map: BTreeMap<Name, V> = std::mem::take(v).into_iter().collect();
                    map.insert(Name::from(text), value());
                    *self = TextSet::Big(map);
                }
            },
            TextSet::Big(m) => {
                if !m.contains_key(text.as_ref()) {
                    m.insert(Name::from(text), value());
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            TextSet::Empty => 0,
            TextSet::One(..) => 1,
            TextSet::Small(v) => v.len(),
            TextSet::Big(m) => m.len(),
        }
    }

    /// The texts and their values, in the order of the texts.
    pub(crate) fn entries(&self) -> Box<dyn Iterator<Item = (&str, &V)> + '_> {
        match self {
            TextSet::Empty => Box::new(std::iter::empty()),
            TextSet::One(t, x) => Box::new(std::iter::once((t.as_str(), x))),
            TextSet::Small(v) => Box::new(v.iter().map(|(t, x)| (t.as_str(), x))),
            TextSet::Big(m) => Box::new(m.iter().map(|(t, x)| (t.as_str(), x))),
        }
    }
}

/// A `values` entry's value: `None` when it is the text itself (a text value, the usual
/// one), so that the text is held once; the value otherwise (a number, whose text is its
/// printed form).
type Kept = Option<Value>;

/// The value of a `values` entry or a group's key part (see [`Kept`]), copied.
fn kept_value(text: &str, kept: &Kept) -> Value {
    kept.clone().unwrap_or_else(|| Value::Str(text.to_string()))
}

/// The value of a `values` entry or a group's key part (see [`Kept`]), moved out.
fn own_value((text, kept): (Name, Kept)) -> Value {
    kept.unwrap_or_else(|| Value::Str(text.into_string()))
}

impl TextSet<Kept> {
    /// The `values` result, the entries moved out in the order of their texts: one value as
    /// it is (most groups: no list is made for it), more into a vector of their own size
    /// (collecting would keep the pairs' larger allocation for as long as the result lives).
    fn into_value(self) -> Value {
        match self {
            TextSet::Empty => Value::Null,
            TextSet::One(text, kept) => own_value((text, kept)),
            TextSet::Small(v) => {
                let mut out = Vec::with_capacity(v.len());
                out.extend(v.into_iter().map(own_value));
                Value::from_values(out)
            }
            TextSet::Big(m) => Value::from_values(m.into_iter().map(own_value).collect()),
        }
    }
}

/// Running state of one aggregation in one group.
#[derive(Clone, Debug)]
pub(crate) enum State {
    Count(u64),
    Distinct(TextSet<()>),
    Values(TextSet<Kept>),
    List(Vec<Value>),
    Sum(f64, bool),
    Moments {
        n: u64,
        sum: f64,
        sumsq: f64,
    },
    Extreme {
        num: Option<f64>,
        text: Option<String>,
    },
    Timed(Option<(f64, Value)>),
    First(Option<Value>),
    Last(Option<Value>),
    All(Vec<Value>),
}

impl State {
    pub(crate) fn new(f: Func) -> State {
        match f {
            Func::Count => State::Count(0),
            Func::Dc => State::Distinct(TextSet::default()),
            Func::Values => State::Values(TextSet::default()),
            Func::List => State::List(Vec::new()),
            Func::Sum => State::Sum(0.0, false),
            Func::Avg | Func::Stdev | Func::Stdevp | Func::Var | Func::Varp | Func::Sumsq => {
                State::Moments {
                    n: 0,
                    sum: 0.0,
                    sumsq: 0.0,
                }
            }
            Func::Min | Func::Max | Func::Range => State::Extreme {
                num: None,
                text: None,
            },
            Func::Earliest | Func::Latest | Func::EarliestTime | Func::LatestTime => {
                State::Timed(None)
            }
            Func::First => State::First(None),
            Func::Last => State::Last(None),
            Func::Median | Func::Mode | Func::Perc(_) => State::All(Vec::new()),
        }
    }

    /// Add one record's input.
    pub(crate) fn add(&mut self, f: Func, input: &Value, counted_record: bool, time: Option<f64>) {
        let vals = input.values();
        match self {
            State::Count(n) => {
                if counted_record {
                    *n += 1;
                } else {
                    *n += vals.iter().filter(|v| **v != Value::Bool(false)).count() as u64;
                }
            }
            State::Distinct(set) => {
                for v in vals {
                    if let Some(t) = v.text() {
                        set.insert(t, || ());
                    }
                }
            }
            State::Values(map) => {
                for v in vals {
                    if let Some(t) = v.text() {
                        map.insert(t, || match v {
                            Value::Str(_) => None,
                            other => Some(other.clone()),
                        });
                    }
                }
            }
            State::List(list) => {
                for v in vals {
                    if list.len() < LIST_MAX {
                        list.push(v.clone());
                    }
                }
            }
            State::Sum(s, any) => {
                for n in vals.iter().filter_map(Value::as_number) {
                    *s += n;
                    *any = true;
                }
            }
            State::Moments { n, sum, sumsq } => {
                for x in vals.iter().filter_map(Value::as_number) {
                    *n += 1;
                    *sum += x;
                    *sumsq += x * x;
                }
            }
            State::Extreme { num, text } => {
                let want_max = matches!(f, Func::Max);
                for v in vals {
                    if let Some(x) = v.as_number() {
                        *num = Some(match *num {
                            None => x,
                            Some(cur) if f == Func::Range => cur, // range keeps both ends below
                            Some(cur) if want_max => cur.max(x),
                            Some(cur) => cur.min(x),
                        });
                        if f == Func::Range {
                            // store min in num and max in text as a number string
                            let hi = text
                                .as_deref()
                                .and_then(crate::value::parse_number)
                                .map_or(x, |h| h.max(x));
                            *text = Some(crate::value::format_number(hi));
                            if let Some(lo) = num.as_mut() {
                                *lo = lo.min(x);
                            }
                        }
                    } else if f != Func::Range
                        && let Some(t) = v.to_text()
                    {
                        *text = Some(match text.take() {
                            None => t,
                            Some(cur) if want_max => cur.max(t),
                            Some(cur) => cur.min(t),
                        });
                    }
                }
            }
            State::Timed(slot) => {
                let Some(t) = time else { return };
                if vals.is_empty() {
                    return;
                }
                let earliest = matches!(f, Func::Earliest | Func::EarliestTime);
                let replace = match slot {
                    None => true,
                    Some((cur, _)) => {
                        if earliest {
                            t < *cur
                        } else {
                            t > *cur
                        }
                    }
                };
                if replace {
                    *slot = Some((t, input.clone()));
                }
            }
            State::First(slot) => {
                if slot.is_none() && !input.is_null() {
                    *slot = Some(input.clone());
                }
            }
            State::Last(slot) => {
                if !input.is_null() {
                    *slot = Some(input.clone());
                }
            }
            State::All(all) => all.extend(vals.iter().cloned()),
        }
    }

    /// [`State::result`] of a state that is not needed any more: the values a `values` or
    /// `list` holds are moved into the result instead of copied.
    fn into_result(self, f: Func) -> Value {
        match self {
            State::Values(m) => m.into_value(),
            State::List(l) => Value::from_values(l),
            other => other.result(f),
        }
    }

    /// The aggregate.
    pub(crate) fn result(&self, f: Func) -> Value {
        match self {
            #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
            State::Count(n) => Value::Num(*n as f64),
            #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
            State::Distinct(s) => Value::Num(s.len() as f64),
            State::Values(m) => {
                Value::from_values(m.entries().map(|(t, kept)| kept_value(t, kept)).collect())
            }
            State::List(l) => Value::from_values(l.clone()),
            State::Sum(s, any) => {
                if *any {
                    Value::Num(*s)
                } else {
                    Value::Null
                }
            }
            State::Moments { n, sum, sumsq } => moments(f, *n, *sum, *sumsq),
            State::Extreme { num, text } => match f {
                Func::Max => text
                    .clone()
                    .map(Value::Str)
                    .or(num.map(Value::Num))
                    .unwrap_or(Value::Null),
                Func::Min => num
                    .map(Value::Num)
                    .or(text.clone().map(Value::Str))
                    .unwrap_or(Value::Null),
                _ => match (num, text.as_deref().and_then(crate::value::parse_number)) {
                    (Some(lo), Some(hi)) => Value::Num(hi - lo),
                    _ => Value::Null,
                },
            },
            State::Timed(slot) => match (slot, f) {
                (Some((t, _)), Func::EarliestTime | Func::LatestTime) => Value::Num(*t),
                (Some((_, v)), _) => v.clone(),
                (None, _) => Value::Null,
            },
            State::First(v) | State::Last(v) => v.clone().unwrap_or(Value::Null),
            State::All(all) => match f {
                Func::Median => {
                    let mut nums: Vec<f64> = all.iter().filter_map(Value::as_number).collect();
                    nums.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                    // Splunk's median: with an even count, the higher middle value.
                    nums.get(nums.len() / 2)
                        .map_or(Value::Null, |m| Value::Num(*m))
                }
                Func::Perc(x) => {
                    let mut nums: Vec<f64> = all.iter().filter_map(Value::as_number).collect();
                    nums.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                    percentile(&nums, f64::from(x) / 1_000_000.0)
                }
                _ => {
                    let mut counts: IndexMap<String, (usize, Value)> = IndexMap::new();
                    for v in all {
                        if let Some(t) = v.to_text() {
                            counts.entry(t).or_insert((0, v.clone())).0 += 1;
                        }
                    }
                    let mut best: Option<&(usize, Value)> = None;
                    for c in counts.values() {
                        if best.is_none_or(|b| c.0 > b.0) {
                            best = Some(c);
                        }
                    }
                    best.map_or(Value::Null, |b| b.1.clone())
                }
            },
        }
    }
}

/// Splunk's interpolated percentile (`limits.conf [stats] perc_method = interpolated`): the
/// value at rank `p·(n−1)` of the sorted values, interpolated linearly between neighbours.
/// Worked example from Splunk Community ("How to get the percentile 90 of the response time"):
/// p90 of ten values whose two largest are 3.107 and 27.203 is 3.107 + 0.1·24.096 = 5.5166.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "ranks stay far below 2^53 and are ≥ 0"
)]
fn percentile(sorted: &[f64], p: f64) -> Value {
    if sorted.is_empty() {
        return Value::Null;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let frac = rank - rank.floor();
    match (sorted.get(lo), sorted.get(lo + 1)) {
        (Some(a), Some(b)) if frac > 0.0 => Value::Num(a + (b - a) * frac),
        (Some(a), _) => Value::Num(*a),
        _ => Value::Null,
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
fn moments(f: Func, n: u64, sum: f64, sumsq: f64) -> Value {
    if n == 0 {
        return Value::Null;
    }
    let nf = n as f64;
    let mean = sum / nf;
    let ss = (sumsq - sum * mean).max(0.0);
    match f {
        Func::Avg => Value::Num(mean),
        Func::Sumsq => Value::Num(sumsq),
        Func::Varp => Value::Num(ss / nf),
        Func::Stdevp => Value::Num((ss / nf).sqrt()),
        Func::Var if n > 1 => Value::Num(ss / (nf - 1.0)),
        Func::Stdev if n > 1 => Value::Num((ss / (nf - 1.0)).sqrt()),
        _ => Value::Null,
    }
}

/// The input value of an aggregation for a record.
pub(crate) fn input_of(spec: &AggSpec, rec: &Record, ctx: &ExecCtx) -> Value {
    match &spec.input {
        Input::Records | Input::Wild(_) => Value::Null,
        Input::Field(f) => rec.get(f),
        Input::Eval(e) => match e.eval(rec, &ctx.eval) {
            Value::Bool(true) => Value::Num(1.0),
            Value::Bool(false) => Value::Null,
            v => v,
        },
    }
}

/// The group keys a record belongs to (none when a BY field is null): one per combination of
/// the BY fields' values, the last field's varying fastest.
pub(crate) fn group_keys(by: &[FieldRef], rec: &Record) -> Vec<Vec<Value>> {
    // The usual record, one value per BY field, has one key: built as it is read, with no
    // product of lists (a new group of the send/hard-delete join's subsearch cost about 2,400
    // instructions here, 9,918 of them per 200 MB, on the thread that feeds `stats`).
    let mut key = Vec::with_capacity(by.len());
    for (i, f) in by.iter().enumerate() {
        match rec.get(f) {
            Value::Null => return Vec::new(),
            many @ Value::Multi(_) => {
                return key_product(vec![key], many, by.get(i + 1..).unwrap_or_default(), rec);
            }
            one => key.push(one),
        }
    }
    vec![key]
}

/// Every key of `keys` extended by each value of `v`, then by each value of the fields `rest`.
fn key_product(
    mut keys: Vec<Vec<Value>>,
    mut v: Value,
    rest: &[FieldRef],
    rec: &Record,
) -> Vec<Vec<Value>> {
    let mut rest = rest.iter();
    loop {
        let vals = v.values();
        if vals.is_empty() {
            return Vec::new();
        }
        let mut next = Vec::with_capacity(keys.len() * vals.len());
        for k in &keys {
            for x in vals {
                let mut k2 = k.clone();
                k2.push(x.clone());
                next.push(k2);
            }
        }
        keys = next;
        match rest.next() {
            Some(f) => v = rec.get(f),
            None => return keys,
        }
    }
}

/// A record's group key as text, when every BY field has exactly one value.
enum KeyTexts<'r> {
    /// A BY field is null: the record belongs to no group.
    Skip,
    /// One text per BY field, borrowed from the record where it holds the text as is.
    One(Texts<'r>),
    /// A BY field is multivalue: see [`group_keys`].
    Many,
}

/// The texts of a group key: one BY field's in place (the usual `stats … by field`, which
/// then allocates nothing per record for its key), several in a list.
enum Texts<'r> {
    Single([Cow<'r, str>; 1]),
    Several(Vec<Cow<'r, str>>),
}

impl<'r> Texts<'r> {
    fn as_slice(&self) -> &[Cow<'r, str>] {
        match self {
            Texts::Single(one) => one,
            Texts::Several(all) => all,
        }
    }
}

/// The text of one BY field, `Err` for a record in no group or in several.
fn by_text<'r>(f: &FieldRef, rec: &'r Record) -> Result<Cow<'r, str>, KeyTexts<'r>> {
    if let Some(s) = rec.str_of(f) {
        return Ok(Cow::Borrowed(s));
    }
    match rec.get(f) {
        Value::Null => Err(KeyTexts::Skip),
        Value::Multi(_) => Err(KeyTexts::Many),
        Value::Str(s) => Ok(Cow::Owned(s)),
        v => Ok(Cow::Owned(v.to_text().unwrap_or_default())),
    }
}

fn key_texts<'r>(by: &[FieldRef], rec: &'r Record) -> KeyTexts<'r> {
    let texts = if let [f] = by {
        by_text(f, rec).map(|t| Texts::Single([t]))
    } else {
        by.iter()
            .map(|f| by_text(f, rec))
            .collect::<Result<Vec<_>, _>>()
            .map(Texts::Several)
    };
    match texts {
        Ok(t) => KeyTexts::One(t),
        Err(k) => k,
    }
}

/// Whether borrowed key texts are a group's key.
fn same_key(texts: &[Cow<'_, str>], key: &[KeyPart]) -> bool {
    texts.len() == key.len()
        && texts
            .iter()
            .zip(key)
            .all(|(a, (b, _))| a.as_ref() == b.as_str())
}

/// One BY field's part of a group's key: its text, which groups are told apart by, and its
/// value when that is not the text itself (as in [`Kept`]: `None` for a text value, the usual
/// one, so that the text is held once; a number otherwise, whose text is its printed form).
type KeyPart = (Name, Kept);

/// The key parts of a new group: each BY field's text with its value (`texts[i]` is the text
/// of `values[i]`).
fn key_parts(texts: &[Cow<'_, str>], values: Vec<Value>) -> Vec<KeyPart> {
    texts
        .iter()
        .zip(values)
        .map(|(t, v)| match v {
            Value::Str(s) if s == *t => (Name::from(s), None),
            v => (Name::from(t.as_ref()), Some(v)),
        })
        .collect()
}

/// A key part's place in the order of rows, as [`SortKey::of`] its value.
fn part_sort_key((text, kept): &KeyPart) -> SortKey<'_> {
    match kept {
        Some(v) => SortKey::of(v),
        None => SortKey::of_text(text),
    }
}

#[derive(Debug)]
struct Stats {
    aggs: Vec<AggSpec>,
    by: Vec<FieldRef>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let Args::Stats(s) = &l.cmd.args else {
        return Err(l.error(
            l.cmd.span,
            "tripline::plan::stats",
            "`stats` needs aggregations",
        ));
    };
    if s.aggs.is_empty() {
        return Err(l
            .error(
                l.cmd.args_span,
                "tripline::stats::no_aggregation",
                "`stats` needs at least one aggregation",
            )
            .help("for example `stats count by user`"));
    }
    for (k, _, span) in &s.options {
        if !["allnum", "delim", "partitions", "dedup_splitvals"]
            .contains(&k.to_ascii_lowercase().as_str())
        {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::plan::unknown_option",
                format!("`stats` does not support the option `{k}` yet"),
            )
            .at(*span));
        }
    }
    let aggs = lower_aggs(l, &s.aggs, true)?;
    // Splunk rejects an aggregation whose output is named like a BY field ("Error in 'stats'
    // command: The output field 'count' cannot have the same name as a group-by field", for
    // `stats count by count`); a wildcard output (`values(*) as * by g`) is allowed, and the BY
    // field keeps its value.
    for (spec, agg) in aggs.iter().zip(&s.aggs) {
        if !matches!(spec.input, Input::Wild(_)) && s.by.iter().any(|(n, _)| *n == spec.out) {
            return Err(l
                .error(
                    agg.span,
                    "tripline::stats::output_is_by_field",
                    format!(
                        "the output field `{}` cannot have the same name as a BY field",
                        spec.out
                    ),
                )
                .help(format!(
                    "name the aggregation with `as`, for example `{} as n`",
                    spec.text
                )));
        }
    }
    Ok(Box::new(Stats {
        aggs,
        by: s.by.iter().map(|(n, _)| FieldRef::new(n)).collect(),
    }))
}

/// Describe aggregations for `explain`.
pub(crate) fn describe_aggs(aggs: &[AggSpec], by: &[FieldRef]) -> String {
    let parts: Vec<String> = aggs
        .iter()
        .map(|a| {
            let call = match &a.input {
                Input::Eval(e) => format!(
                    "{}(eval({}))",
                    a.text.split('(').next().unwrap_or_default(),
                    show(e)
                ),
                _ => a.text.clone(),
            };
            if call == a.out {
                call
            } else {
                format!("{call} as {}", a.out)
            }
        })
        .collect();
    let mut s = parts.join(", ");
    if !by.is_empty() {
        s.push_str(" by ");
        s.push_str(&by.iter().map(FieldRef::name).collect::<Vec<_>>().join(", "));
    }
    s
}

impl Step for Stats {
    fn describe(&self) -> String {
        format!("stats {}", describe_aggs(&self.aggs, &self.by))
    }
    fn outputs(&self, _input: crate::plan::Fields) -> crate::plan::Fields {
        let names = self
            .by
            .iter()
            .map(|f| f.name().to_string())
            .chain(
                self.aggs
                    .iter()
                    .filter(|a| !matches!(a.input, Input::Wild(_)))
                    .map(|a| a.out.clone()),
            )
            .collect();
        if self.aggs.iter().any(|a| matches!(a.input, Input::Wild(_))) {
            // Which fields a wildcard matches is known only from the data.
            crate::plan::Fields::Open(names)
        } else {
            crate::plan::Fields::Known(names)
        }
    }
    fn reads(&self) -> crate::plan::Reads {
        let mut names: Vec<String> = self.by.iter().map(|f| f.name().to_string()).collect();
        // earliest/latest/first/last order by `_time`
        names.push("_time".to_string());
        for a in &self.aggs {
            match &a.input {
                Input::Records => {}
                Input::Field(f) => names.push(f.name().to_string()),
                Input::Eval(e) => e.fields(&mut names),
                // Which fields a wildcard matches depends on the events: parse them whole.
                Input::Wild(_) => return crate::plan::Reads::All,
            }
        }
        crate::plan::Reads::Consumes(names)
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(StatsOp {
            spec: self,
            groups: GroupMap::default(),
            inputs: Vec::new(),
        }))
    }
}

struct Group {
    key: Vec<KeyPart>,
    states: Vec<State>,
    /// For each wildcard aggregation (by index), its state per matched field, with what the
    /// `*`s matched.
    wild: BTreeMap<usize, BTreeMap<String, (Vec<String>, State)>>,
}

impl Stats {
    fn new_group(&self, key: Vec<KeyPart>) -> Group {
        Group {
            key,
            states: self.aggs.iter().map(|a| State::new(a.func)).collect(),
            wild: BTreeMap::new(),
        }
    }

    fn has_wild(&self) -> bool {
        self.aggs.iter().any(|a| matches!(a.input, Input::Wild(_)))
    }

    /// Some aggregation orders its values by `_time` (`earliest`, `latest` and their `_time`
    /// forms); the others never read it.
    fn timed(&self) -> bool {
        self.aggs.iter().any(|a| {
            matches!(
                a.func,
                Func::Earliest | Func::Latest | Func::EarliestTime | Func::LatestTime
            )
        })
    }
}

/// Put what each `*` matched into a wildcard output name, left to right.
fn fill_stars(pattern: &str, caps: &[String]) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut caps = caps.iter();
    for (i, part) in pattern.split('*').enumerate() {
        if i > 0 {
            out.push_str(caps.next().map_or("", String::as_str));
        }
        out.push_str(part);
    }
    out
}

/// Groups by the text of their key. foldhash: fast on short keys, and seeded per process, so
/// that crafted events cannot force collisions; the output order comes from sorting, not from
/// the map. A hash table with the hash in our hands, so that a group is found from texts
/// borrowed from the record (no owned key built for a group that exists).
#[derive(Default)]
struct GroupMap {
    table: hashbrown::HashTable<Group>,
    hasher: foldhash::fast::RandomState,
}

/// The hash of a group key's texts (borrowed from a record, or a group's [`KeyPart`]s): their
/// number, then each text.
fn key_hash<'k>(
    hasher: &foldhash::fast::RandomState,
    texts: impl ExactSizeIterator<Item = &'k str>,
) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = hasher.build_hasher();
    h.write_usize(texts.len());
    texts.for_each(|t| t.hash(&mut h));
    h.finish()
}

struct StatsOp<'a> {
    spec: &'a Stats,
    groups: GroupMap,
    /// The aggregations' inputs of the record being added (kept to reuse its room).
    inputs: Vec<Value>,
}

/// What a record adds to its groups, worked out once for all of them.
struct Added<'b> {
    rec: &'b Record,
    inputs: &'b [Value],
    time: Option<f64>,
    visible: &'b crate::record::FieldMap,
}

impl StatsOp<'_> {
    /// Add a record to the group with these key texts (`key`: the group's key values when
    /// already worked out), creating the group when it is new.
    fn add(
        &mut self,
        texts: &[Cow<'_, str>],
        key: Option<Vec<Value>>,
        added: &Added<'_>,
        ctx: &ExecCtx,
    ) -> Result<(), Diag> {
        let Added {
            rec,
            inputs,
            time,
            visible,
        } = *added;
        let hash = key_hash(&self.groups.hasher, texts.iter().map(|t| &**t));
        let group = match self
            .groups
            .table
            .find_entry(hash, |g| same_key(texts, &g.key))
        {
            Ok(found) => found.into_mut(),
            Err(absent) => {
                ctx.hold(
                    texts.iter().map(|t| t.len() + 24).sum::<usize>()
                        + 64 * self.spec.aggs.len()
                        + 64,
                )?;
                let key = key.unwrap_or_else(|| {
                    group_keys(&self.spec.by, rec)
                        .into_iter()
                        .next()
                        .unwrap_or_default()
                });
                let hasher = &self.groups.hasher;
                let rehash = |g: &Group| key_hash(hasher, g.key.iter().map(|(t, _)| t.as_str()));
                let group = self.spec.new_group(key_parts(texts, key));
                absent
                    .into_table()
                    .insert_unique(hash, group, rehash)
                    .into_mut()
            }
        };
        for (i, spec) in self.spec.aggs.iter().enumerate() {
            let Input::Wild(pattern) = &spec.input else {
                continue;
            };
            for (name, v) in visible {
                if (name.starts_with('_') && !pattern.starts_with('_'))
                    || self.spec.by.iter().any(|b| b.name() == name)
                {
                    continue;
                }
                let Some(caps) = crate::value::wildcard_captures(pattern, name) else {
                    continue;
                };
                let slot = group.wild.entry(i).or_default();
                if !slot.contains_key(name.as_str()) {
                    ctx.hold(name.len() + 64)?;
                }
                let (_, state) = slot
                    .entry(name.to_string())
                    .or_insert_with(|| (caps, State::new(spec.func)));
                if spec.func.collects() {
                    ctx.hold(crate::record::value_size(v))?;
                }
                state.add(spec.func, v, false, time);
            }
        }
        for ((state, spec), input) in group.states.iter_mut().zip(&self.spec.aggs).zip(inputs) {
            if spec.func.collects() {
                // Value-collecting aggregations grow with their input.
                ctx.hold(crate::record::value_size(input))?;
            }
            state.add(spec.func, input, matches!(spec.input, Input::Records), time);
        }
        Ok(())
    }
}

impl Operator for StatsOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let time_ref = FieldRef::new("_time");
        let timed = self.spec.timed();
        let mut inputs = std::mem::take(&mut self.inputs);
        for rec in &batch {
            // The usual record has one value per BY field: its key texts are borrowed from the
            // record, and an owned key is only built for a new group.
            let keys = key_texts(&self.spec.by, rec);
            if matches!(keys, KeyTexts::Skip) {
                continue;
            }
            inputs.clear();
            inputs.extend(self.spec.aggs.iter().map(|a| input_of(a, rec, ctx)));
            let time = if timed {
                rec.get(&time_ref).as_number()
            } else {
                None
            };
            // Fields the wildcard aggregations match: visible fields, internal `_` fields only
            // when the pattern itself starts with `_`, never a BY field (its value is the key).
            let visible = if self.spec.has_wild() {
                rec.visible()
            } else {
                crate::record::FieldMap::default()
            };
            let add = Added {
                rec,
                inputs: &inputs,
                time,
                visible: &visible,
            };
            match keys {
                KeyTexts::Skip => {}
                KeyTexts::One(texts) => self.add(texts.as_slice(), None, &add, ctx)?,
                KeyTexts::Many => {
                    for k in group_keys(&self.spec.by, rec) {
                        let texts: Vec<Cow<str>> = super::common::key_text(&k)
                            .into_iter()
                            .map(Cow::Owned)
                            .collect();
                        self.add(&texts, Some(k), &add, ctx)?;
                    }
                }
            }
        }
        self.inputs = inputs;
        Ok(Vec::new())
    }

    fn finish(&mut self, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let groups = self.take_groups();
        Ok(self.rows_of(groups))
    }

    fn finish_filtered(
        &mut self,
        ctx: &ExecCtx,
        filter: &crate::plan::Filter<'_>,
    ) -> Result<Option<Vec<Record>>, Diag> {
        // A wildcard aggregation's fields are named by the data: a filter's fields cannot be
        // told apart from them before the rows are made.
        if self.spec.has_wild() {
            return Ok(None);
        }
        // Each group is asked with a row of only the fields the filter reads (those of them
        // the whole row has, with the same values), on all threads; only the groups it keeps
        // are sorted and made into rows (the send/hard-delete join's subsearch keeps 1,289
        // of 49,110). The others are freed when the pool's threads have nothing else to do
        // (see [`crate::exec::free_later`]).
        // Each task reuses one probe record, emptied for each group.
        let groups = self.take_groups();
        let eval = &ctx.eval;
        let (kept, dropped): (Vec<Group>, Vec<Group>) = groups
            .into_par_iter()
            .with_min_len(ROWS_PER_TASK)
            .map_init(
                || Record::from_row(crate::record::FieldMap::default()),
                |probe, g| {
                    self.fields_into(&g, &filter.reads, &mut probe.fields);
                    (filter.step.apply(probe, eval), g)
                },
            )
            .partition_map(|(keep, g)| {
                if keep {
                    rayon::iter::Either::Left(g)
                } else {
                    rayon::iter::Either::Right(g)
                }
            });
        crate::exec::free_later(dropped);
        Ok(Some(self.rows_of(kept)))
    }
}

/// Fewest groups whose rows are made as one task of the thread pool.
const ROWS_PER_TASK: usize = 256;

impl StatsOp<'_> {
    /// The groups, taken out of the operator (one empty group when there is no BY field and
    /// there was no record: `stats count` over nothing is one row).
    fn take_groups(&mut self) -> Vec<Group> {
        if self.spec.by.is_empty() && self.groups.table.is_empty() {
            let hash = key_hash(&self.groups.hasher, std::iter::empty());
            self.groups
                .table
                .insert_unique(hash, self.spec.new_group(Vec::new()), |_| hash);
        }
        std::mem::take(&mut self.groups.table).into_iter().collect()
    }

    /// The rows of `groups`, sorted by their BY values.
    fn rows_of(&self, groups: Vec<Group>) -> Vec<Record> {
        // Each key's sort key is worked out once, borrowing the key's text. Keys that compare
        // equal but are different groups (`1` and `1.0`) are ordered by their text, so that
        // the order never depends on the map's.
        let order: Vec<usize> = {
            let mut keys: Vec<(Vec<SortKey<'_>>, &[KeyPart], usize)> = groups
                .iter()
                .enumerate()
                .map(|(i, g)| (g.key.iter().map(part_sort_key).collect(), &g.key[..], i))
                .collect();
            // A total order (no two groups have the same texts): the parallel sort gives what
            // a serial one gives.
            keys.par_sort_by(|(a, ta, _), (b, tb, _)| {
                a.cmp(b)
                    .then_with(|| ta.iter().map(|(t, _)| t).cmp(tb.iter().map(|(t, _)| t)))
            });
            keys.into_iter().map(|(_, _, i)| i).collect()
        };
        let mut groups: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
        let ordered: Vec<Group> = order
            .into_iter()
            .filter_map(|i| groups.get_mut(i).and_then(Option::take))
            .collect();
        // Each group's row is made on its own (on all threads; rows stay in order).
        ordered
            .into_par_iter()
            .with_min_len(ROWS_PER_TASK)
            .map(|g| self.row(g))
            .collect()
    }

    /// The fields of a group's row named in `names` (a BY field or an aggregation's output),
    /// with the values [`StatsOp::row`] gives them (inserted in the same order, so that of two
    /// aggregations of one output name the same one wins), into `row`, emptied first; not for
    /// wildcard aggregations.
    fn fields_into(&self, g: &Group, names: &[String], row: &mut crate::record::FieldMap) {
        row.clear();
        let named = |name: &str| names.iter().any(|n| n == name);
        for (f, (text, kept)) in self.spec.by.iter().zip(&g.key) {
            if named(f.name()) {
                row.insert(f.name().into(), kept_value(text, kept));
            }
        }
        for (spec, state) in self.spec.aggs.iter().zip(&g.states) {
            if named(&spec.out) {
                row.insert(spec.out.as_str().into(), state.result(spec.func));
            }
        }
    }

    /// The result row of a group: its BY fields, then one field per aggregation.
    fn row(&self, g: Group) -> Record {
        // Room for every field at once (the wildcard aggregations' fields aside).
        let mut row = crate::record::FieldMap::with_capacity_and_hasher(
            self.spec.by.len() + self.spec.aggs.len(),
            Default::default(),
        );
        for (f, part) in self.spec.by.iter().zip(g.key) {
            row.insert(f.name().into(), own_value(part));
        }
        for (i, (spec, state)) in self.spec.aggs.iter().zip(g.states).enumerate() {
            if !matches!(spec.input, Input::Wild(_)) {
                row.insert(spec.out.as_str().into(), state.into_result(spec.func));
                continue;
            }
            // One field per matched name, in name order; a BY field or a named aggregation
            // of the same name keeps its own value.
            for (caps, st) in g.wild.get(&i).into_iter().flat_map(BTreeMap::values) {
                let name = fill_stars(&spec.out, caps);
                let named = self.spec.by.iter().any(|b| b.name() == name)
                    || self
                        .spec
                        .aggs
                        .iter()
                        .any(|a| !matches!(a.input, Input::Wild(_)) && a.out == name);
                if !named && !row.contains_key(name.as_str()) {
                    row.insert(name.into(), st.result(spec.func));
                }
            }
        }
        Record::from_row(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys worked out by hand: one value each gives one key; a multivalue BY field gives a
    /// key per value, combined with every value of the fields after it (the last varying
    /// fastest); a null or empty BY field gives none.
    #[test]
    fn group_keys_combine_every_value() {
        let by: Vec<FieldRef> = ["a", "b", "c"].iter().map(|n| FieldRef::new(n)).collect();
        let s = |t: &str| Value::str(t);
        let multi = |ts: &[&str]| Value::Multi(ts.iter().map(|t| s(t)).collect());
        let rec = |a: Value, b: Value, c: Value| {
            let mut r = Record::from_row(crate::record::FieldMap::default());
            r.set("a", a);
            r.set("b", b);
            r.set("c", c);
            r
        };
        assert_eq!(
            group_keys(&by, &rec(s("x"), Value::Num(2.0), s("z"))),
            [vec![s("x"), Value::Num(2.0), s("z")]]
        );
        assert_eq!(
            group_keys(
                &by,
                &rec(s("x"), multi(&["b1", "b2"]), multi(&["c1", "c2"]))
            ),
            [
                vec![s("x"), s("b1"), s("c1")],
                vec![s("x"), s("b1"), s("c2")],
                vec![s("x"), s("b2"), s("c1")],
                vec![s("x"), s("b2"), s("c2")],
            ]
        );
        assert_eq!(
            group_keys(&by, &rec(multi(&["a1", "a2"]), s("y"), s("z"))),
            [vec![s("a1"), s("y"), s("z")], vec![s("a2"), s("y"), s("z")]]
        );
        assert!(group_keys(&by, &rec(s("x"), Value::Null, s("z"))).is_empty());
        assert!(group_keys(&by, &rec(multi(&["a1"]), s("y"), Value::Null)).is_empty());
        assert!(group_keys(&by, &rec(s("x"), s("y"), multi(&[]))).is_empty());
    }

    /// `values` and `dc` give the same answer in each of the set's forms (one text in place,
    /// a sorted vector, a B-tree): texts in byte order, the first value of a text kept.
    #[test]
    fn text_set_is_ordered_and_distinct_across_its_two_forms() {
        for n in [
            1usize,
            5,
            TextSet::<()>::SMALL,
            TextSet::<()>::SMALL + 1,
            100,
        ] {
            let mut values = State::new(Func::Values);
            let mut dc = State::new(Func::Dc);
            // n distinct texts, each added twice, in an order that is not sorted; numbers and
            // strings mixed ("10" sorts before "9").
            for round in 0..2 {
                for i in (0..n).rev() {
                    let v = if i.is_multiple_of(2) {
                        Value::Num(i as f64)
                    } else {
                        Value::Str(format!("{i}"))
                    };
                    let v = if round == 1 && i.is_multiple_of(2) {
                        // same text, other type: the first value stays
                        Value::Str(format!("{i}"))
                    } else {
                        v
                    };
                    values.add(Func::Values, &v, false, None);
                    dc.add(Func::Dc, &v, false, None);
                }
            }
            let mut want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            want.sort();
            let got = values.result(Func::Values);
            let got_vals: Vec<Value> = got.values().to_vec();
            let texts: Vec<String> = got_vals.iter().filter_map(Value::to_text).collect();
            assert_eq!(texts, want, "n = {n}");
            for v in &got_vals {
                let i: usize = v.to_text().unwrap().parse().unwrap();
                assert_eq!(
                    matches!(v, Value::Num(_)),
                    i.is_multiple_of(2),
                    "n = {n}: {v:?}"
                );
            }
            assert_eq!(dc.result(Func::Dc), Value::Num(n as f64), "n = {n}");
            // `finish` moves the values out instead of copying them: the same answer.
            assert_eq!(values.into_result(Func::Values), got, "n = {n}");
            assert_eq!(dc.into_result(Func::Dc), Value::Num(n as f64), "n = {n}");
        }
    }

    /// A set holds its first text in place, then a list whose room doubles from two entries
    /// (2, 4, 8 …): most groups see one value, and room for four per `values` was most of a
    /// stats' memory. A text seen again changes nothing.
    #[test]
    fn text_set_holds_one_text_in_place_then_doubles_its_room() {
        let mut set: TextSet<()> = TextSet::default();
        assert!(matches!(set, TextSet::Empty));
        set.insert(Cow::Borrowed("t1"), || ());
        set.insert(Cow::Borrowed("t1"), || ());
        assert!(matches!(&set, TextSet::One(t, ()) if t == "t1"));
        let mut room = Vec::new();
        for t in ["t0", "t3", "t1", "t2", "t4"] {
            set.insert(Cow::Borrowed(t), || ());
            let TextSet::Small(v) = &set else {
                panic!("two to five texts are a small set")
            };
            room.push(v.capacity());
        }
        assert_eq!(room, [2, 4, 4, 4, 8]);
        let texts: Vec<&str> = set.entries().map(|(t, _)| t).collect();
        assert_eq!(texts, ["t0", "t1", "t2", "t3", "t4"]);
    }

    /// Texts held inline (up to 24 bytes) and on the heap (longer) give the same `values`
    /// and `dc`, copied (`result`) or moved (`into_result`), and the same key parts: worked
    /// by hand, with texts of 23, 24, 25 and 60 bytes that differ only in their last byte.
    #[test]
    fn short_and_long_texts_agree() {
        let text = |n: usize, last: char| format!("{}{last}", "x".repeat(n - 1));
        let texts: Vec<String> = [23, 24, 25, 60]
            .iter()
            .flat_map(|&n| [text(n, 'b'), text(n, 'a')])
            .collect();
        let (mut values, mut dc) = (State::new(Func::Values), State::new(Func::Dc));
        for t in texts.iter().chain(&texts) {
            values.add(Func::Values, &Value::str(t), false, None);
            dc.add(Func::Dc, &Value::str(t), false, None);
        }
        // Eight distinct texts, in byte order: the shorter run of `x`s first (its `a` or `b`
        // comes before the longer one's `x`), `a` before `b` within a length.
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(sorted.len(), 8);
        let want = Value::Multi(sorted.iter().map(Value::str).collect());
        assert_eq!(values.result(Func::Values), want);
        assert_eq!(values.into_result(Func::Values), want);
        assert_eq!(dc.result(Func::Dc), Value::Num(8.0));
        let cows: Vec<Cow<'_, str>> = texts.iter().map(|t| Cow::Borrowed(t.as_str())).collect();
        let vals: Vec<Value> = texts.iter().map(Value::str).collect();
        let parts = key_parts(&cows, vals);
        assert!(same_key(&cows, &parts));
        let back: Vec<Value> = parts.into_iter().map(own_value).collect();
        assert_eq!(back, texts.iter().map(Value::str).collect::<Vec<_>>());
    }

    /// A `list` keeps every value in arrival order, whether its result is copied (`result`)
    /// or moved (`into_result`, at the end of `stats`): worked by hand.
    #[test]
    fn list_results_copied_and_moved_agree() {
        let mut list = State::new(Func::List);
        for v in [Value::str("b"), Value::Num(1.0), Value::str("b")] {
            list.add(Func::List, &v, false, None);
        }
        let want = Value::Multi(vec![Value::str("b"), Value::Num(1.0), Value::str("b")]);
        assert_eq!(list.result(Func::List), want);
        assert_eq!(list.into_result(Func::List), want);
    }
}
