//! Field types for KQL (stage: plan): the index mapping a query is compiled against.
//!
//! The bundled table is ECS 9.5.0 (`data/ecs/ecs_flat_9.5.0.csv`, with its multi-fields such
//! as `process.command_line.text`), then the detection-rules non-ECS table
//! (`data/ecs/non_ecs_schema.json`) for fields ECS does not define, then the Windows
//! integration's analyzer for `powershell.file.script_block_text`. Rules, datasets and the CLI
//! override entries with [`FieldTypes::set`].

use super::analyzer::Analyzer;
use crate::diag::Diag;
use std::collections::HashMap;
use std::sync::OnceLock;

const ECS_CSV: &str = include_str!("../../data/ecs/ecs_flat_9.5.0.csv");
const NON_ECS_JSON: &str = include_str!("../../data/ecs/non_ecs_schema.json");

/// The Elasticsearch field type of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `keyword`: whole value, case-sensitive.
    Keyword,
    /// `constant_keyword`.
    ConstantKeyword,
    /// `wildcard` (ECS `process.command_line`, `url.path`…).
    Wildcard,
    /// `text`: analysed.
    Text,
    /// `match_only_text`: analysed, answers like `text`.
    MatchOnlyText,
    /// `long`.
    Long,
    /// `integer`.
    Integer,
    /// `short`.
    Short,
    /// `byte`.
    Byte,
    /// `unsigned_long`.
    UnsignedLong,
    /// `double`.
    Double,
    /// `float`.
    Float,
    /// `half_float`.
    HalfFloat,
    /// `scaled_float`.
    ScaledFloat,
    /// `boolean`.
    Boolean,
    /// `date` / `date_nanos`.
    Date,
    /// `ip`.
    Ip,
    /// `object`.
    Object,
    /// `nested`.
    Nested,
    /// Anything else (`flattened`, `geo_point`…): keyword semantics, with a warning.
    Other(String),
}

impl FieldType {
    /// The type named `name` (Elasticsearch spelling).
    pub fn from_name(name: &str) -> FieldType {
        match name.trim() {
            "keyword" => FieldType::Keyword,
            "constant_keyword" => FieldType::ConstantKeyword,
            "wildcard" => FieldType::Wildcard,
            "text" => FieldType::Text,
            "match_only_text" => FieldType::MatchOnlyText,
            "long" => FieldType::Long,
            "integer" => FieldType::Integer,
            "short" => FieldType::Short,
            "byte" => FieldType::Byte,
            "unsigned_long" => FieldType::UnsignedLong,
            "double" => FieldType::Double,
            "float" => FieldType::Float,
            "half_float" => FieldType::HalfFloat,
            "scaled_float" => FieldType::ScaledFloat,
            "boolean" => FieldType::Boolean,
            "date" | "date_nanos" => FieldType::Date,
            "ip" => FieldType::Ip,
            "object" => FieldType::Object,
            "nested" => FieldType::Nested,
            other => FieldType::Other(other.to_string()),
        }
    }

    /// The Elasticsearch name.
    pub fn name(&self) -> &str {
        match self {
            FieldType::Keyword => "keyword",
            FieldType::ConstantKeyword => "constant_keyword",
            FieldType::Wildcard => "wildcard",
            FieldType::Text => "text",
            FieldType::MatchOnlyText => "match_only_text",
            FieldType::Long => "long",
            FieldType::Integer => "integer",
            FieldType::Short => "short",
            FieldType::Byte => "byte",
            FieldType::UnsignedLong => "unsigned_long",
            FieldType::Double => "double",
            FieldType::Float => "float",
            FieldType::HalfFloat => "half_float",
            FieldType::ScaledFloat => "scaled_float",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Ip => "ip",
            FieldType::Object => "object",
            FieldType::Nested => "nested",
            FieldType::Other(n) => n,
        }
    }

    /// Analysed (text-like) types.
    pub fn is_text(&self) -> bool {
        matches!(self, FieldType::Text | FieldType::MatchOnlyText)
    }

    /// Numeric types.
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            FieldType::Long
                | FieldType::Integer
                | FieldType::Short
                | FieldType::Byte
                | FieldType::UnsignedLong
                | FieldType::Double
                | FieldType::Float
                | FieldType::HalfFloat
                | FieldType::ScaledFloat
        )
    }

    /// Whole-number types (a query value with a fraction matches nothing; source values are
    /// truncated when indexed).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            FieldType::Long
                | FieldType::Integer
                | FieldType::Short
                | FieldType::Byte
                | FieldType::UnsignedLong
        )
    }
}

/// A field's mapping: its type and, for text fields, its analyzer.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldSpec {
    /// The type.
    pub ty: FieldType,
    /// The analyzer (text fields; `standard` when not set).
    pub analyzer: Option<Analyzer>,
}

impl FieldSpec {
    /// A field of type `ty` (text fields get the `standard` analyzer).
    pub fn new(ty: FieldType) -> FieldSpec {
        let analyzer = ty.is_text().then_some(Analyzer::Standard);
        FieldSpec { ty, analyzer }
    }

    /// A field of the type named `name`. Also accepts the descriptive form used by the KQL
    /// case files (`object (not nested)`, `match_only_text (standard analyzer)`,
    /// `text (powershell_script_analyzer: pattern …)`): the first word is the type and a
    /// named analyzer in the parentheses is used.
    pub fn named(name: &str) -> FieldSpec {
        let ty = name.split_whitespace().next().unwrap_or(name);
        let mut spec = FieldSpec::new(FieldType::from_name(ty));
        if spec.ty.is_text() {
            if name.contains("powershell_script") {
                spec.analyzer = Some(Analyzer::PowershellScript);
            } else if name.contains("standard") {
                spec.analyzer = Some(Analyzer::Standard);
            }
        }
        spec
    }

    /// A text field with `analyzer`.
    pub fn text(analyzer: Analyzer) -> FieldSpec {
        FieldSpec {
            ty: FieldType::Text,
            analyzer: Some(analyzer),
        }
    }

    /// Build a spec from the parts of a field-types file entry
    /// (`{type, analyzer: standard|powershell_script|pattern, pattern, lowercase}`).
    pub fn from_parts(
        ty: &str,
        analyzer: Option<&str>,
        pattern: Option<&str>,
        lowercase: Option<bool>,
    ) -> Result<FieldSpec, Diag> {
        let mut spec = FieldSpec::named(ty);
        let analyzer = match (analyzer, pattern) {
            (None, None) => return Ok(spec),
            (Some("standard"), _) => Analyzer::Standard,
            (Some("powershell_script" | "powershell_script_analyzer"), _) => {
                Analyzer::PowershellScript
            }
            (Some("pattern") | None, Some(p)) => Analyzer::pattern(p, lowercase.unwrap_or(true))?,
            (Some("pattern"), None) => Analyzer::pattern(r"\W+", lowercase.unwrap_or(true))?,
            (Some(other), _) => {
                return Err(Diag::error(
                    crate::diag::Kind::Invalid,
                    "tripline::kql::unknown_analyzer",
                    format!("unknown analyzer `{other}`"),
                )
                .help("use `standard`, `powershell_script` or `pattern` (with `pattern: '…'`)"));
            }
        };
        spec.analyzer = Some(analyzer);
        Ok(spec)
    }

    /// The analyzer to use (text fields default to `standard`).
    pub fn analyzer(&self) -> &Analyzer {
        static STANDARD: Analyzer = Analyzer::Standard;
        self.analyzer.as_ref().unwrap_or(&STANDARD)
    }

    /// `keyword`, `text (powershell_script)`…
    pub fn describe(&self) -> String {
        match (&self.analyzer, self.ty.is_text()) {
            (Some(a), true) => format!("{} ({})", self.ty.name(), a.name()),
            _ => self.ty.name().to_string(),
        }
    }
}

/// The mapping KQL queries are compiled against: field name → [`FieldSpec`].
#[derive(Clone, Debug, Default)]
pub struct FieldTypes {
    fields: HashMap<String, FieldSpec>,
    /// Multi-fields (`process.command_line.text`) → the field whose value they index.
    multi: HashMap<String, String>,
}

impl FieldTypes {
    /// No fields at all (every field is unknown).
    pub fn empty() -> FieldTypes {
        FieldTypes::default()
    }

    /// ECS 9.5 + the non-ECS table + the Windows integration's script block analyzer.
    pub fn bundled() -> FieldTypes {
        static BUNDLED: OnceLock<FieldTypes> = OnceLock::new();
        BUNDLED.get_or_init(build_bundled).clone()
    }

    /// Set (override) a field's spec.
    pub fn set(&mut self, field: &str, spec: FieldSpec) {
        self.fields.insert(field.to_string(), spec);
    }

    /// A field's spec.
    pub fn get(&self, field: &str) -> Option<&FieldSpec> {
        self.fields.get(field)
    }

    /// Declare `field` as a multi-field of `parent` (it indexes the parent's value).
    pub fn set_multi(&mut self, field: &str, parent: &str, spec: FieldSpec) {
        self.fields.insert(field.to_string(), spec);
        self.multi.insert(field.to_string(), parent.to_string());
    }

    /// The field a multi-field reads its value from.
    pub fn multi_parent(&self, field: &str) -> Option<&str> {
        self.multi.get(field).map(String::as_str)
    }

    /// Multi-fields of `parent` (for field-name patterns).
    pub fn multi_children<'a>(&'a self, parent: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.multi
            .iter()
            .filter(move |(_, p)| p.as_str() == parent)
            .map(|(f, _)| f.as_str())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// No fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

fn build_bundled() -> FieldTypes {
    let mut t = FieldTypes::empty();
    for line in ECS_CSV.lines().skip(1) {
        let mut cols = line.split(',');
        let (Some(field), Some(ty)) = (cols.next(), cols.next()) else {
            continue;
        };
        if field.is_empty() {
            continue;
        }
        t.set(field, FieldSpec::named(ty));
        let _normalize = cols.next();
        if let Some(multi) = cols.next() {
            for m in multi.split([';', '|']).filter(|m| !m.is_empty()) {
                if let Some((name, mty)) = m.split_once('=') {
                    t.set_multi(name.trim(), field, FieldSpec::named(mty));
                }
            }
        }
    }
    // Non-ECS fields: only where ECS has no entry (ECS is authoritative for its fields).
    if let Ok(serde_json::Value::Object(indices)) =
        serde_json::from_str::<serde_json::Value>(NON_ECS_JSON)
    {
        for fields in indices.values() {
            let mut flat = Vec::new();
            flatten("", fields, &mut flat);
            for (name, ty) in flat {
                if t.get(&name).is_none() {
                    t.set(&name, FieldSpec::named(&ty));
                }
            }
        }
    }
    // The Windows integration (and Winlogbeat 8) map the script block with a pattern
    // analyzer; detection-rules only says `text`.
    t.set(
        "powershell.file.script_block_text",
        FieldSpec::text(Analyzer::PowershellScript),
    );
    t
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, child) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, child, out);
            }
        }
        serde_json::Value::String(ty) => out.push((prefix.to_string(), ty.clone())),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_types() {
        let t = FieldTypes::bundled();
        assert_eq!(
            t.get("event.category").map(|s| &s.ty),
            Some(&FieldType::Keyword)
        );
        assert_eq!(
            t.get("process.command_line").map(|s| &s.ty),
            Some(&FieldType::Wildcard)
        );
        assert_eq!(
            t.get("process.command_line.text").map(|s| &s.ty),
            Some(&FieldType::MatchOnlyText)
        );
        assert_eq!(
            t.multi_parent("process.command_line.text"),
            Some("process.command_line")
        );
        assert_eq!(
            t.get("data_stream.dataset").map(|s| &s.ty),
            Some(&FieldType::ConstantKeyword)
        );
        assert_eq!(
            t.get("powershell.file.script_block_text")
                .map(|s| s.analyzer().clone()),
            Some(Analyzer::PowershellScript)
        );
        assert_eq!(
            t.get("gcp.audit.service_data.policy_delta.binding_deltas")
                .map(|s| &s.ty),
            Some(&FieldType::Nested)
        );
    }
}
