//! KQL engine tests: the worked cases (query, mapping, document, Kibana + Elasticsearch
//! verdict) and the parse rate over the 792 prebuilt KQL rules.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::sync::Arc;
use tripline::diag::Kind;
use tripline::event::{Event, Meta};
use tripline::kql::{self, Analyzer, FieldSpec, FieldTypes};
use tripline::plan::Source;
use tripline::plan::search::Pred;
use tripline::record::Record;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_jsonl(name: &str) -> Vec<serde_json::Value> {
    let path = root().join("tests/kql_cases").join(name);
    let text = std::fs::read_to_string(&path).expect("cases file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// A case's mapping description (`keyword`, `object (not nested)`,
/// `match_only_text (standard analyzer)`, `text (powershell_script_analyzer: pattern …)`).
fn spec_of(desc: &str) -> FieldSpec {
    FieldSpec::named(desc)
}

fn record(doc: serde_json::Value) -> Record {
    let event = Event {
        raw: doc.to_string(),
        doc: tripline::event::Doc::Whole(doc),
        time: None,
        meta: Arc::new(Meta::default()),
        origin: Arc::from("test"),
        line: 1,
    };
    Record::from_event(Arc::new(event))
}

/// What tripline answers: `true`, `false`, `syntax error` or `query error`.
fn verdict(query: &str, types: &FieldTypes, doc: serde_json::Value) -> String {
    if let Err(e) = kql::parse(query) {
        assert_eq!(e.kind, Kind::Parse);
        return "syntax error".into();
    }
    match kql::compile(query, types) {
        Err(errs) => {
            assert!(!errs.is_empty());
            if errs.iter().any(|e| e.kind == Kind::Parse) {
                "syntax error".into()
            } else {
                "query error".into()
            }
        }
        Ok((plan, _warnings)) => {
            let Source::Scan(Pred::Custom(m)) = &plan.source else {
                panic!("not a custom scan")
            };
            m.matches(&record(doc)).to_string()
        }
    }
}

#[test]
fn worked_cases() {
    run_cases("examples.jsonl");
}

/// Cases written for tripline from kql_semantics.md (not from Kibana runs).
#[test]
fn extra_cases() {
    run_cases("extra.jsonl");
}

fn run_cases(file: &str) {
    let cases = read_jsonl(file);
    let mut failures = Vec::new();
    for case in &cases {
        let mut types = FieldTypes::empty();
        if let Some(m) = case["mapping"].as_object() {
            for (field, desc) in m {
                types.set(field, spec_of(desc.as_str().unwrap_or("keyword")));
            }
        }
        let query = case["query"].as_str().unwrap();
        let want = case["expected_kibana_es"].as_str().unwrap();
        let got = verdict(query, &types, case["doc"].clone());
        if got != want {
            failures.push(format!(
                "{} {:?}: want {want}, got {got} ({})",
                case["id"].as_str().unwrap_or("?"),
                query,
                case["title"].as_str().unwrap_or("")
            ));
        }
    }
    let passed = cases.len() - failures.len();
    println!("{file}: {passed}/{} pass", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_parses() {
    let rules = read_jsonl("detection_rules_kql.jsonl");
    let types = FieldTypes::bundled();
    let mut failures = Vec::new();
    let mut compile_failures = 0;
    for r in &rules {
        let q = r["query"].as_str().unwrap();
        match kql::parse(q) {
            Err(e) => failures.push(format!(
                "{}: {} at {:?}",
                r["file"].as_str().unwrap_or("?"),
                e.message,
                e.span
            )),
            Ok(_) => {
                if kql::compile(q, &types).is_err() {
                    compile_failures += 1;
                }
            }
        }
    }
    let ok = rules.len() - failures.len();
    println!(
        "corpus: {ok}/{} parse ({:.1} %), {compile_failures} rejected by compile",
        rules.len(),
        100.0 * ok as f64 / rules.len().max(1) as f64
    );
    assert_eq!(rules.len(), 792);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shipped_rule_semantics() {
    let q = r#"event.category:process and host.os.type:windows and
powershell.file.script_block_text : "New-MailboxExportRequest" and
(
  powershell.file.script_block_text : ("-FilePath" or ".pst") and
  powershell.file.script_block_text : ("-Mailbox" or "Get-Mailbox" or "ExportToPSTFile" or "-Identity")
)"#;
    let types = FieldTypes::bundled();
    let doc = |script: &str| {
        serde_json::json!({
            "event.category": "process",
            "host": {"os.type": "windows"},
            "powershell": {"file": {"script_block_text": script}}
        })
    };
    let cases = [
        (
            "New-MailboxExportRequest -Mailbox jdoe -FilePath \\\\srv\\share\\jdoe.pst",
            "true",
        ),
        (
            "new-mailboxexportrequest \u{2013}Mailbox jdoe -FILEPATH x",
            "false",
        ),
        ("new-mailboxexportrequest -MAILBOX jdoe -FILEPATH x", "true"),
        ("New-MailboxExportRequest -Identity x -FilePath y", "true"),
        (
            "Get-Mailbox jdoe | New-MailboxExportRequest -FilePath y",
            "true",
        ),
        ("New-MailboxExportRequest $FilePath jdoe.pst", "false"),
        (
            "Get-MailboxStatistics | New-MailboxExportRequest @{FilePath='x'}",
            "false",
        ),
        ("New-MailboxExportRequestX -Mailbox a -FilePath b", "false"),
        ("New-MailboxExportRequest -Mailbox a PST", "true"),
        ("New-MailboxExportRequest -Mailbox a -Path b.pstx", "false"),
    ];
    for (script, want) in cases {
        assert_eq!(verdict(q, &types, doc(script)), want, "{script}");
    }
    let (_, warnings) = kql::compile(q, &types).expect("compiles");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn unknown_fields_warn() {
    let (_, warnings) = kql::compile("no.such.field:x", &FieldTypes::bundled()).expect("ok");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("`no.such.field`"));
}

#[test]
fn analyzer_tokens_from_event_schemas() {
    let a = Analyzer::PowershellScript;
    assert_eq!(
        a.tokens("New-MailboxExportRequest"),
        ["new-mailboxexportrequest"]
    );
    assert_eq!(a.tokens("-FilePath"), ["-filepath"]);
    assert_eq!(a.tokens("C:\\x\\export.pst"), ["c", "x", "export", "pst"]);
    assert_eq!(a.tokens("$FilePath"), ["filepath"]);
    assert_eq!(a.tokens("\u{2013}Mailbox"), ["mailbox"]);
}

#[test]
fn field_types_file_overrides() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("types.yml");
    std::fs::write(
        &path,
        "pid: long\nmsg: {type: text, analyzer: standard}\nps: {type: text, analyzer: powershell_script}\n\
         csv: {type: text, analyzer: pattern, pattern: ',', lowercase: false}\n",
    )
    .expect("write");
    let entries = tripline::rule::load::field_types(&path).expect("loads");
    let mut types = FieldTypes::bundled();
    for (f, s) in entries {
        types.set(&f, s);
    }
    let doc =
        serde_json::json!({"pid": "42", "msg": "Hello-World", "ps": "-FilePath x", "csv": "A b,C"});
    assert_eq!(verdict("pid > 41", &types, doc.clone()), "true");
    assert_eq!(verdict("msg:world", &types, doc.clone()), "true");
    assert_eq!(verdict("ps:\"-filepath\"", &types, doc.clone()), "true");
    assert_eq!(verdict("csv:\"A b\"", &types, doc.clone()), "true");
    assert_eq!(verdict("csv:\"a b\"", &types, doc), "false");

    std::fs::write(&path, "x: {type: text, analyzer: nope}\n").expect("write");
    let err = tripline::rule::load::field_types(&path).expect_err("bad analyzer");
    assert!(err.message.contains("`nope`"), "{}", err.message);
}

#[test]
fn explain_line() {
    let (plan, _) = kql::compile(
        r#"event.category:process and not host.*:linux and s:("-FilePath" or .pst*) and ip:10.0.0.0/8"#,
        &FieldTypes::bundled(),
    )
    .expect("compiles");
    let Source::Scan(Pred::Custom(m)) = &plan.source else {
        panic!("not a custom scan")
    };
    let shown = m.show();
    println!("{shown}");
    assert!(shown.starts_with("kql "), "{shown}");
    assert!(
        shown.contains("event.category: term \"process\""),
        "{shown}"
    );
}

#[test]
fn syntax_error_diagnostics() {
    for q in [
        "a:x and(b:y)",
        "message:I cannot login",
        "not not a:b",
        "a:\\q",
        "a:\"x",
    ] {
        let e = kql::parse(q).expect_err(q);
        println!("{q:?} -> {} {} {:?}", e.code, e.message, e.span);
        assert_eq!(e.code, "tripline::kql::syntax");
        assert!(e.span.is_some());
    }
    let errs = kql::compile("process.pid:abc", &FieldTypes::bundled()).expect_err("query error");
    println!("{}: {}", errs[0].code, errs[0].message);
}

/// Throughput smoke test of the shipped rule on long script blocks
/// (`cargo test --release --test kql -- --ignored --nocapture`).
#[test]
#[ignore]
fn perf_shipped_rule() {
    let q = r#"event.category:process and host.os.type:windows and
powershell.file.script_block_text : "New-MailboxExportRequest" and
(
  powershell.file.script_block_text : ("-FilePath" or ".pst") and
  powershell.file.script_block_text : ("-Mailbox" or "Get-Mailbox" or "ExportToPSTFile" or "-Identity")
)"#;
    let (plan, _) = kql::compile(q, &FieldTypes::bundled()).expect("compiles");
    let Source::Scan(Pred::Custom(m)) = &plan.source else {
        panic!("not a custom scan")
    };
    let filler = "$x = Get-Item 'C:\\temp\\a.txt'; Write-Output $x.Length\n".repeat(350);
    let recs: Vec<Record> = (0..5000)
        .map(|i| {
            record(serde_json::json!({
                "event": {"category": ["process"]},
                "host": {"os": {"type": "windows"}},
                "powershell.file.script_block_text":
                    format!("{filler} New-MailboxExportRequest -Mailbox u{i} -FilePath x.pst")
            }))
        })
        .collect();
    let start = std::time::Instant::now();
    let n = recs.iter().filter(|r| m.matches(r)).count();
    let el = start.elapsed();
    println!(
        "{n} of {} matched in {el:?} ({} KB each)",
        recs.len(),
        filler.len() / 1024
    );
    assert_eq!(n, recs.len());
}
