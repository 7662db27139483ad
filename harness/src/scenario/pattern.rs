//! Patterns that pick error.log lines (or `nginx -t` messages) out by substring or regex.
//!
//! A plain string matches as a substring, since nginx's messages are fixed text; a string that
//! starts with `re:` is a regular expression, for messages with variable parts.

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One log pattern from a scenario.
#[derive(Debug, Clone)]
pub enum LogPattern {
    Substring(String),
    Regex(Regex),
}

impl LogPattern {
    /// Does this line match?
    pub fn matches(&self, line: &str) -> bool {
        match self {
            LogPattern::Substring(s) => line.contains(s.as_str()),
            LogPattern::Regex(r) => r.is_match(line),
        }
    }

    /// Parse the YAML form: `re:` prefix for a regex, anything else a substring.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.strip_prefix("re:") {
            Some(expr) => Regex::new(expr.trim())
                .map(LogPattern::Regex)
                .map_err(|e| format!("bad regex in log pattern `{text}`: {e}")),
            None if text.is_empty() => Err("empty log pattern: it would match every line".into()),
            None => Ok(LogPattern::Substring(text.to_string())),
        }
    }
}

impl fmt::Display for LogPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogPattern::Substring(s) => write!(f, "{s}"),
            LogPattern::Regex(r) => write!(f, "re:{}", r.as_str()),
        }
    }
}

impl Serialize for LogPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LogPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LogPattern::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A non-empty string; `re:` starts a regular expression.
impl schemars::JsonSchema for LogPattern {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LogPattern".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A substring of the line, or a regular expression after a `re:` prefix.",
            "type": "string",
            "minLength": 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substrings_and_regexes_match_lines() {
        let line = "2026/11/26 [error] 7#7: *1 connect() failed (111: Connection refused) while";
        assert!(
            LogPattern::parse("connect() failed (111")
                .unwrap()
                .matches(line)
        );
        assert!(
            LogPattern::parse(r"re:connect\(\) failed \(\d+:")
                .unwrap()
                .matches(line)
        );
        assert!(!LogPattern::parse("timed out").unwrap().matches(line));
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(LogPattern::parse("re:(").unwrap_err().contains("bad regex"));
        assert!(LogPattern::parse("").unwrap_err().contains("empty"));
    }
}
