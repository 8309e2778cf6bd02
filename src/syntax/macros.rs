//! Stage "expand": comment removal and macro expansion of SPL query text,
//! before any parsing.
//!
//! SPL macros are textual: `` `name` `` or `` `name(arg1, arg2)` `` is replaced
//! by the macro's definition, in which every `$argname$` is replaced by the
//! argument text. The result is scanned again, so macros may use macros.
//! Inline comments ```` ```text``` ```` are replaced by one space each.
//! See `spl_semantics.md` §1.3 (macros), §1.4 (comments) and §1.5 (quotes).
//!
//! Rules implemented here:
//! * A backtick inside a double-quoted string is literal: neither a comment nor
//!   a macro reference starts there. Double quotes are tracked with the
//!   backslash escapes `\"` and `\\`.
//! * A macro with N arguments is stored and looked up as `name(N)`; a macro
//!   without arguments as `name`.
//! * Arguments are split on top-level commas (not inside double quotes or
//!   parentheses), trimmed, and substituted verbatim (quotes kept), even
//!   inside quotes of the definition. If every argument reads
//!   `identifier=value` and the identifiers are exactly the macro's argument
//!   names, arguments bind by name; otherwise by position.
//! * An undefined macro whose name ends in `_filter` expands to `search *`
//!   (security_content generates those that way); any other undefined macro
//!   is an error with a did-you-mean suggestion.
//! * Nesting is limited in depth ([`DEFAULT_MAX_DEPTH`]), cycles are errors,
//!   and the total work is bounded ([`MAX_EXPANSIONS`], [`MAX_EXPANDED_LEN`],
//!   [`MAX_SEGMENTS`]).
//! * `iseval` macros are not evaluated: definitions are always used as text.
//!
//! The result carries a [`SourceMap`]: every byte of the expanded text maps
//! back to the query or to a macro definition, and every expanded span maps
//! to a span of the original query (the outermost macro reference when the
//! text came from a macro). All error spans are spans of the original query.

use std::collections::HashMap;

use miette::SourceSpan;

/// Default limit on the nesting depth of macro expansion.
pub const DEFAULT_MAX_DEPTH: usize = 50;

/// Most macro references expanded for one query (guards against
/// exponential expansion such as `a` = `` `b` `b` ``, `b` = `` `c` `c` ``, …).
pub const MAX_EXPANSIONS: usize = 100_000;

/// Largest expanded text, in bytes, produced for one query (also the
/// largest body of one macro after argument substitution).
pub const MAX_EXPANDED_LEN: usize = 4 * 1024 * 1024;

/// Most source-map segments (runs of text from one origin) of one expanded
/// text or macro body.
pub const MAX_SEGMENTS: usize = 65_536;

/// Expansion of an undefined `…_filter` macro.
const FILTER_EXPANSION: &str = "search *";

/// One macro definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MacroDef {
    /// Macro name without the arity suffix, e.g. `security_content_ctime`.
    /// A name that already ends in `(N)` with N = `args.len()` is accepted too.
    pub name: String,
    /// Argument names, in positional order.
    pub args: Vec<String>,
    /// Definition text; `$arg$` marks where an argument is substituted.
    pub definition: String,
    /// Where the definition comes from (e.g. a file path), for messages.
    pub origin: String,
}

impl MacroDef {
    /// A macro without arguments and with an empty origin.
    pub fn new(name: impl Into<String>, definition: impl Into<String>) -> Self {
        MacroDef {
            name: name.into(),
            args: Vec::new(),
            definition: definition.into(),
            origin: String::new(),
        }
    }

    /// The same macro with these argument names.
    pub fn with_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// The same macro with this origin (e.g. a file path).
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The lookup key: `name` without arguments, `name(N)` with N arguments.
    pub fn key(&self) -> String {
        let n = self.args.len();
        if n == 0 {
            return self.name.clone();
        }
        let suffix = format!("({n})");
        if self.name.ends_with(&suffix) {
            self.name.clone()
        } else {
            format!("{}{}", self.name, suffix)
        }
    }
}

/// A did-you-mean answer: the suggested key, and the help text.
type Suggestion = (Option<String>, String);

/// A set of macros, keyed by `name` (no arguments) or `name(N)`.
#[derive(Clone, Debug, Default)]
pub struct MacroSet {
    by_key: HashMap<String, MacroDef>,
    /// Suggestions already worked out, by the undefined key (`name` or `name(N)`); a corpus
    /// references the same missing macro hundreds of times. Replaced on insert (a clone made
    /// before keeps the old one, which is still right for its own macros).
    suggested: std::sync::Arc<std::sync::Mutex<HashMap<String, Suggestion>>>,
}

impl MacroSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a macro under [`MacroDef::key`]; a later insert with the same key
    /// replaces the earlier one.
    pub fn insert(&mut self, def: MacroDef) {
        self.by_key.insert(def.key(), def);
        self.suggested = Default::default();
    }

    /// The macro stored under `key` (`name` or `name(N)`).
    pub fn get(&self, key: &str) -> Option<&MacroDef> {
        self.by_key.get(key)
    }

    /// Whether a macro is stored under `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Number of macros.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// All keys, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.by_key.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    /// All macros, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &MacroDef> {
        self.by_key.values()
    }
}

impl FromIterator<MacroDef> for MacroSet {
    fn from_iter<T: IntoIterator<Item = MacroDef>>(iter: T) -> Self {
        let mut set = MacroSet::new();
        for def in iter {
            set.insert(def);
        }
        set
    }
}

/// Where a byte of expanded text came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// Byte `offset` of the query text.
    Query {
        /// Byte offset into the query.
        offset: usize,
    },
    /// Byte `offset` of the definition of the macro stored under `key`.
    Macro {
        /// Key of the macro (`name` or `name(N)`).
        key: String,
        /// Byte offset into that macro's definition.
        offset: usize,
    },
    /// Text made by the expander itself, e.g. `search *` of a `_filter` macro.
    Generated,
}

impl Origin {
    /// The origin `by` bytes further on (unchanged for [`Origin::Generated`]).
    fn advanced(&self, by: usize) -> Origin {
        match self {
            Origin::Query { offset } => Origin::Query {
                offset: offset.saturating_add(by),
            },
            Origin::Macro { key, offset } => Origin::Macro {
                key: key.clone(),
                offset: offset.saturating_add(by),
            },
            Origin::Generated => Origin::Generated,
        }
    }
}

/// A run of text whose bytes come from consecutive bytes of one origin.
#[derive(Clone, Debug, PartialEq)]
struct Segment {
    /// Start of the run in the text it belongs to.
    start: usize,
    /// Origin of the run's first byte.
    origin: Origin,
    /// Span, in the query, of the outermost macro reference that produced the
    /// run; `None` for query text outside any macro.
    outer: Option<(usize, usize)>,
}

/// Text with the origin of each byte.
#[derive(Clone, Debug, Default)]
struct Fragment {
    text: String,
    /// Sorted by `start`; the first starts at 0 unless the text is empty.
    segs: Vec<Segment>,
}

impl Fragment {
    /// Whether the text passes [`MAX_EXPANDED_LEN`] or [`MAX_SEGMENTS`].
    fn too_large(&self) -> bool {
        self.text.len() > MAX_EXPANDED_LEN || self.segs.len() > MAX_SEGMENTS
    }

    /// Append `s`, whose first byte comes from `origin`.
    fn push(&mut self, s: &str, origin: Origin, outer: Option<(usize, usize)>) {
        if s.is_empty() {
            return;
        }
        let at = self.text.len();
        let continues = self.segs.last().is_some_and(|last| {
            last.outer == outer
                && origin != Origin::Generated
                && last.origin.advanced(at - last.start) == origin
        });
        if !continues {
            self.segs.push(Segment {
                start: at,
                origin,
                outer,
            });
        }
        self.text.push_str(s);
    }

    /// Append `src.text[start..end]` with its origins.
    fn push_from(&mut self, src: &Fragment, start: usize, end: usize) {
        let end = end.min(src.text.len());
        let Some(mut i) = seg_index(&src.segs, start) else {
            return;
        };
        while let Some(seg) = src.segs.get(i) {
            if seg.start >= end {
                break;
            }
            let seg_end = seg_end(&src.segs, i, src.text.len());
            let a = start.max(seg.start);
            let b = end.min(seg_end);
            if let Some(piece) = src.text.get(a..b) {
                self.push(piece, seg.origin.advanced(a - seg.start), seg.outer);
            }
            i += 1;
        }
    }

    /// Origin and outer reference of the byte at `pos`.
    fn origin_at(&self, pos: usize) -> (Origin, Option<(usize, usize)>) {
        origin_in(&self.segs, self.text.len(), pos)
    }
}

/// Index of the segment containing `pos` (the last one when `pos` is at or
/// past the end).
fn seg_index(segs: &[Segment], pos: usize) -> Option<usize> {
    segs.partition_point(|s| s.start <= pos).checked_sub(1)
}

/// End of segment `i`.
fn seg_end(segs: &[Segment], i: usize, len: usize) -> usize {
    segs.get(i + 1).map_or(len, |s| s.start)
}

fn origin_in(segs: &[Segment], len: usize, pos: usize) -> (Origin, Option<(usize, usize)>) {
    let pos = pos.min(len);
    match seg_index(segs, pos).and_then(|i| segs.get(i)) {
        Some(seg) => (seg.origin.advanced(pos - seg.start), seg.outer),
        None => (Origin::Query { offset: 0 }, None),
    }
}

/// Span in the query of the expanded span `start..end` (see
/// [`SourceMap::query_span`]).
fn query_span_in(
    segs: &[Segment],
    len: usize,
    query_len: usize,
    start: usize,
    end: usize,
) -> (usize, usize) {
    let (s, e) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    let (s, e) = (s.min(len), e.min(len));
    let whole = (0, query_len);
    let map_piece = |seg: &Segment, a: usize, b: usize| -> (usize, usize) {
        match (&seg.origin, seg.outer) {
            (Origin::Query { offset }, None) => (
                offset.saturating_add(a - seg.start),
                offset.saturating_add(b - seg.start),
            ),
            (_, Some(outer)) => outer,
            _ => whole,
        }
    };
    let Some(first) = seg_index(segs, s) else {
        return whole;
    };
    let (mut lo, mut hi) = (usize::MAX, 0usize);
    let mut i = first;
    while let Some(seg) = segs.get(i) {
        let se = seg_end(segs, i, len);
        let a = s.max(seg.start);
        let b = e.min(se);
        let (x, y) = map_piece(seg, a.min(b), b);
        lo = lo.min(x);
        hi = hi.max(y);
        if se >= e {
            break;
        }
        i += 1;
    }
    if lo == usize::MAX {
        return whole;
    }
    let lo = lo.min(query_len);
    (lo, hi.clamp(lo, query_len))
}

/// Maps offsets of expanded text back to the query and macro definitions.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    segs: Vec<Segment>,
    len: usize,
    query_len: usize,
}

impl SourceMap {
    /// Map an expanded byte offset to its origin. Offsets at or past the end
    /// map to the position just after the last byte; an empty expansion maps
    /// everything to `Query { offset: 0 }`.
    pub fn origin(&self, expanded_offset: usize) -> Origin {
        origin_in(&self.segs, self.len, expanded_offset).0
    }

    /// Map an expanded span to a span in the ORIGINAL query text: itself when
    /// it lies in query text; otherwise the span of the outermost macro
    /// reference (backticks included) that produced it. A span covering both
    /// maps to the smallest query span covering all parts. Always valid for
    /// the query (reversed or out-of-range input is normalised and clamped).
    pub fn query_span(&self, start: usize, end: usize) -> (usize, usize) {
        query_span_in(&self.segs, self.len, self.query_len, start, end)
    }

    /// Span in the query of the outermost macro reference that produced the
    /// byte at `expanded_offset`, or `None` when that byte is query text
    /// outside any macro reference (macro arguments written in the query
    /// count as query text).
    pub fn macro_reference(&self, expanded_offset: usize) -> Option<(usize, usize)> {
        origin_in(&self.segs, self.len, expanded_offset).1
    }

    /// Length of the expanded text.
    pub fn expanded_len(&self) -> usize {
        self.len
    }

    /// Length of the original query text.
    pub fn query_len(&self) -> usize {
        self.query_len
    }
}

/// Result of expansion: the text to parse and its source map.
#[derive(Clone, Debug)]
pub struct Expanded {
    /// Query text with comments removed and macros expanded.
    pub text: String,
    /// Where each byte of `text` came from.
    pub map: SourceMap,
}

/// Errors of comment removal and macro expansion. Every span is a span of
/// the original query; for a problem inside a macro definition it is the
/// outermost macro reference being expanded, and the message names the chain
/// of macros. Attach the query with `miette::Report::with_source_code` to
/// render it.
#[derive(Clone, Debug, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum MacroError {
    /// ```` ``` ```` without a closing ```` ``` ````.
    #[error("unterminated comment{within}")]
    #[diagnostic(
        code("tripline::parse::unterminated_comment"),
        help("close the comment with three backticks (```), or remove the opening ones")
    )]
    UnterminatedComment {
        /// The opening backticks (or the macro reference being expanded).
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
        /// Empty in the query, else ` in the expansion of `a` → `b``.
        within: Box<str>,
    },

    /// `` ` `` starting a macro reference without a closing backtick.
    #[error("unterminated macro reference{within}")]
    #[diagnostic(
        code("tripline::parse::unterminated_reference"),
        help(
            "add the closing backtick (`) after the macro name; a literal backtick must be inside double quotes"
        )
    )]
    UnterminatedReference {
        /// The opening backtick (or the macro reference being expanded).
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
        /// Empty in the query, else ` in the expansion of `a` → `b``.
        within: Box<str>,
    },

    /// Two backticks with nothing but spaces between them.
    #[error("empty macro reference{within}")]
    #[diagnostic(
        code("tripline::parse::empty_reference"),
        help(
            "write a macro name between the backticks (`name` or `name(arg1, arg2)`), or remove them"
        )
    )]
    EmptyReference {
        /// The reference (or the macro reference being expanded).
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
        /// Empty in the query, else ` in the expansion of `a` → `b``.
        within: Box<str>,
    },

    /// A reference that is not `name` or `name(args)`.
    #[error("malformed macro reference `{reference}`{within}: {reason}")]
    #[diagnostic(
        code("tripline::parse::malformed_reference"),
        help("write a macro reference as `name` or `name(arg1, arg2)`")
    )]
    MalformedReference {
        /// Text between the backticks.
        reference: String,
        /// What is wrong.
        reason: String,
        /// The reference (or the macro reference being expanded).
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
        /// Empty in the query, else ` in the expansion of `a` → `b``.
        within: Box<str>,
    },

    /// No macro is stored under the referenced key.
    #[error("undefined macro `{key}`{within}")]
    #[diagnostic(code("tripline::macro::undefined"))]
    Undefined {
        /// Key looked up: `name` or `name(N)`.
        key: String,
        /// Closest known key, if any is close.
        suggestion: Option<String>,
        /// How to fix it (did-you-mean, or arity mismatch).
        #[help]
        help: String,
        /// The whole reference, backticks included (or the macro reference
        /// being expanded).
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
        /// Empty in the query, else ` in the expansion of `a` → `b``.
        within: Box<str>,
    },

    /// A macro that (indirectly) refers to itself.
    #[error("macro cycle: {chain}")]
    #[diagnostic(
        code("tripline::macro::cycle"),
        help("change one of these definitions so that the macros stop referring to each other")
    )]
    Cycle {
        /// Keys from the outermost macro to the repeated one.
        keys: Vec<String>,
        /// The chain as text: `` `a` → `b` → `a` ``.
        chain: String,
        /// The outermost macro reference.
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
    },

    /// Nesting deeper than the depth limit.
    #[error("macro expansion deeper than {limit} levels: {chain}")]
    #[diagnostic(
        code("tripline::macro::too_deep"),
        help(
            "look for runaway nesting in these definitions, or raise the limit with `expand_with_limit`"
        )
    )]
    TooDeep {
        /// The depth limit.
        limit: usize,
        /// Keys from the outermost macro to the one that went too deep.
        keys: Vec<String>,
        /// The chain as text: `` `a` → `b` → … ``.
        chain: String,
        /// The outermost macro reference.
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
    },

    /// More than [`MAX_EXPANSIONS`] references, [`MAX_EXPANDED_LEN`] bytes or
    /// [`MAX_SEGMENTS`] source-map segments.
    #[error("macro expansion too large{within}: {what}")]
    #[diagnostic(
        code("tripline::macro::too_large"),
        help(
            "a macro probably uses another one several times at many levels; simplify the definitions"
        )
    )]
    TooLarge {
        /// Which limit was passed.
        what: String,
        /// The outermost macro reference being expanded.
        #[label("{label}")]
        span: SourceSpan,
        /// Label text.
        label: &'static str,
        /// Empty in the query, else ` in the expansion of `a` → `b``.
        within: Box<str>,
    },
}

impl MacroError {
    /// The labelled span of the original query, as `(start, end)`.
    pub fn span(&self) -> (usize, usize) {
        let span = match self {
            MacroError::UnterminatedComment { span, .. }
            | MacroError::UnterminatedReference { span, .. }
            | MacroError::EmptyReference { span, .. }
            | MacroError::MalformedReference { span, .. }
            | MacroError::Undefined { span, .. }
            | MacroError::Cycle { span, .. }
            | MacroError::TooDeep { span, .. }
            | MacroError::TooLarge { span, .. } => span,
        };
        (span.offset(), span.offset().saturating_add(span.len()))
    }
}

/// Expand comments and macros of `query` with the default depth limit
/// ([`DEFAULT_MAX_DEPTH`]).
pub fn expand(query: &str, macros: &MacroSet) -> Result<Expanded, MacroError> {
    expand_with_limit(query, macros, DEFAULT_MAX_DEPTH)
}

/// Expand comments and macros of `query`, allowing at most `max_depth`
/// levels of nested macros (0 forbids any macro, except `_filter` ones that
/// are not defined).
pub fn expand_with_limit(
    query: &str,
    macros: &MacroSet,
    max_depth: usize,
) -> Result<Expanded, MacroError> {
    let mut top = Fragment::default();
    top.push(query, Origin::Query { offset: 0 }, None);
    let mut ex = Expander {
        query_len: query.len(),
        macros,
        max_depth,
        frames: vec![Frame {
            frag: top,
            pos: 0,
            key: None,
        }],
        out: Fragment::default(),
        expansions: 0,
    };
    ex.run()?;
    Ok(Expanded {
        map: SourceMap {
            segs: ex.out.segs,
            len: ex.out.text.len(),
            query_len: ex.query_len,
        },
        text: ex.out.text,
    })
}

/// Text being scanned: the query, or the body of a macro being expanded.
struct Frame {
    frag: Fragment,
    /// Next byte to scan.
    pos: usize,
    /// Key of the macro whose body this is; `None` for the query.
    key: Option<String>,
}

/// A lexical unit of text outside double-quoted strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    End,
    /// Plain text (quoted strings included), up to an unquoted backtick.
    Literal(usize, usize),
    /// ```` ```…``` ````, delimiters included.
    Comment(usize, usize),
    /// `` `…` ``, backticks included.
    Reference(usize, usize),
    /// Position of the opening ```` ``` ````.
    UnterminatedComment(usize),
    /// Position of the opening backtick.
    UnterminatedReference(usize),
}

fn next_token(text: &str, pos: usize) -> Token {
    let bytes = text.as_bytes();
    let len = bytes.len();
    if pos >= len {
        return Token::End;
    }
    if bytes.get(pos) == Some(&b'`') {
        let rest = text.get(pos..).unwrap_or("");
        if rest.starts_with("```") {
            return match rest.get(3..).and_then(|r| r.find("```")) {
                Some(rel) => Token::Comment(pos, pos + 3 + rel + 3),
                None => Token::UnterminatedComment(pos),
            };
        }
        return match rest.get(1..).and_then(|r| r.find('`')) {
            Some(rel) => Token::Reference(pos, pos + 1 + rel + 1),
            None => Token::UnterminatedReference(pos),
        };
    }
    let mut i = pos;
    let mut in_quotes = false;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => {
                // `\"` and `\\` are escapes everywhere; inside quotes any
                // escaped byte is skipped (it cannot end the string anyway).
                let next = bytes.get(i + 1).copied();
                if in_quotes || matches!(next, Some(b'"' | b'\\')) {
                    i += 2;
                } else {
                    i += 1;
                }
            }
            b'"' => {
                in_quotes = !in_quotes;
                i += 1;
            }
            b'`' if !in_quotes => break,
            _ => i += 1,
        }
    }
    Token::Literal(pos, i.min(len))
}

/// One argument of a reference, as byte ranges of the scanned text.
#[derive(Clone, Debug)]
struct Arg {
    /// Trimmed argument.
    whole: (usize, usize),
    /// For `identifier=value`: the identifier and the trimmed value.
    named: Option<((usize, usize), (usize, usize))>,
}

/// A parsed `` `name(args)` `` reference.
struct ParsedRef {
    name: (usize, usize),
    args: Vec<Arg>,
}

enum RefProblem {
    Empty,
    Malformed(String),
}

/// Parse the reference whose backticks are at `start` and `end - 1`.
fn parse_reference(text: &str, start: usize, end: usize) -> Result<ParsedRef, RefProblem> {
    let (is, ie) = (start + 1, end.saturating_sub(1).max(start + 1));
    let (ts, te) = trim_range(text, is, ie);
    let inner = text.get(ts..te).unwrap_or("");
    if inner.is_empty() {
        return Err(RefProblem::Empty);
    }
    let Some(paren) = inner.find('(') else {
        return Ok(ParsedRef {
            name: (ts, te),
            args: Vec::new(),
        });
    };
    let name = trim_range(text, ts, ts + paren);
    if name.0 == name.1 {
        return Err(RefProblem::Malformed(
            "missing macro name before `(`".to_string(),
        ));
    }
    if !inner.ends_with(')') {
        return Err(RefProblem::Malformed(
            "missing closing parenthesis `)` at the end".to_string(),
        ));
    }
    let (cs, ce) = (ts + paren + 1, te - 1);
    let (cs_t, ce_t) = trim_range(text, cs, ce);
    let args = if cs_t == ce_t {
        Vec::new()
    } else {
        split_args(text, cs, ce)
    };
    Ok(ParsedRef { name, args })
}

/// `start..end` without surrounding whitespace.
fn trim_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let Some(s) = text.get(start..end) else {
        return (start, start);
    };
    let lead = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    (start + lead, start + lead + trimmed.len())
}

/// Split `start..end` on commas outside double quotes and parentheses.
fn split_args(text: &str, start: usize, end: usize) -> Vec<Arg> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut piece_start = start;
    let mut depth = 0usize;
    let mut in_quotes = false;
    let mut i = start;
    while i < end {
        let Some(&c) = bytes.get(i) else { break };
        match c {
            b'\\' if in_quotes => i += 1,
            b'"' => in_quotes = !in_quotes,
            b'(' if !in_quotes => depth += 1,
            b')' if !in_quotes => depth = depth.saturating_sub(1),
            b',' if !in_quotes && depth == 0 => {
                pieces.push((piece_start, i));
                piece_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    pieces.push((piece_start, end));
    pieces
        .into_iter()
        .map(|(s, e)| {
            let whole = trim_range(text, s, e);
            let named = text
                .get(whole.0..whole.1)
                .and_then(|w| w.find('='))
                .and_then(|eq| {
                    let ident = trim_range(text, whole.0, whole.0 + eq);
                    let ok = text
                        .get(ident.0..ident.1)
                        .is_some_and(|id| !id.is_empty() && id.bytes().all(is_arg_name_byte));
                    ok.then(|| (ident, trim_range(text, whole.0 + eq + 1, whole.1)))
                });
            Arg { whole, named }
        })
        .collect()
}

fn is_arg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// What to do with a reference.
enum Action {
    /// Append generated text (undefined `_filter` macro).
    Generated(&'static str, (usize, usize)),
    /// Scan this macro body next.
    Push(Frame),
}

struct Expander<'a> {
    query_len: usize,
    macros: &'a MacroSet,
    max_depth: usize,
    frames: Vec<Frame>,
    out: Fragment,
    expansions: usize,
}

impl Expander<'_> {
    fn run(&mut self) -> Result<(), MacroError> {
        loop {
            let Some(frame) = self.frames.last() else {
                return Ok(());
            };
            let token = next_token(&frame.frag.text, frame.pos);
            let (start, next_pos) = match token {
                Token::End => {
                    self.frames.pop();
                    continue;
                }
                Token::Literal(a, b) => {
                    self.out.push_from(&frame.frag, a, b);
                    (a, b)
                }
                Token::Comment(a, b) => {
                    let (origin, outer) = frame.frag.origin_at(a);
                    self.out.push(" ", origin, outer);
                    (a, b)
                }
                Token::UnterminatedComment(a) => {
                    let (span, label, within) =
                        self.locate(a, a + 3, "this comment is never closed");
                    return Err(MacroError::UnterminatedComment {
                        span,
                        label,
                        within,
                    });
                }
                Token::UnterminatedReference(a) => {
                    let (span, label, within) =
                        self.locate(a, a + 1, "this backtick is never closed");
                    return Err(MacroError::UnterminatedReference {
                        span,
                        label,
                        within,
                    });
                }
                Token::Reference(a, b) => {
                    let action = self.resolve(a, b)?;
                    if let Some(frame) = self.frames.last_mut() {
                        frame.pos = b;
                    }
                    match action {
                        Action::Generated(text, outer) => {
                            self.out.push(text, Origin::Generated, Some(outer));
                        }
                        Action::Push(body) => self.frames.push(body),
                    }
                    continue;
                }
            };
            if self.out.too_large() {
                return Err(self.too_large(start, next_pos, too_long()));
            }
            if let Some(frame) = self.frames.last_mut() {
                frame.pos = next_pos;
            }
        }
    }

    /// Query span of `start..end` of the current frame, the label to show
    /// there, and the ` in the expansion of …` suffix.
    fn locate(
        &self,
        start: usize,
        end: usize,
        top_label: &'static str,
    ) -> (SourceSpan, &'static str, Box<str>) {
        let (s, e) = self.frame_span(start, end);
        let nested = self.chain_keys();
        if nested.is_empty() {
            ((s, e - s).into(), top_label, Box::from(""))
        } else {
            (
                (s, e - s).into(),
                "in the expansion of this macro reference",
                self.within(&nested).into_boxed_str(),
            )
        }
    }

    /// ` in the expansion of `a` → `b` (defined in ORIGIN)`, ORIGIN being
    /// that of the innermost macro when it is known.
    fn within(&self, nested: &[String]) -> String {
        let origin = nested
            .last()
            .and_then(|k| self.macros.get(k))
            .map(|d| d.origin.as_str())
            .filter(|o| !o.is_empty());
        match origin {
            Some(o) => format!(
                " in the expansion of {} (defined in {o})",
                format_chain(nested)
            ),
            None => format!(" in the expansion of {}", format_chain(nested)),
        }
    }

    /// Query span of `start..end` of the current frame.
    fn frame_span(&self, start: usize, end: usize) -> (usize, usize) {
        match self.frames.last() {
            Some(f) => query_span_in(&f.frag.segs, f.frag.text.len(), self.query_len, start, end),
            None => (0, self.query_len),
        }
    }

    /// Keys of the macros being expanded, outermost first.
    fn chain_keys(&self) -> Vec<String> {
        self.frames.iter().filter_map(|f| f.key.clone()).collect()
    }

    /// A [`MacroError::TooLarge`] located at `start..end` of the current frame.
    fn too_large(&self, start: usize, end: usize, what: String) -> MacroError {
        let (span, label, within) = self.locate(start, end, "expanding this macro reference");
        MacroError::TooLarge {
            what,
            span,
            label,
            within,
        }
    }

    /// Decide how to expand the reference at `a..b` of the current frame.
    fn resolve(&mut self, a: usize, b: usize) -> Result<Action, MacroError> {
        let Some(frame) = self.frames.last() else {
            // Not reached: `run` resolves references of the current frame.
            return Err(MacroError::EmptyReference {
                span: (0, 0).into(),
                label: "",
                within: Box::from(""),
            });
        };
        let text = frame.frag.text.as_str();
        let parsed = match parse_reference(text, a, b) {
            Ok(p) => p,
            Err(RefProblem::Empty) => {
                let (span, label, within) = self.locate(a, b, "nothing between these backticks");
                return Err(MacroError::EmptyReference {
                    span,
                    label,
                    within,
                });
            }
            Err(RefProblem::Malformed(reason)) => {
                let (span, label, within) = self.locate(a, b, "this macro reference");
                let reference = text
                    .get(a + 1..b.saturating_sub(1))
                    .unwrap_or("")
                    .trim()
                    .to_string();
                return Err(MacroError::MalformedReference {
                    reference,
                    reason,
                    span,
                    label,
                    within,
                });
            }
        };
        let name = text.get(parsed.name.0..parsed.name.1).unwrap_or("");
        let arity = parsed.args.len();
        let key = if arity == 0 {
            name.to_string()
        } else {
            format!("{name}({arity})")
        };
        let outer = self.frame_span(a, b);
        let Some(def) = self.macros.get(&key) else {
            if name.ends_with("_filter") {
                return Ok(Action::Generated(FILTER_EXPANSION, outer));
            }
            let (suggestion, help) = suggest(self.macros, name, arity, &key);
            let (span, label, within) = self.locate(a, b, "this macro is not defined");
            return Err(MacroError::Undefined {
                key,
                suggestion,
                help,
                span,
                label,
                within,
            });
        };

        let mut keys = self.chain_keys();
        let cycle = keys.contains(&key);
        keys.push(key.clone());
        if cycle || self.frames.len() > self.max_depth {
            // `outer` is the outermost reference: text of a macro body maps
            // to the query reference it was expanded from.
            let span: SourceSpan = (outer.0, outer.1 - outer.0).into();
            let label = if keys.len() > 1 {
                "in the expansion of this macro reference"
            } else {
                "this macro reference"
            };
            let chain = format_chain(&keys);
            return Err(if cycle {
                MacroError::Cycle {
                    keys,
                    chain,
                    span,
                    label,
                }
            } else {
                MacroError::TooDeep {
                    limit: self.max_depth,
                    keys,
                    chain,
                    span,
                    label,
                }
            });
        }

        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            let what = format!("more than {MAX_EXPANSIONS} macro references");
            return Err(self.too_large(a, b, what));
        }
        let bindings = bind_args(text, &parsed.args, &def.args);
        let Some(body) = substitute(&frame.frag, def, &key, &bindings, outer) else {
            return Err(self.too_large(a, b, too_long()));
        };
        Ok(Action::Push(Frame {
            frag: body,
            pos: 0,
            key: Some(key),
        }))
    }
}

/// What [`MacroError::TooLarge`] says when the text is too long.
fn too_long() -> String {
    format!("more than {MAX_EXPANDED_LEN} bytes or {MAX_SEGMENTS} pieces of text")
}

/// `` `a` → `b` → `c` ``.
fn format_chain(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Pair argument names with argument value ranges: by name when every
/// argument is `identifier=value` and the identifiers are exactly the
/// macro's argument names, else by position.
fn bind_args(text: &str, args: &[Arg], names: &[String]) -> Vec<(String, (usize, usize))> {
    let names: Vec<&str> = names.iter().map(|n| n.trim()).collect();
    let mut by_name: Vec<(String, (usize, usize))> = Vec::new();
    let mut named_ok = args.len() == names.len();
    for arg in args {
        if !named_ok {
            break;
        }
        match arg.named {
            Some((ident, value)) => {
                let id = text.get(ident.0..ident.1).unwrap_or("");
                if names.contains(&id) && !by_name.iter().any(|(n, _)| n == id) {
                    by_name.push((id.to_string(), value));
                } else {
                    named_ok = false;
                }
            }
            None => named_ok = false,
        }
    }
    if named_ok {
        return by_name;
    }
    names
        .iter()
        .zip(args)
        .map(|(n, arg)| (n.to_string(), arg.whole))
        .collect()
}

/// The body of `def` with `$arg$` replaced by the bound argument text of
/// `caller`; definition text maps to `Origin::Macro`, argument text keeps
/// the origin it had in `caller`. `None` when the body would be too large
/// ([`MAX_EXPANDED_LEN`], [`MAX_SEGMENTS`]).
fn substitute(
    caller: &Fragment,
    def: &MacroDef,
    key: &str,
    bindings: &[(String, (usize, usize))],
    outer: (usize, usize),
) -> Option<Fragment> {
    let definition = def.definition.as_str();
    let mut body = Fragment::default();
    let origin = |offset: usize| Origin::Macro {
        key: key.to_string(),
        offset,
    };
    let mut lit_start = 0;
    let mut i = 0;
    let bound: Vec<&(String, (usize, usize))> =
        bindings.iter().filter(|(n, _)| !n.is_empty()).collect();
    if !bound.is_empty() {
        while let Some(rel) = definition.get(i..).and_then(|s| s.find('$')) {
            let dollar = i + rel;
            let after = definition.get(dollar + 1..).unwrap_or("");
            let hit = bound
                .iter()
                .filter(|(n, _)| {
                    after.starts_with(n.as_str())
                        && after.get(n.len()..).is_some_and(|r| r.starts_with('$'))
                })
                .max_by_key(|(n, _)| n.len());
            match hit {
                Some((n, (vs, ve))) => {
                    if let Some(lit) = definition.get(lit_start..dollar) {
                        body.push(lit, origin(lit_start), Some(outer));
                    }
                    body.push_from(caller, *vs, *ve);
                    if body.too_large() {
                        return None;
                    }
                    i = dollar + n.len() + 2;
                    lit_start = i;
                }
                None => i = dollar + 1,
            }
        }
    }
    if let Some(rest) = definition.get(lit_start..) {
        body.push(rest, origin(lit_start), Some(outer));
    }
    (!body.too_large()).then_some(body)
}

/// Did-you-mean for an undefined key: a same-name macro with another arity,
/// else the closest name by edit distance. Returns the suggested key and the
/// help text.
fn suggest(macros: &MacroSet, name: &str, arity: usize, key: &str) -> Suggestion {
    // The key is `name` or `name(arity)`, so it alone decides the answer.
    let cached = |m: &HashMap<String, Suggestion>| m.get(key).cloned();
    if let Some(hit) = macros.suggested.lock().ok().and_then(|m| cached(&m)) {
        return hit;
    }
    let answer = suggest_uncached(macros, name, arity, key);
    if let Ok(mut m) = macros.suggested.lock() {
        m.insert(key.to_string(), answer.clone());
    }
    answer
}

fn suggest_uncached(macros: &MacroSet, name: &str, arity: usize, key: &str) -> Suggestion {
    let mut same_name: Vec<(usize, String)> = macros
        .by_key
        .iter()
        .filter(|(_, d)| base_name(&d.name) == name)
        .map(|(k, d)| (d.args.len(), k.clone()))
        .collect();
    same_name.sort();
    if let Some((_, k)) = same_name.first() {
        let takes = same_name
            .iter()
            .map(|(n, _)| plural_args(*n))
            .collect::<Vec<_>>()
            .join(" or ");
        let help = format!(
            "macro `{name}` takes {takes}, but this reference passes {}; did you mean `{k}`?",
            plural_args(arity)
        );
        return (Some(k.clone()), help);
    }

    let not_found = format!("define a macro `{key}`, or check the spelling of the name");
    if name.chars().count() > 256 {
        return (None, not_found);
    }
    let wanted: Vec<char> = name.to_lowercase().chars().collect();
    let limit = (wanted.len().div_ceil(3)).clamp(1, 4);
    let mut best: Option<(usize, usize, &MacroDef, &String)> = None;
    for (k, def) in &macros.by_key {
        let base = base_name(&def.name);
        if base.chars().count() > 256 {
            continue;
        }
        let cand: Vec<char> = base.to_lowercase().chars().collect();
        let Some(d) = levenshtein_within(&wanted, &cand, limit) else {
            continue;
        };
        let arity_miss = usize::from(def.args.len() != arity);
        let better = match best {
            None => true,
            Some((bd, bm, _, bk)) => (d, arity_miss, k) < (bd, bm, bk),
        };
        if better {
            best = Some((d, arity_miss, def, k));
        }
    }
    match best {
        Some((_, arity_miss, def, k)) => {
            let base = base_name(&def.name);
            let help = if arity_miss == 0 {
                format!("did you mean `{base}`?")
            } else {
                format!(
                    "did you mean `{base}`? (it takes {})",
                    plural_args(def.args.len())
                )
            };
            (Some(k.clone()), help)
        }
        None => (None, not_found),
    }
}

fn plural_args(n: usize) -> String {
    match n {
        0 => "no arguments".to_string(),
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    }
}

/// `name` of `name(N)`.
fn base_name(name: &str) -> &str {
    if let Some(open) = name.rfind('(') {
        let tail = name.get(open + 1..).unwrap_or("");
        if let Some(digits) = tail.strip_suffix(')')
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return name.get(..open).unwrap_or(name);
        }
    }
    name
}

/// Edit distance (insert, delete, substitute) between two char strings, when it is at most
/// `limit`. The distance is at least the difference in length, which rules out most names
/// without the quadratic comparison (a check of all corpus rules spent a fifth of its time
/// here, suggesting names for undefined macros); and a row's smallest entry never decreases
/// in the rows after it, so the comparison stops at the first row whose entries all exceed
/// `limit`.
fn levenshtein_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        let mut row_min = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            let d = sub.min(del).min(ins);
            row_min = row_min.min(d);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = d;
            }
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().filter(|d| *d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::Diagnostic;

    #[test]
    fn bounded_edit_distance() {
        let c = |s: &str| s.chars().collect::<Vec<char>>();
        // kitten -> sitten -> sittin -> sitting: three edits.
        assert_eq!(levenshtein_within(&c("kitten"), &c("sitting"), 3), Some(3));
        assert_eq!(levenshtein_within(&c("kitten"), &c("sitting"), 2), None);
        // flaw -> law -> lawn: two.
        assert_eq!(levenshtein_within(&c("flaw"), &c("lawn"), 4), Some(2));
        assert_eq!(levenshtein_within(&c(""), &c("abc"), 3), Some(3));
        assert_eq!(levenshtein_within(&c("abc"), &c(""), 2), None);
        assert_eq!(levenshtein_within(&c("sysmon"), &c("sysmon"), 1), Some(0));
        // Same length, no letter in common: six substitutions, more than 1.
        assert_eq!(levenshtein_within(&c("abcdef"), &c("uvwxyz"), 1), None);
        // Length differs by more than the limit: ruled out before comparing.
        assert_eq!(levenshtein_within(&c("abc"), &c("abcdefghij"), 2), None);
        assert_eq!(levenshtein_within(&c("abc"), &c("abcdefghij"), 7), Some(7));
    }

    fn set(defs: &[(&str, &[&str], &str)]) -> MacroSet {
        defs.iter()
            .map(|(name, args, def)| {
                MacroDef::new(*name, *def)
                    .with_args(args.iter().copied())
                    .with_origin(format!("test/{name}.yml"))
            })
            .collect()
    }

    /// Every expanded byte equals the byte its origin points at (a comment's
    /// space points at the comment's first backtick), and every mapped span
    /// is a valid span of the query.
    fn check_map(query: &str, macros: &MacroSet, e: &Expanded) {
        for (i, b) in e.text.bytes().enumerate() {
            let src = match e.map.origin(i) {
                Origin::Query { offset } => query.as_bytes().get(offset).copied(),
                Origin::Macro { key, offset } => macros
                    .get(&key)
                    .and_then(|d| d.definition.as_bytes().get(offset).copied()),
                Origin::Generated => Some(b),
            };
            assert!(
                src == Some(b) || (b == b' ' && src == Some(b'`')),
                "byte {i} of {:?} maps to {src:?}",
                e.text
            );
        }
        // Spans between char boundaries of the expanded text map to spans
        // between char boundaries of the query.
        let bounds: Vec<usize> = (0..=e.text.len())
            .filter(|&i| e.text.is_char_boundary(i))
            .collect();
        for w in bounds.windows(2) {
            let (s, t) = e.map.query_span(w[0], w[1]);
            assert!(s <= t && t <= query.len());
            assert!(query.is_char_boundary(s) && query.is_char_boundary(t));
        }
    }

    fn ok(query: &str, macros: &MacroSet) -> Expanded {
        match expand(query, macros) {
            Ok(e) => {
                check_map(query, macros, &e);
                e
            }
            Err(err) => panic!("{query:?}: {err}"),
        }
    }

    fn err(query: &str, macros: &MacroSet) -> MacroError {
        match expand(query, macros) {
            Ok(e) => panic!("{query:?} expanded to {:?}", e.text),
            Err(err) => err,
        }
    }

    fn mac(key: &str, offset: usize) -> Origin {
        Origin::Macro {
            key: key.to_string(),
            offset,
        }
    }

    // ---- comments -------------------------------------------------------

    #[test]
    fn comment_becomes_one_space() {
        let m = MacroSet::new();
        let e = ok("stats```x```count", &m);
        assert_eq!(e.text, "stats count");
        assert_eq!(e.map.origin(5), Origin::Query { offset: 5 });
        assert_eq!(e.map.origin(6), Origin::Query { offset: 12 });
        assert_eq!(ok("a ```c1``` b ```c2```", &m).text, "a   b  ");
    }

    #[test]
    fn comment_hides_macro_references() {
        let e = ok("a ```see `nope` and `x``` b", &MacroSet::new());
        assert_eq!(e.text, "a   b");
    }

    #[test]
    fn triple_backticks_in_quotes_are_literal() {
        let q = r#"search x="```y```" | stats count"#;
        assert_eq!(ok(q, &MacroSet::new()).text, q);
    }

    #[test]
    fn unterminated_comment() {
        let e = err("stats ```oops", &MacroSet::new());
        assert!(matches!(e, MacroError::UnterminatedComment { .. }));
        assert_eq!(e.span(), (6, 9));
        assert_eq!(e.to_string(), "unterminated comment");
    }

    // ---- simple references and the source map ---------------------------

    #[test]
    fn simple_macro_and_map() {
        let m = set(&[("sysmon", &[], "index=main sourcetype=sysmon")]);
        let e = ok("`sysmon` EventCode=1", &m);
        assert_eq!(e.text, "index=main sourcetype=sysmon EventCode=1");
        assert_eq!(e.map.origin(0), mac("sysmon", 0));
        assert_eq!(e.map.origin(11), mac("sysmon", 11));
        assert_eq!(e.map.origin(28), Origin::Query { offset: 8 });
        assert_eq!(e.map.query_span(0, 5), (0, 8));
        assert_eq!(e.map.query_span(29, 38), (9, 18));
        assert_eq!(e.map.query_span(20, 38), (0, 18));
        assert_eq!(e.map.macro_reference(3), Some((0, 8)));
        assert_eq!(e.map.macro_reference(30), None);
        assert_eq!(e.map.expanded_len(), e.text.len());
        assert_eq!(e.map.query_len(), 20);
    }

    #[test]
    fn map_out_of_range_is_clamped() {
        let e = ok("abc", &MacroSet::new());
        assert_eq!(e.map.origin(1000), Origin::Query { offset: 3 });
        assert_eq!(e.map.query_span(5, 2), (2, 3));
        assert_eq!(e.map.query_span(1, 1), (1, 1));
        let empty = ok("", &MacroSet::new());
        assert_eq!(empty.text, "");
        assert_eq!(empty.map.origin(0), Origin::Query { offset: 0 });
        assert_eq!(empty.map.query_span(0, 4), (0, 0));
    }

    #[test]
    fn adjacent_references() {
        let m = set(&[("a", &[], "A"), ("b", &[], "B")]);
        let e = ok("`a``b`|`a`", &m);
        assert_eq!(e.text, "AB|A");
        assert_eq!(e.map.query_span(1, 2), (3, 6));
        assert_eq!(e.map.query_span(0, 4), (0, 10));
    }

    #[test]
    fn nested_map_round_trip() {
        let m = set(&[
            ("inner", &["v"], "f=$v$"),
            ("outer", &["x"], "search `inner($x$)` | head 1"),
        ]);
        let q = "index=a | `outer(val)` | stats count";
        let e = ok(q, &m);
        assert_eq!(e.text, "index=a | search f=val | head 1 | stats count");
        assert_eq!(e.map.origin(10), mac("outer(1)", 0));
        assert_eq!(e.map.origin(17), mac("inner(1)", 0));
        // The argument text comes from the query itself.
        assert_eq!(e.map.origin(19), Origin::Query { offset: 17 });
        assert_eq!(e.map.query_span(19, 22), (17, 20));
        assert_eq!(e.map.macro_reference(19), None);
        // Macro text maps to the outermost reference.
        assert_eq!(e.map.query_span(10, 16), (10, 22));
        assert_eq!(e.map.query_span(17, 19), (10, 22));
        assert_eq!(e.map.macro_reference(17), Some((10, 22)));
        assert_eq!(e.map.origin(22), mac("outer(1)", 19));
        assert_eq!(e.map.origin(31), Origin::Query { offset: 22 });
        assert_eq!(e.map.query_span(0, 7), (0, 7));
        assert_eq!(e.map.query_span(0, 12), (0, 22));
        // Macro text (` | head 1`) then query text (` | stats c`).
        assert_eq!(e.map.query_span(25, 40), (10, 31));
    }

    // ---- arguments -------------------------------------------------------

    #[test]
    fn arity_qualified_names() {
        let m = set(&[
            ("foo", &[], "zero"),
            ("foo", &["a"], "one($a$)"),
            ("foo", &["a", "b"], "two($a$,$b$)"),
        ]);
        assert_eq!(m.len(), 3);
        assert!(m.get("foo(1)").is_some() && m.get("foo(2)").is_some());
        let e = ok("`foo` `foo(x)` `foo(x, y)` `foo()`", &m);
        assert_eq!(e.text, "zero one(x) two(x,y) zero");
    }

    #[test]
    fn spec_ctime_example() {
        let m = set(&[(
            "security_content_ctime",
            &["field"],
            r#"convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)"#,
        )]);
        let e = ok("| `security_content_ctime(firstTime)`", &m);
        assert_eq!(
            e.text,
            r#"| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)"#
        );
    }

    #[test]
    fn named_arguments() {
        let m = set(&[
            ("iis_search", &["fragment"], "sourcetype=iis $fragment$"),
            ("m", &["a", "b"], "$a$-$b$"),
        ]);
        assert_eq!(
            ok("`iis_search(fragment=TM)`", &m).text,
            "sourcetype=iis TM"
        );
        assert_eq!(ok("`m(b=2, a = 1)`", &m).text, "1-2");
        // Not every argument is named: positional.
        assert_eq!(ok("`m(a=1, 2)`", &m).text, "a=1-2");
        // Names that are not the macro's: positional.
        assert_eq!(ok("`m(x=1, y=2)`", &m).text, "x=1-y=2");
        // A name given twice: positional.
        assert_eq!(ok("`m(a=1, a=2)`", &m).text, "a=1-a=2");
    }

    #[test]
    fn argument_splitting_and_trimming() {
        let m = set(&[("m", &["a", "b"], "[$a$|$b$]")]);
        assert_eq!(ok(r#"`m("x,y", f(1,2))`"#, &m).text, r#"["x,y"|f(1,2)]"#);
        assert_eq!(ok("`m(  p ,  q  )`", &m).text, "[p|q]");
        assert_eq!(ok(r#"`m("a\",b", c)`"#, &m).text, r#"["a\",b"|c]"#);
        assert_eq!(ok("`m(, z)`", &m).text, "[|z]");
    }

    #[test]
    fn dollar_args_even_inside_quotes() {
        let m = set(&[
            ("q", &["v"], r#"search x="$v$*" | eval y="$v$""#),
            ("d", &["v"], "cost $$5 $other$ $v$ $v"),
            ("l", &["a", "ab"], "$ab$/$a$"),
        ]);
        assert_eq!(ok("`q(abc)`", &m).text, r#"search x="abc*" | eval y="abc""#);
        assert_eq!(ok("`d(V)`", &m).text, "cost $$5 $other$ V $v");
        assert_eq!(ok("`l(1, 2)`", &m).text, "2/1");
        // A zero-argument macro leaves `$x$` alone.
        let z = set(&[("z", &[], "a=$x$")]);
        assert_eq!(ok("`z`", &z).text, "a=$x$");
    }

    // ---- quotes -----------------------------------------------------------

    #[test]
    fn references_inside_quotes_are_not_expanded() {
        let m = set(&[("m", &[], "M")]);
        for q in [
            r#"search "foo`bar`baz""#,
            r#"x="a\"`m`" y"#,
            r#"eval n=split(p,"`")"#,
        ] {
            assert_eq!(ok(q, &m).text, q);
        }
        assert_eq!(ok(r#"x="a\\" `m`"#, &m).text, r#"x="a\\" M"#);
        // An escaped quote outside a string does not open one.
        assert_eq!(ok(r#"x=\" `m`"#, &m).text, r#"x=\" M"#);
    }

    #[test]
    fn definition_with_comment_and_quoted_backtick() {
        let m = set(&[(
            "tok",
            &[],
            r#"eval p=replace(lower(p), "`", "") ```strip``` | x"#,
        )]);
        let e = ok("`tok`", &m);
        assert_eq!(e.text, r#"eval p=replace(lower(p), "`", "")   | x"#);
        // The comment's space maps to the comment, the text after it to the
        // text after the comment.
        assert_eq!(e.map.origin(34), mac("tok", 34));
        assert_eq!(e.map.origin(35), mac("tok", 45));
    }

    // ---- _filter ----------------------------------------------------------

    #[test]
    fn undefined_filter_is_search_star() {
        let q = "| stats count | `my_detection_filter`";
        let e = ok(q, &MacroSet::new());
        assert_eq!(e.text, "| stats count | search *");
        assert_eq!(e.map.origin(16), Origin::Generated);
        assert_eq!(e.map.query_span(16, 24), (16, 37));
        assert_eq!(e.map.macro_reference(20), Some((16, 37)));
        // A defined `_filter` macro is used as defined.
        let m = set(&[("my_detection_filter", &[], "search user!=admin")]);
        assert_eq!(ok(q, &m).text, "| stats count | search user!=admin");
    }

    // ---- errors -----------------------------------------------------------

    #[test]
    fn undefined_with_suggestion() {
        let m = set(&[
            (
                "security_content_ctime",
                &["field"],
                "convert ctime($field$)",
            ),
            ("sysmon", &[], "index=sysmon"),
        ]);
        let e = err("| `security_content_ctim(firstTime)`", &m);
        let MacroError::Undefined {
            key,
            suggestion,
            help,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(key, "security_content_ctim(1)");
        assert_eq!(suggestion.as_deref(), Some("security_content_ctime(1)"));
        assert_eq!(help, "did you mean `security_content_ctime`?");
        assert_eq!(e.span(), (2, 36));
        assert_eq!(e.to_string(), "undefined macro `security_content_ctim(1)`");
        assert_eq!(
            e.code().map(|c| c.to_string()).as_deref(),
            Some("tripline::macro::undefined")
        );
        assert_eq!(
            e.help().map(|h| h.to_string()).as_deref(),
            Some("did you mean `security_content_ctime`?")
        );
        let labels: Vec<_> = e.labels().into_iter().flatten().collect();
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0].offset(), 2);
        assert_eq!(labels[0].len(), 34);
        assert_eq!(labels[0].label(), Some("this macro is not defined"));

        // Case differences are suggested too.
        let e = err("`SYSMON`", &m);
        assert!(matches!(&e, MacroError::Undefined { suggestion: Some(s), .. } if s == "sysmon"));
        // Nothing close.
        let e = err("`zzzzzz`", &m);
        assert!(matches!(
            &e,
            MacroError::Undefined {
                suggestion: None,
                ..
            }
        ));
        assert_eq!(e.span(), (0, 8));
    }

    /// Suggestions are remembered per undefined key, and forgotten when a macro is added:
    /// `abcxyz` is 3 edits from `abcdef` (over the limit of 2 for six letters), so nothing is
    /// suggested; once `abcxyq` (1 edit) is defined, it is.
    #[test]
    fn suggestions_follow_inserts() {
        let undefined = |m: &MacroSet| match err("| `abcxyz`", m) {
            MacroError::Undefined { suggestion, .. } => suggestion,
            e => panic!("{e:?}"),
        };
        let mut m = set(&[("abcdef", &[], "x")]);
        assert_eq!(undefined(&m), None);
        assert_eq!(undefined(&m), None);
        let before = m.clone();
        m.insert(MacroDef::new("abcxyq", "y"));
        assert_eq!(undefined(&m).as_deref(), Some("abcxyq"));
        assert_eq!(undefined(&before), None);
    }

    #[test]
    fn undefined_arity_mismatch() {
        let m = set(&[(
            "security_content_ctime",
            &["field"],
            "convert ctime($field$)",
        )]);
        let e = err("`security_content_ctime`", &m);
        let MacroError::Undefined {
            key,
            suggestion,
            help,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(key, "security_content_ctime");
        assert_eq!(suggestion.as_deref(), Some("security_content_ctime(1)"));
        assert_eq!(
            help,
            "macro `security_content_ctime` takes 1 argument, but this reference passes no arguments; did you mean `security_content_ctime(1)`?"
        );
    }

    #[test]
    fn error_inside_macro_maps_to_reference() {
        let m = set(&[("outer2", &[], "search `nope`"), ("bad", &[], "x `oops")]);
        let e = err("x | `outer2` | y", &m);
        assert!(matches!(&e, MacroError::Undefined { key, .. } if key == "nope"));
        assert_eq!(e.span(), (4, 12));
        assert_eq!(
            e.to_string(),
            "undefined macro `nope` in the expansion of `outer2` (defined in test/outer2.yml)"
        );
        let labels: Vec<_> = e.labels().into_iter().flatten().collect();
        assert_eq!(
            labels[0].label(),
            Some("in the expansion of this macro reference")
        );

        let e = err("a `bad` b", &m);
        assert!(matches!(e, MacroError::UnterminatedReference { .. }));
        assert_eq!(e.span(), (2, 7));
        assert_eq!(
            e.to_string(),
            "unterminated macro reference in the expansion of `bad` (defined in test/bad.yml)"
        );
    }

    #[test]
    fn unterminated_empty_and_malformed_references() {
        let m = MacroSet::new();
        let e = err("search `foo", &m);
        assert!(matches!(e, MacroError::UnterminatedReference { .. }));
        assert_eq!(e.span(), (7, 8));

        let e = err("a `` b", &m);
        assert!(matches!(e, MacroError::EmptyReference { .. }));
        assert_eq!(e.span(), (2, 4));
        assert!(matches!(
            err("a ` ` b", &m),
            MacroError::EmptyReference { .. }
        ));

        let e = err("x `foo(a`", &m);
        assert!(
            matches!(&e, MacroError::MalformedReference { reference, .. } if reference == "foo(a")
        );
        assert_eq!(e.span(), (2, 9));
        assert_eq!(
            e.to_string(),
            "malformed macro reference `foo(a`: missing closing parenthesis `)` at the end"
        );
        assert!(matches!(
            err("`(a)`", &m),
            MacroError::MalformedReference { .. }
        ));
    }

    #[test]
    fn cycles_are_errors() {
        let m = set(&[("a", &[], "x `b`"), ("b", &[], "y `a`"), ("s", &[], "`s`")]);
        let e = err("search `a` | x", &m);
        let MacroError::Cycle { keys, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(keys, &["a", "b", "a"]);
        assert_eq!(e.to_string(), "macro cycle: `a` → `b` → `a`");
        assert_eq!(e.span(), (7, 10));
        assert_eq!(
            e.code().map(|c| c.to_string()).as_deref(),
            Some("tripline::macro::cycle")
        );
        let e = err("`s`", &m);
        assert!(matches!(&e, MacroError::Cycle { keys, .. } if keys == &["s", "s"]));
        // Using the same macro twice side by side is not a cycle.
        let m = set(&[("a", &[], "`b` `b`"), ("b", &[], "B")]);
        assert_eq!(ok("`a`", &m).text, "B B");
    }

    #[test]
    fn depth_limit() {
        let m = set(&[
            ("m1", &[], "`m2`"),
            ("m2", &[], "`m3`"),
            ("m3", &[], "`m4`"),
            ("m4", &[], "end"),
        ]);
        let e = expand_with_limit("q `m1`", &m, 3).err();
        let Some(MacroError::TooDeep { limit, keys, .. }) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*limit, 3);
        assert_eq!(keys, &["m1", "m2", "m3", "m4"]);
        assert_eq!(e.as_ref().map(MacroError::span), Some((2, 6)));
        assert_eq!(
            e.as_ref().map(ToString::to_string).as_deref(),
            Some("macro expansion deeper than 3 levels: `m1` → `m2` → `m3` → `m4`")
        );
        assert_eq!(
            expand_with_limit("q `m1`", &m, 4)
                .map(|e| e.text)
                .ok()
                .as_deref(),
            Some("q end")
        );
        assert!(matches!(
            expand_with_limit("`m4`", &m, 0),
            Err(MacroError::TooDeep { .. })
        ));
        // The default limit allows 50 levels, not 51.
        let chain = |n: usize| -> MacroSet {
            (0..n)
                .map(|i| {
                    let def = if i + 1 == n {
                        "done".to_string()
                    } else {
                        format!("`l{}`", i + 1)
                    };
                    MacroDef::new(format!("l{i}"), def)
                })
                .collect()
        };
        assert_eq!(ok("`l0`", &chain(50)).text, "done");
        assert!(matches!(
            err("`l0`", &chain(51)),
            MacroError::TooDeep { limit: 50, .. }
        ));
    }

    #[test]
    fn exponential_expansion_is_bounded() {
        let m: MacroSet = (0..18)
            .map(|i| MacroDef::new(format!("e{i}"), format!("`e{}``e{}`", i + 1, i + 1)))
            .chain(std::iter::once(MacroDef::new("e18", "")))
            .collect();
        assert!(matches!(err("`e0`", &m), MacroError::TooLarge { .. }));
    }

    #[test]
    fn doubling_arguments_are_bounded() {
        // Each level doubles the argument text with a single reference.
        let m: MacroSet = (0..40)
            .map(|i| {
                MacroDef::new(format!("d{i}"), format!("`d{}($x$$x$)`", i + 1)).with_args(["x"])
            })
            .chain(std::iter::once(
                MacroDef::new("d40", "$x$").with_args(["x"]),
            ))
            .collect();
        let e = err("`d0(abcdefgh)`", &m);
        assert!(matches!(e, MacroError::TooLarge { .. }));
        assert_eq!(e.span(), (0, 14));
    }

    // ---- the macro set ------------------------------------------------------

    #[test]
    fn macro_set_keys_and_replacement() {
        let mut m = MacroSet::new();
        assert!(m.is_empty());
        m.insert(MacroDef::new("a", "1"));
        m.insert(MacroDef::new("a", "2"));
        m.insert(MacroDef::new("f(2)", "$x$$y$").with_args(["x", "y"]));
        m.insert(MacroDef::new("g", "$x$").with_args(["x"]));
        assert_eq!(m.len(), 3);
        assert_eq!(m.get("a").map(|d| d.definition.as_str()), Some("2"));
        assert!(m.contains_key("f(2)") && m.contains_key("g(1)"));
        assert_eq!(m.keys(), ["a", "f(2)", "g(1)"]);
        assert_eq!(ok("`f(1,2)` `g(3)`", &m).text, "12 3");
        // Suggestions work on base names of keys stored with the suffix.
        let e = err("`f(1)`", &m);
        assert!(matches!(&e, MacroError::Undefined { suggestion: Some(s), .. } if s == "f(2)"));
    }

    // ---- robustness ---------------------------------------------------------

    #[test]
    fn non_ascii_text() {
        let m = set(&[("m", &["v"], "é=$v$ ```ï```")]);
        let e = ok("search ü=`m(\"ñ, ö\")` ```ï``` ∑", &m);
        // Spaces: definition, definition comment, query, query comment, query.
        assert_eq!(e.text, "search ü=é=\"ñ, ö\"     ∑");
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let alphabet = [
            "`", "```", "\"", "\\", "$", "(", ")", ",", "=", "a", "b", "m", " ", "é", "|",
            "_filter",
        ];
        let m = set(&[
            ("a", &["x"], "$x$ `b`"),
            ("b", &[], "\"`\" c```k```"),
            ("m", &[], "`a(1)`"),
            ("mm", &["x", "y"], "$y$($x$)"),
        ]);
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 16) as usize;
            let q: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            match expand(&q, &m) {
                Ok(e) => check_map(&q, &m, &e),
                Err(e) => {
                    let (s, t) = e.span();
                    assert!(s <= t && t <= q.len(), "{q:?}: {e:?}");
                    assert!(q.is_char_boundary(s) && q.is_char_boundary(t));
                }
            }
        }
    }
}
