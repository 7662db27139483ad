//! A second timeline fitted to the run's length, for charts: the fixed 100 ms
//! [`LoadReport::timeline`](super::LoadReport::timeline) is what window checks count on, but a
//! 300 ms phase is three of its buckets and a ten-minute one six thousand. This one takes the
//! widest round bucket that still gives [`MIN_BUCKETS`] (24) over the run, never more than
//! [`MAX_BUCKETS`]: a 300 ms phase gets 10 ms buckets, a 4.5 s one 100 ms, a minute 2.5 s.

use std::collections::BTreeMap;

use super::report::{ClientRecord, TimelineBucket};

/// Fewest buckets (unless the run lasted fewer milliseconds).
pub const MIN_BUCKETS: u64 = 24;
/// Most buckets.
pub const MAX_BUCKETS: u64 = 200;

/// Bucket widths, in milliseconds, that make round axis labels.
const ROUND_MS: [u64; 22] = [
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000,
    30_000, 60_000, 120_000, 300_000, 600_000,
];

/// The widest round bucket that still gives [`MIN_BUCKETS`] over `span_ms`; never more than
/// [`MAX_BUCKETS`].
pub fn bucket_ms(span_ms: u64) -> u64 {
    let round = ROUND_MS
        .iter()
        .rev()
        .find(|w| span_ms / **w >= MIN_BUCKETS)
        .copied()
        .unwrap_or(1);
    round.max(span_ms.div_ceil(MAX_BUCKETS))
}

/// Every request counted by its start time into buckets fitted to the run (`wall_ms`, or the
/// last start when later), contiguous from 0; the bucket width and the buckets. Empty without
/// requests.
pub fn fitted(requests: &[ClientRecord], wall_ms: u64) -> (u64, Vec<TimelineBucket>) {
    let Some(last_start) = requests.iter().map(|r| r.started_ms).reduce(f64::max) else {
        return (0, Vec::new());
    };
    let span = wall_ms.max(last_start as u64 + 1);
    let width = bucket_ms(span);
    let mut counts = vec![BTreeMap::new(); span.div_ceil(width) as usize];
    for r in requests {
        let i = ((r.started_ms / width as f64) as usize).min(counts.len() - 1);
        *counts[i].entry(r.outcome).or_insert(0) += 1;
    }
    let buckets = (0u64..)
        .zip(counts)
        .map(|(i, counts)| TimelineBucket {
            start_ms: i * width,
            counts,
        })
        .collect();
    (width, buckets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    #[test]
    fn buckets_adapt_to_the_run_length() {
        assert_eq!(bucket_ms(300), 10, "a 300 ms phase: 30 bars");
        assert_eq!(bucket_ms(1_000), 25);
        assert_eq!(bucket_ms(4_500), 100);
        assert_eq!(bucket_ms(60_000), 2_500);
        assert_eq!(
            bucket_ms(10),
            1,
            "shorter than MIN_BUCKETS ms: one bucket per ms"
        );
        for span in [7u64, 300, 999, 4_500, 61_000, 3_600_000, 86_400_000] {
            let n = span.div_ceil(bucket_ms(span));
            assert!(n <= MAX_BUCKETS, "{span} ms: {n} buckets");
            assert!(n >= MIN_BUCKETS.min(span), "{span} ms: {n} buckets");
        }
    }

    #[test]
    fn requests_land_in_the_bucket_of_their_start() {
        let request = |id, started_ms, status| ClientRecord {
            id,
            method: "GET".into(),
            outcome: Outcome::Status(status),
            latency_ms: 1.0,
            started_ms,
            detail: None,
            h2: None,
        };
        let requests = [
            request(1, 0.5, 502),
            request(2, 12.0, 502),
            request(3, 295.0, 200),
        ];
        let (width, buckets) = fitted(&requests, 300);
        assert_eq!((width, buckets.len()), (10, 30));
        assert_eq!(buckets[1].start_ms, 10);
        assert_eq!(buckets[0].counts[&Outcome::Status(502)], 1);
        assert_eq!(buckets[1].counts[&Outcome::Status(502)], 1);
        assert_eq!(buckets[29].counts[&Outcome::Status(200)], 1);
        assert_eq!(fitted(&[], 300), (0, Vec::new()));
    }
}
