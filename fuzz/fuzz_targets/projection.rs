//! The projection against a whole parse (`tripline::event::json::from_str`, the reader's
//! parse without projection), on arbitrary text: a line is rejected exactly when
//! serde_json rejects the whole document, with the same message, and an accepted object keeps
//! exactly the top-level keys the wanted fields start from, in which every wanted field reads
//! what it reads in the whole parse (kept values are pruned to what the fields go through).
//! This is what lets the reader's validating scanner (`src/event/project.rs`) replace the
//! deserializer on the hot path. The scanner also reads raw bytes (`Projection::scan`): it
//! never accepts bytes that are not UTF-8, and on UTF-8 it answers as the deserializer does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tripline::event::FieldPath;
use tripline::event::project::Projection;

/// Sets of wanted fields, and the top-level keys each set's fields start from (a field's
/// first key, and its first keys joined by `.` while no `{}` intervenes).
const SETS: [(&[&str], &[&str]); 3] = [
    (
        &["a", "b", "Operation", "a.b", "b{}.a", "a.b.c{}"],
        &["a", "b", "Operation", "a.b", "a.b.c"],
    ),
    (&["a"], &["a"]),
    (&[], &[]),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        // The scanner reads raw lines: it must never accept one that is not UTF-8.
        for (names, _) in SETS {
            let p = Projection::new(names.iter().copied());
            assert!(p.scan(data).is_none(), "{data:?}");
        }
        return;
    };
    let whole = tripline::event::json::from_str(text).map_err(|e| e.to_string());
    for (names, keys) in SETS {
        let p = Projection::new(names.iter().copied());
        let got = p.parse(text).map_err(|e| e.to_string());
        // On bytes, the scanner answers as the deserializer does (`parse` would ask the
        // scanner itself first), member by member in document order, or not at all.
        if let Some(m) = p.scan(data) {
            let scanned: Vec<(String, Value)> =
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let serde = p.parse_serde(text).map_err(|e| e.to_string());
            let Ok(Some(Value::Object(g))) = serde else {
                panic!("{text:?}: the scanner accepted, the deserializer gave {serde:?}");
            };
            assert_eq!(scanned, g.into_iter().collect::<Vec<_>>(), "{text:?}");
        }
        match (&whole, got) {
            (Err(w), Err(g)) => assert_eq!(&g, w, "{text:?}"),
            (Ok(w @ Value::Object(m)), Ok(Some(g @ Value::Object(_)))) => {
                let want: Vec<&str> = m
                    .keys()
                    .map(String::as_str)
                    .filter(|k| keys.contains(k))
                    .collect();
                let kept: Vec<&str> = g
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                assert_eq!(kept, want, "{text:?}");
                for n in names {
                    let f = FieldPath::new(n);
                    assert_eq!(f.lookup(&g), f.lookup(w), "{n} in {text:?}");
                }
            }
            (Ok(v), Ok(None)) => assert!(!v.is_object(), "{text:?}"),
            (w, g) => panic!("{text:?}: whole parse {w:?}, projection {g:?}"),
        }
    }
});
