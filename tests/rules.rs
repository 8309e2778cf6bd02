//! The shipped rules' own tests, run through the same runner as `tripline test`, and the
//! checks `tripline check` makes on deliberately broken rules (tests/broken_rules/).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use assert_cmd::Command;
use std::path::Path;
use tripline::suite::{self, Verdict};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_rule_tests_pass() {
    let rules = root().join("rules");
    let mut macros = tripline::syntax::macros::MacroSet::new();
    tripline::rule::load::macros(&rules.join("macros.yml"), &mut macros).unwrap();
    let mut sourcetypes = tripline::event::Sourcetypes::default();
    tripline::rule::load::sourcetypes(&rules.join("sourcetypes.yml"), &mut sourcetypes).unwrap();
    let files = tripline::rule::load::rule_files(&[rules]).unwrap();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut ran = 0;
    for f in files {
        let rule = tripline::rule::load::rule(&f).unwrap();
        for o in suite::run_rule(&rule, &macros, &sourcetypes, &suite::Options::default()) {
            match o.verdict {
                Verdict::Pass => ran += 1,
                Verdict::Skip(_) => {}
                Verdict::Fail(why) => {
                    failures.push(format!("{} :: {}: {}", o.rule, o.test, why.join("; ")))
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ran >= 2, "only {ran} tests ran");
}

#[test]
fn cli_test_summary_and_exit_codes() {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(root())
        .args(["test", "rules/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // The attack_data URL test is skipped without --attack-data; the local ones pass.
    assert!(
        text.trim_end().ends_with("5 passed, 0 failed, 1 skipped"),
        "{text}"
    );
}

/// Breaking an expectation makes the test fail with a diff and exit code 1.
#[test]
fn broken_expectation_fails_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let rule = std::fs::read_to_string(root().join("rules/o365_pst_export_alert.yml")).unwrap();
    let rule = rule
        .replace("count: 12", "count: 13")
        .replace(
            "AlertEntityId: kenji.watanabe@contoso.com, count: 3",
            "AlertEntityId: kenji.watanabe@contoso.com, count: 4",
        )
        .replace(
            "../tests/data/",
            &format!("{}/tests/data/", root().display()),
        );
    std::fs::write(dir.path().join("r.yml"), rule).unwrap();
    std::fs::copy(
        root().join("rules/macros.yml"),
        dir.path().join("macros.yml"),
    )
    .unwrap();
    std::fs::copy(
        root().join("rules/sourcetypes.yml"),
        dir.path().join("sourcetypes.yml"),
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .arg("test")
        .arg(dir.path())
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL  O365 PST export alert :: Local dataset"),
        "{text}"
    );
    assert!(text.contains("expected 13 rows, got 12"), "{text}");
    assert!(
        text.contains("expected row 1 {\"Source\":\"Cloud App Security\""),
        "{text}"
    );
    assert!(text.contains("closest (5/6 fields agree)"), "{text}");
    assert!(
        text.trim_end().ends_with("1 passed, 1 failed, 1 skipped"),
        "{text}"
    );
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"tripline\" tests=\"3\" failures=\"1\" skipped=\"1\""),
        "{xml}"
    );
}

/// Every planted problem of tests/broken_rules/ is reported, at its line in the file.
#[test]
fn check_reports_planted_problems() {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(root())
        .args(["check", "tests/broken_rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got = Vec::new();
    for r in doc["rules"].as_array().unwrap() {
        let file = r["file"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        for m in r["messages"].as_array().unwrap() {
            got.push(format!(
                "{file}:{}:{} {} {}",
                m["line"],
                m["column"],
                m["severity"].as_str().unwrap(),
                m["code"].as_str().unwrap()
            ));
        }
    }
    let want = [
        // T9999 does not exist; T1013 (Port Monitors) is deprecated
        "bad_attack_and_score.yml:17:5 error tripline::attack::unknown_technique",
        "bad_attack_and_score.yml:18:5 warning tripline::attack::deprecated",
        // score 120 on line 9
        "bad_attack_and_score.yml:9:5 error tripline::rba::score_range",
        // the search outputs only UserId and count: `dest` (line 10) and `$src$` (line 5) are never there
        "bad_attack_and_score.yml:10:12 error tripline::rba::unknown_field",
        "bad_attack_and_score.yml:5:41 error tripline::rba::unknown_field",
        // Subject is never read
        "bad_attack_and_score.yml:21:3 warning tripline::rule::required_field_unused",
        "duplicate_name.yml:3:48 error tripline::eval::unknown_function",
        "duplicate_name.yml:2:1 error tripline::rule::duplicate_id",
        "duplicate_name.yml:1:1 error tripline::rule::duplicate_name",
        "old_form_mismatch.yml:2:1 error tripline::rule::malformed_id",
        // 80 × 50 / 100 = 40, not 48
        "old_form_mismatch.yml:7:3 warning tripline::rba::score_mismatch",
    ];
    assert_eq!(got, want);
}

#[test]
fn risk_events_for_the_pst_rule() {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(root())
        .args([
            "run",
            "rules/o365_pst_export_alert.yml",
            "--data",
            "tests/data/all.yml",
            "--risk",
            "--format",
            "ndjson",
            "--now",
            "2025-03-06T00:00:00",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // one risk object (Source) per result row
    assert_eq!(lines.len(), 12);
    let first = &lines[0];
    assert_eq!(first["risk_object"], "Cloud App Security");
    assert_eq!(first["risk_object_type"], "user");
    assert_eq!(first["risk_score"], 48);
    assert_eq!(
        first["risk_message"],
        "User Cloud App Security has exported a PST file from the search using this operation- AlertEntityGenerated with a severity of Informational"
    );
    assert_eq!(
        first["annotations.mitre_attack.mitre_technique_id"],
        "T1114"
    );
    assert_eq!(
        first["annotations.mitre_attack.mitre_technique"],
        "Email Collection"
    );
    assert_eq!(first["annotations.mitre_attack.mitre_tactic"], "Collection");
    // stats rows have no _time: the search time is used (2025-03-06T00:00:00Z)
    assert_eq!(first["_time"], 1741219200);
}

/// security_content's older tags (risk_score, observable with roles, message) give the same
/// risk settings as the `rba:` block.
#[test]
fn old_tags_and_rba_block_agree() {
    let old: tripline::rule::Rule = serde_yaml::from_str(
        "name: X\nsearch: x\ntags:\n  impact: 80\n  confidence: 60\n  message: User $Source$ did $Operation$\n  observable:\n  - name: Source\n    type: User\n    role: [Victim]\n  - name: process_name\n    type: Process Name\n    role: [Attacker]\n",
    )
    .unwrap();
    let new: tripline::rule::Rule = serde_yaml::from_str(
        "name: X\nsearch: x\nrba:\n  message: User $Source$ did $Operation$\n  risk_objects:\n  - field: Source\n    type: user\n    score: 48\n  threat_objects:\n  - field: process_name\n    type: process_name\n",
    )
    .unwrap();
    // 80 × 60 / 100 = 48
    assert_eq!(old.rba(), new.rba());
}

/// A field of a result document by dotted name, whether the document nests it, writes the
/// dotted key literally, or mixes both.
fn dotted<'a>(doc: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    if let Some(v) = doc.get(name) {
        return Some(v);
    }
    name.match_indices('.')
        .find_map(|(i, _)| doc.get(&name[..i]).and_then(|d| dotted(d, &name[i + 1..])))
}

/// The shipped KQL rule over its script-block dataset matches exactly the documents whose
/// hand-worked verdict is "match" (tests/data/powershell_mailbox_export/expected_matches.txt,
/// written by generate.py from the case verdicts, not by tripline), and nothing when the
/// data sits in an index the rule does not read.
#[test]
fn exchange_mailbox_export_matches_the_hand_worked_documents() {
    let dir = root().join("tests/data/powershell_mailbox_export");
    let mut want: Vec<(String, u64)> = std::fs::read_to_string(dir.join("expected_matches.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (id, seq) = l.split_once(' ').unwrap();
            (id.to_string(), seq.trim().parse().unwrap())
        })
        .collect();
    want.sort();
    assert_eq!(want.len(), 24);
    let run = |index: &str| -> Vec<(String, u64)> {
        let out = Command::cargo_bin("tripline")
            .unwrap()
            .args([
                "run",
                "rules/exchange_mailbox_export_via_powershell.yml",
                "--data",
            ])
            .arg(dir.join("powershell_4104.json"))
            .args(["--index", index, "--format", "ndjson"])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut got: Vec<(String, u64)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let doc = &v["result"];
                let id = dotted(doc, "powershell.file.script_block_id").unwrap();
                let seq = dotted(doc, "powershell.sequence").unwrap();
                (id.as_str().unwrap().to_string(), seq.as_u64().unwrap())
            })
            .collect();
        got.sort();
        got
    };
    assert_eq!(run("logs-windows.powershell_operational-default"), want);
    assert_eq!(run("winlogbeat-2025.03.10"), want);
    assert!(run("logs-endpoint.events.process-default").is_empty());
}

/// `check --format json` says per rule how far it gets: parse, plan (every command known and
/// valid), run (nothing missing here), with the first problem as `reason`.
#[test]
fn check_json_reports_parse_plan_run_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |file: &str, id: &str, search: &str| {
        std::fs::write(
            dir.path().join(file),
            format!("name: {file}\nid: {id}\nsearch: '{search}'\n"),
        )
        .unwrap();
    };
    rule(
        "a_ok.yml",
        "11111111-1111-4111-8111-111111111111",
        "index=main user=x | stats count by host",
    );
    rule(
        "b_parse.yml",
        "22222222-2222-4222-8222-222222222222",
        "index=main | eval x = (1 +",
    );
    rule(
        "c_unknown.yml",
        "33333333-3333-4333-8333-333333333333",
        "index=main | outlier action=RM count",
    );
    rule(
        "d_geoip.yml",
        "44444444-4444-4444-8444-444444444444",
        "index=main | iplocation src",
    );
    rule(
        "e_badarg.yml",
        "55555555-5555-4555-8555-555555555555",
        "index=main | head limit=notanumber",
    );
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stages: Vec<(bool, bool, bool, bool)> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["parse"].as_bool().unwrap(),
                r["plan"].as_bool().unwrap(),
                r["run"].as_bool().unwrap(),
                r["reason"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        vec![
            (true, true, true, false),
            (false, false, false, true),
            (true, false, false, true),
            (true, true, false, true),
            (true, false, false, true),
        ]
    );
    let reason = |i: usize| doc["rules"][i]["reason"].as_str().unwrap().to_string();
    assert!(reason(2).contains("outlier"), "{}", reason(2));
    assert!(reason(3).contains("GeoIP"), "{}", reason(3));
    assert_eq!(doc["summary"]["parse"], 4);
    assert_eq!(doc["summary"]["plan"], 2);
    assert_eq!(doc["summary"]["run"], 1);
}
