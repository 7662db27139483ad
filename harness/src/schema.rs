//! The JSON Schemas of badgateway's files, generated from the Rust types with `schemars`:
//! `result.json` ([`crate::result::RunResult`]) and scenario files ([`crate::scenario::Scenario`]).
//! The repo commits both under `schemas/`; tests regenerate them and fail when the committed
//! files are stale, and editors validate scenarios through the `yaml-language-server` line.

use schemars::generate::SchemaSettings;

use crate::result::RunResult;
use crate::scenario::Scenario;

/// The command that rewrites a committed schema, for messages.
pub fn update_command(which: &str) -> String {
    format!("cargo run -q --bin badgateway -- schema {which} > schemas/{which}.schema.json")
}

/// The schema of `result.json`, as pretty JSON with a final newline.
pub fn result() -> String {
    generate::<RunResult>(
        "badgateway result",
        "The complete result of a `badgateway run` (result.json).",
    )
}

/// The schema of a scenario file (YAML, validated as its JSON equivalent).
pub fn scenario() -> String {
    generate::<Scenario>(
        "badgateway scenario",
        "A badgateway scenario: fake upstreams, nginx config fragments, traffic and phases.",
    )
}

fn generate<T: schemars::JsonSchema>(title: &str, description: &str) -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}
