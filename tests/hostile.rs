//! Hostile data and hostile rules: nothing panics, nothing is lost silently. Every rejected
//! line is counted and reported with file:line, and `read = parsed + malformed (+ skipped)`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::path::Path;
use tripline::event::{Dataset, Input, InputPath, Meta, ReadConfig, ReadStats};

fn read(path: &Path) -> (usize, ReadStats) {
    let ds = Dataset::new(
        vec![Input {
            path: InputPath::File(path.to_path_buf()),
            meta: Meta::default(),
        }],
        ReadConfig::default(),
    );
    let mut n = 0;
    let stats = ds.for_each(&mut |_| {
        n += 1;
        Ok(())
    });
    (n, stats.unwrap())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn hostile_lines_are_counted_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut bytes: Vec<u8> = Vec::new();
    bytes.extend_from_slice(b"\xEF\xBB\xBF{\"ok\":1}\r\n"); // 1: BOM + CRLF: fine
    bytes.extend_from_slice(b"{\"bad\":\"\xff\xfe\"}\n"); // 2: invalid UTF-8
    bytes.extend_from_slice(b"\n   \n"); // 3, 4: empty lines: not events
    bytes.extend_from_slice(b"{\"nul\":\"a\x00b\"}\n"); // 5: raw NUL inside a string: invalid JSON
    bytes.extend_from_slice(format!("{deep}\n").as_bytes()); // 6: nested 100,000 deep
    bytes.extend_from_slice(b"{\"big\": 123456789012345678901234567890, \"huge\": 1e999}\n"); // 7: 1e999 is out of range
    bytes.extend_from_slice(b"{\"big\": 123456789012345678901234567890}\n"); // 8: beyond u64: a float, fine
    bytes.extend_from_slice(b"{\"dup\": 1, \"dup\": 2}\n"); // 9: duplicate keys: fine (last wins)
    bytes.extend_from_slice(b"[1, 2]\n\"text\"\n42\n"); // 10-12: not objects
    bytes.extend_from_slice(b"{\"ok\":2}"); // 13: last line without newline
    let p = write(dir.path(), "hostile.json", &bytes);
    let (events, s) = read(&p);
    assert_eq!(events, 4, "{s:?}");
    assert_eq!((s.read, s.parsed, s.malformed), (11, 4, 7), "{s:?}");
    assert_eq!(s.read, s.parsed + s.malformed + s.skipped);
    let lines: Vec<&str> = s
        .problems
        .iter()
        .map(|p| {
            p.rsplit_once(".json:")
                .unwrap()
                .1
                .split(':')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        lines,
        ["2", "5", "6", "7", "10", "11", "12"],
        "{:?}",
        s.problems
    );
    assert!(s.problems[0].contains("invalid UTF-8"));
    assert!(
        s.problems[2].contains("recursion limit"),
        "{}",
        s.problems[2]
    );
}

#[test]
fn a_100_mb_line_is_rejected_not_buffered_forever() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.json");
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(b"{\"a\":1}\n{\"x\":\"").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\"}\n{\"a\":2}\n").unwrap();
    drop(f);
    let (events, s) = read(&p);
    assert_eq!(events, 2);
    assert_eq!((s.read, s.parsed, s.malformed), (3, 2, 1));
    assert!(
        s.problems[0].contains(":2: line longer than 67108864 bytes"),
        "{:?}",
        s.problems
    );
}

#[test]
fn truncated_gzip_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..5000 {
        writeln!(enc, "{{\"i\":{i},\"pad\":\"{}\"}}", "p".repeat(i % 50)).unwrap();
    }
    let full = enc.finish().unwrap();
    let p = write(dir.path(), "t.json.gz", &full[..full.len() / 2]);
    let (events, s) = read(&p);
    assert!(events > 1000 && events < 5000, "{events}");
    assert_eq!(s.malformed, 1);
    assert_eq!(s.read, s.parsed + s.malformed);
    assert!(
        s.problems[0].contains(&format!(".gz:{}:", events + 1)),
        "{:?}",
        s.problems
    );
    let p = write(dir.path(), "whole.json.gz", &full);
    assert_eq!(read(&p).0, 5000);
}

/// Every corpus detection, mutated (truncated, a character deleted or duplicated), gives a
/// result or diagnostics — never a panic — and every diagnostic's span lies inside the text.
#[test]
fn mutated_corpus_rules_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/security_content");
    if !root.exists() {
        eprintln!("corpus not found beside the checkout; skipping");
        return;
    }
    let mut macros = tripline::syntax::macros::MacroSet::new();
    tripline::rule::load::macros(&root.join("macros"), &mut macros).unwrap();
    tripline::rule::load::macros(&root.join("macros_cim"), &mut macros).unwrap();
    let files = tripline::rule::load::rule_files(&[root.join("detections")]).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut checked = 0;
    for f in files {
        let rule = tripline::rule::load::rule(&f).unwrap();
        let Some(search) = rule.search else { continue };
        let chars: Vec<char> = search.chars().collect();
        for m in 0..3 {
            let at = (next() % (chars.len() as u64 + 1)) as usize;
            let mutated: String = match m {
                0 => chars[..at].iter().collect(),
                1 => chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != at)
                    .map(|(_, c)| c)
                    .collect(),
                _ => chars
                    .iter()
                    .enumerate()
                    .flat_map(|(i, c)| if i == at { vec![*c, *c] } else { vec![*c] })
                    .collect(),
            };
            if let Err(all) = tripline::rule::compile_all(&mutated, &macros) {
                for d in all {
                    if let Some(s) = d.span {
                        assert!(
                            s.start <= s.end && s.end <= mutated.len(),
                            "{}: span {s:?} outside the text",
                            f.display()
                        );
                    }
                    assert!(!d.message.is_empty());
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 4000, "{checked}");
}

/// Blocking operators stop with an error at the memory budget instead of growing without
/// bound; under the budget the same query runs.
#[test]
fn memory_budget_is_an_error_not_an_oom() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..20_000)
        .map(|i| format!("{{\"u\":\"user{i}\",\"x\":\"{}\"}}\n", "y".repeat(50)))
        .collect();
    let p = write(dir.path(), "many.json", lines.as_bytes());
    let data = Dataset::new(
        vec![Input {
            path: InputPath::File(p),
            meta: Meta::default(),
        }],
        ReadConfig::default(),
    );
    let macros = tripline::syntax::macros::MacroSet::new();
    for q in [
        "x=* | stats count by u",
        "x=* | sort u",
        "x=* | stats values(u) as u",
    ] {
        let c = tripline::rule::compile(q, &macros).unwrap();
        let mut ctx = tripline::exec::ExecCtx::new(&data, tripline::functions::EvalCtx::default());
        ctx.limits.memory = 256 << 10;
        match tripline::exec::run(&c.plan, &ctx) {
            Err(e) => assert_eq!(e.code, "tripline::limit::memory", "{q}"),
            Ok(rows) => panic!("{q}: ran within 256 KiB ({} rows)", rows.len()),
        }
        ctx.limits.memory = 256 << 20;
        assert!(tripline::exec::run(&c.plan, &ctx).is_ok(), "{q}");
    }
}
