//! The terminal output of `explain`: a scenario's story wrapped to 96 columns, its guide step,
//! its servers and faults, and each phase's config as a unified diff against the phase before
//! (upstream addresses shown symbolically), then the progressive hints; [`hint_text`] is the
//! one place a hint becomes text (`explain`, `verify`).

use crate::hints::{Hint, hints};
use crate::scenario::{Scenario, config_diff, config_text};

/// The explanation as text.
pub fn explain(s: &Scenario) -> String {
    let mut out = format!(
        "{name}: {title}\n\nGuide step: {step}\n\n{story}\n",
        name = s.name,
        title = s.title,
        step = s.guide_step.trim(),
        story = textwrap(s.story.trim(), 96)
    );
    out.push_str("\nUpstream servers:\n");
    for (upstream, servers) in &s.upstreams {
        for (name, fault) in servers {
            out.push_str(&format!("  {upstream}.{name}: {}\n", describe(fault)));
        }
    }
    if !s.dns.is_empty() {
        out.push_str("\nDNS names (the fake DNS server's answers):\n");
        for (name, spec) in &s.dns.0 {
            out.push_str(&format!("  {name}: {}\n", spec.describe()));
        }
    }
    let mut previous: Option<(String, String)> = None;
    for phase in &s.phases {
        let text = config_text(s, phase);
        out.push_str(&format!("\nPhase `{}`", phase.name));
        if let Some(about) = &phase.about {
            out.push_str(&format!(": {}", about.trim()));
        }
        out.push('\n');
        match &previous {
            None => out.push_str(&indent(&text)),
            Some((prev_name, prev_text)) if prev_text == &text => {
                out.push_str(&format!("  (same config as `{prev_name}`)\n"))
            }
            Some((prev_name, prev_text)) => {
                out.push_str(&indent(&config_diff(
                    prev_name,
                    prev_text,
                    &phase.name,
                    &text,
                )));
            }
        }
        previous = Some((phase.name.clone(), text));
    }
    let all = hints(s);
    out.push_str("\nHints (progressive; the last is the solution):\n");
    for (i, h) in all.iter().enumerate() {
        out.push_str(&indent(&hint_text(i + 1, all.len(), h)));
    }
    out
}

/// `Hint 2/4 — The error.log line: Look for ...`; a multi-line text (a diff) goes below.
pub fn hint_text(number: usize, total: usize, h: &Hint) -> String {
    let head = format!("Hint {number}/{total} — {}:", h.title);
    match h.text.trim_end().split_once('\n') {
        None => format!("{head} {}\n", h.text.trim()),
        Some(_) => format!("{head}\n{}", indent(h.text.trim_end())),
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// `text` with its whitespace folded, wrapped at `width` columns.
pub(crate) fn textwrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        if line_len > 0 && line_len + 1 + word.len() > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out
}

/// `stall`, `reset (probability 0.5)`, `refuse, then healthy after 1s`.
fn describe(spec: &fake_upstreams::ServerSpec) -> String {
    let mut text = spec.fault.kind().to_string();
    if let Some(p) = spec.probability {
        text.push_str(&format!(" (probability {p})"));
    }
    if spec.limit.is_some() {
        text.push_str(" (connection limit)");
    }
    for step in &spec.schedule {
        let after = humantime::format_duration(step.after);
        text.push_str(&format!(", then {} after {after}", step.fault.kind()));
    }
    text
}
