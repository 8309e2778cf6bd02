//! `rename a AS b, c* AS d*`: rename fields.
//!
//! `… | rename Processes.* AS *` — wildcards on both sides must match in number; renaming a
//! field that does not exist onto an existing one removes the existing one (Splunk's documented
//! behaviour: it is not a merge).

use super::args::{is_kw, tokens};
use crate::diag::Diag;
use crate::exec::ExecCtx;
use crate::plan::{Lower, Operator, Step};
use crate::record::Record;
use crate::syntax::ast::{Tok, TokKind};
use crate::value::{Value, wildcard_captures};

#[derive(Debug)]
struct Rename {
    pairs: Vec<(String, String)>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let toks: Vec<&Tok> = tokens(l)
        .iter()
        .filter(|t| !matches!(t.kind, TokKind::Comma))
        .collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while let Some(from) = toks.get(i) {
        let (Some(kw), Some(to)) = (toks.get(i + 1), toks.get(i + 2)) else {
            return Err(l.error(
                from.span,
                "tripline::rename::syntax",
                "expected `old AS new`",
            ));
        };
        if !is_kw(kw, "as") {
            return Err(l.error(
                kw.span,
                "tripline::rename::syntax",
                "expected `AS` between the old and the new name",
            ));
        }
        let (Some(a), Some(b)) = (from.text(), to.text()) else {
            return Err(l.error(
                from.span.to(to.span),
                "tripline::rename::syntax",
                "expected field names",
            ));
        };
        if a.matches('*').count() != b.matches('*').count() && b.contains('*') {
            return Err(l
                .error(
                    from.span.to(to.span),
                    "tripline::rename::wildcards",
                    "both names must have the same number of `*` wildcards",
                )
                .help("for example `rename Processes.* AS *`"));
        }
        pairs.push((a, b));
        i += 3;
    }
    if pairs.is_empty() {
        return Err(l.error(
            l.cmd.span,
            "tripline::rename::empty",
            "`rename` needs `old AS new`",
        ));
    }
    Ok(Box::new(Rename { pairs }))
}

fn fill(template: &str, caps: &[String]) -> String {
    let mut out = String::new();
    let mut caps = caps.iter();
    for (i, part) in template.split('*').enumerate() {
        if i > 0 {
            out.push_str(caps.next().map(String::as_str).unwrap_or_default());
        }
        out.push_str(part);
    }
    out
}

impl Step for Rename {
    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .pairs
            .iter()
            .map(|(a, b)| format!("{a} AS {b}"))
            .collect();
        format!("rename {}", parts.join(", "))
    }
    fn start(&self, _ctx: &ExecCtx) -> Result<Box<dyn Operator + '_>, Diag> {
        Ok(Box::new(self))
    }
}

impl Operator for &Rename {
    fn push(&mut self, batch: Vec<Record>, _ctx: &ExecCtx) -> Result<Vec<Record>, Diag> {
        Ok(batch
            .into_iter()
            .map(|rec| {
                let names = rec.all_names();
                let mut row = rec.visible();
                for m in ["source", "sourcetype", "host", "index"] {
                    if names.iter().any(|n| n == m) && !row.contains_key(m) {
                        row.insert(m.to_string(), rec.get_name(m));
                    }
                }
                for (from, to) in &self.pairs {
                    if from.contains('*') {
                        let hits: Vec<(String, String)> = row
                            .keys()
                            .filter_map(|k| {
                                wildcard_captures(from, k).map(|c| (k.clone(), fill(to, &c)))
                            })
                            .collect();
                        for (old, new) in hits {
                            if let Some(v) = row.shift_remove(&old) {
                                row.insert(new, v);
                            }
                        }
                    } else {
                        match row.get_index_of(from.as_str()) {
                            Some(idx) => {
                                let v = row
                                    .shift_remove_index(idx)
                                    .map(|(_, v)| v)
                                    .unwrap_or(Value::Null);
                                row.shift_remove(to.as_str());
                                row.insert(to.clone(), v);
                            }
                            None => {
                                row.shift_remove(to.as_str());
                            }
                        }
                    }
                }
                if rec.event.is_some() {
                    for m in ["source", "sourcetype", "host", "index"] {
                        if !self.pairs.iter().any(|(_, b)| b == m) {
                            row.shift_remove(m);
                        }
                    }
                }
                Record::from_row(row)
            })
            .collect())
    }
}
