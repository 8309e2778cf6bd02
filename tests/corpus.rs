//! Real security_content detections, copied unmodified into `tests/corpus/detections/`, run
//! over small datasets written for them; the rows each must return were worked out by hand
//! (the reasoning is in each case file's `why`). See tests/corpus/README.md.
//!
//! A case file `tests/corpus/cases/<name>.yml` holds: `rule` (a file in `detections/`),
//! optional `sourcetype`, `source`, `host`, `datamodel` (given to the whole dataset, as
//! `tripline run` options), `why`, `events` (inline; YAML merge keys `<<:` allowed) and `want`
//! (every result row, in order, with every field: numbers compare numerically, a list is a
//! multivalue field). The rule runs through the real binary with the macros and lookups of
//! `tests/corpus/`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A field value made comparable: numbers (and text that reads as a number) as numbers.
fn norm(v: &Value) -> Value {
    match v {
        Value::String(s) => match s.parse::<f64>() {
            Ok(n) if !s.trim().is_empty() && s.trim() == s => serde_json::json!(n),
            _ => v.clone(),
        },
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) if a.len() == 1 => norm(&a[0]),
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        _ => v.clone(),
    }
}

fn row(v: &Value) -> BTreeMap<String, Value> {
    v.as_object()
        .expect("a row is an object")
        .iter()
        .map(|(k, v)| (k.clone(), norm(v)))
        .collect()
}

fn run_case(path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    doc.apply_merge().map_err(|e| e.to_string())?;
    let doc: Value = serde_json::to_value(&doc).map_err(|e| e.to_string())?;
    let rule = doc["rule"].as_str().ok_or("no `rule`")?;
    let events = doc["events"].as_array().ok_or("no `events`")?;
    let want = doc["want"].as_array().ok_or("no `want`")?;
    assert!(
        doc["why"].as_str().is_some_and(|w| !w.trim().is_empty()),
        "{}: say why the rows are what they are",
        path.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("events.json");
    let lines: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let rule_path = dir().join("detections").join(rule);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tripline"));
    cmd.arg("run")
        .arg(&rule_path)
        .arg("--data")
        .arg(&data)
        .arg("--macros")
        .arg(dir().join("macros"))
        .arg("--lookups")
        .arg(dir().join("lookups"))
        .args(["--format", "ndjson", "--now", "2024-03-05T00:00:00Z"]);
    for key in ["sourcetype", "source", "host", "datamodel"] {
        if let Some(v) = doc[key].as_str() {
            cmd.arg(format!("--{key}")).arg(v);
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("exit {:?}\n{stderr}", out.status.code()));
    }
    // Every event is read and none is malformed (some may be skipped by the prefilter).
    if !stderr.contains(&format!("{} events read", events.len()))
        || !stderr.contains(" 0 malformed")
    {
        return Err(format!("not every event was read cleanly:\n{stderr}"));
    }
    let got: Vec<BTreeMap<String, Value>> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            row(&v["result"])
        })
        .collect();
    let want: Vec<BTreeMap<String, Value>> = want.iter().map(row).collect();
    if got != want {
        let show = |rows: &[BTreeMap<String, Value>]| {
            rows.iter()
                .map(|r| format!("    {}", serde_json::to_string(r).unwrap()))
                .collect::<Vec<_>>()
                .join("\n")
        };
        return Err(format!(
            "want {} row(s):\n{}\ngot {} row(s):\n{}\nstderr: {stderr}",
            want.len(),
            show(&want),
            got.len(),
            show(&got)
        ));
    }
    Ok(got.len())
}

#[test]
fn real_detections_return_the_hand_worked_rows() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "only {} corpus cases", files.len());
    let mut failures = Vec::new();
    let mut rows = 0;
    for f in &files {
        match run_case(f) {
            Ok(n) => rows += n,
            Err(e) => failures.push(format!("FAIL {}\n{e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every case expects at least one row, so a rule that stopped firing cannot pass.
    assert!(
        rows >= files.len(),
        "{rows} rows over {} cases",
        files.len()
    );
}

/// Each detection under test is byte-identical to security_content's (when the corpus is
/// beside the checkout), and every detection file has a case.
#[test]
fn detections_are_unmodified_and_all_tested() {
    let cases: Vec<String> = std::fs::read_dir(dir().join("cases"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/security_content/detections");
    for entry in std::fs::read_dir(dir().join("detections")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            cases.iter().any(|c| c.contains(&format!("rule: {name}"))),
            "{name} has no case"
        );
        if corpus.is_dir() {
            let original = ["application", "cloud", "endpoint", "network", "web"]
                .iter()
                .map(|d| corpus.join(d).join(&name))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{name} is not in the corpus"));
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(&original).unwrap(),
                "{name} differs from {}",
                original.display()
            );
        }
    }
}
