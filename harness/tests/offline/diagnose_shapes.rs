//! `diagnose` on error.log excerpts as people paste them (`tests/fixtures/diagnose/`): behind
//! container-runtime, journald and syslog prefixes, quoted, indented, cut short, pasted from the
//! middle of a line, with Windows line ends or a shell prompt among them. One test per shape:
//! each fails when the shape is not read as the cause it shows.

use std::path::Path;

use badgateway::diagnose::{CauseKind as K, ClientSees, Diagnosis, Family as F, analyze, open};
use badgateway::fixes::Catalogue;

fn diagnose(file: &str) -> Diagnosis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diagnose")
        .join(file);
    let catalogue = Catalogue::load(&[crate::common::scenarios_dir()]).unwrap();
    analyze(vec![open(&path).unwrap()], &catalogue).unwrap()
}

/// What a shape must yield: its top cause and how many lines were nginx's or foreign.
struct Expect {
    kind: K,
    errno: Option<u16>,
    family: F,
    count: u64,
    client: ClientSees,
    nginx_lines: u64,
    unknown_lines: u64,
    /// The catalogue scenario offered first; `None` where the catalogue has none.
    scenario: Option<&'static str>,
}

fn check(file: &str, want: Expect) -> Diagnosis {
    let d = diagnose(file);
    let c = d
        .causes
        .first()
        .unwrap_or_else(|| panic!("{file}: no cause in {d:#?}"));
    let got = (
        c.cause.kind,
        c.cause.errno,
        c.cause.family,
        c.count,
        c.client,
    );
    let expected = (want.kind, want.errno, want.family, want.count, want.client);
    assert_eq!(got, expected, "{file}: {c:#?}");
    let lines = (d.nginx_lines, d.unknown_lines);
    assert_eq!(
        lines,
        (want.nginx_lines, want.unknown_lines),
        "{file}: {d:#?}"
    );
    let offered = c.advice.first().map(|a| a.scenario.as_str());
    assert_eq!(offered, want.scenario, "{file}");
    assert!(!c.fix.is_empty());
    d
}

#[test]
fn plain_error_log() {
    let d = check(
        "plain.log",
        Expect {
            kind: K::ConnectFailed,
            errno: Some(111),
            family: F::Proxy,
            count: 2,
            client: ClientSees::Status(502),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: Some("upstream-down"),
        },
    );
    assert_eq!(d.causes[0].first, "2026/11/26 15:42:18");
    assert_eq!(d.causes[0].last, "2026/11/26 15:42:19");
}

#[test]
fn docker_compose_v1_prefix() {
    let d = check(
        "compose-v1.log",
        Expect {
            kind: K::ConnectFailed,
            errno: Some(111),
            family: F::Proxy,
            count: 2,
            client: ClientSees::Status(502),
            nginx_lines: 2,
            unknown_lines: 1,
            scenario: Some("upstream-down"),
        },
    );
    assert_eq!(
        d.causes[0].upstreams.get("http://172.18.0.3:8080"),
        Some(&2)
    );
}

#[test]
fn docker_compose_v2_prefix() {
    let d = check(
        "compose-v2.log",
        Expect {
            kind: K::TimedOut,
            errno: Some(110),
            family: F::Proxy,
            count: 2,
            client: ClientSees::Status(504),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: Some("upstream-stall"),
        },
    );
    assert!(d.causes[0].fix.contains("`proxy_read_timeout`"));
}

#[test]
fn kubectl_logs_prefix_with_a_grpc_upstream() {
    let d = check(
        "kubectl-prefix.log",
        Expect {
            kind: K::RecvFailed,
            errno: Some(104),
            family: F::Grpc,
            count: 2,
            client: ClientSees::Status(502),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: Some("upstream-reset"),
        },
    );
    assert!(
        d.causes[0].fix.contains("`grpc_next_upstream`"),
        "{}",
        d.causes[0].fix
    );
}

#[test]
fn docker_logs_timestamps_and_no_route_to_host() {
    let d = check(
        "docker-logs-t.log",
        Expect {
            kind: K::ConnectFailed,
            errno: Some(113),
            family: F::Proxy,
            count: 2,
            client: ClientSees::Status(502),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: None,
        },
    );
    assert!(d.causes[0].fix.contains("No route"), "{}", d.causes[0].fix);
    assert_eq!(d.causes[0].first, "2026/11/26 15:42:18");
}

#[test]
fn kubernetes_node_log_with_a_tls_handshake_failure() {
    let d = check(
        "cri-node-log.log",
        Expect {
            kind: K::TlsHandshakeFailed,
            errno: None,
            family: F::Proxy,
            count: 2,
            client: ClientSees::Status(502),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: Some("tls-port-mismatch"),
        },
    );
    assert!(
        d.causes[0].message.contains("wrong version number"),
        "{}",
        d.causes[0].message
    );
    assert!(
        d.causes[0]
            .message
            .ends_with("while SSL handshaking to upstream")
    );
}

#[test]
fn journald_with_host_not_found_at_start() {
    let d = check(
        "journald.log",
        Expect {
            kind: K::HostNotFound,
            errno: None,
            family: F::Unknown,
            count: 1,
            client: ClientSees::NginxNotStarted,
            nginx_lines: 1,
            unknown_lines: 3,
            scenario: Some("dns-host-not-found"),
        },
    );
    assert_eq!(d.causes[0].level, "emerg");
    assert!(
        d.causes[0].message.contains("\"app.internal:8080\""),
        "{}",
        d.causes[0].message
    );
}

#[test]
fn raw_syslog_with_an_expired_upstream_certificate() {
    let d = check(
        "syslog.log",
        Expect {
            kind: K::TlsCertificateRejected,
            errno: Some(10),
            family: F::Proxy,
            count: 1,
            client: ClientSees::Status(502),
            nginx_lines: 1,
            unknown_lines: 0,
            scenario: None,
        },
    );
    assert!(d.causes[0].fix.contains("`proxy_ssl_trusted_certificate`"));
}

#[test]
fn quoted_lines_with_primary_script_unknown() {
    let d = check(
        "quoted.log",
        Expect {
            kind: K::PrimaryScriptUnknown,
            errno: None,
            family: F::Fastcgi,
            count: 2,
            client: ClientSees::Status(404),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: Some("php-fpm-primary-script-unknown"),
        },
    );
    assert!(d.causes[0].fix.contains("SCRIPT_FILENAME"));
}

#[test]
fn indented_lines_with_a_fastcgi_timeout() {
    let d = check(
        "indented.log",
        Expect {
            kind: K::TimedOut,
            errno: Some(110),
            family: F::Fastcgi,
            count: 2,
            client: ClientSees::Status(504),
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: Some("upstream-stall"),
        },
    );
    let fix = &d.causes[0].fix;
    assert!(
        fix.contains("`fastcgi_read_timeout`") && !fix.contains("proxy_"),
        "{fix}"
    );
    assert_eq!(
        d.causes[0]
            .upstreams
            .get("fastcgi://unix:/run/php/php8.2-fpm.sock"),
        Some(&2)
    );
}

#[test]
fn lines_pasted_from_their_middle() {
    let d = check(
        "mid-line.log",
        Expect {
            kind: K::ConnectBlockedByPolicy,
            errno: Some(13),
            family: F::Proxy,
            count: 3,
            client: ClientSees::Status(502),
            nginx_lines: 3,
            unknown_lines: 0,
            scenario: None,
        },
    );
    assert_eq!(d.undated_lines, 3);
    assert_eq!(d.causes[0].level, "crit");
    assert!(d.causes[0].first.is_empty());
    assert!(d.causes[0].fix.contains("httpd_can_network_connect"));
}

#[test]
fn lines_cut_short() {
    let d = check(
        "cut-short.log",
        Expect {
            kind: K::TempFileFailed,
            errno: Some(13),
            family: F::Proxy,
            count: 2,
            client: ClientSees::Truncated,
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: None,
        },
    );
    assert!(
        d.causes[0].fix.contains("`proxy_temp_path`"),
        "{}",
        d.causes[0].fix
    );
}

#[test]
fn localhost_resolving_to_ipv6_loopback() {
    let d = check(
        "localhost-ipv6.log",
        Expect {
            kind: K::Ipv6LoopbackRefused,
            errno: Some(111),
            family: F::Proxy,
            count: 1,
            client: ClientSees::NextServer,
            nginx_lines: 2,
            unknown_lines: 0,
            scenario: None,
        },
    );
    assert!(d.causes[0].fix.contains("localhost"));
    assert_eq!(d.causes.len(), 2, "the disabled server is its own cause");
}

#[test]
fn windows_line_ends_with_a_uwsgi_upstream() {
    let d = check(
        "windows-crlf.log",
        Expect {
            kind: K::TooBigHeader,
            errno: None,
            family: F::Uwsgi,
            count: 1,
            client: ClientSees::Status(502),
            nginx_lines: 1,
            unknown_lines: 0,
            scenario: Some("big-headers"),
        },
    );
    assert!(d.causes[0].fix.contains("`uwsgi_buffer_size`"));
}

#[test]
fn a_terminal_session_with_a_prompt_and_blank_lines() {
    check(
        "terminal-session.log",
        Expect {
            kind: K::PrematurelyClosed,
            errno: None,
            family: F::Proxy,
            count: 2,
            client: ClientSees::Status(502),
            nginx_lines: 2,
            unknown_lines: 1,
            scenario: Some("upstream-crash"),
        },
    );
}
