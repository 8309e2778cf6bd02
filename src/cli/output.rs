//! Rendering result rows: table, ndjson, json, csv (stage: report).

use super::Format;
use crate::record::Record;
use crate::value::Value;
use std::io::{self, Write};

/// The results of one rule.
pub struct RuleRows {
    /// Rule name.
    pub rule: String,
    /// Its rows.
    pub rows: Vec<Record>,
    /// The rows are documents (KQL): printed as the documents themselves.
    pub documents: bool,
}

fn json_row(r: &Record, documents: bool) -> serde_json::Map<String, serde_json::Value> {
    if documents
        && let Some(e) = r.event.as_ref()
        && let serde_json::Value::Object(doc) = e.doc.to_json().into_owned()
    {
        return doc;
    }
    r.visible()
        .into_iter()
        .filter_map(|(k, v)| v.to_json().map(|j| (k.into_string(), j)))
        .collect()
}

/// Rows of `run`: each tagged with its rule.
pub fn print_rule_results(results: &[RuleRows], format: Format) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        Format::Ndjson => {
            for RuleRows {
                rule,
                rows,
                documents,
            } in results
            {
                for r in rows {
                    let obj = serde_json::json!({"rule": rule, "result": json_row(r, *documents)});
                    writeln!(out, "{obj}")?;
                }
            }
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = results
                .iter()
                .flat_map(|RuleRows { rule, rows, documents }| {
                    rows.iter().map(
                        move |r| serde_json::json!({"rule": rule, "result": json_row(r, *documents)}),
                    )
                })
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&all).unwrap_or_default()
            )?;
        }
        Format::Csv => {
            let tagged: Vec<crate::record::FieldMap> = results
                .iter()
                .flat_map(|RuleRows { rule, rows, .. }| {
                    rows.iter().map(move |r| {
                        let mut m = crate::record::FieldMap::default();
                        m.insert("rule".into(), Value::Str(rule.clone()));
                        m.extend(r.visible());
                        m
                    })
                })
                .collect();
            write_csv(&mut out, &tagged)?;
        }
        Format::Table => {
            for RuleRows { rule, rows, .. } in results {
                writeln!(
                    out,
                    "== {rule}: {} result{}",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                )?;
                let maps: Vec<crate::record::FieldMap> = rows.iter().map(Record::visible).collect();
                write_table(&mut out, &maps)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()
}

/// Rows of `query`.
pub fn print_rows(rows: &[Record], format: Format, documents: bool) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        Format::Ndjson => {
            for r in rows {
                writeln!(out, "{}", serde_json::Value::Object(json_row(r, documents)))?;
            }
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::Value::Object(json_row(r, documents)))
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&all).unwrap_or_default()
            )?;
        }
        Format::Csv => {
            let maps: Vec<crate::record::FieldMap> = rows.iter().map(Record::visible).collect();
            write_csv(&mut out, &maps)?;
        }
        Format::Table => {
            let maps: Vec<crate::record::FieldMap> = rows.iter().map(Record::visible).collect();
            write_table(&mut out, &maps)?;
        }
    }
    out.flush()
}

fn columns(rows: &[crate::record::FieldMap]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !cols.iter().any(|c| c == k) {
                cols.push(k.to_string());
            }
        }
    }
    cols
}

fn cell(v: Option<&Value>) -> String {
    match v {
        Some(Value::Multi(vs)) => vs
            .iter()
            .filter_map(Value::to_text)
            .collect::<Vec<_>>()
            .join("\n"),
        Some(v) => v.to_text().unwrap_or_default(),
        None => String::new(),
    }
}

fn write_csv(out: &mut impl Write, rows: &[crate::record::FieldMap]) -> io::Result<()> {
    let cols = columns(rows);
    let esc = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    writeln!(
        out,
        "{}",
        cols.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",")
    )?;
    for r in rows {
        let line: Vec<String> = cols.iter().map(|c| esc(&cell(r.get(c.as_str())))).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, rows: &[crate::record::FieldMap]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "(no results)");
    }
    let cols = columns(rows);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| cell(r.get(c.as_str())).replace('\n', " | "))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .filter_map(|row| row.get(i))
                .map(|s| s.chars().count())
                .chain(std::iter::once(c.chars().count()))
                .max()
                .unwrap_or(0)
                .min(60)
        })
        .collect();
    let fmt_row = |vals: &[String]| {
        vals.iter()
            .zip(&widths)
            .map(|(v, w)| {
                let v: String = if v.chars().count() > *w {
                    v.chars()
                        .take(w.saturating_sub(1))
                        .chain(std::iter::once('…'))
                        .collect()
                } else {
                    v.clone()
                };
                format!("{v:<w$}", w = *w)
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", fmt_row(&cols))?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    )?;
    for r in &cells {
        writeln!(out, "{}", fmt_row(r))?;
    }
    Ok(())
}
