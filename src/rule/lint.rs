//! Metadata checks a reviewer would make (stage: load, after plan): ids, ATT&CK references,
//! risk scores, risk/threat objects and message fields the search never outputs, required
//! fields it never reads. Each problem carries its line in the rule file.

use super::Rule;
use crate::attack;
use crate::diag::{Diag, Kind};
use crate::plan::Fields;
use serde_yaml::Value as Yaml;

/// Where `needle` first occurs in the rule file (1-based line and column).
fn locate(file_text: &str, needle: &str) -> Option<(usize, usize)> {
    // One search of the whole text, not one per line (a needle with a line break is on no
    // line, and `lines()` yields no line for an empty text).
    if needle.contains('\n') || file_text.is_empty() {
        return None;
    }
    let at = file_text.find(needle)?;
    let line_start = file_text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = file_text[..line_start].matches('\n').count() + 1;
    Some((line, at - line_start + 1))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn invalid(code: &'static str, msg: String, pos: Option<(usize, usize)>) -> Diag {
    Diag::error(Kind::Invalid, code, msg).at_file(pos)
}

/// Every metadata problem of a rule. `outputs` are the fields the search's results can have
/// (None when the search does not plan); `expanded` is the macro-expanded search text.
pub fn lint(
    rule: &Rule,
    file_text: &str,
    outputs: Option<&Fields>,
    expanded: Option<&str>,
) -> Vec<Diag> {
    let mut out = Vec::new();
    match rule.id_text() {
        None => out.push(
            invalid(
                "tripline::rule::missing_id",
                "the rule has no `id`".into(),
                Some((1, 1)),
            )
            .help("add `id:` with a UUID, e.g. from `uuidgen`"),
        ),
        Some(id) if !is_uuid(&id) && rule.language.is_none() => out.push(
            invalid(
                "tripline::rule::malformed_id",
                format!("the rule id `{id}` is not a UUID"),
                locate(file_text, "id:"),
            )
            .help("security_content ids are UUIDs like `5f694cc4-a678-4a60-9410-bffca1b647dc`"),
        ),
        Some(_) => {}
    }
    // ATT&CK
    for id in rule.attack_ids() {
        let pos = locate(file_text, &id);
        match attack::technique(&id) {
            None if attack::is_technique_id(&id) => out.push(invalid(
                "tripline::attack::unknown_technique",
                format!("unknown ATT&CK technique `{id}`"),
                pos,
            )),
            None => out.push(
                invalid(
                    "tripline::attack::malformed",
                    format!("`{id}` is not an ATT&CK technique id"),
                    pos,
                )
                .help("technique ids look like `T1114` or `T1114.001`"),
            ),
            Some(t) if t.deprecated => out.push(
                Diag::warning(
                    "tripline::attack::deprecated",
                    format!(
                        "ATT&CK technique `{id}` ({}) is deprecated or revoked",
                        t.name
                    ),
                )
                .at_file(pos),
            ),
            Some(_) => {}
        }
    }
    if let Some(Yaml::Sequence(threat)) = rule.extra.get("threat") {
        for t in threat {
            if let Some(tid) = t
                .get("tactic")
                .and_then(|x| x.get("id"))
                .and_then(Yaml::as_str)
                && attack::tactic(tid).is_none()
            {
                out.push(invalid(
                    "tripline::attack::unknown_tactic",
                    format!("unknown ATT&CK tactic `{tid}`"),
                    locate(file_text, tid),
                ));
            }
        }
    }
    // risk scores
    let rba = rule.rba();
    for ro in &rba.risk_objects {
        if !(0.0..=100.0).contains(&ro.score) {
            out.push(invalid(
                "tripline::rba::score_range",
                format!("risk score {} of `{}` is outside 0–100", ro.score, ro.field),
                locate(file_text, "score:"),
            ));
        }
    }
    if let Some(score) = rule
        .tag("risk_score")
        .and_then(|v| v.as_f64().or_else(|| v.as_u64().map(|u| u as f64)))
    {
        let pos = locate(file_text, "risk_score:");
        if !(0.0..=100.0).contains(&score) {
            out.push(invalid(
                "tripline::rba::score_range",
                format!("`risk_score` {score} is outside 0–100"),
                pos,
            ));
        }
        let num = |k: &str| {
            rule.tag(k)
                .and_then(|v| v.as_f64().or_else(|| v.as_u64().map(|u| u as f64)))
        };
        if let (Some(i), Some(c)) = (num("impact"), num("confidence")) {
            let want = (i * c / 100.0).round();
            if (want - score).abs() > 0.5 {
                out.push(
                    Diag::warning(
                        "tripline::rba::score_mismatch",
                        format!("`risk_score` {score} disagrees with impact {i} × confidence {c} / 100 = {want}"),
                    )
                    .at_file(pos),
                );
            }
        }
    }
    // fields the search never outputs
    if let Some(fields) = outputs {
        let mut check_field = |what: &str, field: &str, needle: &str| {
            if !fields.may_have(field) {
                out.push(
                    invalid(
                        "tripline::rba::unknown_field",
                        format!("{what} `{field}` is not a field of the search's results"),
                        locate(file_text, needle),
                    )
                    .help(match fields {
                        Fields::Known(v) => format!("the results have: {}", v.join(", ")),
                        Fields::Open(_) => String::new(),
                    }),
                );
            }
        };
        for ro in &rba.risk_objects {
            check_field("risk object", &ro.field, &ro.field);
        }
        for to in &rba.threat_objects {
            check_field("threat object", &to.field, &to.field);
        }
        if let Some(m) = &rba.message {
            for token in message_fields(m) {
                check_field("the risk message's", &token, &format!("${token}$"));
            }
        }
    }
    // required fields the search never reads
    if let (Some(text), Some(Yaml::Sequence(req))) = (expanded, rule.tag("required_fields")) {
        for f in req.iter().filter_map(Yaml::as_str) {
            if !mentions(text, f) {
                out.push(
                    Diag::warning(
                        "tripline::rule::required_field_unused",
                        format!("required field `{f}` is never read by the search"),
                    )
                    .at_file(locate(file_text, &format!("- {f}"))),
                );
            }
        }
    }
    out
}

/// The `$field$` tokens of a message.
pub fn message_fields(m: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = m;
    while let Some(s) = rest.find('$') {
        let after = rest.get(s + 1..).unwrap_or_default();
        match after.find('$') {
            Some(e)
                if e > 0
                    && !after
                        .get(..e)
                        .unwrap_or_default()
                        .contains(char::is_whitespace) =>
            {
                out.push(after.get(..e).unwrap_or_default().to_string());
                rest = after.get(e + 1..).unwrap_or_default();
            }
            _ => rest = after,
        }
    }
    out
}

/// Does the query text name the field (as a whole word)?
fn mentions(text: &str, field: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '{' || c == '}';
    text.match_indices(field).any(|(i, _)| {
        let before = text.get(..i).and_then(|b| b.chars().next_back());
        let after = text.get(i + field.len()..).and_then(|a| a.chars().next());
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions worked out by hand: `score:` starts the third line (after `name: a` and
    /// `  id: b`); `id:` is at byte 3 of the second line; CRLF line ends count as one break.
    #[test]
    fn locate_finds_line_and_column() {
        let text = "name: a\n  id: b\nscore: 5\n";
        assert_eq!(locate(text, "score:"), Some((3, 1)));
        assert_eq!(locate(text, "id:"), Some((2, 3)));
        assert_eq!(locate(text, "a"), Some((1, 2)));
        assert_eq!(locate(text, "missing"), None);
        assert_eq!(locate(text, "a\n"), None);
        assert_eq!(locate("x: 1\r\ny: 2", "y:"), Some((2, 1)));
        assert_eq!(locate("", "x"), None);
    }

    #[test]
    fn helpers() {
        assert!(is_uuid("5f694cc4-a678-4a60-9410-bffca1b647dc"));
        assert!(!is_uuid("5f694cc4-a678-4a60-9410"));
        assert_eq!(
            message_fields("User $Source$ did $Operation$ for $5"),
            ["Source", "Operation"]
        );
        assert!(mentions("stats count by Source Severity", "Source"));
        assert!(!mentions("stats count by SourceX", "Source"));
        assert!(mentions("earliest(_time)", "_time"));
    }
}
