//! The `badgateway` command: parse arguments, let the library do the work, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("BADGATEWAY_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = badgateway::cli::Cli::parse();
    ExitCode::from(badgateway::app::execute(cli).code())
}
