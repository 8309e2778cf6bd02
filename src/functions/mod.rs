//! The eval function library (stage: plan checks names and arity, execute calls them).
//!
//! One entry per function: name, arity, summary, examples and implementation. The examples
//! run as tests (`tests/functions.rs`) and `docs/functions.md` is generated from the same
//! entries (`tripline functions --markdown`).

mod conditional;
mod text;

use crate::value::Value;
use regex::Regex;

/// What a function implementation receives.
pub struct Call<'a> {
    /// Evaluated arguments.
    pub args: &'a [Value],
    /// The compiled regex of the regex argument, when it was a literal (compiled at plan time).
    pub regex: Option<&'a Regex>,
    /// Evaluation context (search time, zone).
    pub ctx: &'a EvalCtx,
}

impl Call<'_> {
    /// Argument `i`, or null.
    pub fn arg(&self, i: usize) -> &Value {
        self.args.get(i).unwrap_or(&Value::Null)
    }
}

/// Context of one evaluation: values that are the same for the whole search.
#[derive(Clone, Debug)]
pub struct EvalCtx {
    /// `now()`: the search start time, epoch seconds.
    pub now: f64,
    /// Zone for rendering and reading zone-less times.
    pub zone: crate::time::Zone,
}

impl Default for EvalCtx {
    fn default() -> Self {
        EvalCtx {
            now: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            zone: crate::time::Zone::Utc,
        }
    }
}

/// A function implementation.
pub type Imp = fn(&Call) -> Value;

/// One library entry.
pub struct FunctionDef {
    /// Lower-case name.
    pub name: &'static str,
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments (`None`: any number).
    pub max: Option<usize>,
    /// Index of an argument that is a regular expression (compiled once when literal).
    pub regex_arg: Option<usize>,
    /// One-line summary for the docs.
    pub summary: &'static str,
    /// `(expression, expected result as JSON)`; `null` means the result is null.
    pub examples: &'static [(&'static str, &'static str)],
    /// The implementation. Special forms (`mvfilter`, `mvmap`) are evaluated by the
    /// expression evaluator and have a placeholder here.
    pub imp: Imp,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every function, sorted by name.
pub fn all() -> Vec<&'static FunctionDef> {
    let mut v: Vec<&'static FunctionDef> = conditional::FUNCTIONS
        .iter()
        .chain(text::FUNCTIONS.iter())
        .collect();
    v.sort_by_key(|f| f.name);
    v
}

/// Look a function up by (lower-case) name.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    conditional::FUNCTIONS
        .iter()
        .chain(text::FUNCTIONS.iter())
        .find(|f| f.name == name)
}

/// Names of functions that Splunk has but tripline does not run yet (so `check` can say
/// "unsupported" rather than "unknown").
pub const KNOWN_UNSUPPORTED: &[&str] = &[
    "abs",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bit_and",
    "bit_or",
    "bit_not",
    "bit_xor",
    "bit_shift_left",
    "bit_shift_right",
    "ceil",
    "ceiling",
    "cidrmatch",
    "commands",
    "cos",
    "cosh",
    "exact",
    "exp",
    "floor",
    "hypot",
    "ipmask",
    "isbool",
    "isint",
    "ismv",
    "isnum",
    "isstr",
    "json_array",
    "json_array_to_mv",
    "json_extract",
    "json_extract_exact",
    "json_keys",
    "json_object",
    "json_set",
    "json_valid",
    "len",
    "like",
    "ln",
    "log",
    "lookup",
    "ltrim",
    "match",
    "max",
    "md5",
    "min",
    "mv_to_json_array",
    "mvappend",
    "mvcount",
    "mvdedup",
    "mvfilter",
    "mvfind",
    "mvindex",
    "mvjoin",
    "mvmap",
    "mvrange",
    "mvsort",
    "mvzip",
    "mvreverse",
    "now",
    "nullif",
    "pi",
    "pow",
    "printf",
    "random",
    "relative_time",
    "replace",
    "round",
    "rtrim",
    "searchmatch",
    "sha1",
    "sha256",
    "sha512",
    "sigfig",
    "sin",
    "sinh",
    "spath",
    "split",
    "sqrt",
    "strftime",
    "strptime",
    "substr",
    "sum",
    "avg",
    "tan",
    "tanh",
    "time",
    "tonumber",
    "tostring",
    "trim",
    "typeof",
    "urldecode",
    "validate",
    "in",
    "isnotnull",
    "cluster",
    "tojson",
    "toarray",
    "tobool",
    "toobject",
    "mvsplit",
    "ltrim",
    "false",
];

/// Suggest a known function close to `name` (edit distance ≤ 2).
pub fn suggest(name: &str) -> Option<&'static str> {
    all()
        .into_iter()
        .map(|f| (distance(name, f.name), f.name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// Apply `f` to every value of a (possibly multivalue) argument; null stays null.
pub fn per_value(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => Value::from_values(vs.iter().map(f).collect()),
        other => f(other),
    }
}

/// The single text of an argument: null for null and for multivalue fields (functions that
/// do not take multivalue input return null for it).
pub fn single_text(v: &Value) -> Option<String> {
    match v {
        Value::Null | Value::Multi(_) => None,
        other => other.to_text(),
    }
}
