//! `verify`'s bad input, refused before any nginx is looked for: a whole nginx.conf, an
//! unknown placeholder, an unknown phase or scenario all exit 2 with the file and line (for
//! the learner's file) and a hint.

use crate::common;

use common::{run_cli, text, write};

fn verify(args: &[&str]) -> (Option<i32>, String) {
    let scenarios = common::scenarios_dir().display().to_string();
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.extend(["--in", scenarios.as_str()]);
    let out = run_cli(&all);
    (out.status.code(), text(&out))
}

#[test]
fn bad_learner_input_exits_2_at_its_line_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let whole = write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp {\n    upstream app { server 127.0.0.1:1; }\n}\n",
    );
    let (code, shown) = verify(&["upstream-down", "--config", &whole]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains(&format!(
            "{whole}:2:1: error: `http {{ }}` in a --config file"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("hint: --config takes what goes inside"),
        "{shown}"
    );

    let typo = write(
        dir.path(),
        "typo.conf",
        "upstream app {\n    server {{upstream.app.spar}};\n}\n",
    );
    let (code, shown) = verify(&["upstream-down", "--config", &typo]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains(&format!("{typo}:2:12: error: unknown placeholder")),
        "{shown}"
    );
    assert!(
        shown.contains("{{upstream.app.spare}}"),
        "the hint lists the known ones: {shown}"
    );

    let unclosed = write(
        dir.path(),
        "unclosed.conf",
        "location / {\n    proxy_pass http://app;\n",
    );
    let (code, shown) = verify(&["upstream-down", "--config", &unclosed]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains(&format!("{unclosed}:")), "{shown}");

    let (code, shown) = verify(&["upstream-down", "--config", &typo, "--phase", "later"]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains("has no phase `later`") && shown.contains("baseline, fix"),
        "{shown}"
    );

    let (code, shown) = verify(&["no-such-scenario", "--fragment", &typo]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains("no scenario named `no-such-scenario`"),
        "{shown}"
    );
}
