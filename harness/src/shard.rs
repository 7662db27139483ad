//! Splitting a suite into N deterministic shards (`run --shard K/N`), so a CI job matrix can
//! spread it over machines and `report --merge` can put the results back together.
//!
//! The unit is the scenario name: every `--repeat` attempt and every nginx of a version matrix
//! of one scenario lands in the same shard. By name (the default), the sorted names are dealt
//! round-robin: shards differ by at most one scenario, and the split depends only on the set of
//! names (byte order of UTF-8, no hasher), so every machine and Rust version agrees. A hash of
//! each name would keep a scenario in its shard when others are added, but leaves shards
//! uneven (a 40-scenario suite in 3 hash shards easily splits 10/14/16); every job of one
//! pipeline runs the same checkout, so evenness wins. By time (`--shard-by
//! time=PREV/result.json`), the longest scenarios go first, each into the least-loaded shard.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which shard of how many a run was, and how the suite was split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub total: u32,
    pub by: ShardBy,
}

/// How the scenarios were dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShardBy {
    /// Sorted names dealt round-robin.
    Name,
    /// Longest first into the least-loaded shard, by a previous run's wall times.
    Time,
}

impl ShardBy {
    pub fn label(self) -> &'static str {
        match self {
            ShardBy::Name => "name",
            ShardBy::Time => "time",
        }
    }
}

/// `K/N` as given to `--shard`: 1 ≤ K ≤ N; or `index:I/N` with a 0-based I (0 ≤ I < N), as a
/// Kubernetes Indexed Job's `$(JOB_COMPLETION_INDEX)` gives it to a container with no shell
/// to add one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardArg {
    pub index: u32,
    pub total: u32,
}

/// The most shards a suite can be split into.
pub const MAX_SHARDS: u32 = 1000;

impl FromStr for ShardArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not a shard: write K/N with 1 ≤ K ≤ N ≤ {MAX_SHARDS}, e.g. 2/3 \
                 (the second of three shards), or index:I/N with 0 ≤ I < N (index:1/3 is 2/3)"
            )
        };
        let (zero_based, rest) = match s.strip_prefix("index:") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (k, n) = rest.split_once('/').ok_or_else(bad)?;
        let (index, total): (u32, u32) =
            (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        let index = match zero_based {
            true => index.checked_add(1).ok_or_else(bad)?,
            false => index,
        };
        if index == 0 || total == 0 || index > total || total > MAX_SHARDS {
            return Err(bad());
        }
        Ok(ShardArg { index, total })
    }
}

/// `--shard-by`: `name`, or `time=PREV/result.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Balance {
    Name,
    Time(PathBuf),
}

impl FromStr for Balance {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            None if s == "name" => Ok(Balance::Name),
            Some(("time", path)) if !path.is_empty() => Ok(Balance::Time(PathBuf::from(path))),
            _ => Err(format!(
                "`{s}` is not a way to shard: use `name`, or `time=PREV/result.json` (a \
                 previous run's result)"
            )),
        }
    }
}

/// The 1-based shard of each name: sorted names dealt round-robin.
pub fn by_name<'a>(names: impl IntoIterator<Item = &'a str>, total: u32) -> BTreeMap<String, u32> {
    let mut sorted: Vec<&str> = names.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.into_iter().enumerate())
        .map(|(i, name)| (name.to_string(), (i as u32 % total.max(1)) + 1))
        .collect()
}

/// The 1-based shard of each name, balanced by `took` (milliseconds per name from a previous
/// run): longest first (ties by name) into the least-loaded shard (ties: the lowest index).
/// A name `took` does not know counts as the median of what it knows (1 ms when it knows none).
pub fn by_time<'a>(
    names: impl IntoIterator<Item = &'a str>,
    took: &BTreeMap<String, u64>,
    total: u32,
) -> BTreeMap<String, u32> {
    let guess = median(took.values().copied()).unwrap_or(1);
    let mut items: Vec<(u64, &str)> = names
        .into_iter()
        .map(|n| (took.get(n).copied().unwrap_or(guess), n))
        .collect();
    items.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    items.dedup_by(|a, b| a.1 == b.1);
    let mut load = vec![0u64; total.max(1) as usize];
    let mut shards = BTreeMap::new();
    for (ms, name) in items {
        let (least, _) = (load.iter().enumerate())
            .min_by_key(|(i, l)| (**l, *i))
            .expect("at least one shard");
        load[least] += ms;
        shards.insert(name.to_string(), least as u32 + 1);
    }
    shards
}

/// The median (the mean of the middle two for an even count), `None` for no values.
fn median(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[mid]),
        _ => Some(v[mid - 1] / 2 + v[mid] / 2 + (v[mid - 1] % 2 + v[mid] % 2) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_arguments_are_k_of_n() {
        assert_eq!("2/3".parse(), Ok(ShardArg { index: 2, total: 3 }));
        assert_eq!("1/1".parse(), Ok(ShardArg { index: 1, total: 1 }));
        // A Kubernetes Indexed Job's 0-based completion index.
        assert_eq!("index:0/3".parse(), Ok(ShardArg { index: 1, total: 3 }));
        assert_eq!("index:2/3".parse(), Ok(ShardArg { index: 3, total: 3 }));
        for bad in [
            "0/3",
            "4/3",
            "x",
            "3",
            "1/0",
            "/3",
            "1/",
            "-1/3",
            "1/3/4",
            "2/1001",
            "index:3/3",
            "index:/3",
            "index:1",
        ] {
            let err = bad.parse::<ShardArg>().unwrap_err();
            assert!(err.contains("K/N"), "{bad}: {err}");
        }
        assert_eq!("name".parse(), Ok(Balance::Name));
        assert_eq!(
            "time=r/result.json".parse(),
            Ok(Balance::Time(PathBuf::from("r/result.json")))
        );
        for bad in ["time", "time=", "size=3", "Name"] {
            assert!(bad.parse::<Balance>().is_err(), "{bad}");
        }
    }

    #[test]
    fn by_name_deals_sorted_names_round_robin() {
        let shards = by_name(["e", "b", "a", "d", "c"], 2);
        let of = |k| {
            shards
                .iter()
                .filter(|(_, s)| **s == k)
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(of(1), ["a", "c", "e"]);
        assert_eq!(of(2), ["b", "d"]);
        // More shards than names: the last shards are empty, never an error.
        assert_eq!(by_name(["a"], 3)["a"], 1);
    }

    #[test]
    fn by_time_puts_the_longest_first_into_the_least_loaded_shard() {
        let took: BTreeMap<String, u64> = [
            ("a", 9000),
            ("b", 5000),
            ("c", 4000),
            ("d", 3000),
            ("e", 1000),
        ]
        .map(|(n, ms)| (n.to_string(), ms))
        .into();
        let shards = by_time(["a", "b", "c", "d", "e", "new"], &took, 2);
        // Loads after each: a→1 [9000, 0]; b→2 [9000, 5000]; c→2 [9000, 9000]; new (the
        // median, 4000) → 1 on the tie, the lowest index [13000, 9000]; d→2 [13000, 12000];
        // e→2 [13000, 13000].
        assert_eq!(shards["a"], 1);
        assert_eq!(shards["b"], 2);
        assert_eq!(shards["c"], 2);
        assert_eq!(shards["new"], 1);
        assert_eq!(shards["d"], 2);
        assert_eq!(shards["e"], 2);
        assert_eq!(median([4u64, 1, 3, 2].into_iter()), Some(2));
        assert_eq!(median([u64::MAX, u64::MAX].into_iter()), Some(u64::MAX));
        assert_eq!(median(std::iter::empty()), None);
    }
}
