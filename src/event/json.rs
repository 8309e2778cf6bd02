//! JSON text to a document (`serde_json::Value`), as every event and JSON field is read.
//!
//! Not `serde_json::from_str::<Value>`: with serde_json's `raw_value` feature (which the reader
//! needs to split JSON arrays and streams into events), `Value`'s own deserializer treats an
//! object whose first key is `$serde_json::private::RawValue` as an embedded raw value, so an
//! event with that key would be rejected or replaced by the parse of its value. [`Plain`]
//! builds the same values with no such key (found by the `projection` fuzz target).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use std::fmt;

/// Parse a whole JSON text (surrounding whitespace allowed), as `serde_json::from_str` does.
pub fn from_str(text: &str) -> Result<Json, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Plain.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Deserializes any JSON value into a `serde_json::Value`, object keys taken as written.
pub struct Plain;

impl<'de> DeserializeSeed<'de> for Plain {
    type Value = Json;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Plain {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Plain.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Plain)? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = serde_json::Map::new();
        // A repeated key keeps its first position and its last value, as serde_json's does.
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(Plain)?;
            out.insert(k, v);
        }
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything but the magic key parses exactly as serde_json's `Value` does.
    #[test]
    fn parses_like_serde_json_without_the_raw_value_key() {
        let texts = [
            r#" {"a": [1, -2, 3.5, 1e3, 18446744073709551616, true, null, "s\u00e9"], "b": {"c": {}}, "a": 0} "#,
            r#"[1, {"x": "y"}]"#,
            r#""text""#,
            "42",
            r#"{"a": 1,}"#,
            r#"{"a": 1e999}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": 1} x"#,
        ];
        for t in texts {
            let want = serde_json::from_str::<Json>(t).map_err(|e| e.to_string());
            assert_eq!(from_str(t).map_err(|e| e.to_string()), want, "{t}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(from_str(&deep).is_err_and(|e| e.to_string().contains("recursion limit")));
    }

    /// serde_json's `Value` (with `raw_value`) rejects or rewrites these; an event may have any
    /// key, so they are plain objects here.
    #[test]
    fn the_raw_value_key_is_an_ordinary_key() {
        const KEY: &str = "$serde_json::private::RawValue";
        let t = format!(r#"{{"{KEY}": 5, "a": 1}}"#);
        assert!(serde_json::from_str::<Json>(&t).is_err());
        assert_eq!(from_str(&t).ok(), Some(serde_json::json!({KEY: 5, "a": 1})));
        let t = format!(r#"{{"{KEY}": "{{\"x\": 1}}"}}"#);
        assert_eq!(
            from_str(&t).ok(),
            Some(serde_json::json!({KEY: "{\"x\": 1}"}))
        );
    }
}
