//! CLI tests: the contract of `tripline run`, `query`, `check` and `explain`
//! (docs/cli.md), driven through the real binary.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use assert_cmd::Command;
use std::path::Path;

fn tripline() -> Command {
    Command::cargo_bin("tripline").expect("binary")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tripline query QUERY --data DATA --format FORMAT`, expected to succeed: (stdout, stderr).
fn query_ok(query: &str, data: &Path, format: &str) -> (String, String) {
    let out = tripline()
        .args(["query", query, "--data"])
        .arg(data)
        .args(["--format", format, "--no-progress"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{query}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A file `name` holding `text` in a fresh temporary folder (kept while the first value lives).
fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

/// The shipped PST rule on its dataset returns exactly the rows worked out independently in
/// tests/data/o365_pst_export/expected.py (see that folder's README for the reasoning).
#[test]
fn pst_rule_matches_expected_rows() {
    let out = tripline()
        .current_dir(root())
        .args([
            "run",
            "rules/o365_pst_export_alert.yml",
            "--data",
            "tests/data/o365_pst_export/o365_pst_export.json",
            "--sourcetype",
            "o365:management:activity",
            "--source",
            "o365",
            "--format",
            "ndjson",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected =
        std::fs::read_to_string(root().join("tests/data/o365_pst_export/expected.ndjson"))
            .expect("expected file");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1557 events read: 106 parsed, 0 malformed, 1451 skipped by the prefilter; 12 result rows"),
        "{err}"
    );
}

/// A manifest supplies sourcetype and source itself.
#[test]
fn manifest_gives_metadata() {
    let out = tripline()
        .current_dir(root())
        .args([
            "run",
            "rules/",
            "--data",
            "tests/data/o365_pst_export/manifest.yml",
            "--format",
            "ndjson",
        ])
        .output()
        .expect("runs");
    let expected =
        std::fs::read_to_string(root().join("tests/data/o365_pst_export/expected.ndjson"))
            .expect("expected file");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

/// Without the sourcetype the macro `sourcetype=o365:management:activity` matches nothing.
#[test]
fn wrong_sourcetype_finds_nothing() {
    let out = tripline()
        .current_dir(root())
        .args([
            "run",
            "rules/",
            "--data",
            "tests/data/o365_pst_export/o365_pst_export.json",
            "--sourcetype",
            "other",
            "--format",
            "ndjson",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn query_prints_bare_rows_and_counts_malformed_lines() {
    let (_dir, data) = temp_file(
        "e.ndjson",
        "{\"a\":\"x\",\"n\":1}\nnot json\n{\"a\":\"y\",\"n\":2}\n{\"a\":\"X\",\"n\":3}\n",
    );
    let (out, err) = query_ok("a=x | stats sum(n) as total count by a", &data, "ndjson");
    // a=x matches "x" and "X" (case-insensitive); the groups are exact strings, "X" < "x".
    assert_eq!(
        out,
        "{\"a\":\"X\",\"total\":3,\"count\":1}\n{\"a\":\"x\",\"total\":1,\"count\":1}\n"
    );
    assert!(err.contains("e.ndjson:2: malformed JSON"), "{err}");
    assert!(
        err.contains("4 events read: 3 parsed, 1 malformed"),
        "{err}"
    );
}

/// With a projection the event text is kept only when the plan reads `_raw`: by name, through a
/// bare search term, or through `rex`'s default field. Every figure below is counted by hand
/// from the three lines.
#[test]
fn projected_runs_keep_raw_when_the_plan_reads_it() {
    // 19, 23 (two trailing spaces included) and 19 bytes long
    let (_dir, data) = temp_file(
        "e.ndjson",
        "{\"a\":\"x\",\"b\":\"foo\"}\n{\"a\":\"y\", \"b\": \"bar\"}  \n{\"a\":\"x\",\"b\":\"baz\"}\n",
    );
    let run = |q: &str| query_ok(q, &data, "ndjson").0;
    assert_eq!(
        run("* | eval n=len(_raw) | stats sum(n) as total by a"),
        "{\"a\":\"x\",\"total\":38}\n{\"a\":\"y\",\"total\":23}\n"
    );
    // `bar` is a term of the second line's text only
    assert_eq!(run("bar | stats count by a"), "{\"a\":\"y\",\"count\":1}\n");
    assert_eq!(
        run("* | rex \"\\\"b\\\": \\\"(?<v>\\w+)\" | stats values(v) as v"),
        "{\"v\":\"bar\"}\n"
    );
    // and a plan that does not read it still counts what it reads
    assert_eq!(
        run("* | stats count by a"),
        "{\"a\":\"x\",\"count\":2}\n{\"a\":\"y\",\"count\":1}\n"
    );
}

/// An event may have any key: serde_json's `Value` (with the `raw_value` feature the reader
/// uses) rejected objects whose first key is `$serde_json::private::RawValue` (found by the
/// `projection` fuzz target). Both the whole parse and the projection read it as a field.
#[test]
fn the_serde_raw_value_key_is_an_ordinary_field() {
    let (_dir, data) = temp_file(
        "e.ndjson",
        "{\"$serde_json::private::RawValue\": 5, \"a\": \"x\"}\n{\"$serde_json::private::RawValue\": \"{}\", \"a\": \"y\"}\n",
    );
    // `*` parses whole events, `stats` through the projection
    for q in ["*", "* | stats count by a"] {
        let (text, err) = query_ok(q, &data, "csv");
        let want = if q == "*" {
            "$serde_json::private::RawValue,a\n5,x\n{},y\n"
        } else {
            "a,count\nx,1\ny,1\n"
        };
        assert_eq!(text, want, "{q}");
        assert!(
            err.contains("2 events read: 2 parsed, 0 malformed"),
            "{q}: {err}"
        );
    }
}

#[test]
fn strict_makes_malformed_fatal_with_exit_3() {
    let (_dir, data) = temp_file("e.ndjson", "{\"a\":1}\n{oops\n");
    tripline()
        .args(["query", "*", "--strict", "--data"])
        .arg(&data)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("e.ndjson:2"));
}

#[test]
fn check_reports_span_in_json() {
    let (_dir, rule) = temp_file(
        "bad.yml",
        "name: Bad rule\nid: 1\nsearch: 'index=x | stats count by | eval y = (1 +'\n",
    );
    let out = tripline()
        .arg("check")
        .arg(&rule)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let r = &doc["rules"][0];
    assert_eq!(r["status"], "parse_error");
    assert_eq!(r["name"], "Bad rule");
    let m = &r["messages"][0];
    assert_eq!(m["severity"], "error");
    // the unclosed `(` is at byte 36 of the search (`index=x | stats count by | eval y = ` is 36
    // bytes); the search text starts at column 10 of line 3 (after `search: '`)
    assert_eq!(m["line"], 3);
    assert_eq!(m["column"], 10 + 36);
    assert_eq!(doc["summary"]["parse_error"], 1);
}

#[test]
fn check_unsupported_command_is_named() {
    let (_dir, rule) = temp_file(
        "r.yml",
        "name: R\nid: 5f694cc4-a678-4a60-9410-bffca1b647dc\nsearch: 'x | xyseries a b c | iplocation src'\n",
    );
    let out = tripline()
        .arg("check")
        .arg(&rule)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["rules"][0]["status"], "unsupported");
    let m = &doc["rules"][0]["messages"];
    assert_eq!(m[0]["code"], "tripline::plan::unsupported_command");
    assert_eq!(m[0]["line"], 3);
    assert_eq!(m[0]["column"], 10 + 4);
    // iplocation can never run here, and says why
    assert_eq!(m[1]["code"], "tripline::plan::cannot_run");
    assert_eq!(m[1]["column"], 10 + 21);
    assert!(m[1]["message"].as_str().unwrap().contains("GeoIP database"));
}

#[test]
fn check_shipped_rules_are_ok() {
    tripline()
        .current_dir(root())
        .args(["check", "rules/"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "0 parse_error, 0 unsupported, 0 invalid",
        ));
}

#[test]
fn explain_prints_the_plan() {
    let out = tripline()
        .current_dir(root())
        .args(["explain", "rules/o365_pst_export_alert.yml"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "scan sourcetype=\"o365:management:activity\" AND Category=\"ThreatManagement\" AND Name=\"eDiscovery search started or exported\"\n\
         stats count, earliest(_time) as firstTime, latest(_time) as lastTime by Source, Severity, AlertEntityId, Operation, Name\n\
         convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime)\n\
         convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(lastTime)\n\
         search *\n"
    );
}

/// `explain --scan` adds how the search reads the data: the PST rule needs both of its
/// literal values (lower-cased, the longer first) and parses only the fields its search and
/// `stats` read (sorted); a search whose events reach the output whole parses everything.
#[test]
fn explain_scan_shows_the_prefilter_and_the_parsed_fields() {
    let out = tripline()
        .current_dir(root())
        .args(["explain", "rules/o365_pst_export_alert.yml", "--scan"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(
        tail,
        [
            "parsed fields: AlertEntityId, Category, Name, Operation, Severity, Source, _time, sourcetype and the time field (the other keys are validated and skipped)",
            "prefilter: a line is parsed only if it contains \"ediscovery search started or exported\" and \"threatmanagement\" (ASCII case ignored; lines with a \\u escape are always parsed)",
        ]
    );
    let out = tripline()
        .args([
            "explain",
            "--query",
            "NOT foo Operation IN (Send*, HardDelete)",
            "--scan",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.ends_with("prefilter: a line is parsed only if it contains (\"harddelete\" or \"send\") (ASCII case ignored; lines with a \\u escape are always parsed)\nparsed fields: all\n"),
        "{text}"
    );
}

/// `explain --scan` of the send/hard-delete join names the join fields whose keys rule lines
/// out once the subsearch has run, and the document fields they are lower cases of (worked from
/// the rule: `eval user = lower(SenderAddress)` and `eval InternetMessageId =
/// lower(MessageId)` before `join InternetMessageId, user`); a left join, or a join field
/// upper-cased, has none.
#[test]
fn explain_scan_shows_the_join_keys() {
    let out = tripline()
        .current_dir(root())
        .args([
            "explain",
            "rules/o365_email_send_and_hard_delete_exfiltration_behavior.yml",
            "--macros",
            "rules/macros.yml",
            "--scan",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("join keys:"))
        .collect();
    assert_eq!(
        keys,
        [
            "join keys: once the join's subsearch has run, a line is parsed only if it also contains one of the texts its rows give `InternetMessageId` (from `MessageId`) (ASCII case ignored)",
            "join keys: once the join's subsearch has run, a line is parsed only if it also contains one of the texts its rows give `user` (from `SenderAddress`) (ASCII case ignored)",
        ]
    );
    // The same inner join on a lower case names its key; a left join or an upper case does
    // not (each scan printed, so that a missing line is not an empty output).
    for (q, named) in [
        (
            "search * | eval k = lower(id) | join k [search * | table k]",
            true,
        ),
        (
            "search * | eval k = lower(id) | join type=left k [search * | table k]",
            false,
        ),
        (
            "search * | eval k = upper(id) | join k [search * | table k]",
            false,
        ),
    ] {
        let out = tripline()
            .args(["explain", "--query", q, "--scan"])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{q}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("\nprefilter: "), "{q}: {text}");
        assert_eq!(text.contains("join keys:"), named, "{q}: {text}");
    }
}

#[test]
fn explain_parse_error_exits_2_with_caret() {
    tripline()
        .args(["explain", "--query", "a | stats count by"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("tripline::parse::syntax"));
}

#[test]
fn undefined_macro_is_an_error_but_filter_macros_are_search_star() {
    tripline()
        .args(["explain", "--query", "`nope` x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("tripline::macro::undefined"));
    tripline()
        .args(["explain", "--query", "x | `my_rule_filter`"])
        .assert()
        .success()
        .stdout("scan \"x\"\nsearch *\n");
}

/// docs/functions.md is generated from the function library; regenerate it with
/// `cargo run -- functions > docs/functions.md`.
#[test]
fn functions_doc_is_current() {
    let out = tripline().arg("functions").output().expect("runs");
    let doc = std::fs::read_to_string(root().join("docs/functions.md")).expect("docs/functions.md");
    assert!(
        String::from_utf8_lossy(&out.stdout) == doc,
        "docs/functions.md is stale: run `cargo run -- functions > docs/functions.md`"
    );
}

/// The send-and-hard-delete rule (join with a subsearch, bin, eval over multivalue fields) on
/// its message-trace and audit datasets returns exactly the rows worked out independently in
/// tests/data/o365_email_send_delete/expected.py (see that folder's README).
#[test]
fn send_and_hard_delete_rule_matches_expected_rows() {
    // The same rows with the prefilter off, and on one thread or four (chunks are searched and
    // parsed in parallel, results put back in line order).
    let variants: [&[&str]; 4] = [
        &[],
        &["--no-prefilter"],
        &["--threads", "1"],
        &["--threads", "4"],
    ];
    for extra in variants {
        let mut cmd = tripline();
        cmd.current_dir(root()).args([
            "run",
            "rules/o365_email_send_and_hard_delete_exfiltration_behavior.yml",
            "--data",
            "tests/data/o365_email_send_delete/manifest.yml",
            "--format",
            "ndjson",
        ]);
        cmd.args(extra);
        let out = cmd.output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = std::fs::read_to_string(
            root().join("tests/data/o365_email_send_delete/expected.ndjson"),
        )
        .expect("expected file");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "with {extra:?}"
        );
        if extra.is_empty() {
            // The summary counts the main search's pass (the subsearch reads the data too).
            // It reads only the message trace (511 lines): the audit dataset's sourcetype
            // cannot match `sourcetype=o365:reporting:messagetrace`. Of the 455 lines with
            // `delivered`, only those holding, in any case, the message id of one of the
            // subsearch's 25 rows and the user of one are parsed (the join's keys: the main
            // search's `InternetMessageId` and `user` are lower cases of `MessageId` and
            // `SenderAddress`), with the two lines with a `\u` escape, always parsed: 28,
            // worked out from the subsearch rows of the data's own reference implementation,
            // `expected.py`, by the rule in docs/performance.md ("Join keys").
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("511 events read: 28 parsed, 0 malformed, 483 skipped by the prefilter, 1 input not read (its source, sourcetype, host or index cannot match); 18 result rows"),
                "{err}"
            );
        }
    }
}

/// The progress line (docs/cli.md): never on stdout; silent when stderr is not a terminal (as
/// here, where stderr is a pipe); drawn on stderr with `--progress`, and erased before the
/// summary; `--no-progress` given last wins. The results are the same either way.
#[test]
fn progress_line_is_silent_unless_stderr_is_a_terminal_or_asked_for() {
    let args = [
        "run",
        "rules/o365_pst_export_alert.yml",
        "--data",
        "tests/data/o365_pst_export/o365_pst_export.json",
        "--sourcetype",
        "o365:management:activity",
        "--format",
        "ndjson",
    ];
    let run = |extra: &[&str]| {
        tripline()
            .current_dir(root())
            .args(args)
            .args(extra)
            .output()
            .expect("runs")
    };
    let quiet = run(&[]);
    let shown = run(&["--progress"]);
    let off = run(&["--progress", "--no-progress"]);
    assert!(quiet.status.success() && shown.status.success() && off.status.success());
    assert_eq!(quiet.stdout, shown.stdout);
    assert_eq!(quiet.stdout, off.stdout);
    assert!(!String::from_utf8_lossy(&shown.stdout).contains('\r'));
    let q = String::from_utf8_lossy(&quiet.stderr);
    assert!(!q.contains('\r') && !q.contains('\x1b'), "{q:?}");
    assert_eq!(quiet.stderr, off.stderr);
    // The file has 2,008,478 bytes in 1,557 lines: the pass ends with the full bar, then the
    // line is erased and the summary follows.
    let s = String::from_utf8_lossy(&shown.stderr);
    assert!(
        s.contains("\r\x1b[2Ktripline: [####################] 100% of 2.0 MB, 1,557 events, "),
        "{s:?}"
    );
    assert!(
        s.contains("\r\x1b[2Ktripline: 1557 events read: 106 parsed"),
        "{s:?}"
    );
}

/// Rules are parsed on the command's own worker threads (their stack is sized for the
/// parser): a `where` nested 128 parentheses deep — the most the parser takes — still parses
/// and keeps the one event with a = 1, and one level more is the nesting-limit error, not a
/// crash of the process.
#[test]
fn deepest_nesting_parses_on_worker_threads() {
    let (_dir, data) = temp_file("e.json", "{\"a\":1}\n{\"a\":2}\n");
    let q = |depth: usize| format!("* | where {}a=1{}", "(".repeat(depth), ")".repeat(depth));
    for threads in ["1", "2"] {
        let run = |depth: usize| {
            tripline()
                .args(["query", &q(depth), "--data"])
                .arg(&data)
                .args(["--threads", threads, "--format", "ndjson", "--no-progress"])
                .output()
                .expect("runs")
        };
        let out = run(128);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r#"{"a":1}"#);
        let out = run(129);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("tripline::limit::nesting"), "{err}");
    }
}

/// Datasets whose sourcetype rules the search out are not read, and the summary says so
/// (docs/cli.md). Worked by hand from tests/data/all.yml: of its four datasets, the PST export
/// and the send/delete audit are `o365:management:activity` (not read), the message trace
/// (511 lines) is the one wanted, and the PowerShell one (400 lines) gives no sourcetype, so
/// its documents decide (they have no `sourcetype` field): it is read, and matches nothing.
#[test]
fn datasets_of_other_sourcetypes_are_not_read() {
    let (out, err) = query_ok(
        "sourcetype=o365:reporting:messagetrace | stats count",
        &root().join("tests/data/all.yml"),
        "ndjson",
    );
    assert_eq!(out, "{\"count\":511}\n");
    let summary = "tripline: 911 events read: 911 parsed, 0 malformed, 2 inputs not read (their source, sourcetype, host or index cannot match); 1 result row";
    assert!(err.contains(summary), "{err}");
    // docs/cli.md shows this run.
    let doc = std::fs::read_to_string(root().join("docs/cli.md")).expect("docs/cli.md");
    assert!(doc.contains(summary), "docs/cli.md's example differs");
}
