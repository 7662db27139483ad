//! `{{upstream.NAME.SERVER}}` placeholders in config fragments.
//!
//! Fake servers bind to ports chosen at run time, so fragments name them symbolically. A
//! placeholder is replaced by the server's `host:port`; `{{upstream.NAME}}` is allowed when the
//! upstream has exactly one server. `{{tls.ca}}` is the absolute path of the phase's `ca.pem`
//! (the CA that issued the `tls:` servers' certificates) and `{{tls.cert.NAME.SERVER}}` that
//! of one `tls:` server's own certificate (what to trust for a self-signed one); both exist
//! only when a server has `tls:`. `{{dns}}` is the fake DNS server's `address:port` (for
//! `resolver`) and `{{dns.NAME}}` is `NAME:port`, a name of the scenario's `dns:` section with
//! the port its servers share; both exist only with a `dns:` section.
//! Anything else between `{{` and `}}` is an input error.

use std::collections::BTreeMap;

/// Where each fake server listens, keyed by (upstream, server).
#[derive(Debug, Clone, Default)]
pub struct Addresses(pub BTreeMap<(String, String), String>);

/// The upstream name under which `{{tls.KEY}}` files are kept in the map: no slug is this.
const TLS: &str = "{{tls}}";
/// The upstream name under which `{{dns}}` (server name "") and `{{dns.NAME}}` are kept.
const DNS: &str = "{{dns}}";

impl Addresses {
    /// The same addresses with `{{tls.KEY}}` (`ca`, `cert.NAME.SERVER`) standing for `path`.
    pub fn with_tls_file(mut self, key: &str, path: impl Into<String>) -> Self {
        self.0.insert((TLS.into(), key.into()), path.into());
        self
    }

    /// The same addresses with `{{dns}}` standing for `resolver` and each `{{dns.NAME}}` for
    /// its `NAME:port`; nothing when `names` is empty (no `dns:` section).
    pub fn with_dns(
        mut self,
        resolver: impl Into<String>,
        names: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let mut names = names.into_iter().peekable();
        if names.peek().is_none() {
            return self;
        }
        self.0.insert((DNS.into(), String::new()), resolver.into());
        for (name, host_port) in names {
            self.0.insert((DNS.into(), name), host_port);
        }
        self
    }

    fn lookup_dns(&self, key: &str) -> Result<&str, String> {
        let name = key
            .strip_prefix("dns")
            .unwrap_or(key)
            .trim_start_matches('.');
        if !self.0.contains_key(&(DNS.to_string(), String::new())) {
            return Err(format!(
                "placeholder {{{{{key}}}}} needs a `dns:` section in this scenario"
            ));
        }
        self.0
            .get(&(DNS.to_string(), name.to_string()))
            .map(String::as_str)
            .ok_or_else(|| format!("unknown placeholder {{{{{key}}}}}: `{name}` is not in `dns:`"))
    }

    /// Symbolic addresses (`127.0.0.1:<app.primary>`) for `explain` and `validate`, where no
    /// server runs.
    pub fn symbolic<'a>(servers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let map = servers
            .into_iter()
            .map(|(u, s)| {
                (
                    (u.to_string(), s.to_string()),
                    format!("127.0.0.1:<{u}.{s}>"),
                )
            })
            .collect();
        Addresses(map)
    }

    fn lookup(&self, key: &str) -> Result<&str, String> {
        if key == "dns" || key.starts_with("dns.") {
            return self.lookup_dns(key);
        }
        let parts: Vec<&str> = key.split('.').collect();
        match parts.as_slice() {
            ["tls", ..] => self
                .0
                .get(&(TLS.to_string(), key["tls.".len()..].to_string()))
                .map(String::as_str)
                .ok_or_else(|| match parts.as_slice() {
                    ["tls", "ca"] => {
                        "placeholder {{tls.ca}} needs a server with `tls:` in this scenario".into()
                    }
                    _ => format!(
                        "unknown placeholder {{{{{key}}}}}: tls files are {{{{tls.ca}}}} and \
                         {{{{tls.cert.NAME.SERVER}}}} of a server with `tls:`"
                    ),
                }),
            ["upstream", up, server] => self
                .0
                .get(&(up.to_string(), server.to_string()))
                .map(String::as_str)
                .ok_or_else(|| format!("unknown placeholder {{{{{key}}}}}")),
            ["upstream", up] => {
                let servers: Vec<_> = self.0.iter().filter(|((u, _), _)| u == up).collect();
                match servers.as_slice() {
                    [(_, addr)] => Ok(addr.as_str()),
                    [] => Err(format!("unknown placeholder {{{{{key}}}}}")),
                    _ => Err(format!(
                        "placeholder {{{{{key}}}}} is ambiguous: upstream `{up}` has {} servers",
                        servers.len()
                    )),
                }
            }
            _ => Err(format!("unknown placeholder {{{{{key}}}}}")),
        }
    }

    /// Every valid placeholder, for hints.
    pub fn known(&self) -> Vec<String> {
        self.0
            .keys()
            .map(|(u, s)| match u.as_str() {
                TLS => format!("{{{{tls.{s}}}}}"),
                DNS if s.is_empty() => "{{dns}}".to_string(),
                DNS => format!("{{{{dns.{s}}}}}"),
                _ => format!("{{{{upstream.{u}.{s}}}}}"),
            })
            .collect()
    }
}

/// A placeholder that could not be expanded: the text to point at and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceholderError {
    /// The offending text as written, e.g. `{{upstream.ap}}`, so the caller can locate it.
    pub text: String,
    pub message: String,
}

/// Replace every placeholder in `fragment`.
pub fn expand(fragment: &str, addrs: &Addresses) -> Result<String, PlaceholderError> {
    let mut out = String::with_capacity(fragment.len());
    let mut rest = fragment;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            let line = after.lines().next().unwrap_or("");
            return Err(PlaceholderError {
                text: format!("{{{{{line}"),
                message: "unterminated placeholder: `{{` without `}}`".into(),
            });
        };
        let key = after[..end].trim();
        let addr = addrs.lookup(key).map_err(|message| PlaceholderError {
            text: format!("{{{{{}}}}}", &after[..end]),
            message,
        })?;
        out.push_str(addr);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> Addresses {
        let mut m = BTreeMap::new();
        m.insert(
            ("app".into(), "primary".into()),
            "127.0.0.1:1001".to_string(),
        );
        m.insert(("app".into(), "spare".into()), "127.0.0.1:1002".to_string());
        m.insert(("solo".into(), "only".into()), "127.0.0.1:1003".to_string());
        Addresses(m)
    }

    #[test]
    fn placeholders_become_addresses() {
        let text = "server {{upstream.app.primary}};\nserver {{ upstream.app.spare }} backup;\n\
                    proxy_pass http://{{upstream.solo}};";
        assert_eq!(
            expand(text, &addrs()).unwrap(),
            "server 127.0.0.1:1001;\nserver 127.0.0.1:1002 backup;\nproxy_pass http://127.0.0.1:1003;"
        );
    }

    #[test]
    fn unknown_ambiguous_and_unterminated_placeholders_are_errors() {
        let e = expand("server {{upstream.ap}};", &addrs()).unwrap_err();
        assert_eq!(e.text, "{{upstream.ap}}");
        assert!(e.message.contains("unknown placeholder"));
        let e = expand("x {{upstream.app}}", &addrs()).unwrap_err();
        assert!(e.message.contains("ambiguous"), "{}", e.message);
        let e = expand("x {{upstream.app.primary;", &addrs()).unwrap_err();
        assert!(e.message.contains("unterminated"));
        assert!(expand("{{nginx.port}}", &addrs()).is_err());
    }

    #[test]
    fn tls_ca_is_known_only_with_a_tls_server() {
        let e = expand("proxy_ssl_trusted_certificate {{tls.ca}};", &addrs()).unwrap_err();
        assert!(
            e.message.contains("needs a server with `tls:`"),
            "{}",
            e.message
        );
        let with = addrs()
            .with_tls_file("ca", "/run/ca.pem")
            .with_tls_file("cert.app.primary", "/run/cert.app.primary.pem");
        assert_eq!(
            expand("x {{ tls.ca }} {{tls.cert.app.primary}};", &with).unwrap(),
            "x /run/ca.pem /run/cert.app.primary.pem;"
        );
        assert!(expand("{{tls.cert.app.spare}}", &with).is_err());
        assert!(with.known().contains(&"{{tls.ca}}".to_string()));
    }

    #[test]
    fn dns_placeholders_name_the_resolver_and_the_names() {
        let e = expand("resolver {{dns}};", &addrs()).unwrap_err();
        assert!(
            e.message.contains("needs a `dns:` section"),
            "{}",
            e.message
        );
        let names = [("app.internal".to_string(), "app.internal:4000".to_string())];
        let with = addrs().with_dns("127.0.0.1:5353", names);
        assert_eq!(
            expand(
                "resolver {{dns}}; proxy_pass http://{{ dns.app.internal }};",
                &with
            )
            .unwrap(),
            "resolver 127.0.0.1:5353; proxy_pass http://app.internal:4000;"
        );
        let e = expand("{{dns.other.internal}}", &with).unwrap_err();
        assert!(e.message.contains("not in `dns:`"), "{}", e.message);
        assert!(with.known().contains(&"{{dns.app.internal}}".to_string()));
        assert!(with.known().contains(&"{{dns}}".to_string()));
    }
}
