//! [`Node`]s back to nginx syntax: one directive per line, four spaces per block level,
//! arguments exactly as they were written (or built by [`Arg::new`](super::Arg::new)).

use super::{Location, Node};

/// The nodes as nginx.conf text.
pub fn write(nodes: &[Node]) -> String {
    write_mapped(nodes).0
}

/// The text, and for each output line (0-based) where the directive on it was written in the
/// source (`None` for comments; a closing brace maps to its block's directive): to map nginx's `nginx.conf:LINE` messages
/// about a rewritten config back to the user's files.
pub fn write_mapped(nodes: &[Node]) -> (String, Vec<Option<Location>>) {
    let mut out = String::new();
    let mut lines = Vec::new();
    write_level(nodes, 0, &mut out, &mut lines);
    (out, lines)
}

fn write_level(nodes: &[Node], depth: usize, out: &mut String, lines: &mut Vec<Option<Location>>) {
    let pad = "    ".repeat(depth);
    for node in nodes {
        lines.push(match node {
            Node::Directive(d) => Some(d.at.clone()),
            Node::Comment(_) => None,
        });
        match node {
            Node::Comment(text) => {
                out.push_str(&pad);
                out.push_str(text);
                out.push('\n');
            }
            Node::Directive(d) => {
                out.push_str(&pad);
                out.push_str(&quote_name(&d.name));
                for arg in &d.args {
                    out.push(' ');
                    out.push_str(&arg.raw);
                    // A quoted argument may span lines; they all belong to this directive.
                    let breaks = arg.raw.matches('\n').count();
                    lines.extend(std::iter::repeat_n(Some(d.at.clone()), breaks));
                }
                match &d.block {
                    None => out.push_str(";\n"),
                    Some(body) => {
                        out.push_str(" {\n");
                        write_level(body, depth + 1, out, lines);
                        // nginx reports merge errors at a block's closing brace.
                        lines.push(Some(d.at.clone()));
                        out.push_str(&pad);
                        out.push_str("}\n");
                    }
                }
            }
        }
    }
}

fn quote_name(name: &str) -> String {
    super::Arg::new(name).raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginxconf::parse;
    use std::path::Path;

    #[test]
    fn written_text_parses_back_to_the_same_text() {
        let src = "user www-data;\n# top\nhttp {\n  server { listen 80; location / { return 200 \"a b\"; } }\n}\n";
        let once = write(&parse(src, Path::new("a")).unwrap());
        assert!(
            once.contains("        location / {\n            return 200 \"a b\";\n"),
            "{once}"
        );
        let twice = write(&parse(&once, Path::new("a")).unwrap());
        assert_eq!(once, twice);
        let (text, lines) = write_mapped(&parse(src, Path::new("a")).unwrap());
        assert_eq!(text.lines().count(), lines.len());
        let ret = text.lines().position(|l| l.contains("return")).unwrap();
        assert_eq!(lines[ret].as_ref().map(|l| l.line), Some(4));
        let multi = "a \"x\ny\";\nb;\n";
        let (text, lines) = write_mapped(&parse(multi, Path::new("a")).unwrap());
        assert_eq!(text.lines().count(), lines.len(), "{text}");
        assert_eq!(lines[2].as_ref().map(|l| l.line), Some(3));
    }
}
