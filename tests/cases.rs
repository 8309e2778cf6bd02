//! Data-driven behaviour tests: every `tests/cases/**/*.yml` file holds one case (or a
//! `cases:` list of cases) with a query, inline events and the rows Splunk returns, worked
//! out by hand from the documented SPL semantics. Each case runs through the real binary
//! (`tripline query … --format ndjson`); all failures are reported together at the end.
//!
//! Case keys: `name`, `note` (optional), `query`, `events` (inline, written to a temp NDJSON
//! file), `time_field` (optional → `--time-field`), `datamodel` (optional → `--datamodel`), `macros` (optional inline macro list →
//! temp file → `--macros`), `lookups` (optional, see below), and exactly one of `want` (exact
//! rows in order, key order compared, numbers numerically) or `error` (prefix of the
//! diagnostic code expected on stderr, exit code 2); `skip: "reason"` disables a case.
//! `CASES_FILTER=text` runs only the cases whose file path or name contains `text`.
//!
//! `lookups` is a mapping of file names to contents, written into a temp lookup folder given
//! with `--lookups`: a `*.csv` file is either CSV text (a string, written as is) or
//! `{fields: [a, b], rows: [[1, 2], …]}` (written as CSV, cells quoted when needed); a
//! `*.yml` file is a lookup definition mapping (`{name: users, filename: users.csv,
//! match_type: WILDCARD(user)}`) or YAML text. YAML anchors let cases share tables.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Every `.yml`/`.yaml` file under `dir`, recursively, in path order.
fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

struct Case {
    file: String,
    name: String,
    note: Option<String>,
    query: String,
    events: Vec<Value>,
    time_field: Option<String>,
    datamodel: Option<String>,
    macros: Option<Value>,
    lookups: Vec<(String, String)>,
    expect: Expect,
}

enum Expect {
    Rows(Vec<Value>),
    Error(String),
    Skip(String),
}

fn text(case: &serde_json::Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match case.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("`{key}` must be a string, got {other}")),
    }
}

const KEYS: [&str; 11] = [
    "name",
    "note",
    "query",
    "events",
    "time_field",
    "datamodel",
    "macros",
    "lookups",
    "want",
    "error",
    "skip",
];

/// One CSV cell, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_cell(v: &Value) -> Result<String, String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => return Err(format!("a CSV cell must be a scalar, got {other}")),
    };
    Ok(if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    })
}

/// The `lookups:` mapping as (file name, file text).
fn lookup_files(name: &str, v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let map = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(format!("{name}: `lookups` must be a mapping of file names")),
    };
    let mut out = Vec::new();
    for (file, content) in map {
        let text = match content {
            Value::String(s) => s.clone(),
            Value::Object(m) if file.ends_with(".csv") => {
                let fields = m
                    .get("fields")
                    .and_then(Value::as_array)
                    .ok_or(format!("{name}: lookup `{file}` needs `fields: [..]`"))?;
                let mut csv = String::new();
                let header: Result<Vec<String>, String> = fields.iter().map(csv_cell).collect();
                csv.push_str(&header?.join(","));
                csv.push('\n');
                let rows = m
                    .get("rows")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for row in rows {
                    let Value::Array(cells) = row else {
                        return Err(format!("{name}: lookup `{file}`: each row is a list"));
                    };
                    let cells: Result<Vec<String>, String> = cells.iter().map(csv_cell).collect();
                    csv.push_str(&cells?.join(","));
                    csv.push('\n');
                }
                csv
            }
            Value::Object(_) if file.ends_with(".yml") || file.ends_with(".yaml") => {
                serde_yaml::to_string(content).map_err(|e| e.to_string())?
            }
            _ => {
                return Err(format!(
                    "{name}: lookup `{file}`: expected CSV text, {{fields, rows}} for a .csv file, or a mapping for a .yml file"
                ));
            }
        };
        out.push((file.clone(), text));
    }
    Ok(out)
}

fn parse_case(file: &str, index: usize, v: &Value) -> Result<Case, String> {
    let Value::Object(m) = v else {
        return Err(format!("case #{index} is not a mapping"));
    };
    if let Some(k) = m.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("case #{index}: unknown key `{k}`"));
    }
    let name = text(m, "name")?.ok_or(format!("case #{index}: no `name`"))?;
    let query = text(m, "query")?.ok_or(format!("{name}: no `query`"))?;
    let events = match m.get("events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(format!("{name}: `events` must be a list")),
    };
    if let Some(bad) = events.iter().find(|e| !e.is_object()) {
        return Err(format!("{name}: event {bad} is not a mapping"));
    }
    let macros = match m.get("macros") {
        None | Some(Value::Null) => None,
        Some(a @ Value::Array(_)) => Some(a.clone()),
        Some(_) => return Err(format!("{name}: `macros` must be a list")),
    };
    let lookups = lookup_files(&name, m.get("lookups"))?;
    let want = match m.get("want") {
        None => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(_) => return Err(format!("{name}: `want` must be a list of rows")),
    };
    let error = text(m, "error")?;
    let skip = text(m, "skip")?;
    let expect = match (want, error, skip) {
        (_, _, Some(reason)) if reason.trim().is_empty() => {
            return Err(format!("{name}: `skip` needs a reason"));
        }
        (_, _, Some(reason)) => Expect::Skip(reason),
        (Some(_), Some(_), None) => return Err(format!("{name}: both `want` and `error`")),
        (Some(rows), None, None) => Expect::Rows(rows),
        (None, Some(code), None) => Expect::Error(code),
        (None, None, None) => return Err(format!("{name}: needs `want`, `error` or `skip`")),
    };
    Ok(Case {
        file: file.to_string(),
        name,
        note: text(m, "note")?,
        query,
        events,
        time_field: text(m, "time_field")?,
        datamodel: text(m, "datamodel")?,
        macros,
        lookups,
        expect,
    })
}

fn load(path: &Path) -> Result<Vec<Case>, String> {
    let rel = path
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or(path)
        .display()
        .to_string();
    let src = std::fs::read_to_string(path).map_err(|e| format!("{rel}: {e}"))?;
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&src).map_err(|e| format!("{rel}: invalid YAML: {e}"))?;
    let doc: Value = serde_json::to_value(&yaml).map_err(|e| format!("{rel}: {e}"))?;
    let list = match &doc {
        Value::Object(m) if m.contains_key("cases") => match m.get("cases") {
            Some(Value::Array(a)) => a.clone(),
            _ => return Err(format!("{rel}: `cases` must be a list")),
        },
        Value::Object(_) => vec![doc.clone()],
        _ => return Err(format!("{rel}: expected a case mapping or `cases:` list")),
    };
    if list.is_empty() {
        return Err(format!("{rel}: no cases"));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| parse_case(&rel, i + 1, v).map_err(|e| format!("{rel}: {e}")))
        .collect()
}

/// JSON equality with numbers compared numerically and object key order compared.
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                x == y
            } else {
                a.as_f64() == b.as_f64()
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => want == got,
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(case: &Case) -> Result<Run, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("events.ndjson");
    let mut ndjson = String::new();
    for e in &case.events {
        ndjson.push_str(&serde_json::to_string(e).map_err(|e| e.to_string())?);
        ndjson.push('\n');
    }
    std::fs::write(&data, ndjson).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tripline"));
    // An empty working directory: no `macros.yml`/`sourcetypes.yml` is picked up by accident.
    cmd.current_dir(dir.path())
        .arg("query")
        .arg(&case.query)
        .arg("--data")
        .arg(&data)
        .args(["--format", "ndjson"])
        .stdin(Stdio::null());
    if let Some(f) = &case.time_field {
        cmd.args(["--time-field", f]);
    }
    if let Some(d) = &case.datamodel {
        cmd.args(["--datamodel", d]);
    }
    if let Some(m) = &case.macros {
        let path = dir.path().join("macros.yml");
        let yaml = serde_yaml::to_string(m).map_err(|e| e.to_string())?;
        std::fs::write(&path, yaml).map_err(|e| e.to_string())?;
        cmd.arg("--macros").arg(&path);
    }
    if !case.lookups.is_empty() {
        let folder = dir.path().join("lookups");
        std::fs::create_dir(&folder).map_err(|e| e.to_string())?;
        for (file, text) in &case.lookups {
            let path = folder.join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(path, text).map_err(|e| e.to_string())?;
        }
        cmd.arg("--lookups").arg(&folder);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run tripline: {e}"))?;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// `None` when the case passes, otherwise what went wrong.
fn check(case: &Case, r: &Run) -> Option<String> {
    match &case.expect {
        Expect::Skip(_) => None,
        Expect::Error(code) => {
            if r.code == Some(2) && r.stderr.contains(code.as_str()) {
                None
            } else {
                Some(format!(
                    "want: exit 2 with `{code}` on stderr\n  got:  exit {:?}, stdout:\n{}",
                    r.code,
                    indent(&r.stdout)
                ))
            }
        }
        Expect::Rows(want) => {
            if r.code != Some(0) {
                return Some(format!(
                    "want: {} row(s)\n{}\n  got:  exit {:?}",
                    want.len(),
                    rows_text(want),
                    r.code
                ));
            }
            let mut got = Vec::new();
            for line in r.stdout.lines().filter(|l| !l.trim().is_empty()) {
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => got.push(v),
                    Err(e) => return Some(format!("stdout line is not JSON ({e}): {line}")),
                }
            }
            let ok = want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| same(w, g));
            if ok {
                None
            } else {
                Some(format!(
                    "want: {} row(s)\n{}\n  got:  {} row(s)\n{}",
                    want.len(),
                    rows_text(want),
                    got.len(),
                    rows_text(&got)
                ))
            }
        }
    }
}

fn rows_text(rows: &[Value]) -> String {
    if rows.is_empty() {
        return "        (none)".into();
    }
    rows.iter()
        .map(|r| format!("        {r}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("        {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn cases() {
    let files = case_files(&cases_dir());
    assert!(!files.is_empty(), "no case files under tests/cases");
    let filter = std::env::var("CASES_FILTER").ok();
    let mut problems = Vec::new();
    let mut cases = Vec::new();
    for f in &files {
        match load(f) {
            Ok(c) => cases.extend(c),
            Err(e) => problems.push(format!("LOAD {e}")),
        }
    }
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for case in &cases {
        if let Some(f) = &filter
            && !case.file.contains(f.as_str())
            && !case.name.contains(f.as_str())
        {
            continue;
        }
        if let Expect::Skip(reason) = &case.expect {
            skipped += 1;
            eprintln!("SKIP {} :: {} ({reason})", case.file, case.name);
            continue;
        }
        let verdict = match run(case) {
            Ok(r) => check(case, &r).map(|msg| (msg, r.stderr)),
            Err(e) => Some((e, String::new())),
        };
        match verdict {
            None => passed += 1,
            Some((msg, stderr)) => {
                failed += 1;
                let mut s = format!("FAIL {} :: {}\n", case.file, case.name);
                if let Some(n) = &case.note {
                    let _ = writeln!(s, "  note:  {n}");
                }
                let _ = writeln!(s, "  query: {}", case.query);
                let _ = writeln!(s, "  {msg}");
                let _ = write!(s, "  stderr:\n{}", indent(stderr.trim_end()));
                problems.push(s);
            }
        }
    }
    eprintln!("cases: {passed} passed, {failed} failed, {skipped} skipped");
    assert!(
        problems.is_empty(),
        "{} problem(s) ({passed} passed, {failed} failed, {skipped} skipped):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
