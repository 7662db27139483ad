//! Every bundled scenario, end to end against real nginx: each phase must show what the
//! scenario says real nginx does.

use crate::common;

use std::path::Path;

use badgateway::nginx::NginxBinary;
use badgateway::result::Verdict;
use badgateway::runner::{RunOptions, run};
use badgateway::scenario::discover;
use tokio_util::sync::CancellationToken;

/// Two scenarios at a time, quiet, into `out`, each scenario `repeat` times.
fn options(nginx: NginxBinary, out: &Path, repeat: u32) -> RunOptions {
    RunOptions {
        nginx: vec![nginx.into()],
        jobs: 2,
        seed: 7,
        keep: false,
        out_dir: out.join("run"),
        run_id: "e2e".into(),
        progress: None,
        repeat,
        retry_inconclusive: true,
        shard: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bundled_scenario_passes_against_real_nginx() {
    let Some(nginx) = common::nginx_or_skip("every_bundled_scenario_passes_against_real_nginx")
    else {
        return;
    };
    let scenarios = discover(&[common::scenarios_dir()]).expect("bundled scenarios parse");
    assert!(
        scenarios.len() >= 20,
        "the catalogue bundles at least twenty scenarios"
    );
    let out = tempfile::tempdir().unwrap();
    // Twice each: CI's share of the "stable over repeats" promise (`run --repeat 10` locally).
    let count = scenarios.len();
    let opts = options(nginx, out.path(), 2);
    let result = run(scenarios, opts, CancellationToken::new()).await;
    assert_eq!(
        result.scenarios.len(),
        count * 2,
        "every scenario ran twice"
    );
    let summary = badgateway::report::terminal::render(&result);
    for s in &result.scenarios {
        // Inconclusive (failed twice while the driver was starved of CPU) is the harness saying
        // it could not tell, on a machine too busy: not a failure of the scenario.
        if s.verdict == Verdict::Inconclusive {
            eprintln!(
                "{} (attempt {}) inconclusive twice on a busy machine",
                s.name, s.attempt
            );
            continue;
        }
        assert_eq!(
            s.verdict,
            Verdict::Pass,
            "{} (attempt {}) failed:\n{summary}",
            s.name,
            s.attempt
        );
        for p in &s.phases {
            assert!(
                !p.checks.is_empty(),
                "{} / {} checked nothing",
                s.name,
                p.name
            );
            assert!(
                p.run_dir.join("nginx.conf").is_file(),
                "rendered config kept"
            );
            assert!(p.run_dir.join("error.log").is_file() || p.config_rejected.is_some());
            assert!(
                !p.run_dir.join("tmp").exists(),
                "temp dirs removed without --keep"
            );
        }
    }
    assert_eq!(
        result.nginx.version.split('.').count(),
        3,
        "nginx version recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baselines_really_fail_and_fixes_really_succeed() {
    let Some(nginx) = common::nginx_or_skip("baselines_really_fail_and_fixes_really_succeed")
    else {
        return;
    };
    let mut scenarios = discover(&[common::scenarios_dir()]).unwrap();
    scenarios.retain(|s| ["upstream-down", "upstream-stall"].contains(&s.scenario.name.as_str()));
    let out = tempfile::tempdir().unwrap();
    let result = run(
        scenarios,
        options(nginx, out.path(), 1),
        CancellationToken::new(),
    )
    .await;
    for s in &result.scenarios {
        let baseline = s.phases.first().unwrap().load.as_ref().unwrap();
        let fix = s.phases.last().unwrap().load.as_ref().unwrap();
        assert_eq!(
            baseline.successes(),
            0,
            "{}: the broken config serves no 200s",
            s.name
        );
        assert_eq!(
            fix.successes(),
            fix.total,
            "{}: the fix serves only 200s",
            s.name
        );
        assert_eq!(
            fix.integrity.verified, fix.total,
            "{}: every body verified",
            s.name
        );
    }
    let stall = result
        .scenarios
        .iter()
        .find(|s| s.name == "upstream-stall")
        .unwrap();
    let baseline = stall.phases[0].load.as_ref().unwrap();
    assert_eq!(
        baseline.count(badgateway::outcome::Outcome::Status(504)),
        baseline.total,
        "a stall is a 504"
    );
}
