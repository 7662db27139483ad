//! The upstream protocol a line is about, and so the directive family its fix is written in:
//! `proxy_read_timeout` for `http://` upstreams, `fastcgi_read_timeout` for `fastcgi://` ones.
//! nginx names the protocol in the line's `upstream: "fastcgi://..."` field (the module's
//! `u->schema`: `http://`, `https://`, `fastcgi://`, `uwsgi://`, `suwsgi://`, `scgi://`,
//! `grpc://`, `grpcs://`, `memcached://`); a line cut before that field can still say it in its
//! wording (`FastCGI sent in stderr`).

use serde::{Deserialize, Serialize};

/// The module that talked to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Proxy,
    Fastcgi,
    Uwsgi,
    Scgi,
    Grpc,
    Memcached,
    /// The line names no protocol (cut short, or a message without an upstream field).
    Unknown,
}

impl Family {
    /// From the `upstream: "scheme://..."` field, else the message's wording.
    pub fn of(upstream: Option<&str>, message: &str) -> Family {
        let scheme = upstream.and_then(|u| u.split_once("://")).map(|(s, _)| s);
        match scheme {
            Some("http" | "https") => Family::Proxy,
            Some("fastcgi") => Family::Fastcgi,
            Some("uwsgi" | "suwsgi") => Family::Uwsgi,
            Some("scgi") => Family::Scgi,
            Some("grpc" | "grpcs") => Family::Grpc,
            Some("memcached") => Family::Memcached,
            _ if message.contains("FastCGI") => Family::Fastcgi,
            _ => Family::Unknown,
        }
    }

    /// The directive prefix: `proxy`, `fastcgi`, ...; `proxy` when unknown.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Proxy | Family::Unknown => "proxy",
            Family::Fastcgi => "fastcgi",
            Family::Uwsgi => "uwsgi",
            Family::Scgi => "scgi",
            Family::Grpc => "grpc",
            Family::Memcached => "memcached",
        }
    }

    /// `proxy_read_timeout` for `d("read_timeout")`; for an unknown family the other
    /// families' twins are named too.
    pub fn d(self, suffix: &str) -> String {
        match self {
            Family::Unknown => format!("`proxy_{suffix}` (or its fastcgi_/uwsgi_/grpc_ twin)"),
            f => format!("`{}_{suffix}`", f.prefix()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_comes_from_the_upstream_scheme_or_the_wording() {
        let of = |u: &str| Family::of(Some(u), "upstream timed out");
        assert_eq!(of("fastcgi://127.0.0.1:9000"), Family::Fastcgi);
        assert_eq!(of("fastcgi://unix:/run/php/php-fpm.sock"), Family::Fastcgi);
        assert_eq!(of("https://10.0.0.1:443"), Family::Proxy);
        assert_eq!(of("grpcs://10.0.0.1:443"), Family::Grpc);
        assert_eq!(of("suwsgi://10.0.0.1:1"), Family::Uwsgi);
        assert_eq!(of("scgi://10.0.0.1:1"), Family::Scgi);
        assert_eq!(
            Family::of(None, "FastCGI sent in stderr: \"x\""),
            Family::Fastcgi
        );
        assert_eq!(Family::of(None, "upstream timed out"), Family::Unknown);
        assert_eq!(Family::Fastcgi.d("read_timeout"), "`fastcgi_read_timeout`");
    }
}
