//! The MITRE ATT&CK catalog, compiled into the binary (used by load checks, risk events and
//! coverage). Data: `data/attack/*.csv` (see its README for provenance).

use std::collections::HashMap;
use std::sync::OnceLock;

/// One technique or sub-technique.
#[derive(Clone, Debug, PartialEq)]
pub struct Technique {
    /// `T1114` or `T1114.001`.
    pub id: String,
    /// `Email Collection`.
    pub name: String,
    /// Tactic short names (`collection`).
    pub tactics: Vec<String>,
    /// Deprecated or revoked in ATT&CK.
    pub deprecated: bool,
}

/// One tactic.
#[derive(Clone, Debug, PartialEq)]
pub struct Tactic {
    /// `TA0009`.
    pub id: String,
    /// `Collection`.
    pub name: String,
    /// `collection`.
    pub shortname: String,
}

struct Catalog {
    techniques: HashMap<String, Technique>,
    tactics: Vec<Tactic>,
}

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(|| {
        let mut techniques = HashMap::new();
        for line in include_str!("../data/attack/techniques.csv")
            .lines()
            .skip(1)
        {
            let cols: Vec<&str> = line.split(',').collect();
            if let [id, name, tactics, _sub, deprecated] = cols.as_slice() {
                techniques.insert(
                    (*id).to_string(),
                    Technique {
                        id: (*id).to_string(),
                        name: (*name).to_string(),
                        tactics: tactics
                            .split(';')
                            .filter(|t| !t.is_empty())
                            .map(str::to_string)
                            .collect(),
                        deprecated: *deprecated == "True",
                    },
                );
            }
        }
        let tactics = include_str!("../data/attack/tactics.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut c = l.split(',');
                Some(Tactic {
                    id: c.next()?.to_string(),
                    name: c.next()?.to_string(),
                    shortname: c.next()?.to_string(),
                })
            })
            .collect();
        Catalog {
            techniques,
            tactics,
        }
    })
}

/// A technique by id (`T1114`, `T1114.001`).
pub fn technique(id: &str) -> Option<&'static Technique> {
    catalog().techniques.get(id)
}

/// A tactic by id (`TA0009`), short name (`collection`) or name (`Collection`).
pub fn tactic(key: &str) -> Option<&'static Tactic> {
    catalog()
        .tactics
        .iter()
        .find(|t| t.id == key || t.shortname == key || t.name.eq_ignore_ascii_case(key))
}

/// Every technique, sorted by id.
pub fn techniques() -> Vec<&'static Technique> {
    let mut v: Vec<&Technique> = catalog().techniques.values().collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// Does the text look like a technique id (`T` + 4 digits, optional `.` + 3 digits)?
pub fn is_technique_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b {
        [b'T', rest @ ..] if rest.len() == 4 => digits(rest),
        [b'T', rest @ ..] if rest.len() == 8 => {
            rest.get(4) == Some(&b'.')
                && rest.get(..4).is_some_and(digits)
                && rest.get(5..).is_some_and(digits)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_answers() {
        let t = technique("T1114").unwrap();
        assert_eq!(t.name, "Email Collection");
        assert_eq!(t.tactics, ["collection"]);
        assert!(!t.deprecated);
        assert_eq!(
            technique("T1114.001").unwrap().name,
            "Local Email Collection"
        );
        assert!(technique("T1013").unwrap().deprecated);
        assert_eq!(
            technique("T1013").unwrap().tactics,
            ["persistence", "privilege-escalation"]
        );
        assert_eq!(tactic("collection").unwrap().id, "TA0009");
        assert_eq!(tactic("TA0040").unwrap().name, "Impact");
        assert!(technique("T9999").is_none());
        assert!(is_technique_id("T1070.008"));
        assert!(!is_technique_id("T10700"));
        assert!(!is_technique_id("t1070"));
    }
}
