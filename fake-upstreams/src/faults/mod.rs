//! The closed set of ways a fake upstream can (mis)behave, and the one registry of them.
//!
//! Each fault is one small file, like toxiproxy's toxics: its config struct is its YAML shape
//! (with defaults, docs and schema), and it implements `Behavior` — how it serves a
//! connection, how it validates, and the short fixed [`Probe`] with which `check` plays it.
//! The `registry!` list at the bottom is the only other place a fault is named: it makes
//! the [`Fault`] enum (`kind:` in YAML, one CLI subcommand per fault) and the fieldless
//! [`FaultKind`]. Settings every fault shares (probability, limits, schedule, transport) are
//! not here but in [`ServerSpec`](crate::spec::ServerSpec). `CREATING_FAULTS.md` walks
//! through adding one.

use std::future::Future;
use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::listener::BoxStream;
use crate::request::{ConnCtx, RawConn};

pub use fastcgi_healthy::{FcgiAt, FcgiRole};
pub use garbage::GarbageWhen;
pub use grpc_no_trailers::GrpcEnding;
pub use grpc_stall::GrpcStallAt;
pub use idle_close::IdleMode;
pub(crate) use single_worker::Workers;

/// What a fault's config struct implements, besides `Default` (the config of a bare
/// `kind:`). `NGINX` and `serve` are required.
pub(crate) trait Behavior: Default {
    /// What real nginx does when an upstream plays this fault with its defaults: status and
    /// error.log line, as measured (Markdown; the README's fault table shows it).
    const NGINX: &str;

    /// The protocol the fault's server speaks once it has accepted (`Any` for faults that
    /// never answer, so their misbehaviour is the same under `proxy_pass` and `fastcgi_pass`).
    const PROTOCOL: Protocol = Protocol::Http;

    /// For a fault that fits any protocol (`Any`): whether it stays silent to a gRPC call
    /// (HTTP/2). `stall` does not: once its wait ends it answers in HTTP/1.x, which nginx's
    /// `grpc_pass` reads as a broken HTTP/2 frame (502 "upstream sent too large http2
    /// frame"); `grpc_stall` is its gRPC twin.
    const FITS_GRPC: bool = true;

    /// Whether the server accepts connections under this fault (`refuse` and `slow_accept`
    /// never do, so their counters are unobservable).
    const ACCEPTS: bool = true;

    /// Reject configs that deserialize but cannot be served (e.g. status 42).
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The worker pool limiting accepted connections, for faults that have one.
    fn workers(&self) -> Option<u32> {
        None
    }

    /// The config and traffic `check` plays this fault with; `None`: `check` skips it.
    fn probe() -> Option<Probe<Self>> {
        None
    }

    /// Serve one accepted connection until it is done or the server stops.
    fn serve(&self, conn: RawConn) -> impl Future<Output = io::Result<()>> + Send;
}

/// The protocol a fake server speaks: what nginx must be configured with to talk to it
/// (`proxy_pass` for HTTP, `fastcgi_pass` for FastCGI, `proxy_pass` with the upgrade headers
/// for WebSocket, `grpc_pass` for gRPC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// HTTP/1.x (`proxy_pass`).
    Http,
    /// FastCGI, as php-fpm (`fastcgi_pass`).
    FastCgi,
    /// WebSocket after an HTTP/1.1 upgrade (`proxy_pass` with the `Upgrade` recipe); a plain
    /// request gets 426.
    WebSocket,
    /// Never speaks (refuses, resets, closes or stalls before any answer): fits both.
    Any,
    /// gRPC over HTTP/2 (`grpc_pass`).
    Grpc,
}

impl Protocol {
    /// Whether a server speaking `self` can stand where `other` is expected (`Any` fits both).
    pub fn fits(self, other: Protocol) -> bool {
        self == other || self == Protocol::Any || other == Protocol::Any
    }
}

/// A short, fixed run that shows a fault through nginx: the fault's settings and the traffic
/// each proxied location gets. Short so that `check` stays quick and two configs compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe<F> {
    pub config: F,
    pub traffic: Traffic,
}

/// Requests sent to one target while a probe plays. For a WebSocket location, `requests` is
/// the number of sockets (opened `concurrency` at a time) and `spacing` how long each stays
/// idle after its frames were echoed.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    pub requests: u64,
    pub concurrency: usize,
    /// Pause between two requests of one worker (WebSocket: idle time before the close).
    pub spacing: Option<Duration>,
    /// Weighted method mix, e.g. `[("GET", 1), ("POST", 1)]`; empty means GET.
    pub methods: &'static [(&'static str, u32)],
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            requests: 6,
            concurrency: 2,
            spacing: None,
            methods: &[],
        }
    }
}

impl<F> Probe<F> {
    /// `config` played with the default traffic (6 GETs, 2 at a time).
    pub fn new(config: F) -> Probe<F> {
        Probe {
            config,
            traffic: Traffic::default(),
        }
    }

    fn map<G>(self, f: impl FnOnce(F) -> G) -> Probe<G> {
        Probe {
            config: f(self.config),
            traffic: self.traffic,
        }
    }
}

/// One line per fault: `Variant(module::Type) = "kind"`. The doc comment of the type is the
/// fault's help text in the CLI and the schema.
macro_rules! registry {
    ($($variant:ident($module:ident::$ty:ident) = $kind:tt,)*) => {
        $(mod $module;)*
        $(pub use $module::$ty;)*

        /// What one fake upstream server does with the connections it gets.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Subcommand)]
        #[serde(tag = "kind")]
        pub enum Fault {
            $(
                #[serde(rename = $kind)]
                #[command(name = $kind)]
                $variant($ty),
            )*
        }

        /// The name of a fault without its settings (`kind:` in YAML).
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            Serialize, Deserialize, JsonSchema, clap::ValueEnum,
        )]
        pub enum FaultKind {
            $(
                #[serde(rename = $kind)]
                #[value(name = $kind)]
                $variant,
            )*
        }

        impl FaultKind {
            /// Every fault, in registry order.
            pub const ALL: &[FaultKind] = &[$(FaultKind::$variant,)*];

            /// The snake_case name used in configs (`kind:`) and in reports.
            pub fn name(self) -> &'static str {
                match self {
                    $(FaultKind::$variant => $kind,)*
                }
            }

            /// What real nginx does with this fault (Markdown, the fault file's `NGINX`).
            pub fn nginx_does(self) -> &'static str {
                match self {
                    $(FaultKind::$variant => <$ty as Behavior>::NGINX,)*
                }
            }

            /// The protocol this fault's server speaks.
            pub fn protocol(self) -> Protocol {
                match self {
                    $(FaultKind::$variant => <$ty as Behavior>::PROTOCOL,)*
                }
            }

            /// Whether this fault's server can stand where `protocol` is expected: its
            /// [`protocol`](Self::protocol) fits, and an `Any` fault stays silent to gRPC.
            pub fn fits(self, protocol: Protocol) -> bool {
                let grpc_ok = match self {
                    $(FaultKind::$variant => <$ty as Behavior>::FITS_GRPC,)*
                };
                self.protocol().fits(protocol) && (protocol != Protocol::Grpc || grpc_ok)
            }

            /// The fault with every setting at its default (a bare `kind:`).
            pub fn defaults(self) -> Fault {
                match self {
                    $(FaultKind::$variant => Fault::$variant(<$ty>::default()),)*
                }
            }

            /// One line on what the fault does: its config struct's doc comment.
            pub fn about(self) -> String {
                let schema = match self {
                    $(FaultKind::$variant => schemars::schema_for!($ty),)*
                };
                let about = schema.get("description").and_then(|d| d.as_str());
                about.unwrap_or_default().replace('\n', " ")
            }

            /// How `check` plays this fault, if it does.
            pub fn probe(self) -> Option<Probe<Fault>> {
                match self {
                    $(FaultKind::$variant => <$ty as Behavior>::probe().map(|p| p.map(Fault::$variant)),)*
                }
            }
        }

        impl Fault {
            /// Which fault this is.
            pub fn fault_kind(&self) -> FaultKind {
                match self {
                    $(Fault::$variant(_) => FaultKind::$variant,)*
                }
            }

            /// Whether the server accepts connections under this fault.
            pub fn accepts(&self) -> bool {
                match self {
                    $(Fault::$variant(_) => <$ty as Behavior>::ACCEPTS,)*
                }
            }

            /// Reject configs that deserialize but cannot be served (e.g. status 42).
            pub fn validate(&self) -> Result<(), String> {
                match self {
                    $(Fault::$variant(f) => f.validate(),)*
                }
            }

            /// The worker pool limiting accepted connections, for faults that have one.
            pub(crate) fn workers(&self) -> Option<u32> {
                match self {
                    $(Fault::$variant(f) => f.workers(),)*
                }
            }

            /// Serve one accepted connection until it is done or `ctx.shutdown` fires.
            pub(crate) async fn serve(&self, stream: BoxStream, ctx: ConnCtx) -> io::Result<()> {
                let conn = RawConn::new(stream, ctx);
                match self {
                    $(Fault::$variant(f) => f.serve(conn).await,)*
                }
            }
        }
    };
}

impl Fault {
    /// The snake_case name used in configs (`kind:`) and in reports.
    pub fn kind(&self) -> &'static str {
        self.fault_kind().name()
    }

    /// The protocol this fault's server speaks.
    pub fn protocol(&self) -> Protocol {
        self.fault_kind().protocol()
    }

    /// What `probability:` serves a connection with when the draw says no: a healthy server
    /// of the fault's protocol (`fastcgi_healthy` for FastCGI faults, `ws_echo` for
    /// WebSocket ones, else `healthy`).
    pub fn healthy_fallback(&self) -> Fault {
        match self.protocol() {
            Protocol::FastCgi => Fault::FastcgiHealthy(FastcgiHealthy::default()),
            Protocol::WebSocket => Fault::WsEcho(WsEcho::default()),
            Protocol::Grpc => Fault::GrpcUnary(GrpcUnary::default()),
            Protocol::Http | Protocol::Any => Fault::Healthy(Healthy::default()),
        }
    }

    /// Whether this is a healthy server of any protocol (HTTP, FastCGI, WebSocket, gRPC): it
    /// never misbehaves.
    pub fn is_healthy(&self) -> bool {
        matches!(
            self,
            Fault::Healthy(_) | Fault::FastcgiHealthy(_) | Fault::WsEcho(_) | Fault::GrpcUnary(_)
        )
    }

    /// Whether the server can see traffic at all; a server that never accepts cannot count.
    pub fn observable(&self) -> bool {
        self.accepts()
    }
}

/// `cli` with each fault subcommand also answering to its kebab-case name
/// (`close-mid-body` for `close_mid_body`), as clap would have named it.
pub fn with_kebab_aliases(cli: clap::Command) -> clap::Command {
    cli.mut_subcommands(|sub| {
        let kebab = sub.get_name().replace('_', "-");
        if kebab == sub.get_name() {
            sub
        } else {
            sub.alias(kebab)
        }
    })
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

registry! {
    Healthy(healthy::Healthy) = "healthy",
    Refuse(refuse::Refuse) = "refuse",
    CloseBeforeResponse(close_before_response::CloseBeforeResponse) = "close_before_response",
    Reset(reset::Reset) = "reset",
    Stall(stall::Stall) = "stall",
    SlowHeaders(slow_headers::SlowHeaders) = "slow_headers",
    BigHeaders(big_headers::BigHeaders) = "big_headers",
    Garbage(garbage::Garbage) = "garbage",
    InvalidHeader(invalid_header::InvalidHeader) = "invalid_header",
    CloseMidBody(close_mid_body::CloseMidBody) = "close_mid_body",
    StallBody(stall_body::StallBody) = "stall_body",
    SlowAccept(slow_accept::SlowAccept) = "slow_accept",
    IdleClose(idle_close::IdleClose) = "idle_close",
    SingleWorker(single_worker::SingleWorker) = "single_worker",
    FastcgiHealthy(fastcgi_healthy::FastcgiHealthy) = "fastcgi_healthy",
    FastcgiPool(fastcgi_pool::FastcgiPool) = "fastcgi_pool",
    FastcgiBigHeaders(fastcgi_big_headers::FastcgiBigHeaders) = "fastcgi_big_headers",
    FastcgiKilled(fastcgi_killed::FastcgiKilled) = "fastcgi_killed",
    FastcgiStall(fastcgi_stall::FastcgiStall) = "fastcgi_stall",
    FastcgiStderr(fastcgi_stderr::FastcgiStderr) = "fastcgi_stderr",
    WsEcho(ws_echo::WsEcho) = "ws_echo",
    WsIdleClose(ws_idle_close::WsIdleClose) = "ws_idle_close",
    WsNoPong(ws_no_pong::WsNoPong) = "ws_no_pong",
    GrpcUnary(grpc_unary::GrpcUnary) = "grpc_unary",
    GrpcRstStream(grpc_rst_stream::GrpcRstStream) = "grpc_rst_stream",
    GrpcNoTrailers(grpc_no_trailers::GrpcNoTrailers) = "grpc_no_trailers",
    GrpcStall(grpc_stall::GrpcStall) = "grpc_stall",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_name_is_its_yaml_tag() {
        for &kind in FaultKind::ALL {
            let yaml = format!("kind: {kind}");
            let fault: Fault = serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(fault.fault_kind(), kind);
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.name());
        }
    }

    #[test]
    fn every_kind_is_a_cli_subcommand_of_its_name() {
        let cli = <Fault as clap::Subcommand>::augment_subcommands(clap::Command::new("t"));
        cli.clone().debug_assert();
        let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
        let kinds: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names, kinds);
    }

    #[test]
    fn every_probe_is_a_valid_config_of_its_kind() {
        for &kind in FaultKind::ALL {
            if let Some(probe) = kind.probe() {
                assert_eq!(probe.config.fault_kind(), kind);
                probe.config.validate().unwrap();
                assert!(probe.traffic.requests > 0 && probe.traffic.concurrency > 0);
            }
        }
    }
}
