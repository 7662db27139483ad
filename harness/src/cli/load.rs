//! Command-line arguments of `badgateway load` (clap derive) and the check that its target is
//! on this machine: the load driver is for loopback only, never for someone else's server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Most requests one `load` run may issue.
pub const MAX_REQUESTS: u64 = 100_000_000;
/// Longest `load` run.
pub const MAX_DURATION: Duration = Duration::from_secs(3_600);

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Where to send GETs: `http://127.0.0.1:PORT/PATH`, `http://[::1]:PORT/...` or
    /// `http://localhost:PORT/...`. Other hosts are refused (exit 2).
    #[arg(value_name = "URL", value_parser = LoadTarget::parse)]
    pub url: LoadTarget,
    /// Concurrent connections, each sending its requests back to back (keep-alive).
    #[arg(long, short, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub connections: u16,
    /// How long to issue requests (requests in flight then finish), e.g. `5s`, `500ms`.
    #[arg(long, short, default_value = "5s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Stop after this many requests, even before `--duration` is over.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=MAX_REQUESTS))]
    pub requests: u64,
    /// Bound on one request (connect to last body byte); a slower one counts as a timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Client threads, each running its share of the connections on its own single-threaded
    /// runtime. Default: one per CPU.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Speak HTTP/2 over cleartext with prior knowledge (an nginx `listen ... http2`), one
    /// request at a time per connection, instead of HTTP/1.1.
    #[arg(long)]
    pub http2: bool,
    /// Print the complete load report as JSON (the `load` object of result.json).
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| format!("`{text}`: {e}"))?;
    if d.is_zero() || d > MAX_DURATION {
        return Err(format!("`{text}` must be above 0 and at most 1h"));
    }
    Ok(d)
}

/// A parsed loopback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadTarget {
    /// The URL as given.
    pub url: String,
    /// Where to connect.
    pub addr: SocketAddr,
    /// The `Host` header: the URL's authority.
    pub host: String,
    /// Path and query, at least `/`.
    pub path: String,
}

impl LoadTarget {
    /// Parse `url`, refusing anything that is not plain HTTP to a loopback address.
    pub fn parse(url: &str) -> Result<LoadTarget, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => return Err(format!("only http:// is supported, not {other}://")),
            None => return Err(format!("`{url}` has no scheme: write http://{url}")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{url}` has no host"))?;
        let host = authority.host();
        let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| {
                    format!(
                        "`{host}` is not a loopback address: `badgateway load` only drives load \
                         at this machine (127.0.0.1, ::1, localhost)"
                    )
                })?
        };
        if !ip.is_loopback() {
            return Err(format!(
                "{ip} is not a loopback address: `badgateway load` only drives load at this \
                 machine (127.0.0.1, ::1, localhost)"
            ));
        }
        let port = authority.port_u16().unwrap_or(80);
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        Ok(LoadTarget {
            url: url.to_string(),
            addr: SocketAddr::new(ip, port),
            host: authority.as_str().to_string(),
            path: if path.is_empty() { "/".into() } else { path },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_accepted() {
        let t = LoadTarget::parse("http://127.0.0.1:8080/bytes?x=1").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            (t.host.as_str(), t.path.as_str()),
            ("127.0.0.1:8080", "/bytes?x=1")
        );
        let t = LoadTarget::parse("http://localhost:81").unwrap();
        assert_eq!(t.addr, "127.0.0.1:81".parse().unwrap());
        assert_eq!(t.path, "/");
        let t = LoadTarget::parse("http://[::1]:9000/").unwrap();
        assert_eq!(t.addr, "[::1]:9000".parse().unwrap());
        assert_eq!(
            LoadTarget::parse("http://127.0.0.2/").unwrap().addr.port(),
            80
        );
    }

    #[test]
    fn other_hosts_and_schemes_are_refused() {
        for url in [
            "http://10.0.0.1:80/",
            "http://example.com/",
            "http://0.0.0.0:80/",
            "https://127.0.0.1/",
            "127.0.0.1:80",
            "http://localhost.example.com/",
        ] {
            assert!(LoadTarget::parse(url).is_err(), "{url} must be refused");
        }
        let err = LoadTarget::parse("http://192.168.1.1/").unwrap_err();
        assert!(err.contains("loopback"), "{err}");
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("2h").is_err());
    }
}
