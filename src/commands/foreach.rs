//! `foreach [mode=multifield] <wc-field> … [fieldstr=…] [matchstr=…] [matchseg1..3=…]
//! [ <template> ]`: run a templated pipeline once per matching field.
//!
//! `… | foreach stdev_* [eval anomalies = if('<<MATCHSTR>>' > 'avg_<<MATCHSTR>>', "high", anomalies)]`
//! — Splunk Search Reference, *foreach*: for each field that matches the wildcard field list,
//! the template's `<<FIELD>>` becomes the whole field name, `<<MATCHSTR>>` the part matched by
//! the wildcard(s), `<<MATCHSEG1>>`…`<<MATCHSEG3>>` the part matched by the first … third
//! wildcard; `fieldstr=`, `matchstr=`, `matchseg1=`… rename those placeholders. The
//! substitution is textual, before the template is parsed, so `<<FIELD>>` must be quoted
//! (`'<<FIELD>>'`) where a field name with dots or spaces would not read as one name.
//!
//! How tripline runs it: for each result, the fields that result has at that point are
//! matched against the patterns (in the order written; within a pattern in name order; a
//! field matched by two patterns runs once, for the first), and the instantiated template runs
//! over that one result, each field's template on the output of the previous one. **Choices**
//! (undocumented): a wildcard does not match internal fields (`_time`, `_raw` …) unless the
//! pattern itself starts with `_`; with several wildcards `<<MATCHSTR>>` is what they matched,
//! concatenated; a literal field name matches when the result has that field. Only
//! `mode=multifield` (the default) is supported; `multivalue`, `json_array` and
//! `auto_collections` are reported as unsupported. A template is parsed and planned once per
//! distinct field name (checked at plan time with a sample name), so a template that fails for a
//! particular name reports its error at run time.

use super::args::{split, tokens};
use super::common::{lower_pipeline, run_steps};
use crate::diag::{Diag, Kind, Span};
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::Record;
use crate::syntax::ast::TokKind;
use crate::value::wildcard_captures;
use std::collections::HashMap;

#[derive(Debug)]
struct Foreach {
    patterns: Vec<String>,
    /// The template text and where it starts in the query.
    template: String,
    offset: usize,
    /// Span of the whole `[ … ]`.
    span: Span,
    /// Placeholders: field, matchstr, matchseg1..3.
    fieldstr: String,
    matchstr: String,
    matchseg: [String; 3],
    /// Lookups the template's commands may use.
    env: crate::plan::Env,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let s = split(tokens(l));
    s.reject_unknown(
        l,
        &[
            "mode",
            "fieldstr",
            "matchstr",
            "matchseg1",
            "matchseg2",
            "matchseg3",
        ],
    )?;
    if let Some((mode, span)) = s.get("mode")
        && !mode.eq_ignore_ascii_case("multifield")
    {
        return Err(Diag::error(
            Kind::Unsupported,
            "tripline::foreach::mode",
            format!("`foreach mode={mode}` is not supported yet"),
        )
        .at(span)
        .help("tripline runs `mode=multifield` (the default): a list of wildcard field names"));
    }
    let opt = |key: &str, default: &str| -> Result<String, Diag> {
        match s.get(key) {
            None => Ok(default.to_string()),
            Some((v, span)) if v.is_empty() => Err(l.error(
                span,
                "tripline::foreach::placeholder",
                format!("`{key}` cannot be empty"),
            )),
            Some((v, _)) => Ok(v),
        }
    };
    let fieldstr = opt("fieldstr", "<<FIELD>>")?;
    let matchstr = opt("matchstr", "<<MATCHSTR>>")?;
    let matchseg = [
        opt("matchseg1", "<<MATCHSEG1>>")?,
        opt("matchseg2", "<<MATCHSEG2>>")?,
        opt("matchseg3", "<<MATCHSEG3>>")?,
    ];
    let mut patterns = Vec::new();
    let mut template = None;
    for t in &s.rest {
        match &t.kind {
            TokKind::Word(_) | TokKind::Str(_) => {
                patterns.push(t.text().unwrap_or_default());
            }
            TokKind::Comma => {}
            TokKind::Sub { raw, offset, .. } if template.is_none() => {
                template = Some((raw.clone(), *offset, t.span));
            }
            TokKind::Sub { .. } => {
                return Err(l.error(
                    t.span,
                    "tripline::foreach::syntax",
                    "`foreach` takes one [template]",
                ));
            }
            _ => {
                return Err(l
                    .error(
                        t.span,
                        "tripline::foreach::syntax",
                        "expected wildcard field names and a [template]",
                    )
                    .help("for example `foreach count_* [eval <<FIELD>> = <<FIELD>> * 2]`"));
            }
        }
    }
    let Some((template, offset, span)) = template else {
        return Err(l
            .error(
                l.cmd.span,
                "tripline::foreach::syntax",
                "`foreach` needs a [template]",
            )
            .help("for example `foreach count_* [eval <<FIELD>> = <<FIELD>> * 2]`"));
    };
    let Some(first) = patterns.first().cloned() else {
        return Err(l
            .error(
                l.cmd.name_span,
                "tripline::foreach::no_fields",
                "`foreach` needs at least one field name or wildcard",
            )
            .help("for example `foreach count_* [eval <<FIELD>> = <<FIELD>> * 2]`"));
    };
    if template.trim().trim_start_matches('|').trim().is_empty() {
        return Err(l.error(
            span,
            "tripline::foreach::empty",
            "the `foreach` template is empty",
        ));
    }
    let spec = Foreach {
        patterns,
        template,
        offset,
        span,
        fieldstr,
        matchstr,
        matchseg,
        env: l.env.clone(),
    };
    // Check the template now with a sample name, so `check` reports its problems.
    let sample = first.replace('*', "x");
    let caps = wildcard_captures(&first, &sample).unwrap_or_default();
    spec.instantiate(&sample, &caps)?;
    Ok(Box::new(spec))
}

impl Foreach {
    /// The template with the placeholders replaced (left to right; at one position the longest
    /// placeholder wins).
    fn substitute(&self, field: &str, caps: &[String]) -> String {
        let matched = caps.concat();
        let mut subs: Vec<(&str, &str)> = vec![
            (self.fieldstr.as_str(), field),
            (self.matchstr.as_str(), matched.as_str()),
        ];
        for (i, p) in self.matchseg.iter().enumerate() {
            subs.push((p.as_str(), caps.get(i).map_or("", String::as_str)));
        }
        subs.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        let t = self.template.as_str();
        let mut out = String::with_capacity(t.len() + 32);
        let mut i = 0;
        while let Some(rest) = t.get(i..) {
            if rest.is_empty() {
                break;
            }
            if let Some((p, v)) = subs.iter().find(|(p, _)| rest.starts_with(p)) {
                out.push_str(v);
                i += p.len();
            } else if let Some(c) = rest.chars().next() {
                out.push(c);
                i += c.len_utf8();
            } else {
                break;
            }
        }
        out
    }

    /// Where the first placeholder of the template is (errors before it keep their span).
    fn first_placeholder(&self) -> usize {
        let mut all = vec![&self.fieldstr, &self.matchstr];
        all.extend(self.matchseg.iter());
        all.iter()
            .filter_map(|p| self.template.find(p.as_str()))
            .min()
            .map_or(usize::MAX, |i| self.offset + i)
    }

    /// Parse and plan the template for one field.
    fn instantiate(&self, field: &str, caps: &[String]) -> Result<Vec<Box<dyn Step>>, Diag> {
        let text = self.substitute(field, caps);
        // Spans index into this text: padding keeps the part before the first placeholder at
        // its place in the query; the `|` makes the first segment a command.
        let trimmed = text.trim_start();
        let body = trimmed.strip_prefix('|').unwrap_or(&text);
        let pad = self.offset.saturating_sub(1);
        let mut padded = String::with_capacity(pad + 1 + body.len());
        padded.push_str(&" ".repeat(pad));
        padded.push('|');
        padded.push_str(body);
        crate::syntax::parser::parse_query(&padded)
            .and_then(|q| lower_pipeline(&q, &padded, &self.env))
            .map_err(|d| self.in_template(d, field))
    }

    /// Point a problem found in an instantiated template at the template.
    fn in_template(&self, mut d: Diag, field: &str) -> Diag {
        let exact = d
            .span
            .is_some_and(|s| s.start >= self.offset && s.end <= self.first_placeholder());
        if !exact {
            d.span = Some(self.span);
        }
        d.message = format!("in the `foreach` template for `{field}`: {}", d.message);
        d
    }

    /// The fields of `rec` the patterns match, with what the wildcards matched.
    fn matches(&self, rec: &Record) -> Vec<(String, Vec<String>)> {
        let mut names: Vec<String> = rec.visible().into_keys().map(|k| k.into_string()).collect();
        names.sort();
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for p in &self.patterns {
            let internal_ok = !p.contains('*') || p.starts_with('_');
            for n in &names {
                if (n.starts_with('_') && !internal_ok) || out.iter().any(|(m, _)| m == n) {
                    continue;
                }
                if let Some(caps) = wildcard_captures(p, n) {
                    out.push((n.clone(), caps));
                }
            }
        }
        out
    }
}

impl Step for Foreach {
    fn describe(&self) -> String {
        format!(
            "foreach {} [{}]",
            self.patterns.join(" "),
            self.template.trim()
        )
    }
    fn outputs(&self, input: Fields) -> Fields {
        // The template may write fields named after the matches.
        match input {
            Fields::Known(v) | Fields::Open(v) => Fields::Open(v),
        }
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(ForeachOp {
            spec: self,
            plans: HashMap::new(),
        }))
    }
}

struct ForeachOp<'a> {
    spec: &'a Foreach,
    /// The planned template per field name.
    plans: HashMap<String, Vec<Box<dyn Step>>>,
}

impl Operator for ForeachOp<'_> {
    fn push(&mut self, batch: Vec<Record>, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let mut out = Vec::with_capacity(batch.len());
        for rec in batch {
            let mut current = vec![rec];
            let Some(first) = current.first() else {
                continue;
            };
            for (field, caps) in self.spec.matches(first) {
                if !self.plans.contains_key(&field) {
                    let steps = self.spec.instantiate(&field, &caps)?;
                    self.plans.insert(field.clone(), steps);
                }
                let Some(steps) = self.plans.get(&field) else {
                    continue;
                };
                current =
                    run_steps(steps, current, ctx).map_err(|d| self.spec.in_template(d, &field))?;
                if current.is_empty() {
                    break;
                }
            }
            out.extend(current);
        }
        Ok(out)
    }
}
