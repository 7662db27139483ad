//! `badgateway check --config PATH`: run the fault catalogue against every upstream of the
//! user's config and print the upstream × fault table, what could not be tested, and the
//! catalogue fix of every fault the config does not survive.

use crate::cli::checks::CheckArgs;
use crate::exit::Exit;
use crate::report::confcheck::Subject;

pub(super) fn check(args: CheckArgs) -> Exit {
    let s = &args.settings;
    if super::common::nginx_count(s) > 1 {
        crate::errln!(
            "error: check takes one --nginx\n  hint: to compare one config on two nginx versions, \
             run `badgateway compare --config PATH --nginx OLD --nginx NEW`"
        );
        return Exit::BadInput;
    }
    let job = super::common::Job {
        config: &args.config,
        label: "check",
        nginx: 0,
    };
    let report = match super::common::check_configs(&[job], s) {
        Ok(mut r) => r.remove(0),
        Err(exit) => return exit,
    };
    if s.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else {
        crate::out!("{}", crate::report::check_text::check(&report));
    }
    if let Some(exit) = super::common::write_reports(&s.report, Subject::Check(&report)) {
        return exit;
    }
    match (
        report.tested() || !report.defects.is_empty(),
        report.failed(),
    ) {
        (false, _) => {
            let why = match report.untested.is_empty() {
                true => "no location proxies to an upstream",
                false => "see `not tested`",
            };
            crate::errln!(
                "badgateway: nothing in {} could be tested ({why}); nothing was proven",
                report.config.display()
            );
            Exit::NothingTested
        }
        (true, true) if !s.no_fail => Exit::CheckFailed,
        _ => Exit::Passed,
    }
}
