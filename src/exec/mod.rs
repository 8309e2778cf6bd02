//! Running a plan over a dataset (stage: execute).
//!
//! Records flow through the steps in batches: streaming steps transform a batch and pass it
//! on, blocking steps (stats, sort, join's output …) hold their state and emit in `finish`.
//! Subsearches are plans of their own, run over the same dataset when their step starts.

use crate::diag::Diag;
use crate::event::reader::Pass;
use crate::event::{Dataset, ReadStats};
use crate::functions::EvalCtx;
use crate::plan::{Operator, Plan, Source};
use crate::record::Record;
use std::cell::RefCell;
use std::sync::Arc;

/// Records per batch. Small enough that a batch's records (an event's parsed fields and what
/// the steps add, about 1–2 KiB each in the join's subsearch) are still in the core's cache
/// when the next step reads them: the send/hard-delete join over 1 GB ran in 1.94 s with 1024,
/// 1.69 s with 128 (one thread; the same instructions, per-batch work is negligible).
const BATCH: usize = 128;

/// Limits that turn runaway work into errors.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Rows a join subsearch may return (Splunk: `[join] subsearch_maxout = 50000`).
    pub join_rows: usize,
    /// Rows a search-position subsearch may return (Splunk: `[subsearch] maxout = 10000`).
    pub subsearch_rows: usize,
    /// `sort` default row limit.
    pub sort_rows: usize,
    /// Bytes that blocking operators (stats groups, sort, join's build side, buffered rows)
    /// may hold in total (`--max-memory`); past it the run stops with an error.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            join_rows: 50_000,
            subsearch_rows: 10_000,
            sort_rows: 10_000,
            memory: 8 << 30,
        }
    }
}

/// Everything a running plan may use.
pub struct ExecCtx<'a> {
    /// The events.
    pub data: &'a Dataset,
    /// Values fixed for the whole search (now, zone).
    pub eval: EvalCtx,
    /// Limits.
    pub limits: Limits,
    /// Warnings raised while running (printed by the CLI).
    pub warnings: RefCell<Vec<String>>,
    /// What the main search's pass over the data saw (for the summary line): the first pass
    /// of a top-level search; a subsearch's pass only when no top-level search read the data.
    pub read_stats: RefCell<Option<ReadStats>>,
    /// `read_stats` comes from a top-level search.
    stats_top: std::cell::Cell<bool>,
    /// How many searches are running, one inside the other (0: none; 1: a top-level one).
    depth: std::cell::Cell<u32>,
    /// Skip lines the literal prefilter rules out (on by default).
    pub prefilter: bool,
    /// Bytes held by blocking operators now (estimated).
    held: std::cell::Cell<usize>,
    /// Shared things (lookup tables) already counted in `held`, by key.
    held_once: RefCell<std::collections::HashSet<String>>,
}

impl<'a> ExecCtx<'a> {
    /// A context over `data`.
    pub fn new(data: &'a Dataset, eval: EvalCtx) -> ExecCtx<'a> {
        ExecCtx {
            data,
            eval,
            limits: Limits::default(),
            warnings: RefCell::new(Vec::new()),
            read_stats: RefCell::new(None),
            stats_top: std::cell::Cell::new(false),
            depth: std::cell::Cell::new(0),
            prefilter: true,
            held: std::cell::Cell::new(0),
            held_once: RefCell::new(std::collections::HashSet::new()),
        }
    }

    /// Account for `bytes` more held by a blocking operator; an error past `--max-memory`.
    pub fn hold(&self, bytes: usize) -> Result<(), Diag> {
        let now = self.held.get().saturating_add(bytes);
        self.held.set(now);
        if now > self.limits.memory {
            return Err(Diag::error(
                crate::diag::Kind::Runtime,
                "tripline::limit::memory",
                format!(
                    "blocking operators and lookup tables (stats, sort, join, lookup, …) hold more than {} MiB",
                    self.limits.memory >> 20
                ),
            )
            .help("raise the budget with `--max-memory <MiB>`, or narrow the search so fewer rows or groups are held"));
        }
        Ok(())
    }

    /// Account once per run for something shared by several operators (a lookup table used
    /// by many rules counts once); an error past `--max-memory`.
    pub fn hold_once(&self, key: &str, bytes: usize) -> Result<(), Diag> {
        if !self.held_once.borrow_mut().insert(key.to_string()) {
            return Ok(());
        }
        self.hold(bytes)
    }

    /// Give back what [`ExecCtx::hold`] took.
    pub fn release(&self, bytes: usize) {
        self.held.set(self.held.get().saturating_sub(bytes));
    }

    /// Keep the counts of a pass over the data for the summary (see `read_stats`).
    pub(crate) fn note_pass(&self, stats: ReadStats, top: bool) {
        let mut slot = self.read_stats.borrow_mut();
        if slot.is_none() || (top && !self.stats_top.get()) {
            *slot = Some(stats);
            self.stats_top.set(top);
        }
    }

    /// Is the search running now a top-level one (not a subsearch)?
    pub(crate) fn in_top_search(&self) -> bool {
        self.depth.get() <= 1
    }

    /// Run `f` one search deeper; `f` gets whether this search is a top-level one.
    fn nested<T>(&self, f: impl FnOnce(bool) -> T) -> T {
        let depth = self.depth.get();
        self.depth.set(depth + 1);
        let out = f(depth == 0);
        self.depth.set(depth);
        out
    }

    /// Record a warning once.
    pub fn warn(&self, msg: impl Into<String>) {
        let msg = msg.into();
        let mut w = self.warnings.borrow_mut();
        if !w.contains(&msg) {
            w.push(msg);
        }
    }
}

/// Run a plan to completion and return its result rows.
pub fn run(plan: &Plan, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
    ctx.nested(|top| run_plan(plan, ctx, top))
}

/// Free `items` on the thread pool when its threads have nothing else to do, in pieces of
/// [`FREE_PIECE`], instead of now on the caller's time; on one thread, now. Freeing what a
/// blocking operator leaves is mostly cache misses (each value sits somewhere in a large
/// heap): the send/hard-delete join's subsearch keeps 1,289 of its 49,110 `stats` groups, and
/// freeing the others took 25–37 ms of a 450 ms run (1 GB, two threads) while the main search
/// waited for the subsearch's rows. The main search's pass then leaves a thread idle at times
/// (its lines are mostly ruled out, so it waits on the reads), and the pieces fill that time.
/// A piece is small, so that a thread that takes one is soon back to the pass's own jobs.
pub(crate) fn free_later<T: Send + 'static>(items: Vec<T>) {
    if rayon::current_num_threads() < 2 {
        return;
    }
    // One job here; it hands out the pieces (moving the values into them takes time too).
    rayon::spawn(move || {
        let mut rest = items.into_iter();
        loop {
            let piece: Vec<T> = rest.by_ref().take(FREE_PIECE).collect();
            if piece.is_empty() {
                break;
            }
            rayon::spawn(move || drop(piece));
        }
    });
}

/// Values freed by one job of [`free_later`] (a `stats` group of the join's subsearch takes
/// about 0.6 µs to free).
const FREE_PIECE: usize = 128;

fn run_plan(plan: &Plan, ctx: &ExecCtx, top: bool) -> Result<Vec<Record>, Diag> {
    let mut ops: Vec<Box<dyn Operator + '_>> = Vec::with_capacity(plan.steps.len());
    for s in &plan.steps {
        ops.push(s.start(ctx)?);
    }
    let mut out = Vec::new();
    match &plan.source {
        Source::Scan(pred) => {
            let resolved = pred.resolve(&mut |p| run_subsearch(p, ctx))?;
            let pred = resolved.as_ref().unwrap_or(pred);
            let mut batch = Vec::with_capacity(BATCH);
            let mut failure: Option<Diag> = None;
            let prefilter = if ctx.prefilter {
                Some(
                    crate::plan::prefilter::Prefilter::from_pred(pred)
                        .with_clauses(key_clauses(&plan.steps, &ops)),
                )
            } else {
                None
            };
            // Only the fields the plan reads are parsed; `--no-prefilter` parses everything.
            let fields = if ctx.prefilter {
                plan.reads_with(pred)
            } else {
                None
            };
            let eval = &ctx.eval;
            // One prefilter: a line that fails it is not parsed at all.
            let keep = |e: &Arc<crate::event::Event>, _passed: u64| {
                u64::from(pred.matches(&Record::from_event(e.clone()), eval))
            };
            // The leading steps that change each record on its own run where the event was
            // parsed; the batches go through the others from there.
            let shape = Shape::of(plan);
            let from = shape.prefix.len();
            let filters: Vec<&crate::plan::prefilter::Prefilter> = prefilter.iter().collect();
            let wants = |m: &crate::event::Meta| reads_input(ctx, &[pred], m);
            let tested = tested_fields(&[pred]);
            let mut give = |rec: Record| {
                batch.push(rec);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    match push_through(&mut ops, from, full, ctx) {
                        Ok(rows) => out.extend(rows),
                        Err(e) => {
                            failure = Some(e.clone());
                            return Err(e);
                        }
                    }
                }
                Ok(())
            };
            let pass = Pass {
                prefilters: &filters,
                fields: fields.as_deref(),
                tested: tested.as_deref(),
                wants: &wants,
                keep: &keep,
            };
            let stats = if shape.prefix.is_empty() {
                // Nothing to run where the event was parsed: the event is handed on as it
                // is (a smaller hand-over than a record) and its record made here.
                ctx.data
                    .scan_many(&pass, &|e, _| e, &mut |e| give(shape.record(e)))
            } else {
                let prepare = |e, _| shape.prepared(e, eval);
                ctx.data
                    .scan_many(&pass, &prepare, &mut |rec| rec.map_or(Ok(()), &mut give))
            };
            if let Some(e) = failure {
                return Err(e);
            }
            let stats = stats?;
            ctx.note_pass(stats, top);
            out.extend(push_through(&mut ops, from, batch, ctx)?);
        }
        Source::Generate(step) => {
            let mut generator = step.start(ctx)?;
            let mut rows = generator.push(Vec::new(), ctx)?;
            rows.extend(generator.finish(ctx)?);
            out.extend(push_through(&mut ops, 0, rows, ctx)?);
        }
    }
    out.extend(finish_all(&mut ops, &plan.steps, ctx)?);
    Ok(out)
}

/// Flush the blocking operators in order: each one's output goes through the rest. An
/// operator followed by a filter ([`crate::plan::Step::filter`]) may apply it as it finishes
/// ([`Operator::finish_filtered`]); its output then goes on after the filter.
fn finish_all(
    ops: &mut [Box<dyn Operator + '_>],
    steps: &[Box<dyn crate::plan::Step>],
    ctx: &ExecCtx,
) -> Result<Vec<Record>, Diag> {
    let mut out = Vec::new();
    for i in 0..ops.len() {
        let filter = steps.get(i + 1).and_then(|s| s.filter());
        let Some(op) = ops.get_mut(i) else { break };
        let filtered = match &filter {
            Some(f) => op.finish_filtered(ctx, f)?,
            None => None,
        };
        let (rows, next) = match filtered {
            Some(rows) => (rows, i + 2),
            None => (op.finish(ctx)?, i + 1),
        };
        out.extend(push_through(ops, next, rows, ctx)?);
    }
    Ok(out)
}

/// Clauses of literals that an event's line must meet for a scan plan to make anything of the
/// event, besides its predicate's: for each key field [`crate::plan::key_sources`] finds, one
/// of the texts its started operator (a join, whose subsearch has run: [`Operator::key_texts`])
/// gives it ([`crate::plan::prefilter::key_clause`]). The send/hard-delete join's main search
/// parses the message-trace events whose message id is one of the subsearch's, not all of them.
fn key_clauses(
    steps: &[Box<dyn crate::plan::Step>],
    ops: &[Box<dyn Operator + '_>],
) -> Vec<Vec<String>> {
    let Some((j, sources)) = crate::plan::key_sources(steps) else {
        return Vec::new();
    };
    let Some(keys) = ops.get(j).and_then(|op| op.key_texts()) else {
        return Vec::new();
    };
    sources
        .iter()
        .filter_map(|(field, _)| {
            let (_, texts) = keys.iter().find(|(f, _)| f == field)?;
            crate::plan::prefilter::key_clause(texts.iter().copied())
        })
        .collect()
}

/// The fields a pass's `keep` reads: those of every predicate (`None` when one cannot say).
fn tested_fields(preds: &[&crate::plan::search::Pred]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    preds.iter().all(|p| p.fields(&mut names)).then_some(names)
}

/// Does a pass for `preds` read an input with metadata `m`? Yes when one of them may want its
/// events — or when there is none (a pass whose plans all failed to start reads and counts
/// the data as before), or without the prefilter (`--no-prefilter` reads everything; `--strict`
/// is seen to by the reader).
fn reads_input(
    ctx: &ExecCtx,
    preds: &[&crate::plan::search::Pred],
    m: &crate::event::Meta,
) -> bool {
    !ctx.prefilter || preds.is_empty() || preds.iter().any(|p| !p.excludes(m))
}

fn push_through(
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

/// Run several plans over the dataset in one pass: every scan plan reads the same parsed
/// events (each keeps those its predicate matches); generating plans run on their own. Up to
/// 64 scan plans share a pass. Results come back in the order of `plans`; a plan that fails
/// gets its error while the others go on.
pub fn run_many(plans: &[&Plan], ctx: &ExecCtx) -> Vec<Result<Vec<Record>, Diag>> {
    let mut results: Vec<Option<Result<Vec<Record>, Diag>>> = plans.iter().map(|_| None).collect();
    let scans: Vec<usize> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.source, Source::Scan(_)))
        .map(|(i, _)| i)
        .collect();
    for group in scans.chunks(64) {
        for (i, r) in group
            .iter()
            .zip(ctx.nested(|top| run_group(plans, group, ctx, top)))
        {
            if let Some(slot) = results.get_mut(*i) {
                *slot = Some(r);
            }
        }
    }
    plans
        .iter()
        .zip(results)
        .map(|(p, r)| r.unwrap_or_else(|| run(p, ctx)))
        .collect()
}

/// What becomes of an event a scan plan wants: its record, with room for the fields the plan's
/// streaming steps write ([`Plan::writes`]), through the plan's leading steps that change
/// each record on its own ([`Plan::per_record_prefix`]), on the thread that parsed it.
struct Shape<'a> {
    writes: usize,
    prefix: Vec<&'a dyn crate::plan::PerRecord>,
}

impl<'a> Shape<'a> {
    fn of(plan: &'a Plan) -> Shape<'a> {
        Shape {
            writes: plan.writes(),
            prefix: plan.per_record_prefix(),
        }
    }

    /// The event's record, before any step.
    fn record(&self, e: Arc<crate::event::Event>) -> Record {
        Record::from_event_with(e, self.writes)
    }

    /// The event's record after the per-record steps (`None`: one of them dropped it).
    fn prepared(&self, e: Arc<crate::event::Event>, eval: &EvalCtx) -> Option<Record> {
        let mut rec = self.record(e);
        self.prefix
            .iter()
            .all(|s| s.apply(&mut rec, eval))
            .then_some(rec)
    }
}

/// What the parsing threads need of a scan plan: its predicate, with subsearch results filled
/// in when it had subsearches, and what becomes of an event it wants.
struct LanePred<'a> {
    base: &'a crate::plan::search::Pred,
    resolved: Option<crate::plan::search::Pred>,
    shape: Shape<'a>,
}

impl LanePred<'_> {
    fn get(&self) -> &crate::plan::search::Pred {
        self.resolved.as_ref().unwrap_or(self.base)
    }
}

/// A scan plan's running operators.
struct Lane<'a> {
    ops: Vec<Box<dyn Operator + 'a>>,
    /// The plan's steps, one per operator.
    steps: &'a [Box<dyn crate::plan::Step>],
    out: Vec<Record>,
    batch: Vec<Record>,
    error: Option<Diag>,
    /// The first of `ops` a batch goes through: the leading per-record steps ran where the
    /// events were parsed ([`Shape`]).
    from: usize,
}

impl Lane<'_> {
    fn flush(&mut self, ctx: &ExecCtx) {
        if self.error.is_some() || self.batch.is_empty() {
            return;
        }
        let full = std::mem::take(&mut self.batch);
        match push_through(&mut self.ops, self.from, full, ctx) {
            Ok(rows) => self.out.extend(rows),
            Err(e) => self.error = Some(e),
        }
    }
}

/// The records an event makes for the lanes of a pass that want it, by lane: most events are
/// wanted by one lane, whose record needs no list of its own.
enum Kept {
    None,
    One(usize, Record),
    Many(Vec<(usize, Record)>),
}

impl Kept {
    fn push(&mut self, bit: usize, rec: Record) {
        *self = match std::mem::replace(self, Kept::None) {
            Kept::None => Kept::One(bit, rec),
            Kept::One(b, r) => Kept::Many(vec![(b, r), (bit, rec)]),
            Kept::Many(mut all) => {
                all.push((bit, rec));
                Kept::Many(all)
            }
        };
    }
}

fn run_group<'a>(
    plans: &[&'a Plan],
    group: &[usize],
    ctx: &'a ExecCtx,
    top: bool,
) -> Vec<Result<Vec<Record>, Diag>> {
    let mut lanes: Vec<Result<(Lane<'a>, LanePred<'a>), Diag>> = Vec::with_capacity(group.len());
    for i in group {
        let Some(plan) = plans.get(*i) else { continue };
        let Source::Scan(pred) = &plan.source else {
            continue;
        };
        let lane = (|| {
            let mut ops = Vec::with_capacity(plan.steps.len());
            for s in &plan.steps {
                ops.push(s.start(ctx)?);
            }
            let resolved = pred.resolve(&mut |p| run_subsearch(p, ctx))?;
            let shape = Shape::of(plan);
            Ok((
                Lane {
                    ops,
                    steps: &plan.steps,
                    out: Vec::new(),
                    batch: Vec::new(),
                    error: None,
                    from: shape.prefix.len(),
                },
                LanePred {
                    base: pred,
                    resolved,
                    shape,
                },
            ))
        })();
        lanes.push(lane);
    }
    let (preds, mut states): (Vec<Option<LanePred>>, Vec<Result<Lane, Diag>>) = lanes
        .into_iter()
        .map(|l| match l {
            Ok((lane, p)) => (Some(p), Ok(lane)),
            Err(e) => (None, Err(e)),
        })
        .unzip();
    let prefilters: Vec<crate::plan::prefilter::Prefilter> = preds
        .iter()
        .zip(&states)
        .filter_map(|(p, lane)| {
            let p = p.as_ref()?;
            Some(if ctx.prefilter {
                let keys = lane
                    .as_ref()
                    .map_or_else(|_| Vec::new(), |lane| key_clauses(lane.steps, &lane.ops));
                crate::plan::prefilter::Prefilter::from_pred(p.get()).with_clauses(keys)
            } else {
                crate::plan::prefilter::Prefilter::default()
            })
        })
        .collect();
    let filter_refs: Vec<&crate::plan::prefilter::Prefilter> = prefilters.iter().collect();
    // The pass parses the fields any of the plans reads (everything if one needs it all).
    let fields: Option<Vec<String>> = if ctx.prefilter {
        group
            .iter()
            .zip(&preds)
            .map(|(i, p)| match (plans.get(*i), p) {
                (Some(plan), Some(p)) => plan.reads_with(p.get()),
                // a lane that failed to start reads nothing
                _ => Some(Vec::new()),
            })
            .try_fold(Vec::new(), |mut all, f| {
                all.extend(f?);
                Some(all)
            })
    } else {
        None
    };
    let eval = &ctx.eval;
    // `passed` has a bit per prefilter, i.e. per lane that started, in order (lanes that
    // failed have none). An event whose line failed a lane's prefilter cannot match that
    // lane's predicate (the prefilter is derived from it and only ever lets extra lines
    // through), so the predicate is not asked.
    let keep = |e: &Arc<crate::event::Event>, passed: u64| {
        let rec = Record::from_event(e.clone());
        preds
            .iter()
            .enumerate()
            .filter_map(|(bit, p)| Some((bit, p.as_ref()?)))
            .enumerate()
            .fold(0u64, |mask, (k, (bit, p))| {
                let may = passed & crate::plan::prefilter::bit(k) != 0;
                if may && p.get().matches(&rec, eval) {
                    mask | (1u64 << bit)
                } else {
                    mask
                }
            })
    };
    // What becomes of an event each lane wants (by bit); a lane that failed to start wants
    // nothing.
    let shapes: Vec<Option<&Shape>> = preds.iter().map(|p| Some(&p.as_ref()?.shape)).collect();
    let wanting = |mask: u64| {
        shapes
            .iter()
            .enumerate()
            .filter_map(move |(bit, shape)| Some((bit, (*shape)?)))
            .filter(move |(bit, _)| mask & (1u64 << bit) != 0)
    };
    let prepare = |e: Arc<crate::event::Event>, mask: u64| {
        let mut kept = Kept::None;
        for (bit, shape) in wanting(mask) {
            if let Some(rec) = shape.prepared(e.clone(), eval) {
                kept.push(bit, rec);
            }
        }
        kept
    };
    let started: Vec<&crate::plan::search::Pred> =
        preds.iter().flatten().map(|p| p.get()).collect();
    let wants = |m: &crate::event::Meta| reads_input(ctx, &started, m);
    let tested = tested_fields(&started);
    let mut give = |bit: usize, rec: Record| {
        if let Some(Ok(lane)) = states.get_mut(bit) {
            lane.batch.push(rec);
            if lane.batch.len() >= BATCH {
                lane.flush(ctx);
            }
        }
    };
    let pass = Pass {
        prefilters: &filter_refs,
        fields: fields.as_deref(),
        tested: tested.as_deref(),
        wants: &wants,
        keep: &keep,
    };
    let stats = if shapes.iter().flatten().all(|s| s.prefix.is_empty()) {
        // No lane has a step to run where the event was parsed: the event is handed on as it
        // is (a smaller hand-over than records) and the lanes' records made here.
        ctx.data
            .scan_many(&pass, &|e, mask| (e, mask), &mut |(event, mask)| {
                for (bit, shape) in wanting(mask) {
                    give(bit, shape.record(event.clone()));
                }
                Ok(())
            })
    } else {
        ctx.data.scan_many(&pass, &prepare, &mut |kept| {
            match kept {
                Kept::None => {}
                Kept::One(bit, rec) => give(bit, rec),
                Kept::Many(all) => all.into_iter().for_each(|(bit, rec)| give(bit, rec)),
            }
            Ok(())
        })
    };
    let stats = match stats {
        Ok(s) => s,
        Err(e) => return states.iter().map(|_| Err(e.clone())).collect(),
    };
    ctx.note_pass(stats, top);
    states
        .into_iter()
        .map(|lane| {
            let mut lane = lane?;
            lane.flush(ctx);
            if let Some(e) = lane.error {
                return Err(e);
            }
            let rows = finish_all(&mut lane.ops, lane.steps, ctx)?;
            lane.out.extend(rows);
            Ok(lane.out)
        })
        .collect()
}

/// Run a subsearch whose results become search terms: Splunk keeps at most
/// `[subsearch] maxout` rows (10,000); tripline does the same and says so.
pub fn run_subsearch(plan: &Plan, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
    let mut rows = run(plan, ctx)?;
    let limit = ctx.limits.subsearch_rows;
    if rows.len() > limit {
        ctx.warn(format!(
            "a subsearch returned {} rows; only the first {limit} become search terms (Splunk's maxout)",
            rows.len()
        ));
        rows.truncate(limit);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Derived, Step};

    /// `free_later` frees every value it is given: now on one thread, on the pool's threads
    /// (in pieces, the last one short) with more. A value's `Arc` counts its holders: back to
    /// one once all of them are freed.
    #[test]
    fn free_later_frees_every_value() {
        for (threads, n) in [(1, 300), (2, 300), (2, FREE_PIECE), (2, 1), (3, 0)] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let counted = Arc::new(());
            pool.install(|| free_later(vec![counted.clone(); n]));
            if threads == 1 {
                assert_eq!(Arc::strong_count(&counted), 1, "freed before it returns");
            }
            // Not a timing: the pool's threads are idle and free the pieces at once; the
            // deadline only turns a value never freed into a failure instead of a hang.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while Arc::strong_count(&counted) > 1 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{n} values on {threads} threads"
                );
                std::thread::yield_now();
            }
        }
    }

    /// The steps of `search * | <q>`.
    fn steps(q: &str) -> Vec<Box<dyn Step>> {
        let text = format!("search * | {q}");
        let query = crate::syntax::parse_query(&text).unwrap();
        crate::plan::lower(&query, &text, &crate::plan::Env::default())
            .unwrap()
            .steps
    }

    /// A step that is not a per-record one and yet says every field stays as it was.
    #[derive(Debug)]
    struct Holds;
    impl Step for Holds {
        fn describe(&self) -> String {
            "holds".into()
        }
        fn derives(&self, _name: &str) -> Derived {
            Derived::Same
        }
    }

    /// A step that passes on only the records whose `k` holds some texts, like a join.
    #[derive(Debug)]
    struct Joins;
    impl Step for Joins {
        fn describe(&self) -> String {
            "joins".into()
        }
        fn key_fields(&self) -> Option<Vec<String>> {
            Some(vec!["k".to_string()])
        }
    }

    /// An operator that passes records on, with or without keys.
    struct Op(Option<&'static str>);
    impl Operator for Op {
        fn push(&mut self, batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
            Ok(batch)
        }
        fn key_texts(&self) -> Option<Vec<(&str, Vec<&str>)>> {
            self.0
                .map(|field| vec![(field, vec!["<Ab1@x.com>", "Send\n42"])])
        }
    }

    /// Worked by hand: only the first step that is not a per-record one may give keys, and
    /// only for a field that is, through the steps before it, a document field or its lower
    /// case; then each key gives its longest usable fragment, lower-cased.
    #[test]
    fn key_clauses_come_from_the_first_step_that_is_not_per_record() {
        let ops = |n: usize, keyed: usize| -> Vec<Box<dyn Operator>> {
            (0..n)
                .map(|i| Box::new(Op((i == keyed).then_some("k"))) as Box<dyn Operator>)
                .collect()
        };
        let lowered = vec![vec!["<ab1@x.com>".to_string(), "send".to_string()]];
        let none = Vec::<Vec<String>>::new();
        let mut s = steps("eval k = lower(id) | where k != \"x\"");
        s.push(Box::new(Joins));
        assert_eq!(key_clauses(&s, &ops(3, 2)), lowered);
        // the operator with keys is not that of the step with key fields
        assert_eq!(key_clauses(&s, &ops(3, 1)), none);
        // a step before it that is not per-record, whatever it says of its fields
        let mut s = vec![Box::new(Holds) as Box<dyn Step>];
        s.extend(steps("eval k = lower(id)"));
        s.push(Box::new(Joins));
        assert_eq!(key_clauses(&s, &ops(3, 2)), none);
        for q in [
            "eval k = upper(id)",
            "eval k = lower(sourcetype)",
            "rename id as k",
        ] {
            let mut s = steps(q);
            s.push(Box::new(Joins));
            assert_eq!(key_clauses(&s, &ops(2, 1)), none, "{q}");
        }
    }
}
