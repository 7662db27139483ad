//! The report files of a real run against real nginx: result.json matches the committed
//! schema, junit.xml parses with one testcase per phase, `badgateway report` renders every
//! format again from result.json, and report.html renders in headless Chromium (a
//! screenshot is kept under `target/test-artifacts/`). Needs nginx and Chromium: under
//! `CI=true` a missing one fails the test, elsewhere the test is skipped with the reason.

use crate::common;
use common::{chromium, chromium_or_skip};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quick_junit::{Report, TestCaseStatus};
use serde_json::Value;

/// The run folder of one quick `badgateway run` (upstream-down) shared by these tests, or
/// `None` when nginx is missing outside CI.
fn run_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        common::nginx_or_skip("reports_e2e")?;
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("reports-e2e-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let scenarios = common::scenarios_dir().display().to_string();
        let out = root.display().to_string();
        let args = [
            "run",
            "-q",
            "--out",
            &out,
            "--filter",
            "upstream-down",
            &scenarios,
        ];
        let output = common::run_cli(&args);
        assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
        let text = common::text(&output);
        assert!(
            !text.contains('\x1b'),
            "no colour codes into a pipe:\n{text}"
        );
        let dir = std::fs::read_dir(&root)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        for file in ["result.json", "junit.xml", "summary.md", "report.html"] {
            let path = dir.join(file);
            assert!(path.is_file(), "{file} written");
            assert!(
                text.contains(&path.display().to_string()),
                "path printed:\n{text}"
            );
        }
        Some(dir)
    })
    .as_deref()
}

#[test]
fn result_json_of_a_real_run_matches_the_schema() {
    let Some(dir) = run_dir() else { return };
    let schema: Value = serde_json::from_str(&badgateway::schema::result()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let text = std::fs::read_to_string(dir.join("result.json")).unwrap();
    let result: Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&result)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(
        result["scenarios"][0]["phases"][1]["config"]
            .as_str()
            .is_some_and(|c| c.contains("backup"))
    );
}

/// What the polished reports rest on, from a real run: which servers each phase's config
/// names, a chart timeline fitted to the phase, and nginx's start/stop notices kept in the raw
/// error.log but left out of the HTML's error.log table.
#[test]
fn a_real_run_records_used_servers_and_the_html_leaves_out_nginx_notices() {
    let Some(dir) = run_dir() else { return };
    let text = std::fs::read_to_string(dir.join("result.json")).unwrap();
    let result: Value = serde_json::from_str(&text).unwrap();
    let phases = &result["scenarios"][0]["phases"];
    assert_eq!(
        phases[0]["servers_used"],
        serde_json::json!(["app.primary"])
    );
    assert_eq!(
        phases[1]["servers_used"],
        serde_json::json!(["app.primary", "app.spare"])
    );
    let load = &phases[0]["load"];
    assert!(load["fitted_bucket_ms"].as_u64().is_some_and(|w| w >= 1));
    assert!(
        load["fitted_timeline"]
            .as_array()
            .is_some_and(|b| !b.is_empty()),
        "{load}"
    );
    let raw = std::fs::read_to_string(dir.join("upstream-down/baseline/error.log")).unwrap();
    assert!(raw.contains("using the \"epoll\" event method"), "{raw}");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let baseline = &page[page.find("id=\"s-upstream-down-1-baseline\"").unwrap()..];
    let baseline = &baseline[..baseline.find("</article>").unwrap()];
    assert!(
        !baseline.contains("app.spare"),
        "the baseline does not name the spare"
    );
    assert!(baseline.contains("start/stop notices of nginx not shown"));
    for notice in ["epoll", "start worker process", "gracefully shutting down"] {
        assert!(!page.contains(notice), "{notice} left out of the page");
    }
}

#[test]
fn junit_of_a_real_run_has_one_passing_case_per_phase() {
    // Also: valid against the Jenkins xUnit schema, and a suite name without the run id.
    let Some(dir) = run_dir() else { return };
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    common::assert_valid_junit("junit_of_a_real_run", &dir.join("junit.xml"));
    let report = Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    let suite = &report.test_suites[0];
    assert_eq!(
        suite.name.as_str(),
        format!("badgateway nginx {}", suite_version(suite))
    );
    let cases: Vec<(String, String)> = suite
        .test_cases
        .iter()
        .map(|c| {
            let class = c
                .classname
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default();
            (class, c.name.to_string())
        })
        .collect();
    // `refuse` cannot count, so upstream-down has no scenario-wide "fault fired" check.
    let want = ["baseline", "fix"].map(|n| ("upstream-down".into(), n.into()));
    assert_eq!(cases, want);
    assert_eq!((suite.failures, suite.errors), (0, 0));
    assert!(
        suite
            .test_cases
            .iter()
            .all(|c| matches!(c.status, TestCaseStatus::Success { .. }))
    );
}

#[test]
fn report_command_renders_every_format_again_from_result_json() {
    let Some(dir) = run_dir() else { return };
    let result = dir.join("result.json").display().to_string();
    for (format, file) in [
        ("junit", "junit.xml"),
        ("md", "summary.md"),
        ("json", "result.json"),
    ] {
        let out = common::run_cli(&["report", &result, "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
        let saved = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), saved, "{format}");
    }
    let page_dir = dir.join("again");
    let out = common::run_cli(
        &["report", &result, "--format", "html", "--out"]
            .into_iter()
            .chain([page_dir.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    let again = std::fs::read_to_string(page_dir.join("report.html")).unwrap();
    assert_eq!(
        again,
        std::fs::read_to_string(dir.join("report.html")).unwrap()
    );
}

#[test]
fn report_command_rejects_a_file_that_is_not_a_result() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = common::write(tmp.path(), "bad.json", "{\"run_id\": 3}");
    let out = common::run_cli(&["report", &bad, "--format", "html"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));
    assert!(common::text(&out).contains("not a badgateway result"));
    let missing = tmp.path().join("missing.json").display().to_string();
    let out = common::run_cli(&["report", &missing, "--format", "md"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(dir) = run_dir() else { return };
    let Some(browser) = chromium_or_skip("html_report_renders_in_headless_chromium") else {
        return;
    };
    let page = std::fs::canonicalize(dir.join("report.html")).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let page = format!("file://{}", page.display());
    let (dom, log) = chromium(&browser, profile.path(), &["--dump-dom"], &page);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    assert_eq!(
        dom.matches("<svg class=\"timeline\"").count(),
        2,
        "a chart per phase"
    );
    assert!(dom.contains("<rect"), "bars drawn");
    assert!(
        dom.contains("<div class=\"compare\">"),
        "baseline and fix side by side"
    );
    assert!(
        dom.contains("href=\"#s-upstream-down-1\""),
        "the index links the scenario"
    );
    assert!(
        dom.contains("<span class=\"verdict pass\">PASS</span>"),
        "verdicts shown"
    );
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let arg = format!("--screenshot={}", shot.display());
    chromium(
        &browser,
        profile.path(),
        &[&arg, "--window-size=1400,3000"],
        &page,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    eprintln!("screenshot: {}", shot.display());
}

/// The `nginx` property of a JUnit suite.
fn suite_version(suite: &quick_junit::TestSuite) -> String {
    (suite.properties.iter())
        .find(|p| p.name.as_str() == "nginx")
        .map(|p| p.value.as_str().to_string())
        .expect("an nginx property")
}
