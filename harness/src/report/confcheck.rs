//! Report files of `check` and `compare` (`--report md=PATH`, `junit=PATH`, `json=PATH`),
//! rendered from the plain [`CheckReport`] / [`Comparison`] values: Markdown
//! ([`super::check_md`]), JUnit XML ([`super::check_junit`]) and the JSON `--json` prints.

use std::path::{Path, PathBuf};

use super::{FORMATS, Format, Target};
use crate::confcheck::{CheckReport, Comparison};

/// What a report is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Check(&'a CheckReport),
    Compare(&'a Comparison),
}

/// `--report FORMAT=PATH` of `check`/`compare`: the syntax of `run --report`, without `html`.
pub fn parse_target(s: &str) -> Result<Target, String> {
    let target: Target = s.parse()?;
    if target.format.spec().check.is_none() {
        let names: Vec<&str> = FORMATS
            .iter()
            .filter(|f| f.check.is_some())
            .map(|f| f.name)
            .collect();
        return Err(format!(
            "`{s}`: check and compare write {} reports, not {}",
            names.join(", "),
            target.format
        ));
    }
    Ok(target)
}

/// The report as text; `None` for a format these commands do not write (HTML).
pub fn render(format: Format, subject: Subject<'_>) -> Option<String> {
    let spec = format.spec();
    match subject {
        Subject::Check(r) => spec.check.map(|render| render(r)),
        Subject::Compare(c) => spec.compare.map(|render| render(c)),
    }
}

/// Write every target, creating parent folders; returns what was written.
pub fn write(targets: &[Target], subject: Subject<'_>) -> std::io::Result<Vec<(Format, PathBuf)>> {
    targets
        .iter()
        .map(|t| {
            let text = render(t.format, subject).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    format!("no {} report for check or compare", t.format),
                )
            })?;
            write_file(&t.path, &text)?;
            Ok((t.format, t.path.clone()))
        })
        .collect()
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
pub(crate) mod sample {
    //! Hand-built reports for the renderers' tests.

    use std::collections::BTreeMap;

    use crate::confcheck::{
        Cell, CheckReport, Comparison, DnsCell, DnsColumn, FaultKind, Untested, Upstream,
        UpstreamReport, compare,
    };
    use crate::fixes::Advice;
    use crate::outcome::Outcome;

    pub fn cell(fault: FaultKind, outcomes: &[(Outcome, u64)]) -> Cell {
        let outcomes: BTreeMap<Outcome, u64> = outcomes.iter().copied().collect();
        let survives = outcomes.keys().all(|o| o.is_success());
        Cell {
            fault,
            placement: crate::confcheck::Placement::OneServer,
            survives,
            by_location: Vec::new(),
            outcomes,
            fired: 6,
            wall_ms: 1200,
            log: vec!["[error] connect() failed (111: Connection refused) ×6".into()],
            advice: (!survives).then(|| Advice {
                scenario: "upstream-down".into(),
                file: "scenarios/upstream-down.yaml".into(),
                title: "The only upstream is down; a backup | takes over".into(),
                guide_step: "Check that the upstream is running.".into(),
                fix: Some("fix: The same dead server plus a backup.".into()),
                command: "badgateway run scenarios/upstream-down.yaml".into(),
                directive: Some("proxy_pass".into()),
            }),
        }
    }

    fn upstream(name: &str, cells: Vec<Cell>) -> UpstreamReport {
        UpstreamReport {
            upstream: Upstream {
                name: name.into(),
                implicit: false,
                servers: Vec::new(),
                tls: None,
                protocol: Default::default(),
            },
            targets: Vec::new(),
            cells,
            dns: Vec::new(),
        }
    }

    /// `app`: refuse fails, stall survives; `api`: reset survives.
    pub fn before() -> CheckReport {
        use FaultKind::*;
        CheckReport {
            config: "old/nginx.conf".into(),
            nginx_version: "1.26.2".into(),
            upstreams: vec![
                upstream(
                    "app",
                    vec![
                        cell(Refuse, &[(Outcome::Status(502), 6)]),
                        cell(Stall, &[(Outcome::Status(200), 6)]),
                    ],
                ),
                upstream("api", vec![cell(Reset, &[(Outcome::Status(200), 6)])]),
            ],
            changes: Vec::new(),
            notes: Vec::new(),
            defects: Vec::new(),
            untested: vec![Untested {
                what: "location ~ \\.php$".into(),
                reason: "regex locations are not exercised".into(),
                at: "nginx.conf:12:5".into(),
            }],
        }
    }

    /// `app`: refuse fixed, stall regressed; `api`: reset unchanged.
    pub fn comparison() -> Comparison {
        use FaultKind::*;
        let mut after = before();
        after.config = "new/nginx.conf".into();
        after.upstreams[0].cells = vec![
            cell(Refuse, &[(Outcome::Status(200), 6)]),
            cell(
                Stall,
                &[(Outcome::Status(504), 4), (Outcome::Status(200), 2)],
            ),
        ];
        compare(before(), after)
    }

    /// `app`'s `dns_nxdomain` column: survived before (200×6), fails after (502×6).
    pub fn dns_regression() -> Comparison {
        let dns = |status: u16| DnsCell {
            column: DnsColumn::DnsNxdomain,
            survives: status == 200,
            outcomes: BTreeMap::from([(Outcome::Status(status), 6)]),
            log: Vec::new(),
            wall_ms: 5100,
        };
        let mut old = before();
        old.upstreams[0].dns = vec![dns(200)];
        let mut new = before();
        new.upstreams[0].dns = vec![dns(502)];
        compare(old, new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_runs_syntax_without_html() {
        let t = parse_target("junit=out/j.xml").unwrap();
        assert_eq!(
            (t.format.to_string(), t.path),
            ("junit".into(), PathBuf::from("out/j.xml"))
        );
        assert!(parse_target("html=out/").unwrap_err().contains("not html"));
        assert!(parse_target("md").unwrap_err().contains("FORMAT=PATH"));
    }

    #[test]
    fn json_is_what_json_prints_and_files_land_in_new_folders() {
        let r = sample::before();
        let text = render(Format::RESULT, Subject::Check(&r)).unwrap();
        let back: CheckReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back.upstreams.len(), 2);
        assert!(render("html".parse().unwrap(), Subject::Check(&r)).is_none());

        let dir = std::env::temp_dir().join(format!("bg-confcheck-report-{}", std::process::id()));
        let targets = [
            parse_target(&format!("md={}/a/s.md", dir.display())).unwrap(),
            parse_target(&format!("json={}/b/c.json", dir.display())).unwrap(),
        ];
        let c = sample::comparison();
        let written = write(&targets, Subject::Compare(&c)).unwrap();
        assert_eq!(written.len(), 2);
        let json = std::fs::read_to_string(dir.join("b/c.json")).unwrap();
        let back: Comparison = serde_json::from_str(&json).unwrap();
        assert_eq!(back.rows.len(), 3);
        assert!(
            std::fs::read_to_string(dir.join("a/s.md"))
                .unwrap()
                .contains("Regressed")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
