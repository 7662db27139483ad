//! What a failed control run (every upstream healthy) says about a target: usually that the
//! test cannot show faults there (listed as not tested, with what nginx logged), but for a
//! FastCGI location whose php-fpm answers 404 `Primary script unknown`, that the config is
//! wrong: the SCRIPT_FILENAME nginx sends names no script, so every PHP request fails; and
//! for a WebSocket location whose handshakes get the echo server's 426 or 400 (no upgrade
//! reached it, or a broken one) or, from an upstream that serves pages too, a page, that its
//! upgrade recipe is incomplete.

use super::analyze::{RESOLVER_FIX, SCRIPT_FILENAME_FIX, Target, UPGRADE_FIX, Untested};
use super::report::Defect;
use std::collections::BTreeMap;

use crate::outcome::Outcome;

/// What nginx logs for a name in a variable `*_pass` when no `resolver` is in force.
const NO_RESOLVER: &str = "no resolver defined to resolve";

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
    let location = t.described();
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
    if let (Some(name), true) = (&t.dns, log.iter().any(|l| l.contains(NO_RESOLVER))) {
        return Failure::Defect(Defect {
            location,
            at: t.at.clone(),
            got: format!("with every upstream healthy it answered {got}{logged}"),
            cause: format!(
                "the address is a variable, so nginx resolves {name} per request, with the \
                 `resolver` in force; there is none here (at start nginx resolves only literal \
                 addresses, with the system's resolver)"
            ),
            fix: RESOLVER_FIX.to_string(),
        });
    }
    // A page (2xx) instead of a 101: the upstream serves pages too and got no upgrade.
    let refused_upgrade = outcomes
        .keys()
        .any(|o| matches!(o, Outcome::Status(426 | 400)))
        || (!outcomes.is_empty() && outcomes.keys().all(|o| o.is_success()));
    if let (Some(ws), true) = (&t.websocket, refused_upgrade && reached > 0) {
        let cause = ws.problem.clone().unwrap_or_else(|| {
            "the upstream got no WebSocket upgrade it could accept (426, or a page from an \
             upstream that serves both: no `Upgrade: websocket`; 400: the rest of the \
             handshake)"
                .to_string()
        });
        return Failure::Defect(Defect {
            location,
            at: t.at.clone(),
            got: format!("with every upstream healthy its handshakes got {got}{logged}"),
            cause,
            fix: UPGRADE_FIX.to_string(),
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
            websocket: None,
            grpc: false,
            dns: None,
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

    #[test]
    fn a_variable_address_without_resolver_is_a_defect_with_the_fix() {
        let mut http = php(None);
        http.fastcgi = None;
        http.dns = Some("app.internal".into());
        let got = BTreeMap::from([(Outcome::Status(502), 6)]);
        let log = ["[error] no resolver defined to resolve app.internal ×6".to_string()];
        let Failure::Defect(d) = failure(&http, &got, 0, &log) else {
            panic!("a defect");
        };
        assert!(d.cause.contains("app.internal"), "{}", d.cause);
        assert_eq!(d.fix, RESOLVER_FIX);
        http.dns = None;
        assert!(matches!(
            failure(&http, &got, 0, &log),
            Failure::Untested(_)
        ));
    }

    #[test]
    fn a_refused_upgrade_is_a_defect_with_the_recipe() {
        let mut ws = php(None);
        ws.fastcgi = None;
        ws.websocket = Some(crate::confcheck::analyze::WebSocketLocation {
            upgrade: Some("$http_upgrade".into()),
            connection: None,
            http_version: Some("1.1".into()),
            read_timeout: None,
            problem: Some("no proxy_set_header Connection".into()),
        });
        let got = BTreeMap::from([(Outcome::Status(400), 4)]);
        let Failure::Defect(d) = failure(&ws, &got, 4, &[]) else {
            panic!("a defect");
        };
        assert!(d.got.contains("400×4"), "{}", d.got);
        assert_eq!(d.cause, "no proxy_set_header Connection");
        assert_eq!(d.fix, UPGRADE_FIX);
        let got = BTreeMap::from([(Outcome::Status(502), 4)]);
        assert!(matches!(failure(&ws, &got, 0, &[]), Failure::Untested(_)));
        // Pages from an upstream that serves both: no upgrade reached it either.
        let got = BTreeMap::from([(Outcome::Status(200), 4)]);
        let Failure::Defect(d) = failure(&ws, &got, 4, &[]) else {
            panic!("a defect");
        };
        assert!(d.got.contains("200×4"), "{}", d.got);
        assert!(matches!(
            failure(&ws, &BTreeMap::new(), 4, &[]),
            Failure::Untested(_)
        ));
    }
}
