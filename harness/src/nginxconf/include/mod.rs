//! Reading a config from disk and inlining its `include`s as nginx does (`ngx_conf_include`):
//! a relative path is resolved against the conf prefix (the main file's folder, as
//! `ngx_conf_full_name` does with `-c FILE`), at any depth and inside any block; a path with
//! `*`, `?` or `[` is a glob ([`glob`]: sorted, dotfiles skipped, may match nothing); a plain
//! path must exist. Each included file must balance its own braces, as in nginx, and keeps its
//! own `file:line:col` in its directives. An include loop, binary files and more than
//! [`MAX_FILES`] files or [`MAX_BYTES`] bytes are refused ([`source`]).

mod glob;
mod source;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use source::{MAX_BYTES, MAX_FILES};

use super::{Config, Directive, Location, Node, parse, snippet};
use crate::input_error::InputError;

/// How deep includes may nest (a chain of files each including the next).
const MAX_DEPTH: usize = 16;

/// Read and parse `file`, inlining every `include` (recursively); a `sites-enabled`-style
/// snippet is wrapped in `events {}` and `http {}` (see [`snippet`]).
pub fn load(file: &Path) -> Result<Config, InputError> {
    let mut budget = source::Budget::default();
    let text = source::read(file, &mut budget)?;
    let nodes = parse(&text, file).map_err(|e| e.to_input_error(Some(&text)))?;
    let (prefix, notes) = snippet::conf_prefix(file, &nodes);
    let mut loader = Loader {
        prefix: prefix.clone(),
        budget,
        stack: vec![canonical(file)],
    };
    let nodes = loader.inline(nodes, 0)?;
    let mut config = Config {
        file: file.to_path_buf(),
        prefix,
        nodes,
        notes,
        wrapped_snippet: false,
    };
    snippet::wrap(&mut config);
    Ok(config)
}

/// Replace every `include PATTERN;` in `nodes` (at any depth) by the files it names, in the
/// order nginx reads them, each preceded by a comment naming it.
pub fn inline_includes(nodes: Vec<Node>, prefix: &Path) -> Result<Vec<Node>, InputError> {
    let mut loader = Loader {
        prefix: prefix.to_path_buf(),
        budget: source::Budget::default(),
        stack: Vec::new(),
    };
    loader.inline(nodes, 0)
}

/// One load's state: where relative paths start, what was read, which files are open.
struct Loader {
    prefix: PathBuf,
    budget: source::Budget,
    /// The files being inlined, outermost first (canonical paths), to catch loops.
    stack: Vec<PathBuf>,
}

impl Loader {
    fn inline(&mut self, nodes: Vec<Node>, depth: usize) -> Result<Vec<Node>, InputError> {
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            let Node::Directive(mut d) = node else {
                out.push(node);
                continue;
            };
            if d.name == "include" && d.block.is_none() {
                for file in self.files_of(&d)? {
                    out.push(Node::Comment(format!(
                        "# badgateway: from include {}",
                        file.display()
                    )));
                    out.extend(self.included(&file, &d.at, depth)?);
                }
                continue;
            }
            if let Some(body) = d.block.take() {
                d.block = Some(self.inline(body, depth)?);
            }
            out.push(Node::Directive(d));
        }
        Ok(out)
    }

    /// The files `include` names, in nginx's order.
    fn files_of(&self, d: &Directive) -> Result<Vec<PathBuf>, InputError> {
        let Some(pattern) = d.arg(0).filter(|_| d.args.len() == 1) else {
            return Err(at(
                &d.at,
                "invalid number of arguments in \"include\" directive",
                "include takes exactly one path or glob: include conf.d/*.conf;",
            ));
        };
        let full = self.prefix.join(&pattern);
        if glob::is_glob(&full) {
            return glob::expand(&full).map_err(|m| at(&d.at, &m, "narrow the pattern"));
        }
        if !full.exists() {
            return Err(at(
                &d.at,
                &format!(
                    "open() \"{}\" failed (No such file or directory)",
                    full.display()
                ),
                &format!(
                    "a relative include is read from {} (the main config's folder), as nginx \
                     does; a glob (conf.d/*.conf) may match nothing, a plain path must exist",
                    self.prefix.display()
                ),
            ));
        }
        Ok(vec![full])
    }

    /// The nodes of one included `file`, its own includes inlined.
    fn included(
        &mut self,
        file: &Path,
        from: &Location,
        depth: usize,
    ) -> Result<Vec<Node>, InputError> {
        let key = canonical(file);
        if let Some(first) = self.stack.iter().position(|f| *f == key) {
            let chain: Vec<String> = self.stack[first..]
                .iter()
                .chain([&key])
                .map(|f| f.display().to_string())
                .collect();
            return Err(at(
                from,
                &format!("include loop: {}", chain.join(" includes ")),
                "remove the include that leads back to a file already being read",
            ));
        }
        if depth >= MAX_DEPTH {
            return Err(at(
                from,
                &format!("includes nest deeper than {MAX_DEPTH} files"),
                "flatten the chain of includes",
            ));
        }
        let nodes = self.read_included(file, from)?;
        self.stack.push(key);
        let nodes = self.inline(nodes, depth + 1);
        self.stack.pop();
        nodes
    }

    /// Read and parse an included file. One outside the conf prefix's tree (an `include` of
    /// `/etc/shadow`, say) may not be a config at all, so its errors name the path and the
    /// position only, never a word or a line of what it holds.
    fn read_included(&mut self, file: &Path, from: &Location) -> Result<Vec<Node>, InputError> {
        let included_here = format!("included at {from}");
        let text = source::read(file, &mut self.budget).map_err(|mut e| {
            if e.position.is_none() {
                e = at(from, &format!("{}: {}", file.display(), e.message), "")
                    .with_hint(e.hint.unwrap_or_default());
            } else {
                let hint = e.hint.take().unwrap_or_default();
                e = e.with_hint(format!("{hint} ({included_here})"));
            }
            e
        })?;
        let inside = match (file.canonicalize(), self.prefix.canonicalize()) {
            (Ok(f), Ok(p)) => f.starts_with(p),
            _ => false,
        };
        parse(&text, file).map_err(|e| {
            if inside {
                return e.to_input_error(Some(&text));
            }
            let mut err = InputError::whole_file(
                file,
                "the included file (outside the config's folder) is not nginx syntax; its \
                 content is not shown",
            )
            .with_hint(format!(
                "check the include's path ({included_here}): it names a file that is not an \
                 nginx config"
            ));
            err.position = Some((e.line as u64, e.col as u64));
            err
        })
    }
}

fn canonical(file: &Path) -> PathBuf {
    file.canonicalize().unwrap_or_else(|_| file.to_path_buf())
}

fn at(loc: &Location, message: &str, hint: &str) -> InputError {
    let mut e = InputError::whole_file(&loc.file, message).with_hint(hint);
    e.position = Some((loc.line as u64, loc.col as u64));
    e
}
