//! The eval function library (stage: plan checks names and arity, execute calls them).
//!
//! One entry per function: name, arity, summary, examples and implementation. The examples
//! run as tests (`tests` below) and `docs/functions.md` is generated from the same
//! entries (`tripline functions --markdown`).

mod conditional;
pub(crate) use conditional::{choose_case, choose_coalesce, choose_if};
mod convert;
mod crypto;
mod info;
mod math;
mod multivalue;
mod predicates;
mod text;
mod timefn;

pub use text::change_case;

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

/// The function families: one registry line per family file.
static FAMILIES: &[&[FunctionDef]] = &[
    conditional::FUNCTIONS,
    text::FUNCTIONS,
    predicates::FUNCTIONS,
    multivalue::FUNCTIONS,
    math::FUNCTIONS,
    convert::FUNCTIONS,
    info::FUNCTIONS,
    timefn::FUNCTIONS,
    crypto::FUNCTIONS,
];

/// Every function, sorted by name.
pub fn all() -> Vec<&'static FunctionDef> {
    let mut v: Vec<&'static FunctionDef> = FAMILIES.iter().flat_map(|f| f.iter()).collect();
    v.sort_by_key(|f| f.name);
    v
}

/// Look a function up by (lower-case) name.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    FAMILIES
        .iter()
        .flat_map(|f| f.iter())
        .find(|f| f.name == name)
}

/// `docs/functions.md`, generated from the entries (`tripline functions`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Eval functions\n\nGenerated from the function library (`src/functions/`) by `tripline functions`;\n\
         every example below runs as a test. Functions not listed here are reported by\n\
         `tripline check` as unsupported (Splunk functions) or unknown.\n\n\
         | function | arguments | summary |\n|---|---|---|\n",
    );
    for f in all() {
        let arity = match f.max {
            Some(m) if m == f.min => format!("{m}"),
            Some(m) => format!("{}–{m}", f.min),
            None => format!("{}+", f.min),
        };
        out.push_str(&format!(
            "| `{}` | {arity} | {} |\n",
            f.name,
            f.summary.replace('|', "\\|")
        ));
    }
    out.push_str("\n## Examples\n\n");
    for f in all() {
        out.push_str(&format!("### `{}`\n\n", f.name));
        for (e, want) in f.examples {
            out.push_str(&format!("- `{e}` → `{want}`\n"));
        }
        out.push('\n');
    }
    out
}

/// Names of functions that Splunk has but tripline does not run yet (so `check` can say
/// "unsupported" rather than "unknown").
pub const KNOWN_UNSUPPORTED: &[&str] = &[
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
    "commands",
    "cos",
    "cosh",
    "exact",
    "hypot",
    "ipmask",
    "json_array",
    "json_array_to_mv",
    "json_extract",
    "json_extract_exact",
    "json_keys",
    "json_object",
    "json_set",
    "json_valid",
    "lookup",
    "mv_to_json_array",
    "searchmatch",
    "sigfig",
    "sin",
    "sinh",
    "spath",
    "tan",
    "tanh",
    "cluster",
    "tojson",
    "toarray",
    "tobool",
    "toobject",
    "mvsplit",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;

    /// JSON equality with numbers compared numerically (`2` equals `2.0`).
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (a, b) {
            (J::Number(x), J::Number(y)) => match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p == q || (p - q).abs() <= 1e-9 * p.abs().max(q.abs()),
                _ => false,
            },
            (J::Array(x), J::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            _ => a == b,
        }
    }

    #[test]
    fn every_example_evaluates_to_its_documented_result() {
        let ctx = EvalCtx {
            now: 1_700_000_000.0,
            zone: crate::time::Zone::Utc,
        };
        let rec = Record::default();
        let mut failures = Vec::new();
        for def in all() {
            for (expr, want) in def.examples {
                let got = crate::syntax::parse_expr(expr, 0)
                    .map_err(|e| format!("parse: {e:?}"))
                    .and_then(|e| {
                        crate::plan::expr::compile(&e).map_err(|e| format!("compile: {e:?}"))
                    })
                    .map(|c| {
                        c.eval(&rec, &ctx)
                            .to_json()
                            .unwrap_or(serde_json::Value::Null)
                    });
                let want_json: serde_json::Value =
                    serde_json::from_str(want).unwrap_or(serde_json::Value::Null);
                match got {
                    Ok(v) if same(&v, &want_json) => {}
                    Ok(v) => failures.push(format!("{}: {expr} = {v}, expected {want}", def.name)),
                    Err(e) => failures.push(format!("{}: {expr}: {e}", def.name)),
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_entry_has_two_examples_and_none_is_listed_as_unsupported() {
        for def in all() {
            assert!(
                def.examples.len() >= 2,
                "{} has fewer than two examples",
                def.name
            );
            assert!(!KNOWN_UNSUPPORTED.contains(&def.name), "{}", def.name);
        }
        let names: Vec<&str> = all().iter().map(|f| f.name).collect();
        let mut dedup = names.clone();
        dedup.dedup();
        assert_eq!(names, dedup, "duplicate function names");
    }
}
