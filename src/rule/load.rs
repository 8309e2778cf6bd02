//! All YAML loading (stage: load): rules, macro files, the sourcetype table, dataset
//! manifests and lookup definitions. No other module reads YAML.

use super::Rule;
use crate::diag::{Diag, Kind};
use crate::event::{Sourcetype, Sourcetypes};
use crate::syntax::macros::{MacroDef, MacroSet};
use serde::Deserialize;
use std::path::{Path, PathBuf};

fn io_err(path: &Path, e: &std::io::Error) -> Diag {
    Diag::error(
        Kind::Io,
        "tripline::load::io",
        format!("cannot read `{}`: {e}", path.display()),
    )
}

fn yaml_err(path: &Path, e: &serde_yaml::Error) -> Diag {
    let loc = e
        .location()
        .map(|l| format!(":{}:{}", l.line(), l.column()))
        .unwrap_or_default();
    Diag::error(
        Kind::Invalid,
        "tripline::load::yaml",
        format!("{}{loc}: {e}", path.display()),
    )
}

fn read(path: &Path) -> Result<String, Diag> {
    std::fs::read_to_string(path).map_err(|e| io_err(path, &e))
}

/// Load one rule file.
pub fn rule(path: &Path) -> Result<Rule, Diag> {
    rule_and_text(path).map(|(r, _)| r)
}

/// [`rule`], and the file's text (for positions in it).
pub fn rule_and_text(path: &Path) -> Result<(Rule, String), Diag> {
    let text = read(path)?;
    let mut rule: Rule = serde_yaml::from_str(&text).map_err(|e| yaml_err(path, &e))?;
    rule.file = path.to_path_buf();
    rule.search_line = search_line(&text);
    Ok((rule, text))
}

/// The 1-based line of the `search:` key, and whether the value starts on the next line
/// (a block scalar).
fn search_line(text: &str) -> Option<(usize, usize, bool)> {
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("search:") {
            let value = rest.trim_start();
            let block = value.starts_with('|') || value.starts_with('>') || value.is_empty();
            let col = line.len() - value.len()
                + usize::from(value.starts_with('\'') || value.starts_with('"'));
            return Some((i + 1, col + 1, block));
        }
    }
    None
}

/// Rule files under the given paths: files as given, folders searched for `*.yml`/`*.yaml`
/// (except `macros.yml`, `sourcetypes.yml` and `lookups/` folders), in name order.
pub fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diag> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| io_err(p, &e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diag> {
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, &e))? {
        let path = entry.map_err(|e| io_err(dir, &e))?.path();
        if path.is_dir() {
            // A `lookups/` folder beside the rules holds lookup definitions, not rules.
            if path.file_name().and_then(|n| n.to_str()) != Some("lookups") {
                walk(&path, out)?;
            }
        } else if is_yaml(&path) {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if !matches!(
                name,
                "macros.yml" | "macros.yaml" | "sourcetypes.yml" | "sourcetypes.yaml"
            ) {
                out.push(path);
            }
        }
    }
    Ok(())
}

fn is_yaml(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

#[derive(Deserialize)]
struct MacroFile {
    name: String,
    #[serde(default)]
    arguments: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    definition: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MacroDoc {
    List(Vec<MacroFile>),
    One(MacroFile),
}

/// Load macros from a YAML file (a list of `{name, arguments, definition}`, or one such
/// mapping) or from a folder of security_content macro files (one macro per file).
pub fn macros(path: &Path, into: &mut MacroSet) -> Result<(), Diag> {
    let meta = std::fs::metadata(path).map_err(|e| io_err(path, &e))?;
    if meta.is_dir() {
        let mut files = Vec::new();
        walk_all_yaml(path, &mut files)?;
        files.sort();
        for f in files {
            macros(&f, into)?;
        }
        return Ok(());
    }
    let text = read(path)?;
    let doc: MacroDoc = serde_yaml::from_str(&text).map_err(|e| yaml_err(path, &e))?;
    let list = match doc {
        MacroDoc::List(l) => l,
        MacroDoc::One(m) => vec![m],
    };
    for m in list {
        let definition = match m.definition {
            Some(serde_yaml::Value::String(s)) => s,
            Some(other) => scalar_text(&other),
            None => String::new(),
        };
        let args: Vec<String> = m
            .arguments
            .unwrap_or_default()
            .iter()
            .map(scalar_text)
            .collect();
        into.insert(
            MacroDef::new(m.name, definition)
                .with_args(args)
                .with_origin(path.display().to_string()),
        );
    }
    Ok(())
}

fn walk_all_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diag> {
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, &e))? {
        let path = entry.map_err(|e| io_err(dir, &e))?.path();
        if path.is_dir() {
            walk_all_yaml(&path, out)?;
        } else if is_yaml(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn scalar_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

#[derive(Deserialize)]
struct SourcetypeEntry {
    #[serde(default)]
    time_field: Option<String>,
    #[serde(default)]
    time_format: Option<String>,
    #[serde(default)]
    tz: Option<String>,
}

/// Load the sourcetype table: a mapping `sourcetype: {time_field, time_format, tz}`.
pub fn sourcetypes(path: &Path, into: &mut Sourcetypes) -> Result<(), Diag> {
    let text = read(path)?;
    let map: indexmap::IndexMap<String, SourcetypeEntry> =
        serde_yaml::from_str(&text).map_err(|e| yaml_err(path, &e))?;
    for (name, e) in map {
        into.map.insert(
            name,
            Sourcetype {
                time_field: e.time_field,
                time_format: e.time_format,
                tz: e.tz,
            },
        );
    }
    Ok(())
}

/// One dataset of a manifest.
#[derive(Clone, Debug, Deserialize)]
pub struct ManifestDataset {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Path: relative to the manifest, or `/datasets/…` relative to the repository root.
    pub path: String,
    /// Sourcetype of its events.
    #[serde(default)]
    pub sourcetype: Option<String>,
    /// Source of its events.
    #[serde(default)]
    pub source: Option<String>,
    /// Host of its events.
    #[serde(default)]
    pub host: Option<String>,
    /// Index of its events.
    #[serde(default)]
    pub index: Option<String>,
    /// CIM data model dataset of its events (`Endpoint.Processes`), for `tstats`.
    #[serde(default)]
    pub datamodel: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    datasets: Vec<ManifestDataset>,
}

/// Load an attack_data-style manifest and resolve each dataset's path.
pub fn manifest(path: &Path) -> Result<Vec<(PathBuf, ManifestDataset)>, Diag> {
    let text = read(path)?;
    let m: Manifest = serde_yaml::from_str(&text).map_err(|e| yaml_err(path, &e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(m.datasets
        .into_iter()
        .map(|d| {
            let p = match d.path.strip_prefix("/datasets/") {
                Some(rest) => repo_root(dir)
                    .map(|r| r.join("datasets").join(rest))
                    .unwrap_or_else(|| dir.join(rest)),
                None => dir.join(&d.path),
            };
            (p, d)
        })
        .collect())
}

/// The folder above the nearest ancestor named `datasets`.
fn repo_root(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.file_name().and_then(|n| n.to_str()) == Some("datasets") {
            return d.parent().map(Path::to_path_buf);
        }
        cur = d.parent();
    }
    None
}

/// Is this YAML file a dataset manifest (has a top-level `datasets` list)?
pub fn is_manifest(path: &Path) -> bool {
    is_yaml(path)
        && std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_yaml::from_str::<serde_yaml::Value>(&t).ok())
            .is_some_and(|v| {
                v.get("datasets")
                    .is_some_and(serde_yaml::Value::is_sequence)
            })
}

/// Load a KQL field-types file: a YAML mapping of `field: type` or
/// `field: {type: text, analyzer: standard|powershell_script|pattern, pattern: '…',
/// lowercase: true}`. The entries override the bundled schema, in file order.
pub fn field_types(path: &Path) -> Result<Vec<(String, crate::kql::FieldSpec)>, Diag> {
    let text = read(path)?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| yaml_err(path, &e))?;
    field_types_value(doc, &path.display().to_string())
}

/// Field types from an already-loaded YAML mapping (a rule's or a manifest's `field_types:`);
/// `origin` names where it came from, for messages.
pub fn field_types_value(
    doc: serde_yaml::Value,
    origin: &str,
) -> Result<Vec<(String, crate::kql::FieldSpec)>, Diag> {
    let bad = |field: &str, what: &str| {
        Diag::error(
            Kind::Invalid,
            "tripline::load::field_types",
            format!("{origin}: field `{field}`: {what}"),
        )
        .help("write `field: type` or `field: {type: text, analyzer: standard}`")
    };
    let map = match doc {
        serde_yaml::Value::Mapping(m) => m,
        serde_yaml::Value::Null => return Ok(Vec::new()),
        _ => return Err(bad("", "the file must be a mapping of field names")),
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let field = scalar_text(&k);
        let spec = match &v {
            serde_yaml::Value::String(ty) => crate::kql::FieldSpec::named(ty),
            serde_yaml::Value::Mapping(m) => {
                let get = |key: &str| m.get(key).map(scalar_text);
                let ty = get("type").ok_or_else(|| bad(&field, "missing `type`"))?;
                let lowercase = match m.get("lowercase") {
                    None => None,
                    Some(serde_yaml::Value::Bool(b)) => Some(*b),
                    Some(_) => return Err(bad(&field, "`lowercase` must be true or false")),
                };
                crate::kql::FieldSpec::from_parts(
                    &ty,
                    get("analyzer").as_deref(),
                    get("pattern").as_deref(),
                    lowercase,
                )
                .map_err(|e| bad(&field, &e.message))?
            }
            _ => return Err(bad(&field, "expected a type name or a mapping")),
        };
        out.push((field, spec));
    }
    Ok(out)
}

/// Load one lookup definition (security_content's `lookups/*.yml`): `name` (required),
/// `filename` or `collection`, `external_cmd`, `time_field`, and the matching rules `match_type`,
/// `case_sensitive_match`, `min_matches`, `max_matches`, `default_match`, kept as text for
/// `src/lookup` to check. Other keys (`description`, `fields_list`, …) are ignored.
pub fn lookup_definition(path: &Path) -> Result<crate::lookup::Definition, Diag> {
    let text = read(path)?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| yaml_err(path, &e))?;
    let serde_yaml::Value::Mapping(map) = doc else {
        return Err(Diag::error(
            Kind::Invalid,
            "tripline::lookup::definition",
            format!(
                "lookup definition `{}` is not a mapping of keys",
                path.display()
            ),
        ));
    };
    let get = |key: &str| {
        map.get(key)
            .filter(|v| !v.is_null())
            .map(scalar_text)
            .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
    };
    let Some(name) = get("name").filter(|n| !n.trim().is_empty()) else {
        return Err(Diag::error(
            Kind::Invalid,
            "tripline::lookup::definition",
            format!("lookup definition `{}` has no `name`", path.display()),
        )
        .help("a definition names its lookup: `name: my_lookup`, `filename: my_lookup.csv`"));
    };
    Ok(crate::lookup::Definition {
        name: name.trim().to_string(),
        file: path.to_path_buf(),
        filename: get("filename"),
        collection: get("collection"),
        external_cmd: get("external_cmd"),
        time_field: get("time_field"),
        match_type: get("match_type"),
        case_sensitive_match: get("case_sensitive_match"),
        min_matches: get("min_matches"),
        max_matches: get("max_matches"),
        default_match: get("default_match"),
    })
}
