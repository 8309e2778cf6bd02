//! KQL syntax tree → compiled matcher (stage: plan), and its evaluation over documents
//! (stage: execute).
//!
//! Each leaf becomes the test Elasticsearch would run for the query Kibana generates on that
//! field's type (term / wildcard / query_string / match / match_phrase / range / exists), and
//! is true when **any** indexed value of the field passes. `and`/`or`/`not` are evaluated per
//! document, so `not f:v` includes documents without `f`.

use super::analyzer::Analyzer;
use super::ast::{Ast, Literal, Piece, RangeOp, Values};
use super::schema::{FieldSpec, FieldType, FieldTypes};
use super::values::{
    DateSpan, json_date, json_ip, json_number, parse_date_math, parse_ip, parse_ip_or_cidr,
    parse_number,
};
use crate::diag::{Diag, Kind, Span};
use crate::plan::search::Matcher;
use crate::record::Record;
use regex::Regex;
use serde_json::Value as Json;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

/// ECS keyword fields' `ignore_above`: longer values are not indexed, so never match.
const IGNORE_ABOVE: usize = 1024;

/// A compiled KQL query.
#[derive(Debug)]
pub struct KqlMatcher {
    node: Node,
    text: String,
}

impl Matcher for KqlMatcher {
    fn matches(&self, rec: &Record) -> bool {
        match &rec.event {
            Some(e) => self.node.eval(&e.doc.to_json(), &Ctx::default()),
            None => self
                .node
                .eval(&Json::Object(serde_json::Map::new()), &Ctx::default()),
        }
    }
    fn show(&self) -> String {
        format!("kql {}", self.node.show())
    }
    fn literals(&self) -> Vec<Vec<String>> {
        self.node.literals()
    }
}

impl KqlMatcher {
    /// The query text this was compiled from.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A compiled query node.
#[derive(Debug)]
enum Node {
    All,
    None,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// A nested query: some object at `path` (relative to the scope) satisfies `inner`.
    Nested {
        path: String,
        inner: Box<Node>,
    },
    /// A test on one known field; `read` is where its values are (relative to the scope).
    Field {
        name: String,
        read: String,
        test: Test,
    },
    /// A field-name pattern or free text: fields are found in the document and typed at run
    /// time; errors on individual fields are skipped.
    Dynamic(Box<Dynamic>),
}

#[derive(Debug)]
struct Dynamic {
    /// Field-name pattern over full names; `None` = every field (free text).
    pattern: Option<Regex>,
    /// The pattern as written.
    shown: String,
    /// Full name of the current nested scope ("" at top level).
    prefix: String,
    query: LeafQuery,
    types: Arc<FieldTypes>,
    now_ms: i64,
}

#[derive(Debug, Clone)]
enum LeafQuery {
    Is(Literal),
    /// Free text: like `Is`, but over every field, leniently.
    Free(Literal),
    Range(RangeOp, Literal),
}

/// Per-document evaluation state: analysed tokens of each value, so a text field tested by
/// several clauses (the shipped rule tests one script block seven times) is analysed once
/// per analyzer.
/// (address of the value, analyzer name).
type TokenKey = (usize, String);

#[derive(Default)]
struct Ctx {
    tokens: RefCell<HashMap<TokenKey, Rc<Vec<String>>>>,
}

impl Ctx {
    fn tokens(&self, v: &Json, a: &Analyzer, text: &str) -> Rc<Vec<String>> {
        // The document outlives the evaluation, so the value's address identifies it.
        let key = (std::ptr::from_ref(v) as usize, a.name());
        if let Some(t) = self.tokens.borrow().get(&key) {
            return t.clone();
        }
        let toks = Rc::new(a.tokens(text));
        self.tokens.borrow_mut().insert(key, toks.clone());
        toks
    }
}

/// What one leaf checks on each value of its field.
#[derive(Debug)]
enum Test {
    /// Any non-null value (exists).
    Exists,
    /// Never true (no tokens, wrong field kind, fraction on an integer field).
    Never,
    /// Any of these.
    Any(Vec<Test>),
    /// Whole-value equality (keyword-like).
    KwEq(String, Option<usize>),
    /// Whole-value wildcard (keyword-like).
    KwPattern(Regex, Option<usize>),
    /// Byte-wise string range (keyword-like).
    KwRange(RangeOp, String, Option<usize>),
    /// match: any token present.
    TextAny(Analyzer, Vec<String>),
    /// match_phrase: tokens at consecutive positions, within one value.
    TextPhrase(Analyzer, Vec<String>),
    /// query_string wildcard: the (normalised) pattern against each token.
    TextPattern(Analyzer, Regex),
    /// Range over individual tokens.
    TextRange(Analyzer, RangeOp, String),
    /// Numeric equality (`f32` rounding for float / half_float fields).
    NumEq(f64, NumKind),
    /// Numeric range.
    NumRange(RangeOp, f64, NumKind),
    /// Boolean equality.
    Bool(bool),
    /// Boolean range (false < true).
    BoolRange(RangeOp, bool),
    /// Millisecond interval, both ends inclusive.
    Date(i64, i64),
    /// Address interval, both ends inclusive (an address or CIDR block).
    Ip(u128, u128),
    /// Address range.
    IpRange(RangeOp, u128),
}

#[derive(Debug, Clone, Copy)]
enum NumKind {
    Integer,
    Float32,
    Float64,
}

impl NumKind {
    fn of(ty: &FieldType) -> NumKind {
        if ty.is_integer() {
            NumKind::Integer
        } else if matches!(ty, FieldType::Float | FieldType::HalfFloat) {
            NumKind::Float32
        } else {
            NumKind::Float64
        }
    }
    /// The value as the field indexes it.
    fn index(self, f: f64) -> f64 {
        match self {
            NumKind::Integer => f.trunc(),
            NumKind::Float32 => f64::from(f as f32),
            NumKind::Float64 => f,
        }
    }
}

/// Collect the values at `path` below `v`: dotted keys and nested objects are the same field
/// (any mix), and arrays are transparent at every level. Nulls are kept (tests skip them).
fn values_at<'a>(v: &'a Json, path: &str, out: &mut Vec<&'a Json>) {
    match v {
        Json::Array(items) => {
            for item in items {
                values_at(item, path, out);
            }
        }
        Json::Object(map) if !path.is_empty() => {
            for (k, child) in map {
                if k.is_empty() {
                    continue;
                }
                if path == k {
                    values_at(child, "", out);
                } else if let Some(rest) = path
                    .strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                {
                    values_at(child, rest, out);
                }
            }
        }
        _ if path.is_empty() => out.push(v),
        _ => {}
    }
}

/// Every leaf field path under `v` (dotted, deduplicated).
fn leaf_paths(v: &Json, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Json::Array(items) => {
            for item in items {
                leaf_paths(item, prefix, out);
            }
        }
        Json::Object(map) => {
            for (k, child) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(child, &name, out);
            }
        }
        _ => {
            if !prefix.is_empty() {
                out.insert(prefix.to_string());
            }
        }
    }
}

/// A non-null value; an object counts when any value inside it does (exists on an object
/// field is exists on its sub-fields).
fn has_value(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Array(a) => a.iter().any(has_value),
        Json::Object(m) => m.values().any(has_value),
        _ => true,
    }
}

/// A scalar as the text a keyword / text field indexes.
fn as_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn cmp_ok<T: PartialOrd>(op: RangeOp, v: &T, bound: &T) -> bool {
    match op {
        RangeOp::Lt => v < bound,
        RangeOp::Lte => v <= bound,
        RangeOp::Gt => v > bound,
        RangeOp::Gte => v >= bound,
    }
}

fn kw_ok(s: &str, limit: Option<usize>) -> bool {
    limit.is_none_or(|l| s.chars().count() <= l)
}

impl Test {
    fn check(&self, v: &Json, ctx: &Ctx) -> bool {
        if v.is_null() {
            return false;
        }
        match self {
            Test::Exists => has_value(v),
            Test::Never => false,
            Test::Any(ts) => ts.iter().any(|t| t.check(v, ctx)),
            Test::KwEq(want, lim) => as_text(v).is_some_and(|s| kw_ok(&s, *lim) && s == *want),
            Test::KwPattern(re, lim) => {
                as_text(v).is_some_and(|s| kw_ok(&s, *lim) && re.is_match(&s))
            }
            Test::KwRange(op, bound, lim) => as_text(v)
                .is_some_and(|s| kw_ok(&s, *lim) && cmp_ok(*op, &s.as_str(), &bound.as_str())),
            Test::TextAny(a, want) => {
                as_text(v).is_some_and(|s| ctx.tokens(v, a, &s).iter().any(|t| want.contains(t)))
            }
            Test::TextPhrase(a, want) => as_text(v).is_some_and(|s| {
                let toks = ctx.tokens(v, a, &s);
                !want.is_empty() && toks.windows(want.len()).any(|w| w == want.as_slice())
            }),
            Test::TextPattern(a, re) => {
                as_text(v).is_some_and(|s| ctx.tokens(v, a, &s).iter().any(|t| re.is_match(t)))
            }
            Test::TextRange(a, op, bound) => as_text(v).is_some_and(|s| {
                ctx.tokens(v, a, &s)
                    .iter()
                    .any(|t| cmp_ok(*op, &t.as_str(), &bound.as_str()))
            }),
            Test::NumEq(want, kind) => json_number(v).is_some_and(|n| kind.index(n) == *want),
            Test::NumRange(op, bound, kind) => {
                json_number(v).is_some_and(|n| cmp_ok(*op, &kind.index(n), bound))
            }
            Test::Bool(want) => json_bool(v) == Some(*want),
            Test::BoolRange(op, bound) => json_bool(v).is_some_and(|b| cmp_ok(*op, &b, bound)),
            Test::Date(lo, hi) => json_date(v).is_some_and(|d| *lo <= d && d <= *hi),
            Test::Ip(lo, hi) => json_ip(v).is_some_and(|ip| *lo <= ip && ip <= *hi),
            Test::IpRange(op, bound) => json_ip(v).is_some_and(|ip| cmp_ok(*op, &ip, bound)),
        }
    }

    fn show(&self) -> String {
        match self {
            Test::Exists => "exists".into(),
            Test::Never => "never".into(),
            Test::Any(ts) => {
                let parts: Vec<String> = ts.iter().map(Test::show).collect();
                format!("any({})", parts.join(", "))
            }
            Test::KwEq(s, _) => format!("term {s:?}"),
            Test::KwPattern(re, _) => format!("wildcard {}", show_wildcard(re)),
            Test::KwRange(op, s, _) => format!("{} {s:?}", op.as_str()),
            Test::TextAny(a, t) => format!("match[{}] any of {t:?}", a.name()),
            Test::TextPhrase(a, t) => format!("match_phrase[{}] {t:?}", a.name()),
            Test::TextPattern(a, re) => {
                format!("token wildcard[{}] {}", a.name(), show_wildcard(re))
            }
            Test::TextRange(a, op, s) => format!("token[{}] {} {s:?}", a.name(), op.as_str()),
            Test::NumEq(n, _) => format!("== {n}"),
            Test::NumRange(op, n, _) => format!("{} {n}", op.as_str()),
            Test::Bool(b) => format!("== {b}"),
            Test::BoolRange(op, b) => format!("{} {b}", op.as_str()),
            Test::Date(lo, hi) => format!("date in [{lo}, {hi}] ms"),
            Test::Ip(lo, hi) if lo == hi => format!("ip == {}", show_ip(*lo)),
            Test::Ip(lo, hi) => format!("ip in [{}, {}]", show_ip(*lo), show_ip(*hi)),
            Test::IpRange(op, b) => format!("ip {} {}", op.as_str(), show_ip(*b)),
        }
    }
}

/// A wildcard regex (from [`wildcard_regex`]) written back as a KQL pattern: `*` is the
/// wildcard, a literal star is `\*`.
fn show_wildcard(re: &Regex) -> String {
    let body = re.as_str();
    let body = body
        .strip_prefix("(?s)^")
        .and_then(|b| b.strip_suffix('$'))
        .unwrap_or(body);
    let mut out = String::from("\"");
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('*') => out.push_str("\\*"),
                Some(n) => out.push(n),
                None => {}
            },
            '.' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push('*');
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn show_ip(bits: u128) -> String {
    let v6 = std::net::Ipv6Addr::from(bits);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    }
}

fn json_bool(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s == "true" => Some(true),
        // Elasticsearch indexes an empty string as false on boolean fields.
        Json::String(s) if s == "false" || s.is_empty() => Some(false),
        _ => None,
    }
}

impl Node {
    /// Prefilter clauses: literals every matching document's raw text contains, ignoring
    /// ASCII case. A keyword term's value and a text query's tokens qualify (tokens are
    /// pieces of the lower-cased value, and keyword values are whole values); negations,
    /// patterns, ranges, numbers, dates, ips and dynamic field names give nothing.
    fn literals(&self) -> Vec<Vec<String>> {
        use crate::plan::prefilter::usable;
        match self {
            Node::And(ns) => ns.iter().flat_map(Node::literals).collect(),
            Node::Or(ns) => {
                let mut union = Vec::new();
                for n in ns {
                    match n.literals().into_iter().next() {
                        Some(c) => union.extend(c),
                        None => return Vec::new(),
                    }
                }
                union.sort();
                union.dedup();
                if union.is_empty() {
                    Vec::new()
                } else {
                    vec![union]
                }
            }
            Node::Nested { inner, .. } => inner.literals(),
            Node::Field { test, .. } => match test {
                Test::KwEq(v, _) if usable(v) => vec![vec![v.to_ascii_lowercase()]],
                Test::TextAny(_, toks) if !toks.is_empty() && toks.iter().all(|t| usable(t)) => {
                    vec![toks.iter().map(|t| t.to_ascii_lowercase()).collect()]
                }
                Test::TextPhrase(_, toks) => toks
                    .iter()
                    .filter(|t| usable(t))
                    .map(|t| vec![t.to_ascii_lowercase()])
                    .collect(),
                _ => Vec::new(),
            },
            Node::All | Node::None | Node::Not(_) | Node::Dynamic(_) => Vec::new(),
        }
    }

    fn eval(&self, scope: &Json, ctx: &Ctx) -> bool {
        match self {
            Node::All => true,
            Node::None => false,
            Node::And(ns) => ns.iter().all(|n| n.eval(scope, ctx)),
            Node::Or(ns) => ns.iter().any(|n| n.eval(scope, ctx)),
            Node::Not(n) => !n.eval(scope, ctx),
            Node::Nested { path, inner } => {
                let mut objs = Vec::new();
                values_at(scope, path, &mut objs);
                objs.iter()
                    .any(|o| matches!(o, Json::Object(_)) && inner.eval(o, ctx))
            }
            Node::Field { read, test, .. } => {
                let mut vals = Vec::new();
                values_at(scope, read, &mut vals);
                vals.iter().any(|v| test.check(v, ctx))
            }
            Node::Dynamic(d) => d.eval(scope, ctx),
        }
    }

    fn show(&self) -> String {
        match self {
            Node::All => "match_all".into(),
            Node::None => "match_none".into(),
            Node::And(ns) => {
                let parts: Vec<String> = ns.iter().map(Node::show).collect();
                format!("({})", parts.join(" and "))
            }
            Node::Or(ns) => {
                let parts: Vec<String> = ns.iter().map(Node::show).collect();
                format!("({})", parts.join(" or "))
            }
            Node::Not(n) => format!("not {}", n.show()),
            Node::Nested { path, inner } => format!("{path}:{{ {} }}", inner.show()),
            Node::Field { name, test, .. } => format!("{name}: {}", test.show()),
            Node::Dynamic(d) => match &d.query {
                LeafQuery::Is(l) => format!("{}: {}", d.shown, l.show()),
                LeafQuery::Free(l) => format!("<any field>: {}", l.show()),
                LeafQuery::Range(op, l) => format!("{} {} {}", d.shown, op.as_str(), l.show()),
            },
        }
    }
}

impl Dynamic {
    fn eval(&self, scope: &Json, ctx: &Ctx) -> bool {
        let mut paths = BTreeSet::new();
        leaf_paths(scope, "", &mut paths);
        let mut candidates: Vec<(String, String)> = Vec::new(); // (full name, read path)
        for p in &paths {
            let full = join(&self.prefix, p);
            for child in self.types.multi_children(&full) {
                let read = p.clone();
                candidates.push((child.to_string(), read));
            }
            candidates.push((full, p.clone()));
        }
        candidates.into_iter().any(|(full, read)| {
            if let Some(re) = &self.pattern
                && !re.is_match(&full)
            {
                return false;
            }
            let spec = self
                .types
                .get(&full)
                .cloned()
                .unwrap_or_else(|| FieldSpec::new(FieldType::Keyword));
            // Kibana wraps a wildcard field name's nested sub-fields in a nested query
            // (is.ts `wrapWithNestedQuery`), so they are searched; free text's multi_match
            // does not reach nested documents.
            if matches!(spec.ty, FieldType::Nested)
                || (self.pattern.is_none() && under_nested(&self.types, &full, &self.prefix))
            {
                return false;
            }
            let test = match &self.query {
                LeafQuery::Free(l) if l.is_wildcard() && keyword_like(&spec.ty) => {
                    // Free-text wildcards are a query_string, which splits on whitespace
                    // on every field type (only `field:` wildcards on keyword avoid it).
                    let as_wildcard = FieldSpec::new(FieldType::Wildcard);
                    is_test(&as_wildcard, l, self.now_ms)
                }
                LeafQuery::Is(l) | LeafQuery::Free(l) => is_test(&spec, l, self.now_ms),
                LeafQuery::Range(op, l) => range_test(&spec, *op, l, self.now_ms),
            };
            let Ok(test) = test else {
                // Lenient: a value this field's type cannot take is skipped.
                return false;
            };
            let mut vals = Vec::new();
            values_at(scope, &read, &mut vals);
            vals.iter().any(|v| test.check(v, ctx))
        })
    }
}

fn keyword_like(ty: &FieldType) -> bool {
    matches!(
        ty,
        FieldType::Keyword | FieldType::ConstantKeyword | FieldType::Other(_)
    )
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// True when `full` lies inside a nested object that the current scope is not inside:
/// Elasticsearch keeps nested objects in hidden documents, so a plain query never sees them.
fn under_nested(types: &FieldTypes, full: &str, scope: &str) -> bool {
    let mut at = 0;
    while let Some(i) = full.get(at..).and_then(|r| r.find('.')) {
        let prefix = full.get(..at + i).unwrap_or("");
        at += i + 1;
        if prefix.len() <= scope.len() {
            continue;
        }
        if types.get(prefix).is_some_and(|s| s.ty == FieldType::Nested) {
            return true;
        }
    }
    false
}

/// The regex for a wildcard literal: `*` is any run of characters (newlines included), all
/// else literal; anchored. `lower` normalises the literal parts.
fn wildcard_regex(pieces: &[Piece], lower: Option<&Analyzer>) -> Result<Regex, Diag> {
    let mut re = String::from("(?s)^");
    for p in pieces {
        match p {
            Piece::Star => re.push_str(".*"),
            Piece::Text(t) => {
                let t = match lower {
                    Some(a) => a.normalize(t),
                    None => t.clone(),
                };
                re.push_str(&regex::escape(&t));
            }
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| {
        Diag::error(
            Kind::Invalid,
            "tripline::kql::wildcard",
            format!("wildcard pattern is too large: {e}"),
        )
    })
}

/// query_string splits a wildcard value on whitespace into OR-ed terms (kibana#23001).
fn split_on_whitespace(pieces: &[Piece]) -> Vec<Vec<Piece>> {
    let mut groups: Vec<Vec<Piece>> = vec![Vec::new()];
    for p in pieces {
        match p {
            Piece::Star => {
                if let Some(g) = groups.last_mut() {
                    g.push(Piece::Star);
                }
            }
            Piece::Text(t) => {
                let mut first = true;
                for part in t.split(char::is_whitespace) {
                    if !first {
                        groups.push(Vec::new());
                    }
                    first = false;
                    if !part.is_empty()
                        && let Some(g) = groups.last_mut()
                    {
                        g.push(Piece::Text(part.to_string()));
                    }
                }
            }
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

fn query_error(code: &'static str, message: String, span: Span) -> Diag {
    Diag::error(Kind::Invalid, code, message).at(span).help(
        "Elasticsearch rejects this query for the field's type; fix the value or the field type",
    )
}

/// The test for `field:value` on a field with `spec` (Kibana's `is` function + the query
/// Elasticsearch runs for that type).
fn is_test(spec: &FieldSpec, lit: &Literal, now_ms: i64) -> Result<Test, Diag> {
    if lit.is_lone_star() {
        return Ok(Test::Exists);
    }
    let text = lit.text();
    let ty = &spec.ty;
    let wildcard = lit.is_wildcard();
    let bad_wildcard = || {
        query_error(
            "tripline::kql::wildcard_on_type",
            format!(
                "a wildcard value `{}` cannot be used on a `{}` field",
                lit.show(),
                ty.name()
            ),
            lit.span,
        )
    };
    Ok(match ty {
        FieldType::Keyword | FieldType::Other(_) => {
            let lim = matches!(ty, FieldType::Keyword).then_some(IGNORE_ABOVE);
            if wildcard {
                Test::KwPattern(wildcard_regex(&lit.pieces, None)?, lim)
            } else {
                Test::KwEq(text, lim)
            }
        }
        FieldType::ConstantKeyword | FieldType::Wildcard => {
            if wildcard {
                let mut alts = Vec::new();
                for g in split_on_whitespace(&lit.pieces) {
                    if g.iter().any(|p| matches!(p, Piece::Star)) {
                        alts.push(Test::KwPattern(wildcard_regex(&g, None)?, None));
                    } else {
                        let s: String = g
                            .iter()
                            .map(|p| match p {
                                Piece::Text(t) => t.as_str(),
                                Piece::Star => "*",
                            })
                            .collect();
                        alts.push(Test::KwEq(s, None));
                    }
                }
                Test::Any(alts)
            } else {
                Test::KwEq(text, None)
            }
        }
        FieldType::Text | FieldType::MatchOnlyText => {
            let a = spec.analyzer().clone();
            if wildcard {
                let mut alts = Vec::new();
                for g in split_on_whitespace(&lit.pieces) {
                    if g.iter().any(|p| matches!(p, Piece::Star)) {
                        alts.push(Test::TextPattern(a.clone(), wildcard_regex(&g, Some(&a))?));
                    } else {
                        let s: String = g
                            .iter()
                            .map(|p| match p {
                                Piece::Text(t) => t.as_str(),
                                Piece::Star => "*",
                            })
                            .collect();
                        let toks = a.tokens(&s);
                        if !toks.is_empty() {
                            alts.push(Test::TextAny(a.clone(), toks));
                        }
                    }
                }
                Test::Any(alts)
            } else {
                let toks = a.tokens(&text);
                if toks.is_empty() {
                    // zero_terms_query: none
                    Test::Never
                } else if lit.quoted {
                    Test::TextPhrase(a, toks)
                } else {
                    Test::TextAny(a, toks)
                }
            }
        }
        t if t.is_number() => {
            if wildcard {
                return Err(bad_wildcard());
            }
            let n = parse_number(&text).ok_or_else(|| {
                query_error(
                    "tripline::kql::not_a_number",
                    format!("`{text}` is not a number, but the field is `{}`", t.name()),
                    lit.span,
                )
            })?;
            let kind = NumKind::of(t);
            match kind {
                NumKind::Integer if n.fract() != 0.0 => Test::Never,
                _ => Test::NumEq(kind.index(n), kind),
            }
        }
        FieldType::Boolean => {
            if wildcard {
                return Err(bad_wildcard());
            }
            Test::Bool(parse_bool(&text, lit.span)?)
        }
        FieldType::Date => {
            if wildcard {
                return Err(bad_wildcard());
            }
            let d = date(&text, lit.span, now_ms)?;
            Test::Date(d.start, d.end)
        }
        FieldType::Ip => {
            if wildcard {
                return Err(bad_wildcard());
            }
            let (lo, hi) = parse_ip_or_cidr(&text).ok_or_else(|| {
                query_error(
                    "tripline::kql::not_an_ip",
                    format!("`{text}` is not an IP address or CIDR block, but the field is `ip`"),
                    lit.span,
                )
            })?;
            Test::Ip(lo, hi)
        }
        // A term on an object or nested field: no such indexed field, nothing matches.
        _ => Test::Never,
    })
}

fn parse_bool(text: &str, span: Span) -> Result<bool, Diag> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(query_error(
            "tripline::kql::not_a_boolean",
            format!("`{text}` is not `true` or `false`, but the field is `boolean`"),
            span,
        )),
    }
}

fn date(text: &str, span: Span, now_ms: i64) -> Result<DateSpan, Diag> {
    parse_date_math(text, now_ms).ok_or_else(|| {
        query_error(
            "tripline::kql::not_a_date",
            format!("`{text}` is not a date, but the field is `date`"),
            span,
        )
    })
}

/// The test for `field < value` etc. on a field with `spec`.
fn range_test(spec: &FieldSpec, op: RangeOp, lit: &Literal, now_ms: i64) -> Result<Test, Diag> {
    let text = lit.text();
    let ty = &spec.ty;
    Ok(match ty {
        FieldType::Keyword => Test::KwRange(op, text, Some(IGNORE_ABOVE)),
        FieldType::ConstantKeyword | FieldType::Wildcard | FieldType::Other(_) => {
            Test::KwRange(op, text, None)
        }
        FieldType::Text | FieldType::MatchOnlyText => {
            Test::TextRange(spec.analyzer().clone(), op, text)
        }
        t if t.is_number() => {
            let n = parse_number(&text).ok_or_else(|| {
                query_error(
                    "tripline::kql::not_a_number",
                    format!("`{text}` is not a number, but the field is `{}`", t.name()),
                    lit.span,
                )
            })?;
            Test::NumRange(op, n, NumKind::of(t))
        }
        FieldType::Boolean => Test::BoolRange(op, parse_bool(&text, lit.span)?),
        FieldType::Date => {
            // gte/lt use the rounded-down start, gt/lte the rounded-up end.
            let d = date(&text, lit.span, now_ms)?;
            match op {
                RangeOp::Gte => Test::Date(d.start, i64::MAX),
                RangeOp::Gt => Test::Date(d.end.saturating_add(1), i64::MAX),
                RangeOp::Lt => Test::Date(i64::MIN, d.start.saturating_sub(1)),
                RangeOp::Lte => Test::Date(i64::MIN, d.end),
            }
        }
        FieldType::Ip => {
            let ip = parse_ip(&text).ok_or_else(|| {
                query_error(
                    "tripline::kql::not_an_ip",
                    format!("`{text}` is not an IP address, but the field is `ip`"),
                    lit.span,
                )
            })?;
            Test::IpRange(op, ip)
        }
        _ => Test::Never,
    })
}

/// Compile a parsed query against `types`.
pub fn compile(
    ast: &Ast,
    text: &str,
    types: &FieldTypes,
) -> Result<(KqlMatcher, Vec<Diag>), Vec<Diag>> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut c = Compiler {
        types,
        shared: None,
        errors: Vec::new(),
        warnings: Vec::new(),
        unknown: BTreeSet::new(),
        now_ms,
    };
    let node = c.node(ast, "");
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let mut warnings = c.warnings;
    if !c.unknown.is_empty() {
        let list: Vec<String> = c.unknown.iter().map(|f| format!("`{f}`")).collect();
        warnings.push(
            Diag::warning(
                "tripline::kql::unknown_field_type",
                format!(
                    "no known field type for {}; keyword semantics are used",
                    list.join(", ")
                ),
            )
            .help(
                "add the fields to a field-types file (`field: type`) to give them their mapping",
            ),
        );
    }
    Ok((
        KqlMatcher {
            node,
            text: text.to_string(),
        },
        warnings,
    ))
}

struct Compiler<'t> {
    types: &'t FieldTypes,
    /// A shared copy for run-time typed leaves (made only when the query has one).
    shared: Option<Arc<FieldTypes>>,
    errors: Vec<Diag>,
    warnings: Vec<Diag>,
    unknown: BTreeSet<String>,
    now_ms: i64,
}

impl Compiler<'_> {
    fn shared(&mut self) -> Arc<FieldTypes> {
        self.shared
            .get_or_insert_with(|| Arc::new(self.types.clone()))
            .clone()
    }

    fn node(&mut self, ast: &Ast, scope: &str) -> Node {
        match ast {
            Ast::MatchAll => Node::All,
            Ast::Or(parts, _) => Node::Or(parts.iter().map(|p| self.node(p, scope)).collect()),
            Ast::And(parts, _) => Node::And(parts.iter().map(|p| self.node(p, scope)).collect()),
            Ast::Not(inner, _) => Node::Not(Box::new(self.node(inner, scope))),
            Ast::Nested { path, query, .. } => {
                let rel = path.text();
                let full = join(scope, &rel);
                match self.types.get(&full).map(|s| s.ty.clone()) {
                    Some(FieldType::Nested) => {}
                    None => {
                        // Unmapped: assume nested (Elasticsearch would reject it) and warn.
                        self.unknown.insert(format!("{full} (assumed nested)"));
                    }
                    Some(other) => {
                        self.errors.push(query_error(
                            "tripline::kql::not_nested",
                            format!(
                                "`{full}:{{…}}` needs a `nested` field, but `{full}` is `{}`",
                                other.name()
                            ),
                            path.span,
                        ));
                    }
                }
                let inner = self.node(query, &full);
                Node::Nested {
                    path: rel,
                    inner: Box::new(inner),
                }
            }
            Ast::Range {
                field, op, value, ..
            } => self.leaf(Some(field), LeafQuery::Range(*op, value.clone()), scope),
            Ast::Is {
                field: None,
                values,
                ..
            } => match values {
                Values::One(l) if l.is_lone_star() => Node::All,
                Values::One(l) => self.leaf(None, LeafQuery::Free(l.clone()), scope),
                _ => Node::None,
            },
            Ast::Is {
                field: Some(field),
                values,
                ..
            } => {
                if field.is_lone_star() && matches!(values, Values::One(l) if l.is_lone_star()) {
                    // `*:*` is match_all.
                    return Node::All;
                }
                self.values(field, values, scope)
            }
        }
    }

    /// Distribute the field over a value list.
    fn values(&mut self, field: &Literal, values: &Values, scope: &str) -> Node {
        match values {
            Values::Or(vs) => Node::Or(vs.iter().map(|v| self.values(field, v, scope)).collect()),
            Values::And(vs) => Node::And(vs.iter().map(|v| self.values(field, v, scope)).collect()),
            Values::Not(v) => Node::Not(Box::new(self.values(field, v, scope))),
            Values::One(l) => self.leaf(Some(field), LeafQuery::Is(l.clone()), scope),
        }
    }

    fn leaf(&mut self, field: Option<&Literal>, query: LeafQuery, scope: &str) -> Node {
        let Some(field) = field else {
            return Node::Dynamic(Box::new(Dynamic {
                pattern: None,
                shown: "*".into(),
                prefix: scope.to_string(),
                query,
                types: self.shared(),
                now_ms: self.now_ms,
            }));
        };
        if field.is_wildcard() {
            let full: Vec<Piece> = if scope.is_empty() {
                field.pieces.clone()
            } else {
                let mut v = vec![Piece::Text(format!("{scope}."))];
                v.extend(field.pieces.iter().cloned());
                v
            };
            return match wildcard_regex(&full, None) {
                Ok(re) => Node::Dynamic(Box::new(Dynamic {
                    pattern: Some(re),
                    shown: field.show(),
                    prefix: scope.to_string(),
                    query,
                    types: self.shared(),
                    now_ms: self.now_ms,
                })),
                Err(e) => {
                    self.errors.push(e.at(field.span));
                    Node::None
                }
            };
        }
        let name = field.text();
        let full = join(scope, &name);
        let spec = match self.types.get(&full) {
            Some(s) => {
                if let FieldType::Other(t) = &s.ty {
                    self.unknown.insert(format!("{full} ({t})"));
                }
                s.clone()
            }
            None => {
                self.unknown.insert(full.clone());
                FieldSpec::new(FieldType::Keyword)
            }
        };
        if spec.ty == FieldType::Nested || under_nested(self.types, &full, scope) {
            return Node::None;
        }
        // A multi-field indexes its parent's value.
        let read = match self.types.multi_parent(&full) {
            Some(parent) => parent
                .strip_prefix(scope)
                .map(|r| r.trim_start_matches('.').to_string())
                .unwrap_or_else(|| parent.to_string()),
            None => name.clone(),
        };
        let test = match &query {
            LeafQuery::Is(l) | LeafQuery::Free(l) => is_test(&spec, l, self.now_ms),
            LeafQuery::Range(op, l) => range_test(&spec, *op, l, self.now_ms),
        };
        match test {
            Ok(test) => Node::Field {
                name: full,
                read,
                test,
            },
            Err(e) => {
                self.errors.push(e);
                Node::None
            }
        }
    }
}
