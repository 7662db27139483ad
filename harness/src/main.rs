//! The `badgateway` command: parse arguments, let the library do the work, exit with its code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: hyper allocates two 32 KiB header tables per response
/// when the client takes more than its default 100 header lines (the lenient client takes
/// 1024), and glibc's large-chunk bins made that the load driver's costliest step (see
/// BENCHMARKS.md, "What the profile showed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("BADGATEWAY_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = badgateway::cli::Cli::parse();
    ExitCode::from(badgateway::app::execute(cli).code())
}
