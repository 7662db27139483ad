//! The web view's server-sent event: one [`View`] as JSON. Pure. The chart's ticks are sent
//! once each (those after the subscriber's last event), numbered from the demo's start, with
//! where each phase began, so the page keeps one timeline across phase switches; everything
//! else is the whole current state.
//! Outcomes come with the HTML report's colours, in its stacking order (successes at the
//! bottom).

use serde_json::{Value, json};

use super::tally::{Counts, TICK_MS, sum};
use super::view::View;
use crate::report::html::chart::{colour, stack_key};

/// The event of `v` with the chart's `ticks` not sent yet and the phase `marks` (from the
/// web view's [`Timeline`](super::timeline::Timeline)).
pub fn event(v: &View, ticks: &[(u64, Counts)], marks: &[(u64, String)]) -> Value {
    let ticks: Vec<Value> = (ticks.iter())
        .map(|(at, counts)| json!({ "at": at, "counts": stacked(counts) }))
        .collect();
    let marks: Vec<Value> = (marks.iter())
        .map(|(at, phase)| json!({ "at": at, "phase": phase }))
        .collect();
    let position = v.position.as_ref();
    let phases: Vec<Value> = (position.iter().flat_map(|p| p.phases.iter().enumerate()))
        .map(|(i, p)| {
            json!({
                "name": p.name,
                "about": p.about,
                "skipped": p.skipped,
                "current": position.is_some_and(|pos| pos.current == i),
            })
        })
        .collect();
    let faults: Vec<Value> = (v.fault_windows.iter())
        .map(|w| {
            json!({
                "server": w.server,
                "kind": w.kind,
                "from": v.schedule_tick + w.from_ms / TICK_MS,
                "to": w.to_ms.map(|ms| v.schedule_tick + ms / TICK_MS),
            })
        })
        .collect();
    json!({
        "scenario": v.scenario,
        "title": v.title,
        "story": v.story,
        "nginx": v.nginx,
        "port": v.port,
        "master_pid": v.master_pid,
        "error_log": v.error_log.display().to_string(),
        "curl": v.curl,
        "load": v.load,
        "phases": phases,
        "phase": position.map(|p| p.current().name.clone()),
        "config": v.config,
        "diff": v.diff_to_baseline,
        "tick": v.elapsed_ticks,
        "tick_ms": TICK_MS,
        "ticks": ticks,
        "marks": marks,
        "counts": stacked(&sum(v.ticks.iter().cloned())),
        "faults": faults,
        "log": v.log.0.iter().map(|g| json!({
            "level": g.level, "message": g.message, "count": g.count,
        })).collect::<Vec<_>>(),
        "log_tail": v.log_tail,
        "hints": v.hints.iter().map(|h| json!({ "title": h.title, "text": h.text }))
            .collect::<Vec<_>>(),
        "hints_total": v.hints_total,
        "notice": v.notice,
        "auto_s": v.auto.map(|d| d.as_secs_f64()),
        "finished": v.finished,
    })
}

/// `[[outcome, count, colour], ...]` bottom to top.
fn stacked(counts: &Counts) -> Vec<Value> {
    let mut all: Vec<_> = counts.iter().filter(|(_, n)| **n > 0).collect();
    all.sort_by_key(|(o, _)| stack_key(**o));
    (all.into_iter())
        .map(|(o, n)| json!([o.to_string(), n, colour(*o)]))
        .collect()
}

/// `data: JSON\n\n`: one server-sent event (JSON has no raw newlines).
pub fn sse(event: &Value) -> String {
    format!("data: {event}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::timeline::Timeline;
    use crate::demo::{PhaseEntry, Position};
    use crate::outcome::Outcome;
    use crate::result::FaultWindow;

    fn view() -> View {
        let entry = |name: &str| PhaseEntry {
            name: name.into(),
            about: None,
            skipped: None,
        };
        let tick = |pairs: &[(Outcome, u64)]| pairs.iter().copied().collect::<Counts>();
        View {
            scenario: "upstream-down".into(),
            position: Some(Position {
                phases: vec![entry("baseline"), entry("fix")],
                current: 1,
                hints_shown: 0,
            }),
            ticks: [
                tick(&[(Outcome::Status(502), 2)]),
                tick(&[(Outcome::Timeout, 1), (Outcome::Status(200), 1)]),
                tick(&[(Outcome::Status(200), 2)]),
            ]
            .into(),
            elapsed_ticks: 40,
            fault_windows: vec![FaultWindow {
                server: "app.a".into(),
                kind: "refuse".into(),
                from_ms: 1000,
                to_ms: None,
            }],
            schedule_tick: 12,
            ..View::default()
        }
    }

    /// The event of `v` as a first subscriber gets it.
    fn first(v: &View) -> Value {
        let mut timeline = Timeline::default();
        timeline.record(v);
        event(v, &timeline.after(None), &timeline.marks)
    }

    #[test]
    fn ticks_are_numbered_from_the_start_and_sent_once() {
        let e = first(&view());
        let at: Vec<u64> = (e["ticks"].as_array().unwrap().iter())
            .map(|t| t["at"].as_u64().unwrap())
            .collect();
        assert_eq!(at, [38, 39, 40]);
        assert_eq!(e["tick"], 40);
        assert_eq!(e["marks"], json!([{ "at": 38, "phase": "fix" }]));
        let mut timeline = Timeline::default();
        timeline.record(&view());
        let later = event(&view(), &timeline.after(Some(39)), &timeline.marks);
        assert_eq!(
            later["ticks"],
            json!([{ "at": 40, "counts": [["200", 2, "#2e9d4a"]] }])
        );
        assert!(timeline.after(Some(40)).is_empty());
    }

    #[test]
    fn outcomes_stack_successes_first_in_the_report_colours() {
        let e = first(&view());
        assert_eq!(
            e["ticks"][1]["counts"],
            json!([["200", 1, "#2e9d4a"], ["timeout", 1, "#d4b106"]])
        );
        assert_eq!(
            e["counts"],
            json!([
                ["200", 3, "#2e9d4a"],
                ["502", 2, "#e53935"],
                ["timeout", 1, "#d4b106"]
            ])
        );
    }

    #[test]
    fn the_phase_and_fault_windows_are_placed_on_the_demo_clock() {
        let e = first(&view());
        assert_eq!(e["phase"], "fix");
        assert_eq!(e["phases"][1]["current"], true);
        assert_eq!(e["phases"][0]["current"], false);
        assert_eq!(
            e["faults"],
            json!([{ "server": "app.a", "kind": "refuse", "from": 22, "to": null }])
        );
        let text = sse(&e);
        assert!(text.starts_with("data: {") && text.ends_with("}\n\n"));
        assert_eq!(text.matches('\n').count(), 2, "one line of JSON");
    }

    #[test]
    fn an_empty_view_is_an_event_too() {
        let e = first(&View::default());
        assert_eq!(e["ticks"], json!([]));
        assert_eq!(e["phase"], Value::Null);
    }
}
