//! The terminal output of `check` and `compare`: per upstream the fault × (clients got,
//! verdict, catalogue scenario) table, what could not be tested, the before/after diff, and
//! the catalogue fix of each failing fault, once. Plain text for people; `--json` and the
//! `--report` files are the machine-readable forms.

use crate::confcheck::{Cell, Change, CheckReport, Comparison, Placement, UpstreamReport};
use crate::fixes::Advice;

/// The terminal table of one report.
pub fn check(r: &CheckReport) -> String {
    let mut out = format!(
        "config: {} (nginx {})\n",
        r.config.display(),
        r.nginx_version
    );
    for note in &r.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for d in &r.defects {
        out.push_str(&format!(
            "\nDEFECT {} ({}): {}\n  because {}\n  fix: {}\n",
            d.location, d.at, d.got, d.cause, d.fix
        ));
    }
    for up in &r.upstreams {
        out.push_str(&format!("\nupstream {}", up.upstream.name));
        let servers: Vec<&str> = up
            .upstream
            .servers
            .iter()
            .map(|s| s.line.as_str())
            .collect();
        out.push_str(&format!("  [{}]\n", servers.join("; ")));
        if let Some(name) = &up.upstream.tls {
            out.push_str(&format!(
                "  over TLS: its fakes present a certificate for {name} from the run's CA\n"
            ));
        }
        if let Some(played) = up.played_as() {
            out.push_str(&format!("  {played}\n"));
        }
        for t in &up.targets {
            out.push_str(&format!("  via {}\n", t.described()));
        }
        out.push_str(&fault_table(up));
        out.push_str(&dns_rows(up));
    }
    match (r.upstreams.is_empty(), r.defects.is_empty()) {
        (true, true) => out.push_str("\nno upstream could be tested\n"),
        (true, false) => out.push_str("\nno upstream could be tested past the defects above\n"),
        _ => {}
    }
    out.push_str(&fixes(
        r.upstreams
            .iter()
            .flat_map(|u| &u.cells)
            .filter_map(|c| c.advice.as_ref()),
    ));
    out.push_str(&changes(r));
    if !r.untested.is_empty() {
        out.push_str("\nnot tested:\n");
        for u in &r.untested {
            let at = if u.at.is_empty() {
                String::new()
            } else {
                format!(" ({})", u.at)
            };
            out.push_str(&format!("  - {}: {}{at}\n", u.what, u.reason));
        }
    }
    out
}

/// The fault table of one upstream: with two or more primaries a column for one server
/// playing the fault and one for all primaries; with one primary, the one column.
fn fault_table(up: &UpstreamReport) -> String {
    let both = up.primaries() > 1;
    let mut out = match both {
        true => format!(
            "  {:<22} {:<34} {:<34} {}\n",
            "FAULT", "ONE SERVER PLAYS IT", "ALL PRIMARIES PLAY IT", "CATALOGUE"
        ),
        false => format!("  {:<22} {:<34} {}\n", "FAULT", "CLIENTS GOT", "CATALOGUE"),
    };
    let verdict = |c: &Cell| {
        let word = if c.survives { "survives" } else { "FAILS" };
        format!("{} {word}", c.summary())
    };
    for one in up
        .cells
        .iter()
        .filter(|c| c.placement == Placement::OneServer)
    {
        let all = up
            .cells
            .iter()
            .find(|c| c.fault == one.fault && c.placement == Placement::AllPrimaries);
        let advice = [Some(one), all]
            .into_iter()
            .flatten()
            .find_map(|c| c.advice.as_ref());
        let scenario = advice.map_or("", |a| a.scenario.as_str());
        let mut line = format!("  {:<22} {:<34} ", one.fault.name(), verdict(one));
        if both {
            line.push_str(&format!("{:<34} ", all.map(verdict).unwrap_or_default()));
        }
        out.push_str(format!("{line}{scenario}").trim_end());
        out.push('\n');
    }
    out
}

/// The DNS columns of an upstream reached through a variable address (every server
/// healthy; the fake DNS server misbehaves for its names), below its fault table.
fn dns_rows(up: &UpstreamReport) -> String {
    let mut out = String::new();
    for c in &up.dns {
        let word = if c.survives { "survives" } else { "FAILS" };
        let verdict = format!("{} {word}", c.summary());
        let line = format!(
            "  {:<22} {:<34} {}",
            c.column.name(),
            verdict,
            c.column.scenario()
        );
        out.push_str(line.trim_end());
        out.push('\n');
        for l in &c.log {
            out.push_str(&format!("    {l}\n"));
        }
    }
    out
}

/// What the rewrite changed for the test, each distinct change once with where it was
/// written (and how many more places it applies to).
fn changes(r: &CheckReport) -> String {
    let mut seen: Vec<(&str, &str, usize)> = Vec::new();
    for c in &r.changes {
        match seen.iter_mut().find(|(what, _, _)| *what == c.what) {
            Some((_, _, more)) => *more += 1,
            None => seen.push((&c.what, &c.at, 0)),
        }
    }
    if seen.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nchanged for the test (addresses, listens and paths only):\n");
    for (what, at, more) in seen {
        let at = match (at.is_empty(), more) {
            (true, _) => String::new(),
            (false, 0) => format!(" ({at})"),
            (false, n) => format!(" ({at} and {n} more)"),
        };
        out.push_str(&format!("  - {what}{at}\n"));
    }
    out
}

/// The before/after table of a comparison, with the fix of every regressed fault.
pub fn compare(c: &Comparison) -> String {
    let mut out = format!(
        "before: {} (nginx {})\nafter:  {} (nginx {})\n\n  {:<16} {:<22} {:<14} {:<22} {:<22} {}\n",
        c.before.config.display(),
        c.before.nginx_version,
        c.after.config.display(),
        c.after.nginx_version,
        "UPSTREAM",
        "FAULT",
        "PLAYED BY",
        "BEFORE",
        "AFTER",
        "CHANGE"
    );
    let cell = |x: &Option<Cell>| x.as_ref().map_or("-".to_string(), |c| c.summary());
    for r in &c.rows {
        let change = r.change.label();
        out.push_str(&format!(
            "  {:<16} {:<22} {:<14} {:<22} {:<22} {change}\n",
            r.upstream,
            r.fault.name(),
            r.placement.label(),
            cell(&r.before),
            cell(&r.after)
        ));
        // Which locations moved, when the upstream serves more than one.
        if r.locations.len() > 1 {
            for (location, change) in &r.locations {
                if matches!(change, Change::Fixed | Change::Regressed) {
                    out.push_str(&format!("      ↳ {location}: {}\n", change.label()));
                }
            }
        }
    }
    for r in c.dns_rows() {
        let dns = |x: &Option<crate::confcheck::DnsCell>| {
            x.as_ref().map_or("-".to_string(), |c| c.summary())
        };
        out.push_str(&format!(
            "  {:<16} {:<22} {:<14} {:<22} {:<22} {}\n",
            r.upstream,
            r.column.name(),
            "DNS server",
            dns(&r.before),
            dns(&r.after),
            r.change.label()
        ));
    }
    let dns = c.dns_rows();
    let count = |k: Change| {
        let dns = dns.iter().filter(|r| r.change == k).count();
        c.rows.iter().filter(|r| r.change == k).count() + dns
    };
    out.push_str(&format!(
        "\n{} fixed, {} regressed, {} unchanged\n",
        count(Change::Fixed),
        count(Change::Regressed),
        count(Change::StillSurvives) + count(Change::StillFails)
    ));
    for d in c.new_defects() {
        out.push_str(&format!(
            "NEW DEFECT {} ({}): {}\n  because {}\n  fix: {}\n",
            d.location, d.at, d.got, d.cause, d.fix
        ));
    }
    let regressed = c.rows.iter().filter(|r| r.change == Change::Regressed);
    out.push_str(&fixes(
        regressed.filter_map(|r| r.after.as_ref()?.advice.as_ref()),
    ));
    out
}

/// Each distinct scenario's fix, once.
fn fixes<'a>(advice: impl Iterator<Item = &'a Advice>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::new();
    for a in advice {
        if seen.contains(&a.scenario.as_str()) {
            continue;
        }
        seen.push(&a.scenario);
        out.push_str(&format!(
            "\n{}: {}\n  guide: {}\n",
            a.scenario, a.title, a.guide_step
        ));
        if let Some(fix) = &a.fix {
            out.push_str(&format!("  proven fix ({fix})\n"));
        }
        out.push_str(&format!("  run: {}\n", a.command));
    }
    if !out.is_empty() {
        out.insert_str(0, "\nfixes from the catalogue:\n");
    }
    out
}
