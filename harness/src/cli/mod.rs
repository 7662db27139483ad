//! Command-line arguments of `badgateway` (clap derive). Parsing only; `app` acts on them.

pub mod checks;
pub mod demo;
pub mod lab;
pub mod load;
pub mod reports;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Prove nginx 502 fixes: real nginx, fake upstreams that misbehave on purpose, checked verdicts.
#[derive(Debug, Parser)]
#[command(name = "badgateway", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against real nginx and check every phase's expectations.
    Run(RunArgs),
    /// List scenarios: name, phases, title (`--markdown`: the README's catalogue table).
    List(ListArgs),
    /// Parse scenarios and run `nginx -t` on every phase's config, without traffic.
    Validate(ValidateArgs),
    /// Print a scenario's story, guide step and the config diff between its phases.
    Explain(ExplainArgs),
    /// Run the fault catalogue against every upstream of your own nginx config.
    Check(crate::cli::checks::CheckArgs),
    /// Run the fault catalogue on two configs and show what the change fixes or regresses.
    Compare(crate::cli::checks::CompareArgs),
    /// Group a real error.log's upstream failures by cause, with the scenario that fixes each.
    Diagnose(crate::cli::checks::DiagnoseArgs),
    /// Render a saved result.json again as html, junit, md or json.
    Report(crate::cli::reports::ReportArgs),
    /// Print the JSON Schema of result.json or of scenario files.
    Schema(crate::cli::reports::SchemaArgs),
    /// Drive load at a loopback URL; print requests/s and latency percentiles.
    Load(crate::cli::load::LoadArgs),
    /// Run your own fix against a scenario's fault: OK, or NO with what differed and a hint.
    Verify(crate::cli::lab::VerifyArgs),
    /// Write a Markdown handout per scenario (story, symptom, hints, fix, timeline SVG).
    Handout(crate::cli::lab::HandoutArgs),
    /// Hold a scenario open for an audience: nginx and the fake upstreams keep running, keys
    /// switch phases with a reload, live outcomes and error.log on screen.
    Demo(crate::cli::demo::DemoArgs),
    /// Write the bundled scenarios and schemas into DIR/scenarios and DIR/schemas for editing
    /// (a local `scenarios/` then wins over the bundled copy).
    Init(InitArgs),
}

/// Scenario files or folders; when none are given, `scenarios`: the folder `./scenarios/` when
/// present, else the catalogue embedded in the binary.
#[derive(Debug, clap::Args)]
pub struct PathArgs {
    #[arg(value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Print the catalogue as the Markdown table README.md embeds.
    #[arg(long)]
    pub markdown: bool,
    /// Print the fake upstreams' faults (settings, what nginx does, what `check` plays) as
    /// the Markdown table README.md embeds, instead of the scenarios.
    #[arg(long)]
    pub faults: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Only scenarios whose name contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Scenarios run in parallel: a number (1-64) or `auto` (every scenario at once, up to
    /// 32: phases mostly wait on timeouts and spacing, not on the CPU).
    #[arg(long, short, default_value = "1", value_name = "N|auto")]
    pub jobs: Jobs,
    /// Run each scenario N times and report how stable each verdict is.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Seed for randomised decisions; printed and recorded in the result.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The nginx binary (default: `nginx` on PATH, then /usr/sbin). Repeatable: each scenario
    /// runs once per nginx (with --nginx-image too), and the summary has a column per version.
    #[arg(long, value_name = "PATH")]
    pub nginx: Vec<PathBuf>,
    /// Run nginx from this container image (Docker; host network), e.g.
    /// `badgateway/nginx:1.30` from scripts/build-nginx-images or an official `nginx:1.x`.
    /// Repeatable.
    #[arg(long, value_name = "IMAGE[:TAG]")]
    pub nginx_image: Vec<String>,
    /// Keep nginx's temp folders in the run dirs.
    #[arg(long)]
    pub keep: bool,
    /// Output root; each run writes to `<out>/<run-id>/`.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// No progress lines, only the summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write a report: json=PATH, junit=PATH, md=PATH or html=DIR|FILE (repeatable). Without
    /// it, all four go into `<out>/<run-id>/`.
    #[arg(long, value_name = "FORMAT=PATH")]
    pub report: Vec<crate::report::Target>,
    /// Let scenario fragments `listen` beyond loopback (scenario files are code: they can make
    /// nginx do anything it can; by default a non-loopback `listen` is refused).
    #[arg(long)]
    pub allow_any_listen: bool,
    /// Run a scenario once more when it is inconclusive (it failed while the load driver was
    /// starved of CPU); the second try's verdict counts.
    #[arg(long)]
    pub retry_inconclusive: bool,
    /// Run only shard K of N (1-based) of the scenarios (after --filter), for a CI job
    /// matrix; `badgateway report --merge` puts the shards' results back together. Every
    /// attempt and nginx of a scenario stays in its shard.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::shard::ShardArg>,
    /// How to split the suite: `name` (sorted names dealt round-robin) or
    /// `time=PREV/result.json` (balanced by the wall time of each scenario in that run).
    #[arg(
        long,
        value_name = "name|time=PREV",
        default_value = "name",
        requires = "shard"
    )]
    pub shard_by: crate::shard::Balance,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
    /// Accept scenario fragments that `listen` beyond loopback (as `run --allow-any-listen`).
    #[arg(long)]
    pub allow_any_listen: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Scenario name (see `badgateway list`).
    pub name: String,
    /// Where to look for it.
    #[arg(long = "in", value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The folder to write `scenarios/` and `schemas/` into (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that already exist (by default nothing is written if any does).
    #[arg(long)]
    pub force: bool,
}

/// How many scenarios run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jobs {
    Auto,
    Fixed(u16),
}

impl Jobs {
    /// The most scenarios `auto` runs at once.
    pub const AUTO_LIMIT: usize = 32;

    /// The number of parallel slots for `runs` scenario runs.
    pub fn resolve(self, runs: usize) -> usize {
        match self {
            Jobs::Auto => runs.clamp(1, Self::AUTO_LIMIT),
            Jobs::Fixed(n) => usize::from(n),
        }
    }
}

impl std::str::FromStr for Jobs {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(Jobs::Auto);
        }
        match s.parse::<u16>() {
            Ok(n @ 1..=64) => Ok(Jobs::Fixed(n)),
            _ => Err(format!(
                "`{s}` is not a job count: use a number from 1 to 64, or `auto`"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Jobs;

    #[test]
    fn jobs_are_a_count_or_auto() {
        assert_eq!("auto".parse::<Jobs>(), Ok(Jobs::Auto));
        assert_eq!("3".parse::<Jobs>(), Ok(Jobs::Fixed(3)));
        assert!("0".parse::<Jobs>().is_err() && "65".parse::<Jobs>().is_err());
        assert_eq!(Jobs::Auto.resolve(23), 23);
        assert_eq!(Jobs::Auto.resolve(200), Jobs::AUTO_LIMIT);
        assert_eq!(Jobs::Auto.resolve(0), 1);
        assert_eq!(Jobs::Fixed(2).resolve(23), 2);
    }
}
