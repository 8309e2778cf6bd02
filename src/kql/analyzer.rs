//! Elasticsearch analyzers for text fields (stage: plan/execute): the same analysis is applied
//! to the document text and to the query value, and KQL then compares tokens.

use crate::diag::{Diag, Kind};
use regex::Regex;
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// Lucene's StandardTokenizer default maximum token length; longer tokens are split.
const MAX_TOKEN_CHARS: usize = 255;

/// How a text field is analysed.
#[derive(Clone, Debug)]
pub enum Analyzer {
    /// `standard`: UAX #29 word boundaries, lowercased.
    Standard,
    /// The Windows integration's `powershell_script_analyzer` (pattern `[\W&&[^-]]+`):
    /// split on every character outside `[A-Za-z0-9_-]`, lowercased.
    PowershellScript,
    /// A `pattern` analyzer: the regex matches separators.
    Pattern {
        /// The pattern as written (Java syntax).
        pattern: String,
        /// The compiled separator regex.
        regex: Arc<Regex>,
        /// Lowercase the tokens (the Elasticsearch default).
        lowercase: bool,
    },
}

impl PartialEq for Analyzer {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Analyzer::Standard, Analyzer::Standard) => true,
            (Analyzer::PowershellScript, Analyzer::PowershellScript) => true,
            (
                Analyzer::Pattern {
                    pattern: a,
                    lowercase: la,
                    ..
                },
                Analyzer::Pattern {
                    pattern: b,
                    lowercase: lb,
                    ..
                },
            ) => a == b && la == lb,
            _ => false,
        }
    }
}

impl Analyzer {
    /// A pattern analyzer from a Java-syntax separator regex.
    pub fn pattern(pattern: &str, lowercase: bool) -> Result<Analyzer, Diag> {
        let translated = java_regex(pattern);
        let regex = Regex::new(&translated).map_err(|e| {
            Diag::error(
                Kind::Invalid,
                "tripline::kql::bad_pattern",
                format!("the analyzer pattern `{pattern}` is not a valid regex: {e}"),
            )
            .help("write the separator pattern as Elasticsearch's `pattern` analyzer would")
        })?;
        Ok(Analyzer::Pattern {
            pattern: pattern.to_string(),
            regex: Arc::new(regex),
            lowercase,
        })
    }

    /// The name shown by `explain` and used in field-type files.
    pub fn name(&self) -> String {
        match self {
            Analyzer::Standard => "standard".into(),
            Analyzer::PowershellScript => "powershell_script".into(),
            Analyzer::Pattern { pattern, .. } => format!("pattern `{pattern}`"),
        }
    }

    /// Tokens of `text`, in position order.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        match self {
            Analyzer::Standard => standard(text),
            Analyzer::PowershellScript => powershell_script(text),
            Analyzer::Pattern {
                regex, lowercase, ..
            } => regex
                .split(text)
                .filter(|t| !t.is_empty())
                .map(|t| if *lowercase { lower(t) } else { t.to_string() })
                .collect(),
        }
    }

    /// Normalise a wildcard pattern's text the way query_string does for this analyzer
    /// (lowercasing only; patterns are never tokenised).
    pub fn normalize(&self, text: &str) -> String {
        match self {
            Analyzer::Pattern {
                lowercase: false, ..
            } => text.to_string(),
            _ => lower(text),
        }
    }
}

/// Lowercase per code point, as Lucene's LowerCaseFilter (`Character.toLowerCase(int)`) does:
/// one character in, one character out.
pub fn lower(text: &str) -> String {
    text.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// The `standard` analyzer: UAX #29 word segments that contain a letter, digit, ideograph or
/// emoji (punctuation and whitespace segments are dropped), lowercased, split at 255 chars.
pub fn standard(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for seg in text.split_word_bounds() {
        if !seg.chars().any(is_word_char) {
            continue;
        }
        let lowered = lower(seg);
        if lowered.chars().count() <= MAX_TOKEN_CHARS {
            out.push(lowered);
        } else {
            let chars: Vec<char> = lowered.chars().collect();
            for chunk in chars.chunks(MAX_TOKEN_CHARS) {
                out.push(chunk.iter().collect());
            }
        }
    }
    out
}

/// Characters that make a UAX #29 segment a token for StandardTokenizer.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c as u32,
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

/// The `powershell_script_analyzer`: separators are every character outside
/// `[A-Za-z0-9_-]` (Java's `\W` is ASCII-only), so tokens are ASCII and keep hyphens.
pub fn powershell_script(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Translate a Java regex to Rust syntax where they differ for analyzer patterns: Java's
/// `\w \W \d \D \s \S` are ASCII-only, Rust's are Unicode. Character-class intersection
/// (`[\W&&[^-]]`) is written the same way in both.
fn java_regex(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str("[A-Za-z0-9_]"),
            Some('W') => out.push_str("[^A-Za-z0-9_]"),
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('s') => out.push_str("[ \\t\\n\\x0B\\f\\r]"),
            Some('S') => out.push_str("[^ \\t\\n\\x0B\\f\\r]"),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(t: &str) -> Vec<String> {
        powershell_script(t)
    }

    #[test]
    fn powershell_tokens() {
        assert_eq!(
            ps("New-MailboxExportRequest"),
            vec!["new-mailboxexportrequest"]
        );
        assert_eq!(ps("-FilePath"), vec!["-filepath"]);
        assert_eq!(ps("C:\\x\\export.pst"), vec!["c", "x", "export", "pst"]);
        assert_eq!(ps("$FilePath"), vec!["filepath"]);
        assert_eq!(ps("\u{2013}Mailbox"), vec!["mailbox"]);
        assert_eq!(ps(".pst"), vec!["pst"]);
        assert_eq!(ps("Straße ÉCOLE Привет"), vec!["stra", "e", "cole"]);
        assert_eq!(ps("x.ExportToPSTFile()"), vec!["x", "exporttopstfile"]);
    }

    #[test]
    fn pattern_matches_powershell() {
        let a = Analyzer::pattern(r"[\W&&[^-]]+", true).expect("valid");
        for t in [
            "New-MailboxExportRequest -Mailbox jdoe -FilePath \\\\srv\\share\\jdoe.pst",
            "$FilePath = 'C:\\temp\\out.PST'",
            "Straße ÉCOLE Привет \u{2013}Mailbox",
        ] {
            assert_eq!(a.tokens(t), ps(t), "{t}");
        }
    }

    #[test]
    fn standard_tokens() {
        let cases: &[(&str, &[&str])] = &[
            ("export.pst", &["export.pst"]),
            ("New-MailboxExportRequest", &["new", "mailboxexportrequest"]),
            ("C:\\exports\\a.pst", &["c", "exports", "a.pst"]),
            ("\\\\srv\\share\\jdoe.pst", &["srv", "share", "jdoe.pst"]),
            ("\\\\fs01\\c$\\2023.pst", &["fs01", "c", "2023", "pst"]),
            (
                "Hello-World foo_bar foo.bar foo/bar foo:bar",
                &[
                    "hello", "world", "foo_bar", "foo.bar", "foo", "bar", "foo:bar",
                ],
            ),
            (
                "192.168.1.1 1.5 1,000 v1.2.3",
                &["192.168.1.1", "1.5", "1,000", "v1.2.3"],
            ),
            ("O'Reilly can't", &["o'reilly", "can't"]),
            (
                "user@example.com http://x.y/z?q=1",
                &["user", "example.com", "http", "x.y", "z", "q", "1"],
            ),
            (
                "[System.Convert]::FromBase64String",
                &["system.convert", "frombase64string"],
            ),
            (
                "agetty[812]: segfault at 7f00 ip 0000 sp 0000 error 4 in libc.so.6",
                &[
                    "agetty", "812", "segfault", "at", "7f00", "ip", "0000", "sp", "0000", "error",
                    "4", "in", "libc.so", "6",
                ],
            ),
            (".", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(standard(text), *want, "{text}");
        }
        assert_eq!(standard(&"a".repeat(300)).len(), 2);
    }
}
