//! Parsing only the fields a plan reads (stage: read).
//!
//! When a plan can tell which event fields it reads (`plan::Plan::reads_with`: a transforming
//! command such as `stats` comes before any step that reads every field), an event is parsed
//! into a document holding only the top-level keys those fields start from; the values of the
//! other keys are skipped. Skipping is still parsing: a skipped value goes through the same
//! deserializer as a kept one (strings unescaped, numbers read, nesting counted), so a line is
//! malformed — and reported with the same message — exactly when the whole-document parse
//! would reject it. What changes is only that no `Value` is built for what nobody reads.

use super::FieldPath;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::fmt;

/// The top-level keys to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Projection {
    keys: Vec<String>,
    /// Bit `n` set: some key has `n` bytes (`n` < 128); a quick no for most keys.
    lens: u128,
    /// Some key has 128 bytes or more.
    long: bool,
}

impl Projection {
    /// Keep what the fields `names` (Splunk names, as a plan reads them) can be looked up in.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Projection {
        let mut p = Projection::default();
        for n in names {
            for k in FieldPath::new(n).top_keys() {
                p.add(k);
            }
        }
        p
    }

    /// Keep the top-level key `k`.
    pub fn add(&mut self, k: String) {
        if self.keys.contains(&k) {
            return;
        }
        match k.len() {
            n @ 0..128 => self.lens |= 1u128 << n,
            _ => self.long = true,
        }
        self.keys.push(k);
    }

    fn wants(&self, key: &str) -> bool {
        let n = key.len();
        if n < 128 {
            if self.lens & (1u128 << n) == 0 {
                return false;
            }
        } else if !self.long {
            return false;
        }
        self.keys.iter().any(|k| k == key)
    }

    /// Parse `text` as a JSON document keeping only the wanted top-level keys. `Ok(None)`: the
    /// text is valid JSON but not an object. Errors are the deserializer's, as for a whole parse.
    pub fn parse(&self, text: &str) -> Result<Option<Json>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let doc = Doc(self).deserialize(&mut de)?;
        de.end()?;
        Ok(doc)
    }
}

/// The top-level value: an object is projected, anything else is read and reported as such.
struct Doc<'p>(&'p Projection);

impl<'de> DeserializeSeed<'de> for Doc<'_> {
    type Value = Option<Json>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Doc<'_> {
    type Value = Option<Json>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if self.0.wants(&key) {
                // A repeated key keeps its first position and its last value, as in a whole
                // parse.
                let v: Json = map.next_value()?;
                out.insert(key.into_owned(), v);
            } else {
                map.next_value_seed(Skip)?;
            }
        }
        Ok(Some(Json::Object(out)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A value read through (validated exactly as when it is kept) and dropped.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `deserialize_any`, not `deserialize_ignored_any`: the latter does not check that
        // numbers are in range, and a whole parse does.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(text: &str) -> Result<Option<Json>, String> {
        serde_json::from_str::<Json>(text)
            .map(|v| v.is_object().then_some(v))
            .map_err(|e| e.to_string())
    }

    fn projected(names: &[&str], text: &str) -> Result<Option<Json>, String> {
        Projection::new(names.iter().copied())
            .parse(text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn keeps_the_keys_a_field_starts_from() {
        let p = Projection::new(["Folder.Path", "AffectedItems{}.Subject", "x"]);
        assert_eq!(p.keys, ["Folder", "Folder.Path", "AffectedItems", "x"]);
        let text = r#"{"a": {"b": [1, 2]}, "Folder": {"Path": "\\Sent"}, "Folder.Path": 1, "AffectedItems": [{"Subject": "s"}], "x": null, "y": "z"}"#;
        let want = serde_json::json!({
            "Folder": {"Path": "\\Sent"},
            "Folder.Path": 1,
            "AffectedItems": [{"Subject": "s"}],
            "x": null
        });
        assert_eq!(p.parse(text).unwrap(), Some(want));
        // keys with escapes are compared unescaped; a repeated key keeps its last value
        let p = Projection::new(["Name"]);
        assert_eq!(
            p.parse(r#"{"N\u0061me": 1, "b": 2, "Name": 3}"#).unwrap(),
            Some(serde_json::json!({"Name": 3}))
        );
    }

    /// Whatever is kept, a line is rejected exactly when the whole parse rejects it, with the
    /// same message (the messages below are serde_json's, which the whole parse reports).
    #[test]
    fn rejects_what_a_whole_parse_rejects() {
        let cases = [
            r#"{"a": 1, "b": 1e999}"#,      // number out of range in a skipped value
            r#"{"a": 1, "b": "\ud800"}"#,   // lone surrogate
            r#"{"a": 1, "b": "\x"}"#,       // bad escape
            r#"{"a": 1, "b": [1, 2,]}"#,    // trailing comma
            r#"{"a": 1, "b": {"c": tru}}"#, // bad literal
            r#"{"a": 1} {"b": 2}"#,         // trailing characters
            r#"{"a": 1, "b": 2"#,           // EOF inside the object
            "{\"a\": 1, \"b\": \"x\ty\"}",  // control character in a string
            r#"{"a": 1, "b": 123456789012345678901234}"#, // beyond u64: read as a float, fine
            r#"{"a": 1, "a": 2}"#,          // repeated key, fine
            r#"[1, {"a": 2}]"#,             // not an object
            r#""text""#,
            "42",
            "null",
        ];
        for text in cases {
            let w = whole(text);
            for names in [&[][..], &["a"][..], &["b"][..], &["a", "b"][..]] {
                let got = projected(names, text);
                assert_eq!(
                    got.is_err(),
                    w.is_err(),
                    "{text} with {names:?}: {got:?} vs {w:?}"
                );
                if let (Err(g), Err(w)) = (&got, &w) {
                    assert_eq!(g, w, "{text}");
                }
                if let (Ok(g), Ok(w)) = (&got, &w) {
                    assert_eq!(g.is_some(), w.is_some(), "{text}");
                }
            }
        }
        assert!(whole(r#"{"a": 1, "b": 1e999}"#).is_err_and(|e| e.contains("out of range")));
        let deep = format!(
            "{{\"a\": 1, \"b\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(projected(&["a"], &deep).is_err_and(|e| e.contains("recursion limit")));
    }
}
