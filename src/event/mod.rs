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

/// An event's document.
#[derive(Debug)]
pub enum Doc {
    /// The parsed JSON object, whole (or as the deserializer kept it).
    Whole(serde_json::Value),
    /// The top-level members a plan reads, as the projection's scanner kept them, in document
    /// order (a repeated key keeps its first position and its last value, as in a `serde_json`
    /// map). A list, not a map: a map of `serde_json`'s hashes each key with SipHash into a
    /// table of its own, about 450 instructions per event for one kept member (`stats count
    /// by Operation`), while a plan looks up a few names among a few members.
    Members(Vec<(String, serde_json::Value)>),
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
                m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
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
