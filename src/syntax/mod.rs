//! Query text → syntax tree: macro expansion and parsing (stages: expand, parse).

pub mod ast;
pub mod macros;
pub mod parser;

pub use parser::{parse_expr, parse_query, parse_search, parse_stats};
