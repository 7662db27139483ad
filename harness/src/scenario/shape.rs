//! The YAML forms of a traffic stage's shape: an open-model arrival [`Rate`] (`50/s`), a
//! per-connection request [`Step`] sequence (`GET /a`), and a connection [`Ramp`].
//!
//! Each is read from its text form when the YAML is parsed, so a malformed value is reported at
//! its own line and column.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The highest arrival rate a stage may ask for, in requests per second.
pub const MAX_RATE: f64 = 100_000.0;

/// Requests started per second whatever the responses take (open model): request `i` of the
/// stage starts `i / rate` after the stage began. Written `50/s` or `600/m`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second, above 0 and at most [`MAX_RATE`].
    pub per_second: f64,
    /// Whether it was written per minute (`600/m`), to write it back the same way.
    per_minute: bool,
}

impl Rate {
    /// The time between two scheduled request starts.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("rate `{s}` is not `N/s` or `N/m` (e.g. `50/s`)");
        let (number, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let per_minute = match unit.trim() {
            "s" => false,
            "m" => true,
            _ => return Err(bad()),
        };
        let n: f64 = number.trim().parse().map_err(|_| bad())?;
        let per_second = if per_minute { n / 60.0 } else { n };
        if !per_second.is_finite() || per_second <= 0.0 || per_second > MAX_RATE {
            return Err(format!(
                "rate `{s}` must be above 0 and at most {MAX_RATE}/s"
            ));
        }
        Ok(Rate {
            per_second,
            per_minute,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.per_minute {
            write!(f, "{}/m", self.per_second * 60.0)
        } else {
            write!(f, "{}/s", self.per_second)
        }
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Requests started per second (`50/s`) or minute (`600/m`), whatever the responses take.",
            "type": "string",
            "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*/\s*[sm]\s*$"
        })
    }
}

/// One entry of a request sequence: `METHOD /path`, e.g. `POST /login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub method: http::Method,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl FromStr for Step {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split_whitespace();
        let (Some(method), Some(path), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "sequence entry `{s}` is not `METHOD /path` (e.g. `GET /a`)"
            ));
        };
        if !super::METHODS.contains(&method) {
            return Err(format!(
                "sequence entry `{s}`: unsupported method `{method}`: use one of {}",
                super::METHODS.join(", ")
            ));
        }
        let path_ok = path.starts_with('/') && path.bytes().all(|b| b.is_ascii_graphic());
        if !path_ok || path.parse::<http::Uri>().is_err() {
            return Err(format!(
                "sequence entry `{s}`: path `{path}` must start with `/` and be a valid request \
                 target"
            ));
        }
        Ok(Step {
            method: method.parse().expect("listed methods are valid"),
            path: path.to_string(),
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Step {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let methods = super::METHODS.join("|");
        schemars::json_schema!({
            "description": "`METHOD /path`, e.g. `GET /a` or `POST /login?next=/`.",
            "type": "string",
            "pattern": format!(r"^\s*({methods})\s+/\S*\s*$")
        })
    }
}

/// Open the stage's connections spread evenly over `over` instead of all at once: connection
/// `w` (of `connections`) opens `w × over / connections` after the stage began; the stage's
/// other connections (when `connections` is below `concurrency`) open at `over`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// Connections to spread; default: the stage's `concurrency`.
    #[serde(default)]
    pub connections: Option<usize>,
    #[serde(with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::duration")]
    pub over: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_per_second_and_per_minute() {
        let r: Rate = "50/s".parse().unwrap();
        assert_eq!(r.per_second, 50.0);
        assert_eq!(r.interval(), Duration::from_millis(20));
        let r: Rate = "120/m".parse().unwrap();
        assert_eq!(r.per_second, 2.0);
        assert_eq!(r.to_string(), "120/m");
        for bad in ["50", "0/s", "-1/s", "50/h", "x/s", "1000000/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_are_a_method_and_a_path() {
        let s: Step = "POST /login?next=/".parse().unwrap();
        assert_eq!(
            (s.method, s.path.as_str()),
            (http::Method::POST, "/login?next=/")
        );
        for bad in ["GET", "FETCH /a", "GET a", "GET /a b", "get /a", ""] {
            assert!(bad.parse::<Step>().is_err(), "{bad}");
        }
    }
}
