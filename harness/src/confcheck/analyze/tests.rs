//! What `analyze` finds in the realistic shop fixture.

use std::path::Path;

use super::*;
use crate::nginxconf::load;

fn shop() -> Analysis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nginx/shop-backup.conf");
    analyze(&load(&path).unwrap())
}

#[test]
fn upstreams_keep_their_servers_and_backups() {
    let a = shop();
    let names: Vec<&str> = a.upstreams.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["shop_app", "api", "10.0.0.50:3000"]);
    let app = &a.upstreams[0];
    assert_eq!(app.servers.len(), 3);
    assert!(app.servers[2].backup && !app.servers[0].backup);
    assert_eq!(app.servers[1].address, "app-2.internal:8080");
    assert!(a.upstreams[2].implicit);
}

#[test]
fn targets_carry_host_listen_and_path() {
    let a = shop();
    let t: Vec<(&str, &str, &str, &str)> = a
        .targets
        .iter()
        .map(|t| {
            (
                t.upstream.as_str(),
                t.host.as_str(),
                t.listen.as_str(),
                t.path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        t,
        [
            ("shop_app", "shop.example.com", "*:80", "/"),
            ("api", "api.example.com", "*:80", "/v1/"),
            ("10.0.0.50:3000", "localhost", "*:8080", "/admin/"),
        ]
    );
    assert_eq!(a.listens, ["*:80", "[::]:80", "*:8080"]);
}

#[test]
fn what_cannot_be_tested_is_listed_with_a_reason() {
    let a = shop();
    let reasons: Vec<String> = a
        .untested
        .iter()
        .map(|u| format!("{}: {}", u.what, u.reason))
        .collect();
    let all = reasons.join("\n");
    assert!(
        all.contains("location @fallback") && all.contains("named location"),
        "{all}"
    );
    assert!(
        all.contains("$arg_backend") && all.contains("variables"),
        "{all}"
    );
    assert_eq!(a.untested.len(), 2, "{all}");
}

#[test]
fn pass_arguments_split_into_scheme_authority_and_uri() {
    let p = split_pass("http://unix:/run/a.sock:/x").unwrap();
    assert_eq!(
        (p.authority.as_str(), p.uri.as_str()),
        ("unix:/run/a.sock", "/x")
    );
    let p = split_pass("https://10.0.0.1:8443/api/").unwrap();
    assert_eq!(
        (p.scheme.as_str(), p.authority.as_str(), p.uri.as_str()),
        ("https://", "10.0.0.1:8443", "/api/")
    );
    let p = split_pass("127.0.0.1:9000").unwrap();
    assert_eq!(
        (p.scheme.as_str(), p.authority.as_str()),
        ("", "127.0.0.1:9000")
    );
    assert!(split_pass("http://$backend").is_none());
    assert_eq!(listen_key("80"), "*:80");
    assert_eq!(listen_key("[::]:80"), "[::]:80");
    assert_eq!(listen_key("127.0.0.1"), "127.0.0.1:80");
}
