//! The fault catalogue `check` runs against each upstream: which fake-upstream fault plays it,
//! with which settings, and the traffic that shows it. Settings are fixed so every run is short
//! and comparable between two configs (`compare`).

use std::time::Duration;

use fake_upstreams::ServerSpec;
use http::Method;
use serde::{Deserialize, Serialize};

/// One fault `check` plays on an upstream's primary servers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum FaultKind {
    /// Nothing listens: connects are refused (the application is down).
    Refuse,
    /// The request is read, the connection closed without a byte (a crash).
    CloseBeforeResponse,
    /// The request is read, the connection reset.
    Reset,
    /// Every response takes 2 s: a 504 wherever proxy_read_timeout is shorter.
    Stall,
    /// 12 KiB of response headers, more than nginx's default 4k proxy_buffer_size.
    BigHeaders,
    /// A response header nginx rejects (a space in its name).
    InvalidHeader,
    /// Bytes that are not HTTP instead of a response.
    Garbage,
    /// 4 KiB of an announced 16 KiB body, then a close.
    CloseMidBody,
    /// A keep-alive server that drops connections idle for 300 ms (Node.js keepAliveTimeout).
    IdleClose,
}

impl FaultKind {
    /// Every fault, in the order reports list them.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::Refuse,
        FaultKind::CloseBeforeResponse,
        FaultKind::Reset,
        FaultKind::Stall,
        FaultKind::BigHeaders,
        FaultKind::InvalidHeader,
        FaultKind::Garbage,
        FaultKind::CloseMidBody,
        FaultKind::IdleClose,
    ];

    /// The fake-upstreams `kind:` name, also the key into the scenario catalogue.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Refuse => "refuse",
            FaultKind::CloseBeforeResponse => "close_before_response",
            FaultKind::Reset => "reset",
            FaultKind::Stall => "stall",
            FaultKind::BigHeaders => "big_headers",
            FaultKind::InvalidHeader => "invalid_header",
            FaultKind::Garbage => "garbage",
            FaultKind::CloseMidBody => "close_mid_body",
            FaultKind::IdleClose => "idle_close",
        }
    }

    /// The fake server spec that plays this fault.
    pub fn spec(self) -> ServerSpec {
        let yaml = match self {
            FaultKind::Stall => "{ kind: stall, delay: 2s }".to_string(),
            FaultKind::BigHeaders => "{ kind: big_headers, size: 12k }".to_string(),
            FaultKind::CloseMidBody => "{ kind: close_mid_body, body_size: 16k, send: 4k }".into(),
            FaultKind::IdleClose => format!("{{ kind: idle_close, idle: {}ms }}", IDLE.as_millis()),
            other => format!("{{ kind: {} }}", other.name()),
        };
        parse_spec(&yaml)
    }

    /// The traffic each target of the upstream gets while this fault plays.
    pub fn traffic(self) -> Traffic {
        match self {
            FaultKind::Stall => Traffic {
                requests: 4,
                concurrency: 4,
                ..Traffic::default()
            },
            // One connection, requests spaced past the fake's idle time, half of them POSTs:
            // nginx retries a GET that hit a stale pooled connection but never a POST.
            FaultKind::IdleClose => Traffic {
                requests: 10,
                concurrency: 1,
                spacing: Some(Duration::from_millis(450)),
                methods: vec![(Method::GET, 1), (Method::POST, 1)],
                ..Traffic::default()
            },
            _ => Traffic::default(),
        }
    }
}

/// How long an `idle_close` fake keeps an idle connection (below the 450 ms spacing).
pub const IDLE: Duration = Duration::from_millis(300);

/// A healthy fake server: the control run, other upstreams and backup servers.
pub fn healthy() -> ServerSpec {
    parse_spec("{ kind: healthy, body_size: 1k }")
}

fn parse_spec(yaml: &str) -> ServerSpec {
    serde_saphyr::from_str(yaml).expect("built-in fault specs are valid")
}

/// Requests sent to one target (a location proxying to the upstream).
#[derive(Debug, Clone)]
pub struct Traffic {
    pub requests: u64,
    pub concurrency: usize,
    pub spacing: Option<Duration>,
    /// Weighted method mix; empty means GET.
    pub methods: Vec<(Method, u32)>,
    /// Per request; longer than the 2 s stall so slow answers count as what nginx made them.
    pub timeout: Duration,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            requests: 6,
            concurrency: 2,
            spacing: None,
            methods: Vec::new(),
            timeout: Duration::from_secs(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_a_valid_spec_of_its_kind() {
        for k in FaultKind::ALL {
            let spec = k.spec();
            assert_eq!(spec.fault.kind(), k.name());
            spec.validate().unwrap();
        }
        healthy().validate().unwrap();
    }

    #[test]
    fn idle_close_traffic_outlasts_the_idle_time() {
        let t = FaultKind::IdleClose.traffic();
        assert!(t.spacing.unwrap() > IDLE + Duration::from_millis(100));
        assert_eq!(t.concurrency, 1);
    }
}
