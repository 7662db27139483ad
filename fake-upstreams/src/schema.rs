//! JSON Schema pieces for types whose serde form is custom, so the derived schemas of scenario
//! files and results describe what is really written (`1500ms`, `12k`), not Rust's layout.
//!
//! Used with `#[schemars(schema_with = "...")]` here and in the harness.

use schemars::{Schema, SchemaGenerator, json_schema};

/// A humantime duration string such as `500ms`, `1.5s` or `2m 30s`.
pub fn duration(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "description": "A duration in humantime form, e.g. `500ms`, `2s`, `1m 30s`.",
        "pattern": r"^\s*\d+(\.\d+)?\s*[a-zµ]+(\s*\d+(\.\d+)?\s*[a-zµ]+)*\s*$"
    })
}

/// An optional humantime duration: the string form, or null.
pub fn optional_duration(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = duration(generator);
    schema.insert("type".into(), serde_json::json!(["string", "null"]));
    schema
}
