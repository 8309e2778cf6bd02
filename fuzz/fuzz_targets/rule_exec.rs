//! Whole-rule execution: the first line is an SPL query (compiled with no macros), the rest
//! is NDJSON events. The query runs with the prefilter and without it (every line parsed):
//! when both succeed, their rows must be the same. A query that does not compile is skipped.
//!
//! The events are written to a per-process file under /dev/shm (the reader reads files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use tripline::event::{Dataset, Input, InputPath, Meta, ReadConfig};
use tripline::exec::{ExecCtx, run};
use tripline::functions::EvalCtx;
use tripline::syntax::macros::MacroSet;

fn scratch() -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("tripline-fuzz-exec-{}.json", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    let (q, events) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => data.split_at(i),
        None => (data, &[][..]),
    };
    let Ok(query) = std::str::from_utf8(q) else {
        return;
    };
    let Ok(compiled) = tripline::rule::compile(query, &MacroSet::new()) else {
        return;
    };
    let path = scratch();
    std::fs::write(&path, events).expect("write scratch file");
    let ds = Dataset::new(
        vec![Input {
            path: InputPath::File(path),
            meta: Meta {
                source: Some("fuzz.json".into()),
                sourcetype: Some("fuzz".into()),
                host: Some("fuzzhost".into()),
                index: Some("main".into()),
                datamodel: None,
            },
        }],
        ReadConfig::default(),
    );
    let eval = EvalCtx {
        now: 1_700_000_000.0,
        ..EvalCtx::default()
    };
    let ctx = ExecCtx::new(&ds, eval.clone());
    let on = run(&compiled.plan, &ctx);
    // The prefilter (literals of the search, an inner join's keys) never changes the rows:
    // without it every line is parsed.
    let mut all = ExecCtx::new(&ds, eval);
    all.prefilter = false;
    let off = run(&compiled.plan, &all);
    if let (Ok(on), Ok(off)) = (on, off) {
        let show = |rows: &[tripline::record::Record]| -> Vec<String> {
            rows.iter().map(|r| format!("{:?}", r.visible())).collect()
        };
        assert_eq!(show(&on), show(&off), "the prefilter changed the rows of `{query}`");
    }
});
