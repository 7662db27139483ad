//! The live progress display of `badgateway run`: it renders the runner's
//! [`Event`]s while scenarios run. On a terminal, one `indicatif` bar per running phase with
//! an ETA and the outcome counts so far: against the clock for a phase bounded by `duration`
//! (its request count is only a cap there), else requests done / planned; otherwise plain
//! lines: phase start and end, and one line per second per running phase. `--quiet` starts no
//! display; `NO_COLOR` turns colours off.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::events::{Event, PhaseKey, ProgressSender};
use crate::load::LiveCounts;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redrawn bars (stderr is a terminal).
    Bars { colour: bool },
    /// Plain lines, for logs and CI.
    Lines,
}

impl Mode {
    /// Bars when stderr is a terminal (coloured unless `NO_COLOR` is set), else lines.
    pub fn detect() -> Mode {
        if std::io::stderr().is_terminal() {
            let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            Mode::Bars { colour }
        } else {
            Mode::Lines
        }
    }
}

/// How often plain lines repeat for a running phase.
const LINE_EVERY: Duration = Duration::from_secs(1);
/// How often bars are refreshed from the live counts.
const REFRESH: Duration = Duration::from_millis(100);

/// Start a display task on the current tokio runtime; it ends once every sender is dropped.
/// Plain lines go to `out` (stderr in `badgateway run`).
pub fn spawn(mode: Mode, out: Box<dyn Write + Send>) -> (ProgressSender, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = tokio::spawn(render(rx, Display::new(mode, out)));
    (tx, handle)
}

async fn render(mut rx: mpsc::UnboundedReceiver<Event>, mut display: Display) {
    let mut tick = tokio::time::interval(REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(event) => display.event(event),
                None => break,
            },
            _ = tick.tick() => display.refresh(),
        }
    }
    display.bars.clear().ok();
}

/// One running phase.
struct Running {
    planned: u64,
    /// Time-bounded phases: the bar follows the clock over this length.
    duration: Option<Duration>,
    started: Instant,
    live: watch::Receiver<LiveCounts>,
    bar: Option<ProgressBar>,
    last_line: Instant,
}

struct Display {
    mode: Mode,
    out: Box<dyn Write + Send>,
    bars: MultiProgress,
    running: BTreeMap<PhaseKey, Running>,
}

impl Display {
    fn new(mode: Mode, out: Box<dyn Write + Send>) -> Display {
        let target = match mode {
            Mode::Bars { .. } => ProgressDrawTarget::stderr(),
            Mode::Lines => ProgressDrawTarget::hidden(),
        };
        Display {
            mode,
            out,
            bars: MultiProgress::with_draw_target(target),
            running: BTreeMap::new(),
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::PhaseStarted {
                key,
                planned,
                duration,
                live,
            } => {
                let bar = match self.mode {
                    Mode::Bars { colour } => Some(self.bar(&key, planned, duration, colour)),
                    Mode::Lines => {
                        self.line(&starting_line(&key, planned, duration));
                        None
                    }
                };
                let now = Instant::now();
                let running = Running {
                    planned,
                    duration,
                    started: now,
                    live,
                    bar,
                    last_line: now,
                };
                self.running.insert(key, running);
            }
            Event::PhaseFinished {
                key,
                verdict,
                requests,
                wall_ms,
            } => {
                if let Some(bar) = self.running.remove(&key).and_then(|r| r.bar) {
                    bar.finish_and_clear();
                }
                let text = format!(
                    "{}: {} ({requests} requests, {:.1}s)",
                    name(&key),
                    verdict.label(),
                    wall_ms as f64 / 1000.0
                );
                self.line(&text);
            }
            Event::ScenarioSoFar(_) => {}
        }
    }

    /// A bar of `planned` requests, or of `duration` in milliseconds (filled by the clock).
    fn bar(
        &self,
        key: &PhaseKey,
        planned: u64,
        duration: Option<Duration>,
        colour: bool,
    ) -> ProgressBar {
        let (bar, count) = match colour {
            true => ("{prefix:.bold} [{bar:24.cyan/blue}]", "{pos}/{len}"),
            false => ("{prefix} [{bar:24}]", "{pos}/{len}"),
        };
        let template = match duration {
            Some(_) => format!("  {bar} {{elapsed:>4}}/{{duration}} ETA {{eta}} {{msg}}"),
            None => format!("  {bar} {count} {{elapsed:>4}} ETA {{eta}} {{msg}}"),
        };
        let style = ProgressStyle::with_template(&template)
            .expect("the progress template is valid")
            .progress_chars("=> ");
        let len = duration.map_or(planned, |d| d.as_millis() as u64);
        let bar = self.bars.add(ProgressBar::new(len));
        bar.set_style(style);
        bar.set_prefix(name(key));
        bar
    }

    /// Bars: copy the live counts in. Lines: one line per running phase every second.
    fn refresh(&mut self) {
        let mut lines = Vec::new();
        for (key, r) in &mut self.running {
            let counts = r.live.borrow().clone();
            if let Some(bar) = &r.bar {
                match r.duration {
                    Some(d) => {
                        let ms = r.started.elapsed().min(d).as_millis() as u64;
                        bar.set_position(ms);
                        bar.set_message(format!("{} requests {}", counts.done, counts.summary()));
                    }
                    None => {
                        bar.set_position(counts.done);
                        bar.set_message(counts.summary());
                    }
                }
            } else if r.last_line.elapsed() >= LINE_EVERY {
                r.last_line = Instant::now();
                lines.push(status_line(key, r.planned, r.started.elapsed(), &counts));
            }
        }
        lines.iter().for_each(|l| self.line(l));
    }

    /// A line that stays: above the bars on a terminal, else written to `out`.
    fn line(&mut self, text: &str) {
        match self.mode {
            Mode::Bars { .. } => self.bars.println(format!("  {text}")).unwrap_or(()),
            Mode::Lines => {
                let _ = writeln!(self.out, "  {text}");
            }
        }
    }
}

/// `upstream-down / baseline`, with `#2` for a repeated attempt.
fn name(key: &PhaseKey) -> String {
    match key.attempt {
        1 => format!("{} / {}", key.scenario, key.phase),
        n => format!("{}#{n} / {}", key.scenario, key.phase),
    }
}

/// `upstream-down / baseline: starting, 40 requests` (`, for 4.5s` when time bounds it).
fn starting_line(key: &PhaseKey, planned: u64, duration: Option<Duration>) -> String {
    let mut text = format!("{}: starting, {planned} requests", name(key));
    if let Some(d) = duration {
        text.push_str(&format!(" at most, for {:.1}s", d.as_secs_f64()));
    }
    text
}

/// `upstream-down / baseline: 12/40 requests, 1.2s, 502×12`.
pub fn status_line(key: &PhaseKey, planned: u64, elapsed: Duration, c: &LiveCounts) -> String {
    let mut text = format!(
        "{}: {}/{planned} requests, {:.1}s",
        name(key),
        c.done,
        elapsed.as_secs_f64()
    );
    if !c.outcomes.is_empty() {
        text.push_str(", ");
        text.push_str(&c.summary());
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::outcome::Outcome;
    use crate::result::Verdict;

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn key(attempt: u32) -> PhaseKey {
        PhaseKey {
            scenario: "upstream-down".into(),
            attempt,
            phase: "baseline".into(),
        }
    }

    #[test]
    fn status_lines_show_done_planned_elapsed_and_outcomes() {
        let counts = LiveCounts {
            done: 12,
            outcomes: BTreeMap::from([(Outcome::Status(502), 12)]),
        };
        let line = status_line(&key(2), 40, Duration::from_millis(1200), &counts);
        assert_eq!(
            line,
            "upstream-down#2 / baseline: 12/40 requests, 1.2s, 502×12"
        );
    }

    #[test]
    fn a_time_bounded_phase_says_for_how_long() {
        let line = starting_line(&key(1), 1000, Some(Duration::from_millis(4500)));
        assert_eq!(
            line,
            "upstream-down / baseline: starting, 1000 requests at most, for 4.5s"
        );
    }

    #[tokio::test]
    async fn a_time_bounded_bar_follows_the_clock() {
        let display = Display::new(Mode::Bars { colour: false }, Box::new(std::io::sink()));
        let bar = display.bar(&key(1), 1000, Some(Duration::from_secs(4)), false);
        assert_eq!(bar.length(), Some(4000), "milliseconds, not requests");
        let counted = display.bar(&key(1), 40, None, false);
        assert_eq!(counted.length(), Some(40));
    }

    #[tokio::test]
    async fn plain_mode_prints_start_periodic_and_end_lines() {
        let captured = Captured::default();
        let (tx, task) = spawn(Mode::Lines, Box::new(captured.clone()));
        let (live_tx, live) = watch::channel(LiveCounts::default());
        let started = Event::PhaseStarted {
            key: key(1),
            planned: 40,
            duration: None,
            live,
        };
        tx.send(started).unwrap();
        live_tx.send_modify(|c| {
            c.done = 5;
            c.outcomes.insert(Outcome::Status(502), 5);
        });
        tokio::time::sleep(Duration::from_millis(1250)).await;
        let finished = Event::PhaseFinished {
            key: key(1),
            verdict: Verdict::Pass,
            requests: 40,
            wall_ms: 1300,
        };
        tx.send(finished).unwrap();
        drop(tx);
        task.await.unwrap();
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert_eq!(
            lines.first(),
            Some(&"upstream-down / baseline: starting, 40 requests")
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("5/40 requests") && l.contains("502×5")),
            "{text}"
        );
        assert_eq!(
            lines.last(),
            Some(&"upstream-down / baseline: PASS (40 requests, 1.3s)")
        );
    }
}
