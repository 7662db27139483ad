//! WebSocket locations in a check: their traffic is sockets (the load driver's WebSocket
//! mode), each sending a few frames and closing, or staying idle first when the probe says so
//! (a probe's `spacing`), and each socket counts as one outcome of its cell. A socket that
//! upgraded, got every frame back intact and closed cleanly at the client's close is a
//! `101`, the one status [`survived`] takes as success besides 2xx (the late 200 of a fault
//! that speaks HTTP, such as `stall`: nginx waited for it); a socket that upgraded
//! and then broke counts as what broke it (`closed`: EOF or the server's close frame,
//! `reset`, `timeout`, `other_error`: lost frames); a handshake that did not upgrade counts as
//! its status or failure, as for requests.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::analyze::Target;
use super::faults::{REQUEST_TIMEOUT, Traffic};
use crate::load::{LoadReport, SocketRecord, WsPlan};
use crate::outcome::Outcome;

/// Frames each socket sends (each after the previous one's echo).
pub const FRAMES: u32 = 3;
/// Bytes per frame.
const FRAME_SIZE: usize = 256;
/// The close code of a socket the client closed.
const CLIENT_CLOSE: &str = "101+clean:1000";

/// How a WebSocket upstream is played, for the reports.
pub const WEBSOCKET_PLAY: &str = "its fakes echo frames (ws_echo; 426 to a request that is \
    not an upgrade); each location gets sockets that send 3 frames and close, and a socket \
    survives when it got 101, every frame back intact and a clean close (a fault that speaks \
    HTTP, such as stall, answers the handshake with its 200 once its delay is over: nginx \
    waited for it)";

/// Whether clients got what they asked for: a complete 2xx, or (WebSocket) a socket that
/// lived as planned.
pub fn survived(o: &Outcome) -> bool {
    o.is_success() || *o == Outcome::Status(101)
}

/// The sockets `t` gets while a probe with `traffic` plays, on nginx's `port`.
pub fn plan(t: &Target, port: u16, traffic: &Traffic, max_duration: Duration) -> WsPlan {
    WsPlan {
        target: ([127, 0, 0, 1], port).into(),
        host: t.host.clone(),
        path: t.path.clone(),
        sockets: traffic.requests as u32,
        first_id: 1,
        frames: FRAMES,
        frame_size: FRAME_SIZE,
        idle: traffic.spacing,
        ping: None,
        spread: None,
        timeout: REQUEST_TIMEOUT,
        max_duration,
        stage: Arc::from("check"),
    }
}

/// `report` with its outcomes counted per socket as this module says.
pub fn judged(mut report: LoadReport) -> LoadReport {
    if report.sockets.is_empty() {
        return report;
    }
    let mut outcomes = BTreeMap::new();
    for s in &report.sockets {
        *outcomes.entry(outcome(s)).or_insert(0) += 1;
    }
    report.outcomes = outcomes;
    report
}

fn outcome(s: &SocketRecord) -> Outcome {
    let Some(end) = s.ending.strip_prefix("101+") else {
        return match s.ending.parse::<u16>() {
            Ok(status) => Outcome::Status(status),
            Err(_) => Outcome::NAMED
                .into_iter()
                .find(|o| o.to_string() == s.ending)
                .unwrap_or(Outcome::OtherError),
        };
    };
    match end {
        _ if s.ending == CLIENT_CLOSE && s.echoed() => Outcome::Status(101),
        _ if s.ending == CLIENT_CLOSE => Outcome::OtherError,
        "reset" => Outcome::Reset,
        "timeout" => Outcome::Timeout,
        "error" => Outcome::OtherError,
        _ => Outcome::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(ending: &str, echoed: u32) -> SocketRecord {
        SocketRecord {
            ending: ending.into(),
            frames_sent: FRAMES,
            frames_echoed: echoed,
            ..SocketRecord::default()
        }
    }

    #[test]
    fn only_a_whole_socket_closed_by_the_client_survives() {
        assert_eq!(outcome(&socket(CLIENT_CLOSE, FRAMES)), Outcome::Status(101));
        assert!(survived(&Outcome::Status(101)));
        assert_eq!(outcome(&socket(CLIENT_CLOSE, 1)), Outcome::OtherError);
        assert_eq!(outcome(&socket("101+clean:1001", FRAMES)), Outcome::Closed);
        assert_eq!(outcome(&socket("101+eof", 0)), Outcome::Closed);
        assert_eq!(outcome(&socket("101+reset", 0)), Outcome::Reset);
        assert_eq!(outcome(&socket("101+timeout", 0)), Outcome::Timeout);
        assert_eq!(outcome(&socket("426", 0)), Outcome::Status(426));
        assert_eq!(outcome(&socket("refused", 0)), Outcome::Refused);
        assert!(!survived(&Outcome::Status(426)));
    }
}
