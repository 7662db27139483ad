//! Errors in what the user gave us (scenario files, flags), with file, line, column and a hint.
//!
//! Every input error is reported before anything starts, and maps to exit code 2.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in an input file or argument, located as precisely as we can.
#[derive(Debug, Clone)]
pub struct InputError {
    pub file: PathBuf,
    /// 1-based line and column; `None` when the problem is the whole file or an argument.
    pub position: Option<(u64, u64)>,
    pub message: String,
    /// The offending source line(s) with a caret, when known.
    pub snippet: Option<String>,
    pub hint: Option<String>,
}

impl InputError {
    /// An error about a whole file (unreadable, empty folder, ...).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            position: None,
            message: message.into(),
            snippet: None,
            hint: None,
        }
    }

    /// An error at the first place `needle` occurs in `source` (after `after` bytes), for
    /// problems found once the YAML parsed (cross-field checks).
    pub fn at_text(file: &Path, source: &str, needle: &str, message: impl Into<String>) -> Self {
        let mut err = InputError::whole_file(file, message);
        if let Some(offset) = source.find(needle).filter(|_| !needle.is_empty()) {
            let line = source[..offset].matches('\n').count() + 1;
            let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
            let col = source[line_start..offset].chars().count() + 1;
            let text = source[line_start..].lines().next().unwrap_or("");
            err.position = Some((line as u64, col as u64));
            err.snippet = Some(caret_snippet(line, col, text));
        }
        err
    }

    /// Add a hint: what to do about it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

fn caret_snippet(line: usize, col: usize, text: &str) -> String {
    let gutter = line.to_string().len();
    format!(
        "{:gutter$} |\n{line} | {text}\n{:gutter$} | {:>col$}",
        "",
        "",
        "^",
        gutter = gutter,
        col = col
    )
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": error: {}", self.message)?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_errors_point_at_line_and_column() {
        let src = "a: 1\nb: {{upstream.x}}\n";
        let e = InputError::at_text(Path::new("s.yaml"), src, "{{upstream.x}}", "unknown")
            .with_hint("use one of ...");
        assert_eq!(e.position, Some((2, 4)));
        let shown = e.to_string();
        assert!(shown.starts_with("s.yaml:2:4: error: unknown"), "{shown}");
        assert!(shown.contains("2 | b: {{upstream.x}}"), "{shown}");
        assert!(shown.contains("hint: use one of"), "{shown}");
    }
}
