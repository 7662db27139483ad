//! gRPC locations as `check` reads them: a `grpc_pass` (`grpc://`, `grpcs://` or a bare
//! address) is played by gRPC fakes and called by a gRPC client, which speaks HTTP/2, so the
//! location's server must accept HTTP/2 from clients: `http2 on;` (nginx 1.25.1+, inherited
//! from `http {}`) or `listen … http2` on the address the harness calls. The harness speaks
//! cleartext HTTP/2 with prior knowledge (h2c) to it: a cleartext `listen … http2` keeps its
//! `http2` in the test config, and with `http2 on;` nginx tells h2c from HTTP/1.1 by the
//! connection preface. A `listen … ssl http2` without `http2 on;` offers HTTP/2 through TLS
//! (ALPN); `check` serves client-side TLS as plain, so it keeps that listen's `http2` (cleartext
//! HTTP/2) when every location it tests there is a gRPC one, and otherwise (nginx before
//! 1.25.1 would speak only HTTP/2 to the HTTP/1.1 ones) lists the gRPC locations as not
//! tested; so is a location whose server has no HTTP/2 at all (the config is never given
//! `http2`). TLS to the
//! upstream (`grpcs://`) reads `grpc_ssl_name` and `grpc_ssl_verify` as `tls` reads their
//! `proxy_ssl_*` twins.

use super::{Analysis, Untested};
use crate::nginxconf::Directive;

/// How `check` plays a gRPC upstream, for the reports.
pub const GRPC_PLAY: &str = "its fakes answer unary calls over HTTP/2 (grpc_unary: one message, \
     grpc-status 0); the harness calls each location over cleartext HTTP/2 (h2c), one POST of \
     one message per call";

/// The `http2` directive in force in a block (unset: off).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct H2Scope {
    on: bool,
}

impl H2Scope {
    /// The scope inside `block`: its own `http2 on|off` over the inherited one.
    pub fn enter(&self, block: &Directive) -> H2Scope {
        let mut scope = self.clone();
        for d in block.children().filter(|d| d.name == "http2") {
            scope.on = d.arg(0).as_deref() == Some("on");
        }
        scope
    }
}

/// Whether a gRPC client can call `server` on `listen` (a [`listen_key`](super::listen_key)),
/// with `scope` the server's: `Err` says why not.
/// `Ok(true)` when that HTTP/2 is `listen … ssl http2` alone (see [`settle_tls`]).
pub fn front_end(server: &Directive, listen: &str, scope: &H2Scope) -> Result<bool, String> {
    if scope.on {
        return Ok(false);
    }
    let flags: Vec<Vec<String>> = server
        .children()
        .filter(|d| d.name == "listen")
        .filter(|d| d.arg(0).is_some_and(|a| super::listen_key(&a) == listen))
        .map(|d| d.args.iter().skip(1).map(|x| x.value()).collect())
        .collect();
    let has = |flag: &str| flags.iter().any(|f| f.iter().any(|x| x == flag));
    match (has("http2"), has("ssl")) {
        (true, false) => Ok(false),
        (true, true) => Ok(true),
        (false, _) => Err(format!(
            "grpc_pass: the server has no HTTP/2 on {listen} (`http2 on;` or `listen … \
             http2`), so no gRPC client can reach this location; check never adds http2 to \
             your config"
        )),
    }
}

/// Keep `http2` on the `listen … ssl http2` keys in `a.h2c_tls` (served as cleartext HTTP/2)
/// only where every location tested there is a gRPC one; elsewhere the gRPC locations on
/// the key become not tested.
pub(super) fn settle_tls(a: &mut Analysis) {
    let keys = std::mem::take(&mut a.h2c_tls);
    for key in keys {
        let h1 = a.targets.iter().find(|t| t.listen == key && !t.grpc);
        let Some(h1) = h1.map(|t| t.label()) else {
            a.h2c_tls.push(key);
            continue;
        };
        let (moved, kept) = std::mem::take(&mut a.targets)
            .into_iter()
            .partition(|t| t.listen == key && t.grpc);
        a.targets = kept;
        for t in moved {
            a.untested.push(Untested {
                what: format!("{}: grpc_pass {}{}", t.label(), t.scheme, t.upstream),
                reason: format!(
                    "grpc_pass: listen {key} offers HTTP/2 only over TLS (ALPN), which check \
                     serves as plain HTTP; it stays HTTP/1.1 there for {h1} (nginx before \
                     1.25.1 would speak only HTTP/2 to it), so no gRPC client can call this \
                     location (with `http2 on;` check calls it over cleartext HTTP/2)"
                ),
                at: t.at,
            });
        }
    }
}

/// Whether `server` listens on `listen` with a cleartext `listen … http2` (kept in the test
/// config).
pub fn h2c_listen(server: &Directive, listen: &str) -> bool {
    server
        .children()
        .filter(|d| d.name == "listen")
        .filter(|d| d.arg(0).is_some_and(|a| super::listen_key(&a) == listen))
        .any(keeps_http2)
}

/// The note for an HTTP/1.1 location (HTTP or WebSocket) on a cleartext `listen … http2`.
pub const H1_ON_H2C: &str = "its server's cleartext `listen … http2` is kept, where nginx \
     before 1.25.1 speaks only HTTP/2: there HTTP/1.1 clients (and this location's control run) \
     get HTTP/2 frames (`parse_error`); 1.25.1+ tells the two apart by the connection preface";

/// Whether a listen's flags keep `http2` in the test config: a cleartext `listen … http2`
/// (with `ssl` the HTTP/2 is negotiated by TLS, which the test config serves as plain HTTP).
pub fn keeps_http2(listen: &Directive) -> bool {
    let flags: Vec<String> = listen.args.iter().skip(1).map(|x| x.value()).collect();
    flags.iter().any(|f| f == "http2") && !flags.iter().any(|f| f == "ssl")
}

#[cfg(test)]
mod tests {
    use super::super::{Protocol, analyze};
    use super::*;
    use crate::nginxconf::{load, parse};
    use std::path::Path;

    fn server(text: &str) -> Directive {
        let nodes = parse(text, Path::new("t.conf")).unwrap();
        let crate::nginxconf::Node::Directive(d) = &nodes[0] else {
            panic!("a server block");
        };
        d.clone()
    }

    #[test]
    fn a_grpc_client_needs_http2_on_the_listen_or_http2_on() {
        let h2c = server("server { listen 80 http2; listen 81; }");
        let off = H2Scope::default().enter(&h2c);
        assert_eq!(front_end(&h2c, "*:80", &off), Ok(false));
        assert!(
            front_end(&h2c, "*:81", &off)
                .unwrap_err()
                .contains("no HTTP/2")
        );
        let tls = server("server { listen 443 ssl http2; }");
        assert_eq!(front_end(&tls, "*:443", &H2Scope::default()), Ok(true));
        let on = server("server { listen 443 ssl; http2 on; }");
        let scope = H2Scope::default().enter(&on);
        assert_eq!(front_end(&on, "*:443", &scope), Ok(false));
        let inherited = server("http { http2 on; }");
        let scope = H2Scope::default().enter(&inherited);
        assert_eq!(front_end(&tls, "*:443", &scope), Ok(false));
        let listens: Vec<bool> = h2c
            .children()
            .chain(tls.children())
            .map(keeps_http2)
            .collect();
        assert_eq!(listens, [true, false, false]);
    }

    fn grpc(file: &str) -> Analysis {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nginx/grpc")
            .join(file);
        analyze(&load(&path).unwrap())
    }

    #[test]
    fn grpc_pass_locations_are_targets_where_clients_can_speak_http2() {
        let a = grpc("h2c.conf");
        let greeter = a.upstreams.iter().find(|u| u.name == "greeter").unwrap();
        assert_eq!(greeter.protocol, Protocol::Grpc);
        let calls: Vec<(&str, &str, bool)> = a
            .targets
            .iter()
            .map(|t| (t.location.as_str(), t.scheme.as_str(), t.grpc))
            .collect();
        assert_eq!(
            calls,
            [
                ("location /helloworld.Greeter/", "grpc://", true),
                ("location /status", "http://", false),
            ]
        );
        // The HTTP/1.1 location on the cleartext http2 listen gets the version note.
        let notes = a.notes.join("\n");
        assert!(
            notes.contains("location /status") && notes.contains("before 1.25.1"),
            "{notes}"
        );
        assert!(!notes.contains("Greeter"), "{notes}");
        // No listen is listed for the cleartext http2 it keeps.
        assert!(
            a.untested.iter().all(|u| !u.what.contains("listen")),
            "{:#?}",
            a.untested
        );
        let admin = a
            .untested
            .iter()
            .find(|u| u.what.contains("admin.Admin"))
            .unwrap();
        assert!(
            admin
                .reason
                .starts_with("grpc_pass: the server has no HTTP/2"),
            "{admin:#?}"
        );
    }

    #[test]
    fn grpcs_reads_grpc_ssl_name_and_verify_as_the_proxy_ssl_twins() {
        let a = grpc("grpcs.conf");
        let [up] = a.upstreams.as_slice() else {
            panic!("one upstream: {a:#?}");
        };
        assert_eq!(
            (up.protocol, up.tls.as_deref()),
            (Protocol::Grpc, Some("billing.internal"))
        );
        assert_eq!(a.targets[0].scheme, "grpcs://");
        assert!(a.notes.is_empty(), "{:#?}", a.notes);
    }

    #[test]
    fn an_ssl_http2_listen_is_cleartext_http2_only_where_every_tested_location_is_grpc() {
        let a = grpc("tls-listen.conf");
        assert_eq!(a.h2c_tls, ["*:443"]);
        let tested: Vec<String> = a.targets.iter().map(|t| t.label()).collect();
        assert_eq!(
            tested,
            [
                "grpc.example.com location /g/",
                "mixed.example.com location /"
            ]
        );
        let mixed = a
            .untested
            .iter()
            .find(|u| u.what.starts_with("mixed.example.com location /g/"))
            .unwrap();
        assert!(
            mixed
                .reason
                .contains("stays HTTP/1.1 there for mixed.example.com location /"),
            "{mixed:#?}"
        );
    }
}
