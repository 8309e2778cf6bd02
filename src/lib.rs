//! tripline: run Splunk SPL and Kibana KQL detection rules over JSON events.
//!
//! Stages (see docs/ARCHITECTURE.md): load → expand → parse → plan → read → execute → report.

pub mod diag;
pub mod syntax;
pub mod value;
