//! The per-request evidence of a failing phase, as text lines every format shows: what nginx
//! logged (statuses, upstream tries), what the upstreams received, then sample failed requests
//! with all three witnesses and their error.log lines (see [`witness`](crate::witness)).

use std::collections::BTreeMap;

use crate::result::{PhaseResult, Verdict};
use crate::witness::{Evidence, describe};

/// The evidence lines of `p`: its [`summary`] and its sample failed requests; none when it
/// passed or ran no traffic.
pub fn lines(p: &PhaseResult) -> Vec<String> {
    let e = &p.evidence;
    if p.verdict == Verdict::Pass || (e.nginx_status.is_empty() && e.samples.is_empty()) {
        return Vec::new();
    }
    let mut out = summary(e);
    out.extend(e.samples.iter().flat_map(describe));
    out
}

/// What nginx logged, its upstream tries and what the fakes received, in counts.
pub fn summary(e: &Evidence) -> Vec<String> {
    let mut out = vec![
        format!("nginx logged: {}", counts(&e.nginx_status)),
        format!("upstream tries: {}", counts(&e.tries)),
    ];
    if let Some(versions) = e.received.get("http_version") {
        let connection = e.received.get("connection").map(counts).unwrap_or_default();
        out.push(format!(
            "upstreams received: {}; Connection: {connection}",
            counts(versions)
        ));
    }
    let u = &e.unmatched;
    if u.not_in_nginx_log + u.not_in_client > 0 {
        out.push(format!(
            "{} requests the client finished have no nginx record; {} nginx logged have no client outcome",
            u.not_in_nginx_log, u.not_in_client
        ));
    }
    out
}

/// `"502"×39 "502, 200"×1`, most frequent first.
fn counts(map: &BTreeMap<String, u64>) -> String {
    let mut pairs: Vec<(&String, &u64)> = map.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = pairs.iter().map(|(v, n)| format!("\"{v}\"×{n}")).collect();
    if shown.is_empty() {
        "none".into()
    } else {
        shown.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::{self, QUOTED, REQUEST_LINE};

    #[test]
    fn every_format_shows_the_failed_requests_with_their_witnesses() {
        let result = sample::result();
        let shown = [
            ("terminal", crate::report::terminal::render(&result)),
            ("md", crate::report::markdown::render(&result)),
            ("junit", crate::report::junit::render(&result)),
            ("html", crate::report::html::render(&result)),
        ];
        for (format, text) in shown {
            let text = text.replace("&quot;", "\"");
            assert!(text.contains(REQUEST_LINE), "{format}: {text}");
            assert!(text.contains("nginx logged: \"502\"×20"), "{format}");
        }
        let json = crate::report::json::render(&result);
        let back: crate::result::RunResult = serde_json::from_str(&json).unwrap();
        let samples = &back.scenarios[1].phases[0].evidence.samples;
        assert_eq!(samples[0].log, [QUOTED]);
        assert_eq!(samples[0].status_sequence(), "502");
    }

    #[test]
    fn passing_phases_show_no_request_evidence() {
        let result = sample::result();
        assert!(lines(&result.scenarios[0].phases[0]).is_empty());
        assert!(!lines(&result.scenarios[1].phases[0]).is_empty());
    }
}
