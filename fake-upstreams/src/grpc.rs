//! gRPC over HTTP/2, the plumbing the `grpc_*` faults share.
//!
//! nginx's `grpc_pass` speaks HTTP/2 to its upstream (cleartext with prior knowledge, or TLS
//! with ALPN `h2` for `grpcs://`) and sends each call as a POST with `content-type:
//! application/grpc` and a body of 5-byte length-prefixed messages. A gRPC fault serves one
//! accepted connection with [`serve_calls`]: the `h2` crate does the framing, every call is
//! recorded like an HTTP request (`HTTP/2.0`), and the fault decides per call what to answer —
//! a healthy message with `grpc-status` trailers, a RST_STREAM, no trailers, or nothing. The
//! answer's message carries the same digest contract as the HTTP fakes' bodies:
//! [`DIGEST_HEADER`](crate::body::DIGEST_HEADER) over the whole response body (prefix
//! included), so a client can prove a reply came through whole.

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use h2::RecvStream;
use h2::server::SendResponse;
use http::{HeaderMap, HeaderValue, Request, Response};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::body;
use crate::counters::{REQUEST_ID_HEADER, ReceivedSlot};
use crate::request::{ConnCtx, RawConn, RequestLine};

/// The highest gRPC status code (`UNAUTHENTICATED`); 0 is `OK`.
pub const STATUS_MAX: u8 = 16;

/// How long a fault that closes the connection after writing lets the connection flush first.
const FLUSH_GRACE: Duration = Duration::from_millis(100);

/// One gRPC message of `size` pattern bytes behind its 5-byte prefix (not compressed, length
/// big-endian): the body of a unary request or response.
pub fn message(size: usize) -> Bytes {
    let payload = body::pattern(size);
    let mut out = BytesMut::with_capacity(5 + size);
    out.put_u8(0);
    out.put_u32(u32::try_from(size).expect("messages are at most 64m"));
    out.extend_from_slice(&payload);
    out.freeze()
}

/// `Err` naming `kind` when `status` is not a gRPC status code (0 to 16).
pub(crate) fn check_status(kind: &str, status: u8) -> Result<(), String> {
    if status > STATUS_MAX {
        return Err(format!(
            "{kind}: grpc_status {status} is not a gRPC status code (use 0 to {STATUS_MAX})"
        ));
    }
    Ok(())
}

/// The response head of a gRPC answer whose body is `message`: 200, `application/grpc`, the
/// body digest.
pub(crate) fn head(message: &Bytes) -> Response<()> {
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(body::DIGEST_HEADER, body::digest_value(message))
        .body(())
        .expect("static head")
}

/// The trailers that end a gRPC answer with `status`.
pub(crate) fn trailers(status: u8) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from(u16::from(status)));
    if status != 0 {
        trailers.insert("grpc-message", HeaderValue::from_static("badgateway fault"));
    }
    trailers
}

/// One call on the connection, handed to the fault.
pub(crate) struct Call {
    pub request: Request<RecvStream>,
    pub respond: SendResponse<Bytes>,
    pub ctx: ConnCtx,
    /// The call's [`Received`](crate::counters::Received) record, to mark it fired.
    pub slot: ReceivedSlot,
    /// Cancel to close the whole connection (after [`Call::close_connection`]'s grace).
    close: CancellationToken,
}

impl Call {
    /// Count one misbehaviour on this call.
    pub fn fire(&self) {
        self.ctx.counters.fire_on(self.slot);
    }

    /// Read the request body to its end, giving flow-control credit back; its length, or
    /// `None` when the peer reset the stream or left.
    pub async fn read_body(&mut self) -> Option<u64> {
        let body = self.request.body_mut();
        let mut len = 0u64;
        while let Some(chunk) = body.data().await {
            let chunk = chunk.ok()?;
            len += chunk.len() as u64;
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        Some(len)
    }

    /// Close the connection once what was queued has had [`FLUSH_GRACE`] to reach the socket.
    pub async fn close_connection(self) {
        tokio::time::sleep(FLUSH_GRACE).await;
        self.close.cancel();
    }

    /// Wait `delay` (`None`: forever) unless the client resets the stream first; `false`
    /// then. (The connection's end or the server's stop aborts the call's task.)
    pub async fn hold(&mut self, delay: Option<Duration>) -> bool {
        hold(
            delay,
            std::future::poll_fn(|cx| self.respond.poll_reset(cx)),
        )
        .await
    }

    /// Send a whole healthy answer: head, `message`, trailers with `status`.
    pub fn answer(&mut self, message: Bytes, status: u8) -> Result<(), h2::Error> {
        let mut stream = self.respond.send_response(head(&message), false)?;
        stream.send_data(message, false)?;
        stream.send_trailers(trailers(status))
    }
}

/// Wait `delay` (`None`: forever) unless `reset` (the client resetting the stream) comes
/// first; `false` then.
pub(crate) async fn hold<R>(delay: Option<Duration>, reset: impl Future<Output = R>) -> bool {
    let timer = async {
        match delay {
            Some(delay) => tokio::time::sleep(delay).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = timer => true,
        _ = reset => false,
    }
}

/// Serve one accepted connection as an HTTP/2 server: every request stream becomes a
/// [`Call`] handed to `handle` in a task of its own. Ends when the client leaves, a call asks
/// to close the connection, or the server stops (unfinished calls are dropped).
pub(crate) async fn serve_calls<F, Fut>(conn: RawConn, handle: F) -> io::Result<()>
where
    F: Fn(Call) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (stream, ctx) = conn.into_parts();
    let handshake = tokio::select! {
        () = ctx.shutdown.cancelled() => return Ok(()),
        hs = h2::server::handshake(stream) => hs,
    };
    let mut h2 = match handshake {
        Ok(h2) => h2,
        Err(err) => {
            tracing::debug!(%err, "HTTP/2 handshake failed (not an HTTP/2 client?)");
            return Ok(());
        }
    };
    let close = CancellationToken::new();
    let mut calls = JoinSet::new();
    loop {
        let (request, respond) = tokio::select! {
            () = ctx.shutdown.cancelled() => break,
            () = close.cancelled() => break,
            next = h2.accept() => match next {
                Some(Ok(call)) => call,
                Some(Err(err)) => {
                    tracing::debug!(%err, "HTTP/2 connection ended");
                    break;
                }
                None => break,
            },
        };
        let slot = ctx.record(request_line(&request));
        let call = Call {
            request,
            respond,
            ctx: ctx.clone(),
            slot,
            close: close.clone(),
        };
        calls.spawn(handle(call));
    }
    Ok(())
}

/// What the counters keep of a call.
fn request_line(req: &Request<RecvStream>) -> RequestLine {
    let id = req.headers().get(REQUEST_ID_HEADER);
    RequestLine {
        method: req.method().to_string(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().to_string(), |p| p.to_string()),
        version: "HTTP/2.0".into(),
        connection: None,
        id: id.and_then(|v| v.to_str().ok()?.trim().parse().ok()),
        script_filename: None,
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A bare HTTP/2 client for the gRPC faults' wire tests: one unary call, what came back.

    use std::time::Duration;

    use tokio::net::TcpStream;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::{Fault, Server};

    /// Bound on anything a test waits for; never used as synchronisation.
    pub const LIMIT: Duration = Duration::from_secs(10);

    /// What one call got: the head's status and digest, the body, and how it ended.
    #[derive(Debug, Default)]
    pub struct Reply {
        pub status: Option<u16>,
        pub digest: Option<String>,
        pub body: Vec<u8>,
        pub trailers: Option<HeaderMap>,
        /// The stream's error: a RST_STREAM's reason, or the connection's end.
        pub error: Option<h2::Error>,
    }

    pub async fn start(fault: Fault) -> Server {
        let addr = "127.0.0.1:0".parse().unwrap();
        crate::spawn(fault, addr, CancellationToken::new())
            .await
            .unwrap()
    }

    /// One unary call to `server` with a 10-byte message.
    pub async fn call(server: &Server) -> Reply {
        let tcp = TcpStream::connect(server.addr()).await.unwrap();
        let (mut client, conn) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(conn);
        let request = Request::post("http://test/pkg.Svc/Method")
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        let (response, mut send) = client.send_request(request, false).unwrap();
        send.send_data(message(10), true).unwrap();
        let mut reply = Reply::default();
        let response = match tokio::time::timeout(LIMIT, response).await.unwrap() {
            Ok(r) => r,
            Err(e) => {
                return Reply {
                    error: Some(e),
                    ..reply
                };
            }
        };
        reply.status = Some(response.status().as_u16());
        let digest = response.headers().get(body::DIGEST_HEADER);
        reply.digest = digest.map(|d| d.to_str().unwrap().to_owned());
        let mut body = response.into_body();
        while let Some(chunk) = tokio::time::timeout(LIMIT, body.data()).await.unwrap() {
            match chunk {
                Ok(c) => reply.body.extend_from_slice(&c),
                Err(e) => {
                    return Reply {
                        error: Some(e),
                        ..reply
                    };
                }
            }
        }
        match tokio::time::timeout(LIMIT, body.trailers()).await.unwrap() {
            Ok(t) => reply.trailers = t,
            Err(e) => reply.error = Some(e),
        }
        reply
    }
}
