//! Helpers for reading generic command arguments (stage: plan).

use crate::diag::{Diag, Kind, Span};
use crate::plan::Lower;
use crate::syntax::ast::{Args, Tok, TokKind};

/// The generic tokens of a command (empty for other shapes).
pub fn tokens<'a>(l: &'a Lower) -> &'a [Tok] {
    match &l.cmd.args {
        Args::Generic(t) => t,
        _ => &[],
    }
}

/// `key=value` options, split from the other tokens. Keys are matched case-insensitively.
pub struct Split<'a> {
    /// Options in order: (lower-case key, value token, whole span).
    pub options: Vec<(String, &'a Tok, Span)>,
    /// Everything else, in order.
    pub rest: Vec<&'a Tok>,
}

/// Split options from positional tokens.
pub fn split(toks: &[Tok]) -> Split<'_> {
    let mut options = Vec::new();
    let mut rest = Vec::new();
    for t in toks {
        match &t.kind {
            TokKind::Kv { key, op, value } if op == "=" => {
                options.push((key.to_ascii_lowercase(), value.as_ref(), t.span))
            }
            _ => rest.push(t),
        }
    }
    Split { options, rest }
}

impl Split<'_> {
    /// The value text of option `key`, if given.
    pub fn get(&self, key: &str) -> Option<(String, Span)> {
        self.options
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .and_then(|(_, v, s)| v.text().map(|t| (t, *s)))
    }

    /// Error for options this command does not know.
    pub fn reject_unknown(&self, l: &Lower, known: &[&str]) -> Result<(), Diag> {
        for (k, _, span) in &self.options {
            if !known.contains(&k.as_str()) {
                return Err(Diag::error(
                    Kind::Unsupported,
                    "tripline::plan::unknown_option",
                    format!("`{}` does not support the option `{k}` yet", l.cmd.name),
                )
                .at(*span)
                .help(format!(
                    "options tripline understands for `{}`: {}",
                    l.cmd.name,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        Ok(())
    }
}

/// Parse a whole-number option.
pub fn number_opt(l: &Lower, v: Option<(String, Span)>, default: usize) -> Result<usize, Diag> {
    match v {
        None => Ok(default),
        Some((t, span)) => t.parse::<usize>().map_err(|_| {
            l.error(
                span,
                "tripline::plan::bad_number",
                format!("expected a whole number, found `{t}`"),
            )
        }),
    }
}

/// A list of names (words or quoted strings) separated by spaces or commas. Pieces written
/// without space between them form one name, as in Splunk: `"Web".*` is `Web.*`,
/// `predicted(x)` is one field name.
pub fn name_list(l: &Lower, toks: &[&Tok]) -> Result<Vec<(String, Span)>, Diag> {
    let mut out: Vec<(String, Span)> = Vec::new();
    let mut last_end: Option<usize> = None;
    for t in toks {
        let piece = match &t.kind {
            TokKind::Comma => {
                last_end = None;
                continue;
            }
            TokKind::Word(w) => w.clone(),
            TokKind::Str(_) => t.text().unwrap_or_default(),
            TokKind::LParen => "(".to_string(),
            TokKind::RParen => ")".to_string(),
            _ => {
                return Err(l.error(
                    t.span,
                    "tripline::plan::expected_field",
                    format!("`{}` expects field names here", l.cmd.name),
                ));
            }
        };
        match (last_end, out.last_mut()) {
            (Some(end), Some((name, span))) if end == t.span.start => {
                name.push_str(&piece);
                *span = span.to(t.span);
            }
            _ => out.push((piece, t.span)),
        }
        last_end = Some(t.span.end);
    }
    Ok(out)
}

/// Is this token the keyword `kw` (case-insensitive)?
pub fn is_kw(t: &Tok, kw: &str) -> bool {
    t.word().is_some_and(|w| w.eq_ignore_ascii_case(kw))
}

/// The text between two token positions of the command (e.g. a parenthesised expression).
pub fn text_between(source: &str, start: usize, end: usize) -> &str {
    source.get(start..end).unwrap_or_default()
}
