//! `makemv [delim=" " | tokenizer=re] [allowempty=bool] [setsv=bool] field`: split a field
//! into a multivalue.
//!
//! `… | makemv delim="," recipients` — the delimiter (default one space, may be several
//! characters) splits each value; empty pieces are dropped unless `allowempty=true`;
//! `tokenizer` takes the first capture group of each match (the whole match without a group).
//! `setsv=true` is accepted and changes nothing: in Splunk it sets the field's separate
//! single-value form, which tripline fields do not have; the multivalue is the same.

use super::args::{name_list, split, tokens};
use super::common::parse_bool;
use super::regex::unescape_regex;
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::expr::compile_regex;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::TokKind;
use crate::value::Value;
use regex::Regex;

#[derive(Debug)]
enum Split {
    Delim(String),
    Tokenizer(Regex),
}

#[derive(Debug)]
struct MakeMv {
    field: FieldRef,
    how: Split,
    allow_empty: bool,
    setsv: bool,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["delim", "tokenizer", "allowempty", "setsv"])?;
    let how = match (
        s.get("delim"),
        s.options.iter().rev().find(|(k, _, _)| k == "tokenizer"),
    ) {
        (Some(_), Some((_, _, span))) => {
            return Err(l.error(
                *span,
                "tripline::makemv::options",
                "use either `delim` or `tokenizer`, not both",
            ));
        }
        (_, Some((_, tok, span))) => {
            let text = match &tok.kind {
                TokKind::Str(raw) => unescape_regex(raw),
                _ => tok.text().unwrap_or_default(),
            };
            Split::Tokenizer(compile_regex(&text).map_err(|e| {
                l.error(
                    *span,
                    "tripline::makemv::bad_regex",
                    "invalid tokenizer regex",
                )
                .label(e.lines().last().unwrap_or_default().trim().to_string())
            })?)
        }
        (Some((d, span)), None) => {
            if d.is_empty() {
                return Err(l.error(span, "tripline::makemv::delim", "the delimiter is empty"));
            }
            Split::Delim(d)
        }
        (None, None) => Split::Delim(" ".to_string()),
    };
    let names = name_list(l, &s.rest)?;
    let field = match names.as_slice() {
        [(f, _)] => f.clone(),
        [] => {
            return Err(l
                .error(
                    l.cmd.span,
                    "tripline::makemv::field",
                    "`makemv` needs a field",
                )
                .help("for example `makemv delim=\",\" recipients`"));
        }
        [_, (_, span), ..] => {
            return Err(l.error(*span, "tripline::makemv::field", "`makemv` takes one field"));
        }
    };
    Ok(Box::new(MakeMv {
        field: FieldRef::new(&field),
        how,
        allow_empty: parse_bool(l, s.get("allowempty"), false)?,
        setsv: parse_bool(l, s.get("setsv"), false)?,
    }))
}

impl Step for MakeMv {
    fn describe(&self) -> String {
        let how = match &self.how {
            Split::Delim(d) => format!("delim={d:?}"),
            Split::Tokenizer(r) => format!("tokenizer={:?}", r.as_str()),
        };
        format!(
            "makemv {how} allowempty={} setsv={} {}",
            self.allow_empty,
            self.setsv,
            self.field.name()
        )
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl MakeMv {
    fn pieces(&self, text: &str) -> Vec<String> {
        let raw: Vec<String> = match &self.how {
            Split::Delim(d) => text.split(d.as_str()).map(str::to_string).collect(),
            Split::Tokenizer(re) => re
                .captures_iter(text)
                .filter_map(|c| {
                    c.get(1)
                        .or_else(|| c.get(0))
                        .map(|m| m.as_str().to_string())
                })
                .collect(),
        };
        raw.into_iter()
            .filter(|p| self.allow_empty || !p.is_empty())
            .collect()
    }
}

impl PerRecord for MakeMv {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        let v = rec.get(&self.field);
        if v.is_null() {
            return true;
        }
        let mut out = Vec::new();
        for x in v.values() {
            out.extend(self.pieces(&x.to_text().unwrap_or_default()));
        }
        let new = if out.len() == 1 {
            out.pop().map_or(Value::Null, Value::Str)
        } else if out.is_empty() {
            Value::Null
        } else {
            // Empty pieces (allowempty) stay as empty strings, so build Multi directly.
            Value::Multi(out.into_iter().map(Value::Str).collect())
        };
        rec.set(self.field.name(), new);
        true
    }
}
