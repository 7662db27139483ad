//! `result.json`: the complete run result, for CI artifacts and for re-rendering later. Its
//! JSON Schema is `schemas/result.schema.json` (`badgateway schema result`).

use std::path::{Path, PathBuf};

use crate::result::{RunResult, SCHEMA_VERSION};

/// The result as pretty JSON, with a final newline.
pub fn render(result: &RunResult) -> String {
    serde_json::to_string_pretty(result).expect("a RunResult always serializes") + "\n"
}

/// Any report value (`check`'s, `compare`'s) as pretty JSON with a final newline: what
/// `--json` prints.
pub fn render_value<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("reports always serialize") + "\n"
}

/// Save `result` as `dir/result.json` atomically (written beside it, then renamed over it), so
/// that a reader, or a run killed at any moment, only ever sees a complete file.
pub fn save(result: &RunResult, dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join("result.json");
    let partial = dir.join(".result.json.partial");
    std::fs::write(&partial, render(result))?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// Read a `result.json` a run wrote; one from a newer badgateway (a later schema version)
/// is refused rather than read with its new fields dropped.
pub fn read(path: &Path) -> Result<RunResult, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let result: RunResult = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a badgateway result: {e}", path.display()))?;
    if result.schema_version > SCHEMA_VERSION {
        return Err(format!(
            "{}: written by a newer badgateway (result schema version {}; this one reads up to \
             {SCHEMA_VERSION})",
            path.display(),
            result.schema_version
        ));
    }
    Ok(result)
}
