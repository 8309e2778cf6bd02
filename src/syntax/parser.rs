//! SPL text → spanned syntax tree (stage: parse), with the pest grammar `grammar/spl.pest`.
//!
//! The query is split into commands first; each command's argument text is then parsed with
//! the grammar entry point for its shape ([`ArgShape`]). Spans are offsets into the whole text.

use super::ast::*;
use crate::diag::{Diag, Kind, Span};
use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/spl.pest"]
struct SplParser;

/// How a command's arguments are parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgShape {
    /// Search terms.
    Search,
    /// Eval assignments.
    Eval,
    /// One expression.
    Where,
    /// Aggregations with BY.
    Stats,
    /// Generic tokens.
    Generic,
    /// Generic tokens; `[ … ]` is a template or a sub-pipeline, not a subsearch (the command
    /// parses it itself).
    Template,
}

/// The argument shape of a command (by lower-cased name).
pub fn shape_of(name: &str) -> ArgShape {
    match name {
        "search" => ArgShape::Search,
        "eval" => ArgShape::Eval,
        "where" => ArgShape::Where,
        "stats" | "eventstats" | "streamstats" | "chart" | "timechart" | "sistats" => {
            ArgShape::Stats
        }
        "foreach" | "map" | "appendpipe" => ArgShape::Template,
        _ => ArgShape::Generic,
    }
}

/// Subsearches nest at most this deep.
pub const MAX_NESTING: usize = 64;

/// Parentheses and brackets nest at most this deep (the parser is recursive).
pub const MAX_DEPTH: usize = 128;

/// Parse a whole query.
pub fn parse_query(text: &str) -> Result<Query, Diag> {
    lexical_check(text, 0)?;
    let text = text.to_owned();
    with_big_stack(move || parse_at(&text, 0, 0))
}

/// Stack for the parser: the grammar is recursive and pest's frames are large (notably in
/// debug builds), so parsing runs on a thread with room for [`MAX_DEPTH`] levels.
pub const PARSER_STACK: usize = 256 << 20;

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// This thread's parser thread (started on first use, ended with this thread).
    static PARSER: std::cell::RefCell<Option<std::sync::mpsc::Sender<Job>>> =
        const { std::cell::RefCell::new(None) };
    /// Set by [`parse_here`]: this thread's stack is big enough to parse on.
    static BIG_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Declare that the calling thread was started with a stack of at least [`PARSER_STACK`]
/// bytes plus room for its own frames (e.g. `stack_size(PARSER_STACK + (8 << 20))`): parses
/// on it then run in place instead of being handed to a parser thread and back, which costs
/// two thread wake-ups per parse (a rule needs several parses).
pub fn parse_here() {
    BIG_STACK.with(|b| b.set(true));
}

/// Run `f` with a [`PARSER_STACK`] stack: in place on a thread declared with [`parse_here`],
/// else on this thread's parser thread. The parser thread is kept for later parses: starting
/// one per parse made the kernel zero a fresh stack page each time, most of the time `check`
/// took over a large corpus. If a parse fails hard (a panic, which is a bug), the parse
/// reports an internal error either way; a parser thread then ends and the next parse starts
/// a new one.
fn with_big_stack<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Diag> + Send + 'static,
) -> Result<T, Diag> {
    if BIG_STACK.with(std::cell::Cell::get) {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(internal("the parser failed", 0)));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        // The caller may have gone; nothing to report then.
        let _ = tx.send(f());
    });
    PARSER.with(|slot| -> Result<(), Diag> {
        let mut slot = slot.borrow_mut();
        let job = match slot.as_ref() {
            Some(s) => match s.send(job) {
                Ok(()) => return Ok(()),
                Err(std::sync::mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tripline-parser".into())
            .stack_size(PARSER_STACK)
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job();
                }
            })
            .map_err(|e| {
                Diag::error(
                    Kind::Io,
                    "tripline::parse::thread",
                    format!("cannot start the parser thread: {e}"),
                )
            })?;
        jobs.send(job)
            .map_err(|_| internal("the parser thread ended", 0))?;
        *slot = Some(jobs);
        Ok(())
    })?;
    rx.recv()
        .unwrap_or_else(|_| Err(internal("the parser failed", 0)))
}

/// Parse one expression (e.g. `head (x > 5)`), with `offset` added to spans.
pub fn parse_expr(text: &str, offset: usize) -> Result<Expr, Diag> {
    lexical_check(text, offset)?;
    let text = text.to_owned();
    with_big_stack(move || parse_expr_here(&text, offset))
}

fn parse_expr_here(text: &str, offset: usize) -> Result<Expr, Diag> {
    let mut pairs = SplParser::parse(Rule::expr_only, text).map_err(|e| pest_diag(&e, offset))?;
    let top = pairs
        .next()
        .and_then(|p| p.into_inner().next())
        .ok_or_else(|| internal("empty expression", offset))?;
    build_expr(top, offset)
}

/// Parse stats-shaped arguments on their own (e.g. the aggregations of `tstats`).
pub fn parse_stats(text: &str, offset: usize) -> Result<StatsArgs, Diag> {
    lexical_check(text, offset)?;
    let text = text.to_owned();
    with_big_stack(move || stats_args(&text, offset))
}

/// Parse search terms on their own (e.g. `inputlookup … where <search>`).
pub fn parse_search(text: &str, offset: usize) -> Result<Option<SearchExpr>, Diag> {
    lexical_check(text, offset)?;
    let text = text.to_owned();
    with_big_stack(move || search_args(&text, offset, 0))
}

fn internal(msg: &str, offset: usize) -> Diag {
    Diag::error(Kind::Parse, "tripline::parse::internal", msg.to_string())
        .at(Span::new(offset, offset))
}

fn span_of(p: &Pair<Rule>, offset: usize) -> Span {
    let s = p.as_span();
    Span::new(s.start() + offset, s.end() + offset)
}

fn parse_at(text: &str, offset: usize, depth: usize) -> Result<Query, Diag> {
    if depth > MAX_NESTING {
        return Err(Diag::error(
            Kind::Parse,
            "tripline::limit::nesting",
            format!("subsearches are nested more than {MAX_NESTING} deep"),
        )
        .at(Span::new(offset, offset + text.len()))
        .help("flatten the query; the limit protects against runaway input"));
    }
    let pairs = SplParser::parse(Rule::pipeline, text).map_err(|e| pest_diag(&e, offset))?;
    let mut leading_pipe = false;
    let mut commands = Vec::new();
    for p in pairs.flatten() {
        match p.as_rule() {
            Rule::lead_pipe => leading_pipe = true,
            Rule::segment => {
                let first = commands.is_empty();
                commands.push(segment(p, offset, first && !leading_pipe, depth)?);
            }
            _ => {}
        }
    }
    Ok(Query {
        leading_pipe,
        commands,
        span: Span::new(offset, offset + text.len()),
    })
}

fn segment(p: Pair<Rule>, offset: usize, implicit_ok: bool, depth: usize) -> Result<Command, Diag> {
    let span = span_of(&p, offset);
    let raw = p.as_str();
    let lead = raw.len() - raw.trim_start().len();
    let body = raw.trim();
    let body_start = span.start + lead;
    if body.is_empty() {
        return Err(Diag::error(
            Kind::Parse,
            "tripline::parse::empty_command",
            "empty command between pipes",
        )
        .at(Span::new(span.start.saturating_sub(1), span.end))
        .help("remove the extra `|`, or put a command after it"));
    }
    let name_len = body
        .find(|c: char| c.is_whitespace() || c == '[' || c == '(' || c == '"' || c == '=')
        .unwrap_or(body.len());
    let word = body.get(..name_len).unwrap_or_default();
    let lower = word.to_ascii_lowercase();
    let is_name = !word.is_empty()
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !body.get(name_len..).unwrap_or_default().starts_with('=');
    let (name, name_span, args_start, implicit) = if implicit_ok && !(is_name && lower == "search")
    {
        (
            "search".to_string(),
            Span::new(body_start, body_start + name_len),
            body_start,
            true,
        )
    } else {
        if !is_name {
            return Err(Diag::error(
                Kind::Parse,
                "tripline::parse::command_name",
                format!("expected a command name, found `{word}`"),
            )
            .at(Span::new(body_start, body_start + name_len.max(1)))
            .help("after `|` comes a command such as `search`, `eval`, `stats` or `table`"));
        }
        (
            lower,
            Span::new(body_start, body_start + name_len),
            body_start + name_len,
            false,
        )
    };
    let args_text = body.get(args_start - body_start..).unwrap_or_default();
    let args_span = Span::new(args_start, body_start + body.len());
    let args = match shape_of(&name) {
        ArgShape::Search => Args::Search(search_args(args_text, args_start, depth)?),
        ArgShape::Eval => Args::Eval(eval_args(args_text, args_start)?),
        ArgShape::Where => {
            if args_text.trim().is_empty() {
                return Err(Diag::error(
                    Kind::Parse,
                    "tripline::parse::missing_expression",
                    "`where` needs an expression",
                )
                .at(name_span));
            }
            Args::Where(parse_expr_here(args_text, args_start)?)
        }
        ArgShape::Stats => Args::Stats(stats_args(args_text, args_start)?),
        ArgShape::Generic => Args::Generic(generic_args(args_text, args_start, depth, true)?),
        ArgShape::Template => Args::Generic(generic_args(args_text, args_start, depth, false)?),
    };
    Ok(Command {
        name,
        name_span,
        span: Span::new(body_start, body_start + body.len()),
        args_span,
        args,
        implicit,
    })
}

// ---------------------------------------------------------------- search

fn search_args(text: &str, offset: usize, depth: usize) -> Result<Option<SearchExpr>, Diag> {
    let mut pairs = SplParser::parse(Rule::search_args, text).map_err(|e| pest_diag(&e, offset))?;
    let Some(top) = pairs.next() else {
        return Ok(None);
    };
    match top.into_inner().find(|p| p.as_rule() == Rule::s_and) {
        Some(p) => Ok(Some(build_search(p, offset, depth)?)),
        None => Ok(None),
    }
}

fn build_search(p: Pair<Rule>, offset: usize, depth: usize) -> Result<SearchExpr, Diag> {
    let span = span_of(&p, offset);
    match p.as_rule() {
        Rule::s_and | Rule::s_or => {
            let is_and = p.as_rule() == Rule::s_and;
            let mut parts = Vec::new();
            for c in p.into_inner() {
                if matches!(c.as_rule(), Rule::kw_and | Rule::kw_or) {
                    continue;
                }
                parts.push(build_search(c, offset, depth)?);
            }
            Ok(match parts.len() {
                1 => parts.pop().unwrap_or(SearchExpr::And(vec![])),
                _ if is_and => SearchExpr::And(parts),
                _ => SearchExpr::Or(parts),
            })
        }
        Rule::s_not => {
            let mut inner = p.into_inner();
            let first = inner
                .next()
                .ok_or_else(|| internal("empty term", span.start))?;
            if first.as_rule() == Rule::kw_not {
                let rest = inner
                    .next()
                    .ok_or_else(|| internal("NOT without operand", span.start))?;
                Ok(SearchExpr::Not(
                    Box::new(build_search(rest, offset, depth)?),
                    span,
                ))
            } else {
                build_search(first, offset, depth)
            }
        }
        Rule::s_group => match p.into_inner().next() {
            Some(inner) => build_search(inner, offset, depth),
            None => Ok(SearchExpr::And(vec![])),
        },
        Rule::subsearch => {
            let raw = p.as_str();
            let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
            let q = parse_at(inner, span.start + 1, depth + 1)?;
            Ok(SearchExpr::Sub(Box::new(q), span))
        }
        Rule::s_in => {
            let mut field = None;
            let mut values = Vec::new();
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::s_field => field = Some((field_text(c.as_str()), span_of(&c, offset))),
                    Rule::s_in_value => values.push(svalue(c, offset)?),
                    _ => {}
                }
            }
            let (field, field_span) =
                field.ok_or_else(|| internal("IN without field", span.start))?;
            Ok(SearchExpr::In {
                field,
                field_span,
                values,
                span,
            })
        }
        Rule::s_cmp => {
            let mut field = None;
            let mut op = CmpOp::Eq;
            let mut value = None;
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::s_field => field = Some((field_text(c.as_str()), span_of(&c, offset))),
                    Rule::s_op => {
                        op = match c.as_str() {
                            "!=" => CmpOp::Ne,
                            "<" => CmpOp::Lt,
                            "<=" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            ">=" => CmpOp::Ge,
                            _ => CmpOp::Eq,
                        }
                    }
                    Rule::s_value => value = Some(svalue(c, offset)?),
                    _ => {}
                }
            }
            let (field, field_span) = field.ok_or_else(|| internal("missing field", span.start))?;
            let value = value.ok_or_else(|| internal("missing value", span.start))?;
            Ok(SearchExpr::Cmp {
                field,
                field_span,
                op,
                value,
                span,
            })
        }
        Rule::s_func | Rule::s_term => Ok(SearchExpr::Term(svalue(p, offset)?)),
        _ => Err(internal("unexpected search term", span.start)),
    }
}

fn field_text(s: &str) -> String {
    match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => unescape_search(inner),
        None => s.to_string(),
    }
}

fn svalue(p: Pair<Rule>, offset: usize) -> Result<SValue, Diag> {
    let span = span_of(&p, offset);
    let inner = match p.as_rule() {
        Rule::s_value | Rule::s_term | Rule::s_in_value => p
            .into_inner()
            .next()
            .ok_or_else(|| internal("empty value", span.start))?,
        _ => p,
    };
    match inner.as_rule() {
        Rule::dq_string => Ok(SValue {
            text: unescape_search(strip_quotes(inner.as_str())),
            quoted: true,
            modifier: None,
            span,
        }),
        Rule::s_func => {
            let mut modifier = None;
            let mut text = String::new();
            let mut quoted = false;
            for c in inner.into_inner() {
                match c.as_rule() {
                    Rule::s_func_name => {
                        modifier = Some(if c.as_str().eq_ignore_ascii_case("term") {
                            SModifier::Term
                        } else {
                            SModifier::Case
                        })
                    }
                    Rule::dq_string => {
                        quoted = true;
                        text = unescape_search(strip_quotes(c.as_str()));
                    }
                    _ => text = unescape_search(c.as_str()),
                }
            }
            Ok(SValue {
                text,
                quoted,
                modifier,
                span,
            })
        }
        _ => Ok(SValue {
            text: unescape_search(inner.as_str()),
            quoted: false,
            modifier: None,
            span,
        }),
    }
}

fn strip_quotes(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// Decode the search command's escapes: `\\` → `\`, `\"` → `"`, `\|` → `|`; any other
/// backslash pair is kept as written (`\W` stays `\W`).
pub fn unescape_search(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n @ ('\\' | '"' | '|')) => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decode eval string escapes: `\\`, `\"`, `\t`, `\n`, `\r`; other pairs are kept as written,
/// so regexes like `"\d+"` reach the regex engine unchanged.
pub fn unescape_eval(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                _ => {
                    out.push('\\');
                    continue;
                }
            }
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------- eval

fn eval_args(text: &str, offset: usize) -> Result<Vec<Assign>, Diag> {
    if text.trim().is_empty() {
        return Err(Diag::error(
            Kind::Parse,
            "tripline::parse::missing_expression",
            "`eval` needs at least one `field = expression`",
        )
        .at(Span::new(offset, offset)));
    }
    let pairs = SplParser::parse(Rule::eval_args, text).map_err(|e| pest_diag(&e, offset))?;
    let mut out = Vec::new();
    for p in pairs.flatten().filter(|p| p.as_rule() == Rule::assignment) {
        let mut inner = p.into_inner();
        let lhs = inner.next().ok_or_else(|| internal("no name", offset))?;
        let rhs = inner.next().ok_or_else(|| internal("no value", offset))?;
        let raw = lhs.as_str();
        let trimmed = raw.trim();
        let lead = raw.len() - raw.trim_start().len();
        let start = lhs.as_span().start() + offset + lead;
        // `eval "a b"=…` and `eval 'a.b'=…` both name the field without its quotes (single
        // quotes are how field names are quoted everywhere else in eval).
        let name = match trimmed.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            Some(q) => unescape_eval(q),
            None => match trimmed
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
            {
                Some(q) if trimmed.len() >= 2 => q.to_string(),
                _ => trimmed.to_string(),
            },
        };
        out.push(Assign {
            name,
            name_span: Span::new(start, start + trimmed.len()),
            expr: build_expr(rhs, offset)?,
        });
    }
    Ok(out)
}

fn build_expr(p: Pair<Rule>, offset: usize) -> Result<Expr, Diag> {
    let span = span_of(&p, offset);
    let rule = p.as_rule();
    match rule {
        Rule::expr | Rule::e_or | Rule::e_and | Rule::e_add | Rule::e_mul => {
            let mut inner = p.into_inner();
            let first = inner.next().ok_or_else(|| internal("empty", span.start))?;
            let mut acc = build_expr(first, offset)?;
            while let Some(op) = inner.next() {
                let rhs = inner
                    .next()
                    .ok_or_else(|| internal("missing operand", span.start))?;
                let op = binop(op.as_str());
                let rhs = build_expr(rhs, offset)?;
                let sp = acc.span.to(rhs.span);
                acc = Expr {
                    kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)),
                    span: sp,
                };
            }
            Ok(acc)
        }
        Rule::e_not | Rule::e_unary => {
            let mut inner = p.into_inner();
            let first = inner.next().ok_or_else(|| internal("empty", span.start))?;
            match first.as_rule() {
                Rule::e_notop | Rule::e_neg => {
                    let op = if first.as_rule() == Rule::e_neg {
                        UnOp::Neg
                    } else {
                        UnOp::Not
                    };
                    let operand = inner
                        .next()
                        .ok_or_else(|| internal("missing operand", span.start))?;
                    Ok(Expr {
                        kind: ExprKind::Unary(op, Box::new(build_expr(operand, offset)?)),
                        span,
                    })
                }
                _ => build_expr(first, offset),
            }
        }
        Rule::e_cmp => {
            let mut inner = p.into_inner().peekable();
            let first = inner.next().ok_or_else(|| internal("empty", span.start))?;
            let lhs = build_expr(first, offset)?;
            let Some(op) = inner.next() else {
                return Ok(lhs);
            };
            match op.as_rule() {
                Rule::e_cmpop | Rule::e_likeop => {
                    let rhs = inner
                        .next()
                        .ok_or_else(|| internal("missing operand", span.start))?;
                    let op = if op.as_rule() == Rule::e_likeop {
                        BinOp::Like
                    } else {
                        binop(op.as_str())
                    };
                    Ok(Expr {
                        kind: ExprKind::Binary(
                            op,
                            Box::new(lhs),
                            Box::new(build_expr(rhs, offset)?),
                        ),
                        span,
                    })
                }
                _ => {
                    // [NOT] IN ( list )
                    let negated = op.as_rule() == Rule::e_notop;
                    let mut list = Vec::new();
                    for c in inner {
                        if c.as_rule() == Rule::expr {
                            list.push(build_expr(c, offset)?);
                        }
                    }
                    Ok(Expr {
                        kind: ExprKind::In {
                            value: Box::new(lhs),
                            list,
                            negated,
                        },
                        span,
                    })
                }
            }
        }
        Rule::e_paren => {
            let inner = p
                .into_inner()
                .next()
                .ok_or_else(|| internal("empty", span.start))?;
            let mut e = build_expr(inner, offset)?;
            e.span = span;
            Ok(e)
        }
        Rule::number => {
            let n = p.as_str().parse::<f64>().map_err(|_| {
                Diag::error(Kind::Parse, "tripline::parse::number", "malformed number").at(span)
            })?;
            Ok(Expr {
                kind: ExprKind::Num(n),
                span,
            })
        }
        Rule::dq_string => Ok(Expr {
            kind: ExprKind::Str(unescape_eval(strip_quotes(p.as_str()))),
            span,
        }),
        Rule::sq_string => {
            let s = p.as_str();
            let inner = s
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .unwrap_or(s);
            Ok(Expr {
                kind: ExprKind::Field(inner.replace("\\'", "'")),
                span,
            })
        }
        Rule::e_field => Ok(Expr {
            kind: ExprKind::Field(p.as_str().to_string()),
            span,
        }),
        Rule::e_call => {
            let mut inner = p.into_inner();
            let name = inner
                .next()
                .ok_or_else(|| internal("no name", span.start))?;
            let mut args = Vec::new();
            if let Some(list) = inner.next() {
                for a in list.into_inner() {
                    args.push(build_expr(a, offset)?);
                }
            }
            Ok(Expr {
                kind: ExprKind::Call(name.as_str().to_ascii_lowercase(), args),
                span,
            })
        }
        _ => Err(internal("unexpected expression", span.start)),
    }
}

fn binop(s: &str) -> BinOp {
    match s.to_ascii_uppercase().as_str() {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Mod,
        "." => BinOp::Concat,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "AND" => BinOp::And,
        "OR" => BinOp::Or,
        "XOR" => BinOp::Xor,
        _ => BinOp::Eq,
    }
}

// ---------------------------------------------------------------- stats

fn stats_args(text: &str, offset: usize) -> Result<StatsArgs, Diag> {
    let pairs = SplParser::parse(Rule::stats_args, text).map_err(|e| pest_diag(&e, offset))?;
    let mut out = StatsArgs {
        options: vec![],
        aggs: vec![],
        by: vec![],
    };
    for p in pairs.flatten() {
        match p.as_rule() {
            Rule::stat_opt => {
                let span = span_of(&p, offset);
                let mut inner = p.into_inner();
                let k = inner
                    .next()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default();
                let v = inner
                    .next()
                    .map(|x| field_text(x.as_str()))
                    .unwrap_or_default();
                out.options.push((k, v, span));
            }
            Rule::aggregation => out.aggs.push(aggregation(p, offset)?),
            Rule::by_field => out.by.push((name_text(p.as_str()), span_of(&p, offset))),
            _ => {}
        }
    }
    Ok(out)
}

/// A field name as written in a field list: double or single quotes removed.
pub fn name_text(s: &str) -> String {
    if let Some(q) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        return unescape_search(q);
    }
    if let Some(q) = s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
        return q.to_string();
    }
    s.to_string()
}

fn aggregation(p: Pair<Rule>, offset: usize) -> Result<Agg, Diag> {
    let span = span_of(&p, offset);
    let mut func = String::new();
    let mut arg = None;
    let mut alias = None;
    let mut text = String::new();
    for c in p.into_inner() {
        match c.as_rule() {
            Rule::agg_call => {
                text = c.as_str().to_string();
                for d in c.into_inner() {
                    match d.as_rule() {
                        Rule::agg_name => func = d.as_str().to_ascii_lowercase(),
                        Rule::agg_arg => {
                            if let Some(x) = d.into_inner().next() {
                                arg = Some(match x.as_rule() {
                                    Rule::agg_eval => {
                                        let e = x
                                            .into_inner()
                                            .next()
                                            .and_then(|y| y.into_inner().next())
                                            .ok_or_else(|| internal("empty eval", span.start))?;
                                        AggArg::Eval(build_expr(e, offset)?)
                                    }
                                    _ => AggArg::Field(name_text(x.as_str())),
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            Rule::out_name => alias = Some(name_text(c.as_str())),
            _ => {}
        }
    }
    Ok(Agg {
        func,
        arg,
        alias,
        text,
        span,
    })
}

// ---------------------------------------------------------------- generic

fn generic_args(
    text: &str,
    offset: usize,
    depth: usize,
    subsearches: bool,
) -> Result<Vec<Tok>, Diag> {
    let mut pairs =
        SplParser::parse(Rule::generic_args, text).map_err(|e| pest_diag(&e, offset))?;
    let mut out = Vec::new();
    let items = pairs.next().map(|p| p.into_inner()).into_iter().flatten();
    for p in items {
        if let Some(t) = token(p, offset, depth, subsearches)? {
            out.push(t);
        }
    }
    Ok(out)
}

fn token(
    p: Pair<Rule>,
    offset: usize,
    depth: usize,
    subsearches: bool,
) -> Result<Option<Tok>, Diag> {
    let span = span_of(&p, offset);
    let kind = match p.as_rule() {
        Rule::g_word => TokKind::Word(p.as_str().to_string()),
        Rule::dq_string => TokKind::Str(strip_quotes(p.as_str()).to_string()),
        Rule::g_lparen => TokKind::LParen,
        Rule::g_rparen => TokKind::RParen,
        Rule::g_comma => TokKind::Comma,
        Rule::g_op => TokKind::Op(p.as_str().to_string()),
        Rule::subsearch => {
            let raw = p.as_str();
            let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
            let query = if subsearches {
                Some(Box::new(parse_at(inner, span.start + 1, depth + 1)?))
            } else {
                None
            };
            TokKind::Sub {
                raw: inner.to_string(),
                offset: span.start + 1,
                query,
            }
        }
        Rule::g_kv => {
            let mut inner = p.into_inner();
            let key = inner
                .next()
                .map(|k| k.as_str().to_string())
                .unwrap_or_default();
            let op = inner
                .next()
                .map(|k| k.as_str().to_string())
                .unwrap_or_default();
            let value = inner
                .next()
                .ok_or_else(|| internal("missing value", span.start))?;
            let value = token(value, offset, depth, subsearches)?
                .ok_or_else(|| internal("missing value", span.start))?;
            TokKind::Kv {
                key,
                op,
                value: Box::new(value),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(Tok { kind, span }))
}

// ---------------------------------------------------------------- errors

/// Find unbalanced quotes, brackets and parentheses first: pest's own message for them
/// points at the end of the text, these point at the opening character.
fn lexical_check(text: &str, offset: usize) -> Result<(), Diag> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => {
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == '"' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(Diag::error(
                        Kind::Parse,
                        "tripline::parse::unclosed_quote",
                        "unclosed double quote",
                    )
                    .at(Span::new(offset + i, offset + i + 1))
                    .label("this quote is never closed")
                    .help("add the closing `\"`, or escape a literal quote as `\\\"`"));
                }
            }
            '[' | '(' => {
                stack.push((c, i));
                if stack.len() > MAX_DEPTH {
                    return Err(Diag::error(
                        Kind::Parse,
                        "tripline::limit::nesting",
                        format!("parentheses and brackets nest more than {MAX_DEPTH} deep"),
                    )
                    .at(Span::new(offset + i, offset + i + 1))
                    .help("simplify the expression; the limit protects the parser's stack"));
                }
            }
            ']' | ')' => {
                let want = if c == ']' { '[' } else { '(' };
                match stack.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, at)) => {
                        return Err(Diag::error(
                            Kind::Parse,
                            "tripline::parse::unbalanced",
                            format!("`{c}` does not close `{open}`"),
                        )
                        .at(Span::new(offset + i, offset + i + 1))
                        .label(format!("`{open}` at byte {at} is still open"))
                        .help("check the brackets and parentheses"));
                    }
                    None => {
                        return Err(Diag::error(
                            Kind::Parse,
                            "tripline::parse::unbalanced",
                            format!("`{c}` has no matching opening `{want}`"),
                        )
                        .at(Span::new(offset + i, offset + i + 1))
                        .help("remove it, or add the opening bracket"));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((open, at)) = stack.pop() {
        let close = if open == '[' { ']' } else { ')' };
        return Err(Diag::error(
            Kind::Parse,
            "tripline::parse::unbalanced",
            format!("`{open}` is never closed"),
        )
        .at(Span::new(offset + at, offset + at + 1))
        .help(format!("add the matching `{close}`")));
    }
    Ok(())
}

fn pest_diag(e: &pest::error::Error<Rule>, offset: usize) -> Diag {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match e.location {
        InputLocation::Pos(p) => (p, p + 1),
        InputLocation::Span((s, t)) => (s, t.max(s + 1)),
    };
    let found = e.line().chars().nth(e.line_col_start());
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            let what = match found {
                Some(c) => format!("unexpected `{c}`"),
                None => "unexpected end of the text".to_string(),
            };
            if names.is_empty() {
                what
            } else {
                format!("{what}: expected {}", names.join(", "))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Diag::error(Kind::Parse, "tripline::parse::syntax", message)
        .at(Span::new(start + offset, end + offset))
}

trait LineCol {
    fn line_col_start(&self) -> usize;
}
impl LineCol for pest::error::Error<Rule> {
    fn line_col_start(&self) -> usize {
        match self.line_col {
            pest::error::LineColLocation::Pos((_, c))
            | pest::error::LineColLocation::Span((_, c), _) => c.saturating_sub(1),
        }
    }
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::expr
        | Rule::e_or
        | Rule::e_and
        | Rule::e_not
        | Rule::e_cmp
        | Rule::e_add
        | Rule::e_mul
        | Rule::e_unary => "an expression",
        Rule::e_cmpop => "a comparison operator",
        Rule::e_addop | Rule::e_mulop => "an operator",
        Rule::number => "a number",
        Rule::dq_string => "a quoted string",
        Rule::e_field | Rule::s_field | Rule::by_field => "a field name",
        Rule::s_value => "a value",
        Rule::s_op => "`=`",
        Rule::aggregation | Rule::agg_call => "an aggregation such as `count`",
        Rule::lhs | Rule::assignment => "`field = expression`",
        Rule::EOI => "the end of the command",
        Rule::segment => "a command",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Query {
        match parse_query(text) {
            Ok(q) => q,
            Err(e) => panic!("{text}: {e:?}"),
        }
    }

    #[test]
    fn implicit_search_and_pipes() {
        let query = q("a=1 b | stats count by a | table a");
        assert!(!query.leading_pipe);
        let names: Vec<&str> = query.commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["search", "stats", "table"]);
        assert!(query.commands[0].implicit);
    }

    #[test]
    fn search_precedence_is_not_or_and() {
        // A=1 AND B=2 OR C=3  ==  A=1 AND (B=2 OR C=3)
        let query = q("A=1 AND B=2 OR C=3");
        let Args::Search(Some(SearchExpr::And(parts))) = &query.commands[0].args else {
            panic!("not an AND: {:?}", query.commands[0].args)
        };
        assert_eq!(parts.len(), 2);
        assert!(matches!(parts[1], SearchExpr::Or(_)));
        // error NOT 403 OR 404 == error AND ((NOT 403) OR 404)
        let query = q("error NOT 403 OR 404");
        let Args::Search(Some(SearchExpr::And(parts))) = &query.commands[0].args else {
            panic!()
        };
        let SearchExpr::Or(alts) = &parts[1] else {
            panic!()
        };
        assert!(matches!(alts[0], SearchExpr::Not(..)));
    }

    #[test]
    fn search_escapes() {
        let query = q(
            r#"Folder.Path IN ("\\Sent Items","\\Recoverable Items\\Deletions") x="C:\Windows\*""#,
        );
        let Args::Search(Some(SearchExpr::And(parts))) = &query.commands[0].args else {
            panic!()
        };
        let SearchExpr::In { values, .. } = &parts[0] else {
            panic!()
        };
        assert_eq!(values[0].text, "\\Sent Items");
        assert_eq!(values[1].text, "\\Recoverable Items\\Deletions");
        let SearchExpr::Cmp { value, .. } = &parts[1] else {
            panic!()
        };
        assert_eq!(value.text, "C:\\Windows\\*");
    }

    #[test]
    fn lowercase_and_is_a_term() {
        let query = q("a and b");
        let Args::Search(Some(SearchExpr::And(parts))) = &query.commands[0].args else {
            panic!()
        };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn eval_precedence_and_names() {
        let query = q("| eval -time = _time, x = a OR b AND c, y='Item.Subject' . \"\\t\"");
        let Args::Eval(assigns) = &query.commands[0].args else {
            panic!()
        };
        assert_eq!(assigns[0].name, "-time");
        let ExprKind::Binary(BinOp::Or, _, rhs) = &assigns[1].expr.kind else {
            panic!()
        };
        assert!(matches!(rhs.kind, ExprKind::Binary(BinOp::And, ..)));
        let ExprKind::Binary(BinOp::Concat, l, r) = &assigns[2].expr.kind else {
            panic!()
        };
        assert_eq!(l.kind, ExprKind::Field("Item.Subject".into()));
        assert_eq!(r.kind, ExprKind::Str("\t".into()));
    }

    #[test]
    fn stats_clause() {
        let query = q("| stats count, values(x) as \"X Y\" dc(eval(a>1)) by a, b c");
        let Args::Stats(s) = &query.commands[0].args else {
            panic!()
        };
        assert_eq!(s.aggs.len(), 3);
        assert_eq!(s.aggs[1].alias.as_deref(), Some("X Y"));
        assert!(matches!(s.aggs[2].arg, Some(AggArg::Eval(_))));
        let by: Vec<&str> = s.by.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(by, ["a", "b", "c"]);
    }

    #[test]
    fn subsearch_in_join() {
        let query = q("a | join x, y max=0 [ search b | stats count by x ] | table x");
        let Args::Generic(toks) = &query.commands[1].args else {
            panic!()
        };
        assert!(toks.iter().any(
            |t| matches!(&t.kind, TokKind::Sub { query: Some(q), .. } if q.commands.len() == 2)
        ));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse_query("a | eval x = \"open").unwrap_err();
        assert_eq!(e.code, "tripline::parse::unclosed_quote");
        assert_eq!(e.span, Some(Span::new(13, 14)));
        let e = parse_query("a | | b").unwrap_err();
        assert_eq!(e.code, "tripline::parse::empty_command");
        let e = parse_query("a | eval x = (1 +) ").unwrap_err();
        assert_eq!(e.span.map(|s| s.start), Some(17));
    }
}

#[cfg(test)]
mod limits {
    use super::*;

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            "x | eval y = {}1{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let e = parse_query(&deep).unwrap_err();
        assert_eq!(e.code, "tripline::limit::nesting");
        assert_eq!(e.span.map(|s| s.start), Some(13 + MAX_DEPTH));
        let ok = format!("x | eval y = {}1{}", "(".repeat(50), ")".repeat(50));
        assert!(parse_query(&ok).is_ok());
        let subs = format!("x {}y{}", "[search ".repeat(70), "]".repeat(70));
        assert_eq!(
            parse_query(&subs).unwrap_err().code,
            "tripline::limit::nesting"
        );
    }
}
