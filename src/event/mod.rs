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

/// One event.
#[derive(Debug)]
pub struct Event {
    /// The parsed JSON document (an object).
    pub doc: serde_json::Value,
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
