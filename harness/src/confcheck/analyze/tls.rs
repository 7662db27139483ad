//! TLS to an upstream as `check` reads it: the `proxy_ssl_name` and `proxy_ssl_verify` in
//! force at a `proxy_pass https://` (inherited http → server → location, as nginx merges
//! them), and the certificate name nginx checks there: `proxy_ssl_name` when it can be known
//! (literal, or with `$proxy_host`, `$host` or `$http_host`: the harness's requests carry the
//! location's Host), else `$proxy_host`'s host, i.e. the upstream block's name or the literal host in
//! `proxy_pass` (nginx strips the port; a literal address is re-pointed at a fake, so then
//! `127.0.0.1`). The fakes of an upstream used over https present a
//! certificate for that name, issued by the run's CA; where that cannot satisfy nginx (a name
//! that depends on the request, two names for one upstream, a plain location to a TLS
//! upstream), the analysis says so in its notes.

use super::{Analysis, Pass, Target};
use crate::nginxconf::Directive;

/// The host of every fake upstream `check` starts (a literal `proxy_pass` address becomes it).
const FAKE_HOST: &str = "127.0.0.1";

/// The upstream TLS settings in force in a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SslScope {
    /// `proxy_ssl_name` as written (unset: `$proxy_host`).
    name: Option<String>,
    /// `proxy_ssl_verify on` (nginx's default: off).
    pub verify: bool,
    /// `grpc_ssl_name` and `grpc_ssl_verify`, for a `grpc_pass grpcs://` (see [`SslScope::grpc`]).
    grpc_name: Option<String>,
    grpc_verify: bool,
}

/// The name nginx checks an upstream's certificate against.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// Known before any request: the fakes present a certificate for it.
    Name(String),
    /// `proxy_ssl_name` with variables other than `$proxy_host` (as written): the fakes
    /// present the upstream's host instead.
    Unknown(String),
}

impl SslScope {
    /// The scope inside `block`: its own `proxy_ssl_name`/`proxy_ssl_verify` over the
    /// inherited ones.
    pub fn enter(&self, block: &Directive) -> SslScope {
        let mut scope = self.clone();
        for d in block.children() {
            match d.name.as_str() {
                "proxy_ssl_name" => scope.name = d.arg(0),
                "proxy_ssl_verify" => scope.verify = d.arg(0).as_deref() == Some("on"),
                "grpc_ssl_name" => scope.grpc_name = d.arg(0),
                "grpc_ssl_verify" => scope.grpc_verify = d.arg(0).as_deref() == Some("on"),
                _ => {}
            }
        }
        scope
    }

    /// The settings a `grpc_pass grpcs://` uses: `grpc_ssl_name` and `grpc_ssl_verify` in
    /// the places of their `proxy_ssl_*` twins.
    pub fn grpc(&self) -> SslScope {
        SslScope {
            name: self.grpc_name.clone(),
            verify: self.grpc_verify,
            ..SslScope::default()
        }
    }

    /// The name for a `proxy_pass https://AUTHORITY` in this scope, for requests that carry
    /// `Host: HOST` (what `$host` and `$http_host` are in the harness's requests).
    pub fn expected(&self, authority: &str, host: &str) -> Expected {
        let Some(written) = &self.name else {
            return Expected::Name(strip_port(authority).to_string());
        };
        match substitute(written, authority, host) {
            Some(name) => Expected::Name(strip_port(&name).to_string()),
            None => Expected::Unknown(written.clone()),
        }
    }
}

/// The certificate name the fakes of `t`'s upstream present: the first https location's,
/// with a note where nginx would check another one. A literal address in `proxy_pass` is
/// re-pointed at `127.0.0.1:PORT`, which is then `$proxy_host`: nginx checks that name.
pub(super) fn certificate_name(t: &Target, p: &Pass, scope: &SslScope, a: &mut Analysis) {
    let literal = a
        .upstreams
        .iter()
        .any(|u| u.name == t.upstream && u.implicit);
    let authority = if literal { FAKE_HOST } else { &p.authority };
    let name = match scope.expected(authority, &t.host) {
        Expected::Name(name) => name,
        Expected::Unknown(written) => {
            let host = strip_port(authority).to_string();
            if scope.verify {
                a.notes.push(format!(
                    "{} ({}): proxy_ssl_name {written} depends on the request, so its fakes' \
                     certificate is for {host}; with proxy_ssl_verify on, expect its control \
                     run to fail unless the name comes out as {host}",
                    t.label(),
                    t.at
                ));
            }
            host
        }
    };
    let name = match certifiable(&name) {
        true => name,
        false => {
            if scope.verify {
                a.notes.push(format!(
                    "{} ({}): nginx checks the certificate for {name}, which no certificate \
                     can name; its fakes present one for localhost, so expect its control run \
                     to fail",
                    t.label(),
                    t.at
                ));
            }
            "localhost".to_string()
        }
    };
    let Some(up) = a.upstreams.iter_mut().find(|u| u.name == t.upstream) else {
        return;
    };
    match &up.tls {
        None => up.tls = Some(name),
        Some(first) if *first != name && scope.verify => a.notes.push(format!(
            "{} ({}): proxy_ssl_verify expects a certificate for {name}, but upstream {} \
             presents one for {first} (one name per upstream, its first https location's): \
             expect its control run to fail",
            t.label(),
            t.at,
            up.name
        )),
        Some(_) => {}
    }
}

/// Locations that proxy over `http://` to an upstream whose fakes speak TLS (another location
/// uses it over `https://`): noted, and their control run shows it.
pub(super) fn mixed_schemes(a: &mut Analysis) {
    for t in &a.targets {
        let tls = a
            .upstreams
            .iter()
            .any(|u| u.name == t.upstream && u.tls.is_some());
        if tls && !matches!(t.scheme.as_str(), "https://" | "grpcs://") {
            a.notes.push(format!(
                "{} ({}): proxy_pass {}{} to an upstream another location uses over \
                 https://; its fakes speak TLS, so expect this location's control run to fail",
                t.label(),
                t.at,
                t.scheme,
                t.upstream
            ));
        }
    }
}

/// Whether a fake's certificate can be issued for `name` (a DNS name or an IP address).
fn certifiable(name: &str) -> bool {
    let spec = fake_upstreams::TlsSpec {
        name: name.to_string(),
        ..fake_upstreams::TlsSpec::default()
    };
    spec.validate().is_ok()
}

/// `written` with `$proxy_host` as `authority` and `$host`/`$http_host` as `host`; `None`
/// when another variable is in it.
fn substitute(written: &str, authority: &str, host: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = written;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = match after.strip_prefix('{') {
            Some(braced) => (braced.split('}').next()?, braced.find('}')? + 2),
            None => {
                let n = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..n], n)
            }
        };
        out.push_str(match name {
            "proxy_host" => authority,
            "host" | "http_host" => host,
            _ => return None,
        });
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// `app:8443` → `app`; `[::1]:8443` → `[::1]`; `app` unchanged (as nginx strips the port of
/// the SSL name).
fn strip_port(authority: &str) -> &str {
    let after_bracket = authority.rfind(']').map_or(0, |b| b + 1);
    match authority[after_bracket..].rfind(':') {
        Some(i) => &authority[..after_bracket + i],
        None => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginxconf::{Location, Node};

    fn block(lines: &[(&str, &str)]) -> Directive {
        let at = Location {
            file: "t.conf".into(),
            line: 1,
            col: 1,
        };
        let mut d = Directive::simple("location", &["/"], &at);
        d.block = Some(
            lines
                .iter()
                .map(|(n, v)| Node::Directive(Directive::simple(n, &[v], &at)))
                .collect(),
        );
        d
    }

    #[test]
    fn the_name_defaults_to_the_host_of_proxy_pass_without_its_port() {
        let s = SslScope::default();
        let h = "site.example";
        assert_eq!(s.expected("app", h), Expected::Name("app".into()));
        assert_eq!(
            s.expected("10.0.0.5:8443", h),
            Expected::Name("10.0.0.5".into())
        );
        assert_eq!(s.expected("[::1]:8443", h), Expected::Name("[::1]".into()));
        assert!(!s.verify);
    }

    #[test]
    fn names_a_certificate_can_carry() {
        for ok in ["app", "my_app", "app.internal", "10.0.0.5", "127.0.0.1"] {
            assert!(certifiable(ok), "{ok}");
        }
        for bad in ["", "bücher.example"] {
            assert!(!certifiable(bad), "{bad}");
        }
    }

    #[test]
    fn proxy_ssl_name_is_inherited_and_overridden_and_variables_are_unknown() {
        let server = SslScope::default().enter(&block(&[
            ("proxy_ssl_verify", "on"),
            ("proxy_ssl_name", "api.internal"),
        ]));
        assert!(server.verify);
        assert_eq!(
            server.expected("app", "site.example"),
            Expected::Name("api.internal".into())
        );
        let loc = server.enter(&block(&[("proxy_ssl_name", "$proxy_host")]));
        assert!(loc.verify, "inherited");
        assert_eq!(
            loc.expected("app:8443", "site.example"),
            Expected::Name("app".into())
        );
        // The Host of the harness's requests is what `$host` is.
        let host = server.enter(&block(&[("proxy_ssl_name", "${host}")]));
        assert_eq!(
            host.expected("app", "site.example"),
            Expected::Name("site.example".into())
        );
        let http_host = server.enter(&block(&[("proxy_ssl_name", "api.$http_host")]));
        assert_eq!(
            http_host.expected("app", "site.example"),
            Expected::Name("api.site.example".into())
        );
        let var = server.enter(&block(&[("proxy_ssl_name", "$hostname")]));
        assert_eq!(
            var.expected("app", "site.example"),
            Expected::Unknown("$hostname".into())
        );
        let off = loc.enter(&block(&[("proxy_ssl_verify", "off")]));
        assert!(!off.verify);
        let grpc = off.enter(&block(&[
            ("grpc_ssl_verify", "on"),
            ("grpc_ssl_name", "g.internal"),
        ]));
        assert!(!grpc.verify && grpc.grpc().verify);
        assert_eq!(
            grpc.grpc().expected("app", "site.example"),
            Expected::Name("g.internal".into())
        );
    }
}
