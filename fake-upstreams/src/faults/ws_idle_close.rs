//! `ws_idle_close`: a WebSocket server that closes sockets the client left idle.
//!
//! Like `ws_echo` (same handshake, 426 for plain requests, echo, pongs), but when no frame
//! (data, ping or pong) has come from the client for `idle`, it sends a close frame with
//! `code` and the reason `idle timeout`, waits up to a second for the client's close, and
//! closes the TCP connection: the server-side idle timeout of many WebSocket servers
//! (`ws`' heartbeat reaping, API gateways). nginx relays the close frame and then the FIN
//! like any tunnelled bytes, so the client sees a clean close with that code; nginx logs
//! nothing at the default `error` level. A client that sends pings or data more often than
//! `idle` keeps its socket. `fired` counts the sockets closed for idleness.

use std::io;
use std::time::Duration;

use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::{Behavior, Probe, Protocol, Traffic};
use super::ws_echo::{default_max_frame, validate_max_frame};
use crate::request::RawConn;
use crate::size::ByteSize;
use crate::ws::{self, Echoed};

/// How long the server waits for the client's close frame after sending its own.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Echo like `ws_echo`, but close a socket idle for `idle` with a close frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct WsIdleClose {
    /// How long a socket may stay without a frame from the client, e.g. `2s`.
    #[serde(default = "default_idle", with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    #[arg(long, default_value = "2s", value_parser = humantime_serde::re::humantime::parse_duration)]
    pub idle: Duration,
    /// Close code sent to an idle socket (1000 normal, 1001 going away, 4000-4999 private).
    #[serde(default = "default_code")]
    #[arg(long, default_value_t = default_code())]
    pub code: u16,
    /// Largest frame accepted from the client; a larger one ends the connection.
    #[serde(default = "default_max_frame")]
    #[arg(long, default_value_t = default_max_frame())]
    pub max_frame: ByteSize,
}

impl Default for WsIdleClose {
    fn default() -> Self {
        Self {
            idle: default_idle(),
            code: default_code(),
            max_frame: default_max_frame(),
        }
    }
}

fn default_idle() -> Duration {
    Duration::from_secs(2)
}

fn default_code() -> u16 {
    1001
}

impl Behavior for WsIdleClose {
    const PROTOCOL: Protocol = Protocol::WebSocket;

    const NGINX: &str = "**101**, then the server's close frame (1001 `idle timeout`) and FIN \
        are relayed: the client sees a clean close; nothing in error.log";

    /// Sockets closed after 1 s of silence, while their client means to stay 2 s: what a
    /// server-side idle timeout does to a socket behind the config.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe {
            config: WsIdleClose {
                idle: Duration::from_secs(1),
                ..WsIdleClose::default()
            },
            traffic: Traffic {
                requests: 4,
                concurrency: 4,
                spacing: Some(Duration::from_secs(2)),
                ..Traffic::default()
            },
        })
    }

    fn validate(&self) -> Result<(), String> {
        validate_max_frame("ws_idle_close", self.max_frame)?;
        if self.idle.is_zero() {
            return Err("ws_idle_close: idle must be longer than 0".into());
        }
        let sendable = matches!(self.code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        if !sendable {
            return Err(format!(
                "ws_idle_close: close code {} cannot be sent (use 1000-1003, 1007-1014 or \
                 3000-4999)",
                self.code
            ));
        }
        Ok(())
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        if !ws::handshake(&mut conn, None).await? {
            conn.finish().await;
            return Ok(());
        }
        let (mut socket, ctx) = ws::into_websocket(conn, self.max_frame.as_usize()).await;
        if ws::echo(&mut socket, &ctx.shutdown, Some(self.idle)).await != Echoed::Idle {
            return Ok(());
        }
        tracing::debug!(idle = ?self.idle, "idle WebSocket: closing");
        ctx.counters.fire();
        let frame = CloseFrame {
            code: self.code.into(),
            reason: "idle timeout".into(),
        };
        if socket.close(Some(frame)).await.is_ok() {
            // the client's close frame, or give up: either way the stream drops with a FIN
            let drain = async { while socket.next().await.is_some_and(|m| m.is_ok()) {} };
            let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    use super::*;
    use crate::Fault;
    use crate::faults::ws_echo::tests::{LIMIT, connect, start};

    #[tokio::test]
    async fn an_idle_socket_gets_a_close_frame_with_the_code() {
        let fault = WsIdleClose {
            idle: Duration::from_millis(300),
            ..WsIdleClose::default()
        };
        let server = start(Fault::WsIdleClose(fault)).await;
        let mut socket = connect(&server).await;
        let started = Instant::now();
        socket.send(Message::text("x")).await.unwrap();
        let echo = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        assert_eq!(echo.unwrap().unwrap(), Message::text("x"));
        let close = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        match close {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 1001);
                assert_eq!(frame.reason.as_str(), "idle timeout");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(300));
        let end = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        assert!(end.is_none(), "{end:?}");
        assert_eq!(server.counters().fired, 1);
    }

    #[test]
    fn bad_settings_are_refused() {
        for bad in [
            WsIdleClose {
                idle: Duration::ZERO,
                ..WsIdleClose::default()
            },
            WsIdleClose {
                code: 1006,
                ..WsIdleClose::default()
            },
            WsIdleClose {
                max_frame: ByteSize(0),
                ..WsIdleClose::default()
            },
        ] {
            assert!(bad.validate().unwrap_err().starts_with("ws_idle_close: "));
        }
    }
}
