//! `check` and `compare` on realistic configs against real nginx, with known answers; and the
//! bad-input paths (unparseable config, config nginx rejects) with their exit codes.

use crate::common;

use std::path::{Path, PathBuf};

use badgateway::confcheck::{
    Change, CheckOptions, CheckReport, FaultKind, Placement, check, compare,
};

const ONE: Placement = Placement::OneServer;
use badgateway::fixes::Catalogue;
use badgateway::nginx::NginxBinary;
use badgateway::outcome::Outcome;
use tokio_util::sync::CancellationToken;

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nginx")
        .join(name)
}

fn catalogue() -> Catalogue {
    Catalogue::load(&[common::scenarios_dir()]).unwrap()
}

/// `check --config CONFIG --fault refuse` exits 1 and prints the defect of `server` with `fix`.
pub(crate) fn assert_cli_defect(config: &str, server: &str, fix: &str) {
    let conf = fixture(config);
    let out = common::run_cli(&[
        "check",
        "--config",
        conf.to_str().unwrap(),
        "--fault",
        "refuse",
        "--quiet",
    ]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("DEFECT {server}")), "{text}");
    assert!(text.contains(&format!("fix: {fix}")), "{text}");
}

pub(crate) async fn run(nginx: &NginxBinary, config: &str, faults: &[FaultKind]) -> CheckReport {
    let work = tempfile::tempdir().unwrap();
    let opts = CheckOptions {
        nginx: nginx.clone().into(),
        work_dir: work.path().to_path_buf(),
        upstreams: Vec::new(),
        faults: faults.to_vec(),
        location_paths: Default::default(),
        progress: None,
        label: config.to_string(),
    };
    check(
        &fixture(config),
        &opts,
        &catalogue(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_or_else(|e| panic!("{config}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_server_survives_refuse_and_a_single_server_does_not() {
    let Some(nginx) = common::nginx_or_skip("a_backup_server_survives_refuse") else {
        return;
    };
    let with = run(&nginx, "backup.conf", &[FaultKind::Refuse]).await;
    let cell = with
        .cell("app", FaultKind::Refuse, ONE)
        .expect("app × refuse ran");
    assert!(cell.survives, "{cell:?}");
    assert!(cell.advice.is_none());
    let without = run(&nginx, "single.conf", &[FaultKind::Refuse]).await;
    let cell = without
        .cell("app", FaultKind::Refuse, ONE)
        .expect("app × refuse ran");
    assert!(!cell.survives, "{cell:?}");
    assert_eq!(
        cell.outcomes.get(&Outcome::Status(502)),
        Some(&6),
        "{cell:?}"
    );
    assert_eq!(cell.advice.as_ref().unwrap().scenario, "upstream-down");
    assert!(
        cell.log.iter().any(|l| l.contains("Connection refused")),
        "{:?}",
        cell.log
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_keepalive_timeout_regresses_the_keepalive_race() {
    let Some(nginx) = common::nginx_or_skip("dropping_keepalive_timeout_regresses") else {
        return;
    };
    let before = run(&nginx, "keepalive-tuned.conf", &[FaultKind::IdleClose]).await;
    let after = run(&nginx, "keepalive-untuned.conf", &[FaultKind::IdleClose]).await;
    let b = before.cell("node", FaultKind::IdleClose, ONE).unwrap();
    let a = after.cell("node", FaultKind::IdleClose, ONE).unwrap();
    assert!(b.survives, "tuned: {b:?}");
    assert!(
        !a.survives && a.outcomes.contains_key(&Outcome::Status(502)),
        "untuned: {a:?}"
    );
    assert!(a.fired > 0, "the fake dropped stale requests: {a:?}");
    assert_eq!(a.advice.as_ref().unwrap().scenario, "keepalive-race");
    let c = compare(before, after);
    assert_eq!(c.rows.len(), 1);
    assert_eq!(c.rows[0].change, Change::Regressed);
    assert!(c.regressed());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shop_config_runs_the_whole_catalogue() {
    let Some(nginx) = common::nginx_or_skip("the_shop_config_runs_the_whole_catalogue") else {
        return;
    };
    let r = run(&nginx, "shop-backup.conf", &[]).await;
    let names: Vec<&str> = r
        .upstreams
        .iter()
        .map(|u| u.upstream.name.as_str())
        .collect();
    assert_eq!(names, ["shop_app", "api", "10.0.0.50:3000"], "{r:#?}");
    for up in &r.upstreams {
        let runs = if up.primaries() > 1 { 2 } else { 1 };
        assert_eq!(
            up.distinct_cells().count(),
            runs * badgateway::confcheck::faults::played_for(
                badgateway::confcheck::analyze::Protocol::Http
            )
            .len()
        );
    }
    // shop_app and api have backups: a refused primary is invisible to clients.
    assert!(r.cell("shop_app", FaultKind::Refuse, ONE).unwrap().survives);
    assert!(r.cell("api", FaultKind::Refuse, ONE).unwrap().survives);
    let admin = r.cell("10.0.0.50:3000", FaultKind::Refuse, ONE).unwrap();
    assert!(!admin.survives && admin.advice.is_some(), "{admin:?}");
    // A 2 s stall is a 200 under the default 60 s proxy_read_timeout.
    assert!(r.cell("shop_app", FaultKind::Stall, ONE).unwrap().survives);
    // A truncated body is not saved by any backup: the status went out first.
    let cut = r.cell("api", FaultKind::CloseMidBody, ONE).unwrap();
    assert!(cut.outcomes.contains_key(&Outcome::Truncated), "{cut:?}");
    let untested: Vec<&str> = r.untested.iter().map(|u| u.what.as_str()).collect();
    assert!(
        untested.iter().any(|u| u.contains("@fallback")),
        "{untested:?}"
    );
    assert!(
        untested.iter().any(|u| u.contains("$arg_backend")),
        "{untested:?}"
    );
}

#[test]
fn cli_check_and_compare_exit_codes() {
    let Some(_) = common::nginx_or_skip("cli_check_and_compare_exit_codes") else {
        return;
    };
    let f = |n: &str| fixture(n).display().to_string();
    let out = common::run_cli(&["check", "--config", &f("unparseable.conf")]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("unparseable.conf:6:24") && text.contains("unterminated"),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");

    let out = common::run_cli(&["check", "--config", &f("rejected.conf")]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("-t rejects") && text.contains("proxy_busy_buffers_size"),
        "{text}"
    );

    // A directive this nginx does not know stays: nginx's refusal is the answer, mapped to
    // the user's line, with the hint to check with the nginx that is deployed.
    let nginx = common::nginx_or_skip("http2 on").unwrap();
    let out = common::run_cli(&["check", "--config", &f("http2-on.conf"), "--quiet"]);
    let text = common::text(&out);
    let knows_http2_on = badgateway::scenario::VersionRange::try_from(">=1.25.1".to_string())
        .unwrap()
        .matches(&nginx.version);
    if knows_http2_on {
        assert_ne!(out.status.code(), Some(4), "{text}");
    } else {
        assert_eq!(out.status.code(), Some(4), "{text}");
        assert!(text.contains("http2-on.conf:9:"), "{text}");
        assert!(text.contains("--nginx PATH"), "{text}");
    }

    let out = common::run_cli(&["check", "--config", &f("single.conf"), "--upstream", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));

    // A fault the config does not survive fails the check, unless exploring with --no-fail.
    let refuse = |config: &str, extra: &[&str]| {
        let mut args = vec!["check", "--config", config, "--fault", "refuse", "--quiet"];
        args.extend(extra);
        common::run_cli(&args)
    };
    let out = refuse(&f("single.conf"), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    let out = refuse(&f("single.conf"), &["--no-fail"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    let out = refuse(&f("backup.conf"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    // Nothing testable is not a pass.
    let out = refuse(&f("untestable.conf"), &[]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(6), "{text}");
    assert!(text.contains("nothing was proven"), "{text}");

    let args = |b: &str, a: &str| {
        vec![
            "compare".to_string(),
            "--before".into(),
            f(b),
            "--after".into(),
            f(a),
            "--fault".into(),
            "idle_close".into(),
        ]
    };
    let out = common::badgateway()
        .args(args("keepalive-tuned.conf", "keepalive-untuned.conf"))
        .output()
        .unwrap();
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("REGRESSED") && text.contains("keepalive-race"),
        "{text}"
    );
    let out = common::badgateway()
        .args(args("keepalive-untuned.conf", "keepalive-tuned.conf"))
        .output()
        .unwrap();
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("fixed"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_primary_fixes_crash_reset_and_refuse_when_one_server_plays_them() {
    let Some(nginx) = common::nginx_or_skip("a_second_primary_fixes") else {
        return;
    };
    let faults = [
        FaultKind::Refuse,
        FaultKind::Reset,
        FaultKind::CloseBeforeResponse,
    ];
    let before = run(&nginx, "single.conf", &faults).await;
    let after = run(&nginx, "two-primaries.conf", &faults).await;
    let c = compare(before, after);
    for fault in faults {
        let row = |placement| {
            c.rows
                .iter()
                .find(|r| r.fault == fault && r.placement == placement)
                .unwrap_or_else(|| panic!("{fault:?} {placement:?}: {:#?}", c.rows))
        };
        // One of two servers failing: nginx retries the other, clients see 200s.
        assert_eq!(row(ONE).change, Change::Fixed, "{:#?}", row(ONE));
        // Both failing and no backup: the second server is no help.
        let all = row(Placement::AllPrimaries);
        assert_eq!(all.change, Change::StillFails, "{all:#?}");
    }
}

#[test]
fn one_config_on_two_nginx_versions_shows_the_keepalive_upgrade_hazard() {
    let test = "one_config_on_two_nginx_versions";
    let (Some(_), Some(newer)) = (
        common::nginx_or_skip(test),
        common::local_nginx_or_skip("1.30", test),
    ) else {
        return;
    };
    let old = badgateway::nginx::locate(None).unwrap();
    let config = fixture("two-primaries.conf");
    let out = common::run_cli(&[
        "compare",
        "--config",
        config.to_str().unwrap(),
        "--nginx",
        old.path.to_str().unwrap(),
        "--nginx",
        newer.to_str().unwrap(),
        "--fault",
        "idle_close",
        "--quiet",
    ]);
    let text = common::text(&out);
    if badgateway::scenario::VersionRange::try_from(">=1.29.7".to_string())
        .unwrap()
        .matches(&old.version)
    {
        // Both pool by default: no hazard between them to show.
        assert_eq!(out.status.code(), Some(0), "{text}");
        return;
    }
    // Before 1.29.7 nginx opens a connection per request, so the upstream's idle timer never
    // meets a reused one; 1.30 pools by default and POSTs meet the race.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("REGRESSED") && text.contains("location /api/: REGRESSED"),
        "{text}"
    );
    assert!(text.contains("keepalive-race"), "{text}");
    let out = common::run_cli(&["compare", "--config", config.to_str().unwrap(), "--quiet"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "one --nginx is bad input: {}",
        common::text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn named_and_regex_locations_are_tested_through_a_path_that_reaches_them() {
    let Some(nginx) = common::nginx_or_skip("named_and_regex_locations") else {
        return;
    };
    let r = run(&nginx, "named-and-regex.conf", &[FaultKind::Refuse]).await;
    let cell = r
        .cell("app", FaultKind::Refuse, ONE)
        .expect("app × refuse ran");
    let locations: Vec<&str> = cell
        .by_location
        .iter()
        .map(|l| l.location.as_str())
        .collect();
    // Both passed the control run (their requests reached the fake as 200s) and met the fault.
    assert_eq!(
        locations,
        [
            "site.example location @app",
            "site.example location ~ ^/api/v\\d+/",
            "site.example location /legacy/ if (!-f $request_filename)",
        ],
        "{r:#?}"
    );
    assert!(cell.by_location.iter().all(|l| !l.survives()), "{cell:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_warmed_by_the_control_run_answers_while_the_server_is_down() {
    let Some(nginx) = common::nginx_or_skip("a_cache_warmed_by_the_control_run") else {
        return;
    };
    // The same single server as single.conf (where refuse gives 502×6), behind a cache with
    // fresh entries: every run after the control one starts nginx afresh, and nginx reads a
    // cold cache's files from disk, so the control run's entries answer.
    let r = run(&nginx, "cached.conf", &[FaultKind::Refuse]).await;
    let cell = r
        .cell("app", FaultKind::Refuse, ONE)
        .expect("app × refuse ran");
    assert!(cell.survives, "{cell:#?}");
    assert_eq!(
        cell.outcomes.get(&Outcome::Status(200)),
        Some(&6),
        "{cell:#?}"
    );
    assert!(
        r.changes
            .iter()
            .any(|c| c.what.contains("control run warms the cache")),
        "{:#?}",
        r.changes
    );
}

#[test]
fn a_sites_enabled_snippet_is_checked_inside_a_default_http_block_and_says_so() {
    let Some(_) = common::nginx_or_skip("a_sites_enabled_snippet") else {
        return;
    };
    let snippet = fixture("tricky/snippet/sites-enabled/shop");
    let args = [
        "check",
        "--config",
        snippet.to_str().unwrap(),
        "--fault",
        "refuse",
        "--quiet",
    ];
    let out = common::run_cli(&args);
    let text = common::text(&out);
    // One server and no backup: refuse fails, which proves the snippet really ran.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("note:") && text.contains("wrapped in `events {}` and `http {}`"),
        "{text}"
    );
    assert!(text.contains("refuse") && text.contains("FAILS"), "{text}");
}
