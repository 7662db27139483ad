//! A hand-made [`RunResult`] for the report formats' unit tests: one passing scenario with a
//! 502 burst that ends, and one failing scenario whose texts need escaping; and the check that
//! a JUnit report follows the Jenkins xUnit schema.

use std::collections::BTreeMap;
use std::path::PathBuf;

use fake_upstreams::counters::CounterSnapshot;

use crate::accesslog::{NginxRecord, UpstreamTry};
use crate::check::Check;
use crate::errorlog::{LogMessage, LogSummary};
use crate::load::{ClientRecord, Integrity, LatencySummary, LoadReport, TimelineBucket};
use crate::nginx::NginxBinary;
use crate::outcome::Outcome;
use crate::result::{PhaseResult, RunResult, ScenarioResult, Verdict};
use crate::witness::{Evidence, Trace};

/// The quoted error.log line of the failing check.
pub const QUOTED: &str = "[error] connect() failed (111: Connection refused) <while> \"x\"";

fn check(what: &str, passed: bool, evidence: &[&str]) -> Check {
    Check {
        what: what.into(),
        passed,
        expected: "100%".into(),
        actual: if passed { "100%" } else { "50% (20 of 40)" }.into(),
        evidence: evidence.iter().map(|e| e.to_string()).collect(),
    }
}

pub fn load() -> LoadReport {
    let bucket = |start_ms, o, n| TimelineBucket {
        start_ms,
        counts: BTreeMap::from([(o, n)]),
    };
    LoadReport {
        total: 40,
        outcomes: BTreeMap::from([(Outcome::Status(502), 20), (Outcome::Status(200), 20)]),
        by_method: BTreeMap::new(),
        by_stage: Vec::new(),
        late_starts: 0,
        max_late_ms: 0,
        sockets: Vec::new(),
        latency: LatencySummary {
            p50_ms: 1.5,
            p90_ms: 2.5,
            p99_ms: 9.0,
            max_ms: 12.0,
            mean_ms: 2.0,
        },
        timeline_bucket_ms: 100,
        fitted_bucket_ms: 0,
        fitted_timeline: Vec::new(),
        timeline: vec![
            bucket(0, Outcome::Status(502), 20),
            bucket(100, Outcome::Status(200), 15),
            bucket(200, Outcome::Status(200), 5),
        ],
        integrity: Integrity {
            verified: 20,
            ..Integrity::default()
        },
        examples: BTreeMap::new(),
        wall_ms: 300,
        requests_per_sec: 133.0,
        cancelled: false,
        max_stall_ms: 0,
        requests: Vec::new(),
    }
}

fn phase(name: &str, verdict: Verdict, checks: Vec<Check>, config: &str) -> PhaseResult {
    let counters = CounterSnapshot {
        connections: 20,
        requests: 20,
        observable: true,
        ..CounterSnapshot::default()
    };
    PhaseResult {
        name: name.into(),
        about: Some(format!("The {name} phase.")),
        config: config.into(),
        verdict,
        run_dir: PathBuf::from("reports/sample").join(name),
        nginx_port: Some(8080),
        config_rejected: None,
        load: Some(load()),
        upstreams: BTreeMap::from([
            ("app.primary".to_string(), counters),
            ("app.spare".to_string(), CounterSnapshot::default()),
        ]),
        servers_used: Some(vec!["app.primary".into()]),
        fault_windows: Vec::new(),
        dns_queries: BTreeMap::new(),
        evidence: Default::default(),
        log: LogSummary {
            by_level: BTreeMap::from([("error".to_string(), 20)]),
            messages: vec![LogMessage {
                level: "error".into(),
                message: "connect() failed (111: Connection refused)".into(),
                count: 20,
                example: QUOTED.into(),
            }],
        },
        checks,
        error: None,
        wall_ms: 310,
    }
}

fn scenario(
    name: &str,
    title: &str,
    phases: Vec<PhaseResult>,
    checks: Vec<Check>,
) -> ScenarioResult {
    let verdict = phases.iter().fold(Verdict::Pass, |v, p| v.worst(p.verdict));
    ScenarioResult {
        name: name.into(),
        attempt: 1,
        seed: 7,
        title: title.into(),
        story: "A story with <b>markup</b> & ampersands.".into(),
        file: PathBuf::from(format!("scenarios/{name}.yaml")),
        guide_step: "Check the upstream.".into(),
        nginx_version: "1.22.1".into(),
        nginx_source: "/usr/sbin/nginx".into(),
        verdict,
        wall_ms: 700,
        phases,
        checks,
        retried: false,
        skipped: Vec::new(),
    }
}

/// [`result`] with a phase of the first scenario gated out by `nginx_versions`.
pub fn with_skipped_phase() -> RunResult {
    let mut result = result();
    result.scenarios[0].skipped = vec![crate::result::SkippedPhase {
        name: "new-behaviour".into(),
        reason: SKIP_REASON.into(),
    }];
    result
}

/// Why [`with_skipped_phase`]'s phase was skipped.
pub const SKIP_REASON: &str = "needs nginx >=1.29.7; this is 1.22.1";

/// The line every format must show for the failing phase's sample request.
pub const REQUEST_LINE: &str = "#3 client: 502 in 1.5 ms · nginx: 502 after 0.001s, tries 502 (127.0.0.1:9), conn *4 · upstream: not reached";

/// The failing phase's evidence: 20 requests nginx logged as 502, one sampled.
fn evidence() -> Evidence {
    let trace = Trace {
        id: 3,
        client: Some(ClientRecord {
            id: 3,
            method: "GET".into(),
            outcome: Outcome::Status(502),
            latency_ms: 1.5,
            started_ms: 0.0,
            detail: None,
            h2: None,
        }),
        nginx: Some(NginxRecord {
            id: Some(3),
            status: "502".into(),
            tries: vec![UpstreamTry {
                status: "502".into(),
                addr: "127.0.0.1:9".into(),
                connect_time: None,
                header_time: None,
                response_time: Some(0.0),
            }],
            request_time: 0.001,
            connection: 4,
            connection_requests: 1,
            bytes_sent: 300,
            method: "GET".into(),
            uri: "/".into(),
        }),
        upstream: Vec::new(),
        log: vec![QUOTED.into()],
        log_shared: false,
    };
    Evidence {
        nginx_status: BTreeMap::from([("502".to_string(), 20)]),
        tries: BTreeMap::from([("502".to_string(), 20)]),
        samples: vec![trace],
        ..Evidence::default()
    }
}

/// One passing and one failing scenario.
pub fn result() -> RunResult {
    let passing = scenario(
        "upstream-down",
        "The only upstream is down",
        vec![
            phase(
                "baseline",
                Verdict::Pass,
                vec![check("outcome 502", true, &[])],
                "server a;\n",
            ),
            phase(
                "fix",
                Verdict::Pass,
                vec![check("outcome 200", true, &[])],
                "server a;\nserver b backup;\n",
            ),
        ],
        vec![check("fault fired", true, &[])],
    );
    let mut broken = phase(
        "baseline",
        Verdict::Fail,
        vec![check("outcome 502", false, &[QUOTED])],
        "x\n",
    );
    broken.evidence = evidence();
    let failing = scenario(
        "broken<script>",
        "A title with <script>alert(1)</script>",
        vec![broken],
        vec![check("fault did not fire", false, &[])],
    );
    RunResult {
        schema_version: crate::result::SCHEMA_VERSION,
        run_id: "sample-run".into(),
        shard: None,
        merged_from: Vec::new(),
        repeat: 1,
        started_at: "2026-01-01T00:00:00Z".into(),
        seed: 7,
        nginx: NginxBinary {
            path: PathBuf::from("/usr/sbin/nginx"),
            version: "1.22.1".into(),
            configure_args: String::new(),
        },
        nginx_matrix: Vec::new(),
        out_dir: PathBuf::from("reports/sample-run"),
        wall_ms: 1400,
        verdict: Verdict::Fail,
        scenarios: vec![passing, failing],
    }
}

/// Validate `xml` against the Jenkins xUnit JUnit schema (`tests/fixtures/junit/junit-10.xsd`)
/// with `xmllint` (Debian's libxml2-utils, `scripts/ensure-xmllint`). Without xmllint the check
/// is skipped with a printed reason, and fails under `CI=true`.
pub fn assert_valid_junit(xml: &str) {
    let xsd = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/junit/junit-10.xsd"
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, xml).expect("the temp dir is writable");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", xsd])
        .arg(&file)
        .output();
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "JUnit not valid against junit-10.xsd:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true and xmllint cannot run ({e}): run scripts/ensure-xmllint")
        }
        Err(e) => eprintln!("SKIPPED JUnit schema validation: xmllint cannot run ({e})"),
    }
}
