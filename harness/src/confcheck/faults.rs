//! The faults `check` plays against each upstream. The catalogue is the fake upstreams'
//! registry: a fault whose file declares a [`Probe`](fake_upstreams::faults::Probe) is
//! played with the probe's fixed settings and traffic, so every run is short and comparable
//! between two configs (`compare`). Nothing here lists faults by name.

use std::time::Duration;

use fake_upstreams::faults::{FastcgiHealthy, GrpcUnary, Healthy, Protocol, WsEcho};
pub use fake_upstreams::faults::{FaultKind, Traffic};
use fake_upstreams::{Fault, ServerSpec, TlsSpec};

use super::analyze::Protocol as Speaks;
use http::Method;

/// Per request; longer than the 2 s stall probe so slow answers count as what nginx made them.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Every fault `check` plays, in registry order: those whose file declares a probe.
pub fn played() -> Vec<FaultKind> {
    FaultKind::ALL
        .iter()
        .copied()
        .filter(|k| k.probe().is_some())
        .collect()
}

/// Whether `kind` can be played by the servers of an upstream that speaks `speaks` (faults
/// that never answer fit all; `stall`, whose late answer is HTTP/1.x, not gRPC); for an
/// upstream of pages and WebSockets, a fault that fits either (each location gets those that
/// fit what it sends).
pub fn fits(kind: FaultKind, speaks: Speaks) -> bool {
    match speaks {
        Speaks::HttpAndWebSocket => fits(kind, Speaks::Http) || fits(kind, Speaks::WebSocket),
        _ => kind.fits(wire(speaks)),
    }
}

/// The faults played against an upstream that speaks `speaks`, in registry order.
pub fn played_for(speaks: Speaks) -> Vec<FaultKind> {
    played().into_iter().filter(|k| fits(*k, speaks)).collect()
}

fn wire(speaks: Speaks) -> Protocol {
    match speaks {
        Speaks::Http => Protocol::Http,
        Speaks::FastCgi => Protocol::FastCgi,
        Speaks::WebSocket | Speaks::HttpAndWebSocket => Protocol::WebSocket,
        Speaks::Grpc => Protocol::Grpc,
    }
}

/// Parse a `--fault` value: a fault `check` plays.
pub fn parse_played(text: &str) -> Result<FaultKind, String> {
    let names = || {
        let names: Vec<&str> = played().iter().map(|k| k.name()).collect();
        names.join(", ")
    };
    let kind = <FaultKind as clap::ValueEnum>::from_str(text, false)
        .map_err(|_| format!("no fault {text:?}; check plays {}", names()))?;
    match kind.probe() {
        Some(_) => Ok(kind),
        None => Err(format!("check does not play {text}; it plays {}", names())),
    }
}

/// The fake server spec that plays `kind` (a healthy one for a fault without a probe).
pub fn spec(kind: FaultKind) -> ServerSpec {
    kind.probe().map_or_else(healthy, |p| p.config.into())
}

/// `spec` served over TLS with a certificate for `name` (an upstream used over `https://`),
/// when it accepts connections to shake hands on; a server that never accepts one (`refuse`)
/// stays as it is, and nginx meets the same refusal.
pub fn over_tls(mut spec: ServerSpec, name: Option<&str>) -> ServerSpec {
    let Some(name) = name else {
        return spec;
    };
    let plain = spec.clone();
    spec.tls = Some(TlsSpec {
        name: name.to_string(),
        ..TlsSpec::default()
    });
    match spec.validate() {
        Ok(()) => spec,
        Err(_) => plain,
    }
}

/// The traffic each target of the upstream gets while `kind` plays.
pub fn traffic(kind: FaultKind) -> Traffic {
    kind.probe().map(|p| p.traffic).unwrap_or_default()
}

/// The weighted method mix of `traffic`, as the load driver takes it.
pub fn methods(traffic: &Traffic) -> Vec<(Method, u32)> {
    traffic
        .methods
        .iter()
        .map(|(m, w)| {
            (
                Method::from_bytes(m.as_bytes()).expect("probe methods are tokens"),
                *w,
            )
        })
        .collect()
}

/// A healthy fake server: the control run, other upstreams and backup servers.
pub fn healthy() -> ServerSpec {
    Fault::Healthy(Healthy::default()).into()
}

/// A healthy fake server of an upstream that speaks `speaks`: for FastCGI a PHP-FPM that
/// finds a script only under `document_root` (else 404 `Primary script unknown`); for
/// WebSocket an echo server (426 to a request that is not an upgrade), which for pages and
/// WebSockets also answers plain requests as `healthy` does; for gRPC a server answering
/// every call with one message and `grpc-status: 0`.
pub fn healthy_for(speaks: Speaks, document_root: &str) -> ServerSpec {
    match speaks {
        Speaks::Http => healthy(),
        Speaks::WebSocket => Fault::WsEcho(WsEcho::default()).into(),
        Speaks::HttpAndWebSocket => Fault::WsEcho(WsEcho {
            plain_body: Some(Healthy::default().body_size),
            ..WsEcho::default()
        })
        .into(),
        Speaks::Grpc => Fault::GrpcUnary(GrpcUnary::default()).into(),
        Speaks::FastCgi => Fault::FastcgiHealthy(FastcgiHealthy {
            document_root: document_root.to_string(),
            ..FastcgiHealthy::default()
        })
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_plays_the_probed_faults_and_refuses_the_others() {
        let played = played();
        assert!(played.contains(&FaultKind::Refuse));
        assert!(played.contains(&FaultKind::IdleClose));
        assert!(!played.contains(&FaultKind::Healthy));
        assert!(played.contains(&FaultKind::FastcgiKilled));
        let http = played_for(Speaks::Http);
        let fastcgi = played_for(Speaks::FastCgi);
        assert!(
            !http.contains(&FaultKind::FastcgiKilled)
                && fastcgi.contains(&FaultKind::FastcgiKilled)
        );
        assert!(
            !fastcgi.contains(&FaultKind::CloseMidBody) && http.contains(&FaultKind::CloseMidBody)
        );
        for both in [FaultKind::Refuse, FaultKind::Reset, FaultKind::Stall] {
            assert!(http.contains(&both) && fastcgi.contains(&both), "{both:?}");
        }
        let ws = played_for(Speaks::WebSocket);
        assert!(ws.contains(&FaultKind::WsIdleClose) && ws.contains(&FaultKind::Refuse));
        assert!(!http.contains(&FaultKind::WsIdleClose));
        assert!(!ws.contains(&FaultKind::CloseMidBody) && !ws.contains(&FaultKind::FastcgiKilled));
        let both = played_for(Speaks::HttpAndWebSocket);
        for k in [
            FaultKind::CloseMidBody,
            FaultKind::WsIdleClose,
            FaultKind::Refuse,
            FaultKind::Stall,
        ] {
            assert!(both.contains(&k), "{k:?}");
        }
        assert!(!both.contains(&FaultKind::FastcgiKilled) && !both.contains(&FaultKind::GrpcStall));
        assert!(matches!(
            healthy_for(Speaks::HttpAndWebSocket, "/").fault,
            Fault::WsEcho(WsEcho {
                plain_body: Some(_),
                ..
            })
        ));
        let grpc = played_for(Speaks::Grpc);
        for k in [
            FaultKind::GrpcRstStream,
            FaultKind::GrpcStall,
            FaultKind::Refuse,
            FaultKind::Reset,
        ] {
            assert!(grpc.contains(&k), "{k:?}");
        }
        // Its late answer is HTTP/1.x: grpc_stall stalls gRPC upstreams instead.
        assert!(!grpc.contains(&FaultKind::Stall) && http.contains(&FaultKind::Stall));
        assert!(!http.contains(&FaultKind::GrpcRstStream));
        assert!(
            !grpc.contains(&FaultKind::CloseMidBody) && !grpc.contains(&FaultKind::WsIdleClose)
        );
        assert_eq!(
            healthy_for(Speaks::Grpc, "/").fault.fault_kind(),
            FaultKind::GrpcUnary
        );
        assert_eq!(
            healthy_for(Speaks::WebSocket, "/").fault.fault_kind(),
            FaultKind::WsEcho
        );
        assert!(matches!(
            healthy_for(Speaks::FastCgi, "/var/www").fault,
            Fault::FastcgiHealthy(FastcgiHealthy { ref document_root, .. }) if document_root == "/var/www"
        ));
        for k in &played {
            assert_eq!(spec(*k).fault.fault_kind(), *k);
            spec(*k).validate().unwrap();
            assert_eq!(methods(&traffic(*k)).len(), traffic(*k).methods.len());
        }
        assert_eq!(parse_played("stall"), Ok(FaultKind::Stall));
        assert!(
            parse_played("healthy")
                .unwrap_err()
                .contains("does not play")
        );
        assert!(parse_played("bogus").unwrap_err().contains("no fault"));
    }

    #[test]
    fn every_fault_that_accepts_is_played_over_tls_and_refuse_stays_a_refusal() {
        for k in played() {
            let spec = over_tls(spec(k), Some("app"));
            spec.validate().unwrap();
            match spec.fault.accepts() {
                true => assert_eq!(spec.tls.unwrap().name, "app", "{k:?}"),
                false => assert!(spec.tls.is_none(), "{k:?}"),
            }
        }
        assert!(over_tls(spec(FaultKind::Refuse), Some("app")).tls.is_none());
        assert!(over_tls(healthy(), None).tls.is_none());
        assert!(over_tls(healthy(), Some("app")).tls.is_some());
    }

    #[test]
    fn idle_close_traffic_outlasts_the_idle_time() {
        let Fault::IdleClose(idle) = spec(FaultKind::IdleClose).fault else {
            panic!("idle_close probe plays idle_close");
        };
        let t = traffic(FaultKind::IdleClose);
        assert!(t.spacing.unwrap() > idle.idle + Duration::from_millis(100));
        assert_eq!(t.concurrency, 1);
        assert_eq!(methods(&t).len(), 2);
    }
}
