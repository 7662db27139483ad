//! WebSocket locations as `check` reads them: a `proxy_pass` where a `proxy_set_header
//! Upgrade` is in force, or was before an inner level dropped it. A `Connection` naming
//! `upgrade` (`$connection_upgrade`) alone does not make one: that line is also in many plain
//! HTTP snippets (the map sends `close` when the client asks no upgrade), so such a location
//! is played as HTTP, with a note. `proxy_set_header`s are merged as nginx merges them
//! (`ngx_http_proxy_merge_loc_conf`: taken as a whole from the innermost level that has any,
//! so one `proxy_set_header` in a location drops every outer one), `proxy_http_version` and
//! `proxy_read_timeout` are inherited on their own. The upgrade works only with all three
//! parts of the recipe: HTTP/1.1 to the upstream, `Upgrade` passed on, and `Connection:
//! upgrade` (nginx's default is `Connection: close`); with a part missing the upstream sees
//! no upgrade (426) or a broken one (400), and `check` names the missing part.

use serde::{Deserialize, Serialize};

use crate::nginxconf::Directive;

/// The recipe of nginx's WebSocket proxying guide (with `map $http_upgrade
/// $connection_upgrade { default upgrade; '' close; }` in `http {}`).
pub const UPGRADE_FIX: &str = "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; \
     proxy_set_header Connection $connection_upgrade;";

/// The WebSocket-related settings in force in a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WsScope {
    /// The `proxy_set_header`s of the innermost level that has any.
    headers: Option<Headers>,
    /// Where an outer level's upgrade headers were, when `headers` replaced them.
    dropped: Option<String>,
    http_version: Option<String>,
    read_timeout: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Headers {
    /// Where this level's first `proxy_set_header` is.
    at: String,
    upgrade: Option<String>,
    connection: Option<String>,
}

impl Headers {
    /// Whether these headers pass an upgrade on.
    fn upgrades(&self) -> bool {
        self.upgrade.is_some()
    }

    fn connection_upgrade(&self) -> bool {
        self.connection
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("upgrade"))
    }
}

/// What a WebSocket location sends its upstream, as far as the config tells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSocketLocation {
    /// `proxy_set_header Upgrade` as written; `None`: not in force.
    pub upgrade: Option<String>,
    /// `proxy_set_header Connection` as written; `None`: nginx sends `close`.
    pub connection: Option<String>,
    /// `proxy_http_version` (`None`: nginx's default, 1.0).
    pub http_version: Option<String>,
    /// `proxy_read_timeout` (`None`: nginx's default, 60s): how long an upgraded socket may
    /// stay silent before nginx closes it, without a close frame.
    pub read_timeout: Option<String>,
    /// The part of the recipe missing, when the config alone tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl WebSocketLocation {
    /// What the config's `proxy_read_timeout` means for quiet sockets, for the report's
    /// notes (`check` does not wait that long).
    pub fn idle_note(&self) -> String {
        let timeout = match &self.read_timeout {
            Some(t) => format!("proxy_read_timeout {t}"),
            None => "proxy_read_timeout 60s (the default)".to_string(),
        };
        format!(
            "a WebSocket silent for {timeout} is closed by nginx without a close frame (`upstream \
             timed out (110: Connection timed out) while proxying upgraded connection` at \
             [info]); its clients must send a frame or ping more often (scenario \
             websocket-idle-timeout; not played: longer than a probe)"
        )
    }
}

impl WsScope {
    /// The scope inside `block` (an `http`, `server`, `location` or `if` block).
    pub fn enter(&self, block: &Directive) -> WsScope {
        let mut scope = self.clone();
        let mut own: Option<Headers> = None;
        for d in block.children() {
            match d.name.as_str() {
                "proxy_http_version" => scope.http_version = d.arg(0),
                "proxy_read_timeout" => scope.read_timeout = d.arg(0),
                "proxy_set_header" => {
                    let h = own.get_or_insert_with(|| Headers {
                        at: d.at.to_string(),
                        ..Headers::default()
                    });
                    let name = d.arg(0).unwrap_or_default().to_ascii_lowercase();
                    match name.as_str() {
                        "upgrade" => h.upgrade = d.arg(1),
                        "connection" => h.connection = d.arg(1),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if let Some(own) = own {
            let outer = self.headers.as_ref().filter(|h| h.upgrades());
            scope.dropped = match (own.upgrades(), outer) {
                (false, Some(h)) => Some(h.at.clone()),
                (false, None) => self.dropped.clone(),
                (true, _) => None,
            };
            scope.headers = Some(own);
        }
        scope
    }

    /// For a location played as HTTP whose `Connection` names `upgrade` without an `Upgrade`:
    /// why it cannot carry a WebSocket, should it be meant to.
    pub fn connection_only(&self) -> Option<String> {
        let h = self.headers.as_ref()?;
        (!h.upgrades() && h.connection_upgrade() && self.dropped.is_none()).then(|| {
            format!(
                "proxy_set_header Connection {} without proxy_set_header Upgrade (from {}): \
                 played as HTTP; a WebSocket here would not be upgraded (the upstream sees no \
                 Upgrade, e.g. 426)",
                h.connection.as_deref().unwrap_or_default(),
                h.at
            )
        })
    }

    /// What a `proxy_pass` in this scope does with an upgrade; `None`: not a WebSocket
    /// location (no `Upgrade` header in force or dropped).
    pub fn location(&self) -> Option<WebSocketLocation> {
        let headers = self.headers.clone().unwrap_or_default();
        if !headers.upgrades() && self.dropped.is_none() {
            return None;
        }
        let http11 = self.http_version.as_deref() == Some("1.1");
        let problem = match (&self.dropped, headers.upgrade.is_some()) {
            (Some(outer), false) => Some(format!(
                "the proxy_set_header Upgrade/Connection at {outer} do not reach this location: \
                 the proxy_set_header at {} starts a list of its own, and nginx inherits \
                 proxy_set_headers only to levels that set none (Upgrade is hop-by-hop: \
                 nginx does not pass the client's on by itself)",
                headers.at
            )),
            (None, false) => None,
            (_, true) if !headers.connection_upgrade() => Some(
                "no proxy_set_header Connection with `upgrade`: nginx sends the upstream \
                 `Connection: close`"
                    .to_string(),
            ),
            (_, true) if !http11 => Some(match &self.http_version {
                Some(v) => format!("proxy_http_version is {v}: an upgrade needs HTTP/1.1"),
                None => "no proxy_http_version 1.1: nginx before 1.29.7 talks HTTP/1.0 to \
                         upstreams (1.30 defaults to 1.1), and an upgrade needs HTTP/1.1"
                    .to_string(),
            }),
            _ => None,
        };
        Some(WebSocketLocation {
            upgrade: headers.upgrade,
            connection: headers.connection,
            http_version: self.http_version.clone(),
            read_timeout: self.read_timeout.clone(),
            problem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::first_location;
    use super::*;

    /// What the first location of `conf`'s first server does with an upgrade.
    fn at_pass(conf: &str) -> Option<WebSocketLocation> {
        let [http, server, location] = first_location(conf);
        let scope = WsScope::default().enter(&http).enter(&server);
        scope.enter(&location).location()
    }

    const MAP: &str = "map $http_upgrade $connection_upgrade { default upgrade; '' close; }";

    #[test]
    fn the_guides_recipe_is_a_websocket_location_without_problem() {
        let l = at_pass(&format!(
            "http {{ {MAP} server {{ location /ws/ {{ proxy_http_version 1.1; \
             proxy_set_header Upgrade $http_upgrade; \
             proxy_set_header Connection $connection_upgrade; proxy_read_timeout 1h; \
             proxy_pass http://app; }} }} }}"
        ))
        .expect("a WebSocket location");
        assert_eq!(l.problem, None);
        assert_eq!(l.upgrade.as_deref(), Some("$http_upgrade"));
        assert_eq!(l.connection.as_deref(), Some("$connection_upgrade"));
        assert_eq!(l.read_timeout.as_deref(), Some("1h"));
    }

    #[test]
    fn a_plain_proxy_pass_is_not_a_websocket_location() {
        assert_eq!(
            at_pass(
                "http { server { location / { proxy_set_header Host $host; \
                 proxy_http_version 1.1; proxy_pass http://app; } } }"
            ),
            None
        );
    }

    #[test]
    fn each_missing_part_of_the_recipe_is_named() {
        let no_version = at_pass(
            "http { server { location /ws { proxy_set_header Upgrade $http_upgrade; \
             proxy_set_header Connection \"upgrade\"; proxy_pass http://app; } } }",
        )
        .unwrap();
        assert!(
            no_version
                .problem
                .as_deref()
                .unwrap()
                .contains("before 1.29.7")
        );
        assert!(
            no_version
                .idle_note()
                .contains("proxy_read_timeout 60s (the default)")
        );
        let no_connection = at_pass(
            "http { server { proxy_http_version 1.1; location /ws { \
             proxy_set_header Upgrade $http_upgrade; proxy_pass http://app; } } }",
        )
        .unwrap();
        assert!(no_connection.problem.unwrap().contains("Connection: close"));
        // Connection alone is in many plain HTTP snippets: not a WebSocket location.
        assert_eq!(
            at_pass(
                "http { server { location /ws { proxy_http_version 1.1; \
                 proxy_set_header Connection upgrade; proxy_pass http://app; } } }",
            ),
            None
        );
    }

    #[test]
    fn a_location_header_drops_the_servers_upgrade_headers() {
        let l = at_pass(
            "http { server { proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; \
             proxy_set_header Connection upgrade; location /ws { \
             proxy_set_header X-Real-IP $remote_addr; proxy_pass http://app; } } }",
        )
        .expect("meant as a WebSocket location");
        assert!(l.problem.unwrap().contains("do not reach this location"));
        assert_eq!(l.upgrade, None);
    }

    #[test]
    fn a_connection_upgrade_alone_is_noted_not_played_as_websocket() {
        let [http, server, location] = first_location(
            "http { server { location / { proxy_http_version 1.1; \
             proxy_set_header Connection $connection_upgrade; proxy_pass http://app; } } }",
        );
        let scope = WsScope::default()
            .enter(&http)
            .enter(&server)
            .enter(&location);
        assert_eq!(scope.location(), None);
        assert!(scope.connection_only().unwrap().contains("played as HTTP"));
    }
}
