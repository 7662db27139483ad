//! The demo loop: open the lab, start the background load, then every 100 ms read the load's
//! totals and the new error.log lines and publish the [`View`]; act on keys and on the
//! `--auto` pace; end on quit, after the last phase (auto), at `--max-time` or on a signal,
//! and always stop the load, nginx and the upstreams before returning.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};
use tokio_util::sync::CancellationToken;

use super::keys::Key;
use super::lab::Lab;
use super::logtail::{Follower, Groups, shown};
use super::state::Position;
use super::tally::{TICK_MS, Tally};
use super::view::{LOG_TAIL, View, ViewSender};
use crate::hints::{Hint, hints};
use crate::load::{LiveCounts, LiveSender, LoadPlan};
use crate::nginx::{ConfigTest, NginxBackend, RunDir};
use crate::runner::{fault_windows, stage_plan};
use crate::scenario::{Rate, Scenario, config_diff, config_text, servers_used};

/// How a demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub backend: NginxBackend,
    /// The run dir: nginx.conf, error.log and nginx's temp files.
    pub dir: PathBuf,
    pub seed: u64,
    /// Background load, if any.
    pub rate: Option<Rate>,
    /// Move to the next phase after this long, and end after the last one.
    pub auto: Option<Duration>,
    /// The demo ends after this long whatever happens.
    pub max_time: Duration,
    /// Keys are read (the screen lists them).
    pub keys: bool,
    /// The web view's address, when there is one (the screen names it).
    pub web: Option<String>,
}

/// Why a demo ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Quit,
    /// `--auto` went past the last phase.
    LastPhase,
    /// `--max-time` passed.
    TimeUp,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// Hold `s` open until it ends; publishes to `feed` throughout. `Err` when nginx or the
/// upstreams could not be started (nothing is left running then either).
pub async fn hold(
    s: &Scenario,
    opts: &DemoOptions,
    keys: mpsc::UnboundedReceiver<Key>,
    feed: &ViewSender,
    cancel: &CancellationToken,
) -> Result<Ending, String> {
    let version = opts.backend.version();
    let mut pos = Position::start(s, version)
        .ok_or_else(|| format!("no phase of `{}` applies to nginx {version}", s.name))?;
    let dir = RunDir::create(opts.dir.clone())
        .map_err(|e| format!("cannot create {}: {e}", opts.dir.display()))?;
    let candidates: Vec<usize> = (pos.phases.iter().enumerate())
        .filter(|(_, p)| p.skipped.is_none())
        .map(|(i, _)| i)
        .collect();
    let opened = Lab::open(s, &opts.backend, dir, &candidates, opts.seed, cancel).await?;
    let mut lab = opened.lab;
    pos.current = opened.phase;
    let first = &s.phases[pos.current];
    let live: LiveSender = watch::channel(LiveCounts::default()).0;
    let stop_load = cancel.child_token();
    let template = load_template(s, first, &lab, opts.seed);
    let load = match (&template, opts.rate) {
        (Ok(plan), Some(rate)) => Some(tokio::spawn(super::background::run(
            plan.clone(),
            rate,
            stop_load.clone(),
            live.clone(),
        ))),
        _ => None,
    };
    let mut demo = Demo::new(s, pos, opts, &lab, describe_load(&template, opts.rate));
    demo.notice = refusals(s, &opened.refused, first);
    feed.send_replace(demo.view(&lab));
    let ending = demo.run(&mut lab, keys, &live, feed, opts, cancel).await;
    stop_load.cancel();
    if let Some(load) = load {
        let _ = load.await;
    }
    lab.close().await;
    feed.send_modify(|v| v.finished = true);
    Ok(ending)
}

/// The demo's state beside the lab.
struct Demo<'a> {
    s: &'a Scenario,
    pos: Position,
    /// The phase whose config nginx serves (the position moves to a refused phase too).
    serving: usize,
    tally: Tally,
    log: Groups,
    log_tail: VecDeque<String>,
    follower: Follower,
    hints: Vec<Hint>,
    notice: Option<String>,
    /// The tick at which the servers' schedules last started.
    schedule_tick: u64,
    base: View,
}

impl<'a> Demo<'a> {
    fn new(s: &'a Scenario, pos: Position, opts: &DemoOptions, lab: &Lab, load: String) -> Self {
        let error_log = lab.dir().error_log();
        let stages = s.traffic_for(&s.phases[pos.current]);
        let path = stages.0.first().map_or("/", |t| t.path.as_str());
        let curl = match lab.front_ca.is_some() {
            true => format!("curl -ik https://127.0.0.1:{}{path}", lab.port()),
            false => format!("curl -i http://127.0.0.1:{}{path}", lab.port()),
        };
        let hints = hints(s);
        let base = View {
            scenario: s.name.clone(),
            title: s.title.clone(),
            story: s.story.clone(),
            nginx: opts.backend.describe(),
            port: lab.port(),
            error_log: error_log.clone(),
            curl,
            hints_total: hints.len(),
            load,
            auto: opts.auto,
            keys: opts.keys,
            web: opts.web.clone(),
            ..View::default()
        };
        Demo {
            s,
            serving: pos.current,
            pos,
            tally: Tally::default(),
            log: Groups::default(),
            log_tail: VecDeque::new(),
            follower: Follower::at_end(error_log),
            hints,
            notice: None,
            schedule_tick: 0,
            base,
        }
    }

    async fn run(
        &mut self,
        lab: &mut Lab<'_>,
        mut keys: mpsc::UnboundedReceiver<Key>,
        live: &LiveSender,
        feed: &ViewSender,
        opts: &DemoOptions,
        cancel: &CancellationToken,
    ) -> Ending {
        let deadline = Instant::now() + opts.max_time;
        let pace = |from: Instant| opts.auto.map(|d| from + d);
        let mut next_at = pace(Instant::now());
        let mut keys_open = true;
        let mut ticks = interval(Duration::from_millis(TICK_MS));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let auto = async {
                match next_at {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let key = tokio::select! {
                _ = cancel.cancelled() => return Ending::Interrupted,
                _ = sleep_until(deadline) => return Ending::TimeUp,
                _ = ticks.tick() => {
                    self.tick(live);
                    feed.send_replace(self.view(lab));
                    continue;
                }
                _ = auto => match self.pos.next() {
                    Some(_) => Key::Next,
                    None => return Ending::LastPhase,
                },
                key = keys.recv(), if keys_open => match key {
                    Some(key) => key,
                    // No more keys (stdin closed): carry on until another end.
                    None => {
                        keys_open = false;
                        continue;
                    }
                },
            };
            if key == Key::Quit {
                return Ending::Quit;
            }
            self.act(key, lab).await;
            if matches!(key, Key::Next | Key::Previous) {
                next_at = pace(Instant::now());
            }
            feed.send_replace(self.view(lab));
        }
    }

    /// One 100 ms tick: the load's totals and the error.log's new lines.
    fn tick(&mut self, live: &LiveSender) {
        let serving = self.s.phases[self.serving].name.clone();
        self.tally.tick(&live.borrow(), &serving);
        for line in self.follower.new_lines().into_iter().filter(|l| shown(l)) {
            self.log.add(&line);
            if self.log_tail.len() == LOG_TAIL {
                self.log_tail.pop_front();
            }
            self.log_tail.push_back(line);
        }
    }

    async fn act(&mut self, key: Key, lab: &mut Lab<'_>) {
        match key {
            Key::Next | Key::Previous => {
                let to = match key {
                    Key::Next => self.pos.next(),
                    _ => self.pos.previous(),
                };
                match to {
                    Some(to) => self.switch(to, lab).await,
                    None => self.notice = Some("no phase that way".into()),
                }
            }
            Key::Hint => {
                if !self.pos.more_hint(self.hints.len()) {
                    self.notice = Some("every hint is shown".into());
                }
            }
            Key::Reset => {
                let phase = &self.s.phases[self.serving];
                let applied = lab.reset(phase).await;
                self.notice = Some(match applied {
                    Ok(ConfigTest::Accepted) => format!(
                        "reset `{}`: fresh upstreams, config reloaded, counters cleared",
                        phase.name
                    ),
                    Ok(ConfigTest::Rejected(why)) => format!("reset: nginx -t refused:\n{why}"),
                    Err(e) => format!("reset failed: {e}"),
                });
                self.pos.current = self.serving;
                self.schedule_tick = self.tally.elapsed_ticks();
                self.clear();
            }
            Key::Quit => {}
        }
    }

    /// Apply phase `to` with a reload; a refused config keeps the old one serving.
    async fn switch(&mut self, to: usize, lab: &Lab<'_>) {
        let phase = &self.s.phases[to];
        let pid = lab.master_pid().map_or("-".into(), |p| p.to_string());
        match lab.apply(phase).await {
            Ok(ConfigTest::Accepted) => {
                self.notice = Some(format!(
                    "phase `{}`: nginx -t ok, reloaded (SIGHUP to master pid {pid})",
                    phase.name
                ));
                self.pos.current = to;
                self.serving = to;
                self.clear();
            }
            Ok(ConfigTest::Rejected(why)) => {
                self.notice = Some(format!(
                    "phase `{}`: nginx -t refused its config; nginx keeps serving `{}`:\n{}",
                    phase.name, self.s.phases[self.serving].name, why
                ));
                self.pos.current = to;
            }
            Err(e) => self.notice = Some(format!("phase `{}` not applied: {e}", phase.name)),
        }
    }

    fn clear(&mut self) {
        self.tally.clear();
        self.log = Groups::default();
    }

    fn view(&self, lab: &Lab<'_>) -> View {
        let phase = &self.s.phases[self.pos.current];
        let baseline = &self.s.phases[self.pos.baseline()];
        let config = config_text(self.s, phase);
        let base_text = config_text(self.s, baseline);
        let diff = (base_text != config)
            .then(|| config_diff(&baseline.name, &base_text, &phase.name, &config));
        let serving = &self.s.phases[self.serving];
        let fault_windows = fault_windows(self.s, servers_used(self.s, serving).as_deref());
        View {
            master_pid: lab.master_pid(),
            position: Some(self.pos.clone()),
            config,
            diff_to_baseline: diff,
            ticks: self.tally.ticks.clone(),
            elapsed_ticks: self.tally.elapsed_ticks(),
            log_tail: self.log_tail.clone(),
            seconds: self.tally.seconds.clone(),
            log: self.log.clone(),
            hints: self.hints[..self.pos.hints_shown].to_vec(),
            notice: self.notice.clone(),
            fault_windows,
            schedule_tick: self.schedule_tick,
            ..self.base.clone()
        }
    }
}

/// The request the background load sends: the first traffic stage of `phase`, aimed at the
/// lab's nginx; `Err` says why there is none.
fn load_template(
    s: &Scenario,
    phase: &crate::scenario::Phase,
    lab: &Lab,
    seed: u64,
) -> Result<LoadPlan, String> {
    let (_, traffic) = (s.traffic_for(phase).named().next()).ok_or("the phase has no traffic")?;
    if traffic.websocket.is_some() {
        return Err("the scenario's traffic is WebSocket".into());
    }
    let mut plan = stage_plan(traffic, lab.port(), seed);
    plan.shape.tls_ca = lab
        .front_ca
        .clone()
        .filter(|_| plan.shape.protocol.is_http2());
    Ok(plan)
}

/// What the screen says when nginx refused the first phases (their broken config is the
/// incident: nginx will not start with it) and serves `started` instead.
fn refusals(
    s: &Scenario,
    refused: &[(usize, String)],
    started: &crate::scenario::Phase,
) -> Option<String> {
    let lines: Vec<String> = (refused.iter())
        .map(|(i, why)| {
            format!(
                "phase `{}`: nginx -t refuses its config, so nginx cannot start with it:\n{why}",
                s.phases[*i].name
            )
        })
        .collect();
    (!lines.is_empty()).then(|| {
        format!(
            "{}\nnginx serves `{}` instead",
            lines.join("\n"),
            started.name
        )
    })
}

/// `20/s GET /`, or why there is no background load.
fn describe_load(template: &Result<LoadPlan, String>, rate: Option<Rate>) -> String {
    match (template, rate) {
        (_, None) => "no background load: add --rate 20/s".into(),
        (Err(why), Some(_)) => format!("no background load: {why}"),
        (Ok(plan), Some(rate)) => format!("{}/s {} {}", rate.per_second, plan.method, plan.path),
    }
}
