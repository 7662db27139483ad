//! The malformed-input corpus (`tests/fixtures/malformed/`): each file is a broken scenario
//! whose first line says what the error must say (`# expect: TEXT`). `validate` must refuse
//! every one with exit 2, `file:line:col`, that text and a hint, and never panic or crash.
//! Add a case by adding a file.

use crate::common;

use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let dir = common::repo().join("harness/tests/fixtures/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// `FILE:LINE:COL:` somewhere in `shown`.
fn has_position(shown: &str, file: &str) -> bool {
    shown.match_indices(file).any(|(i, _)| {
        let rest = &shown[i + file.len()..];
        let mut parts = rest.splitn(4, ':');
        parts.next() == Some("")
            && parts
                .next()
                .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[test]
fn every_malformed_scenario_is_exit_2_with_its_position_message_and_hint() {
    let files = corpus();
    assert!(files.len() >= 60, "the corpus has {} cases", files.len());
    let mut wrong = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
        let file = path.display().to_string();
        let out = common::run_cli(&["validate", &file]);
        let shown = common::text(&out);
        let problems: Vec<&str> = [
            (out.status.code() != Some(2), "exit is not 2"),
            (!has_position(&shown, &file), "no file:line:col"),
            (!shown.contains(expect), "message missing"),
            (!shown.contains("hint:"), "no hint"),
            (shown.contains("panicked"), "panicked"),
        ]
        .into_iter()
        .filter_map(|(bad, what)| bad.then_some(what))
        .collect();
        if !problems.is_empty() {
            wrong.push(format!("{file}: {}\n{shown}", problems.join(", ")));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
}
