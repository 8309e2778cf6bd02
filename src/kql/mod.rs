//! KQL (Kibana Query Language) rules (stages: parse → plan).
//!
//! A KQL query is parsed with Kibana's grammar ([`parse`]) and compiled ([`compile`]) against
//! the index mapping ([`FieldTypes`]: bundled ECS 9.5 + the detection-rules non-ECS table +
//! overrides) into one [`Matcher`](crate::plan::search::Matcher) that reproduces what
//! Elasticsearch answers for the Query DSL Kibana generates. The result is an ordinary scan
//! plan, so `explain`, `run` and `test` treat KQL rules like SPL ones.

pub mod analyzer;
pub mod ast;
mod eval;
mod parser;
mod schema;
pub mod values;

pub use analyzer::Analyzer;
pub use ast::Ast;
pub use eval::KqlMatcher;
pub use schema::{FieldSpec, FieldType, FieldTypes};

use crate::diag::Diag;
use crate::plan::search::Pred;
use crate::plan::{Plan, Source};
use std::sync::Arc;

/// Parse a KQL query into its syntax tree (an empty query is [`Ast::MatchAll`]).
pub fn parse(text: &str) -> Result<Ast, Diag> {
    parser::parse(text)
}

/// Parse and compile; `Ok((plan, warnings))` or `Err(errors, never empty)`. The plan is a
/// Scan of `Pred::Custom`.
///
/// Errors are syntax errors (`Kind::Parse`) and the queries Elasticsearch itself rejects
/// (`Kind::Invalid`, e.g. `pid:abc` on a long field). Warnings list fields whose type is
/// unknown (they get keyword semantics).
pub fn compile(text: &str, types: &FieldTypes) -> Result<(Plan, Vec<Diag>), Vec<Diag>> {
    let ast = parse(text).map_err(|e| vec![e])?;
    let (matcher, warnings) = eval::compile(&ast, text, types)?;
    let plan = Plan {
        source: Source::Scan(Pred::Custom(Arc::new(matcher))),
        steps: Vec::new(),
    };
    Ok((plan, warnings))
}
