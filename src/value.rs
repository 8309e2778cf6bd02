//! Values and the coercions SPL applies to them (all stages).
//!
//! Splunk field values are text that may be read as numbers; eval adds numbers and booleans;
//! a field can hold several values. This module is the only place that decides how a value is
//! printed, compared, read as a number or matched against a search pattern, so that every
//! command agrees (see `docs/language.md`, "Values").

use std::cmp::Ordering;
use std::fmt;

/// One SPL value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value: a missing field, or the result of an expression that could not be evaluated.
    Null,
    /// Only produced by expressions; a field never stores a boolean.
    Bool(bool),
    /// IEEE double, like Splunk's eval.
    Num(f64),
    /// Text.
    Str(String),
    /// A multivalue field: two or more scalar values, in order. Never nested, never holds nulls.
    Multi(Vec<Value>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// Build a field value from a list: nothing is `Null`, one value is that value, more is `Multi`.
    pub fn from_values(mut values: Vec<Value>) -> Value {
        values.retain(|v| !v.is_null());
        // Nested multivalues are flattened into a new vector; the usual list of plain values
        // is kept, in an allocation of its own size (a value may live long: a `stats` row).
        if values.iter().any(|v| matches!(v, Value::Multi(_))) {
            let mut flat = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Multi(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            values = flat;
        } else {
            values.shrink_to_fit();
        }
        match values.len() {
            0 => Value::Null,
            1 => values.pop().unwrap_or(Value::Null),
            _ => Value::Multi(values),
        }
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The values of this field: none for null, one for a scalar, all for a multivalue.
    pub fn values(&self) -> &[Value] {
        match self {
            Value::Null => &[],
            Value::Multi(v) => v,
            other => std::slice::from_ref(other),
        }
    }

    /// The printed form of a scalar, as Splunk shows it (`3`, not `3.0`; booleans `True`/`False`).
    /// A multivalue field prints its values joined by a newline, as Splunk's CSV export does.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            Value::Num(n) => Some(format_number(*n)),
            Value::Str(s) => Some(s.clone()),
            Value::Multi(vs) => Some(
                vs.iter()
                    .filter_map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        }
    }

    /// [`Value::to_text`], borrowed when the value is text (no copy).
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Value::Str(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            other => other.to_text().map(std::borrow::Cow::Owned),
        }
    }

    /// The number this value stands for: numbers as is, text when it is a decimal number
    /// (`"42"`, `"-1.5"`, `"1e3"`; no surrounding spaces), nothing otherwise.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => parse_number(s),
            _ => None,
        }
    }

    /// Truthiness for `where`/`if`: only a boolean `true` is true.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// Splunk's `typeof()` names.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Invalid",
            Value::Bool(_) => "Boolean",
            Value::Num(_) => "Number",
            Value::Str(_) => "String",
            Value::Multi(_) => "Multivalue",
        }
    }

    /// The JSON form used by `--format ndjson|json`: numbers as numbers, text as strings,
    /// multivalue as arrays, booleans as JSON booleans. `None` for null (the field is left out).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(serde_json::Value::Bool(*b)),
            Value::Num(n) => Some(number_to_json(*n)),
            Value::Str(s) => Some(serde_json::Value::String(s.clone())),
            Value::Multi(vs) => Some(serde_json::Value::Array(
                vs.iter().filter_map(Value::to_json).collect(),
            )),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_text() {
            Some(t) => f.write_str(&t),
            None => Ok(()),
        }
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "integral and within the exact range of i64"
        )]
        let i = n as i64;
        serde_json::Value::from(i)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(format_number(n)))
    }
}

/// Print a number the way Splunk does: integral values without a decimal point, others in
/// the shortest form that reads back to the same double; `nan`, `inf`, `-inf`.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "nan".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if n.fract() == 0.0 && n.abs() < 1e17 {
        // Integral and below 1e17 < 2^63: exactly an `i64`, whose digits are the same text as
        // `{n:.0}`, without float formatting (a fifth of the cost: the join's 25.1 M
        // instructions in it fell by 20.3 M; `_time` bins and counts are printed this way).
        // Minus zero stays `-0`, as `{:.0}` prints it.
        if n == 0.0 && n.is_sign_negative() {
            "-0".to_string()
        } else {
            (n as i64).to_string()
        }
    } else {
        format!("{n}")
    }
}

/// Read decimal text as a number (`"42"`, `"-1.5"`, `".5"`, `"1e3"`, `"+7"`). Leading or
/// trailing spaces, hex, and words like `inf` are not numbers.
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Order two scalar values the way `sort` and stats' group order do: numbers before text,
/// numbers numerically, text byte-wise (upper case before lower case). Text that reads as a
/// number counts as a number.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    SortKey::of(a).cmp(&SortKey::of(b))
}

/// A value's place in [`compare`]'s order, worked out once: sorting n values compares each
/// about log n times, and reading text as a number each time is the expensive part.
#[derive(Clone, Debug)]
pub enum SortKey<'a> {
    /// A number, or text that reads as one.
    Num(f64),
    /// Anything else, by its printed text (null as empty text).
    Text(std::borrow::Cow<'a, str>),
}

impl SortKey<'_> {
    /// The key of `v`; borrows `v`'s text.
    pub fn of(v: &Value) -> SortKey<'_> {
        use std::borrow::Cow;
        if let Value::Str(s) = v {
            return SortKey::of_text(s);
        }
        if let Some(n) = v.as_number() {
            return SortKey::Num(n);
        }
        SortKey::Text(v.text().unwrap_or(Cow::Borrowed("")))
    }

    /// The key of a text value (`Value::Str`); borrows the text.
    pub fn of_text(s: &str) -> SortKey<'_> {
        match parse_number(s) {
            Some(n) => SortKey::Num(n),
            None => SortKey::Text(std::borrow::Cow::Borrowed(s)),
        }
    }

    /// The same key, owning its text.
    pub fn into_owned(self) -> SortKey<'static> {
        match self {
            SortKey::Num(n) => SortKey::Num(n),
            SortKey::Text(t) => SortKey::Text(std::borrow::Cow::Owned(t.into_owned())),
        }
    }
}

impl Ord for SortKey<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // A NaN (only computed numbers can be one) sorts after every other number, so
            // that the order is total.
            (SortKey::Num(x), SortKey::Num(y)) => x
                .partial_cmp(y)
                .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan())),
            (SortKey::Num(_), SortKey::Text(_)) => Ordering::Less,
            (SortKey::Text(_), SortKey::Num(_)) => Ordering::Greater,
            (SortKey::Text(x), SortKey::Text(y)) => x.cmp(y),
        }
    }
}

impl PartialOrd for SortKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SortKey<'_> {}

/// Order two values lexicographically by their printed text (stats `values()`, `mvsort`).
pub fn compare_text(a: &Value, b: &Value) -> Ordering {
    a.to_text()
        .unwrap_or_default()
        .cmp(&b.to_text().unwrap_or_default())
}

/// Case-insensitive glob match of `text` against `pattern`, where `*` matches any run of
/// characters (the search command's `field=value`). Whole value, not substring.
pub fn glob_match_ci(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        if !pattern.contains('*') {
            // No wildcard: an equality (most `field=value` terms), decided by length first.
            return pattern.eq_ignore_ascii_case(text);
        }
        glob_bytes(pattern.as_bytes(), text.as_bytes(), true)
    } else {
        let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
        let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
        glob_chars(&p, &t)
    }
}

/// Case-sensitive glob match with `*`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob_bytes(pattern.as_bytes(), text.as_bytes(), false)
}

fn glob_bytes(p: &[u8], t: &[u8], ci: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ci {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // Iterative glob with single backtrack point: linear for patterns with `*`.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(b'*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(&pc), Some(&tc)) if eq(pc, tc) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&b'*') {
        pi += 1;
    }
    pi == p.len()
}

fn glob_chars(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some('*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(pc), Some(tc)) if pc == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// Match a wildcard field-name pattern (`date_m*`, `Processes.*`) and return what each `*`
/// matched, for `rename a* AS b*`, `fields`, `table` and `foreach`.
pub fn wildcard_captures(pattern: &str, name: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return (pattern == name).then(Vec::new);
    }
    let (first, rest) = parts.split_first()?;
    let (last, middle) = rest.split_last()?;
    let mut pos = first.len();
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return None;
    }
    let end = name.len() - last.len();
    let mut caps = Vec::with_capacity(parts.len() - 1);
    for m in middle {
        let hay = name.get(pos..end)?;
        let found = if m.is_empty() { Some(0) } else { hay.find(m) }?;
        caps.push(hay.get(..found)?.to_string());
        pos += found + m.len();
    }
    caps.push(name.get(pos..end)?.to_string());
    Some(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order of `sort` and of stats groups, worked out from the rule: numbers (and text
    /// that reads as one) numerically first, then text byte-wise (upper before lower case),
    /// null as empty text; a computed NaN after every number.
    #[test]
    fn sort_keys_order_numbers_before_text() {
        let s = |t: &str| Value::Str(t.to_string());
        let mut vs = vec![
            s("b"),
            Value::Num(f64::NAN),
            s("10"),
            s("B"),
            Value::Num(9.5),
            s("-3"),
            Value::Null,
            Value::Bool(true),
            s("a10"),
            Value::Multi(vec![s("a"), s("b")]),
            s("1e1"),
        ];
        vs.sort_by(compare);
        let texts: Vec<String> = vs
            .iter()
            .map(|v| match v {
                Value::Num(n) if n.is_nan() => "NaN".to_string(),
                v => v.to_text().unwrap_or_default().replace('\n', "|"),
            })
            .collect();
        // "10" and "1e1" are both ten: equal, so the stable sort keeps them in input order; a
        // multivalue reads as its values joined by newlines, and "\n" < "1".
        assert_eq!(
            texts,
            [
                "-3", "9.5", "10", "1e1", "NaN", "", "B", "True", "a|b", "a10", "b"
            ]
        );
        // Sorting by keys worked out once gives the same order as comparing each time.
        let mut again = vs.clone();
        again.reverse();
        again.sort_by_cached_key(|v| SortKey::of(v).into_owned());
        let mut direct = vs.clone();
        direct.reverse();
        direct.sort_by(compare);
        assert_eq!(format!("{again:?}"), format!("{direct:?}"));
    }

    #[test]
    fn numbers_print_like_splunk() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_number(2.56), "2.56");
        assert_eq!(format_number(f64::NAN), "nan");
        assert_eq!(format_number(1e20), "100000000000000000000");
        // integral values below 1e17 print their digits, no point, no exponent
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-0.0), "-0");
        assert_eq!(format_number(-42.0), "-42");
        assert_eq!(format_number(1_700_000_000.0), "1700000000");
        assert_eq!(format_number(99_999_999_999_999_984.0), "99999999999999984");
        assert_eq!(
            format_number(-99_999_999_999_999_984.0),
            "-99999999999999984"
        );
        assert_eq!(format_number(1e17), "100000000000000000");
    }

    #[test]
    fn text_reads_as_number_only_when_decimal() {
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number(" 42"), None);
        assert_eq!(parse_number("0x1F"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("-"), None);
        assert_eq!(parse_number("1e3"), Some(1000.0));
    }

    #[test]
    fn glob_is_whole_value_and_case_insensitive() {
        assert!(glob_match_ci("threatmanagement", "ThreatManagement"));
        assert!(!glob_match_ci("Send", "SendAs"));
        assert!(glob_match_ci("Send*", "SendAs"));
        assert!(glob_match_ci("*", ""));
        assert!(glob_match_ci("*a*b*", "xxAyyBzz"));
        assert!(!glob_match_ci("*a*b", "xxAyyBzz"));
        assert!(glob_match_ci("ÉTÉ", "été"));
        assert!(!glob_match("Send*", "send"));
        // Without a wildcard: equal ignoring case, and of the same length.
        assert!(glob_match_ci(
            "o365:management:activity",
            "O365:Management:Activity"
        ));
        assert!(!glob_match_ci("send", "sen"));
        assert!(!glob_match_ci("", "a"));
        assert!(glob_match_ci("", ""));
        // The KELVIN SIGN lower-cases to `k` (Unicode folding, not ASCII), so an ASCII
        // pattern still matches a text of another byte length.
        assert!(glob_match_ci("kb", "\u{212A}b"));
    }

    #[test]
    fn ordering_puts_numbers_first() {
        let mut v = [
            Value::str("b"),
            Value::str("10"),
            Value::Num(9.0),
            Value::str("B"),
            Value::str("a"),
        ];
        v.sort_by(compare);
        let printed: Vec<String> = v.iter().filter_map(Value::to_text).collect();
        assert_eq!(printed, ["9", "10", "B", "a", "b"]);
    }

    #[test]
    fn wildcard_captures_work() {
        assert_eq!(
            wildcard_captures("Processes.*", "Processes.dest"),
            Some(vec!["dest".to_string()])
        );
        assert_eq!(
            wildcard_captures("a*b*", "axxbyy"),
            Some(vec!["xx".into(), "yy".into()])
        );
        assert_eq!(wildcard_captures("a*", "b"), None);
        assert_eq!(wildcard_captures("abc", "abc"), Some(vec![]));
    }

    #[test]
    fn from_values_flattens() {
        assert_eq!(Value::from_values(vec![]), Value::Null);
        assert_eq!(Value::from_values(vec![Value::Num(1.0)]), Value::Num(1.0));
        assert_eq!(
            Value::from_values(vec![
                Value::Num(1.0),
                Value::Multi(vec![Value::str("a"), Value::str("b")])
            ]),
            Value::Multi(vec![Value::Num(1.0), Value::str("a"), Value::str("b")])
        );
        // nulls are dropped, with or without a multivalue to flatten; the order is kept
        assert_eq!(
            Value::from_values(vec![
                Value::Null,
                Value::str("b"),
                Value::Null,
                Value::str("a")
            ]),
            Value::Multi(vec![Value::str("b"), Value::str("a")])
        );
        assert_eq!(
            Value::from_values(vec![Value::Null, Value::str("x")]),
            Value::str("x")
        );
        assert_eq!(
            Value::from_values(vec![
                Value::Null,
                Value::Multi(vec![Value::str("a")]),
                Value::Null,
                Value::str("c")
            ]),
            Value::Multi(vec![Value::str("a"), Value::str("c")])
        );
        assert_eq!(
            Value::from_values(vec![Value::Null, Value::Null]),
            Value::Null
        );
    }
}
