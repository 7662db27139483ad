//! Seeded decisions are reproducible through real nginx, and a scenario whose fault never
//! fired fails whatever its phases showed.

use crate::common;

use common::{read_result, run_cli, text, write};

/// One upstream server that resets half of its connections (by seed), behind nginx.
const FLAKY: &str = "name: flaky\ntitle: t\nstory: s\nguide_step: g\nupstreams:\n  app:\n    flaky: { kind: reset, probability: 0.5 }\n\
config:\n  location: |\n    proxy_pass http://{{upstream.app.flaky}};\n\
traffic:\n  requests: 30\n  concurrency: 1\nphases:\n  - name: baseline\n    expect:\n      outcomes:\n        502: \">= 1\"\n";

/// Outcome histogram and fault firings of the one phase of a `--seed` run.
fn run_with_seed(dir: &std::path::Path, seed: &str) -> (String, u64, u64) {
    let scenario = dir.join("flaky.yaml");
    let out = dir.join(format!("out-{seed}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let output = run_cli(&[
        "run",
        scenario.to_str().unwrap(),
        "--seed",
        seed,
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output)
    );
    let result = read_result(&out);
    assert_eq!(result.seed.to_string(), seed, "the run's seed is recorded");
    let s = &result.scenarios[0];
    let phase = &s.phases[0];
    let outcomes = format!("{:?}", phase.load.as_ref().unwrap().outcomes);
    (outcomes, phase.upstreams["app.flaky"].fired, s.seed)
}

#[test]
fn the_same_seed_gives_the_same_decisions_through_nginx() {
    if common::nginx_or_skip("the_same_seed_gives_the_same_decisions_through_nginx").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flaky.yaml", FLAKY);
    let first = run_with_seed(dir.path(), "42");
    let second = run_with_seed(dir.path(), "42");
    assert_eq!(
        first, second,
        "seed 42 twice: same outcomes, same firings, same derived seed"
    );
    assert!(
        first.1 > 0 && first.1 < 30,
        "probability 0.5 fired on some connections only: {first:?}"
    );
    let other = run_with_seed(dir.path(), "43");
    assert_ne!(
        other.2, first.2,
        "another run seed derives another scenario seed"
    );
}

#[test]
fn a_fault_that_never_fires_fails_the_scenario() {
    if common::nginx_or_skip("a_fault_that_never_fires_fails_the_scenario").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // `broken` is declared but the config never sends traffic to it.
    let scenario = FLAKY
        .replace(
            "    flaky: { kind: reset, probability: 0.5 }",
            "    flaky: { kind: healthy }\n    broken: { kind: close_before_response }",
        )
        .replace("502: \">= 1\"", "200: \"100%\"");
    let path = write(dir.path(), "unfired.yaml", &scenario);
    let out = dir.path().join("out");
    let output = run_cli(&["run", &path, "-q", "--out", out.to_str().unwrap()]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("fault of app.broken fired"), "{shown}");
    assert!(shown.contains("fault did not fire"), "{shown}");
    let result = read_result(&out);
    let phase = &result.scenarios[0].phases[0];
    assert_eq!(
        phase.verdict,
        badgateway::result::Verdict::Pass,
        "the phase itself passed"
    );
}
