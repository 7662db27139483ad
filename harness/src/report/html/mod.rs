//! `report.html`: one self-contained page a trainer opens from disk or projects (inline CSS
//! and SVG, no scripts, no network). An index of every scenario's verdict links to a section
//! per scenario: its title, story and guide step (Markdown, [`prose`]), its phases side by
//! side (timeline chart with the fault windows, outcome histogram), then per phase its checks,
//! latency, the counters of the servers its config names, the config diff against the
//! previous phase and the error.log grouped by message without nginx's start/stop notices;
//! phases skipped by `nginx_versions` last, with the reason. All other text is escaped.

pub mod chart;
mod parts;
mod prose;
mod scale;

use std::fmt::Write;

use crate::result::{PhaseResult, RunResult, ScenarioResult, Verdict};

const STYLE: &str = include_str!("style.css");

/// The whole page.
pub fn render(result: &RunResult) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>badgateway run {id}</title><style>{STYLE}</style></head><body>\n",
        id = esc(&result.run_id)
    );
    header(&mut out, result);
    index(&mut out, result);
    for s in &result.scenarios {
        scenario(&mut out, s, result.repeat);
    }
    out.push_str("</body></html>\n");
    out
}

/// Text safe inside HTML elements and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn verdict(v: Verdict) -> String {
    format!(
        "<span class=\"verdict {}\">{}</span>",
        v.label().to_lowercase(),
        v.label()
    )
}

/// A fragment id for a scenario attempt: letters, digits and dashes only.
fn anchor(s: &ScenarioResult) -> String {
    let name: String = s
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("s-{name}-{}", s.attempt)
}

fn header(out: &mut String, r: &RunResult) {
    let _ = writeln!(
        out,
        "<header><h1>badgateway run <code>{}</code> {}</h1><p>nginx {} (<code>{}</code>) · \
         seed {}{} · started {} · {:.1} s · {} passed, {} failed, {} errors, {} interrupted</p>\
         </header>",
        esc(&r.run_id),
        verdict(r.verdict),
        esc(&r.nginx.version),
        esc(&r.nginx.path.display().to_string()),
        r.seed,
        esc(&super::terminal::part_of(r)),
        esc(&r.started_at),
        r.wall_ms as f64 / 1000.0,
        r.count(Verdict::Pass),
        r.count(Verdict::Fail),
        r.count(Verdict::Error),
        r.count(Verdict::Interrupted),
    );
}

fn index(out: &mut String, r: &RunResult) {
    out.push_str(
        "<nav id=\"index\"><h2>Scenarios</h2><table><tr><th>scenario</th><th>what it shows</th>\
         <th>phases</th><th>verdict</th><th>time</th></tr>\n",
    );
    for s in &r.scenarios {
        let attempt = if r.repeat > 1 {
            format!(" <span class=\"muted\">#{}</span>", s.attempt)
        } else {
            String::new()
        };
        let mut phases: Vec<String> = s
            .phases
            .iter()
            .map(|p| format!("{} {}", esc(&p.name), mark(p.verdict)))
            .collect();
        phases.extend(s.skipped.iter().map(|p| {
            format!(
                "{} <span class=\"muted\" title=\"{}\">skipped</span>",
                esc(&p.name),
                esc(&p.reason)
            )
        }));
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{}\">{}</a>{attempt}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"num\">{:.1} s</td></tr>",
            anchor(s),
            esc(&s.name),
            esc(&s.title),
            phases.join(" · "),
            verdict(s.verdict),
            s.wall_ms as f64 / 1000.0
        );
    }
    out.push_str("</table></nav>\n");
}

fn mark(v: Verdict) -> &'static str {
    if v == Verdict::Pass {
        "<span class=\"ok\">✓</span>"
    } else {
        "<span class=\"bad\">✗</span>"
    }
}

fn scenario(out: &mut String, s: &ScenarioResult, repeat: u32) {
    let attempt = if repeat > 1 {
        format!(" <span class=\"muted\">attempt {}</span>", s.attempt)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<section class=\"scenario\" id=\"{}\"><h2>{}{attempt} {}</h2><p class=\"title\">{}</p>\
         <div class=\"guide\"><strong>Guide step</strong>{}</div><div class=\"story\">{}</div>\
         <p class=\"muted\">{} · nginx {} · seed {} · {:.1} s · <a href=\"#index\">back to the \
         index</a></p>",
        anchor(s),
        esc(&s.name),
        verdict(s.verdict),
        esc(&s.title),
        prose::render(&s.guide_step),
        prose::render(&s.story),
        esc(&s.file.display().to_string()),
        esc(&s.nginx_version),
        s.seed,
        s.wall_ms as f64 / 1000.0
    );
    if !s.checks.is_empty() {
        out.push_str("<h3>Scenario-wide checks</h3>");
        out.push_str(&parts::checks(&s.checks));
    }
    side_by_side(out, s);
    let mut previous: Option<&PhaseResult> = None;
    for p in &s.phases {
        phase(out, s, p, previous);
        previous = Some(p);
    }
    for skipped in &s.skipped {
        let _ = write!(
            out,
            "<article class=\"phase skipped\"><h3>Phase <code>{}</code> <span class=\"verdict \
             skipped\">SKIPPED</span></h3><p class=\"muted\">{}</p></article>",
            esc(&skipped.name),
            esc(&skipped.reason)
        );
    }
    out.push_str("</section>\n");
}

/// The phases next to each other (baseline beside fix): verdict, timeline and outcomes, in a
/// grid that falls back to one column on a narrow screen.
fn side_by_side(out: &mut String, s: &ScenarioResult) {
    let with_load: Vec<&PhaseResult> = s.phases.iter().filter(|p| p.load.is_some()).collect();
    if with_load.is_empty() {
        return;
    }
    out.push_str("<div class=\"compare\">");
    for p in with_load {
        let Some(load) = &p.load else { continue };
        let _ = write!(
            out,
            "<div class=\"cell\"><h3><a href=\"#{}\">{}</a> {} <span class=\"muted\">{} \
             requests</span></h3>{}{}</div>",
            phase_anchor(s, p),
            esc(&p.name),
            verdict(p.verdict),
            load.total,
            chart::timeline_with(load, &p.fault_windows),
            parts::histogram(load)
        );
    }
    out.push_str("</div>");
}

fn phase_anchor(s: &ScenarioResult, p: &PhaseResult) -> String {
    let name: String = (p.name.chars())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{}-{name}", anchor(s))
}

fn phase(out: &mut String, s: &ScenarioResult, p: &PhaseResult, previous: Option<&PhaseResult>) {
    let _ = write!(
        out,
        "<article class=\"phase\" id=\"{}\"><h3>Phase <code>{}</code> {}</h3>",
        phase_anchor(s, p),
        esc(&p.name),
        verdict(p.verdict)
    );
    if let Some(about) = &p.about {
        let _ = write!(out, "<div class=\"about\">{}</div>", prose::render(about));
    }
    if let Some(err) = &p.error {
        let _ = write!(out, "<p class=\"bad\">Harness error: {}</p>", esc(err));
    }
    if let Some(msg) = &p.config_rejected {
        let _ = write!(
            out,
            "<p>nginx -t rejected the config; no traffic ran.</p><pre class=\"quote\">{}</pre>",
            esc(msg)
        );
    }
    out.push_str(&parts::checks(&p.checks));
    let requests = super::requests::lines(p);
    if requests.is_empty() && !p.evidence.nginx_status.is_empty() {
        let summary: Vec<String> = super::requests::summary(&p.evidence)
            .iter()
            .map(|l| esc(l))
            .collect();
        let _ = write!(
            out,
            "<h4>nginx and the upstreams</h4><pre class=\"quote\">{}</pre>",
            summary.join("\n")
        );
    }
    if !requests.is_empty() {
        let quoted: Vec<String> = requests.iter().map(|l| esc(l)).collect();
        let _ = write!(
            out,
            "<h4>Requests <span class=\"muted\">(client · nginx · upstream)</span></h4>\
             <pre class=\"quote\">{}</pre>",
            quoted.join("\n")
        );
    }
    if let Some(load) = &p.load {
        let _ = write!(
            out,
            "<h4>Latency</h4>{}{}",
            parts::latency(load),
            parts::stages(load)
        );
    }
    if !p.upstreams.is_empty() {
        let _ = write!(
            out,
            "<h4>Upstream servers</h4>{}",
            parts::counters(&p.upstreams, p.servers_used.as_deref())
        );
    }
    let prev = previous.map(|q| (q.name.as_str(), q.config.as_str()));
    out.push_str(&parts::config(prev, &p.name, &p.config));
    out.push_str(&parts::log(&p.log));
    out.push_str("</article>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn the_page_is_self_contained_and_escapes_every_text() {
        let page = render(&sample::result());
        assert!(
            !page.contains("<script"),
            "no scripts, and titles are escaped"
        );
        assert!(page.contains("A title with &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;markup&lt;/b&gt; &amp; ampersands"));
        for external in ["http://", "https://", "src=", "@import", "url("] {
            let outside_svg_ns = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(
                !outside_svg_ns.contains(external),
                "external reference {external}"
            );
        }
    }

    #[test]
    fn a_story_with_a_script_renders_as_markdown_with_the_script_as_text() {
        let mut result = sample::result();
        result.scenarios[0].story = "The **only** server <script>alert(1)</script> is down.".into();
        let page = render(&result);
        assert!(page.contains("<strong>only</strong>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn gated_phases_show_as_skipped_with_the_reason() {
        let result = sample::with_skipped_phase();
        let page = render(&result);
        assert!(page.contains("new-behaviour <span class=\"muted\" title="));
        assert!(page.contains("<code>new-behaviour</code> <span class=\"verdict skipped\">"));
        assert!(page.contains("needs nginx &gt;=1.29.7; this is 1.22.1"));
    }

    #[test]
    fn phases_of_a_scenario_sit_side_by_side() {
        let page = render(&sample::result());
        let grid = page.find("<div class=\"compare\">").expect("a grid");
        let first_phase = page.find("<article class=\"phase\"").unwrap();
        assert!(
            grid < first_phase,
            "the grid comes before the phase details"
        );
        assert!(page.contains("<a href=\"#s-upstream-down-1-baseline\">baseline</a>"));
        assert!(page.contains("id=\"s-upstream-down-1-baseline\""));
    }

    #[test]
    fn index_links_every_scenario_section() {
        let page = render(&sample::result());
        for id in ["s-upstream-down-1", "s-broken-script--1"] {
            assert!(page.contains(&format!("href=\"#{id}\"")), "{id}");
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
    }

    #[test]
    fn phases_show_chart_counters_diff_and_grouped_log() {
        let page = render(&sample::result());
        assert_eq!(page.matches("<svg class=\"timeline\"").count(), 3);
        assert!(page.contains("fill=\"#e53935\"><title>0 ms–100 ms: 502×20</title>"));
        assert!(page.contains("fill=\"#2e9d4a\"><title>100 ms–200 ms: 200×15</title>"));
        assert!(page.contains("<span class=\"add\">+server b backup;</span>"));
        assert!(page.contains("<td><code>app.primary</code></td><td class=\"num\">20</td>"));
        assert!(
            !page.contains("app.spare"),
            "a server the phase's config does not name has no counters row"
        );
        assert!(page.contains("connect() failed (111: Connection refused)</code></td>"));
        assert!(page.contains("<td class=\"num\">20</td><td><code title="));
        assert!(page.contains("<td>1.5 ms</td><td>2.5 ms</td><td>9.0 ms</td><td>12.0 ms</td>"));
    }
}
