//! `fake-upstream`: run one misbehaving upstream from the command line.
//!
//! For trying a fault by hand against a local nginx, or for scripts: pick the fault with a
//! subcommand (`fake-upstream --listen 127.0.0.1:8081 stall --delay 5s`) or a YAML file
//! (`--fault-yaml fault.yaml`). Prints `listening on ADDR (fault: KIND)`, runs until SIGINT or
//! SIGTERM, then prints the final counters as one JSON line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use fake_upstreams::Fault;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Run one fake upstream server that misbehaves on purpose.
#[derive(Debug, Parser)]
#[command(name = "fake-upstream", version)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Read the fault from this YAML file (a mapping with `kind:`) instead of a subcommand.
    #[arg(long, value_name = "FILE")]
    fault_yaml: Option<PathBuf>,
    #[command(subcommand)]
    fault: Option<Fault>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let fault = match (cli.fault_yaml, cli.fault) {
        (Some(path), None) => match load_yaml(&path) {
            Ok(fault) => fault,
            Err(msg) => {
                eprintln!("{msg}");
                return ExitCode::from(2);
            }
        },
        (None, Some(fault)) => fault,
        _ => {
            eprintln!("error: give exactly one of --fault-yaml FILE or a fault subcommand");
            return ExitCode::from(2);
        }
    };
    match serve(cli.listen, fault) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Parse a fault file; the error starts with `file:line:col:`.
fn load_yaml(path: &Path) -> Result<Fault, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    fake_upstreams::yaml::fault_from_str(&text).map_err(|err| format!("{}:{err}", path.display()))
}

#[tokio::main]
async fn serve(listen: SocketAddr, fault: Fault) -> anyhow::Result<()> {
    let kind = fault.kind();
    // Handlers first: a signal sent right after the "listening" line must not kill us.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let server = fake_upstreams::spawn(fault, listen, CancellationToken::new())
        .await
        .with_context(|| format!("cannot start {kind} on {listen}"))?;
    println!("listening on {} (fault: {kind})", server.addr());
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    let counters = server.counters();
    server.stop().await;
    println!("{}", serde_json::to_string(&counters)?);
    Ok(())
}
