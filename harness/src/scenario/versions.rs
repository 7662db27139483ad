//! nginx version ranges (`">=1.29.7"`, `">=1.22, <1.29.7"`) that scope a phase to the nginx
//! versions whose behaviour it records: nginx's defaults change between releases (1.29.7 made
//! upstream keep-alive the default), so one scenario can hold a phase per behaviour and each
//! nginx of a version matrix runs the phases that apply to it.

use std::cmp::Ordering;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A conjunction of comparisons against dotted version numbers; every one must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct VersionRange {
    text: String,
    bounds: Vec<(Op, Vec<u64>)>,
}

/// The comparison of one bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl VersionRange {
    /// Whether `version` (e.g. `1.30.6`; a suffix like `1.25.3.1` counts its extra parts) lies
    /// in the range. A version that is not dotted numbers matches nothing.
    pub fn matches(&self, version: &str) -> bool {
        let Some(v) = parse_version(version) else {
            return false;
        };
        self.bounds.iter().all(|(op, bound)| {
            let ord = compare(&v, bound);
            match op {
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
                Op::Eq => ord == Ordering::Equal,
            }
        })
    }
}

impl TryFrom<String> for VersionRange {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let mut bounds = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("==", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .into_iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|r| (op, r.trim())))
            .ok_or_else(|| {
                format!("`{part}` is not a version bound: write e.g. \">=1.29.7\" or \"<1.29.7\"")
            })?;
            let v = parse_version(rest)
                .ok_or_else(|| format!("`{rest}` is not a version like 1.29.7"))?;
            bounds.push((op, v));
        }
        Ok(VersionRange { text, bounds })
    }
}

impl From<VersionRange> for String {
    fn from(r: VersionRange) -> String {
        r.text
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_version(text: &str) -> Option<Vec<u64>> {
    text.split('.').map(|p| p.parse().ok()).collect()
}

/// Compare numerically, missing parts counting as 0 (`1.30` == `1.30.0`).
fn compare(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> VersionRange {
        VersionRange::try_from(text.to_string()).unwrap()
    }

    #[test]
    fn bounds_compare_numerically() {
        assert!(range(">=1.29.7").matches("1.30.6"));
        assert!(range(">=1.29.7").matches("1.29.7"));
        assert!(!range(">=1.29.7").matches("1.26.3"));
        assert!(range("<1.29.7").matches("1.22.1"));
        assert!(!range("<1.29.7").matches("1.100.0"));
        assert!(range(">=1.22, <1.29.7").matches("1.26.3"));
        assert!(!range(">=1.22, <1.29.7").matches("1.30.0"));
        assert!(range("=1.30").matches("1.30.0"));
        assert!(!range(">1.0").matches("unknown"));
    }

    #[test]
    fn bad_bounds_say_what_to_write() {
        let err = VersionRange::try_from("1.29.7".to_string()).unwrap_err();
        assert!(err.contains(">=1.29.7"), "{err}");
        assert!(VersionRange::try_from(">=one".to_string()).is_err());
    }
}
