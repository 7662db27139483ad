//! `check` on configs proxying to `https://` upstreams against real nginx: TLS fakes with a
//! certificate for the name the config expects, the user's `proxy_ssl_*` settings kept and
//! their files re-pointed at the run's CA and client certificate, the same fault columns as
//! over plain HTTP; and a location whose expected name no fake presents, reported as an
//! untested location with nginx's `does not match` line; `proxy_ssl_verify on` with nothing
//! to trust is nginx -t's refusal, as written.

use crate::common;

use badgateway::confcheck::{FaultKind, Placement};
use badgateway::outcome::Outcome;

use super::config_check::run;

const ONE: Placement = Placement::OneServer;

#[tokio::test(flavor = "multi_thread")]
async fn an_https_upstream_with_verify_and_a_backup_gets_the_whole_fault_matrix() {
    let Some(nginx) = common::nginx_or_skip("an_https_upstream_gets_the_whole_matrix") else {
        return;
    };
    let r = run(&nginx, "tls-upstream.conf", &[]).await;
    assert!(r.untested.is_empty(), "{:#?}", r.untested);
    assert!(r.notes.is_empty(), "{:#?}", r.notes);
    let [up] = r.upstreams.as_slice() else {
        panic!("one upstream: {r:#?}");
    };
    assert_eq!(up.upstream.tls.as_deref(), Some("app"));
    assert_eq!(
        up.distinct_cells().count(),
        badgateway::confcheck::faults::played_for(badgateway::confcheck::analyze::Protocol::Http)
            .len()
    );
    // The backup takes over from a refusing primary, over TLS as over plain HTTP.
    let refuse = r.cell("app", FaultKind::Refuse, ONE).unwrap();
    assert!(refuse.survives, "{refuse:#?}");
    // A fault inside the TLS session reaches the client the way it does in plain HTTP.
    let cut = r.cell("app", FaultKind::CloseMidBody, ONE).unwrap();
    assert!(cut.outcomes.contains_key(&Outcome::Truncated), "{cut:#?}");
    assert!(cut.fired > 0, "{cut:#?}");
    let changes: Vec<&str> = r.changes.iter().map(|c| c.what.as_str()).collect();
    for file in [
        "ca.pem",
        "crl.pem",
        "client.pem",
        "client.key",
        "client.pass",
    ] {
        let moved = format!("→ {file} in the run folder");
        assert!(
            changes.iter().any(|c| c.contains(&moved)),
            "{moved}\nin {changes:#?}"
        );
    }
    assert!(
        !changes.iter().any(|c| c.contains("left out")),
        "{changes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_no_fake_presents_fails_its_control_run_with_nginxs_does_not_match_line() {
    let Some(nginx) = common::nginx_or_skip("a_name_no_fake_presents") else {
        return;
    };
    let r = run(&nginx, "tls-wrong-name.conf", &[FaultKind::Refuse]).await;
    assert!(
        r.notes.iter().any(|n| n.contains("wrong.example")),
        "{:#?}",
        r.notes
    );
    let [legacy] = r.untested.as_slice() else {
        panic!("only /legacy/ is untested: {:#?}", r.untested);
    };
    assert!(legacy.what.contains("location /legacy/"), "{legacy:#?}");
    assert!(
        legacy.reason.contains("502")
            && legacy
                .reason
                .contains("upstream SSL certificate does not match \"wrong.example\""),
        "{legacy:#?}"
    );
    // The location whose name the fakes present is tested.
    let cell = r
        .cell("app", FaultKind::Refuse, ONE)
        .expect("app × refuse ran");
    let locations: Vec<&str> = cell
        .by_location
        .iter()
        .map(|l| l.location.as_str())
        .collect();
    assert_eq!(locations, ["secure.example.com location /"], "{cell:#?}");
}

#[test]
fn verify_without_a_trusted_certificate_is_refused_by_nginx_not_patched_by_the_rewrite() {
    let Some(_) = common::nginx_or_skip("verify_without_a_trusted_certificate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp {\n    upstream app { server 10.0.0.5:8443; }\n    server {\n        \
         listen 80;\n        location / { proxy_pass https://app; proxy_ssl_verify on; }\n    }\n}\n",
    )
    .unwrap();
    let out = common::run_cli(&["check", "--config", conf.to_str().unwrap(), "--quiet"]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("no proxy_ssl_trusted_certificate for proxy_ssl_verify"),
        "{text}"
    );
}
