//! `transaction [f1 f2 …] [maxspan=…] [maxpause=…] [maxevents=N] [startswith=…] [endswith=…]
//! [connected=bool] [keeporphans=bool] [keepevicted=bool]`: group related events into one
//! result each.
//!
//! `… | transaction Task_Name startswith=(EventCode=4698) endswith=(EventCode=4699) | where duration<30`
//!
//! Documented behaviour (Splunk Search Reference, *transaction*, and `transactiontypes.conf`):
//! a transaction holds the `_raw` of every member, the `_time` of the earliest member and the
//! union of the members' other fields (`mvlist=false`: each field's distinct values, ordered
//! lexicographically), plus `duration` (latest − earliest member time, seconds) and
//! `eventcount`. Events are grouped by the values of the listed fields; with several fields
//! an event joins a transaction when the fields both have agree and at least one does
//! (transitively: `host=a`, then `host=a cookie=b`, then `cookie=b` form one transaction);
//! `connected=false` also lets an event join when no field it has is set in the transaction
//! yet (connected=true, the default, opens a new one). `maxspan` (members span *less than*
//! it), `maxpause` (no gap longer than it), `maxevents` (default 1000) take `<int>[s|m|h|d]`,
//! negative = no limit. `startswith`/`endswith` take `"search terms"`, `(search terms)` or
//! `eval(expression)`. Splunk reads the events newest first, so a transaction is opened by its
//! newest event and closed when it reaches its start: tripline sorts the results by `_time`,
//! newest first (stable), and does the same. `closed_txn` is 1 for a transaction closed by
//! `maxevents`, `maxpause`, `maxspan` or `startswith`, 0 otherwise; it is output with
//! `keepevicted=true`. With `keeporphans=true` results that are in no output transaction come
//! out on their own with `_txn_orphan=1`.
//!
//! **Choices** where the documentation is silent: a result without any of the listed fields
//! is in no transaction; with `endswith`, only a result matching it can open a transaction
//! (the newest event of a transaction is its end), and such a result always opens a new one;
//! with `startswith`, a transaction still open at the end of the input never saw its first
//! event: it is evicted (dropped, or output with `closed_txn=0` under `keepevicted=true`) and
//! its members count as orphans; without `startswith` open transactions are output at the end.
//! An event joins the matching open transaction it most recently extended. Field values
//! compare as text; a multivalue field compares as its whole set of values. Members' `_raw` are
//! joined with newlines, oldest first; metadata (`source`, `sourcetype`, `host`, `index`) stays
//! metadata when the members agree and becomes a visible multivalue field when they differ.
//! Output comes newest first by `_time` (ties: transactions in the order they were opened,
//! then orphans). A result without `_time` is an error. Without a field list all results form
//! one stream, cut by the other options. Not supported: `name=` (transactiontypes.conf),
//! `mvlist=true`, `delim`, `nullstr`, `mvraw`, `unifyends` are reported as unsupported;
//! `maxopentxn`/`maxopenevents` are accepted and ignored (memory is bounded by `--max-memory`,
//! not by evicting transactions, so nothing is ever evicted for lack of room).

use super::args::{split, tokens};
use super::common::parse_bool;
use crate::diag::{Diag, Kind, Span};
use crate::event::{Event, Meta};
use crate::exec::{ExecCtx, run_subsearch};
use crate::plan::expr::{CExpr, compile as compile_expr, show};
use crate::plan::search::{Pred, compile as compile_search};
use crate::plan::{Fields, Lower, Operator, Plan, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{Tok, TokKind};
use crate::syntax::{parse_expr, parse_search};
use crate::value::{Value, format_number};
use indexmap::IndexMap;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Splunk's default `maxevents` (`transactiontypes.conf`: "Default: maxevents=1000").
const DEFAULT_MAXEVENTS: i64 = 1000;

/// A `startswith`/`endswith` condition.
#[derive(Debug)]
enum Filter {
    Search(Pred),
    Eval(CExpr),
}

impl Filter {
    fn show(&self) -> String {
        match self {
            Filter::Search(p) => format!("({})", p.show()),
            Filter::Eval(e) => format!("eval({})", show(e)),
        }
    }
}

#[derive(Debug)]
struct Transaction {
    fields: Vec<FieldRef>,
    maxspan: Option<f64>,
    maxpause: Option<f64>,
    maxevents: Option<usize>,
    startswith: Option<Filter>,
    endswith: Option<Filter>,
    connected: bool,
    keeporphans: bool,
    keepevicted: bool,
    /// The command name, for runtime errors.
    span: Span,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks = tokens(l);
    // `startswith=(…)` and `startswith=eval(…)` arrive as several tokens; take them out first.
    let mut startswith = None;
    let mut endswith = None;
    let mut plain: Vec<Tok> = Vec::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        let (key, value_at) = match &t.kind {
            TokKind::Word(w) if matches!(toks.get(i + 1).map(|t| &t.kind), Some(TokKind::Op(op)) if op == "=") => {
                (Some(w.to_ascii_lowercase()), i + 2)
            }
            TokKind::Kv { key, op, .. } if op == "=" => (Some(key.to_ascii_lowercase()), i + 1),
            _ => (None, i + 1),
        };
        let Some(key) = key.filter(|k| k == "startswith" || k == "endswith") else {
            if matches!(&t.kind, TokKind::Word(_))
                && matches!(toks.get(i + 1).map(|t| &t.kind), Some(TokKind::Op(_)))
            {
                let at = toks.get(i + 1).map_or(t.span, |o| o.span);
                return Err(l
                    .error(
                        t.span.to(at),
                        "tripline::transaction::syntax",
                        "expected `option=value` or a field name",
                    )
                    .help("options are written without spaces around `=`, e.g. `maxspan=5m`"));
            }
            plain.push(t.clone());
            i += 1;
            continue;
        };
        let (filter, next) = filter_at(l, toks, i, value_at)?;
        if key == "startswith" {
            startswith = Some(filter);
        } else {
            endswith = Some(filter);
        }
        i = next;
    }
    let s = split(&plain);
    for (k, _, span) in &s.options {
        if matches!(
            k.as_str(),
            "name" | "mvlist" | "delim" | "nullstr" | "mvraw" | "unifyends"
        ) {
            if k == "mvlist"
                && s.get("mvlist").is_some_and(|(v, _)| {
                    matches!(v.to_ascii_lowercase().as_str(), "f" | "false" | "0")
                })
            {
                continue;
            }
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::transaction::option",
                format!("`transaction {k}=…` is not supported yet"),
            )
            .at(*span)
            .help(
                "tripline renders merged fields as sorted sets of distinct values (mvlist=false)",
            ));
        }
    }
    s.reject_unknown(
        l,
        &[
            "maxspan",
            "maxpause",
            "maxevents",
            "connected",
            "keeporphans",
            "keepevicted",
            "mvlist",
            "maxopentxn",
            "maxopenevents",
        ],
    )?;
    let maxspan = duration_opt(l, s.get("maxspan"))?;
    let maxpause = duration_opt(l, s.get("maxpause"))?;
    let maxevents = match s.get("maxevents") {
        None => Some(DEFAULT_MAXEVENTS),
        Some((t, span)) => match t.parse::<i64>() {
            Ok(0) | Err(_) => {
                return Err(l
                    .error(
                        span,
                        "tripline::transaction::maxevents",
                        format!("expected a non-zero whole number, found `{t}`"),
                    )
                    .help("`maxevents` is the most events in one transaction (default 1000; negative = no limit)"));
            }
            Ok(n) if n < 0 => None,
            Ok(n) => Some(n),
        },
    }
    .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    for key in ["maxopentxn", "maxopenevents"] {
        if let Some((t, span)) = s.get(key)
            && t.parse::<i64>().is_err()
        {
            return Err(l.error(
                span,
                "tripline::plan::bad_number",
                format!("expected a whole number, found `{t}`"),
            ));
        }
    }
    let mut fields = Vec::new();
    for t in &s.rest {
        match &t.kind {
            TokKind::Comma => {}
            TokKind::Word(_) | TokKind::Str(_) => {
                fields.push(FieldRef::new(&t.text().unwrap_or_default()));
            }
            _ => {
                return Err(l
                    .error(
                        t.span,
                        "tripline::transaction::syntax",
                        "expected field names and `option=value` settings",
                    )
                    .help(
                        "for example `transaction user maxspan=5m startswith=(EventCode=4720)`",
                    ));
            }
        }
    }
    Ok(Box::new(Transaction {
        fields,
        maxspan,
        maxpause,
        maxevents,
        startswith,
        endswith,
        connected: parse_bool(l, s.get("connected"), true)?,
        keeporphans: parse_bool(l, s.get("keeporphans"), false)?,
        keepevicted: parse_bool(l, s.get("keepevicted"), false)?,
        span: l.cmd.name_span,
    }))
}

/// The condition of `startswith`/`endswith` whose `key=` token is at `at` and whose value
/// starts at token `value_at`; returns it and the index after it.
fn filter_at(l: &Lower, toks: &[Tok], at: usize, value_at: usize) -> Result<(Filter, usize), Diag> {
    let key_tok = toks.get(at);
    let key_span = key_tok.map_or(l.cmd.span, |t| t.span);
    let bad = |span: Span| {
        l.error(
            span,
            "tripline::transaction::filter",
            "expected `\"search terms\"`, `(search terms)` or `eval(expression)`",
        )
        .help("for example `startswith=(EventCode=4720)` or `endswith=eval(status>=400)`")
    };
    // The value of a `key=value` token, or the token after `key =`.
    let (value, paren_at) = match key_tok.map(|t| &t.kind) {
        Some(TokKind::Kv { value, .. }) => (Some(value.as_ref()), value_at),
        _ => (None, value_at),
    };
    match value.map(|v| &v.kind) {
        Some(TokKind::Str(raw)) => {
            let v = value.map_or(key_span, |v| v.span);
            let e = parse_search(raw, v.start + 1)?;
            Ok((Filter::Search(search_pred(l, e, v)?), value_at))
        }
        Some(TokKind::Word(w)) if w.eq_ignore_ascii_case("eval") => {
            let (inner, next) = parenthesised(l, toks, paren_at).ok_or_else(|| bad(key_span))?;
            let e = parse_expr(
                l.text.get(inner.start..inner.end).unwrap_or_default(),
                inner.start,
            )?;
            Ok((Filter::Eval(compile_expr(&e)?), next))
        }
        Some(TokKind::Word(w)) => {
            let v = value.map_or(key_span, |v| v.span);
            let e = parse_search(w, v.start)?;
            Ok((Filter::Search(search_pred(l, e, v)?), value_at))
        }
        Some(_) => Err(bad(value.map_or(key_span, |v| v.span))),
        None => {
            let (inner, next) = parenthesised(l, toks, paren_at).ok_or_else(|| bad(key_span))?;
            let e = parse_search(
                l.text.get(inner.start..inner.end).unwrap_or_default(),
                inner.start,
            )?;
            Ok((Filter::Search(search_pred(l, e, inner)?), next))
        }
    }
}

fn search_pred(
    l: &Lower,
    e: Option<crate::syntax::ast::SearchExpr>,
    span: Span,
) -> Result<Pred, Diag> {
    match e {
        Some(e) => compile_search(&e, &mut |q| l.sub(q)),
        None => Err(l
            .error(
                span,
                "tripline::transaction::filter",
                "the condition is empty",
            )
            .help("for example `startswith=(EventCode=4720)`")),
    }
}

/// `( … )` starting at token `at`: the span inside the parentheses and the index after `)`.
fn parenthesised(l: &Lower, toks: &[Tok], at: usize) -> Option<(Span, usize)> {
    let open = toks.get(at).filter(|t| matches!(t.kind, TokKind::LParen))?;
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(at) {
        match t.kind {
            TokKind::LParen => depth += 1,
            TokKind::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let inner = Span::new(open.span.end, t.span.start);
                    return l.text.get(inner.start..inner.end).map(|_| (inner, j + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// `<int>[s|m|h|d]` in seconds; negative = no limit (`None`).
fn duration_opt(l: &Lower, v: Option<(String, Span)>) -> Result<Option<f64>, Diag> {
    let Some((t, span)) = v else {
        return Ok(None);
    };
    let lower = t.to_ascii_lowercase();
    let digits_end = lower
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(lower.len(), |(i, _)| i);
    let (num, unit) = lower.split_at(digits_end);
    let factor = match unit {
        "" | "s" => Some(1.0),
        "m" => Some(60.0),
        "h" => Some(3600.0),
        "d" => Some(86_400.0),
        _ => None,
    };
    match (num.parse::<i64>(), factor) {
        (Ok(n), _) if n < 0 => Ok(None),
        (Ok(n), Some(f)) => Ok(Some(n as f64 * f)),
        _ => Err(l
            .error(
                span,
                "tripline::transaction::duration",
                format!("expected a duration such as `5m`, found `{t}`"),
            )
            .help("write a whole number with an optional unit s, m, h or d (`-1` = no limit)")),
    }
}

impl Step for Transaction {
    fn describe(&self) -> String {
        let mut s = String::from("transaction");
        for f in &self.fields {
            s.push(' ');
            s.push_str(f.name());
        }
        if let Some(v) = self.maxspan {
            s.push_str(&format!(" maxspan={}s", format_number(v)));
        }
        if let Some(v) = self.maxpause {
            s.push_str(&format!(" maxpause={}s", format_number(v)));
        }
        match self.maxevents {
            Some(n) => s.push_str(&format!(" maxevents={n}")),
            None => s.push_str(" maxevents=-1"),
        }
        if let Some(f) = &self.startswith {
            s.push_str(&format!(" startswith={}", f.show()));
        }
        if let Some(f) = &self.endswith {
            s.push_str(&format!(" endswith={}", f.show()));
        }
        s.push_str(&format!(
            " connected={} keeporphans={} keepevicted={}",
            self.connected, self.keeporphans, self.keepevicted
        ));
        s
    }
    fn subplans(&self) -> Vec<&Plan> {
        [&self.startswith, &self.endswith]
            .into_iter()
            .flatten()
            .flat_map(|f| match f {
                Filter::Search(p) => p.subplans(),
                Filter::Eval(_) => Vec::new(),
            })
            .collect()
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        input.add("duration");
        input.add("eventcount");
        if self.keepevicted {
            input.add("closed_txn");
        }
        if self.keeporphans {
            input.add("_txn_orphan");
        }
        input
    }
    fn start(&self, ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        let resolve = |f: &Option<Filter>| -> Result<Option<Pred>, Diag> {
            match f {
                Some(Filter::Search(p)) => p.resolve(&mut |plan| run_subsearch(plan, ctx)),
                _ => Ok(None),
            }
        };
        Ok(Box::new(TransactionOp {
            spec: self,
            start_resolved: resolve(&self.startswith)?,
            end_resolved: resolve(&self.endswith)?,
            held: Vec::new(),
            bytes: 0,
        }))
    }
}

struct TransactionOp<'a> {
    spec: &'a Transaction,
    start_resolved: Option<Pred>,
    end_resolved: Option<Pred>,
    held: Vec<Record>,
    bytes: usize,
}

/// An open transaction.
struct Open {
    /// Indices into the sorted records, newest first.
    members: Vec<usize>,
    /// The value of each listed field, once a member had it.
    keys: Vec<Option<String>>,
    /// Times of the newest and the oldest member.
    latest: f64,
    earliest: f64,
    /// When it was opened, and when it last gained a member (for choosing among candidates).
    opened: usize,
    touched: usize,
}

/// A finished transaction.
struct Done {
    members: Vec<usize>,
    closed: bool,
    opened: usize,
}

impl TransactionOp<'_> {
    fn test(
        &self,
        f: &Option<Filter>,
        resolved: &Option<Pred>,
        rec: &Record,
        ctx: &ExecCtx,
    ) -> bool {
        match f {
            None => false,
            Some(Filter::Eval(e)) => e.eval(rec, &ctx.eval).is_true(),
            Some(Filter::Search(p)) => resolved.as_ref().unwrap_or(p).matches(rec, &ctx.eval),
        }
    }

    /// Can the open transaction `t` take an event at `time` (older than its members) without
    /// breaking `maxspan`, `maxpause` or `maxevents`?
    fn fits(&self, t: &Open, time: f64) -> bool {
        let s = self.spec;
        !(s.maxspan.is_some_and(|m| t.latest - time >= m)
            || s.maxpause.is_some_and(|m| t.earliest - time > m)
            || s.maxevents.is_some_and(|m| t.members.len() >= m))
    }
}

/// How an event's field values relate to a transaction's.
fn relation(keys: &[Option<String>], ev: &[Option<String>]) -> (bool, bool) {
    let mut inconsistent = false;
    let mut shared = false;
    for (k, e) in keys.iter().zip(ev) {
        if let (Some(k), Some(e)) = (k, e) {
            if k == e {
                shared = true;
            } else {
                inconsistent = true;
            }
        }
    }
    (inconsistent, shared)
}

impl Operator for TransactionOp<'_> {
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
        let held = std::mem::take(&mut self.held);
        let out = self.group(held, ctx);
        ctx.release(self.bytes);
        self.bytes = 0;
        out
    }
}

impl TransactionOp<'_> {
    fn group(&self, held: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let spec = self.spec;
        let time_ref = FieldRef::new("_time");
        // Newest first, stable: the order Splunk feeds `transaction`.
        let mut recs: Vec<(f64, Record)> = Vec::with_capacity(held.len());
        for rec in held {
            let Some(t) = rec.get(&time_ref).as_number() else {
                return Err(Diag::error(
                    Kind::Runtime,
                    "tripline::transaction::no_time",
                    "`transaction` needs `_time` on every result, and a result has none",
                )
                .at(spec.span)
                .help("transaction orders events by time; keep `_time` (e.g. `stats … by _time`) or set it with `eval _time=…`"));
            };
            recs.push((t, rec));
        }
        recs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));

        let nf = spec.fields.len();
        let mut open: Vec<Option<Open>> = Vec::new();
        let mut index: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        let mut done: Vec<Done> = Vec::new();
        let mut orphans: Vec<usize> = Vec::new();
        let mut clock = 0usize;

        for (i, (time, rec)) in recs.iter().enumerate() {
            clock += 1;
            let ev: Vec<Option<String>> = spec
                .fields
                .iter()
                .map(|f| {
                    let v = rec.get(f);
                    v.to_text().filter(|_| !v.is_null())
                })
                .collect();
            if nf > 0 && ev.iter().all(Option::is_none) {
                orphans.push(i);
                continue;
            }
            let is_end = self.test(&spec.endswith, &self.end_resolved, rec, ctx);
            // Candidates: open transactions this event is consistent with, most recently
            // extended first.
            let mut cands: Vec<usize> = Vec::new();
            if !is_end {
                if nf == 0 {
                    cands.extend(
                        (0..open.len()).filter(|&j| open.get(j).is_some_and(Option::is_some)),
                    );
                } else {
                    for (f, v) in ev.iter().enumerate() {
                        let Some(v) = v else { continue };
                        for &j in index.get(&(f, v.clone())).into_iter().flatten() {
                            if !cands.contains(&j)
                                && open
                                    .get(j)
                                    .and_then(Option::as_ref)
                                    .is_some_and(|t| !relation(&t.keys, &ev).0)
                            {
                                cands.push(j);
                            }
                        }
                    }
                    if cands.is_empty() && !spec.connected {
                        for (j, t) in open.iter().enumerate() {
                            if let Some(t) = t
                                && relation(&t.keys, &ev) == (false, false)
                            {
                                cands.push(j);
                            }
                        }
                    }
                }
                cands.sort_by_key(|&j| {
                    std::cmp::Reverse(
                        open.get(j)
                            .and_then(Option::as_ref)
                            .map_or(0, |t| t.touched),
                    )
                });
            }
            let mut target = None;
            for j in cands {
                let Some(t) = open.get(j).and_then(Option::as_ref) else {
                    continue;
                };
                if self.fits(t, *time) {
                    target = Some(j);
                    break;
                }
                // A limit closes it; the event looks further.
                if let Some(Some(t)) = open.get_mut(j).map(Option::take) {
                    done.push(Done {
                        members: t.members,
                        closed: true,
                        opened: t.opened,
                    });
                }
            }
            let j = match target {
                Some(j) => j,
                None if spec.endswith.is_some() && !is_end => {
                    orphans.push(i);
                    continue;
                }
                None => {
                    open.push(Some(Open {
                        members: Vec::new(),
                        keys: vec![None; nf],
                        latest: *time,
                        earliest: *time,
                        opened: clock,
                        touched: clock,
                    }));
                    open.len() - 1
                }
            };
            let Some(Some(t)) = open.get_mut(j) else {
                continue;
            };
            t.members.push(i);
            t.earliest = *time;
            t.touched = clock;
            for (f, v) in ev.iter().enumerate() {
                if let (Some(v), Some(slot)) = (v, t.keys.get_mut(f))
                    && slot.is_none()
                {
                    *slot = Some(v.clone());
                    index.entry((f, v.clone())).or_default().push(j);
                }
            }
            let full = spec.maxevents.is_some_and(|m| t.members.len() >= m);
            if (full || self.test(&spec.startswith, &self.start_resolved, rec, ctx))
                && let Some(Some(t)) = open.get_mut(j).map(Option::take)
            {
                done.push(Done {
                    members: t.members,
                    closed: true,
                    opened: t.opened,
                });
            }
        }
        // The end of the input: open transactions without a start requirement are output.
        for t in open.into_iter().flatten() {
            done.push(Done {
                members: t.members,
                closed: false,
                opened: t.opened,
            });
        }
        done.sort_by_key(|d| d.opened);

        let mut out: Vec<(f64, Record)> = Vec::new();
        for d in done {
            if spec.startswith.is_some() && !d.closed && !spec.keepevicted {
                orphans.extend(d.members);
                continue;
            }
            out.push(merge(&recs, &d, spec.keepevicted));
        }
        if spec.keeporphans {
            orphans.sort_unstable();
            for i in orphans {
                if let Some((t, rec)) = recs.get(i) {
                    let mut rec = rec.clone();
                    rec.set("_txn_orphan", Value::Num(1.0));
                    out.push((*t, rec));
                }
            }
        }
        out.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }
}

/// One result for a transaction.
fn merge(recs: &[(f64, Record)], d: &Done, keepevicted: bool) -> (f64, Record) {
    // Oldest first (members were added newest first; equal times keep input order).
    let mut members: Vec<&(f64, Record)> = d
        .members
        .iter()
        .rev()
        .filter_map(|&i| recs.get(i))
        .collect();
    members.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let earliest = members.first().map_or(0.0, |m| m.0);
    let latest = members.last().map_or(0.0, |m| m.0);

    let mut union: IndexMap<String, BTreeMap<String, Value>> = IndexMap::new();
    let mut raws: Vec<String> = Vec::new();
    let mut first_event: Option<&Arc<Event>> = None;
    // The values of each metadata field (META_FIELDS), kept as metadata on the transaction
    // when its members agree.
    let mut metas: [BTreeMap<String, Value>; 4] = Default::default();
    for (_, rec) in &members {
        if let Some(raw) = rec.get_name("_raw").to_text() {
            raws.push(raw);
        }
        if let Some(e) = &rec.event {
            first_event.get_or_insert(e);
            for (slot, name) in metas.iter_mut().zip(crate::record::META_FIELDS) {
                let v = rec.get_name(name);
                for x in v.values() {
                    if let Some(t) = x.to_text() {
                        slot.entry(t).or_insert_with(|| x.clone());
                    }
                }
            }
        }
        for (k, v) in rec.visible() {
            if k == "_time" || k == "_raw" {
                continue;
            }
            let slot = union.entry(k.into_string()).or_default();
            for x in v.values() {
                if let Some(t) = x.to_text() {
                    slot.entry(t).or_insert_with(|| x.clone());
                }
            }
        }
    }
    let mut extra: Vec<(String, Value)> = union
        .into_iter()
        .map(|(k, set)| (k, Value::from_values(set.into_values().collect())))
        .collect();
    extra.push(("duration".to_string(), Value::Num(latest - earliest)));
    extra.push(("eventcount".to_string(), Value::Num(members.len() as f64)));
    if keepevicted {
        extra.push((
            "closed_txn".to_string(),
            Value::Num(if d.closed { 1.0 } else { 0.0 }),
        ));
    }
    let rec = match first_event {
        Some(e) => {
            let mut meta = Meta {
                datamodel: e.meta.datamodel.clone(),
                ..Meta::default()
            };
            let mut shown: Vec<(String, Value)> = Vec::new();
            for (set, name) in metas.into_iter().zip(crate::record::META_FIELDS) {
                let one = (set.len() == 1)
                    .then(|| set.keys().next().cloned())
                    .flatten();
                match (name, one) {
                    ("source", Some(v)) => meta.source = Some(v),
                    ("sourcetype", Some(v)) => meta.sourcetype = Some(v),
                    ("host", Some(v)) => meta.host = Some(v),
                    ("index", Some(v)) => meta.index = Some(v),
                    (_, None) if set.len() > 1 => {
                        shown.push((
                            name.to_string(),
                            Value::from_values(set.into_values().collect()),
                        ));
                    }
                    _ => {}
                }
            }
            let event = Event {
                doc: crate::event::Doc::Members(Vec::new()),
                raw: raws.join("\n"),
                time: Some(earliest),
                meta: Arc::new(meta),
                origin: e.origin.clone(),
                line: e.line,
            };
            let mut rec = Record::from_event(Arc::new(event));
            for (k, v) in shown.into_iter().chain(extra) {
                if !v.is_null() {
                    rec.set(&k, v);
                }
            }
            rec
        }
        None => {
            let mut row = crate::record::FieldMap::default();
            row.insert("_time".into(), Value::Num(earliest));
            if !raws.is_empty() {
                row.insert("_raw".into(), Value::Str(raws.join("\n")));
            }
            for (k, v) in extra {
                if !v.is_null() {
                    row.insert(k.into(), v);
                }
            }
            Record::from_row(row)
        }
    };
    (earliest, rec)
}
