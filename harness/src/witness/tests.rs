use super::*;
use crate::accesslog::UpstreamTry;
use crate::errorlog;
use crate::outcome::Outcome;

fn client(id: u64, outcome: Outcome) -> ClientRecord {
    ClientRecord {
        id,
        method: "GET".into(),
        outcome,
        latency_ms: 1.0,
        started_ms: id as f64,
        detail: None,
        h2: None,
    }
}

fn nginx(id: u64, status: &str, tries: &[&str], connection: u64) -> NginxRecord {
    NginxRecord {
        id: Some(id),
        status: status.into(),
        tries: tries
            .iter()
            .map(|s| UpstreamTry {
                status: s.to_string(),
                addr: "127.0.0.1:1".into(),
                connect_time: None,
                header_time: None,
                response_time: None,
            })
            .collect(),
        request_time: 0.001,
        connection,
        connection_requests: id,
        bytes_sent: 10,
        method: "GET".into(),
        uri: "/".into(),
    }
}

fn received(id: u64, fired: bool) -> Received {
    Received {
        id: Some(id),
        method: "GET".into(),
        path: "/".into(),
        http_version: "HTTP/1.0".into(),
        connection: Some("close".into()),
        fault: "reset".into(),
        fired,
        conn: 1,
        script_filename: None,
    }
}

fn counters(received: Vec<Received>) -> CounterSnapshot {
    CounterSnapshot {
        received,
        ..CounterSnapshot::default()
    }
}

const LOG: &str = "\
2026/12/04 10:00:00 [error] 9#9: *3 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1
2026/12/04 10:00:00 [notice] 9#9: signal process started
2026/12/04 10:00:01 [error] 9#9: *8 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1
";

#[test]
fn the_three_witnesses_of_a_request_are_joined_by_its_id() {
    let upstreams = BTreeMap::from([
        ("app.a".to_string(), counters(vec![received(1, true)])),
        (
            "app.b".to_string(),
            counters(vec![received(1, false), received(2, false)]),
        ),
    ]);
    let traces = join(
        &[
            client(1, Outcome::Status(200)),
            client(2, Outcome::Status(200)),
        ],
        &[
            nginx(1, "200", &["502", "200"], 3),
            nginx(2, "200", &["200"], 3),
        ],
        &upstreams,
        &errorlog::parse(LOG),
    );
    assert_eq!(traces.len(), 2);
    let first = &traces[0];
    assert_eq!(first.status_sequence(), "502, 200");
    assert_eq!(first.try_count(), 2);
    let servers: Vec<&str> = first.upstream.iter().map(|u| u.server.as_str()).collect();
    assert_eq!(servers, ["app.a", "app.b"]);
    assert!(first.log[0].contains("recv() failed"), "{first:?}");
    assert!(!first.log_shared);
    assert!(
        traces[1].log.is_empty(),
        "the clean request of *3 gets no line"
    );
}

#[test]
fn a_request_nginx_never_logged_is_shown_as_such() {
    let traces = join(&[client(5, Outcome::Refused)], &[], &BTreeMap::new(), &[]);
    assert_eq!(traces[0].nginx_status(), NOT_LOGGED);
    assert_eq!(traces[0].status_sequence(), NOT_LOGGED);
    let e = Evidence::of(&traces);
    assert_eq!(e.unmatched.not_in_nginx_log, 1);
    assert_eq!(e.samples.len(), 1);
}

#[test]
fn lines_of_a_connection_with_two_troubled_requests_are_marked_shared() {
    let traces = join(
        &[
            client(1, Outcome::Status(502)),
            client(2, Outcome::Status(502)),
        ],
        &[nginx(1, "502", &["502"], 8), nginx(2, "502", &["502"], 8)],
        &BTreeMap::new(),
        &errorlog::parse(LOG),
    );
    assert!(traces.iter().all(|t| t.log.len() == 1 && t.log_shared));
}

#[test]
fn evidence_counts_statuses_sequences_and_received_fields_and_samples_failures() {
    let clients: Vec<ClientRecord> = (0..10)
        .map(|i| {
            client(
                i,
                if i < 6 {
                    Outcome::ParseError
                } else {
                    Outcome::Status(200)
                },
            )
        })
        .collect();
    let records: Vec<NginxRecord> = (0..10)
        .map(|i| nginx(i, if i < 6 { "009" } else { "200" }, &["200"], i))
        .collect();
    let upstreams = BTreeMap::from([(
        "app.x".to_string(),
        counters((0..10).map(|i| received(i, i < 6)).collect()),
    )]);
    let e = Evidence::of(&join(&clients, &records, &upstreams, &[]));
    assert_eq!(e.nginx_status["009"], 6);
    assert_eq!(e.nginx_status["200"], 4);
    assert_eq!(e.tries["200"], 10);
    assert_eq!(e.received["http_version"]["HTTP/1.0"], 10);
    assert_eq!(e.received["connection"]["close"], 10);
    assert_eq!(e.samples.len(), MAX_SAMPLES_PER_OUTCOME);
    assert_eq!(
        e.samples_of(Outcome::ParseError).count(),
        MAX_SAMPLES_PER_OUTCOME
    );
    let text = evidence::describe(&e.samples[0]).join("\n");
    assert!(
        text.contains("client: parse_error") && text.contains("nginx: 009"),
        "{text}"
    );
    assert!(
        text.contains("app.x: GET / HTTP/1.0 Connection: close, reset fired"),
        "{text}"
    );
}
