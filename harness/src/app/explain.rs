//! `badgateway explain NAME`: the story, the guide step, and what each phase changes in the
//! config, as a unified diff of the fragments (upstream addresses shown symbolically).

use crate::cli::ExplainArgs;
use crate::exit::Exit;

pub(super) fn explain(args: &ExplainArgs) -> Exit {
    let loaded = match super::load_named(&args.paths, &args.name) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    crate::out!("{}", crate::report::explain_text::explain(&loaded.scenario));
    Exit::Passed
}
