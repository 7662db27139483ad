//! Patterns that pick error.log lines (or `nginx -t` messages) out by substring or regex.
//!
//! A plain string matches as a substring, since nginx's messages are fixed text; a string that
//! starts with `re:` is a regular expression, for messages with variable parts. Either may
//! start with a level in brackets, `[alert] worker_connections are not enough`: then only lines
//! of that level match (nginx writes `[warn] ... worker_connections are not enough, reusing
//! connections` and `[alert] ... worker_connections are not enough` for different events).

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::errorlog::{LEVELS, split};

/// One log pattern from a scenario.
#[derive(Debug, Clone)]
pub struct LogPattern {
    /// The level a line must have (`alert`), when the pattern starts with `[alert] `.
    pub level: Option<&'static str>,
    pub text: Matcher,
}

/// How a pattern matches a line's text.
#[derive(Debug, Clone)]
pub enum Matcher {
    Substring(String),
    Regex(Regex),
}

impl LogPattern {
    /// Does this line match: its level (when the pattern names one) and its text?
    pub fn matches(&self, line: &str) -> bool {
        let level_ok = self.level.is_none_or(|want| match split(line) {
            Some(l) => l.level == want,
            // Not an error.log line (e.g. `nginx: [emerg] ...` of `nginx -t`).
            None => line.contains(&format!("[{want}]")),
        });
        level_ok
            && match &self.text {
                Matcher::Substring(s) => line.contains(s.as_str()),
                Matcher::Regex(r) => r.is_match(line),
            }
    }

    /// Parse the YAML form: an optional `[level] `, then `re:` for a regex or a substring.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (level, rest) = match level_prefix(text) {
            Some((level, rest)) => (Some(level), rest),
            None => (None, text),
        };
        let matcher = match rest.strip_prefix("re:") {
            Some(expr) => Regex::new(expr.trim())
                .map(Matcher::Regex)
                .map_err(|e| format!("bad regex in log pattern `{text}`: {e}"))?,
            None if rest.is_empty() => {
                return Err("empty log pattern: it would match every line".into());
            }
            None => Matcher::Substring(rest.to_string()),
        };
        Ok(LogPattern {
            level,
            text: matcher,
        })
    }
}

/// `[alert] rest` → (`alert`, `rest`) for one of nginx's levels.
fn level_prefix(text: &str) -> Option<(&'static str, &str)> {
    let inner = text.strip_prefix('[')?;
    let (level, rest) = inner.split_once("] ")?;
    let level = LEVELS.iter().find(|l| **l == level)?;
    Some((level, rest))
}

impl fmt::Display for LogPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(level) = self.level {
            write!(f, "[{level}] ")?;
        }
        match &self.text {
            Matcher::Substring(s) => write!(f, "{s}"),
            Matcher::Regex(r) => write!(f, "re:{}", r.as_str()),
        }
    }
}

/// Patterns compare by their text, so they can key a map (`log.count`).
impl PartialEq for LogPattern {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for LogPattern {}

impl PartialOrd for LogPattern {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LogPattern {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
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
            "description": "A substring of the line, or a regular expression after a `re:` prefix; either may start with a level, `[alert] `, that the line must have.",
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
    fn a_level_prefix_picks_lines_of_that_level() {
        let alert = "2026/11/26 10:00:01 [alert] 1#1: *9 4 worker_connections are not enough";
        let warn = "2026/11/26 10:00:01 [warn] 1#1: 4 worker_connections are not enough, reusing connections";
        let p = LogPattern::parse("[alert] worker_connections are not enough").unwrap();
        assert!(p.matches(alert) && !p.matches(warn));
        let p = LogPattern::parse("[warn] re:worker_connections .* reusing").unwrap();
        assert!(p.matches(warn) && !p.matches(alert));
        assert_eq!(p.to_string(), "[warn] re:worker_connections .* reusing");
        let t = LogPattern::parse("[emerg] unknown directive").unwrap();
        assert!(t.matches("nginx: [emerg] unknown directive \"x\" in /a:1"));
        // Not a level: the bracket is part of the text.
        let plain = LogPattern::parse("[nope] x").unwrap();
        assert!(plain.level.is_none() && plain.matches("a [nope] x b"));
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(LogPattern::parse("re:(").unwrap_err().contains("bad regex"));
        assert!(LogPattern::parse("").unwrap_err().contains("empty"));
    }
}
