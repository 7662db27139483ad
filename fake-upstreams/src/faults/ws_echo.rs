//! `ws_echo`: a healthy WebSocket server that echoes every message back.
//!
//! It answers a proper upgrade with `101 Switching Protocols` and its `Sec-WebSocket-Accept`,
//! echoes text and binary messages, answers pings with pongs and a close frame with a close.
//! A request that is not an upgrade gets **426 Upgrade Required** (400 when `Upgrade:
//! websocket` is there but the rest of the handshake is not; see `crate::ws`), so a client
//! behind nginx can tell "nginx did not forward the upgrade" from an nginx error. That is
//! what nginx does with a plain `proxy_pass`: `Upgrade` and `Connection` are hop-by-hop and
//! nginx talks HTTP/1.0 to upstreams, so the upstream sees a plain GET and nginx relays its
//! 426. With `proxy_http_version 1.1` and the two headers set, nginx relays the 101 and then
//! tunnels bytes both ways until either side closes or `proxy_read_timeout` /
//! `proxy_send_timeout` pass without data ("upstream timed out (110: Connection timed out)
//! while proxying upgraded connection"). With `plain_body`, it is an app that serves pages
//! and WebSockets on one port (`location /` and `location /ws/` to one upstream): a request
//! that is no upgrade gets a complete `200` with a pattern body and its digest, as from
//! `healthy`, then a close. Healthy: `fired` stays 0.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol};
use crate::request::RawConn;
use crate::size::ByteSize;
use crate::ws;

/// Answer WebSocket upgrades with 101 and echo every message (plain requests: 426, or pages
/// with `plain_body`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct WsEcho {
    /// Largest frame accepted from the client; a larger one ends the connection.
    #[serde(default = "default_max_frame")]
    #[arg(long, default_value_t = default_max_frame())]
    pub max_frame: ByteSize,
    /// Also serve pages: answer a request that is no upgrade with `200` and a pattern body
    /// of this size (with its digest header), then close. Default: 426.
    #[serde(default)]
    #[arg(long)]
    pub plain_body: Option<ByteSize>,
}

impl Default for WsEcho {
    fn default() -> Self {
        Self {
            max_frame: default_max_frame(),
            plain_body: None,
        }
    }
}

/// tungstenite's own default frame limit.
pub(crate) fn default_max_frame() -> ByteSize {
    ByteSize::kib(16 * 1024)
}

/// Refuse a `max_frame` of 0 (no frame could ever be read), naming the fault.
pub(crate) fn validate_max_frame(kind: &str, max_frame: ByteSize) -> Result<(), String> {
    if max_frame.as_usize() == 0 {
        return Err(format!("{kind}: max_frame must be at least 1 byte"));
    }
    Ok(())
}

impl Behavior for WsEcho {
    const PROTOCOL: Protocol = Protocol::WebSocket;

    const NGINX: &str = "plain `proxy_pass`: the upgrade is not forwarded and the client gets \
        this server's **426**; with `proxy_http_version 1.1` and `Upgrade`/`Connection` set: \
        **101**, frames echoed until `proxy_read_timeout` of silence (`upstream timed out \
        (110: Connection timed out) while proxying upgraded connection` at `[info]`, no close \
        frame)";

    fn validate(&self) -> Result<(), String> {
        validate_max_frame("ws_echo", self.max_frame)
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let plain_body = self.plain_body.map(ByteSize::as_usize);
        if !ws::handshake(&mut conn, plain_body).await? {
            conn.finish().await;
            return Ok(());
        }
        let (mut socket, ctx) = ws::into_websocket(conn, self.max_frame.as_usize()).await;
        let ended = ws::echo(&mut socket, &ctx.shutdown, None).await;
        tracing::debug!(?ended, "WebSocket echo over");
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::{Fault, Server};

    /// Bound on anything a test waits for; never used as synchronisation.
    pub(crate) const LIMIT: Duration = Duration::from_secs(10);

    pub(crate) async fn start(fault: Fault) -> Server {
        let addr = "127.0.0.1:0".parse().unwrap();
        crate::spawn(fault, addr, CancellationToken::new())
            .await
            .unwrap()
    }

    /// A client WebSocket to `server`, after checking the 101.
    pub(crate) async fn connect(
        server: &Server,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>> {
        let url = format!("ws://{}/ws", server.addr());
        let (socket, response) = tokio::time::timeout(LIMIT, tokio_tungstenite::connect_async(url))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), 101);
        socket
    }

    #[tokio::test]
    async fn an_upgrade_gets_101_and_every_message_comes_back() {
        let server = start(Fault::WsEcho(WsEcho::default())).await;
        let mut socket = connect(&server).await;
        for msg in [Message::text("hello"), Message::binary(vec![7u8; 70_000])] {
            socket.send(msg.clone()).await.unwrap();
            let back = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
            assert_eq!(back.unwrap().unwrap(), msg);
        }
        socket.send(Message::Ping(b"p".to_vec().into())).await.unwrap();
        let pong = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        assert_eq!(pong.unwrap().unwrap(), Message::Pong(b"p".to_vec().into()));
        let close = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        socket.close(Some(close)).await.unwrap();
        let reply = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        assert!(matches!(reply, Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Normal));
        let seen = server.counters();
        assert_eq!((seen.requests, seen.fired), (1, 0));
    }

    #[tokio::test]
    async fn a_plain_request_gets_426_and_a_close() {
        let server = start(Fault::WsEcho(WsEcho::default())).await;
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let req = b"GET /ws HTTP/1.0\r\nHost: test\r\nConnection: close\r\n\r\n";
        stream.write_all(req).await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, stream.read_to_end(&mut got)).await.unwrap().unwrap();
        let got = String::from_utf8(got).unwrap();
        assert!(got.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{got}");
        assert!(got.ends_with("no `Upgrade: websocket`\n"), "{got}");
    }

    #[tokio::test]
    async fn with_plain_body_a_page_request_gets_a_complete_200_and_upgrades_still_work() {
        let server = start(Fault::WsEcho(WsEcho {
            plain_body: Some(ByteSize(300)),
            ..WsEcho::default()
        }))
        .await;
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        // What nginx sends with the recipe's map for a page: HTTP/1.1, `Connection: close`.
        let req = b"POST /page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
            Content-Length: 5\r\n\r\nhello";
        stream.write_all(req).await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, stream.read_to_end(&mut got)).await.unwrap().unwrap();
        let (head, body) = got.split_at(got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4);
        let head = String::from_utf8_lossy(head).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
        let digest = crate::body::digest(&crate::body::pattern(300));
        assert!(head.contains(&format!("{}: {digest}", crate::body::DIGEST_HEADER)), "{head}");
        assert_eq!(body, &crate::body::pattern(300)[..]);
        let mut socket = connect(&server).await;
        socket.send(Message::text("still")).await.unwrap();
        let back = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
        assert_eq!(back.unwrap().unwrap(), Message::text("still"));
        assert_eq!(server.counters().requests, 2);
    }

    #[test]
    fn a_zero_max_frame_is_refused() {
        let bad = WsEcho {
            max_frame: ByteSize(0),
            plain_body: None,
        };
        assert!(bad.validate().unwrap_err().starts_with("ws_echo: "));
    }
}
