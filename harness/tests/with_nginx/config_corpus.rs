//! The config corpora against real nginx: every tricky config passes `nginx -t` as written and
//! as badgateway writes it back after loading (includes inlined, snippets wrapped), includes
//! are read in the order `nginx -T` lists them, and `check` refuses every malformed config
//! with exit 2, its place and a hint, before starting anything and leaving no temp folder.

use crate::common;
use crate::common::config_corpus::{expected, mains, malformed_dir, tricky_dir};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use badgateway::nginxconf::{Node, load, write};

/// `nginx -t` (or `-T`) with `prefix` for logs, on `conf`.
fn nginx(binary: &Path, flag: &str, prefix: &Path, conf: &Path) -> Output {
    Command::new(binary)
        .args(["-e", "stderr", flag, "-p"])
        .arg(format!("{}/", prefix.display()))
        .arg("-c")
        .arg(conf)
        .output()
        .expect("nginx runs")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// The files a loaded config inlined, in order, each once.
fn included(nodes: &[Node], out: &mut Vec<PathBuf>) {
    for n in nodes {
        match n {
            Node::Comment(c) => {
                if let Some(p) = c.strip_prefix("# badgateway: from include ") {
                    let p = PathBuf::from(p).canonicalize().unwrap();
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            Node::Directive(d) => included(d.block.as_deref().unwrap_or_default(), out),
        }
    }
}

/// The files `nginx -T` dumped after the main one, in order.
fn dumped(out: &Output) -> Vec<PathBuf> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("# configuration file "))
        .map(|l| {
            PathBuf::from(l.trim_end_matches(':'))
                .canonicalize()
                .unwrap()
        })
        .skip(1)
        .collect()
}

#[test]
fn every_tricky_config_passes_nginx_as_written_and_as_badgateway_writes_it() {
    let Some(bin) = common::nginx_or_skip("every_tricky_config_passes_nginx") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    copy_tree(&tricky_dir(), &corpus);
    std::fs::create_dir(tmp.path().join("logs")).unwrap();
    let mut configs = mains(&corpus);
    assert!(configs.len() >= 6, "{configs:?}");
    configs.push(corpus.join("snippet/sites-enabled/shop"));
    for (i, main) in configs.iter().enumerate() {
        let config = load(main).unwrap_or_else(|e| panic!("{e}"));
        let written = tmp.path().join(format!("written-{i}.conf"));
        std::fs::write(&written, write(&config.nodes)).unwrap();
        let mut runs = vec![("as badgateway writes it", written)];
        if !config.wrapped_snippet {
            runs.push(("as written", main.clone()));
            let dump = nginx(&bin.path, "-T", tmp.path(), main);
            let mut ours = Vec::new();
            included(&config.nodes, &mut ours);
            assert_eq!(ours, dumped(&dump), "{}: include order", main.display());
        }
        for (how, conf) in runs {
            let out = nginx(&bin.path, "-t", tmp.path(), &conf);
            assert!(
                out.status.success(),
                "nginx {} rejects {} {how}:\n{}",
                bin.version,
                main.display(),
                common::text(&out)
            );
        }
    }
}

#[test]
fn check_refuses_every_malformed_config_with_exit_2_and_leaves_nothing_behind() {
    if common::nginx_or_skip("check_refuses_every_malformed_config").is_none() {
        return;
    }
    let mut cases: Vec<(PathBuf, String, Option<String>)> = mains(&malformed_dir())
        .into_iter()
        .map(|m| {
            let want = expected(&m);
            (m, want.message, Some(want.at))
        })
        .collect();
    cases.push((malformed_dir(), "is a folder".into(), None));
    cases.push((
        malformed_dir().join("nope.conf"),
        "does not exist".into(),
        None,
    ));
    let mut wrong = Vec::new();
    for (config, message, at) in &cases {
        let tmp = tempfile::tempdir().unwrap();
        let out = common::badgateway()
            .env("TMPDIR", tmp.path())
            .args(["check", "--config"])
            .arg(config)
            .output()
            .unwrap();
        let shown = common::text(&out);
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        let problems: Vec<&str> = [
            (out.status.code() != Some(2), "exit is not 2"),
            (!shown.contains(message.as_str()), "message missing"),
            (
                at.as_ref()
                    .is_some_and(|a| !shown.contains(&format!("{a}: error"))),
                "no place",
            ),
            (!shown.contains("hint:"), "no hint"),
            (!left.is_empty(), "a temp folder is left"),
            (shown.contains("panicked"), "panicked"),
        ]
        .into_iter()
        .filter_map(|(bad, what)| bad.then_some(what))
        .collect();
        if !problems.is_empty() {
            wrong.push(format!(
                "{}: {}\n{shown}",
                config.display(),
                problems.join(", ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
