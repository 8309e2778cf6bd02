//! `regex [field=|field!=]"re"`: keep records whose field matches (or does not match) a regex.
//!
//! `… | regex process_name="(?i)^powershell"` — unanchored match against `_raw` by default;
//! with `!=` records whose field does not match are kept, including records without the
//! field; a multivalue field matches when any value does. The quoted text first loses only
//! the search escapes `\\` and `\"`, as for `rex`.

use super::args::tokens;
use crate::diag::{Diag, Span};
use crate::functions::EvalCtx;
use crate::plan::expr::compile_regex;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{Tok, TokKind};
use regex::Regex;

#[derive(Debug)]
struct RegexStep {
    field: FieldRef,
    negate: bool,
    raw: String,
    re: Regex,
}

/// Decode only `\\` and `\"`: every other backslash pair reaches the regex engine as written.
pub(crate) fn unescape_regex(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n @ ('\\' | '"')) = chars.peek()
        {
            out.push(n);
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

fn regex_text(l: &Lower, t: &Tok) -> Result<(String, Span), Diag> {
    match &t.kind {
        TokKind::Str(s) => Ok((unescape_regex(s), t.span)),
        // An unquoted regex is taken as written.
        TokKind::Word(w) => Ok((w.clone(), t.span)),
        _ => Err(l
            .error(
                t.span,
                "tripline::regex::syntax",
                "expected a regex in double quotes",
            )
            .help("write `regex field=\"pattern\"` or `regex field!=\"pattern\"`")),
    }
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks = tokens(l);
    let (field, negate, (text, span)) = match toks {
        [one] => match &one.kind {
            TokKind::Kv { key, op, value } => (key.clone(), op == "!=", regex_text(l, value)?),
            _ => ("_raw".to_string(), false, regex_text(l, one)?),
        },
        [] => {
            return Err(l
                .error(
                    l.cmd.span,
                    "tripline::regex::missing",
                    "`regex` needs a regular expression",
                )
                .help("write `regex field=\"pattern\"`"));
        }
        [_, second, ..] => {
            return Err(l
                .error(
                    second.span,
                    "tripline::regex::syntax",
                    "`regex` takes one `field=\"pattern\"`",
                )
                .help("`NOT` is not allowed; use `field!=\"pattern\"`"));
        }
    };
    let re = compile_regex(&text).map_err(|e| {
        l.error(
            span,
            "tripline::regex::bad_regex",
            "invalid regular expression",
        )
        .label(e.lines().last().unwrap_or_default().trim().to_string())
    })?;
    Ok(Box::new(RegexStep {
        field: FieldRef::new(&field),
        negate,
        raw: text,
        re,
    }))
}

impl Step for RegexStep {
    fn describe(&self) -> String {
        format!(
            "regex {}{}{:?}",
            self.field.name(),
            if self.negate { "!=" } else { "=" },
            self.raw
        )
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for RegexStep {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        let v = rec.get(&self.field);
        let hit = v
            .values()
            .iter()
            .filter_map(crate::value::Value::to_text)
            .any(|t| self.re.is_match(&t));
        hit != self.negate
    }
}
