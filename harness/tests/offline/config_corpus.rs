//! The config corpora without nginx: every tricky config (checked by `nginx -t` in the
//! with_nginx suite) parses and round-trips, file by file and with its includes inlined; the
//! snippet is wrapped; and every malformed config is refused with its message at its
//! `file:line:col`, with a hint. Add a case by adding a file (or a folder with `nginx.conf`).

use crate::common::config_corpus::{expected, mains, malformed_dir, tricky_dir};
use crate::config_model::{round_trip, round_trip_nodes};

use std::path::{Path, PathBuf};

use badgateway::nginxconf::{Node, load, write};

/// Every file below `dir`, except dotfiles (the corpus keeps one nginx must never read).
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        } else if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_tricky_file_round_trips_alone_and_loaded() {
    let mut all = Vec::new();
    files(&tricky_dir(), &mut all);
    assert!(all.len() >= 15, "{} files", all.len());
    for path in &all {
        round_trip(
            &path.display().to_string(),
            &std::fs::read_to_string(path).unwrap(),
        );
    }
    let mains = mains(&tricky_dir());
    assert!(mains.len() >= 6, "{mains:?}");
    for main in mains {
        let config = load(&main).unwrap_or_else(|e| panic!("{e}"));
        assert!(!config.wrapped_snippet, "{}", main.display());
        round_trip_nodes(&main.display().to_string(), &config.nodes);
    }
}

#[test]
fn included_files_are_those_nginx_reads_in_its_order() {
    let config = load(&tricky_dir().join("includes/nginx.conf")).unwrap();
    let read: Vec<String> = config
        .nodes
        .iter()
        .flat_map(comments)
        .filter_map(|c| {
            c.strip_prefix("# badgateway: from include ")
                .map(String::from)
        })
        .map(|p| p.rsplit("includes/").next().unwrap().to_string())
        .collect();
    // The order `nginx -T` lists them in (nginx 1.22.1); dotfiles are skipped.
    assert_eq!(
        read,
        [
            "conf.d/10-site.conf",
            "snippets/proxy.inc",
            "snippets/headers.inc",
            "snippets/health.inc",
            "conf.d/Z-log.conf",
            "upstreams/app-1.inc",
            "upstreams/app-2.inc"
        ]
    );
}

fn comments(node: &Node) -> Vec<String> {
    match node {
        Node::Comment(c) => vec![c.clone()],
        Node::Directive(d) => d.block.iter().flatten().flat_map(comments).collect(),
    }
}

#[test]
fn the_sites_enabled_snippet_is_wrapped_and_reads_includes_beside_nginx_conf() {
    let config = load(&tricky_dir().join("snippet/sites-enabled/shop")).unwrap();
    assert!(config.wrapped_snippet);
    assert_eq!(config.prefix(), tricky_dir().join("snippet"));
    let text = write(&config.nodes);
    assert!(text.starts_with("events {\n}\nhttp {\n"), "{text}");
    assert!(text.contains("proxy_pass http://shop;"), "{text}");
    let notes = config.notes.join("\n");
    assert!(
        notes.contains("`log_format`, `map`, `upstream`, `server`"),
        "{notes}"
    );
}

#[test]
fn every_malformed_config_is_refused_at_its_place_with_a_hint() {
    let cases = mains(&malformed_dir());
    assert!(cases.len() >= 16, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for main in &cases {
        let want = expected(main);
        let shown = match load(main) {
            Ok(_) => "loaded without an error".to_string(),
            Err(e) if e.hint.is_none() => format!("no hint: {e}"),
            Err(e) => e.to_string(),
        };
        let at = format!("{}: error: ", want.at);
        if !shown.contains(&want.message) || !shown.contains(&at) {
            wrong.push(format!(
                "{}: want {at}{}\n  got {shown}",
                main.display(),
                want.message
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
