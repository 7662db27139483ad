//! nginx's tokenizer, `ngx_conf_read_token` (`src/core/ngx_conf_file.c`), ported rule by rule.
//!
//! Whitespace is space, tab, CR and LF only. A word starting with `"` or `'` is quoted up to
//! the matching quote; after the closing quote nginx wants whitespace, `;`, `{` or `)` (the
//! `)` starts the next word, so `if ($m = 'GET')` is valid) and refuses anything else with
//! `unexpected "X"`. Any other word ends at whitespace, `;` or `{`, so `}`, quotes and `#`
//! inside it are plain characters; `{` right after `$` belongs to the word (`${var}`). A
//! backslash hides the next character from all of these rules, in and out of quotes. `#` at the
//! start of a word comments out the rest of the line. Each token, from its first byte to the
//! byte that ends it, must fit nginx's 4096-byte read buffer.

use std::path::Path;

use super::ParseError;

/// nginx's `NGX_CONF_BUFFER`: a token, from its first byte (after an opening quote) to the
/// byte that ends it, longer than this is refused ("too long parameter").
pub const MAX_TOKEN_BYTES: usize = 4096;

/// A place in the source: 1-based line and column (in characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    offset: usize,
}

#[derive(Debug, PartialEq)]
pub enum Token {
    /// An argument in its source form (quotes and backslashes kept).
    Word(String),
    Semi,
    Open,
    Close,
    /// `# ...` without the line end.
    Comment(String),
    End,
}

pub struct Lexer<'a> {
    src: &'a str,
    at: Pos,
    pub file: &'a Path,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str, file: &'a Path) -> Self {
        Lexer {
            src,
            at: Pos {
                line: 1,
                col: 1,
                offset: 0,
            },
            file,
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.at.offset..].chars().next()
    }

    fn bump(&mut self) {
        let Some(c) = self.peek() else { return };
        self.at.offset += c.len_utf8();
        if c == '\n' {
            self.at.line += 1;
            self.at.col = 1;
        } else {
            self.at.col += 1;
        }
    }

    pub fn error(&self, at: Pos, message: String, hint: &str) -> ParseError {
        ParseError {
            file: self.file.to_path_buf(),
            line: at.line,
            col: at.col,
            message,
            hint: hint.to_string(),
        }
    }

    /// The next token and where it starts.
    pub fn next(&mut self) -> Result<(Token, Pos), ParseError> {
        while self.peek().is_some_and(is_space) {
            self.bump();
        }
        let start = self.at;
        let Some(c) = self.peek() else {
            return Ok((Token::End, start));
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
            '#' => Token::Comment(self.comment(start)?),
            '"' | '\'' => Token::Word(self.quoted(c, start)?),
            _ => Token::Word(self.plain(start)?),
        };
        Ok((token, start))
    }

    /// Whether the next character still fits the read buffer of a token whose bytes start at
    /// `from`.
    fn fits(&self, from: usize) -> bool {
        let len = self.peek().map_or(0, char::len_utf8);
        self.at.offset + len - from <= MAX_TOKEN_BYTES
    }

    fn too_long(&self, start: Pos, from: usize, open_quote: Option<char>) -> ParseError {
        let hint = "nginx reads at most 4096 bytes per word, comment or quoted string; \
                    shorten it (or close the quote)";
        let message = match open_quote {
            Some(q) => {
                format!("too long parameter, probably missing terminating \"{q}\" character")
            }
            None => {
                let head: String = self.src[from..].chars().take(10).collect();
                format!("too long parameter \"{head}...\" started")
            }
        };
        self.error(start, message, hint)
    }

    fn comment(&mut self, start: Pos) -> Result<String, ParseError> {
        while let Some(c) = self.peek() {
            if !self.fits(start.offset) {
                return Err(self.too_long(start, start.offset, None));
            }
            if c == '\n' {
                break;
            }
            self.bump();
        }
        Ok(self.src[start.offset..self.at.offset]
            .trim_end()
            .to_string())
    }

    fn quoted(&mut self, quote: char, start: Pos) -> Result<String, ParseError> {
        self.bump();
        let from = self.at.offset;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error(
                    start,
                    format!(
                        "unexpected end of file, expecting \";\" or \"}}\": the {quote}-quoted \
                         string opened here is unterminated"
                    ),
                    "close the quote; a quote inside a quoted string is written \\\"",
                ));
            };
            if !self.fits(from) {
                return Err(self.too_long(start, from, Some(quote)));
            }
            self.bump();
            if c == quote {
                break;
            }
            if c == '\\' && self.peek().is_some() {
                if !self.fits(from) {
                    return Err(self.too_long(start, from, Some(quote)));
                }
                self.bump();
            }
        }
        let word = self.src[start.offset..self.at.offset].to_string();
        let Some(c) = self.peek() else {
            return Ok(word);
        };
        if !(is_space(c) || matches!(c, ';' | '{' | ')')) {
            return Err(self.error(
                self.at,
                format!("unexpected \"{c}\""),
                "after a closing quote nginx wants a space, \";\", \"{\" or \")\"; \
                 put the whole argument inside the quotes",
            ));
        }
        if !self.fits(from) {
            return Err(self.too_long(start, from, None));
        }
        Ok(word)
    }

    fn plain(&mut self, start: Pos) -> Result<String, ParseError> {
        while let Some(c) = self.peek() {
            if !self.fits(start.offset) {
                return Err(self.too_long(start, start.offset, None));
            }
            if is_space(c) || c == ';' || c == '{' {
                break;
            }
            self.bump();
            let next_fits = |lx: &Self| lx.peek().is_some() && lx.fits(start.offset);
            if c == '\\' && next_fits(self) {
                self.bump();
            } else if c == '$' {
                // `${name}`: a `{` right after `$` belongs to the word.
                while self.peek() == Some('{') && next_fits(self) {
                    self.bump();
                }
            }
        }
        Ok(self.src[start.offset..self.at.offset].to_string())
    }
}
