//! The command line (stage: report): `run`, `query`, `check`, `explain`.
//!
//! Exit codes: 0 ok, 1 rule or test failures, 2 invalid rule or usage, 3 I/O error.

mod output;

use crate::diag::{Diag, Kind};
use crate::event::{Dataset, Input, InputPath, Meta, ReadConfig, Sourcetypes, reader::expand_path};
use crate::exec::{ExecCtx, run as run_plan};
use crate::functions::EvalCtx;
use crate::rule::{self, Rule, load};
use crate::syntax::macros::MacroSet;
use crate::time::Zone;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Run Splunk SPL detection rules over JSON events.
#[derive(Parser, Debug)]
#[command(name = "tripline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run rules over data and print what they detect.
    Run(RunArgs),
    /// Run an ad-hoc SPL query over data.
    Query(QueryArgs),
    /// Load, expand, parse and plan rules; print every problem.
    Check(CheckArgs),
    /// Print a rule's (or a query's) plan.
    Explain(ExplainArgs),
}

/// Output formats of `run` and `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON object per line.
    Ndjson,
    /// One JSON document.
    Json,
    /// CSV with a header.
    Csv,
}

#[derive(Args, Debug, Clone)]
struct DataArgs {
    /// Events: NDJSON, JSON array or object files, .gz, folders, `-` for stdin, or dataset
    /// manifests (YAML with `datasets:`). Repeatable.
    #[arg(long = "data", short = 'd')]
    data: Vec<String>,
    /// sourcetype of the events (a manifest's own value wins).
    #[arg(long)]
    sourcetype: Option<String>,
    /// source of the events.
    #[arg(long)]
    source: Option<String>,
    /// host of the events.
    #[arg(long)]
    host: Option<String>,
    /// index of the events.
    #[arg(long)]
    index: Option<String>,
    /// Field holding the event time (overrides the sourcetype table).
    #[arg(long)]
    time_field: Option<String>,
    /// Zone for reading zone-less times and rendering times (IANA name or offset; default UTC).
    #[arg(long)]
    tz: Option<String>,
    /// The search time `now()` and relative times are computed from (epoch seconds or ISO 8601;
    /// default: the current time).
    #[arg(long)]
    now: Option<String>,
    /// Make a malformed event fatal.
    #[arg(long)]
    strict: bool,
    /// Sourcetype table (default: `sourcetypes.yml` beside the rules, if present).
    #[arg(long)]
    sourcetypes: Option<PathBuf>,
    /// Macro files or folders (default: `macros.yml` beside the rules). Repeatable.
    #[arg(long)]
    macros: Vec<PathBuf>,
    /// Rows a `join` subsearch may return (Splunk's default 50,000); past it tripline warns.
    #[arg(long, default_value_t = 50_000)]
    join_max_rows: usize,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Rule files or folders.
    #[arg(required = true)]
    rules: Vec<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args, Debug)]
struct QueryArgs {
    /// The SPL query.
    query: String,
    #[command(flatten)]
    data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// `check` output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Rule files or folders.
    #[arg(required = true)]
    rules: Vec<PathBuf>,
    /// Macro files or folders (default: `macros.yml` beside the rules). Repeatable.
    #[arg(long)]
    macros: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// A rule file.
    rule: Option<PathBuf>,
    /// Explain this query instead of a rule.
    #[arg(long)]
    query: Option<String>,
    /// Macro files or folders. Repeatable.
    #[arg(long)]
    macros: Vec<PathBuf>,
}

/// Run the CLI; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.command {
        Cmd::Run(a) => cmd_run(&a),
        Cmd::Query(a) => cmd_query(&a),
        Cmd::Check(a) => cmd_check(&a),
        Cmd::Explain(a) => cmd_explain(&a),
    };
    ExitCode::from(code)
}

fn exit_code(d: &Diag) -> u8 {
    match d.kind {
        Kind::Io => 3,
        Kind::Runtime => 1,
        _ => 2,
    }
}

fn report(d: &Diag, name: &str, source: Option<&str>) {
    let report = miette::Report::new(d.clone());
    let report = match source {
        Some(src) if d.span.is_some() => {
            report.with_source_code(miette::NamedSource::new(name, src.to_string()))
        }
        _ => report,
    };
    eprintln!("{report:?}");
}

/// Default macro/sourcetype files: `macros.yml` / `sourcetypes.yml` beside the rules.
fn beside(paths: &[PathBuf], file: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        let dir = if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let cand = dir.join(file);
        if cand.is_file() && !out.contains(&cand) {
            out.push(cand);
        }
    }
    out
}

fn load_macros(explicit: &[PathBuf], rules: &[PathBuf]) -> Result<MacroSet, Diag> {
    let mut set = MacroSet::new();
    let files = if explicit.is_empty() {
        beside(rules, "macros.yml")
    } else {
        explicit.to_vec()
    };
    for f in files {
        load::macros(&f, &mut set)?;
    }
    Ok(set)
}

fn build_dataset(a: &DataArgs, rules: &[PathBuf]) -> Result<(Dataset, EvalCtx), Diag> {
    let zone = match &a.tz {
        Some(z) => Zone::parse(z).map_err(|m| {
            Diag::error(
                Kind::Invalid,
                "tripline::cli::tz",
                format!("bad `--tz`: {m}"),
            )
        })?,
        None => Zone::Utc,
    };
    let mut sourcetypes = Sourcetypes::default();
    let st_files = match &a.sourcetypes {
        Some(p) => vec![p.clone()],
        None => beside(rules, "sourcetypes.yml"),
    };
    for f in st_files {
        load::sourcetypes(&f, &mut sourcetypes)?;
    }
    let base = Meta {
        source: a.source.clone(),
        sourcetype: a.sourcetype.clone(),
        host: a.host.clone(),
        index: a.index.clone(),
    };
    let mut inputs = Vec::new();
    for d in &a.data {
        let p = Path::new(d);
        if d != "-" && load::is_manifest(p) {
            for (path, ds) in load::manifest(p)? {
                let meta = Meta {
                    source: ds.source.or_else(|| base.source.clone()),
                    sourcetype: ds.sourcetype.or_else(|| base.sourcetype.clone()),
                    host: ds.host.or_else(|| base.host.clone()),
                    index: ds.index.or_else(|| base.index.clone()),
                };
                for ip in expand_path(&path.display().to_string())? {
                    inputs.push(Input {
                        path: ip,
                        meta: meta.clone(),
                    });
                }
            }
        } else {
            for ip in expand_path(d)? {
                inputs.push(Input {
                    path: ip,
                    meta: base.clone(),
                });
            }
        }
    }
    if inputs.is_empty() {
        inputs.push(Input {
            path: InputPath::Stdin,
            meta: base,
        });
    }
    let mut eval = EvalCtx {
        zone: zone.clone(),
        ..EvalCtx::default()
    };
    if let Some(now) = &a.now {
        eval.now = crate::time::parse_timestamp(now, &zone).ok_or_else(|| {
            Diag::error(
                Kind::Invalid,
                "tripline::cli::now",
                format!("bad `--now`: `{now}` is not a time"),
            )
        })?;
    }
    let cfg = ReadConfig {
        strict: a.strict,
        zone,
        time_field: a.time_field.clone(),
        sourcetypes,
    };
    Ok((Dataset::new(inputs, cfg), eval))
}

fn summary(ctx: &ExecCtx, rows: usize, rules: Option<usize>) {
    for w in ctx.warnings.borrow().iter() {
        eprintln!("warning: {w}");
    }
    if let Some(s) = ctx.read_stats.borrow().as_ref() {
        for p in &s.problems {
            eprintln!("warning: {p}");
        }
        if s.malformed as usize > s.problems.len() {
            eprintln!(
                "warning: … and {} more malformed events",
                s.malformed as usize - s.problems.len()
            );
        }
        let rules = rules
            .map(|n| format!(" from {n} rule{}", if n == 1 { "" } else { "s" }))
            .unwrap_or_default();
        eprintln!(
            "tripline: {} events read, {} parsed, {} malformed; {rows} result row{}{rules}",
            s.read,
            s.parsed,
            s.malformed,
            if rows == 1 { "" } else { "s" }
        );
    }
}

fn cmd_run(a: &RunArgs) -> u8 {
    let files = match load::rule_files(&a.rules) {
        Ok(f) => f,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let macros = match load_macros(&a.data.macros, &a.rules) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let (data, eval) = match build_dataset(&a.data, &a.rules) {
        Ok(x) => x,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut ctx = ExecCtx::new(&data, eval);
    ctx.limits.join_rows = a.data.join_max_rows;
    let mut worst = 0u8;
    let mut results: Vec<(String, Vec<crate::record::Record>)> = Vec::new();
    for f in &files {
        let rule = match load::rule(f) {
            Ok(r) => r,
            Err(d) => {
                report(&d, "", None);
                worst = worst.max(exit_code(&d));
                continue;
            }
        };
        let Some(search) = rule.search.clone() else {
            eprintln!("error: {}: the rule has no `search`", f.display());
            worst = worst.max(2);
            continue;
        };
        let compiled = match rule::compile(&search, &macros) {
            Ok(c) => c,
            Err(d) => {
                report(&d, &format!("{} (search)", f.display()), Some(&search));
                worst = worst.max(exit_code(&d));
                continue;
            }
        };
        match run_plan(&compiled.plan, &ctx) {
            Ok(rows) => results.push((rule.display_name(), rows)),
            Err(d) => {
                report(&d, "", None);
                worst = worst.max(exit_code(&d));
            }
        }
    }
    let total = results.iter().map(|(_, r)| r.len()).sum();
    if let Err(e) = output::print_rule_results(&results, a.format) {
        eprintln!("error: cannot write output: {e}");
        return 3;
    }
    summary(&ctx, total, Some(results.len()));
    worst
}

fn cmd_query(a: &QueryArgs) -> u8 {
    let macros = match load_macros(&a.data.macros, &[]) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let compiled = match rule::compile(&a.query, &macros) {
        Ok(c) => c,
        Err(d) => {
            report(&d, "query", Some(&a.query));
            return exit_code(&d);
        }
    };
    let (data, eval) = match build_dataset(&a.data, &[]) {
        Ok(x) => x,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut ctx = ExecCtx::new(&data, eval);
    ctx.limits.join_rows = a.data.join_max_rows;
    match run_plan(&compiled.plan, &ctx) {
        Ok(rows) => {
            if let Err(e) = output::print_rows(&rows, a.format) {
                eprintln!("error: cannot write output: {e}");
                return 3;
            }
            summary(&ctx, rows.len(), None);
            0
        }
        Err(d) => {
            report(&d, "", None);
            exit_code(&d)
        }
    }
}

/// The status `check` gives a rule.
fn status_of(d: &Diag) -> &'static str {
    match d.kind {
        Kind::Parse => "parse_error",
        Kind::Unsupported => "unsupported",
        _ => "invalid",
    }
}

fn cmd_check(a: &CheckArgs) -> u8 {
    let files = match load::rule_files(&a.rules) {
        Ok(f) => f,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let macros = match load_macros(&a.macros, &a.rules) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut entries = Vec::new();
    let mut counts: indexmap::IndexMap<&'static str, usize> =
        ["ok", "parse_error", "unsupported", "invalid"]
            .into_iter()
            .map(|k| (k, 0))
            .collect();
    for f in &files {
        let (name, status, diags, rule) = check_one(f, &macros);
        *counts.entry(status).or_insert(0) += 1;
        entries.push((f.clone(), name, status, diags, rule));
    }
    match a.format {
        CheckFormat::Json => {
            let rules: Vec<serde_json::Value> = entries
                .iter()
                .map(|(f, name, status, diags, rule)| {
                    serde_json::json!({
                        "file": f.display().to_string(),
                        "name": name,
                        "status": status,
                        "messages": diags.iter().map(|d| {
                            let (line, column) = match (d.span, rule) {
                                (Some(s), Some(r)) => r.file_position(s.start),
                                _ => (1, 1),
                            };
                            serde_json::json!({
                                "severity": if d.is_error() { "error" } else { "warning" },
                                "code": d.code,
                                "message": d.message,
                                "line": line,
                                "column": column,
                            })
                        }).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "rules": rules,
                "summary": {
                    "total": entries.len(),
                    "ok": counts.get("ok"),
                    "parse_error": counts.get("parse_error"),
                    "unsupported": counts.get("unsupported"),
                    "invalid": counts.get("invalid"),
                }
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        CheckFormat::Human => {
            for (f, _, status, diags, rule) in &entries {
                for d in diags {
                    let src = rule.as_ref().and_then(|r| r.search.clone());
                    let label = match (d.span, rule) {
                        (Some(s), Some(r)) => {
                            let (l, c) = r.file_position(s.start);
                            format!("{}:{l}:{c} (search)", f.display())
                        }
                        _ => f.display().to_string(),
                    };
                    report(d, &label, src.as_deref());
                }
                if *status == "ok" && diags.is_empty() {
                    continue;
                }
            }
            let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
            println!("checked {} rules: {}", entries.len(), parts.join(", "));
        }
    }
    if counts.get("ok").copied().unwrap_or(0) == entries.len() {
        0
    } else {
        2
    }
}

fn check_one(f: &Path, macros: &MacroSet) -> (String, &'static str, Vec<Diag>, Option<Rule>) {
    let rule = match load::rule(f) {
        Ok(r) => r,
        Err(d) => {
            let status = if d.kind == Kind::Io {
                "invalid"
            } else {
                status_of(&d)
            };
            return (f.display().to_string(), status, vec![d], None);
        }
    };
    let name = rule.display_name();
    let mut diags = Vec::new();
    if rule.name.is_none() {
        diags.push(Diag::error(
            Kind::Invalid,
            "tripline::rule::missing_name",
            "the rule has no `name`",
        ));
    }
    let Some(search) = rule.search.clone() else {
        diags.push(Diag::error(
            Kind::Invalid,
            "tripline::rule::missing_search",
            "the rule has no `search`",
        ));
        return (name, "invalid", diags, Some(rule));
    };
    if let Err(all) = rule::compile_all(&search, macros) {
        diags.extend(all);
    }
    // The worst problem decides: a parse error, then an invalid rule, then unsupported parts.
    let errors: Vec<&Diag> = diags.iter().filter(|d| d.is_error()).collect();
    let status = [
        Kind::Parse,
        Kind::Invalid,
        Kind::Io,
        Kind::Runtime,
        Kind::Unsupported,
    ]
    .iter()
    .find_map(|k| errors.iter().find(|d| d.kind == *k).map(|d| status_of(d)))
    .unwrap_or("ok");
    (name, status, diags, Some(rule))
}

fn cmd_explain(a: &ExplainArgs) -> u8 {
    let (query, name, rules) = match (&a.query, &a.rule) {
        (Some(q), _) => (q.clone(), "query".to_string(), Vec::new()),
        (None, Some(p)) => match load::rule(p) {
            Ok(r) => match r.search.clone() {
                Some(s) => (s, format!("{} (search)", p.display()), vec![p.clone()]),
                None => {
                    eprintln!("error: {}: the rule has no `search`", p.display());
                    return 2;
                }
            },
            Err(d) => {
                report(&d, "", None);
                return exit_code(&d);
            }
        },
        (None, None) => {
            eprintln!("error: give a rule file or `--query '<SPL>'`");
            return 2;
        }
    };
    let macros = match load_macros(&a.macros, &rules) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    match rule::compile(&query, &macros) {
        Ok(c) => {
            print!("{}", c.plan.explain());
            0
        }
        Err(d) => {
            report(&d, &name, Some(&query));
            exit_code(&d)
        }
    }
}
