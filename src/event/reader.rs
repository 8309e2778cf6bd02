//! Reading events from files, folders, `.gz`, stdin and dataset manifests (stage: read).
//!
//! Formats: NDJSON (one JSON object per line), a JSON array of objects, or JSON objects one
//! after another (e.g. one pretty-printed object per file). A line that is not a JSON object is
//! counted, reported with file:line, and skipped — or fatal with `strict`. The accounting always
//! closes: `read = parsed + malformed`.

use super::project::Projection;
use super::{Doc, Event, FieldPath, Meta};
use crate::diag::{Diag, Kind};
use crate::plan::prefilter::Prefilter;
use crate::time::{self, Zone};
use serde_json::Value as Json;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// How `_time` is found for one sourcetype (from `sourcetypes.yml`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sourcetype {
    /// The field holding the event time.
    pub time_field: Option<String>,
    /// Its strptime format; ISO 8601 and epoch numbers are recognised when absent.
    pub time_format: Option<String>,
    /// Zone of times written without one (default: the run's `--tz`, UTC unless set).
    pub tz: Option<String>,
}

/// Sourcetype name → how its events are read.
#[derive(Clone, Debug, Default)]
pub struct Sourcetypes {
    /// The table.
    pub map: HashMap<String, Sourcetype>,
}

/// Where an input's bytes come from.
#[derive(Clone, Debug, PartialEq)]
pub enum InputPath {
    /// A file (plain or `.gz`).
    File(PathBuf),
    /// Standard input, read once and kept for later passes (subsearches read data again).
    Stdin,
}

/// One input with its metadata.
#[derive(Clone, Debug)]
pub struct Input {
    /// Where.
    pub path: InputPath,
    /// source/sourcetype/host/index for its events.
    pub meta: Meta,
}

/// How events are read.
#[derive(Clone, Debug, Default)]
pub struct ReadConfig {
    /// A malformed event stops the run.
    pub strict: bool,
    /// Zone of times written without one.
    pub zone: Zone,
    /// `--time-field`: overrides the sourcetype table for every input.
    pub time_field: Option<String>,
    /// The sourcetype table.
    pub sourcetypes: Sourcetypes,
    /// Longest accepted line in bytes (default [`DEFAULT_MAX_LINE`]); longer lines are
    /// rejected as malformed.
    pub max_line: Option<usize>,
    /// Told how reading goes (the CLI's progress bar); reading does not depend on it.
    pub observer: Option<Arc<dyn Observer>>,
}

/// Follows the reading of a dataset, e.g. to draw a progress bar. Called from the thread that
/// reads (not from the parsing threads), once per block of input and per chunk of lines, so
/// it costs nothing per event.
pub trait Observer: std::fmt::Debug + Send + Sync {
    /// A pass over the inputs begins; `total` is their size in bytes when it is known (plain
    /// files; not `.gz` or stdin).
    fn pass(&self, total: Option<u64>);
    /// `bytes` more bytes were read (decompressed, for `.gz`) and `events` more events seen.
    fn advance(&self, bytes: u64, events: u64);
    /// The pass is over.
    fn done(&self);
}

/// What one pass over the data saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadStats {
    /// Non-empty lines (or array elements) seen.
    pub read: u64,
    /// Parsed into events.
    pub parsed: u64,
    /// Rejected (reported with file:line).
    pub malformed: u64,
    /// Lines the literal prefilter proved cannot match (not parsed).
    pub skipped: u64,
    /// Inputs not read at all: their metadata (source, sourcetype, host, index) proved that no
    /// event of theirs can match (their lines are in no other count).
    pub inputs_skipped: u64,
    /// Events without a readable `_time`.
    pub without_time: u64,
    /// The first problems, `file:line: message`.
    pub problems: Vec<String>,
}

const MAX_REPORTED: usize = 20;

impl ReadStats {
    fn reject(&mut self, origin: &str, line: usize, msg: &str) {
        self.malformed += 1;
        if self.problems.len() < MAX_REPORTED {
            self.problems.push(format!("{origin}:{line}: {msg}"));
        }
    }
}

/// A set of inputs that can be read any number of times.
#[derive(Debug, Default)]
pub struct Dataset {
    inputs: Vec<Input>,
    cfg: ReadConfig,
    stdin: OnceLock<Result<Vec<u8>, String>>,
}

struct TimeRule {
    path: FieldPath,
    format: Option<String>,
    zone: Zone,
}

/// What a pass over a dataset parses and keeps (see [`Dataset::scan_many`]).
#[derive(Clone, Copy)]
pub struct Pass<'a> {
    /// A line is parsed when any of these lets it through (all lines when the list is empty or
    /// one of them is empty).
    pub prefilters: &'a [&'a Prefilter],
    /// Parse only the top-level keys these fields (and the input's time field) are looked up
    /// in ([`Projection`]); `None`: whole events.
    pub fields: Option<&'a [String]>,
    /// The fields `keep` reads (`None`: not known): a line that is always parsed (a `\u`
    /// escape, see [`crate::plan::prefilter::must_parse`]; most such lines match nothing) is
    /// first parsed with only those, and again with all of `fields` only when `keep` wants it.
    pub tested: Option<&'a [String]>,
    /// An input whose metadata this refuses is not read at all (counted in
    /// [`ReadStats::inputs_skipped`]), unless the reading is strict (every line validated).
    pub wants: &'a dyn Fn(&Meta) -> bool,
    /// Gets an event and the mask of the prefilters its line met (bit `i` for
    /// `prefilters[i]`, see [`crate::plan::prefilter::passing`]; every bit when the line was
    /// not filtered, or must always be parsed), and returns a bit per consumer that wants it.
    pub keep: &'a (dyn Fn(&Arc<Event>, u64) -> u64 + Sync),
}

impl Dataset {
    /// A dataset over `inputs`.
    pub fn new(inputs: Vec<Input>, cfg: ReadConfig) -> Dataset {
        Dataset {
            inputs,
            cfg,
            stdin: OnceLock::new(),
        }
    }

    /// The inputs.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// Read every event, in input order, and hand each to `sink`. Stops at the first error
    /// `sink` returns, at an I/O error, or (strict) at the first malformed event.
    pub fn for_each(
        &self,
        sink: &mut dyn FnMut(Arc<Event>) -> Result<(), Diag>,
    ) -> Result<ReadStats, Diag> {
        self.scan(None, &|_| true, sink)
    }

    /// Read the events that pass the prefilter and `keep`, in input order. Lines are parsed
    /// and tested in parallel (rayon), in chunks whose results are handed on in order, so the
    /// output does not depend on the number of threads. With `strict`, the prefilter is not
    /// used, so that every line is validated.
    pub fn scan(
        &self,
        prefilter: Option<&Prefilter>,
        keep: &(dyn Fn(&Arc<Event>) -> bool + Sync),
        sink: &mut dyn FnMut(Arc<Event>) -> Result<(), Diag>,
    ) -> Result<ReadStats, Diag> {
        let filters: Vec<&Prefilter> = prefilter.into_iter().collect();
        let pass = Pass {
            prefilters: &filters,
            fields: None,
            tested: None,
            wants: &|_| true,
            keep: &|e, _| u64::from(keep(e)),
        };
        self.scan_many(&pass, &|e, _| e, &mut |e| sink(e))
    }

    /// One pass for several consumers (up to 64), as `pass` says which lines are parsed and
    /// which events are wanted. An event with a non-zero mask is given to `prepare` with that
    /// mask, on the thread that parsed it (any of the pool's), and what `prepare` makes of it
    /// is handed to `sink` on this thread, in input order.
    pub fn scan_many<T: Send>(
        &self,
        pass: &Pass<'_>,
        prepare: &(dyn Fn(Arc<Event>, u64) -> T + Sync),
        sink: &mut dyn FnMut(T) -> Result<(), Diag>,
    ) -> Result<ReadStats, Diag> {
        let Pass {
            prefilters,
            fields,
            tested,
            wants,
            keep,
        } = *pass;
        let use_filter =
            !self.cfg.strict && !prefilters.is_empty() && prefilters.iter().all(|p| !p.is_empty());
        let prefilters: &[&Prefilter] = if use_filter { prefilters } else { &[] };
        let literals = Arc::new(crate::plan::prefilter::LiteralSet::new(prefilters));
        let mut stats = ReadStats::default();
        let (read, skipped): (Vec<&Input>, Vec<&Input>) = self
            .inputs
            .iter()
            .partition(|i| self.cfg.strict || wants(&i.meta));
        stats.inputs_skipped = skipped.len() as u64;
        let observer = self.cfg.observer.as_deref();
        if let Some(o) = observer {
            o.pass(total_bytes(&read));
        }
        for input in read {
            let meta = Arc::new(input.meta.clone());
            let rule = self.time_rule(&meta);
            let projection = |names: &[String]| {
                let mut p = Projection::new(names.iter().map(String::as_str));
                // `_time` comes from the document too.
                match &rule {
                    Some(r) => p.add_field(&r.path),
                    None => DEFAULT_TIME_KEYS
                        .iter()
                        .for_each(|k| p.add_field(&FieldPath::new(k))),
                }
                p
            };
            let project = fields.map(projection);
            let test_project = tested
                .map(projection)
                .filter(|t| project.as_ref().is_some_and(|p| t.len() < p.len()));
            let origin: Arc<str> = match &input.path {
                InputPath::File(p) => Arc::from(p.display().to_string()),
                InputPath::Stdin => Arc::from("-"),
            };
            let reader = self.open(&input.path)?;
            let mut ctx = FileCtx {
                parse: Parse {
                    prefilters,
                    literals: literals.clone(),
                    origin,
                    meta,
                    rule: rule.as_ref(),
                    project: project.as_ref(),
                    test_project: test_project.as_ref(),
                    test_reads_raw: tested.is_some_and(|t| t.iter().any(|n| n == "_raw")),
                    // With a projection, `_raw` is kept only when the plan reads it.
                    keep_raw: fields.is_none_or(|f| f.iter().any(|n| n == "_raw")),
                    keep,
                    prepare,
                },
                strict: self.cfg.strict,
                max_line: self.cfg.max_line.unwrap_or(DEFAULT_MAX_LINE),
                pending: None,
                carry: None,
                stats: &mut stats,
                sink,
                observer,
            };
            ctx.read(reader)?;
        }
        if let Some(o) = observer {
            o.done();
        }
        Ok(stats)
    }

    fn time_rule(&self, meta: &Meta) -> Option<TimeRule> {
        if let Some(f) = &self.cfg.time_field {
            return Some(TimeRule {
                path: FieldPath::new(f),
                format: None,
                zone: self.cfg.zone.clone(),
            });
        }
        let st = self.cfg.sourcetypes.map.get(meta.sourcetype.as_deref()?)?;
        let field = st.time_field.as_deref()?;
        let zone = st
            .tz
            .as_deref()
            .and_then(|z| Zone::parse(z).ok())
            .unwrap_or_else(|| self.cfg.zone.clone());
        Some(TimeRule {
            path: FieldPath::new(field),
            format: st.time_format.clone(),
            zone,
        })
    }

    fn open(&self, path: &InputPath) -> Result<Box<dyn Read + Send + '_>, Diag> {
        match path {
            InputPath::Stdin => {
                let cached = self.stdin.get_or_init(|| {
                    let mut buf = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut buf)
                        .map(|_| buf)
                        .map_err(|e| e.to_string())
                });
                match cached {
                    Ok(b) => Ok(Box::new(b.as_slice())),
                    Err(e) => Err(io_error("-", e)),
                }
            }
            InputPath::File(p) => open_file(p),
        }
    }
}

fn io_error(origin: &str, msg: &str) -> Diag {
    Diag::error(
        Kind::Io,
        "tripline::data::io",
        format!("cannot read `{origin}`: {msg}"),
    )
}

fn open_file(p: &Path) -> Result<Box<dyn Read + Send>, Diag> {
    let name = p.display().to_string();
    let file = std::fs::File::open(p).map_err(|e| io_error(&name, &e.to_string()))?;
    if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(1 << 16, file),
        )))
    } else {
        Ok(Box::new(file))
    }
}

/// Bytes read from a file at a time. Smaller than the 4 MiB it was, so that the passes over a
/// block (line split, literal search, parse) find more of it in the caches after the kernel's
/// copy (a core's L2 holds 1 MiB on the benchmark machine); not smaller, as every block costs
/// a hand-over between the threads: 1 MiB was faster than 4 on every workload, 2 MiB faster
/// than 1 on two threads over 1 GB (the PST rule 169.5 -> 156.0 ms, ten rules 323.5 -> 303.5
/// ms), 512 KiB slower again (docs/performance.md, thirteenth sitting). On one thread see
/// [`ONE_THREAD_BLOCK`].
const BLOCK: usize = 2 << 20;
/// Bytes read at a time when the pool has one thread. No hand-over between threads to pay
/// for, and a block is searched and parsed right after the kernel's copy of it, so a smaller
/// block is more often still in the core's L2 cache when it is read again. Over 1 GB on one
/// thread (alternated runs, CPU medians): the join 1,261 -> 1,173 ms (6 of 8 rounds) and
/// 1,070 -> 965 ms (3 of 4), `stats count by Operation` 713 -> 684 ms (4 of 6); the PST rule
/// showed no difference over 16 rounds (docs/performance.md, sixteenth sitting). The first
/// block is still at least [`SAMPLE`] bytes.
const ONE_THREAD_BLOCK: usize = 512 << 10;

/// Bytes read at a time on the current pool (see [`BLOCK`], [`ONE_THREAD_BLOCK`]).
fn block_bytes() -> usize {
    if rayon::current_num_threads() < 2 {
        ONE_THREAD_BLOCK
    } else {
        BLOCK
    }
}

/// Lines searched and parsed at a time on one thread (more threads take a block at a time).
const CHUNK: usize = 2048;
/// Bytes at the start of an input on which the prefilter's searched clauses are chosen
/// (about 900 events of the benchmark's management data).
const SAMPLE: usize = 1 << 20;
/// Fewest lines the prefilter search of a chunk is split into.
const MIN_PART: usize = 256;
/// Fewest candidate lines of a block (or chunk) whose parsing is split among the threads
/// (fewer are parsed by the parsing job alone). A line of the benchmark's data takes several
/// µs to parse, a hand-over a few: with 64, the ten rules' ~60 candidates per 2 MiB block
/// were parsed on the reading thread while the other waited (1 GB, two threads, wall medians
/// of two sets of alternated runs: 294.0 -> 272.0 and 309.5 -> 277.0 ms with 16; the PST rule
/// and the join unchanged).
const MIN_PARALLEL_PARSE: usize = 16;
/// Longest accepted line (`--max-line-bytes` raises it).
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// What parsing one line needs; shared by the threads. `T`: what an event becomes for the
/// consumers (see [`Dataset::scan_many`]'s `prepare`).
struct Parse<'a, T> {
    /// A line is parsed when any of these lets it through (all when empty).
    prefilters: &'a [&'a Prefilter],
    /// The literals of one clause of each prefilter, searched in one pass per chunk (chosen
    /// on the input's first block, see [`FileCtx::read`]).
    literals: Arc<crate::plan::prefilter::LiteralSet>,
    origin: Arc<str>,
    meta: Arc<Meta>,
    rule: Option<&'a TimeRule>,
    /// Parse only these top-level keys (all when `None`).
    project: Option<&'a Projection>,
    /// Fewer keys: those `keep` reads (see [`Dataset::scan_many`]'s `tested`).
    test_project: Option<&'a Projection>,
    /// `keep` reads `_raw` (a search term).
    test_reads_raw: bool,
    /// Keep the event text as `_raw` (else it is left empty: nothing reads it).
    keep_raw: bool,
    /// Which consumers want an event, given the mask of the prefilters its line met.
    keep: &'a (dyn Fn(&Arc<Event>, u64) -> u64 + Sync),
    /// What a wanted event becomes, given the mask `keep` answered.
    prepare: &'a (dyn Fn(Arc<Event>, u64) -> T + Sync),
}

// Not derived: that would ask `T: Clone`, and only references are copied.
impl<T> Clone for Parse<'_, T> {
    fn clone(&self) -> Self {
        Parse {
            prefilters: self.prefilters,
            literals: self.literals.clone(),
            origin: self.origin.clone(),
            meta: self.meta.clone(),
            rule: self.rule,
            project: self.project,
            test_project: self.test_project,
            test_reads_raw: self.test_reads_raw,
            keep_raw: self.keep_raw,
            keep: self.keep,
            prepare: self.prepare,
        }
    }
}

/// A line of a block: its number, and where it starts and ends in the block.
type Line = (usize, usize, usize);

/// What became of the lines of a chunk: the outcomes of those the prefilter let through, in
/// line order, and how many of the others were skipped (the rest are blank). Skipped lines
/// are only counted, so they need no outcome each.
struct Done<T> {
    parsed: Vec<Outcome<T>>,
    skipped: u64,
    /// Lines of the chunk (for the progress line).
    lines: usize,
}

// Not derived: that would ask `T: Default`.
impl<T> Default for Done<T> {
    fn default() -> Self {
        Done {
            parsed: Vec::new(),
            skipped: 0,
            lines: 0,
        }
    }
}

/// What became of one line.
enum Outcome<T> {
    Blank,
    Skipped,
    Malformed(usize, String),
    /// A parsed event: whether it has a time, and what `prepare` made of it when a consumer
    /// wants it.
    Event {
        timed: bool,
        kept: Option<T>,
    },
}

impl<T> Parse<'_, T> {
    /// A line that has not been through [`select`]: the prefilters are asked here.
    fn line(&self, line: &[u8], n: usize) -> Outcome<T> {
        use crate::plan::prefilter::{ALL, fold_into, must_parse, passing};
        if line.iter().all(u8::is_ascii_whitespace) {
            return Outcome::Blank;
        }
        let passed = if self.prefilters.is_empty() || must_parse(line) {
            ALL
        } else {
            SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                fold_into(line, &mut s);
                passing(self.prefilters, &s)
            })
        };
        if passed == 0 {
            return Outcome::Skipped;
        }
        self.selected(line, n, passed)
    }

    /// A line the prefilters let through, with the mask of those it met.
    fn selected(&self, line: &[u8], n: usize, passed: u64) -> Outcome<T> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Outcome::Blank;
        }
        // A line that was not filtered (every bit: a line that must be parsed — or, with 64
        // prefilters or more, one that met them all, which only costs a second parse) is
        // first tested on the fields `keep` reads, then parsed whole if it is wanted; the
        // mask is the test's (those fields hold the same in both documents).
        let mut wanted = None;
        if let Some(t) = self.test_project
            && passed == crate::plan::prefilter::ALL
            && !self.prefilters.is_empty()
            && let Some(doc) = t.scan(line)
        {
            // The test reads `_raw` only if a search term does (the tested fields say).
            let raw = if self.test_reads_raw {
                self.raw(|| line_text(line))
            } else {
                String::new()
            };
            let ev = self.build(Doc::Members(doc), raw, n);
            let mask = (self.keep)(&ev, passed);
            if mask == 0 {
                return self.outcome(ev, 0);
            }
            wanted = Some(mask);
        }
        // The projection's scanner validates the UTF-8 of what it reads (every non-ASCII byte
        // of a valid JSON line is in a string): a line it accepts needs no check of its own.
        if let Some(p) = self.project
            && let Some(doc) = p.scan(line)
        {
            let raw = self.raw(|| line_text(line));
            return self.event(Doc::Members(doc), raw, n, passed, wanted);
        }
        let text = match std::str::from_utf8(line) {
            Ok(text) => text,
            Err(e) => return Outcome::Malformed(n, format!("invalid UTF-8: {e}")),
        };
        let parsed = match self.project {
            // the scanner has had its go: the deserializer decides, and words the errors
            Some(p) => p.parse_serde(text),
            None => super::json::from_str(text).map(|d| d.is_object().then_some(d)),
        };
        match parsed {
            Ok(Some(doc)) => {
                let raw = self.raw(|| text.to_string());
                self.event(Doc::Whole(doc), raw, n, passed, wanted)
            }
            Ok(None) => Outcome::Malformed(n, "not a JSON object".to_string()),
            Err(e) => Outcome::Malformed(n, format!("malformed JSON: {e}")),
        }
    }

    /// The event's `_raw`: the line's text when the run reads it, else empty.
    fn raw(&self, text: impl FnOnce() -> String) -> String {
        if self.keep_raw { text() } else { String::new() }
    }

    /// The outcome of a parsed line, for the consumers that want it: `wanted`, or what `keep`
    /// answers.
    fn event(
        &self,
        doc: Doc,
        raw: String,
        line: usize,
        passed: u64,
        wanted: Option<u64>,
    ) -> Outcome<T> {
        let ev = self.build(doc, raw, line);
        let mask = wanted.unwrap_or_else(|| (self.keep)(&ev, passed));
        self.outcome(ev, mask)
    }

    /// The outcome of an event wanted by the consumers in `mask` (none: 0).
    fn outcome(&self, ev: Arc<Event>, mask: u64) -> Outcome<T> {
        Outcome::Event {
            timed: ev.time.is_some(),
            kept: (mask != 0).then(|| (self.prepare)(ev, mask)),
        }
    }

    /// The event of a parsed line.
    #[inline]
    fn build(&self, doc: Doc, raw: String, line: usize) -> Arc<Event> {
        let time = match self.rule {
            Some(r) => event_time(r, &doc),
            None => default_time(&doc),
        };
        let (meta, origin) = thread_copies(&self.meta, &self.origin);
        Arc::new(Event {
            doc,
            raw,
            time,
            meta,
            origin,
            line,
        })
    }
}

/// What every event of an input shares: its metadata and its origin.
type Shared = (Arc<Meta>, Arc<str>);

thread_local! {
    /// The input being read and this thread's copies of its [`Shared`] parts (see
    /// [`thread_copies`]).
    static COPIES: std::cell::RefCell<Option<(Shared, Shared)>> =
        const { std::cell::RefCell::new(None) };
}

/// This thread's copies of an input's metadata and origin, for its events. The threads that
/// parse the lines of a chunk would otherwise all count references to the same two `Arc`s, an
/// atomic operation per event on a cache line the other thread keeps taking away (`stats count
/// by Operation`, 200 MB, two threads, 15 alternated runs: CPU time median 182.5 → 173.0 ms;
/// the instructions grow by 0.4 %). The input's own `Arc`s are kept beside the copies, so that
/// another input is never taken for it (their memory cannot be reused while they are held).
fn thread_copies(meta: &Arc<Meta>, origin: &Arc<str>) -> Shared {
    COPIES.with(|cell| {
        let Ok(mut cell) = cell.try_borrow_mut() else {
            // (never borrowed across a call; if it were, the shared ones serve)
            return (meta.clone(), origin.clone());
        };
        if let Some(((m, o), copies)) = cell.as_ref()
            && Arc::ptr_eq(m, meta)
            && Arc::ptr_eq(o, origin)
        {
            return copies.clone();
        }
        let copies: Shared = (Arc::new(Meta::clone(meta)), Arc::from(&**origin));
        *cell = Some(((meta.clone(), origin.clone()), copies.clone()));
        copies
    })
}

/// The text of a line the projection's scanner accepted (valid UTF-8: std's fast check
/// passes, the lossy form is never used).
fn line_text(line: &[u8]) -> String {
    std::str::from_utf8(line).map_or_else(
        |_| String::from_utf8_lossy(line).into_owned(),
        str::to_string,
    )
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct FileCtx<'a, T> {
    parse: Parse<'a, T>,
    strict: bool,
    max_line: usize,
    /// A read error met while filling the buffer, reported after the data before it.
    pending: Option<String>,
    /// The outcomes of a block parsed on the pool, not accounted yet: they go through the
    /// pipelines while the next block is parsed ([`FileCtx::read_pipelined`]). Everything
    /// that accounts a line settles them first ([`FileCtx::flush`]), so lines are still
    /// accounted in order.
    carry: Option<Done<T>>,
    stats: &'a mut ReadStats,
    sink: &'a mut dyn FnMut(T) -> Result<(), Diag>,
    observer: Option<&'a dyn Observer>,
}

impl<T: Send> FileCtx<'_, T> {
    fn read(&mut self, mut reader: Box<dyn Read + Send + '_>) -> Result<(), Diag> {
        // Read the start to decide the format.
        let mut buf = Vec::new();
        let eof = self.first_block(&mut reader, &mut buf);
        // Which clause of each prefilter the chunks are searched for is chosen on the start
        // of the input (any clause is conservative; the rarest costs least).
        if self.parse.prefilters.iter().any(|p| p.clauses().len() > 1) {
            let sample = buf.get(..SAMPLE).unwrap_or(&buf);
            self.parse.literals = Arc::new(crate::plan::prefilter::LiteralSet::sampled(
                self.parse.prefilters,
                sample,
            ));
        }
        let start = if buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let Some(first) = buf
            .iter()
            .skip(start)
            .position(|b| !b.is_ascii_whitespace())
        else {
            return match (eof, self.pending.take()) {
                (true, Some(msg)) => self.broken(1, &msg),
                (true, None) => Ok(()),
                _ => self.read_ndjson(reader, buf, start, eof),
            };
        };
        let first = first + start;
        let first_line = buf
            .get(first..)
            .unwrap_or_default()
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default();
        let line_complete = eof || buf.get(first..).is_some_and(|b| b.contains(&b'\n'));
        let ndjson = buf.get(first) != Some(&b'[')
            && (!line_complete
                || std::str::from_utf8(first_line)
                    .ok()
                    .is_some_and(|l| serde_json::from_str::<&RawValue>(l.trim_end()).is_ok()));
        if ndjson {
            return self.read_ndjson(reader, buf, start, eof);
        }
        // A JSON array, or objects spread over lines: these are read whole.
        let before = buf.len();
        let read = reader.read_to_end(&mut buf);
        if let Some(obs) = self.observer {
            obs.advance(buf.len().saturating_sub(before) as u64, 0);
        }
        if let Err(e) = read {
            return self.broken(1, &format!("read failed: {e}"));
        }
        if let Some(msg) = self.pending.take() {
            return self.broken(1, &msg);
        }
        let bytes = buf.get(start..).unwrap_or_default();
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.stats.read += 1;
                return self.reject(1, &format!("invalid UTF-8: {e}"));
            }
        };
        let seen = self.stats.read;
        let done = if buf.get(first) == Some(&b'[') {
            self.read_array(text)
        } else {
            self.read_stream(text)
        };
        if let Some(obs) = self.observer {
            obs.advance(0, self.stats.read.saturating_sub(seen));
        }
        done
    }

    /// NDJSON, streamed block by block: on one thread in chunks of lines
    /// ([`FileCtx::read_blocks`]), on more as a pipeline ([`FileCtx::read_pipelined`]). `buf`
    /// holds the input's first block (its lines from `pos`), and `eof` says whether it is the
    /// last one.
    fn read_ndjson(
        &mut self,
        reader: Box<dyn Read + Send + '_>,
        buf: Vec<u8>,
        pos: usize,
        eof: bool,
    ) -> Result<(), Diag> {
        if rayon::current_num_threads() < 2 {
            self.read_blocks(reader, buf, pos)?;
        } else {
            self.read_pipelined(reader, buf, pos, eof)?;
        }
        self.flush()
    }

    /// One thread: each block is read, then its lines are searched, parsed and accounted
    /// chunk by chunk (the next read goes after them, so a block is searched right after the
    /// kernel's copy brought it into the cache).
    fn read_blocks(
        &mut self,
        mut reader: Box<dyn Read + Send + '_>,
        mut buf: Vec<u8>,
        mut pos: usize,
    ) -> Result<(), Diag> {
        let mut cutter = Cutter::new(self.max_line);
        let block = block_bytes();
        let mut next: Vec<u8> = Vec::with_capacity(block);
        loop {
            let (cut, rest) = cutter.cut(&buf, pos);
            self.process_block(&buf, &cut, &mut cutter.line_no)?;
            pos = 0;
            let before = rest.len();
            let filled = fill(
                &mut *reader,
                &mut next,
                rest,
                refill(block, before),
                &self.parse.origin,
            );
            std::mem::swap(&mut buf, &mut next);
            let eof = self.filled(filled, buf.len().saturating_sub(before));
            if eof && buf.len() == before {
                return self.finish(&buf, 0, &mut cutter);
            }
        }
    }

    /// Two threads or more: a pipeline over blocks. While one block's candidate lines are
    /// parsed in a job of the pool (split among the threads when there are enough of them),
    /// this thread accounts the previous block's outcomes and then splits the next block into
    /// lines and searches it for the prefilters' literals, and the block after it is read in
    /// another job. So a block is searched on one thread while another is parsed on the
    /// other (no thread waits for a block's search before parsing starts), and the outcomes
    /// are still accounted block by block, in line order. Three buffers take turns: the block
    /// being parsed, the one being searched, the one being read.
    fn read_pipelined(
        &mut self,
        mut reader: Box<dyn Read + Send + '_>,
        first: Vec<u8>,
        pos: usize,
        mut eof: bool,
    ) -> Result<(), Diag> {
        let max = self.max_line;
        let block = block_bytes();
        let parse = self.parse.clone();
        let mut cutter = Cutter::new(max);
        // The block to parse (already searched), the block to search (already read) from
        // `pos`, and the buffer the next read goes to.
        let mut parsing: Option<(Vec<u8>, Selected)> = None;
        let (mut searching, mut pos) = (first, pos);
        let mut spare: Vec<u8> = Vec::with_capacity(block);
        loop {
            let (cut, rest) = cutter.cut(&searching, pos);
            let before = rest.len();
            let want = refill(block, before);
            let mut next = std::mem::take(&mut spare);
            let (mut filled, mut parsed) = (None, None);
            let origin = parse.origin.clone();
            let line_no = &mut cutter.line_no;
            let selected = rayon::in_place_scope(|scope| {
                if !eof {
                    let (reader, next, filled) = (&mut reader, &mut next, &mut filled);
                    scope.spawn(move |_| {
                        *filled = Some(fill(&mut **reader, next, rest, want, &origin));
                    });
                }
                if let Some((buf, sel)) = &parsing {
                    let (parse, parsed) = (&parse, &mut parsed);
                    scope.spawn(move |_| *parsed = Some(sel.parse(parse, buf, max)));
                }
                self.flush()?;
                let (lines, _) = split_lines(&searching, cut.start..cut.end, line_no, usize::MAX);
                Ok::<_, Diag>(Selected::search(&parse, &searching, cut.head, lines, max))
            })?;
            self.carry = parsed;
            if let Some((buf, _)) = parsing.take() {
                spare = buf;
            }
            let Some(filled) = filled else {
                // `searching` was the last block: its lines are parsed, and what follows the
                // last newline is the last line.
                let done = selected.parse(&parse, &searching, max);
                self.flush()?;
                self.settle(done)?;
                return self.finish(&searching, cut.end, &mut cutter);
            };
            parsing = Some((std::mem::replace(&mut searching, next), selected));
            pos = 0;
            eof = self.filled(filled, searching.len().saturating_sub(before));
        }
    }

    /// The end of an NDJSON input, once every complete line is accounted: `buf[from..]` is
    /// what followed the last newline (nothing when it was a line too long).
    fn finish(&mut self, buf: &[u8], from: usize, cutter: &mut Cutter) -> Result<(), Diag> {
        if cutter.overlong {
            cutter.line_no += 1;
            self.stats.read += 1;
            return self.reject(cutter.line_no, &overlong_message(self.max_line));
        }
        if let Some(msg) = self.pending.take() {
            // What came after the last complete line is lost with the rest.
            return self.broken(cutter.line_no + 1, &msg);
        }
        if buf.len() > from {
            cutter.line_no += 1;
            self.process(buf, (cutter.line_no, from, buf.len()))?;
        }
        Ok(())
    }

    /// Search, parse and account one line (the last of an input, without a newline).
    fn process(&mut self, buf: &[u8], line: Line) -> Result<(), Diag> {
        self.flush()?;
        let (parse, max) = (&self.parse, self.max_line);
        let done = Selected::search(parse, buf, None, vec![line], max).parse(parse, buf, max);
        self.settle(done)
    }

    /// Account the carried chunk, if any (see [`FileCtx::carry`]).
    fn flush(&mut self) -> Result<(), Diag> {
        match self.carry.take() {
            Some(done) => self.settle(done),
            None => Ok(()),
        }
    }

    /// A block's complete lines, as `cut` found them, numbered after `*line_no` (which
    /// ends at the last one's number), on one thread: in chunks of [`CHUNK`] lines, each
    /// searched, parsed and accounted before the next.
    fn process_block(&mut self, buf: &[u8], cut: &Cut, line_no: &mut usize) -> Result<(), Diag> {
        let (mut at, mut head) = (cut.start, cut.head);
        while at < cut.end || head.is_some() {
            let c = chunk(
                &self.parse,
                buf,
                (at, cut.end),
                *line_no,
                head.take(),
                self.max_line,
            );
            (at, *line_no) = (c.next, c.last);
            self.settle(c.done)?;
        }
        Ok(())
    }

    /// Account a chunk's outcomes, in line order.
    fn settle(&mut self, done: Done<T>) -> Result<(), Diag> {
        // Skipped lines only count: when they are counted does not matter.
        self.stats.read += done.skipped;
        self.stats.skipped += done.skipped;
        for o in done.parsed {
            self.account(o)?;
        }
        if let Some(obs) = self.observer {
            obs.advance(0, done.lines as u64);
        }
        Ok(())
    }

    fn account(&mut self, o: Outcome<T>) -> Result<(), Diag> {
        match o {
            Outcome::Blank => Ok(()),
            Outcome::Skipped => {
                self.stats.read += 1;
                self.stats.skipped += 1;
                Ok(())
            }
            Outcome::Malformed(n, msg) => {
                self.stats.read += 1;
                self.reject(n, &msg)
            }
            Outcome::Event { timed, kept } => {
                self.stats.read += 1;
                self.stats.parsed += 1;
                if !timed {
                    self.stats.without_time += 1;
                }
                match kept {
                    Some(k) => (self.sink)(k),
                    None => Ok(()),
                }
            }
        }
    }

    fn read_array(&mut self, text: &str) -> Result<(), Diag> {
        match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => {
                for item in items {
                    let offset =
                        (item.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                    let line = line_of(text, offset);
                    let o = self.parse.line(item.get().as_bytes(), line);
                    self.account(o)?;
                }
                Ok(())
            }
            Err(e) => {
                self.stats.read += 1;
                self.reject(e.line(), &format!("malformed JSON array: {e}"))
            }
        }
    }

    fn read_stream(&mut self, text: &str) -> Result<(), Diag> {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
        loop {
            let start = stream.byte_offset();
            match stream.next() {
                None => return Ok(()),
                Some(Ok(raw)) => {
                    let offset =
                        (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                    let o = self
                        .parse
                        .line(raw.get().as_bytes(), line_of(text, offset.max(start)));
                    self.account(o)?;
                }
                Some(Err(e)) => {
                    // The rest of the file cannot be resynchronised: report it as one rejection.
                    self.stats.read += 1;
                    return self.reject(
                        e.line(),
                        &format!("malformed JSON: {e} (the rest of the file is skipped)"),
                    );
                }
            }
        }
    }

    /// Read the first block of the input into `buf` (its old contents are replaced); a read
    /// error ends the input and is reported once what was read before it has been processed.
    fn first_block(&mut self, reader: &mut dyn Read, buf: &mut Vec<u8>) -> bool {
        // At least the sample the prefilter's clauses are chosen on, whatever the block size
        // (the same choice on one thread as on several).
        let filled = fill(
            reader,
            buf,
            &[],
            block_bytes().max(SAMPLE),
            &self.parse.origin,
        );
        self.filled(filled, buf.len())
    }

    /// Account a [`fill`] that added `bytes`: true at the end of the input.
    fn filled(&mut self, filled: Result<bool, Diag>, bytes: usize) -> bool {
        let eof = match filled {
            Ok(eof) => eof,
            Err(d) => {
                self.pending = Some(d.message);
                true
            }
        };
        if let Some(obs) = self.observer {
            obs.advance(bytes as u64, 0);
        }
        eof
    }

    /// The input broke off (a truncated `.gz`, a read error): count it as one rejected event
    /// at the line where it happened, and go on with the next input (fatal with `strict`).
    fn broken(&mut self, line: usize, msg: &str) -> Result<(), Diag> {
        self.stats.read += 1;
        self.reject(
            line.max(1),
            &format!("{msg} (the rest of the file is skipped)"),
        )
    }

    fn reject(&mut self, line: usize, msg: &str) -> Result<(), Diag> {
        // Lines before this one are accounted first (a no-op while the carried chunk itself
        // is being settled: it was taken out).
        self.flush()?;
        if self.strict {
            return Err(Diag::error(
                Kind::Io,
                "tripline::data::malformed",
                format!("{}:{line}: {msg}", self.parse.origin),
            )
            .help("fix the event, or run without `--strict` to skip and count malformed events"));
        }
        self.stats.reject(&self.parse.origin, line, msg);
        Ok(())
    }
}

/// Which lines of a chunk the prefilter lets through: per line, the mask of the prefilters it
/// meets (0: skipped; see [`crate::plan::prefilter::candidates`]).
fn select<T>(parse: &Parse<'_, T>, buf: &[u8], lines: &[Line]) -> Vec<u64> {
    use rayon::prelude::*;
    let spans: Vec<(usize, usize)> = lines.iter().map(|&(_, s, e)| (s, e)).collect();
    // The search itself is split among the threads (by lines, so each part is whole lines).
    let parts = rayon::current_num_threads();
    // Only a search that lower-cases the chunk is worth a hand-over to the pool; the raw
    // search for a few literals is faster than the thread wake-ups.
    if parts > 1 && !parse.literals.searches_raw() && spans.len() >= 2 * MIN_PART {
        let per = spans.len().div_ceil(parts).max(MIN_PART);
        spans
            .par_chunks(per)
            .map(|sp| {
                crate::plan::prefilter::candidates(parse.prefilters, &parse.literals, buf, sp)
            })
            .collect::<Vec<_>>()
            .concat()
    } else {
        crate::plan::prefilter::candidates(parse.prefilters, &parse.literals, buf, &spans)
    }
}

/// Parse the selected lines of a chunk: their outcomes, in line order, and how many of the
/// other lines were skipped (not blank).
fn parse_selected<T: Send>(
    parse: &Parse<'_, T>,
    buf: &[u8],
    lines: &[Line],
    candidate: &[u64],
    max: usize,
) -> Done<T> {
    use rayon::prelude::*;
    let parts = rayon::current_num_threads();
    let todo: Vec<(Line, u64)> = lines
        .iter()
        .zip(candidate)
        .filter(|(_, c)| **c != 0)
        .map(|(l, c)| (*l, *c))
        .collect();
    // `select` has asked the prefilters already.
    let parse_one = |&((n, s, e), passed): &(Line, u64)| {
        if e - s > max {
            return Outcome::Malformed(n, overlong_message(max));
        }
        parse.selected(trim_line(buf.get(s..e).unwrap_or_default()), n, passed)
    };
    // A few lines are parsed here: handing them to the pool costs a thread wake-up each way,
    // more than parsing them (on one thread, every hand-over is pure cost).
    let parsed = if parts > 1 && todo.len() >= MIN_PARALLEL_PARSE {
        todo.par_iter().map(parse_one).collect::<Vec<Outcome<T>>>()
    } else {
        todo.iter().map(parse_one).collect::<Vec<Outcome<T>>>()
    };
    // The other lines were skipped, or are blank.
    let skipped = lines
        .iter()
        .zip(candidate)
        .filter(|&(&(_, s, e), c)| {
            *c == 0
                && !buf
                    .get(s..e)
                    .unwrap_or_default()
                    .iter()
                    .all(u8::is_ascii_whitespace)
        })
        .count() as u64;
    Done {
        parsed,
        skipped,
        lines: lines.len(),
    }
}

/// How many bytes to read for the next block, when it starts with `carried` bytes of the
/// previous one: blocks stay `block` bytes long, the carried line included (no buffer growth),
/// unless that line is more than half of it.
fn refill(block: usize, carried: usize) -> usize {
    block.saturating_sub(carried).max(block / 2)
}

/// Where the complete lines of each block of an NDJSON input are: their numbering across
/// blocks, and whether a line too long is being skipped.
struct Cutter {
    /// The number of the last line found.
    line_no: usize,
    /// The last line of the previous block was longer than `max`: it is skipped up to its end.
    overlong: bool,
    max: usize,
}

/// A block, cut by [`Cutter::cut`].
struct Cut {
    /// The end of a line too long begun in an earlier block opens this one: its number.
    head: Option<usize>,
    /// The complete lines (numbered when they are split off).
    start: usize,
    end: usize,
}

impl Cutter {
    fn new(max: usize) -> Cutter {
        Cutter {
            line_no: 0,
            overlong: false,
            max,
        }
    }

    /// Cut `buf[pos..]`: the end of a line too long begun before (numbered here), then the
    /// complete lines, then the rest, returned: what the next block starts with (nothing when
    /// that line is already too long).
    fn cut<'b>(&mut self, buf: &'b [u8], pos: usize) -> (Cut, &'b [u8]) {
        let mut start = pos;
        let mut head = None;
        if self.overlong
            && let Some(i) = memchr::memchr(b'\n', buf.get(pos..).unwrap_or_default())
        {
            self.overlong = false;
            self.line_no += 1;
            head = Some(self.line_no);
            start = pos + i + 1;
        }
        let end = if self.overlong {
            start
        } else {
            memchr::memrchr(b'\n', buf.get(start..).unwrap_or_default())
                .map_or(start, |i| start + i + 1)
        };
        let mut rest = buf.get(end..).unwrap_or_default();
        if rest.len() > self.max {
            self.overlong = true;
            rest = &[];
        }
        (Cut { head, start, end }, rest)
    }
}

/// Split off the complete lines of `buf[range]`, at most `most` of them, numbered after
/// `*line_no` (which ends at the last one's number): the lines, and where the next one starts.
fn split_lines(
    buf: &[u8],
    range: std::ops::Range<usize>,
    line_no: &mut usize,
    most: usize,
) -> (Vec<Line>, usize) {
    let mut lines: Vec<Line> = Vec::with_capacity(CHUNK.min(most));
    let mut cursor = range.start;
    while lines.len() < most
        && let Some(i) = memchr::memchr(b'\n', buf.get(cursor..range.end).unwrap_or_default())
    {
        let e = cursor + i;
        *line_no += 1;
        lines.push((*line_no, cursor, e));
        cursor = e + 1;
    }
    (lines, cursor)
}

/// Lines searched for the prefilters' literals: what is left is to parse the candidates
/// ([`Selected::parse`]).
struct Selected {
    /// The number of a line too long whose end opened the block (rejected before the lines).
    head: Option<usize>,
    lines: Vec<Line>,
    /// Per line, the mask of the prefilters it met (see [`select`]); a line longer than the
    /// longest accepted has a mask whatever it holds, so that it is rejected in its place.
    candidate: Vec<u64>,
}

impl Selected {
    /// Search `lines` of `buf` (lines longer than `max` are rejected by [`Selected::parse`]).
    fn search<T>(
        parse: &Parse<'_, T>,
        buf: &[u8],
        head: Option<usize>,
        lines: Vec<Line>,
        max: usize,
    ) -> Selected {
        let mut candidate = select(parse, buf, &lines);
        for (&(_, s, e), c) in lines.iter().zip(candidate.iter_mut()) {
            if e - s > max {
                *c = crate::plan::prefilter::ALL;
            }
        }
        Selected {
            head,
            lines,
            candidate,
        }
    }

    /// Parse the candidate lines in `buf`: the outcomes, the head's first.
    fn parse<T: Send>(&self, parse: &Parse<'_, T>, buf: &[u8], max: usize) -> Done<T> {
        let mut done = parse_selected(parse, buf, &self.lines, &self.candidate, max);
        if let Some(line) = self.head {
            done.parsed
                .insert(0, Outcome::Malformed(line, overlong_message(max)));
            done.lines += 1;
        }
        done
    }
}

/// A chunk of a block, with what became of its lines.
struct Chunk<T> {
    done: Done<T>,
    /// Where the next chunk starts.
    next: usize,
    /// The number of the chunk's last line.
    last: usize,
}

/// The next chunk of the complete lines `buf[from..end]` (lines numbered after `line_no`):
/// up to [`CHUNK`] lines, searched and parsed, after `head` (see [`Selected`]).
fn chunk<T: Send>(
    parse: &Parse<'_, T>,
    buf: &[u8],
    (from, end): (usize, usize),
    mut line_no: usize,
    head: Option<usize>,
    max: usize,
) -> Chunk<T> {
    let (lines, next) = split_lines(buf, from..end, &mut line_no, CHUNK);
    Chunk {
        done: Selected::search(parse, buf, head, lines, max).parse(parse, buf, max),
        next,
        last: line_no,
    }
}

/// Why a line too long was not read.
fn overlong_message(max: usize) -> String {
    format!("line longer than {max} bytes (raise it with --max-line-bytes)")
}

/// Make `buf` the bytes of `head` followed by up to `want` bytes read from `reader` (until the
/// input ends: then true). The read goes straight into the buffer's bytes past `head`, which
/// are overwritten rather than cleared first: a buffer that took a block before holds them
/// already, so a file gives a whole block in one `read` (std's `read_to_end` into spare room
/// made nine, from 8 KiB doubling to 1 MiB, for each 2 MiB) and nothing is zeroed again. A
/// fresh buffer reserves the block at once (untouched memory costs nothing) but makes its
/// bytes ready by doubling as they are filled, so a small input zeroes and touches a few KiB,
/// not a block. What was read before an error is kept.
fn fill(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    head: &[u8],
    want: usize,
    origin: &str,
) -> Result<bool, Diag> {
    const FIRST_READ: usize = 8 << 10;
    let start = head.len();
    let end = start + want;
    buf.reserve(end.saturating_sub(buf.len()));
    if buf.len() < start {
        buf.resize(start, 0);
    }
    if let Some(front) = buf.get_mut(..start) {
        front.copy_from_slice(head);
    }
    let mut got = start;
    let outcome = loop {
        if got >= end {
            break Ok(false);
        }
        if got >= buf.len() {
            let grown = (2 * buf.len()).max(got + FIRST_READ).min(end);
            buf.resize(grown, 0);
        }
        let stop = end.min(buf.len());
        let Some(room) = buf.get_mut(got..stop) else {
            break Ok(false);
        };
        match reader.read(room) {
            Ok(0) => break Ok(true),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(io_error(origin, &format!("read failed: {e}"))),
        }
    };
    buf.truncate(got);
    outcome
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .get(..offset)
        .map(|b| memchr::memchr_iter(b'\n', b).count() + 1)
        .unwrap_or(1)
}

fn event_time(rule: &TimeRule, doc: &Doc) -> Option<f64> {
    let read = |text: &str| match &rule.format {
        Some(fmt) => time::strptime(text, fmt, &rule.zone),
        None => time::parse_timestamp(text, &rule.zone),
    };
    // The usual case, one key holding a text: read where it stands.
    if let Some(text) = rule.path.lookup_str_in(doc) {
        return read(text);
    }
    let v = rule.path.lookup_in(doc);
    match v.values().first()? {
        crate::value::Value::Num(n) if rule.format.is_none() => Some(epoch_number(*n)),
        first => read(&first.to_text()?),
    }
}

/// Millisecond epochs (13 digits) are read as milliseconds.
fn epoch_number(n: f64) -> f64 {
    if n.abs() >= 1e12 { n / 1000.0 } else { n }
}

/// The size of `inputs` in bytes, when every one is a plain file.
fn total_bytes(inputs: &[&Input]) -> Option<u64> {
    inputs
        .iter()
        .try_fold(0u64, |sum, input| match &input.path {
            InputPath::File(p) if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) => {
                Some(sum + std::fs::metadata(p).ok()?.len())
            }
            _ => None,
        })
}

/// Where `_time` is found without a sourcetype rule, in order.
const DEFAULT_TIME_KEYS: [&str; 3] = ["_time", "@timestamp", "timestamp"];

/// Without a sourcetype rule: a top-level `_time` (epoch or timestamp), else `@timestamp`,
/// else `timestamp`.
fn default_time(doc: &Doc) -> Option<f64> {
    for key in DEFAULT_TIME_KEYS {
        match doc.get(key) {
            Some(Json::Number(n)) => return n.as_f64().map(epoch_number),
            Some(Json::String(s)) => {
                if let Some(t) = time::parse_timestamp(s, &Zone::Utc) {
                    return Some(t);
                }
            }
            _ => {}
        }
    }
    None
}

/// Expand a `--data` argument: a file, a folder (every `.json`, `.ndjson`, `.log`, `.gz`
/// inside, recursively, in name order), `-` for stdin. Manifests are handled by the caller.
pub fn expand_path(arg: &str) -> Result<Vec<InputPath>, Diag> {
    if arg == "-" {
        return Ok(vec![InputPath::Stdin]);
    }
    let p = PathBuf::from(arg);
    let meta = std::fs::metadata(&p).map_err(|e| io_error(arg, &e.to_string()))?;
    if meta.is_dir() {
        let mut files = Vec::new();
        collect_dir(&p, &mut files)?;
        files.sort();
        Ok(files.into_iter().map(InputPath::File).collect())
    } else {
        Ok(vec![InputPath::File(p)])
    }
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diag> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(&name, &e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(&name, &e.to_string()))?;
        let path = entry.path();
        if path.is_dir() {
            collect_dir(&path, out)?;
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["json", "ndjson", "log", "gz", "jsonl"].contains(&e.to_ascii_lowercase().as_str())
        }) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, strict: bool) -> (Vec<Arc<Event>>, Result<ReadStats, Diag>) {
        read_with(text, strict, None)
    }

    /// A dataset of one file holding `text` (the directory lives as long as the dataset is
    /// read).
    fn dataset(text: &str, cfg: ReadConfig) -> (tempfile::TempDir, Dataset) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, text).unwrap();
        let ds = Dataset::new(
            vec![Input {
                path: InputPath::File(p),
                meta: Meta::default(),
            }],
            cfg,
        );
        (dir, ds)
    }

    fn read_with(
        text: &str,
        strict: bool,
        max_line: Option<usize>,
    ) -> (Vec<Arc<Event>>, Result<ReadStats, Diag>) {
        let cfg = ReadConfig {
            strict,
            max_line,
            ..ReadConfig::default()
        };
        let (_dir, ds) = dataset(text, cfg);
        let mut got = Vec::new();
        let r = ds.for_each(&mut |e| {
            got.push(e);
            Ok(())
        });
        (got, r)
    }

    /// A line that must be parsed (a `\u` escape) is first parsed with only the fields the
    /// test reads, and whole only when the test wants it; filtered lines are parsed whole at
    /// once. Worked by hand: line 1 holds `send` (parsed whole, tested once), line 2 spells it
    /// with an escape and is wanted (tested on `Operation` alone, then parsed whole, not
    /// tested again), line 3 has an escape and is not wanted (tested only), line 4 has no
    /// `send` (not parsed).
    #[test]
    fn escaped_lines_are_tested_on_few_fields_then_parsed_whole() {
        let text = concat!(
            r#"{"Operation":"Send","Subject":"a","Big":{"x":1}}"#,
            "\n",
            r#"{"Operation":"Sen\u0064","Subject":"b","Big":[1]}"#,
            "\n",
            r#"{"Operation":"Other\u0021","Subject":"c"}"#,
            "\n",
            r#"{"Operation":"Receive","Subject":"d"}"#,
            "\n",
        );
        let (_dir, ds) = dataset(text, ReadConfig::default());
        let prefilter = Prefilter::from_pred(&crate::plan::search::tests::pred("Operation=Send"));
        let seen = std::sync::Mutex::new(Vec::new());
        let keep = |e: &Arc<Event>, _: u64| {
            let doc = e.doc.to_json();
            let keys: Vec<String> = doc.as_object().unwrap().keys().cloned().collect();
            seen.lock().unwrap().push((e.line, keys));
            u64::from(doc["Operation"] == "Send")
        };
        let mut got = Vec::new();
        let fields = ["Operation".to_string(), "Subject".to_string()];
        let stats = ds
            .scan_many(
                &Pass {
                    prefilters: &[&prefilter],
                    fields: Some(&fields),
                    tested: Some(&fields[..1]),
                    wants: &|_| true,
                    keep: &keep,
                },
                &|e, mask| (e, mask),
                &mut |(e, mask)| {
                    got.push((e.line, e.doc.to_json().to_string(), mask));
                    Ok(())
                },
            )
            .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            seen,
            [
                (1, keys(&["Operation", "Subject"])),
                (2, keys(&["Operation"])),
                (3, keys(&["Operation"])),
            ]
        );
        assert_eq!(
            got,
            [
                (1, r#"{"Operation":"Send","Subject":"a"}"#.to_string(), 1),
                (2, r#"{"Operation":"Send","Subject":"b"}"#.to_string(), 1),
            ]
        );
        assert_eq!((stats.read, stats.skipped), (4, 1));

        // With `_raw` read by the plan: the test's document carries the line only when the
        // test itself reads `_raw`; the event handed on always does.
        let fields = ["Operation".to_string(), "_raw".to_string()];
        for (tested, test_raw) in [(&fields[..1], false), (&fields[1..], true)] {
            let seen = std::sync::Mutex::new(Vec::new());
            let keep = |e: &Arc<Event>, _: u64| {
                seen.lock().unwrap().push((e.line, !e.raw.is_empty()));
                u64::from(e.doc.get("Operation").is_none_or(|o| o == "Send"))
            };
            let mut got = Vec::new();
            ds.scan_many(
                &Pass {
                    prefilters: &[&prefilter],
                    fields: Some(&fields),
                    tested: Some(tested),
                    wants: &|_| true,
                    keep: &keep,
                },
                &|e, _| e,
                &mut |e| {
                    got.push((e.line, e.raw.is_empty()));
                    Ok(())
                },
            )
            .unwrap();
            let mut seen = seen.into_inner().unwrap();
            seen.sort();
            // line 1 is tested whole (it met the prefilter), lines 2 and 3 on the test's fields
            assert_eq!(
                seen,
                [(1, true), (2, test_raw), (3, test_raw)],
                "{tested:?}"
            );
            let handed = if test_raw {
                vec![(1, false), (2, false), (3, false)]
            } else {
                vec![(1, false), (2, false)]
            };
            assert_eq!(got, handed, "{tested:?}");
        }
    }

    /// An event's time by the sourcetype's rule, worked by hand (2025-03-01 00:38:13 UTC is
    /// 1,740,789,493): a text in the rule's strptime format, an ISO text without a format, a
    /// text in a nested field, an epoch number in milliseconds; a text the format does not
    /// read has no time.
    #[test]
    fn event_times_by_the_sourcetype_rule() {
        let rule = |field: &str, format: Option<&str>| TimeRule {
            path: FieldPath::new(field),
            format: format.map(str::to_string),
            zone: Zone::Utc,
        };
        let json: Json = serde_json::from_str(
            r#"{"t":"01/03/2025 00:38:13","iso":"2025-03-01T00:38:13Z","n":{"t":"2025-03-01T00:38:13"},"ms":1740789493000}"#,
        )
        .unwrap();
        let members = json.as_object().unwrap().clone().into_iter();
        let members = members
            .map(|(k, v)| (crate::event::intern(&k), v))
            .collect();
        // the same, whether the document was parsed whole or projected
        for doc in [Doc::Whole(json), Doc::Members(members)] {
            let t = 1_740_789_493.0;
            assert_eq!(
                event_time(&rule("t", Some("%d/%m/%Y %H:%M:%S")), &doc),
                Some(t)
            );
            assert_eq!(event_time(&rule("iso", None), &doc), Some(t));
            assert_eq!(event_time(&rule("n.t", None), &doc), Some(t));
            assert_eq!(event_time(&rule("ms", None), &doc), Some(t));
            assert_eq!(
                event_time(&rule("iso", Some("%d/%m/%Y %H:%M:%S")), &doc),
                None
            );
            assert_eq!(event_time(&rule("missing", None), &doc), None);
        }
    }

    /// The line numbers of the reported problems (`…/x.json:LINE: message`), in order.
    fn problem_lines(stats: &ReadStats) -> Vec<usize> {
        stats
            .problems
            .iter()
            .map(|p| {
                p.rsplit_once(".json:")
                    .and_then(|(_, rest)| rest.split(':').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("no line number in {p}"))
            })
            .collect()
    }

    /// Malformed lines over several blocks — one about every 997 lines, so that most blocks'
    /// last chunks (accounted only once the next block's first chunk is parsed) hold one —
    /// and an overlong line: on one thread and on two, events and problems come in line order
    /// and the counts add up; with `strict`, the first malformed line stops the read.
    #[test]
    fn problems_across_blocks_come_in_line_order() {
        let mut text = String::new();
        let mut bad = Vec::new();
        let mut n = 0usize;
        while text.len() < 3 * BLOCK {
            n += 1;
            if n.is_multiple_of(997) {
                text.push_str("{bad\n");
                bad.push(n);
            } else if n == 4000 {
                text.push_str(&format!("{{\"i\":{n},\"pad\":\"{}\"}}\n", "x".repeat(5000)));
                bad.push(n);
            } else {
                let pad = "y".repeat((n * 7919) % 3000);
                text.push_str(&format!("{{\"i\":{n},\"pad\":\"{pad}\"}}\n"));
            }
        }
        bad.sort_unstable();
        let good: Vec<usize> = (1..=n).filter(|i| !bad.contains(i)).collect();
        for threads in [1, 2] {
            let pool = pool_of(threads);
            let (evs, stats) = pool.install(|| read_with(&text, false, Some(4096)));
            let stats = stats.unwrap();
            assert_eq!(stats.read, n as u64, "{threads} threads");
            assert_eq!(stats.malformed, bad.len() as u64, "{threads} threads");
            let lines: Vec<usize> = evs.iter().map(|e| e.line).collect();
            assert!(lines == good, "{threads} threads: events out of order");
            assert_eq!(problem_lines(&stats), bad, "{threads} threads");
            let (_, strict) = pool.install(|| read_with(&text, true, Some(4096)));
            assert!(
                strict.is_err_and(|d| d.message.contains(":997: malformed JSON")),
                "{threads} threads"
            );
        }
    }

    /// Lines longer than `--max-line-bytes` among four blocks of others — some of them
    /// across a block's end (one begun before is carried whole while it is short enough, then
    /// found too long as a complete line; otherwise skipped up to its end), one longer than a
    /// whole block, and the input's last line, without a newline — are each rejected once, in
    /// their place among the other problems, and the lines after them keep their numbers: on
    /// one thread (blocks searched and parsed in turn) and on two and three (the pipeline).
    #[test]
    fn lines_too_long_are_rejected_in_place_across_blocks() {
        const MAX: usize = 100_000;
        for last in ["good", "too long", "malformed"] {
            let mut text = String::new();
            let (mut good, mut bad, mut read) = (Vec::new(), Vec::new(), 0u64);
            let mut n = 0usize;
            while text.len() < 4 * BLOCK {
                n += 1;
                if n.is_multiple_of(300) {
                    // 100,001 to 250,000 bytes, about one in every block's reach
                    let len = MAX + 1 + (n * 7919) % 150_000;
                    text.push_str(&format!("{{\"i\":{n},\"pad\":\"{}\"}}\n", "z".repeat(len)));
                    bad.push(n);
                    read += 1;
                } else if n == 1000 {
                    text.push_str(&"x".repeat(BLOCK + BLOCK / 2));
                    text.push('\n');
                    bad.push(n);
                    read += 1;
                } else if n.is_multiple_of(333) {
                    text.push_str(" \r\n");
                } else {
                    let pad = "y".repeat((n * 104_729) % 6000);
                    text.push_str(&format!("{{\"i\":{n},\"pad\":\"{pad}\"}}\n"));
                    good.push(n);
                    read += 1;
                }
            }
            n += 1;
            read += 1;
            match last {
                "good" => {
                    text.push_str(&format!("{{\"i\":{n}}}"));
                    good.push(n);
                }
                "too long" => {
                    text.push_str(&format!("{{\"i\":{n},\"pad\":\"{}\"}}", "z".repeat(MAX)));
                    bad.push(n);
                }
                _ => {
                    text.push_str("{\"i\":");
                    bad.push(n);
                }
            }
            assert!(bad.len() <= MAX_REPORTED, "every problem is listed");
            for threads in [1, 2, 3] {
                let pool = pool_of(threads);
                let (evs, stats) = pool.install(|| read_with(&text, false, Some(MAX)));
                let stats = stats.unwrap();
                let context = format!("{threads} threads, last line {last}");
                assert_eq!(stats.read, read, "{context}");
                assert_eq!(stats.malformed, bad.len() as u64, "{context}");
                let lines: Vec<usize> = evs.iter().map(|e| e.line).collect();
                assert!(lines == good, "{context}: events differ");
                assert_eq!(problem_lines(&stats), bad, "{context}");
                let too_long = stats
                    .problems
                    .iter()
                    .filter(|p| p.contains("line longer than 100000 bytes"))
                    .count();
                let too_long_wanted = bad.len() - usize::from(last == "malformed");
                assert_eq!(too_long, too_long_wanted, "{context}");
                // With a prefilter no line meets, every other line is skipped unparsed (the
                // malformed last line too), and the lines too long are still rejected.
                let cfg = ReadConfig {
                    max_line: Some(MAX),
                    ..ReadConfig::default()
                };
                let (_dir, ds) = dataset(&text, cfg);
                let prefilter =
                    Prefilter::from_pred(&crate::plan::search::tests::pred("Operation=Send"));
                let mut parsed = 0;
                let stats = pool
                    .install(|| {
                        let pass = Pass {
                            prefilters: &[&prefilter],
                            fields: None,
                            tested: None,
                            wants: &|_| true,
                            keep: &|_, _| 1,
                        };
                        ds.scan_many(&pass, &|e, _| e, &mut |_| {
                            parsed += 1;
                            Ok(())
                        })
                    })
                    .unwrap();
                let rejected: Vec<usize> = bad
                    .iter()
                    .copied()
                    .filter(|&b| last != "malformed" || b != n)
                    .collect();
                assert_eq!(problem_lines(&stats), rejected, "{context}, prefiltered");
                assert_eq!(parsed, 0, "{context}, prefiltered");
                assert_eq!(
                    (stats.read, stats.skipped),
                    (read, read - rejected.len() as u64),
                    "{context}, prefiltered"
                );
            }
        }
    }

    /// Events carry their own input's metadata and origin, read on one thread or several
    /// (whose copies of them are per input): two files with different sourcetypes, read
    /// twice in a row (each pass shares new metadata).
    #[test]
    fn events_carry_their_inputs_metadata_on_any_thread() {
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<Input> = ["a", "b"]
            .iter()
            .map(|name| {
                let p = dir.path().join(format!("{name}.json"));
                let text: String = (1..=500).map(|i| format!("{{\"i\":{i}}}\n")).collect();
                std::fs::write(&p, text).unwrap();
                Input {
                    path: InputPath::File(p),
                    meta: Meta {
                        sourcetype: Some(format!("st:{name}")),
                        ..Meta::default()
                    },
                }
            })
            .collect();
        let ds = Dataset::new(inputs, ReadConfig::default());
        for threads in [1, 2] {
            pool_of(threads).install(|| {
                for _ in 0..2 {
                    let mut seen = Vec::new();
                    ds.for_each(&mut |e| {
                        seen.push((e.meta.sourcetype.clone().unwrap(), e.origin.to_string()));
                        Ok(())
                    })
                    .unwrap();
                    assert_eq!(seen.len(), 1000);
                    for (n, (st, origin)) in seen.iter().enumerate() {
                        let name = if n < 500 { "a" } else { "b" };
                        assert_eq!(st, &format!("st:{name}"), "{threads} threads, event {n}");
                        assert!(origin.ends_with(&format!("{name}.json")), "{origin}");
                    }
                }
            });
        }
    }

    /// A pool of `threads` worker threads, to read on.
    fn pool_of(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a test thread pool")
    }

    /// Many short lines, read as chunks on one thread and as one block on a pool of three
    /// threads: events come in line order, every malformed line is counted, and the problems
    /// are reported in line order, an overlong line among them.
    #[test]
    fn many_chunks_on_many_threads_keep_line_order() {
        let n = 3 * CHUNK + 123;
        let mut text = String::new();
        let mut bad = Vec::new();
        for i in 1..=n {
            if i % 499 == 0 {
                text.push_str("{bad\n");
                bad.push(i);
            } else if i == 2 * CHUNK + 7 {
                text.push_str(&format!("{{\"i\":{i},\"pad\":\"{}\"}}\n", "x".repeat(300)));
                bad.push(i);
            } else {
                text.push_str(&format!("{{\"i\":{i}}}\n"));
            }
        }
        bad.sort_unstable();
        for threads in [1, 3] {
            let pool = pool_of(threads);
            let (evs, stats) = pool.install(|| read_with(&text, false, Some(200)));
            let stats = stats.unwrap();
            assert_eq!(stats.read, n as u64);
            assert_eq!(stats.malformed, bad.len() as u64);
            assert_eq!(stats.parsed, (n - bad.len()) as u64);
            let lines: Vec<usize> = evs.iter().map(|e| e.line).collect();
            let want: Vec<usize> = (1..=n).filter(|i| !bad.contains(i)).collect();
            assert_eq!(lines, want, "{threads} threads");
            let reported = problem_lines(&stats);
            assert_eq!(
                reported,
                bad.iter().copied().take(reported.len()).collect::<Vec<_>>()
            );
            assert!(
                stats
                    .problems
                    .iter()
                    .any(|p| p.contains("line longer than 200 bytes"))
            );
        }
    }

    /// A reader that gives its bytes a few at a time, is interrupted once, and can fail at
    /// the end.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        interrupted: bool,
        fail_at_end: bool,
        /// The most room a read was offered.
        widest: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.widest = self.widest.max(out.len());
            if !self.interrupted {
                self.interrupted = true;
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let rest = &self.data[self.at..];
            if rest.is_empty() && self.fail_at_end {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = rest.len().min(out.len()).min(self.step);
            out[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    /// `fill` makes the buffer the carried head plus what was read, whatever the buffer held
    /// before (its old bytes are overwritten, never shown), in short reads or one, through an
    /// interrupted read, and keeps what came before an error.
    #[test]
    fn fill_replaces_the_buffer_with_the_head_and_what_was_read() {
        let trickle = |data: &[u8], step, fail_at_end| Trickle {
            data: data.to_vec(),
            at: 0,
            step,
            interrupted: false,
            fail_at_end,
            widest: 0,
        };
        for step in [1, 3, 64, 1 << 20] {
            // a buffer that held a longer block: none of its old bytes may remain
            let mut buf = vec![b'x'; 100];
            let mut r = trickle(b"abcdefghij", step, false);
            assert_eq!(fill(&mut r, &mut buf, b"HEAD", 6, "t"), Ok(false));
            assert_eq!(buf, b"HEADabcdef");
            // the next fill of the same buffer: the rest of the input, then its end
            let mut again = std::mem::take(&mut buf);
            assert_eq!(fill(&mut r, &mut again, b"", 6, "t"), Ok(true));
            assert_eq!(again, b"ghij");
            // an input that ends exactly at `want` is only known to end at the next fill
            let mut r = trickle(b"abc", step, false);
            let mut buf = Vec::new();
            assert_eq!(fill(&mut r, &mut buf, b"", 3, "t"), Ok(false));
            assert_eq!(buf, b"abc");
            assert_eq!(fill(&mut r, &mut buf, b"", 3, "t"), Ok(true));
            assert_eq!(buf, b"");
            // a fresh buffer and a small input: a few KiB are made ready (zeroed) for the read,
            // not the whole block; a buffer that held a block offers all of it at once
            let mut r = trickle(b"tiny", step, false);
            let mut buf = Vec::new();
            assert_eq!(fill(&mut r, &mut buf, b"", 2 << 20, "t"), Ok(true));
            assert_eq!(buf, b"tiny");
            assert!(r.widest <= 8 << 10, "{}", r.widest);
            let mut r = trickle(b"tiny", step, false);
            let mut buf = vec![0; 2 << 20];
            assert_eq!(fill(&mut r, &mut buf, b"", 2 << 20, "t"), Ok(true));
            assert_eq!(r.widest, 2 << 20);
            // a read error: what came before it is kept, and the error names the input
            let mut r = trickle(b"abcd", step, true);
            let mut buf = vec![b'x'; 50];
            let err = fill(&mut r, &mut buf, b"H", 10, "in.json").unwrap_err();
            assert_eq!(buf, b"Habcd");
            assert!(err.message.contains("in.json") && err.message.contains("disk on fire"));
        }
    }

    /// Several blocks: lines cross block boundaries (one of them is longer than half a block, so
    /// the block carrying it grows), the next block is read while the current one is parsed,
    /// and every event still has its own line's text and number, on one thread and on two.
    #[test]
    fn lines_across_blocks_keep_their_text_and_number() {
        let mut text = String::new();
        let mut want = Vec::new();
        let mut i = 0usize;
        while text.len() < 3 * BLOCK {
            i += 1;
            let pad = if i == 1500 {
                BLOCK / 2 + 1000
            } else {
                (i * 7919) % 3000
            };
            let line = format!("{{\"i\":{i},\"pad\":\"{}\"}}", "y".repeat(pad));
            text.push_str(&line);
            text.push('\n');
            want.push((i, line));
        }
        for threads in [1, 2] {
            let pool = pool_of(threads);
            let (evs, stats) = pool.install(|| read(&text, false));
            let stats = stats.unwrap();
            assert_eq!((stats.read, stats.parsed), (i as u64, i as u64));
            let got: Vec<(usize, &str)> = evs.iter().map(|e| (e.line, e.raw.as_str())).collect();
            let want: Vec<(usize, &str)> = want.iter().map(|(n, l)| (*n, l.as_str())).collect();
            assert!(
                got == want,
                "{threads} threads: events differ from the lines"
            );
        }
    }

    #[test]
    fn ndjson_with_bad_lines_is_counted() {
        let (evs, stats) = read("\u{feff}{\"a\":1}\r\n\n{bad\n[1]\n{\"a\":2}\n", false);
        let stats = stats.unwrap_or_default();
        assert_eq!(evs.len(), 2);
        assert_eq!((stats.read, stats.parsed, stats.malformed), (4, 2, 2));
        assert_eq!(evs.get(1).map(|e| e.line), Some(5));
        assert!(stats.problems.first().is_some_and(|p| {
            p.ends_with(":3: malformed JSON: key must be a string at line 1 column 2")
        }));
        assert!(
            stats
                .problems
                .get(1)
                .is_some_and(|p| p.contains(":4: not a JSON object"))
        );
    }

    #[test]
    fn strict_makes_malformed_fatal() {
        let (_, r) = read("{\"a\":1}\nnope\n", true);
        assert!(r.is_err_and(|d| d.message.contains(":2: malformed JSON")));
    }

    #[test]
    fn array_and_pretty_objects() {
        let (evs, _) = read("[\n {\"a\": 1},\n {\"a\": 2}\n]", false);
        assert_eq!(evs.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
        let (evs, _) = read("{\n \"a\": 1\n}\n{\n \"a\": 2\n}\n", false);
        assert_eq!(evs.len(), 2);
        assert_eq!(evs.get(1).map(|e| e.raw.as_str()), Some("{\n \"a\": 2\n}"));
    }

    #[test]
    fn long_lines_are_rejected_and_reading_goes_on() {
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(100));
        let text = format!("{{\"a\":1}}\n{long}\n{{\"a\":2}}");
        let (evs, stats) = read_with(&text, false, Some(50));
        let stats = stats.unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!((stats.read, stats.parsed, stats.malformed), (3, 2, 1));
        assert!(
            stats.problems[0].contains(":2: line longer than 50 bytes"),
            "{:?}",
            stats.problems
        );
        // the last line has no newline and is still read
        assert_eq!(evs[1].line, 3);
    }

    #[test]
    fn many_lines_keep_their_order() {
        let text: String = (0..10_000).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        let (evs, stats) = read(&text, false);
        assert_eq!(stats.unwrap().parsed, 10_000);
        assert!(evs.iter().enumerate().all(|(i, e)| e.line == i + 1));
    }
}
