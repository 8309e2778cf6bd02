//! Time functions: now, time, strftime, strptime, relative_time (formats and relative-time
//! specifiers are implemented in `crate::time`).

use super::{Call, FunctionDef, single_text};
use crate::value::Value;

/// An epoch-seconds argument (text that reads as a number counts; `_time` is stored as one).
fn epoch(v: &Value) -> Option<f64> {
    match v {
        Value::Multi(_) | Value::Bool(_) => None,
        other => other.as_number(),
    }
}

fn strftime(c: &Call) -> Value {
    let (Some(t), Some(fmt)) = (epoch(c.arg(0)), single_text(c.arg(1))) else {
        return Value::Null;
    };
    crate::time::strftime(t, &fmt, &c.ctx.zone).map_or(Value::Null, Value::Str)
}

fn strptime(c: &Call) -> Value {
    let (Some(text), Some(fmt)) = (single_text(c.arg(0)), single_text(c.arg(1))) else {
        return Value::Null;
    };
    crate::time::strptime(&text, &fmt, &c.ctx.zone).map_or(Value::Null, Value::Num)
}

fn relative_time(c: &Call) -> Value {
    let (Some(t), Some(spec)) = (epoch(c.arg(0)), single_text(c.arg(1))) else {
        return Value::Null;
    };
    crate::time::relative_time(t, &spec, &c.ctx.zone).map_or(Value::Null, Value::Num)
}

fn wall_clock(_: &Call) -> Value {
    // Microsecond resolution, as Splunk documents for time().
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as f64 / 1e6)
        .unwrap_or(0.0);
    Value::Num(now)
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "now",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`now()`: the search start time in epoch seconds, the same for every event.",
        examples: &[("now()", "1700000000"), ("now() - 60", "1699999940")],
        imp: |c| Value::Num(c.ctx.now),
    },
    FunctionDef {
        name: "time",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`time()`: the wall-clock time when the event is evaluated, epoch seconds with microseconds.",
        examples: &[("time() > 1600000000", "true"), ("isnum(time())", "true")],
        imp: wall_clock,
    },
    FunctionDef {
        name: "strftime",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`strftime(t, fmt)`: render epoch seconds `t` with a strftime format in the search's time zone.",
        examples: &[
            (
                "strftime(1700000000, \"%Y-%m-%dT%H:%M:%S\")",
                "\"2023-11-14T22:13:20\"",
            ),
            ("strftime(0, \"%d/%m/%Y\")", "\"01/01/1970\""),
            ("strftime(missing_field, \"%Y\")", "null"),
        ],
        imp: strftime,
    },
    FunctionDef {
        name: "strptime",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`strptime(s, fmt)`: read the text `s` with a strptime format into epoch seconds; null when it does not match.",
        examples: &[
            (
                "strptime(\"2023-11-14 22:13:20\", \"%Y-%m-%d %H:%M:%S\")",
                "1700000000",
            ),
            ("strptime(\"not a date\", \"%Y-%m-%d\")", "null"),
            ("strptime(missing_field, \"%Y\")", "null"),
        ],
        imp: strptime,
    },
    FunctionDef {
        name: "relative_time",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`relative_time(t, spec)`: apply a relative-time specifier such as `-1d@d` to epoch seconds `t`.",
        examples: &[
            ("relative_time(1700000000, \"-1d@d\")", "1699833600"),
            ("relative_time(1700000000, \"+1h\")", "1700003600"),
            ("relative_time(missing_field, \"-1d\")", "null"),
        ],
        imp: relative_time,
    },
];
