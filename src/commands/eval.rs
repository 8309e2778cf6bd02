//! `eval f1 = expr1, f2 = expr2 …`: compute fields, left to right.
//!
//! `… | eval user = lower(SenderAddress), recipient = lower(RecipientAddress)` — later
//! assignments see earlier ones; a null result removes the field; the left side is taken
//! literally (`-time = _time` creates the field `-time`); `{f} = …` names the field after the
//! value of `f`.

use crate::diag::Diag;
use crate::functions::EvalCtx;
use crate::plan::expr::{CExpr, compile, is_boolean, show};
use crate::plan::{Lower, PerRecord, Step};
use crate::record::{FieldRef, Record};
use crate::syntax::ast::Args;
use crate::value::Value;

#[derive(Debug)]
enum Target {
    Name(String),
    /// `{field}`: the name is the value of this field.
    Dynamic(FieldRef),
}

#[derive(Debug)]
struct Eval {
    assigns: Vec<(Target, CExpr)>,
}

pub(super) fn lower(l: &Lower) -> Result<Box<dyn Step>, Diag> {
    let Args::Eval(list) = &l.cmd.args else {
        return Err(l.error(
            l.cmd.span,
            "tripline::plan::eval",
            "`eval` needs assignments",
        ));
    };
    let mut assigns = Vec::new();
    for a in list {
        if a.name.is_empty() {
            return Err(l.error(
                a.name_span,
                "tripline::eval::empty_name",
                "missing field name before `=`",
            ));
        }
        let e = compile(&a.expr)?;
        if is_boolean(&e) {
            return Err(l
                .error(
                    a.expr.span,
                    "tripline::eval::boolean_result",
                    format!("fields cannot be assigned a boolean result (`{}`)", a.name),
                )
                .help("wrap the condition: `if(<condition>, \"true\", \"false\")`"));
        }
        let target = match a.name.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            Some(inner) => Target::Dynamic(FieldRef::new(inner)),
            None => Target::Name(a.name.clone()),
        };
        assigns.push((target, e));
    }
    Ok(Box::new(Eval { assigns }))
}

impl Step for Eval {
    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .assigns
            .iter()
            .map(|(t, e)| {
                let name = match t {
                    Target::Name(n) => n.clone(),
                    Target::Dynamic(f) => format!("{{{}}}", f.name()),
                };
                format!("{name} = {}", show(e))
            })
            .collect();
        format!("eval {}", parts.join(", "))
    }
    fn outputs(&self, mut input: crate::plan::Fields) -> crate::plan::Fields {
        for (t, _) in &self.assigns {
            match t {
                Target::Name(n) => input.add(n),
                Target::Dynamic(_) => return crate::plan::Fields::Open(Vec::new()),
            }
        }
        input
    }
    fn reads(&self) -> crate::plan::Reads {
        let mut names = Vec::new();
        for (t, e) in &self.assigns {
            if let Target::Dynamic(f) = t {
                names.push(f.name().to_string());
            }
            e.fields(&mut names);
        }
        crate::plan::Reads::Fields(names)
    }
    fn writes(&self) -> usize {
        self.assigns.len()
    }
    fn per_record(&self) -> Option<&dyn PerRecord> {
        Some(self)
    }
    fn derives(&self, name: &str) -> crate::plan::Derived {
        use crate::plan::Derived;
        use crate::plan::expr::Lazy;
        // An assignment to a name not known until run time may write any field.
        if self
            .assigns
            .iter()
            .any(|(t, _)| matches!(t, Target::Dynamic(_)))
        {
            return Derived::Unknown;
        }
        let written = |t: &Target| matches!(t, Target::Name(n) if n == name);
        let Some(last) = self.assigns.iter().rposition(|(t, _)| written(t)) else {
            return Derived::Same;
        };
        // The field, lower-cased or copied, that the last assignment reads.
        let mut e = self.assigns.get(last).map(|(_, e)| e);
        let source = loop {
            match e {
                Some(CExpr::Field(f)) => break f.name(),
                Some(CExpr::Call {
                    lazy: Lazy::Lower,
                    args,
                    ..
                }) if args.len() == 1 => e = args.first(),
                _ => return Derived::Unknown,
            }
        };
        // Assignments run in order: one before the last that writes the source changed it.
        let earlier = self.assigns.get(..last).unwrap_or_default();
        if earlier
            .iter()
            .any(|(t, _)| matches!(t, Target::Name(n) if n == source))
        {
            return Derived::Unknown;
        }
        Derived::LowerOf(source.to_string())
    }
}

impl PerRecord for Eval {
    fn apply(&self, rec: &mut Record, ctx: &EvalCtx) -> bool {
        // Room for every assignment at once, rather than the map growing (and rehashing) as
        // they come.
        rec.fields.reserve(self.assigns.len());
        for (target, e) in &self.assigns {
            let v = match e.eval(rec, ctx) {
                Value::Bool(_) => Value::Null,
                v => v,
            };
            match target {
                Target::Name(n) => rec.set(n, v),
                Target::Dynamic(f) => {
                    if let Some(name) = rec.get(f).values().first().and_then(Value::to_text) {
                        rec.set(&name, v);
                    }
                }
            }
        }
        true
    }
}
