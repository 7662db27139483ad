//! A phase's traffic as [`Stages`]: one `traffic:` mapping (a single stage, the form every
//! bundled scenario uses) or a list of mappings run one after the other, each with its own
//! shape, and the checks that span a stage's fields or the list.
//!
//! Stages are named by their `name`, or by their 1-based position (`"1"`, `"2"`, ...) when
//! unnamed; windows refer to them by that name.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::{MapAccess, SeqAccess, Visitor, value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Traffic, Window, is_slug};
use crate::load::ClientProtocol;

/// Most stages one `traffic:` list may have.
pub const MAX_STAGES: usize = 16;
/// Most requests all stages of one phase may issue together.
pub const MAX_REQUESTS: u64 = 1_000_000;

/// The stages of a phase's traffic, in the order they run (never empty once checked).
#[derive(Debug, Clone)]
pub struct Stages(pub Vec<Traffic>);

/// What is wrong, where (text to find in the file) and what to do: `(needle, message, hint)`.
pub type Problem = (String, String, Option<String>);

impl Stages {
    /// The stages with their names (`name`, else the 1-based position).
    pub fn named(&self) -> impl Iterator<Item = (String, &Traffic)> {
        self.0.iter().enumerate().map(|(i, t)| {
            let name = t.name.clone().unwrap_or_else(|| (i + 1).to_string());
            (name, t)
        })
    }

    /// Requests of all stages together (a WebSocket stage's sockets, one handshake each):
    /// the most the phase sends.
    pub fn requests(&self) -> u64 {
        self.0
            .iter()
            .map(|t| {
                t.websocket
                    .as_ref()
                    .map_or(t.requests, |w| u64::from(w.sockets))
            })
            .sum()
    }

    /// How long the phase sends requests when time bounds it: the sum of the stages'
    /// `duration`s when every stage has one (a stage that stops at its request count instead
    /// ends sooner, so this is an upper bound); `None` when a stage is bounded by count alone.
    pub fn duration(&self) -> Option<std::time::Duration> {
        self.0.iter().map(|t| t.duration).sum()
    }

    /// The list-wide rules: 1 to [`MAX_STAGES`] stages, unique slug names, at most
    /// [`MAX_REQUESTS`] requests and an hour of `max_duration` in all, and each stage's own
    /// rules ([`check_stage`]).
    pub fn check(&self) -> Result<(), Problem> {
        let hint = |h: &str| Some(h.to_string());
        if self.0.is_empty() || self.0.len() > MAX_STAGES {
            return Err((
                "traffic:".into(),
                format!(
                    "traffic has {} stages; give 1 to {MAX_STAGES}",
                    self.0.len()
                ),
                hint("write one mapping, or a list of stage mappings"),
            ));
        }
        if self.0.len() > 1 && self.0.iter().any(|t| t.websocket.is_some()) {
            return Err((
                "websocket:".into(),
                "WebSocket traffic is one stage of its own".into(),
                hint("write `traffic: { websocket: { ... } }` as a single mapping"),
            ));
        }
        let mut names = BTreeSet::new();
        for (name, t) in self.named() {
            if t.name.is_some() && !is_slug(&name) {
                return Err((
                    format!("name: {name}"),
                    format!("stage name {name:?} is not a slug"),
                    hint("stage names are 1 to 64 of a-z, 0-9, `-` and `_`"),
                ));
            }
            if !names.insert(name.clone()) {
                return Err((
                    format!("name: {name}"),
                    format!("two traffic stages are named `{name}`"),
                    hint(
                        "give each stage a name of its own (unnamed stages are named by their position: 1, 2, ...)",
                    ),
                ));
            }
            check_stage(&name, t)?;
        }
        let front = |t: &Traffic| (t.protocol.is_http2(), t.tls);
        if self.0.iter().any(|t| front(t) != front(&self.0[0])) {
            return Err((
                "protocol:".into(),
                "the stages of one phase must all speak HTTP/1 or all HTTP/2, with the same `tls`"
                    .into(),
                hint("nginx's one front end listens for one of them; split the phases instead"),
            ));
        }
        if self.requests() > MAX_REQUESTS {
            return Err((
                "requests:".into(),
                format!(
                    "the stages send {} requests in all; at most {MAX_REQUESTS}",
                    self.requests()
                ),
                hint("lower the stages' `requests`"),
            ));
        }
        let bound: Duration = self.0.iter().map(|t| t.max_duration).sum();
        if bound > fake_upstreams::duration::MAX {
            return Err((
                "traffic:".into(),
                format!(
                    "the stages' max_duration add up to {}; at most 1h",
                    show(bound)
                ),
                hint("lower `max_duration` of the stages (default 60s each)"),
            ));
        }
        Ok(())
    }
}

/// One stage's cross-field rules.
///
/// The arrival-rate rule: `rate × timeout ≤ concurrency`. A request holds its connection for
/// at most `timeout`, so with that many connections every scheduled start finds a free one
/// even when every response takes the full timeout (Little's law at the worst response time):
/// the schedule, not nginx's speed, decides when requests start, which is what an open model
/// is for. Lower `timeout` or raise `concurrency` to serve a higher rate.
fn check_stage(name: &str, t: &Traffic) -> Result<(), Problem> {
    let at = |needle: &str, msg: String, hint: &str| {
        Err((
            needle.into(),
            format!("stage `{name}`: {msg}"),
            Some(hint.into()),
        ))
    };
    if let Some(rate) = t.rate {
        if t.spacing.is_some() {
            return at(
                "rate:",
                "`rate` and `spacing` cannot be combined".into(),
                "`rate` schedules request starts; `spacing` pauses after each response: keep one",
            );
        }
        let needed = (rate.per_second * t.timeout.as_secs_f64()).ceil();
        if needed > t.concurrency as f64 {
            let fastest = Duration::from_secs_f64(t.concurrency as f64 / rate.per_second);
            return at(
                "rate:",
                format!(
                    "rate {rate} with timeout {} can need {needed} requests in flight, more than \
                     concurrency {}",
                    show(t.timeout),
                    t.concurrency
                ),
                &format!(
                    "rate × timeout may not exceed concurrency: raise concurrency to {needed} or \
                     lower timeout to {}",
                    show(fastest)
                ),
            );
        }
    }
    if t.protocol == ClientProtocol::Grpc && (!t.methods.is_empty() || !t.sequence.is_empty()) {
        return at(
            "protocol: grpc",
            "gRPC calls are POSTs to `path`: no `methods` or `sequence`".into(),
            "drop `methods` and `sequence`, or use `protocol: http2`",
        );
    }
    if t.tls && !t.protocol.is_http2() {
        return at(
            "tls: true",
            "TLS traffic needs `protocol: http2` or `grpc`".into(),
            "the load driver speaks TLS (ALPN h2) only in its HTTP/2 modes",
        );
    }
    if t.protocol.is_http2() && t.slow_body.is_some() {
        return at(
            "slow_body:",
            "`slow_body` is for HTTP/1 traffic only".into(),
            "drop `slow_body`, or use `protocol: http1`",
        );
    }
    if !t.sequence.is_empty() && !t.methods.is_empty() {
        return at(
            "sequence:",
            "`sequence` and `methods` cannot be combined".into(),
            "a sequence names each request's method and path; drop `methods`",
        );
    }
    if let Some(ramp) = &t.ramp {
        let connections = ramp.connections.unwrap_or(t.concurrency);
        if connections == 0 || connections > t.concurrency {
            return at(
                "connections:",
                format!(
                    "ramp.connections {connections} must be 1..=concurrency ({})",
                    t.concurrency
                ),
                "the ramp opens some or all of the stage's connections; leave it out for all",
            );
        }
        if ramp.over.is_zero() || ramp.over >= t.max_duration {
            return at(
                "over:",
                format!(
                    "ramp.over {} must be above 0 and below max_duration {}",
                    show(ramp.over),
                    show(t.max_duration)
                ),
                "the ramp must end before the stage is cut",
            );
        }
    }
    if t.duration.is_some_and(|d| d > t.max_duration) {
        return at(
            "duration:",
            format!(
                "duration is longer than max_duration {}, which would cut it",
                show(t.max_duration)
            ),
            "raise max_duration or shorten duration",
        );
    }
    Ok(())
}

/// A phase's windows against its stages: each names a known stage or a time range (not both,
/// not neither), and a range ends after it starts.
pub fn check_windows(windows: &[Window], stages: &Stages) -> Result<(), Problem> {
    for w in windows {
        match (&w.stage, w.from) {
            (Some(_), _) if w.from.is_some() || w.to.is_some() => {
                return Err((
                    "windows:".into(),
                    format!("window {} gives both a stage and a time range", w.label()),
                    Some("use `stage:` alone, or `from:` (and `to:`)".into()),
                ));
            }
            (Some(stage), _) => {
                let names: Vec<String> = stages.named().map(|(n, _)| n).collect();
                if !names.contains(stage) {
                    return Err((
                        format!("stage: {stage}"),
                        format!("window refers to unknown stage `{stage}`"),
                        Some(format!("this phase's stages: {}", names.join(", "))),
                    ));
                }
            }
            (None, None) => {
                return Err((
                    "windows:".into(),
                    "a window needs `from` (a time since the load began) or `stage`".into(),
                    Some("e.g. `{ from: 2s, outcomes: ... }` or `{ stage: after, ... }`".into()),
                ));
            }
            (None, Some(from)) if w.to.is_some_and(|to| to <= from) => {
                return Err((
                    "windows:".into(),
                    format!("window {} ends before it starts", w.label()),
                    Some(
                        "`to` must be later than `from`; leave `to` out for \"until the end\""
                            .into(),
                    ),
                ));
            }
            (None, Some(_)) => {}
        }
    }
    Ok(())
}

fn show(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

impl<'de> Deserialize<'de> for Stages {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StagesVisitor)
    }
}

struct StagesVisitor;

impl<'de> Visitor<'de> for StagesVisitor {
    type Value = Stages;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a traffic mapping, or a list of traffic stage mappings")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Stages, A::Error> {
        Traffic::deserialize(value::MapAccessDeserializer::new(map)).map(|t| Stages(vec![t]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Stages, A::Error> {
        Vec::<Traffic>::deserialize(value::SeqAccessDeserializer::new(seq)).map(Stages)
    }
}

/// One unnamed stage is written as the plain mapping it was read from.
impl Serialize for Stages {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0[..] {
            [one] if one.name.is_none() => one.serialize(s),
            all => all.serialize(s),
        }
    }
}

impl JsonSchema for Stages {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Stages".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<Traffic>();
        schemars::json_schema!({
            "description": "The requests of a phase: one traffic mapping, or a list of stages (traffic mappings, usually named) run one after the other.",
            "anyOf": [
                one,
                { "type": "array", "items": one, "minItems": 1, "maxItems": MAX_STAGES }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario::{Scenario, load_text};

    fn scenario(traffic: &str) -> Result<Scenario, String> {
        let text = format!(
            "name: s\ntitle: t\nstory: s\nguide_step: g\nupstreams: {{ app: {{ a: {{ kind: healthy }} }} }}\n\
             config: {{ location: 'proxy_pass http://{{{{upstream.app.a}}}};' }}\n\
             traffic: {traffic}\nphases: [{{ name: p, expect: {{ outcomes: {{ 200: '100%' }} }} }}]\n"
        );
        load_text(Path::new("s.yaml"), &text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_mapping_is_one_stage_and_is_written_back_as_a_mapping() {
        let s = scenario("{ requests: 5 }").unwrap();
        let names: Vec<String> = s.traffic.named().map(|(n, _)| n).collect();
        assert_eq!(names, ["1"]);
        let json = serde_json::to_value(&s.traffic).unwrap();
        assert_eq!(json["requests"], 5, "{json}");
    }

    #[test]
    fn a_list_runs_named_and_positional_stages_in_order() {
        let s = scenario(
            "[{ name: burst, requests: 30, concurrency: 30, ramp: { over: 1s } }, \
              { requests: 10, concurrency: 1, sequence: [GET /a, POST /b] }]",
        )
        .unwrap();
        let names: Vec<String> = s.traffic.named().map(|(n, _)| n).collect();
        assert_eq!(names, ["burst", "2"]);
        assert_eq!(s.traffic.requests(), 40);
        assert_eq!(s.traffic.0[1].sequence[1].to_string(), "POST /b");
        let json = serde_json::to_value(&s.traffic).unwrap();
        assert!(json.is_array(), "{json}");
    }

    #[test]
    fn rate_times_timeout_may_reach_but_not_exceed_concurrency() {
        assert!(scenario("{ requests: 5, rate: 50/s, timeout: 1s, concurrency: 50 }").is_ok());
        let err =
            scenario("{ requests: 5, rate: 50/s, timeout: 1s, concurrency: 49 }").unwrap_err();
        assert!(err.contains("can need 50 requests in flight"), "{err}");
    }
}
