//! nginx.conf syntax to [`Node`]s: the tokens of [`lex`] (nginx's own tokenizer) grouped as
//! `ngx_conf_parse` does: words up to `;` make a directive, words up to `{` open a block that
//! the matching `}` closes. Errors use nginx's words (`unexpected "}"`, `unexpected end of file,
//! expecting "}"`) and point at the place to fix, with a hint.

mod lex;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use lex::MAX_TOKEN_BYTES;
use lex::{Lexer, Pos, Token};

use super::{Arg, Directive, Location, Node};
use crate::input_error::InputError;

/// A syntax error at `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}", file = file.display())]
pub struct ParseError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: String,
}

impl ParseError {
    /// The error as the harness reports bad input (file:line:col, the source line, a hint).
    pub fn to_input_error(&self, source: Option<&str>) -> InputError {
        let mut e = InputError::whole_file(&self.file, &self.message).with_hint(&self.hint);
        e.position = Some((self.line as u64, self.col as u64));
        if let Some(text) = source.and_then(|s| s.lines().nth(self.line - 1)) {
            let g = self.line.to_string().len();
            e.snippet = Some(format!(
                "{:g$} |\n{} | {text}\n{:g$} | {:>c$}",
                "",
                self.line,
                "",
                "^",
                c = self.col
            ));
        }
        e
    }
}

/// How deep blocks may nest: far beyond any real config, and far below what would exhaust the
/// stack of the parser and of the passes that walk the tree.
pub const MAX_NESTING: usize = 100;

/// Parse config text from `file` (used for positions only; nothing is read).
pub fn parse(source: &str, file: &Path) -> Result<Vec<Node>, ParseError> {
    let mut lexer = Lexer::new(source, file);
    parse_body(&mut lexer, None, 0)
}

/// A block being read: its directive's name and where its `{` is.
struct Open<'a> {
    name: &'a str,
    at: Pos,
}

/// Parse until the `}` closing `open` (or the end of input at top level).
fn parse_body(lx: &mut Lexer, open: Option<Open>, depth: usize) -> Result<Vec<Node>, ParseError> {
    let mut nodes = Vec::new();
    let mut words: Vec<(String, Pos)> = Vec::new();
    loop {
        let (token, at) = lx.next()?;
        match token {
            Token::Word(w) => words.push((w, at)),
            Token::Comment(text) => nodes.push(Node::Comment(text)),
            Token::Semi | Token::Open if words.is_empty() => {
                let what = if token == Token::Semi { ";" } else { "{" };
                return Err(lx.error(
                    at,
                    format!("unexpected \"{what}\""),
                    "remove it, or write the directive name before it",
                ));
            }
            Token::Semi => nodes.push(Node::Directive(directive(lx, &mut words, None))),
            Token::Open => {
                if depth >= MAX_NESTING {
                    return Err(lx.error(
                        at,
                        format!("blocks nested deeper than {MAX_NESTING}"),
                        "this cannot be a real config; check for a generated or corrupted file",
                    ));
                }
                let name = Arg {
                    raw: words[0].0.clone(),
                }
                .value();
                let inner = Open { name: &name, at };
                let body = parse_body(lx, Some(inner), depth + 1)?;
                nodes.push(Node::Directive(directive(lx, &mut words, Some(body))));
            }
            Token::Close | Token::End if !words.is_empty() => {
                return Err(unended(lx, &words[0], &token, at));
            }
            Token::Close => {
                if open.is_none() {
                    return Err(lx.error(
                        at,
                        "unexpected \"}\"".into(),
                        "remove it: it closes no block (an included file must balance its own braces)",
                    ));
                }
                return Ok(nodes);
            }
            Token::End => {
                if let Some(open) = open {
                    return Err(lx.error(
                        open.at,
                        format!(
                            "unexpected end of file, expecting \"}}\": the \"{}\" block opened \
                             here is never closed",
                            open.name
                        ),
                        "add the missing \"}\" (nginx reports this at the file's last line)",
                    ));
                }
                return Ok(nodes);
            }
        }
    }
}

/// A directive cut short by `}` or the end of the file: no `;`.
fn unended(lx: &Lexer, first: &(String, Pos), token: &Token, at: Pos) -> ParseError {
    let (word, start) = first;
    let hint = format!(
        "directive \"{word}\" at line {}, column {} has no ending \";\"; end every simple \
         directive with a semicolon",
        start.line, start.col
    );
    if *token == Token::Close {
        return lx.error(at, "unexpected \"}\"".into(), &hint);
    }
    lx.error(
        *start,
        format!("unexpected end of file, expecting \";\" or \"}}\": directive \"{word}\" has no ending \";\""),
        &hint,
    )
}

fn directive(lx: &Lexer, words: &mut Vec<(String, Pos)>, block: Option<Vec<Node>>) -> Directive {
    let mut it = std::mem::take(words).into_iter();
    let (name, at) = it.next().expect("caller checked that a name exists");
    Directive {
        name: Arg { raw: name }.value(),
        args: it.map(|(raw, _)| Arg { raw }).collect(),
        block,
        at: Location {
            file: lx.file.to_path_buf(),
            line: at.line,
            col: at.col,
        },
    }
}
