//! WebSocket traffic (`traffic: { websocket: { ... } }`) and the keys of the `sockets:`
//! expectation.
//!
//! Instead of requests, a phase opens `sockets` WebSocket connections through nginx at once
//! (or `spread` over a time);
//! each sends `frames` text frames and waits for each echo, then optionally stays `idle`
//! (sending a ping every `ping`), then closes with code 1000. Every socket ends with one
//! label: the handshake's status when it was not 101 (`426`, `502`, `504`) or the transport
//! failure (`reset`, `closed`, `refused`, `timeout`), else `101+` how the upgraded
//! connection ended: `clean:CODE` (a close frame came back, with its code), `eof` (the
//! connection ended without a close frame), `reset`, `timeout` (an echo, pong or close did
//! not come in time) or `error` (a protocol error). `sockets:` keys match labels by prefix:
//! `"101"` every upgraded socket, `"101+clean"` every clean close, `"101+clean:1001"` only
//! that code; `echoed` counts the sockets whose every frame came back intact and `ponged`
//! those whose every ping got its pong.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use fake_upstreams::ByteSize;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// WebSocket traffic: sockets instead of requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebSocketTraffic {
    /// Sockets opened through nginx, all at once (1..=1024).
    pub sockets: u32,
    /// Text frames each socket sends, each after the previous one's echo. Default: 1.
    #[serde(default = "default_frames")]
    pub frames: u32,
    /// Payload size of each frame. Default: 64.
    #[serde(default = "default_frame_size")]
    pub frame_size: ByteSize,
    /// After its frames, how long each socket stays open without data before it closes,
    /// e.g. `3s`. Default: none (close at once).
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub idle: Option<Duration>,
    /// While idle, send a ping this often and expect its pong, e.g. `1s`. Default: none.
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub ping: Option<Duration>,
    /// Open the sockets spread evenly over this time (socket `i` of `n` after `i/n` of it)
    /// instead of all at once, e.g. to have some open during an upstream's restart.
    /// Default: none.
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub spread: Option<Duration>,
}

fn default_frames() -> u32 {
    1
}

fn default_frame_size() -> ByteSize {
    ByteSize(64)
}

impl WebSocketTraffic {
    /// What cannot be played: no sockets, an empty frame, a ping without idle time.
    pub fn check(&self) -> Result<(), String> {
        if self.sockets == 0 || self.sockets > 1024 {
            return Err(format!(
                "traffic.websocket.sockets must be 1..=1024, got {}",
                self.sockets
            ));
        }
        if self.frame_size.0 == 0 || self.frame_size.0 > 1 << 20 {
            return Err("traffic.websocket.frame_size must be 1 byte to 1m".into());
        }
        if self.ping.is_some_and(|p| p.is_zero()) || (self.ping.is_some() && self.idle.is_none()) {
            return Err("traffic.websocket.ping needs a positive interval and an `idle`".into());
        }
        Ok(())
    }
}

/// A key of `sockets:`: `echoed`, `ponged`, or a prefix of socket ending labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketKey(String);

/// The second part of an upgraded socket's label (`101+END`).
pub const SOCKET_ENDS: [&str; 5] = ["clean", "eof", "reset", "timeout", "error"];

impl SocketKey {
    /// Whether a socket labelled `label` (see the module docs) counts under this key.
    pub fn matches_label(&self, label: &str) -> bool {
        label
            .strip_prefix(self.0.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['+', ':']))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SocketKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a socket key: use `echoed`, `ponged`, a handshake status \
                 (`426`, `502`) or failure (`reset`, `refused`, `closed`, `timeout`), or \
                 `101+END` with END one of {} (`101+clean:1000` for one close code)",
                SOCKET_ENDS.join(", ")
            )
        };
        if matches!(text, "echoed" | "ponged") {
            return Ok(SocketKey(text.into()));
        }
        let (status, end) = match text.split_once('+') {
            Some((status, end)) => (status, Some(end)),
            None => (text, None),
        };
        let named = ["reset", "refused", "closed", "timeout", "other_error"];
        let status_ok =
            named.contains(&status) || status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s));
        let end_ok = end.is_none_or(|end| {
            let (kind, code) = end.split_once(':').unwrap_or((end, ""));
            status == "101"
                && SOCKET_ENDS.contains(&kind)
                && (code.is_empty() || (kind == "clean" && code.parse::<u16>().is_ok()))
        });
        if status_ok && end_ok {
            Ok(SocketKey(text.into()))
        } else {
            Err(bad())
        }
    }
}

impl fmt::Display for SocketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SocketKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SocketKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for SocketKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SocketKey".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`echoed`, `ponged`, a handshake status or failure, or `101+END` (END: clean, clean:CODE, eof, reset, timeout, error)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_labels_by_prefix() {
        let key = |t: &str| t.parse::<SocketKey>().unwrap();
        assert!(key("101").matches_label("101+clean:1000"));
        assert!(key("101+clean").matches_label("101+clean:1001"));
        assert!(key("101+clean:1001").matches_label("101+clean:1001"));
        assert!(!key("101+clean:1000").matches_label("101+clean:1001"));
        assert!(!key("101+clean:100").matches_label("101+clean:1000"));
        assert!(key("426").matches_label("426"));
        assert!("42".parse::<SocketKey>().is_err());
        for bad in [
            "101+closed",
            "426+clean",
            "101+eof:1000",
            "nope",
            "101+clean:x",
        ] {
            assert!(bad.parse::<SocketKey>().is_err(), "{bad}");
        }
    }
}
