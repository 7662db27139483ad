//! The terminal output of `load`: target, requests, requests per second, the outcome histogram,
//! the body checks, latency percentiles and one example per failure outcome. The `requests`,
//! `req/s`, `bodies` and `latency` lines are stable for scripts to read (`scripts/compare-load`).

use std::time::Duration;

use crate::load::LoadReport;

/// The text summary; `requests`, `req/s`, `bodies` and `latency` lines are stable for scripts
/// to read.
pub fn load(url: &str, connections: u16, duration: Duration, r: &LoadReport) -> String {
    let secs = Duration::from_millis(r.wall_ms).as_secs_f64();
    let l = &r.latency;
    let mut out = format!(
        "target    {} ({} connections, {:?})\n\
         requests  {} in {secs:.2} s\n\
         req/s     {:.1}\n\
         outcomes  {}\n\
         bodies    {} verified byte for byte, {} corrupt, {} 2xx without a digest\n\
         latency   p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  mean {:.3} ms\n",
        url,
        connections,
        duration,
        r.total,
        r.requests_per_sec,
        match crate::outcome::histogram(&r.outcomes) {
            text if text.is_empty() => "none".to_string(),
            text => text,
        },
        r.integrity.verified,
        r.integrity.corrupt,
        r.integrity.unverified_2xx,
        l.p50_ms,
        l.p90_ms,
        l.p99_ms,
        l.max_ms,
        l.mean_ms,
    );
    for (outcome, details) in &r.examples {
        if let Some(first) = details.first() {
            out.push_str(&format!("example   {outcome}: {first}\n"));
        }
    }
    out
}
