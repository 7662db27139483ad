use fake_upstreams::counters::Received;

use super::*;
use crate::accesslog::{NginxRecord, UpstreamTry};
use crate::load::ClientRecord;
use crate::outcome::Outcome;
use crate::witness::UpstreamSaw;

/// A request the client got `outcome` for, nginx logged with `status` and `tries`, and one
/// fake received over `version` with `connection`.
fn trace(id: u64, outcome: u16, status: &str, tries: &[&str], version: &str) -> Trace {
    Trace {
        id,
        client: Some(ClientRecord {
            id,
            method: "GET".into(),
            outcome: Outcome::Status(outcome),
            latency_ms: 1.0,
            started_ms: 0.0,
            detail: None,
            h2: None,
        }),
        nginx: Some(NginxRecord {
            id: Some(id),
            status: status.into(),
            tries: tries
                .iter()
                .map(|s| UpstreamTry {
                    status: s.to_string(),
                    addr: "127.0.0.1:9".into(),
                    connect_time: None,
                    header_time: None,
                    response_time: None,
                })
                .collect(),
            request_time: 0.0,
            connection: id,
            connection_requests: 1,
            bytes_sent: 0,
            method: "GET".into(),
            uri: "/".into(),
        }),
        upstream: vec![UpstreamSaw {
            server: "app.backup".into(),
            received: Received {
                id: Some(id),
                method: "GET".into(),
                path: "/".into(),
                http_version: version.into(),
                connection: Some("close".into()),
                fault: "healthy".into(),
                fired: false,
                conn: id,
                script_filename: None,
            },
        }],
        log: Vec::new(),
        log_shared: false,
    }
}

fn map<K: std::str::FromStr + Ord>(pairs: &[(&str, &str)]) -> BTreeMap<K, ShareExpr>
where
    K::Err: std::fmt::Debug,
{
    pairs
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
        .collect()
}

#[test]
fn tries_count_sequences_and_numbers_of_tries() {
    let traces = vec![
        trace(1, 200, "200", &["502", "200"], "HTTP/1.0"),
        trace(2, 200, "200", &["200"], "HTTP/1.0"),
    ];
    let ok = tries(
        &map(&[("502, 200", "50%"), ("2 tries", "1"), ("1 try", "1")]),
        &traces,
    );
    assert!(ok.iter().all(|c| c.passed), "{ok:?}");
    let wrong = tries(&map(&[("502, 200", "100%")]), &traces);
    assert!(!wrong[0].passed);
    assert!(wrong[0].actual.contains("\"502, 200\"×1"), "{wrong:?}");
    assert!(
        wrong[0].evidence.iter().any(|e| e.starts_with("#2 ")),
        "quotes the request that had one try: {wrong:?}"
    );
}

#[test]
fn nginx_status_counts_what_nginx_logged_not_what_the_client_got() {
    let traces = vec![
        trace(1, 200, "009", &["200"], "HTTP/1.0"),
        trace(2, 200, "009", &["200"], "HTTP/1.0"),
    ];
    assert!(nginx_status(&map(&[("009", "100%")]), &traces)[0].passed);
    let c = &nginx_status(&map(&[("200", ">= 1")]), &traces)[0];
    assert!(!c.passed && c.actual.contains("\"009\"×2"), "{c:?}");
}

#[test]
fn received_counts_what_the_fakes_saw() {
    let traces = vec![
        trace(1, 200, "200", &["200"], "HTTP/1.0"),
        trace(2, 200, "200", &["200"], "HTTP/1.1"),
    ];
    let mut want = ReceivedExpect {
        http_version: map(&[("HTTP/1.0", "50%")]),
        connection: map(&[("close", "100%")]),
        ..ReceivedExpect::default()
    };
    assert!(received(&want, &traces).iter().all(|c| c.passed));
    want.http_version = map(&[("HTTP/1.1", "100%")]);
    let c = &received(&want, &traces)[0];
    assert!(!c.passed && c.actual.starts_with("1/2"), "{c:?}");
    assert!(
        !received(&want, &[])[0].passed,
        "nothing received cannot hold a share"
    );
}
