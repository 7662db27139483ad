//! Scenario files: the typed form of a YAML scenario, separate from the code that runs it.
//!
//! A scenario names fake upstreams (each server a fault), nginx config fragments with
//! placeholders for the upstreams' addresses, the traffic to send, and an ordered list of phases
//! (usually `baseline`, the broken config, and `fix`), each with its config changes and
//! expectations. Unknown fields are rejected everywhere so a typo never passes silently.

pub mod bundled;
mod config_text;
mod expect;
mod file;
mod listens;
mod pattern;
mod placeholder;
mod servers_used;
mod shape;
mod share;
mod stages;
mod validate;
mod versions;
mod websocket;
mod witness_expect;

use std::collections::BTreeMap;
use std::time::Duration;

use fake_upstreams::ServerSpec;
use fake_upstreams::dns::DnsSpec;
use fake_upstreams::faults::FaultKind;
use fake_upstreams::size::ByteSize;

use crate::load::ClientProtocol;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use config_text::{config_diff, config_text, fragments_text};
pub use expect::{CounterExpect, Expect, LogExpect, Window};
pub use file::{LoadedScenario, discover, load_file, load_text};
pub use listens::first_non_loopback_listen;
pub use pattern::{LogPattern, Matcher};
pub use placeholder::{Addresses, expand};
pub use servers_used::servers_used;
pub use shape::{MAX_RATE, Ramp, Rate, Step};
pub use share::{Cmp, ShareExpr, Unit};
pub use stages::{MAX_STAGES, Stages};
pub use validate::{MAX_NAME, is_slug};
pub use versions::VersionRange;
pub use websocket::{SOCKET_ENDS, SocketKey, WebSocketTraffic};
pub use witness_expect::{
    DurationBound, LatencyBounds, LatencyKey, NginxStatusKey, ReceivedExpect, TriesKey,
};

/// One scenario: a cause from the troubleshooting guide, its broken config and its fix.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier, used by `--filter` and `explain`.
    pub name: String,
    /// One line for tables and progress.
    pub title: String,
    /// One paragraph: the cause, what the error log says, why the fix works.
    pub story: String,
    /// The troubleshooting-guide step this scenario demonstrates.
    pub guide_step: String,
    /// What this scenario is the proof of, for `check` and `diagnose` to point at it.
    #[serde(default, skip_serializing_if = "Proves::is_empty")]
    pub proves: Proves,
    /// nginx process settings that are not config fragments.
    #[serde(default)]
    pub nginx: NginxSettings,
    /// Named upstreams, each a map of server name to the fault that server plays (with its
    /// generic settings: probability, limit, schedule, listen).
    pub upstreams: BTreeMap<String, BTreeMap<String, ServerSpec>>,
    /// Names the fake DNS server answers (`resolver {{dns}};`), and the hosts file nginx
    /// resolves names with at start: per name its A/AAAA records (`{{upstream.NAME.SERVER}}`
    /// for a server's address), TTL, `answer` (nxdomain, servfail, timeout) and `schedule`.
    /// Config fragments write `{{dns.NAME}}` for `NAME:port` of the servers it points at.
    #[serde(default, skip_serializing_if = "DnsSpec::is_empty")]
    pub dns: DnsSpec,
    /// The config fragments of the baseline; phases change them.
    pub config: Fragments,
    /// The load sent through nginx in every phase unless a phase overrides it: one mapping, or
    /// a list of stages run in order.
    pub traffic: Stages,
    /// Phases in the order they run.
    pub phases: Vec<Phase>,
    /// Progressive hints for learners (`explain`, `verify`, `demo`, `handout`), first to last,
    /// the last usually the solution. Without it they are derived from the story, the guide
    /// step, the first phase's expectations and the config diff to the last phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<WrittenHint>,
}

/// One hint as a scenario file writes it: a short title and the hint itself.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WrittenHint {
    /// A few words, e.g. `The error.log line`.
    pub title: String,
    /// The hint: a sentence or two, or a config snippet.
    pub text: String,
}

/// The fault and the error.log lines a scenario reproduces and fixes. `check` names the
/// scenario that proves a fault as that fault's fix; `diagnose` names first the scenario whose
/// `log` a pasted line matches, then the others whose proof lines match it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Proves {
    /// The fault this scenario is the reference for (one scenario per fault; a server of the
    /// scenario must play it).
    #[serde(default)]
    pub fault: Option<FaultKind>,
    /// The error.log lines this scenario is the reference for (one scenario per line;
    /// substring, or regex after `re:`). Without it, the first phase's `expect.log.contains`
    /// still point at the scenario, after the reference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogPattern>,
}

impl Proves {
    fn is_empty(&self) -> bool {
        self.fault.is_none() && self.log.is_empty()
    }
}

/// Settings of the harness-owned nginx.conf skeleton.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NginxSettings {
    pub worker_processes: u32,
    pub worker_connections: u32,
    /// Not written in scenarios: the skeleton's `listen` takes HTTP/2 when the phase's
    /// traffic speaks it (`protocol: http2` or `grpc`), see [`Scenario::nginx_for_load`].
    #[serde(skip)]
    #[schemars(skip)]
    pub http2: bool,
    /// Not written in scenarios: the skeleton's `listen` takes TLS when the phase's traffic
    /// says `tls: true` (certificate files in the run dir, see `nginx::front_tls`).
    #[serde(skip)]
    #[schemars(skip)]
    pub tls: bool,
}

impl Default for NginxSettings {
    fn default() -> Self {
        Self {
            worker_processes: 1,
            worker_connections: 1024,
            http2: false,
            tls: false,
        }
    }
}

/// Config text inserted into the skeleton: at `http` level and inside the proxied `location /`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fragments {
    #[serde(default)]
    pub http: String,
    pub location: String,
}

/// What a phase changes in the scenario's fragments: replace a fragment or append to it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigChange {
    pub http: Option<String>,
    pub location: Option<String>,
    pub add_http: Option<String>,
    pub add_location: Option<String>,
}

impl ConfigChange {
    /// The fragments this phase runs with.
    pub fn apply(&self, base: &Fragments) -> Fragments {
        let join = |base: &str, add: &Option<String>| match add {
            Some(add) => format!("{}\n{}", base.trim_end(), add),
            None => base.to_string(),
        };
        let http = self.http.clone().unwrap_or_else(|| base.http.clone());
        let location = self
            .location
            .clone()
            .unwrap_or_else(|| base.location.clone());
        Fragments {
            http: join(&http, &self.add_http),
            location: join(&location, &self.add_location),
        }
    }
}

/// The requests sent through nginx during a phase, or during one stage of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// The stage's name, for windows (`stage: after`) and per-stage counts; default: its
    /// 1-based position in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Requests to send (1..=1000000); leave out with `websocket`.
    #[serde(default)]
    pub requests: u64,
    #[serde(default = "Traffic::default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "Traffic::default_method", with = "method_text")]
    #[schemars(schema_with = "method_text::schema")]
    pub method: http::Method,
    #[serde(default = "Traffic::default_path")]
    pub path: String,
    /// Request body size for POST/PUT (k = 1024).
    #[serde(default)]
    pub body_size: ByteSize,
    /// Client-side limit for one request, from connect to the last body byte.
    #[serde(
        default = "Traffic::default_timeout",
        with = "fake_upstreams::duration"
    )]
    #[schemars(schema_with = "fake_upstreams::schema::duration")]
    pub timeout: Duration,
    /// Upper bound on the whole phase's load, whatever the request count; requests still in
    /// flight then are cut and count as `timeout`.
    #[serde(
        default = "Traffic::default_max_duration",
        with = "fake_upstreams::duration"
    )]
    #[schemars(schema_with = "fake_upstreams::schema::duration")]
    pub max_duration: Duration,
    /// A weighted mix of methods, e.g. `{ GET: 1, POST: 1 }`; replaces `method`. Each
    /// request's method is drawn from the scenario's seed.
    #[serde(default)]
    pub methods: BTreeMap<String, u32>,
    /// Pause between one connection's requests (± `jitter`, drawn from the seed), e.g. to
    /// space requests around an upstream's keep-alive idle timeout.
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub spacing: Option<Duration>,
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub jitter: Option<Duration>,
    /// Stop issuing new requests after this long (requests in flight finish normally).
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub duration: Option<Duration>,
    /// Slow clients: send the request body in `chunk`-byte pieces, `interval` apart.
    #[serde(default)]
    pub slow_body: Option<SlowBody>,
    /// Open-model arrivals, e.g. `50/s`: request `i` of the stage starts `i / rate` after the
    /// stage began, whatever earlier responses took, on at most `concurrency` connections. A
    /// start that finds no free connection waits and is counted late (`late_starts`).
    /// `rate × timeout` may not exceed `concurrency`; not with `spacing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Each connection's requests in turn, e.g. `[GET /a, POST /b]`: a connection's k-th
    /// request is entry `k mod len` (so `[GET /, POST /]` alternates on every connection).
    /// Replaces `method`, `methods` and `path`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequence: Vec<Step>,
    /// Open the connections spread evenly over a time instead of all at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Ramp>,
    /// Open WebSocket connections instead of sending requests (see [`WebSocketTraffic`]);
    /// `timeout` bounds the handshake and each echo, pong and close, `max_duration` the
    /// whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket: Option<WebSocketTraffic>,
    /// What the client speaks: `http1` (default); `http2`, HTTP/2 with prior knowledge
    /// (cleartext); `grpc`, unary gRPC calls over HTTP/2: POSTs to `path` of one
    /// length-prefixed message of `body_size` bytes, judged by `grpc-status` (outcomes
    /// `grpc-status N`, `no_trailers`, `rst_stream`). With HTTP/2 nginx listens `http2`.
    #[serde(default, skip_serializing_if = "is_http1")]
    pub protocol: ClientProtocol,
    /// Connect to nginx over TLS (ALPN `h2`), trusting a throwaway CA made for the phase;
    /// nginx then listens `ssl`. Only with `protocol: http2` or `grpc`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
}

fn is_http1(p: &ClientProtocol) -> bool {
    *p == ClientProtocol::Http1
}

/// How a slow client sends its request body.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowBody {
    pub chunk: ByteSize,
    #[serde(with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::duration")]
    pub interval: Duration,
}

impl Traffic {
    fn default_concurrency() -> usize {
        4
    }
    fn default_method() -> http::Method {
        http::Method::GET
    }
    fn default_path() -> String {
        "/".into()
    }
    fn default_timeout() -> Duration {
        Duration::from_secs(10)
    }
    fn default_max_duration() -> Duration {
        Duration::from_secs(60)
    }
}

/// Methods a scenario may send.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

mod method_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &http::Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.as_str())
    }

    /// One of [`super::METHODS`].
    pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": super::METHODS })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<http::Method, D::Error> {
        let text = String::deserialize(d)?;
        if super::METHODS.contains(&text.as_str()) {
            Ok(text.parse().expect("listed methods are valid"))
        } else {
            Err(serde::de::Error::custom(format!(
                "unsupported method `{text}`: use one of {}",
                super::METHODS.join(", ")
            )))
        }
    }
}

/// One run of nginx with one config: its changes, optional traffic override and expectations.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    /// What this phase shows, in a sentence (printed by `explain`).
    #[serde(default)]
    pub about: Option<String>,
    #[serde(default)]
    pub config: ConfigChange,
    /// nginx process settings for this phase (e.g. a raised `worker_connections`).
    #[serde(default)]
    pub nginx: Option<NginxSettings>,
    /// This phase's traffic instead of the scenario's (a mapping or a list of stages).
    #[serde(default)]
    pub traffic: Option<Stages>,
    /// The nginx versions whose behaviour this phase records (e.g. `">=1.29.7"`); nginx of
    /// other versions skips it. None: every version.
    #[serde(default)]
    pub nginx_versions: Option<VersionRange>,
    pub expect: Expect,
}

impl Phase {
    /// Whether nginx `version` runs this phase.
    pub fn applies_to(&self, version: &str) -> bool {
        self.nginx_versions
            .as_ref()
            .is_none_or(|r| r.matches(version))
    }
}

impl Scenario {
    /// The nginx settings a phase runs with.
    pub fn nginx_for<'a>(&'a self, phase: &'a Phase) -> &'a NginxSettings {
        phase.nginx.as_ref().unwrap_or(&self.nginx)
    }

    /// [`nginx_for`](Self::nginx_for) with the front end listening for HTTP/2 when any
    /// traffic stage of the phase speaks it.
    pub fn nginx_for_load(&self, phase: &Phase) -> NginxSettings {
        let http2 = (self.traffic_for(phase).named()).any(|(_, t)| t.protocol.is_http2());
        let tls = (self.traffic_for(phase).named()).any(|(_, t)| t.tls);
        NginxSettings {
            http2,
            tls,
            ..self.nginx_for(phase).clone()
        }
    }

    /// The `{{tls.KEY}}` files this scenario's servers have: `ca` and `cert.NAME.SERVER` of
    /// each `tls:` server (none without one).
    pub fn tls_keys(&self) -> Vec<String> {
        let certs: Vec<String> = self
            .upstreams
            .iter()
            .flat_map(|(u, srv)| srv.iter().map(move |(s, spec)| (u, s, spec)))
            .filter(|(_, _, spec)| spec.tls.is_some())
            .map(|(u, s, _)| format!("cert.{u}.{s}"))
            .collect();
        match certs.is_empty() {
            true => certs,
            false => std::iter::once("ca".to_string()).chain(certs).collect(),
        }
    }

    /// Symbolic addresses (`127.0.0.1:<app.primary>`, `<tls.ca>`) where no server runs.
    pub fn symbolic_addresses(&self) -> Addresses {
        let servers = self
            .upstreams
            .iter()
            .flat_map(|(u, srv)| srv.keys().map(move |k| (u.as_str(), k.as_str())));
        let addrs = Addresses::symbolic(servers).with_dns(
            "127.0.0.1:<dns>",
            self.dns
                .0
                .keys()
                .map(|name| (name.clone(), format!("{name}:<dns.port>"))),
        );
        self.tls_keys().iter().fold(addrs, |addrs, key| {
            addrs.with_tls_file(key, format!("<tls.{key}>"))
        })
    }

    /// Whether a server of this scenario plays `kind`, from the start or in a schedule step.
    pub fn plays(&self, kind: FaultKind) -> bool {
        self.upstreams
            .values()
            .flat_map(|servers| servers.values())
            .any(|spec| {
                spec.fault.fault_kind() == kind
                    || spec.schedule.iter().any(|s| s.fault.fault_kind() == kind)
            })
    }

    /// The error.log lines that point at this scenario: those it declares (`proves.log`) and
    /// those its first phase, the broken config, expects.
    pub fn proof_lines(&self) -> impl Iterator<Item = &LogPattern> {
        let first = self.phases.first().map(|p| &p.expect.log.contains[..]);
        self.proves.log.iter().chain(first.unwrap_or_default())
    }

    /// The traffic stages a phase sends, in order.
    pub fn traffic_for<'a>(&'a self, phase: &'a Phase) -> &'a Stages {
        phase.traffic.as_ref().unwrap_or(&self.traffic)
    }
}
