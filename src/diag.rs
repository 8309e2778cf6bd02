//! Diagnostics shared by every stage.
//!
//! Each stage reports problems as [`Diag`]: a stable code, a lowercase message with user input
//! in backticks, an optional span into the text the problem is in, and help. Only the CLI
//! renders them (with miette, or as JSON).

use std::borrow::Cow;
use std::fmt;

/// A byte range `start..end` in some text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
    /// Shift by `offset` bytes.
    pub fn shift(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }
    /// Smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.end - s.start).into()
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The rule cannot run.
    Error,
    /// The rule runs, but something deserves a look.
    Warning,
}

/// Which kind of failure a diagnostic stands for; `check` turns it into a rule status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The text does not parse.
    Parse,
    /// Parses, but uses a command or function tripline cannot run yet.
    Unsupported,
    /// Any other problem with the rule (unknown macro, bad argument, bad metadata).
    Invalid,
    /// Reading data or files failed.
    Io,
    /// A problem found while running.
    Runtime,
}

/// One problem, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Diag {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of failure.
    pub kind: Kind,
    /// Stable code, e.g. `tripline::parse::unclosed_quote`.
    pub code: Cow<'static, str>,
    /// Lowercase sentence, user input in backticks.
    pub message: String,
    /// Where, in the text the diagnostic is attached to (the rule's search, after mapping
    /// macro expansions back).
    pub span: Option<Span>,
    /// Text under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// For problems in a rule file outside its search (metadata): 1-based line and column.
    pub file_pos: Option<(usize, usize)>,
}

impl Diag {
    /// An error.
    pub fn error(
        kind: Kind,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Diag {
        Diag {
            severity: Severity::Error,
            kind,
            code: code.into(),
            message: message.into(),
            span: None,
            label: None,
            help: None,
            file_pos: None,
        }
    }
    /// A warning.
    pub fn warning(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Warning,
            kind: Kind::Invalid,
            code: code.into(),
            message: message.into(),
            span: None,
            label: None,
            help: None,
            file_pos: None,
        }
    }
    /// Attach a span.
    pub fn at(mut self, span: Span) -> Diag {
        self.span = Some(span);
        self
    }
    /// Attach a position in the rule file.
    pub fn at_file(mut self, pos: Option<(usize, usize)>) -> Diag {
        self.file_pos = pos;
        self
    }
    /// Attach a label shown under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Diag {
        self.label = Some(label.into());
        self
    }
    /// Attach help.
    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }
    /// Shift the span by `offset` (a sub-text parsed on its own).
    pub fn shifted(mut self, offset: usize) -> Diag {
        self.span = self.span.map(|s| s.shift(offset));
        self
    }
    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl miette::Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(self.label.clone(), span),
        )))
    }
}

/// Convert any miette diagnostic (e.g. a macro error) into a [`Diag`].
pub fn from_diagnostic(d: &dyn miette::Diagnostic, kind: Kind) -> Diag {
    let code = d
        .code()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "tripline::error".to_string());
    let mut out = Diag::error(kind, code, d.to_string());
    if let Some(h) = d.help() {
        out.help = Some(h.to_string());
    }
    if let Some(mut labels) = d.labels()
        && let Some(l) = labels.next()
    {
        out.span = Some(Span::new(l.offset(), l.offset() + l.len()));
        out.label = l.label().map(str::to_string);
    }
    out
}
