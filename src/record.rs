//! Records: what flows between operators (stage: execute).
//!
//! Before a transforming command a record is an event plus a small overlay of fields written
//! by `eval`, `rex`, `bin`…; after one (stats, join output) it is just an ordered map of fields.
//! Both are read through the same [`FieldRef`], compiled once at plan time.

use crate::event::{Event, FieldPath, path};
use crate::value::Value;
use indexmap::IndexMap;
use std::sync::Arc;

/// The metadata fields an event has from its input (`source`, `sourcetype`, `host`, `index`),
/// not from its document.
pub const META_FIELDS: [&str; 4] = ["source", "sourcetype", "host", "index"];

/// The fields of a record, in order. Hashed with foldhash rather than SipHash: field names
/// are not attacker-chosen keys of a long-lived table, and every `eval`, `where` and `stats`
/// reads them for each record.
pub type FieldMap = IndexMap<Name, Value, foldhash::fast::RandomState>;

/// A field name as a record's table keeps it: up to 24 bytes inline, longer ones on the heap.
pub type Name = compact_str::CompactString;

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Time,
    Raw,
    Source,
    Sourcetype,
    Host,
    Index,
    Path(FieldPath),
}

/// A field name resolved at plan time.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    name: String,
    kind: Kind,
}

impl FieldRef {
    /// Compile a field name.
    pub fn new(name: &str) -> FieldRef {
        let kind = match name {
            "_time" => Kind::Time,
            "_raw" => Kind::Raw,
            "source" => Kind::Source,
            "sourcetype" => Kind::Sourcetype,
            "host" => Kind::Host,
            "index" => Kind::Index,
            _ => Kind::Path(FieldPath::new(name)),
        };
        FieldRef {
            name: name.to_string(),
            kind,
        }
    }
    /// The name as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text of this field in every event of an input with metadata `meta`, when it is a
    /// metadata field (`source`, `sourcetype`, `host`, `index`) that `meta` gives (then it
    /// wins over the document: [`Record::get`] reads it here); `None` otherwise.
    pub fn meta_text<'m>(&self, meta: &'m crate::event::Meta) -> Option<&'m str> {
        match self.kind {
            Kind::Source => meta.source.as_deref(),
            Kind::Sourcetype => meta.sourcetype.as_deref(),
            Kind::Host => meta.host.as_deref(),
            Kind::Index => meta.index.as_deref(),
            Kind::Time | Kind::Raw | Kind::Path(_) => None,
        }
    }
}

/// One result: an event with an overlay, or a plain row.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The event this record still stands for, if no transforming command has run.
    pub event: Option<Arc<Event>>,
    /// Fields written by commands (and every field of a row). `Null` hides an event field.
    pub fields: FieldMap,
}

impl Record {
    /// A record for an event.
    pub fn from_event(e: Arc<Event>) -> Record {
        Record::from_event_with(e, 0)
    }

    /// A record for an event, with room for `n` fields written by commands (see
    /// [`crate::plan::Plan::writes`]).
    pub fn from_event_with(e: Arc<Event>, n: usize) -> Record {
        Record {
            event: Some(e),
            fields: FieldMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// A plain row.
    pub fn from_row(fields: FieldMap) -> Record {
        Record {
            event: None,
            fields,
        }
    }

    /// The value of a field (null when absent).
    pub fn get(&self, f: &FieldRef) -> Value {
        if let Some(v) = self.fields.get(f.name.as_str()) {
            return v.clone();
        }
        let Some(e) = &self.event else {
            return Value::Null;
        };
        match &f.kind {
            Kind::Time => return e.time.map(Value::Num).unwrap_or(Value::Null),
            Kind::Raw => return Value::Str(e.raw.clone()),
            Kind::Path(p) => return p.lookup_in(&e.doc),
            Kind::Source | Kind::Sourcetype | Kind::Host | Kind::Index => {}
        }
        // A metadata field not given for the input falls back to a document field of that name.
        match f.meta_text(&e.meta) {
            Some(t) => Value::Str(t.to_string()),
            None => FieldPath::new(&f.name).lookup_in(&e.doc),
        }
    }

    /// The text of a field, borrowed, when it is one text value at hand (set by a command, a
    /// string member of the event's document, `_raw`, or a metadata field the input gives);
    /// then [`Record::get`] gives the same text as a copy. `None` does not mean the field is
    /// absent: ask `get`.
    pub fn str_of(&self, f: &FieldRef) -> Option<&str> {
        if let Some(v) = self.fields.get(f.name.as_str()) {
            return match v {
                Value::Str(s) => Some(s),
                _ => None,
            };
        }
        let e = self.event.as_ref()?;
        match &f.kind {
            Kind::Path(p) => p.lookup_str_in(&e.doc),
            Kind::Raw => Some(&e.raw),
            Kind::Time => None,
            Kind::Source | Kind::Sourcetype | Kind::Host | Kind::Index => f.meta_text(&e.meta),
        }
    }

    /// The value of a field by name (compiles the name; for cold paths).
    pub fn get_name(&self, name: &str) -> Value {
        self.get(&FieldRef::new(name))
    }

    /// Set a field; setting null removes it.
    pub fn set(&mut self, name: &str, v: Value) {
        use indexmap::map::{RawEntryApiV1, raw_entry_v1::RawEntryMut};
        // The name is hashed once, whether it is there or not.
        match self.fields.raw_entry_mut_v1().from_key(name) {
            RawEntryMut::Occupied(mut slot) => *slot.get_mut() = v,
            RawEntryMut::Vacant(slot) => {
                if !(v.is_null() && self.event.is_none()) {
                    slot.insert(name.into(), v);
                }
            }
        }
    }

    /// Remove a field.
    pub fn remove(&mut self, name: &str) {
        if self.event.is_some() {
            self.set(name, Value::Null);
        } else {
            self.fields.shift_remove(name);
        }
    }

    /// Every visible field in output order: for an event `_time`, then its document fields in
    /// document order, then fields added by commands; for a row, its fields. Null fields are
    /// left out. Internal metadata (`_raw`, `source`, `sourcetype`, `host`, `index`) is only
    /// listed when a command set it explicitly.
    pub fn visible(&self) -> FieldMap {
        let Some(e) = &self.event else {
            return self
                .fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
        };
        let mut out = FieldMap::default();
        if let Some(t) = e.time {
            out.insert("_time".into(), Value::Num(t));
        }
        for (k, v) in path::flatten_doc(&e.doc) {
            // `_time` is the event's time (as `get` returns it), never the document's own
            // `_time` text it may have been read from.
            if k != "_time" {
                out.insert(k, v);
            }
        }
        for (k, v) in &self.fields {
            if v.is_null() {
                out.shift_remove(k);
            } else if let Some(slot) = out.get_mut(k) {
                *slot = v.clone();
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// Names usable by wildcard field lists (`table *`, `rename a* AS b*`): the visible
    /// fields plus the metadata fields that have a value.
    pub fn all_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.visible().into_keys().map(Name::into_string).collect();
        if self.event.is_some() {
            for m in META_FIELDS {
                if !names.iter().any(|n| n == m) && !self.get_name(m).is_null() {
                    names.push(m.to_string());
                }
            }
        }
        names
    }

    /// Whether [`Record::all_names`] lists `name`, without building the list (nor the value
    /// of every field that `visible` builds for it).
    pub fn has_name(&self, name: &str) -> bool {
        if let Some(v) = self.fields.get(name) {
            return !v.is_null();
        }
        let Some(e) = &self.event else {
            return false;
        };
        match name {
            "_time" => e.time.is_some(),
            _ if META_FIELDS.contains(&name) => {
                path::has_leaf_doc(&e.doc, name) || !self.get_name(name).is_null()
            }
            _ => path::has_leaf_doc(&e.doc, name),
        }
    }

    /// Estimated bytes this record keeps alive (for the memory budget): the event's text
    /// twice (raw and parsed) plus the fields written on it.
    pub fn approx_size(&self) -> usize {
        let event = self.event.as_ref().map_or(0, |e| e.raw.len() * 2 + 64);
        let fields: usize = self
            .fields
            .iter()
            .map(|(k, v)| k.len() + value_size(v) + 32)
            .sum();
        48 + event + fields
    }

    /// Turn into a plain row holding exactly `visible()` (after `table`, `fields`, `rename`).
    pub fn into_row(self) -> Record {
        Record::from_row(self.visible())
    }
}

/// Estimated bytes of a value.
pub fn value_size(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len() + 24,
        Value::Multi(vs) => vs.iter().map(value_size).sum::<usize>() + 24,
        _ => 16,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::Meta;

    /// A record for an event with document `doc`, input metadata `meta` and time `time`.
    pub(crate) fn event(doc: &str, meta: Meta, time: Option<f64>) -> Record {
        Record::from_event(Arc::new(Event {
            doc: crate::event::Doc::Whole(serde_json::from_str(doc).unwrap()),
            raw: doc.to_string(),
            time,
            meta: Arc::new(meta),
            origin: Arc::from("t"),
            line: 1,
        }))
    }

    /// `has_name` answers what `all_names` lists, worked out by hand: leaves under their
    /// Splunk names (a JSON null is a value, an empty array or object is none), `_time` from
    /// the event's time, metadata the input gives, fields set by a command (a null one hides
    /// the event's field), nothing for a prefix of a name.
    #[test]
    fn has_name_agrees_with_all_names() {
        let doc = r#"{"a":{"b":1},"tags":["x",{"y":null}],"Folder.Path":"p","_time":"t","n":null,"e":[],"o":{}}"#;
        let event = |time| {
            let meta = Meta {
                sourcetype: Some("st".into()),
                ..Meta::default()
            };
            event(doc, meta, time)
        };
        let mut rec = event(Some(1.0));
        rec.set("c", Value::Num(1.0));
        rec.set("a.b", Value::Null);
        let cases = [
            ("a", false),
            ("a.b", false),
            ("tags", false),
            ("tags{}", true),
            ("tags{}.y", true),
            ("Folder.Path", true),
            ("Folder", false),
            ("_time", true),
            ("n", true),
            ("e", false),
            ("e{}", false),
            ("o", false),
            ("sourcetype", true),
            ("host", false),
            ("c", true),
            ("_raw", false),
            ("ta", false),
            ("missing", false),
        ];
        let names = rec.all_names();
        for (name, want) in cases {
            assert_eq!(rec.has_name(name), want, "{name}");
            assert_eq!(names.iter().any(|n| n == name), want, "{name} in all_names");
        }
        // the document's own `_time` is not a field: without a time, there is none
        let timeless = event(None);
        assert!(!timeless.has_name("_time"));
        assert!(!timeless.all_names().iter().any(|n| n == "_time"));
        let row = Record::from_row(
            [("x".into(), Value::Num(1.0)), ("y".into(), Value::Null)]
                .into_iter()
                .collect(),
        );
        assert!(row.has_name("x") && !row.has_name("y") && !row.has_name("_time"));
    }
}
