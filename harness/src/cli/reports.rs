//! Arguments of the report commands: `badgateway report` (render a saved result again) and
//! `badgateway schema` (print the JSON Schemas the repo commits under `schemas/`).

use std::path::PathBuf;

use crate::report::Format;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A result.json written by `badgateway run`.
    #[arg(value_name = "RESULT.json", required_unless_present = "merge")]
    pub result: Option<PathBuf>,
    /// html, junit, md or json.
    #[arg(long, value_name = "FORMAT", required_unless_present = "merge")]
    pub format: Option<Format>,
    /// Where to write it (html: a file, or a folder to put report.html in); stdout if absent.
    /// With --merge: the folder for result.json, junit.xml, summary.md and report.html.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Merge the results of several runs (the shards of `run --shard K/N`, or one run per
    /// nginx version) into one result of the whole suite, and write every report into --out.
    /// Exits as `run` would for the whole suite.
    #[arg(long, value_name = "RESULT.json", num_args = 1.., requires = "out",
          conflicts_with_all = ["result", "format"])]
    pub merge: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which schema: `result` (result.json) or `scenario` (scenario YAML files).
    #[arg(value_enum)]
    pub which: SchemaKind,
}

/// The schemas `badgateway schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// `schemas/result.schema.json`.
    Result,
    /// `schemas/scenario.schema.json`.
    Scenario,
}
