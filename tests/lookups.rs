//! Lookup folders through the real binary and the library: path safety (symlinks, `..`,
//! absolute paths, and `--allow-lookup-paths`), the memory budget, the default folders beside
//! the rules, `check` reasons, `tripline test`, and the real security_content lookups.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn tripline() -> Command {
    Command::cargo_bin("tripline").expect("binary")
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let out = tripline()
        .current_dir(dir)
        .args(args)
        .write_stdin("")
        .output()
        .expect("runs");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temp dir with `lookups/users.csv` and an `outside/secret.csv` next to it.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lookups")).unwrap();
    std::fs::create_dir(dir.path().join("outside")).unwrap();
    std::fs::write(
        dir.path().join("lookups/users.csv"),
        "user,dept\nalice,eng\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("outside/secret.csv"),
        "user,secret\nalice,hunter2\n",
    )
    .unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_folder_is_refused_unless_allowed() {
    let dir = setup();
    std::os::unix::fs::symlink(
        dir.path().join("outside/secret.csv"),
        dir.path().join("lookups/link.csv"),
    )
    .unwrap();
    let q = "| inputlookup link.csv";
    let refused = run(dir.path(), &["query", q, "--lookups", "lookups"]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("tripline::lookup::symlink_escape"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty());
    // Through a definition's filename too.
    std::fs::write(
        dir.path().join("lookups/linked.yml"),
        "name: linked\nfilename: link.csv\n",
    )
    .unwrap();
    let by_def = run(
        dir.path(),
        &["query", "| inputlookup linked", "--lookups", "lookups"],
    );
    assert!(
        by_def.stderr.contains("tripline::lookup::symlink_escape"),
        "{}",
        by_def.stderr
    );
    let allowed = run(
        dir.path(),
        &[
            "query",
            q,
            "--lookups",
            "lookups",
            "--allow-lookup-paths",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    assert_eq!(
        allowed.stdout,
        "{\"user\":\"alice\",\"secret\":\"hunter2\"}\n"
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_the_folder_is_fine() {
    let dir = setup();
    std::os::unix::fs::symlink(
        dir.path().join("lookups/users.csv"),
        dir.path().join("lookups/alias.csv"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "query",
            "| inputlookup alias.csv",
            "--lookups",
            "lookups",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "{\"user\":\"alice\",\"dept\":\"eng\"}\n");
}

#[test]
fn parent_and_absolute_paths_need_the_option() {
    let dir = setup();
    let abs = dir.path().join("outside/secret.csv");
    let abs = abs.to_str().unwrap();
    for (name, code) in [
        ("../outside/secret.csv", "tripline::lookup::parent_path"),
        (abs, "tripline::lookup::absolute_path"),
    ] {
        let q = format!("| inputlookup \"{name}\"");
        let refused = run(dir.path(), &["query", &q, "--lookups", "lookups"]);
        assert_eq!(refused.code, Some(2), "{name}: {}", refused.stderr);
        assert!(refused.stderr.contains(code), "{name}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("--allow-lookup-paths"),
            "the help names the option: {}",
            refused.stderr
        );
        let allowed = run(
            dir.path(),
            &[
                "query",
                &q,
                "--lookups",
                "lookups",
                "--allow-lookup-paths",
                "--format",
                "ndjson",
            ],
        );
        assert_eq!(allowed.code, Some(0), "{name}: {}", allowed.stderr);
        assert_eq!(
            allowed.stdout, "{\"user\":\"alice\",\"secret\":\"hunter2\"}\n",
            "{name}"
        );
    }
    // A definition's filename goes through the same checks.
    std::fs::write(
        dir.path().join("lookups/escape.yml"),
        "name: escape\nfilename: ../outside/secret.csv\n",
    )
    .unwrap();
    let refused = run(
        dir.path(),
        &["query", "| inputlookup escape", "--lookups", "lookups"],
    );
    assert!(
        refused.stderr.contains("tripline::lookup::parent_path"),
        "{}",
        refused.stderr
    );
    let allowed = run(
        dir.path(),
        &[
            "query",
            "| inputlookup escape",
            "--lookups",
            "lookups",
            "--allow-lookup-paths",
        ],
    );
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
}

/// A table bigger than `--max-memory` is an error (exit 1), never read in part; a table under
/// the budget but that, with the rest, goes over it stops the run with the memory error.
#[test]
fn a_table_over_the_memory_budget_is_an_error() {
    let dir = setup();
    let mut big = String::from("k,v\n");
    while big.len() < 1_200_000 {
        big.push_str("somekey,some value that takes room\n");
    }
    std::fs::write(dir.path().join("lookups/big.csv"), &big).unwrap();
    let out = run(
        dir.path(),
        &[
            "query",
            "| inputlookup big.csv",
            "--lookups",
            "lookups",
            "--max-memory",
            "1",
        ],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("tripline::limit::lookup_size"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no partial table: {}", out.stdout);
    // The same table compressed: its uncompressed size counts.
    let gz = dir.path().join("lookups/big.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut enc, big.as_bytes()).unwrap();
    enc.finish().unwrap();
    assert!(std::fs::metadata(&gz).unwrap().len() < 1 << 20);
    let out = run(
        dir.path(),
        &[
            "query",
            "| inputlookup big.csv.gz",
            "--lookups",
            "lookups",
            "--max-memory",
            "1",
        ],
    );
    assert!(
        out.stderr.contains("tripline::limit::lookup_size"),
        "{}",
        out.stderr
    );
    // With room, the .gz table reads and has every row.
    let out = run(
        dir.path(),
        &[
            "query",
            "| inputlookup big.csv.gz | stats count",
            "--lookups",
            "lookups",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rows = big.lines().count() - 1;
    assert_eq!(out.stdout, format!("{{\"count\":{rows}}}\n"));
}

/// Tables count towards the run's `--max-memory` budget, each table once however many
/// commands use it. Sizes follow tripline's estimate (src/lookup/table.rs: 24 bytes a row plus
/// 24 a cell plus the text; the index of a `lookup` 40 bytes a row plus the key): a table of
/// 5,500 rows `kNNNNN,v` holds about 434 KB and its index 253 KB, so one table and an index fit
/// in 1 MiB, two tables and an index do not.
#[test]
fn tables_count_towards_the_run_memory_budget() {
    let dir = setup();
    let mut csv = String::from("k,v\n");
    for i in 0..5500 {
        csv.push_str(&format!("k{i:05},v\n"));
    }
    std::fs::write(dir.path().join("lookups/a.csv"), &csv).unwrap();
    std::fs::write(dir.path().join("lookups/b.csv"), &csv).unwrap();
    let budget = [
        "--lookups",
        "lookups",
        "--max-memory",
        "1",
        "--format",
        "ndjson",
    ];
    let q = |query: &str| {
        let mut args = vec!["query", query];
        args.extend(budget);
        run(dir.path(), &args)
    };
    let same = q("| inputlookup a.csv | lookup a.csv k OUTPUT v AS w | stats count(w) as n");
    assert_eq!(same.code, Some(0), "{}", same.stderr);
    assert_eq!(same.stdout, "{\"n\":5500}\n");
    let two = q("| inputlookup a.csv | lookup b.csv k OUTPUT v AS w | stats count(w) as n");
    assert_eq!(two.code, Some(1), "{}", two.stderr);
    assert!(
        two.stderr.contains("tripline::limit::memory"),
        "{}",
        two.stderr
    );
    assert!(two.stdout.is_empty());
}

fn write_rule(path: &Path, search: &str) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!(
            "name: {}\nid: 00000000-0000-4000-8000-{n:012}\nsearch: '{search}'\n",
            path.display()
        ),
    )
    .unwrap();
}

/// security_content's layout: `detections/<area>/<rule>.yml` and `lookups/` beside
/// `detections/` — no `--lookups` needed; `lookups/` beside a plain rules folder too.
#[test]
fn lookups_beside_the_rules_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("sc/lookups")).unwrap();
    std::fs::write(root.join("sc/lookups/users.csv"), "user,dept\nalice,eng\n").unwrap();
    std::fs::write(
        root.join("sc/lookups/users.yml"),
        "name: users\nfilename: users.csv\ncase_sensitive_match: 'false'\n",
    )
    .unwrap();
    let rule = root.join("sc/detections/endpoint/r.yml");
    write_rule(&rule, "* | lookup users user OUTPUT dept");
    std::fs::write(root.join("ev.json"), "{\"user\":\"ALICE\"}\n").unwrap();
    for target in ["sc/detections", "sc/detections/endpoint/r.yml"] {
        let out = run(
            root,
            &["run", target, "--data", "ev.json", "--format", "ndjson"],
        );
        assert_eq!(out.code, Some(0), "{target}: {}", out.stderr);
        assert!(
            out.stdout
                .contains("\"result\":{\"user\":\"ALICE\",\"dept\":\"eng\"}"),
            "{target}: {}",
            out.stdout
        );
    }
    let check = run(root, &["check", "sc/detections"]);
    assert_eq!(check.code, Some(0), "{}{}", check.stdout, check.stderr);
    // A plain folder of rules with lookups/ inside it.
    std::fs::create_dir_all(root.join("plain/lookups")).unwrap();
    std::fs::write(root.join("plain/lookups/t.csv"), "a,b\n1,2\n").unwrap();
    write_rule(&root.join("plain/r.yml"), "| inputlookup t.csv");
    let out = run(root, &["run", "plain", "--format", "ndjson"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("{\"a\":\"1\",\"b\":\"2\"}"),
        "{}",
        out.stdout
    );
    // An explicit --lookups replaces the default folder.
    let other = tempfile::tempdir().unwrap();
    let out = run(
        root,
        &[
            "check",
            "plain",
            "--lookups",
            other.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr.contains("tripline::lookup::not_found"),
        "{}",
        out.stderr
    );
}

/// `check` says why a lookup cannot be used: unsupported for a KV store or a model (like
/// iplocation or apply), invalid for a lookup that is not there.
#[test]
fn check_gives_specific_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("rules/lookups")).unwrap();
    std::fs::write(
        root.join("rules/lookups/seen.yml"),
        "name: seen\ncollection: seen\nfields_list: _key, user\n",
    )
    .unwrap();
    std::fs::write(
        root.join("rules/lookups/model.yml"),
        "name: model\nfilename: model.mlmodel\n",
    )
    .unwrap();
    write_rule(
        &root.join("rules/a_kv.yml"),
        "* | lookup seen user OUTPUT firstTimeSeen",
    );
    write_rule(&root.join("rules/b_model.yml"), "| inputlookup model");
    write_rule(
        &root.join("rules/c_missing.yml"),
        "* | lookup identity_lookup_expanded x",
    );
    let out = run(root, &["check", "rules", "--format", "json"]);
    assert_eq!(out.code, Some(2));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rules = doc["rules"].as_array().unwrap();
    let status: Vec<(&str, &str)> = rules
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["messages"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("unsupported", "tripline::lookup::kvstore"),
            ("unsupported", "tripline::lookup::mlmodel"),
            ("invalid", "tripline::lookup::not_found"),
        ]
    );
    // The message points at the lookup name in the rule file: line 3, `search: '` is 9
    // characters and `* | lookup ` 11, so `seen` starts in column 21.
    let msg = &rules[0]["messages"][0];
    assert_eq!(msg["line"], 3);
    assert_eq!(msg["column"], 21);
}

/// `tripline test` plans with the lookups beside the rules.
#[test]
fn rule_tests_use_the_lookups() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("rules/lookups")).unwrap();
    std::fs::write(
        root.join("rules/lookups/bad.csv"),
        "process\nmimikatz.exe\n",
    )
    .unwrap();
    std::fs::write(
        root.join("rules/data.json"),
        "{\"process\":\"mimikatz.exe\"}\n{\"process\":\"calc.exe\"}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("rules/r.yml"),
        "name: Known bad process\nid: x\nsearch: '* | search [| inputlookup bad.csv]'\n\
         tests:\n- name: local\n  attack_data:\n  - data: data.json\n  expect:\n    count: 1\n    rows:\n    - {process: mimikatz.exe}\n",
    )
    .unwrap();
    let out = run(root, &["test", "rules"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 passed, 0 failed"), "{}", out.stdout);
}

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/security_content");
    root.is_dir().then_some(root)
}

/// Every file of security_content's lookups/ folder (79 definitions, 50 CSV tables): each
/// definition loads its table or says precisely why it cannot (a KV store collection or an
/// MLTK model), and every CSV file loads by its file name.
#[test]
fn corpus_lookups_load_or_give_a_reason() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found beside the checkout; skipping");
        return;
    };
    let folder = root.join("lookups");
    let lookups = tripline::lookup::Lookups::load(
        std::slice::from_ref(&folder),
        tripline::lookup::Options::default(),
    )
    .unwrap();
    assert!(
        lookups.problems().is_empty(),
        "definitions that do not load: {:?}",
        lookups.problems()
    );
    let mut loaded = 0;
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    let names = lookups.definition_names();
    for name in &names {
        match lookups.resolve(name) {
            Ok(r) => {
                assert!(!r.table.columns.is_empty(), "{name}");
                loaded += 1;
            }
            Err(d) => *reasons.entry(d.code.to_string()).or_default() += 1,
        }
    }
    let yml = std::fs::read_dir(&folder)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yml")
        })
        .count();
    assert_eq!(names.len(), yml, "one definition per YAML file");
    let expected: std::collections::BTreeMap<String, usize> = [
        ("tripline::lookup::kvstore".to_string(), 24),
        ("tripline::lookup::mlmodel".to_string(), 5),
    ]
    .into_iter()
    .collect();
    assert_eq!(reasons, expected, "{loaded} loaded");
    assert_eq!(loaded + 29, names.len());
    let mut csv = 0;
    for e in std::fs::read_dir(&folder).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let r = lookups
                .resolve(&name)
                .unwrap_or_else(|d| panic!("{name}: {}", d.message));
            assert!(!r.table.columns.is_empty(), "{name}");
            csv += 1;
        }
    }
    assert_eq!(names.len() + csv, 129, "the folder's 129 files");
}

/// The fenced blocks after `marker` in a Markdown file: (info string, body), in order.
fn fenced_blocks(doc: &str, marker: &str) -> Vec<(String, String)> {
    let start = doc
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in the doc"));
    let mut out = Vec::new();
    let mut lines = doc[start..].lines();
    while let Some(line) = lines.next() {
        if line.starts_with("## ") || line.starts_with("### ") {
            break;
        }
        if let Some(info) = line.strip_prefix("```") {
            let mut body = String::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            out.push((info.to_string(), body));
        }
    }
    out
}

/// The lookup example of docs/language.md runs and prints what the doc says.
#[test]
fn language_doc_lookup_example_runs() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md"))
            .unwrap();
    let blocks = fenced_blocks(&doc, "<!-- example: lookup -->");
    let kinds: Vec<&str> = blocks.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["csv", "ndjson", "spl", "ndjson"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lookups")).unwrap();
    std::fs::write(dir.path().join("lookups/users.csv"), &blocks[0].1).unwrap();
    std::fs::write(dir.path().join("events.ndjson"), &blocks[1].1).unwrap();
    let out = run(
        dir.path(),
        &[
            "query",
            blocks[2].1.trim(),
            "--data",
            "events.ndjson",
            "--lookups",
            "lookups",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, blocks[3].1);
}

/// An unknown lookup's help suggests a near name: another case, or a couple of edits away.
#[test]
fn unknown_lookups_get_a_suggestion() {
    let dir = setup();
    std::fs::write(
        dir.path().join("lookups/users.yml"),
        "name: Users_Lookup\nfilename: users.csv\n",
    )
    .unwrap();
    for (q, hint) in [
        ("| inputlookup user.csv", "did you mean `users.csv`?"),
        ("| inputlookup users_lookup", "did you mean `Users_Lookup`?"),
        ("| inputlookup users", "the folder has a file `users.csv`"),
    ] {
        let out = run(dir.path(), &["query", q, "--lookups", "lookups"]);
        assert_eq!(out.code, Some(2), "{q}");
        assert!(
            out.stderr.contains("tripline::lookup::not_found"),
            "{q}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(hint), "{q}: {}", out.stderr);
    }
}
