//! Risk-based alerting (stage: report): the risk events Splunk ES creates from a rule's
//! results, and the rule metadata they come from.
//!
//! Two metadata forms give the same events: the current `rba:` block (`message`,
//! `risk_objects: [{field, type, score}]`, `threat_objects: [{field, type}]`) and the older
//! security_content tags (`tags.message`, `tags.risk_score` — or impact × confidence / 100 —,
//! and `tags.observable: [{name, type, role}]`, where role `Victim` makes a risk object and
//! `Attacker` a threat object).

use super::Rule;
use crate::attack;
use crate::record::Record;
use crate::value::Value;
use serde_yaml::Value as Yaml;

/// A risk object of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskObject {
    /// The result field holding the object.
    pub field: String,
    /// `user`, `system` or `other`.
    pub kind: String,
    /// The risk score it receives.
    pub score: f64,
}

/// A threat object of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreatObject {
    /// The result field.
    pub field: String,
    /// `email_subject`, `process_name`, …
    pub kind: String,
}

/// A rule's risk settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rba {
    /// Message with `$field$` tokens.
    pub message: Option<String>,
    /// Risk objects.
    pub risk_objects: Vec<RiskObject>,
    /// Threat objects.
    pub threat_objects: Vec<ThreatObject>,
}

fn text(v: Option<&Yaml>) -> Option<String> {
    match v? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Yaml>) -> Option<f64> {
    match v? {
        Yaml::Number(n) => n.as_f64(),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The ES risk object type of an old-style observable type.
fn risk_type(observable: &str) -> &'static str {
    match observable.to_ascii_lowercase().as_str() {
        "user" | "user name" | "username" | "email address" => "user",
        "hostname" | "ip address" | "endpoint" | "device" | "system" | "host" => "system",
        _ => "other",
    }
}

/// The threat object type of an old-style observable type (`File Name` → `file_name`).
fn threat_type(observable: &str) -> String {
    observable
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

impl Rule {
    /// A tag value.
    pub fn tag(&self, key: &str) -> Option<&Yaml> {
        self.tags.as_ref()?.get(key)
    }

    /// ATT&CK technique ids from `tags.mitre_attack_id` (security_content) and from
    /// `threat[].technique[].id` / `.subtechnique[].id` (Elastic rules).
    pub fn attack_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = match self.tag("mitre_attack_id") {
            Some(Yaml::Sequence(s)) => s.iter().filter_map(|v| text(Some(v))).collect(),
            Some(v) => text(Some(v)).into_iter().collect(),
            None => Vec::new(),
        };
        if let Some(Yaml::Sequence(threat)) = self.extra.get("threat") {
            for t in threat {
                let Some(Yaml::Sequence(techs)) = t.get("technique") else {
                    continue;
                };
                for tech in techs {
                    ids.extend(text(tech.get("id")));
                    if let Some(Yaml::Sequence(subs)) = tech.get("subtechnique") {
                        ids.extend(subs.iter().filter_map(|s| text(s.get("id"))));
                    }
                }
            }
        }
        ids.dedup();
        ids
    }

    /// Analytic stories from `tags.analytic_story`.
    pub fn stories(&self) -> Vec<String> {
        match self.tag("analytic_story") {
            Some(Yaml::Sequence(s)) => s.iter().filter_map(|v| text(Some(v))).collect(),
            Some(v) => text(Some(v)).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// The rule id as text.
    pub fn id_text(&self) -> Option<String> {
        text(self.id.as_ref())
    }

    /// The old-style risk score: `tags.risk_score`, else impact × confidence / 100.
    pub fn tag_risk_score(&self) -> Option<f64> {
        number(self.tag("risk_score")).or_else(|| {
            let i = number(self.tag("impact"))?;
            let c = number(self.tag("confidence"))?;
            Some((i * c / 100.0).round())
        })
    }

    /// Risk settings, from `rba:` when present, else from the older tags.
    pub fn rba(&self) -> Rba {
        if let Some(rba) = &self.rba {
            let list = |key: &str| match rba.get(key) {
                Some(Yaml::Sequence(s)) => s.clone(),
                _ => Vec::new(),
            };
            return Rba {
                message: text(rba.get("message")),
                risk_objects: list("risk_objects")
                    .iter()
                    .filter_map(|o| {
                        Some(RiskObject {
                            field: text(o.get("field"))?,
                            kind: text(o.get("type"))
                                .unwrap_or_else(|| "other".into())
                                .to_ascii_lowercase(),
                            score: number(o.get("score")).unwrap_or(0.0),
                        })
                    })
                    .collect(),
                threat_objects: list("threat_objects")
                    .iter()
                    .filter_map(|o| {
                        Some(ThreatObject {
                            field: text(o.get("field"))?,
                            kind: text(o.get("type")).unwrap_or_else(|| "other".into()),
                        })
                    })
                    .collect(),
            };
        }
        let score = self.tag_risk_score().unwrap_or(0.0);
        let mut out = Rba {
            message: text(self.tag("message")),
            ..Rba::default()
        };
        if let Some(Yaml::Sequence(obs)) = self.tag("observable") {
            for o in obs {
                let (Some(field), kind) =
                    (text(o.get("name")), text(o.get("type")).unwrap_or_default())
                else {
                    continue;
                };
                let roles: Vec<String> = match o.get("role") {
                    Some(Yaml::Sequence(r)) => r.iter().filter_map(|v| text(Some(v))).collect(),
                    other => text(other).into_iter().collect(),
                };
                if roles.iter().any(|r| r.eq_ignore_ascii_case("victim")) {
                    out.risk_objects.push(RiskObject {
                        field: field.clone(),
                        kind: risk_type(&kind).to_string(),
                        score,
                    });
                }
                if roles.iter().any(|r| r.eq_ignore_ascii_case("attacker")) {
                    out.threat_objects.push(ThreatObject {
                        field,
                        kind: threat_type(&kind),
                    });
                }
            }
        }
        out
    }
}

/// Fill every `$field$` of a message from a row: multivalue fields give their values joined by
/// `", "`; a missing field gives nothing (the token is left as written, so the gap is visible).
pub fn interpolate(message: &str, row: &Record) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('$') {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 1..).unwrap_or_default();
        match after.find('$') {
            Some(end)
                if end > 0
                    && !after
                        .get(..end)
                        .unwrap_or_default()
                        .contains(char::is_whitespace) =>
            {
                let name = after.get(..end).unwrap_or_default();
                let v = row.get_name(name);
                if v.is_null() {
                    out.push('$');
                    out.push_str(name);
                    out.push('$');
                } else {
                    let parts: Vec<String> = v.values().iter().filter_map(Value::to_text).collect();
                    out.push_str(&parts.join(", "));
                }
                rest = after.get(end + 1..).unwrap_or_default();
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The risk events for a rule's result rows: one per row and risk-object value.
/// `now` is the time of the search, used when a row has no `_time`.
pub fn risk_events(rule: &Rule, rows: &[Record], now: f64) -> Vec<crate::record::FieldMap> {
    let rba = rule.rba();
    let ids = rule.attack_ids();
    let techniques: Vec<&attack::Technique> =
        ids.iter().filter_map(|i| attack::technique(i)).collect();
    let mut tactic_names: Vec<String> = Vec::new();
    let mut tactic_ids: Vec<String> = Vec::new();
    for t in &techniques {
        for short in &t.tactics {
            if let Some(tac) = attack::tactic(short)
                && !tactic_names.contains(&tac.name)
            {
                tactic_names.push(tac.name.clone());
                tactic_ids.push(tac.id.clone());
            }
        }
    }
    let strs = |v: Vec<String>| Value::from_values(v.into_iter().map(Value::Str).collect());
    let name = rule.display_name();
    let mut out = Vec::new();
    for row in rows {
        let time = row.get_name("_time").as_number().unwrap_or(now);
        let message = rba.message.as_deref().map(|m| interpolate(m, row));
        let mut threats = Vec::new();
        let mut threat_types = Vec::new();
        for t in &rba.threat_objects {
            for v in row.get_name(&t.field).values() {
                threats.push(v.clone());
                threat_types.push(Value::Str(t.kind.clone()));
            }
        }
        for ro in &rba.risk_objects {
            for obj in row.get_name(&ro.field).values() {
                let mut e = crate::record::FieldMap::default();
                e.insert("_time".into(), Value::Num(time));
                e.insert(
                    "search_name".into(),
                    Value::Str(format!("ESCU - {name} - Rule")),
                );
                e.insert("rule".into(), Value::Str(name.clone()));
                if let Some(id) = rule.id_text() {
                    e.insert("rule_id".into(), Value::Str(id));
                }
                e.insert("risk_object".into(), obj.clone());
                e.insert("risk_object_type".into(), Value::Str(ro.kind.clone()));
                e.insert("risk_object_field".into(), Value::Str(ro.field.clone()));
                e.insert("risk_score".into(), Value::Num(ro.score));
                if let Some(m) = &message {
                    e.insert("risk_message".into(), Value::Str(m.clone()));
                }
                e.insert("threat_object".into(), Value::from_values(threats.clone()));
                e.insert(
                    "threat_object_type".into(),
                    Value::from_values(threat_types.clone()),
                );
                e.insert(
                    "annotations.mitre_attack.mitre_technique_id".into(),
                    strs(ids.clone()),
                );
                e.insert(
                    "annotations.mitre_attack.mitre_technique".into(),
                    strs(techniques.iter().map(|t| t.name.clone()).collect()),
                );
                e.insert(
                    "annotations.mitre_attack.mitre_tactic_id".into(),
                    strs(tactic_ids.clone()),
                );
                e.insert(
                    "annotations.mitre_attack.mitre_tactic".into(),
                    strs(tactic_names.clone()),
                );
                e.insert("analyticstories".into(), strs(rule.stories()));
                e.retain(|_, v| !v.is_null());
                out.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation() {
        let mut r = Record::default();
        r.set("user", Value::str("bob"));
        r.set("mv", Value::Multi(vec![Value::str("a"), Value::str("b")]));
        assert_eq!(
            interpolate("User $user$ saw $mv$ ($missing$) $ 5", &r),
            "User bob saw a, b ($missing$) $ 5"
        );
        assert_eq!(interpolate("cost $5 and $user$", &r), "cost $5 and bob");
    }
}
