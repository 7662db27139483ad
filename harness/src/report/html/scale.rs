//! The numbers behind the timeline chart, apart from the drawing: how wide a bucket is for a
//! phase of a given length (about 24 to 60 bars whatever the length, so a 300 ms phase is not
//! three bars and a ten-minute one not six thousand), round tick steps for both axes, and time
//! labels in the unit that reads best (ms below two seconds, s above).

use std::collections::BTreeMap;

use crate::load::LoadReport;
use crate::outcome::Outcome;

/// Fewest bars a chart has (unless the phase lasted fewer milliseconds).
pub const MIN_BARS: u64 = 24;
/// Most bars a chart has.
pub const MAX_BARS: u64 = 200;

/// Bucket widths, in milliseconds, that make round axis labels.
const NICE_MS: [u64; 22] = [
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000,
    30_000, 60_000, 120_000, 300_000, 600_000,
];

/// The widest round bucket that still gives [`MIN_BARS`] bars over `span_ms`; never more than
/// [`MAX_BARS`] bars.
pub fn bucket_ms(span_ms: u64) -> u64 {
    let nice = NICE_MS
        .iter()
        .rev()
        .find(|w| span_ms / **w >= MIN_BARS)
        .copied()
        .unwrap_or(1);
    nice.max(span_ms.div_ceil(MAX_BARS))
}

/// The chart's bars: outcome counts per bucket of request start time.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub width_ms: u64,
    pub counts: Vec<BTreeMap<Outcome, u64>>,
}

impl Bars {
    /// From every request's start time when the report holds them all (buckets sized to the
    /// phase by [`bucket_ms`]); else the report's own fixed-width timeline.
    pub fn of(load: &LoadReport) -> Bars {
        if load.requests.is_empty() || load.requests.len() as u64 != load.total {
            return Bars {
                width_ms: load.timeline_bucket_ms.max(1),
                counts: load.timeline.iter().map(|b| b.counts.clone()).collect(),
            };
        }
        let last_start = load
            .requests
            .iter()
            .map(|r| r.started_ms)
            .fold(0.0, f64::max);
        let span = load.wall_ms.max(last_start as u64 + 1);
        let width_ms = bucket_ms(span);
        let mut counts = vec![BTreeMap::new(); span.div_ceil(width_ms) as usize];
        for r in &load.requests {
            let i = ((r.started_ms / width_ms as f64) as usize).min(counts.len() - 1);
            *counts[i].entry(r.outcome).or_insert(0) += 1;
        }
        Bars { width_ms, counts }
    }

    /// The time the bars span, in milliseconds.
    pub fn span_ms(&self) -> u64 {
        (self.counts.len() as u64 * self.width_ms).max(1)
    }

    /// The tallest bar's request count.
    pub fn max(&self) -> u64 {
        let totals = self.counts.iter().map(|c| c.values().sum::<u64>());
        totals.max().unwrap_or(0)
    }
}

/// A round step (1, 2, 5 × 10ⁿ) that cuts `0..=max` into at most `most` steps.
pub fn tick_step(max: f64, most: u32) -> f64 {
    let mut step = 1.0;
    let mut factors = [2.0, 2.5, 2.0].into_iter().cycle();
    while max / step > f64::from(most) {
        step *= factors.next().unwrap_or(2.0);
    }
    step
}

/// The y axis: a round step and the top of the axis (a multiple of it, at least `max`).
pub fn count_axis(max: u64) -> (u64, u64) {
    let step = tick_step(max.max(1) as f64, 5).round().max(1.0) as u64;
    (step, max.max(1).div_ceil(step) * step)
}

/// The x axis step in milliseconds: at most about eight ticks, on round times.
pub fn time_step_ms(span_ms: u64) -> u64 {
    NICE_MS
        .iter()
        .find(|w| span_ms / **w <= 8)
        .copied()
        .unwrap_or_else(|| span_ms.div_ceil(8))
}

/// `ms` in the unit of a chart spanning `span_ms`: `250 ms` below two seconds, `1.5 s` above.
pub fn time_label(ms: u64, span_ms: u64) -> String {
    if span_ms < 2_000 {
        return format!("{ms} ms");
    }
    let text = format!("{:.1}", ms as f64 / 1000.0);
    format!("{} s", text.strip_suffix(".0").unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::ClientRecord;

    #[test]
    fn buckets_adapt_to_the_phase_length() {
        assert_eq!(bucket_ms(300), 10, "a 300 ms phase: 30 bars");
        assert_eq!(bucket_ms(1_000), 25);
        assert_eq!(bucket_ms(4_500), 100);
        assert_eq!(bucket_ms(60_000), 2_500);
        assert_eq!(bucket_ms(10), 1, "shorter than MIN_BARS ms: one bar per ms");
        for span in [7u64, 300, 999, 4_500, 61_000, 3_600_000, 86_400_000] {
            let bars = span.div_ceil(bucket_ms(span));
            assert!(bars <= MAX_BARS, "{span} ms: {bars} bars");
            assert!(bars >= MIN_BARS.min(span), "{span} ms: {bars} bars");
        }
    }

    #[test]
    fn axes_tick_on_round_numbers() {
        assert_eq!(count_axis(1), (1, 1));
        assert_eq!(count_axis(7), (2, 8));
        assert_eq!(count_axis(23), (5, 25));
        assert_eq!(count_axis(180), (50, 200));
        assert_eq!(time_step_ms(300), 50);
        assert_eq!(time_step_ms(4_500), 1_000);
        assert_eq!(time_label(250, 300), "250 ms");
        assert_eq!(time_label(1_500, 4_500), "1.5 s");
        assert_eq!(time_label(2_000, 4_500), "2 s");
    }

    #[test]
    fn bars_come_from_request_start_times() {
        let mut load = crate::report::sample::load();
        let request = |id, started_ms, status| ClientRecord {
            id,
            method: "GET".into(),
            outcome: Outcome::Status(status),
            latency_ms: 1.0,
            started_ms,
            detail: None,
            h2: None,
        };
        load.requests = vec![
            request(1, 0.5, 502),
            request(2, 12.0, 502),
            request(3, 295.0, 200),
        ];
        load.total = 3;
        load.wall_ms = 300;
        let bars = Bars::of(&load);
        assert_eq!((bars.width_ms, bars.counts.len()), (10, 30));
        assert_eq!(bars.counts[0][&Outcome::Status(502)], 1);
        assert_eq!(bars.counts[1][&Outcome::Status(502)], 1);
        assert_eq!(bars.counts[29][&Outcome::Status(200)], 1);
        assert_eq!(bars.max(), 1);
    }
}
