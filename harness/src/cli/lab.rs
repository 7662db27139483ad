//! Arguments of the commands for trainers and learners: `verify` (a learner's fix against a
//! scenario's fault) and `handout` (a Markdown page per scenario for a course).

use std::path::PathBuf;

/// `badgateway verify NAME --config FILE | --fragment FILE`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("fix").required(true).args(["config", "fragment"])))]
pub struct VerifyArgs {
    /// Scenario name (see `badgateway list`).
    pub name: String,
    /// Your fix as nginx text: what goes inside `http { }` (e.g. the `upstream` block), with
    /// an optional `location / { ... }` and `events { worker_connections N; }`; what you leave
    /// out stays as in the broken phase. Addresses as `{{upstream.APP.SERVER}}` or as
    /// `explain` prints them (`127.0.0.1:<APP.SERVER>`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Your fix as the body of `location / { ... }` alone; the http part stays as in the
    /// broken phase.
    #[arg(long, value_name = "FILE")]
    pub fragment: Option<PathBuf>,
    /// The phase whose expectations your fix must meet (default: the scenario's last).
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,
    /// Which hint to show when the fix does not pass (1 = the first; the last is the
    /// solution).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub hint: u32,
    /// Where to look for the scenario.
    #[arg(long = "in", value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// The nginx binary (default: `nginx` on PATH, then /usr/sbin).
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
    /// Seed for randomised decisions (the fakes' probabilities, methods).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep the run folder (nginx.conf, error.log) and print where it is.
    #[arg(long)]
    pub keep: bool,
}

/// `badgateway handout NAME... [--all] [--out DIR]`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["names", "all"])))]
pub struct HandoutArgs {
    /// Scenario names (see `badgateway list`).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Every scenario found.
    #[arg(long)]
    pub all: bool,
    /// Where the pages go: `<out>/<name>.md` and `<out>/<name>.svg`.
    #[arg(long, default_value = "handouts", value_name = "DIR")]
    pub out: PathBuf,
    /// Where to look for the scenarios.
    #[arg(long = "in", value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// The nginx binary (default: `nginx` on PATH, then /usr/sbin).
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
    /// Seed for randomised decisions; the same seed gives the same page.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
