//! JUnit XML (`junit.xml`), for CI test tabs: one testsuite per nginx version, one testcase
//! per scenario phase (classname = scenario, name = phase, with the attempt under `--repeat`),
//! and one testcase per scenario for its scenario-wide checks ("fault did not fire").
//! Failures carry expected vs actual and the quoted error.log lines.
//!
//! CI systems (GitLab, Jenkins) follow a test across runs by suite, class and name, so none of
//! them holds a run id or a time: a suite is `badgateway nginx 1.22.1` whether it comes from a
//! shard, a leg of a version matrix or the merged result, and the run id, seed and shard are
//! `<property>`s. Phases gated out by `nginx_versions` are `<skipped>` with the reason; every
//! testcase has a `time`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::check::Check;
use crate::result::{PhaseResult, RunResult, ScenarioResult, Verdict};

/// The name of the testcase holding a scenario's scenario-wide checks.
pub const SCENARIO_CHECKS: &str = "scenario checks";

/// The whole report as XML.
pub fn render(result: &RunResult) -> String {
    let mut report = Report::new("badgateway");
    report.set_time(Duration::from_millis(result.wall_ms));
    for version in versions(result) {
        let mut suite = TestSuite::new(suite_name(version));
        let on_it = (result.scenarios.iter()).filter(|s| s.nginx_version == version);
        let mut took = Duration::ZERO;
        for s in on_it {
            took += Duration::from_millis(s.wall_ms);
            for p in &s.phases {
                suite.add_test_case(phase_case(s, p, result.repeat));
            }
            for p in &s.skipped {
                let mut status = TestCaseStatus::skipped();
                status.set_message(format!("skipped: {}", p.reason));
                let mut case = TestCase::new(case_name(&p.name, s.attempt, result.repeat), status);
                case.set_classname(s.name.as_str());
                case.set_time(Duration::ZERO);
                suite.add_test_case(case);
            }
            if !s.checks.is_empty() {
                suite.add_test_case(scenario_case(s, result.repeat));
            }
        }
        suite.set_time(took);
        add_properties(&mut suite, result, version);
        report.add_test_suite(suite);
    }
    to_xml(&report)
}

/// `report` as XML valid against the Jenkins xUnit JUnit schema (`junit-10.xsd`), which
/// Jenkins, GitLab and most CI readers follow: quick-junit also writes a `skipped` count on
/// the root `<testsuites>`, which that schema does not allow; the count stays on each suite.
pub(crate) fn to_xml(report: &Report) -> String {
    let xml = report
        .to_string()
        .expect("quick-junit writes into a String without I/O errors");
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let end = start + xml[start..].find('>').unwrap_or(0);
    let Some(at) = xml[start..end].find(" skipped=\"").map(|i| start + i) else {
        return xml;
    };
    let close = at + " skipped=\"".len() + xml[at + " skipped=\"".len()..].find('"').unwrap_or(0);
    format!("{}{}", &xml[..at], &xml[close + 1..])
}

/// `badgateway nginx 1.22.1`: the same in every run on that version.
pub fn suite_name(nginx_version: &str) -> String {
    format!("badgateway nginx {nginx_version}")
}

/// The nginx versions of the run in matrix order, then any other a scenario names; the run's
/// nginx when there are no scenarios, so an empty shard still has its (empty) suite.
fn versions(result: &RunResult) -> Vec<&str> {
    let mut versions: Vec<&str> = result.nginx_matrix.iter().map(|n| n.version()).collect();
    versions.extend(result.scenarios.iter().map(|s| s.nginx_version.as_str()));
    if versions.is_empty() {
        versions.push(result.nginx.version.as_str());
    }
    let mut seen = std::collections::HashSet::new();
    versions.retain(|v| seen.insert(*v));
    versions
}

/// What the suite's name leaves out: which run, seed, shard and nginx it was.
fn add_properties(suite: &mut TestSuite, result: &RunResult, version: &str) {
    suite.add_property(("run_id", result.run_id.as_str()));
    suite.add_property(("started_at", result.started_at.as_str()));
    suite.add_property(("seed", result.seed.to_string().as_str()));
    suite.add_property(("nginx", version));
    if let Some(shard) = result.shard {
        let value = format!("{}/{} by {}", shard.index, shard.total, shard.by.label());
        suite.add_property(("shard", value.as_str()));
    }
    for part in &result.merged_from {
        suite.add_property(("merged_from", part.run_id.as_str()));
    }
}

/// `fix`, or `fix (attempt 2)` when scenarios were repeated.
fn case_name(name: &str, attempt: u32, repeat: u32) -> String {
    if repeat > 1 {
        format!("{name} (attempt {attempt})")
    } else {
        name.to_string()
    }
}

fn phase_case(s: &ScenarioResult, p: &PhaseResult, repeat: u32) -> TestCase {
    let mut status = match p.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => failure(NonSuccessKind::Failure, &p.checks, None),
        Verdict::Error => failure(NonSuccessKind::Error, &p.checks, p.error.as_deref()),
        Verdict::Interrupted => {
            let mut st = TestCaseStatus::skipped();
            st.set_message("interrupted by Ctrl-C or SIGTERM");
            st
        }
        Verdict::Inconclusive => {
            let mut st = TestCaseStatus::skipped();
            st.set_message("inconclusive: the load driver was starved of CPU while it failed");
            st
        }
    };
    let requests = super::requests::lines(p);
    if p.verdict == Verdict::Fail && !requests.is_empty() {
        let checks: String = p
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(describe)
            .collect();
        status.set_description(format!(
            "{checks}requests (client · nginx · upstream):\n    {}\n",
            requests.join("\n    ")
        ));
    }
    let mut case = TestCase::new(case_name(&p.name, s.attempt, repeat), status);
    case.set_classname(s.name.as_str());
    case.set_time(Duration::from_millis(p.wall_ms));
    case.set_system_out(phase_out(p));
    case
}

fn scenario_case(s: &ScenarioResult, repeat: u32) -> TestCase {
    let status = if s.checks.iter().all(|c| c.passed) {
        TestCaseStatus::success()
    } else {
        failure(NonSuccessKind::Failure, &s.checks, None)
    };
    let mut case = TestCase::new(case_name(SCENARIO_CHECKS, s.attempt, repeat), status);
    case.set_classname(s.name.as_str());
    // Counted from the phases' records once they are over: no time of their own.
    case.set_time(Duration::ZERO);
    case
}

/// A failure (or error) naming the first failed check, with every failed check in the body.
fn failure(kind: NonSuccessKind, checks: &[Check], error: Option<&str>) -> TestCaseStatus {
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.passed).collect();
    let mut status = TestCaseStatus::non_success(kind);
    let message = match (error, failed.first()) {
        (Some(err), _) => format!("harness error: {err}"),
        (None, Some(c)) => format!("{}: expected {}, actual {}", c.what, c.expected, c.actual),
        (None, None) => "failed".to_string(),
    };
    status.set_message(message);
    status.set_type(if error.is_some() {
        "error"
    } else {
        "expectation"
    });
    status.set_description(failed.iter().map(|c| describe(c)).collect::<String>());
    status
}

/// One failed check: what, expected, actual, and the quoted lines.
fn describe(c: &Check) -> String {
    let mut text = format!(
        "✗ {}\n    expected: {}\n    actual:   {}\n",
        c.what, c.expected, c.actual
    );
    for line in c.evidence.iter().flat_map(|e| e.lines()) {
        text.push_str(&format!("    > {line}\n"));
    }
    text
}

/// The outcome histogram and the grouped error.log, for the testcase's system-out.
fn phase_out(p: &PhaseResult) -> String {
    let mut out = match (&p.load, &p.config_rejected) {
        (_, Some(msg)) => format!("nginx -t rejected the config:\n{msg}\n"),
        (Some(load), None) => format!("outcomes: {}\n", crate::check::histogram(load)),
        (None, None) => "no traffic\n".to_string(),
    };
    for m in p.log.for_people().0 {
        out.push_str(&format!("[{}] ×{} {}\n", m.level, m.count, m.message));
    }
    out
}

#[cfg(test)]
mod tests {
    use quick_junit::Report;

    use super::*;
    use crate::report::sample;

    #[test]
    fn a_gated_phase_is_a_skipped_case_with_the_reason() {
        let result = sample::with_skipped_phase();
        let xml = render(&result);
        let report = Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        let case = (report.test_suites[0].test_cases.iter())
            .find(|c| c.name.as_str() == "new-behaviour")
            .expect("a testcase for the skipped phase");
        let TestCaseStatus::Skipped { message, .. } = &case.status else {
            panic!("not skipped: {:?}", case.status);
        };
        assert_eq!(
            message.as_ref().map(|m| m.as_str()),
            Some("skipped: needs nginx >=1.29.7; this is 1.22.1")
        );
        assert!(xml.contains("<skipped"), "{xml}");
    }

    #[test]
    fn one_case_per_phase_plus_scenario_checks_with_failures_explained() {
        let xml = render(&sample::result());
        let report = Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(report.test_suites.len(), 1);
        let suite = &report.test_suites[0];
        // upstream-down: 2 phases + checks; broken: 1 phase + checks.
        assert_eq!(suite.test_cases.len(), 5);
        assert_eq!(suite.failures, 2);
        let failed = suite
            .test_cases
            .iter()
            .find(|c| {
                c.name.as_str() == "baseline" && !matches!(c.status, TestCaseStatus::Success { .. })
            })
            .expect("the failing phase is a failed testcase");
        assert_eq!(
            failed.classname.as_ref().map(|c| c.as_str()),
            Some("broken<script>")
        );
        let TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } = &failed.status
        else {
            panic!("not a failure: {:?}", failed.status);
        };
        let message = message.as_ref().unwrap().as_str();
        assert!(
            message.contains("expected 100%") && message.contains("actual 50%"),
            "{message}"
        );
        let description = description.as_ref().unwrap().as_str();
        assert!(
            description.contains(&format!("> {}", sample::QUOTED)),
            "{description}"
        );
        let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains(&SCENARIO_CHECKS), "{names:?}");
    }

    #[test]
    fn ci_can_track_cases_across_runs_and_the_xml_follows_the_jenkins_schema() {
        let mut result = sample::with_skipped_phase();
        result.scenarios[1].phases[0].verdict = Verdict::Error;
        result.scenarios[1].phases[0].error = Some("nginx would not start".into());
        result.shard = Some(crate::shard::Shard {
            index: 2,
            total: 3,
            by: crate::shard::ShardBy::Name,
        });
        let xml = render(&result);
        sample::assert_valid_junit(&xml);
        let report = Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        let suite = &report.test_suites[0];
        assert_eq!(suite.name.as_str(), "badgateway nginx 1.22.1");
        let property = |name: &str| {
            (suite.properties.iter())
                .find(|p| p.name.as_str() == name)
                .map(|p| p.value.as_str().to_string())
        };
        assert_eq!(property("run_id").as_deref(), Some("sample-run"));
        assert_eq!(property("shard").as_deref(), Some("2/3 by name"));
        assert!(!suite.name.as_str().contains("sample-run"));
        for case in &suite.test_cases {
            assert!(case.time.is_some(), "no time on {}", case.name.as_str());
        }
    }

    #[test]
    fn a_version_matrix_gets_a_suite_per_version_with_the_same_case_names() {
        let mut result = sample::result();
        let mut other = result.scenarios.clone();
        for s in &mut other {
            s.nginx_version = "1.30.0".into();
        }
        result.scenarios.extend(other);
        let xml = render(&result);
        sample::assert_valid_junit(&xml);
        let report = Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["badgateway nginx 1.22.1", "badgateway nginx 1.30.0"]
        );
        let cases = |i: usize| {
            (report.test_suites[i].test_cases.iter())
                .map(|c| (c.classname.clone(), c.name.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(cases(0), cases(1));
    }

    #[test]
    fn repeated_runs_name_the_attempt() {
        let mut result = sample::result();
        result.repeat = 2;
        result.scenarios[1].attempt = 2;
        let xml = render(&result);
        assert!(xml.contains("name=\"baseline (attempt 2)\""), "{xml}");
        assert!(xml.contains("name=\"fix (attempt 1)\""), "{xml}");
    }
}
