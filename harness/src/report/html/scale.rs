//! The numbers behind the timeline chart, apart from the drawing: which timeline it draws
//! (the one fitted to the phase's length, [`crate::load::fitted`], else the fixed 100 ms one
//! of an older result), round tick steps for both axes, and time labels in the unit that reads
//! best (ms below two seconds, s above).

use std::collections::BTreeMap;

use crate::load::LoadReport;
use crate::outcome::Outcome;

/// Steps, in milliseconds, of the time axis.
const ROUND_MS: [u64; 19] = [
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 30_000,
    60_000, 300_000,
];

/// The chart's bars: outcome counts per bucket of request start time.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub width_ms: u64,
    pub counts: Vec<BTreeMap<Outcome, u64>>,
}

impl Bars {
    /// The report's fitted timeline, or its fixed one when it has none (a result.json from
    /// before fitted timelines).
    pub fn of(load: &LoadReport) -> Bars {
        let (width_ms, buckets) = match load.fitted_timeline.is_empty() {
            false => (load.fitted_bucket_ms, &load.fitted_timeline),
            true => (load.timeline_bucket_ms, &load.timeline),
        };
        Bars {
            width_ms: width_ms.max(1),
            counts: buckets.iter().map(|b| b.counts.clone()).collect(),
        }
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
    ROUND_MS
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
    fn bars_are_the_fitted_timeline_when_there_is_one() {
        let mut load = crate::report::sample::load();
        assert_eq!(
            Bars::of(&load).width_ms,
            100,
            "an older result: the fixed timeline"
        );
        let (width, buckets) = crate::load::fitted::fitted(&[], 0);
        assert_eq!((width, buckets.len()), (0, 0));
        load.fitted_bucket_ms = 10;
        load.fitted_timeline = (0..30)
            .map(|i| crate::load::TimelineBucket {
                start_ms: i * 10,
                counts: BTreeMap::from([(Outcome::Status(200), 1)]),
            })
            .collect();
        let bars = Bars::of(&load);
        assert_eq!(
            (bars.width_ms, bars.counts.len(), bars.span_ms()),
            (10, 30, 300)
        );
        assert_eq!(bars.max(), 1);
    }
}
