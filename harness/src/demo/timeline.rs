//! The web view's chart history: the per-100 ms ticks of the last half minute numbered from the
//! demo's start, and where each phase began, across phase switches (the [`View`]'s ticks start
//! again at each switch). Recorded from every view by the web server, so a page opened or
//! reloaded after a switch still shows the 502s turning into 200s. Pure.

use std::collections::VecDeque;

use super::tally::Counts;
use super::view::View;

/// Ticks kept: the chart's 30 s.
pub const KEPT: usize = 300;

/// Ticks and phase marks, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub ticks: VecDeque<(u64, Counts)>,
    /// `(first tick, phase)` for each phase shown, the current one last.
    pub marks: Vec<(u64, String)>,
}

impl Timeline {
    /// Take in the ticks of `v` not recorded yet, and its phase when it changed.
    pub fn record(&mut self, v: &View) {
        let first = (v.elapsed_ticks + 1).saturating_sub(v.ticks.len() as u64);
        let last = self.ticks.back().map(|(at, _)| *at);
        for (i, counts) in v.ticks.iter().enumerate() {
            let at = first + i as u64;
            if last.is_none_or(|l| at > l) {
                if self.ticks.len() == KEPT {
                    self.ticks.pop_front();
                }
                self.ticks.push_back((at, counts.clone()));
            }
        }
        if let Some(pos) = &v.position {
            let name = &pos.current().name;
            if self.marks.last().is_none_or(|(_, m)| m != name) {
                self.marks.push((first, name.clone()));
            }
        }
        // Marks before the oldest tick kept, but the one still in force there.
        let oldest = self.ticks.front().map_or(0, |(at, _)| *at);
        while self.marks.len() > 1 && self.marks[1].0 <= oldest {
            self.marks.remove(0);
        }
    }

    /// The ticks after tick `sent` (all of them for `None`).
    pub fn after(&self, sent: Option<u64>) -> Vec<(u64, Counts)> {
        (self.ticks.iter())
            .filter(|(at, _)| sent.is_none_or(|s| *at > s))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{PhaseEntry, Position};
    use crate::outcome::Outcome;

    fn view(phase: usize, ticks: &[u64], elapsed: u64) -> View {
        let entry = |name: &str| PhaseEntry {
            name: name.into(),
            about: None,
            skipped: None,
        };
        View {
            position: Some(Position {
                phases: vec![entry("baseline"), entry("fix")],
                current: phase,
                hints_shown: 0,
            }),
            ticks: (ticks.iter())
                .map(|n| Counts::from([(Outcome::Status(502), *n)]))
                .collect(),
            elapsed_ticks: elapsed,
            ..View::default()
        }
    }

    #[test]
    fn ticks_are_kept_across_a_phase_switch_and_recorded_once() {
        let mut t = Timeline::default();
        t.record(&view(0, &[1, 2], 2));
        t.record(&view(0, &[1, 2, 3], 3));
        t.record(&view(0, &[1, 2, 3], 3));
        // The switch cleared the view's ticks; the timeline keeps the baseline's.
        t.record(&view(1, &[], 3));
        t.record(&view(1, &[4], 4));
        let at: Vec<u64> = t.ticks.iter().map(|(at, _)| *at).collect();
        assert_eq!(at, [1, 2, 3, 4]);
        assert_eq!(t.marks, [(1, "baseline".into()), (4, "fix".into())]);
        assert_eq!(t.after(Some(2)).len(), 2);
        assert_eq!(t.after(None).len(), 4);
    }

    #[test]
    fn a_long_demo_keeps_half_a_minute_and_the_mark_in_force() {
        let mut t = Timeline::default();
        t.record(&view(0, &[1], 1));
        t.record(&view(1, &[], 1));
        for elapsed in 2..=(KEPT as u64 + 50) {
            t.record(&view(1, &[1], elapsed));
        }
        assert_eq!(t.ticks.len(), KEPT);
        assert_eq!(t.ticks[0].0, 51);
        assert_eq!(t.marks, [(2, "fix".into())]);
    }
}
