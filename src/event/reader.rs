//! Reading events from files, folders, `.gz`, stdin and dataset manifests (stage: read).
//!
//! Formats: NDJSON (one JSON object per line), a JSON array of objects, or JSON objects one
//! after another (e.g. one pretty-printed object per file). A line that is not a JSON object is
//! counted, reported with file:line, and skipped — or fatal with `strict`. The accounting always
//! closes: `read = parsed + malformed`.

use super::{Event, FieldPath, Meta};
use crate::diag::{Diag, Kind};
use crate::plan::prefilter::Prefilter;
use crate::time::{self, Zone};
use serde_json::Value as Json;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
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
        sink: &mut dyn FnMut(Event) -> Result<(), Diag>,
    ) -> Result<ReadStats, Diag> {
        self.for_each_filtered(None, sink)
    }

    /// Like [`Dataset::for_each`], skipping (and counting) lines the prefilter rules out.
    /// With `strict`, the prefilter is not used, so that every line is validated.
    pub fn for_each_filtered(
        &self,
        prefilter: Option<&Prefilter>,
        sink: &mut dyn FnMut(Event) -> Result<(), Diag>,
    ) -> Result<ReadStats, Diag> {
        let prefilter = prefilter.filter(|p| !p.is_empty() && !self.cfg.strict);
        let mut stats = ReadStats::default();
        for input in &self.inputs {
            let meta = Arc::new(input.meta.clone());
            let rule = self.time_rule(&meta);
            let origin: Arc<str> = match &input.path {
                InputPath::File(p) => Arc::from(p.display().to_string()),
                InputPath::Stdin => Arc::from("-"),
            };
            let bytes = self.bytes(&input.path)?;
            let mut ctx = FileCtx {
                prefilter,
                scratch: Vec::new(),
                origin,
                meta,
                rule: rule.as_ref(),
                strict: self.cfg.strict,
                stats: &mut stats,
                sink,
            };
            ctx.read_bytes(&bytes)?;
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

    fn bytes(&self, path: &InputPath) -> Result<Vec<u8>, Diag> {
        match path {
            InputPath::Stdin => {
                let cached = self.stdin.get_or_init(|| {
                    let mut buf = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut buf)
                        .map(|_| buf)
                        .map_err(|e| e.to_string())
                });
                cached.clone().map_err(|e| io_error("-", &e))
            }
            InputPath::File(p) => read_file(p),
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

fn read_file(p: &Path) -> Result<Vec<u8>, Diag> {
    let name = p.display().to_string();
    let file = std::fs::File::open(p).map_err(|e| io_error(&name, &e.to_string()))?;
    let mut buf = Vec::new();
    if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        flate2::read::MultiGzDecoder::new(BufReader::new(file))
            .read_to_end(&mut buf)
            .map_err(|e| io_error(&name, &format!("bad gzip data: {e}")))?;
    } else {
        BufReader::new(file)
            .read_to_end(&mut buf)
            .map_err(|e| io_error(&name, &e.to_string()))?;
    }
    Ok(buf)
}

struct FileCtx<'a> {
    prefilter: Option<&'a Prefilter>,
    scratch: Vec<u8>,
    origin: Arc<str>,
    meta: Arc<Meta>,
    rule: Option<&'a TimeRule>,
    strict: bool,
    stats: &'a mut ReadStats,
    sink: &'a mut dyn FnMut(Event) -> Result<(), Diag>,
}

impl FileCtx<'_> {
    fn read_bytes(&mut self, bytes: &[u8]) -> Result<(), Diag> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let first = bytes.iter().position(|b| !b.is_ascii_whitespace());
        let Some(first) = first else { return Ok(()) };
        if bytes.get(first) == Some(&b'[') {
            return self.read_array(bytes);
        }
        // NDJSON unless the first non-empty line is not a JSON value on its own (then the
        // file holds objects spread over several lines, e.g. one pretty-printed object).
        let first_line = bytes
            .get(first..)
            .unwrap_or_default()
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default();
        let first_ok = std::str::from_utf8(first_line)
            .ok()
            .is_some_and(|l| serde_json::from_str::<&RawValue>(l.trim_end()).is_ok());
        if first_ok {
            self.read_lines(bytes)
        } else {
            self.read_stream(bytes)
        }
    }

    fn read_lines(&mut self, bytes: &[u8]) -> Result<(), Diag> {
        let mut reader = BufReader::new(bytes);
        let mut line = Vec::new();
        let mut n = 0usize;
        loop {
            line.clear();
            let got = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| io_error(&self.origin, &e.to_string()))?;
            if got == 0 {
                return Ok(());
            }
            n += 1;
            let text = trim_line(&line);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self.skip(text) {
                continue;
            }
            match std::str::from_utf8(text) {
                Ok(s) => self.accept_parsed(s, n)?,
                Err(e) => {
                    self.stats.read += 1;
                    self.reject(n, &format!("invalid UTF-8: {e}"))?;
                }
            }
        }
    }

    fn read_array(&mut self, bytes: &[u8]) -> Result<(), Diag> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.stats.read += 1;
                return self.reject(1, &format!("invalid UTF-8: {e}"));
            }
        };
        match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => {
                for item in items {
                    let offset =
                        (item.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                    let line = line_of(text, offset);
                    self.accept(item.get(), line)?;
                }
                Ok(())
            }
            Err(e) => {
                self.stats.read += 1;
                self.reject(e.line(), &format!("malformed JSON array: {e}"))
            }
        }
    }

    fn read_stream(&mut self, bytes: &[u8]) -> Result<(), Diag> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.stats.read += 1;
                return self.reject(1, &format!("invalid UTF-8: {e}"));
            }
        };
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
        loop {
            let start = stream.byte_offset();
            match stream.next() {
                None => return Ok(()),
                Some(Ok(raw)) => {
                    let offset =
                        (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                    self.accept(raw.get(), line_of(text, offset.max(start)))?;
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

    /// Count and skip a line the prefilter rules out.
    fn skip(&mut self, text: &[u8]) -> bool {
        match self.prefilter {
            Some(p) if !p.may_match(text, &mut self.scratch) => {
                self.stats.read += 1;
                self.stats.skipped += 1;
                true
            }
            _ => false,
        }
    }

    fn accept(&mut self, text: &str, line: usize) -> Result<(), Diag> {
        if self.skip(text.as_bytes()) {
            return Ok(());
        }
        self.accept_parsed(text, line)
    }

    /// Parse a line that passed the prefilter.
    fn accept_parsed(&mut self, text: &str, line: usize) -> Result<(), Diag> {
        self.stats.read += 1;
        let doc: Json = match serde_json::from_str(text) {
            Ok(d) => d,
            Err(e) => return self.reject(line, &format!("malformed JSON: {e}")),
        };
        if !doc.is_object() {
            return self.reject(line, "not a JSON object");
        }
        let time = self
            .rule
            .and_then(|r| event_time(r, &doc))
            .or_else(|| self.rule.is_none().then(|| default_time(&doc)).flatten());
        if time.is_none() {
            self.stats.without_time += 1;
        }
        self.stats.parsed += 1;
        (self.sink)(Event {
            doc,
            raw: text.to_string(),
            time,
            meta: self.meta.clone(),
            origin: self.origin.clone(),
            line,
        })
    }

    fn reject(&mut self, line: usize, msg: &str) -> Result<(), Diag> {
        if self.strict {
            return Err(Diag::error(
                Kind::Io,
                "tripline::data::malformed",
                format!("{}:{line}: {msg}", self.origin),
            )
            .help("fix the event, or run without `--strict` to skip and count malformed events"));
        }
        self.stats.reject(&self.origin, line, msg);
        Ok(())
    }
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

fn event_time(rule: &TimeRule, doc: &Json) -> Option<f64> {
    let v = rule.path.lookup(doc);
    let first = v.values().first()?.clone();
    if let Some(fmt) = &rule.format {
        let text = first.to_text()?;
        time::strptime(&text, fmt, &rule.zone)
    } else {
        match first {
            crate::value::Value::Num(n) => Some(epoch_number(n)),
            other => time::parse_timestamp(&other.to_text()?, &rule.zone),
        }
    }
}

/// Millisecond epochs (13 digits) are read as milliseconds.
fn epoch_number(n: f64) -> f64 {
    if n.abs() >= 1e12 { n / 1000.0 } else { n }
}

/// Without a sourcetype rule: a top-level `_time` (epoch or timestamp), else `@timestamp`,
/// else `timestamp`.
fn default_time(doc: &Json) -> Option<f64> {
    for key in ["_time", "@timestamp", "timestamp"] {
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

    fn read(text: &str, strict: bool) -> (Vec<Event>, Result<ReadStats, Diag>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, text).unwrap();
        let ds = Dataset::new(
            vec![Input {
                path: InputPath::File(p),
                meta: Meta::default(),
            }],
            ReadConfig {
                strict,
                ..ReadConfig::default()
            },
        );
        let mut got = Vec::new();
        let r = ds.for_each(&mut |e| {
            got.push(e);
            Ok(())
        });
        (got, r)
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
}
