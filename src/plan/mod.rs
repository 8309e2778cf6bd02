//! Syntax tree → executable plan (stage: plan).
//!
//! A [`Plan`] is a source (a scan of the events with the leading search as a predicate, or a
//! generating command) followed by steps. Each command lives in one file of `src/commands/`,
//! which lowers its arguments into a [`Step`] (checking them, with spans) and implements the
//! step's [`Operator`]. Subsearches are nested plans.

pub mod expr;
pub mod prefilter;
pub mod search;

use crate::diag::{Diag, Kind, Span};
use crate::exec::ExecCtx;
use crate::record::Record;
use crate::syntax::ast::{Args, Command, Query};
use search::Pred;

/// An executable query.
#[derive(Debug)]
pub struct Plan {
    /// Where records come from.
    pub source: Source,
    /// What happens to them, in order.
    pub steps: Vec<Box<dyn Step>>,
}

/// The start of a plan.
#[derive(Debug)]
pub enum Source {
    /// Read the events and keep those matching the predicate.
    Scan(Pred),
    /// A generating command (`| makeresults`, `| inputlookup` …).
    Generate(Box<dyn Step>),
}

/// The fields a plan's results can have, as far as the plan tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fields {
    /// Exactly these (after a transforming command, `table`, `fields +`).
    Known(Vec<String>),
    /// These, plus any field of the events.
    Open(Vec<String>),
}

impl Fields {
    /// Add a field name.
    pub fn add(&mut self, name: &str) {
        let (Fields::Known(v) | Fields::Open(v)) = self;
        if !v.iter().any(|n| n == name) {
            v.push(name.to_string());
        }
    }
    /// Can a result have this field?
    pub fn may_have(&self, name: &str) -> bool {
        match self {
            Fields::Open(_) => true,
            Fields::Known(v) => v.iter().any(|n| n == name),
        }
    }
}

/// What a step reads of the events that reach it, so that a scan can parse only the fields a
/// plan needs (docs/performance.md). A step that does not say reads everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reads {
    /// Any field: events are parsed whole (the default).
    All,
    /// These fields (by name as written; `_time`, `_raw` and metadata included); the records go
    /// on with their other fields untouched, so later steps are asked too.
    Fields(Vec<String>),
    /// These fields, and what the step emits no longer carries event fields (a transforming
    /// command such as `stats`): later steps read nothing from the events.
    Consumes(Vec<String>),
}

/// A lowered command.
pub trait Step: std::fmt::Debug + Send + Sync {
    /// One line for `explain` (`stats count by a, b`).
    fn describe(&self) -> String;
    /// Nested plans (subsearches), for `explain` and for running them.
    fn subplans(&self) -> Vec<&Plan> {
        Vec::new()
    }
    /// The fields of the results after this step, given those before it. Default: unchanged.
    fn outputs(&self, input: Fields) -> Fields {
        input
    }
    /// The event fields this step reads (see [`Reads`]). Default: all of them, which is always
    /// correct; a step that says less must name every field it can read.
    fn reads(&self) -> Reads {
        Reads::All
    }
    /// How many fields this step may write into each record it passes on, at most (`eval`:
    /// one per assignment). Only a capacity hint: an event's record is created with room for
    /// the fields its plan's streaming steps write, instead of growing (and rehashing) step by
    /// step. Default: none.
    fn writes(&self) -> usize {
        0
    }
    /// This step as a change made to each record on its own ([`PerRecord`]), which the
    /// threads that parse the events may run; `None` (the default) for a step that keeps state
    /// across records, needs the run's context, or makes several records of one.
    fn per_record(&self) -> Option<&dyn PerRecord> {
        None
    }
    /// This step as a filter: a per-record step that only keeps or drops records, and every
    /// field it reads (a blocking step before it may then ask it about each result before
    /// making the whole result, see [`Operator::finish_filtered`]); `None` (the default) for
    /// any other step, or one that cannot name what it reads. `where` is one; `search` is
    /// not, as a bare term matches any field of a row.
    fn filter(&self) -> Option<Filter<'_>> {
        None
    }
    /// The fields of a record this step passes on only when they hold the texts of some
    /// subsearch row (an inner join on named fields; the texts are known once it starts:
    /// [`Operator::key_texts`]). `None` (the default): no such fields.
    fn key_fields(&self) -> Option<Vec<String>> {
        None
    }
    /// Where the field `name` of each record this per-record step ([`Step::per_record`])
    /// passes on comes from (for an inner join's key prefilter, see `exec::key_clauses`).
    /// Default: [`Derived::Unknown`], which is always correct.
    fn derives(&self, _name: &str) -> Derived {
        Derived::Unknown
    }
    /// Create the runtime state. Default: a per-record step's operator, which applies it to
    /// each record of a batch ([`PerRecordOp`]); every other step says how it starts.
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        match self.per_record() {
            Some(step) => Ok(Box::new(PerRecordOp(step))),
            None => Err(Diag::error(
                Kind::Runtime,
                "tripline::internal::no_operator",
                format!(
                    "`{}` has no way to run (a bug in tripline)",
                    self.describe()
                ),
            )),
        }
    }
}

/// The first of `steps` that is not a per-record one, when it has key fields
/// ([`Step::key_fields`]): its index, and each key field that is, through the per-record steps
/// before it ([`Step::derives`]), an event's document field or its lower case, with that
/// document field (`InternetMessageId` from `MessageId` after `eval InternetMessageId =
/// lower(MessageId)`). Such a field's text is in the event's line, in any ASCII case, so a
/// line that holds none of the texts the key field may hold makes no result: see
/// `exec::key_clauses`. (Only the first such step: the per-record steps before it make
/// nothing of an event but the record it gets.)
pub fn key_sources(steps: &[Box<dyn Step>]) -> Option<(usize, Vec<(String, String)>)> {
    let j = steps.iter().position(|s| s.per_record().is_none())?;
    let fields = steps.get(j)?.key_fields()?;
    let before = steps.get(..j).unwrap_or_default();
    let sources =
        fields
            .into_iter()
            .filter_map(|field| {
                let source = before.iter().rev().try_fold(field.clone(), |name, s| {
                    match s.derives(&name) {
                        Derived::Same => Some(name),
                        Derived::LowerOf(from) => Some(from),
                        Derived::Unknown => None,
                    }
                })?;
                prefilter::in_document(&source).then_some((field, source))
            })
            .collect();
    Some((j, sources))
}

/// Where a field of the records a per-record step passes on comes from ([`Step::derives`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Derived {
    /// The step does not write the field: it is what it was before the step.
    Same,
    /// The step sets the field to the value the named field had before the step, or to that
    /// value lower-cased (`eval user = lower(SenderAddress)`): the text of each value, in any
    /// ASCII case, is in the text of the other's (not `upper`, which turns some non-ASCII
    /// letters into ASCII ones: `ß` into `SS`).
    LowerOf(String),
    /// Anything else, or the step cannot say.
    Unknown,
}

/// A streaming step that changes each record on its own, from the record and the search's
/// fixed values alone (`eval`, `where`, `bin span=…`, …): no state across records, no error,
/// no warning. A scan runs a plan's leading steps of this kind ([`Plan::per_record_prefix`]) on
/// the threads that parse the events; the records then reach the other steps in line order,
/// as if every step had run on one thread.
pub trait PerRecord: Sync {
    /// Change `rec`; false when the step drops it.
    fn apply(&self, rec: &mut Record, ctx: &crate::functions::EvalCtx) -> bool;
}

/// The operator of a [`PerRecord`] step: applies it to each record of a batch.
struct PerRecordOp<'a>(&'a dyn PerRecord);

impl Operator for PerRecordOp<'_> {
    fn push(&mut self, mut batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        batch.retain_mut(|rec| self.0.apply(rec, &ctx.eval));
        Ok(batch)
    }
}

/// A step that only keeps or drops records ([`Step::filter`]): the step, and every field it
/// can read.
pub struct Filter<'a> {
    /// The step.
    pub step: &'a dyn PerRecord,
    /// The fields it reads (by name as written).
    pub reads: Vec<String>,
}

/// The runtime state of a step: records are pushed through in batches.
pub trait Operator {
    /// Process a batch; return what goes on to the next step.
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag>;
    /// No more input: return what is left (blocking operators emit everything here).
    fn finish(&mut self, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        Ok(Vec::new())
    }
    /// For an operator that passes on only the records whose fields hold one of some texts
    /// (an inner join on named fields): each such field with the texts it may hold (a
    /// multivalue's values joined by newlines) — a record whose field holds none of them
    /// makes no result. `None` (the default): no such field.
    fn key_texts(&self) -> Option<Vec<(&str, Vec<&str>)>> {
        None
    }
    /// [`Operator::finish`] followed by `filter`, the next step: the records `filter` keeps,
    /// in the order `finish` gives them. `None` (the default): this operator does not do it,
    /// and [`Operator::finish`] is called instead. A blocking step that builds its results at
    /// the end (`stats`) asks the filter about each with only the fields it reads, and builds
    /// only those it keeps.
    fn finish_filtered(
        &mut self,
        _ctx: &ExecCtx,
        _filter: &Filter<'_>,
    ) -> Result<Option<Vec<Record>>, Diag> {
        Ok(None)
    }
}

/// What planning may consult besides the query: the lookup tables of the run.
#[derive(Debug, Default, Clone)]
pub struct Env {
    /// The lookup folders' definitions and tables.
    pub lookups: std::sync::Arc<crate::lookup::Lookups>,
}

/// Lowering context: what a command's lowering may need.
pub struct Lower<'a> {
    /// The command.
    pub cmd: &'a Command,
    /// Position in the pipeline (0 = first).
    pub index: usize,
    /// The whole (expanded) query text that spans point into.
    pub text: &'a str,
    /// Lookups and other run-wide inputs.
    pub env: &'a Env,
}

impl Lower<'_> {
    /// An error about this command's arguments.
    pub fn error(&self, span: Span, code: &'static str, message: impl Into<String>) -> Diag {
        Diag::error(Kind::Invalid, code, message).at(span)
    }

    /// Lower a subsearch of this command (same text and environment).
    pub fn sub(&self, q: &Query) -> Result<Plan, Diag> {
        lower(q, self.text, self.env)
    }
}

/// Lower a parsed query into a plan. `text` is the text `q` was parsed from. Returns the
/// first problem; [`lower_all`] returns every one.
pub fn lower(q: &Query, text: &str, env: &Env) -> Result<Plan, Diag> {
    lower_all(q, text, env).map_err(|mut all| all.remove(0))
}

/// Lower a parsed query, reporting a problem for every command that has one (the `Err`
/// vector is never empty).
pub fn lower_all(q: &Query, text: &str, env: &Env) -> Result<Plan, Vec<Diag>> {
    let mut errors = Vec::new();
    let mut commands = q.commands.iter().enumerate();
    let source = match commands.next() {
        None => Some(Source::Scan(Pred::True)),
        Some((_, first)) if first.name == "search" => match scan_pred(first, text, env) {
            Ok(p) => Some(Source::Scan(p)),
            Err(d) => {
                errors.push(d);
                None
            }
        },
        Some((i, first)) => {
            if !crate::commands::is_generating(&first.name)
                && crate::commands::is_supported(&first.name)
            {
                errors.push(
                    Diag::error(
                        Kind::Invalid,
                        "tripline::plan::not_generating",
                        format!("`{}` cannot start a search", first.name),
                    )
                    .at(first.name_span)
                    .help("a query starting with `|` must begin with a generating command such as `inputlookup`, `makeresults` or `tstats`"),
                );
                None
            } else {
                match crate::commands::lower(&Lower {
                    cmd: first,
                    index: i,
                    text,
                    env,
                }) {
                    Ok(step) => Some(Source::Generate(step)),
                    Err(d) => {
                        errors.push(d);
                        None
                    }
                }
            }
        }
    };
    let mut steps = Vec::new();
    for (i, cmd) in commands {
        match crate::commands::lower(&Lower {
            cmd,
            index: i,
            text,
            env,
        }) {
            Ok(s) => steps.push(s),
            Err(d) => errors.push(d),
        }
    }
    match source {
        Some(source) if errors.is_empty() => Ok(Plan { source, steps }),
        _ => Err(errors),
    }
}

fn scan_pred(cmd: &Command, text: &str, env: &Env) -> Result<Pred, Diag> {
    match &cmd.args {
        Args::Search(Some(e)) => search::compile(e, &mut |q| lower(q, text, env)),
        _ => Ok(Pred::True),
    }
}

impl Plan {
    /// The fields the results can have.
    pub fn outputs(&self) -> Fields {
        let start = match &self.source {
            Source::Scan(_) => Fields::Open(Vec::new()),
            Source::Generate(s) => s.outputs(Fields::Open(Vec::new())),
        };
        self.steps.iter().fold(start, |f, s| s.outputs(f))
    }

    /// The event fields a scan with predicate `pred` (the plan's own, or it with subsearch
    /// results filled in) must parse for this plan: `None` when they cannot be known (a step
    /// that reads any field, a field name with a wildcard, events reaching the output whole).
    pub fn reads_with(&self, pred: &Pred) -> Option<Vec<String>> {
        let mut names = Vec::new();
        if !pred.fields(&mut names) {
            return None;
        }
        for s in &self.steps {
            match s.reads() {
                Reads::All => return None,
                Reads::Fields(v) => names.extend(v),
                Reads::Consumes(v) => {
                    names.extend(v);
                    return (!names.iter().any(|n| n.contains('*'))).then_some(names);
                }
            }
        }
        // The events themselves are the results: every field is printed.
        None
    }

    /// Room for the fields the steps write into an event's record before the first command
    /// that consumes the events (see [`Step::writes`]): the capacity an event's record is
    /// created with.
    pub fn writes(&self) -> usize {
        let mut n = 0usize;
        for s in &self.steps {
            n = n.saturating_add(s.writes());
            if matches!(s.reads(), Reads::Consumes(_)) {
                break;
            }
        }
        n
    }

    /// The plan's leading steps that change each record on its own ([`Step::per_record`]), in
    /// order: a scan runs them on the threads that parse the events, and pushes the records
    /// through the remaining steps from index `len()` on.
    pub fn per_record_prefix(&self) -> Vec<&dyn PerRecord> {
        self.steps.iter().map_while(|s| s.per_record()).collect()
    }

    /// How the plan's main search reads the data (`tripline explain --scan`): the literals a
    /// line must contain to be parsed at all, and the fields that are parsed. Subsearches are
    /// not filled in here, so a search with one shows what holds before they run.
    pub fn explain_scan(&self) -> String {
        let Source::Scan(pred) = &self.source else {
            return "scan: none (the search starts with a generating command)\n".to_string();
        };
        let mut out = String::new();
        let pf = prefilter::Prefilter::from_pred(pred);
        if pf.is_empty() {
            out.push_str("prefilter: none (every line is parsed)\n");
        } else {
            let clauses: Vec<String> = pf
                .clauses()
                .iter()
                .map(|c| {
                    let alts: Vec<String> = c.iter().map(|l| format!("\"{l}\"")).collect();
                    match alts.as_slice() {
                        [one] => one.clone(),
                        _ => format!("({})", alts.join(" or ")),
                    }
                })
                .collect();
            out.push_str(&format!(
                "prefilter: a line is parsed only if it contains {} (ASCII case ignored; lines with a \\u escape are always parsed)\n",
                clauses.join(" and ")
            ));
        }
        if let Some((_, sources)) = key_sources(&self.steps) {
            for (field, source) in sources {
                let from = if field == source {
                    String::new()
                } else {
                    format!(" (from `{source}`)")
                };
                out.push_str(&format!(
                    "join keys: once the join's subsearch has run, a line is parsed only if it also contains one of the texts its rows give `{field}`{from} (ASCII case ignored)\n"
                ));
            }
        }
        match self.reads_with(pred) {
            Some(mut fields) => {
                fields.sort();
                fields.dedup();
                out.push_str(&format!(
                    "parsed fields: {} and the time field (the other keys are validated and skipped)\n",
                    fields.join(", ")
                ));
            }
            None => out.push_str("parsed fields: all\n"),
        }
        out
    }

    /// A stable, readable tree of the plan (`tripline explain`).
    pub fn explain(&self) -> String {
        let mut out = String::new();
        self.explain_into(&mut out, 0);
        out
    }

    fn explain_into(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        match &self.source {
            Source::Scan(p) => {
                out.push_str(&format!("{pad}scan {}\n", p.show()));
                for sub in p.subplans() {
                    out.push_str(&format!("{pad}  subsearch:\n"));
                    sub.explain_into(out, depth + 2);
                }
            }
            Source::Generate(s) => {
                out.push_str(&format!("{pad}generate {}\n", s.describe()));
            }
        }
        for s in &self.steps {
            out.push_str(&format!("{pad}{}\n", s.describe()));
            for sub in s.subplans() {
                out.push_str(&format!("{pad}  subsearch:\n"));
                sub.explain_into(out, depth + 2);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(q: &str) -> Plan {
        let query = crate::syntax::parse_query(q).unwrap();
        lower(&query, q, &Env::default()).unwrap()
    }

    /// A step that is neither per-record nor says how it starts, and one that drops records
    /// whose `n` is odd.
    #[derive(Debug)]
    struct Bare;
    impl Step for Bare {
        fn describe(&self) -> String {
            "bare".into()
        }
    }
    #[derive(Debug)]
    struct Even;
    impl Step for Even {
        fn describe(&self) -> String {
            "even".into()
        }
        fn per_record(&self) -> Option<&dyn PerRecord> {
            Some(self)
        }
    }
    impl PerRecord for Even {
        fn apply(&self, rec: &mut Record, _ctx: &crate::functions::EvalCtx) -> bool {
            rec.get(&crate::record::FieldRef::new("n"))
                .as_number()
                .is_some_and(|n| n % 2.0 == 0.0)
        }
    }

    /// A per-record step starts as the operator that applies it to each record of a batch
    /// (rows 0–4: the even ones stay, in order); a step that is neither per-record nor says
    /// how it starts is an error, not a panic.
    #[test]
    fn per_record_steps_start_without_an_operator_of_their_own() {
        let data = crate::event::Dataset::new(Vec::new(), crate::event::ReadConfig::default());
        let ctx = ExecCtx::new(&data, crate::functions::EvalCtx::default());
        let rows: Vec<Record> = (0..5)
            .map(|n| {
                let mut row = crate::record::FieldMap::default();
                row.insert("n".into(), crate::value::Value::Num(f64::from(n)));
                Record::from_row(row)
            })
            .collect();
        let mut op = Even.start(&ctx).unwrap();
        let kept: Vec<String> = op
            .push(rows, &ctx)
            .unwrap()
            .iter()
            .map(|r| r.get(&crate::record::FieldRef::new("n")).to_text().unwrap())
            .collect();
        assert_eq!(kept, ["0", "2", "4"]);
        let err = Bare.start(&ctx).err().unwrap();
        assert_eq!(err.code, "tripline::internal::no_operator");
    }

    /// Worked by hand: where a field of a step's records comes from, as an inner join's key
    /// prefilter asks it. An `eval` that does not write the field leaves it as it was; one
    /// whose last assignment to it is a copy or a lower case (however nested) of a field
    /// derives it from that field as it was before the `eval`, unless an earlier assignment
    /// of the same `eval` wrote that field; `upper`, any other expression, or an assignment to
    /// a name known only at run time say nothing. `bin` changes its own field only; `where`
    /// and `search` only drop records; every other step says nothing.
    #[test]
    fn steps_say_where_a_field_comes_from() {
        let step = |q: &str| plan(&format!("search a=1 | {q}")).steps.remove(0);
        let of = |from: &str| Derived::LowerOf(from.to_string());
        let cases = [
            ("eval k = lower(Operation)", "k", of("Operation")),
            (
                "eval k = lower(lower('Item.Subject'))",
                "k",
                of("Item.Subject"),
            ),
            ("eval k = Operation", "k", of("Operation")),
            ("eval k = upper(Operation)", "k", Derived::Unknown),
            ("eval k = lower(Operation) . \"x\"", "k", Derived::Unknown),
            ("eval k = lower(Operation), m = 1", "m", Derived::Unknown),
            ("eval k = lower(Operation), m = 1", "other", Derived::Same),
            ("eval k = 1, k = lower(Operation)", "k", of("Operation")),
            (
                "eval k = lower(Operation), Operation = \"x\"",
                "k",
                of("Operation"),
            ),
            (
                "eval Operation = \"x\", k = lower(Operation)",
                "k",
                Derived::Unknown,
            ),
            ("eval k = lower(k)", "k", of("k")),
            ("eval {f} = 1", "k", Derived::Unknown),
            ("bin n span=10", "n", Derived::Unknown),
            ("bin n span=10", "k", Derived::Same),
            ("bin n span=10 as m", "n", Derived::Same),
            ("where k > 1", "k", Derived::Same),
            ("search k=1", "k", Derived::Same),
            ("rename Operation as k", "k", Derived::Unknown),
            ("rename Operation as k", "other", Derived::Unknown),
            ("fields k", "k", Derived::Unknown),
        ];
        for (q, field, want) in cases {
            assert_eq!(step(q).derives(field), want, "`{q}`, field {field}");
        }
    }

    /// Worked by hand: each `eval` assignment and each `bin` writes one field into a record,
    /// `where` none; the count stops at the first command that consumes the events (`stats`:
    /// what comes after it works on new rows, not on the events' records).
    #[test]
    fn writes_counts_the_fields_streaming_steps_write() {
        assert_eq!(plan("search a=1").writes(), 0);
        assert_eq!(
            plan("search a=1 | eval x=1, y=2 | where x=1 | eval z=3").writes(),
            3
        );
        assert_eq!(
            plan("search a=1 | bin _time span=1h | eval x=1 | stats count by x | eval w=1, v=2")
                .writes(),
            2
        );
    }
}
