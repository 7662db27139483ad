//! Command-line arguments of `badgateway` (clap derive). Parsing only; `app` acts on them.

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
}

/// Scenario files or folders; the bundled `scenarios/` when none are given.
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
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Only scenarios whose name contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Scenarios run in parallel.
    #[arg(long, short, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Run each scenario N times and report how stable each verdict is.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Seed for randomised decisions; printed and recorded in the result.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The nginx binary (default: `nginx` on PATH, then /usr/sbin).
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
    /// Keep nginx's temp folders in the run dirs.
    #[arg(long)]
    pub keep: bool,
    /// Output root; each run writes to `<out>/<run-id>/`.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// No progress lines, only the summary.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Scenario name (see `badgateway list`).
    pub name: String,
    /// Where to look for it.
    #[arg(long = "in", value_name = "PATH", default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}
