//! Lookup folders and the tables in them (stage: load; resolved while planning).
//!
//! A lookup folder holds CSV tables and YAML lookup definitions (security_content's format:
//! `name`, `filename`, `match_type`, `case_sensitive_match`, `min_matches`, `max_matches`,
//! `default_match`, or `collection` for a KV store). As in Splunk's `lookup` and `inputlookup`
//! (Search Reference: "the name of a CSV file … or the name of a stanza in transforms.conf"), a
//! query names either a definition or a `.csv`/`.csv.gz` file. Definitions are read when the
//! folders are loaded (in `src/rule/load.rs`, like all YAML); a table is read the first time a
//! query uses it and shared by every rule of the run.
//!
//! Lookup names and `filename` values come from rule authors and data, so they are resolved
//! only inside the lookup folders: an absolute path, a `..` component or a symlink that leads
//! out of the folder is an error unless `--allow-lookup-paths` is given.

pub mod matcher;
pub mod table;

use crate::diag::{Diag, Kind};
use matcher::{Rules, parse_match_type};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
pub use table::Table;

/// A lookup definition as written in its YAML file (scalars as text).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definition {
    /// The name queries use.
    pub name: String,
    /// The YAML file it came from.
    pub file: PathBuf,
    /// The CSV file (or `.mlmodel` for a Machine Learning Toolkit model), relative to the folder.
    pub filename: Option<String>,
    /// A KV store collection.
    pub collection: Option<String>,
    /// An external (scripted) lookup command.
    pub external_cmd: Option<String>,
    /// The time column of a time-bounded lookup.
    pub time_field: Option<String>,
    /// `WILDCARD(f)`, `CIDR(f)` … separated by commas.
    pub match_type: Option<String>,
    /// `true`/`false`.
    pub case_sensitive_match: Option<String>,
    /// Whole number.
    pub min_matches: Option<String>,
    /// Whole number, 1–1000.
    pub max_matches: Option<String>,
    /// Text output when there are fewer than `min_matches` matches.
    pub default_match: Option<String>,
}

/// How lookup files may be reached, and how big they may be.
#[derive(Clone, Debug)]
pub struct Options {
    /// Let names and `filename` values be absolute, contain `..` or follow symlinks out of the
    /// lookup folders (`--allow-lookup-paths`).
    pub allow_paths: bool,
    /// Largest table in bytes (the `--max-memory` budget).
    pub max_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_paths: false,
            max_bytes: 8 << 30,
        }
    }
}

#[derive(Debug)]
struct Folder {
    dir: PathBuf,
    root: PathBuf,
}

/// A built matcher's key: table file, input columns, matching rules (as text).
type MatcherKey = (PathBuf, Vec<usize>, String);

/// The lookups a run can use: the definitions and CSV files of the lookup folders.
#[derive(Debug, Default)]
pub struct Lookups {
    folders: Vec<Folder>,
    defs: HashMap<String, (usize, Result<Definition, Diag>)>,
    opts: Options,
    cache: Mutex<HashMap<PathBuf, Arc<Table>>>,
    /// Built matchers by table file, input columns and matching rules: a rule set that uses
    /// one lookup in many rules builds its index once.
    matchers: Mutex<HashMap<MatcherKey, Arc<matcher::Matcher>>>,
    problems: Vec<Diag>,
}

/// A lookup ready to use: its table and matching rules.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The name as the query wrote it.
    pub name: String,
    /// The table.
    pub table: Arc<Table>,
    /// Matching rules (the defaults for a bare CSV file).
    pub rules: Rules,
}

fn err(kind: Kind, code: &'static str, msg: String) -> Diag {
    Diag::error(kind, code, msg)
}

impl Lookups {
    /// No lookup folders.
    pub fn empty() -> Lookups {
        Lookups::default()
    }

    /// Load the definitions of the given folders (later folders win on a name clash). A
    /// definition file that does not load is kept as a problem ([`Lookups::problems`]) and
    /// reported again when a query uses its name (its file stem).
    pub fn load(folders: &[PathBuf], opts: Options) -> Result<Lookups, Diag> {
        let mut out = Lookups {
            opts,
            ..Lookups::default()
        };
        for dir in folders {
            let root = std::fs::canonicalize(dir).map_err(|e| {
                err(
                    Kind::Io,
                    "tripline::lookup::folder",
                    format!("cannot open lookup folder `{}`: {e}", dir.display()),
                )
            })?;
            if !root.is_dir() {
                return Err(err(
                    Kind::Io,
                    "tripline::lookup::folder",
                    format!("lookup folder `{}` is not a folder", dir.display()),
                ));
            }
            let index = out.folders.len();
            out.folders.push(Folder {
                dir: dir.clone(),
                root,
            });
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| {
                    err(
                        Kind::Io,
                        "tripline::lookup::folder",
                        format!("cannot list lookup folder `{}`: {e}", dir.display()),
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml")
                    })
                })
                .collect();
            files.sort();
            for f in files {
                match crate::rule::load::lookup_definition(&f) {
                    Ok(def) => {
                        out.defs.insert(def.name.clone(), (index, Ok(def)));
                    }
                    Err(d) => {
                        out.problems.push(d.clone());
                        let stem = f
                            .file_stem()
                            .and_then(|s| s.to_str())
                            .unwrap_or_default()
                            .to_string();
                        if !matches!(out.defs.get(&stem), Some((_, Ok(_)))) {
                            out.defs.insert(stem, (index, Err(d)));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Definition files that did not load.
    pub fn problems(&self) -> &[Diag] {
        &self.problems
    }

    /// The names of every definition (including those that did not load), sorted.
    pub fn definition_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.defs.keys().cloned().collect();
        v.sort();
        v
    }

    /// Resolve a name from a query: a definition, else a `.csv`/`.csv.gz` file of the folders.
    /// The error has no span; the caller points it at the name.
    pub fn resolve(&self, name: &str) -> Result<Resolved, Diag> {
        if let Some((folder, def)) = self.defs.get(name) {
            return match def {
                Err(d) => Err(d.clone()),
                Ok(def) => self.resolve_def(name, *folder, def),
            };
        }
        if is_csv_name(name) {
            if self.opts.allow_paths && Path::new(name).is_absolute() {
                let p = PathBuf::from(name);
                if p.is_file() {
                    return Ok(Resolved {
                        name: name.to_string(),
                        table: self.table(&p)?,
                        rules: Rules::default(),
                    });
                }
            } else {
                if !self.opts.allow_paths {
                    check_relative(name)?;
                }
                for folder in self.folders.iter().rev() {
                    let p = self.safe_join(folder, name)?;
                    if p.is_file() {
                        return Ok(Resolved {
                            name: name.to_string(),
                            table: self.table(&p)?,
                            rules: Rules::default(),
                        });
                    }
                }
            }
        }
        Err(self.not_found(name))
    }

    fn not_found(&self, name: &str) -> Diag {
        let mut d = Diag::error(
            Kind::Invalid,
            "tripline::lookup::not_found",
            format!("lookup `{name}` is not defined in the lookup folders"),
        );
        let similar = self.similar(name);
        let as_file = format!("{name}.csv");
        let file_exists = !is_csv_name(name)
            && self
                .folders
                .iter()
                .any(|f| self.safe_join(f, &as_file).is_ok_and(|p| p.is_file()));
        d = if self.folders.is_empty() {
            d.label("no lookup folder was given")
                .help("give the folder of lookup tables and definitions with `--lookups DIR` (a `lookups/` folder beside the rules is used by default)")
        } else if let Some(s) = similar {
            d.help(format!("did you mean `{s}`?"))
        } else if file_exists {
            d.help(format!(
                "the folder has a file `{as_file}`: write `{as_file}`, or add a definition named `{name}`"
            ))
        } else {
            let dirs: Vec<String> = self
                .folders
                .iter()
                .map(|f| format!("`{}`", f.dir.display()))
                .collect();
            d.help(format!(
                "add a CSV file and a definition (`name: {name}`, `filename: …`) to {}",
                dirs.join(", ")
            ))
        };
        d
    }

    /// A definition or CSV file name close to `name` (other case, or two edits away).
    fn similar(&self, name: &str) -> Option<String> {
        let mut names: Vec<String> = self.defs.keys().cloned().collect();
        for f in &self.folders {
            if let Ok(entries) = std::fs::read_dir(&f.dir) {
                names.extend(
                    entries
                        .filter_map(|e| e.ok()?.file_name().into_string().ok())
                        .filter(|n| is_csv_name(n)),
                );
            }
        }
        names.sort();
        let lower = name.to_lowercase();
        names
            .iter()
            .find(|n| n.to_lowercase() == lower)
            .or_else(|| names.iter().find(|n| edit_distance(n, name) <= 2))
            .cloned()
    }

    fn resolve_def(&self, name: &str, folder: usize, def: &Definition) -> Result<Resolved, Diag> {
        let at = def.file.display();
        if let Some(cmd) = &def.external_cmd {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::lookup::external",
                format!(
                    "lookup `{name}` runs an external command (`{cmd}`), which tripline does not do"
                ),
            )
            .help("replace it with a CSV table of the values the rule needs"));
        }
        if let Some(tf) = &def.time_field {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::lookup::time_bounded",
                format!("lookup `{name}` is time-bounded (`time_field: {tf}`), which tripline does not support"),
            )
            .help("remove `time_field` to match the table without time bounds"));
        }
        // A KV store collection cannot be read, but its export can: `<collection>.csv` in a
        // lookup folder stands in for it, with the definition's matching rules.
        let exported = def.collection.as_ref().map(|c| format!("{c}.csv"));
        if let (Some(c), Some(file)) = (&def.collection, &exported) {
            let found = self
                .folders
                .iter()
                .any(|f| self.safe_join(f, file).is_ok_and(|p| p.is_file()));
            if !found {
                return Err(Diag::error(
                    Kind::Unsupported,
                    "tripline::lookup::kvstore",
                    format!("lookup `{name}` is a KV store collection (`{c}`), which tripline cannot read"),
                )
                .help(format!("export the collection to `{file}` in a lookup folder (tripline reads it in place of the collection, with the definition `{at}`)")));
            }
        }
        let Some(filename) = def.filename.as_ref().or(exported.as_ref()) else {
            return Err(Diag::error(
                Kind::Invalid,
                "tripline::lookup::definition",
                format!("lookup definition `{at}` has neither `filename` nor `collection`"),
            ));
        };
        let lower = filename.to_ascii_lowercase();
        if lower.ends_with(".mlmodel") {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::lookup::mlmodel",
                format!("lookup `{name}` is a Machine Learning Toolkit model (`{filename}`), which tripline cannot load"),
            )
            .help("run this rule in Splunk with the Machine Learning Toolkit"));
        }
        if !is_csv_name(filename) {
            return Err(Diag::error(
                Kind::Unsupported,
                "tripline::lookup::file_type",
                format!(
                    "lookup `{name}` reads `{filename}`; tripline reads `.csv` and `.csv.gz` lookup files"
                ),
            ));
        }
        let rules = rules_of(def)?;
        // The definition's own folder first, then the others (later ones first).
        let order =
            std::iter::once(folder).chain((0..self.folders.len()).rev().filter(|i| *i != folder));
        for i in order {
            let Some(f) = self.folders.get(i) else {
                continue;
            };
            let p = self.safe_join(f, filename)?;
            if p.is_file() {
                return Ok(Resolved {
                    name: name.to_string(),
                    table: self.table(&p)?,
                    rules,
                });
            }
        }
        Err(Diag::error(
            Kind::Invalid,
            "tripline::lookup::missing_file",
            format!("lookup `{name}` reads `{filename}`, which is not in the lookup folders"),
        )
        .help(format!("add `{filename}` beside `{at}`")))
    }

    /// `rel` inside `folder`, refusing escapes unless allowed.
    fn safe_join(&self, folder: &Folder, rel: &str) -> Result<PathBuf, Diag> {
        if self.opts.allow_paths {
            let p = Path::new(rel);
            return Ok(if p.is_absolute() {
                p.to_path_buf()
            } else {
                folder.dir.join(p)
            });
        }
        check_relative(rel)?;
        let p = folder.dir.join(rel);
        if p.exists() {
            let real = std::fs::canonicalize(&p).map_err(|e| {
                err(
                    Kind::Io,
                    "tripline::lookup::io",
                    format!("cannot resolve lookup file `{}`: {e}", p.display()),
                )
            })?;
            if !real.starts_with(&folder.root) {
                return Err(Diag::error(
                    Kind::Invalid,
                    "tripline::lookup::symlink_escape",
                    format!(
                        "lookup file `{rel}` is a link to `{}`, outside the lookup folder `{}`",
                        real.display(),
                        folder.dir.display()
                    ),
                )
                .help(
                    "copy the file into the lookup folder, or allow it with `--allow-lookup-paths`",
                ));
            }
        }
        Ok(p)
    }

    /// The matcher of `table` for the input columns `inputs` under `rules`, built once.
    pub fn matcher(
        &self,
        table: &Table,
        inputs: &[usize],
        rules: &matcher::Rules,
    ) -> Arc<matcher::Matcher> {
        let key = (table.file.clone(), inputs.to_vec(), format!("{rules:?}"));
        let mut built = self
            .matchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .entry(key)
            .or_insert_with(|| Arc::new(matcher::Matcher::build(table, inputs, rules)))
            .clone()
    }

    fn table(&self, path: &Path) -> Result<Arc<Table>, Diag> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(t) = cache.get(&key) {
            return Ok(t.clone());
        }
        let t = Arc::new(table::read(path, self.opts.max_bytes)?);
        cache.insert(key, t.clone());
        Ok(t)
    }
}

/// Levenshtein distance (names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX) + 1;
            let ins = cur.get(j).copied().unwrap_or(usize::MAX) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn is_csv_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.ends_with(".csv") || l.ends_with(".csv.gz")
}

/// A name or `filename` must be a relative path without `..` (either separator counts, and
/// a drive letter or leading separator makes it absolute, whatever the platform).
fn check_relative(rel: &str) -> Result<(), Diag> {
    let absolute = Path::new(rel).is_absolute()
        || rel.starts_with('/')
        || rel.starts_with('\\')
        || rel.as_bytes().get(1) == Some(&b':')
        || Path::new(rel)
            .components()
            .any(|c| matches!(c, Component::RootDir | Component::Prefix(_)));
    if absolute {
        return Err(Diag::error(
            Kind::Invalid,
            "tripline::lookup::absolute_path",
            format!("lookup file `{rel}` is an absolute path; lookup files are read only from the lookup folders"),
        )
        .help("name the file relative to its lookup folder, or allow paths with `--allow-lookup-paths`"));
    }
    if rel.split(['/', '\\']).any(|part| part == "..") {
        return Err(Diag::error(
            Kind::Invalid,
            "tripline::lookup::parent_path",
            format!("lookup file `{rel}` leads out of the lookup folder (`..`)"),
        )
        .help("name the file relative to its lookup folder, or allow paths with `--allow-lookup-paths`"));
    }
    Ok(())
}

/// The matching rules of a definition, checked.
fn rules_of(def: &Definition) -> Result<Rules, Diag> {
    let bad = |what: String| {
        Diag::error(
            Kind::Invalid,
            "tripline::lookup::definition",
            format!("lookup definition `{}`: {what}", def.file.display()),
        )
    };
    let mut rules = Rules::default();
    if let Some(mt) = &def.match_type {
        rules.match_types = parse_match_type(mt).map_err(|m| bad(format!("`match_type`: {m}")))?;
    }
    if let Some(c) = &def.case_sensitive_match {
        rules.case_sensitive = match c.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => true,
            "false" | "f" | "0" | "no" => false,
            other => {
                return Err(bad(format!(
                    "`case_sensitive_match` must be true or false, not `{other}`"
                )));
            }
        };
    }
    let number = |key: &str, v: &Option<String>| -> Result<Option<usize>, Diag> {
        match v {
            None => Ok(None),
            Some(t) => t
                .trim()
                .parse::<usize>()
                .map(Some)
                .map_err(|_| bad(format!("`{key}` must be a whole number, not `{t}`"))),
        }
    };
    if let Some(n) = number("min_matches", &def.min_matches)? {
        rules.min_matches = n;
    }
    if let Some(n) = number("max_matches", &def.max_matches)? {
        if !(1..=1000).contains(&n) {
            return Err(bad(format!(
                "`max_matches` must be between 1 and 1000, not {n}"
            )));
        }
        rules.max_matches = n;
    }
    if let Some(d) = &def.default_match {
        rules.default_match = d.clone();
    }
    Ok(rules)
}
