//! `badgateway demo`: a scenario held open for an audience. nginx and the fake upstreams run
//! with the first phase's config on a loopback port, optional steady background load goes
//! through it, and keys (or the `--auto` pace) move between phases by reloading the same
//! nginx master, so the 502s stop without a restart.
//!
//! Files: `state` (which phase, which are skipped, hints shown; pure), `tally` (per-100 ms
//! ticks and per-second lines from the load's running totals; pure), `logtail` (new error.log
//! lines, lifecycle notices left out, grouped), `lab` (the upstreams and the nginx session,
//! apply/reset/close), `background` (the steady load), `keys` (the terminal in
//! key-at-a-time mode), `view` (the live state every screen subscribes to), `screen` (the
//! terminal's rendering of it), `web`, `event` and `timeline` (`--web`: the same view in a
//! browser, its chart's history, its buttons sending the keys' commands) and `hold` (the loop tying them together).

mod background;
mod event;
mod hold;
mod keys;
mod lab;
mod logtail;
mod screen;
mod state;
mod tally;
mod timeline;
mod view;
pub mod web;

pub use hold::{DemoOptions, Ending, hold};
pub use keys::{Key, RawMode, spawn_reader};
pub use screen::{Mode, show};
pub use state::{PhaseEntry, Position};
pub use tally::{Counts, Second};
pub use view::{View, ViewSender};
