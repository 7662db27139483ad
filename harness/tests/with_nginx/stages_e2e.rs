//! Traffic stages through real nginx: a ramped burst, a GET/POST sequence on one connection
//! and an open-model rate run in order (tests/fixtures/stages/), each counted per stage, every
//! request reaching the upstream once (ids stay unique across stages).

use crate::common;

use badgateway::result::Verdict;
use badgateway::runner::{RunOptions, run};
use badgateway::scenario::discover;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_run_in_order_through_nginx_with_per_stage_counts() {
    let Some(nginx) = common::nginx_or_skip("stages_run_in_order_through_nginx") else {
        return;
    };
    let file = common::repo().join("harness/tests/fixtures/stages/healthy-stages.yaml");
    let scenarios = discover(&[file]).expect("the stages fixture parses");
    let out = tempfile::tempdir().unwrap();
    let opts = RunOptions {
        nginx: vec![nginx.into()],
        jobs: 1,
        seed: 7,
        keep: false,
        out_dir: out.path().join("run"),
        run_id: "stages".into(),
        progress: None,
        repeat: 1,
        retry_inconclusive: true,
        shard: None,
    };
    let result = run(scenarios, opts, CancellationToken::new()).await;
    let s = &result.scenarios[0];
    let summary = badgateway::report::terminal::render(&result);
    assert!(
        matches!(s.verdict, Verdict::Pass | Verdict::Inconclusive),
        "{summary}"
    );
    let load = s.phases[0].load.as_ref().expect("traffic ran");
    let stages: Vec<&str> = load.by_stage.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        stages,
        ["burst", "after", "steady"],
        "in run order: {load:#?}"
    );
    assert_eq!(load.total, 80);
}
