//! Carrying out a parsed command line. Each command returns an [`Exit`]; only `main` turns it
//! into the process status.

mod check;
mod common;
mod compare;
mod demo;
mod diagnose;
mod explain;
mod handout;
mod init;
mod lab;
mod list;
mod load;
mod report;
mod run;
mod schema;
mod validate;
mod verify;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use crate::input_error::InputError;
use crate::scenario::{LoadedScenario, discover};

/// Run the command and say how the process should end.
pub fn execute(cli: Cli) -> Exit {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::List(args) if args.faults => list::faults(),
        Command::List(args) => list::list(&args.paths.paths, args.markdown),
        Command::Validate(args) => validate::validate(args),
        Command::Explain(args) => explain::explain(&args),
        Command::Check(args) => check::check(args),
        Command::Compare(args) => compare::compare(args),
        Command::Diagnose(args) => diagnose::diagnose(args),
        Command::Report(args) => report::report(&args),
        Command::Schema(args) => schema::schema(&args),
        Command::Load(args) => load::load(&args),
        Command::Verify(args) => verify::verify(&args),
        Command::Handout(args) => handout::handout(&args),
        Command::Demo(args) => demo::demo(&args),
        Command::Init(args) => init::init(&args),
    }
}

/// Load scenarios or print the input error; `Err` carries the exit to use.
fn load_scenarios(paths: &[std::path::PathBuf]) -> Result<Vec<LoadedScenario>, Exit> {
    discover(paths).map_err(|e: InputError| {
        crate::errln!("{e}");
        Exit::BadInput
    })
}

/// The scenario called `name`, or the error naming the known ones.
fn find_scenario<'a>(
    scenarios: &'a [LoadedScenario],
    name: &str,
) -> Result<&'a LoadedScenario, Exit> {
    scenarios
        .iter()
        .find(|l| l.scenario.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = scenarios.iter().map(|l| l.scenario.name.as_str()).collect();
            crate::errln!(
                "error: no scenario named `{name}`\n  hint: known scenarios: {}",
                names.join(", ")
            );
            Exit::BadInput
        })
}

/// The scenario called `name` under `paths`, or the input error (naming the known ones).
fn load_named(paths: &[std::path::PathBuf], name: &str) -> Result<LoadedScenario, Exit> {
    find_scenario(&load_scenarios(paths)?, name).cloned()
}

/// A multi-threaded tokio runtime for commands that start servers.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime can be built")
}
