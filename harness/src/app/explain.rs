//! `badgateway explain NAME`: the story, the guide step, and what each phase changes in the
//! config, as a unified diff of the fragments (upstream addresses shown symbolically).

use crate::cli::ExplainArgs;
use crate::exit::Exit;

pub(super) fn explain(args: &ExplainArgs) -> Exit {
    let scenarios = match super::load_scenarios(&args.paths) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let Some(loaded) = scenarios.iter().find(|l| l.scenario.name == args.name) else {
        let names: Vec<&str> = scenarios.iter().map(|l| l.scenario.name.as_str()).collect();
        crate::errln!(
            "error: no scenario named `{}`\n  hint: known scenarios: {}",
            args.name,
            names.join(", ")
        );
        return Exit::BadInput;
    };
    crate::out!("{}", crate::report::explain_text::explain(&loaded.scenario));
    Exit::Passed
}
