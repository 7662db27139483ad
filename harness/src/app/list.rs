//! `badgateway list`: the catalogue of scenarios, or (`--faults`) of the fake upstreams' faults.

use std::path::PathBuf;

use crate::exit::Exit;

pub(super) fn list(paths: &[PathBuf], markdown: bool) -> Exit {
    let scenarios = match super::load_scenarios(paths) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    if markdown {
        crate::out!("{}", crate::catalogue::markdown(&scenarios));
        return Exit::Passed;
    }
    let width = scenarios
        .iter()
        .map(|s| s.scenario.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    crate::outln!("{:width$}  {:28}  TITLE", "NAME", "PHASES");
    for loaded in &scenarios {
        let s = &loaded.scenario;
        let phases: Vec<&str> = s.phases.iter().map(|p| p.name.as_str()).collect();
        crate::outln!("{:width$}  {:28}  {}", s.name, phases.join(", "), s.title);
    }
    Exit::Passed
}

/// `list --faults`: the README's fault table.
pub(super) fn faults() -> Exit {
    crate::out!("{}", crate::fault_table::markdown());
    Exit::Passed
}
