//! `xmlkv [field] [maxinputs=N]`: `<key>value</key>` pairs of XML text become fields.
//!
//! `… | xmlkv` — scans the field (default `_raw`) for elements whose content is plain text
//! (no child elements) and sets a field named after the tag; attributes are ignored; a tag
//! seen several times keeps its last value (Splunk does not document repeats). XML entities
//! `&lt; &gt; &amp; &quot; &apos;` are decoded.

use super::args::{name_list, split, tokens};
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::{Fields, Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::value::Value;

#[derive(Debug)]
struct XmlKv {
    field: FieldRef,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["maxinputs"])?;
    let names = name_list(l, &s.rest)?;
    let field = match names.as_slice() {
        [] => "_raw".to_string(),
        [(f, _)] => f.clone(),
        [_, (_, span), ..] => {
            return Err(l.error(*span, "tripline::xmlkv::field", "`xmlkv` takes one field"));
        }
    };
    Ok(Box::new(XmlKv {
        field: FieldRef::new(&field),
    }))
}

fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The `(tag, text)` pairs of elements that hold only text.
pub(crate) fn pairs(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('>') else { break };
        let tag_text = after.get(..close).unwrap_or_default();
        let body = after.get(close + 1..).unwrap_or_default();
        rest = body;
        let name: String = tag_text
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && !tag_text.ends_with('/');
        if !valid {
            continue;
        }
        let Some(lt) = body.find('<') else { break };
        let text = body.get(..lt).unwrap_or_default();
        let end_tag = format!("</{name}>");
        if body.get(lt..).is_some_and(|b| b.starts_with(&end_tag)) {
            out.push((name, decode(text)));
            rest = body.get(lt + end_tag.len()..).unwrap_or_default();
        }
    }
    out
}

impl Step for XmlKv {
    fn describe(&self) -> String {
        format!("xmlkv {}", self.field.name())
    }
    fn outputs(&self, input: Fields) -> Fields {
        match input {
            Fields::Known(v) | Fields::Open(v) => Fields::Open(v),
        }
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for XmlKv {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        let v = rec.get(&self.field);
        let Some(text) = v.values().first().and_then(Value::to_text) else {
            return true;
        };
        for (k, v) in pairs(&text) {
            rec.set(&k, Value::Str(v));
        }
        true
    }
}
