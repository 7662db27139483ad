//! The trainer and learner commands against real nginx: `verify` says OK to a correct fix and
//! NO (the checks that differed, the hint asked for, exit 1) to a wrong one, refuses a config
//! `nginx -t` rejects with exit 4; `handout` writes a page with its sections and a linked SVG.

use crate::common;

use common::{run_cli, text, write};

#[test]
fn verify_says_ok_to_a_correct_fix_and_no_with_checks_and_hint_to_a_wrong_one() {
    if common::nginx_or_skip("verify").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenarios = common::scenarios_dir().display().to_string();
    let verify = |flag: &str, file: &str, more: &[&str]| {
        let mut args = vec!["verify", "upstream-down", flag, file, "--in", &scenarios];
        args.extend_from_slice(more);
        run_cli(&args)
    };
    // Addresses as `explain` prints them, the way a learner copies them.
    let good = write(
        dir.path(),
        "good.conf",
        "upstream app {\n    server 127.0.0.1:<app.primary>;\n    server 127.0.0.1:<app.spare> backup;\n}\n",
    );
    let out = verify("--config", &good, &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("OK  verify upstream-down"), "{shown}");
    assert!(shown.contains("200×40"), "{shown}");

    // max_fails on the only server gives nginx nowhere else to go: still 502s.
    let wrong = write(
        dir.path(),
        "wrong.conf",
        "upstream app {\n    server {{upstream.app.primary}} max_fails=3;\n}\n",
    );
    let out = verify("--config", &wrong, &["--hint", "2"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("NO  verify upstream-down"), "{shown}");
    assert!(
        shown.contains("✗ outcome 200: expected 100%, got 0/40"),
        "{shown}"
    );
    assert!(
        shown.contains("✗ upstream app.spare requests: expected 40, got 0"),
        "{shown}"
    );
    assert!(shown.contains("Hint 2/4 — The error.log line"), "{shown}");
    assert!(shown.contains("--hint 3"), "{shown}");
    assert!(!shown.contains("OK  verify"), "{shown}");

    let rejected = write(
        dir.path(),
        "rejected.conf",
        "proxy_pass http://app;\nproxy_bogus on;\n",
    );
    let out = verify("--fragment", &rejected, &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(4), "{shown}");
    assert!(
        shown.contains("unknown directive \"proxy_bogus\""),
        "{shown}"
    );
    assert!(
        shown.contains("the line it refused: proxy_bogus on;"),
        "{shown}"
    );

    let out = verify("--config", "/nonexistent/fix.conf", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn handout_writes_a_page_with_story_symptom_hints_fix_and_a_linked_timeline_svg() {
    if common::nginx_or_skip("handout").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("course");
    let scenarios = common::scenarios_dir().display().to_string();
    let out = run_cli(&[
        "handout",
        "upstream-down",
        "--out",
        &out_dir.display().to_string(),
        "--in",
        &scenarios,
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let page = std::fs::read_to_string(out_dir.join("upstream-down.md")).unwrap();
    for section in [
        "# The only upstream is down",
        "## The story",
        "## The symptom",
        "## Hints",
        "## The fix",
        "## Timeline",
        "## Check your own fix",
    ] {
        assert!(page.contains(section), "no `{section}` in:\n{page}");
    }
    assert!(page.contains("clients got: 502×40"), "{page}");
    assert!(
        page.contains("connect() failed (111: Connection refused)"),
        "{page}"
    );
    assert!(
        page.contains("+    server 127.0.0.1:<app.spare> backup;"),
        "{page}"
    );
    assert!(
        page.contains("<summary>Hint 4: The fix</summary>"),
        "{page}"
    );
    let link = page
        .split("](")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the page links an image");
    let svg = std::fs::read_to_string(out_dir.join(link)).expect("the linked SVG exists");
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
    // Bars of both phases: the baseline's 502s (red) and the fix's 200s (green).
    assert!(svg.contains("502×"), "no 502 bar");
    assert!(svg.contains("200×"), "no 200 bar");
    assert!(svg.matches("<rect").count() >= 3, "{svg}");
}
