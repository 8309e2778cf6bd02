//! tripline: run Splunk SPL and Kibana KQL detection rules over JSON events.
//!
//! Stages (see docs/ARCHITECTURE.md): load → expand → parse → plan → read → execute → report.

#![forbid(unsafe_code)]

pub mod attack;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod event;
pub mod exec;
pub mod functions;
pub mod kql;
pub mod lookup;
pub mod plan;
pub mod record;
pub mod rule;
pub mod suite;
pub mod syntax;
pub mod time;
pub mod value;
