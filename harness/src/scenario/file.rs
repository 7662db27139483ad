//! Reading scenario files: discovery in folders and YAML parsing with located errors; the
//! cross-field checks that follow parsing live in `validate.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Scenario, bundled, validate};
use crate::input_error::InputError;

/// A parsed, checked scenario and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub path: PathBuf,
    pub scenario: Scenario,
}

/// Expand paths (files, or folders searched for `*.yaml`/`*.yml`, sorted) and load every
/// scenario; `scenarios` is the catalogue (a local folder, else the embedded copy: see
/// [`bundled`]). Two scenarios with one name are an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<LoadedScenario>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if let Some(embedded) = bundled::resolve(path) {
            if embedded.is_empty() {
                return Err(InputError::whole_file(path, "no such bundled scenario")
                    .with_hint("`badgateway list` names the bundled scenarios"));
            }
            files.extend(embedded.into_iter().map(|(p, _)| p));
        } else if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| InputError::whole_file(path, format!("cannot read folder: {e}")))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(InputError::whole_file(
                    path,
                    "no *.yaml scenario files in this folder",
                ));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut loaded = Vec::new();
    for file in files {
        let s = load_file(&file)?;
        if let Some(other) = seen.insert(s.scenario.name.clone(), file.clone()) {
            return Err(InputError::whole_file(
                &file,
                format!(
                    "scenario name `{}` is also used by {}",
                    s.scenario.name,
                    other.display()
                ),
            )
            .with_hint("scenario names must be unique: they name reports and --filter targets"));
        }
        loaded.push(s);
    }
    Ok(loaded)
}

/// Read, parse and check one scenario file (`<bundled>/NAME.yaml`: the embedded copy).
pub fn load_file(path: &Path) -> Result<LoadedScenario, InputError> {
    let source = bundled::read(path)
        .map_err(|e| InputError::whole_file(path, format!("cannot read scenario: {e}")))?;
    Ok(LoadedScenario {
        path: path.to_path_buf(),
        scenario: load_text(path, &source)?,
    })
}

/// Parse and check the text of a scenario file (`path` names it in errors; nothing is read).
pub fn load_text(path: &Path, source: &str) -> Result<Scenario, InputError> {
    let scenario = parse(path, source)?;
    validate::check(path, source, &scenario)?;
    Ok(scenario)
}

fn parse(path: &Path, source: &str) -> Result<Scenario, InputError> {
    serde_saphyr::from_str(source).map_err(|e| {
        let shown = e.to_string();
        let (message, snippet) = match shown.split_once('\n') {
            Some((first, rest)) => (
                first,
                Some(rest.replace("<input>", &path.display().to_string())),
            ),
            None => (shown.as_str(), None),
        };
        let message = message.trim_start_matches("error: ");
        let message = strip_position_prefix(message);
        InputError {
            file: path.to_path_buf(),
            position: e.location().map(|l| (l.line(), l.column())),
            message: message.to_string(),
            snippet,
            hint: Some(
                "see the scenario format in README.md; every bundled scenario is an example \
                 (`badgateway init` writes them out)"
                    .into(),
            ),
        }
    })
}

/// serde-saphyr starts its message with "line L column C: "; we print the position ourselves.
fn strip_position_prefix(message: &str) -> &str {
    match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => rest,
        _ => message,
    }
}
