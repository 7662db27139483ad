//! `ws_no_pong`: a WebSocket server that echoes data but never answers pings.
//!
//! RFC 6455 says an endpoint must answer a ping with a pong "as soon as is practical"; some
//! servers (hand-rolled ones, libraries with auto-pong off, an event loop that only wakes for
//! data) never do. The handshake and the 426 for plain requests are `ws_echo`'s, and text,
//! binary and close frames are echoed as sent, but ping frames are swallowed. nginx does
//! not look inside the tunnel: pings from the client reach this server and nothing comes
//! back, so a client that waits for pongs to decide the server is alive gives up, while its
//! data still flows. Frames are read by hand here (tungstenite always queues a pong), with
//! tungstenite's frame header codec. `fired` counts the pings ignored.

use std::io::{self, Cursor};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, OpCode};

use super::{Behavior, Protocol};
use super::ws_echo::{default_max_frame, validate_max_frame};
use crate::request::{Fill, RawConn};
use crate::size::ByteSize;
use crate::ws;

/// Echo WebSocket messages like `ws_echo`, but never answer a ping with a pong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct WsNoPong {
    /// Largest frame accepted from the client; a larger one ends the connection.
    #[serde(default = "default_max_frame")]
    #[arg(long, default_value_t = default_max_frame())]
    pub max_frame: ByteSize,
}

impl Default for WsNoPong {
    fn default() -> Self {
        Self {
            max_frame: default_max_frame(),
        }
    }
}

impl Behavior for WsNoPong {
    const PROTOCOL: Protocol = Protocol::WebSocket;

    const NGINX: &str = "**101**, data echoed through the tunnel; the client's pings get no \
        pong (nginx does not answer them either); nothing in error.log";

    fn validate(&self) -> Result<(), String> {
        validate_max_frame("ws_no_pong", self.max_frame)
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        if !ws::handshake(&mut conn, None).await? {
            conn.finish().await;
            return Ok(());
        }
        while let Some((header, payload)) = self.next_frame(&mut conn).await? {
            match header.opcode {
                OpCode::Control(Control::Ping) => {
                    tracing::debug!("ping ignored");
                    conn.fire();
                }
                OpCode::Control(Control::Pong) => {}
                opcode => {
                    let reply = server_frame(header.is_final, opcode, &payload);
                    if !conn.write_all(&reply).await? {
                        return Ok(());
                    }
                    if opcode == OpCode::Control(Control::Close) {
                        conn.finish().await;
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

impl WsNoPong {
    /// The next whole frame from the client, unmasked; `None` when the peer closed or the
    /// server is stopping.
    async fn next_frame(&self, conn: &mut RawConn) -> io::Result<Option<(FrameHeader, Vec<u8>)>> {
        loop {
            let mut cursor = Cursor::new(conn.buffered());
            let parsed = FrameHeader::parse(&mut cursor).map_err(io::Error::other)?;
            let start = cursor.position() as usize;
            if let Some((header, len)) = parsed {
                if len > self.max_frame.0 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too big"));
                }
                let end = start + len as usize;
                if conn.buffered().len() >= end {
                    let mut payload = conn.take(end).split_off(start).to_vec();
                    for (i, byte) in payload.iter_mut().enumerate() {
                        *byte ^= header.mask.map_or(0, |m| m[i % 4]);
                    }
                    return Ok(Some((header, payload)));
                }
            }
            if conn.fill().await? != Fill::Data {
                return Ok(None);
            }
        }
    }
}

/// An unmasked frame, as a server sends it.
fn server_frame(is_final: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let header = FrameHeader {
        is_final,
        opcode,
        ..FrameHeader::default()
    };
    let mut out = Vec::with_capacity(payload.len() + 14);
    header
        .format(payload.len() as u64, &mut out)
        .expect("writing to a Vec cannot fail");
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    use super::*;
    use crate::Fault;
    use crate::faults::ws_echo::tests::{LIMIT, connect, start};

    #[tokio::test]
    async fn pings_get_nothing_while_data_is_echoed() {
        let server = start(Fault::WsNoPong(WsNoPong::default())).await;
        let mut socket = connect(&server).await;
        socket.send(Message::Ping(b"p".to_vec().into())).await.unwrap();
        let big = Message::binary(vec![9u8; 70_000]);
        for msg in [Message::text("a"), big] {
            socket.send(msg.clone()).await.unwrap();
            // the first thing back is the echo: no pong came before it
            let back = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
            assert_eq!(back.unwrap().unwrap(), msg);
        }
        socket.send(Message::Ping(b"q".to_vec().into())).await.unwrap();
        let nothing = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
        assert!(nothing.is_err(), "no pong may come: {nothing:?}");
        socket.close(None).await.unwrap();
        let reply = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        assert!(matches!(reply, Some(Ok(Message::Close(_)))), "{reply:?}");
        assert_eq!(server.counters().fired, 2);
    }

    #[test]
    fn a_zero_max_frame_is_refused() {
        let bad = WsNoPong {
            max_frame: ByteSize(0),
        };
        assert!(bad.validate().unwrap_err().starts_with("ws_no_pong: "));
    }
}
