//! The committed JSON Schemas (`schemas/`) match the Rust types, every bundled scenario points
//! editors at the scenario schema and validates against it, and the schema still rejects typos.

use crate::common;

use std::path::Path;

use serde_json::Value;

fn committed(name: &str) -> String {
    let path = common::repo().join("schemas").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_fresh(which: &str, generated: &str) {
    let file = format!("{which}.schema.json");
    assert!(
        committed(&file) == generated,
        "schemas/{file} is stale: the Rust types changed. Update it with\n  {}",
        badgateway::schema::update_command(which)
    );
}

#[test]
fn committed_result_schema_is_up_to_date() {
    assert_fresh("result", &badgateway::schema::result());
}

#[test]
fn committed_scenario_schema_is_up_to_date() {
    assert_fresh("scenario", &badgateway::schema::scenario());
}

/// The line that lets yaml-language-server (VS Code, ...) check scenarios as they are typed.
const SCHEMA_LINE: &str = "# yaml-language-server: $schema=../schemas/scenario.schema.json";

fn bundled() -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(common::scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the bundled scenarios are found");
    files
        .iter()
        .map(|p| (name(p), std::fs::read_to_string(p).unwrap()))
        .collect()
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn scenario_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&badgateway::schema::scenario()).unwrap();
    jsonschema::validator_for(&schema).expect("the scenario schema is a valid JSON Schema")
}

/// The YAML as the JSON value the schema describes.
fn as_json(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).expect("YAML parses into a JSON value")
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_bundled_scenario_names_the_schema_on_its_first_line() {
    for (file, text) in bundled() {
        assert_eq!(text.lines().next(), Some(SCHEMA_LINE), "{file}");
    }
}

#[test]
fn every_bundled_scenario_validates_against_the_schema() {
    let validator = scenario_validator();
    for (file, text) in bundled() {
        let errs = errors(&validator, &as_json(&text));
        assert!(
            errs.is_empty(),
            "{file} does not match the schema:\n{}",
            errs.join("\n")
        );
    }
}

#[test]
fn the_schema_rejects_typos_and_bad_values() {
    let validator = scenario_validator();
    let (_, good) = bundled()
        .into_iter()
        .find(|(f, _)| f == "upstream-down.yaml")
        .unwrap();
    let cases = [
        ("name: upstream-down", "name: upstream-down\ntitel: typo"),
        ("kind: refuse", "kind: explode"),
        ("kind: refuse", "kind: refuse, probabilty: 0.5"),
        ("requests: 40", "requests: 40\n  method: BREW"),
        ("502: \"100%\"", "bogus: \"100%\""),
    ];
    for (from, to) in cases {
        assert!(good.contains(from), "upstream-down.yaml has `{from}`");
        let bad = good.replacen(from, to, 1);
        assert!(
            !errors(&validator, &as_json(&bad)).is_empty(),
            "the schema accepted `{to}`"
        );
    }
}
