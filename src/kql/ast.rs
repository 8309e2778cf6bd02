//! The KQL syntax tree (stage: parse): what Kibana's grammar produces, with spans into the
//! query text.

use crate::diag::Span;

/// A parsed KQL query.
#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    /// An empty or blank query: matches every document.
    MatchAll,
    /// `a or b or …` (n-ary).
    Or(Vec<Ast>, Span),
    /// `a and b and …` (n-ary).
    And(Vec<Ast>, Span),
    /// `not a`.
    Not(Box<Ast>, Span),
    /// `path:{ inner }`: an Elasticsearch nested query; inner field names are relative.
    Nested {
        /// The nested path.
        path: Literal,
        /// The inner query.
        query: Box<Ast>,
        /// The whole expression.
        span: Span,
    },
    /// `field < value` and friends.
    Range {
        /// The field (may be a field-name pattern).
        field: Literal,
        /// The comparison.
        op: RangeOp,
        /// The bound.
        value: Literal,
        /// The whole expression.
        span: Span,
    },
    /// `field:values`, or a free-text value when `field` is `None`.
    Is {
        /// The field (may be a field-name pattern); `None` for free text.
        field: Option<Literal>,
        /// The value or value list.
        values: Values,
        /// The whole expression.
        span: Span,
    },
}

/// The right-hand side of `field:` — a value, or a parenthesised list with or/and/not.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// `a or b`.
    Or(Vec<Values>),
    /// `a and b`.
    And(Vec<Values>),
    /// `not a`.
    Not(Box<Values>),
    /// One value.
    One(Literal),
}

/// `<`, `<=`, `>`, `>=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOp {
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

impl RangeOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Lte => "<=",
            RangeOp::Gt => ">",
            RangeOp::Gte => ">=",
        }
    }
}

/// One piece of a decoded literal. Kibana keeps escaped `\*` (a character) apart from an
/// unescaped `*` (a wildcard), even inside one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// An unescaped `*`: zero or more characters.
    Star,
}

/// A decoded field name or value.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    /// Decoded pieces, already trimmed as Kibana trims unquoted literals.
    pub pieces: Vec<Piece>,
    /// Written in double quotes (selects match_phrase on text fields).
    pub quoted: bool,
    /// Where it is in the query.
    pub span: Span,
}

impl Literal {
    /// True when the literal contains an unescaped `*`.
    pub fn is_wildcard(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Star))
    }
    /// True when the literal is exactly one unescaped `*` (exists / match_all).
    pub fn is_lone_star(&self) -> bool {
        matches!(self.pieces.as_slice(), [Piece::Star])
    }
    /// The text with wildcards written as `*` (for display and for non-wildcard values).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Star => out.push('*'),
            }
        }
        out
    }
    /// The literal as KQL would show it (quoted if it was quoted).
    pub fn show(&self) -> String {
        if self.quoted {
            format!("{:?}", self.text())
        } else {
            let mut out = String::new();
            for p in &self.pieces {
                match p {
                    Piece::Text(t) => {
                        for c in t.chars() {
                            if "\\():<>\"*{}".contains(c) {
                                out.push('\\');
                            }
                            out.push(c);
                        }
                    }
                    Piece::Star => out.push('*'),
                }
            }
            out
        }
    }
}
