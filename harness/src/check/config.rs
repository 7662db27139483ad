//! The `nginx -t` check: accepted as expected, or refused with the expected message.

use super::Check;
use crate::nginx::ConfigTest;
use crate::scenario::LogPattern;

pub(super) fn check(expected: Option<&LogPattern>, seen: &ConfigTest) -> Check {
    match (expected, seen) {
        (None, ConfigTest::Accepted) => {
            Check::new("nginx -t", true, "accepts the config", "accepted")
        }
        (None, ConfigTest::Rejected(msg)) => {
            Check::new("nginx -t", false, "accepts the config", "rejected")
                .with_evidence(vec![msg.clone()])
        }
        (Some(p), ConfigTest::Accepted) => Check::new(
            "nginx -t",
            false,
            format!("rejects the config with \"{p}\""),
            "accepted",
        ),
        (Some(p), ConfigTest::Rejected(msg)) => {
            let passed = msg.lines().any(|l| p.matches(l));
            let actual = if passed {
                "rejected with that message"
            } else {
                "rejected with another message"
            };
            Check::new(
                "nginx -t",
                passed,
                format!("rejects the config with \"{p}\""),
                actual,
            )
            .with_evidence(vec![msg.clone()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_must_carry_the_expected_message() {
        let msg = ConfigTest::Rejected(
            "nginx: [emerg] \"proxy_busy_buffers_size\" must be less than ...".into(),
        );
        let want = LogPattern::parse("proxy_busy_buffers_size").unwrap();
        assert!(check(Some(&want), &msg).passed);
        let other = LogPattern::parse("unknown directive").unwrap();
        assert!(!check(Some(&other), &msg).passed);
        assert!(!check(Some(&want), &ConfigTest::Accepted).passed);
        assert!(!check(None, &msg).passed);
        assert!(check(None, &ConfigTest::Accepted).passed);
    }
}
