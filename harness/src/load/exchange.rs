//! One request/response exchange on a worker's connection, read to the last body byte.
//!
//! The worker's connection slot is reused while it stays healthy (keep-alive). If the server
//! closed it between requests, a fresh connection is opened *before* anything is sent, which is
//! not a retry. Any failure after that is final: it is reported once and the connection is
//! discarded, so the next request starts on a new connection.
//!
//! A request without a body goes out through the [lean exchange](super::lean), which reads
//! plain responses itself and hands any other to hyper's lenient client on the same
//! connection; requests with a body (and HEAD) are hyper's. Either way the verdict comes from
//! [`judged`](super::verdict::judged).

use bytes::Bytes;
use fake_upstreams::body::{DIGEST_HEADER, Verifier};
use http::{Method, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tracing::debug;

use super::classify::{REJECTED_PREFIX, Stage};
use super::conn::{Conn, LIMITS, MAX_RESPONSE_HEAD};
use super::lean::{self, Handover, LeanConn, Step};
use super::plan::LoadPlan;
use super::replay::ReplayIo;
use super::verdict::{Exchange, judged};
use crate::outcome::Outcome;

/// A worker's HTTP/1.1 connection: the lean exchange's while every request and response fits
/// it, hyper's from the first that does not (a connection never goes back).
pub(crate) enum Http1 {
    Lean(LeanConn),
    Hyper(Conn),
}

/// Send request `index` (its run-unique id) of `plan` with `method` and `path` on the
/// connection in `slot` (opening one if needed) and read the whole response.
pub(crate) async fn exchange(
    slot: &mut Option<Http1>,
    plan: &LoadPlan,
    index: u64,
    (method, path): (&Method, &str),
    body: &Bytes,
) -> Exchange {
    let mut conn = if lean::takes(method, path) && !matches!(slot, Some(Http1::Hyper(_))) {
        match lean_exchange(slot, plan, index, (method, path)).await {
            Ok(done) => return done,
            // hyper reads this response; its copy of the request is not sent again.
            Err(handover) => match Conn::over(handover.into_io()).await {
                Ok(conn) => conn,
                Err(e) => return Exchange::from_error(&e, Stage::BeforeHead),
            },
        }
    } else {
        match usable_conn(slot, plan).await {
            Ok(conn) => conn,
            Err(failed) => return failed,
        }
    };
    let done = send(&mut conn, plan, index, (method, path), body).await;
    *slot = Some(Http1::Hyper(conn));
    done
}

/// The lean exchange on the kept-alive lean connection, or a fresh one; `Err` when hyper must
/// read the response.
async fn lean_exchange(
    slot: &mut Option<Http1>,
    plan: &LoadPlan,
    index: u64,
    (method, path): (&Method, &str),
) -> Result<Exchange, Handover> {
    let conn = match slot.take() {
        Some(Http1::Lean(conn)) if !conn.went_away() => conn,
        _ => match LeanConn::open(plan.target).await {
            Ok(conn) => conn,
            Err(e) => return Ok(Exchange::from_error(&e, Stage::Connect)),
        },
    };
    match conn.exchange(plan, index, method, path).await {
        Step::Done(done, kept) => {
            *slot = kept.map(Http1::Lean);
            Ok(done)
        }
        Step::Handover(handover) => Err(handover),
    }
}

/// Send the request with hyper on `conn` and read the whole response.
async fn send(
    conn: &mut Conn,
    plan: &LoadPlan,
    index: u64,
    (method, path): (&Method, &str),
    body: &Bytes,
) -> Exchange {
    let request = match plan.request(index, method, path, body) {
        Ok(request) => request,
        Err(e) => return Exchange::failed(Outcome::OtherError, format!("building request: {e}")),
    };
    match conn.sender().send_request(request).await {
        Ok(response) => read_response(response, method).await,
        Err(e) => Exchange::from_error(&e, Stage::BeforeHead),
    }
}

/// The kept-alive connection, taken from `slot`, as hyper's if it can take a request, else a
/// freshly opened one.
async fn usable_conn(slot: &mut Option<Http1>, plan: &LoadPlan) -> Result<Conn, Exchange> {
    let taken = slot.take();
    let had_one = taken.is_some();
    let kept = match taken {
        Some(Http1::Lean(lean)) if !lean.went_away() => {
            Conn::over(ReplayIo::new(lean.into_stream())).await.ok()
        }
        Some(Http1::Hyper(mut conn)) if !conn.is_closed() => {
            conn.ready().await.is_ok().then_some(conn)
        }
        _ => None,
    };
    if had_one && kept.is_none() {
        debug!("kept-alive connection was closed by the server; opening a new one");
    }
    let mut conn = match kept {
        Some(conn) => conn,
        None => Conn::open(plan.target)
            .await
            .map_err(|e| Exchange::from_error(&e, Stage::Connect))?,
    };
    conn.ready()
        .await
        .map_err(|e| Exchange::from_error(&e, Stage::BeforeHead))?;
    Ok(conn)
}

/// Read the body frame by frame, checking it against its digest header, then judge the
/// complete response.
async fn read_response(response: Response<Incoming>, method: &Method) -> Exchange {
    let (head, mut incoming) = response.into_parts();
    if head_len(&head) > MAX_RESPONSE_HEAD {
        let detail = format!("{REJECTED_PREFIX}message head is too large ({LIMITS})");
        return Exchange::failed(Outcome::ClientRejected, detail);
    }
    let verify = head.status.is_success() && LoadPlan::expects_body(method);
    // Checked as it arrives against the digest header: compared with the healthy pattern when
    // the header announces it, hashed only from a byte that differs (see `Verifier`).
    let mut verifier = head
        .headers
        .get(DIGEST_HEADER)
        .filter(|_| verify)
        .map(|v| Verifier::new(v.as_bytes()));
    while let Some(frame) = incoming.frame().await {
        match frame {
            Ok(frame) => {
                if let (Some(data), Some(v)) = (frame.data_ref(), verifier.as_mut()) {
                    v.update(data);
                }
            }
            Err(e) => return Exchange::from_error(&e, Stage::AfterHead),
        }
    }
    judged(head.status.as_u16(), verify, verifier, || {
        String::from_utf8_lossy(head.headers[DIGEST_HEADER].as_bytes()).into_owned()
    })
}

/// The bytes of a response head as it came on the wire, near enough: hyper refuses a head
/// over [`MAX_RESPONSE_HEAD`] only while it is still incomplete in its buffer, so a larger
/// head that arrives in one read would pass; measuring the parsed head keeps the bound the
/// same whatever the timing.
fn head_len(head: &http::response::Parts) -> usize {
    let lines: usize = head
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    "HTTP/1.1 200 \r\n\r\n".len() + lines
}
