//! Text functions: lower, upper, trim, ltrim, rtrim, len (length), substr, replace, urldecode.
//!
//! Only `lower`/`upper` apply per value of a multivalue field; the others do not take
//! multivalue input (reference §3.4, "Text") and return null for it.

use super::{Call, FunctionDef, single_text};
use crate::value::Value;

/// `lower(v)` (`upper`: `upper(v)`), taking the value: ASCII text is changed in its own string
/// (the expression evaluator hands the argument over, so `lower(user)` makes no second
/// string), other text through `str::to_lowercase` / `to_uppercase` (which agree with the
/// ASCII mapping on ASCII text); numbers by their text; per value of a multivalue field.
pub fn change_case(v: Value, upper: bool) -> Value {
    let one = |v: Value| -> Value {
        let mut s = match v {
            Value::Str(s) => s,
            other => match other.to_text() {
                Some(t) => t,
                None => return Value::Null,
            },
        };
        match (s.is_ascii(), upper) {
            (true, false) => s.make_ascii_lowercase(),
            (true, true) => s.make_ascii_uppercase(),
            (false, false) => s = s.to_lowercase(),
            (false, true) => s = s.to_uppercase(),
        }
        Value::Str(s)
    };
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => Value::from_values(vs.into_iter().map(one).collect()),
        other => one(other),
    }
}

/// Which ends `trim_with` strips.
#[derive(Clone, Copy)]
enum Ends {
    Both,
    Left,
    Right,
}

/// Strip characters of a set (default: space and tab, as Splunk documents) from the chosen ends.
fn trim_with(c: &Call, ends: Ends) -> Value {
    let Some(text) = single_text(c.arg(0)) else {
        return Value::Null;
    };
    let set: Vec<char> = if c.args.len() > 1 {
        match single_text(c.arg(1)) {
            Some(s) => s.chars().collect(),
            None => return Value::Null,
        }
    } else {
        vec![' ', '\t']
    };
    let strip = |ch: char| set.contains(&ch);
    let out = match ends {
        Ends::Both => text.trim_matches(strip),
        Ends::Left => text.trim_start_matches(strip),
        Ends::Right => text.trim_end_matches(strip),
    };
    Value::str(out)
}

fn len(c: &Call) -> Value {
    single_text(c.arg(0))
        .map(|t| Value::Num(t.chars().count() as f64))
        .unwrap_or(Value::Null)
}

/// An integral number argument (fractions are truncated, like Splunk's integer parameters).
pub(super) fn int_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Multi(_) | Value::Bool(_) => None,
        other => {
            let n = other.as_number()?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "index arguments are truncated to integers on purpose; the cast saturates"
            )]
            let i = n.trunc() as i64;
            n.is_finite().then_some(i)
        }
    }
}

fn substr(c: &Call) -> Value {
    let Some(text) = single_text(c.arg(0)) else {
        return Value::Null;
    };
    let Some(start) = int_arg(c.arg(1)) else {
        return Value::Null;
    };
    let chars: Vec<char> = text.chars().collect();
    let n = i64::try_from(chars.len()).unwrap_or(i64::MAX);
    // 1-based; a negative start counts from the end; 0 is read as 1 (the first character).
    let from = if start < 0 {
        (n + start).max(0)
    } else {
        (start - 1).max(0)
    };
    let to = if c.args.len() > 2 {
        match int_arg(c.arg(2)) {
            Some(l) if l >= 0 => from.saturating_add(l).min(n),
            _ => return Value::Null,
        }
    } else {
        n
    };
    let (from, to) = (
        usize::try_from(from).unwrap_or(0),
        usize::try_from(to).unwrap_or(0),
    );
    let piece: String = chars
        .get(from..to.max(from))
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    Value::Str(piece)
}

/// Translate a PCRE-style replacement (`\1`…`\9`, `\\`) into the `regex` crate's syntax, where
/// `$` is special and must be doubled when literal.
fn translate_replacement(repl: &str) -> String {
    let mut out = String::with_capacity(repl.len() + 4);
    let mut it = repl.chars().peekable();
    while let Some(ch) = it.next() {
        match ch {
            '\\' => match it.peek().copied() {
                Some(d @ '0'..='9') => {
                    it.next();
                    out.push_str("${");
                    out.push(d);
                    out.push('}');
                }
                Some('\\') => {
                    it.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            other => out.push(other),
        }
    }
    out
}

fn replace(c: &Call) -> Value {
    let (Some(text), Some(repl)) = (single_text(c.arg(0)), single_text(c.arg(2))) else {
        return Value::Null;
    };
    let repl = translate_replacement(&repl);
    let run = |re: &regex::Regex| Value::Str(re.replace_all(&text, repl.as_str()).into_owned());
    match c.regex {
        Some(re) => run(re),
        // Not a literal: compile per call; an invalid pattern gives null rather than an error.
        None => match single_text(c.arg(1)).map(|p| crate::plan::expr::compile_regex(&p)) {
            Some(Ok(re)) => run(&re),
            _ => Value::Null,
        },
    }
}

/// Percent-decoding; `+` is a space (form encoding, which is what URLs in logs carry).
/// Decoded bytes that are not UTF-8 are replaced with U+FFFD.
fn urldecode(c: &Call) -> Value {
    let Some(text) = single_text(c.arg(0)) else {
        return Value::Null;
    };
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&ch) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|h| char::from(*h).to_digit(16));
        match ch {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                // A stray `%` stays literal.
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    Value::Str(String::from_utf8_lossy(&out).into_owned())
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "lower",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`lower(s)`: lower case; applied to every value of a multivalue field.",
        examples: &[
            ("lower(\"MiXeD\")", "\"mixed\""),
            ("lower(\"ÉCOLE\")", "\"école\""),
            ("lower(split(\"A,B\", \",\"))", "[\"a\", \"b\"]"),
            ("lower(missing_field)", "null"),
        ],
        imp: |c| change_case(c.arg(0).clone(), false),
    },
    FunctionDef {
        name: "upper",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`upper(s)`: upper case; applied to every value of a multivalue field.",
        examples: &[
            ("upper(\"MiXeD\")", "\"MIXED\""),
            ("upper(\"école\")", "\"ÉCOLE\""),
            ("upper(split(\"a,b\", \",\"))", "[\"A\", \"B\"]"),
            ("upper(missing_field)", "null"),
        ],
        imp: |c| change_case(c.arg(0).clone(), true),
    },
    FunctionDef {
        name: "trim",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`trim(s[, chars])`: strip characters of the set `chars` (default space and tab) from both ends.",
        examples: &[
            ("trim(\"   ZZZZabcZZ \", \" Z\")", "\"abc\""),
            ("trim(\"\\t  x y  \")", "\"x y\""),
            ("trim(missing_field)", "null"),
            ("trim(split(\"a,b\", \",\"))", "null"),
        ],
        imp: |c| trim_with(c, Ends::Both),
    },
    FunctionDef {
        name: "ltrim",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`ltrim(s[, chars])`: strip characters of the set `chars` (default space and tab) from the left.",
        examples: &[
            ("ltrim(\"   ZZZZabcZZ \", \" Z\")", "\"abcZZ \""),
            ("ltrim(\"  x \")", "\"x \""),
            ("ltrim(missing_field)", "null"),
        ],
        imp: |c| trim_with(c, Ends::Left),
    },
    FunctionDef {
        name: "rtrim",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`rtrim(s[, chars])`: strip characters of the set `chars` (default space and tab) from the right.",
        examples: &[
            ("rtrim(\"   ZZZZabcZZ \", \" Z\")", "\"   ZZZZabc\""),
            ("rtrim(\"  x \")", "\"  x\""),
            ("rtrim(missing_field)", "null"),
        ],
        imp: |c| trim_with(c, Ends::Right),
    },
    FunctionDef {
        name: "len",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`len(s)`: number of characters (code points); null for a multivalue field.",
        examples: &[
            ("len(\"héllo\")", "5"),
            ("len(12345)", "5"),
            ("len(missing_field)", "null"),
            ("len(split(\"a,b\", \",\"))", "null"),
        ],
        imp: len,
    },
    FunctionDef {
        name: "length",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`length(s)`: alias of `len`.",
        examples: &[("length(\"abc\")", "3"), ("length(missing_field)", "null")],
        imp: len,
    },
    FunctionDef {
        name: "substr",
        min: 2,
        max: Some(3),
        regex_arg: None,
        summary: "`substr(s, start[, len])`: substring from the 1-based `start` (negative counts from the end), `len` characters or the rest.",
        examples: &[
            (
                "substr(\"string\", 1, 3) . substr(\"string\", -3)",
                "\"string\"",
            ),
            ("substr(\"string\", 2)", "\"tring\""),
            ("substr(\"abc\", 5)", "\"\""),
            ("substr(missing_field, 1)", "null"),
        ],
        imp: substr,
    },
    FunctionDef {
        name: "replace",
        min: 3,
        max: Some(3),
        regex_arg: Some(1),
        summary: "`replace(s, regex, repl)`: replace every match of `regex`; `\\1`…`\\9` in `repl` refer to groups.",
        examples: &[
            (
                "replace(\"2024-01-31\", \"(\\d+)-(\\d+)-(\\d+)\", \"\\3/\\2/\\1\")",
                "\"31/01/2024\"",
            ),
            ("replace(\"aaa\", \"a\", \"b\")", "\"bbb\""),
            ("replace(\"cost\", \"^\", \"$\")", "\"$cost\""),
            ("replace(missing_field, \"a\", \"b\")", "null"),
        ],
        imp: replace,
    },
    FunctionDef {
        name: "urldecode",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`urldecode(s)`: decode `%XX` escapes (and `+` as a space).",
        examples: &[
            (
                "urldecode(\"http%3A%2F%2Fwww.splunk.com%2Fdownload%3Fr%3Dheader\")",
                "\"http://www.splunk.com/download?r=header\"",
            ),
            ("urldecode(\"a+b%20c%zz\")", "\"a b c%zz\""),
            ("urldecode(missing_field)", "null"),
        ],
        imp: urldecode,
    },
];
