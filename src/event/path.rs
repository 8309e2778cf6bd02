//! Compiled field paths (stage: plan, used by execute).
//!
//! Splunk names JSON fields by joining object keys with `.` and marking arrays with `{}`:
//! `Item.Subject`, `AffectedItems{}.Subject`, `data.mount_point{}`. A name is compiled once at
//! plan time into segments; looking it up walks the parsed document without flattening it.
//! A key that itself contains dots (`{"Item.Subject": …}`) is found too, because at each object
//! the walk tries every run of consecutive segments joined by `.` as one key.

use super::Doc;
use crate::record::{FieldMap, Name};
use crate::value::Value;
use serde_json::Value as Json;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    /// `{}`: every element of an array.
    Each,
}

/// A field name compiled for lookups in JSON documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    segs: Vec<Seg>,
}

impl FieldPath {
    /// Compile a Splunk field name.
    pub fn new(name: &str) -> FieldPath {
        let mut segs = Vec::new();
        let mut cur = String::new();
        let mut chars = name.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    if !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                    } else if !matches!(segs.last(), Some(Seg::Each)) {
                        // leading or doubled dot: keep it as part of a key
                        cur.push('.');
                    }
                }
                '{' if chars.peek() == Some(&'}') => {
                    chars.next();
                    if !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                    }
                    segs.push(Seg::Each);
                }
                _ => cur.push(c),
            }
        }
        if !cur.is_empty() {
            segs.push(Seg::Key(cur));
        }
        FieldPath { segs }
    }

    /// The compiled segments.
    pub(super) fn segs(&self) -> &[Seg] {
        &self.segs
    }

    /// The value of this field in `doc`: null when absent, a multivalue when several leaves
    /// (array elements) match, in document order.
    pub fn lookup(&self, doc: &Json) -> Value {
        if let Json::Object(map) = doc {
            return self.lookup_members(map);
        }
        let mut out = Leaves::None;
        walk(doc, &self.segs, &mut out);
        out.into_value()
    }

    /// [`FieldPath::lookup`] in an event's document, whole or projected.
    pub fn lookup_in(&self, doc: &Doc) -> Value {
        match doc {
            Doc::Whole(v) => self.lookup(v),
            Doc::Members(m) => self.lookup_members(m.as_slice()),
        }
    }

    /// [`FieldPath::lookup`] in an object with these members.
    fn lookup_members<M: Members + ?Sized>(&self, map: &M) -> Value {
        match self.segs.split_first() {
            // The usual field, one key: no list of leaves to build (same answer as the walk).
            Some((Seg::Key(k), [])) => member(map, k).and_then(scalar).unwrap_or(Value::Null),
            Some((Seg::Key(first), _)) => {
                let mut out = Leaves::None;
                walk_members(map, first, &self.segs, &mut out);
                out.into_value()
            }
            // `{}` first (an object has no elements) or no segment (an object is no leaf)
            _ => Value::Null,
        }
    }

    /// The text of this field in `doc`, borrowed, when the field is one key holding a JSON
    /// string (then [`FieldPath::lookup`] gives the same text as a copy); `None` otherwise
    /// (absent, a number, a nested path…: ask `lookup`).
    pub fn lookup_str<'j>(&self, doc: &'j Json) -> Option<&'j str> {
        match doc {
            Json::Object(map) => self.lookup_str_members(map),
            _ => None,
        }
    }

    /// [`FieldPath::lookup_str`] in an event's document, whole or projected.
    pub fn lookup_str_in<'j>(&self, doc: &'j Doc) -> Option<&'j str> {
        match doc {
            Doc::Whole(v) => self.lookup_str(v),
            Doc::Members(m) => self.lookup_str_members(m.as_slice()),
        }
    }

    /// [`FieldPath::lookup_str`] in an object with these members.
    fn lookup_str_members<'j, M: Members + ?Sized>(&self, map: &'j M) -> Option<&'j str> {
        let [Seg::Key(k)] = self.segs.as_slice() else {
            return None;
        };
        match member(map, k)? {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

/// An object's members: a `serde_json` map, or a projected event's list (see [`Doc`]).
pub(crate) trait Members {
    /// The members, in order.
    fn entries(&self) -> impl Iterator<Item = (&str, &Json)>;
    /// Whether a member is best found by going through the members in order (see
    /// [`member`]); otherwise by hash ([`Members::by_key`]).
    fn in_order(&self) -> bool;
    /// The member `key`, found by hash (in a list, which has no table: in order).
    fn by_key(&self, key: &str) -> Option<&Json>;
}

impl Members for serde_json::Map<String, Json> {
    fn entries(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }
    fn in_order(&self) -> bool {
        self.len() <= SMALL_OBJECT
    }
    fn by_key(&self, key: &str) -> Option<&Json> {
        self.get(key)
    }
}

impl Members for [(&'static str, Json)] {
    fn entries(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.iter().map(|(k, v)| (*k, v))
    }
    /// A list has no table: always in order, whatever its length (a management event keeps
    /// 21 members for the send/hard-delete join).
    fn in_order(&self) -> bool {
        true
    }
    fn by_key(&self, key: &str) -> Option<&Json> {
        member(self, key)
    }
}

/// Objects with at most this many members are searched in order rather than by hash.
const SMALL_OBJECT: usize = 16;

/// The member `key` of `map`. A small object (most nested ones) and a projected event's list
/// are searched in order: comparing a few keys, most of which differ in length, costs less
/// than hashing the name with serde_json's hasher (SipHash), which was a tenth of the
/// instructions of the send/hard-delete join. Keys are unique in a `Map` and in a projected
/// list, so both ways find the same member.
pub(crate) fn member<'j, M: Members + ?Sized>(map: &'j M, key: &str) -> Option<&'j Json> {
    if map.in_order() {
        let key = key.as_bytes();
        map.entries()
            .find(|(k, _)| same_key(k.as_bytes(), key))
            .map(|(_, v)| v)
    } else {
        map.by_key(key)
    }
}

/// `a == b`, for the short texts most keys are, without the call to `memcmp` the slices'
/// own comparison makes once the lengths agree (the send/hard-delete join's lookups in
/// projected events made 641k per 200 MB, most between keys of one length that differ): up to
/// sixteen bytes are compared as two overlapping words, or two overlapping halves of one.
#[inline(always)]
pub(crate) fn same_key(a: &[u8], b: &[u8]) -> bool {
    /// The 8 (or 4) bytes of `s` from `at`, as a number.
    fn word(s: &[u8], at: usize) -> u64 {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    }
    fn half(s: &[u8], at: usize) -> u32 {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_le_bytes)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Whether `name` is the keys `segs` joined by dots (`Item.Subject` for `Item`, `Subject`).
fn is_joined(name: &str, segs: &[Seg]) -> bool {
    let mut rest = name.as_bytes();
    for (n, seg) in segs.iter().enumerate() {
        let Seg::Key(k) = seg else { return false };
        if n > 0 {
            match rest.split_first() {
                Some((b'.', r)) => rest = r,
                _ => return false,
            }
        }
        match rest.strip_prefix(k.as_bytes()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// The leaves a lookup finds, in document order: no list is made for none or one (a nested
/// field such as `Item.Subject` mostly has one; a list was an allocation per lookup).
enum Leaves {
    None,
    One(Value),
    Many(Vec<Value>),
}

impl Leaves {
    fn push(&mut self, v: Value) {
        *self = match std::mem::replace(self, Leaves::None) {
            Leaves::None => Leaves::One(v),
            Leaves::One(first) => Leaves::Many(vec![first, v]),
            Leaves::Many(mut all) => {
                all.push(v);
                Leaves::Many(all)
            }
        };
    }

    /// The value of the leaves, as [`Value::from_values`] makes it of their list.
    fn into_value(self) -> Value {
        match self {
            Leaves::None => Value::Null,
            Leaves::One(v @ (Value::Null | Value::Multi(_))) => Value::from_values(vec![v]),
            Leaves::One(v) => v,
            Leaves::Many(all) => Value::from_values(all),
        }
    }
}

fn walk(v: &Json, segs: &[Seg], out: &mut Leaves) {
    match segs.split_first() {
        None => {
            if let Some(s) = scalar(v) {
                out.push(s);
            }
        }
        Some((Seg::Each, rest)) => {
            if let Json::Array(items) = v {
                for item in items {
                    walk(item, rest, out);
                }
            }
        }
        Some((Seg::Key(first), _)) => {
            let Json::Object(map) = v else { return };
            walk_members(map, first, segs, out);
        }
    }
}

/// [`walk`] from an object's members, for a path `segs` whose first segment is the key
/// `first`.
fn walk_members<M: Members + ?Sized>(map: &M, first: &str, segs: &[Seg], out: &mut Leaves) {
    // Try "a", then "a.b", "a.b.c" … as literal keys (the joined keys are only built when the
    // path goes on).
    if let Some(child) = member(map, first) {
        walk(child, segs.get(1..).unwrap_or(&[]), out);
    }
    let mut key: Option<String> = None;
    // The length of the joined name so far: a member of another length is not it, whatever
    // its text (without this each member's start was compared with the first key, a `memcmp`
    // call each: 387k per 200 MB in the send/hard-delete join).
    let mut len = first.len();
    let mut i = 1;
    while let Some(Seg::Key(next)) = segs.get(i) {
        i += 1;
        len += 1 + next.len();
        let keys = segs.get(..i).unwrap_or_default();
        let child = if map.in_order() {
            // in order, as `member` does, without building the joined name
            map.entries()
                .find(|(k, _)| k.len() == len && is_joined(k, keys))
                .map(|(_, v)| v)
        } else {
            let joined = key.get_or_insert_with(|| first.to_string());
            joined.push('.');
            joined.push_str(next);
            map.by_key(joined.as_str())
        };
        if let Some(child) = child {
            walk(child, segs.get(i..).unwrap_or(&[]), out);
        }
    }
}

/// A JSON leaf as Splunk extracts it: strings as text, numbers as numbers (integers beyond
/// 2^53 keep their exact text), booleans as the text `true`/`false`, null as the text `null`.
/// Objects and arrays are not leaves.
pub fn scalar(v: &Json) -> Option<Value> {
    match v {
        Json::String(s) => Some(Value::Str(s.clone())),
        Json::Number(n) => Some(json_number(n)),
        Json::Bool(b) => Some(Value::str(if *b { "true" } else { "false" })),
        Json::Null => Some(Value::str("null")),
        Json::Array(_) | Json::Object(_) => None,
    }
}

fn json_number(n: &serde_json::Number) -> Value {
    const EXACT: u64 = 1 << 53;
    if let Some(u) = n.as_u64() {
        if u <= EXACT {
            #[expect(clippy::cast_precision_loss, reason = "checked to be exact")]
            return Value::Num(u as f64);
        }
        return Value::Str(n.to_string());
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= EXACT {
            #[expect(clippy::cast_precision_loss, reason = "checked to be exact")]
            return Value::Num(i as f64);
        }
        return Value::Str(n.to_string());
    }
    n.as_f64()
        .map(Value::Num)
        .unwrap_or(Value::Str(n.to_string()))
}

/// Every field of a document with its Splunk name, in document order; leaves that share a
/// name (array elements) are merged into one multivalue. Keyed as a record's field table is,
/// so that [`crate::record::Record::visible`] moves the names rather than copying them.
pub fn flatten(doc: &Json) -> FieldMap {
    flatten_with(&mut |name, leaf| leaves(doc, name, &|_| true, leaf))
}

/// [`flatten`] of an event's document, whole or projected.
pub fn flatten_doc(doc: &Doc) -> FieldMap {
    match doc {
        Doc::Whole(v) => flatten(v),
        Doc::Members(m) => flatten_with(&mut |name, leaf| {
            object_leaves(m.as_slice().entries(), name, &|_| true, leaf)
        }),
    }
}

/// What [`leaves`] calls with each leaf and its name (`true`: stop).
type LeafFn<'a> = dyn FnMut(&str, &Json) -> bool + 'a;

/// [`flatten`]'s merge of the leaves that `walk` reports.
/// The leaves of a name are gathered as a lookup gathers them ([`Leaves`]: no list for one),
/// and a name is copied only when it is first seen.
fn flatten_with(walk: &mut dyn FnMut(&mut String, &mut LeafFn<'_>) -> bool) -> FieldMap {
    let mut acc: indexmap::IndexMap<Name, Leaves, foldhash::fast::RandomState> =
        indexmap::IndexMap::default();
    walk(&mut String::new(), &mut |name, leaf| {
        if let Some(s) = scalar(leaf) {
            match acc.get_mut(name) {
                Some(found) => found.push(s),
                None => {
                    acc.insert(name.into(), Leaves::One(s));
                }
            }
        }
        false
    });
    acc.into_iter()
        .map(|(k, v)| (k, v.into_value()))
        .filter(|(_, v)| !v.is_null())
        .collect()
}

/// Whether [`flatten`] lists `target`: the same walk, going only down the members whose names
/// `target` starts with, and building no value (every leaf is one, JSON null included).
pub fn has_leaf(doc: &Json, target: &str) -> bool {
    leaves(
        doc,
        &mut String::new(),
        &|name| target.starts_with(name),
        &mut |name, _| name == target,
    )
}

/// [`has_leaf`] in an event's document, whole or projected.
pub fn has_leaf_doc(doc: &Doc, target: &str) -> bool {
    match doc {
        Doc::Whole(v) => has_leaf(v, target),
        Doc::Members(m) => object_leaves(
            m.as_slice().entries(),
            &mut String::new(),
            &|name| target.starts_with(name),
            &mut |name, _| name == target,
        ),
    }
}

/// [`leaves`] under each of an object's members (`entries`), the object being named `name`.
fn object_leaves<'j>(
    entries: impl Iterator<Item = (&'j str, &'j Json)>,
    name: &mut String,
    into: &dyn Fn(&str) -> bool,
    leaf: &mut LeafFn<'_>,
) -> bool {
    let len = name.len();
    for (k, child) in entries {
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(k);
        let found = into(name) && leaves(child, name, into, leaf);
        name.truncate(len);
        if found {
            return true;
        }
    }
    false
}

/// The leaves under `v` with their Splunk names (`name` extended by `.key` for an object's
/// member and `{}` for an array's elements), in document order, going down only where
/// `into(name)` allows; `true` as soon as `leaf(name, value)` is.
fn leaves(v: &Json, name: &mut String, into: &dyn Fn(&str) -> bool, leaf: &mut LeafFn<'_>) -> bool {
    let len = name.len();
    let found = match v {
        Json::Object(map) => object_leaves(map.entries(), name, into, leaf),
        Json::Array(items) => {
            name.push_str("{}");
            into(name) && items.iter().any(|i| leaves(i, name, into, leaf))
        }
        other => leaf(name, other),
    };
    name.truncate(len);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `same_key` is `==`: texts of every length up to 40 bytes against themselves, against
    /// texts one byte different at each position (first and last words overlap from 8 bytes
    /// on, halves from 4), and against longer and shorter ones.
    #[test]
    fn same_key_is_equality() {
        let text: Vec<u8> = (0..41u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=40 {
            let a = &text[..n];
            assert!(same_key(a, a), "{n}");
            let copy = a.to_vec(); // another address
            assert!(same_key(a, &copy), "{n}");
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_key(a, &b), "{n} bytes, differing at {at}");
            }
            assert!(!same_key(a, &text[..n + 1]), "{n}");
            if n > 0 {
                assert!(!same_key(a, &text[..n - 1]), "{n}");
            }
        }
    }

    fn get(name: &str, doc: &Json) -> Value {
        FieldPath::new(name).lookup(doc)
    }

    #[test]
    fn nested_and_array_names() {
        let doc = json!({
            "Item": {"Subject": "hi", "Size": 10},
            "AffectedItems": [{"Subject": "a"}, {"Subject": "b"}, {"Other": 1}],
            "tags": ["x", "y"],
            "flag": true,
            "nothing": null,
            "Folder.Path": "\\Sent Items"
        });
        assert_eq!(get("Item.Subject", &doc), Value::str("hi"));
        assert_eq!(get("Item.Size", &doc), Value::Num(10.0));
        assert_eq!(
            get("AffectedItems{}.Subject", &doc),
            Value::Multi(vec![Value::str("a"), Value::str("b")])
        );
        assert_eq!(
            get("tags{}", &doc),
            Value::Multi(vec![Value::str("x"), Value::str("y")])
        );
        // an array is only reachable with `{}`; an object is not a field
        assert_eq!(get("tags", &doc), Value::Null);
        assert_eq!(get("Item", &doc), Value::Null);
        assert_eq!(get("flag", &doc), Value::str("true"));
        assert_eq!(get("nothing", &doc), Value::str("null"));
        assert_eq!(get("Folder.Path", &doc), Value::str("\\Sent Items"));
        assert_eq!(get("Missing", &doc), Value::Null);
    }

    /// Small objects are searched in order, larger ones by hash: both find every member and
    /// only those, at the edge (16 members, 17) and beyond.
    #[test]
    fn small_and_large_objects_find_the_same_members() {
        for n in [1, 3, 16, 17, 40] {
            let mut map = serde_json::Map::new();
            for i in 0..n {
                map.insert(format!("k{i}"), serde_json::json!(i));
            }
            let doc = Json::Object(map);
            for i in 0..n {
                let got = FieldPath::new(&format!("k{i}")).lookup(&doc);
                assert_eq!(got, Value::Num(i as f64), "{n} members, k{i}");
            }
            for absent in ["k", "K0", "k40", ""] {
                assert_eq!(
                    FieldPath::new(absent).lookup(&doc),
                    Value::Null,
                    "{n}: {absent}"
                );
            }
        }
    }

    /// A projected document (its top-level members as a list) answers every read as the same
    /// members parsed whole do: fields one key deep, nested, through arrays, dotted literal
    /// keys and absent ones; borrowed texts; the flattened field list in document order; and
    /// `has_leaf`. With few members and with more than [`SMALL_OBJECT`] (looked up by hash in
    /// a map, in order in a list).
    #[test]
    fn projected_documents_read_as_whole_ones() {
        let mut docs = vec![
            json!({"a": {"b": {"c": 1}}, "a.b": {"c": 2}, "a.b.c": 3, "x": "y",
                   "Item": {"Subject": "hi", "Attachments": "f (1b)"},
                   "arr": [{"n": "p"}, {"n": "q"}, 5], "t": true, "z": null, "e": {}, "l": []}),
            json!({}),
        ];
        let mut wide = serde_json::Map::new();
        for i in 0..20 {
            wide.insert(format!("k{i}"), json!({"v": i}));
        }
        wide.insert("k.dot".to_string(), json!("d"));
        docs.push(Json::Object(wide));
        let names = [
            "a",
            "a.b",
            "a.b.c",
            "x",
            "Item",
            "Item.Subject",
            "Item.Attachments",
            "arr",
            "arr{}.n",
            "arr{}",
            "t",
            "z",
            "e",
            "l",
            "missing",
            "k3.v",
            "k19.v",
            "k.dot",
            "k20.v",
            "{}",
            "",
        ];
        for whole in docs {
            let members = whole.as_object().unwrap().clone().into_iter();
            let members = members
                .map(|(k, v)| (crate::event::intern(&k), v))
                .collect();
            let projected = Doc::Members(members);
            let whole = Doc::Whole(whole);
            for name in names {
                let p = FieldPath::new(name);
                assert_eq!(p.lookup_in(&projected), p.lookup_in(&whole), "{name}");
                assert_eq!(
                    p.lookup_str_in(&projected),
                    p.lookup_str_in(&whole),
                    "{name}"
                );
                assert_eq!(
                    has_leaf_doc(&projected, name),
                    has_leaf_doc(&whole, name),
                    "{name}"
                );
            }
            let (a, b) = (flatten_doc(&projected), flatten_doc(&whole));
            assert!(a.iter().eq(b.iter()), "{a:?} / {b:?}");
        }
        // and the answers are the expected ones, not only the same
        let doc = Doc::Members(vec![("Item", json!({"Subject": "hi"})), ("a.b", json!(2))]);
        assert_eq!(
            FieldPath::new("Item.Subject").lookup_in(&doc),
            Value::str("hi")
        );
        assert_eq!(FieldPath::new("a.b").lookup_str_in(&doc), None);
        assert_eq!(FieldPath::new("a.b").lookup_in(&doc), Value::Num(2.0));
        assert!(has_leaf_doc(&doc, "Item.Subject") && !has_leaf_doc(&doc, "Item"));
        let flat: Vec<String> = flatten_doc(&doc)
            .into_keys()
            .map(Name::into_string)
            .collect();
        assert_eq!(flat, ["Item.Subject", "a.b"]);
    }

    /// Every way of reading `a.b.c` as keys counts, shortest first key first: `a` → `b` → `c`,
    /// then `a.b` → `c`, then the literal key `a.b.c`.
    #[test]
    fn nested_and_dotted_keys_together() {
        let doc = json!({"a": {"b": {"c": 1}}, "a.b": {"c": 2}, "a.b.c": 3, "x": "y"});
        assert_eq!(
            get("a.b.c", &doc),
            Value::Multi(vec![Value::Num(1.0), Value::Num(2.0), Value::Num(3.0)])
        );
        assert_eq!(get("x", &doc), Value::str("y"));
        assert_eq!(get("x", &json!(["not", "an", "object"])), Value::Null);
    }

    /// A dotted name is also looked up as literal keys joined by dots ("a", then "a.b", then
    /// "a.b.c"), in a small object (compared piece by piece) as in a large one (by the joined
    /// name): worked by hand, `a.b.c` finds the nested 1, then `a.b`'s own `c` (2), then the
    /// key `a.b.c` (3), and no key that only starts or ends like it (those come first).
    #[test]
    fn dotted_keys_in_small_and_large_objects() {
        for fill in [0, 9, 10, 40] {
            let mut doc = json!({
                "a": {"b": {"c": 1}}, "a.b.cd": 6, "a.b.c.": 7, "a.bc": 9, "ab.c": 8,
                "a.b": {"c": 2}, "a.b.c": 3
            });
            if let Json::Object(map) = &mut doc {
                for i in 0..fill {
                    map.insert(format!("k{i}"), json!(i));
                }
            }
            let n = [1.0, 2.0, 3.0].map(Value::Num).to_vec();
            assert_eq!(get("a.b.c", &doc), Value::Multi(n), "{fill} more members");
            assert_eq!(get("a.bc", &doc), Value::Num(9.0), "{fill} more members");
            assert_eq!(get("ab.c", &doc), Value::Num(8.0), "{fill} more members");
            assert_eq!(get("a.b.cd", &doc), Value::Num(6.0), "{fill} more members");
            assert_eq!(get("a.c", &doc), Value::Null, "{fill} more members");
        }
    }

    #[test]
    fn single_element_array_is_single_value() {
        let doc = json!({"a": [{"b": "only"}]});
        assert_eq!(get("a{}.b", &doc), Value::str("only"));
    }

    #[test]
    fn flatten_names_like_splunk() {
        let doc = json!({"a": {"b": 1}, "c": [{"d": "x"}, {"d": "y"}], "e": [], "f": {}});
        let flat = flatten(&doc);
        let names: Vec<&str> = flat.keys().map(Name::as_str).collect();
        assert_eq!(names, ["a.b", "c{}.d"]);
        assert_eq!(
            flat.get("c{}.d"),
            Some(&Value::Multi(vec![Value::str("x"), Value::str("y")]))
        );
    }

    #[test]
    fn big_integers_keep_their_text() {
        let doc: Json = serde_json::from_str(r#"{"id": 12345678901234567890}"#).unwrap_or_default();
        assert_eq!(get("id", &doc), Value::str("12345678901234567890"));
    }
}
