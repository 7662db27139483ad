//! `badgateway report RESULT.json --format FORMAT [--out PATH]`: render a saved result again,
//! in any format, without running anything.

use crate::cli::reports::ReportArgs;
use crate::exit::Exit;
use crate::report::{self, json};

pub(super) fn report(args: &ReportArgs) -> Exit {
    let result = match json::read(&args.result) {
        Ok(r) => r,
        Err(msg) => {
            crate::errln!(
                "error: {msg}\n  hint: pass the result.json a `badgateway run` wrote into \
                 reports/<run-id>/"
            );
            return Exit::BadInput;
        }
    };
    let Some(out) = &args.out else {
        crate::out!("{}", args.format.render(&result));
        return Exit::Passed;
    };
    match report::write(args.format, &result, out) {
        Ok(path) => {
            crate::outln!("{}: {}", args.format, path.display());
            Exit::Passed
        }
        Err(e) => {
            crate::errln!("error: cannot write {}: {e}", out.display());
            Exit::Infrastructure
        }
    }
}
