//! The tables and blocks of one phase in the HTML report: checks, outcome histogram,
//! latency, upstream counters, config diff and the grouped error.log.

use std::collections::BTreeMap;
use std::fmt::Write;

use fake_upstreams::counters::CounterSnapshot;

use super::chart::colour;
use super::esc;
use crate::check::Check;
use crate::errorlog::LogSummary;
use crate::load::LoadReport;
use crate::scenario::config_diff;

/// Every check of a phase (or scenario), failed ones with their quoted evidence.
pub fn checks(checks: &[Check]) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<table class=\"checks\"><tr><th></th><th>check</th><th>expected</th><th>actual</th></tr>",
    );
    for c in checks {
        let (class, mark) = if c.passed {
            ("ok", "✓")
        } else {
            ("bad", "✗")
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td>{mark}</td><td>{}</td><td><code>{}</code></td>\
             <td><code>{}</code></td></tr>",
            esc(&c.what),
            esc(&c.expected),
            esc(&c.actual)
        );
        if !c.evidence.is_empty() {
            let quoted: Vec<String> = c.evidence.iter().map(|e| esc(e)).collect();
            let _ = write!(
                out,
                "<tr class=\"{class}\"><td></td><td colspan=\"3\"><pre class=\"quote\">{}</pre>\
                 </td></tr>",
                quoted.join("\n")
            );
        }
    }
    out + "</table>"
}

/// Outcome counts with proportional bars, most frequent first.
pub fn histogram(load: &LoadReport) -> String {
    let pairs = crate::outcome::by_count(&load.outcomes);
    let mut out = String::from(
        "<table class=\"histogram\"><tr><th>outcome</th><th>requests</th><th>share</th><th></th></tr>",
    );
    for (o, n) in pairs {
        let share = n as f64 * 100.0 / load.total.max(1) as f64;
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{n}</td><td class=\"num\">{share:.1}%</td>\
             <td class=\"barcell\"><span class=\"bar\" style=\"width:{share:.1}%;background:{}\">\
             </span></td></tr>",
            esc(&o.to_string()),
            colour(o)
        );
    }
    out + "</table>"
}

/// One row per traffic stage, in the order they ran (outcomes, late starts of a `rate`, wall
/// time); nothing for a phase of one stage without late starts.
pub fn stages(load: &LoadReport) -> String {
    if load.by_stage.len() < 2 && load.late_starts == 0 {
        return String::new();
    }
    let mut out = String::from(
        "<h4>Stages</h4><table class=\"stages\"><tr><th>stage</th><th>outcomes</th>\
         <th>late starts</th><th>max late</th><th>time</th></tr>",
    );
    for s in &load.by_stage {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{} ms</td><td class=\"num\">{:.1} s</td></tr>",
            esc(&s.name),
            esc(&crate::outcome::histogram(&s.outcomes)),
            s.late_starts,
            s.max_late_ms,
            s.wall_ms as f64 / 1000.0
        );
    }
    out + "</table>"
}

/// p50/p90/p99/max latency, throughput and body integrity.
pub fn latency(load: &LoadReport) -> String {
    let l = &load.latency;
    format!(
        "<table class=\"latency\"><tr><th>p50</th><th>p90</th><th>p99</th><th>max</th>\
         <th>mean</th><th>requests/s</th><th>bodies verified</th></tr><tr><td>{:.1} ms</td>\
         <td>{:.1} ms</td><td>{:.1} ms</td><td>{:.1} ms</td><td>{:.1} ms</td><td>{:.0}</td>\
         <td>{} (corrupt {})</td></tr></table>",
        l.p50_ms,
        l.p90_ms,
        l.p99_ms,
        l.max_ms,
        l.mean_ms,
        load.requests_per_sec,
        load.integrity.verified,
        load.integrity.corrupt
    )
}

/// What each fake server the phase uses saw: connections, requests, fired, over_limit (and
/// TLS handshakes). A server the phase's config does not name (`used`) is left out unless
/// something reached it anyway.
pub fn counters(upstreams: &BTreeMap<String, CounterSnapshot>, used: Option<&[String]>) -> String {
    let shown = |name: &String, c: &CounterSnapshot| {
        used.is_none_or(|u| u.contains(name)) || c.connections + c.requests > 0
    };
    let upstreams: Vec<_> = upstreams.iter().filter(|(n, c)| shown(n, c)).collect();
    if upstreams.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<table class=\"counters\"><tr><th>server</th><th>connections</th><th>requests</th>\
         <th>fired</th><th>over_limit</th></tr>",
    );
    for (name, c) in upstreams {
        let note = if !c.observable {
            " <span class=\"muted\">(never accepts: counts stay 0)</span>".to_string()
        } else if c.handshakes + c.tls_failed > 0 {
            format!(
                " <span class=\"muted\">(TLS: {} handshakes, {} resumed, {} failed)</span>",
                c.handshakes, c.resumed, c.tls_failed
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{note}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            c.connections,
            c.requests,
            c.fired,
            c.over_limit
        );
    }
    out + "</table>"
}

/// The config of the first phase in full; later phases as a diff against the previous one.
pub fn config(previous: Option<(&str, &str)>, name: &str, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let (summary, body) = match previous {
        None => ("config".to_string(), lines(text, false)),
        Some((_, prev)) if prev == text => {
            return "<p class=\"muted\">Same config as the previous phase.</p>".into();
        }
        Some((prev_name, prev)) => (
            format!("config changes since <code>{}</code>", esc(prev_name)),
            lines(&config_diff(prev_name, prev, name, text), true),
        ),
    };
    format!(
        "<details open><summary>{summary}</summary><pre class=\"config\">{body}</pre></details>"
    )
}

/// Escaped lines; in a diff, `+`/`-`/`@@` lines get classes for colour.
fn lines(text: &str, diff: bool) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let class = match line.as_bytes().first() {
            _ if !diff => "",
            _ if line.starts_with("+++") || line.starts_with("---") => "file",
            Some(b'+') => "add",
            Some(b'-') => "del",
            Some(b'@') => "hunk",
            _ => "",
        };
        let _ = writeln!(out, "<span class=\"{class}\">{}</span>", esc(line));
    }
    out
}

/// The error.log grouped by message, most frequent first, without nginx's start/stop notices
/// (counted in a note; the raw error.log in the run dir keeps them).
pub fn log(summary: &LogSummary) -> String {
    let (messages, notices) = summary.for_people();
    let note = if notices > 0 {
        format!(" <span class=\"muted\">({notices} start/stop notices of nginx not shown)</span>")
    } else {
        String::new()
    };
    if messages.is_empty() {
        return format!("<p class=\"muted\">error.log: no lines about the traffic.{note}</p>");
    }
    let mut out = format!(
        "<details open><summary>error.log, grouped by message{note}</summary><table class=\"log\">\
         <tr><th>level</th><th>count</th><th>message</th></tr>"
    );
    for m in messages {
        let _ = write!(
            out,
            "<tr class=\"lvl-{}\"><td>{}</td><td class=\"num\">{}</td><td><code title=\"{}\">{}\
             </code></td></tr>",
            esc(&m.level),
            esc(&m.level),
            m.count,
            esc(&m.example),
            esc(&m.message)
        );
    }
    out + "</table></details>"
}
