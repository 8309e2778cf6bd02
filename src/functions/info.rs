//! Informational functions: isnum, isstr, isint, isbool, ismv, typeof.
//!
//! They never return null. Field values are text, and Splunk treats a field whose text looks
//! numeric as a number (`typeof(_time)` is `Number`), so numeric-looking text counts as a
//! number here; the values these functions see do not say whether they came from a literal.

use super::FunctionDef;
use crate::value::{Value, parse_number};

fn is_num(v: &Value) -> bool {
    match v {
        Value::Num(_) => true,
        Value::Str(s) => parse_number(s).is_some(),
        _ => false,
    }
}

/// Integral: a number without a fraction, or text spelling an integer (`"3"`, not `"3.0"`).
fn is_int(v: &Value) -> bool {
    match v {
        Value::Num(n) => n.is_finite() && n.fract() == 0.0,
        Value::Str(s) => {
            let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Str(s) if parse_number(s).is_some() => "Number",
        other => other.type_name(),
    }
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "isnum",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`isnum(x)`: true when `x` is a number (or field text that reads as one).",
        examples: &[
            ("isnum(42)", "true"),
            ("isnum(\"abc\")", "false"),
            ("isnum(missing_field)", "false"),
            ("isnum(split(\"1,2\", \",\"))", "false"),
        ],
        imp: |c| Value::Bool(is_num(c.arg(0))),
    },
    FunctionDef {
        name: "isstr",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`isstr(x)`: true when `x` is text that does not read as a number.",
        examples: &[
            ("isstr(\"abc\")", "true"),
            ("isstr(42)", "false"),
            ("isstr(missing_field)", "false"),
        ],
        imp: |c| Value::Bool(matches!(c.arg(0), Value::Str(_)) && !is_num(c.arg(0))),
    },
    FunctionDef {
        name: "isint",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`isint(x)`: true when `x` is an integer.",
        examples: &[
            ("isint(3)", "true"),
            ("isint(3.5)", "false"),
            ("isint(\"x\")", "false"),
            ("isint(missing_field)", "false"),
        ],
        imp: |c| Value::Bool(is_int(c.arg(0))),
    },
    FunctionDef {
        name: "isbool",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`isbool(x)`: true when `x` is a boolean (never for field values, even `\"true\"`).",
        examples: &[
            ("isbool(1 == 1)", "true"),
            ("isbool(\"true\")", "false"),
            ("isbool(missing_field)", "false"),
        ],
        imp: |c| Value::Bool(matches!(c.arg(0), Value::Bool(_))),
    },
    FunctionDef {
        name: "ismv",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`ismv(x)`: true when `x` has more than one value.",
        examples: &[
            ("ismv(split(\"a,b\", \",\"))", "true"),
            ("ismv(\"a\")", "false"),
            ("ismv(missing_field)", "false"),
        ],
        imp: |c| Value::Bool(matches!(c.arg(0), Value::Multi(_))),
    },
    FunctionDef {
        name: "typeof",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`typeof(x)`: `\"Number\"`, `\"String\"`, `\"Boolean\"`, `\"Multivalue\"` or `\"Invalid\"` (null).",
        examples: &[
            ("typeof(12)", "\"Number\""),
            ("typeof(\"x\")", "\"String\""),
            ("typeof(1 == 2)", "\"Boolean\""),
            ("typeof(missing_field)", "\"Invalid\""),
            ("typeof(split(\"a,b\", \",\"))", "\"Multivalue\""),
        ],
        imp: |c| Value::str(type_of(c.arg(0))),
    },
];
