//! Reading a [`Fault`] or a [`ServerSpec`] from YAML with an error that points at a line and
//! column.
//!
//! serde buffers internally tagged enums before picking the variant, so serde-saphyr cannot
//! tell where inside the mapping an error (an unknown field, a bad size) happened. When it
//! does not know, we look for the text the error quotes (`bogus`, `"12kb"`) in the document
//! and point at its first occurrence; failing that, at the start of the document.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::faults::Fault;
use crate::spec::ServerSpec;

/// A fault file that could not be read as a [`Fault`] or [`ServerSpec`], with a 1-based
/// position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line of the problem (best effort, see the module docs).
    pub line: u64,
    /// 1-based column of the problem.
    pub column: u64,
    /// What is wrong, as the parser said it.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

/// Parse one YAML mapping (`kind: stall`, `delay: 5s`, ...) as a [`Fault`].
pub fn fault_from_str(text: &str) -> Result<Fault, YamlError> {
    from_str(text)
}

/// Parse one YAML mapping as a [`ServerSpec`]: a fault plus `probability`, `limit`,
/// `schedule`, `listen` (a bare fault is a spec too).
pub fn spec_from_str(text: &str) -> Result<ServerSpec, YamlError> {
    from_str(text)
}

fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str(text).map_err(|err| {
        let message = err.to_string();
        let (line, column) = err
            .location()
            .map(|loc| (loc.line(), loc.column()))
            .or_else(|| guess_location(text, &message))
            .unwrap_or((1, 1));
        YamlError {
            line,
            column,
            message,
        }
    })
}

/// Where the first token quoted in `message` (between backquotes or double quotes) occurs
/// in `text`, preferring an occurrence as a mapping key.
fn guess_location(text: &str, message: &str) -> Option<(u64, u64)> {
    quoted_tokens(message).find_map(|token| {
        let as_key = format!("{token}:");
        find_in_lines(text, |line| {
            line.trim_start()
                .starts_with(&as_key)
                .then(|| line.find(&as_key).unwrap_or(0))
        })
        .or_else(|| find_in_lines(text, |line| line.find(token)))
    })
}

fn quoted_tokens(message: &str) -> impl Iterator<Item = &str> {
    ['`', '"'].into_iter().flat_map(move |quote| {
        message
            .split(quote)
            .skip(1)
            .step_by(2)
            .filter(|token| !token.trim().is_empty())
    })
}

fn find_in_lines(text: &str, find: impl Fn(&str) -> Option<usize>) -> Option<(u64, u64)> {
    text.lines().enumerate().find_map(|(index, line)| {
        let column = find(line)?;
        Some((index as u64 + 1, column as u64 + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_an_unknown_field() {
        let err = fault_from_str("kind: stall\ndelay: 1s\n  \nbogus: 3\n").unwrap_err();
        assert_eq!((err.line, err.column), (4, 1), "{err}");
        assert!(err.message.contains("bogus"));
    }

    #[test]
    fn points_at_a_bad_value() {
        let err = fault_from_str("kind: big_headers\nsize:   12kb\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 9), "{err}");
    }

    #[test]
    fn points_at_an_unknown_kind() {
        let err = fault_from_str("# comment\nkind: explode\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn points_at_a_typo_next_to_generic_settings() {
        let err = spec_from_str("kind: healthy\nprobability: 0.5\nbody_sise: 1k\n").unwrap_err();
        assert_eq!((err.line, err.column), (3, 1), "{err}");
    }

    #[test]
    fn parses_a_good_file() {
        let fault = fault_from_str("kind: stall\ndelay: 5s\n").unwrap();
        assert_eq!(fault.kind(), "stall");
    }
}
