//! `| from datamodel:<Model.Dataset>` (or `| from datamodel <Model.Dataset>`), and
//! `| from lookup:<name>`: the events of a data model dataset, or the rows of a lookup.
//!
//! Splunk Search Reference, "from": a generating command that "retrieves data from a dataset,
//! such as a data model dataset, a CSV lookup, a KV Store lookup, a saved search"; the type and
//! the name are separated by a colon or a space. `from lookup:x` is `inputlookup x`.
//! `from savedsearch:x` needs Splunk's saved searches and cannot run here.
//!
//! **Choices** (docs/language.md): the events of a data model dataset are those of the datasets
//! that declare it or one of its child datasets (`datamodel:` in a manifest, `--datamodel`),
//! as for `tstats`; they keep their own field names, without the `Dataset.` prefix — the
//! corpus detections that use `from datamodel` (log4shell, osquery alerts) name the fields
//! unprefixed (`stats count by dest, url`). Events come in input order.

use super::args::tokens;
use super::tstats::{lineage, resolve};
use crate::diag::{Diag, Kind, Span};
use crate::exec::ExecCtx;
use crate::plan::{Fields, Lower, Operator, Step};
use crate::record::Record;
use crate::syntax::ast::TokKind;

#[derive(Debug)]
struct FromDatamodel {
    model: &'static str,
    dataset: &'static str,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks = tokens(l);
    let syntax = |span: Span, msg: &str| {
        l.error(span, "tripline::from::syntax", msg.to_string())
            .help("for example `| from datamodel:Web.Web` or `| from lookup:users`")
    };
    // `datamodel:Web.Web` is one word; `datamodel Web.Web` and `datamodel:"Web.Web"` are two.
    let words: Vec<(String, Span)> = toks
        .iter()
        .map(|t| match &t.kind {
            TokKind::Word(_) | TokKind::Str(_) => Ok((t.text().unwrap_or_default(), t.span)),
            _ => Err(syntax(t.span, "expected a dataset type and name")),
        })
        .collect::<Result<_, _>>()?;
    let (kind, kind_span, name, name_span) = match words.as_slice() {
        [(w, s)] => match w.split_once(':') {
            Some((k, n)) if !n.is_empty() => (k.to_string(), *s, n.to_string(), *s),
            _ => return Err(syntax(*s, "expected `<type>:<name>` or `<type> <name>`")),
        },
        [(k, ks), (n, ns)] => (k.trim_end_matches(':').to_string(), *ks, n.clone(), *ns),
        [] => {
            return Err(syntax(
                l.cmd.span,
                "`from` needs a dataset: `from datamodel:Web.Web`",
            ));
        }
        [_, _, (_, s), ..] => return Err(syntax(*s, "unexpected text after the dataset name")),
    };
    match kind.to_ascii_lowercase().as_str() {
        "datamodel" => {
            let name = name.trim_matches('"');
            let Some((model, dataset)) = resolve(name) else {
                return Err(l
                    .error(
                        name_span,
                        "tripline::from::unknown_datamodel",
                        format!("unknown data model dataset `{name}`"),
                    )
                    .help("docs/language.md (tstats) lists the CIM data models and datasets tripline knows"));
            };
            if l.index > 0 {
                return Err(l.error(
                    l.cmd.name_span,
                    "tripline::from::not_first",
                    "`from` must be the first command",
                ));
            }
            Ok(Box::new(FromDatamodel { model, dataset }))
        }
        "lookup" => super::inputlookup::from_lookup(l, &name, name_span),
        "savedsearch" => Err(Diag::error(
            Kind::Unsupported,
            "tripline::plan::cannot_run",
            "command `from savedsearch` cannot run in tripline: it runs a saved search stored in Splunk",
        )
        .at(kind_span)
        .help("paste the saved search's query into the rule")),
        other => Err(l
            .error(
                kind_span,
                "tripline::from::dataset_type",
                format!("unknown dataset type `{other}`"),
            )
            .help("the types are `datamodel`, `lookup` and `savedsearch`")),
    }
}

impl Step for FromDatamodel {
    fn describe(&self) -> String {
        format!("from datamodel:{}.{}", self.model, self.dataset)
    }
    fn outputs(&self, _input: Fields) -> Fields {
        Fields::Open(Vec::new())
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(FromOp { spec: self }))
    }
}

struct FromOp<'a> {
    spec: &'a FromDatamodel,
}

impl Operator for FromOp<'_> {
    fn push(&mut self, _batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        Ok(Vec::new())
    }

    fn finish(&mut self, ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        let spec = self.spec;
        let mut out = Vec::new();
        let stats = ctx.data.for_each(&mut |event| {
            let Some(declared) = event.meta.datamodel.as_deref() else {
                return Ok(());
            };
            let Some((model, ds)) = resolve(declared) else {
                return Ok(());
            };
            if model != spec.model || !lineage(model, ds).contains(&spec.dataset) {
                return Ok(());
            }
            let rec = Record::from_event(event);
            ctx.hold(rec.approx_size())?;
            out.push(rec);
            Ok(())
        })?;
        ctx.note_pass(stats, ctx.in_top_search());
        Ok(out)
    }
}
