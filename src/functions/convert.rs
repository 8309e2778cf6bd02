//! Conversion functions: tonumber, tostring, printf.

use super::math::round_decimal;
use super::{Call, FunctionDef, per_value, single_text};
use crate::value::{Value, format_number, parse_number};

fn tonumber(c: &Call) -> Value {
    let base = if c.args.len() > 1 {
        match c.arg(1).as_number() {
            Some(b) if (2.0..=36.0).contains(&b) && b.fract() == 0.0 => {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "checked to be an integer in 2..=36"
                )]
                let b = b as u32;
                b
            }
            _ => return Value::Null,
        }
    } else {
        10
    };
    let v = c.arg(0);
    if base == 10
        && let Value::Num(n) = v
    {
        return Value::Num(*n);
    }
    let text = match v {
        Value::Str(s) => s.clone(),
        Value::Num(n) => format_number(*n),
        // Booleans, multivalue fields and null are not numbers.
        _ => return Value::Null,
    };
    if base == 10 {
        // Leading/trailing spaces make the text unparsable, as documented.
        return parse_number(&text).map_or(Value::Null, Value::Num);
    }
    // Other bases: integers only (a decimal point is base-10 syntax).
    i64::from_str_radix(&text, base)
        .ok()
        .map_or(Value::Null, |i| Value::Num(i as f64))
}

/// Insert `,` every three digits of an unsigned integer text.
fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The truncated integer of a finite number, saturating at the i64 range.
fn to_int(x: f64) -> i64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "truncation toward zero is the point; `as` saturates"
    )]
    let i = x.trunc() as i64;
    i
}

fn commas(x: f64) -> String {
    let text = format_number(round_decimal(x, 2).abs());
    let (int_part, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if x < 0.0 && (int_part != "0" || !frac.is_empty()) {
        out.push('-');
    }
    out.push_str(&group_thousands(int_part));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

fn duration(x: f64) -> Option<String> {
    if x < 0.0 || !x.is_finite() {
        return None;
    }
    let secs = to_int(x);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let hms = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    Some(if days > 0 {
        format!("{days}+{hms}")
    } else {
        hms
    })
}

fn signed_radix(x: f64, f: fn(u64) -> String) -> String {
    let i = to_int(x);
    let body = f(i.unsigned_abs());
    if i < 0 { format!("-{body}") } else { body }
}

fn tostring_one(v: &Value, fmt: Option<&str>) -> Value {
    let Some(fmt) = fmt else {
        return v.to_text().map_or(Value::Null, Value::Str);
    };
    let Some(x) = v.as_number().filter(|x| x.is_finite()) else {
        // Formats apply to numbers; other values print as they are.
        return v.to_text().map_or(Value::Null, Value::Str);
    };
    let out = match fmt {
        "hex" => signed_radix(x, |u| format!("0x{u:X}")),
        "binary" => signed_radix(x, |u| format!("{u:b}")),
        "commas" => commas(x),
        "duration" => match duration(x) {
            Some(d) => d,
            None => return Value::Null,
        },
        // An unknown format is ignored.
        _ => format_number(x),
    };
    Value::Str(out)
}

fn tostring(c: &Call) -> Value {
    let fmt = if c.args.len() > 1 {
        match single_text(c.arg(1)) {
            Some(f) => Some(f.to_ascii_lowercase()),
            None => return Value::Null,
        }
    } else {
        None
    };
    per_value(c.arg(0), |v| tostring_one(v, fmt.as_deref()))
}

/// One parsed `%` conversion.
#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    group: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    /// Pad `prefix` (sign, `0x`) + `body` to the width.
    fn pad(&self, prefix: &str, body: &str, zero_ok: bool) -> String {
        let len = prefix.chars().count() + body.chars().count();
        let fill = self.width.unwrap_or(0).saturating_sub(len);
        if self.left {
            format!("{prefix}{body}{}", " ".repeat(fill))
        } else if self.zero && zero_ok {
            format!("{prefix}{}{body}", "0".repeat(fill))
        } else {
            format!("{}{prefix}{body}", " ".repeat(fill))
        }
    }

    fn sign(&self, negative: bool) -> &'static str {
        if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        }
    }
}

/// C's exponent notation: `1.500000e+02`.
fn c_exp(x: f64, precision: usize, upper: bool) -> String {
    let s = format!("{x:.precision$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    let out = format!(
        "{mantissa}e{}{:02}",
        if e < 0 { '-' } else { '+' },
        e.unsigned_abs()
    );
    if upper { out.to_uppercase() } else { out }
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// C's `%g`: the shorter of `%e` and `%f` at `precision` significant digits.
fn c_general(x: f64, precision: usize, upper: bool, alt: bool) -> String {
    let p = precision.max(1);
    let e_form = c_exp(x, p - 1, upper);
    let exp: i64 = e_form
        .rsplit(['e', 'E'])
        .next()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let p_i = i64::try_from(p).unwrap_or(i64::MAX);
    if exp < -4 || exp >= p_i {
        if alt {
            return e_form;
        }
        let (m, e) = e_form.split_once(['e', 'E']).unwrap_or((&e_form, ""));
        let sep = if upper { 'E' } else { 'e' };
        format!("{}{sep}{e}", strip_zeros(m))
    } else {
        let decimals = usize::try_from(p_i - 1 - exp).unwrap_or(0);
        let f = format!("{x:.decimals$}");
        if alt { f } else { strip_zeros(&f) }
    }
}

/// Format one conversion; None when the argument does not fit it.
fn convert(spec: &Spec, conv: char, arg: &Value) -> Option<String> {
    let number = || match arg {
        Value::Multi(_) | Value::Null => None,
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_number(),
    };
    Some(match conv {
        'd' | 'i' | 'u' => {
            let x = number()?;
            let i = to_int(x);
            let mut digits = i.unsigned_abs().to_string();
            if let Some(p) = spec.precision {
                digits = format!("{digits:0>p$}");
            }
            if spec.group {
                digits = group_thousands(&digits);
            }
            spec.pad(spec.sign(i < 0), &digits, spec.precision.is_none())
        }
        'x' | 'X' | 'o' => {
            // Negative numbers print as their 64-bit two's complement, like C.
            let u = to_int(number()?).cast_unsigned();
            let mut digits = match conv {
                'x' => format!("{u:x}"),
                'X' => format!("{u:X}"),
                _ => format!("{u:o}"),
            };
            if let Some(p) = spec.precision {
                digits = format!("{digits:0>p$}");
            }
            let prefix = match (spec.alt && u != 0, conv) {
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                (true, _) if !digits.starts_with('0') => "0",
                _ => "",
            };
            spec.pad(prefix, &digits, spec.precision.is_none())
        }
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
            let x = number()?;
            let p = spec.precision.unwrap_or(6);
            let body = if x.is_nan() {
                "nan".to_string()
            } else if x.is_infinite() {
                "inf".to_string()
            } else {
                match conv {
                    'f' | 'F' => {
                        let s = format!("{:.p$}", x.abs());
                        if spec.group {
                            let (int_part, frac) = s.split_once('.').unwrap_or((&s, ""));
                            let g = group_thousands(int_part);
                            if frac.is_empty() {
                                g
                            } else {
                                format!("{g}.{frac}")
                            }
                        } else {
                            s
                        }
                    }
                    'e' | 'E' => c_exp(x.abs(), p, conv == 'E'),
                    _ => c_general(x.abs(), p, conv == 'G', spec.alt),
                }
            };
            spec.pad(
                spec.sign(x.is_sign_negative() && x != 0.0),
                &body,
                x.is_finite(),
            )
        }
        's' => {
            let t = match arg {
                Value::Null => return None,
                other => other.to_text()?,
            };
            let t: String = match spec.precision {
                Some(p) => t.chars().take(p).collect(),
                None => t,
            };
            spec.pad("", &t, false)
        }
        'c' => {
            let ch = match arg {
                Value::Str(s) if parse_number(s).is_none() => s.chars().next()?,
                _ => {
                    let code = u32::try_from(to_int(number()?)).ok()?;
                    char::from_u32(code)?
                }
            };
            spec.pad("", &ch.to_string(), false)
        }
        _ => return None,
    })
}

/// The next argument as a count for `*` (negative width means left-justify, like C).
fn star(args: &mut std::slice::Iter<'_, Value>) -> Option<i64> {
    args.next().and_then(Value::as_number).map(to_int)
}

fn printf(c: &Call) -> Value {
    let Some(fmt) = single_text(c.arg(0)) else {
        return Value::Null;
    };
    let mut args = c.args.get(1..).unwrap_or(&[]).iter();
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = Spec::default();
        let mut raw = String::from("%");
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alt = true,
                '\'' => spec.group = true,
                _ => break,
            }
            raw.push(f);
            chars.next();
        }
        if chars.peek() == Some(&'*') {
            chars.next();
            raw.push('*');
            let Some(w) = star(&mut args) else {
                return Value::Null;
            };
            spec.left |= w < 0;
            spec.width = usize::try_from(w.unsigned_abs()).ok();
        } else {
            let mut w = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                w.push(d);
                chars.next();
            }
            raw.push_str(&w);
            spec.width = w.parse().ok();
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            raw.push('.');
            if chars.peek() == Some(&'*') {
                chars.next();
                raw.push('*');
                let Some(p) = star(&mut args) else {
                    return Value::Null;
                };
                // A negative precision is taken as omitted.
                spec.precision = usize::try_from(p).ok();
            } else {
                let mut p = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    p.push(d);
                    chars.next();
                }
                raw.push_str(&p);
                spec.precision = Some(p.parse().unwrap_or(0));
            }
        }
        // Length modifiers (`l`, `ll`, `h`, …) change nothing for doubles and text.
        while let Some(&m) = chars.peek().filter(|m| "hlLqjzt".contains(**m)) {
            raw.push(m);
            chars.next();
        }
        let Some(conv) = chars.next() else {
            out.push_str(&raw);
            break;
        };
        if !"diufFeEgGxXoscd".contains(conv) {
            // Not a conversion: copied through literally.
            out.push_str(&raw);
            out.push(conv);
            continue;
        }
        // A missing or null argument (or one of the wrong kind) makes the result null.
        match args.next().and_then(|a| convert(&spec, conv, a)) {
            Some(s) => out.push_str(&s),
            None => return Value::Null,
        }
    }
    Value::Str(out)
}

pub(super) static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "tonumber",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`tonumber(s[, base])`: the number `s` spells in `base` (2–36, default 10); null when it does not parse (spaces included).",
        examples: &[
            ("tonumber(\"0A4\", 16)", "164"),
            ("tonumber(\"0101\", 2)", "5"),
            ("tonumber(\"3.25\")", "3.25"),
            ("tonumber(\" 42\")", "null"),
            ("tonumber(\"1.5\", 16)", "null"),
            ("tonumber(missing_field)", "null"),
        ],
        imp: tonumber,
    },
    FunctionDef {
        name: "tostring",
        min: 1,
        max: Some(2),
        regex_arg: None,
        summary: "`tostring(v[, fmt])`: text of `v`; `fmt` is `\"hex\"`, `\"binary\"`, `\"commas\"` (2 decimals) or `\"duration\"` (`[D+]HH:MM:SS`). Booleans give `True`/`False`.",
        examples: &[
            ("tostring(1 == 1)", "\"True\""),
            ("tostring(15, \"hex\")", "\"0xF\""),
            ("tostring(12345.6789, \"commas\")", "\"12,345.68\""),
            ("tostring(1234567, \"commas\")", "\"1,234,567\""),
            ("tostring(615, \"duration\")", "\"00:10:15\""),
            ("tostring(90061, \"duration\")", "\"1+01:01:01\""),
            ("tostring(5, \"binary\")", "\"101\""),
            ("tostring(2.50)", "\"2.5\""),
            ("tostring(missing_field)", "null"),
        ],
        imp: tostring,
    },
    FunctionDef {
        name: "printf",
        min: 1,
        max: None,
        regex_arg: None,
        summary: "`printf(fmt, …)`: C-style formatting with `%d %i %s %f %e %g %x %X %o %u %c %%`, flags `' - 0 + space #`, width and precision (`*` allowed).",
        examples: &[
            (
                "printf(\"%05d|%-4s|%.2f\", 42, \"ab\", 3.14159)",
                "\"00042|ab  |3.14\"",
            ),
            (
                "printf(\"%x %X %#o %c %%\", 255, 255, 8, 65)",
                "\"ff FF 010 A %\"",
            ),
            (
                "printf(\"%e %g %g\", 1234.5, 0.0001, 1e20)",
                "\"1.234500e+03 0.0001 1e+20\"",
            ),
            (
                "printf(\"%'d %+d %*d\", 1234567, 5, 4, 7)",
                "\"1,234,567 +5    7\"",
            ),
            ("printf(\"%s\", missing_field)", "null"),
        ],
        imp: printf,
    },
];
