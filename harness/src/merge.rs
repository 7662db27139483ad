//! `report --merge`: the results of several runs (the shards of a CI job matrix, or the legs of
//! an nginx version matrix) as one result of the whole suite. A scenario's verdict stands
//! alone, so merging is exact: the scenarios are put side by side and the verdict is the worst
//! of theirs, as `run` gives it. What would make the union a lie is refused: a scenario on one
//! nginx version in two files, results of different formats, a set of shards with one missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::nginx::NginxBackend;
use crate::result::{MergedRun, RunResult, SCHEMA_VERSION, ScenarioResult, Verdict};

/// The union of `parts` (each with the file it was read from), to be written into `out_dir`;
/// or why they cannot be merged.
pub fn merge(parts: Vec<(PathBuf, RunResult)>, out_dir: &Path) -> Result<RunResult, String> {
    let Some((_, first)) = parts.first() else {
        return Err("nothing to merge: give the result.json of every shard".into());
    };
    same_schema(&parts)?;
    no_scenario_twice(&parts)?;
    every_shard_present(&parts)?;
    let first = first.clone();
    let mut matrix: Vec<NginxBackend> = Vec::new();
    for (_, r) in &parts {
        for n in &r.nginx_matrix {
            if !matrix.iter().any(|m| m.source() == n.source()) {
                matrix.push(n.clone());
            }
        }
    }
    let started = parts.iter().map(|(_, r)| &r.started_at).min().cloned();
    let merged_from = (parts.iter())
        .map(|(file, r)| MergedRun {
            run_id: r.run_id.clone(),
            file: file.clone(),
            seed: r.seed,
            shard: r.shard,
            started_at: r.started_at.clone(),
            wall_ms: r.wall_ms,
        })
        .collect();
    let wall_ms = span_ms(&parts);
    let repeat = parts.iter().map(|(_, r)| r.repeat).max().unwrap_or(1);
    let position = |s: &ScenarioResult| {
        (matrix.iter())
            .position(|m| m.source() == s.nginx_source)
            .unwrap_or(usize::MAX)
    };
    let mut scenarios: Vec<ScenarioResult> =
        parts.into_iter().flat_map(|(_, r)| r.scenarios).collect();
    scenarios.sort_by(|a, b| {
        (a.name.as_str(), position(a), a.attempt).cmp(&(b.name.as_str(), position(b), b.attempt))
    });
    let verdict = scenarios
        .iter()
        .fold(Verdict::Pass, |v, s| v.worst(s.verdict));
    Ok(RunResult {
        schema_version: SCHEMA_VERSION,
        run_id: format!("merged-{}", first.run_id),
        shard: None,
        merged_from,
        repeat,
        started_at: started.unwrap_or(first.started_at),
        seed: first.seed,
        nginx: first.nginx,
        nginx_matrix: matrix,
        out_dir: out_dir.to_path_buf(),
        wall_ms,
        verdict,
        scenarios,
    })
}

fn same_schema(parts: &[(PathBuf, RunResult)]) -> Result<(), String> {
    let versions: BTreeSet<u32> = parts.iter().map(|(_, r)| r.schema_version).collect();
    if versions.len() < 2 {
        return Ok(());
    }
    let each: Vec<String> = (parts.iter())
        .map(|(f, r)| format!("{} (version {})", f.display(), r.schema_version))
        .collect();
    Err(format!(
        "the results have different schema versions: {}\n  hint: run every shard with the same \
         badgateway, or render an older result alone with `badgateway report`",
        each.join(", ")
    ))
}

/// A scenario on one nginx version may come from one file only (its attempts all do).
fn no_scenario_twice(parts: &[(PathBuf, RunResult)]) -> Result<(), String> {
    let mut seen: BTreeMap<(&str, &str), &Path> = BTreeMap::new();
    for (file, r) in parts {
        let keys: BTreeSet<(&str, &str)> = (r.scenarios.iter())
            .map(|s| (s.name.as_str(), s.nginx_version.as_str()))
            .collect();
        for key in keys {
            if let Some(other) = seen.insert(key, file) {
                return Err(format!(
                    "scenario `{}` on nginx {} is in both {} and {}\n  hint: merge each shard's \
                     result once; shards of one suite never share a scenario",
                    key.0,
                    key.1,
                    other.display(),
                    file.display()
                ));
            }
        }
    }
    Ok(())
}

/// Shards of one split (same count, same way, same nginx) must all be there, each once.
fn every_shard_present(parts: &[(PathBuf, RunResult)]) -> Result<(), String> {
    let mut splits: BTreeMap<(u32, &str, String), Vec<u32>> = BTreeMap::new();
    for (_, r) in parts {
        let Some(shard) = r.shard else { continue };
        let mut nginx: Vec<&str> = r.nginx_matrix.iter().map(NginxBackend::version).collect();
        if nginx.is_empty() {
            nginx.push(r.nginx.version.as_str());
        }
        let key = (shard.total, shard.by.label(), nginx.join(", "));
        splits.entry(key).or_default().push(shard.index);
    }
    for ((total, by, nginx), mut indexes) in splits {
        indexes.sort_unstable();
        let missing: Vec<String> = (1..=total)
            .filter(|k| !indexes.contains(k))
            .map(|k| format!("{k}/{total}"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "shard {} (by {by}, nginx {nginx}) is missing\n  hint: give the result.json of \
                 every shard, or the merged suite would pass without those scenarios",
                missing.join(", ")
            ));
        }
        if let Some(k) = indexes.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "shard {}/{total} (by {by}, nginx {nginx}) is given twice",
                k[0]
            ));
        }
    }
    Ok(())
}

/// From the earliest start to the latest end: the wall time of shards that ran side by side,
/// or one after another. Falls back to the longest part when a start time cannot be read.
fn span_ms(parts: &[(PathBuf, RunResult)]) -> u64 {
    let longest = parts.iter().map(|(_, r)| r.wall_ms).max().unwrap_or(0);
    let spans: Option<Vec<(SystemTime, SystemTime)>> = (parts.iter())
        .map(|(_, r)| {
            let start = humantime::parse_rfc3339(&r.started_at).ok()?;
            Some((start, start + Duration::from_millis(r.wall_ms)))
        })
        .collect();
    let Some(spans) = spans else { return longest };
    let (Some(start), Some(end)) = (
        spans.iter().map(|s| s.0).min(),
        spans.iter().map(|s| s.1).max(),
    ) else {
        return longest;
    };
    let span = end
        .duration_since(start)
        .map_or(0, |d| d.as_millis() as u64);
    span.max(longest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;
    use crate::shard::{Shard, ShardBy};

    /// The sample result cut into shard `index` of 2: one scenario each.
    fn shard(index: u32) -> (PathBuf, RunResult) {
        let mut r = sample::result();
        r.run_id = format!("run-{index}");
        r.scenarios = vec![r.scenarios[index as usize - 1].clone()];
        r.verdict = r.scenarios[0].verdict;
        r.shard = Some(Shard {
            index,
            total: 2,
            by: ShardBy::Name,
        });
        (PathBuf::from(format!("s{index}/result.json")), r)
    }

    #[test]
    fn shards_merge_into_the_whole_with_the_worst_verdict() {
        let whole = sample::result();
        let merged = merge(vec![shard(2), shard(1)], Path::new("out")).unwrap();
        let names = |r: &RunResult| {
            let mut n: Vec<(String, Verdict)> = r
                .scenarios
                .iter()
                .map(|s| (s.name.clone(), s.verdict))
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(&merged), names(&whole));
        assert_eq!(merged.verdict, whole.verdict);
        assert_eq!(merged.shard, None);
        assert_eq!(merged.merged_from.len(), 2);
        assert_eq!(merged.merged_from[0].run_id, "run-2");
        assert_eq!(merged.out_dir, PathBuf::from("out"));
        let summary = crate::report::terminal::render(&merged);
        assert!(
            summary.contains("seed 7, merged from 2 runs (shards 2/2, 1/2)"),
            "{summary}"
        );
        let one = crate::report::terminal::render(&shard(1).1);
        assert!(one.contains("seed 7, shard 1/2 (by name)"), "{one}");
    }

    #[test]
    fn a_missing_shard_a_duplicate_and_mixed_versions_are_refused() {
        let err = merge(vec![shard(1)], Path::new("out")).unwrap_err();
        assert!(
            err.contains("shard 2/2 (by name, nginx 1.22.1) is missing"),
            "{err}"
        );
        let err = merge(vec![shard(1), shard(1), shard(2)], Path::new("out")).unwrap_err();
        assert!(
            err.contains("in both s1/result.json and s1/result.json"),
            "{err}"
        );
        let mut old = shard(2);
        old.1.schema_version = 1;
        let err = merge(vec![shard(1), old], Path::new("out")).unwrap_err();
        assert!(err.contains("different schema versions"), "{err}");
        assert!(merge(Vec::new(), Path::new("out")).is_err());
    }
}
