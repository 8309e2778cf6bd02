//! Multivalue functions: split, mvindex, mvcount, mvjoin, mvappend, mvdedup, mvsort, mvzip,
//! mvfind, mvreverse, mvrange. (`mvfilter`/`mvmap` are special forms in `plan::expr`.)
//!
//! A single value counts as a one-value list; a missing field as an empty one, which makes
//! these functions return null (reference §3.4, "Multivalue").

use super::text::int_arg;
use super::{Call, FunctionDef, single_text};
use crate::plan::expr::compile_regex;
use crate::value::{Value, compare_text};

/// Most values `mvrange` produces: a guard against `mvrange(0, 1e12)` exhausting memory.
const MAX_RANGE: usize = 1_000_000;

fn split(c: &Call) -> Value {
    let (Some(text), Some(delim)) = (single_text(c.arg(0)), single_text(c.arg(1))) else {
        return Value::Null;
    };
    let pieces: Vec<Value> = if delim.is_empty() {
        text.chars().map(|ch| Value::Str(ch.to_string())).collect()
    } else {
        // Empty pieces are kept, unlike makemv.
        text.split(delim.as_str()).map(Value::str).collect()
    };
    if pieces.is_empty() {
        // split("", "") has no characters: one empty value rather than nothing.
        return Value::str("");
    }
    Value::from_values(pieces)
}

/// Resolve a possibly negative index against `len`; None when out of range.
fn resolve(i: i64, len: usize) -> Option<usize> {
    let n = i64::try_from(len).ok()?;
    let j = if i < 0 { n + i } else { i };
    (0..n)
        .contains(&j)
        .then(|| usize::try_from(j).ok())
        .flatten()
}

fn mvindex(c: &Call) -> Value {
    let vals = c.arg(0).values();
    let Some(start) = int_arg(c.arg(1)).and_then(|i| resolve(i, vals.len())) else {
        return Value::Null;
    };
    if c.args.len() < 3 {
        return vals.get(start).cloned().unwrap_or(Value::Null);
    }
    // An end past the last value is clamped to it; an end before the start gives null.
    let Some(end_raw) = int_arg(c.arg(2)) else {
        return Value::Null;
    };
    let last = vals.len().saturating_sub(1);
    let end = if end_raw >= 0 {
        usize::try_from(end_raw).map_or(last, |e| e.min(last))
    } else {
        match resolve(end_raw, vals.len()) {
            Some(e) => e,
            None => return Value::Null,
        }
    };
    if end < start {
        return Value::Null;
    }
    vals.get(start..=end)
        .map(|s| Value::from_values(s.to_vec()))
        .unwrap_or(Value::Null)
}

fn mvcount(c: &Call) -> Value {
    match c.arg(0) {
        Value::Null => Value::Null,
        v => Value::Num(v.values().len() as f64),
    }
}

fn mvjoin(c: &Call) -> Value {
    let Some(delim) = single_text(c.arg(1)) else {
        return Value::Null;
    };
    let v = c.arg(0);
    if v.is_null() {
        return Value::Null;
    }
    Value::Str(
        v.values()
            .iter()
            .filter_map(Value::to_text)
            .collect::<Vec<_>>()
            .join(&delim),
    )
}

fn mvdedup(c: &Call) -> Value {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for v in c.arg(0).values() {
        let t = v.to_text().unwrap_or_default();
        if !seen.contains(&t) {
            seen.push(t);
            out.push(v.clone());
        }
    }
    Value::from_values(out)
}

fn mvsort(c: &Call) -> Value {
    let mut vals = c.arg(0).values().to_vec();
    vals.sort_by(compare_text);
    Value::from_values(vals)
}

fn mvzip(c: &Call) -> Value {
    let (a, b) = (c.arg(0), c.arg(1));
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let delim = if c.args.len() > 2 {
        match single_text(c.arg(2)) {
            Some(d) => d,
            None => return Value::Null,
        }
    } else {
        ",".to_string()
    };
    // Pairs stop at the shorter list.
    let out = a
        .values()
        .iter()
        .zip(b.values())
        .map(|(x, y)| {
            Value::Str(format!(
                "{}{delim}{}",
                x.to_text().unwrap_or_default(),
                y.to_text().unwrap_or_default()
            ))
        })
        .collect();
    Value::from_values(out)
}

fn mvfind(c: &Call) -> Value {
    let owned;
    let re = match c.regex {
        Some(re) => re,
        None => {
            let Some(Ok(re)) = single_text(c.arg(1)).map(|p| compile_regex(&p)) else {
                return Value::Null;
            };
            owned = re;
            &owned
        }
    };
    c.arg(0)
        .values()
        .iter()
        .position(|v| v.to_text().is_some_and(|t| re.is_match(&t)))
        .map(|i| Value::Num(i as f64))
        .unwrap_or(Value::Null)
}

fn mvreverse(c: &Call) -> Value {
    let mut vals = c.arg(0).values().to_vec();
    vals.reverse();
    Value::from_values(vals)
}

fn mvrange(c: &Call) -> Value {
    let number = |v: &Value| match v {
        Value::Multi(_) | Value::Bool(_) => None,
        other => other.as_number(),
    };
    let (Some(start), Some(end)) = (number(c.arg(0)), number(c.arg(1))) else {
        return Value::Null;
    };
    let step = if c.args.len() > 2 {
        match number(c.arg(2)) {
            Some(s) => s,
            None => return Value::Null,
        }
    } else {
        1.0
    };
    if step == 0.0 || !step.is_finite() {
        return Value::Null;
    }
    // End excluded; a negative step counts down.
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        if out.len() >= MAX_RANGE {
            return Value::Null;
        }
        out.push(Value::Num(x));
        x += step;
    }
    Value::from_values(out)
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "split",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`split(s, delim)`: the pieces of `s` between occurrences of `delim` (empty pieces kept); `\"\"` splits into characters.",
        examples: &[
            ("split(\"a,,b\", \",\")", "[\"a\", \"\", \"b\"]"),
            ("split(\"a::b\", \"::\")", "[\"a\", \"b\"]"),
            ("split(\"abc\", \"\")", "[\"a\", \"b\", \"c\"]"),
            ("split(\"abc\", \",\")", "\"abc\""),
            ("split(missing_field, \",\")", "null"),
        ],
        imp: split,
    },
    FunctionDef {
        name: "mvindex",
        min: 2,
        max: Some(3),
        regex_arg: None,
        summary: "`mvindex(mv, start[, end])`: the value at 0-based `start`, or the values from `start` to `end` inclusive; negatives count from the end; out of range is null.",
        examples: &[
            ("mvindex(split(\"a,b,c\", \",\"), 1)", "\"b\""),
            ("mvindex(split(\"a,b,c\", \",\"), -1)", "\"c\""),
            ("mvindex(split(\"a,b,c,d\", \",\"), 1, 2)", "[\"b\", \"c\"]"),
            ("mvindex(split(\"a,b,c\", \",\"), 3)", "null"),
            ("mvindex(\"single\", 0)", "\"single\""),
            ("mvindex(missing_field, 0)", "null"),
        ],
        imp: mvindex,
    },
    FunctionDef {
        name: "mvcount",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`mvcount(mv)`: number of values (1 for a single value, null for a missing field).",
        examples: &[
            ("mvcount(split(\"a,b,c\", \",\"))", "3"),
            ("mvcount(\"x\")", "1"),
            ("mvcount(missing_field)", "null"),
        ],
        imp: mvcount,
    },
    FunctionDef {
        name: "mvjoin",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`mvjoin(mv, delim)`: the values joined by `delim`.",
        examples: &[
            ("mvjoin(split(\"a,b,c\", \",\"), \"|\")", "\"a|b|c\""),
            ("mvjoin(\"x\", \";\")", "\"x\""),
            ("mvjoin(missing_field, \",\")", "null"),
        ],
        imp: mvjoin,
    },
    FunctionDef {
        name: "mvappend",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`mvappend(a, b, …)`: all values of all arguments in order, flattened; null arguments are skipped.",
        examples: &[
            (
                "mvappend(\"a\", split(\"b,c\", \",\"), missing_field, 1)",
                "[\"a\", \"b\", \"c\", 1]",
            ),
            ("mvappend(missing_field, \"x\")", "\"x\""),
            ("mvappend(missing_field)", "null"),
        ],
        imp: |c| Value::from_values(c.args.to_vec()),
    },
    FunctionDef {
        name: "mvdedup",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`mvdedup(mv)`: the values without duplicates, first occurrences kept in order.",
        examples: &[
            (
                "mvdedup(split(\"b,a,b,c,a\", \",\"))",
                "[\"b\", \"a\", \"c\"]",
            ),
            ("mvdedup(split(\"a,a\", \",\"))", "\"a\""),
            ("mvdedup(missing_field)", "null"),
        ],
        imp: mvdedup,
    },
    FunctionDef {
        name: "mvsort",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`mvsort(mv)`: the values sorted lexicographically (`10, 100, 70, 9`; upper case first).",
        examples: &[
            (
                "mvsort(split(\"70,9,100,10\", \",\"))",
                "[\"10\", \"100\", \"70\", \"9\"]",
            ),
            ("mvsort(split(\"b,a,B\", \",\"))", "[\"B\", \"a\", \"b\"]"),
            ("mvsort(missing_field)", "null"),
        ],
        imp: mvsort,
    },
    FunctionDef {
        name: "mvzip",
        min: 2,
        max: Some(3),
        regex_arg: None,
        summary: "`mvzip(a, b[, delim])`: values paired position by position, joined by `delim` (default `,`); stops at the shorter list.",
        examples: &[
            (
                "mvzip(split(\"a,b,c\", \",\"), split(\"1,2\", \",\"))",
                "[\"a,1\", \"b,2\"]",
            ),
            ("mvzip(\"x\", \"y\", \"=\")", "\"x=y\""),
            ("mvzip(missing_field, \"y\")", "null"),
        ],
        imp: mvzip,
    },
    FunctionDef {
        name: "mvfind",
        min: 2,
        max: Some(2),
        regex_arg: Some(1),
        summary: "`mvfind(mv, regex)`: 0-based index of the first value `regex` matches, or null.",
        examples: &[
            ("mvfind(split(\"abc,x12,y34\", \",\"), \"\\d\")", "1"),
            ("mvfind(split(\"a,b\", \",\"), \"z\")", "null"),
            ("mvfind(missing_field, \"a\")", "null"),
        ],
        imp: mvfind,
    },
    FunctionDef {
        name: "mvreverse",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`mvreverse(mv)`: the values in reverse order.",
        examples: &[
            (
                "mvreverse(split(\"a,b,c\", \",\"))",
                "[\"c\", \"b\", \"a\"]",
            ),
            ("mvreverse(\"x\")", "\"x\""),
            ("mvreverse(missing_field)", "null"),
        ],
        imp: mvreverse,
    },
    FunctionDef {
        name: "mvrange",
        min: 2,
        max: Some(3),
        regex_arg: None,
        summary: "`mvrange(start, end[, step])`: numbers from `start` up to but excluding `end`, by `step` (default 1).",
        examples: &[
            ("mvrange(1, 11, 2)", "[1, 3, 5, 7, 9]"),
            ("mvrange(0, 3)", "[0, 1, 2]"),
            ("mvrange(3, 0, -1)", "[3, 2, 1]"),
            ("mvrange(5, 5)", "null"),
            ("mvrange(missing_field, 3)", "null"),
        ],
        imp: mvrange,
    },
];
