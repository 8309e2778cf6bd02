//! The spanned syntax tree of an SPL query (stage: parse).
//!
//! Spans are byte offsets into the text that was parsed (the macro-expanded query); the rule
//! layer maps them back to the rule text through the macro source map.

use crate::diag::Span;

/// A parsed query: a pipeline of commands.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The query starts with `|` (its first command is a generating command).
    pub leading_pipe: bool,
    /// The commands in order.
    pub commands: Vec<Command>,
    /// The whole query.
    pub span: Span,
}

/// One command of the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// Lower-cased command name (`search` for the implicit leading search).
    pub name: String,
    /// Span of the name (of the first term for an implicit search).
    pub name_span: Span,
    /// The whole command text.
    pub span: Span,
    /// The argument text after the name.
    pub args_span: Span,
    /// The arguments, in the shape the command uses.
    pub args: Args,
    /// The implicit `search` at the start of a query.
    pub implicit: bool,
}

/// Command arguments, by shape.
#[derive(Clone, Debug, PartialEq)]
pub enum Args {
    /// `search`: a boolean expression of search terms (None = match everything).
    Search(Option<SearchExpr>),
    /// `eval`: assignments.
    Eval(Vec<Assign>),
    /// `where`: one expression.
    Where(Expr),
    /// `stats` and friends.
    Stats(StatsArgs),
    /// Anything else: tokens.
    Generic(Vec<Tok>),
}

/// A search-command expression.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchExpr {
    /// All must hold (explicit `AND` or adjacency).
    And(Vec<SearchExpr>),
    /// Any must hold.
    Or(Vec<SearchExpr>),
    /// Negation (`NOT`).
    Not(Box<SearchExpr>, Span),
    /// `field op value`.
    Cmp {
        /// Field name.
        field: String,
        /// Field span.
        field_span: Span,
        /// Operator.
        op: CmpOp,
        /// Value.
        value: SValue,
        /// Whole term.
        span: Span,
    },
    /// `field IN (v1, v2 …)`.
    In {
        /// Field name.
        field: String,
        /// Field span.
        field_span: Span,
        /// Values.
        values: Vec<SValue>,
        /// Whole term.
        span: Span,
    },
    /// A bare term or phrase, matched against `_raw`.
    Term(SValue),
    /// `[ subsearch ]` whose results become search terms.
    Sub(Box<Query>, Span),
}

/// Comparison operators of the search command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A value in the search command, after Splunk's search escapes (`\\`, `\"`, `\|`).
#[derive(Clone, Debug, PartialEq)]
pub struct SValue {
    /// The text; `*` is a wildcard.
    pub text: String,
    /// Written in double quotes (a phrase when bare).
    pub quoted: bool,
    /// `TERM(…)` or `CASE(…)`.
    pub modifier: Option<SModifier>,
    /// Where.
    pub span: Span,
}

/// `TERM()` / `CASE()` around a search value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SModifier {
    /// Match as one indexed token.
    Term,
    /// Case-sensitive match.
    Case,
}

/// `name = expr` in eval.
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    /// The field name (quotes removed, trimmed).
    pub name: String,
    /// Its span.
    pub name_span: Span,
    /// The value.
    pub expr: Expr,
}

/// An eval/where expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Expression forms.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Number literal.
    Num(f64),
    /// String literal (escapes decoded).
    Str(String),
    /// Field reference (bare name or single-quoted).
    Field(String),
    /// Function call; name lower-cased.
    Call(String, Vec<Expr>),
    /// Unary operator.
    Unary(UnOp, Box<Expr>),
    /// Binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x [NOT] IN (a, b)`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`.
    Neg,
    /// `NOT x` / `!x`.
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `.`.
    Concat,
    /// `=`, `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `LIKE`.
    Like,
    /// `AND`.
    And,
    /// `OR`.
    Or,
    /// `XOR`.
    Xor,
}

impl BinOp {
    /// As written (upper case for keywords).
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Concat => ".",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Like => "LIKE",
            BinOp::And => "AND",
            BinOp::Or => "OR",
            BinOp::Xor => "XOR",
        }
    }
}

/// `stats`-shaped arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct StatsArgs {
    /// `key=value` options (before the aggregations or after BY).
    pub options: Vec<(String, String, Span)>,
    /// The aggregations.
    pub aggs: Vec<Agg>,
    /// BY fields.
    pub by: Vec<(String, Span)>,
}

/// One aggregation: `func(arg) [as name]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Agg {
    /// Function name, lower-cased.
    pub func: String,
    /// The argument.
    pub arg: Option<AggArg>,
    /// `as` name.
    pub alias: Option<String>,
    /// The call text as written (the default output name, e.g. `max(mag)`).
    pub text: String,
    /// Where.
    pub span: Span,
}

/// Argument of an aggregation.
#[derive(Clone, Debug, PartialEq)]
pub enum AggArg {
    /// A field name (may contain wildcards).
    Field(String),
    /// `eval(expr)`.
    Eval(Expr),
}

/// A generic argument token.
#[derive(Clone, Debug, PartialEq)]
pub struct Tok {
    /// What it is.
    pub kind: TokKind,
    /// Where.
    pub span: Span,
}

/// Generic token kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum TokKind {
    /// A bare word.
    Word(String),
    /// A double-quoted string: the text between the quotes, escapes NOT decoded (each command
    /// decides: regexes keep backslashes, others decode).
    Str(String),
    /// `key=value` or `key!=value`.
    Kv {
        /// The key.
        key: String,
        /// `=` or `!=`.
        op: String,
        /// The value token (Word, Str or Sub).
        value: Box<Tok>,
    },
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// A comparison operator.
    Op(String),
    /// `[ … ]`: the inner text (offset into the parsed text) and, unless the command uses its
    /// bracket as a template (`foreach`), the parsed query.
    Sub {
        /// Text between the brackets.
        raw: String,
        /// Offset of `raw`.
        offset: usize,
        /// Parsed pipeline.
        query: Option<Box<Query>>,
    },
}

impl Tok {
    /// The word text, for `Word` tokens.
    pub fn word(&self) -> Option<&str> {
        match &self.kind {
            TokKind::Word(w) => Some(w),
            _ => None,
        }
    }
    /// The text of a word or a string (decoded with search escapes).
    pub fn text(&self) -> Option<String> {
        match &self.kind {
            TokKind::Word(w) => Some(w.clone()),
            TokKind::Str(s) => Some(crate::syntax::parser::unescape_search(s)),
            _ => None,
        }
    }
}
