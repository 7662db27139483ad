//! Scenario fragments are code: they can make nginx do anything it can. One thing a scenario
//! should never do by accident is serve beyond this machine, so `run` refuses a `listen` on
//! anything but loopback (127.0.0.0/8, `localhost`, `[::1]`, a unix socket) unless the user
//! passes `--allow-any-listen`. A bare port (`listen 8080;`) or `*:80` listens everywhere.

use super::Scenario;

/// The first `listen` of the scenario's fragments that is not on loopback, as written
/// (`listen 0.0.0.0:8080`), for an error that points at it.
pub fn first_non_loopback_listen(s: &Scenario) -> Option<String> {
    let phases = s.phases.iter().flat_map(|p| {
        [
            &p.config.http,
            &p.config.location,
            &p.config.add_http,
            &p.config.add_location,
        ]
        .into_iter()
        .flatten()
    });
    [&s.config.http, &s.config.location]
        .into_iter()
        .chain(phases)
        .flat_map(|text| text.split([';', '\n', '{', '}']))
        .map(str::trim)
        .find(|statement| is_open_listen(statement))
        .map(str::to_string)
}

/// `listen ADDR ...` whose address is not loopback.
fn is_open_listen(statement: &str) -> bool {
    let mut words = statement.split_whitespace();
    if words.next() != Some("listen") {
        return false;
    }
    let Some(addr) = words.next() else {
        return false;
    };
    let host = match addr.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => addr.rsplit_once(':').map_or(addr, |(host, _)| host),
    };
    let bare_port = addr.bytes().all(|b| b.is_ascii_digit());
    let loopback = addr.starts_with("unix:")
        || host == "localhost"
        || host == "::1"
        || host.starts_with("127.");
    bare_port || !loopback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_listens_pass() {
        for open in [
            "listen 8080",
            "listen *:80",
            "listen 0.0.0.0:8080 reuseport",
            "listen [::]:80",
            "listen 10.0.0.5:80",
            "listen example.com:80",
        ] {
            assert!(is_open_listen(open), "{open}");
        }
        for closed in [
            "listen 127.0.0.1:8080",
            "listen 127.0.0.2:80 default_server",
            "listen localhost:80",
            "listen [::1]:80",
            "listen unix:/tmp/x.sock",
            "proxy_pass http://0.0.0.0:80",
            "listen",
        ] {
            assert!(!is_open_listen(closed), "{closed}");
        }
    }
}
