//! `fields [+|-] f1, f2*, …`: keep (or remove) fields.
//!
//! `… | fields - _raw, count` — wildcards allowed. Keeping fields keeps `_time` too, as
//! Splunk does (its internal fields are only removed when listed with `-`).

use super::args::{name_list, tokens};
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::Record;
use crate::syntax::ast::Tok;
use crate::value::wildcard_captures;

#[derive(Debug)]
struct Fields {
    remove: bool,
    names: Vec<String>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks: Vec<&Tok> = tokens(l).iter().collect();
    let (remove, rest) = match toks.split_first() {
        Some((first, rest)) if first.word() == Some("-") => (true, rest.to_vec()),
        Some((first, rest)) if first.word() == Some("+") => (false, rest.to_vec()),
        _ => (false, toks.clone()),
    };
    let mut names: Vec<String> = Vec::new();
    for (n, _) in name_list(l, &rest)? {
        // `fields -x` is `fields - x`
        match n.strip_prefix('-') {
            Some(stripped) if names.is_empty() && !stripped.is_empty() && !remove => {
                return Ok(Box::new(Fields {
                    remove: true,
                    names: std::iter::once(stripped.to_string())
                        .chain(
                            name_list(l, rest.get(1..).unwrap_or_default())?
                                .into_iter()
                                .map(|x| x.0),
                        )
                        .collect(),
                }));
            }
            _ => names.push(n),
        }
    }
    if names.is_empty() {
        return Err(l.error(
            l.cmd.span,
            "tripline::fields::empty",
            "`fields` needs at least one field name",
        ));
    }
    Ok(Box::new(Fields { remove, names }))
}

pub(crate) fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns
        .iter()
        .any(|p| wildcard_captures(p, name).is_some())
}

impl Step for Fields {
    fn describe(&self) -> String {
        format!(
            "fields {}{}",
            if self.remove { "- " } else { "" },
            self.names.join(", ")
        )
    }
    fn outputs(&self, input: crate::plan::Fields) -> crate::plan::Fields {
        use crate::plan::Fields;
        match (input, self.remove) {
            (Fields::Known(mut have), true) => {
                have.retain(|h| !matches_any(&self.names, h));
                Fields::Known(have)
            }
            (Fields::Open(mut have), true) => {
                have.retain(|h| !matches_any(&self.names, h));
                Fields::Open(have)
            }
            (Fields::Known(mut have), false) => {
                have.retain(|h| h == "_time" || matches_any(&self.names, h));
                Fields::Known(have)
            }
            (Fields::Open(_), false) if self.names.iter().any(|n| n.contains('*')) => {
                Fields::Open(Vec::new())
            }
            (Fields::Open(_), false) => Fields::Known(self.names.clone()),
        }
    }
    fn reads(&self) -> crate::plan::Reads {
        if self.remove || self.names.iter().any(|n| n.contains('*')) {
            crate::plan::Reads::All
        } else {
            crate::plan::Reads::Fields(self.names.clone())
        }
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for Fields {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        *rec = self.map(std::mem::take(rec));
        true
    }
}

impl Fields {
    /// The row of the fields kept (or not removed).
    fn map(&self, rec: Record) -> Record {
        let mut visible = rec.visible();
        for meta in crate::record::META_FIELDS {
            if self.names.iter().any(|n| n == meta) && !visible.contains_key(meta) {
                let v = rec.get_name(meta);
                if !v.is_null() {
                    visible.insert(meta.into(), v);
                }
            }
        }
        if self.remove {
            visible.retain(|k, _| !matches_any(&self.names, k));
        } else {
            visible.retain(|k, _| k == "_time" || matches_any(&self.names, k));
        }
        Record::from_row(visible)
    }
}
