//! `badgateway compare --before OLD --after NEW`: the check matrix on both configs, printed as
//! a diff (fixed, regressed, unchanged). Exit 1 when the change regresses any fault.

use crate::cli::checks::CompareArgs;
use crate::confcheck::{Change, Comparison, compare as diff};
use crate::exit::Exit;

pub(super) fn compare(args: CompareArgs) -> Exit {
    let s = &args.settings;
    let mut reports = match super::check::check_configs(&[&args.before, &args.after], s) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let after = reports.pop().expect("two reports");
    let before = reports.pop().expect("two reports");
    let c = diff(before, after);
    if s.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&c).expect("comparison serializes")
        );
    } else {
        print!("{}", render(&c));
    }
    let subject = crate::report::confcheck::Subject::Compare(&c);
    if let Some(exit) = super::check::write_reports(&s.report, subject) {
        return exit;
    }
    if c.regressed() {
        Exit::CheckFailed
    } else {
        Exit::Passed
    }
}

fn render(c: &Comparison) -> String {
    let mut out = format!(
        "before: {}\nafter:  {}\n\n  {:<16} {:<22} {:<26} {:<26} {}\n",
        c.before.config.display(),
        c.after.config.display(),
        "UPSTREAM",
        "FAULT",
        "BEFORE",
        "AFTER",
        "CHANGE"
    );
    let cell =
        |x: &Option<crate::confcheck::Cell>| x.as_ref().map_or("-".to_string(), |c| c.summary());
    for r in &c.rows {
        let change = match r.change {
            Change::Fixed => "fixed",
            Change::Regressed => "REGRESSED",
            Change::StillSurvives => "unchanged (survives)",
            Change::StillFails => "unchanged (fails)",
            Change::OnlyBefore => "only tested before",
            Change::OnlyAfter => "only tested after",
        };
        out.push_str(&format!(
            "  {:<16} {:<22} {:<26} {:<26} {change}\n",
            r.upstream,
            r.fault.name(),
            cell(&r.before),
            cell(&r.after)
        ));
    }
    let count = |k: Change| c.rows.iter().filter(|r| r.change == k).count();
    out.push_str(&format!(
        "\n{} fixed, {} regressed, {} unchanged\n",
        count(Change::Fixed),
        count(Change::Regressed),
        count(Change::StillSurvives) + count(Change::StillFails)
    ));
    let regressed = c.rows.iter().filter(|r| r.change == Change::Regressed);
    out.push_str(&super::check::fixes(
        regressed.filter_map(|r| r.after.as_ref()?.advice.as_ref()),
    ));
    out
}
