//! The command line (stage: report): `run`, `query`, `check`, `explain`.
//!
//! Exit codes: 0 ok, 1 rule or test failures, 2 invalid rule or usage, 3 I/O error.

mod output;
mod progress;

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
    /// Run the rules' tests (`tests:` blocks) and compare with their expectations.
    Test(TestArgs),
    /// Write an ATT&CK Navigator layer of the techniques the rules cover.
    Coverage(CoverageArgs),
    /// Print the eval function reference (docs/functions.md) as Markdown.
    Functions,
}

#[derive(Args, Debug)]
struct TestArgs {
    /// Rule files or folders (default: `rules/`).
    rules: Vec<PathBuf>,
    /// Macro files or folders (default: `macros.yml` beside the rules). Repeatable.
    #[arg(long)]
    macros: Vec<PathBuf>,
    /// Sourcetype table (default: `sourcetypes.yml` beside the rules).
    #[arg(long)]
    sourcetypes: Option<PathBuf>,
    /// A local checkout of splunk/attack_data, for tests whose data is an attack_data URL.
    #[arg(long)]
    attack_data: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// The search time for `now()` (epoch or ISO 8601).
    #[arg(long)]
    now: Option<String>,
    /// KQL field types overriding the bundled ECS schema (for KQL rules).
    #[arg(long)]
    field_types: Option<PathBuf>,
    #[command(flatten)]
    lookups: LookupArgs,
}

#[derive(Args, Debug)]
struct CoverageArgs {
    /// Rule files or folders.
    #[arg(required = true)]
    rules: Vec<PathBuf>,
    /// Write the ATT&CK Navigator layer (JSON) here.
    #[arg(long)]
    navigator: Option<PathBuf>,
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

/// Where lookup tables come from (`run`, `query`, `check`, `test`, `explain`).
#[derive(Args, Debug, Clone, Default)]
struct LookupArgs {
    /// A folder of lookup tables (CSV) and definitions (YAML). Repeatable; later folders win on
    /// a name clash. Default: the `lookups/` folder beside the rules (or beside their
    /// `detections/` folder, security_content's layout).
    #[arg(long = "lookups", value_name = "DIR")]
    lookups: Vec<PathBuf>,
    /// Let lookup names and definition `filename` values be absolute paths, contain `..` or
    /// follow symlinks out of the lookup folders.
    #[arg(long)]
    allow_lookup_paths: bool,
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
    /// CIM data model dataset of the events (`Endpoint.Processes`), read by `tstats`.
    #[arg(long)]
    datamodel: Option<String>,
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
    /// Longest accepted event line in bytes (default 64 MiB); longer lines are rejected as
    /// malformed.
    #[arg(long)]
    max_line_bytes: Option<usize>,
    /// Threads for reading, parsing and filtering, the reading thread included (default: all
    /// cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Parse every event, without the literal prefilter (results are the same; for
    /// measurements and debugging).
    #[arg(long)]
    no_prefilter: bool,
    /// KQL field types (YAML: `field: type` or `field: {type: text, analyzer: …}`), overriding
    /// the bundled ECS schema.
    #[arg(long)]
    field_types: Option<PathBuf>,
    /// Memory budget in MiB for blocking operators (stats groups, sort, join, buffered rows;
    /// default 8192). Past it the run stops with an error instead of exhausting the machine.
    #[arg(long)]
    max_memory: Option<usize>,
    /// Rows a `join` subsearch may return (Splunk's default 50,000); past it tripline warns.
    #[arg(long, default_value_t = 50_000)]
    join_max_rows: usize,
    /// Show a progress line on stderr (bytes, events, throughput) even when stderr is not a
    /// terminal; by default it is shown only on a terminal.
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show the progress line.
    #[arg(long, overrides_with = "progress")]
    no_progress: bool,
    #[command(flatten)]
    lookups: LookupArgs,
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
    /// Print the risk events (RBA) the results create instead of the results.
    #[arg(long)]
    risk: bool,
}

#[derive(Args, Debug)]
struct QueryArgs {
    /// The query (SPL, or KQL with `--kql`).
    query: String,
    /// The query is Kibana KQL: print each matching document.
    #[arg(long)]
    kql: bool,
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
    /// KQL field types overriding the bundled ECS schema.
    #[arg(long)]
    field_types: Option<PathBuf>,
    #[command(flatten)]
    lookups: LookupArgs,
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
    /// The query is Kibana KQL.
    #[arg(long)]
    kql: bool,
    /// KQL field types overriding the bundled ECS schema.
    #[arg(long)]
    field_types: Option<PathBuf>,
    /// Also print how the search reads the data: the literals the prefilter requires and the
    /// fields that are parsed.
    #[arg(long)]
    scan: bool,
    #[command(flatten)]
    lookups: LookupArgs,
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
    let threads = match &cli.command {
        Cmd::Run(a) => a.data.threads,
        Cmd::Query(a) => a.data.threads,
        _ => None,
    };
    // The command runs on a worker of the pool, so that the thread reading the data also
    // parses while it waits for the others (a thread outside the pool would only block).
    // The stack holds the rule parser's (which recurses, see `parse_here`) and a main
    // thread's for the rest (JSON nesting recurses too); it is reserved, not committed.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.map_or(0, |n| n.max(1)))
        .stack_size(crate::syntax::parser::PARSER_STACK + (8 << 20))
        .start_handler(|_| crate::syntax::parser::parse_here())
        .thread_name(|i| format!("tripline-{i}"))
        .build();
    let code = match pool {
        Ok(pool) => pool.install(|| dispatch(cli.command)),
        Err(_) => dispatch(cli.command),
    };
    ExitCode::from(code)
}

fn dispatch(command: Cmd) -> u8 {
    match command {
        Cmd::Run(a) => cmd_run(&a),
        Cmd::Query(a) => cmd_query(&a),
        Cmd::Check(a) => cmd_check(&a),
        Cmd::Explain(a) => cmd_explain(&a),
        Cmd::Test(a) => cmd_test(&a),
        Cmd::Coverage(a) => cmd_coverage(&a),
        Cmd::Functions => {
            print!("{}", crate::functions::markdown());
            0
        }
    }
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

/// Default lookup folders: `lookups/` beside the rules, and beside the `detections/` folder
/// that holds them (security_content's layout: `detections/endpoint/x.yml`, `lookups/`).
fn lookup_folders_beside(rules: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut add = |p: PathBuf| {
        if p.is_dir() && !out.contains(&p) {
            out.push(p);
        }
    };
    for r in rules {
        let dir = if r.is_dir() {
            r.clone()
        } else {
            r.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        add(dir.join("lookups"));
        let mut cur = Some(dir.as_path());
        while let Some(d) = cur {
            if d.file_name().and_then(|n| n.to_str()) == Some("detections")
                && let Some(parent) = d.parent()
            {
                add(parent.join("lookups"));
            }
            cur = d.parent().filter(|p| !p.as_os_str().is_empty());
        }
    }
    out
}

/// The planning environment: the lookup folders (explicit, or beside the rules) loaded with
/// the memory budget as the largest table. Definition files that do not load are warned about.
fn load_env(
    a: &LookupArgs,
    rules: &[PathBuf],
    max_memory_mib: Option<usize>,
) -> Result<crate::plan::Env, Diag> {
    let folders = if a.lookups.is_empty() {
        lookup_folders_beside(rules)
    } else {
        a.lookups.clone()
    };
    let opts = crate::lookup::Options {
        allow_paths: a.allow_lookup_paths,
        max_bytes: max_memory_mib.map_or(crate::exec::Limits::default().memory, |m| {
            m.saturating_mul(1 << 20)
        }),
    };
    let lookups = crate::lookup::Lookups::load(&folders, opts)?;
    for p in lookups.problems() {
        eprintln!("warning: {} [{}]", p.message, p.code);
    }
    Ok(crate::plan::Env {
        lookups: std::sync::Arc::new(lookups),
    })
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
        datamodel: a.datamodel.clone(),
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
                    datamodel: ds.datamodel.or_else(|| base.datamodel.clone()),
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
    // The progress line: on a terminal unless --no-progress, anywhere with --progress.
    let observer: Option<std::sync::Arc<dyn crate::event::reader::Observer>> = if a.no_progress {
        None
    } else if a.progress {
        Some(std::sync::Arc::new(progress::Progress::new(true)))
    } else if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        Some(std::sync::Arc::new(progress::Progress::new(false)))
    } else {
        None
    };
    let cfg = ReadConfig {
        strict: a.strict,
        zone,
        time_field: a.time_field.clone(),
        sourcetypes,
        max_line: a.max_line_bytes,
        observer,
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
        let skipped = if s.skipped > 0 {
            format!(", {} skipped by the prefilter", s.skipped)
        } else {
            String::new()
        };
        let not_read = match s.inputs_skipped {
            0 => String::new(),
            1 => ", 1 input not read (its source, sourcetype, host or index cannot match)".into(),
            n => format!(
                ", {n} inputs not read (their source, sourcetype, host or index cannot match)"
            ),
        };
        eprintln!(
            "tripline: {} events read: {} parsed, {} malformed{skipped}{not_read}; {rows} result row{}{rules}",
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
    let env = match load_env(&a.data.lookups, &a.rules, a.data.max_memory) {
        Ok(e) => e,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut ctx = ExecCtx::new(&data, eval);
    ctx.limits.join_rows = a.data.join_max_rows;
    if let Some(m) = a.data.max_memory {
        ctx.limits.memory = m.saturating_mul(1 << 20);
    }
    ctx.prefilter = !a.data.no_prefilter;
    let mut worst = 0u8;
    let mut results: Vec<output::RuleRows> = Vec::new();
    let mut risk: Vec<output::RuleRows> = Vec::new();
    let types = match field_types(a.data.field_types.as_deref()) {
        Ok(t) => t,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut compiled_rules = Vec::new();
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
        match rule::compile_rule(&rule, &macros, &types, &env) {
            Ok(c) => compiled_rules.push((rule, c)),
            Err(all) => {
                for d in &all {
                    report(d, &format!("{} (search)", f.display()), Some(&search));
                    worst = worst.max(exit_code(d));
                }
            }
        }
    }
    // All rules read the data in one pass.
    let plans: Vec<&crate::plan::Plan> = compiled_rules.iter().map(|(_, c)| &c.plan).collect();
    let outcomes = crate::exec::run_many(&plans, &ctx);
    for ((rule, compiled), outcome) in compiled_rules.iter().zip(outcomes) {
        match outcome {
            Ok(rows) => {
                if a.risk {
                    let events = rule::risk::risk_events(rule, &rows, ctx.eval.now);
                    risk.push(output::RuleRows {
                        rule: rule.display_name(),
                        rows: events
                            .into_iter()
                            .map(crate::record::Record::from_row)
                            .collect(),
                        documents: false,
                    });
                }
                results.push(output::RuleRows {
                    rule: rule.display_name(),
                    rows,
                    documents: compiled.documents,
                });
            }
            Err(d) => {
                report(&d, "", None);
                worst = worst.max(exit_code(&d));
            }
        }
    }
    let total = results.iter().map(|r| r.rows.len()).sum();
    let printed = if a.risk {
        // One flat object per risk event (ndjson), or the events as rows.
        match a.format {
            Format::Ndjson | Format::Json => {
                let all: Vec<crate::record::Record> =
                    risk.into_iter().flat_map(|r| r.rows).collect();
                output::print_rows(&all, a.format, false)
            }
            _ => output::print_rule_results(&risk, a.format),
        }
    } else {
        output::print_rule_results(&results, a.format)
    };
    if let Err(e) = printed {
        eprintln!("error: cannot write output: {e}");
        return 3;
    }
    summary(&ctx, total, Some(results.len()));
    worst
}

/// Bundled field types plus the overrides of `--field-types`.
fn field_types(path: Option<&Path>) -> Result<crate::kql::FieldTypes, Diag> {
    let mut types = crate::kql::FieldTypes::bundled();
    if let Some(p) = path {
        for (f, spec) in load::field_types(p)? {
            types.set(&f, spec);
        }
    }
    Ok(types)
}

/// Compile an ad-hoc query: SPL with macros, or KQL with field types.
fn compile_query(
    query: &str,
    kql: bool,
    macros: &MacroSet,
    types: Option<&Path>,
    env: &crate::plan::Env,
) -> Result<rule::Compiled, Vec<Diag>> {
    if !kql {
        return rule::compile_all_in(query, macros, env);
    }
    let types = field_types(types).map_err(|d| vec![d])?;
    let (plan, warnings) = crate::kql::compile(query, &types)?;
    Ok(rule::Compiled {
        expanded: query.to_string(),
        plan,
        warnings,
        documents: true,
    })
}

fn cmd_query(a: &QueryArgs) -> u8 {
    let macros = match load_macros(&a.data.macros, &[]) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let env = match load_env(&a.data.lookups, &[], a.data.max_memory) {
        Ok(e) => e,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let compiled = match compile_query(
        &a.query,
        a.kql,
        &macros,
        a.data.field_types.as_deref(),
        &env,
    ) {
        Ok(c) => c,
        Err(all) => {
            for d in &all {
                report(d, "query", Some(&a.query));
            }
            return all.first().map_or(2, exit_code);
        }
    };
    for w in &compiled.warnings {
        report(w, "query", Some(&a.query));
    }
    let (data, eval) = match build_dataset(&a.data, &[]) {
        Ok(x) => x,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut ctx = ExecCtx::new(&data, eval);
    ctx.limits.join_rows = a.data.join_max_rows;
    if let Some(m) = a.data.max_memory {
        ctx.limits.memory = m.saturating_mul(1 << 20);
    }
    ctx.prefilter = !a.data.no_prefilter;
    match run_plan(&compiled.plan, &ctx) {
        Ok(rows) => {
            if let Err(e) = output::print_rows(&rows, a.format, compiled.documents) {
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
    let types = match field_types(a.field_types.as_deref()) {
        Ok(t) => t,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let env = match load_env(&a.lookups, &a.rules, None) {
        Ok(e) => e,
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
    let mut seen_ids: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    let mut seen_names: std::collections::HashMap<String, PathBuf> =
        std::collections::HashMap::new();
    // Rules are checked in parallel (each is independent), then reported in file order.
    let checked: Vec<_> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|f| check_one(f, &macros, &types, &env))
            .collect()
    };
    for (f, checked) in files.iter().zip(checked) {
        let Checked {
            name,
            mut status,
            mut diags,
            rule,
            stages,
            text,
        } = checked;
        if let Some(r) = &rule {
            if let Some(id) = r.id_text() {
                if let Some(first) = seen_ids.get(&id) {
                    diags.push(
                        Diag::error(
                            Kind::Invalid,
                            "tripline::rule::duplicate_id",
                            format!("id `{id}` is also used by `{}`", first.display()),
                        )
                        .at_file(
                            text.lines()
                                .position(|l| l.starts_with("id:"))
                                .map(|i| (i + 1, 1)),
                        ),
                    );
                } else {
                    seen_ids.insert(id, f.clone());
                }
            }
            if let Some(n) = &r.name {
                if let Some(first) = seen_names.get(n) {
                    diags.push(
                        Diag::error(
                            Kind::Invalid,
                            "tripline::rule::duplicate_name",
                            format!("name `{n}` is also used by `{}`", first.display()),
                        )
                        .at_file(
                            text.lines()
                                .position(|l| l.starts_with("name:"))
                                .map(|i| (i + 1, 1)),
                        ),
                    );
                } else {
                    seen_names.insert(n.clone(), f.clone());
                }
            }
            status = worst_status(&diags);
        }
        *counts.entry(status).or_insert(0) += 1;
        entries.push((f.clone(), name, status, diags, rule, stages));
    }
    match a.format {
        CheckFormat::Json => {
            let rules: Vec<serde_json::Value> = entries
                .iter()
                .map(|(f, name, status, diags, rule, stages)| {
                    serde_json::json!({
                        "file": f.display().to_string(),
                        "name": name,
                        "status": status,
                        "parse": stages.parse,
                        "plan": stages.plan,
                        "run": stages.run,
                        "reason": stages.reason,
                        "attack": rule.as_ref().map(|r| r.attack_ids().iter().map(|id| {
                            let t = crate::attack::technique(id);
                            serde_json::json!({"id": id, "name": t.map(|t| t.name.clone()), "tactics": t.map(|t| t.tactics.clone())})
                        }).collect::<Vec<_>>()).unwrap_or_default(),
                        "messages": diags.iter().map(|d| {
                            let (line, column) = match (d.span, rule, d.file_pos) {
                                (_, _, Some(p)) => p,
                                (Some(s), Some(r), None) => r.file_position(s.start),
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
                    "parse": entries.iter().filter(|e| e.5.parse).count(),
                    "plan": entries.iter().filter(|e| e.5.plan).count(),
                    "run": entries.iter().filter(|e| e.5.run).count(),
                }
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        CheckFormat::Human => {
            for (f, _, status, diags, rule, _) in &entries {
                for d in diags {
                    let src = rule.as_ref().and_then(|r| r.search.clone());
                    let label = match (d.span, rule) {
                        _ if d.file_pos.is_some() => {
                            let (l, c) = d.file_pos.unwrap_or((1, 1));
                            format!("{}:{l}:{c}", f.display())
                        }
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

/// How far a rule gets: its query parses; every command is one tripline knows and its
/// arguments are valid (plans); and it can run here (nothing it needs is missing, e.g. a
/// GeoIP database or a trained model). `reason` is the first problem that stops it.
#[derive(Clone, Debug, Default)]
struct Stages {
    parse: bool,
    plan: bool,
    run: bool,
    reason: Option<String>,
}

impl Stages {
    /// From the diagnostics of loading and compiling the query (not the metadata lint).
    fn of(compile: &[Diag]) -> Stages {
        let errors: Vec<&Diag> = compile.iter().filter(|d| d.is_error()).collect();
        let why = |d: &Diag| Some(format!("{}: {}", d.code, d.message));
        if let Some(d) = errors.iter().find(|d| d.kind == Kind::Parse) {
            return Stages {
                reason: why(d),
                ..Stages::default()
            };
        }
        // A known command that needs what tripline cannot have (a GeoIP database, a trained
        // model, a lookup table or KV store collection that is not in the lookup folders) still
        // plans: the query is understood, the data it needs is missing.
        if let Some(d) = errors.iter().find(|d| !needs_missing_data(&d.code)) {
            return Stages {
                parse: true,
                reason: why(d),
                ..Stages::default()
            };
        }
        Stages {
            parse: true,
            plan: true,
            run: errors.is_empty(),
            reason: errors.first().and_then(|d| why(d)),
        }
    }
}

/// Problems that stop a rule from running only because it needs data tripline does not have.
fn needs_missing_data(code: &str) -> bool {
    matches!(
        code,
        "tripline::plan::cannot_run"
            | "tripline::lookup::not_found"
            | "tripline::lookup::kvstore"
            | "tripline::lookup::external"
    )
}

fn check_one(
    f: &Path,
    macros: &MacroSet,
    types: &crate::kql::FieldTypes,
    env: &crate::plan::Env,
) -> Checked {
    let (rule, file_text) = match load::rule_and_text(f) {
        Ok(r) => r,
        Err(d) => {
            let status = if d.kind == Kind::Io {
                "invalid"
            } else {
                status_of(&d)
            };
            let stages = Stages {
                reason: Some(format!("{}: {}", d.code, d.message)),
                ..Stages::default()
            };
            return Checked {
                name: f.display().to_string(),
                status,
                diags: vec![d],
                rule: None,
                stages,
                text: String::new(),
            };
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
    if rule.search.is_none() {
        diags.push(Diag::error(
            Kind::Invalid,
            "tripline::rule::missing_search",
            "the rule has no `search`",
        ));
        let stages = Stages {
            reason: Some("tripline::rule::missing_search: the rule has no `search`".into()),
            ..Stages::default()
        };
        return Checked {
            name,
            status: "invalid",
            diags,
            rule: Some(rule),
            stages,
            text: file_text,
        };
    }
    let stages;
    match rule::compile_rule(&rule, macros, types, env) {
        Ok(c) => {
            stages = Stages::of(&c.warnings);
            diags.extend(c.warnings.iter().cloned());
            diags.extend(rule::lint::lint(
                &rule,
                &file_text,
                Some(&c.plan.outputs()),
                Some(&c.expanded),
            ));
        }
        Err(all) => {
            stages = Stages::of(&all);
            diags.extend(all);
            diags.extend(rule::lint::lint(&rule, &file_text, None, None));
        }
    }
    Checked {
        name,
        status: worst_status(&diags),
        diags,
        rule: Some(rule),
        stages,
        text: file_text,
    }
}

/// What checking one rule file found.
struct Checked {
    /// The rule's display name (the file's path when it did not load).
    name: String,
    status: &'static str,
    diags: Vec<Diag>,
    rule: Option<Rule>,
    stages: Stages,
    /// The file's text, for the positions of problems found across rules (empty when the
    /// file did not load).
    text: String,
}

/// The worst problem decides: a parse error, then an invalid rule, then unsupported parts.
fn worst_status(diags: &[Diag]) -> &'static str {
    let errors: Vec<&Diag> = diags.iter().filter(|d| d.is_error()).collect();
    [
        Kind::Parse,
        Kind::Invalid,
        Kind::Io,
        Kind::Runtime,
        Kind::Unsupported,
    ]
    .iter()
    .find_map(|k| errors.iter().find(|d| d.kind == *k).map(|d| status_of(d)))
    .unwrap_or("ok")
}

fn cmd_test(a: &TestArgs) -> u8 {
    let paths = if a.rules.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        a.rules.clone()
    };
    let files = match load::rule_files(&paths) {
        Ok(f) => f,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let macros = match load_macros(&a.macros, &paths) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut sourcetypes = Sourcetypes::default();
    let st_files = match &a.sourcetypes {
        Some(p) => vec![p.clone()],
        None => beside(&paths, "sourcetypes.yml"),
    };
    for f in st_files {
        if let Err(d) = load::sourcetypes(&f, &mut sourcetypes) {
            report(&d, "", None);
            return exit_code(&d);
        }
    }
    let now = match &a.now {
        Some(n) => match crate::time::parse_timestamp(n, &Zone::Utc) {
            Some(t) => Some(t),
            None => {
                eprintln!("error: bad `--now`: `{n}` is not a time");
                return 2;
            }
        },
        None => None,
    };
    let types = match field_types(a.field_types.as_deref()) {
        Ok(t) => t,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let env = match load_env(&a.lookups, &paths, None) {
        Ok(e) => e,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let opts = crate::suite::Options {
        attack_data: a.attack_data.clone(),
        now,
        field_types: Some(types),
        env: std::sync::Arc::new(env),
    };
    let mut outcomes = Vec::new();
    for f in &files {
        match load::rule(f) {
            Ok(r) => outcomes.extend(crate::suite::run_rule(&r, &macros, &sourcetypes, &opts)),
            Err(d) => outcomes.push(crate::suite::Outcome {
                file: f.clone(),
                rule: f.display().to_string(),
                test: "load".into(),
                verdict: crate::suite::Verdict::Fail(vec![d.message]),
                millis: 0.0,
                rows: 0,
            }),
        }
    }
    let (pass, fail, skip) = crate::suite::counts(&outcomes);
    match a.format {
        CheckFormat::Json => {
            let list: Vec<serde_json::Value> = outcomes
                .iter()
                .map(|o| {
                    let (verdict, reasons) = match &o.verdict {
                        crate::suite::Verdict::Pass => ("pass", Vec::new()),
                        crate::suite::Verdict::Fail(r) => ("fail", r.clone()),
                        crate::suite::Verdict::Skip(r) => ("skip", vec![r.clone()]),
                    };
                    serde_json::json!({"file": o.file.display().to_string(), "rule": o.rule, "test": o.test,
                        "verdict": verdict, "reasons": reasons, "rows": o.rows, "millis": o.millis})
                })
                .collect();
            let doc = serde_json::json!({"tests": list, "summary": {"passed": pass, "failed": fail, "skipped": skip}});
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        CheckFormat::Human => {
            for o in &outcomes {
                match &o.verdict {
                    crate::suite::Verdict::Pass => {
                        println!(
                            "PASS  {} :: {} ({} rows, {:.1} ms)",
                            o.rule, o.test, o.rows, o.millis
                        )
                    }
                    crate::suite::Verdict::Skip(why) => {
                        println!("SKIP  {} :: {} ({why})", o.rule, o.test)
                    }
                    crate::suite::Verdict::Fail(why) => {
                        println!(
                            "FAIL  {} :: {} ({} rows, {:.1} ms)",
                            o.rule, o.test, o.rows, o.millis
                        );
                        for w in why {
                            println!("      {w}");
                        }
                    }
                }
            }
            if skip > 0 {
                println!("{pass} passed, {fail} failed, {skip} skipped");
            } else {
                println!("{pass} passed, {fail} failed");
            }
        }
    }
    if let Some(j) = &a.junit
        && let Err(e) = std::fs::write(j, crate::suite::junit(&outcomes))
    {
        eprintln!("error: cannot write `{}`: {e}", j.display());
        return 3;
    }
    u8::from(fail > 0)
}

fn cmd_coverage(a: &CoverageArgs) -> u8 {
    let files = match load::rule_files(&a.rules) {
        Ok(f) => f,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let mut by_tech: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for f in &files {
        let Ok(r) = load::rule(f) else { continue };
        for id in r.attack_ids() {
            by_tech.entry(id).or_default().push(r.display_name());
        }
    }
    println!("{:<11} {:<45} rules", "technique", "name");
    for (id, rules) in &by_tech {
        let name = crate::attack::technique(id).map_or("(unknown)", |t| t.name.as_str());
        println!("{id:<11} {name:<45} {}", rules.len());
    }
    if let Some(path) = &a.navigator {
        let max = by_tech.values().map(Vec::len).max().unwrap_or(1);
        let techniques: Vec<serde_json::Value> = by_tech
            .iter()
            .map(|(id, rules)| {
                serde_json::json!({
                    "techniqueID": id,
                    "score": rules.len(),
                    "comment": rules.join("; "),
                    "enabled": true,
                })
            })
            .collect();
        let layer = serde_json::json!({
            "name": "tripline coverage",
            "versions": {"attack": "18", "navigator": "5.1.0", "layer": "4.5"},
            "domain": "enterprise-attack",
            "description": format!("{} rules, {} techniques", files.len(), by_tech.len()),
            "techniques": techniques,
            "gradient": {"colors": ["#ffffff", "#66b1ff"], "minValue": 0, "maxValue": max},
            "legendItems": [],
            "showTacticRowBackground": false,
            "selectTechniquesAcrossTactics": true,
            "selectSubtechniquesWithParent": false,
        });
        if let Err(e) = std::fs::write(
            path,
            serde_json::to_string_pretty(&layer).unwrap_or_default(),
        ) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return 3;
        }
    }
    0
}

fn cmd_explain(a: &ExplainArgs) -> u8 {
    let rule = match (&a.query, &a.rule) {
        (Some(_), _) => None,
        (None, Some(p)) => match load::rule(p) {
            Ok(r) if r.search.is_some() => Some(r),
            Ok(_) => {
                eprintln!("error: {}: the rule has no `search`", p.display());
                return 2;
            }
            Err(d) => {
                report(&d, "", None);
                return exit_code(&d);
            }
        },
        (None, None) => {
            eprintln!("error: give a rule file or `--query '<query>'`");
            return 2;
        }
    };
    let rules: Vec<PathBuf> = a.rule.iter().cloned().collect();
    let macros = match load_macros(&a.macros, &rules) {
        Ok(m) => m,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let env = match load_env(&a.lookups, &rules, None) {
        Ok(e) => e,
        Err(d) => {
            report(&d, "", None);
            return exit_code(&d);
        }
    };
    let (result, name, text) = match (&rule, &a.query) {
        (Some(r), _) => {
            let types = match field_types(a.field_types.as_deref()) {
                Ok(t) => t,
                Err(d) => {
                    report(&d, "", None);
                    return exit_code(&d);
                }
            };
            (
                rule::compile_rule(r, &macros, &types, &env),
                format!("{} (search)", r.file.display()),
                r.search.clone().unwrap_or_default(),
            )
        }
        (None, q) => {
            let q = q.clone().unwrap_or_default();
            (
                compile_query(&q, a.kql, &macros, a.field_types.as_deref(), &env),
                "query".to_string(),
                q,
            )
        }
    };
    match result {
        Ok(c) => {
            for w in &c.warnings {
                report(w, &name, Some(&text));
            }
            print!("{}", c.plan.explain());
            if a.scan {
                print!("{}", c.plan.explain_scan());
            }
            0
        }
        Err(all) => {
            for d in &all {
                report(d, &name, Some(&text));
            }
            all.first().map_or(2, exit_code)
        }
    }
}
