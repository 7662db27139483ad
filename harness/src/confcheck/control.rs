//! What a failed control run (every upstream healthy) says about a target: usually that the
//! test cannot show faults there (listed as not tested, with what nginx logged), but for a
//! FastCGI location whose php-fpm answers 404 `Primary script unknown`, that the config is
//! wrong: the SCRIPT_FILENAME nginx sends names no script, so every PHP request fails.

use super::analyze::{SCRIPT_FILENAME_FIX, Target, Untested};
use super::report::Defect;
use crate::load::LoadReport;
use crate::outcome::Outcome;

/// What php-fpm writes to STDERR (and nginx logs) when SCRIPT_FILENAME names no script.
const SCRIPT_UNKNOWN: &str = "Primary script unknown";

/// How a target's failed control run is reported.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Defect(Defect),
    Untested(Untested),
}

/// Judge `t`'s control run: `load` what clients got, `reached` the requests its upstream
/// read, `log` the run's most frequent error-level lines.
pub fn failure(t: &Target, load: &LoadReport, reached: u64, log: &[String]) -> Failure {
    let got = crate::outcome::histogram(&load.outcomes);
    let logged = match log {
        [] => String::new(),
        lines => format!("; nginx logged: {}", lines.join("; ")),
    };
    let location = format!(
        "{} {} (GET {} Host: {})",
        t.server, t.location, t.path, t.host
    );
    let script_unknown = load.outcomes.contains_key(&Outcome::Status(404))
        && log.iter().any(|l| l.contains(SCRIPT_UNKNOWN));
    if let (Some(fcgi), true) = (&t.fastcgi, script_unknown) {
        let cause = fcgi.problem.clone().unwrap_or_else(|| {
            format!(
                "php-fpm found no script at the SCRIPT_FILENAME nginx sent ({}; root {})",
                fcgi.script_filename.as_deref().unwrap_or("not set"),
                fcgi.root.as_deref().unwrap_or("not set: nginx's html")
            )
        });
        return Failure::Defect(Defect {
            location,
            at: t.at.clone(),
            got: format!("with every upstream healthy it answered {got}{logged}"),
            cause,
            fix: SCRIPT_FILENAME_FIX.to_string(),
        });
    }
    Failure::Untested(Untested {
        what: location,
        reason: format!(
            "with every upstream healthy it answered {} and {reached} requests reached upstream {}; \
             faults would not be visible there{logged}",
            got, t.upstream
        ),
        at: t.at.clone(),
    })
}
