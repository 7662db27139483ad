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
pub mod html;
pub mod json;
pub mod junit;
pub mod load_text;
pub mod markdown;
pub mod matrix;
pub mod progress;
#[cfg(test)]
pub(crate) mod sample;
pub mod terminal;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::result::RunResult;

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The complete result (`result.json`).
    Json,
    /// JUnit XML for CI test tabs (`junit.xml`).
    Junit,
    /// A Markdown summary for CI job summaries (`summary.md`).
    Markdown,
    /// One self-contained HTML page with charts (`report.html`).
    Html,
}

impl Format {
    /// Every format, in the order a run writes them.
    pub const ALL: [Format; 4] = [Format::Json, Format::Junit, Format::Markdown, Format::Html];

    /// The file name a run gives this format inside its run folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "result.json",
            Format::Junit => "junit.xml",
            Format::Markdown => "summary.md",
            Format::Html => "report.html",
        }
    }

    /// What a run prints before the file's path: `result`, `junit`, `summary`, `html`.
    pub fn label(self) -> &'static str {
        match self {
            Format::Json => "result",
            Format::Junit => "junit",
            Format::Markdown => "summary",
            Format::Html => "html",
        }
    }

    /// The report as text.
    pub fn render(self, result: &RunResult) -> String {
        match self {
            Format::Json => json::render(result),
            Format::Junit => junit::render(result),
            Format::Markdown => markdown::render(result),
            Format::Html => html::render(result),
        }
    }

    /// Where a report of this format goes when the user names `path`: HTML takes a folder
    /// (anything not ending in `.html`/`.htm`) and puts `report.html` into it.
    pub fn resolve(self, path: &Path) -> PathBuf {
        let is_page = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("html" | "htm")
        );
        if self == Format::Html && (!is_page || path.is_dir()) {
            path.join(self.file_name())
        } else {
            path.to_path_buf()
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Markdown => "md",
            Format::Html => "html",
        })
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" => Ok(Format::Json),
            "junit" | "xml" => Ok(Format::Junit),
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            _ => Err(format!(
                "unknown report format `{s}`: use json, junit, md or html"
            )),
        }
    }
}

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
    std::fs::write(&path, format.render(result))?;
    Ok(path)
}

/// The reports of a run: `result.json` in `dir` always; then every `targets` entry, or, when
/// there are none, the other three formats in `dir` too. Returns what was written.
pub fn write_run(
    result: &RunResult,
    dir: &Path,
    targets: &[Target],
) -> std::io::Result<Vec<(Format, PathBuf)>> {
    let mut wanted = vec![(Format::Json, dir.join(Format::Json.file_name()))];
    if targets.is_empty() {
        wanted.extend(
            Format::ALL[1..]
                .iter()
                .map(|f| (*f, dir.join(f.file_name()))),
        );
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
            (t.format, t.path),
            (Format::Junit, PathBuf::from("out/j.xml"))
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
    fn html_goes_into_a_folder_unless_a_page_is_named() {
        let dir = Path::new("/nonexistent/out");
        assert_eq!(Format::Html.resolve(dir), dir.join("report.html"));
        let page = Path::new("/nonexistent/r.html");
        assert_eq!(Format::Html.resolve(page), page);
        assert_eq!(Format::Markdown.resolve(dir), dir);
    }
}
