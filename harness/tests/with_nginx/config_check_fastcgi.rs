//! `check` on PHP sites against real nginx: `fastcgi_pass` locations played by fakes that
//! speak FastCGI as PHP-FPM does, with the columns that fit FastCGI; the user's
//! `fastcgi_param`s kept, so a SCRIPT_FILENAME PHP-FPM cannot resolve is a defect (404
//! `Primary script unknown` with every upstream healthy), named with its cause and the fix,
//! and `check` exits 1 on it.

use crate::common;

use badgateway::confcheck::analyze::Protocol;
use badgateway::confcheck::faults::played_for;
use badgateway::confcheck::{FaultKind, Placement};
use badgateway::outcome::Outcome;

use super::config_check::run;

const ONE: Placement = Placement::OneServer;

#[tokio::test(flavor = "multi_thread")]
async fn a_php_site_gets_the_fastcgi_fault_matrix() {
    let Some(nginx) = common::nginx_or_skip("a_php_site_gets_the_fastcgi_fault_matrix") else {
        return;
    };
    let r = run(&nginx, "php/site.conf", &[]).await;
    assert!(r.untested.is_empty() && r.defects.is_empty(), "{r:#?}");
    let [up] = r.upstreams.as_slice() else {
        panic!("one upstream: {r:#?}");
    };
    assert_eq!(up.upstream.protocol, Protocol::FastCgi);
    let played: Vec<FaultKind> = up.distinct_cells().map(|c| c.fault).collect();
    assert_eq!(played, played_for(Protocol::FastCgi));
    assert!(played.contains(&FaultKind::Refuse) && !played.contains(&FaultKind::CloseMidBody));
    // The backup pool answers for a primary that refuses, over FastCGI as over HTTP.
    let refuse = r.cell("php", FaultKind::Refuse, ONE).unwrap();
    assert!(refuse.survives, "{refuse:#?}");
    // Headers over the default fastcgi_buffer_size: 502 from nginx, with its line.
    let big = r.cell("php", FaultKind::FastcgiBigHeaders, ONE).unwrap();
    assert!(
        !big.survives && big.outcomes.contains_key(&Outcome::Status(502)),
        "{big:#?}"
    );
    assert!(
        big.log
            .iter()
            .any(|l| l.contains("upstream sent too big header")),
        "{big:#?}"
    );
    assert_eq!(big.advice.as_ref().unwrap().scenario, "php-fpm-big-headers");
    // A child killed mid-body: nginx had sent the 200; the body is short, never a 5xx.
    let killed = r.cell("php", FaultKind::FastcgiKilled, ONE).unwrap();
    assert!(!killed.survives && killed.fired > 0, "{killed:#?}");
    assert!(
        killed
            .outcomes
            .keys()
            .all(|o| !o.is_success() && !matches!(o, Outcome::Status(_))),
        "{killed:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_filename_php_fpm_cannot_resolve_is_a_defect_with_its_cause() {
    let Some(nginx) = common::nginx_or_skip("a_script_filename_php_fpm_cannot_resolve") else {
        return;
    };
    let r = run(
        &nginx,
        "php/wrong-script-filename.conf",
        &[FaultKind::Refuse],
    )
    .await;
    let [blog, shop] = r.defects.as_slice() else {
        panic!("two defects: {r:#?}");
    };
    for d in [blog, shop] {
        assert!(
            d.got.contains("404") && d.got.contains("Primary script unknown"),
            "{d:#?}"
        );
        assert_eq!(
            d.fix,
            "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;"
        );
    }
    assert!(
        blog.location.starts_with("blog.example")
            && blog.cause.contains("not under root /var/www/blog"),
        "{blog:#?}"
    );
    assert!(
        shop.cause.contains("no fastcgi_param SCRIPT_FILENAME"),
        "{shop:#?}"
    );
    assert!(r.failed());
}

#[test]
fn check_exits_1_on_a_defect_and_names_the_fix() {
    let Some(_) = common::nginx_or_skip("check_exits_1_on_a_defect") else {
        return;
    };
    super::config_check::assert_cli_defect(
        "php/wrong-script-filename.conf",
        "blog.example",
        "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;",
    );
}
