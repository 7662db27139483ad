//! The HTTP/2 client mode: one exchange on an HTTP/2 connection, as a gRPC or HTTP/2 client
//! sees it.
//!
//! For nginx front ends with `listen ... http2`, the worker opens a cleartext HTTP/2
//! connection with prior knowledge (h2c, as `curl --http2-prior-knowledge` and gRPC clients
//! do) and sends its requests as streams on it, one at a time. In [`ClientProtocol::Grpc`]
//! mode every request is a unary call: a POST with `content-type: application/grpc`, `te:
//! trailers` and one 5-byte length-prefixed message of `body_size` bytes. What came back
//! becomes one [`Outcome`]: the HTTP status (nginx answers its own 502/504 as plain HTTP/2
//! responses without `grpc-status`), `grpc-status N` from the trailers of a 200, `no_trailers`
//! for a 200 that ended without them, or `rst_stream` with the RST_STREAM's code in the
//! detail. A 2xx body is checked against the digest header like an HTTP/1 one. With a CA in
//! the plan the connection is TLS with ALPN `h2` instead (nginx `listen ... ssl`).

use bytes::Bytes;
use fake_upstreams::body::{DIGEST_HEADER, Verifier};
use h2::client::SendRequest;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tracing::debug;

use super::classify::{Stage, classify, error_chain};
use super::plan::{LoadPlan, REQUEST_ID_HEADER};
use super::sample::{BodyCheck, H2Record};
use super::verdict::Exchange;
use crate::nginx::front_tls;
use crate::outcome::Outcome;

/// What the load driver speaks to nginx.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientProtocol {
    /// HTTP/1.1 with keep-alive.
    #[default]
    Http1,
    /// HTTP/2 over cleartext with prior knowledge (nginx `listen ... http2`).
    Http2,
    /// gRPC unary calls over HTTP/2 cleartext: POSTs of one length-prefixed message.
    Grpc,
}

impl ClientProtocol {
    /// Whether requests go over HTTP/2.
    pub fn is_http2(self) -> bool {
        self != ClientProtocol::Http1
    }
}

/// An open HTTP/2 connection; dropping it closes the socket.
#[derive(Debug)]
pub(crate) struct H2Conn {
    sender: SendRequest<Bytes>,
    driver: JoinHandle<()>,
}

impl Drop for H2Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Connect to the plan's target (over TLS when the plan has a CA) and shake hands (preface
/// and SETTINGS).
async fn open(plan: &LoadPlan) -> Result<H2Conn, Exchange> {
    let stream = TcpStream::connect(plan.target)
        .await
        .map_err(|e| failed(&e, Stage::Connect))?;
    let _ = stream.set_nodelay(true);
    let Some(ca) = &plan.shape.tls_ca else {
        return over(stream, plan).await;
    };
    let tls = async {
        let connector = front_tls::connector(ca, &[b"h2"])?;
        front_tls::handshake(&connector, stream).await
    };
    match tls.await {
        Ok(tls) => over(tls, plan).await,
        Err(e) => Err(Exchange::failed(
            Outcome::OtherError,
            format!("TLS handshake: {}", error_chain(&e)),
        )),
    }
}

/// The HTTP/2 handshake on an open stream, and the task that drives the connection.
async fn over<S>(stream: S, plan: &LoadPlan) -> Result<H2Conn, Exchange>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let addr = plan.target;
    let (sender, connection) = h2::client::handshake(stream)
        .await
        .map_err(|e| h2_failed(&e, None))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            debug!(%addr, error = %e, "HTTP/2 connection ended with an error");
        }
    });
    Ok(H2Conn { sender, driver })
}

/// Send request `index` of `plan` as a stream on the connection in `slot` (opening one if
/// needed) and read the whole response, trailers included.
pub(crate) async fn exchange(
    slot: &mut Option<H2Conn>,
    plan: &LoadPlan,
    index: u64,
    (method, path): (&Method, &str),
    body: &Bytes,
) -> Exchange {
    let protocol = plan.shape.protocol;
    let sender = match usable_sender(slot, plan).await {
        Ok(sender) => sender,
        Err(failed) => return failed,
    };
    let (request, body) = match build(plan, protocol, index, (method, path), body) {
        Ok(built) => built,
        Err(e) => return Exchange::failed(Outcome::OtherError, format!("building request: {e}")),
    };
    let mut sender = sender;
    let (response, mut stream) = match sender.send_request(request, body.is_empty()) {
        Ok(sent) => sent,
        Err(e) => return h2_failed(&e, None),
    };
    if !body.is_empty()
        && let Err(e) = stream.send_data(body, true)
    {
        // nginx may answer (and reset the stream) before taking the whole body: the response
        // still counts, as curl counts it.
        debug!(error = %e, "request body not sent whole");
    }
    match response.await {
        Ok(response) => read_response(response, protocol, method).await,
        Err(e) => h2_failed(&e, None),
    }
}

/// A sender on the kept connection if it can still take a stream, else on a fresh one: a
/// connection nginx closed while idle (GOAWAY after `keepalive_timeout`) is replaced before
/// anything is sent, which is not a retry.
async fn usable_sender(
    slot: &mut Option<H2Conn>,
    plan: &LoadPlan,
) -> Result<SendRequest<Bytes>, Exchange> {
    if let Some(conn) = slot.as_ref() {
        if !conn.driver.is_finished()
            && let Ok(sender) = conn.sender.clone().ready().await
        {
            return Ok(sender);
        }
        debug!("kept HTTP/2 connection was closed by the server; opening a new one");
        *slot = None;
    }
    let conn = slot.insert(open(plan).await?);
    conn.sender
        .clone()
        .ready()
        .await
        .map_err(|e| h2_failed(&e, None))
}

/// The request and its body: a gRPC call (POST, one message of `body_bytes`), or the plan's
/// method with its body.
fn build(
    plan: &LoadPlan,
    protocol: ClientProtocol,
    index: u64,
    (method, path): (&Method, &str),
    body: &Bytes,
) -> Result<(Request<()>, Bytes), http::Error> {
    let scheme = if plan.shape.tls_ca.is_some() {
        "https"
    } else {
        "http"
    };
    let uri = format!("{scheme}://{}{path}", plan.host);
    let builder = Request::builder()
        .uri(uri)
        .header(REQUEST_ID_HEADER, HeaderValue::from(index));
    if protocol == ClientProtocol::Grpc {
        let request = builder
            .method(Method::POST)
            .header(http::header::CONTENT_TYPE, "application/grpc")
            .header(http::header::TE, "trailers")
            .body(())?;
        return Ok((request, fake_upstreams::grpc::message(plan.body_bytes)));
    }
    let body = if LoadPlan::sends_body(method) {
        body.clone()
    } else {
        Bytes::new()
    };
    Ok((builder.method(method.clone()).body(())?, body))
}

/// Read the body (checking its digest) and the trailers, then judge the response.
async fn read_response(
    response: Response<h2::RecvStream>,
    protocol: ClientProtocol,
    method: &Method,
) -> Exchange {
    let (head, mut incoming) = response.into_parts();
    let expected = head.headers.get(DIGEST_HEADER);
    // The body's digest is recorded whether or not a header announced one.
    let mut digester = Verifier::new(expected.map_or(&b""[..], HeaderValue::as_bytes));
    while let Some(chunk) = incoming.data().await {
        match chunk {
            Ok(chunk) => {
                digester.update(&chunk);
                let _ = incoming.flow_control().release_capacity(chunk.len());
            }
            Err(e) => return h2_failed(&e, Some((head.status.as_u16(), &digester))),
        }
    }
    let status = head.status.as_u16();
    let trailers = match incoming.trailers().await {
        Ok(trailers) => trailers,
        Err(e) => return h2_failed(&e, Some((status, &digester))),
    };
    let grpc = protocol == ClientProtocol::Grpc && status == 200;
    // A trailers-only reply carries grpc-status in its head.
    let grpc_status = grpc_status(trailers.as_ref()).or_else(|| grpc_status(Some(&head.headers)));
    let body = body_check(
        head.status.is_success() && method != Method::HEAD,
        expected.is_some(),
        &digester,
    );
    let (outcome, detail) = match (grpc, grpc_status, body) {
        (_, _, BodyCheck::Mismatch) => (
            Outcome::Corrupt,
            Some(format!(
                "status {status}: body digest {}, {DIGEST_HEADER} says {}",
                digester.finish(),
                head.headers
                    .get(DIGEST_HEADER)
                    .map_or("", |v| v.to_str().unwrap_or("")),
            )),
        ),
        (true, None, _) => (
            Outcome::NoTrailers,
            Some(format!(
                "status 200, {} body bytes, no grpc-status",
                digester.finish()
            )),
        ),
        (true, Some(0), _) | (false, _, _) => (Outcome::Status(status), None),
        (true, Some(code), _) => (
            Outcome::GrpcStatus(code),
            Some(format!("status 200, grpc-status {code}")),
        ),
    };
    Exchange {
        outcome,
        detail,
        body,
        reusable: true,
        h2: Some(H2Record {
            status: Some(status),
            grpc_status,
            rst_code: None,
            body: Some(digester.finish()),
        }),
    }
}

fn body_check(verify: bool, announced: bool, digester: &Verifier) -> BodyCheck {
    match (verify, announced) {
        (false, _) => BodyCheck::NotChecked,
        (true, false) => BodyCheck::NoDigest,
        (true, true) if digester.matches() => BodyCheck::Verified,
        (true, true) => BodyCheck::Mismatch,
    }
}

/// The `grpc-status` in `headers`, when there is a valid one.
fn grpc_status(headers: Option<&HeaderMap>) -> Option<u8> {
    headers?
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn failed(err: &(dyn std::error::Error + 'static), stage: Stage) -> Exchange {
    let (outcome, detail) = classify(err, stage);
    debug!(%outcome, ?stage, %detail, "request failed");
    Exchange::failed(outcome, detail)
}

/// An HTTP/2 failure, `head` the status and body so far when the head had arrived: a stream
/// reset is `rst_stream` with its code; a connection that went away is judged by its I/O
/// error like an HTTP/1 one (a GOAWAY before the head: `closed`).
fn h2_failed(err: &h2::Error, head: Option<(u16, &Verifier)>) -> Exchange {
    let after_head = head.is_some();
    let stage = if after_head { "after" } else { "before" };
    let mut record = H2Record {
        status: head.map(|(status, _)| status),
        body: head.map(|(_, body)| body.finish()),
        ..H2Record::default()
    };
    if err.is_reset()
        && let Some(reason) = err.reason()
    {
        let code = u32::from(reason);
        let detail = format!("RST_STREAM {reason:?} ({code}) {stage} the response head");
        debug!(%detail, "stream reset");
        record.rst_code = Some(code);
        return Exchange {
            h2: Some(record),
            ..Exchange::failed(Outcome::RstStream, detail)
        };
    }
    if err.is_go_away() && !after_head {
        return Exchange::failed(
            Outcome::Closed,
            format!("GOAWAY {stage} the response head: {err}"),
        );
    }
    let stage = if after_head {
        Stage::AfterHead
    } else {
        Stage::BeforeHead
    };
    let failed = match err.get_io() {
        Some(io) => failed(io, stage),
        None => failed(err, stage),
    };
    Exchange {
        h2: Some(record),
        ..failed
    }
}
