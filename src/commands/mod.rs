//! The command registry (stage: plan). One file per command; this table is the only other
//! place a command is named.

mod addtotals;
mod append;
mod appendpipe;
mod bin;
mod common;
mod convert;
mod dedup;
mod eval;
mod eventstats;
mod fields;
mod fillnull;
mod foreach;
mod from;
mod fromjson;
mod head;
mod inputlookup;
mod join;
mod lookup;
mod makemv;
mod makeresults;
mod mvexpand;
mod regex;
mod rename;
mod replace;
mod rex;
mod search;
mod sort;
mod spath;
mod stats;
mod streamstats;
mod table;
mod transaction;
mod tstats;
mod where_;
mod xmlkv;

pub mod args;

use crate::diag::{Diag, Kind};
use crate::plan::{Lower, Step};

type LowerFn = fn(&Lower) -> Result<Box<dyn Step>, Diag>;

struct Entry {
    name: &'static str,
    lower: LowerFn,
    generating: bool,
}

#[rustfmt::skip]
static COMMANDS: &[Entry] = &[
    Entry { name: "addtotals", lower: addtotals::lower, generating: false },
    Entry { name: "append", lower: append::lower, generating: false },
    Entry { name: "appendpipe", lower: appendpipe::lower, generating: false },
    Entry { name: "bin", lower: bin::lower, generating: false },
    Entry { name: "bucket", lower: bin::lower, generating: false },
    Entry { name: "convert", lower: convert::lower, generating: false },
    Entry { name: "dedup", lower: dedup::lower, generating: false },
    Entry { name: "eval", lower: eval::lower, generating: false },
    Entry { name: "eventstats", lower: eventstats::lower, generating: false },
    Entry { name: "fields", lower: fields::lower, generating: false },
    Entry { name: "fillnull", lower: fillnull::lower, generating: false },
    Entry { name: "foreach", lower: foreach::lower, generating: false },
    Entry { name: "from", lower: from::lower, generating: true },
    Entry { name: "fromjson", lower: fromjson::lower, generating: false },
    Entry { name: "head", lower: head::lower, generating: false },
    Entry { name: "inputlookup", lower: inputlookup::lower, generating: true },
    Entry { name: "join", lower: join::lower, generating: false },
    Entry { name: "lookup", lower: lookup::lower, generating: false },
    Entry { name: "makemv", lower: makemv::lower, generating: false },
    Entry { name: "makeresults", lower: makeresults::lower, generating: true },
    Entry { name: "mvexpand", lower: mvexpand::lower, generating: false },
    Entry { name: "regex", lower: regex::lower, generating: false },
    Entry { name: "rename", lower: rename::lower, generating: false },
    Entry { name: "replace", lower: replace::lower, generating: false },
    Entry { name: "rex", lower: rex::lower, generating: false },
    Entry { name: "search", lower: search::lower, generating: false },
    Entry { name: "sort", lower: sort::lower, generating: false },
    Entry { name: "spath", lower: spath::lower, generating: false },
    Entry { name: "stats", lower: stats::lower, generating: false },
    Entry { name: "streamstats", lower: streamstats::lower, generating: false },
    Entry { name: "table", lower: table::lower, generating: false },
    Entry { name: "transaction", lower: transaction::lower, generating: false },
    Entry { name: "tstats", lower: tstats::lower, generating: true },
    Entry { name: "where", lower: where_::lower, generating: false },
    Entry { name: "xmlkv", lower: xmlkv::lower, generating: false },
];

/// Names of every command tripline runs.
pub fn supported() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|e| e.name)
}

/// Does tripline run `name`?
pub fn is_supported(name: &str) -> bool {
    COMMANDS.iter().any(|e| e.name == name)
}

/// Is `name` a generating command (may start a query after `|`)?
pub fn is_generating(name: &str) -> bool {
    COMMANDS.iter().any(|e| e.name == name && e.generating)
}

/// Does a subsearch whose first word is `name` start with that command rather than with an
/// implicit `search` (`[mstats …]`, `[tstats …]`, `[inputlookup …]` written without `|`)? True
/// for generating commands tripline runs and for the generating commands it cannot run.
pub fn starts_generating(name: &str) -> bool {
    is_generating(name)
        || [
            "mstats",
            "mcatalog",
            "inputlookup",
            "inputcsv",
            "rest",
            "dbxquery",
            "metadata",
            "dbinspect",
        ]
        .contains(&name)
}

/// Commands that need something tripline cannot have, and why.
static CANNOT_RUN: &[(&str, &str)] = &[
    (
        "iplocation",
        "needs a GeoIP database (MaxMind GeoLite2-City), which tripline does not ship",
    ),
    (
        "apply",
        "applies a trained Machine Learning Toolkit model, which tripline cannot load",
    ),
    (
        "fit",
        "trains a Machine Learning Toolkit model, which tripline cannot do",
    ),
    (
        "mstats",
        "reads Splunk metric indexes, which JSON events do not provide",
    ),
    (
        "mcatalog",
        "reads Splunk metric indexes, which JSON events do not provide",
    ),
    (
        "map",
        "runs a new search per result row against Splunk, which tripline does not do",
    ),
    ("rest", "queries the Splunk REST API"),
    (
        "dbxquery",
        "needs a database connection (Splunk DB Connect)",
    ),
    ("sendalert", "triggers a Splunk alert action"),
    ("collect", "writes events into a Splunk index"),
    (
        "outputlookup",
        "writes lookup files; tripline never writes during a run",
    ),
    ("metadata", "reads Splunk index metadata"),
    (
        "cyberchef",
        "is a custom command of the CyberChef for Splunk app, which tripline does not embed",
    ),
    ("dbinspect", "reads Splunk index buckets"),
];

/// Lower one command.
pub fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    if let Some((_, why)) = CANNOT_RUN.iter().find(|(n, _)| *n == l.cmd.name) {
        return Err(Diag::error(
            Kind::Unsupported,
            "tripline::plan::cannot_run",
            format!("command `{}` cannot run in tripline: it {why}", l.cmd.name),
        )
        .at(l.cmd.name_span)
        .help("run this rule in Splunk; `tripline check` lists every command tripline runs in docs/language.md"));
    }
    match COMMANDS.iter().find(|e| e.name == l.cmd.name) {
        Some(e) => (e.lower)(l),
        None => {
            let mut d = Diag::error(
                Kind::Unsupported,
                "tripline::plan::unsupported_command",
                format!("command `{}` is not supported yet", l.cmd.name),
            )
            .at(l.cmd.name_span)
            .label("tripline cannot run this command");
            if let Some(s) = suggest(&l.cmd.name) {
                d = d.help(format!(
                    "did you mean `{s}`? (docs/language.md lists the commands tripline runs)"
                ));
            } else {
                d = d.help("docs/language.md lists the commands tripline runs");
            }
            Err(d)
        }
    }
}

fn suggest(name: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .map(|e| e.name)
        .find(|n| n.len() > 3 && strsim_1(n, name))
}

/// One edit apart (insert, delete or substitute one character).
fn strsim_1(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let mut i = 0;
    while i < short.len() && short.get(i) == long.get(i) {
        i += 1;
    }
    if short.len() == long.len() {
        short.get(i + 1..) == long.get(i + 1..)
    } else {
        short.get(i..) == long.get(i + 1..)
    }
}
