//! `rex [field=<f>] "<regex>" [max_match=N] [offset_field=<f>]` and `rex [field=<f>] mode=sed "s/re/repl/g"`.
//!
//! `… | rex field=msg "user=(?<user>\w+)"` — each named group of an unanchored match sets a
//! field (default source `_raw`); no match leaves the fields as they are; `max_match` (default
//! 1, 0 = unlimited) above 1 gives multivalue fields; each value of a multivalue source is
//! matched. `mode=sed` rewrites the field with `s/re/repl/[g|N]` (`\1` back-references) or
//! `y/abc/xyz/`. The quoted text first loses search escapes (`\\` → `\`, `\"` → `"`).

use super::args::{number_opt, split, tokens};
use crate::diag::{Diag, Span};
use crate::functions::EvalCtx;
use crate::plan::expr::compile_regex;
use crate::plan::{Fields, Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::TokKind;
use crate::value::Value;
use regex::Regex;

#[derive(Debug)]
enum Mode {
    Extract {
        re: Regex,
        max_match: usize,
        offset_field: Option<String>,
    },
    Subst {
        re: Regex,
        /// Replacement in the regex crate's syntax (`${1}`).
        repl: String,
        global: bool,
        /// Replace from the Nth match (1-based).
        nth: usize,
    },
    Translit(Vec<(char, char)>),
}

#[derive(Debug)]
struct Rex {
    field: FieldRef,
    /// The quoted argument as written (for `explain`).
    raw: String,
    mode: Mode,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(l, &["field", "max_match", "offset_field", "mode"])?;
    let field = s
        .get("field")
        .map_or_else(|| "_raw".to_string(), |(t, _)| t);
    let mut strs = s.rest.iter().filter_map(|t| match &t.kind {
        TokKind::Str(raw) => Some((raw, t.span)),
        _ => None,
    });
    if let Some(bad) = s.rest.iter().find(|t| !matches!(t.kind, TokKind::Str(_))) {
        return Err(l
            .error(
                bad.span,
                "tripline::rex::syntax",
                "expected the regex in double quotes",
            )
            .help("write `rex field=f \"(?<name>…)\"`"));
    }
    let Some((raw, span)) = strs.next() else {
        return Err(l.error(
            l.cmd.span,
            "tripline::rex::regex",
            "`rex` needs a regular expression in double quotes",
        ));
    };
    if let Some((_, extra)) = strs.next() {
        return Err(l.error(
            extra,
            "tripline::rex::syntax",
            "`rex` takes one regular expression",
        ));
    }
    let text = unescape_regex(raw);
    let sed = match s.get("mode") {
        None => false,
        Some((m, _)) if m.eq_ignore_ascii_case("sed") => true,
        Some((m, sp)) => {
            return Err(l.error(
                sp,
                "tripline::rex::mode",
                format!("unknown mode `{m}`; the only mode is `sed`"),
            ));
        }
    };
    let mode = if sed {
        if let Some((_, sp)) = s.get("max_match").or(s.get("offset_field")) {
            return Err(l.error(
                sp,
                "tripline::rex::sed_option",
                "this option does not apply to `mode=sed`",
            ));
        }
        parse_sed(&text).map_err(|msg| {
            l.error(span, "tripline::rex::sed", msg)
                .help("write `s/regex/replacement/[g|N]` or `y/from/to/`")
        })?
    } else {
        let re = compile(l, &text, span)?;
        let has_named = re.capture_names().flatten().next().is_some();
        if !has_named {
            return Err(l
                .error(
                    span,
                    "tripline::rex::no_named_group",
                    "the regex does not extract anything: it has no named group",
                )
                .help("name what to extract: `(?<field>…)`"));
        }
        Mode::Extract {
            re,
            max_match: number_opt(l, s.get("max_match"), 1)?,
            offset_field: s.get("offset_field").map(|(t, _)| t),
        }
    };
    Ok(Box::new(Rex {
        field: FieldRef::new(&field),
        raw: raw.clone(),
        mode,
    }))
}

fn compile(l: &Lower, text: &str, span: Span) -> Result<Regex, Diag> {
    compile_regex(text).map_err(|e| {
        l.error(
            span,
            "tripline::rex::bad_regex",
            "invalid regular expression",
        )
        .label(e.lines().last().unwrap_or_default().trim().to_string())
    })
}

/// Search-string unescaping as Splunk applies it to rex's quoted argument: only `\\` and `\"`
/// are decoded; every other backslash pair reaches the regex engine as written.
fn unescape_regex(raw: &str) -> String {
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

/// Split `s/a/b/g` into its parts at unescaped delimiters; `\<delim>` becomes the delimiter.
fn sed_parts(body: &str, delim: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = parts.last_mut();
        match (c, cur) {
            ('\\', Some(cur)) if chars.peek() == Some(&delim) => {
                cur.push(delim);
                chars.next();
            }
            ('\\', Some(cur)) => {
                cur.push('\\');
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (c, _) if c == delim => parts.push(String::new()),
            (c, Some(cur)) => cur.push(c),
            (_, None) => {}
        }
    }
    parts
}

fn parse_sed(text: &str) -> Result<Mode, String> {
    let mut chars = text.chars();
    let (Some(cmd), Some(delim)) = (chars.next(), chars.next()) else {
        return Err("expected a sed expression".to_string());
    };
    let parts = sed_parts(chars.as_str(), delim);
    // `s/re/repl/flags` and `y/from/to/` end with the delimiter (rex: "s/<regex>/<replacement>/<flags>").
    let (Some(a), Some(b), Some(flags)) = (parts.first(), parts.get(1), parts.get(2)) else {
        return Err(format!(
            "the sed expression `{text}` is incomplete: it needs a closing `{delim}`"
        ));
    };
    if parts.len() > 3 {
        return Err(format!("too many `{delim}` in the sed expression"));
    }
    let flags = flags.as_str();
    match cmd {
        's' => {
            let re = compile_regex(a).map_err(|e| {
                format!(
                    "invalid regular expression in sed: {}",
                    e.lines().last().unwrap_or_default().trim()
                )
            })?;
            let (mut global, mut nth) = (false, 1);
            let digits: String = flags.chars().filter(char::is_ascii_digit).collect();
            for f in flags.chars().filter(|c| !c.is_ascii_digit()) {
                match f {
                    'g' => global = true,
                    other => return Err(format!("unsupported sed flag `{other}`")),
                }
            }
            if !digits.is_empty() {
                nth = digits
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("the occurrence number must be at least 1")?;
            }
            Ok(Mode::Subst {
                re,
                repl: translate_repl(b),
                global,
                nth,
            })
        }
        'y' => {
            let (from, to): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            if from.len() != to.len() {
                return Err(
                    "`y/from/to/` needs as many characters in `to` as in `from`".to_string()
                );
            }
            if !flags.is_empty() {
                return Err("`y///` takes no flags".to_string());
            }
            Ok(Mode::Translit(from.into_iter().zip(to).collect()))
        }
        other => Err(format!("unknown sed command `{other}`; use `s` or `y`")),
    }
}

/// sed replacement → regex crate template: `\1` → `${1}`, `$` → `$$` (literal), `\\` → `\`.
fn translate_repl(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut n = String::new();
                    while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        n.push(d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    out
}

fn substitute(re: &Regex, repl: &str, global: bool, nth: usize, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, caps) in re.captures_iter(text).enumerate() {
        let k = i + 1;
        if k < nth {
            continue;
        }
        if !global && k > nth {
            break;
        }
        let Some(m) = caps.get(0) else { continue };
        out.push_str(text.get(last..m.start()).unwrap_or_default());
        caps.expand(repl, &mut out);
        last = m.end();
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

fn transliterate(map: &[(char, char)], text: &str) -> String {
    text.chars()
        .map(|c| map.iter().find(|(f, _)| *f == c).map_or(c, |(_, t)| *t))
        .collect()
}

/// Extracted values per group name, in group order, plus the offsets text.
fn extract(
    re: &Regex,
    max_match: usize,
    values: &[String],
) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let names: Vec<&str> = re.capture_names().flatten().collect();
    let mut found: Vec<(String, Vec<String>)> = names
        .iter()
        .map(|n| ((*n).to_string(), Vec::new()))
        .collect();
    let mut offsets = Vec::new();
    let limit = if max_match == 0 {
        usize::MAX
    } else {
        max_match
    };
    let mut matches = 0;
    'outer: for v in values {
        for caps in re.captures_iter(v) {
            if matches >= limit {
                break 'outer;
            }
            matches += 1;
            for (name, vals) in &mut found {
                if let Some(m) = caps.name(name) {
                    vals.push(m.as_str().to_string());
                    // Splunk writes inclusive end offsets: `name=start-end`.
                    offsets.push(format!(
                        "{name}={}-{}",
                        m.start(),
                        m.end().saturating_sub(1)
                    ));
                }
            }
        }
    }
    (found, offsets)
}

impl Step for Rex {
    fn describe(&self) -> String {
        let mut s = format!("rex field={}", self.field.name());
        match &self.mode {
            Mode::Extract {
                max_match,
                offset_field,
                ..
            } => {
                s.push_str(&format!(" \"{}\" max_match={max_match}", self.raw));
                if let Some(o) = offset_field {
                    s.push_str(&format!(" offset_field={o}"));
                }
            }
            Mode::Subst { .. } | Mode::Translit(_) => {
                s.push_str(&format!(" mode=sed \"{}\"", self.raw))
            }
        }
        s
    }
    fn outputs(&self, mut input: Fields) -> Fields {
        if let Mode::Extract {
            re, offset_field, ..
        } = &self.mode
        {
            for n in re.capture_names().flatten() {
                input.add(n);
            }
            if let Some(o) = offset_field {
                input.add(o);
            }
        }
        input
    }
    fn reads(&self) -> crate::plan::Reads {
        crate::plan::Reads::Fields(vec![self.field.name().to_string()])
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl PerRecord for Rex {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        let v = rec.get(&self.field);
        if v.is_null() {
            return true;
        }
        match &self.mode {
            Mode::Extract {
                re,
                max_match,
                offset_field,
            } => {
                let texts: Vec<String> = v.values().iter().filter_map(Value::to_text).collect();
                let (found, offsets) = extract(re, *max_match, &texts);
                for (name, vals) in found {
                    if !vals.is_empty() {
                        rec.set(
                            &name,
                            Value::from_values(vals.into_iter().map(Value::Str).collect()),
                        );
                    }
                }
                if let Some(o) = offset_field
                    && !offsets.is_empty()
                {
                    rec.set(o, Value::Str(offsets.join("&")));
                }
            }
            Mode::Subst {
                re,
                repl,
                global,
                nth,
            } => {
                let out = crate::functions::per_value(&v, |x| {
                    x.to_text().map_or(Value::Null, |t| {
                        Value::Str(substitute(re, repl, *global, *nth, &t))
                    })
                });
                rec.set(self.field.name(), out);
            }
            Mode::Translit(map) => {
                let out = crate::functions::per_value(&v, |x| {
                    x.to_text()
                        .map_or(Value::Null, |t| Value::Str(transliterate(map, &t)))
                });
                rec.set(self.field.name(), out);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> Regex {
        compile_regex(p).unwrap()
    }

    #[test]
    fn unescapes_only_backslash_and_quote() {
        assert_eq!(unescape_regex(r#"a\\b\"c\d\|"#), r#"a\b"c\d\|"#);
    }

    #[test]
    fn extracts_groups() {
        let r = re(r"user=(?<user>\w+) id=(?<id>\d+)");
        let v = vec!["user=carol id=1 user=dave id=2".to_string()];
        let (found, offsets) = extract(&r, 1, &v);
        assert_eq!(
            found,
            vec![
                ("user".into(), vec!["carol".into()]),
                ("id".into(), vec!["1".into()])
            ]
        );
        assert_eq!(offsets, vec!["user=5-9", "id=14-14"]);
        let (found, _) = extract(&r, 0, &v);
        assert_eq!(found.first().map(|f| f.1.len()), Some(2));
        let (found, _) = extract(&r, 1, &["none".to_string()]);
        assert!(found.iter().all(|(_, v)| v.is_empty()));
    }

    #[test]
    fn sed_substitution() {
        assert_eq!(translate_repl(r"<\1>$x\\"), r"<${1}>$$x\");
        let Ok(Mode::Subst {
            re,
            repl,
            global,
            nth,
        }) = parse_sed(r"s/(\d)(\d)/\2\1/g")
        else {
            panic!("expected a substitution")
        };
        assert_eq!(substitute(&re, &repl, global, nth, "1234x5"), "2143x5");
        let Ok(Mode::Subst {
            re,
            repl,
            global,
            nth,
        }) = parse_sed("s/a/X/2")
        else {
            panic!("expected a substitution")
        };
        assert_eq!(substitute(&re, &repl, global, nth, "aaa"), "aXa");
        let Ok(Mode::Subst {
            re,
            repl,
            global,
            nth,
        }) = parse_sed(r"s/\//-/g")
        else {
            panic!("expected a substitution")
        };
        assert_eq!(substitute(&re, &repl, global, nth, "a/b/c"), "a-b-c");
        let Ok(Mode::Translit(map)) = parse_sed("y/abc/xyz/") else {
            panic!("expected a transliteration")
        };
        assert_eq!(transliterate(&map, "aabbcd"), "xxyyzd");
        assert!(parse_sed("y/ab/x/").is_err());
        assert!(parse_sed("s/a/b/q").is_err());
        assert!(parse_sed("q/a/b/").is_err());
        assert!(parse_sed("s/a/b").is_err());
        assert!(parse_sed("y/a/b").is_err());
    }
}
