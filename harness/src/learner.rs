//! A learner's own fix for `badgateway verify`: the file they wrote, read as the scenario's
//! config fragments, and the phase it runs as (their config, the fixed phase's traffic and
//! expectations).
//!
//! `--fragment FILE` is the body of `location / { ... }`. `--config FILE` is what goes inside
//! nginx's `http { }`: http-level directives (an `upstream` block, `map`, ...), optionally one
//! `location / { ... }` block (its body is the location fragment), and optionally
//! `worker_processes N;` and `events { worker_connections N; }`, the skeleton's settings. What
//! the file leaves out stays as in the broken (first) phase. Upstream addresses are written as
//! in scenario files (`{{upstream.app.spare}}`) or as `explain` prints them
//! (`127.0.0.1:<app.spare>`), so a learner can copy `explain`'s config and edit it.

use std::path::{Path, PathBuf};

use crate::input_error::InputError;
use crate::nginxconf::{Node, parse, write};
use crate::scenario::{Addresses, ConfigChange, Fragments, NginxSettings, Phase, Scenario, expand};

/// Which file the learner gave, and how to read it.
#[derive(Debug, Clone)]
pub enum FixFile {
    /// http-level text with an optional `location / { }` block (`--config`).
    Config(PathBuf),
    /// The body of `location / { }` alone (`--fragment`).
    Fragment(PathBuf),
}

impl FixFile {
    pub fn path(&self) -> &Path {
        match self {
            FixFile::Config(p) | FixFile::Fragment(p) => p,
        }
    }
}

/// The learner's config: the fragments and nginx settings to run.
#[derive(Debug, Clone)]
pub struct Fix {
    pub fragments: Fragments,
    pub nginx: NginxSettings,
}

/// Read the learner's file for scenario `s`: unknown placeholders, syntax errors and a whole
/// nginx.conf are input errors at their line.
pub fn read(s: &Scenario, file: &FixFile) -> Result<Fix, InputError> {
    let path = file.path();
    let source = std::fs::read_to_string(path)
        .map_err(|e| InputError::whole_file(path, format!("cannot read your fix: {e}")))?;
    let broken = s.phases.first().expect("a scenario has a phase");
    let base = broken.config.apply(&s.config);
    let nginx = s.nginx_for(broken).clone();
    let addrs = s.symbolic_addresses();
    let symbolic = expand(&source, &addrs).map_err(|e| {
        InputError::at_text(path, &source, &e.text, e.message)
            .with_hint(format!("known placeholders: {}", addrs.known().join(", ")))
    })?;
    let nodes = parse(&symbolic, path).map_err(|e| e.to_input_error(Some(&source)))?;
    let back = |nodes: &[Node]| placeholders(&write(nodes), &addrs);
    match file {
        FixFile::Fragment(_) => Ok(Fix {
            fragments: Fragments {
                http: base.http,
                location: back(&nodes),
            },
            nginx,
        }),
        FixFile::Config(_) => split(path, &source, nodes, base, nginx, &back),
    }
}

/// The fragments of a `--config` file: `location /`'s body, the settings, the rest as http.
fn split(
    path: &Path,
    source: &str,
    nodes: Vec<Node>,
    base: Fragments,
    mut nginx: NginxSettings,
    back: &dyn Fn(&[Node]) -> String,
) -> Result<Fix, InputError> {
    // Positions of the parsed text: expanding placeholders changes no line numbers.
    let at = |d: &crate::nginxconf::Directive, message: String, hint: &str| {
        let e = crate::nginxconf::ParseError {
            file: path.to_path_buf(),
            line: d.at.line,
            col: d.at.col,
            message,
            hint: hint.to_string(),
        };
        e.to_input_error(Some(source))
    };
    let (mut http, mut location) = (Vec::new(), None);
    for node in nodes {
        let Node::Directive(d) = &node else {
            http.push(node);
            continue;
        };
        let number = |c: &crate::nginxconf::Directive| c.arg(0).and_then(|a| a.parse::<u32>().ok());
        match (d.name.as_str(), &d.block) {
            ("http" | "server", Some(_)) => {
                return Err(at(
                    d,
                    format!("`{} {{ }}` in a --config file", d.name),
                    "--config takes what goes inside nginx's http { }: directives such as \
                     `upstream app { ... }` and one `location / { ... }`; badgateway's \
                     skeleton has the http and server blocks (see README: verify)",
                ));
            }
            ("location", Some(body)) if d.arg(0).as_deref() == Some("/") && d.args.len() == 1 => {
                if location.replace(back(body)).is_some() {
                    let hint = "write the location / you want tested once";
                    return Err(at(d, "a second `location / { }` block".into(), hint));
                }
            }
            ("worker_processes", None) if number(d).is_some() => {
                nginx.worker_processes = number(d).expect("checked");
            }
            ("events", Some(_)) => {
                for c in d.children() {
                    match (c.name.as_str(), number(c)) {
                        ("worker_connections", Some(n)) => nginx.worker_connections = n,
                        _ => {
                            let hint = "badgateway's skeleton takes `events { worker_connections N; }` alone";
                            return Err(at(c, format!("`{}` in events", c.name), hint));
                        }
                    }
                }
            }
            _ => http.push(node),
        }
    }
    let http_text = back(&http);
    let has_directives = http.iter().any(|n| matches!(n, Node::Directive(_)));
    Ok(Fix {
        fragments: Fragments {
            http: if has_directives { http_text } else { base.http },
            location: location.unwrap_or(base.location),
        },
        nginx,
    })
}

/// `text` with every address of `addrs` written back as its placeholder
/// (`127.0.0.1:<app.spare>` → `{{upstream.app.spare}}`), longest address first.
fn placeholders(text: &str, addrs: &Addresses) -> String {
    let mut pairs: Vec<(String, String)> = (addrs.known().into_iter())
        .filter_map(|p| expand(&p, addrs).ok().map(|value| (value, p)))
        .collect();
    pairs.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    pairs
        .iter()
        .fold(text.to_string(), |t, (value, p)| t.replace(value, p))
}

/// The phase the learner's fix runs as: their config and settings, the traffic and
/// expectations of `fixed`.
pub fn phase(fix: &Fix, fixed: &Phase) -> Phase {
    Phase {
        name: "your-fix".into(),
        about: Some(format!("Your fix, checked against phase `{}`.", fixed.name)),
        config: ConfigChange {
            http: Some(fix.fragments.http.clone()),
            location: Some(fix.fragments.location.clone()),
            add_http: None,
            add_location: None,
        },
        nginx: Some(fix.nginx.clone()),
        traffic: fixed.traffic.clone(),
        nginx_versions: None,
        expect: fixed.expect.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream_down() -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/upstream-down.yaml");
        crate::scenario::load_file(&path).unwrap().scenario
    }

    fn read_text(file: fn(PathBuf) -> FixFile, text: &str) -> Result<Fix, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fix.conf");
        std::fs::write(&path, text).unwrap();
        read(&upstream_down(), &file(path))
    }

    #[test]
    fn a_config_in_explain_s_form_becomes_placeholders_and_keeps_the_location() {
        let fix = read_text(
            FixFile::Config,
            "upstream app {\n  server 127.0.0.1:<app.primary>;\n  server {{upstream.app.spare}} backup;\n}\n",
        )
        .unwrap();
        assert!(
            fix.fragments
                .http
                .contains("server {{upstream.app.primary}};")
        );
        assert!(
            fix.fragments
                .http
                .contains("server {{upstream.app.spare}} backup;")
        );
        assert_eq!(fix.fragments.location.trim(), "proxy_pass http://app;");
    }

    #[test]
    fn location_and_events_go_where_they_belong() {
        let text = "worker_processes 2;\nevents { worker_connections 64; }\n# note\nlocation / {\n    proxy_pass http://app;\n    proxy_next_upstream error;\n}\n";
        let fix = read_text(FixFile::Config, text).unwrap();
        assert_eq!(
            (fix.nginx.worker_processes, fix.nginx.worker_connections),
            (2, 64)
        );
        assert!(
            fix.fragments
                .location
                .contains("proxy_next_upstream error;")
        );
        assert!(
            fix.fragments
                .http
                .contains("server {{upstream.app.primary}};"),
            "kept the broken http"
        );
        let frag = read_text(FixFile::Fragment, "proxy_pass http://app;\n").unwrap();
        assert!(frag.fragments.http.contains("upstream app"));
    }

    #[test]
    fn bad_files_are_located_input_errors() {
        let e = read_text(
            FixFile::Config,
            "upstream app {\n  server {{upstream.app.nope}};\n}\n",
        )
        .unwrap_err();
        assert_eq!(e.position, Some((2, 10)), "{e}");
        let e = read_text(FixFile::Config, "upstream app {\n  server x;\n").unwrap_err();
        assert!(e.position.is_some(), "{e}");
        let e =
            read_text(FixFile::Config, "http {\n  upstream app { server x; }\n}\n").unwrap_err();
        assert!(
            e.to_string().contains("`http { }` in a --config file"),
            "{e}"
        );
        let e = read_text(FixFile::Config, "# tuned\nevents {\n    use epoll;\n}\n").unwrap_err();
        assert_eq!(e.position, Some((3, 5)), "{e}");
        let missing = read(
            &upstream_down(),
            &FixFile::Config("/nonexistent/fix.conf".into()),
        );
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("cannot read your fix")
        );
    }
}
