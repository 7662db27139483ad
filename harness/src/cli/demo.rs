//! Command-line arguments of `badgateway demo` (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use crate::scenario::Rate;

/// The `--auto` pace when none is given, and when stdin is not a terminal.
pub const DEFAULT_PACE: Duration = Duration::from_secs(15);

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Scenario name (see `badgateway list`).
    pub name: String,
    /// Where to look for it.
    #[arg(long = "in", value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Steady background load through nginx, e.g. `20/s` or `600/m` (the scenario's own
    /// request). None by default: the audience's `curl` is the only traffic.
    #[arg(long, value_name = "N/s")]
    pub rate: Option<Rate>,
    /// Move to the next phase every DURATION (default 15s) and end after the last one. On
    /// without a terminal on stdin, unless `--web` is given (the page's buttons move it).
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "15s",
          value_parser = super::load::parse_duration)]
    pub auto: Option<Duration>,
    /// Also serve a live web view (chart, error.log, config diff, phase buttons) on
    /// 127.0.0.1; its address is printed.
    #[arg(long)]
    pub web: bool,
    /// The web view's port (default: a free one). Implies `--web`.
    #[arg(long, value_name = "PORT")]
    pub web_port: Option<u16>,
    /// The demo ends after this long, whatever else happens (at most 1h).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = super::load::parse_duration)]
    pub max_time: Duration,
    /// The nginx binary (default: `nginx` on PATH, then /usr/sbin). Local nginx only: the
    /// demo reloads nginx with a signal to its master.
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
    /// Output root; the demo writes nginx.conf and error.log to `<out>/demo/<run-id>/NAME/`.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// Seed for the fake upstreams' and the load's random decisions.
    #[arg(long)]
    pub seed: Option<u64>,
}
