//! Every catalogue message pattern, and every cause the catalogue has no scenario for yet,
//! hand-written as nginx 1.22 writes it, maps to its cause, its level and its scenario (or none).

use super::super::*;
use super::{catalogue, line};

/// (level, message, kind, phase, errno, scenario offered first)
type Case = (
    &'static str,
    &'static str,
    CauseKind,
    ProxyStep,
    Option<u16>,
    Option<&'static str>,
);

const CASES: &[Case] = {
    use CauseKind as K;
    use ProxyStep as P;
    &[
        (
            "error",
            "connect() failed (111: Connection refused) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(111),
            Some("upstream-down"),
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while connecting to upstream",
            K::TimedOut,
            P::Connecting,
            Some(110),
            Some("slow-accept"),
        ),
        (
            "crit",
            "connect() to unix:/run/php/php-fpm.sock failed (2: No such file or directory) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(2),
            Some("php-fpm-socket-missing"),
        ),
        (
            "crit",
            "connect() to unix:/run/app.sock failed (13: Permission denied) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(13),
            Some("socket-permission"),
        ),
        (
            "error",
            "connect() to unix:/run/app.sock failed (11: Resource temporarily unavailable) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(11),
            Some("php-fpm-backlog-full"),
        ),
        (
            "crit",
            "connect() to 10.0.0.1:80 failed (99: Cannot assign requested address) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(99),
            Some("keepalive-budget"),
        ),
        (
            "error",
            "upstream prematurely closed connection while reading response header from upstream",
            K::PrematurelyClosed,
            P::ReadingResponseHeader,
            None,
            Some("upstream-crash"),
        ),
        (
            "error",
            "upstream prematurely closed connection while reading upstream",
            K::PrematurelyClosed,
            P::ReadingBody,
            None,
            Some("close-mid-body"),
        ),
        (
            "error",
            "recv() failed (104: Connection reset by peer) while reading response header from upstream",
            K::RecvFailed,
            P::ReadingResponseHeader,
            Some(104),
            Some("upstream-reset"),
        ),
        (
            "error",
            "upstream sent too big header while reading response header from upstream",
            K::TooBigHeader,
            P::ReadingResponseHeader,
            None,
            Some("big-headers"),
        ),
        (
            "error",
            "upstream sent invalid header: \"X-Bad\\x20...\" while reading response header from upstream",
            K::InvalidHeader,
            P::ReadingResponseHeader,
            None,
            Some("invalid-header"),
        ),
        (
            "error",
            "upstream sent no valid HTTP/1.0 header while reading response header from upstream",
            K::NoValidHeader,
            P::ReadingResponseHeader,
            None,
            Some("garbage-response"),
        ),
        (
            "error",
            "no live upstreams while connecting to upstream",
            K::NoLiveUpstreams,
            P::Connecting,
            None,
            Some("no-live-upstreams"),
        ),
        (
            "alert",
            "9 worker_connections are not enough while connecting to upstream",
            K::WorkerConnections,
            P::Connecting,
            None,
            Some("worker-connections"),
        ),
        (
            "warn",
            "9 worker_connections are not enough, reusing connections",
            K::WorkerConnections,
            P::Unspecified,
            None,
            Some("worker-connections"),
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while reading response header from upstream",
            K::TimedOut,
            P::ReadingResponseHeader,
            Some(110),
            Some("upstream-stall"),
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while sending request to upstream",
            K::TimedOut,
            P::SendingRequest,
            Some(110),
            Some("request-buffering"),
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while reading upstream",
            K::TimedOut,
            P::ReadingBody,
            Some(110),
            Some("stall-mid-body"),
        ),
        (
            "warn",
            "upstream server temporarily disabled while reading response header from upstream",
            K::ServerDisabled,
            P::ReadingResponseHeader,
            None,
            Some("no-live-upstreams"),
        ),
        (
            "crit",
            "connect() to 10.0.0.5:9000 failed (13: Permission denied) while connecting to upstream",
            K::ConnectBlockedByPolicy,
            P::Connecting,
            Some(13),
            None,
        ),
        (
            "error",
            "connect() failed (113: No route to host) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(113),
            None,
        ),
        (
            "error",
            "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream",
            K::TlsHandshakeFailed,
            P::SslHandshaking,
            None,
            Some("tls-port-mismatch"),
        ),
        (
            "error",
            "peer closed connection in SSL handshake while SSL handshaking to upstream",
            K::TlsHandshakeFailed,
            P::SslHandshaking,
            None,
            Some("tls-handshake-reset"),
        ),
        (
            "error",
            "upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream",
            K::TlsCertificateRejected,
            P::SslHandshaking,
            Some(18),
            Some("tls-verify"),
        ),
        (
            "error",
            "upstream SSL certificate does not match \"api.example.com\" while SSL handshaking to upstream",
            K::TlsCertificateRejected,
            P::SslHandshaking,
            None,
            Some("tls-verify"),
        ),
        (
            "error",
            "upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream",
            K::FastcgiProtocol,
            P::ReadingResponseHeader,
            None,
            Some("php-fpm-protocol-mixup"),
        ),
        (
            "error",
            "app.internal could not be resolved (3: Host not found)",
            K::Unresolved,
            P::Unspecified,
            Some(3),
            Some("dns-nxdomain"),
        ),
        (
            "error",
            "app.internal could not be resolved (110: Operation timed out)",
            K::Unresolved,
            P::Unspecified,
            Some(110),
            Some("dns-resolver-timeout"),
        ),
        (
            "error",
            "no resolver defined to resolve app.internal",
            K::Unresolved,
            P::Unspecified,
            None,
            Some("dns-stale-address"),
        ),
        (
            "emerg",
            "host not found in upstream \"app.internal:8080\" in /etc/nginx/nginx.conf:9",
            K::HostNotFound,
            P::Unspecified,
            None,
            Some("dns-host-not-found"),
        ),
        (
            "error",
            "FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream",
            K::PrimaryScriptUnknown,
            P::ReadingResponseHeader,
            None,
            Some("php-fpm-primary-script-unknown"),
        ),
        (
            "error",
            "FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function mysql_connect()\" while reading response header from upstream",
            K::FastcgiStderr,
            P::ReadingResponseHeader,
            None,
            None,
        ),
        (
            "crit",
            "open() \"/var/lib/nginx/proxy/1/00/0000000001\" failed (13: Permission denied) while reading upstream",
            K::TempFileFailed,
            P::ReadingBody,
            Some(13),
            None,
        ),
        (
            "crit",
            "pwrite() \"/var/cache/nginx/proxy_temp/2/00/0000000002\" failed (28: No space left on device) while reading upstream",
            K::TempFileFailed,
            P::ReadingBody,
            Some(28),
            None,
        ),
        (
            "error",
            "client intended to send too large body: 2097152 bytes",
            K::ClientBodyTooLarge,
            P::Unspecified,
            None,
            Some("client-body-too-large"),
        ),
        (
            "info",
            "upstream timed out (110: Connection timed out) while proxying upgraded connection",
            K::TimedOut,
            P::ProxyingUpgraded,
            Some(110),
            Some("websocket-idle-timeout"),
        ),
        (
            "error",
            "recv() failed (104: Connection reset by peer) while proxying upgraded connection",
            K::RecvFailed,
            P::ProxyingUpgraded,
            Some(104),
            None,
        ),
    ]
};

#[test]
fn every_pattern_maps_to_its_cause_and_scenario() {
    let catalogue = catalogue();
    for (level, message, kind, phase, errno, scenario) in CASES {
        let mut a = Analyzer::default();
        a.feed(&line(level, message, "POST"));
        a.feed(&line(level, message, "GET"));
        let d = a.finish(&catalogue);
        assert_eq!(d.causes.len(), 1, "{message}");
        let c = &d.causes[0];
        assert_eq!(
            (c.cause.kind, c.cause.phase, c.cause.errno),
            (*kind, *phase, *errno),
            "{message}"
        );
        assert_eq!(c.count, 2);
        assert_eq!(c.methods.get("POST"), Some(&1), "{message}");
        assert_eq!(c.upstreams.get("http://127.0.0.1:9000"), Some(&2));
        assert_eq!(c.level, *level);
        assert!(!c.fix.is_empty(), "{message}");
        let first = c.advice.first();
        assert_eq!(first.map(|a| a.scenario.as_str()), *scenario, "{message}");
        if let Some(first) = first {
            assert!(first.command.ends_with(".yaml"), "{}", first.command);
        }
    }
}

/// The gRPC lines as nginx 1.22.1, 1.26.3 and 1.30.6 wrote them in the grpc-* scenarios:
/// (message, kind, errno, what the client got, scenario offered first).
const GRPC: &[(&str, CauseKind, Option<u16>, ClientSees, &str)] = &[
    (
        "upstream rejected request with error 2 while reading response header from upstream",
        CauseKind::GrpcRejected,
        Some(2),
        ClientSees::Status(502),
        "grpc-rst-stream",
    ),
    (
        "upstream sent too large http2 frame: 4740180 while reading response header from upstream",
        CauseKind::Http2Protocol,
        None,
        ClientSees::Status(502),
        "grpc-protocol-mixup",
    ),
    (
        "upstream timed out (110: Connection timed out) while reading response header from upstream",
        CauseKind::TimedOut,
        Some(110),
        ClientSees::Status(504),
        "grpc-read-timeout",
    ),
    (
        "upstream prematurely closed connection while reading upstream",
        CauseKind::PrematurelyClosed,
        None,
        ClientSees::Truncated,
        "grpc-no-trailers",
    ),
];

#[test]
fn grpc_lines_map_to_their_cause_fix_and_scenario() {
    let catalogue = catalogue();
    for (message, kind, errno, client, scenario) in GRPC {
        let text = format!(
            "2026/12/07 17:43:30 [error] 32633#32633: *3 {message}, client: 127.0.0.1, \
             server: , request: \"POST /pkg.Svc/M HTTP/2.0\", upstream: \
             \"grpc://127.0.0.1:19002\", host: \"127.0.0.1:18082\""
        );
        let mut a = Analyzer::default();
        a.feed(&text);
        let d = a.finish(&catalogue);
        let c = &d.causes[0];
        assert_eq!((c.cause.kind, c.cause.errno), (*kind, *errno), "{message}");
        assert_eq!(c.cause.family, Family::Grpc);
        assert_eq!(c.client, *client, "{message}");
        assert!(c.fix.contains("grpc_"), "{message}: {}", c.fix);
        let first = c.advice.first().map(|a| a.scenario.as_str());
        assert_eq!(first, Some(*scenario), "{message}");
    }
}
