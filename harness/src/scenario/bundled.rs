//! The catalogue bundled into the binary, and the one rule that decides where scenarios are
//! read from. `scenarios` (the default of every command) names the catalogue: the folder
//! `./scenarios/` when it exists in the working directory, else the copy embedded at build time
//! (see `harness/build.rs`), whose files are shown as `<bundled>/NAME.yaml`. A file
//! `scenarios/NAME.yaml` follows the same rule, so the commands `check` and `diagnose` print
//! (`badgateway run scenarios/NAME.yaml`) work from any folder. Any other path is a file or
//! folder on disk, as given.

use std::path::{Component, Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// The catalogue folder's name, the default scenario path of every command.
pub const DEFAULT_DIR: &str = "scenarios";
/// How embedded files are named in messages: `<bundled>/upstream-down.yaml:12:3`.
pub const ROOT: &str = "<bundled>";

/// The embedded scenario files: (file name, YAML text), sorted by name.
pub fn scenarios() -> &'static [(&'static str, &'static str)] {
    embedded::SCENARIOS
}

/// The embedded JSON Schemas (`scenario.schema.json`, `result.schema.json`): (file name, text).
pub fn schemas() -> &'static [(&'static str, &'static str)] {
    embedded::SCHEMAS
}

/// Whether `path` is a file of the embedded copy (`<bundled>/NAME.yaml`).
pub fn is_bundled(path: &Path) -> bool {
    path.starts_with(ROOT)
}

/// The embedded text of `<bundled>/NAME.yaml`.
pub fn text(path: &Path) -> Option<&'static str> {
    let rest = path.strip_prefix(ROOT).ok()?;
    let name = rest.to_str()?;
    scenarios()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// What `path` stands for when it is read from the embedded copy: every bundled scenario (for
/// `scenarios` or `<bundled>`), or one (`scenarios/NAME.yaml`, `<bundled>/NAME.yaml`), as
/// `(<bundled>/NAME.yaml, text)`. `None` when `path` is read from disk: any other path, or a
/// local `./scenarios/` exists. `Some(vec![])` for a bundled file that does not exist.
pub fn resolve(path: &Path) -> Option<Vec<(PathBuf, &'static str)>> {
    let parts: Vec<Component> = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    let named = |name: &str| {
        scenarios()
            .iter()
            .filter(|(n, _)| *n == name)
            .map(shown)
            .collect::<Vec<_>>()
    };
    let first = parts.first()?.as_os_str().to_str()?;
    let local = first == DEFAULT_DIR && Path::new(DEFAULT_DIR).exists();
    if local || (first != DEFAULT_DIR && first != ROOT) {
        return None;
    }
    match &parts[1..] {
        [] => Some(scenarios().iter().map(shown).collect()),
        [file] => Some(named(file.as_os_str().to_str()?)),
        _ => None,
    }
}

fn shown(&(name, text): &(&'static str, &'static str)) -> (PathBuf, &'static str) {
    (Path::new(ROOT).join(name), text)
}

/// The text of a scenario file, embedded or on disk.
pub fn read(path: &Path) -> std::io::Result<String> {
    match text(path) {
        Some(t) => Ok(t.to_string()),
        None if is_bundled(path) => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such bundled scenario (see `badgateway list`)",
        )),
        None => std::fs::read_to_string(path),
    }
}

/// The path to give `badgateway run` for a loaded scenario: `scenarios/NAME.yaml` for an
/// embedded one (it resolves to the same file from any folder without a local `scenarios/`,
/// and needs no shell quoting), else its path as loaded.
pub fn command_path(path: &Path) -> PathBuf {
    match path.strip_prefix(ROOT) {
        Ok(rest) => Path::new(DEFAULT_DIR).join(rest),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_tree(folder: &str) -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(folder);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_file_of_the_source_tree_is_embedded_with_its_text() {
        let embedded: Vec<String> = scenarios().iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(embedded, source_tree("scenarios"));
        let schemas: Vec<String> = schemas().iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(schemas, source_tree("schemas"));
        let on_disk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/upstream-down.yaml");
        let shown = Path::new("<bundled>/upstream-down.yaml");
        assert_eq!(
            read(shown).unwrap(),
            std::fs::read_to_string(on_disk).unwrap()
        );
    }

    #[test]
    fn bundled_paths_resolve_to_embedded_files() {
        let all = resolve(Path::new("<bundled>")).unwrap();
        assert_eq!(all.len(), scenarios().len());
        let one = resolve(Path::new("<bundled>/upstream-down.yaml")).unwrap();
        assert_eq!(one[0].0, Path::new("<bundled>/upstream-down.yaml"));
        assert_eq!(resolve(Path::new("<bundled>/nope.yaml")), Some(vec![]));
        assert_eq!(resolve(Path::new("elsewhere/upstream-down.yaml")), None);
        assert!(read(Path::new("<bundled>/nope.yaml")).is_err());
        assert_eq!(
            command_path(Path::new("<bundled>/upstream-down.yaml")),
            Path::new("scenarios/upstream-down.yaml")
        );
    }
}
