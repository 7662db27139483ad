//! `badgateway compare --before OLD --after NEW` (or `--config X --nginx A --nginx B`: one
//! config on two nginx versions): the check matrix on both, printed as
//! a diff (fixed, regressed, unchanged). Exit 1 when the change regresses any fault.

use crate::cli::checks::CompareArgs;
use crate::confcheck::compare as diff;
use crate::exit::Exit;

use super::common::Job;

pub(super) fn compare(args: CompareArgs) -> Exit {
    let s = &args.settings;
    let jobs = match jobs(&args) {
        Ok(jobs) => jobs,
        Err(message) => {
            crate::errln!("error: {message}");
            return Exit::BadInput;
        }
    };
    let mut reports = match super::common::check_configs(&jobs, s) {
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

/// The two checks to diff: two configs on one nginx, or one config on two nginx.
fn jobs(args: &CompareArgs) -> Result<[Job<'_>; 2], String> {
    let nginx = super::common::nginx_count(&args.settings);
    let job = |config, label, nginx| Job {
        config,
        label,
        nginx,
    };
    match (&args.config, &args.before, &args.after) {
        (Some(config), _, _) if nginx == 2 => {
            Ok([job(config, "before", 0), job(config, "after", 1)])
        }
        (Some(_), _, _) => Err(format!(
            "compare --config takes two nginx (the versions before and after), got {nginx}\n  \
             hint: badgateway compare --config nginx.conf --nginx /usr/sbin/nginx --nginx \
             .nginx-versions/1.30/nginx (or --nginx-image badgateway/nginx:1.30)"
        )),
        (None, Some(before), Some(after)) if nginx <= 1 => {
            Ok([job(before, "before", 0), job(after, "after", 0)])
        }
        _ => Err(
            "compare takes --before OLD --after NEW (with at most one nginx), or --config \
             PATH with two (--nginx PATH or --nginx-image IMAGE, each repeatable)"
                .to_string(),
        ),
    }
}
