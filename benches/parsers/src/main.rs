//! One thread, each parser over every line of an NDJSON file (read into memory first, so only
//! parsing is timed). For each: the whole document into the parser's value type, and where the
//! parser has one, a typed or lazy read of the three fields the PST rule's `stats` needs.
//! Prints MB/s per parser (`ONLY=text` runs the parsers whose name contains it, `REPEAT=n`
//! keeps the best of n runs); the total of a checksum is printed so no work is optimised away.

use std::time::Instant;

#[derive(serde::Deserialize)]
#[allow(non_snake_case, dead_code)]
struct Three<'a> {
    #[serde(borrow)]
    Operation: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    Workload: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    CreationTime: Option<std::borrow::Cow<'a, str>>,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: tripline-parser-bench FILE [MAX_BYTES]");
    let max: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let mut data = std::fs::read(&path).expect("read");
    data.truncate(max);
    if let Some(i) = memchr::memrchr(b'\n', &data) {
        data.truncate(i + 1);
    }
    let text = std::str::from_utf8(&data).expect("utf-8");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let bytes = data.len() as f64;
    println!("{} lines, {:.0} MB, one thread", lines.len(), bytes / 1e6);
    // ONLY=substring runs only the parsers whose name contains it; REPEAT=n keeps the best of n.
    let only = std::env::var("ONLY").unwrap_or_default();
    let repeat: usize = std::env::var("REPEAT").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let run = |name: &str, f: &dyn Fn(&str) -> usize| {
        if !name.contains(only.as_str()) {
            return;
        }
        let mut s = f64::MAX;
        let mut sum = 0;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            sum = lines.iter().map(|l| f(l)).sum();
            s = s.min(t.elapsed().as_secs_f64());
        }
        println!("| {name:<48} | {:>7.3} | {:>6.0} | {sum}", s, bytes / s / 1e6);
    };
    println!("| parser | s | MB/s | checksum |");
    run("serde_json::Value (preserve_order)", &|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v.as_object().map_or(0, |m| m.len())
    });
    run("serde_json typed, 3 fields (others skipped)", &|l| {
        let v: Three = serde_json::from_str(l).unwrap();
        v.Operation.map_or(0, |s| s.len())
    });
    run("serde_json IgnoredAny (validate only)", &|l| {
        let _: serde::de::IgnoredAny = serde_json::from_str(l).unwrap();
        1
    });
    let projection = tripline::event::project::Projection::new(["Operation", "CreationTime"]);
    run("tripline projection (scanner; serde_json for kept values)", &|l| {
        projection
            .parse(l)
            .unwrap()
            .and_then(|v| v.as_object().map(|m| m.len()))
            .unwrap_or(0)
    });
    run("simd-json BorrowedValue (copy of the line)", &|l| {
        let mut b = l.as_bytes().to_vec();
        let v = simd_json::to_borrowed_value(&mut b).unwrap();
        use simd_json::prelude::*;
        v.as_object().map_or(0, |m| m.len())
    });
    run("simd-json typed, 3 fields (copy of the line)", &|l| {
        let mut b = l.as_bytes().to_vec();
        let v: Three = simd_json::serde::from_slice(&mut b).unwrap();
        v.Operation.map_or(0, |s| s.len())
    });
    run("sonic-rs Value", &|l| {
        let v: sonic_rs::Value = sonic_rs::from_str(l).unwrap();
        use sonic_rs::JsonContainerTrait;
        v.as_object().map_or(0, |m| m.len())
    });
    run("sonic-rs typed, 3 fields", &|l| {
        let v: Three = sonic_rs::from_str(l).unwrap();
        v.Operation.map_or(0, |s| s.len())
    });
    run("sonic-rs lazy get(\"Operation\")", &|l| {
        sonic_rs::get(l, &["Operation"]).map_or(0, |v| v.as_raw_str().len())
    });
}
