//! The projection against a whole parse (`tripline::event::json::from_str`, the reader's
//! parse without projection), on arbitrary text: a line is rejected exactly when
//! serde_json rejects the whole document, with the same message, and an accepted object keeps
//! exactly the wanted keys with the values of the whole parse. This is what lets the reader's
//! validating scanner (`src/event/project.rs`) replace the deserializer on the hot path. The
//! scanner also reads raw bytes (`Projection::scan`): it never accepts bytes that are not
//! UTF-8, and on UTF-8 it answers as the parse of the text does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tripline::event::project::Projection;

const WANTED: [&str; 3] = ["a", "b", "Operation"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        // The scanner reads raw lines: it must never accept one that is not UTF-8.
        for names in [&WANTED[..], &WANTED[..1], &[][..]] {
            let p = Projection::new(names.iter().copied());
            assert!(p.scan(data).is_none(), "{data:?}");
        }
        return;
    };
    let whole = tripline::event::json::from_str(text).map_err(|e| e.to_string());
    for names in [&WANTED[..], &WANTED[..1], &[][..]] {
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
            (Ok(Value::Object(m)), Ok(Some(Value::Object(g)))) => {
                let want: serde_json::Map<String, Value> = m
                    .iter()
                    .filter(|(k, _)| names.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(g, want, "{text:?}");
            }
            (Ok(v), Ok(None)) => assert!(!v.is_object(), "{text:?}"),
            (w, g) => panic!("{text:?}: whole parse {w:?}, projection {g:?}"),
        }
    }
});
