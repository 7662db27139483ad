//! The suite in 3 shards and merged gives the same scenario × nginx verdicts and counts as one
//! unsharded run with the same seed, and the merged result.json and JUnit validate.
//!
//! To keep the cost bounded this runs the seven quick scenarios six `--filter`s pick (each
//! under a second; no-live-upstreams' 9 s and the 30 s timeouts stay out) twice, not the whole
//! catalogue: that the shards of the whole catalogue are each scenario exactly once is checked
//! without nginx (`offline/shards.rs`), and each scenario's verdict stands alone. Both sides run
//! with `--retry-inconclusive`, so a CPU-starved moment on a shared machine does not make the
//! two differ.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use badgateway::result::{RunResult, Verdict};

use crate::common::{self, run_cli, text};

const QUICK: [&str; 6] = [
    "upstream-down",
    "garbage-response",
    "invalid-header",
    "big-headers",
    "client-body-too-large",
    "health-check-syntax",
];

/// `badgateway run` of the quick scenarios with seed 11 into `out`, plus `extra`.
fn run(out: &Path, extra: &[&str]) -> RunResult {
    let scenarios = common::scenarios_dir().display().to_string();
    let out_arg = out.display().to_string();
    let mut args = vec![
        "run",
        scenarios.as_str(),
        "--seed",
        "11",
        "-q",
        "-j",
        "auto",
        "--retry-inconclusive",
    ];
    for f in QUICK {
        args.extend(["--filter", f]);
    }
    args.extend(["--out", out_arg.as_str()]);
    args.extend(extra);
    let got = run_cli(&args);
    assert!(
        matches!(got.status.code(), Some(0) | Some(5)),
        "{args:?}: {}",
        text(&got)
    );
    common::read_result(out)
}

/// Verdicts per (scenario, nginx version), over its attempts.
type PerScenario = BTreeMap<(String, String), Vec<Verdict>>;

/// Each scenario × nginx version's verdicts (over its attempts), and the count per verdict.
fn verdicts(r: &RunResult) -> (PerScenario, Vec<usize>) {
    let mut each = PerScenario::new();
    for s in &r.scenarios {
        let key = (s.name.clone(), s.nginx_version.clone());
        each.entry(key).or_default().push(s.verdict);
    }
    (each, Verdict::ALL.map(|v| r.count(v)).to_vec())
}

#[test]
fn three_shards_merged_equal_one_unsharded_run() {
    if common::nginx_or_skip("three_shards_merged_equal_one_unsharded_run").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let whole = run(&dir.path().join("whole"), &[]);
    let mut files: Vec<PathBuf> = Vec::new();
    for k in 1..=3 {
        let out = dir.path().join(format!("shard-{k}"));
        let part = run(&out, &["--shard", &format!("{k}/3")]);
        assert_eq!(part.shard.map(|s| (s.index, s.total)), Some((k, 3)));
        files.push(part.out_dir.join("result.json"));
    }
    let merged_dir = dir.path().join("merged");
    let mut args = vec!["report".to_string(), "--merge".to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.extend(["--out".to_string(), merged_dir.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let got = run_cli(&args);
    assert_eq!(
        got.status.code(),
        Some(
            badgateway::exit::Exit::from_verdict(whole.verdict)
                .code()
                .into()
        ),
        "{}",
        text(&got)
    );
    common::assert_valid_result(&merged_dir.join("result.json"));
    common::assert_valid_junit("three_shards_merged", &merged_dir.join("junit.xml"));
    let merged = badgateway::report::json::read(&merged_dir.join("result.json")).unwrap();
    assert!(
        whole.scenarios.len() >= QUICK.len(),
        "{:?}",
        verdicts(&whole)
    );
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(merged.verdict, whole.verdict);
    assert_eq!(merged.seed, 11);
    assert_eq!(merged.merged_from.len(), 3);
}
