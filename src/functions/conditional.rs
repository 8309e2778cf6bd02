//! Conditional functions: if, case, coalesce, isnull, isnotnull, null, true, false.
//! (`validate` and `nullif` are in `predicates`, `typeof` in `info`.)

use super::FunctionDef;
use crate::value::Value;

// `if`, `case` and `coalesce` work on their arguments through `value` (evaluated values for
// the function table; unevaluated expressions from `eval`, so that the arms not taken cost
// nothing), asked only when the answer needs them.

/// `if(c, t, f)`: null for a missing argument.
pub(crate) fn choose_if<T>(args: &[T], value: impl Fn(&T) -> Value) -> Value {
    let arg = |i: usize| args.get(i).map_or(Value::Null, &value);
    if arg(0).is_true() { arg(1) } else { arg(2) }
}

/// `case(c1, v1, c2, v2, …)`.
pub(crate) fn choose_case<T>(args: &[T], value: impl Fn(&T) -> Value) -> Value {
    args.chunks(2)
        .find(|pair| pair.first().is_some_and(|c| value(c).is_true()))
        .and_then(|pair| pair.get(1))
        .map_or(Value::Null, value)
}

/// `coalesce(a, b, …)`.
pub(crate) fn choose_coalesce<T>(args: &[T], value: impl Fn(&T) -> Value) -> Value {
    args.iter()
        .map(value)
        .find(|v| !v.is_null())
        .unwrap_or(Value::Null)
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "if",
        min: 3,
        max: Some(3),
        regex_arg: None,
        summary: "`if(c, t, f)`: `t` when `c` is true, otherwise `f` (a null condition is not true).",
        examples: &[
            ("if(1 < 2, \"yes\", \"no\")", "\"yes\""),
            ("if(missing_field = 1, \"yes\", \"no\")", "\"no\""),
        ],
        imp: |c| choose_if(c.args, Value::clone),
    },
    FunctionDef {
        name: "case",
        min: 2,
        max: None,
        regex_arg: None,
        summary: "`case(c1, v1, c2, v2, …)`: the value after the first true condition; null when none is true. Use `true()` as a default arm.",
        examples: &[
            ("case(1 > 2, \"a\", 2 > 1, \"b\")", "\"b\""),
            ("case(1 > 2, \"a\")", "null"),
            ("case(1 > 2, \"a\", true(), \"default\")", "\"default\""),
        ],
        imp: |c| choose_case(c.args, Value::clone),
    },
    FunctionDef {
        name: "coalesce",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`coalesce(a, b, …)`: the first argument that is not null.",
        examples: &[
            ("coalesce(missing_field, \"fallback\")", "\"fallback\""),
            ("coalesce(missing_field, null())", "null"),
        ],
        imp: |c| choose_coalesce(c.args, Value::clone),
    },
    FunctionDef {
        name: "isnull",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`isnull(x)`: true when `x` is null (never null itself).",
        examples: &[("isnull(missing_field)", "true"), ("isnull(\"\")", "false")],
        imp: |c| Value::Bool(c.arg(0).is_null()),
    },
    FunctionDef {
        name: "isnotnull",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`isnotnull(x)`: true when `x` has a value (never null itself).",
        examples: &[
            ("isnotnull(missing_field)", "false"),
            ("isnotnull(0)", "true"),
        ],
        imp: |c| Value::Bool(!c.arg(0).is_null()),
    },
    FunctionDef {
        name: "null",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`null()`: no value; assigning it removes the field.",
        examples: &[("null()", "null"), ("isnull(null())", "true")],
        imp: |_| Value::Null,
    },
    FunctionDef {
        name: "true",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`true()`: boolean true.",
        examples: &[("true()", "true"), ("if(true(), 1, 2)", "1")],
        imp: |_| Value::Bool(true),
    },
    FunctionDef {
        name: "false",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`false()`: boolean false.",
        examples: &[("false()", "false"), ("if(false(), 1, 2)", "2")],
        imp: |_| Value::Bool(false),
    },
];
