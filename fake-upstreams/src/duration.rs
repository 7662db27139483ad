//! Durations in config files (`500ms`, `5s`, `2m`), read with `humantime` and bounded: no
//! delay, timeout, pause or schedule step may be longer than [`MAX`]. A scenario that waits
//! longer is a typo (`5000s` for `5s`), and unbounded values overflow `Instant` arithmetic.
//! Use it as `#[serde(with = "fake_upstreams::duration")]` on a `Duration` or an
//! `Option<Duration>`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest duration a config may state.
pub const MAX: Duration = Duration::from_secs(3600);

/// A `Duration` or an `Option<Duration>`: the longest it states, if any.
pub trait Bounded {
    fn longest(&self) -> Option<Duration>;
}

impl Bounded for Duration {
    fn longest(&self) -> Option<Duration> {
        Some(*self)
    }
}

impl Bounded for Option<Duration> {
    fn longest(&self) -> Option<Duration> {
        *self
    }
}

/// Write it as humantime text (`1s 500ms`).
pub fn serialize<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    for<'a> humantime_serde::Serde<&'a T>: Serialize,
{
    humantime_serde::serialize(value, serializer)
}

/// Read humantime text, refusing anything above [`MAX`].
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Bounded,
    humantime_serde::Serde<T>: Deserialize<'de>,
{
    let value: T = humantime_serde::deserialize(deserializer)?;
    match value.longest() {
        Some(d) if d > MAX => Err(serde::de::Error::custom(format!(
            "duration {} is above the limit of 1h",
            humantime_serde::re::humantime::format_duration(d)
        ))),
        _ => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct T {
        #[serde(with = "super")]
        d: Duration,
        #[serde(default, with = "super")]
        o: Option<Duration>,
    }

    #[test]
    fn durations_up_to_an_hour_read_and_longer_ones_are_refused() {
        let t: T = serde_json::from_str(r#"{"d": "1h", "o": "500ms"}"#).unwrap();
        assert_eq!((t.d, t.o), (MAX, Some(Duration::from_millis(500))));
        for bad in [r#"{"d": "61m"}"#, r#"{"d": "1s", "o": "100000000h"}"#] {
            let err = serde_json::from_str::<T>(bad).unwrap_err().to_string();
            assert!(err.contains("above the limit of 1h"), "{err}");
        }
        let t: T = serde_json::from_str(r#"{"d": "2s"}"#).unwrap();
        assert_eq!(t.o, None);
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"d":"2s","o":null}"#);
    }
}
