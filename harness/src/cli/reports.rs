//! Arguments of the report commands: `badgateway report` (render a saved result again) and
//! `badgateway schema` (print the JSON Schemas the repo commits under `schemas/`).

use std::path::PathBuf;

use crate::report::Format;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A result.json written by `badgateway run`.
    #[arg(value_name = "RESULT.json")]
    pub result: PathBuf,
    /// html, junit, md or json.
    #[arg(long, value_name = "FORMAT")]
    pub format: Format,
    /// Where to write it (html: a file, or a folder to put report.html in); stdout if absent.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
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
