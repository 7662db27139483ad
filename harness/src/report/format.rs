//! The report formats, as one table. A row says everything about a format: its `--report`
//! name, the file a run gives it, whether every run writes it without `--report`, whether it
//! takes a folder, and its renderers (a run's result; `check`'s and `compare`'s reports where
//! it has them). A new format is its renderer file plus one row of [`FORMATS`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{check_junit, check_md, html, json, junit, markdown};
use crate::confcheck::{CheckReport, Comparison};
use crate::result::RunResult;

/// Everything about one report format.
#[derive(Debug)]
pub struct Spec {
    /// The name in `--report NAME=PATH` and in messages.
    pub name: &'static str,
    /// Other names `--report` accepts.
    pub aliases: &'static [&'static str],
    /// The file a run gives it inside its run folder.
    pub file_name: &'static str,
    /// What a run prints before the file's path.
    pub label: &'static str,
    /// Whether a run writes it when no `--report` is given (`result.json` is always written).
    pub by_default: bool,
    /// Whether `--report` takes a folder (unless a file with an `.html`/`.htm` name is given).
    pub takes_folder: bool,
    pub run: fn(&RunResult) -> String,
    pub check: Option<fn(&CheckReport) -> String>,
    pub compare: Option<fn(&Comparison) -> String>,
}

/// Every format, in the order a run writes them; the first is the complete result.
pub static FORMATS: [Spec; 4] = [
    Spec {
        name: "json",
        aliases: &[],
        file_name: "result.json",
        label: "result",
        by_default: true,
        takes_folder: false,
        run: json::render,
        check: Some(json::render_value::<CheckReport>),
        compare: Some(json::render_value::<Comparison>),
    },
    Spec {
        name: "junit",
        aliases: &["xml"],
        file_name: "junit.xml",
        label: "junit",
        by_default: true,
        takes_folder: false,
        run: junit::render,
        check: Some(check_junit::render_check),
        compare: Some(check_junit::render_compare),
    },
    Spec {
        name: "md",
        aliases: &["markdown"],
        file_name: "summary.md",
        label: "summary",
        by_default: true,
        takes_folder: false,
        run: markdown::render,
        check: Some(check_md::render_check),
        compare: Some(check_md::render_compare),
    },
    Spec {
        name: "html",
        aliases: &[],
        file_name: "report.html",
        label: "html",
        by_default: true,
        takes_folder: true,
        run: html::render,
        check: None,
        compare: None,
    },
];

/// A report format: a row of [`FORMATS`].
#[derive(Debug, Clone, Copy)]
pub struct Format(&'static Spec);

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for Format {}

impl Format {
    /// The complete result, `result.json`, which every run writes.
    pub const RESULT: Format = Format(&FORMATS[0]);

    /// Every format, in table order.
    pub fn all() -> impl Iterator<Item = Format> {
        FORMATS.iter().map(Format)
    }

    /// The format's row.
    pub fn spec(self) -> &'static Spec {
        self.0
    }

    /// The file name a run gives this format inside its run folder.
    pub fn file_name(self) -> &'static str {
        self.0.file_name
    }

    /// What a run prints before the file's path: `result`, `junit`, `summary`, `html`.
    pub fn label(self) -> &'static str {
        self.0.label
    }

    /// The report of a run as text.
    pub fn render(self, result: &RunResult) -> String {
        (self.0.run)(result)
    }

    /// Where a report of this format goes when the user names `path`: a format that takes a
    /// folder puts its file into it unless `path` is an existing folder-less `.html` page.
    pub fn resolve(self, path: &Path) -> PathBuf {
        let is_page = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("html" | "htm")
        );
        if self.0.takes_folder && (!is_page || path.is_dir()) {
            path.join(self.file_name())
        } else {
            path.to_path_buf()
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let named = |spec: &&Spec| spec.name == s || spec.aliases.contains(&s);
        FORMATS.iter().find(named).map(Format).ok_or_else(|| {
            let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
            format!("unknown report format `{s}`: use {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse_and_every_format_has_its_own_file() {
        for f in Format::all() {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
            for alias in f.spec().aliases {
                assert_eq!(alias.parse::<Format>(), Ok(f));
            }
        }
        let files: std::collections::BTreeSet<&str> =
            Format::all().map(|f| f.file_name()).collect();
        assert_eq!(files.len(), FORMATS.len());
        assert_eq!(Format::RESULT.file_name(), "result.json");
        assert!(
            "pdf"
                .parse::<Format>()
                .unwrap_err()
                .contains("json, junit, md, html")
        );
    }

    #[test]
    fn html_goes_into_a_folder_unless_a_page_is_named() {
        let html: Format = "html".parse().unwrap();
        let md: Format = "md".parse().unwrap();
        let dir = Path::new("/nonexistent/out");
        assert_eq!(html.resolve(dir), dir.join("report.html"));
        let page = Path::new("/nonexistent/r.html");
        assert_eq!(html.resolve(page), page);
        assert_eq!(md.resolve(dir), dir);
    }
}
