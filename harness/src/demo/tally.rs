//! Outcomes over time for the demo screen: the load driver's running totals
//! ([`LiveCounts`]) are read every 100 ms and turned into per-100 ms ticks (what a live chart
//! draws) and per-second lines (what the terminal prints). Pure: fed totals, it keeps deltas.

use std::collections::{BTreeMap, VecDeque};

use crate::load::LiveCounts;
use crate::outcome::Outcome;

/// Outcome counts of one interval.
pub type Counts = BTreeMap<Outcome, u64>;

/// Ticks per second line.
pub const TICKS_PER_SECOND: usize = 10;
/// The length of one tick, in ms.
pub const TICK_MS: u64 = 100;
/// Ticks kept (one minute), for a chart.
const TICKS_KEPT: usize = 600;
/// Second lines kept.
const SECONDS_KEPT: usize = 60;

/// One per-second line: its phase and what finished in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Second {
    /// Seconds since the demo started, at the end of this second.
    pub at: u64,
    pub phase: String,
    pub counts: Counts,
}

/// Ticks and seconds since the last [`Tally::clear`].
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// The totals at the last tick.
    last: LiveCounts,
    /// Ticks so far, oldest first; each one's counts.
    pub ticks: VecDeque<Counts>,
    /// Ticks since the last second line.
    pending: Vec<Counts>,
    /// Completed seconds, oldest first.
    pub seconds: VecDeque<Second>,
    /// Ticks observed since the demo began (clearing does not rewind the clock).
    elapsed_ticks: u64,
}

impl Tally {
    /// Record one tick: `totals` are the load's running totals now. Returns the tick's counts.
    pub fn tick(&mut self, totals: &LiveCounts, phase: &str) -> Counts {
        let delta: Counts = totals
            .outcomes
            .iter()
            .map(|(o, n)| {
                (
                    *o,
                    n - self.last.outcomes.get(o).copied().unwrap_or(0).min(*n),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        self.last = totals.clone();
        self.elapsed_ticks += 1;
        push_bounded(&mut self.ticks, delta.clone(), TICKS_KEPT);
        self.pending.push(delta.clone());
        if self.pending.len() == TICKS_PER_SECOND {
            let counts = sum(self.pending.drain(..));
            let at = self.elapsed_ticks / TICKS_PER_SECOND as u64;
            let phase = phase.to_string();
            push_bounded(
                &mut self.seconds,
                Second { at, phase, counts },
                SECONDS_KEPT,
            );
        }
        delta
    }

    /// Ticks since the demo began: the last of [`Tally::ticks`] is this one.
    pub fn elapsed_ticks(&self) -> u64 {
        self.elapsed_ticks
    }

    /// Forget ticks and seconds (a reset or a phase switch); totals keep counting.
    pub fn clear(&mut self) {
        self.ticks.clear();
        self.pending.clear();
        self.seconds.clear();
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, keep: usize) {
    if queue.len() == keep {
        queue.pop_front();
    }
    queue.push_back(item);
}

/// Counts added up.
pub fn sum(all: impl IntoIterator<Item = Counts>) -> Counts {
    let mut total = Counts::new();
    for counts in all {
        for (o, n) in counts {
            *total.entry(o).or_default() += n;
        }
    }
    total
}

/// How an outcome is coloured on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// 2xx: a complete, correct response.
    Good,
    /// 5xx from nginx.
    Bad,
    /// Client-side failures (timeouts, resets, truncated bodies, ...).
    Warn,
    /// Anything else (1xx, 3xx, 4xx).
    Plain,
}

/// The tone of `o`.
pub fn tone(o: Outcome) -> Tone {
    match o {
        Outcome::Status(s) if (200..300).contains(&s) => Tone::Good,
        Outcome::Status(s) if s >= 500 => Tone::Bad,
        Outcome::Status(_) => Tone::Plain,
        _ => Tone::Warn,
    }
}

/// `  12s  baseline  502×20`: a second line, most frequent outcome first; `colour` wraps each
/// outcome in its tone's ANSI colour. `-` when nothing finished in that second.
pub fn second_line(s: &Second, colour: bool) -> String {
    let mut counts: Vec<(&Outcome, &u64)> = s.counts.iter().collect();
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts
        .iter()
        .map(|(o, n)| paint(&format!("{o}×{n}"), tone(**o), colour))
        .collect();
    let shown = if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(" ")
    };
    format!("{:>5}s  {}  {shown}", s.at, s.phase)
}

/// `text` in the ANSI colour of `tone` when `colour`.
pub fn paint(text: &str, tone: Tone, colour: bool) -> String {
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
        Tone::Warn => "33",
        Tone::Plain => return text.to_string(),
    };
    match colour {
        true => format!("\x1b[{code}m{text}\x1b[0m"),
        false => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(pairs: &[(Outcome, u64)]) -> LiveCounts {
        LiveCounts {
            done: pairs.iter().map(|(_, n)| n).sum(),
            outcomes: pairs.iter().copied().collect(),
        }
    }

    #[test]
    fn ticks_are_deltas_and_ten_make_a_second() {
        let mut t = Tally::default();
        let s502 = Outcome::Status(502);
        for i in 1..=10u64 {
            t.tick(&totals(&[(s502, 2 * i)]), "baseline");
        }
        assert_eq!(t.ticks.len(), 10);
        assert!(t.ticks.iter().all(|c| c[&s502] == 2));
        assert_eq!(t.seconds.len(), 1);
        assert_eq!(t.seconds[0].counts[&s502], 20);
        assert_eq!(t.seconds[0].at, 1);
        // After the reload: 200s only, the 502 total stays.
        let d = t.tick(&totals(&[(s502, 20), (Outcome::Status(200), 3)]), "fix");
        assert_eq!(d, Counts::from([(Outcome::Status(200), 3)]));
    }

    #[test]
    fn clearing_forgets_lines_but_not_the_clock() {
        let mut t = Tally::default();
        for _ in 0..15 {
            t.tick(&LiveCounts::default(), "a");
        }
        t.clear();
        assert!(t.seconds.is_empty() && t.ticks.is_empty());
        for _ in 0..10 {
            t.tick(&LiveCounts::default(), "a");
        }
        assert_eq!(
            t.seconds[0].at, 2,
            "the clock counts on from the demo's start"
        );
    }

    #[test]
    fn second_lines_colour_by_tone_and_respect_no_colour() {
        let s = Second {
            at: 7,
            phase: "fix".into(),
            counts: Counts::from([
                (Outcome::Status(200), 18),
                (Outcome::Status(502), 1),
                (Outcome::Timeout, 1),
            ]),
        };
        assert_eq!(
            second_line(&s, false),
            "    7s  fix  200×18 502×1 timeout×1"
        );
        let coloured = second_line(&s, true);
        assert!(coloured.contains("\x1b[32m200×18\x1b[0m"));
        assert!(coloured.contains("\x1b[31m502×1\x1b[0m"));
        assert!(coloured.contains("\x1b[33mtimeout×1\x1b[0m"));
        let empty = Second {
            counts: Counts::new(),
            ..s
        };
        assert_eq!(second_line(&empty, true), "    7s  fix  -");
        assert_eq!(tone(Outcome::Status(404)), Tone::Plain);
    }
}
