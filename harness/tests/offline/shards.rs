//! Shards and merges without nginx: every bundled scenario lands in exactly one shard for any
//! shard count, both ways of splitting; bad `--shard` values and bad `report --merge` input
//! exit 2 with a clear message; a merge of hand-written shard results is one valid result
//! (schema), with valid JUnit (Jenkins xUnit schema) and the exit `run` would give.

use std::collections::BTreeMap;
use std::path::Path;

use badgateway::scenario::discover;
use badgateway::shard;
use serde_json::json;

use crate::common::{self, run_cli, text};

fn bundled_names() -> Vec<String> {
    let scenarios = discover(&[common::scenarios_dir()]).expect("the catalogue parses");
    scenarios.into_iter().map(|l| l.scenario.name).collect()
}

#[test]
fn the_union_of_the_shards_is_the_whole_catalogue_each_scenario_once() {
    let names = bundled_names();
    assert!(names.len() > 20, "the catalogue: {names:?}");
    // Wall times as a previous run might have recorded them, one missing (gets the median).
    let took: BTreeMap<String, u64> = (names.iter().skip(1).enumerate())
        .map(|(i, n)| (n.clone(), 300 + (i as u64 * 7919) % 12_000))
        .collect();
    for total in 1..=8u32 {
        let by_name = shard::by_name(names.iter().map(String::as_str), total);
        let by_time = shard::by_time(names.iter().map(String::as_str), &took, total);
        for split in [&by_name, &by_time] {
            assert_eq!(split.len(), names.len(), "{total} shards");
            assert!(names.iter().all(|n| (1..=total).contains(&split[n])));
        }
        let sizes: Vec<usize> = (1..=total)
            .map(|k| by_name.values().filter(|s| **s == k).count())
            .collect();
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min <= 1, "{total} shards by name: {sizes:?}");
        // The same names in another order give the same split: it depends on names only.
        let reversed = shard::by_name(names.iter().rev().map(String::as_str), total);
        assert_eq!(reversed, by_name);
    }
}

#[test]
fn bad_shard_values_exit_2_with_the_form_to_use() {
    let scenarios = common::scenarios_dir().display().to_string();
    for bad in ["0/3", "4/3", "x"] {
        let out = run_cli(&["run", &scenarios, "--shard", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains("K/N"), "{bad}: {}", text(&out));
    }
    let out = run_cli(&[
        "run",
        &scenarios,
        "--shard",
        "1/3",
        "--shard-by",
        "time=/nonexistent/result.json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--shard-by time: /nonexistent/result.json"),
        "{}",
        text(&out)
    );
}

/// A minimal result.json of shard `index`/`total` holding `scenarios` (name, verdict).
fn shard_result(dir: &Path, index: u32, total: u32, scenarios: &[(&str, &str)]) -> String {
    let scenarios: Vec<_> = (scenarios.iter())
        .map(|(name, verdict)| {
            json!({
                "name": name, "title": name, "file": format!("scenarios/{name}.yaml"),
                "guide_step": "", "nginx_version": "1.22.1", "verdict": verdict,
                "wall_ms": 700, "phases": []
            })
        })
        .collect();
    let worst = if scenarios.iter().any(|s| s["verdict"] == "fail") {
        "fail"
    } else {
        "pass"
    };
    let result = json!({
        "schema_version": badgateway::result::SCHEMA_VERSION,
        "run_id": format!("run-{index}"),
        "shard": {"index": index, "total": total, "by": "name"},
        "started_at": "2026-12-07T10:00:00Z", "seed": 5,
        "nginx": {"path": "/usr/sbin/nginx", "version": "1.22.1", "configure_args": ""},
        "out_dir": "reports/x", "wall_ms": 900, "verdict": worst, "scenarios": scenarios
    });
    let sub = dir.join(format!("shard-{index}"));
    std::fs::create_dir_all(&sub).unwrap();
    common::write(&sub, "result.json", &result.to_string())
}

#[test]
fn merged_shards_are_one_valid_result_exiting_as_run_would() {
    let dir = tempfile::tempdir().unwrap();
    let one = shard_result(dir.path(), 1, 2, &[("a", "pass"), ("c", "pass")]);
    let two = shard_result(dir.path(), 2, 2, &[("b", "fail")]);
    let out_dir = dir.path().join("merged");
    let out = dir.path().join("merged").display().to_string();
    let merged = run_cli(&["report", "--merge", &one, &two, "--out", &out]);
    assert_eq!(merged.status.code(), Some(1), "{}", text(&merged));
    for file in ["result.json", "junit.xml", "summary.md", "report.html"] {
        assert!(out_dir.join(file).is_file(), "{file}: {}", text(&merged));
    }
    common::assert_valid_result(&out_dir.join("result.json"));
    common::assert_valid_junit("merged_shards", &out_dir.join("junit.xml"));
    let result = badgateway::report::json::read(&out_dir.join("result.json")).unwrap();
    let names: Vec<&str> = result.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(result.merged_from.len(), 2);

    let passing = shard_result(dir.path(), 2, 2, &[("b", "pass")]);
    let merged = run_cli(&["report", "--merge", &one, &passing, "--out", &out]);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged));
}

#[test]
fn bad_merge_input_exits_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let one = shard_result(dir.path(), 1, 2, &[("a", "pass")]);
    let two = shard_result(dir.path(), 2, 2, &[("a", "pass")]);
    let out = dir.path().join("merged").display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![one.clone(), two.clone()],
            "scenario `a` on nginx 1.22.1 is in both",
        ),
        (
            vec![one.clone()],
            "shard 2/2 (by name, nginx 1.22.1) is missing",
        ),
        (
            vec![one.clone(), "/nonexistent/result.json".into()],
            "/nonexistent/result.json: No such file",
        ),
        (
            vec![
                one.clone(),
                common::write(dir.path(), "x.json", "{\"a\": 1}"),
            ],
            "not a badgateway result",
        ),
    ];
    for (files, wanted) in cases {
        let mut args = vec!["report", "--merge"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--out", out.as_str()]);
        let got = run_cli(&args);
        assert_eq!(got.status.code(), Some(2), "{files:?}: {}", text(&got));
        assert!(text(&got).contains(wanted), "{wanted}: {}", text(&got));
    }
    let old = std::fs::read_to_string(&two)
        .unwrap()
        .replace("\"schema_version\":2", "\"schema_version\":1")
        .replace("\"name\":\"a\"", "\"name\":\"b\"");
    let old = common::write(dir.path(), "old.json", &old);
    let got = run_cli(&["report", "--merge", &one, &old, "--out", &out]);
    assert_eq!(got.status.code(), Some(2), "{}", text(&got));
    assert!(
        text(&got).contains("different schema versions"),
        "{}",
        text(&got)
    );
    assert!(
        !dir.path().join("merged").exists(),
        "nothing written on bad input"
    );
}
