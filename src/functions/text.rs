//! Text functions: lower, upper.

use super::{Call, FunctionDef, per_value};
use crate::value::Value;

fn map_text(c: &Call, f: fn(&str) -> String) -> Value {
    per_value(c.arg(0), |v| match v {
        Value::Str(s) => Value::Str(f(s)),
        other => other
            .to_text()
            .map(|t| Value::Str(f(&t)))
            .unwrap_or(Value::Null),
    })
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "lower",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`lower(s)`: lower case; applied to every value of a multivalue field.",
        examples: &[("lower(\"MiXeD\")", "\"mixed\"")],
        imp: |c| map_text(c, str::to_lowercase),
    },
    FunctionDef {
        name: "upper",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`upper(s)`: upper case; applied to every value of a multivalue field.",
        examples: &[("upper(\"MiXeD\")", "\"MIXED\"")],
        imp: |c| map_text(c, str::to_uppercase),
    },
];
