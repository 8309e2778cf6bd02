//! The literal prefilter (stage: plan; applied in read).
//!
//! From a scan predicate, derive literals that the raw text of every matching event must
//! contain (case-insensitively), so lines without them are skipped before JSON parsing.
//! Conservative by construction: only plain ASCII literals without characters JSON may escape
//! (`\`, `"`, `/`, control characters) are used, numbers are never used (JSON may write `5` as
//! `5.0` or `5e0`), metadata fields (`sourcetype`, `source`, `host`, `index`, `_time`, `_raw`)
//! are not in the raw text and give nothing, negations give nothing, and a line containing a
//! `\u` escape (or a letter whose lower case is ASCII) is always parsed. The prefilter may let extra lines through, never drop one that
//! matches.

use crate::plan::search::Pred;
use crate::syntax::ast::CmpOp;
use memchr::memmem;

/// Literal requirements: every clause must be met; a clause is met when the line contains any
/// one of its literals (lower-case ASCII).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prefilter {
    clauses: Vec<Vec<String>>,
}

const META: &[&str] = &[
    "sourcetype",
    "source",
    "host",
    "index",
    "_time",
    "_raw",
    "eventtype",
    "splunk_server",
    "linecount",
];

/// Can this literal be searched for in raw JSON text? (ASCII, no character JSON may escape,
/// at least 3 bytes, not a number.)
pub fn usable(lit: &str) -> bool {
    lit.len() >= 3
        && lit
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control() && b != b'\\' && b != b'"' && b != b'/')
        && crate::value::parse_number(lit).is_none()
}

/// The longest wildcard-free piece of a pattern, if usable.
fn best_piece(pattern: &str) -> Option<String> {
    pattern
        .split('*')
        .filter(|p| usable(p))
        .max_by_key(|p| p.len())
        .map(|p| p.to_ascii_lowercase())
}

fn clauses(p: &Pred) -> Vec<Vec<String>> {
    match p {
        Pred::And(v) => v.iter().flat_map(clauses).collect(),
        Pred::Or(v) => {
            // A matching line meets one branch, so it contains a literal of that branch's
            // first clause: the union of those is one clause.
            let mut union = Vec::new();
            for b in v {
                match clauses(b).into_iter().next() {
                    Some(c) => union.extend(c),
                    None => return Vec::new(),
                }
            }
            if union.is_empty() {
                Vec::new()
            } else {
                union.sort();
                union.dedup();
                vec![union]
            }
        }
        Pred::Cmp {
            field,
            op: CmpOp::Eq,
            value,
        } if !META.contains(&field.name()) => best_piece(&value.text)
            .map(|l| vec![vec![l]])
            .unwrap_or_default(),
        Pred::Term(t) => best_piece(&t.text)
            .map(|l| vec![vec![l]])
            .unwrap_or_default(),
        Pred::Custom(m) => m.literals(),
        _ => Vec::new(),
    }
}

impl Prefilter {
    /// Derive the prefilter of a scan predicate (empty: every line passes).
    pub fn from_pred(p: &Pred) -> Prefilter {
        let mut c = clauses(p);
        // Longer literals first: they are rarer, so lines fail sooner.
        for clause in &mut c {
            clause.sort_by_key(|l| std::cmp::Reverse(l.len()));
        }
        c.sort_by_key(|clause| {
            std::cmp::Reverse(clause.iter().map(String::len).min().unwrap_or(0))
        });
        Prefilter { clauses: c }
    }

    /// No requirement at all.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The clauses, for `explain`.
    pub fn clauses(&self) -> &[Vec<String>] {
        &self.clauses
    }

    /// May this raw line match? `scratch` is reused for the lower-cased copy.
    pub fn may_match(&self, line: &[u8], scratch: &mut Vec<u8>) -> bool {
        if self.clauses.is_empty() || must_parse(line) {
            return true;
        }
        lower_into(line, scratch);
        self.matches_lowered(scratch)
    }

    /// Does an already lower-cased line (see [`lower_into`]) meet every clause?
    pub fn matches_lowered(&self, lower: &[u8]) -> bool {
        self.clauses.iter().all(|clause| {
            clause
                .iter()
                .any(|lit| memmem::find(lower, lit.as_bytes()).is_some())
        })
    }
}

/// Lines that must always be parsed: a `\u` escape can spell any literal, and two non-ASCII
/// letters lower-case to ASCII ones (KELVIN SIGN → `k`, `İ` → `i̇`).
pub fn must_parse(line: &[u8]) -> bool {
    memmem::find(line, b"\\u").is_some()
        || memmem::find(line, "\u{212A}".as_bytes()).is_some()
        || memmem::find(line, "\u{130}".as_bytes()).is_some()
}

/// ASCII-lower-case `line` into `out`.
pub fn lower_into(line: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(line.iter().map(u8::to_ascii_lowercase));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::Args;

    fn pf(q: &str) -> Prefilter {
        let query = crate::syntax::parse_query(q).unwrap();
        let Args::Search(Some(e)) = &query.commands[0].args else {
            return Prefilter::default();
        };
        let pred = crate::plan::search::compile(e, &mut |_| unreachable!()).unwrap();
        Prefilter::from_pred(&pred)
    }

    #[test]
    fn derives_conservative_literals() {
        let p = pf(
            r#"sourcetype=x Category=ThreatManagement Name="eDiscovery search started or exported""#,
        );
        assert_eq!(
            p.clauses(),
            [
                vec!["ediscovery search started or exported".to_string()],
                vec!["threatmanagement".to_string()]
            ]
        );
        // wildcards: the longest piece; OR: any of the branches; NOT and != give nothing
        let p = pf(r#"Operation IN ("Send*", "HardDelete") NOT x=abc y!=def"#);
        assert_eq!(
            p.clauses(),
            [vec!["harddelete".to_string(), "send".to_string()]]
        );
        // backslashes, numbers and short literals are never used
        assert!(pf(r#"Folder.Path="\\Sent Items" n=12345 ab=cd"#).is_empty());
    }

    #[test]
    fn matching_is_case_insensitive_and_unicode_escapes_pass() {
        let p = pf("Name=Send");
        let mut s = Vec::new();
        assert!(p.may_match(br#"{"Name": "SEND"}"#, &mut s));
        assert!(!p.may_match(br#"{"Name": "Receive"}"#, &mut s));
        assert!(p.may_match(br#"{"Name": "S\u0045nd"}"#, &mut s));
    }
}
