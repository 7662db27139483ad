//! A handout for a course page: per scenario a Markdown page (story, symptom, progressive
//! hints, the fix as a diff, how to check one's own fix) and next to it an SVG of the outcome
//! timelines of the broken and the fixed phase, from a real run.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::check::outcomes_line;
use crate::hints::{Hint, fix_diff, hints};
use crate::result::{PhaseResult, ScenarioResult, Verdict};
use crate::scenario::Scenario;

/// Write `<dir>/<name>.md` and, when the run sent traffic, `<dir>/<name>.svg`; return the page.
pub fn write(s: &Scenario, result: &ScenarioResult, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let svg = timelines(result);
    let svg_name = format!("{}.svg", s.name);
    if let Some(svg) = &svg {
        std::fs::write(dir.join(&svg_name), svg)?;
    }
    let page = dir.join(format!("{}.md", s.name));
    std::fs::write(
        &page,
        markdown(s, result, svg.is_some().then_some(&svg_name)),
    )?;
    Ok(page)
}

/// The page; `svg` names the timeline file next to it.
pub fn markdown(s: &Scenario, result: &ScenarioResult, svg: Option<&String>) -> String {
    let mut out = format!("# {}\n\n", s.title.trim());
    let _ = writeln!(
        out,
        "_Scenario `{}`, recorded with nginx {}: {}._\n",
        s.name,
        result.nginx_version,
        match result.verdict {
            Verdict::Pass => "every check passed".to_string(),
            v => format!("the run's verdict was {}, see `badgateway run`", v.label()),
        }
    );
    let _ = writeln!(out, "## The story\n\n{}\n", s.story.trim());
    let _ = writeln!(out, "Troubleshooting step: {}\n", s.guide_step.trim());
    symptom(&mut out, s, result.phases.first());
    hint_list(&mut out, &hints(s));
    fix(&mut out, s, result.phases.last());
    timeline(&mut out, result, svg);
    let _ = writeln!(
        out,
        "## Check your own fix\n\nWrite your fix (what goes inside `http {{ }}`, with an optional \
         `location / {{ ... }}`) in a file and run:\n\n```sh\nbadgateway verify {} --config \
         my-fix.conf\n```\n\nIt runs your config against the same fault and says OK, or NO with \
         what differed and a hint.",
        s.name
    );
    out
}

/// What clients got with the broken config, and the error.log line that tells why.
fn symptom(out: &mut String, s: &Scenario, broken: Option<&PhaseResult>) {
    let Some(p) = broken else { return };
    let _ = writeln!(out, "## The symptom\n");
    if let Some(msg) = &p.config_rejected {
        // The run folder is gone once the page is read: name the file alone.
        let msg = msg.replace(&format!("{}/", p.run_dir.display()), "");
        let _ = writeln!(
            out,
            "`nginx -t` refuses the config (phase `{}`):\n\n```text\n{}\n```\n",
            p.name,
            msg.trim()
        );
        return;
    }
    if let Some(load) = &p.load {
        let _ = writeln!(
            out,
            "With the broken config (phase `{}`), clients got: {}.\n",
            p.name,
            outcomes_line(load)
        );
    }
    let proof: Vec<_> = s.proof_lines().collect();
    let line = (p.log.messages.iter())
        .find(|m| proof.iter().any(|pat| pat.matches(&m.example)))
        .or_else(|| {
            p.log
                .messages
                .iter()
                .find(|m| !matches!(m.level.as_str(), "notice" | "info" | "debug"))
        });
    if let Some(m) = line {
        let _ = writeln!(
            out,
            "nginx's error.log said ({}×):\n\n```text\n{}\n```\n",
            m.count,
            m.example.trim()
        );
    }
}

/// The hints, each folded so a reader opens them one at a time.
fn hint_list(out: &mut String, all: &[Hint]) {
    let _ = writeln!(out, "## Hints\n");
    for (i, h) in all.iter().enumerate() {
        let body = match fence(&h.text) {
            "diff" => format!("```diff\n{}\n```", h.text.trim_end()),
            _ => h.text.trim().replace('\n', "\n\n"),
        };
        let _ = writeln!(
            out,
            "<details><summary>Hint {}: {}</summary>\n\n{body}\n\n</details>\n",
            i + 1,
            crate::report::html::esc(&h.title)
        );
    }
}

/// `diff` for a text that is a unified diff, `text` otherwise.
fn fence(text: &str) -> &'static str {
    match text.lines().any(|l| l.starts_with("@@")) {
        true => "diff",
        false => "text",
    }
}

/// The config diff from the broken phase to the fixed one.
fn fix(out: &mut String, s: &Scenario, fixed: Option<&PhaseResult>) {
    let Some(phase) = fixed.and_then(|f| s.phases.iter().find(|p| p.name == f.name)) else {
        return;
    };
    let _ = writeln!(out, "## The fix\n");
    if let Some(about) = &phase.about {
        let _ = writeln!(out, "{}\n", about.trim());
    }
    match fix_diff(s, phase) {
        Some(diff) => {
            let _ = writeln!(out, "```diff\n{}\n```\n", diff.trim_end());
        }
        None => {
            let _ = writeln!(out, "The config stays the same; see the story.\n");
        }
    }
    if let Some(load) = fixed.and_then(|f| f.load.as_ref()) {
        let _ = writeln!(out, "With the fix, clients got: {}.\n", outcomes_line(load));
    }
}

fn timeline(out: &mut String, result: &ScenarioResult, svg: Option<&String>) {
    let Some(svg) = svg else { return };
    let _ = writeln!(
        out,
        "## Timeline\n\n![Outcomes per time slice of request start: the broken phase, then the \
         fix]({svg})\n"
    );
    for p in shown_phases(result) {
        if let Some(load) = &p.load {
            let _ = writeln!(out, "- `{}`: {}", p.name, outcomes_line(load));
        }
    }
    out.push('\n');
}

/// The broken (first) and fixed (last) phases that sent traffic.
fn shown_phases(result: &ScenarioResult) -> Vec<&PhaseResult> {
    let mut shown: Vec<&PhaseResult> = result.phases.first().into_iter().collect();
    shown.extend(result.phases.last().filter(|_| result.phases.len() > 1));
    shown.retain(|p| p.load.as_ref().is_some_and(|l| !l.timeline.is_empty()));
    shown
}

/// One standalone SVG: each shown phase's timeline chart under its name, stacked.
pub fn timelines(result: &ScenarioResult) -> Option<String> {
    const WIDTH: f64 = 960.0;
    const LABEL: f64 = 24.0;
    let mut body = String::new();
    let mut y = 0.0;
    for p in shown_phases(result) {
        let load = p.load.as_ref()?;
        let chart = crate::report::html::chart::timeline(load);
        let (Some(start), Some(end)) = (chart.find("<svg"), chart.rfind("</svg>")) else {
            continue;
        };
        let inner = &chart[start..end + "</svg>".len()];
        let (w, h) = view_box(inner).unwrap_or((WIDTH, 240.0));
        let _ = write!(
            body,
            "<text x=\"4\" y=\"{:.0}\" class=\"label\">{}: {}</text>",
            y + 16.0,
            crate::report::html::esc(&p.name),
            crate::report::html::esc(&outcomes_line(load))
        );
        let height = h * WIDTH / w;
        body.push_str(&inner.replacen(
            "<svg",
            &format!(
                "<svg x=\"0\" y=\"{:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\"",
                y + LABEL
            ),
            1,
        ));
        y += LABEL + height + 8.0;
    }
    (y > 0.0).then(|| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{y:.0}\" \
             viewBox=\"0 0 {WIDTH} {y:.0}\" font-family=\"sans-serif\">\
             <style>.axis{{stroke:#555}}.grid{{stroke:#999}}.tick{{font-size:11px;fill:#555}}\
             .label{{font-size:14px;fill:#222}}</style>\
             <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>{body}</svg>\n"
        )
    })
}

/// The width and height of an `<svg viewBox="0 0 W H">`.
fn view_box(svg: &str) -> Option<(f64, f64)> {
    let rest = &svg[svg.find("viewBox=\"")? + "viewBox=\"".len()..];
    let nums: Vec<f64> = rest[..rest.find('"')?]
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match nums[..] {
        [_, _, w, h] if w > 0.0 && h > 0.0 => Some((w, h)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_boxes_give_the_chart_size() {
        assert_eq!(
            view_box("<svg viewBox=\"0 0 960 224\">"),
            Some((960.0, 224.0))
        );
        assert_eq!(view_box("<svg>"), None);
        assert_eq!(view_box("<svg viewBox=\"0 0 0 5\">"), None);
    }

    #[test]
    fn diffs_are_fenced_as_diffs() {
        assert_eq!(fence("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y"), "diff");
        assert_eq!(fence("one\ntwo"), "text");
    }
}
