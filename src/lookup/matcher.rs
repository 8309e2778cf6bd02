//! Matching event values against a lookup table (stage: plan builds it, execute uses it).
//!
//! The field matching rules of a lookup definition (Knowledge Manager Manual, "Add field matching
//! rules to your lookup configuration", transforms.conf):
//! - `match_type = WILDCARD(<field>)`: the table's cells in that column are patterns with `*`;
//!   `CIDR(<field>)`: they are networks (`10.0.0.0/8`, or a bare address) and event values are
//!   IP addresses; any other column matches the whole value (`EXACT`).
//! - `case_sensitive_match` (default **true**): compare with or without case.
//! - `max_matches` (1–1000, default **100** for tables without `time_field`): the first matching
//!   rows in file order.
//! - `min_matches` (default **0**) and `default_match` (default empty): with fewer matches than
//!   `min_matches`, `default_match` is output as often as needed to reach it.
//!
//! An index is built once per `lookup` command over its first lookup field: a hash of the
//! exact (or wildcard-free) cells, an Aho-Corasick automaton of the wildcard cells' longest
//! literal pieces, or per prefix length a hash of the CIDR networks — an event is matched
//! without scanning the table; the other lookup fields are checked on the candidate rows.

use super::table::Table;
use crate::value::{glob_match, glob_match_ci};
use aho_corasick::AhoCorasick;
use std::collections::HashMap;
use std::net::IpAddr;

/// How a column of the table is compared with event values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    /// The whole value.
    Exact,
    /// The cell is a pattern with `*`.
    Wildcard,
    /// The cell is a network; the event value an IP address.
    Cidr,
}

/// The matching rules of one lookup (from its definition, or the defaults for a bare CSV file).
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    /// Columns with a match type other than EXACT.
    pub match_types: Vec<(String, MatchKind)>,
    /// `case_sensitive_match`.
    pub case_sensitive: bool,
    /// `min_matches`.
    pub min_matches: usize,
    /// `max_matches`.
    pub max_matches: usize,
    /// `default_match`.
    pub default_match: String,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            match_types: Vec::new(),
            case_sensitive: true,
            min_matches: 0,
            max_matches: 100,
            default_match: String::new(),
        }
    }
}

impl Rules {
    /// How column `name` matches.
    pub fn kind_of(&self, name: &str) -> MatchKind {
        self.match_types
            .iter()
            .find(|(c, _)| c == name)
            .map_or(MatchKind::Exact, |(_, k)| *k)
    }
}

/// Parse `WILDCARD(a), CIDR(b), EXACT(c)`.
pub fn parse_match_type(text: &str) -> Result<Vec<(String, MatchKind)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((kind, rest)) = part.split_once('(') else {
            return Err(format!("`{part}` is not `KIND(field)`"));
        };
        let Some(field) = rest.strip_suffix(')') else {
            return Err(format!("`{part}` is not `KIND(field)`"));
        };
        let kind = match kind.trim().to_ascii_uppercase().as_str() {
            "WILDCARD" => MatchKind::Wildcard,
            "CIDR" => MatchKind::Cidr,
            "EXACT" => MatchKind::Exact,
            other => {
                return Err(format!(
                    "unknown match type `{other}` (known: WILDCARD, CIDR, EXACT)"
                ));
            }
        };
        let field = field.trim();
        if field.is_empty() {
            return Err(format!("`{part}` names no field"));
        }
        out.push((field.to_string(), kind));
    }
    Ok(out)
}

/// The text compared: as is, or lowercased character by character (as the wildcard match does).
fn fold(s: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        s.to_string()
    } else {
        s.chars().flat_map(char::to_lowercase).collect()
    }
}

/// A network: address bits and prefix length, v4 and v6 kept apart.
fn parse_net(s: &str) -> Option<(bool, u128, u8)> {
    let (ip, bits) = match s.trim().split_once('/') {
        Some((ip, bits)) => (ip.parse::<IpAddr>().ok()?, Some(bits.parse::<u8>().ok()?)),
        None => (s.trim().parse::<IpAddr>().ok()?, None),
    };
    let (v4, raw, max) = match ip {
        IpAddr::V4(a) => (true, u128::from(u32::from(a)), 32u8),
        IpAddr::V6(a) => (false, u128::from(a), 128u8),
    };
    let bits = bits.unwrap_or(max);
    (bits <= max).then(|| (v4, mask(raw, bits, max), bits))
}

fn mask(raw: u128, bits: u8, max: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        let keep = u128::MAX << (u32::from(max - bits));
        let width_mask = if max == 128 {
            u128::MAX
        } else {
            (1u128 << max) - 1
        };
        raw & keep & width_mask
    }
}

fn parse_ip(s: &str) -> Option<(bool, u128)> {
    match s.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some((true, u128::from(u32::from(a)))),
        IpAddr::V6(a) => Some((false, u128::from(a))),
    }
}

/// Does the event value `text` match the cell under the given kind?
fn cell_matches(kind: MatchKind, cell: &str, text: &str, case_sensitive: bool) -> bool {
    match kind {
        MatchKind::Exact => {
            cell == text || (!case_sensitive && fold(cell, false) == fold(text, false))
        }
        MatchKind::Wildcard => {
            if case_sensitive {
                glob_match(cell, text)
            } else {
                glob_match_ci(cell, text)
            }
        }
        MatchKind::Cidr => match (parse_net(cell), parse_ip(text)) {
            (Some((v4, net, bits)), Some((ip_v4, ip))) if v4 == ip_v4 => {
                mask(ip, bits, if v4 { 32 } else { 128 }) == net
            }
            _ => false,
        },
    }
}

/// Rows by network, for one address family and prefix length.
type NetIndex = HashMap<u128, Vec<u32>>;

/// Wildcard cells, found through their longest literal piece: a pattern can only match a
/// value that contains each of its pieces, so one Aho-Corasick pass over the value finds the
/// few patterns worth trying (security_content's dynamic DNS table has 92,000 of them).
struct Wild {
    /// Finds the pieces (folded for case) in a value.
    finder: Option<AhoCorasick>,
    /// Per piece (the finder's pattern id): the rows and patterns that need it.
    by_piece: Vec<Vec<(u32, String)>>,
    /// Patterns without a literal piece (`*`), tried on every value.
    always: Vec<(u32, String)>,
}

impl Wild {
    fn build(cells: Vec<(u32, String)>, case_sensitive: bool) -> Wild {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut keys: Vec<String> = Vec::new();
        let mut by_piece: Vec<Vec<(u32, String)>> = Vec::new();
        let mut always = Vec::new();
        for (row, pat) in cells {
            let longest = pat.split('*').max_by_key(|p| p.len()).unwrap_or_default();
            if longest.is_empty() {
                always.push((row, pat));
                continue;
            }
            let key = fold(longest, case_sensitive);
            let id = *ids.entry(key).or_insert_with_key(|k| {
                keys.push(k.clone());
                by_piece.push(Vec::new());
                keys.len() - 1
            });
            if let Some(list) = by_piece.get_mut(id) {
                list.push((row, pat));
            }
        }
        let finder = if keys.is_empty() {
            None
        } else {
            AhoCorasick::new(&keys).ok()
        };
        if finder.is_none() {
            // No automaton (none needed, or it could not be built): try every pattern.
            always.extend(by_piece.drain(..).flatten());
            always.sort_unstable_by_key(|(row, _)| *row);
        }
        Wild {
            finder,
            by_piece,
            always,
        }
    }

    fn bytes(&self) -> usize {
        let cells = |v: &[(u32, String)]| v.iter().map(|(_, p)| p.len() + 32).sum::<usize>();
        self.finder.as_ref().map_or(0, AhoCorasick::memory_usage)
            + self.by_piece.iter().map(|v| cells(v) + 24).sum::<usize>()
            + cells(&self.always)
    }

    /// Push the rows whose pattern matches `text` (unordered).
    fn rows(&self, text: &str, case_sensitive: bool, out: &mut Vec<u32>) {
        let mut try_list = |list: &[(u32, String)]| {
            for (row, pat) in list {
                if cell_matches(MatchKind::Wildcard, pat, text, case_sensitive) {
                    out.push(*row);
                }
            }
        };
        if let Some(finder) = &self.finder {
            let folded = fold(text, case_sensitive);
            let mut found: Vec<usize> = finder
                .find_overlapping_iter(&folded)
                .map(|m| m.pattern().as_usize())
                .collect();
            found.sort_unstable();
            found.dedup();
            for id in found {
                if let Some(list) = self.by_piece.get(id) {
                    try_list(list);
                }
            }
        }
        try_list(&self.always);
    }
}

/// The index over the first input column.
enum Primary {
    /// Exact cells (and wildcard cells without `*`), folded for case; plus the wildcard cells.
    Hash {
        exact: HashMap<String, Vec<u32>>,
        wild: Wild,
    },
    /// CIDR cells by (family, prefix length) → network → rows.
    Cidr(Vec<((bool, u8), NetIndex)>),
}

/// A lookup's compiled matcher: the input columns (table column index and kind) and the index.
pub struct Matcher {
    inputs: Vec<(usize, MatchKind)>,
    primary: Primary,
    rules: Rules,
    /// Estimated bytes of the index.
    pub bytes: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("inputs", &self.inputs)
            .field("rules", &self.rules)
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl Matcher {
    /// Build the matcher for input columns `inputs` (indexes into `table.columns`; at least one).
    pub fn build(table: &Table, inputs: &[usize], rules: &Rules) -> Matcher {
        let inputs: Vec<(usize, MatchKind)> = inputs
            .iter()
            .map(|&c| {
                let name = table.columns.get(c).map(String::as_str).unwrap_or_default();
                (c, rules.kind_of(name))
            })
            .collect();
        let (first_col, first_kind) = inputs.first().copied().unwrap_or((0, MatchKind::Exact));
        let mut bytes = 64usize;
        let primary = match first_kind {
            MatchKind::Cidr => {
                let mut by_len: Vec<((bool, u8), NetIndex)> = Vec::new();
                for (i, row) in table.rows.iter().enumerate() {
                    let Some((v4, net, bits)) = row.get(first_col).and_then(|c| parse_net(c))
                    else {
                        continue;
                    };
                    let Ok(i) = u32::try_from(i) else { break };
                    let slot = match by_len.iter().position(|(k, _)| *k == (v4, bits)) {
                        Some(p) => p,
                        None => {
                            by_len.push(((v4, bits), HashMap::new()));
                            by_len.len() - 1
                        }
                    };
                    if let Some((_, m)) = by_len.get_mut(slot) {
                        m.entry(net).or_default().push(i);
                        bytes += 48;
                    }
                }
                // Most specific networks first does not matter: matches are kept in row order.
                Primary::Cidr(by_len)
            }
            kind => {
                let mut exact: HashMap<String, Vec<u32>> = HashMap::new();
                let mut patterns = Vec::new();
                for (i, row) in table.rows.iter().enumerate() {
                    let Ok(i) = u32::try_from(i) else { break };
                    let cell = row.get(first_col).map(String::as_str).unwrap_or_default();
                    bytes += cell.len() + 40;
                    if kind == MatchKind::Wildcard && cell.contains('*') {
                        patterns.push((i, cell.to_string()));
                    } else {
                        exact
                            .entry(fold(cell, rules.case_sensitive))
                            .or_default()
                            .push(i);
                    }
                }
                let wild = Wild::build(patterns, rules.case_sensitive);
                bytes += wild.bytes();
                Primary::Hash { exact, wild }
            }
        };
        Matcher {
            inputs,
            primary,
            rules: rules.clone(),
            bytes,
        }
    }

    /// Rows (in order) whose first input cell matches `text`.
    fn candidates(&self, text: &str) -> Vec<u32> {
        match &self.primary {
            Primary::Hash { exact, wild } => {
                let mut rows: Vec<u32> = exact
                    .get(&fold(text, self.rules.case_sensitive))
                    .cloned()
                    .unwrap_or_default();
                let before = rows.len();
                wild.rows(text, self.rules.case_sensitive, &mut rows);
                if rows.len() > before {
                    rows.sort_unstable();
                }
                rows
            }
            Primary::Cidr(by_len) => {
                let Some((v4, ip)) = parse_ip(text) else {
                    return Vec::new();
                };
                let mut rows = Vec::new();
                for ((fam, bits), nets) in by_len {
                    if *fam != v4 {
                        continue;
                    }
                    if let Some(r) = nets.get(&mask(ip, *bits, if v4 { 32 } else { 128 })) {
                        rows.extend_from_slice(r);
                    }
                }
                rows.sort_unstable();
                rows
            }
        }
    }

    /// The matching rows for an event whose input fields hold `values` (one list of texts per
    /// input column, in order; every list non-empty). Rows come in the order of the first
    /// field's values, each value's rows in file order, each row once, at most `max_matches`.
    /// A row matches when, for every input column, one of the field's values matches its cell.
    pub fn find(&self, table: &Table, values: &[Vec<String>]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let Some(first) = values.first() else {
            return out;
        };
        for text in first {
            for row in self.candidates(text) {
                if out.len() >= self.rules.max_matches {
                    return out;
                }
                if out.contains(&row) {
                    continue;
                }
                let Some(cells) = table.rows.get(row as usize) else {
                    continue;
                };
                let rest_ok = self
                    .inputs
                    .iter()
                    .zip(values)
                    .skip(1)
                    .all(|((col, kind), vals)| {
                        let cell = cells.get(*col).map(String::as_str).unwrap_or_default();
                        vals.iter()
                            .any(|v| cell_matches(*kind, cell, v, self.rules.case_sensitive))
                    });
                if rest_ok {
                    out.push(row);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn table(text: &str) -> Table {
        super::super::table::parse(Path::new("t.csv"), text.as_bytes()).unwrap()
    }

    fn texts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn match_type_parses_the_corpus_forms() {
        assert_eq!(
            parse_match_type("WILDCARD(a), WILDCARD(b)").unwrap(),
            [
                ("a".to_string(), MatchKind::Wildcard),
                ("b".to_string(), MatchKind::Wildcard)
            ]
        );
        assert_eq!(
            parse_match_type("CIDR(ip)").unwrap(),
            [("ip".to_string(), MatchKind::Cidr)]
        );
        assert!(parse_match_type("FUZZY(a)").is_err());
        assert!(parse_match_type("WILDCARD a").is_err());
    }

    #[test]
    fn exact_index_respects_case_rule_and_row_order() {
        let t = table("k,v\nA,1\nb,2\na,3\n");
        let sensitive = Matcher::build(&t, &[0], &Rules::default());
        assert_eq!(sensitive.find(&t, &[texts(&["a"])]), [2]);
        let rules = Rules {
            case_sensitive: false,
            ..Rules::default()
        };
        let insensitive = Matcher::build(&t, &[0], &rules);
        assert_eq!(insensitive.find(&t, &[texts(&["a"])]), [0, 2]);
        let one = Rules {
            case_sensitive: false,
            max_matches: 1,
            ..Rules::default()
        };
        assert_eq!(
            Matcher::build(&t, &[0], &one).find(&t, &[texts(&["A"])]),
            [0]
        );
    }

    #[test]
    fn wildcard_rows_keep_file_order_with_exact_ones() {
        let t = table("p,v\n*.exe,1\ncmd.exe,2\nc*,3\n");
        let rules = Rules {
            match_types: vec![("p".into(), MatchKind::Wildcard)],
            ..Rules::default()
        };
        let m = Matcher::build(&t, &[0], &rules);
        assert_eq!(m.find(&t, &[texts(&["cmd.exe"])]), [0, 1, 2]);
        assert_eq!(m.find(&t, &[texts(&["calc.exe"])]), [0, 2]);
        assert!(m.find(&t, &[texts(&["x.dll"])]).is_empty());
    }

    /// The index finds exactly the rows a scan of the table finds, in the same order, for
    /// random patterns and values over a small alphabet (both cases, a non-ASCII letter).
    #[test]
    fn index_agrees_with_a_scan() {
        let mut seed: u64 = 0x5eed;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let alphabet = ['a', 'b', 'A', '.', 'É', 'é'];
        let word = |stars: bool, next: &mut dyn FnMut(u64) -> u64| {
            let len = next(5);
            (0..len)
                .map(|_| {
                    if stars && next(4) == 0 {
                        '*'
                    } else {
                        alphabet[next(alphabet.len() as u64) as usize]
                    }
                })
                .collect::<String>()
        };
        for case_sensitive in [true, false] {
            for kind in [MatchKind::Wildcard, MatchKind::Exact] {
                let mut csv = String::from("k,v\n");
                for i in 0..60 {
                    let cell = word(kind == MatchKind::Wildcard, &mut next);
                    csv.push_str(&format!("{cell},{i}\n"));
                }
                let t = table(&csv);
                let rules = Rules {
                    match_types: vec![("k".into(), kind)],
                    case_sensitive,
                    max_matches: 1000,
                    ..Rules::default()
                };
                let m = Matcher::build(&t, &[0], &rules);
                for _ in 0..300 {
                    let text = word(false, &mut next);
                    let want: Vec<u32> = (0..t.rows.len() as u32)
                        .filter(|r| {
                            cell_matches(kind, &t.rows[*r as usize][0], &text, case_sensitive)
                        })
                        .collect();
                    assert_eq!(
                        m.find(&t, &[vec![text.clone()]]),
                        want,
                        "{kind:?} case_sensitive={case_sensitive} text={text:?}\n{csv}"
                    );
                }
            }
        }
    }

    #[test]
    fn cidr_matches_addresses_in_networks() {
        let t = table("net,zone\n10.0.0.0/8,a\n10.1.0.0/16,b\n192.168.1.7,c\n::1/128,d\n");
        let rules = Rules {
            match_types: vec![("net".into(), MatchKind::Cidr)],
            ..Rules::default()
        };
        let m = Matcher::build(&t, &[0], &rules);
        assert_eq!(m.find(&t, &[texts(&["10.1.2.3"])]), [0, 1]);
        assert_eq!(m.find(&t, &[texts(&["10.200.0.1"])]), [0]);
        assert_eq!(m.find(&t, &[texts(&["192.168.1.7"])]), [2]);
        assert_eq!(m.find(&t, &[texts(&["::1"])]), [3]);
        assert!(m.find(&t, &[texts(&["not an ip"])]).is_empty());
    }

    #[test]
    fn second_input_filters_and_multivalues_match_any() {
        let t = table("a,b,v\nx,1,p\nx,2,q\ny,1,r\n");
        let m = Matcher::build(&t, &[0, 1], &Rules::default());
        assert_eq!(m.find(&t, &[texts(&["x"]), texts(&["2"])]), [1]);
        assert_eq!(m.find(&t, &[texts(&["y", "x"]), texts(&["1"])]), [2, 0]);
    }
}
