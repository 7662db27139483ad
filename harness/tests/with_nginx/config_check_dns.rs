//! `check` on variable addresses against real nginx: a `proxy_pass $backend` whose `set`
//! gives a literal URL, or a literal host with variables only in the path, is resolved per
//! request by nginx with the config's `resolver`, which the rewrite points at a fake DNS
//! server answering the name with the fake upstream's address; the usual fault columns play
//! there. Without a `resolver` the location is a defect (`no resolver defined to resolve`,
//! 502) with the fix; shapes `check` cannot tell stay untested with the reason.

use crate::common;

use badgateway::confcheck::{FaultKind, Placement};
use badgateway::outcome::Outcome;

use super::config_check::run;

const ONE: Placement = Placement::OneServer;

#[tokio::test(flavor = "multi_thread")]
async fn a_variable_proxy_pass_is_played_through_a_fake_dns_server() {
    let Some(nginx) = common::nginx_or_skip("a_variable_proxy_pass_is_played") else {
        return;
    };
    let r = run(&nginx, "dns/variable.conf", &[FaultKind::Refuse]).await;
    assert!(r.untested.is_empty() && r.defects.is_empty(), "{r:#?}");
    let changed = |what: &str| r.changes.iter().any(|c| c.what.contains(what));
    assert!(
        changed("resolver 127.0.0.11 → a fake DNS server"),
        "{:#?}",
        r.changes
    );
    assert!(
        changed("set $backend app.internal:8080: port"),
        "{:#?}",
        r.changes
    );
    assert!(
        changed("proxy_pass api.internal:9000: port"),
        "{:#?}",
        r.changes
    );
    for (upstream, name) in [
        ("app.internal:8080", "app.internal"),
        ("api.internal:9000", "api.internal"),
    ] {
        let up = r
            .upstreams
            .iter()
            .find(|u| u.upstream.name == upstream)
            .unwrap_or_else(|| panic!("{upstream} tested: {r:#?}"));
        assert_eq!(up.targets[0].dns.as_deref(), Some(name));
        // The control passed: nginx found the fake through the fake DNS server. Its only
        // server refusing: 502, nginx's connect() refused.
        let refuse = r.cell(upstream, FaultKind::Refuse, ONE).unwrap();
        assert!(!refuse.survives, "{refuse:#?}");
        assert!(
            refuse.outcomes.contains_key(&Outcome::Status(502)),
            "{refuse:#?}"
        );
        assert!(
            refuse.log.iter().any(|l| l.contains("Connection refused")),
            "{refuse:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_variable_proxy_pass_without_resolver_is_a_defect_with_the_fix() {
    let Some(nginx) = common::nginx_or_skip("a_variable_proxy_pass_without_resolver") else {
        return;
    };
    let r = run(&nginx, "dns/no-resolver.conf", &[FaultKind::Refuse]).await;
    let [d] = r.defects.as_slice() else {
        panic!("one defect: {r:#?}");
    };
    assert!(d.got.contains("502"), "{d:#?}");
    assert!(
        d.got
            .contains("no resolver defined to resolve app.internal"),
        "{d:#?}"
    );
    assert_eq!(d.fix, badgateway::confcheck::analyze::RESOLVER_FIX);
    assert!(r.failed() && !r.tested(), "{r:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn variable_addresses_check_cannot_tell_stay_untested_with_the_reason() {
    let Some(nginx) = common::nginx_or_skip("variable_addresses_check_cannot_tell") else {
        return;
    };
    let r = run(&nginx, "dns/untested.conf", &[FaultKind::Refuse]).await;
    let reason = |loc: &str| {
        let u = r.untested.iter().find(|u| u.what.contains(loc));
        u.unwrap_or_else(|| panic!("{loc} untested: {r:#?}"))
            .reason
            .clone()
    };
    assert!(reason("location /host/").contains("host contains variables"));
    assert!(reason("location /if/").contains("inside an `if`"));
    assert!(reason("location /derived/").contains("from other variables"));
    assert!(r.upstreams.is_empty(), "{r:#?}");
}
