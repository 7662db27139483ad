//! Reading a config from disk and inlining its `include`s, as nginx does: a relative path is
//! resolved against the conf prefix (the main file's folder), a glob may match nothing, a plain
//! path must exist. Every inlined file keeps its own `file:line:col` in its directives.

use std::path::{Path, PathBuf};

use super::{Config, Node, parse};
use crate::input_error::InputError;

/// How deep includes may nest before we call it a loop.
const MAX_DEPTH: usize = 16;

/// Read and parse `file`, inlining every `include` (recursively).
pub fn load(file: &Path) -> Result<Config, InputError> {
    let nodes = read_file(file)?;
    let prefix = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let nodes = inline_includes(nodes, &prefix)?;
    Ok(Config {
        file: file.to_path_buf(),
        nodes,
    })
}

fn read_file(file: &Path) -> Result<Vec<Node>, InputError> {
    let source = std::fs::read_to_string(file).map_err(|e| {
        InputError::whole_file(file, format!("cannot read: {e}"))
            .with_hint("pass the path of a readable nginx config file")
    })?;
    parse(&source, file).map_err(|e| e.to_input_error(Some(&source)))
}

/// [`read_file`] for an included file. One outside the main file's folder tree (an `include`
/// of `/etc/shadow`, say) may not be a config at all, so its errors name the path and the
/// position only, never a word or a line of what it holds.
fn read_included(file: &Path, prefix: &Path) -> Result<Vec<Node>, InputError> {
    let inside = match (file.canonicalize(), prefix.canonicalize()) {
        (Ok(f), Ok(p)) => f.starts_with(p),
        _ => false,
    };
    if inside {
        return read_file(file);
    }
    let source = std::fs::read_to_string(file).map_err(|e| {
        InputError::whole_file(file, format!("cannot read the included file: {e}"))
            .with_hint("check the include's path")
    })?;
    parse(&source, file).map_err(|e| {
        let mut err = InputError::whole_file(
            file,
            "the included file (outside the config's folder) is not nginx syntax; its \
             content is not shown",
        )
        .with_hint("check the include's path: it names a file that is not an nginx config");
        err.position = Some((e.line as u64, e.col as u64));
        err
    })
}

/// Replace every `include PATTERN;` in `nodes` (at any depth) by the files it names, in the
/// sorted order nginx reads them, each preceded by a comment naming it.
pub fn inline_includes(nodes: Vec<Node>, prefix: &Path) -> Result<Vec<Node>, InputError> {
    inline(nodes, prefix, 0)
}

fn inline(nodes: Vec<Node>, prefix: &Path, depth: usize) -> Result<Vec<Node>, InputError> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let Node::Directive(mut d) = node else {
            out.push(node);
            continue;
        };
        if d.name == "include" && d.block.is_none() {
            let Some(pattern) = d.arg(0).filter(|_| d.args.len() == 1) else {
                return Err(at(
                    &d.at,
                    "include takes exactly one path",
                    "include FILE_OR_GLOB;",
                ));
            };
            if depth >= MAX_DEPTH {
                return Err(at(
                    &d.at,
                    "includes nest too deep (a file including itself?)",
                    "break the include loop",
                ));
            }
            for file in expand(&pattern, prefix).map_err(|m| at(&d.at, &m, "fix the path"))? {
                out.push(Node::Comment(format!(
                    "# badgateway: from include {}",
                    file.display()
                )));
                out.extend(inline(read_included(&file, prefix)?, prefix, depth + 1)?);
            }
            continue;
        }
        if let Some(body) = d.block.take() {
            d.block = Some(inline(body, prefix, depth)?);
        }
        out.push(Node::Directive(d));
    }
    Ok(out)
}

/// The files an include pattern names, sorted.
fn expand(pattern: &str, prefix: &Path) -> Result<Vec<PathBuf>, String> {
    let full = if Path::new(pattern).is_absolute() {
        PathBuf::from(pattern)
    } else {
        prefix.join(pattern)
    };
    let text = full.display().to_string();
    if !text.contains(['*', '?', '[']) {
        return if full.is_file() {
            Ok(vec![full])
        } else {
            Err(format!("included file {text} does not exist"))
        };
    }
    let mut files: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| format!("bad include pattern {text}: {e}"))?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn at(loc: &super::Location, message: &str, hint: &str) -> InputError {
    let mut e = InputError::whole_file(&loc.file, message).with_hint(hint);
    e.position = Some((loc.line as u64, loc.col as u64));
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginxconf::write;

    #[test]
    fn includes_are_inlined_relative_to_the_prefix_with_globs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("conf.d")).unwrap();
        std::fs::write(dir.path().join("conf.d/b.conf"), "b 2;\n").unwrap();
        std::fs::write(dir.path().join("conf.d/a.conf"), "a 1;\n").unwrap();
        std::fs::write(dir.path().join("one.inc"), "one;\n").unwrap();
        let main = dir.path().join("nginx.conf");
        std::fs::write(
            &main,
            "http {\n include conf.d/*.conf;\n include one.inc;\n include none/*.x;\n}\n",
        )
        .unwrap();
        let text = write(&load(&main).unwrap().nodes);
        let a = text.find("a 1;").unwrap();
        assert!(
            a < text.find("b 2;").unwrap() && text.contains("one;"),
            "{text}"
        );
        std::fs::write(&main, "include missing.conf;\n").unwrap();
        let e = load(&main).unwrap_err();
        assert_eq!(e.position, Some((1, 1)));
        assert!(e.message.contains("does not exist"), "{e}");
    }

    #[test]
    fn an_include_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("nginx.conf");
        std::fs::write(&main, "include nginx.conf;\n").unwrap();
        assert!(load(&main).unwrap_err().message.contains("too deep"));
    }

    #[test]
    fn a_file_outside_the_config_tree_is_never_quoted() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("shadow");
        std::fs::write(&secret, "root:SECRET-HASH:19000:0:99999:7:::\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("nginx.conf");
        std::fs::write(&main, format!("include {};\n", secret.display())).unwrap();
        let e = load(&main).unwrap_err();
        let shown = e.to_string();
        assert!(
            !shown.contains("SECRET") && !shown.contains("root:"),
            "{shown}"
        );
        assert!(shown.contains("shadow") && e.position.is_some(), "{shown}");
        // Inside the tree, the offending line is quoted as usual.
        std::fs::write(dir.path().join("bad.conf"), "oops {\n").unwrap();
        std::fs::write(&main, "include bad.conf;\n").unwrap();
        assert!(load(&main).unwrap_err().to_string().contains("oops"));
    }
}
