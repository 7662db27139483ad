//! Classification of single lines: kind, step, errno and family, including lines cut short.

use super::*;

use crate::errorlog::split;

const LINE: &str = "2026/11/26 15:42:18 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: x, request: \"POST /api HTTP/1.1\", upstream: \"http://127.0.0.1:40001/api\", host: \"x\"";

fn cause_of(line: &str) -> Cause {
    classify(&split(line).unwrap()).unwrap_or_else(|| panic!("no cause: {line}"))
}

#[test]
fn causes_carry_kind_phase_errno_and_family() {
    let c = cause_of(LINE);
    assert_eq!(c.kind, CauseKind::ConnectFailed);
    assert_eq!(c.phase, ProxyStep::Connecting);
    assert_eq!(c.errno, Some(111));
    assert_eq!(c.family, Family::Proxy);
    assert_eq!(
        describe(&c, split(LINE).unwrap().message),
        "connect() failed (111: Connection refused) while connecting to upstream"
    );
    let epoll = split("2026/11/26 15:42:18 [notice] 1#1: using the \"epoll\" event method");
    assert!(classify(&epoll.unwrap()).is_none());
}

#[test]
fn a_line_cut_inside_its_step_keeps_the_step_when_only_one_fits() {
    let cut = |n: usize| cause_of(&LINE[..LINE.find("while").unwrap() + n]);
    assert_eq!(cut("while conn".len()).phase, ProxyStep::Connecting);
    assert_eq!(cut("while".len()).phase, ProxyStep::Unspecified);
    let reading = "2026/11/26 15:42:18 [error] 1#1: *1 upstream timed out (110: Connection timed out) while reading";
    assert_eq!(cause_of(reading).phase, ProxyStep::Unspecified);
    assert_eq!(
        cause_of(&format!("{reading} resp")).phase,
        ProxyStep::ReadingResponseHeader
    );
    let cut_in_upstream = &LINE[..LINE.find("40001").unwrap() + 3];
    assert_eq!(cause_of(cut_in_upstream).family, Family::Proxy);
}

#[test]
fn a_failed_read_or_write_of_the_client_is_not_an_upstream_cause() {
    let client = "2026/11/26 15:42:18 [info] 1#1: *1 writev() failed (32: Broken pipe) while sending to client, client: 127.0.0.1, server: x";
    assert!(classify(&split(client).unwrap()).is_none());
}

#[test]
fn the_fix_is_written_in_the_family_of_the_upstream() {
    let line = |scheme: &str| {
        format!(
            "2026/11/26 15:42:18 [error] 1#1: *1 upstream timed out (110: Connection timed out) \
             while reading response header from upstream, client: 127.0.0.1, server: x, \
             request: \"GET / HTTP/1.1\", upstream: \"{scheme}://127.0.0.1:9000\""
        )
    };
    let fastcgi = fix::fix(&cause_of(&line("fastcgi")));
    assert!(fastcgi.contains("`fastcgi_read_timeout`"), "{fastcgi}");
    assert!(!fastcgi.contains("proxy_"), "{fastcgi}");
    for (scheme, directive) in [
        ("http", "`proxy_read_timeout`"),
        ("uwsgi", "`uwsgi_read_timeout`"),
        ("grpc", "`grpc_read_timeout`"),
        ("scgi", "`scgi_read_timeout`"),
    ] {
        let text = fix::fix(&cause_of(&line(scheme)));
        assert!(text.contains(directive), "{scheme}: {text}");
    }
    assert_ne!(cause_of(&line("fastcgi")), cause_of(&line("http")));
}

#[test]
fn tls_reasons_keep_openssl_nesting() {
    let m = "SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed:(unable to get local issuer certificate)) while SSL handshaking to upstream";
    let c = Cause {
        kind: CauseKind::TlsHandshakeFailed,
        phase: ProxyStep::SslHandshaking,
        errno: None,
        family: Family::Proxy,
    };
    assert_eq!(describe(&c, m), m);
}

#[test]
fn upgraded_connections_are_their_own_step_and_end_a_tunnel() {
    let line = "2026/12/07 17:53:35 [info] 25783#25783: *2 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 127.0.0.1, server: badgateway, request: \"GET /ws HTTP/1.1\", upstream: \"http://127.0.0.1:38661/ws\", host: \"badgateway\"";
    let c = cause_of(line);
    assert_eq!(
        (c.kind, c.phase),
        (CauseKind::TimedOut, ProxyStep::ProxyingUpgraded)
    );
    assert_eq!(fix::client_sees(&c), fix::ClientSees::TunnelClosed);
    assert!(
        fix::fix(&c).contains("`proxy_read_timeout`"),
        "{}",
        fix::fix(&c)
    );
    let reset = line.replace(
        "upstream timed out (110: Connection timed out)",
        "recv() failed (104: Connection reset by peer)",
    );
    let c = cause_of(&reset);
    assert_eq!(
        (c.kind, c.phase),
        (CauseKind::RecvFailed, ProxyStep::ProxyingUpgraded)
    );
    assert!(fix::fix(&c).contains("reconnect"));
}
