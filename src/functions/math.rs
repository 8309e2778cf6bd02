//! Math functions: round, floor, ceil/ceiling, abs, pow, sqrt, exp, ln, log, pi, min, max, sum,
//! avg, random.
//!
//! Arguments are read as numbers (field text that looks numeric counts); a multivalue or
//! non-numeric argument gives null, and so does a result that is not a real number
//! (`sqrt(-1)`, `ln(0)`), since Splunk leaves the field empty rather than printing `nan`.

use super::{Call, FunctionDef};
use crate::value::{Value, compare_text};
use std::cmp::Ordering;

/// The number of a single-valued argument.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Multi(_) | Value::Bool(_) => None,
        other => other.as_number(),
    }
}

/// A finite result, or null.
fn finite(x: f64) -> Value {
    if x.is_finite() {
        Value::Num(x)
    } else {
        Value::Null
    }
}

fn unary(c: &Call, f: fn(f64) -> f64) -> Value {
    num(c.arg(0)).map(|x| finite(f(x))).unwrap_or(Value::Null)
}

/// Round half away from zero on the shortest decimal text of `x`, so that `2.555` (stored as
/// 2.55499999…) rounds to 2.56 like Splunk, where `(x * 100).round() / 100` would give 2.55.
///
/// Most values are rounded without writing that text ([`round_decimal_text`]): with
/// `y = |x| · 10^places` below 2^52, `y` is within about one unit in its last place of the
/// shortest text's value scaled alike, so when the fraction of `y` is farther than that from
/// one half, the text would round `y` the same way; and the rounded integer `k` divided by
/// `10^places` is the text's value, both being the double nearest to `k / 10^places`. (The
/// send/hard-delete join rounds each event's size: 1.7 % of its instructions went to the text.)
pub(super) fn round_decimal(x: f64, places: usize) -> f64 {
    round_arithmetic(x, places).unwrap_or_else(|| round_decimal_text(x, places))
}

/// [`round_decimal`] without the text, when the arithmetic is certain (see there); `None`
/// otherwise.
fn round_arithmetic(x: f64, places: usize) -> Option<f64> {
    const SCALE: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some(x);
    }
    let scale = *SCALE.get(places)?;
    let y = x.abs() * scale;
    // below 2^52: the floor and the fraction are exact
    if y >= 4_503_599_627_370_496.0 {
        return None;
    }
    let whole = y.floor();
    let frac = y - whole;
    if (frac - 0.5).abs() <= y * f64::EPSILON * 4.0 {
        return None;
    }
    let r = (if frac > 0.5 { whole + 1.0 } else { whole }) / scale;
    Some(if x < 0.0 && r != 0.0 { -r } else { r })
}

/// [`round_decimal`] through the shortest decimal text of `x`, for every value.
fn round_decimal_text(x: f64, places: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Display for f64 is the shortest round-trip form and never uses an exponent.
    let text = format!("{}", x.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    if frac_part.len() <= places {
        return x;
    }
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().take(places))
        .map(|b| b - b'0')
        .collect();
    let round_up = frac_part.as_bytes().get(places).is_some_and(|d| *d >= b'5');
    if round_up {
        // Propagate the carry from the last kept digit.
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            match digits.get_mut(i) {
                Some(d) if *d == 9 => *d = 0,
                Some(d) => {
                    *d += 1;
                    break;
                }
                None => break,
            }
        }
    }
    let split = digits.len() - places;
    let mut s: String = digits
        .iter()
        .take(split)
        .map(|d| char::from(b'0' + d))
        .collect();
    if places > 0 {
        s.push('.');
        s.extend(digits.iter().skip(split).map(|d| char::from(b'0' + d)));
    }
    let r = s.parse::<f64>().unwrap_or(x.abs());
    // A value that rounds to zero is plain 0, never -0 (which would print as "-0").
    if x < 0.0 && r != 0.0 { -r } else { r }
}

fn round(c: &Call) -> Value {
    let Some(x) = num(c.arg(0)) else {
        return Value::Null;
    };
    let places = if c.args.len() > 1 {
        match num(c.arg(1)) {
            // Negative precision is not allowed in Splunk.
            Some(p) if p >= 0.0 && p.is_finite() => {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "non-negative and finite; saturates for absurd precisions"
                )]
                let p = p.trunc() as usize;
                p.min(340)
            }
            _ => return Value::Null,
        }
    } else {
        0
    };
    finite(round_decimal(x, places))
}

fn log(c: &Call) -> Value {
    let Some(x) = num(c.arg(0)) else {
        return Value::Null;
    };
    let base = if c.args.len() > 1 {
        match num(c.arg(1)) {
            Some(b) => b,
            None => return Value::Null,
        }
    } else {
        10.0
    };
    if x <= 0.0 || base <= 0.0 || base == 1.0 {
        return Value::Null;
    }
    finite(x.ln() / base.ln())
}

fn pow(c: &Call) -> Value {
    match (num(c.arg(0)), num(c.arg(1))) {
        (Some(x), Some(y)) => finite(x.powf(y)),
        _ => Value::Null,
    }
}

/// Rank for eval `min`/`max`: every number below every string; numbers numerically,
/// strings by text.
fn rank(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Num(_), _) => Ordering::Less,
        (_, Value::Num(_)) => Ordering::Greater,
        _ => compare_text(a, b),
    }
}

/// Every value of every argument, numeric-looking text turned into numbers (fields are text).
fn candidates(c: &Call) -> Vec<Value> {
    c.args
        .iter()
        .flat_map(|a| a.values().iter())
        .map(|v| match v {
            Value::Str(s) => crate::value::parse_number(s).map_or_else(|| v.clone(), Value::Num),
            other => other.clone(),
        })
        .collect()
}

fn extreme(c: &Call, want: Ordering) -> Value {
    candidates(c)
        .into_iter()
        .reduce(|best, v| if rank(&v, &best) == want { v } else { best })
        .unwrap_or(Value::Null)
}

/// The numeric values of all arguments (every value of a multivalue field); others skipped.
fn numbers(c: &Call) -> Vec<f64> {
    c.args
        .iter()
        .flat_map(|a| a.values().iter())
        .filter(|v| !matches!(v, Value::Bool(_)))
        .filter_map(Value::as_number)
        .collect()
}

fn sum(c: &Call) -> Value {
    let ns = numbers(c);
    if ns.is_empty() {
        Value::Null
    } else {
        finite(ns.iter().sum())
    }
}

fn avg(c: &Call) -> Value {
    let ns = numbers(c);
    if ns.is_empty() {
        Value::Null
    } else {
        finite(ns.iter().sum::<f64>() / ns.len() as f64)
    }
}

/// A pseudo-random integer in 0…2^31−1. Seeded per call from std's randomly keyed hasher
/// (no `rand` dependency); not for cryptography.
fn random(_: &Call) -> Value {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, AtomicOrdering::Relaxed));
    Value::Num((h.finish() & 0x7fff_ffff) as f64)
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "round",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`round(x[, n])`: `x` rounded half away from zero to `n` decimals (default 0), on its decimal form.",
        examples: &[
            ("round(3.5)", "4"),
            ("round(2.555, 2)", "2.56"),
            ("round(-2.5)", "-3"),
            ("tostring(round(-0.4))", "\"0\""),
            ("round(9.999, 2)", "10"),
            ("round(1.2345, 3)", "1.235"),
            ("round(missing_field)", "null"),
        ],
        imp: round,
    },
    FunctionDef {
        name: "floor",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`floor(x)`: the largest integer not above `x`.",
        examples: &[
            ("floor(1.9)", "1"),
            ("floor(-1.1)", "-2"),
            ("floor(missing_field)", "null"),
        ],
        imp: |c| unary(c, f64::floor),
    },
    FunctionDef {
        name: "ceil",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`ceil(x)`: the smallest integer not below `x` (alias `ceiling`).",
        examples: &[
            ("ceil(1.1)", "2"),
            ("ceil(-1.9)", "-1"),
            ("ceil(missing_field)", "null"),
        ],
        imp: |c| unary(c, f64::ceil),
    },
    FunctionDef {
        name: "ceiling",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`ceiling(x)`: alias of `ceil`.",
        examples: &[("ceiling(1.9)", "2"), ("ceiling(\"x\")", "null")],
        imp: |c| unary(c, f64::ceil),
    },
    FunctionDef {
        name: "abs",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`abs(x)`: absolute value.",
        examples: &[
            ("abs(-3.5)", "3.5"),
            ("abs(2)", "2"),
            ("abs(missing_field)", "null"),
        ],
        imp: |c| unary(c, f64::abs),
    },
    FunctionDef {
        name: "pow",
        min: 2,
        max: Some(2),
        regex_arg: None,
        summary: "`pow(x, y)`: `x` to the power `y`.",
        examples: &[
            ("pow(2, 10)", "1024"),
            ("pow(4, 0.5)", "2"),
            ("pow(missing_field, 2)", "null"),
        ],
        imp: pow,
    },
    FunctionDef {
        name: "sqrt",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`sqrt(x)`: square root; null for a negative `x`.",
        examples: &[
            ("sqrt(9)", "3"),
            ("sqrt(-1)", "null"),
            ("sqrt(missing_field)", "null"),
        ],
        imp: |c| unary(c, f64::sqrt),
    },
    FunctionDef {
        name: "exp",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`exp(x)`: e to the power `x`.",
        examples: &[
            ("exp(0)", "1"),
            ("round(exp(1), 5)", "2.71828"),
            ("exp(missing_field)", "null"),
        ],
        imp: |c| unary(c, f64::exp),
    },
    FunctionDef {
        name: "ln",
        min: 1,
        max: Some(1),
        regex_arg: None,
        summary: "`ln(x)`: natural logarithm; null for `x ≤ 0`.",
        examples: &[
            ("ln(1)", "0"),
            ("round(ln(10), 4)", "2.3026"),
            ("ln(0)", "null"),
        ],
        imp: |c| unary(c, f64::ln),
    },
    FunctionDef {
        name: "log",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`log(x[, base])`: logarithm in `base` (default 10); null for `x ≤ 0`.",
        examples: &[
            ("log(100)", "2"),
            ("log(8, 2)", "3"),
            ("log(-1)", "null"),
            ("log(missing_field)", "null"),
        ],
        imp: log,
    },
    FunctionDef {
        name: "pi",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`pi()`: the constant π.",
        examples: &[("round(pi(), 5)", "3.14159"), ("pi() > 3", "true")],
        imp: |_| Value::Num(std::f64::consts::PI),
    },
    FunctionDef {
        name: "min",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`min(a, b, …)`: the smallest of all values of all arguments; numbers rank below strings.",
        examples: &[
            ("min(3, 1, \"foo\")", "1"),
            ("min(\"b\", \"a\")", "\"a\""),
            ("min(split(\"10,9,100\", \",\"))", "9"),
            ("min(missing_field, 4)", "4"),
            ("min(missing_field)", "null"),
        ],
        imp: |c| extreme(c, Ordering::Less),
    },
    FunctionDef {
        name: "max",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`max(a, b, …)`: the largest of all values of all arguments; strings rank above numbers.",
        examples: &[
            ("max(1, 3, \"foo\")", "\"foo\""),
            ("max(1, 3, 2)", "3"),
            ("max(split(\"10,9,100\", \",\"))", "100"),
            ("max(missing_field)", "null"),
        ],
        imp: |c| extreme(c, Ordering::Greater),
    },
    FunctionDef {
        name: "sum",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`sum(a, b, …)`: total of the numeric values of the arguments (every value of a multivalue field); missing or non-numeric ones are skipped.",
        examples: &[
            ("sum(1, 2, 3)", "6"),
            ("sum(split(\"1,2,x\", \",\"), missing_field, 4)", "7"),
            ("sum(missing_field)", "null"),
        ],
        imp: sum,
    },
    FunctionDef {
        name: "avg",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`avg(a, b, …)`: mean of the numeric values of the arguments; missing or non-numeric ones are skipped.",
        examples: &[
            ("avg(5.0, \"9\", missing_field)", "7"),
            ("avg(split(\"1,2,3\", \",\"))", "2"),
            ("avg(missing_field)", "null"),
        ],
        imp: avg,
    },
    FunctionDef {
        name: "random",
        min: 0,
        max: Some(0),
        regex_arg: None,
        summary: "`random()`: a pseudo-random integer from 0 to 2^31−1.",
        examples: &[
            ("random() >= 0 AND random() <= 2147483647", "true"),
            ("round(random() / 4294967296)", "0"),
        ],
        imp: random,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The arithmetic path answers as the text does, bit for bit, wherever it answers: values
    /// around halves and whole numbers at every scale (a few units in the last place either
    /// side), Splunk's own examples, random values of every magnitude, both signs and zeros.
    #[test]
    fn rounding_without_the_text_agrees_with_the_text() {
        let mut xs = vec![
            2.555, 1.005, 0.125, 2.5, -2.5, 0.0, -0.0, 1e-300, 123.456, 1e15,
        ];
        for places in 0..6 {
            let scale = 10f64.powi(places);
            for k in [1.0, 7.0, 12345.0, 4_503_599_627.0, 99_999_999.0] {
                for near in [k / scale, (k + 0.5) / scale] {
                    let mut v = near;
                    for _ in 0..4 {
                        v = v.next_down();
                    }
                    for _ in 0..9 {
                        xs.push(v);
                        xs.push(-v);
                        v = v.next_up();
                    }
                }
            }
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bits = state;
            // a random mantissa with an exponent from 1e-8 to 1e17
            let x = f64::from_bits(bits & 0x800F_FFFF_FFFF_FFFF | (990 + (bits >> 52) % 90) << 52);
            xs.push(x);
            // and short decimals: a few digits after the point
            xs.push((bits % 10_000_000) as f64 / 10f64.powi((bits >> 40) as i32 % 6));
        }
        let (mut fast, mut slow) = (0, 0);
        for &x in &xs {
            for places in [0, 1, 2, 3, 4, 6, 9, 15, 16, 20] {
                let want = round_decimal_text(x, places);
                match round_arithmetic(x, places) {
                    Some(got) => {
                        fast += 1;
                        assert_eq!(got.to_bits(), want.to_bits(), "round({x:?}, {places})");
                    }
                    None => slow += 1,
                }
                assert_eq!(round_decimal(x, places).to_bits(), want.to_bits());
            }
        }
        // both paths answer: the arithmetic for most, the text near halves and beyond 2^52
        assert!(
            fast > 1_200_000 && slow > 700_000,
            "fast {fast}, slow {slow}"
        );
        // and the answers are Splunk's
        assert_eq!(round_decimal(2.555, 2), 2.56);
        assert_eq!(round_decimal(-2.5, 0), -3.0);
        assert_eq!(round_decimal(1.005, 2), 1.01);
        assert_eq!(round_decimal(0.716_953 / 1.048_576, 2), 0.68);
    }
}
