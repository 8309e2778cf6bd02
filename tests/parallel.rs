//! A plan's leading per-record steps (`eval`, `where`, `bin` …) run on the threads that parse
//! the events; the other steps run on the reading thread. Whatever the number of threads, and
//! alone or in one pass with other rules, the rows are those worked out here by hand, in line
//! order, and the same as when every step runs in the pipeline.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tripline::event::{Dataset, Input, InputPath, Meta, ReadConfig};
use tripline::exec::{ExecCtx, run, run_many};
use tripline::functions::EvalCtx;
use tripline::record::{FieldRef, Record};
use tripline::syntax::macros::MacroSet;

/// Events `{"n": 0}` … `{"n": 2999}`: enough lines that a chunk's parsing is split among the
/// threads (at least 64 candidate lines).
const EVENTS: i64 = 3000;

/// Each row's fields `names`, as text, joined with `/`.
fn rows(rows: &[Record], names: &[&str]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            names
                .iter()
                .map(|n| r.get(&FieldRef::new(n)).to_text().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// The first query's rows, worked out without tripline: `n % 7 != 3` (line order; more
/// records than a batch), `k = 2n`, and `n` raised by 1000 afterwards (so that running a step
/// twice would show).
fn expected_first() -> Vec<String> {
    (0..EVENTS)
        .filter(|n| n % 7 != 3)
        .map(|n| format!("{}/{}", n + 1000, 2 * n))
        .collect()
}

/// The second query's rows: `b = floor(n / 100)`, kept while `b < 7`, then while `b < 5`
/// (`search`), counted per `b` — 100 events each.
fn expected_second() -> Vec<String> {
    (0..5).map(|b| format!("{b}/100")).collect()
}

#[test]
fn per_record_steps_on_the_parsing_threads_keep_rows_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.json");
    let lines: Vec<String> = (0..EVENTS).map(|n| format!("{{\"n\": {n}}}")).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let data = Dataset::new(
        vec![Input {
            path: InputPath::File(path),
            meta: Meta::default(),
        }],
        ReadConfig::default(),
    );
    let macros = MacroSet::new();
    let queries = [
        // three per-record steps, then one that is not (`dedup`; every `n` is distinct), then
        // one that is again but runs in the pipeline
        "* | eval m = n % 7 | where m != 3 | eval k = n * 2, n = n + 1000 | dedup n | table n k",
        "* | eval b = floor(n / 100) | where b < 7 | search b<5 | stats count by b",
        // `dedup n` keeps everything (every `n` is distinct) and is not per-record: every step
        // runs in the pipeline
        "* | dedup n | eval m = n % 7 | where m != 3 | eval k = n * 2, n = n + 1000 | dedup n | table n k",
        // drops every event where it is parsed (a later `search` without a subsearch is a
        // per-record step too)
        "* | where n < 0 | search n=* | stats count",
        // extraction, a filter on it, renaming and a field list, all where the event is parsed
        r#"* | rex field=n "(?<last>\d)$" | where last == "7" | rename last as d | fields n d"#,
        // a thousand groups: their rows are made on all threads, in the groups' order
        "* | eval s = n % 1000 | stats count by s",
        // a thousand groups, of which the `where` after `stats` keeps those whose largest `n`
        // (`s + 2000`) is over 2990; the others are freed on the pool's threads
        "* | eval s = n % 1000 | stats count, max(n) as top by s | where top > 2990",
    ];
    let compiled: Vec<_> = queries
        .iter()
        .map(|q| tripline::rule::compile(q, &macros).unwrap())
        .collect();
    let prefixes: Vec<usize> = compiled
        .iter()
        .map(|c| c.plan.per_record_prefix().len())
        .collect();
    assert_eq!(prefixes, [3, 3, 0, 2, 4, 1, 1]);
    let fields: [&[&str]; 7] = [
        &["n", "k"],
        &["b", "count"],
        &["n", "k"],
        &["count"],
        &["n", "d"],
        &["s", "count"],
        &["s", "count", "top"],
    ];
    // The last query: the numbers ending in 7, in line order.
    let sevens: Vec<String> = (0..EVENTS)
        .filter(|n| n % 10 == 7)
        .map(|n| format!("{n}/7"))
        .collect();
    let expected = [
        expected_first(),
        expected_second(),
        expected_first(),
        vec!["0".to_string()],
        sevens,
        // numbers sort as numbers: 0, 1, … 999; three events each (n, n + 1000, n + 2000)
        (0..1000).map(|s| format!("{s}/3")).collect(),
        (991..1000).map(|s| format!("{s}/3/{}", s + 2000)).collect(),
    ];
    let plans: Vec<&tripline::plan::Plan> = compiled.iter().map(|c| &c.plan).collect();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            for (i, c) in compiled.iter().enumerate() {
                let ctx = ExecCtx::new(&data, EvalCtx::default());
                let got = rows(&run(&c.plan, &ctx).unwrap(), fields[i]);
                assert_eq!(got, expected[i], "`{}` on {threads} threads", queries[i]);
            }
            let ctx = ExecCtx::new(&data, EvalCtx::default());
            for (i, r) in run_many(&plans, &ctx).into_iter().enumerate() {
                let got = rows(&r.unwrap(), fields[i]);
                assert_eq!(
                    got, expected[i],
                    "`{}` in one pass on {threads} threads",
                    queries[i]
                );
            }
        });
    }
}
