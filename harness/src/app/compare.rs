//! `badgateway compare --before OLD --after NEW`: the check matrix on both configs, printed as
//! a diff (fixed, regressed, unchanged). Exit 1 when the change regresses any fault.

use crate::cli::checks::CompareArgs;
use crate::confcheck::compare as diff;
use crate::exit::Exit;

pub(super) fn compare(args: CompareArgs) -> Exit {
    let s = &args.settings;
    let mut reports =
        match super::common::check_configs(&[&args.before, &args.after], &["before", "after"], s) {
            Ok(r) => r,
            Err(exit) => return exit,
        };
    let after = reports.pop().expect("two reports");
    let before = reports.pop().expect("two reports");
    let c = diff(before, after);
    if s.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&c).expect("comparison serializes")
        );
    } else {
        crate::out!("{}", crate::report::check_text::compare(&c));
    }
    let subject = crate::report::confcheck::Subject::Compare(&c);
    if let Some(exit) = super::common::write_reports(&s.report, subject) {
        return exit;
    }
    if c.regressed() {
        Exit::CheckFailed
    } else if !c.tested() {
        crate::errln!("badgateway: nothing could be tested in either config; nothing was proven");
        Exit::NothingTested
    } else {
        Exit::Passed
    }
}
