//! Compiled eval/where expressions (stage: plan; evaluated in execute).
//!
//! Field names become [`FieldRef`]s, function names are checked against the library (arity,
//! unknown names with a suggestion), and literal regexes are compiled once, here.
//!
//! Semantics (docs/language.md, "Expressions"): SQL-like nulls (any operator with a null operand
//! is null, except `AND`/`OR` which short-circuit on a decisive side); comparisons are numeric
//! when both sides read as numbers, otherwise case-sensitive text; a comparison with a
//! multivalue field is true when any value satisfies it.

use crate::diag::{Diag, Kind, Span};
use crate::functions::{self, Call, EvalCtx, FunctionDef};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::value::{Value, format_number};
use regex::Regex;
use std::cmp::Ordering;

/// A compiled expression.
#[derive(Clone, Debug)]
pub enum CExpr {
    /// A literal (strings stay strings: `"3" + 1` is not arithmetic).
    Lit(Value),
    /// A field.
    Field(FieldRef),
    /// A library function.
    Call {
        /// The entry.
        def: &'static FunctionDef,
        /// Arguments.
        args: Vec<CExpr>,
        /// Literal regex argument, compiled.
        regex: Option<Regex>,
        /// Arguments evaluated only as far as the answer needs them (`if`, `case`, `coalesce`),
        /// or handed over (`lower`, `upper`).
        lazy: Lazy,
    },
    /// `mvfilter(pred)`: keeps the values of the one field `pred` reads for which it is true.
    MvFilter {
        /// The field the predicate reads.
        field: FieldRef,
        /// The predicate.
        pred: Box<CExpr>,
    },
    /// `mvmap(mv, expr)`: `expr` for each value of `mv`, with the field bound to that value.
    MvMap {
        /// The field.
        field: FieldRef,
        /// The expression.
        expr: Box<CExpr>,
    },
    /// Unary operator.
    Unary(UnOp, Box<CExpr>),
    /// Binary operator.
    Binary(BinOp, Box<CExpr>, Box<CExpr>),
    /// `x [NOT] IN (…)`.
    In(Box<CExpr>, Vec<CExpr>, bool),
}

/// The functions whose arguments are evaluated only as far as needed: the branch `if` takes,
/// `case`'s conditions up to the first true one and its value, `coalesce`'s arguments up to the
/// first non-null one. Same answers as evaluating every argument first (functions have no
/// effects), without the work of the arms not taken (the send/hard-delete rule's `CASE`s hold
/// regex replacements and splits). And the functions whose one argument is handed over, not
/// lent (`lower`, `upper`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lazy {
    /// Every argument is evaluated first.
    No,
    /// `if(c, t, f)`.
    If,
    /// `case(c1, v1, c2, v2, …)`.
    Case,
    /// `coalesce(a, b, …)`.
    Coalesce,
    /// `lower(s)` (`upper(s)`: `Upper`): the argument's value is handed to
    /// [`crate::functions::change_case`], which changes ASCII text in its own string instead
    /// of making a second one (same answers as the function's `imp`).
    Lower,
    /// `upper(s)`; see [`Lazy::Lower`].
    Upper,
}

impl CExpr {
    /// Add every field this expression reads to `out` (functions only see their arguments, so
    /// these are all).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            CExpr::Lit(_) => {}
            CExpr::Field(f) => out.push(f.name().to_string()),
            CExpr::Call { args, .. } => args.iter().for_each(|a| a.fields(out)),
            CExpr::MvFilter { field, pred: x } | CExpr::MvMap { field, expr: x } => {
                out.push(field.name().to_string());
                x.fields(out);
            }
            CExpr::Unary(_, x) => x.fields(out),
            CExpr::Binary(_, l, r) => {
                l.fields(out);
                r.fields(out);
            }
            CExpr::In(x, list, _) => {
                x.fields(out);
                list.iter().for_each(|a| a.fields(out));
            }
        }
    }
}

/// Compile an expression.
pub fn compile(e: &Expr) -> Result<CExpr, Diag> {
    Ok(match &e.kind {
        ExprKind::Num(n) => CExpr::Lit(Value::Num(*n)),
        ExprKind::Str(s) => CExpr::Lit(Value::Str(s.clone())),
        ExprKind::Field(f) => CExpr::Field(FieldRef::new(f)),
        ExprKind::Unary(op, x) => CExpr::Unary(*op, Box::new(compile(x)?)),
        ExprKind::Binary(op, l, r) => {
            CExpr::Binary(*op, Box::new(compile(l)?), Box::new(compile(r)?))
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => CExpr::In(
            Box::new(compile(value)?),
            list.iter().map(compile).collect::<Result<_, _>>()?,
            *negated,
        ),
        ExprKind::Call(name, args) => compile_call(name, args, e.span)?,
    })
}

fn compile_call(name: &str, args: &[Expr], span: Span) -> Result<CExpr, Diag> {
    if name == "mvfilter" || name == "mvmap" {
        return compile_mv_special(name, args, span);
    }
    let Some(def) = functions::lookup(name) else {
        return Err(unknown_function(name, span));
    };
    if args.len() < def.min || def.max.is_some_and(|m| args.len() > m) {
        let want = match def.max {
            Some(m) if m == def.min => format!("{m}"),
            Some(m) => format!("{} to {m}", def.min),
            None => format!("at least {}", def.min),
        };
        return Err(Diag::error(
            Kind::Invalid,
            "tripline::eval::arity",
            format!(
                "`{name}` takes {want} argument{}, found {}",
                if want == "1" { "" } else { "s" },
                args.len()
            ),
        )
        .at(span)
        .help(def.summary.to_string()));
    }
    let cargs: Vec<CExpr> = args.iter().map(compile).collect::<Result<_, _>>()?;
    let mut regex = None;
    if let Some(i) = def.regex_arg
        && let (Some(CExpr::Lit(Value::Str(pat))), Some(a)) = (cargs.get(i), args.get(i))
    {
        regex = Some(compile_regex(pat).map_err(|m| {
            Diag::error(
                Kind::Invalid,
                "tripline::eval::regex",
                format!("invalid regular expression: {m}"),
            )
            .at(a.span)
        })?);
    }
    let lazy = match def.name {
        "if" => Lazy::If,
        "case" => Lazy::Case,
        "coalesce" => Lazy::Coalesce,
        "lower" if cargs.len() == 1 => Lazy::Lower,
        "upper" if cargs.len() == 1 => Lazy::Upper,
        _ => Lazy::No,
    };
    Ok(CExpr::Call {
        def,
        args: cargs,
        regex,
        lazy,
    })
}

fn compile_mv_special(name: &str, args: &[Expr], span: Span) -> Result<CExpr, Diag> {
    let (want, field_expr, body) = match (name, args) {
        ("mvfilter", [pred]) => (1, None, pred),
        ("mvmap", [mv, body]) => (2, Some(mv), body),
        _ => {
            let want = if name == "mvfilter" { 1 } else { 2 };
            return Err(Diag::error(
                Kind::Invalid,
                "tripline::eval::arity",
                format!(
                    "`{name}` takes {want} argument{}, found {}",
                    if want == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .at(span));
        }
    };
    let _ = want;
    let field = match field_expr {
        Some(Expr {
            kind: ExprKind::Field(f),
            ..
        }) => f.clone(),
        Some(other) => {
            return Err(Diag::error(
                Kind::Invalid,
                "tripline::eval::mv_field",
                format!("the first argument of `{name}` must be a field name"),
            )
            .at(other.span));
        }
        None => {
            let mut fields = Vec::new();
            collect_fields(body, &mut fields);
            fields.dedup();
            match fields.as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(Diag::error(
                        Kind::Invalid,
                        "tripline::eval::mvfilter_field",
                        format!(
                            "`mvfilter` must reference exactly one field, found {}",
                            fields.len()
                        ),
                    )
                    .at(body.span)
                    .help("Splunk's mvfilter tests the values of one multivalue field"));
                }
            }
        }
    };
    let compiled = Box::new(compile(body)?);
    Ok(if name == "mvfilter" {
        CExpr::MvFilter {
            field: FieldRef::new(&field),
            pred: compiled,
        }
    } else {
        CExpr::MvMap {
            field: FieldRef::new(&field),
            expr: compiled,
        }
    })
}

fn collect_fields(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Field(f) => {
            if !out.contains(f) {
                out.push(f.clone());
            }
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| collect_fields(a, out)),
        ExprKind::Unary(_, x) => collect_fields(x, out),
        ExprKind::Binary(_, l, r) => {
            collect_fields(l, out);
            collect_fields(r, out);
        }
        ExprKind::In { value, list, .. } => {
            collect_fields(value, out);
            list.iter().for_each(|a| collect_fields(a, out));
        }
        ExprKind::Num(_) | ExprKind::Str(_) => {}
    }
}

fn unknown_function(name: &str, span: Span) -> Diag {
    if functions::KNOWN_UNSUPPORTED.contains(&name) {
        return Diag::error(
            Kind::Unsupported,
            "tripline::eval::unsupported_function",
            format!("eval function `{name}` is not supported yet"),
        )
        .at(span)
        .help("see docs/functions.md for the functions tripline runs");
    }
    let mut d = Diag::error(
        Kind::Invalid,
        "tripline::eval::unknown_function",
        format!("unknown eval function `{name}`"),
    )
    .at(span);
    if let Some(s) = functions::suggest(name) {
        d = d.help(format!("did you mean `{s}`?"));
    }
    d
}

/// Compile a regex with Splunk's (PCRE) flavour as far as the `regex` crate allows:
/// `(?<name>…)` named groups are accepted as is.
pub fn compile_regex(pat: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(&pcre_braces(pat))
        .size_limit(10 * (1 << 20))
        .build()
        .map_err(|e| e.to_string())
}

/// PCRE takes a `{` that does not start a repetition (`{2}`, `{2,}`, `{2,5}`) as a literal;
/// the `regex` crate rejects it, so escape those.
fn pcre_braces(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = String::with_capacity(pat.len());
    let mut in_class = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                out.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                }
                i += 2;
                // `\x{202E}`, `\p{L}`, `\P{L}`: the braces belong to the escape.
                if matches!(chars.get(i - 1), Some('x' | 'p' | 'P')) && chars.get(i) == Some(&'{') {
                    while let Some(&b) = chars.get(i) {
                        out.push(b);
                        i += 1;
                        if b == '}' {
                            break;
                        }
                    }
                }
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                let rest: String = chars
                    .get(i + 1..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|c| **c != '}')
                    .collect();
                let closed = chars.get(i + 1 + rest.len()) == Some(&'}');
                let (a, b) = rest.split_once(',').unwrap_or((rest.as_str(), ""));
                let repetition = closed
                    && !a.is_empty()
                    && a.chars().all(|c| c.is_ascii_digit())
                    && b.chars().all(|c| c.is_ascii_digit());
                if !repetition {
                    out.push_str("\\{");
                    i += 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

impl CExpr {
    /// Evaluate against a record.
    pub fn eval(&self, rec: &Record, ctx: &EvalCtx) -> Value {
        match self {
            CExpr::Lit(v) => v.clone(),
            CExpr::Field(f) => rec.get(f),
            CExpr::Call {
                def,
                args,
                regex,
                lazy,
            } => {
                // The conditionals evaluate their arguments one by one (see `Lazy`).
                let value = |a: &CExpr| a.eval(rec, ctx);
                match lazy {
                    Lazy::If => crate::functions::choose_if(args, value),
                    Lazy::Case => crate::functions::choose_case(args, value),
                    Lazy::Coalesce => crate::functions::choose_coalesce(args, value),
                    Lazy::Lower | Lazy::Upper if let [a] = args.as_slice() => {
                        crate::functions::change_case(a.eval(rec, ctx), *lazy == Lazy::Upper)
                    }
                    Lazy::No | Lazy::Lower | Lazy::Upper => {
                        let call = |vals: &[Value]| {
                            (def.imp)(&Call {
                                args: vals,
                                regex: regex.as_ref(),
                                ctx,
                            })
                        };
                        // Most calls take one to three arguments: those are evaluated into an
                        // array on the stack, not a vector allocated per call.
                        match args.as_slice() {
                            [a] => call(&[a.eval(rec, ctx)]),
                            [a, b] => call(&[a.eval(rec, ctx), b.eval(rec, ctx)]),
                            [a, b, c] => {
                                call(&[a.eval(rec, ctx), b.eval(rec, ctx), c.eval(rec, ctx)])
                            }
                            _ => call(&args.iter().map(|a| a.eval(rec, ctx)).collect::<Vec<_>>()),
                        }
                    }
                }
            }
            CExpr::MvFilter { field, pred } => {
                let vals = rec.get(field);
                let mut scratch = Record::default();
                let kept: Vec<Value> = vals
                    .values()
                    .iter()
                    .filter(|v| {
                        scratch.fields.insert(field.name().into(), (*v).clone());
                        pred.eval(&scratch, ctx).is_true()
                    })
                    .cloned()
                    .collect();
                Value::from_values(kept)
            }
            CExpr::MvMap { field, expr } => {
                let vals = rec.get(field);
                let mut scratch = rec.clone();
                let out: Vec<Value> = vals
                    .values()
                    .iter()
                    .map(|v| {
                        scratch.set(field.name(), v.clone());
                        expr.eval(&scratch, ctx)
                    })
                    .collect();
                Value::from_values(out)
            }
            CExpr::Unary(UnOp::Neg, x) => match x.eval(rec, ctx).as_number() {
                Some(n) => Value::Num(-n),
                None => Value::Null,
            },
            CExpr::Unary(UnOp::Not, x) => match x.eval(rec, ctx) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            CExpr::Binary(op, l, r) => self.binary(*op, l, r, rec, ctx),
            CExpr::In(x, list, negated) => {
                // A field holding one text (`Operation IN ("Send", "SendAs")`): compared with
                // the literals where both stand, the value not copied.
                if let CExpr::Field(f) = &**x
                    && let Some(s) = rec.str_of(f)
                {
                    let num = crate::value::parse_number(s);
                    let found = list.iter().any(|item| match item {
                        CExpr::Lit(w) => w.values().iter().any(|y| equal_text(s, num, y)),
                        _ => any_pair(&Value::Str(s.to_string()), &item.eval(rec, ctx), equal),
                    });
                    return Value::Bool(found != *negated);
                }
                let v = x.eval(rec, ctx);
                if v.is_null() {
                    return Value::Null;
                }
                let found = list.iter().any(|item| match item {
                    // A literal is compared where it stands (no copy per record).
                    CExpr::Lit(w) => any_pair(&v, w, equal),
                    _ => any_pair(&v, &item.eval(rec, ctx), equal),
                });
                Value::Bool(found != *negated)
            }
        }
    }

    fn binary(&self, op: BinOp, l: &CExpr, r: &CExpr, rec: &Record, ctx: &EvalCtx) -> Value {
        match op {
            BinOp::And => {
                let a = l.eval(rec, ctx);
                if a == Value::Bool(false) {
                    return Value::Bool(false);
                }
                let b = r.eval(rec, ctx);
                match (a, b) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Null,
                }
            }
            BinOp::Or => {
                let a = l.eval(rec, ctx);
                if a == Value::Bool(true) {
                    return Value::Bool(true);
                }
                let b = r.eval(rec, ctx);
                match (a, b) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            BinOp::Xor => match (l.eval(rec, ctx), r.eval(rec, ctx)) {
                (Value::Bool(a), Value::Bool(b)) => Value::Bool(a != b),
                _ => Value::Null,
            },
            _ => {
                let a = l.eval(rec, ctx);
                let b = r.eval(rec, ctx);
                if a.is_null() || b.is_null() {
                    return Value::Null;
                }
                let literal_text = matches!(l, CExpr::Lit(Value::Str(_)))
                    || matches!(r, CExpr::Lit(Value::Str(_)));
                arith_or_compare(op, &a, &b, literal_text)
            }
        }
    }
}

fn arith_or_compare(op: BinOp, a: &Value, b: &Value, literal_text: bool) -> Value {
    match op {
        // A quoted literal stays text: `where x="1"` does not match "1.0", while
        // `where x=1` does (spl_semantics §3.3).
        BinOp::Eq if literal_text => Value::Bool(any_pair(a, b, |x, y| x.to_text() == y.to_text())),
        BinOp::Ne if literal_text => Value::Bool(any_pair(a, b, |x, y| x.to_text() != y.to_text())),
        BinOp::Eq => Value::Bool(any_pair(a, b, equal)),
        BinOp::Ne => Value::Bool(any_pair(a, b, |x, y| !equal(x, y))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let cmp = |x: &Value, y: &Value| {
                if literal_text {
                    Some(x.to_text()?.cmp(&y.to_text()?))
                } else {
                    order(x, y)
                }
            };
            let ok = |o: Option<Ordering>| match op {
                BinOp::Lt => o == Some(Ordering::Less),
                BinOp::Le => matches!(o, Some(Ordering::Less | Ordering::Equal)),
                BinOp::Gt => o == Some(Ordering::Greater),
                _ => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
            };
            Value::Bool(any_pair(a, b, |x, y| ok(cmp(x, y))))
        }
        BinOp::Like => Value::Bool(any_pair(a, b, |x, y| match (x.to_text(), y.to_text()) {
            (Some(t), Some(p)) => like(&t, &p),
            _ => false,
        })),
        BinOp::Concat => {
            if matches!(a, Value::Multi(_)) || matches!(b, Value::Multi(_)) {
                return Value::Null;
            }
            match (a.to_text(), b.to_text()) {
                (Some(x), Some(y)) => Value::Str(x + &y),
                _ => Value::Null,
            }
        }
        BinOp::Add if literal_text => match (a, b) {
            (Value::Str(x), Value::Str(y)) => Value::Str(format!("{x}{y}")),
            _ => Value::Null,
        },
        _ => {
            if matches!(a, Value::Multi(_)) || matches!(b, Value::Multi(_)) {
                return Value::Null;
            }
            match (a.as_number(), b.as_number()) {
                (Some(x), Some(y)) => {
                    let r = match op {
                        BinOp::Add => x + y,
                        BinOp::Sub => x - y,
                        BinOp::Mul => x * y,
                        BinOp::Div if y == 0.0 => return Value::Null,
                        BinOp::Div => x / y,
                        BinOp::Mod if y == 0.0 => return Value::Null,
                        BinOp::Mod => x % y,
                        _ => return Value::Null,
                    };
                    Value::Num(r)
                }
                _ if op == BinOp::Add => match (a, b) {
                    (Value::Str(x), Value::Str(y)) => Value::Str(format!("{x}{y}")),
                    _ => Value::Null,
                },
                _ => Value::Null,
            }
        }
    }
}

/// True when some value of `a` and some value of `b` satisfy `f`.
fn any_pair(a: &Value, b: &Value, f: impl Fn(&Value, &Value) -> bool) -> bool {
    a.values()
        .iter()
        .any(|x| b.values().iter().any(|y| f(x, y)))
}

/// Eval equality: numeric when both read as numbers, otherwise exact text.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => x == y,
            // Text is compared where it stands, without a copy.
            _ => a.text() == b.text(),
        },
    }
}

/// [`equal`] of the text `s` (whose number, if it reads as one, is `num`) and `b`.
fn equal_text(s: &str, num: Option<f64>, b: &Value) -> bool {
    match (num, b.as_number()) {
        (Some(x), Some(y)) => x == y,
        _ => b.text().is_some_and(|t| t == s),
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(a.to_text()?.cmp(&b.to_text()?)),
    }
}

/// SQL LIKE: `%` any run, `_` one character, everything else literal; whole value,
/// case-sensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some('%'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some('_'), Some(_)) => {
                pi += 1;
                ti += 1;
            }
            (Some(pc), Some(tc)) if pc == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'%') {
        pi += 1;
    }
    pi == p.len()
}

/// The printed form of an expression, for `explain`.
pub fn show(e: &CExpr) -> String {
    match e {
        CExpr::Lit(Value::Str(s)) => format!("{s:?}"),
        CExpr::Lit(Value::Num(n)) => format_number(*n),
        CExpr::Lit(v) => v.to_text().unwrap_or_else(|| "null()".into()),
        CExpr::Field(f) => quote_field(f.name()),
        CExpr::Call { def, args, .. } => format!(
            "{}({})",
            def.name,
            args.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        CExpr::MvFilter { pred, .. } => format!("mvfilter({})", show(pred)),
        CExpr::MvMap { field, expr } => {
            format!("mvmap({}, {})", quote_field(field.name()), show(expr))
        }
        CExpr::Unary(UnOp::Neg, x) => format!("-{}", show(x)),
        CExpr::Unary(UnOp::Not, x) => format!("NOT {}", show(x)),
        CExpr::Binary(op, l, r) => format!("({} {} {})", show(l), op.as_str(), show(r)),
        CExpr::In(x, list, neg) => format!(
            "{} {}IN ({})",
            show(x),
            if *neg { "NOT " } else { "" },
            list.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn quote_field(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("'{name}'")
    }
}

/// True when the expression's top is a comparison or logical operator (a boolean result,
/// which `eval` cannot store).
pub fn is_boolean(e: &CExpr) -> bool {
    match e {
        CExpr::Binary(op, ..) => !matches!(
            op,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Concat
        ),
        CExpr::Unary(UnOp::Not, _) | CExpr::In(..) => true,
        CExpr::Call { def, .. } => matches!(
            def.name,
            "true"
                | "false"
                | "isnull"
                | "isnotnull"
                | "match"
                | "like"
                | "in"
                | "cidrmatch"
                | "isnum"
                | "isstr"
                | "isint"
                | "isbool"
                | "ismv"
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eval equality of two texts: the same text, or the same number written two ways; never
    /// case-insensitive (the rule docs/language.md states: numeric when both sides read as
    /// numbers, otherwise case-sensitive text).
    #[test]
    fn text_equality_is_exact_or_numeric() {
        let t = |a: &str, b: &str| equal(&Value::Str(a.into()), &Value::Str(b.into()));
        assert!(t("Send", "Send"));
        assert!(!t("Send", "send"));
        assert!(!t("Send", "SendAs"));
        assert!(t("1.0", "1"));
        assert!(t("01", "1"));
        assert!(t("1e3", "1000"));
        assert!(!t("1", "1.5"));
        assert!(!t("inf", "Inf"));
        assert!(t("", ""));
        assert!(equal(&Value::Str("2".into()), &Value::Num(2.0)));
        assert!(!equal(&Value::Str("x".into()), &Value::Num(2.0)));
    }

    /// `IN` on a field holding one text compares it where it stands; worked by hand with eval
    /// equality (exact text, or numbers written two ways; never case-insensitive), on texts
    /// and, through the copying path, a number and a missing field (null).
    #[test]
    fn in_lists_on_text_fields() {
        let xs = [
            Value::str("Send"),
            Value::str("1.0"),
            Value::str("send"),
            Value::str("True"),
            Value::Num(1.0),
            Value::Null,
        ];
        let cases = [
            (
                "x IN (\"Send\", \"SendAs\")",
                ["true", "false", "false", "false", "false", "null"],
            ),
            (
                "x IN (1, \"a\")",
                ["false", "true", "false", "false", "true", "null"],
            ),
            (
                "x NOT IN (\"send\")",
                ["true", "true", "false", "true", "true", "null"],
            ),
            (
                "x IN (true())",
                ["false", "false", "false", "true", "false", "null"],
            ),
            (
                "x IN (y, \"q\")",
                ["true", "false", "false", "false", "false", "null"],
            ),
        ];
        let ctx = EvalCtx::default();
        for (text, want) in cases {
            let e = compile(&crate::syntax::parser::parse_expr(text, 0).unwrap()).unwrap();
            for (x, want) in xs.iter().zip(want) {
                let mut rec = Record::default();
                rec.set("x", x.clone());
                rec.set("y", Value::str("Send"));
                let got = e.eval(&rec, &ctx);
                let shown = got
                    .to_text()
                    .unwrap_or_else(|| "null".into())
                    .to_lowercase();
                assert_eq!(shown, want, "{text} with x = {x:?}");
            }
        }
        for a in ["Send", "1.0", "1", "", "True", "x"] {
            for b in [
                Value::str("1"),
                Value::Num(1.0),
                Value::Bool(true),
                Value::str("Send"),
            ] {
                let num = crate::value::parse_number(a);
                assert_eq!(
                    equal_text(a, num, &b),
                    equal(&Value::str(a), &b),
                    "{a} {b:?}"
                );
            }
        }
    }

    /// `if`, `case` and `coalesce` evaluate their arguments only as far as needed; the answers
    /// are those of evaluating every argument first and calling the function (checked on every
    /// record below), and, worked by hand, the first true condition's value, the first
    /// non-null argument, null when no condition is true or the last condition has no value.
    /// (On the last record `x` is the text `text`, which compares with a number as text:
    /// `"text" > "1"` and `"text" > "5"` are true.)
    #[test]
    fn special_forms_answer_as_the_functions_do() {
        let exprs = [
            ("if(x > 1, \"big\", y)", ["big", "small", "null", "big"]),
            (
                "case(x > 1, \"a\", isnotnull(y), y, true(), \"d\")",
                ["a", "small", "d", "a"],
            ),
            ("case(x > 1, \"a\", isnull(y))", ["a", "null", "null", "a"]),
            ("case(x > 5, \"a\")", ["null", "null", "null", "a"]),
            ("coalesce(z, y, \"d\")", ["zz", "small", "d", "small"]),
            ("coalesce(z, null())", ["zz", "null", "null", "null"]),
            // handed over rather than lazy: ASCII text changed in its own string, a number by
            // its text, a null stays null
            ("lower(y)", ["null", "small", "null", "small"]),
            ("upper(x)", ["2", "1", "null", "TEXT"]),
        ];
        let recs: Vec<Record> = [
            vec![("x", Value::Num(2.0)), ("z", Value::str("zz"))],
            vec![("x", Value::Num(1.0)), ("y", Value::str("small"))],
            vec![],
            vec![("x", Value::str("text")), ("y", Value::str("small"))],
        ]
        .into_iter()
        .map(|fields| {
            let mut r = Record::default();
            for (k, v) in fields {
                r.set(k, v);
            }
            r
        })
        .collect();
        let ctx = EvalCtx::default();
        for (text, want) in exprs {
            let e = compile(&crate::syntax::parser::parse_expr(text, 0).unwrap()).unwrap();
            let CExpr::Call {
                def, args, lazy, ..
            } = &e
            else {
                panic!("{text}: not a call");
            };
            assert_ne!(*lazy, Lazy::No, "{text}");
            for (rec, want) in recs.iter().zip(want) {
                let got = e.eval(rec, &ctx);
                let vals: Vec<Value> = args.iter().map(|a| a.eval(rec, &ctx)).collect();
                let eager = (def.imp)(&Call {
                    args: &vals,
                    regex: None,
                    ctx: &ctx,
                });
                assert_eq!(got, eager, "{text} on {rec:?}");
                let shown = got.to_text().unwrap_or_else(|| "null".into());
                assert_eq!(shown, want, "{text} on {rec:?}");
            }
        }
    }

    #[test]
    fn pcre_literal_braces() {
        assert_eq!(pcre_braces("({|%7b)(main)"), "(\\{|%7b)(main)");
        assert_eq!(pcre_braces("a{2,3}b{4}"), "a{2,3}b{4}");
        assert_eq!(pcre_braces("[{]x\\{"), "[{]x\\{");
        assert!(compile_regex("(?i)({|%7b)(main|sys)").is_ok());
        // Braces of `\x{…}` and `\p{…}` are part of the escape, not literals.
        assert_eq!(pcre_braces("\\x{202E}{"), "\\x{202E}\\{");
        assert!(compile_regex("\\x{202E}").is_ok_and(|r| r.is_match("a\u{202E}b")));
        assert!(compile_regex("^\\p{Lu}").is_ok_and(|r| r.is_match("Ü")));
    }

    #[test]
    fn like_matches_sql_wildcards() {
        assert!(like("abc", "a%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "A%"));
        assert!(like("", "%"));
        assert!(!like("ab", "a_c"));
    }
}
