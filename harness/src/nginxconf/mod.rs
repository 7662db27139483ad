//! An editable model of nginx.conf: directives, blocks, arguments (quoted or not) and comments,
//! parsed from the user's files with every directive's `file:line:col`, and written back as
//! nginx syntax.
//!
//! `badgateway check` needs to take a complete, real config apart (find upstreams, locations,
//! listens), change a few directives and hand the rest to nginx exactly as written. The model is
//! deliberately small: arguments keep their source form (quotes and escapes), so writing a
//! parsed tree back yields the same directives nginx would read; layout (indentation, blank
//! lines, a comment's position on a line) is normalised. [`load`] also inlines `include`s and
//! wraps a `sites-enabled`-style snippet in `events {}` + `http {}` ([`Config::notes`] says so).

mod include;
mod parse;
mod snippet;
mod write;

use std::path::{Path, PathBuf};

pub use include::{MAX_BYTES, MAX_FILES, inline_includes, load};
pub use parse::{MAX_NESTING, MAX_TOKEN_BYTES, ParseError, parse};
pub use write::{write, write_mapped};

/// Where a directive was written, for error messages and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One entry of a config or block body.
#[derive(Debug, Clone)]
pub enum Node {
    Directive(Directive),
    /// A `# ...` comment, text including the `#`.
    Comment(String),
}

/// `name arg...;` or `name arg... { body }`.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub args: Vec<Arg>,
    /// `Some` for block directives (`http`, `server`, `location`, `upstream`, ...).
    pub block: Option<Vec<Node>>,
    pub at: Location,
}

/// One argument in its source form: `80`, `"a b"`, `'x'`, `$host$request_uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// Exactly as written, quotes and backslashes included.
    pub raw: String,
}

impl Arg {
    /// An argument for `value`, quoted when nginx would otherwise split or misread it.
    pub fn new(value: &str) -> Arg {
        let plain = !value.is_empty()
            && !value.chars().any(|c| {
                c.is_whitespace() || matches!(c, ';' | '{' | '}' | '"' | '\'' | '\\' | '#')
            });
        if plain {
            return Arg {
                raw: value.to_string(),
            };
        }
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        Arg {
            raw: format!("\"{escaped}\""),
        }
    }

    /// The value nginx sees: quotes removed; `\"`, `\'`, `\\` unescaped and `\t`, `\r`, `\n`
    /// turned into tab, CR, LF; any other backslash kept (as `ngx_conf_read_token` does).
    pub fn value(&self) -> String {
        let raw = self.raw.as_str();
        let inner = match raw.as_bytes().first() {
            Some(b'"' | b'\'') if raw.len() >= 2 => &raw[1..raw.len() - 1],
            _ => raw,
        };
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            let unescaped = match (c, chars.clone().next()) {
                ('\\', Some(n @ ('"' | '\'' | '\\'))) => Some(n),
                ('\\', Some('t')) => Some('\t'),
                ('\\', Some('r')) => Some('\r'),
                ('\\', Some('n')) => Some('\n'),
                _ => None,
            };
            match unescaped {
                Some(u) => {
                    out.push(u);
                    chars.next();
                }
                None => out.push(c),
            }
        }
        out
    }
}

impl Directive {
    /// A new simple directive (no block), placed at `at`.
    pub fn simple(name: &str, args: &[&str], at: &Location) -> Directive {
        Directive {
            name: name.to_string(),
            args: args.iter().map(|a| Arg::new(a)).collect(),
            block: None,
            at: at.clone(),
        }
    }

    /// The unquoted value of argument `i`.
    pub fn arg(&self, i: usize) -> Option<String> {
        self.args.get(i).map(Arg::value)
    }

    /// The block's directives (not comments), empty for simple directives.
    pub fn children(&self) -> impl Iterator<Item = &Directive> {
        self.block.iter().flatten().filter_map(|n| match n {
            Node::Directive(d) => Some(d),
            Node::Comment(_) => None,
        })
    }
}

/// A parsed config file (with its includes inlined, when loaded through [`load`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// The main file.
    pub file: PathBuf,
    /// The folder relative `include`s were resolved against (nginx's conf prefix).
    pub prefix: PathBuf,
    pub nodes: Vec<Node>,
    /// What reading the config did that the user should know (snippet wrapping, where
    /// includes were read from), one sentence each, for `check` to list.
    pub notes: Vec<String>,
    /// The file was a `sites-enabled`-style snippet, now wrapped in `events {}` and `http {}`.
    pub wrapped_snippet: bool,
}

impl Config {
    /// The top-level directives, without comments.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Directive(d) => Some(d),
            Node::Comment(_) => None,
        })
    }

    /// The folder relative `include`s and paths resolve against (nginx's conf prefix).
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_unquote_and_quote() {
        assert_eq!(
            Arg {
                raw: "\"a \\\"b\\\"\"".into()
            }
            .value(),
            "a \"b\""
        );
        assert_eq!(
            Arg {
                raw: "'x y'".into()
            }
            .value(),
            "x y"
        );
        assert_eq!(
            Arg {
                raw: "plain".into()
            }
            .value(),
            "plain"
        );
        assert_eq!(Arg::new("a b").raw, "\"a b\"");
        assert_eq!(Arg::new("").raw, "\"\"");
        assert_eq!(Arg::new("/x").raw, "/x");
        assert_eq!(Arg::new("a\"b").value(), "a\"b");
    }
}
