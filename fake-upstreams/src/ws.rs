//! WebSocket plumbing shared by the `ws_*` faults: the server side of the upgrade handshake
//! (RFC 6455 §4.2) on a raw accepted stream, and the echo loop.
//!
//! The handshake is read by hand through [`RawConn`], so a request that is not an upgrade
//! (what nginx sends without `proxy_set_header Upgrade`/`Connection`: HTTP/1.0, `Connection:
//! close`, no `Upgrade`) is recorded like any other and answered with a clear status instead
//! of a dropped connection: **426 Upgrade Required** when `Upgrade: websocket` is missing,
//! **400 Bad Request** when it is there but the rest of the handshake is not (no `upgrade`
//! token in `Connection`, not HTTP/1.1, no `Sec-WebSocket-Key`, a version other than 13).
//! A server that also serves pages (`ws_echo`'s `plain_body`) answers a request without
//! `Upgrade: websocket` with a complete `200` instead of the 426, as an app that serves pages
//! and WebSockets on one port does.
//! A proper upgrade gets `101 Switching Protocols` with its `Sec-WebSocket-Accept`, and the
//! framing from then on is tokio-tungstenite's. The stream is the accepted one, after TLS
//! when the server has `tls:`, so the faults work over TCP, unix sockets and TLS alike.

use std::io;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::sync::CancellationToken;

use crate::listener::BoxStream;
use crate::request::{ConnCtx, RawConn, ok_response};

/// A server-side WebSocket over an accepted (maybe TLS) stream.
pub(crate) type WsStream = WebSocketStream<BoxStream>;

/// Read one request and answer it: `101` for a proper upgrade (`true`), else 426 or 400 and
/// a close (`false`, also when the peer left or the server stopped before a request). With
/// `plain_body`, a request that is no upgrade at all gets `200` with a pattern body of that
/// size and its digest (and a close) instead of the 426.
pub(crate) async fn handshake(conn: &mut RawConn, plain_body: Option<usize>) -> io::Result<bool> {
    let Some(head) = conn.read_head_text().await? else {
        return Ok(false);
    };
    let answer = match (upgrade_key(&head), plain_body) {
        (Ok(key), _) => format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            derive_accept_key(key.as_bytes())
        )
        .into_bytes(),
        (Err((426, _)), Some(size)) => match conn.skip_body(&head).await? {
            Some(_) => ok_response(size, b""),
            None => return Ok(false),
        },
        (Err((status, why)), _) => refusal(status, why).into_bytes(),
    };
    let upgraded = answer.starts_with(b"HTTP/1.1 101");
    tracing::debug!(upgraded, "WebSocket handshake answered");
    Ok(conn.write_all(&answer).await? && upgraded)
}

/// The connection as a WebSocket after [`handshake`] said `true`; frames the client sent
/// right behind its request are kept.
pub(crate) async fn into_websocket(conn: RawConn, max_frame: usize) -> (WsStream, ConnCtx) {
    let (stream, buffered, ctx) = conn.into_parts_buffered();
    let config = WebSocketConfig::default()
        .max_frame_size(Some(max_frame))
        .max_message_size(Some(max_frame.max(64 << 20)));
    let ws =
        WebSocketStream::from_partially_read(stream, buffered.to_vec(), Role::Server, Some(config))
            .await;
    (ws, ctx)
}

/// How an [`echo`] loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echoed {
    /// The client closed (close frame, EOF or a protocol error).
    PeerDone,
    /// No frame came from the client for the idle time.
    Idle,
    /// The server is stopping: the caller drops the stream (a FIN, no close frame).
    Shutdown,
}

/// Echo every text and binary message back, answer pings with pongs (tungstenite queues
/// them) and close frames with a close, until the client is done, `idle` passes without a
/// frame from it, or the server stops.
pub(crate) async fn echo(
    ws: &mut WsStream,
    shutdown: &CancellationToken,
    idle: Option<Duration>,
) -> Echoed {
    loop {
        let timer = tokio::time::sleep(idle.unwrap_or(Duration::MAX));
        let next = tokio::select! {
            () = shutdown.cancelled() => return Echoed::Shutdown,
            () = timer, if idle.is_some() => return Echoed::Idle,
            next = ws.next() => next,
        };
        let msg = match next {
            Some(Ok(msg)) => msg,
            Some(Err(err)) => {
                tracing::debug!(%err, "WebSocket read ended");
                return Echoed::PeerDone;
            }
            None => return Echoed::PeerDone,
        };
        if matches!(msg, Message::Text(_) | Message::Binary(_))
            && let Err(err) = ws.send(msg).await
        {
            tracing::debug!(%err, "WebSocket echo failed");
            return Echoed::PeerDone;
        }
    }
}

/// The `Sec-WebSocket-Key` of a proper upgrade request, or the status and reason to refuse.
fn upgrade_key(head: &str) -> Result<String, (u16, &'static str)> {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let header = |wanted: &str| {
        head.split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.trim().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let has_token = |value: String, token: &str| {
        value
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if !has_token(header("upgrade"), "websocket") {
        return Err((
            426,
            "this is a WebSocket endpoint: the request has no `Upgrade: websocket`",
        ));
    }
    if !has_token(header("connection"), "upgrade") {
        return Err((400, "`Upgrade: websocket` without `Connection: upgrade`"));
    }
    if !request_line.starts_with("GET ") || !request_line.ends_with(" HTTP/1.1") {
        return Err((400, "a WebSocket upgrade must be `GET ... HTTP/1.1`"));
    }
    if header("sec-websocket-version") != "13" {
        return Err((400, "`Sec-WebSocket-Version` is not 13"));
    }
    let key = header("sec-websocket-key");
    if key.is_empty() {
        return Err((400, "no `Sec-WebSocket-Key`"));
    }
    Ok(key)
}

/// A complete refusal with a short text body, closing the connection.
fn refusal(status: u16, why: &str) -> String {
    let reason = if status == 426 {
        "Upgrade Required"
    } else {
        "Bad Request"
    };
    let body = format!("{why}\n");
    format!(
        "HTTP/1.1 {status} {reason}\r\nUpgrade: websocket\r\nConnection: close\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &str = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

    #[test]
    fn a_proper_upgrade_gives_its_key() {
        assert_eq!(upgrade_key(UPGRADE).unwrap(), "dGhlIHNhbXBsZSBub25jZQ==");
        // RFC 6455's own example pair
        assert_eq!(
            derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn what_nginx_sends_without_the_fix_is_426_and_half_fixes_are_400() {
        let plain = "GET /ws HTTP/1.0\r\nHost: a\r\nConnection: close\r\n\r\n";
        assert_eq!(upgrade_key(plain).unwrap_err().0, 426);
        let http10 = UPGRADE.replace("HTTP/1.1", "HTTP/1.0");
        assert_eq!(upgrade_key(&http10).unwrap_err().0, 400);
        let close = UPGRADE.replace("keep-alive, Upgrade", "close");
        assert_eq!(upgrade_key(&close).unwrap_err().0, 400);
        let no_key = UPGRADE.replace("Sec-WebSocket-Key", "X-Key");
        assert_eq!(upgrade_key(&no_key).unwrap_err().0, 400);
    }
}
