//! JUnit XML of `check` and `compare` (`--report junit=PATH`): one testsuite per upstream, one
//! testcase per fault (classname = upstream, name = fault). For `check` a testcase fails when
//! the config does not survive the fault, with the outcome histogram and the catalogue advice;
//! for `compare` only a regression fails, so CI gates on regressions.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::confcheck::{Cell, Change, CheckReport, Comparison, DnsCell};

/// The check report as XML.
pub fn render_check(r: &CheckReport) -> String {
    let mut report = Report::new("badgateway check");
    for up in &r.upstreams {
        let mut suite = suite(suite_name(&up.upstream.name), r);
        for c in up.distinct_cells() {
            let status = if c.survives {
                TestCaseStatus::success()
            } else {
                failure(c, "the config does not survive the fault")
            };
            suite.add_test_case(case(&up.upstream.name, c, status));
        }
        for c in &up.dns {
            suite.add_test_case(dns_case(&up.upstream.name, c));
        }
        report.add_test_suite(suite);
    }
    if !r.defects.is_empty() {
        let mut suite = suite("defects".to_string(), r);
        for d in &r.defects {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!("{}, because {}", d.got, d.cause));
            status.set_description(format!("fix: {}\nat: {}", d.fix, d.at));
            let mut tc = TestCase::new(d.location.as_str(), status);
            tc.set_classname("defects");
            // Found by the all-healthy run the cells share, not timed apart.
            tc.set_time(std::time::Duration::ZERO);
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    xml(&report)
}

/// The comparison as XML: regressions fail, faults tested in one config only are skipped.
pub fn render_compare(c: &Comparison) -> String {
    let mut report = Report::new("badgateway compare");
    let mut suites: Vec<TestSuite> = Vec::new();
    for row in &c.rows {
        let at = suite_for(&mut suites, &row.upstream, c);
        let before = row.before.as_ref().map_or("-".into(), Cell::summary);
        let status = match (row.change, &row.after) {
            (Change::Regressed, Some(after)) => failure(
                after,
                &format!("regressed: survived before ({before}), fails now"),
            ),
            (Change::OnlyBefore | Change::OnlyAfter, _) => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(if row.change == Change::OnlyBefore {
                    "only tested before the change"
                } else {
                    "only tested after the change"
                });
                st
            }
            _ => TestCaseStatus::success(),
        };
        let mut tc = match row.after.as_ref().or(row.before.as_ref()) {
            Some(cell) => case(&row.upstream, cell, status),
            None => {
                let mut tc = TestCase::new(row.fault.name(), status);
                tc.set_time(std::time::Duration::ZERO);
                tc
            }
        };
        tc.set_system_err(format!(
            "change: {}\nbefore: {before}\n",
            row.change.label()
        ));
        suites[at].add_test_case(tc);
    }
    for row in c.dns_rows() {
        let at = suite_for(&mut suites, &row.upstream, c);
        let before = row.before.as_ref().map_or("-".into(), DnsCell::summary);
        let Some(cell) = row.after.as_ref().or(row.before.as_ref()) else {
            continue;
        };
        let mut tc = dns_case(&row.upstream, cell);
        let status = match row.change {
            Change::Regressed => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(format!(
                    "regressed: survived the DNS fault before ({before}), fails now ({})",
                    cell.summary()
                ));
                st.set_type("regression");
                st
            }
            Change::OnlyBefore | Change::OnlyAfter => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(match row.change {
                    Change::OnlyBefore => "only tested before the change",
                    _ => "only tested after the change",
                });
                st
            }
            _ => TestCaseStatus::success(),
        };
        tc.status = status;
        tc.set_system_err(format!(
            "change: {}\nbefore: {before}\n",
            row.change.label()
        ));
        suites[at].add_test_case(tc);
    }
    report.add_test_suites(suites);
    xml(&report)
}

/// The index of `upstream`'s suite in a comparison's `suites`, made on first use.
fn suite_for(suites: &mut Vec<TestSuite>, upstream: &str, c: &Comparison) -> usize {
    if let Some(i) = suites
        .iter()
        .position(|s| s.name.as_str() == suite_name(upstream))
    {
        return i;
    }
    let mut s = suite(suite_name(upstream), &c.after);
    s.add_property(("before", c.before.config.display().to_string().as_str()));
    suites.push(s);
    suites.len() - 1
}

fn suite_name(upstream: &str) -> String {
    format!("upstream {upstream}")
}

fn suite(name: String, r: &CheckReport) -> TestSuite {
    let mut suite = TestSuite::new(name);
    suite.add_property(("config", r.config.display().to_string().as_str()));
    suite.add_property(("nginx", r.nginx_version.as_str()));
    suite
}

/// A testcase for `cell`, its histogram and error.log lines in system-out.
fn case(upstream: &str, cell: &Cell, status: TestCaseStatus) -> TestCase {
    let mut tc = TestCase::new(cell.name(), status);
    tc.set_classname(upstream);
    tc.set_time(std::time::Duration::from_millis(cell.wall_ms));
    let mut out = format!(
        "played on: {}\nclients got: {}\nfault fired: {}×\n",
        cell.placement.label(),
        cell.summary(),
        cell.fired
    );
    for line in &cell.log {
        out.push_str(&format!("{line}\n"));
    }
    tc.set_system_out(out);
    tc
}

/// A testcase for a DNS column (the fake DNS server misbehaving, every server healthy).
fn dns_case(upstream: &str, cell: &DnsCell) -> TestCase {
    let mut out = format!("clients got: {}\n", cell.summary());
    for line in &cell.log {
        out.push_str(&format!("{line}\n"));
    }
    let status = match cell.survives {
        true => TestCaseStatus::success(),
        false => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(format!(
                "the config does not survive the DNS fault: clients got {}",
                cell.summary()
            ));
            st.set_type("fault");
            st.set_description(format!("{out}catalogue: {}\n", cell.column.scenario()));
            st
        }
    };
    let mut tc = TestCase::new(cell.column.name(), status);
    tc.set_classname(upstream);
    tc.set_time(std::time::Duration::from_millis(cell.wall_ms));
    tc.set_system_out(out);
    tc
}

/// A failure with the histogram in the message and the catalogue advice in the body.
fn failure(cell: &Cell, why: &str) -> TestCaseStatus {
    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
    st.set_message(format!("{why}: clients got {}", cell.summary()));
    st.set_type("fault");
    let mut body = format!("clients got: {}\n", cell.summary());
    for line in &cell.log {
        body.push_str(&format!("    > {line}\n"));
    }
    match &cell.advice {
        Some(a) => {
            body.push_str(&format!(
                "catalogue: {} ({})\n  guide: {}\n",
                a.scenario, a.title, a.guide_step
            ));
            if let Some(fix) = &a.fix {
                body.push_str(&format!("  proven fix ({fix})\n"));
            }
            body.push_str(&format!("  run: {}\n", a.command));
        }
        None => body.push_str("no catalogue scenario for this fault\n"),
    }
    st.set_description(body);
    st
}

fn xml(report: &Report) -> String {
    super::junit::to_xml(report)
}

#[cfg(test)]
mod tests {
    use quick_junit::Report;

    use super::*;
    use crate::report::confcheck::sample;

    fn parse(xml: &str) -> Report {
        Report::deserialize_from_str(xml).expect("valid JUnit XML")
    }

    fn failed(suite: &quick_junit::TestSuite) -> Vec<&str> {
        suite
            .test_cases
            .iter()
            .filter(|c| matches!(c.status, TestCaseStatus::NonSuccess { .. }))
            .map(|c| c.name.as_str())
            .collect()
    }

    #[test]
    fn check_fails_the_faults_the_config_does_not_survive() {
        let report = parse(&render_check(&sample::before()));
        let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["upstream app", "upstream api"]);
        let app = &report.test_suites[0];
        assert_eq!((app.tests, app.failures), (2, 1));
        assert_eq!(failed(app), ["refuse"]);
        assert_eq!(report.test_suites[1].failures, 0);
        let TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } = &app.test_cases[0].status
        else {
            unreachable!()
        };
        assert!(message.as_ref().unwrap().as_str().contains("502×6"));
        let description = description.as_ref().unwrap().as_str();
        assert!(
            description.contains("catalogue: upstream-down"),
            "{description}"
        );
        assert!(description.contains("run: badgateway run"), "{description}");
        assert_eq!(
            app.test_cases[0].classname.as_ref().map(|c| c.as_str()),
            Some("app")
        );
    }

    #[test]
    fn check_and_compare_xml_follows_the_jenkins_schema_with_times_and_words() {
        use crate::report::sample::assert_valid_junit;
        let check = render_check(&sample::before());
        assert_valid_junit(&check);
        let compare = render_compare(&sample::comparison());
        assert_valid_junit(&compare);
        assert_valid_junit(&render_compare(&sample::dns_regression()));
        for xml in [&check, &compare] {
            let report = parse(xml);
            for case in report.test_suites.iter().flat_map(|s| &s.test_cases) {
                assert!(case.time.is_some(), "no time on {}", case.name.as_str());
            }
        }
        assert!(check.contains("played on: one server"), "{check}");
        assert!(compare.contains("change: REGRESSED"), "{compare}");
        for debug in ["StillSurvives", "Regressed", "OneServer", "AllPrimaries"] {
            assert!(
                !compare.contains(debug) && !check.contains(debug),
                "{debug}"
            );
        }
    }

    #[test]
    fn compare_fails_a_regressed_dns_column() {
        let report = parse(&render_compare(&sample::dns_regression()));
        assert_eq!(report.failures, 1);
        let app = report
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == "upstream app")
            .unwrap();
        assert_eq!(failed(app), ["dns_nxdomain"]);
    }

    #[test]
    fn compare_fails_only_regressions() {
        let mut c = sample::comparison();
        let report = parse(&render_compare(&c));
        assert_eq!(report.tests, 3);
        assert_eq!(report.failures, 1);
        let app = &report.test_suites[0];
        // refuse was fixed (and still fails nothing), stall regressed.
        assert_eq!(failed(app), ["stall"]);
        assert_eq!(report.test_suites[1].failures, 0);

        // A fault that fails in both configs passes: compare gates on regressions only.
        c.rows.retain(|r| r.change != Change::Regressed);
        c.rows[0].change = Change::StillFails;
        c.rows[1].change = Change::OnlyAfter;
        let report = parse(&render_compare(&c));
        assert_eq!((report.tests, report.failures), (2, 0));
        let skipped = report
            .test_suites
            .iter()
            .flat_map(|s| &s.test_cases)
            .filter(|c| matches!(c.status, TestCaseStatus::Skipped { .. }))
            .count();
        assert_eq!(skipped, 1);
    }
}
