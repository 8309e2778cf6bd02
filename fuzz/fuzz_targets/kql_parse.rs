//! KQL parse + compile against the bundled ECS field types.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tripline::kql::FieldTypes;

fuzz_target!(|data: &[u8]| {
    static TYPES: OnceLock<FieldTypes> = OnceLock::new();
    let types = TYPES.get_or_init(FieldTypes::bundled);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tripline::kql::compile(text, types);
});
