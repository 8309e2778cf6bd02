//! `rename a AS b, c* AS d*`: rename fields.
//!
//! `… | rename Processes.* AS *` — wildcards on both sides must match in number; renaming a
//! field that does not exist onto an existing one removes the existing one (Splunk's documented
//! behaviour: it is not a merge).

use super::args::{name_list, tokens};
use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::{Lower, PerRecord, Step};
use crate::record::Record;
use crate::syntax::ast::Tok;
use crate::value::{Value, wildcard_captures};

#[derive(Debug)]
struct Rename {
    pairs: Vec<(String, String)>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let all: Vec<&Tok> = tokens(l).iter().collect();
    let names = name_list(l, &all)?;
    let mut pairs = Vec::new();
    let mut i = 0;
    while let Some((from, from_span)) = names.get(i) {
        let (Some((kw, kw_span)), Some((to, to_span))) = (names.get(i + 1), names.get(i + 2))
        else {
            return Err(l.error(
                *from_span,
                "tripline::rename::syntax",
                "expected `old AS new`",
            ));
        };
        if !kw.eq_ignore_ascii_case("as") {
            return Err(l.error(
                *kw_span,
                "tripline::rename::syntax",
                "expected `AS` between the old and the new name",
            ));
        }
        if from.matches('*').count() != to.matches('*').count() && to.contains('*') {
            return Err(l
                .error(
                    from_span.to(*to_span),
                    "tripline::rename::wildcards",
                    "both names must have the same number of `*` wildcards",
                )
                .help("for example `rename Processes.* AS *`"));
        }
        pairs.push((from.clone(), to.clone()));
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

/// Rename keys keeping each renamed field at its position; a field that is renamed onto
/// replaces any other field of that name.
fn rename_in_place(
    row: crate::record::FieldMap,
    renames: &[(String, String)],
) -> crate::record::FieldMap {
    let targets: Vec<&String> = renames.iter().map(|(_, new)| new).collect();
    let mut out = crate::record::FieldMap::with_capacity_and_hasher(row.len(), Default::default());
    for (k, v) in row {
        match renames.iter().find(|(old, _)| *old == k) {
            Some((_, new)) => {
                out.shift_remove(new.as_str());
                out.insert(new.into(), v);
            }
            None if targets.iter().any(|t| **t == k) => {}
            None => {
                out.insert(k, v);
            }
        }
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
    fn outputs(&self, input: crate::plan::Fields) -> crate::plan::Fields {
        use crate::plan::Fields;
        let rename = |mut have: Vec<String>| {
            for (from, to) in &self.pairs {
                have = have
                    .into_iter()
                    .map(|h| match wildcard_captures(from, &h) {
                        Some(c) => fill(to, &c),
                        None => h,
                    })
                    .collect();
            }
            have
        };
        match input {
            Fields::Known(have) => Fields::Known(rename(have)),
            Fields::Open(mut have) => {
                for (_, to) in &self.pairs {
                    if !to.contains('*') {
                        have.push(to.clone());
                    }
                }
                Fields::Open(rename(have))
            }
        }
    }
    fn reads(&self) -> crate::plan::Reads {
        if self
            .pairs
            .iter()
            .any(|(a, b)| a.contains('*') || b.contains('*'))
        {
            return crate::plan::Reads::All;
        }
        crate::plan::Reads::Fields(self.pairs.iter().map(|(a, _)| a.clone()).collect())
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
}

impl Rename {
    /// Rename the fields of an event, keeping the event: `_raw`, `_time` and the metadata
    /// fields stay readable by later commands (`regex`, `rex`, `table host`), as in Splunk.
    /// A renamed field moves to the end of the field order.
    fn rename_event(&self, mut rec: Record) -> Record {
        // The record's field names, listed only when a wildcard needs them (listing builds the
        // value of every field: 3.6 % of a run of ten O365 rules, one of which renames a field
        // of each event it keeps), then kept in step with the renames; a plain name is looked
        // up instead.
        let mut names: Option<Vec<String>> = None;
        for (from, to) in &self.pairs {
            let renames: Vec<(String, String)> = if from.contains('*') {
                names
                    .get_or_insert_with(|| rec.all_names())
                    .iter()
                    .filter_map(|k| {
                        wildcard_captures(from, k).map(|c| (k.to_string(), fill(to, &c)))
                    })
                    .collect()
            } else if rec.has_name(from) {
                vec![(from.clone(), to.clone())]
            } else {
                Vec::new()
            };
            if renames.is_empty() {
                // Renaming a missing field onto an existing one removes it (Splunk).
                if !from.contains('*') {
                    rec.set(to, Value::Null);
                    if let Some(names) = &mut names {
                        names.retain(|n| n != to);
                    }
                }
                continue;
            }
            let moved: Vec<(String, Value)> = renames
                .iter()
                .map(|(old, new)| (new.clone(), rec.get_name(old)))
                .collect();
            for (old, _) in &renames {
                rec.set(old, Value::Null);
                if let Some(names) = &mut names {
                    names.retain(|n| n != old);
                }
            }
            for (new, v) in moved {
                // Remove any earlier value first so the field moves to the end.
                rec.remove(&new);
                rec.set(&new, v);
                if let Some(names) = &mut names
                    && !names.contains(&new)
                {
                    names.push(new);
                }
            }
        }
        rec
    }
}

impl PerRecord for Rename {
    fn apply(&self, rec: &mut Record, _ctx: &EvalCtx) -> bool {
        *rec = self.map(std::mem::take(rec));
        true
    }
}

impl Rename {
    /// The record with the fields renamed.
    fn map(&self, rec: Record) -> Record {
        if rec.event.is_some() {
            return self.rename_event(rec);
        }
        let names = rec.all_names();
        let mut row = rec.visible();
        for m in crate::record::META_FIELDS {
            if names.iter().any(|n| n == m) && !row.contains_key(m) {
                row.insert((*m).into(), rec.get_name(m));
            }
        }
        for (from, to) in &self.pairs {
            let renames: Vec<(String, String)> = row
                .keys()
                .filter_map(|k| wildcard_captures(from, k).map(|c| (k.to_string(), fill(to, &c))))
                .collect();
            if renames.is_empty() {
                // Renaming a missing field onto an existing one removes it (Splunk).
                if !from.contains('*') {
                    row.shift_remove(to.as_str());
                }
                continue;
            }
            row = rename_in_place(row, &renames);
        }
        Record::from_row(row)
    }
}
