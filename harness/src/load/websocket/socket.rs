//! One WebSocket through nginx, from connect to its end: the handshake, the frames and their
//! echoes, the idle time with its pings, and the close.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::HeaderValue;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{SocketRecord, WsPlan, sample};
use crate::load::{REQUEST_ID_HEADER, Sample, Stage, classify, error_chain};
use crate::outcome::Outcome;

type Ws = WebSocketStream<TcpStream>;

/// How an upgraded socket ended: the part after `101+` and the error text.
type Ended = (String, Option<String>);

/// Run socket `id` until it ends or `deadline` passes; its sample and record.
pub(super) async fn run(
    plan: &WsPlan,
    id: u64,
    run_start: Instant,
    deadline: Instant,
) -> (Sample, SocketRecord) {
    let started = Instant::now();
    let mut record = SocketRecord {
        id,
        ..SocketRecord::default()
    };
    let life = tokio::time::timeout_at(deadline, life(plan, id, &mut record)).await;
    let (outcome, ending, detail) = match life {
        Ok(end) => end,
        Err(_) if record.ending == "101" => (
            Outcome::Status(101),
            "101+timeout".into(),
            Some("still open when the run's max_duration passed".into()),
        ),
        Err(_) => (
            Outcome::Timeout,
            "timeout".into(),
            Some("no handshake before the run's max_duration passed".into()),
        ),
    };
    record.ending = ending;
    record.lived_ms = started.elapsed().as_millis() as u64;
    record.detail = detail.clone();
    (
        sample(plan, id, outcome, started, run_start, detail),
        record,
    )
}

/// The handshake, then the upgraded socket's life: its outcome, label and error text.
async fn life(
    plan: &WsPlan,
    id: u64,
    record: &mut SocketRecord,
) -> (Outcome, String, Option<String>) {
    let failed =
        |(outcome, detail): (Outcome, String)| (outcome, outcome.to_string(), Some(detail));
    let tcp = match tokio::time::timeout(plan.timeout, TcpStream::connect(plan.target)).await {
        Err(_) => return failed((Outcome::Timeout, "connect timed out".into())),
        Ok(Err(e)) => return failed(classify(&e, Stage::Connect)),
        Ok(Ok(tcp)) => tcp,
    };
    let url = format!("ws://{}{}", plan.host, plan.path);
    let mut request = match url.into_client_request() {
        Ok(request) => request,
        Err(e) => return failed((Outcome::OtherError, error_chain(&e))),
    };
    request
        .headers_mut()
        .insert(REQUEST_ID_HEADER, HeaderValue::from(id));
    let handshake = tokio_tungstenite::client_async(request, tcp);
    let mut ws = match tokio::time::timeout(plan.timeout, handshake).await {
        Err(_) => return failed((Outcome::Timeout, "no handshake response in time".into())),
        Ok(Ok((ws, _))) => ws,
        Ok(Err(WsError::Http(response))) => {
            let status = response.status().as_u16();
            return (Outcome::Status(status), status.to_string(), None);
        }
        Ok(Err(WsError::Protocol(ProtocolError::HandshakeIncomplete))) => {
            let why = "the connection closed before a handshake response";
            return failed((Outcome::Closed, why.into()));
        }
        Ok(Err(e)) => return failed(classify(&e, Stage::BeforeHead)),
    };
    record.ending = "101".into();
    let (end, detail) = upgraded(plan, &mut ws, record).await;
    (Outcome::Status(101), format!("101+{end}"), detail)
}

/// Frames and echoes, idle time, close.
async fn upgraded(plan: &WsPlan, ws: &mut Ws, record: &mut SocketRecord) -> Ended {
    for k in 0..plan.frames {
        let payload = frame_text(record.id, k, plan.frame_size);
        if let Err(e) = ws.send(Message::text(payload.clone())).await {
            return ended_by(e);
        }
        record.frames_sent += 1;
        match next_data(plan, ws, record).await {
            Ok(echo) => {
                let intact = echo.into_data() == payload.as_bytes();
                record.frames_echoed += u32::from(intact);
            }
            Err(end) => return end,
        }
    }
    if let Some(idle) = plan.idle
        && let Err(end) = stay_idle(plan, ws, record, idle).await
    {
        return end;
    }
    close(plan, ws, record).await
}

/// The next text or binary message, counting pongs on the way.
async fn next_data(
    plan: &WsPlan,
    ws: &mut Ws,
    record: &mut SocketRecord,
) -> Result<Message, Ended> {
    loop {
        let Ok(next) = tokio::time::timeout(plan.timeout, ws.next()).await else {
            return Err(("timeout".into(), Some("no echo in time".into())));
        };
        match next {
            Some(Ok(msg @ (Message::Text(_) | Message::Binary(_)))) => return Ok(msg),
            Some(Ok(Message::Pong(_))) => record.pongs += 1,
            Some(Ok(Message::Close(frame))) => return Err(closed_by_peer(plan, ws, frame).await),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(ended_by(e)),
            None => return Err(("eof".into(), None)),
        }
    }
}

/// Stay open for `idle` without data, pinging every `plan.ping`; `Err` if the socket ended.
async fn stay_idle(
    plan: &WsPlan,
    ws: &mut Ws,
    record: &mut SocketRecord,
    idle: Duration,
) -> Result<(), Ended> {
    let until = Instant::now() + idle;
    let mut next_ping = plan.ping.map(|every| Instant::now() + every);
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => return Ok(()),
            () = tokio::time::sleep_until(next_ping.unwrap_or(until)), if next_ping.is_some() => {
                let ping = Message::Ping(record.pings.to_be_bytes().to_vec().into());
                ws.send(ping).await.map_err(ended_by)?;
                record.pings += 1;
                next_ping = next_ping.zip(plan.ping).map(|(at, every)| at + every);
            }
            next = ws.next() => match next {
                Some(Ok(Message::Pong(_))) => record.pongs += 1,
                Some(Ok(Message::Close(frame))) => return Err(closed_by_peer(plan, ws, frame).await),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(ended_by(e)),
                None => return Err(("eof".into(), None)),
            },
        }
    }
}

/// Close with 1000 and wait for the peer's close frame.
async fn close(plan: &WsPlan, ws: &mut Ws, record: &mut SocketRecord) -> Ended {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    if let Err(e) = ws.close(Some(frame)).await {
        return ended_by(e);
    }
    loop {
        let Ok(next) = tokio::time::timeout(plan.timeout, ws.next()).await else {
            return ("timeout".into(), Some("no close frame back in time".into()));
        };
        match next {
            Some(Ok(Message::Close(frame))) => return (clean(frame.as_ref()), None),
            Some(Ok(Message::Pong(_))) => record.pongs += 1,
            Some(Ok(_)) => {}
            Some(Err(e)) => return ended_by(e),
            None => return ("eof".into(), Some("closed without a close frame".into())),
        }
    }
}

/// The peer sent a close frame first: let tungstenite send the reply (bounded), then end.
async fn closed_by_peer(plan: &WsPlan, ws: &mut Ws, frame: Option<CloseFrame>) -> Ended {
    let _ = tokio::time::timeout(plan.timeout, ws.next()).await;
    (clean(frame.as_ref()), None)
}

/// `clean:CODE` (1005, "no status", when the close frame had none).
fn clean(frame: Option<&CloseFrame>) -> String {
    format!("clean:{}", frame.map_or(1005, |f| u16::from(f.code)))
}

/// The ending an error on an upgraded socket means.
fn ended_by(err: WsError) -> Ended {
    let detail = Some(error_chain(&err));
    let end = match &err {
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
        | WsError::ConnectionClosed
        | WsError::AlreadyClosed => "eof",
        WsError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "reset",
        WsError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => "eof",
        _ => "error",
    };
    (end.into(), detail)
}

/// Frame `k` of socket `id`: `id:k:` then the body pattern, `size` bytes in all.
fn frame_text(id: u64, k: u32, size: usize) -> String {
    let mut text = format!("{id}:{k}:");
    let pattern = fake_upstreams::body::pattern(size);
    text.push_str(std::str::from_utf8(&pattern).expect("the pattern is ASCII"));
    text.truncate(size);
    text
}
