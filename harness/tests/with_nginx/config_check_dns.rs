//! `check` on variable addresses against real nginx: a `proxy_pass $backend` whose `set`
//! gives a literal URL, or a literal host with variables only in the path, is resolved per
//! request by nginx with the config's `resolver`, which the rewrite points at a fake DNS
//! server answering the name with the fake upstream's address; the usual fault columns play
//! there. Without a `resolver` the location is a defect (`no resolver defined to resolve`,
//! 502) with the fix; shapes `check` cannot tell stay untested with the reason. The DNS
//! columns (NXDOMAIN, a silent DNS server) play on each such upstream. `server NAME resolve`
//! (nginx >= 1.27.3) is played through the same fake DNS server; older nginx refuses it as
//! written.

use crate::common;

use badgateway::confcheck::{DnsColumn, FaultKind, Placement};
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

#[tokio::test(flavor = "multi_thread")]
async fn the_dns_columns_show_a_missing_name_and_a_silent_dns_server() {
    let Some(nginx) = common::nginx_or_skip("the_dns_columns_show_a_missing_name") else {
        return;
    };
    let r = run(&nginx, "dns/columns.conf", &[]).await;
    assert!(r.untested.is_empty() && r.defects.is_empty(), "{r:#?}");
    let column = |upstream: &str, c: DnsColumn| {
        let up = r.upstreams.iter().find(|u| u.upstream.name == upstream);
        let up = up.unwrap_or_else(|| panic!("{upstream} tested: {r:#?}"));
        // Every fault column played too, with every server healthy in the DNS ones.
        assert!(
            up.cells.iter().any(|c| c.fault == FaultKind::Refuse),
            "{up:#?}"
        );
        let cell = up.dns.iter().find(|d| d.column == c);
        cell.unwrap_or_else(|| panic!("{upstream} {c:?}: {up:#?}"))
            .clone()
    };
    for upstream in ["app.internal:8080", "api.internal:9000"] {
        // The name missing: 502 at once, nginx names it.
        let nx = column(upstream, DnsColumn::DnsNxdomain);
        assert!(!nx.survives, "{nx:#?}");
        assert_eq!(
            nx.outcomes.keys().collect::<Vec<_>>(),
            [&Outcome::Status(502)]
        );
        assert!(
            nx.log
                .iter()
                .any(|l| l.contains("could not be resolved (3: Host not found)")),
            "{nx:#?}"
        );
    }
    // The DNS server silent: with resolver_timeout 2s, 502 after it; with the default 30s the
    // client (5 s per request) gives up first, and nginx has logged nothing at error level.
    let short = column("app.internal:8080", DnsColumn::DnsTimeout);
    assert_eq!(
        short.outcomes.keys().collect::<Vec<_>>(),
        [&Outcome::Status(502)],
        "{short:#?}"
    );
    assert!(
        short
            .log
            .iter()
            .any(|l| l.contains("could not be resolved (110: Operation timed out)")),
        "{short:#?}"
    );
    let long = column("api.internal:9000", DnsColumn::DnsTimeout);
    assert_eq!(
        long.outcomes.keys().collect::<Vec<_>>(),
        [&Outcome::Timeout],
        "{long:#?}"
    );
    assert!(long.log.is_empty(), "{long:#?}");
    assert!(r.failed());
    // Every report shows them: the terminal table, Markdown, and a JUnit testcase each.
    use badgateway::report::{check_junit, check_md, check_text};
    let table = check_text::check(&r);
    assert!(
        table.contains("dns_nxdomain") && table.contains("dns-resolver-timeout"),
        "{table}"
    );
    let md = check_md::render_check(&r);
    assert!(
        md.contains("| `dns_timeout` (DNS) | 502×6 | ❌ fails"),
        "{md}"
    );
    let xml = check_junit::render_check(&r);
    assert!(xml.contains("testcase name=\"dns_nxdomain\""), "{xml}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resolve_server_is_played_through_the_fake_dns_server_on_nginx_1_30() {
    let test = "a_resolve_server_is_played_through_the_fake_dns_server";
    let Some(path) = common::local_nginx_or_skip("1.30", test) else {
        return;
    };
    let nginx = badgateway::nginx::locate(Some(&path)).unwrap();
    let r = run(&nginx, "dns/resolve.conf", &[]).await;
    assert!(r.untested.is_empty() && r.defects.is_empty(), "{r:#?}");
    let changed = |what: &str| r.changes.iter().any(|c| c.what.contains(what));
    assert!(
        changed("server app.internal:8080: port"),
        "{:#?}",
        r.changes
    );
    assert!(
        changed("resolver 127.0.0.11 → a fake DNS server"),
        "{:#?}",
        r.changes
    );
    // The control passed through the fake DNS server; the only server refusing: 502.
    let refuse = r.cell("app", FaultKind::Refuse, ONE).unwrap();
    assert!(
        refuse.outcomes.contains_key(&Outcome::Status(502)),
        "{refuse:#?}"
    );
    // With `resolve`, requests do not wait for DNS: a name without addresses leaves the
    // upstream with no server, 502 `no live upstreams` at once, whatever the DNS server did.
    let up = &r.upstreams[0];
    for column in DnsColumn::ALL {
        let cell = up.dns.iter().find(|d| d.column == column).expect("played");
        assert_eq!(
            cell.outcomes.keys().collect::<Vec<_>>(),
            [&Outcome::Status(502)],
            "{cell:#?}"
        );
        assert!(
            cell.log.iter().any(|l| l.contains("no live upstreams")),
            "{cell:#?}"
        );
    }
}

#[test]
fn nginx_before_1_27_3_refuses_resolve_as_written() {
    let test = "nginx_before_1_27_3_refuses_resolve";
    let Some(nginx) = common::local_nginx_or_skip("1.22", test) else {
        return;
    };
    let config = super::config_check::fixture("dns/resolve.conf");
    let args = [
        "check",
        "--config",
        config.to_str().unwrap(),
        "--quiet",
        "--nginx",
    ];
    let mut args = args.to_vec();
    args.push(nginx.to_str().unwrap());
    let out = common::run_cli(&args);
    let text = common::text(&out);
    // Exit 4: nginx -t refused it; its own message, mapped to the server line.
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(text.contains("invalid parameter \"resolve\""), "{text}");
    assert!(text.contains("resolve.conf:12:9"), "{text}");
}

#[test]
fn compare_counts_a_dns_column_that_stops_surviving_as_a_regression() {
    let Some(_) = common::nginx_or_skip("compare_counts_a_dns_column") else {
        return;
    };
    // Before: a fallback page answers 200 when the name cannot be resolved; after: none.
    let before = super::config_check::fixture("dns/columns-fallback.conf");
    let after = super::config_check::fixture("dns/columns.conf");
    let out = common::run_cli(&[
        "compare",
        "--before",
        before.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
        "--upstream",
        "app.internal:8080",
        "--quiet",
    ]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = |column: &str| {
        text.lines()
            .find(|l| l.contains(column))
            .unwrap_or_default()
    };
    for column in ["dns_nxdomain", "dns_timeout"] {
        let line = row(column);
        assert!(line.contains("200×6") && line.contains("502×6"), "{text}");
        assert!(line.contains("REGRESSED"), "{text}");
    }
}
