//! Share expressions: how many requests of a phase may end a given way.
//!
//! Written in YAML as `">= 95%"`, `"100%"`, `"< 5"`, `0`. A `%` makes the number a share of the
//! phase's requests; without it the number is a count. No operator means "exactly".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A comparison between what happened and what a scenario expects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareExpr {
    pub op: Cmp,
    pub value: f64,
    pub unit: Unit,
}

/// The comparison operator of a [`ShareExpr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

/// Whether the number is a percentage of all requests or a plain count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Percent,
    Count,
}

impl ShareExpr {
    /// Does `count` out of `total` satisfy the expression? An empty phase has share 0%.
    pub fn holds(&self, count: u64, total: u64) -> bool {
        let actual = match self.unit {
            Unit::Count => count as f64,
            Unit::Percent if total == 0 => 0.0,
            Unit::Percent => count as f64 * 100.0 / total as f64,
        };
        const EPS: f64 = 1e-9;
        match self.op {
            Cmp::Eq => (actual - self.value).abs() < EPS,
            Cmp::Ge => actual + EPS >= self.value,
            Cmp::Gt => actual > self.value + EPS,
            Cmp::Le => actual <= self.value + EPS,
            Cmp::Lt => actual + EPS < self.value,
        }
    }
}

/// Why a share expression could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "bad share expression `{0}`: write an optional operator (>=, >, <=, <, ==) and a count or a \
     percentage, e.g. \">= 95%\", \"100%\", \"0\", \"< 5\""
)]
pub struct BadShare(String);

impl FromStr for ShareExpr {
    type Err = BadShare;

    fn from_str(text: &str) -> Result<Self, BadShare> {
        let bad = || BadShare(text.to_string());
        let s = text.trim();
        let (op, rest) = [
            (">=", Cmp::Ge),
            ("<=", Cmp::Le),
            ("==", Cmp::Eq),
            (">", Cmp::Gt),
            ("<", Cmp::Lt),
            ("=", Cmp::Eq),
        ]
        .into_iter()
        .find_map(|(p, op)| s.strip_prefix(p).map(|r| (op, r.trim())))
        .unwrap_or((Cmp::Eq, s));
        let (number, unit) = match rest.strip_suffix('%') {
            Some(n) => (n.trim(), Unit::Percent),
            None => (rest, Unit::Count),
        };
        let value: f64 = number.parse().map_err(|_| bad())?;
        let in_range = value.is_finite()
            && value >= 0.0
            && (unit == Unit::Count || value <= 100.0)
            && (unit == Unit::Percent || value.fract() == 0.0);
        if !in_range {
            return Err(bad());
        }
        Ok(ShareExpr { op, value, unit })
    }
}

impl fmt::Display for ShareExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Cmp::Eq => "",
            Cmp::Ge => ">= ",
            Cmp::Gt => "> ",
            Cmp::Le => "<= ",
            Cmp::Lt => "< ",
        };
        let pct = if self.unit == Unit::Percent { "%" } else { "" };
        write!(f, "{op}{}{pct}", self.value)
    }
}

impl Serialize for ShareExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ShareExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A string such as `">= 95%"`, or a bare count (YAML `0`).
impl schemars::JsonSchema for ShareExpr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ShareExpr".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An optional operator (>=, >, <=, <, ==) and a count or a percentage, e.g. \">= 95%\", \"100%\", \"< 5\", 0.",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^\\s*(>=|<=|==|>|<|=)?\\s*[0-9]+(\\.[0-9]+)?\\s*%?\\s*$" }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> ShareExpr {
        s.parse().unwrap()
    }

    #[test]
    fn percentages_compare_against_the_share_of_all_requests() {
        assert!(e(">= 95%").holds(95, 100));
        assert!(!e(">= 95%").holds(94, 100));
        assert!(e("100%").holds(40, 40));
        assert!(!e("100%").holds(39, 40));
        assert!(e("0%").holds(0, 0));
        assert!(e("< 50 %").holds(1, 3));
    }

    #[test]
    fn plain_numbers_are_counts() {
        assert!(e("0").holds(0, 10));
        assert!(!e("0").holds(1, 10));
        assert!(e("<= 32").holds(32, 1000));
        assert!(e("> 0").holds(1, 1));
        assert!(e("== 3").holds(3, 9));
    }

    #[test]
    fn nonsense_is_rejected_with_a_hint() {
        for bad in ["lots", "=> 5", ">= 101%", "-1", "1.5", "", "95%%"] {
            let err = bad.parse::<ShareExpr>().unwrap_err().to_string();
            assert!(err.contains("e.g."), "{bad}: {err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [">= 95%", "100%", "0", "< 5"] {
            assert_eq!(e(s).to_string(), s);
            assert_eq!(e(&e(s).to_string()), e(s));
        }
    }
}
