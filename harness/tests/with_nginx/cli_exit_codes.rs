//! The CLI's contract: named exit codes, located input errors, expected vs actual on failure.

use crate::common;

use common::{run_cli, text, write};

/// A broken scenario file: (name, content, expected `file:line:col` suffix, words in the message).
const BAD: &[(&str, &str, &str, &str)] = &[
    ("syntax.yaml", "name: [unclosed\n", ":1:7:", "expected"),
    (
        "unknown-field.yaml",
        VALID_HEAD_WITH_TYPO,
        ":2:1:",
        "unknown field `titel`",
    ),
    (
        "unknown-fault.yaml",
        "name: x\ntitle: t\nstory: s\nguide_step: g\nupstreams:\n  app:\n    a:\n      kind: explode\n",
        ":8:7:",
        "unknown variant `explode`",
    ),
];

const VALID_HEAD_WITH_TYPO: &str = "name: x\ntitel: t\n";

fn scenario(location: &str, share: &str) -> String {
    format!(
        "name: bad\ntitle: t\nstory: s\nguide_step: g\nupstreams:\n  app:\n    a: {{ kind: healthy }}\n\
         config:\n  location: |\n    {location}\ntraffic:\n  requests: 2\nphases:\n  - name: baseline\n    \
         expect:\n      outcomes:\n        200: \"{share}\"\n"
    )
}

#[test]
fn malformed_scenarios_exit_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, String, String, String)> = BAD
        .iter()
        .map(|(n, c, p, m)| (n.to_string(), c.to_string(), p.to_string(), m.to_string()))
        .collect();
    cases.push((
        "placeholder.yaml".into(),
        scenario("proxy_pass http://{{upstream.ap}};", "100%"),
        ":10:23:".into(),
        "unknown placeholder {{upstream.ap}}".into(),
    ));
    cases.push((
        "share.yaml".into(),
        scenario("proxy_pass http://{{upstream.app.a}};", "most of them"),
        ":17:14:".into(),
        "bad share expression `most of them`".into(),
    ));
    cases.push((
        "proves.yaml".into(),
        scenario("proxy_pass http://{{upstream.app.a}};", "100%").replace(
            "guide_step: g\n",
            "guide_step: g\nproves: { fault: stall }\n",
        ),
        ":5:1:".into(),
        "the scenario proves stall, but no server plays it".into(),
    ));
    let ok = scenario("proxy_pass http://{{upstream.app.a}};", "100%");
    let variants: [(&str, &str, &str, &str, &str); 8] = [
        (
            "listen.yaml",
            "config:\n",
            "config:\n  http: |\n    server { listen 0.0.0.0:9999; return 200; }\n",
            ":10:14:",
            "`listen 0.0.0.0:9999` listens beyond loopback",
        ),
        (
            "slug.yaml",
            "name: bad\n",
            "name: ../evil\n",
            ":1:1:",
            "scenario name \"../evil\" is not a slug",
        ),
        (
            "server.yaml",
            "    a: {",
            "    a/b: {",
            ":7:5:",
            "server name \"a/b\" is not a slug",
        ),
        (
            "size.yaml",
            "  requests: 2\n",
            "  requests: 2\n  body_size: 100000m\n",
            ":13:14:",
            "above the limit of 64m",
        ),
        (
            "bigint.yaml",
            "  requests: 2\n",
            "  requests: 2\n  body_size: 9223372036854775808\n",
            ":13:14:",
            "above the limit of 64m",
        ),
        (
            "duration.yaml",
            "  requests: 2\n",
            "  requests: 2\n  timeout: 100000h\n",
            ":13:12:",
            "above the limit of 1h",
        ),
        (
            "status.yaml",
            "kind: healthy }",
            "kind: healthy, status: 999 }",
            ":7:5:",
            "invalid status 999",
        ),
        (
            "window.yaml",
            "      outcomes:\n",
            "      windows: [{ from: 2s, to: 1s, outcomes: { 200: 0 } }]\n      outcomes:\n",
            ":16:7:",
            "window 2s..1s ends before it starts",
        ),
    ];
    for (name, from, to, position, message) in variants {
        let content = ok.replacen(from, to, 1);
        assert_ne!(content, ok, "{name}: the variant changes the scenario");
        cases.push((name.into(), content, position.into(), message.into()));
    }
    for (name, content, position, message) in cases {
        let path = write(dir.path(), &name, &content);
        for command in ["run", "validate"] {
            let out = run_cli(
                &[command, &path, "--out", dir.path().to_str().unwrap()]
                    [..if command == "run" { 4 } else { 2 }],
            );
            let shown = text(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{name} ({command}) should exit 2:\n{shown}"
            );
            assert!(
                shown.contains(&format!("{path}{position}")),
                "{name}: position {position} in:\n{shown}"
            );
            assert!(shown.contains(&message), "{name}: `{message}` in:\n{shown}");
            assert!(shown.contains("hint:"), "{name}: a hint in:\n{shown}");
        }
    }
}

#[test]
fn bad_flags_exit_2() {
    let out = run_cli(&["run", "--jobs", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run_cli(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_missing_nginx_exits_3_and_says_how_to_install_it() {
    let out = run_cli(&[
        "run",
        common::scenarios_dir().to_str().unwrap(),
        "--nginx",
        "/nonexistent/nginx",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("/nonexistent/nginx"));
}

#[test]
fn a_wrong_expectation_exits_1_and_shows_expected_vs_actual() {
    if common::nginx_or_skip("a_wrong_expectation_exits_1_and_shows_expected_vs_actual").is_none() {
        return;
    }
    let original =
        std::fs::read_to_string(common::scenarios_dir().join("upstream-down.yaml")).unwrap();
    // Claim the dead upstream answers 200: real nginx says 502.
    let wrong = original.replacen("502: \"100%\"", "200: \"100%\"", 1);
    assert_ne!(
        wrong, original,
        "the bundled scenario expects 502 in its baseline"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "wrong.yaml", &wrong);
    let out = run_cli(&[
        "run",
        &path,
        "--quiet",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("FAIL upstream-down / baseline"), "{shown}");
    assert!(shown.contains("expected: 100%"), "{shown}");
    assert!(
        shown.contains("actual:   0/40 (0.0%); all: 502×40"),
        "{shown}"
    );
    let result = common::read_result(dir.path());
    assert_eq!(result.verdict, badgateway::result::Verdict::Fail);
}

#[test]
fn list_and_explain_describe_the_catalogue() {
    let dir = common::scenarios_dir();
    let out = run_cli(&["list", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("upstream-stall"));
    let out = run_cli(&["explain", "buffer-trap", "--in", dir.to_str().unwrap()]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Guide step:"), "{shown}");
    assert!(
        shown.contains("+proxy_buffers 4 16k;"),
        "the diff shows the fix:\n{shown}"
    );
    let out = run_cli(&["explain", "no-such", "--in", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn readme_catalogue_and_fault_table_match_the_sources() {
    let scenarios = badgateway::scenario::discover(&[common::scenarios_dir()]).unwrap();
    let generated = badgateway::catalogue::markdown(&scenarios);
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    use badgateway::{catalogue, fault_table};
    let embedded = catalogue::section(&readme, catalogue::BEGIN, catalogue::END)
        .expect("README has the catalogue markers");
    let stale = "is stale: run scripts/update-catalogue";
    assert_eq!(
        embedded.trim(),
        generated.trim(),
        "README.md's catalogue {stale}"
    );
    let embedded = catalogue::section(&readme, fault_table::BEGIN, fault_table::END)
        .expect("README has the fault table markers");
    let generated = fault_table::markdown();
    assert_eq!(
        embedded.trim(),
        generated.trim(),
        "README.md's fault table {stale}"
    );
}

/// Run `args` with stdout a pipe whose reader is already gone (`| head -0`).
fn with_closed_stdout(args: &[&str]) -> (std::process::Output, u32) {
    let mut child = common::badgateway()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let pid = child.id();
    (child.wait_with_output().unwrap(), pid)
}

#[test]
fn a_closed_stdout_is_not_a_panic_and_validate_still_cleans_up() {
    let (out, _) = with_closed_stdout(&["list", common::scenarios_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    if common::nginx_or_skip("a_closed_stdout_is_not_a_panic_and_validate_still_cleans_up")
        .is_none()
    {
        return;
    }
    let (out, pid) = with_closed_stdout(&["validate", common::scenarios_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    let scratch = std::env::temp_dir().join(format!("badgateway-validate-{pid}"));
    assert!(!scratch.exists(), "validate left {}", scratch.display());
}
