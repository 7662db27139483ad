//! `check` on WebSocket locations against real nginx: a `proxy_pass` with the upgrade recipe
//! is played by WebSocket fakes (`ws_echo` healthy) with sockets instead of requests, under
//! the columns that fit WebSocket (refuse, reset, close before response, stall, and the
//! server's own idle close); a location with a part of the recipe missing is a defect (the
//! echo server's 426 or 400 with every upstream healthy), named with its cause and the fix,
//! and `check` exits 1 on it. An app that serves pages and WebSockets on one upstream is
//! played by fakes that answer both, each location under the faults that fit what it sends.

use crate::common;

use badgateway::confcheck::analyze::Protocol;
use badgateway::confcheck::faults::played_for;
use badgateway::confcheck::{FaultKind, Placement};
use badgateway::outcome::Outcome;
use badgateway::scenario::VersionRange;

use super::config_check::run;

const ONE: Placement = Placement::OneServer;
const FIX: &str = "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; \
                   proxy_set_header Connection $connection_upgrade;";

#[tokio::test(flavor = "multi_thread")]
async fn a_websocket_location_gets_the_websocket_fault_matrix() {
    let Some(nginx) = common::nginx_or_skip("a_websocket_location_gets_the_websocket_matrix")
    else {
        return;
    };
    let r = run(&nginx, "websocket/site.conf", &[]).await;
    assert!(r.untested.is_empty() && r.defects.is_empty(), "{r:#?}");
    assert!(
        r.notes.iter().any(|n| n.contains("proxy_read_timeout 1h")),
        "{:#?}",
        r.notes
    );
    let [up] = r.upstreams.as_slice() else {
        panic!("one upstream: {r:#?}");
    };
    assert_eq!(up.upstream.protocol, Protocol::WebSocket);
    let played: Vec<FaultKind> = up.distinct_cells().map(|c| c.fault).collect();
    assert_eq!(played, played_for(Protocol::WebSocket));
    assert!(played.contains(&FaultKind::WsIdleClose) && !played.contains(&FaultKind::CloseMidBody));
    // The backup takes the handshakes a refusing primary cannot: whole sockets (101, every
    // frame echoed, clean close).
    let refuse = r.cell("chat", FaultKind::Refuse, ONE).unwrap();
    assert!(refuse.survives, "{refuse:#?}");
    assert!(
        refuse.outcomes.keys().all(|o| *o == Outcome::Status(101)),
        "{refuse:#?}"
    );
    // A server that closes idle sockets: nginx relays its close; the socket is gone, and no
    // backup helps an open tunnel. Nothing at error level.
    let idle = r.cell("chat", FaultKind::WsIdleClose, ONE).unwrap();
    assert!(!idle.survives && idle.fired > 0, "{idle:#?}");
    assert!(idle.outcomes.contains_key(&Outcome::Closed), "{idle:#?}");
    assert!(idle.log.is_empty(), "{idle:#?}");
    assert_eq!(
        idle.advice.as_ref().unwrap().scenario,
        "websocket-server-idle-close"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_done_upgrade_recipe_is_a_defect_with_its_cause() {
    let Some(nginx) = common::nginx_or_skip("a_half_done_upgrade_recipe_is_a_defect") else {
        return;
    };
    let r = run(&nginx, "websocket/half-recipe.conf", &[FaultKind::Refuse]).await;
    let defect = |host: &str| r.defects.iter().find(|d| d.location.starts_with(host));
    // No Connection header: nginx sends `Connection: close` with the Upgrade, and the
    // upstream refuses the broken handshake with 400.
    let chat = defect("chat.example").expect("chat's defect");
    assert!(chat.got.contains("400"), "{chat:#?}");
    assert!(chat.cause.contains("Connection: close"), "{chat:#?}");
    // The server's Upgrade/Connection dropped by the location's proxy_set_header: no upgrade
    // reaches the upstream, 426.
    let live = defect("live.example").expect("live's defect");
    assert!(live.got.contains("426"), "{live:#?}");
    assert!(
        live.cause.contains("do not reach this location"),
        "{live:#?}"
    );
    for d in [chat, live] {
        assert_eq!(d.fix, FIX);
    }
    // No proxy_http_version: an HTTP/1.0 upgrade (400) before 1.29.7, which made 1.1 the
    // default; then the location works and is played.
    let http11_default = VersionRange::try_from(">=1.29.7".to_string())
        .unwrap()
        .matches(&nginx.version);
    match (defect("feed.example"), http11_default) {
        (Some(feed), false) => {
            assert!(feed.got.contains("400"), "{feed:#?}");
            assert!(
                feed.cause.contains("no proxy_http_version 1.1"),
                "{feed:#?}"
            );
        }
        (None, true) => assert!(r.cell("feed", FaultKind::Refuse, ONE).is_some(), "{r:#?}"),
        (feed, _) => panic!("nginx {}: feed {feed:#?}", nginx.version),
    }
    assert!(r.failed());
}

#[test]
fn check_exits_1_on_a_half_done_recipe_and_names_the_fix() {
    let Some(_) = common::nginx_or_skip("check_exits_1_on_a_half_done_recipe") else {
        return;
    };
    super::config_check::assert_cli_defect("websocket/half-recipe.conf", "chat.example", FIX);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_and_websockets_on_one_upstream_are_both_played() {
    let Some(nginx) = common::nginx_or_skip("pages_and_websockets_on_one_upstream") else {
        return;
    };
    let faults = [
        FaultKind::Refuse,
        FaultKind::CloseMidBody,
        FaultKind::WsIdleClose,
    ];
    let r = run(&nginx, "websocket/shared-upstream.conf", &faults).await;
    assert!(r.untested.is_empty(), "{:#?}", r.untested);
    // Each location gets the faults that fit what it sends: a body cut mid-way only where
    // pages are asked for, the server's idle close only on sockets, a refusal on both.
    let played_on = |up: &str, kind| -> Vec<String> {
        let cell = r
            .cell(up, kind, ONE)
            .unwrap_or_else(|| panic!("{up} {kind:?}: {r:#?}"));
        cell.by_location
            .iter()
            .map(|l| l.location.clone())
            .collect()
    };
    for (up, pages, sockets) in [
        ("app", "app.example location /", "app.example location /ws/"),
        (
            "live",
            "live.example location / (plain HTTP)",
            "live.example location /",
        ),
    ] {
        let report = r.upstreams.iter().find(|u| u.upstream.name == up).unwrap();
        assert_eq!(report.upstream.protocol, Protocol::HttpAndWebSocket);
        assert_eq!(report.targets.len(), 2, "{report:#?}");
        assert_eq!(played_on(up, FaultKind::CloseMidBody), [pages]);
        assert_eq!(played_on(up, FaultKind::WsIdleClose), [sockets]);
        let mut both = played_on(up, FaultKind::Refuse);
        both.sort();
        let mut expected = [pages, sockets];
        expected.sort();
        assert_eq!(both, expected);
        // nginx relays the cut body as a truncated 200; the idle close ends the sockets.
        let cut = r.cell(up, FaultKind::CloseMidBody, ONE).unwrap();
        assert!(
            !cut.survives && cut.outcomes.contains_key(&Outcome::Truncated),
            "{cut:#?}"
        );
        let idle = r.cell(up, FaultKind::WsIdleClose, ONE).unwrap();
        assert!(!idle.survives && idle.fired > 0, "{idle:#?}");
    }
    // forum's socket location drops the upgrade headers: its app answers a page, not a 101.
    let [socket] = r.defects.as_slice() else {
        panic!("one defect: {r:#?}");
    };
    assert!(
        socket
            .location
            .starts_with("forum.example location /socket/"),
        "{socket:#?}"
    );
    assert!(socket.got.contains("200"), "{socket:#?}");
    assert!(
        socket.cause.contains("do not reach this location"),
        "{socket:#?}"
    );
    assert_eq!(socket.fix, FIX);
}
