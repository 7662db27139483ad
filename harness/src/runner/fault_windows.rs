//! The `schedule:` windows in which a phase's servers misbehave, for the reports to draw over
//! the timeline. Schedules start when the load does ([`crate::upstreams::Servers::start_schedules`]
//! right before the first request), so a step's `after` is a time on the timeline.

use fake_upstreams::spec::ServerSpec;

use crate::result::FaultWindow;
use crate::scenario::Scenario;

/// Every window of a non-`healthy` behaviour of a scheduled server in `used` (all servers when
/// `None`), in scenario order. Servers without a schedule behave one way throughout and get
/// none: the counters and the story already say what they do.
pub fn fault_windows(s: &Scenario, used: Option<&[String]>) -> Vec<FaultWindow> {
    let mut windows = Vec::new();
    for (up, servers) in &s.upstreams {
        for (name, spec) in servers {
            let key = format!("{up}.{name}");
            if spec.schedule.is_empty() || used.is_some_and(|u| !u.contains(&key)) {
                continue;
            }
            windows.extend(of_server(&key, spec));
        }
    }
    windows
}

fn of_server(key: &str, spec: &ServerSpec) -> Vec<FaultWindow> {
    let mut starts = vec![(0, spec.fault.kind())];
    starts.extend(
        (spec.schedule.iter()).map(|step| (step.after.as_millis() as u64, step.fault.kind())),
    );
    (0..starts.len())
        .filter(|&i| starts[i].1 != "healthy")
        .map(|i| FaultWindow {
            server: key.to_string(),
            kind: starts[i].1.to_string(),
            from_ms: starts[i].0,
            to_ms: starts.get(i + 1).map(|next| next.0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_file;

    #[test]
    fn a_restart_is_one_refuse_window_and_unused_servers_have_none() {
        let loaded = load_file("../scenarios/restart-mid-load.yaml".as_ref()).unwrap();
        let s = &loaded.scenario;
        let used = vec!["app.a".to_string()];
        assert_eq!(
            fault_windows(s, Some(&used)),
            vec![FaultWindow {
                server: "app.a".into(),
                kind: "refuse".into(),
                from_ms: 1000,
                to_ms: Some(3000),
            }]
        );
        assert_eq!(
            fault_windows(s, None).len(),
            3,
            "a, first and second restart"
        );
    }
}
