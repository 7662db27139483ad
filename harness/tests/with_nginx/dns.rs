//! A scenario with `dns:` against real nginx: the machine's own name-service files are
//! byte-identical before and after the run (nginx saw the run dir's hosts file through a
//! private mount namespace), and the fake DNS server's query counts reach result.json.

use crate::common;

/// The files a DNS scenario must never write.
const MACHINE_FILES: [&str; 3] = ["/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf"];

fn snapshot() -> Vec<(&'static str, Option<Vec<u8>>)> {
    MACHINE_FILES
        .iter()
        .map(|f| (*f, std::fs::read(f).ok()))
        .collect()
}

#[test]
fn a_dns_scenario_leaves_the_machines_resolver_files_alone() {
    let test = "a_dns_scenario_leaves_the_machines_resolver_files_alone";
    if common::nginx_or_skip(test).is_none() {
        return;
    }
    let before = snapshot();
    let out = tempfile::tempdir().unwrap();
    let scenario = common::scenarios_dir().join("dns-stale-address.yaml");
    let output = common::run_cli(&[
        "run",
        &scenario.display().to_string(),
        "--out",
        &out.path().display().to_string(),
        "--quiet",
    ]);
    let after = snapshot();
    for ((file, was), (_, is)) in before.iter().zip(&after) {
        assert!(was == is, "{file} changed during a DNS scenario run");
    }
    assert!(output.status.success(), "{}", common::text(&output));
    let result = common::read_result(out.path());
    let phase = |name: &str| {
        let phases = &result.scenarios[0].phases;
        phases.iter().find(|p| p.name == name).unwrap().clone()
    };
    // The baseline's name was resolved at start from the run dir's hosts file: nginx never
    // asked the DNS server. The fix resolves at request time through it, again and again.
    let baseline = phase("baseline");
    assert_eq!(
        baseline.dns_queries.get("app.internal"),
        None,
        "{:?}",
        baseline.dns_queries
    );
    let fix = phase("fix");
    let asked = fix.dns_queries.get("app.internal").copied().unwrap_or(0);
    assert!(
        asked >= 2,
        "nginx asked {asked} times in the fix: {:?}",
        fix.dns_queries
    );
}
