//! The CI templates in `ci-templates/`: each validates against its published schema
//! (check-jsonschema's GitHub-workflow and GitLab-CI schemas, kubernetes-validate's Job), and
//! the GitHub workflow's own `run:` lines, run here for its three shards on one nginx and then
//! its merge line, give the verdicts and counts of one unsharded run with the same seed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{self, repo, text};

/// The quick scenarios the local run of the workflow uses (the whole catalogue three times
/// over would cost minutes; the shard function itself is tested on the whole catalogue).
const FILTER: &str = "--filter upstream-down --filter close-mid-body --filter upstream-crash \
                      --filter upstream-reset --filter big-headers";

fn template(name: &str) -> PathBuf {
    repo().join("ci-templates").join(name)
}

fn validators(test: &str) -> Option<(PathBuf, PathBuf)> {
    let install = "scripts/ensure-ci-validators";
    let schema = common::tool_or_skip("check-jsonschema", install, test)?;
    let k8s = common::tool_or_skip("kubernetes-validate", install, test)?;
    Some((schema, k8s))
}

#[test]
fn every_template_validates_against_its_published_schema() {
    let Some((schema, k8s)) = validators("every_template_validates") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (builtin, file) in [
        ("vendor.github-workflows", "github-actions.yml"),
        ("vendor.gitlab-ci", "gitlab-ci.yml"),
    ] {
        let check = |path: &Path| {
            Command::new(&schema)
                .args(["--builtin-schema", builtin])
                .arg(path)
                .output()
                .unwrap()
        };
        let out = check(&template(file));
        assert!(out.status.success(), "{file}: {}", text(&out));
        // The validator really judges: the same file with a misspelt top-level key fails.
        let broken = dir.path().join(file);
        let original = std::fs::read_to_string(template(file)).unwrap();
        std::fs::write(
            &broken,
            original
                .replacen("\nstages:", "\nstagez:", 1)
                .replacen("\njobs:", "\njobz:", 1),
        )
        .unwrap();
        assert!(
            !check(&broken).status.success(),
            "{file}: a broken copy passed"
        );
    }
    let out = Command::new(&k8s)
        .arg("--strict")
        .arg(template("k8s-indexed-job.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// The `run:` line of the workflow that calls `script`, with the matrix values put in.
fn workflow_line(script: &str, shard: u32, nginx: &str) -> String {
    let workflow = std::fs::read_to_string(template("github-actions.yml")).unwrap();
    let line = workflow
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("run: ")
                .filter(|r| r.contains(script))
        })
        .unwrap_or_else(|| panic!("the workflow runs {script}"));
    line.replace("${{ matrix.shard }}", &shard.to_string())
        .replace("${{ matrix.nginx }}", nginx)
}

/// Run a workflow line with bash in `dir`, as the runner would in the checkout.
fn run_line(line: &str, dir: &Path) -> std::process::Output {
    Command::new("bash")
        .args(["-c", line])
        .current_dir(dir)
        .env("BADGATEWAY", env!("CARGO_BIN_EXE_badgateway"))
        .env("BADGATEWAY_RUN_ARGS", FILTER)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

/// Scenario, nginx version, verdict and per-phase outcome counts: what must not change when a
/// suite is spread over shards and merged.
fn verdicts(r: &badgateway::result::RunResult) -> Vec<String> {
    let mut rows: Vec<String> = r
        .scenarios
        .iter()
        .map(|s| {
            let phases: Vec<String> = s
                .phases
                .iter()
                .map(|p| {
                    let counts = p.load.as_ref().map(|l| format!("{:?}", l.outcomes));
                    format!("{}={:?} {}", p.name, p.verdict, counts.unwrap_or_default())
                })
                .collect();
            format!(
                "{} {} {:?} [{}]",
                s.name,
                s.nginx_version,
                s.verdict,
                phases.join("; ")
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_github_workflow_lines_run_locally_and_merge_to_the_unsharded_verdicts() {
    let test = "the_github_workflow_lines_run_locally";
    if common::nginx_or_skip(test).is_none() {
        return;
    }
    let Some(nginx) = common::local_nginx_or_skip("1.22", test) else {
        return;
    };
    // A checkout as the runner sees it: the scripts, the scenarios and the nginx install.
    let work = tempfile::tempdir().unwrap();
    for entry in ["scripts", "scenarios", ".nginx-versions"] {
        std::os::unix::fs::symlink(repo().join(entry), work.path().join(entry)).unwrap();
    }
    for k in 1..=3 {
        let out = run_line(&workflow_line("scripts/ci-shard", k, "1.22"), work.path());
        assert_eq!(out.status.code(), Some(0), "shard {k}/3: {}", text(&out));
    }
    // The artifacts land under one folder per leg, as download-artifact lays them out.
    std::fs::create_dir(work.path().join("legs")).unwrap();
    std::fs::rename(work.path().join("out"), work.path().join("legs/leg-1.22")).unwrap();
    let merge = run_line(&workflow_line("scripts/ci-merge", 0, "1.22"), work.path());
    assert_eq!(merge.status.code(), Some(0), "merge: {}", text(&merge));
    for report in ["result.json", "junit.xml", "summary.md", "report.html"] {
        assert!(
            work.path().join("merged").join(report).is_file(),
            "{report}"
        );
    }
    let whole = work.path().join("whole");
    let mut args = vec![
        "run",
        "--seed",
        "1",
        "--quiet",
        "--nginx",
        nginx.to_str().unwrap(),
    ];
    args.extend(FILTER.split_whitespace());
    args.extend(["--out", whole.to_str().unwrap()]);
    let unsharded = common::run_cli(&args);
    assert_eq!(unsharded.status.code(), Some(0), "{}", text(&unsharded));
    let merged = badgateway::report::json::read(&work.path().join("merged/result.json")).unwrap();
    let merged = verdicts(&merged);
    // `--filter` matches by substring: big-headers brings php-fpm-big-headers along.
    assert_eq!(merged.len(), 6, "{merged:#?}");
    assert_eq!(merged, verdicts(&common::read_result(&whole)));
}

/// The container args of the Kubernetes Job, with Kubernetes' `$(JOB_COMPLETION_INDEX)` put in.
fn job_args(index: u32) -> Vec<String> {
    let job = std::fs::read_to_string(template("k8s-indexed-job.yaml")).unwrap();
    let args = job
        .split("          args:\n")
        .nth(1)
        .expect("the Job has args");
    args.lines()
        .map_while(|l| l.strip_prefix("            - "))
        .map(|a| {
            a.trim_matches('"')
                .replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
        })
        .collect()
}

#[test]
fn the_kubernetes_job_args_run_each_index_as_its_shard_and_merge() {
    let test = "the_kubernetes_job_args_run_each_index";
    let Some(nginx) = common::nginx_or_skip(test) else {
        return;
    };
    let results = tempfile::tempdir().unwrap();
    let mut merged = vec!["report".to_string(), "--merge".to_string()];
    for index in 0..3 {
        let mut args: Vec<String> = job_args(index)
            .into_iter()
            .map(|a| a.replace("/results", &results.path().display().to_string()))
            .collect();
        // What the image's own nginx and a quick part of the catalogue would be.
        args.extend(["--nginx".into(), nginx.path.display().to_string()]);
        args.extend(["--filter".into(), "upstream-".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::run_cli(&args);
        assert_eq!(out.status.code(), Some(0), "index {index}: {}", text(&out));
        let shard = results.path().join(format!("shard-{index}"));
        let run_dir = std::fs::read_dir(&shard)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        merged.push(run_dir.join("result.json").display().to_string());
    }
    merged.extend([
        "--out".into(),
        results.path().join("merged").display().to_string(),
    ]);
    let args: Vec<&str> = merged.iter().map(String::as_str).collect();
    let out = common::run_cli(&args);
    assert_eq!(out.status.code(), Some(0), "merge: {}", text(&out));
    let r = badgateway::report::json::read(&results.path().join("merged/result.json")).unwrap();
    let mut names: Vec<String> = r.scenarios.iter().map(|s| s.name.clone()).collect();
    names.sort();
    let mut expected: Vec<String> = std::fs::read_dir(common::scenarios_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_string))
        .filter(|n| n.contains("upstream-"))
        .collect();
    expected.sort();
    assert_eq!(
        names, expected,
        "every scenario once, in one of the three shards"
    );
}
