//! Rules: security_content detection YAML, and compiling a query into a plan (stage: load,
//! then expand → parse → plan).

pub mod lint;
pub mod load;
pub mod risk;

use crate::diag::{Diag, Kind, Span};
use crate::plan::{self, Plan};
use crate::syntax::macros::{self, MacroSet};
use crate::syntax::parse_query;
use indexmap::IndexMap;
use serde::Deserialize;
use std::path::PathBuf;

/// A detection rule. Known keys are typed loosely (so every real security_content detection
/// loads); unknown keys are kept in `extra`.
#[derive(Clone, Debug, Deserialize)]
pub struct Rule {
    /// Rule name.
    #[serde(default)]
    pub name: Option<String>,
    /// Rule id (a UUID in security_content).
    #[serde(default)]
    pub id: Option<serde_yaml::Value>,
    /// The query text.
    #[serde(default)]
    pub search: Option<String>,
    /// `spl` (default), or `kql`/`kuery`.
    #[serde(default)]
    pub language: Option<String>,
    /// Tags (analytic_story, mitre_attack_id, risk_score, …).
    #[serde(default)]
    pub tags: Option<serde_yaml::Value>,
    /// Risk-based alerting block.
    #[serde(default)]
    pub rba: Option<serde_yaml::Value>,
    /// Tests.
    #[serde(default)]
    pub tests: Option<serde_yaml::Value>,
    /// Every other key, as written.
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_yaml::Value>,
    /// The file it came from.
    #[serde(skip)]
    pub file: PathBuf,
    /// Line and column (1-based) where the search text starts in the file, and whether it is
    /// a block scalar (text starts on the next line).
    #[serde(skip)]
    pub search_line: Option<(usize, usize, bool)>,
}

impl Rule {
    /// The rule's display name (its file name when it has none).
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.file.display().to_string())
    }

    /// Line and column in the rule file of a byte offset into the search text.
    pub fn file_position(&self, offset: usize) -> (usize, usize) {
        let text = self.search.as_deref().unwrap_or_default();
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line_in = before.matches('\n').count();
        let col_in = before.len() - before.rfind('\n').map_or(0, |i| i + 1);
        match self.search_line {
            Some((line, col, false)) if line_in == 0 => (line, col + col_in),
            Some((line, _, false)) => (line + line_in, col_in + 1),
            Some((line, _, true)) => (line + 1 + line_in, col_in + 1),
            None => (line_in + 1, col_in + 1),
        }
    }
}

/// A query after expansion, parsing and planning.
#[derive(Debug)]
pub struct Compiled {
    /// The expanded text.
    pub expanded: String,
    /// The plan.
    pub plan: Plan,
    /// Warnings found on the way (e.g. KQL fields without a known type).
    pub warnings: Vec<Diag>,
    /// The results are documents (a KQL rule): printed as the documents themselves.
    pub documents: bool,
}

impl Rule {
    /// The rule's search is KQL (`language: kql` or `kuery`).
    pub fn is_kql(&self) -> bool {
        self.language
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case("kql") || l.eq_ignore_ascii_case("kuery"))
    }

    /// Index patterns the rule reads (`index:` list of an Elastic rule).
    pub fn index_patterns(&self) -> Vec<String> {
        match self.extra.get("index") {
            Some(serde_yaml::Value::Sequence(s)) => s
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_yaml::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

/// Events whose index matches one of the patterns (events without an index always pass).
#[derive(Debug)]
struct IndexFilter(Vec<String>);

impl crate::plan::search::Matcher for IndexFilter {
    fn matches(&self, rec: &crate::record::Record) -> bool {
        match rec.event.as_ref().and_then(|e| e.meta.index.as_deref()) {
            None => true,
            Some(ix) => self.0.iter().any(|p| crate::value::glob_match(p, ix)),
        }
    }
    fn show(&self) -> String {
        format!("index in ({})", self.0.join(", "))
    }
}

/// `_time` from another field (an Elastic rule's `timestamp_override`).
#[derive(Debug)]
struct SetTime(crate::record::FieldRef);

impl crate::plan::Step for SetTime {
    fn describe(&self) -> String {
        format!("_time from {}", self.0.name())
    }
    fn start(
        &self,
        _ctx: &crate::exec::ExecCtx,
    ) -> Result<Box<dyn crate::plan::Operator + '_>, Diag> {
        Ok(Box::new(self))
    }
}

impl crate::plan::Operator for &SetTime {
    fn push(
        &mut self,
        mut batch: Vec<crate::record::Record>,
        ctx: &crate::exec::ExecCtx,
    ) -> Result<Vec<crate::record::Record>, Diag> {
        for r in &mut batch {
            let v = r.get(&self.0);
            let t = match v.values().first() {
                Some(crate::value::Value::Num(n)) => Some(*n),
                Some(other) => other
                    .to_text()
                    .and_then(|t| crate::time::parse_timestamp(&t, &ctx.eval.zone)),
                None => None,
            };
            if let Some(t) = t {
                r.set("_time", crate::value::Value::Num(t));
            }
        }
        Ok(batch)
    }
}

/// Compile a rule's search: SPL (with macros) or KQL (with field types). KQL rules read only
/// events of their index patterns and take `_time` from `timestamp_override` when set.
pub fn compile_rule(
    rule: &Rule,
    macros: &MacroSet,
    types: &crate::kql::FieldTypes,
    env: &plan::Env,
) -> Result<Compiled, Vec<Diag>> {
    let search = rule.search.as_deref().unwrap_or_default();
    if !rule.is_kql() {
        return compile_all_in(search, macros, env);
    }
    let mut types = types.clone();
    if let Some(v) = rule.extra.get("field_types") {
        for (f, spec) in load::field_types_value(v.clone(), &rule.file.display().to_string())
            .map_err(|d| vec![d])?
        {
            types.set(&f, spec);
        }
    }
    let (mut plan, warnings) = crate::kql::compile(search, &types)?;
    let patterns = rule.index_patterns();
    if !patterns.is_empty()
        && let plan::Source::Scan(p) = plan.source
    {
        plan.source = plan::Source::Scan(plan::search::Pred::And(vec![
            plan::search::Pred::Custom(std::sync::Arc::new(IndexFilter(patterns))),
            p,
        ]));
    }
    if let Some(field) = rule
        .extra
        .get("timestamp_override")
        .and_then(|v| v.as_str())
    {
        plan.steps
            .insert(0, Box::new(SetTime(crate::record::FieldRef::new(field))));
    }
    Ok(Compiled {
        expanded: search.to_string(),
        plan,
        warnings,
        documents: true,
    })
}

/// Expand, parse and plan an SPL query, without lookup tables. Diagnostic spans point into
/// `query` (into the macro reference when the problem lies in a macro's expansion, whose text
/// is then quoted in the message).
pub fn compile(query: &str, macros: &MacroSet) -> Result<Compiled, Diag> {
    compile_in(query, macros, &plan::Env::default())
}

/// Like [`compile`], with the lookups (and other run-wide inputs) of `env`.
pub fn compile_in(query: &str, macros: &MacroSet, env: &plan::Env) -> Result<Compiled, Diag> {
    compile_all_in(query, macros, env).map_err(|mut all| all.remove(0))
}

/// Like [`compile`], but reports a problem for every command that has one (the `Err` vector
/// is never empty).
pub fn compile_all(query: &str, macros: &MacroSet) -> Result<Compiled, Vec<Diag>> {
    compile_all_in(query, macros, &plan::Env::default())
}

/// Like [`compile_all`], with the lookups (and other run-wide inputs) of `env`.
pub fn compile_all_in(
    query: &str,
    macros: &MacroSet,
    env: &plan::Env,
) -> Result<Compiled, Vec<Diag>> {
    let expanded = macros::expand(query, macros).map_err(|e| {
        let mut d = crate::diag::from_diagnostic(&e, Kind::Invalid);
        if d.code.starts_with("tripline::parse::") {
            d.kind = Kind::Parse;
        }
        vec![d]
    })?;
    let text = expanded.text.clone();
    let map_back = |mut d: Diag| {
        if let Some(s) = d.span {
            let (a, b) = expanded.map.query_span(s.start, s.end);
            let in_macro = (a, b) != (s.start, s.end)
                || !matches!(expanded.map.origin(s.start), macros::Origin::Query { .. });
            if in_macro {
                let snippet = text.get(s.start..s.end).unwrap_or_default();
                d.label = Some(format!(
                    "in the expansion of this macro{}",
                    if snippet.is_empty() {
                        String::new()
                    } else {
                        format!(", at `{snippet}`")
                    }
                ));
            }
            d.span = Some(Span::new(a, b));
        }
        d
    };
    let ast = parse_query(&text).map_err(|d| vec![map_back(d)])?;
    let plan = plan::lower_all(&ast, &text, env)
        .map_err(|all| all.into_iter().map(map_back).collect::<Vec<_>>())?;
    Ok(Compiled {
        expanded: text,
        plan,
        warnings: Vec::new(),
        documents: false,
    })
}
