//! `fake-upstream`: run one misbehaving upstream from the command line.
//!
//! For trying a fault by hand against a local nginx, or for scripts: pick the fault with a
//! subcommand (`fake-upstream --listen 127.0.0.1:8081 stall --delay 5s`) or a YAML file
//! (`--fault-yaml server.yaml`, a fault or a whole server spec with `probability`, `limit`,
//! `schedule`, `listen`). Prints `listening on ENDPOINT (fault: KIND)` (`127.0.0.1:PORT` or
//! `unix:PATH`), runs until SIGINT or SIGTERM, then prints the final counters as one JSON line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use fake_upstreams::server::{SpawnOptions, spawn_spec_at};
use fake_upstreams::{Fault, ServerSpec};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Run one fake upstream server that misbehaves on purpose.
#[derive(Debug, Parser)]
#[command(name = "fake-upstream", version)]
struct Cli {
    /// Address to listen on (port 0 picks a free port; `0.0.0.0:9000` inside a container).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Read the server spec from this YAML file (a mapping with `kind:`, optionally
    /// `probability`, `limit`, `schedule`, `listen`) instead of a subcommand.
    #[arg(long, value_name = "FILE")]
    fault_yaml: Option<PathBuf>,
    /// Seed for `probability` decisions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for the socket of `listen: unix*` specs.
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    socket_dir: PathBuf,
    /// Socket file name (without `.sock`) for `listen: unix*` specs.
    #[arg(long, default_value = "fake-upstream")]
    name: String,
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
    let matches = fake_upstreams::faults::with_kebab_aliases(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let spec = match (&cli.fault_yaml, cli.fault.clone()) {
        (Some(path), None) => match load_yaml(path) {
            Ok(spec) => spec,
            Err(msg) => {
                eprintln!("{msg}");
                return ExitCode::from(2);
            }
        },
        (None, Some(fault)) => ServerSpec::from(fault),
        _ => {
            eprintln!("error: give exactly one of --fault-yaml FILE or a fault subcommand");
            return ExitCode::from(2);
        }
    };
    match serve(&cli, spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A fresh CA for a `tls:` server, its certificate written as `<socket-dir>/<name>.ca.pem`
/// for clients to trust.
fn write_ca(cli: &Cli) -> anyhow::Result<std::sync::Arc<fake_upstreams::Ca>> {
    let ca = fake_upstreams::Ca::generate().map_err(anyhow::Error::msg)?;
    let path = cli.socket_dir.join(format!("{}.ca.pem", cli.name));
    std::fs::write(&path, ca.pem()).with_context(|| format!("{}", path.display()))?;
    Ok(std::sync::Arc::new(ca))
}

/// Parse a spec file; the error starts with `file:line:col:`.
fn load_yaml(path: &Path) -> Result<ServerSpec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    fake_upstreams::yaml::spec_from_str(&text).map_err(|err| format!("{}:{err}", path.display()))
}

#[tokio::main]
async fn serve(cli: &Cli, spec: ServerSpec) -> anyhow::Result<()> {
    let kind = spec.fault.kind();
    // Handlers first: a signal sent right after the "listening" line must not kill us.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let tls_ca = match spec.tls {
        Some(_) => Some(write_ca(cli)?),
        None => None,
    };
    let opts = SpawnOptions {
        seed: cli.seed,
        socket_dir: cli.socket_dir.clone(),
        name: cli.name.clone(),
        tls_ca,
    };
    let server = spawn_spec_at(spec, opts, cli.listen, CancellationToken::new())
        .await
        .with_context(|| format!("cannot start {kind}"))?;
    println!("listening on {} (fault: {kind})", server.endpoint());
    if server.tls_cert().is_some() {
        let ca = cli.socket_dir.join(format!("{}.ca.pem", cli.name));
        println!("tls: trust the CA in {}", ca.display());
    }
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    let counters = server.counters();
    server.stop().await;
    println!("{}", serde_json::to_string(&counters)?);
    Ok(())
}
