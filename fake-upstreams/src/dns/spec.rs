//! The YAML form of the fake DNS server's data: per name, what it answers and when that
//! changes. Addresses are checked while parsing, so a bad one is an error at its line and
//! column; [`DnsSpec::validate`] checks what serde cannot (names, TTLs, step order).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hickory_proto::rr::Name;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::zone::{Records, Timeline, Zone};

/// The names the fake DNS server knows, each with its answers. Names it does not know get
/// NXDOMAIN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct DnsSpec(pub BTreeMap<String, NameSpec>);

/// How one name is answered from the start, and its later answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameSpec {
    /// What kind of answer queries get. Default: `records`.
    #[serde(default, skip_serializing_if = "Answer::is_records")]
    pub answer: Answer,
    /// IPv4 addresses (A records): `{{upstream.NAME.SERVER}}` (that server's loopback address)
    /// or a literal loopback address (127.0.0.0/8; nothing leaves the machine). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub a: Vec<Target>,
    /// IPv6 addresses (AAAA records), literal loopback (`::1`). Default: none (an AAAA query gets an empty
    /// NOERROR answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aaaa: Vec<Ipv6Addr>,
    /// Time to live of the records, in whole seconds (nginx caches an answer this long
    /// unless `resolver ... valid=` overrides it). Default: 30s.
    #[serde(default = "default_ttl", with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    pub ttl: Duration,
    /// Later answers, in increasing `after` order (since the load started). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<NameStep>,
}

/// One entry of a name's `schedule:`: from `after` on, answer this instead. A step states
/// the whole answer: what it leaves out takes its default, not the previous value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameStep {
    /// When the step starts, since the load started, e.g. `2s`.
    #[serde(with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    pub after: Duration,
    /// As in [`NameSpec::answer`].
    #[serde(default, skip_serializing_if = "Answer::is_records")]
    pub answer: Answer,
    /// As in [`NameSpec::a`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub a: Vec<Target>,
    /// As in [`NameSpec::aaaa`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aaaa: Vec<Ipv6Addr>,
    /// As in [`NameSpec::ttl`].
    #[serde(default = "default_ttl", with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    pub ttl: Duration,
}

/// The kind of answer a name gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// NOERROR with the name's records of the asked type (none: an empty answer).
    #[default]
    Records,
    /// NXDOMAIN: the name does not exist (nginx: `(3: Host not found)`).
    Nxdomain,
    /// SERVFAIL: the server failed (nginx: `(2: Server failure)`).
    Servfail,
    /// Never reply, so the resolver times out (nginx: `(110: Operation timed out)`).
    Timeout,
}

impl Answer {
    fn is_records(&self) -> bool {
        *self == Answer::Records
    }
}

fn default_ttl() -> Duration {
    Duration::from_secs(30)
}

/// An A record's address: a server of the scenario or a literal IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A literal address, e.g. `127.0.0.2`.
    Ip(Ipv4Addr),
    /// `{{upstream.NAME.SERVER}}`: the loopback address that server listens on.
    Server { upstream: String, server: String },
}

impl Target {
    /// Read `127.0.0.2` or `{{upstream.NAME.SERVER}}`.
    pub fn parse(text: &str) -> Result<Target, String> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
            let parts: Vec<&str> = inner.trim().split('.').collect();
            if let ["upstream", upstream, server] = parts.as_slice()
                && !upstream.is_empty()
                && !server.is_empty()
            {
                return Ok(Target::Server {
                    upstream: upstream.to_string(),
                    server: server.to_string(),
                });
            }
            return Err(format!(
                "`{text}` is not a server placeholder: write `{{{{upstream.NAME.SERVER}}}}`"
            ));
        }
        text.parse().map_err(|_| {
            format!(
                "`{text}` is not an IPv4 address or a `{{{{upstream.NAME.SERVER}}}}` placeholder"
            )
        })
        .map(Target::Ip)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ip(ip) => write!(f, "{ip}"),
            Target::Server { upstream, server } => {
                write!(f, "{{{{upstream.{upstream}.{server}}}}}")
            }
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Target::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Target {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DnsTarget".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A loopback IPv4 address (127.0.0.0/8), or `{{upstream.NAME.SERVER}}` for the loopback \
                address of a server of the scenario."
        })
    }
}

impl DnsSpec {
    /// Whether no name is given (no `dns:` section).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reject data that parses but cannot be served; messages name the DNS name.
    pub fn validate(&self) -> Result<(), String> {
        for (name, spec) in &self.0 {
            check_name(name)?;
            spec.fields().check(name)?;
            let mut previous: Option<Duration> = None;
            for step in &spec.schedule {
                let at = format!("{name}: schedule step after {:?}", step.after);
                step.fields().check(&at)?;
                if previous.is_some_and(|p| step.after <= p) {
                    return Err(format!(
                        "{name}: schedule steps must be in increasing `after` order"
                    ));
                }
                previous = Some(step.after);
            }
        }
        Ok(())
    }

    /// Every `{{upstream.NAME.SERVER}}` the records name, in order, each once.
    pub fn servers(&self) -> Vec<(String, String)> {
        let mut seen = Vec::new();
        for spec in self.0.values() {
            let steps = spec.schedule.iter().map(|s| &s.a);
            for target in std::iter::once(&spec.a).chain(steps).flatten() {
                if let Target::Server { upstream, server } = target {
                    let key = (upstream.clone(), server.clone());
                    if !seen.contains(&key) {
                        seen.push(key);
                    }
                }
            }
        }
        seen
    }

    /// The names whose first answer is records with an address: what a hosts file lists for
    /// nginx's start-time resolution, with `addr_of` giving each server's address.
    pub fn hosts_file(&self, addr_of: &impl Fn(&str, &str) -> Option<Ipv4Addr>) -> String {
        let zone = self.resolve(addr_of);
        let mut text = String::from("# written by badgateway: the scenario's `dns:` names\n");
        text.push_str("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
        if let Ok(zone) = zone {
            for (name, records) in zone.first_answers() {
                if records.answer != Answer::Records {
                    continue;
                }
                let v4 = records.a.iter().map(|ip| ip.to_string());
                let v6 = records.aaaa.iter().map(|ip| ip.to_string());
                for ip in v4.chain(v6) {
                    text.push_str(&format!("{ip} {name}\n"));
                }
            }
        }
        text
    }

    /// The answers with every server placeholder replaced by `addr_of(upstream, server)`.
    pub fn resolve(
        &self,
        addr_of: &impl Fn(&str, &str) -> Option<Ipv4Addr>,
    ) -> Result<Zone, String> {
        let mut names = BTreeMap::new();
        for (name, spec) in &self.0 {
            let first = spec.fields().resolve(addr_of)?;
            let steps = spec
                .schedule
                .iter()
                .map(|s| Ok((s.after, s.fields().resolve(addr_of)?)))
                .collect::<Result<Vec<_>, String>>()?;
            names.insert(name.to_ascii_lowercase(), Timeline { first, steps });
        }
        Ok(Zone::new(names))
    }
}

impl NameSpec {
    /// One line for `explain`: `A 127.0.0.2 (ttl 1s), then nxdomain after 500ms`.
    pub fn describe(&self) -> String {
        let mut text = self.fields().describe();
        for step in &self.schedule {
            let after = humantime_serde::re::humantime::format_duration(step.after);
            let then = step.fields().describe();
            text.push_str(&format!(", then {then} after {after}"));
        }
        text
    }

    fn fields(&self) -> RecordFields<'_> {
        RecordFields(self.answer, &self.a, &self.aaaa, self.ttl)
    }
}

impl NameStep {
    fn fields(&self) -> RecordFields<'_> {
        RecordFields(self.answer, &self.a, &self.aaaa, self.ttl)
    }
}

/// The answer fields that a [`NameSpec`] and each of its [`NameStep`]s state alike, borrowed
/// (`answer`, `a`, `aaaa`, `ttl`), so one function checks, resolves and describes either. The
/// two structs keep their own copies of the fields: serde's `flatten` would switch off their
/// `deny_unknown_fields`.
#[derive(Debug, Clone, Copy)]
struct RecordFields<'a>(Answer, &'a [Target], &'a [Ipv6Addr], Duration);

impl RecordFields<'_> {
    /// The answer with every server placeholder replaced by `addr_of(upstream, server)`.
    fn resolve(self, addr_of: &impl Fn(&str, &str) -> Option<Ipv4Addr>) -> Result<Records, String> {
        let RecordFields(answer, a, aaaa, ttl) = self;
        let a = a
            .iter()
            .map(|t| match t {
                Target::Ip(ip) => Ok(*ip),
                Target::Server { upstream, server } => addr_of(upstream, server)
                    .ok_or_else(|| format!("no TCP server {upstream}.{server} for {t}")),
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Records {
            answer,
            a,
            aaaa: aaaa.to_vec(),
            ttl: ttl.as_secs() as u32,
        })
    }

    /// The answer for `explain`: `A 127.0.0.2 (ttl 1s)`, `nxdomain`, `no records`.
    fn describe(self) -> String {
        let RecordFields(answer, a, aaaa, ttl) = self;
        let kind = match answer {
            Answer::Records => "records",
            Answer::Nxdomain => "nxdomain",
            Answer::Servfail => "servfail",
            Answer::Timeout => "no reply",
        };
        if answer != Answer::Records {
            return kind.to_string();
        }
        let v4 = a.iter().map(|t| format!("A {t}"));
        let v6 = aaaa.iter().map(|ip| format!("AAAA {ip}"));
        let records: Vec<String> = v4.chain(v6).collect();
        match records.is_empty() {
            true => "no records".to_string(),
            false => format!("{} (ttl {}s)", records.join(", "), ttl.as_secs()),
        }
    }

    /// Reject an answer that cannot be served; `at` names it in the message.
    fn check(self, at: &str) -> Result<(), String> {
        let RecordFields(answer, a, aaaa, ttl) = self;
        if answer != Answer::Records && !(a.is_empty() && aaaa.is_empty()) {
            return Err(format!(
                "{at}: `answer: {}` sends no records; drop `a`/`aaaa` or use `answer: records`",
                serde_json::to_value(answer)
                    .unwrap_or_default()
                    .as_str()
                    .unwrap_or("?")
            ));
        }
        if ttl.subsec_nanos() != 0 {
            return Err(format!(
                "{at}: ttl {ttl:?} is not a whole number of seconds"
            ));
        }
        let literal = a.iter().filter_map(|t| match t {
            Target::Ip(ip) => Some(IpAddr::V4(*ip)),
            Target::Server { .. } => None,
        });
        if let Some(ip) = literal
            .chain(aaaa.iter().map(|ip| IpAddr::V6(*ip)))
            .find(|ip| !ip.is_loopback())
        {
            return Err(format!(
                "{at}: {ip} is not a loopback address: records must point at 127.0.0.0/8 or ::1 so \
                 that no traffic leaves this machine; write `{{{{upstream.NAME.SERVER}}}}` for a \
                 server of the scenario"
            ));
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !ok_chars || name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(format!(
            "dns name `{name}`: use lowercase labels of a-z, 0-9 and `-`, joined by dots"
        ));
    }
    Name::from_ascii(name).map_err(|e| format!("dns name `{name}`: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests;
