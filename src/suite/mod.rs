//! Rule tests (stage: report): run each rule's `tests:` datasets and compare the results with
//! the test's expectations.
//!
//! A test is security_content's block (`name`, `attack_data: [{data, source, sourcetype}]`)
//! plus an optional `expect: {count | min | max, rows, fields, ordered}`. Without `expect` a
//! test passes when the rule returns at least one row (security_content's meaning); a test
//! marked `false_positive: true` / `benign: true` / `test_type: false_positive` expects none.

use crate::diag::{Diag, Kind};
use crate::event::{Dataset, Input, InputPath, Meta, ReadConfig, Sourcetypes};
use crate::exec::{ExecCtx, run};
use crate::functions::EvalCtx;
use crate::record::Record;
use crate::rule::{self, Rule};
use crate::syntax::macros::MacroSet;
use crate::value::Value;
use serde_yaml::Value as Yaml;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// URL prefix of security_content's attack data, mapped onto `--attack-data DIR`.
pub const ATTACK_DATA_URL: &str =
    "https://media.githubusercontent.com/media/splunk/attack_data/master/";

/// Options of a test run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A local checkout of splunk/attack_data for `https://media.githubusercontent.com/…` data.
    pub attack_data: Option<PathBuf>,
    /// Search time (`now()`), epoch seconds.
    pub now: Option<f64>,
    /// Field types KQL rules are compiled against (`None`: the bundled ECS schema).
    pub field_types: Option<crate::kql::FieldTypes>,
    /// Lookups the rules may use.
    pub env: std::sync::Arc<crate::plan::Env>,
}

/// How a test ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Passed.
    Pass,
    /// Failed, with the reasons (a readable diff).
    Fail(Vec<String>),
    /// Not run, with the reason.
    Skip(String),
}

/// One test's result.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The rule file.
    pub file: PathBuf,
    /// Rule name.
    pub rule: String,
    /// Test name.
    pub test: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Milliseconds taken.
    pub millis: f64,
    /// Rows the rule returned.
    pub rows: usize,
}

/// What a test expects.
#[derive(Clone, Debug, Default)]
struct Expect {
    count: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
    rows: Vec<serde_json::Map<String, serde_json::Value>>,
    fields: Vec<String>,
    ordered: bool,
    zero: bool,
    any: bool,
}

fn yaml_bool(v: Option<&Yaml>) -> bool {
    matches!(v, Some(Yaml::Bool(true)))
        || matches!(v, Some(Yaml::String(s)) if s.eq_ignore_ascii_case("true"))
}

fn yaml_usize(v: Option<&Yaml>) -> Option<usize> {
    match v? {
        Yaml::Number(n) => n.as_u64().and_then(|x| usize::try_from(x).ok()),
        _ => None,
    }
}

fn expectations(test: &Yaml) -> Result<Expect, String> {
    let benign = yaml_bool(test.get("false_positive"))
        || yaml_bool(test.get("benign"))
        || matches!(test.get("test_type"), Some(Yaml::String(s)) if s == "false_positive" || s == "benign");
    let Some(e) = test.get("expect") else {
        return Ok(Expect {
            zero: benign,
            any: !benign,
            ..Expect::default()
        });
    };
    let rows = match e.get("rows") {
        None => Vec::new(),
        Some(Yaml::Sequence(list)) => list
            .iter()
            .map(|r| match serde_json::to_value(r) {
                Ok(serde_json::Value::Object(m)) => Ok(m),
                _ => {
                    Err("each entry of `expect.rows` must be a mapping of field: value".to_string())
                }
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`expect.rows` must be a list".into()),
    };
    let fields = match e.get("fields") {
        None => Vec::new(),
        Some(Yaml::Sequence(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => return Err("`expect.fields` must be a list of field names".into()),
    };
    Ok(Expect {
        count: yaml_usize(e.get("count")),
        min: yaml_usize(e.get("min")),
        max: yaml_usize(e.get("max")),
        rows,
        fields,
        ordered: yaml_bool(e.get("ordered")),
        zero: benign,
        any: false,
    })
}

/// Compare an expected JSON value with a result value: numbers numerically, text exactly,
/// lists with multivalue fields in order.
fn value_matches(want: &serde_json::Value, got: &Value) -> bool {
    match (want, got) {
        (serde_json::Value::Null, v) => v.is_null(),
        (serde_json::Value::Array(ws), Value::Multi(gs)) => {
            ws.len() == gs.len() && ws.iter().zip(gs).all(|(w, g)| value_matches(w, g))
        }
        (serde_json::Value::Array(ws), g) if ws.len() == 1 => {
            ws.first().is_some_and(|w| value_matches(w, g))
        }
        (serde_json::Value::Number(n), g) => match (n.as_f64(), g.as_number()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            _ => false,
        },
        (serde_json::Value::String(s), g) => {
            g.to_text().is_some_and(|t| &t == s) && !matches!(g, Value::Multi(_))
        }
        (serde_json::Value::Bool(b), g) => g
            .to_text()
            .is_some_and(|t| t.eq_ignore_ascii_case(&b.to_string())),
        _ => false,
    }
}

fn row_matches(want: &serde_json::Map<String, serde_json::Value>, got: &Record) -> bool {
    want.iter().all(|(k, w)| value_matches(w, &got.get_name(k)))
}

fn show_row(r: &Record) -> String {
    let m: serde_json::Map<String, serde_json::Value> = r
        .visible()
        .into_iter()
        .filter_map(|(k, v)| v.to_json().map(|j| (k.into_string(), j)))
        .collect();
    serde_json::Value::Object(m).to_string()
}

fn check(e: &Expect, rows: &[Record]) -> Vec<String> {
    let mut fails = Vec::new();
    let n = rows.len();
    if e.any && n == 0 {
        fails.push("expected at least one result row, got none".to_string());
    }
    if e.zero && n > 0 {
        fails.push(format!(
            "expected no result rows (false-positive test), got {n}"
        ));
    }
    if let Some(c) = e.count.filter(|c| *c != n) {
        fails.push(format!("expected {c} rows, got {n}"));
    }
    if let Some(m) = e.min.filter(|m| n < *m) {
        fails.push(format!("expected at least {m} rows, got {n}"));
    }
    if let Some(m) = e.max.filter(|m| n > *m) {
        fails.push(format!("expected at most {m} rows, got {n}"));
    }
    for f in &e.fields {
        if let Some((i, _)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.get_name(f).is_null())
        {
            fails.push(format!("row {} has no field `{f}`", i + 1));
        }
    }
    // Each expected row must match a distinct actual row (in order when `ordered`).
    let mut used = vec![false; n];
    let mut from = 0usize;
    for (wi, want) in e.rows.iter().enumerate() {
        let start = if e.ordered { from } else { 0 };
        let hit = (start..n).find(|i| {
            !used.get(*i).copied().unwrap_or(true)
                && rows.get(*i).is_some_and(|r| row_matches(want, r))
        });
        match hit {
            Some(i) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                from = i + 1;
            }
            None => {
                let mut msg = format!(
                    "expected row {} {} not found{}",
                    wi + 1,
                    serde_json::Value::Object(want.clone()),
                    if e.ordered { " (in order)" } else { "" }
                );
                // Show the closest actual rows: those agreeing on the most fields.
                let mut scored: Vec<(usize, &Record)> = rows
                    .iter()
                    .map(|r| {
                        (
                            want.iter()
                                .filter(|(k, w)| value_matches(w, &r.get_name(k)))
                                .count(),
                            r,
                        )
                    })
                    .collect();
                scored.sort_by_key(|s| std::cmp::Reverse(s.0));
                for (score, r) in scored.into_iter().take(2).filter(|(s, _)| *s > 0) {
                    msg.push_str(&format!(
                        "\n      closest ({score}/{} fields agree): {}",
                        want.len(),
                        show_row(r)
                    ));
                }
                if rows.is_empty() {
                    msg.push_str("\n      the rule returned no rows");
                }
                fails.push(msg);
            }
        }
    }
    fails
}

fn resolve_data(rule_file: &Path, data: &str, opts: &Options) -> Result<PathBuf, String> {
    if let Some(rest) = data.strip_prefix(ATTACK_DATA_URL) {
        return match &opts.attack_data {
            Some(dir) => Ok(dir.join(rest)),
            None => Err(format!("needs `--attack-data DIR` for {data}")),
        };
    }
    if data.starts_with("http://") || data.starts_with("https://") {
        return Err(format!("remote data is never fetched: {data}"));
    }
    let p = Path::new(data);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        rule_file.parent().unwrap_or(Path::new(".")).join(p)
    })
}

/// Run every test of one rule.
pub fn run_rule(
    rule: &Rule,
    macros: &MacroSet,
    sourcetypes: &Sourcetypes,
    opts: &Options,
) -> Vec<Outcome> {
    let name = rule.display_name();
    let tests: Vec<Yaml> = match &rule.tests {
        Some(Yaml::Sequence(t)) => t.clone(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let bundled;
    let types = match &opts.field_types {
        Some(t) => t,
        None => {
            bundled = crate::kql::FieldTypes::bundled();
            &bundled
        }
    };
    // SPL or KQL, with the rule's index patterns and timestamp_override, as `run` does.
    let compiled = rule.search.as_ref().map(|_| {
        rule::compile_rule(rule, macros, types, &opts.env).map_err(|all| {
            all.into_iter().next().unwrap_or_else(|| {
                Diag::error(
                    Kind::Invalid,
                    "tripline::rule::compile",
                    "the rule does not compile",
                )
            })
        })
    });
    for (i, t) in tests.iter().enumerate() {
        let test_name = t
            .get("name")
            .and_then(Yaml::as_str)
            .map_or_else(|| format!("test {}", i + 1), str::to_string);
        let started = Instant::now();
        let mut outcome = Outcome {
            file: rule.file.clone(),
            rule: name.clone(),
            test: test_name,
            verdict: Verdict::Pass,
            millis: 0.0,
            rows: 0,
        };
        outcome.verdict = match (&compiled, expectations(t)) {
            (None, _) => Verdict::Fail(vec!["the rule has no `search`".into()]),
            (Some(Err(d)), _) => Verdict::Fail(vec![format!(
                "the rule does not compile: {} [{}]",
                d.message, d.code
            )]),
            (_, Err(msg)) => Verdict::Fail(vec![msg]),
            (Some(Ok(c)), Ok(expect)) => match dataset(rule, t, sourcetypes, opts) {
                Err(skip) => Verdict::Skip(skip),
                Ok(data) => {
                    let mut eval = EvalCtx::default();
                    if let Some(now) = opts.now {
                        eval.now = now;
                    }
                    let ctx = ExecCtx::new(&data, eval);
                    match run(&c.plan, &ctx) {
                        Err(d) => Verdict::Fail(vec![format!("run failed: {}", d.message)]),
                        Ok(rows) => {
                            outcome.rows = rows.len();
                            let mut fails = check(&expect, &rows);
                            if let Some(s) =
                                ctx.read_stats.borrow().as_ref().filter(|s| s.malformed > 0)
                            {
                                fails.push(format!(
                                    "{} malformed events in the test data: {}",
                                    s.malformed,
                                    s.problems.join("; ")
                                ));
                            }
                            if fails.is_empty() {
                                Verdict::Pass
                            } else {
                                Verdict::Fail(fails)
                            }
                        }
                    }
                }
            },
        };
        outcome.millis = started.elapsed().as_secs_f64() * 1000.0;
        out.push(outcome);
    }
    out
}

fn dataset(
    rule: &Rule,
    t: &Yaml,
    sourcetypes: &Sourcetypes,
    opts: &Options,
) -> Result<Dataset, String> {
    let Some(Yaml::Sequence(items)) = t.get("attack_data") else {
        return Err("the test has no `attack_data`".into());
    };
    let mut inputs = Vec::new();
    for item in items {
        let Some(data) = item.get("data").and_then(Yaml::as_str) else {
            return Err("an `attack_data` entry has no `data`".into());
        };
        let path = resolve_data(&rule.file, data, opts)?;
        if !path.exists() {
            return Err(format!("data not found: {}", path.display()));
        }
        let s = |k: &str| item.get(k).and_then(Yaml::as_str).map(str::to_string);
        inputs.push(Input {
            path: InputPath::File(path),
            meta: Meta {
                source: s("source"),
                sourcetype: s("sourcetype"),
                host: s("host"),
                index: s("index"),
                datamodel: s("datamodel"),
            },
        });
    }
    Ok(Dataset::new(
        inputs,
        ReadConfig {
            sourcetypes: sourcetypes.clone(),
            ..ReadConfig::default()
        },
    ))
}

/// Summary counts.
pub fn counts(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let pass = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Pass)
        .count();
    let fail = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Fail(_)))
        .count();
    (pass, fail, outcomes.len() - pass - fail)
}

/// JUnit XML for the outcomes.
pub fn junit(outcomes: &[Outcome]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (_, fail, skip) = counts(outcomes);
    let total: f64 = outcomes.iter().map(|o| o.millis).sum::<f64>() / 1000.0;
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tripline\" tests=\"{}\" failures=\"{fail}\" skipped=\"{skip}\" time=\"{total:.3}\">\n  <testsuite name=\"rules\" tests=\"{}\" failures=\"{fail}\" skipped=\"{skip}\" time=\"{total:.3}\">\n",
        outcomes.len(),
        outcomes.len()
    );
    for o in outcomes {
        x.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            esc(&o.rule),
            esc(&o.test),
            o.millis / 1000.0
        ));
        match &o.verdict {
            Verdict::Pass => x.push_str("/>\n"),
            Verdict::Skip(why) => x.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                esc(why)
            )),
            Verdict::Fail(why) => x.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                esc(why.first().map(String::as_str).unwrap_or_default()),
                esc(&why.join("\n"))
            )),
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// Load a rule file for testing (errors become a failing outcome).
pub fn load_rule(path: &Path) -> Result<Rule, Diag> {
    crate::rule::load::rule(path).map_err(|d| Diag {
        kind: Kind::Invalid,
        ..d
    })
}
