//! What a failed control run (every upstream healthy) says about a target: usually that the
//! test cannot show faults there (listed as not tested, with what nginx logged), but for a
//! FastCGI location whose php-fpm answers 404 `Primary script unknown`, that the config is
//! wrong: the SCRIPT_FILENAME nginx sends names no script, so every PHP request fails.

use super::analyze::{SCRIPT_FILENAME_FIX, Target, Untested};
use super::report::Defect;
use std::collections::BTreeMap;

use crate::outcome::Outcome;

/// What php-fpm writes to STDERR (and nginx logs) when SCRIPT_FILENAME names no script.
const SCRIPT_UNKNOWN: &str = "Primary script unknown";

/// How a target's failed control run is reported.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Defect(Defect),
    Untested(Untested),
}

/// Judge `t`'s control run: `outcomes` what clients got, `reached` the requests its upstream
/// read, `log` the run's most frequent error-level lines.
pub fn failure(
    t: &Target,
    outcomes: &BTreeMap<Outcome, u64>,
    reached: u64,
    log: &[String],
) -> Failure {
    let got = crate::outcome::histogram(outcomes);
    let logged = match log {
        [] => String::new(),
        lines => format!("; nginx logged: {}", lines.join("; ")),
    };
    let location = format!(
        "{} {} (GET {} Host: {})",
        t.server, t.location, t.path, t.host
    );
    let script_unknown = outcomes.contains_key(&Outcome::Status(404))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confcheck::analyze::FastcgiLocation;

    fn php(problem: Option<&str>) -> Target {
        Target {
            upstream: "unix:/run/php/php-fpm.sock".into(),
            server: "site.example".into(),
            host: "site.example".into(),
            listen: "*:80".into(),
            path: "/index.php".into(),
            location: "location ~ \\.php$".into(),
            at: "site.conf:9:9".into(),
            scheme: String::new(),
            fastcgi: Some(FastcgiLocation {
                script_filename: Some("/scripts$fastcgi_script_name".into()),
                root: Some("/var/www/html".into()),
                problem: problem.map(str::to_string),
            }),
        }
    }

    const LOGGED: &str = "[error] FastCGI sent in stderr: \"Primary script unknown\" ×6";

    #[test]
    fn php_fpms_script_unknown_is_a_defect_with_the_fix() {
        let got = BTreeMap::from([(Outcome::Status(404), 6)]);
        let Failure::Defect(d) = failure(&php(None), &got, 6, &[LOGGED.into()]) else {
            panic!("a defect");
        };
        assert!(d.got.contains("404×6"), "{}", d.got);
        assert!(
            d.cause.contains("/scripts$fastcgi_script_name"),
            "{}",
            d.cause
        );
        assert_eq!(d.fix, SCRIPT_FILENAME_FIX);
        let Failure::Defect(d) =
            failure(&php(Some("is not under root")), &got, 6, &[LOGGED.into()])
        else {
            panic!("a defect");
        };
        assert_eq!(d.cause, "is not under root");
    }

    #[test]
    fn other_control_failures_stay_untested() {
        let got = BTreeMap::from([(Outcome::Status(502), 6)]);
        assert!(matches!(
            failure(
                &php(None),
                &got,
                0,
                &["[error] upstream sent unsupported".into()]
            ),
            Failure::Untested(_)
        ));
        let mut http = php(None);
        http.fastcgi = None;
        let got = BTreeMap::from([(Outcome::Status(404), 6)]);
        assert!(matches!(
            failure(&http, &got, 6, &[LOGGED.into()]),
            Failure::Untested(_)
        ));
    }
}
