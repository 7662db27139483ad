//! The load driver's WebSocket mode: open sockets through nginx and record how each one
//! went, from the handshake to its end.
//!
//! [`drive_websocket`] opens the sockets of a [`WsPlan`] at once or spread (one task each, see
//! `socket`). A socket is one [`Sample`] for the ordinary [`Aggregator`], so `outcomes:`,
//! `nginx_status:` and the witness join work as for requests: its outcome is the handshake's
//! status (`101`, or nginx's or the upstream's refusal such as `426`, `502`, `504`) or the
//! transport failure, and its latency is how long the socket *lived*, from connect to its
//! end. Each socket also becomes a [`SocketRecord`]: its ending label (see
//! `crate::scenario::SocketKey`), frames echoed intact, pings and pongs.
//!
//! The client is no stricter than a browser: tungstenite checks what a browser checks (the
//! 101, `Upgrade`, `Connection`, `Sec-WebSocket-Accept`), and a missing pong is counted,
//! never a reason to drop a socket.

mod socket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Aggregator, LiveSender, LoadReport, Sample};

/// One WebSocket run: where, how many sockets, and what each one does.
#[derive(Debug, Clone)]
pub struct WsPlan {
    /// Address nginx listens on.
    pub target: SocketAddr,
    /// `Host` header of the handshake.
    pub host: String,
    /// Request target of the handshake, e.g. `/ws`.
    pub path: String,
    /// Sockets opened at once; their ids are `first_id..first_id + sockets`.
    pub sockets: u32,
    pub first_id: u64,
    /// Text frames each socket sends, each after the previous one's echo.
    pub frames: u32,
    /// Payload bytes of each frame.
    pub frame_size: usize,
    /// After the frames, stay open without data this long before closing.
    pub idle: Option<Duration>,
    /// While idle, send a ping this often.
    pub ping: Option<Duration>,
    /// Open socket `i` of `n` after `i/n` of this; `None`: all at once.
    pub spread: Option<Duration>,
    /// Bound on the handshake and on each echo, pong and close.
    pub timeout: Duration,
    /// Bound on the whole run: sockets still open then end as `timeout`.
    pub max_duration: Duration,
    /// Name of the stage, carried by the samples.
    pub stage: Arc<str>,
}

/// How one socket went (the `sockets` of a [`LoadReport`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SocketRecord {
    /// The handshake's request id (`x-badgateway-request`).
    pub id: u64,
    /// How it ended: the handshake status or failure, or `101+END` (`101+clean:1000`,
    /// `101+eof`, `101+reset`, `101+timeout`, `101+error`).
    pub ending: String,
    /// From connect to the end, in milliseconds.
    pub lived_ms: u64,
    pub frames_sent: u32,
    /// Frames whose echo came back byte for byte.
    pub frames_echoed: u32,
    pub pings: u32,
    pub pongs: u32,
    /// The error text, for an ending other than a clean close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl SocketRecord {
    /// Every frame sent came back intact (and at least one was sent).
    pub fn echoed(&self) -> bool {
        self.frames_sent > 0 && self.frames_echoed == self.frames_sent
    }

    /// Every ping got its pong (and at least one was sent).
    pub fn ponged(&self) -> bool {
        self.pings > 0 && self.pongs >= self.pings
    }
}

/// Open every socket of `plan` through nginx and report how each went, publishing each ended
/// socket to `live`. Returns when every socket has ended, `max_duration` has passed, or
/// `cancel` fired (then the report is marked `cancelled`).
pub async fn drive_websocket(
    plan: &WsPlan,
    cancel: CancellationToken,
    live: &LiveSender,
) -> LoadReport {
    let run_start = Instant::now();
    let deadline = run_start + plan.max_duration;
    let plan = Arc::new(plan.clone());
    let mut tasks = JoinSet::new();
    for index in 0..u64::from(plan.sockets) {
        let plan = Arc::clone(&plan);
        let cancel = cancel.clone();
        let opens = run_start + plan.spread.unwrap_or_default() * index as u32 / plan.sockets;
        tasks.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => return None,
                () = tokio::time::sleep_until(opens) => {}
            }
            tokio::select! {
                () = cancel.cancelled() => None,
                ended = socket::run(&plan, plan.first_id + index, run_start, deadline) => Some(ended),
            }
        });
    }
    let mut aggregator = Aggregator::new();
    let mut sockets = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok(Some((sample, record))) = joined else {
            continue;
        };
        aggregator.record(&sample);
        super::live::record_all(live, [sample.outcome]);
        sockets.push(record);
    }
    sockets.sort_by_key(|s| s.id);
    let mut report = aggregator.finish(run_start.elapsed(), cancel.is_cancelled());
    report.sockets = sockets;
    report
}

/// The sample a socket becomes.
fn sample(
    plan: &WsPlan,
    id: u64,
    outcome: crate::outcome::Outcome,
    started: Instant,
    run_start: Instant,
    detail: Option<String>,
) -> Sample {
    Sample {
        id,
        method: http::Method::GET,
        outcome,
        latency: started.elapsed(),
        started_at: started - run_start,
        detail,
        body: super::BodyCheck::NotChecked,
        stage: Arc::clone(&plan.stage),
        h2: None,
    }
}
