//! The search command's terms, compiled into a predicate (stage: plan; tested in execute).
//!
//! Semantics (Splunk Search Reference, "search"; docs/language.md, "Search terms"):
//! `field=value` is a whole-value, case-insensitive match with `*` wildcards (CIDR when the value
//! is a network); `field!=value` needs the field to exist; `NOT` also keeps events without the
//! field; `<`/`>` compare numbers numerically, text lexicographically; bare terms match tokens
//! of `_raw` between breakers, quoted phrases match a run of `_raw`; a multivalue field matches
//! when any value does.

use crate::diag::{Diag, Kind, Span};
use crate::functions::EvalCtx;
use crate::plan::Plan;
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{CmpOp, SModifier, SValue, SearchExpr};
use crate::value::{Value, glob_match, glob_match_ci};
use regex::Regex;
use std::net::IpAddr;

/// A compiled search predicate.
#[derive(Debug)]
pub enum Pred {
    /// Matches everything.
    True,
    /// All.
    And(Vec<Pred>),
    /// Any.
    Or(Vec<Pred>),
    /// Negation.
    Not(Box<Pred>),
    /// `field op value`.
    Cmp {
        /// The field.
        field: FieldRef,
        /// Operator.
        op: CmpOp,
        /// The value.
        value: ValueMatcher,
    },
    /// A bare term or phrase against `_raw`.
    Term(TermMatcher),
    /// A subsearch; replaced by its results' terms when the search starts.
    Sub(Box<Plan>, Span),
    /// A predicate compiled elsewhere (a KQL query).
    Custom(std::sync::Arc<dyn Matcher>),
    /// `earliest=` / `latest=` time bounds.
    Time {
        /// `true` for earliest (`_time >= t`), false for latest (`_time < t`).
        earliest: bool,
        /// The modifier as written.
        spec: String,
    },
}

/// A record test compiled outside the search language (e.g. a KQL query), so it can be a
/// scan predicate like any search.
pub trait Matcher: std::fmt::Debug + Send + Sync {
    /// Does the record match?
    fn matches(&self, rec: &Record) -> bool;
    /// One line for `explain`.
    fn show(&self) -> String;
    /// Prefilter clauses (see [`crate::plan::prefilter`]): literals, lower-case ASCII, that
    /// the raw text of every matching event contains — every clause met by one of its
    /// literals. Only literals [`crate::plan::prefilter::usable`] accepts. Default: none.
    fn literals(&self) -> Vec<Vec<String>> {
        Vec::new()
    }
}

/// The right-hand side of `field op value`.
#[derive(Debug)]
pub struct ValueMatcher {
    /// The text (after search escapes), `*` wildcards.
    pub text: String,
    case_sensitive: bool,
    cidr: Option<(IpAddr, u8)>,
    /// The text is ASCII without `*`: matching an ASCII value is an ASCII equality, decided
    /// without looking for wildcards or other than ASCII in the text again for every value.
    plain_ascii: bool,
}

/// A bare term (token) or quoted phrase matched against `_raw`.
#[derive(Debug)]
pub struct TermMatcher {
    /// As written.
    pub text: String,
    re: Option<Regex>,
}

const MAJOR: &str = r#"\[\]<>(){}|!;,'"*\n\r\s\t&?+"#;
const MINOR: &str = r"/:=@.\-$#%\\_";

impl ValueMatcher {
    /// Compile a search value.
    pub fn new(v: &SValue) -> ValueMatcher {
        ValueMatcher::with(
            v.text.clone(),
            v.modifier == Some(SModifier::Case),
            parse_cidr(&v.text),
        )
    }

    fn with(text: String, case_sensitive: bool, cidr: Option<(IpAddr, u8)>) -> ValueMatcher {
        ValueMatcher {
            plain_ascii: text.is_ascii() && !text.contains('*'),
            text,
            case_sensitive,
            cidr,
        }
    }

    /// Does one scalar value match (equality sense)?
    pub fn matches(&self, v: &Value) -> bool {
        match v {
            Value::Str(s) => self.matches_text(s),
            _ => v.to_text().is_some_and(|t| self.matches_text(&t)),
        }
    }

    /// Does a value with this printed form match (equality sense)?
    pub fn matches_text(&self, text: &str) -> bool {
        if let Some((net, bits)) = self.cidr
            && let Ok(ip) = text.parse::<IpAddr>()
        {
            return in_cidr(ip, net, bits);
        }
        if self.case_sensitive {
            glob_match(&self.text, text)
        } else if self.plain_ascii && text.is_ascii() {
            // what `glob_match_ci` answers for these
            self.text.eq_ignore_ascii_case(text)
        } else {
            glob_match_ci(&self.text, text)
        }
    }
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// Is `ip` inside `net/bits`?
pub fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl TermMatcher {
    /// Compile a bare term or phrase.
    pub fn new(v: &SValue) -> Result<TermMatcher, Diag> {
        if v.text.chars().all(|c| c == '*') {
            return Ok(TermMatcher {
                text: v.text.clone(),
                re: None,
            });
        }
        let case = if v.modifier == Some(SModifier::Case) {
            ""
        } else {
            "(?i)"
        };
        let any_run = if v.quoted {
            ".*?".to_string()
        } else {
            format!("[^{MAJOR}]*?")
        };
        let body: String = v
            .text
            .split('*')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(&any_run);
        let pattern = if v.quoted {
            format!("{case}{body}")
        } else if v.modifier == Some(SModifier::Term) {
            format!("{case}(?:^|[{MAJOR}]){body}(?:$|[{MAJOR}])")
        } else {
            format!("{case}(?:^|[{MAJOR}{MINOR}]){body}(?:$|[{MAJOR}{MINOR}])")
        };
        let re = regex::RegexBuilder::new(&pattern)
            .dot_matches_new_line(true)
            .size_limit(10 * (1 << 20))
            .build()
            .map_err(|e| {
                Diag::error(
                    Kind::Invalid,
                    "tripline::search::term",
                    format!("search term cannot be compiled: {e}"),
                )
                .at(v.span)
            })?;
        Ok(TermMatcher {
            text: v.text.clone(),
            re: Some(re),
        })
    }

    fn matches_text(&self, text: &str) -> bool {
        match &self.re {
            None => true,
            Some(re) => re.is_match(text),
        }
    }
}

/// Compile a search expression. Subsearches are lowered into plans by `lower_sub`.
pub fn compile(
    e: &SearchExpr,
    lower_sub: &mut dyn FnMut(&crate::syntax::ast::Query) -> Result<Plan, Diag>,
) -> Result<Pred, Diag> {
    Ok(match e {
        SearchExpr::And(v) => Pred::And(
            v.iter()
                .map(|x| compile(x, lower_sub))
                .collect::<Result<_, _>>()?,
        ),
        SearchExpr::Or(v) => Pred::Or(
            v.iter()
                .map(|x| compile(x, lower_sub))
                .collect::<Result<_, _>>()?,
        ),
        SearchExpr::Not(x, _) => Pred::Not(Box::new(compile(x, lower_sub)?)),
        SearchExpr::Cmp {
            field, op, value, ..
        } => {
            let lower = field.to_ascii_lowercase();
            if (lower == "earliest" || lower == "latest") && *op == CmpOp::Eq {
                return Ok(Pred::Time {
                    earliest: lower == "earliest",
                    spec: value.text.clone(),
                });
            }
            Pred::Cmp {
                field: FieldRef::new(field),
                op: *op,
                value: ValueMatcher::new(value),
            }
        }
        SearchExpr::In { field, values, .. } => Pred::Or(
            values
                .iter()
                .map(|v| Pred::Cmp {
                    field: FieldRef::new(field),
                    op: CmpOp::Eq,
                    value: ValueMatcher::new(v),
                })
                .collect(),
        ),
        SearchExpr::Term(v) => {
            if v.text == "*" && !v.quoted {
                Pred::True
            } else {
                Pred::Term(TermMatcher::new(v)?)
            }
        }
        SearchExpr::Sub(q, span) => Pred::Sub(Box::new(lower_sub(q)?), *span),
    })
}

impl Pred {
    /// Add the fields this predicate reads to `out`; `false` when they cannot be known (an
    /// unresolved subsearch, a predicate compiled elsewhere). Bare terms read `_raw`.
    pub fn fields(&self, out: &mut Vec<String>) -> bool {
        match self {
            Pred::True | Pred::Time { .. } => true,
            Pred::And(v) | Pred::Or(v) => v.iter().all(|p| p.fields(out)),
            Pred::Not(p) => p.fields(out),
            Pred::Cmp { field, .. } => {
                out.push(field.name().to_string());
                true
            }
            Pred::Term(_) => {
                out.push("_raw".to_string());
                true
            }
            Pred::Sub(..) | Pred::Custom(_) => false,
        }
    }

    /// Replace subsearches by the terms their results stand for (Splunk's implicit `format`:
    /// `(f1="v1" AND f2="v2") OR (…)`; fields starting with `_` are skipped).
    pub fn resolve(
        &self,
        run: &mut dyn FnMut(&Plan) -> Result<Vec<Record>, Diag>,
    ) -> Result<Option<Pred>, Diag> {
        Ok(match self {
            Pred::Sub(plan, _) => {
                let rows = run(plan)?;
                let mut alts = Vec::new();
                for r in rows {
                    let mut terms = Vec::new();
                    for (k, v) in r.visible() {
                        if k.starts_with('_') {
                            continue;
                        }
                        let alts_for_value: Vec<Pred> = v
                            .values()
                            .iter()
                            .filter_map(Value::to_text)
                            .map(|t| Pred::Cmp {
                                field: FieldRef::new(&k),
                                op: CmpOp::Eq,
                                value: ValueMatcher::with(t, false, None),
                            })
                            .collect();
                        terms.push(Pred::Or(alts_for_value));
                    }
                    alts.push(Pred::And(terms));
                }
                // No results: Splunk's format yields a search that matches nothing.
                Some(Pred::Or(alts))
            }
            Pred::And(v) | Pred::Or(v) => {
                let mut changed = false;
                let mut out = Vec::with_capacity(v.len());
                for p in v {
                    match p.resolve(run)? {
                        Some(n) => {
                            changed = true;
                            out.push(n);
                        }
                        None => out.push(p.shallow_clone()),
                    }
                }
                if !changed {
                    return Ok(None);
                }
                Some(if matches!(self, Pred::And(_)) {
                    Pred::And(out)
                } else {
                    Pred::Or(out)
                })
            }
            Pred::Not(x) => x.resolve(run)?.map(|n| Pred::Not(Box::new(n))),
            _ => None,
        })
    }

    fn shallow_clone(&self) -> Pred {
        match self {
            Pred::True => Pred::True,
            Pred::And(v) => Pred::And(v.iter().map(Pred::shallow_clone).collect()),
            Pred::Or(v) => Pred::Or(v.iter().map(Pred::shallow_clone).collect()),
            Pred::Not(x) => Pred::Not(Box::new(x.shallow_clone())),
            Pred::Cmp { field, op, value } => Pred::Cmp {
                field: field.clone(),
                op: *op,
                value: ValueMatcher::with(value.text.clone(), value.case_sensitive, value.cidr),
            },
            Pred::Term(t) => Pred::Term(TermMatcher {
                text: t.text.clone(),
                re: t.re.clone(),
            }),
            // Subsearches are resolved before a predicate is copied.
            Pred::Sub(..) => Pred::Or(vec![]),
            Pred::Custom(m) => Pred::Custom(m.clone()),
            Pred::Time { earliest, spec } => Pred::Time {
                earliest: *earliest,
                spec: spec.clone(),
            },
        }
    }

    /// Does the record match?
    pub fn matches(&self, rec: &Record, ctx: &EvalCtx) -> bool {
        match self {
            Pred::True => true,
            Pred::And(v) => v.iter().all(|p| p.matches(rec, ctx)),
            Pred::Or(v) => v.iter().any(|p| p.matches(rec, ctx)),
            Pred::Not(p) => !p.matches(rec, ctx),
            Pred::Cmp { field, op, value } => match (op, rec.str_of(field)) {
                // One text value, compared where it stands (what `cmp_holds` does with a
                // copy of it).
                (CmpOp::Eq, Some(s)) => value.matches_text(s),
                (CmpOp::Ne, Some(s)) => !value.matches_text(s),
                _ => cmp_holds(*op, value, &rec.get(field)),
            },
            Pred::Term(t) => match &rec.event {
                Some(e) if !rec.fields.contains_key("_raw") => t.matches_text(&e.raw),
                _ => rec
                    .visible()
                    .values()
                    .flat_map(|v| v.values().to_vec())
                    .filter_map(|v| v.to_text())
                    .any(|s| t.matches_text(&s)),
            },
            Pred::Sub(..) => false,
            Pred::Custom(m) => m.matches(rec),
            Pred::Time { earliest, spec } => {
                let Some(t) = rec.get(&FieldRef::new("_time")).as_number() else {
                    return false;
                };
                match crate::time::relative_time(ctx.now, spec, &ctx.zone) {
                    Some(bound) if *earliest => t >= bound,
                    Some(bound) => t < bound,
                    None => false,
                }
            }
        }
    }

    /// Can no event of an input with metadata `meta` match? True when the predicate is false
    /// whatever the events hold, given the metadata fields `meta` sets (they are the same for
    /// every event of the input and win over the document's): `sourcetype=o365:management:*`
    /// excludes an input whose sourcetype is `o365:reporting:messagetrace`. The search then
    /// does not read that input, as Splunk does not read the events of other sourcetypes.
    /// Conservative: anything else the predicate asks is taken as unknown.
    pub fn excludes(&self, meta: &crate::event::Meta) -> bool {
        self.on_meta(meta) == Some(false)
    }

    /// The predicate's value for every event of an input with metadata `meta`, when the
    /// metadata alone decides it (three-valued: `None` is unknown).
    fn on_meta(&self, meta: &crate::event::Meta) -> Option<bool> {
        match self {
            Pred::True => Some(true),
            Pred::And(v) => Pred::combine_on_meta(v, meta, false),
            Pred::Or(v) => Pred::combine_on_meta(v, meta, true),
            Pred::Not(p) => p.on_meta(meta).map(|b| !b),
            Pred::Cmp { field, op, value } => field
                .meta_text(meta)
                .map(|t| cmp_holds(*op, value, &Value::Str(t.to_string()))),
            Pred::Term(_) | Pred::Sub(..) | Pred::Custom(_) | Pred::Time { .. } => None,
        }
    }

    /// [`Pred::on_meta`] of an AND (`absorb` false) or an OR (`absorb` true) of `v`: `absorb`
    /// when one of them is, else unknown when one of them is unknown.
    fn combine_on_meta(v: &[Pred], meta: &crate::event::Meta, absorb: bool) -> Option<bool> {
        v.iter()
            .try_fold(Some(!absorb), |acc, p| match p.on_meta(meta) {
                Some(b) if b == absorb => Err(()),
                known => Ok(acc.and(known)),
            })
            .unwrap_or(Some(absorb))
    }

    /// One-line rendering for `explain`.
    pub fn show(&self) -> String {
        match self {
            Pred::True => "*".into(),
            Pred::And(v) if v.is_empty() => "*".into(),
            Pred::And(v) => v
                .iter()
                .map(|p| p.show_inner(true))
                .collect::<Vec<_>>()
                .join(" AND "),
            Pred::Or(v) if v.is_empty() => "<nothing>".into(),
            Pred::Or(v) => v
                .iter()
                .map(|p| p.show_inner(false))
                .collect::<Vec<_>>()
                .join(" OR "),
            Pred::Not(p) => format!("NOT {}", p.show_inner(true)),
            Pred::Cmp { field, op, value } => {
                format!("{}{}{:?}", field.name(), op.as_str(), value.text)
            }
            Pred::Term(t) => format!("{:?}", t.text),
            Pred::Sub(_, _) => "[subsearch]".into(),
            Pred::Custom(m) => m.show(),
            Pred::Time { earliest, spec } => {
                format!("{}={}", if *earliest { "earliest" } else { "latest" }, spec)
            }
        }
    }

    fn show_inner(&self, in_and: bool) -> String {
        match self {
            Pred::Or(v) if v.len() > 1 => format!("({})", self.show()),
            Pred::And(v) if v.len() > 1 && !in_and => format!("({})", self.show()),
            _ => self.show(),
        }
    }

    /// Subsearch plans inside this predicate (for `explain`).
    pub fn subplans(&self) -> Vec<&Plan> {
        match self {
            Pred::Sub(p, _) => vec![p],
            Pred::And(v) | Pred::Or(v) => v.iter().flat_map(Pred::subplans).collect(),
            Pred::Not(p) => p.subplans(),
            _ => vec![],
        }
    }
}

/// `field op value` for a field whose value is `v` (a multivalue field matches when one of its
/// values does; `!=` needs the field and no value equal).
fn cmp_holds(op: CmpOp, value: &ValueMatcher, v: &Value) -> bool {
    let vals = v.values();
    match op {
        CmpOp::Eq => vals.iter().any(|x| value.matches(x)),
        CmpOp::Ne => !vals.is_empty() && !vals.iter().any(|x| value.matches(x)),
        _ => vals.iter().any(|x| compare_op(op, x, &value.text)),
    }
}

fn compare_op(op: CmpOp, v: &Value, rhs: &str) -> bool {
    use std::cmp::Ordering;
    let ord = match (v.as_number(), crate::value::parse_number(rhs)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => v.to_text().map(|t| t.as_str().cmp(rhs)),
    };
    matches!(
        (op, ord),
        (CmpOp::Lt, Some(Ordering::Less))
            | (CmpOp::Le, Some(Ordering::Less | Ordering::Equal))
            | (CmpOp::Gt, Some(Ordering::Greater))
            | (CmpOp::Ge, Some(Ordering::Greater | Ordering::Equal))
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::Meta;
    use crate::syntax::ast::Args;

    /// The predicate of a query that is one search (for tests across the crate).
    pub(crate) fn pred(q: &str) -> Pred {
        let query = crate::syntax::parse_query(q).unwrap();
        let Args::Search(Some(e)) = &query.commands[0].args else {
            panic!("not a search: {q}");
        };
        compile(e, &mut |_| unreachable!()).unwrap()
    }

    fn event(doc: &str, meta: Meta) -> Record {
        crate::record::tests::event(doc, meta, Some(0.0))
    }

    /// A value without wildcards matches an equal text in any ASCII case, and only that; a
    /// text other than ASCII still goes through the Unicode comparison (the KELVIN SIGN's
    /// lower case is `k`); wildcards and `CASE()` keep their own rules.
    #[test]
    fn value_matching_by_ascii_equality_and_otherwise() {
        let m =
            |text: &str, case: bool| ValueMatcher::with(text.to_string(), case, parse_cidr(text));
        let exchange = m("Exchange", false);
        assert!(exchange.plain_ascii);
        for (text, want) in [
            ("Exchange", true),
            ("EXCHANGE", true),
            ("exchangE", true),
            ("Exchanges", false),
            ("Exchang", false),
            ("Exch@nge", false),
            ("", false),
        ] {
            assert_eq!(exchange.matches_text(text), want, "{text}");
        }
        let k = m("k", false);
        assert!(k.matches_text("\u{212A}") && k.matches_text("K") && !k.matches_text("x"));
        let send = m("Send*", false);
        assert!(!send.plain_ascii);
        assert!(send.matches_text("SENDAS") && !send.matches_text("resend"));
        let cased = m("Send", true);
        assert!(cased.matches_text("Send") && !cased.matches_text("SEND"));
        let accented = m("Café", false);
        assert!(!accented.plain_ascii && accented.matches_text("CAFÉ"));
    }

    /// Comparisons read a one-text field where it stands (`Record::str_of`) and anything else
    /// through a copy (`Record::get`); each case below is worked out from the semantics, and
    /// covers both ways: metadata given by the input (it wins over the document's own
    /// `sourcetype`), metadata not given (the document's field is read), `_raw`, numbers,
    /// multivalues, nested paths, fields set by a command, CIDR, wildcards and case.
    #[test]
    fn comparisons_on_text_in_place_and_on_copies() {
        let with_meta = Meta {
            sourcetype: Some("o365:management:activity".into()),
            host: Some("mx1".into()),
            ..Meta::default()
        };
        let doc = r#"{"sourcetype":"own","Operation":"Send","ip":"10.1.2.3","n":5,"tags":["a","b"],"Item":{"Subject":"Hi"}}"#;
        let given = event(doc, with_meta);
        let not_given = event(doc, Meta::default());
        let mut set = event(doc, Meta::default());
        set.set("Operation", Value::Str("HardDelete".into()));
        set.set("ip", Value::Null);
        let cases: &[(&str, bool, bool, bool)] = &[
            // (search, on `given`, on `not_given`, on `set`)
            ("sourcetype=o365:management:activity", true, false, false),
            ("sourcetype=O365:*", true, false, false),
            ("sourcetype=own", false, true, true),
            ("sourcetype!=own", true, false, false),
            ("host=MX1", true, false, false),
            ("host!=mx1", false, false, false),
            ("Operation=send", true, true, false),
            ("Operation=Send*", true, true, false),
            ("Operation=CASE(send)", false, false, false),
            ("Operation=CASE(Send)", true, true, false),
            ("Operation!=Send", false, false, true),
            ("Operation=harddelete", false, false, true),
            ("ip=10.0.0.0/8", true, true, false),
            ("ip!=10.0.0.0/8", false, false, false),
            ("ip=11.0.0.0/8", false, false, false),
            ("n=5", true, true, true),
            ("n!=5", false, false, false),
            // an array's values are the field `tags{}` (spl_semantics §9), a multivalue
            ("tags{}=b", true, true, true),
            ("tags{}!=a", false, false, false),
            ("tags=b", false, false, false),
            ("Item.Subject=hi", true, true, true),
            ("missing!=x", false, false, false),
            ("_raw=*Send*", true, true, true),
        ];
        let ctx = EvalCtx::default();
        for &(q, a, b, c) in cases {
            let p = pred(q);
            assert_eq!(p.matches(&given, &ctx), a, "{q} on the input with metadata");
            assert_eq!(p.matches(&not_given, &ctx), b, "{q} on the input without");
            assert_eq!(
                p.matches(&set, &ctx),
                c,
                "{q} on the record with set fields"
            );
        }
    }
}
