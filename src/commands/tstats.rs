//! `| tstats aggs FROM datamodel=Model.Dataset [WHERE search] [BY fields [span=…]]`: aggregate
//! the events of a CIM data model dataset.
//!
//! `| tstats count min(_time) as firstTime FROM datamodel=Endpoint.Processes where
//! Processes.process_name=cmd.exe by Processes.dest` — tstats reads accelerated data models,
//! whose fields are named `Dataset.field`. tripline emulates them: a dataset declares the data
//! model dataset of its events (`datamodel: Endpoint.Processes` in a manifest, `--datamodel`),
//! its events carry CIM field names (`process_name`, `dest`), and tstats sees them as
//! `Processes.process_name`, `Processes.dest`. Events of child datasets (`Web.Proxy`) belong to
//! their parents. `summariesonly`, `allow_old_summaries`, `chunk_size` and `prestats=false` are
//! accepted and ignored; rows whose BY fields are null are dropped unless `fillnull_value` is
//! set (security_content sets it to `null`, the text).

use super::args::tokens;
use super::stats::{AggSpec, Input, State, describe_aggs, group_keys, input_of, lower_aggs};
use crate::diag::{Diag, Kind, Span};
use crate::exec::ExecCtx;
use crate::plan::search::{Pred, compile};
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{Tok, TokKind};
use crate::syntax::{parse_search, parse_stats};
use crate::value::{Value, compare};
use std::collections::HashMap;

/// CIM data models: model, its datasets (name, parent) — the datasets the corpus uses and
/// their parents and children (Splunk Common Information Model 5.x).
/// A dataset of a data model: its name and its parent's.
type Dataset = (&'static str, Option<&'static str>);

static MODELS: &[(&str, &[Dataset])] = &[
    ("Alerts", &[("Alerts", None)]),
    (
        "Authentication",
        &[
            ("Authentication", None),
            ("Default_Authentication", Some("Authentication")),
            ("Failed_Authentication", Some("Authentication")),
            ("Insecure_Authentication", Some("Authentication")),
            ("Privileged_Authentication", Some("Authentication")),
            ("Successful_Authentication", Some("Authentication")),
        ],
    ),
    (
        "Certificates",
        &[
            ("All_Certificates", None),
            ("SSL", Some("All_Certificates")),
        ],
    ),
    (
        "Change",
        &[
            ("All_Changes", None),
            ("Account_Management", Some("All_Changes")),
            ("Auditing_Changes", Some("All_Changes")),
            ("Endpoint_Changes", Some("All_Changes")),
            ("Instance_Changes", Some("All_Changes")),
            ("Network_Changes", Some("All_Changes")),
        ],
    ),
    (
        "Email",
        &[
            ("All_Email", None),
            ("Content", Some("All_Email")),
            ("Delivery", Some("All_Email")),
            ("Filtering", Some("All_Email")),
        ],
    ),
    (
        "Endpoint",
        &[
            ("Processes", None),
            ("Filesystem", None),
            ("Registry", None),
            ("Services", None),
            ("Ports", None),
        ],
    ),
    ("Intrusion_Detection", &[("IDS_Attacks", None)]),
    ("Malware", &[("Malware_Attacks", None)]),
    ("Network_Resolution", &[("DNS", None)]),
    (
        "Network_Sessions",
        &[
            ("All_Sessions", None),
            ("DHCP", Some("All_Sessions")),
            ("Session_End", Some("All_Sessions")),
            ("Session_Start", Some("All_Sessions")),
            ("VPN", Some("All_Sessions")),
        ],
    ),
    ("Network_Traffic", &[("All_Traffic", None)]),
    ("Risk", &[("All_Risk", None)]),
    (
        "Updates",
        &[("Updates", None), ("Update_Errors", Some("Updates"))],
    ),
    ("Vulnerabilities", &[("Vulnerabilities", None)]),
    (
        "Web",
        &[
            ("Web", None),
            ("Proxy", Some("Web")),
            ("Storage", Some("Web")),
        ],
    ),
];

/// Resolve `Model` or `Model.Dataset` to (model, dataset).
pub fn resolve(name: &str) -> Option<(&'static str, &'static str)> {
    let (model, ds) = name
        .split_once('.')
        .map_or((name, None), |(m, d)| (m, Some(d)));
    let (m, list) = MODELS.iter().find(|(m, _)| *m == model)?;
    match ds {
        None => list.first().map(|(d, _)| (*m, *d)),
        Some(d) => list.iter().find(|(n, _)| *n == d).map(|(n, _)| (*m, *n)),
    }
}

/// The chain from a dataset up to its root: `Failed_Authentication`, `Authentication`.
pub(crate) fn lineage(model: &str, ds: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let Some((_, list)) = MODELS.iter().find(|(m, _)| *m == model) else {
        return out;
    };
    let mut cur = Some(ds);
    while let Some(c) = cur {
        match list.iter().find(|(n, _)| *n == c) {
            Some((n, parent)) => {
                out.push(*n);
                cur = *parent;
            }
            None => break,
        }
    }
    out
}

#[derive(Debug)]
struct Tstats {
    model: &'static str,
    dataset: &'static str,
    aggs: Vec<AggSpec>,
    pred: Pred,
    by: Vec<FieldRef>,
    span: Option<f64>,
    fillnull: Option<String>,
}

fn kw(t: &Tok, word: &str) -> bool {
    t.word().is_some_and(|w| w.eq_ignore_ascii_case(word))
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks = tokens(l);
    let pos = |word: &str| toks.iter().position(|t| kw(t, word));
    let (from_at, where_at, by_at) = (pos("from"), pos("where"), pos("by"));
    let Some(from_at) = from_at else {
        return Err(Diag::error(
            Kind::Unsupported,
            "tripline::tstats::no_datamodel",
            "`tstats` without `FROM datamodel=…` reads indexed fields, which tripline does not have",
        )
        .at(l.cmd.name_span)
        .help("tripline runs tstats over CIM data models: `| tstats count FROM datamodel=Endpoint.Processes …`"));
    };
    // Options and aggregations come before FROM.
    let mut fillnull = None;
    let mut agg_start = None;
    for t in toks.iter().take(from_at) {
        match &t.kind {
            TokKind::Kv { key, value, .. } if agg_start.is_none() => {
                let k = key.to_ascii_lowercase();
                match k.as_str() {
                    "fillnull_value" => fillnull = value.text(),
                    "summariesonly"
                    | "allow_old_summaries"
                    | "chunk_size"
                    | "local"
                    | "include_reduced_buckets"
                    | "prestats"
                    | "append" => {
                        if k == "prestats"
                            && value
                                .text()
                                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "t")
                        {
                            return Err(Diag::error(
                                Kind::Unsupported,
                                "tripline::tstats::prestats",
                                "`prestats=true` is not supported",
                            )
                            .at(t.span));
                        }
                    }
                    _ => {
                        return Err(Diag::error(
                            Kind::Unsupported,
                            "tripline::tstats::option",
                            format!("`tstats` option `{key}` is not supported yet"),
                        )
                        .at(t.span));
                    }
                }
            }
            _ => {
                if agg_start.is_none() {
                    agg_start = Some(t.span.start);
                }
            }
        }
    }
    let from_tok = toks.get(from_at).map(|t| t.span).unwrap_or(l.cmd.name_span);
    let aggs_text_span = Span::new(agg_start.unwrap_or(from_tok.start), from_tok.start);
    let aggs_text = l
        .text
        .get(aggs_text_span.start..aggs_text_span.end)
        .unwrap_or_default();
    let stats = parse_stats(aggs_text, aggs_text_span.start)?;
    if stats.aggs.is_empty() {
        return Err(l.error(
            aggs_text_span,
            "tripline::tstats::no_aggregation",
            "`tstats` needs an aggregation such as `count`",
        ));
    }
    // FROM datamodel=X
    let (dm, dm_span) = match (toks.get(from_at + 1), toks.get(from_at + 2)) {
        (
            Some(Tok {
                kind: TokKind::Kv { key, value, .. },
                span,
            }),
            _,
        ) if key.eq_ignore_ascii_case("datamodel") => (value.text().unwrap_or_default(), *span),
        (Some(a), Some(b)) if kw(a, "datamodel") => {
            (b.text().unwrap_or_default(), a.span.to(b.span))
        }
        (Some(t), _) => {
            return Err(l.error(
                t.span,
                "tripline::tstats::from",
                "expected `datamodel=Model.Dataset` after FROM",
            ));
        }
        _ => {
            return Err(l.error(
                from_tok,
                "tripline::tstats::from",
                "expected `datamodel=Model.Dataset` after FROM",
            ));
        }
    };
    let Some((model, dataset)) = resolve(&dm) else {
        return Err(l
            .error(dm_span, "tripline::tstats::unknown_datamodel", format!("unknown data model dataset `{dm}`"))
            .help("known models: Alerts, Authentication, Certificates, Change, Email, Endpoint, Intrusion_Detection, Malware, Network_Resolution, Network_Sessions, Network_Traffic, Risk, Updates, Vulnerabilities, Web"));
    };
    // WHERE search
    let section_end = |start: usize| {
        [where_at, by_at]
            .into_iter()
            .flatten()
            .filter(|p| *p > start)
            .min()
            .and_then(|p| toks.get(p))
            .map_or(l.cmd.span.end, |t| t.span.start)
    };
    let pred = match where_at {
        Some(w) => {
            let start = toks.get(w).map_or(0, |t| t.span.end);
            let end = section_end(w);
            let text = l.text.get(start..end).unwrap_or_default();
            match parse_search(text, start)? {
                Some(e) => compile(&e, &mut |q| l.sub(q))?,
                None => Pred::True,
            }
        }
        None => Pred::True,
    };
    // BY fields [span=…]
    let mut by = Vec::new();
    let mut span = None;
    if let Some(b) = by_at {
        let end = section_end(b);
        for t in toks.iter().skip(b + 1).take_while(|t| t.span.start < end) {
            match &t.kind {
                TokKind::Comma => {}
                TokKind::Kv { key, value, .. } if key.eq_ignore_ascii_case("span") => {
                    let text = value.text().unwrap_or_default();
                    span = Some(parse_span(&text).ok_or_else(|| {
                        l.error(
                            t.span,
                            "tripline::tstats::span",
                            format!("bad span `{text}`"),
                        )
                        .help("for example `span=1h`")
                    })?);
                }
                TokKind::Word(_) | TokKind::Str(_) => {
                    by.push(FieldRef::new(&t.text().unwrap_or_default()))
                }
                _ => {
                    return Err(l.error(
                        t.span,
                        "tripline::tstats::by",
                        "expected field names after BY",
                    ));
                }
            }
        }
    }
    let lower_ctx = Lower {
        cmd: l.cmd,
        index: l.index,
        text: l.text,
        env: l.env,
    };
    Ok(Box::new(Tstats {
        model,
        dataset,
        aggs: lower_aggs(&lower_ctx, &stats.aggs, false)?,
        pred,
        by,
        span,
        fillnull,
    }))
}

fn parse_span(s: &str) -> Option<f64> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let n: f64 = if digits.is_empty() {
        1.0
    } else {
        digits.parse().ok()?
    };
    let unit = s.get(digits.len()..)?.to_ascii_lowercase();
    let mult = match unit.as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        _ => return None,
    };
    (n > 0.0).then_some(n * mult)
}

impl Step for Tstats {
    fn describe(&self) -> String {
        let mut s = format!(
            "tstats {} from datamodel={}.{}",
            describe_aggs(&self.aggs, &[]),
            self.model,
            self.dataset
        );
        if !matches!(self.pred, Pred::True) {
            s.push_str(&format!(" where {}", self.pred.show()));
        }
        if !self.by.is_empty() {
            s.push_str(" by ");
            s.push_str(
                &self
                    .by
                    .iter()
                    .map(FieldRef::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if let Some(sp) = self.span {
            s.push_str(&format!(" span={}s", crate::value::format_number(sp)));
        }
        s
    }
    fn outputs(&self, _input: Fields) -> Fields {
        Fields::Known(
            self.by
                .iter()
                .map(|f| f.name().to_string())
                .chain(self.aggs.iter().map(|a| a.out.clone()))
                .collect(),
        )
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(TstatsOp { spec: self }))
    }
}

struct TstatsOp<'a> {
    spec: &'a Tstats,
}

struct Group {
    key: Vec<Value>,
    states: Vec<State>,
}

impl TstatsOp<'_> {
    /// The event as the data model sees it: every field also under `Dataset.field` for each
    /// dataset of its lineage up to the one queried.
    fn view(&self, rec: &Record, declared: &str) -> Option<Record> {
        let (model, ds) = resolve(declared)?;
        if model != self.spec.model {
            return None;
        }
        let chain = lineage(model, ds);
        if !chain.contains(&self.spec.dataset) {
            return None;
        }
        let mut row = crate::record::FieldMap::default();
        let visible = rec.visible();
        if let Some(t) = visible.get("_time") {
            row.insert("_time".into(), t.clone());
        }
        for prefix in &chain {
            for (k, v) in &visible {
                if k != "_time" {
                    row.insert(format!("{prefix}.{k}").into(), v.clone());
                }
            }
        }
        for m in ["host", "source", "sourcetype", "index"] {
            let v = rec.get_name(m);
            if !v.is_null() {
                row.insert(m.into(), v);
            }
        }
        Some(Record::from_row(row))
    }
}

impl Operator for TstatsOp<'_> {
    fn push(&mut self, _batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        Ok(Vec::new())
    }

    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let spec = self.spec;
        let time_ref = FieldRef::new("_time");
        let mut groups: HashMap<Vec<String>, Group> = HashMap::new();
        let mut failure = None;
        let stats = ctx.data.for_each(&mut |event| {
            let Some(declared) = event.meta.datamodel.clone() else {
                return Ok(());
            };
            let rec = Record::from_event(event);
            let Some(mut view) = self.view(&rec, &declared) else {
                return Ok(());
            };
            if !spec.pred.matches(&view, &ctx.eval) {
                return Ok(());
            }
            if let (Some(sp), Some(t)) = (spec.span, view.get(&time_ref).as_number()) {
                view.set("_time", Value::Num((t / sp).floor() * sp));
            }
            if let Some(fill) = &spec.fillnull {
                for f in &spec.by {
                    if view.get(f).is_null() {
                        view.set(f.name(), Value::Str(fill.clone()));
                    }
                }
            }
            let keys = group_keys(&spec.by, &view);
            let inputs: Vec<Value> = spec.aggs.iter().map(|a| input_of(a, &view, ctx)).collect();
            let time = view.get(&time_ref).as_number();
            for key in keys {
                let text: Vec<String> = key
                    .iter()
                    .map(|v| v.to_text().unwrap_or_default())
                    .collect();
                let g = groups.entry(text).or_insert_with(|| Group {
                    key,
                    states: spec.aggs.iter().map(|a| State::new(a.func)).collect(),
                });
                for ((state, a), input) in g.states.iter_mut().zip(&spec.aggs).zip(&inputs) {
                    state.add(a.func, input, matches!(a.input, Input::Records), time);
                }
            }
            Ok(())
        });
        match stats {
            Ok(s) => {
                ctx.note_pass(s, ctx.in_top_search());
            }
            Err(e) => failure = Some(e),
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if spec.by.is_empty() && groups.is_empty() {
            groups.insert(
                Vec::new(),
                Group {
                    key: Vec::new(),
                    states: spec.aggs.iter().map(|a| State::new(a.func)).collect(),
                },
            );
        }
        let mut groups: Vec<Group> = groups.into_values().collect();
        groups.sort_by(|a, b| {
            a.key
                .iter()
                .zip(&b.key)
                .map(|(x, y)| compare(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(groups
            .into_iter()
            .map(|g| {
                let mut row = crate::record::FieldMap::default();
                for (f, v) in spec.by.iter().zip(g.key) {
                    row.insert(f.name().into(), v);
                }
                for (a, s) in spec.aggs.iter().zip(&g.states) {
                    row.insert(a.out.as_str().into(), s.result(a.func));
                }
                Record::from_row(row)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datamodels_resolve() {
        assert_eq!(
            resolve("Endpoint.Processes"),
            Some(("Endpoint", "Processes"))
        );
        assert_eq!(resolve("Web"), Some(("Web", "Web")));
        assert_eq!(resolve("Change"), Some(("Change", "All_Changes")));
        assert_eq!(resolve("Endpoint.Nope"), None);
        assert_eq!(
            lineage("Authentication", "Failed_Authentication"),
            ["Failed_Authentication", "Authentication"]
        );
        assert_eq!(parse_span("1h"), Some(3600.0));
        assert_eq!(parse_span("10m"), Some(600.0));
        assert_eq!(parse_span("x"), None);
    }
}
