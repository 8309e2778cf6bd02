//! KQL text → spanned syntax tree (stage: parse), with the pest grammar `grammar/kql.pest`.
//!
//! The grammar validates escapes; this module decodes them, trims unquoted literals the way
//! Kibana does, and keeps escaped `\*` apart from wildcard `*`.

use super::ast::{Ast, Literal, Piece, RangeOp, Values};
use crate::diag::{Diag, Kind, Span};
use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/kql.pest"]
struct KqlParser;

/// Parse a KQL query.
pub fn parse(text: &str) -> Result<Ast, Diag> {
    let mut pairs = KqlParser::parse(Rule::kql, text).map_err(|e| pest_diag(&e, text))?;
    let top = pairs.next().ok_or_else(|| internal("empty parse", text))?;
    match top.into_inner().find(|p| p.as_rule() == Rule::or_query) {
        Some(q) => build_query(q, text),
        None => Ok(Ast::MatchAll),
    }
}

fn internal(msg: &str, text: &str) -> Diag {
    Diag::error(
        Kind::Parse,
        "tripline::kql::internal",
        format!("internal parser error: {msg}"),
    )
    .at(Span::new(0, text.len()))
}

fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn build_query(p: Pair<Rule>, text: &str) -> Result<Ast, Diag> {
    let span = span_of(&p);
    match p.as_rule() {
        Rule::or_query | Rule::and_query => {
            let is_or = p.as_rule() == Rule::or_query;
            let mut parts = Vec::new();
            for c in p.into_inner() {
                if matches!(c.as_rule(), Rule::kw_or | Rule::kw_and) {
                    continue;
                }
                parts.push(build_query(c, text)?);
            }
            // A one-element chain is just its element; keeps the tree (and `explain`) small.
            if parts.len() == 1 {
                return parts.pop().ok_or_else(|| internal("empty chain", text));
            }
            Ok(if is_or {
                Ast::Or(parts, span)
            } else {
                Ast::And(parts, span)
            })
        }
        Rule::not_query => {
            let mut negated = false;
            let mut inner = None;
            for c in p.into_inner() {
                if c.as_rule() == Rule::kw_not {
                    negated = true;
                } else {
                    inner = Some(build_query(c, text)?);
                }
            }
            let inner = inner.ok_or_else(|| internal("empty not", text))?;
            Ok(if negated {
                Ast::Not(Box::new(inner), span)
            } else {
                inner
            })
        }
        Rule::group => {
            let inner = p
                .into_inner()
                .next()
                .ok_or_else(|| internal("empty group", text))?;
            build_query(inner, text)
        }
        Rule::nested => {
            let mut it = p.into_inner();
            let path = literal_of(it.next(), text)?;
            let query = it.next().ok_or_else(|| internal("empty nested", text))?;
            Ok(Ast::Nested {
                path,
                query: Box::new(build_query(query, text)?),
                span,
            })
        }
        Rule::range => {
            let mut it = p.into_inner();
            let field = literal_of(it.next(), text)?;
            let op = match it.next().map(|o| o.as_str()) {
                Some("<") => RangeOp::Lt,
                Some("<=") => RangeOp::Lte,
                Some(">") => RangeOp::Gt,
                _ => RangeOp::Gte,
            };
            let value = literal_of(it.next(), text)?;
            Ok(Ast::Range {
                field,
                op,
                value,
                span,
            })
        }
        Rule::field_match => {
            let mut it = p.into_inner();
            let field = literal_of(it.next(), text)?;
            let values = build_values(
                it.next().ok_or_else(|| internal("missing value", text))?,
                text,
            )?;
            Ok(Ast::Is {
                field: Some(field),
                values,
                span,
            })
        }
        Rule::free_text => {
            let value = literal_of(p.into_inner().next(), text)?;
            Ok(Ast::Is {
                field: None,
                values: Values::One(value),
                span,
            })
        }
        _ => Err(internal("unexpected rule", text)),
    }
}

fn build_values(p: Pair<Rule>, text: &str) -> Result<Values, Diag> {
    match p.as_rule() {
        Rule::or_values | Rule::and_values => {
            let is_or = p.as_rule() == Rule::or_values;
            let mut parts = Vec::new();
            for c in p.into_inner() {
                if matches!(c.as_rule(), Rule::kw_or | Rule::kw_and) {
                    continue;
                }
                parts.push(build_values(c, text)?);
            }
            if parts.len() == 1 {
                return parts.pop().ok_or_else(|| internal("empty list", text));
            }
            Ok(if is_or {
                Values::Or(parts)
            } else {
                Values::And(parts)
            })
        }
        Rule::not_values => {
            let mut negated = false;
            let mut inner = None;
            for c in p.into_inner() {
                if c.as_rule() == Rule::kw_not {
                    negated = true;
                } else {
                    inner = Some(build_values(c, text)?);
                }
            }
            let inner = inner.ok_or_else(|| internal("empty not", text))?;
            Ok(if negated {
                Values::Not(Box::new(inner))
            } else {
                inner
            })
        }
        Rule::value_group => {
            let inner = p
                .into_inner()
                .next()
                .ok_or_else(|| internal("empty value list", text))?;
            build_values(inner, text)
        }
        Rule::value => Ok(Values::One(literal_of(Some(p), text)?)),
        _ => Err(internal("unexpected value rule", text)),
    }
}

/// Decode a `field` / `value` / `literal` pair (whose only child is `quoted` or `unquoted`).
fn literal_of(p: Option<Pair<Rule>>, text: &str) -> Result<Literal, Diag> {
    let p = p.ok_or_else(|| internal("missing literal", text))?;
    let inner = p
        .into_inner()
        .next()
        .ok_or_else(|| internal("empty literal", text))?;
    let span = span_of(&inner);
    let raw = inner.as_str();
    Ok(match inner.as_rule() {
        Rule::quoted => Literal {
            pieces: vec![Piece::Text(decode_quoted(raw))],
            quoted: true,
            span,
        },
        _ => Literal {
            pieces: decode_unquoted(raw),
            quoted: false,
            span,
        },
    })
}

/// Read 4 hex digits after `\u` (the grammar has checked them).
fn hex4(chars: &[char], at: usize) -> Option<u16> {
    let digits: String = chars.get(at..at + 4)?.iter().collect();
    u16::from_str_radix(&digits, 16).ok()
}

/// UTF-16 buffer: `\uXXXX` is one UTF-16 code unit, and two escapes may form a pair.
#[derive(Default)]
struct Units(Vec<u16>);

impl Units {
    fn push(&mut self, c: char) {
        let mut buf = [0u16; 2];
        self.0.extend_from_slice(c.encode_utf16(&mut buf));
    }
    fn take(&mut self) -> String {
        let s = String::from_utf16_lossy(&self.0);
        self.0.clear();
        s
    }
}

fn decode_quoted(raw: &str) -> String {
    let body = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let chars: Vec<char> = body.chars().collect();
    let mut out = Units::default();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            match chars.get(i + 1) {
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('u') if hex4(&chars, i + 2).is_some() => {
                    if let Some(u) = hex4(&chars, i + 2) {
                        out.0.push(u);
                    }
                    i += 6;
                    continue;
                }
                // Any other backslash is kept literally (`"C:\Windows"`).
                _ => {
                    out.push('\\');
                    i += 1;
                    continue;
                }
            }
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out.take()
}

fn decode_unquoted(raw: &str) -> Vec<Piece> {
    let chars: Vec<char> = raw.chars().collect();
    let mut pieces = Vec::new();
    let mut cur = Units::default();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            let next = chars.get(i + 1).copied();
            match next {
                // Same order as the grammar: escaped whitespace first.
                Some('t') => cur.push('\t'),
                Some('r') => cur.push('\r'),
                Some('n') => cur.push('\n'),
                Some('u') if hex4(&chars, i + 2).is_some() => {
                    if let Some(u) = hex4(&chars, i + 2) {
                        cur.0.push(u);
                    }
                    i += 6;
                    continue;
                }
                Some(n) if "\\():<>\"*{}".contains(n) => cur.push(n),
                Some(_) => {
                    // `\or`, `\and`, `\not` (any case): the bare word as written.
                    let word: String = chars.iter().skip(i + 1).take(3).collect();
                    let lower = word.to_ascii_lowercase();
                    let len = if lower.starts_with("or") {
                        2
                    } else if lower == "and" || lower == "not" {
                        3
                    } else {
                        0
                    };
                    for w in chars.iter().skip(i + 1).take(len) {
                        cur.push(*w);
                    }
                    i += 1 + len;
                    continue;
                }
                None => {}
            }
            i += 2;
        } else if c == '*' {
            if !cur.0.is_empty() {
                pieces.push(Piece::Text(cur.take()));
            }
            pieces.push(Piece::Star);
            i += 1;
        } else {
            cur.push(c);
            i += 1;
        }
    }
    if !cur.0.is_empty() {
        pieces.push(Piece::Text(cur.take()));
    }
    trim_pieces(pieces)
}

/// JavaScript's `String.prototype.trim` whitespace (Kibana trims unquoted literals after
/// decoding, so escaped `\t`/`\n` at either end go too; a wildcard stops the trim).
fn js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

fn trim_pieces(mut pieces: Vec<Piece>) -> Vec<Piece> {
    if let Some(Piece::Text(t)) = pieces.first_mut() {
        *t = t.trim_start_matches(js_space).to_string();
    }
    if let Some(Piece::Text(t)) = pieces.last_mut() {
        *t = t.trim_end_matches(js_space).to_string();
    }
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    pieces
}

fn pest_diag(e: &pest::error::Error<Rule>, text: &str) -> Diag {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match e.location {
        InputLocation::Pos(p) => (p, p + 1),
        InputLocation::Span((s, t)) => (s, t.max(s + 1)),
    };
    let found = text.get(start..).and_then(|r| r.chars().next());
    let end = found
        .map_or(start, |c| start + c.len_utf8())
        .max(end.min(text.len()));
    let what = match found {
        Some(c) => format!("unexpected `{}`", c.escape_debug()),
        None => "unexpected end of the query".to_string(),
    };
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                what
            } else {
                format!("{what}: expected {}", names.join(", "))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let message = match hint(text, start) {
        Some(h) => format!("{message} ({h})"),
        None => message,
    };
    Diag::error(Kind::Parse, "tripline::kql::syntax", message)
        .at(Span::new(start, end.min(text.len()).max(start)))
        .label("here")
        .help(
            "KQL needs `and`/`or` between expressions, whitespace around them, and at most one \
             `not` per level (`not (not x)`); quote values that contain `not ` or any of \
             `\\():<>\"*{}`",
        )
}

/// A more specific explanation for the common mistakes, from the text at the error.
fn hint(text: &str, at: usize) -> Option<&'static str> {
    let rest = text.get(at..)?;
    let before = text.get(..at)?;
    let lower = rest
        .get(..4)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let not_ws = lower.starts_with("not") && lower.chars().nth(3).is_some_and(char::is_whitespace);
    if not_ws && before.chars().last().is_some_and(char::is_alphanumeric) {
        return Some(
            "`not` followed by whitespace ends an unquoted value even inside a word: quote the value",
        );
    }
    if not_ws {
        return Some(
            "a value cannot start with `not`: write `not (not x)` or `field:(not x)`, or quote the value",
        );
    }
    if rest.starts_with('(') {
        let b = before.to_ascii_lowercase();
        if b.ends_with("and") || b.ends_with("or") || b.ends_with("not") {
            return Some("`and`, `or` and `not` need whitespace before `(`");
        }
    }
    if rest.starts_with('\\') {
        return Some(
            "unquoted values allow only the escapes `\\t \\r \\n \\uXXXX`, `\\or \\and \\not` and a backslash before one of `\\():<>\"*{}`",
        );
    }
    if rest.starts_with('"') {
        return Some("the quoted string is not closed");
    }
    None
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::kw_or => "`or`",
        Rule::kw_and => "`and`",
        Rule::kw_not => "`not`",
        Rule::range_op => "a range operator",
        Rule::field | Rule::value | Rule::literal => "a value",
        Rule::quoted => "a quoted string",
        Rule::unquoted => "a value",
        Rule::EOI => "the end of the query",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(q: &str) -> Ast {
        match parse(q) {
            Ok(a) => a,
            Err(e) => panic!("{q:?}: {e:?}"),
        }
    }

    #[test]
    fn precedence_and_keywords() {
        assert!(matches!(ok("a:x or b:y and c:z"), Ast::Or(v, _) if v.len() == 2));
        assert!(matches!(ok("not a:x and b:y"), Ast::And(..)));
        assert!(matches!(ok("a:x AND b:y"), Ast::And(..)));
        assert!(matches!(ok("a:x\u{a0}and b:y"), Ast::And(..)));
        assert_eq!(ok(""), Ast::MatchAll);
        assert_eq!(ok("  \n "), Ast::MatchAll);
    }

    #[test]
    fn syntax_errors() {
        for q in [
            "a:x and(b:y)",
            "not(a:b)",
            "a:b andc:d",
            "not not a:b",
            "a:(not not b)",
            "a: not b",
            "a:b c:d",
            "message:I cannot login",
            "a:knot x",
            "source.ip:::1",
            "a:\\q",
            "a:\\ b",
        ] {
            assert!(parse(q).is_err(), "{q:?} should not parse");
        }
    }

    fn value_of(q: &str) -> Literal {
        match ok(q) {
            Ast::Is {
                values: Values::One(l),
                ..
            } => l,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn literals() {
        assert_eq!(value_of("message: hello world ").text(), "hello world");
        assert_eq!(value_of("a: x or").text(), "x or");
        assert_eq!(value_of("a:notepad.exe").text(), "notepad.exe");
        assert_eq!(value_of("a:x \\or y").text(), "x or y");
        assert_eq!(value_of("a:\\u0041").text(), "A");
        assert_eq!(value_of("a:\"\\u0041\"").text(), "A");
        assert_eq!(value_of(r#"a:"C:\Windows""#).text(), "C:\\Windows");
        assert_eq!(value_of(r#"a:"C:\temp""#).text(), "C:\temp");
        assert_eq!(value_of(r"a:C\:\\x").text(), "C:\\x");
        let l = value_of(r"a:a\*b*");
        assert_eq!(
            l.pieces,
            vec![Piece::Text("a*b".into()), Piece::Star],
            "escaped star stays literal"
        );
        assert!(!value_of("a:\"x*\"").is_wildcard());
        // Kibana's UnquotedCharacter tries escaped whitespace before escaped keywords, so a
        // lower-case `\not` is a newline followed by `ot`; `\NOT` is the word.
        assert_eq!(value_of("a:x \\NOT y").text(), "x NOT y");
        assert_eq!(value_of("a:x \\not y").text(), "x \not y");
    }
}
