//! Markdown of `check` and `compare` (`--report md=PATH`), fit for the CI job summary of a
//! config pull request: per upstream a fault × (clients got, verdict, catalogue scenario)
//! table; for `compare`, the Regressed / Fixed / Unchanged sections with before and after
//! outcome histograms; then the catalogue fixes and what could not be tested.

use std::fmt::Write;

use crate::confcheck::{
    Cell, Change, CheckReport, Comparison, ConfigChange, Defect, DnsCell, Untested,
};
use crate::fixes::Advice;

/// The check report as Markdown.
pub fn render_check(r: &CheckReport) -> String {
    let cells = || r.upstreams.iter().flat_map(|u| u.distinct_cells());
    let failing = cells().filter(|c| !c.survives).count();
    let verdict = if failing == 0 {
        "✅ survives every fault".to_string()
    } else {
        format!("❌ fails {failing} of {} faults", cells().count())
    };
    let mut out = format!(
        "## badgateway check `{}`: {verdict}\n\nnginx {}\n",
        text(&r.config.display().to_string()),
        text(&r.nginx_version)
    );
    for note in &r.notes {
        let _ = writeln!(out, "\n> note: {}", text(note));
    }
    for up in &r.upstreams {
        let _ = writeln!(out, "\n### upstream `{}`\n", text(&up.upstream.name));
        for s in &up.upstream.servers {
            let _ = writeln!(out, "- `{}`", text(&s.line));
        }
        if let Some(name) = &up.upstream.tls {
            let _ = writeln!(
                out,
                "- over TLS: its fakes present a certificate for `{}` from the run's CA",
                text(name)
            );
        }
        if let Some(played) = up.played_as() {
            let _ = writeln!(out, "- {}", text(&played));
        }
        for t in &up.targets {
            let _ = writeln!(
                out,
                "- via {} {} ({} `{}` Host: `{}`)",
                text(&t.server),
                text(&t.location),
                t.method(),
                text(&t.path),
                text(&t.host)
            );
        }
        out.push_str(
            "\n| fault | clients got | verdict | catalogue scenario |\n|---|---|---|---|\n",
        );
        for c in up.distinct_cells() {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                c.name(),
                histogram(Some(c)),
                verdict_of(c),
                scenario(c)
            );
        }
        for c in &up.dns {
            let verdict = if c.survives {
                "✅ survives"
            } else {
                "❌ fails"
            };
            let _ = writeln!(
                out,
                "| `{}` (DNS) | {} | {verdict} | `{}` |",
                c.column.name(),
                text(&c.summary()),
                c.column.scenario()
            );
        }
    }
    if r.upstreams.is_empty() {
        out.push_str("\nNo upstream could be tested.\n");
    }
    fixes(&mut out, cells().filter_map(|c| c.advice.as_ref()));
    defects(&mut out, &r.defects);
    untested(&mut out, "Not tested", &r.untested);
    changes(&mut out, &r.changes);
    out
}

/// The comparison as Markdown.
pub fn render_compare(c: &Comparison) -> String {
    let dns = c.dns_rows();
    let count = |k: &[Change]| {
        let dns = dns.iter().filter(|r| k.contains(&r.change)).count();
        c.rows.iter().filter(|r| k.contains(&r.change)).count() + dns
    };
    let regressed = count(&[Change::Regressed]);
    let verdict = if regressed == 0 {
        "✅ no regression".to_string()
    } else {
        format!("❌ {regressed} regressed")
    };
    let mut out = format!(
        "## badgateway compare: {verdict}\n\nbefore `{}` (nginx {}) → after `{}` (nginx {}) · \
         {} fixed, {regressed} regressed, {} unchanged\n",
        text(&c.before.config.display().to_string()),
        text(&c.before.nginx_version),
        text(&c.after.config.display().to_string()),
        text(&c.after.nginx_version),
        count(&[Change::Fixed]),
        count(&[Change::StillSurvives, Change::StillFails]),
    );
    let sections: [(&str, &[Change]); 4] = [
        ("Regressed", &[Change::Regressed]),
        ("Fixed", &[Change::Fixed]),
        ("Unchanged", &[Change::StillFails, Change::StillSurvives]),
        (
            "Tested in one config only",
            &[Change::OnlyBefore, Change::OnlyAfter],
        ),
    ];
    for (title, changes) in sections {
        let rows: Vec<_> = c
            .rows
            .iter()
            .filter(|r| changes.contains(&r.change))
            .collect();
        let dns_rows: Vec<_> = dns.iter().filter(|r| changes.contains(&r.change)).collect();
        if rows.is_empty() && dns_rows.is_empty() {
            if title != "Tested in one config only" {
                let _ = writeln!(out, "\n### {title}\n\nNone.");
            }
            continue;
        }
        let _ = writeln!(
            out,
            "\n### {title}\n\n| upstream | fault | before | after | catalogue scenario |\n\
             |---|---|---|---|---|"
        );
        for r in rows {
            let advice = r.after.as_ref().or(r.before.as_ref()).map(scenario);
            let _ = writeln!(
                out,
                "| `{}` | `{}` ({}) | {} | {} | {} |",
                text(&r.upstream),
                r.fault.name(),
                r.placement.label(),
                histogram(r.before.as_ref()),
                histogram(r.after.as_ref()),
                advice.unwrap_or_default()
            );
        }
        for r in dns_rows {
            let _ = writeln!(
                out,
                "| `{}` | `{}` (DNS server) | {} | {} | `{}` |",
                text(&r.upstream),
                r.column.name(),
                dns_histogram(r.before.as_ref()),
                dns_histogram(r.after.as_ref()),
                r.column.scenario()
            );
        }
    }
    fixes(
        &mut out,
        c.rows
            .iter()
            .filter(|r| r.change == Change::Regressed)
            .filter_map(|r| r.after.as_ref()?.advice.as_ref()),
    );
    untested(&mut out, "Not tested before", &c.before.untested);
    untested(&mut out, "Not tested after", &c.after.untested);
    out
}

/// Text made safe for Markdown (and a table cell): no pipes, backticks or line breaks.
fn text(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

/// `502×4 200×2` with a verdict mark, `–` when the cell did not run or saw no traffic.
fn histogram(c: Option<&Cell>) -> String {
    match c {
        None => "–".to_string(),
        Some(c) if c.outcomes.is_empty() => "no traffic".to_string(),
        Some(c) => format!("{} {}", if c.survives { "✅" } else { "❌" }, c.summary()),
    }
}

/// The same for a DNS column.
fn dns_histogram(c: Option<&DnsCell>) -> String {
    match c {
        None => "–".to_string(),
        Some(c) => format!("{} {}", if c.survives { "✅" } else { "❌" }, c.summary()),
    }
}

fn verdict_of(c: &Cell) -> &'static str {
    if c.survives {
        "✅ survives"
    } else {
        "❌ fails"
    }
}

fn scenario(c: &Cell) -> String {
    c.advice
        .as_ref()
        .map(|a| format!("`{}`", text(&a.scenario)))
        .unwrap_or_default()
}

/// Each distinct scenario's fix, once.
fn fixes<'a>(out: &mut String, advice: impl Iterator<Item = &'a Advice>) {
    let mut seen: Vec<&str> = Vec::new();
    for a in advice {
        if seen.contains(&a.scenario.as_str()) {
            continue;
        }
        if seen.is_empty() {
            out.push_str("\n### Fixes from the catalogue\n\n");
        }
        seen.push(&a.scenario);
        let _ = write!(
            out,
            "- **`{}`**: {}. {}",
            text(&a.scenario),
            text(&a.title),
            text(&a.guide_step)
        );
        if let Some(fix) = &a.fix {
            let _ = write!(out, " Proven fix ({}).", text(fix.trim_end_matches('.')));
        }
        let _ = writeln!(out, " Run `{}`", text(&a.command));
    }
}

fn defects(out: &mut String, list: &[Defect]) {
    let items = list.iter().map(|d| {
        let line = format!(
            "❌ {}: {}, because {}. Fix: `{}`",
            d.location, d.got, d.cause, d.fix
        );
        (line, &d.at)
    });
    bullets(out, "Defects (failing with every upstream healthy)", items);
}

fn untested(out: &mut String, title: &str, list: &[Untested]) {
    let items = list
        .iter()
        .map(|u| (format!("{}: {}", u.what, u.reason), &u.at));
    bullets(out, title, items);
}

fn changes(out: &mut String, list: &[ConfigChange]) {
    let items = list.iter().map(|c| (c.what.clone(), &c.at));
    bullets(
        out,
        "Changed for the test (addresses, listens and paths only)",
        items,
    );
}

/// A titled list of `line (file:line:col)` bullets; nothing when empty.
fn bullets<'a>(out: &mut String, title: &str, items: impl Iterator<Item = (String, &'a String)>) {
    let mut items = items.peekable();
    if items.peek().is_none() {
        return;
    }
    let _ = writeln!(out, "\n### {title}\n");
    for (line, at) in items {
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" ({})", text(at))
        };
        let _ = writeln!(out, "- {}{at}", text(&line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::confcheck::sample;

    #[test]
    fn check_has_a_table_per_upstream_fixes_and_untested() {
        let md = render_check(&sample::before());
        assert!(md.contains("❌ fails 1 of 3 faults"), "{md}");
        assert!(md.contains("### upstream `app`"), "{md}");
        assert!(md.contains("### upstream `api`"), "{md}");
        assert!(
            md.contains("| `refuse` | ❌ 502×6 | ❌ fails | `upstream-down` |"),
            "{md}"
        );
        assert!(
            md.contains("| `stall` | ✅ 200×6 | ✅ survives |  |"),
            "{md}"
        );
        // Once, with the pipe in the title escaped.
        assert_eq!(md.matches("**`upstream-down`**").count(), 1, "{md}");
        assert!(md.contains("backup \\| takes over"), "{md}");
        assert!(
            md.contains("### Not tested\n\n- location ~ \\.php$"),
            "{md}"
        );
    }

    #[test]
    fn compare_lists_a_regressed_dns_column() {
        let md = render_compare(&sample::dns_regression());
        assert!(md.contains("❌ 1 regressed"), "{md}");
        let regressed = md.split("### Fixed").next().unwrap();
        assert!(
            regressed.contains("| `app` | `dns_nxdomain` (DNS server) | ✅ 200×6 | ❌ 502×6 |"),
            "{md}"
        );
    }

    #[test]
    fn compare_has_regressed_fixed_and_unchanged_sections() {
        let md = render_compare(&sample::comparison());
        assert!(md.contains("❌ 1 regressed"), "{md}");
        let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("no {s} in {md}"));
        assert!(at("### Regressed") < at("### Fixed") && at("### Fixed") < at("### Unchanged"));
        let regressed = &md[at("### Regressed")..at("### Fixed")];
        assert!(
            regressed.contains(
                "| `app` | `stall` (one server) | ✅ 200×6 | ❌ 504×4 200×2 | `upstream-down` |"
            ),
            "{regressed}"
        );
        let fixed = &md[at("### Fixed")..at("### Unchanged")];
        assert!(
            fixed.contains("| `app` | `refuse` (one server) | ❌ 502×6 | ✅ 200×6 |"),
            "{fixed}"
        );
        assert!(md[at("### Unchanged")..].contains("`reset`"), "{md}");
        assert!(!md.contains("Tested in one config only"), "{md}");
        assert!(md.contains("### Not tested before"), "{md}");
    }
}
