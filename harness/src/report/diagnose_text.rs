//! The terminal output of `diagnose`: the line counts, then each upstream failure cause with
//! its count, first and last time, upstreams and methods, what the client got, the fix, and the
//! catalogue scenario that reproduces it (or that none does yet); other nginx messages and
//! foreign lines last.

use crate::diagnose::{CauseReport, ClientSees, Diagnosis, Family};

/// The whole diagnosis as text.
pub fn diagnose(d: &Diagnosis) -> String {
    let mut out = format!(
        "{} lines: {} from nginx ({}), {} not nginx error.log lines\n",
        d.lines,
        d.nginx_lines,
        d.by_level
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        d.unknown_lines
    );
    if d.undated_lines > 0 {
        out.push_str(&format!(
            "{} nginx lines had no timestamp (pasted from their middle): read by their message\n",
            d.undated_lines
        ));
    }
    if d.causes.is_empty() {
        out.push_str("\nno upstream failures found\n");
    }
    for c in &d.causes {
        out.push_str(&render_cause(c));
    }
    if !d.other.is_empty() {
        out.push_str("\nother nginx messages:\n");
        for m in d.other.iter().take(10) {
            out.push_str(&format!("  {:>7}  [{}] {}\n", m.count, m.level, m.message));
        }
    }
    if let Some(e) = &d.unknown_example {
        out.push_str(&format!(
            "\n{} lines not in nginx's format, e.g.: {e}\n",
            d.unknown_lines
        ));
    }
    if d.binary_lines > 0 {
        out.push_str(&format!(
            "{} lines held NUL bytes (binary data) and were skipped\n",
            d.binary_lines
        ));
    }
    if d.cut_lines > 0 {
        out.push_str(&format!(
            "{} lines longer than {} KiB were read only that far\n",
            d.cut_lines,
            crate::diagnose::MAX_LINE / 1024
        ));
    }
    if d.dropped > 0 {
        out.push_str(&format!(
            "{} lines of further distinct messages counted only\n",
            d.dropped
        ));
    }
    out
}

fn render_cause(c: &CauseReport) -> String {
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let level = if c.level.is_empty() { "?" } else { &c.level };
    let mut out = format!("\n{:>7}  [{level}] {}\n", c.count, c.message);
    if !c.first.is_empty() {
        out.push_str(&format!("         first {}  last {}\n", c.first, c.last));
    }
    if !c.upstreams.is_empty() {
        out.push_str(&format!("         upstreams: {}\n", list(&c.upstreams)));
    }
    if !c.methods.is_empty() {
        out.push_str(&format!("         methods: {}\n", list(&c.methods)));
    }
    out.push_str(&format!("         client got: {}\n", client(c.client)));
    out.push_str(&format!("         fix: {}\n", c.fix));
    out.push_str(&render_advice(c));
    out
}

fn client(sees: ClientSees) -> String {
    match sees {
        ClientSees::Status(s) => s.to_string(),
        ClientSees::Truncated => "the status (a 200) had gone out; the body was cut short".into(),
        ClientSees::NextServer => {
            "the next server's answer (nginx retried; 502 when no server was left)".into()
        }
        ClientSees::ApplicationStatus => "whatever the application answered".into(),
        ClientSees::Http09 => "the upstream's bytes as an HTTP/0.9 response (status 009)".into(),
        ClientSees::Status500OrClosed => "500, or the connection closed unanswered".into(),
        ClientSees::NginxNotStarted => "nothing: nginx refused the config and did not start".into(),
        ClientSees::NothingByItself => "nothing by itself (the server is skipped a while)".into(),
        ClientSees::TunnelClosed => {
            "the 101 had gone out; the WebSocket ended without a close frame (1006)".into()
        }
    }
}

fn render_advice(c: &CauseReport) -> String {
    let mut out = String::new();
    match c.advice.first() {
        Some(a) => {
            out.push_str(&format!(
                "         reproduced by `{}`: {}\n",
                a.scenario, a.title
            ));
            out.push_str(&format!("         guide: {}\n", a.guide_step));
            if let Some(fix) = &a.fix {
                out.push_str(&format!("         proven fix ({fix})\n"));
            }
            out.push_str(&format!("         run: {}\n", a.command));
            let more: Vec<&str> = c.advice[1..].iter().map(|a| a.scenario.as_str()).collect();
            if !more.is_empty() {
                out.push_str(&format!("         see also: {}\n", more.join(", ")));
            }
        }
        None => out.push_str("         no catalogue scenario reproduces this cause yet\n"),
    }
    let uses = c.advice.first().and_then(|a| a.directive.as_deref());
    let p = c.cause.family.prefix();
    let other_family = !matches!(c.cause.family, Family::Proxy | Family::Unknown);
    if other_family && uses.is_some_and(|d| d.strip_suffix("_pass") != Some(p)) {
        out.push_str(&format!(
            "         (the scenario uses {}; for this {p} upstream the directives are {p}_*)\n",
            uses.unwrap_or("proxy_pass")
        ));
    }
    out
}
