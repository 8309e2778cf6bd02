//! SPL macro expansion + parse + plan (`tripline::rule::compile`).
//!
//! Input format (UTF-8; other inputs are ignored):
//!   - leading lines starting with `@` are macro definitions: `@name=definition` or
//!     `@name(a,b)=definition` (arguments named `a`, `b`; `$a$` in the definition);
//!   - every other line is part of the query (joined with `\n`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tripline::syntax::macros::{MacroDef, MacroSet};

fn parse_macro(line: &str) -> Option<MacroDef> {
    let (head, def) = line.split_once('=')?;
    let head = head.trim();
    if let Some((name, rest)) = head.split_once('(') {
        let args: Vec<&str> = rest
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        Some(MacroDef::new(name.trim(), def).with_args(args))
    } else {
        Some(MacroDef::new(head, def))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut macros = MacroSet::new();
    let mut query = String::new();
    for line in text.split('\n') {
        if let Some(m) = line.strip_prefix('@') {
            if let Some(def) = parse_macro(m) {
                macros.insert(def);
            }
        } else {
            if !query.is_empty() {
                query.push('\n');
            }
            query.push_str(line);
        }
    }
    let _ = tripline::rule::compile(&query, &macros);
    let _ = tripline::rule::compile_all(&query, &macros);
});
