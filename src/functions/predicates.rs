//! Comparison and matching functions: match, like, in, cidrmatch, nullif, validate.
//!
//! `match`, `like` and `cidrmatch` test every value of a multivalue subject and are true when
//! any value matches, like the comparison operators (reference §3.3–§3.4).

use super::{Call, FunctionDef, single_text};
use crate::plan::expr::{compile_regex, equal, like};
use crate::value::Value;
use std::net::IpAddr;

/// True when some value of `subject` satisfies `f`; null for a null subject.
fn any_value(subject: &Value, f: impl Fn(&str) -> bool) -> Value {
    if subject.is_null() {
        return Value::Null;
    }
    Value::Bool(
        subject
            .values()
            .iter()
            .filter_map(Value::to_text)
            .any(|t| f(&t)),
    )
}

fn match_fn(c: &Call) -> Value {
    let owned;
    let re = match c.regex {
        Some(re) => re,
        None => {
            // A computed pattern: compile per call; an invalid one gives null.
            let Some(Ok(re)) = single_text(c.arg(1)).map(|p| compile_regex(&p)) else {
                return Value::Null;
            };
            owned = re;
            &owned
        }
    };
    any_value(c.arg(0), |t| re.is_match(t))
}

fn like_fn(c: &Call) -> Value {
    let Some(pattern) = single_text(c.arg(1)) else {
        return Value::Null;
    };
    any_value(c.arg(0), |t| like(t, &pattern))
}

fn in_fn(c: &Call) -> Value {
    let subject = c.arg(0);
    if subject.is_null() {
        return Value::Null;
    }
    // Same equality as the `x IN (…)` operator: exact text, or numeric when both are numbers.
    let found = c.args.iter().skip(1).any(|item| {
        subject
            .values()
            .iter()
            .any(|x| item.values().iter().any(|y| equal(x, y)))
    });
    Value::Bool(found)
}

/// A parsed `address/prefix`; a bare address is a single-host network.
fn parse_cidr(text: &str) -> Option<(IpAddr, u32)> {
    let text = text.trim();
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u32>().ok()?)),
        None => (text.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((addr, bits))
}

fn in_network(net: IpAddr, bits: u32, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        // IPv4-mapped IPv6 addresses compare as their IPv4 form.
        (IpAddr::V4(_), IpAddr::V6(i)) => i
            .to_ipv4_mapped()
            .is_some_and(|v4| in_network(net, bits, IpAddr::V4(v4))),
        (IpAddr::V6(_), IpAddr::V4(_)) => false,
    }
}

fn cidrmatch(c: &Call) -> Value {
    let Some(cidr) = single_text(c.arg(0)) else {
        return Value::Null;
    };
    // An invalid subnet is an evaluation failure (null), an invalid address simply no match.
    let Some((net, bits)) = parse_cidr(&cidr) else {
        return Value::Null;
    };
    any_value(c.arg(1), |t| {
        t.trim()
            .parse::<IpAddr>()
            .is_ok_and(|ip| in_network(net, bits, ip))
    })
}

fn nullif(c: &Call) -> Value {
    let (a, b) = (c.arg(0), c.arg(1));
    if a.is_null() {
        return Value::Null;
    }
    // SQL NULLIF: a null second argument is never equal, so `a` is returned.
    let same = match (a, b) {
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Multi(x), Value::Multi(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Multi(_), _) | (_, Value::Multi(_)) => false,
        (x, y) => equal(x, y),
    };
    if same { Value::Null } else { a.clone() }
}

fn validate(c: &Call) -> Value {
    // The message after the first condition that is not true (false or null); all true: null.
    c.args
        .chunks(2)
        .find(|pair| !pair.first().is_some_and(Value::is_true))
        .and_then(|pair| pair.get(1).cloned())
        .unwrap_or(Value::Null)
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "match",
        min: 2,
        max: Some(2),
        regex_arg: Some(1),
        summary: "`match(s, regex)`: true when `regex` matches part of `s` (unanchored); on a multivalue field, when it matches any value.",
        examples: &[
            ("match(\"powershell.exe\", \"shell\\.exe$\")", "true"),
            ("match(\"cmd.exe\", \"^shell\")", "false"),
            ("match(split(\"a,b1\", \",\"), \"\\d\")", "true"),
            ("match(missing_field, \"x\")", "null"),
        ],
        imp: match_fn,
    },
    FunctionDef {
        name: "like",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`like(s, pattern)`: whole-value, case-sensitive match where `%` is any run and `_` one character.",
        examples: &[
            ("like(\"powershell.exe\", \"power%.exe\")", "true"),
            ("like(\"PowerShell\", \"power%\")", "false"),
            ("like(\"abc\", \"a_c\")", "true"),
            ("like(missing_field, \"%\")", "null"),
        ],
        imp: like_fn,
    },
    FunctionDef {
        name: "in",
        min: 2,
        max: None,
        regex_arg: None,
        summary: "`in(x, v1, v2, …)`: true when `x` equals one of the values exactly (no wildcards).",
        examples: &[
            ("in(\"b\", \"a\", \"b\")", "true"),
            ("in(\"b*\", \"a\", \"bc\")", "false"),
            ("in(split(\"x,y\", \",\"), \"y\")", "true"),
            ("in(missing_field, \"a\")", "null"),
        ],
        imp: in_fn,
    },
    FunctionDef {
        name: "cidrmatch",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`cidrmatch(cidr, ip)`: true when the IPv4 or IPv6 address `ip` is in the subnet `cidr`.",
        examples: &[
            ("cidrmatch(\"192.168.0.0/16\", \"192.168.12.5\")", "true"),
            ("cidrmatch(\"10.0.0.0/8\", \"11.0.0.1\")", "false"),
            ("cidrmatch(\"2001:db8::/32\", \"2001:db8:1::5\")", "true"),
            ("cidrmatch(\"10.0.0.0/8\", \"not an ip\")", "false"),
            (
                "cidrmatch(\"10.0.0.0/8\", split(\"1.2.3.4,10.1.1.1\", \",\"))",
                "true",
            ),
            ("cidrmatch(\"10.0.0.0/8\", missing_field)", "null"),
        ],
        imp: cidrmatch,
    },
    FunctionDef {
        name: "nullif",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`nullif(a, b)`: null when `a` equals `b`, otherwise `a`.",
        examples: &[
            ("nullif(\"x\", \"x\")", "null"),
            ("nullif(\"x\", \"y\")", "\"x\""),
            ("nullif(missing_field, \"y\")", "null"),
        ],
        imp: nullif,
    },
    FunctionDef {
        name: "validate",
        min: 2,
        max: None,
        regex_arg: None,
        summary: "`validate(c1, msg1, c2, msg2, …)`: the message of the first condition that is not true; null when all are true.",
        examples: &[
            (
                "validate(1 < 2, \"first\", 1 > 2, \"second\")",
                "\"second\"",
            ),
            ("validate(1 < 2, \"first\")", "null"),
            (
                "validate(missing_field = 1, \"null is not true\")",
                "\"null is not true\"",
            ),
        ],
        imp: validate,
    },
];
