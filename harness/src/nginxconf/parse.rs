//! nginx.conf syntax to [`Node`]s, following nginx's own tokenizer (`ngx_conf_read_token`):
//! words separated by whitespace, `;` ends a directive, `{ }` a block, `#` starts a comment at
//! the start of a word, `"..."` and `'...'` quote with backslash escapes, `\` escapes in plain
//! words, and `${var}` keeps its braces inside a word.

use std::path::{Path, PathBuf};

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

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Semi,
    Open,
    Close,
    Comment(String),
}

/// How deep blocks may nest: far beyond any real config, and far below what would exhaust the
/// stack of the parser and of the passes that walk the tree.
pub const MAX_NESTING: usize = 100;

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
    file: &'a Path,
    /// Blocks open at the current token.
    depth: usize,
}

impl Lexer<'_> {
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn error(&self, line: usize, col: usize, message: String, hint: &str) -> ParseError {
        ParseError {
            file: self.file.to_path_buf(),
            line,
            col,
            message,
            hint: hint.to_string(),
        }
    }

    /// The next token and where it starts; `None` at end of input.
    fn next(&mut self) -> Result<Option<(Token, usize, usize)>, ParseError> {
        while self.chars.peek().is_some_and(|c| c.is_whitespace()) {
            self.bump();
        }
        let (line, col) = (self.line, self.col);
        let Some(&c) = self.chars.peek() else {
            return Ok(None);
        };
        let token = match c {
            ';' | '{' | '}' => {
                self.bump();
                match c {
                    ';' => Token::Semi,
                    '{' => Token::Open,
                    _ => Token::Close,
                }
            }
            '#' => {
                let mut text = String::new();
                while let Some(&c) = self.chars.peek().filter(|c| **c != '\n') {
                    text.push(c);
                    self.bump();
                }
                Token::Comment(text.trim_end().to_string())
            }
            '"' | '\'' => Token::Word(self.quoted(c, line, col)?),
            _ => Token::Word(self.plain()),
        };
        Ok(Some((token, line, col)))
    }

    fn quoted(&mut self, quote: char, line: usize, col: usize) -> Result<String, ParseError> {
        let mut raw = String::new();
        raw.push(quote);
        self.bump();
        loop {
            match self.bump() {
                None => {
                    return Err(self.error(
                        line,
                        col,
                        format!("unterminated {quote}-quoted string"),
                        "close the quote; a quote inside a quoted string is written \\\"",
                    ));
                }
                Some('\\') => {
                    raw.push('\\');
                    if let Some(n) = self.bump() {
                        raw.push(n);
                    }
                }
                Some(c) if c == quote => {
                    raw.push(c);
                    break;
                }
                Some(c) => raw.push(c),
            }
        }
        match self.chars.peek() {
            Some(&c) if !(c.is_whitespace() || matches!(c, ';' | '{' | '}')) => Err(self.error(
                self.line,
                self.col,
                format!("unexpected \"{c}\" right after a quoted string"),
                "separate arguments with a space",
            )),
            _ => Ok(raw),
        }
    }

    fn plain(&mut self) -> String {
        let mut raw = String::new();
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() || c == ';' || c == '}' || (c == '{' && !raw.ends_with('$')) {
                break;
            }
            raw.push(c);
            self.bump();
            if c == '\\' {
                if let Some(n) = self.bump() {
                    raw.push(n);
                }
            } else if c == '{' {
                // `${name}`: the braces belong to the variable.
                while let Some(n) = self.bump() {
                    raw.push(n);
                    if n == '}' {
                        break;
                    }
                }
            }
        }
        raw
    }
}

/// Parse config text from `file` (used for positions only; nothing is read).
pub fn parse(source: &str, file: &Path) -> Result<Vec<Node>, ParseError> {
    let mut lexer = Lexer {
        chars: source.chars().peekable(),
        line: 1,
        col: 1,
        file,
        depth: 0,
    };
    let nodes = parse_body(&mut lexer, None)?;
    Ok(nodes)
}

/// Parse until the closing `}` of a block opened at `open` (or the end of input at top level).
fn parse_body(lx: &mut Lexer, open: Option<(usize, usize)>) -> Result<Vec<Node>, ParseError> {
    let mut nodes = Vec::new();
    let mut words: Vec<(String, usize, usize)> = Vec::new();
    loop {
        let Some((token, line, col)) = lx.next()? else {
            if let Some((w, l, c)) = words.first() {
                return Err(lx.error(
                    *l,
                    *c,
                    format!("directive \"{w}\" has no ending \";\""),
                    "end every simple directive with a semicolon",
                ));
            }
            if let Some((l, c)) = open {
                return Err(lx.error(
                    l,
                    c,
                    "this \"{\" is never closed (unexpected end of file)".into(),
                    "add the missing \"}\"",
                ));
            }
            return Ok(nodes);
        };
        match token {
            Token::Word(w) => words.push((w, line, col)),
            Token::Comment(text) => nodes.push(Node::Comment(text)),
            Token::Semi | Token::Open if words.is_empty() => {
                let what = if token == Token::Semi { ";" } else { "{" };
                return Err(lx.error(
                    line,
                    col,
                    format!("unexpected \"{what}\" without a directive name"),
                    "remove it, or write the directive name before it",
                ));
            }
            Token::Semi => nodes.push(Node::Directive(directive(lx, &mut words, None))),
            Token::Open => {
                if lx.depth >= MAX_NESTING {
                    return Err(lx.error(
                        line,
                        col,
                        format!("blocks nested deeper than {MAX_NESTING}"),
                        "this cannot be a real config; check for a generated or corrupted file",
                    ));
                }
                lx.depth += 1;
                let body = parse_body(lx, Some((line, col)))?;
                lx.depth -= 1;
                nodes.push(Node::Directive(directive(lx, &mut words, Some(body))));
            }
            Token::Close => {
                if let Some((w, l, c)) = words.first() {
                    return Err(lx.error(
                        *l,
                        *c,
                        format!("directive \"{w}\" has no ending \";\""),
                        "end every simple directive with a semicolon",
                    ));
                }
                if open.is_none() {
                    return Err(lx.error(
                        line,
                        col,
                        "unexpected \"}\"".into(),
                        "remove it; it closes no block",
                    ));
                }
                return Ok(nodes);
            }
        }
    }
}

fn directive(
    lx: &Lexer,
    words: &mut Vec<(String, usize, usize)>,
    block: Option<Vec<Node>>,
) -> Directive {
    let mut it = std::mem::take(words).into_iter();
    let (name, line, col) = it.next().expect("caller checked that a name exists");
    Directive {
        name: Arg { raw: name }.value(),
        args: it.map(|(raw, _, _)| Arg { raw }).collect(),
        block,
        at: Location {
            file: lx.file.to_path_buf(),
            line,
            col,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Vec<Node>, ParseError> {
        parse(s, Path::new("t.conf"))
    }

    #[test]
    fn directives_blocks_quotes_and_comments() {
        let nodes = p("a 1 'x y';\n# c\nhttp { b \"q\\\"r\" ${v}z; }\n").unwrap();
        assert_eq!(nodes.len(), 3);
        let Node::Directive(a) = &nodes[0] else {
            panic!()
        };
        assert_eq!((a.name.as_str(), a.args.len()), ("a", 2));
        assert_eq!(a.arg(1).as_deref(), Some("x y"));
        assert!(matches!(&nodes[1], Node::Comment(c) if c == "# c"));
        let Node::Directive(http) = &nodes[2] else {
            panic!()
        };
        let b = http.children().next().unwrap();
        assert_eq!(b.arg(0).as_deref(), Some("q\"r"));
        assert_eq!(b.args[1].raw, "${v}z");
        assert_eq!((b.at.line, b.at.col), (3, 8));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "a {".repeat(10_000);
        let err = p(&deep).unwrap_err();
        assert!(err.message.contains("nested deeper than 100"), "{err}");
        assert_eq!((err.line, err.col), (1, 3 * MAX_NESTING + 3));
        let ok = format!("{}{}", "a {".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
        assert!(p(&ok).is_ok());
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = p("http {\n  listen 80\n}\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3), "{e}");
        assert!(e.message.contains("no ending"), "{e}");
        let e = p("http {\n  a;\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 6));
        let e = p("a;\n}\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 1));
        let e = p("a \"open;\n").unwrap_err();
        assert!(e.message.contains("unterminated"), "{e}");
        let e = p("a \"x\"y;").unwrap_err();
        assert!(e.message.contains("after a quoted"), "{e}");
        assert!(
            p("  ;")
                .unwrap_err()
                .message
                .contains("without a directive")
        );
    }
}
