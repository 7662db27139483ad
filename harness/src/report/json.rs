//! `result.json`: the complete run result, for CI artifacts and for re-rendering later. Its
//! JSON Schema is `schemas/result.schema.json` (`badgateway schema result`).

use std::path::{Path, PathBuf};

use crate::result::RunResult;

/// The result as pretty JSON, with a final newline.
pub fn render(result: &RunResult) -> String {
    serde_json::to_string_pretty(result).expect("a RunResult always serializes") + "\n"
}

/// Write the result as pretty JSON into `dir/result.json` and return the path.
pub fn write(result: &RunResult, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("result.json");
    std::fs::write(&path, render(result))?;
    Ok(path)
}

/// Read a result written by [`write()`].
pub fn read(path: &Path) -> Result<RunResult, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a badgateway result: {e}", path.display()))
}
