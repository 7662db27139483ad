//! The expectation types that read nginx's and the upstreams' witnesses of each request:
//! `tries` keys (a status sequence or a number of tries), `nginx_status` keys, what the
//! upstreams `received`, and `latency` bounds per outcome.
//!
//! Each key type parses from the YAML string and refuses malformed text with an example, so a
//! typo fails at load with its line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Cmp, ShareExpr};
use crate::outcome::Outcome;

/// A `tries:` key: nginx's upstream status sequence (`"502, 200"`, `"-"` for no try) or a
/// number of tries (`"2 tries"`, `"1 try"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TriesKey {
    Sequence(String),
    Count(usize),
}

/// An `nginx_status:` key: three digits as nginx logs them (`"502"`, `"009"`, `"499"`), or
/// `"not logged"` for requests nginx has no record of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NginxStatusKey(pub String);

/// A `latency:` key: an outcome, or `all` for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LatencyKey {
    All,
    Outcome(Outcome),
}

/// Bounds on the latency of one outcome's requests (client side, connect to last byte):
/// each an operator and a duration, e.g. `min: ">= 1s"`, `p99: "< 3s"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyBounds {
    pub min: Option<DurationBound>,
    pub p50: Option<DurationBound>,
    pub p90: Option<DurationBound>,
    pub p99: Option<DurationBound>,
    pub max: Option<DurationBound>,
}

impl LatencyBounds {
    /// The stated bounds with their quantile (0.0 for `min`, 1.0 for `max`).
    pub fn stated(&self) -> Vec<(&'static str, f64, DurationBound)> {
        [
            ("min", 0.0, self.min),
            ("p50", 0.5, self.p50),
            ("p90", 0.9, self.p90),
            ("p99", 0.99, self.p99),
            ("max", 1.0, self.max),
        ]
        .into_iter()
        .filter_map(|(name, q, b)| b.map(|b| (name, q, b)))
        .collect()
    }
}

/// A comparison with a duration: `">= 1s"`, `"< 250ms"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationBound {
    pub op: Cmp,
    pub value: Duration,
}

/// Shares of what the fake servers received, a share of all requests they received (a
/// request that reached two servers counts twice). Values: `http_version` `HTTP/1.0` or
/// `HTTP/1.1` (`FastCGI/1` for a FastCGI request); `connection` the lowercased header value,
/// or `none` (FastCGI: `keep-alive` when nginx set FCGI_KEEP_CONN, else `close`); `method`;
/// `fault` the fault kind that served it (`healthy` included); `script_filename` the
/// FastCGI `SCRIPT_FILENAME` param, or `none`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivedExpect {
    #[serde(default)]
    pub http_version: BTreeMap<String, ShareExpr>,
    #[serde(default)]
    pub connection: BTreeMap<String, ShareExpr>,
    #[serde(default)]
    pub method: BTreeMap<String, ShareExpr>,
    #[serde(default)]
    pub fault: BTreeMap<String, ShareExpr>,
    #[serde(default)]
    pub script_filename: BTreeMap<String, ShareExpr>,
}

impl ReceivedExpect {
    /// `(field, value, share)` for every stated share.
    pub fn stated(&self) -> Vec<(&'static str, &str, &ShareExpr)> {
        let fields = [
            ("http_version", &self.http_version),
            ("connection", &self.connection),
            ("method", &self.method),
            ("fault", &self.fault),
            ("script_filename", &self.script_filename),
        ];
        fields
            .into_iter()
            .flat_map(|(f, m)| m.iter().map(move |(v, e)| (f, v.as_str(), e)))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.stated().is_empty()
    }
}

use crate::accesslog::NOT_LOGGED;

impl FromStr for TriesKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let s = text.trim();
        let count = s.strip_suffix(" tries").or_else(|| s.strip_suffix(" try"));
        if let Some(n) = count {
            return n
                .trim()
                .parse()
                .map(TriesKey::Count)
                .map_err(|_| format!("bad number of tries `{text}`: write e.g. \"2 tries\""));
        }
        if s == "-" || s == NOT_LOGGED {
            return Ok(TriesKey::Sequence(s.to_string()));
        }
        let parts: Vec<&str> = s.split([',', ':']).map(str::trim).collect();
        let good = |p: &&str| *p == "-" || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()));
        if parts.iter().all(good) {
            Ok(TriesKey::Sequence(parts.join(", ")))
        } else {
            Err(format!(
                "malformed upstream status sequence `{text}`: write nginx's $upstream_status, \
                 three-digit statuses separated by commas, e.g. \"502, 200\", or \"-\" for no \
                 try, or a number of tries such as \"2 tries\""
            ))
        }
    }
}

impl fmt::Display for TriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TriesKey::Sequence(s) => f.write_str(s),
            TriesKey::Count(1) => f.write_str("1 try"),
            TriesKey::Count(n) => write!(f, "{n} tries"),
        }
    }
}

impl FromStr for NginxStatusKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if s == NOT_LOGGED || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())) {
            Ok(NginxStatusKey(s.to_string()))
        } else {
            Err(format!(
                "bad nginx status `{text}`: write three digits as nginx's access log has them, \
                 e.g. \"502\", \"009\" (an HTTP/0.9 relay), \"499\", or \"{NOT_LOGGED}\""
            ))
        }
    }
}

impl fmt::Display for NginxStatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for LatencyKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim() == "all" {
            return Ok(LatencyKey::All);
        }
        text.trim()
            .parse()
            .map(LatencyKey::Outcome)
            .map_err(|e| format!("{e}, or `all`"))
    }
}

impl fmt::Display for LatencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LatencyKey::All => f.write_str("all"),
            LatencyKey::Outcome(o) => write!(f, "{o}"),
        }
    }
}

impl DurationBound {
    pub fn holds(&self, actual: Duration) -> bool {
        match self.op {
            Cmp::Eq => actual == self.value,
            Cmp::Ge => actual >= self.value,
            Cmp::Gt => actual > self.value,
            Cmp::Le => actual <= self.value,
            Cmp::Lt => actual < self.value,
        }
    }
}

impl FromStr for DurationBound {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "bad latency bound `{text}`: write an operator (>=, >, <=, <) and a duration, \
                 e.g. \">= 1s\", \"< 250ms\""
            )
        };
        let s = text.trim();
        let (op, rest) = [
            (">=", Cmp::Ge),
            ("<=", Cmp::Le),
            (">", Cmp::Gt),
            ("<", Cmp::Lt),
        ]
        .into_iter()
        .find_map(|(p, op)| s.strip_prefix(p).map(|r| (op, r.trim())))
        .ok_or_else(bad)?;
        let value = humantime::parse_duration(rest).map_err(|_| bad())?;
        Ok(DurationBound { op, value })
    }
}

impl fmt::Display for DurationBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Cmp::Eq => "==",
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Lt => "<",
        };
        write!(f, "{op} {}", humantime::format_duration(self.value))
    }
}

/// Serialize as the display text, deserialize through `FromStr`, schema a string described
/// by `$desc`.
macro_rules! text_form {
    ($ty:ty, $name:literal, $desc:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
        impl JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "description": $desc })
            }
        }
    };
}

text_form!(
    TriesKey,
    "TriesKey",
    "nginx's upstream status sequence, e.g. \"502, 200\" (\"-\": no try), or a number of tries, e.g. \"2 tries\"."
);
text_form!(
    NginxStatusKey,
    "NginxStatusKey",
    "The status in nginx's access log, three digits (\"502\", \"009\" for an HTTP/0.9 relay), or \"not logged\"."
);
text_form!(
    LatencyKey,
    "LatencyKey",
    "An outcome (\"504\", \"truncated\") or \"all\"."
);
text_form!(
    DurationBound,
    "DurationBound",
    "An operator (>=, >, <=, <) and a duration, e.g. \">= 1s\", \"< 250ms\"."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_keys_are_sequences_or_counts() {
        assert_eq!("502,200".parse(), Ok(TriesKey::Sequence("502, 200".into())));
        assert_eq!(
            "502 : 404".parse(),
            Ok(TriesKey::Sequence("502, 404".into()))
        );
        assert_eq!("2 tries".parse(), Ok(TriesKey::Count(2)));
        assert_eq!("1 try".parse(), Ok(TriesKey::Count(1)));
        assert_eq!("-".parse(), Ok(TriesKey::Sequence("-".into())));
        for bad in ["50, 200", "502 200", "x tries", "ok", ""] {
            let err = bad.parse::<TriesKey>().unwrap_err();
            assert!(err.contains("e.g."), "{bad}: {err}");
        }
        assert_eq!(TriesKey::Count(1).to_string(), "1 try");
    }

    #[test]
    fn nginx_status_keys_are_three_digits() {
        assert!("009".parse::<NginxStatusKey>().is_ok());
        assert!("not logged".parse::<NginxStatusKey>().is_ok());
        for bad in ["9", "2000", "abc"] {
            assert!(bad.parse::<NginxStatusKey>().unwrap_err().contains("e.g."));
        }
    }

    #[test]
    fn duration_bounds_need_an_operator() {
        let b: DurationBound = ">= 1s".parse().unwrap();
        assert!(b.holds(Duration::from_secs(1)) && !b.holds(Duration::from_millis(999)));
        let b: DurationBound = "< 250ms".parse().unwrap();
        assert!(b.holds(Duration::from_millis(249)));
        assert_eq!(b.to_string(), "< 250ms");
        for bad in ["1s", ">= soon", "=> 1s"] {
            assert!(
                bad.parse::<DurationBound>().unwrap_err().contains("e.g."),
                "{bad}"
            );
        }
    }

    #[test]
    fn latency_keys_are_outcomes_or_all() {
        assert_eq!("all".parse(), Ok(LatencyKey::All));
        assert_eq!("504".parse(), Ok(LatencyKey::Outcome(Outcome::Status(504))));
        assert!("bogus".parse::<LatencyKey>().unwrap_err().contains("`all`"));
    }
}
