//! Events and how they are read (stage: read).
//!
//! An event is one parsed JSON document plus the metadata Splunk gives every event
//! (`_time`, `_raw`, `source`, `sourcetype`, `host`, `index`). Fields are read through compiled
//! [`path::FieldPath`]s; a document is never flattened to be searched.

pub mod json;
pub mod path;
pub mod project;
pub mod reader;

use std::sync::Arc;

pub use path::FieldPath;
pub use reader::{Dataset, Input, InputPath, ReadConfig, ReadStats, Sourcetype, Sourcetypes};

/// Metadata shared by every event of one input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    /// `source`.
    pub source: Option<String>,
    /// `sourcetype`.
    pub sourcetype: Option<String>,
    /// `host`.
    pub host: Option<String>,
    /// `index`.
    pub index: Option<String>,
    /// The CIM data model dataset the events belong to (`Endpoint.Processes`), for `tstats`.
    pub datamodel: Option<String>,
}

/// The one copy of a member name that projected documents share (see [`Doc::Members`]): a
/// projection's keys are interned when it is built, and every event it keeps members of names
/// them with a pointer instead of a copy of the text (an allocation per kept member). Each
/// distinct name is kept for the life of the process, so what this holds is bounded by the
/// field names of the rules loaded, not by the data.
pub fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    // (a poisoned lock cannot leave the set inconsistent: an insert is its only change)
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&known) = names.get(name) {
        return known;
    }
    let copy: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(copy);
    copy
}

/// An event's document.
#[derive(Debug)]
pub enum Doc {
    /// The parsed JSON object, whole (or as the deserializer kept it: see `Members`).
    Whole(serde_json::Value),
    /// The top-level members a plan reads, as the projection's scanner kept them (each value
    /// pruned to the members and elements the plan's fields go through: `project::Shape`),
    /// in document order (a repeated key keeps its first position and its last value, as in a `serde_json`
    /// map). A list, not a map: a map of `serde_json`'s hashes each key with SipHash into a
    /// table of its own, about 450 instructions per event for one kept member (`stats count
    /// by Operation`), while a plan looks up a few names among a few members. The names are
    /// the projection's own, interned ([`intern`]): a pointer each, not a copy per event.
    Members(Vec<(&'static str, serde_json::Value)>),
}

impl Doc {
    /// The top-level member `key`.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        match self {
            Doc::Whole(serde_json::Value::Object(map)) => path::member(map, key),
            Doc::Whole(_) => None,
            Doc::Members(m) => path::member(m.as_slice(), key),
        }
    }

    /// The document as one JSON value (built for a projected one: for the few readers that
    /// walk a whole `serde_json::Value`, which never get projected events — KQL matches and
    /// printed documents read every field).
    pub fn to_json(&self) -> std::borrow::Cow<'_, serde_json::Value> {
        match self {
            Doc::Whole(v) => std::borrow::Cow::Borrowed(v),
            Doc::Members(m) => std::borrow::Cow::Owned(serde_json::Value::Object(
                m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            )),
        }
    }
}

/// One event.
#[derive(Debug)]
pub struct Event {
    /// The parsed JSON document (an object): whole, or the top-level members its plans read.
    pub doc: Doc,
    /// The original text of the event (`_raw`).
    pub raw: String,
    /// `_time` in epoch seconds, when the event has a readable timestamp.
    pub time: Option<f64>,
    /// Metadata of the input the event came from.
    pub meta: Arc<Meta>,
    /// Where the event came from: file (or `-`) and 1-based line.
    pub origin: Arc<str>,
    /// Line in `origin`.
    pub line: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name is interned once: every caller, on any thread, gets the same text back, and a
    /// projected event's members are named by those very texts (no copy per event).
    #[test]
    fn names_are_interned_once_and_shared_by_projected_members() {
        let first = intern("InternedOnce");
        assert_eq!(first, "InternedOnce");
        let again = intern(&String::from("InternedOnce"));
        assert!(std::ptr::eq(first, again));
        let other = intern("InternedTwice");
        assert_eq!(other, "InternedTwice");
        assert!(!std::ptr::eq(first, other));
        let from_threads: Vec<&'static str> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| intern("InternedOnce"))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(from_threads.iter().all(|&t| std::ptr::eq(t, first)));

        let p = project::Projection::new(["InternedOnce", "b.c"]);
        let doc = p
            .scan(br#"{"a": 1, "InternedOnce": "x", "b": {"c": true}, "InternedOnce": "y"}"#)
            .unwrap();
        let want = [
            ("InternedOnce", serde_json::json!("y")),
            ("b", serde_json::json!({"c": true})),
        ];
        assert_eq!(doc, want);
        assert!(std::ptr::eq(doc[0].0, first));
        assert!(std::ptr::eq(doc[1].0, intern("b")));
    }
}
