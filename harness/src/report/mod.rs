//! Rendering a [`crate::result::RunResult`]: the terminal summary, the live progress display,
//! and the report files (JSON, JUnit XML, Markdown, HTML). Only code in this module writes
//! report files, and every format renders from the `RunResult` value alone, so a saved
//! `result.json` can be rendered again later (`badgateway report`). The reports of `check` and
//! `compare` render from their own data instead ([`confcheck`]); the terminal output of the
//! other commands lives here too, one file each (`check_text`, `diagnose_text`,
//! `explain_text`, `load_text`), so `app/` only orchestrates.

pub mod check_junit;
pub mod check_md;
pub mod check_text;
pub mod confcheck;
pub mod diagnose_text;
pub mod explain_text;
mod format;
pub mod handout;
pub mod html;
pub mod json;
pub mod junit;
pub mod load_text;
pub mod markdown;
pub mod matrix;
pub mod progress;
pub mod requests;
#[cfg(test)]
pub(crate) mod sample;
pub mod terminal;
pub mod verify_text;

use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use format::{FORMATS, Format, Spec};

use crate::result::RunResult;

/// One `--report FORMAT=PATH` of `badgateway run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub format: Format,
    pub path: PathBuf,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (format, path) = s.split_once('=').ok_or_else(|| {
            format!("`{s}` is not FORMAT=PATH, e.g. junit=out/junit.xml or html=out/")
        })?;
        if path.is_empty() {
            return Err(format!("`{s}`: the path after `=` is empty"));
        }
        Ok(Target {
            format: format.parse()?,
            path: PathBuf::from(path),
        })
    }
}

/// Render `format` and write it to `path` (resolved by [`Format::resolve`]), creating parent
/// folders; returns the file written.
pub fn write(format: Format, result: &RunResult, path: &Path) -> std::io::Result<PathBuf> {
    let path = format.resolve(path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    if format == Format::RESULT && path.file_name().is_some_and(|n| n == "result.json") {
        let dir = path.parent().unwrap_or(Path::new("."));
        return json::save(result, dir);
    }
    std::fs::write(&path, format.render(result))?;
    Ok(path)
}

/// The reports of a run: `result.json` in `dir` always; then every `targets` entry, or, when
/// there are none, the other formats a run writes by default ([`Spec::by_default`]) in `dir`
/// too. Returns what was written.
pub fn write_run(
    result: &RunResult,
    dir: &Path,
    targets: &[Target],
) -> std::io::Result<Vec<(Format, PathBuf)>> {
    let result_file = (Format::RESULT, dir.join(Format::RESULT.file_name()));
    let mut wanted = vec![result_file];
    if targets.is_empty() {
        let defaults = Format::all().filter(|f| f.spec().by_default && *f != Format::RESULT);
        wanted.extend(defaults.map(|f| (f, dir.join(f.file_name()))));
    }
    wanted.extend(targets.iter().map(|t| (t.format, t.path.clone())));
    wanted
        .into_iter()
        .map(|(format, path)| Ok((format, write(format, result, &path)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_format_and_path() {
        let t: Target = "junit=out/j.xml".parse().unwrap();
        assert_eq!(
            (t.format.to_string(), t.path),
            ("junit".into(), PathBuf::from("out/j.xml"))
        );
        assert!(
            "pdf=x"
                .parse::<Target>()
                .unwrap_err()
                .contains("json, junit")
        );
        assert!(
            "html"
                .parse::<Target>()
                .unwrap_err()
                .contains("FORMAT=PATH")
        );
        assert!("md=".parse::<Target>().is_err());
    }

    #[test]
    fn every_format_shows_the_stages_of_a_staged_phase_in_order() {
        use crate::load::StageReport;
        use crate::outcome::Outcome;
        let mut result = sample::result();
        let load = result.scenarios[0].phases[0].load.as_mut().unwrap();
        let stage = |name: &str, outcome, n| StageReport {
            name: name.into(),
            outcomes: [(outcome, n)].into(),
            late_starts: 0,
            max_late_ms: 0,
            wall_ms: 1500,
        };
        load.by_stage = vec![
            stage("burst", Outcome::Status(502), 20),
            stage("after", Outcome::Status(200), 20),
        ];
        let cell = "burst: 502×20 · after: 200×20";
        assert!(terminal::render(&result).contains(cell));
        assert!(markdown::render(&result).contains(cell));
        let page = html::render(&result);
        let (burst, after) = (
            page.find("<code>burst</code>"),
            page.find("<code>after</code>"),
        );
        assert!(
            burst.is_some() && burst < after,
            "stages table in run order"
        );
    }
}
