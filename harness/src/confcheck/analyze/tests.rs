//! What `analyze` finds in the realistic shop fixture and the protocol fixtures, and the
//! config-text helper the protocol modules' own tests share.

use std::path::Path;

use super::*;
use crate::nginxconf::{Node, load, parse};

/// The `http` block of `conf`, its first `server` and that server's first `location`, in
/// that order: what a scope-reading test enters one after the other.
pub(super) fn first_location(conf: &str) -> [Directive; 3] {
    let nodes = parse(conf, Path::new("t.conf")).unwrap();
    let http = nodes
        .iter()
        .find_map(|n| match n {
            Node::Directive(d) if d.name == "http" => Some(d),
            _ => None,
        })
        .unwrap();
    let server = http.children().find(|d| d.name == "server").unwrap();
    let location = server.children().find(|d| d.name == "location").unwrap();
    [http.clone(), server.clone(), location.clone()]
}

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

#[test]
fn named_and_regex_locations_get_a_path_that_reaches_them() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        r#"events {}
http {
    upstream app { server 10.0.0.1:3000; }
    server {
        listen 80;
        server_name site.example;
        location /static/ { root /srv; try_files $uri @app; }
        location @app { proxy_pass http://app; }
        location ~ ^/api/v\d+/ { proxy_pass http://app; }
        location ~* [^/]+\.cgi$ { proxy_pass http://app; }
        location @down { proxy_pass http://app; }
        error_page 502 @down;
    }
}
"#,
    )
    .unwrap();
    let config = load(&conf).unwrap();
    let paths = |a: &Analysis| -> Vec<(String, String)> {
        a.targets
            .iter()
            .map(|t| (t.location.clone(), t.path.clone()))
            .collect()
    };
    let a = analyze(&config);
    assert_eq!(
        paths(&a),
        [
            (
                "location @app".into(),
                "/static/badgateway-no-such-file".into()
            ),
            ("location ~ ^/api/v\\d+/".into(), "/api/v1/".into()),
        ]
    );
    let untested: Vec<String> = a.untested.iter().map(|u| u.reason.clone()).collect();
    assert!(
        untested.iter().any(|r| r.contains("--location-path")),
        "{untested:?}"
    );
    assert!(
        untested.iter().any(|r| r.contains("error_page 502")),
        "{untested:?}"
    );
    let given = BTreeMap::from([("~* [^/]+\\.cgi$".to_string(), "/run.cgi".to_string())]);
    let a = analyze_with(&config, &given);
    assert!(paths(&a).contains(&("location ~* [^/]+\\.cgi$".into(), "/run.cgi".into())));
}

fn fixture(name: &str) -> Analysis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nginx")
        .join(name);
    analyze(&load(&path).unwrap())
}

#[test]
fn an_https_upstream_is_a_target_whose_fakes_present_the_name_nginx_checks() {
    let a = fixture("tls-upstream.conf");
    assert!(a.untested.is_empty(), "{:#?}", a.untested);
    assert!(a.notes.is_empty(), "{:#?}", a.notes);
    let t: Vec<(&str, &str)> = a
        .targets
        .iter()
        .map(|t| (t.upstream.as_str(), t.scheme.as_str()))
        .collect();
    assert_eq!(t, [("app", "https://")]);
    assert_eq!(a.upstreams[0].tls.as_deref(), Some("app"));
    assert_eq!(a.upstreams[0].servers.len(), 2);
    // The shop's upstreams are all plain.
    assert!(shop().upstreams.iter().all(|u| u.tls.is_none()));
    assert!(shop().targets.iter().all(|t| t.scheme == "http://"));
}

#[test]
fn a_second_name_for_one_tls_upstream_is_noted_not_guessed() {
    let a = fixture("tls-wrong-name.conf");
    assert_eq!(a.targets.len(), 2, "both locations are tested");
    assert_eq!(a.upstreams[0].tls.as_deref(), Some("app"));
    assert_eq!(a.notes.len(), 1, "{:#?}", a.notes);
    assert!(
        a.notes[0].contains("location /legacy/")
            && a.notes[0].contains("wrong.example")
            && a.notes[0].contains("control run to fail"),
        "{}",
        a.notes[0]
    );
}

#[test]
fn tls_names_from_literals_and_request_variables_and_the_passes_that_stay_untested() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp {\n    upstream api { server 10.0.0.2:443; }\n    server {\n        \
         listen 80;\n        proxy_ssl_verify on;\n        proxy_ssl_trusted_certificate /x.pem;\n        \
         location /a/ { proxy_pass https://10.0.0.9:8443; }\n        \
         location /b/ { proxy_pass https://api; proxy_ssl_name $cookie_tenant; }\n        \
         location /c/ { proxy_pass http://api; }\n        \
         location /u/ { uwsgi_pass 10.0.0.3:3031; }\n        \
         location /g/ { grpc_pass grpcs://10.0.0.4:50051; }\n    }\n}\n",
    )
    .unwrap();
    let a = analyze(&load(&conf).unwrap());
    let tls: Vec<(&str, Option<&str>)> = a
        .upstreams
        .iter()
        .map(|u| (u.name.as_str(), u.tls.as_deref()))
        .collect();
    assert_eq!(
        tls,
        [
            ("api", Some("api")),
            ("10.0.0.9:8443", Some("127.0.0.1")),
            ("10.0.0.3:3031", None),
            ("10.0.0.4:50051", None),
        ]
    );
    let notes = a.notes.join("\n");
    assert!(
        notes.contains("proxy_ssl_name $cookie_tenant depends on the request"),
        "{notes}"
    );
    assert!(
        notes.contains("location /c/") && notes.contains("its fakes speak TLS"),
        "{notes}"
    );
    let untested: Vec<&str> = a.untested.iter().map(|u| u.reason.as_str()).collect();
    let passes: Vec<&&str> = untested.iter().filter(|r| r.contains("_pass")).collect();
    assert_eq!(passes.len(), 2, "{untested:?}");
    assert!(passes.iter().any(|r| r.starts_with("uwsgi_pass")));
    assert!(passes.iter().any(|r| r.starts_with("grpc_pass")));
}

fn php(file: &str) -> Analysis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nginx/php")
        .join(file);
    analyze(&load(&path).unwrap())
}

#[test]
fn a_fastcgi_pass_is_a_target_whose_upstream_speaks_fastcgi() {
    let a = php("site.conf");
    assert!(a.untested.is_empty(), "{:#?}", a.untested);
    let [t] = a.targets.as_slice() else {
        panic!("one target: {:#?}", a.targets);
    };
    assert_eq!(
        (t.upstream.as_str(), t.host.as_str()),
        ("php", "site.example")
    );
    assert!(t.path.ends_with(".php"), "{}", t.path);
    let fcgi = t.fastcgi.as_ref().unwrap();
    assert_eq!(fcgi.problem, None);
    assert_eq!(fcgi.root.as_deref(), Some("/var/www/site/public"));
    assert_eq!(a.upstreams[0].protocol, Protocol::FastCgi);
    assert_eq!(
        document_root(a.targets.iter().filter_map(|t| t.fastcgi.as_ref())),
        "/var/www/site/public"
    );
}

#[test]
fn the_classic_script_filename_mistakes_are_named_before_any_run() {
    let a = php("wrong-script-filename.conf");
    let problems: Vec<String> = a
        .targets
        .iter()
        .map(|t| t.fastcgi.as_ref().unwrap().problem.clone().unwrap())
        .collect();
    assert!(
        problems[0].contains("is not under root /var/www/blog"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("no fastcgi_param SCRIPT_FILENAME"),
        "{problems:?}"
    );
    assert!(a.upstreams.iter().all(|u| u.protocol == Protocol::FastCgi));
}

#[test]
fn uwsgi_scgi_and_grpc_without_http2_stay_untested_with_what_they_need() {
    let config = crate::nginxconf::Config {
        file: "t.conf".into(),
        prefix: ".".into(),
        nodes: crate::nginxconf::parse(
            "http { server { location /a { uwsgi_pass 127.0.0.1:3031; } \
             location /b { scgi_pass 127.0.0.1:4000; } location /c { grpc_pass grpc://127.0.0.1:50051; } } }",
            Path::new("t.conf"),
        )
        .unwrap(),
        notes: Vec::new(),
        wrapped_snippet: false,
    };
    let a = analyze(&config);
    assert!(a.targets.is_empty());
    let reasons: Vec<&str> = a.untested.iter().map(|u| u.reason.as_str()).collect();
    for needed in ["not uwsgi", "not SCGI", "no HTTP/2"] {
        assert!(
            reasons.iter().any(|r| r.contains(needed)),
            "{needed}: {reasons:#?}"
        );
    }
}

#[test]
fn a_proxy_pass_with_the_upgrade_recipe_is_a_websocket_location() {
    let a = fixture("websocket/site.conf");
    let [up] = a.upstreams.as_slice() else {
        panic!("one upstream: {a:#?}");
    };
    assert_eq!(up.protocol, Protocol::WebSocket);
    let ws = a.targets[0].websocket.as_ref().expect("a WebSocket target");
    assert_eq!(ws.problem, None);
    assert_eq!(ws.read_timeout.as_deref(), Some("1h"));
    assert!(
        a.notes.iter().any(|n| n.contains("proxy_read_timeout 1h")),
        "{:#?}",
        a.notes
    );
    assert!(a.untested.is_empty(), "{:#?}", a.untested);
    // A plain proxy_pass stays HTTP.
    assert!(
        shop()
            .upstreams
            .iter()
            .all(|u| u.protocol == Protocol::Http)
    );
}

#[test]
fn each_half_recipe_location_carries_its_problem() {
    let a = fixture("websocket/half-recipe.conf");
    let problems: Vec<(&str, &str)> = a
        .targets
        .iter()
        .map(|t| {
            let ws = t.websocket.as_ref().expect("a WebSocket target");
            (t.upstream.as_str(), ws.problem.as_deref().unwrap_or(""))
        })
        .collect();
    let [(feed, no_version), (chat, no_connection), (live, dropped)] = problems.as_slice() else {
        panic!("three targets: {problems:#?}");
    };
    assert_eq!([*feed, *chat, *live], ["feed", "chat", "live"]);
    assert!(
        no_version.contains("no proxy_http_version 1.1"),
        "{no_version}"
    );
    assert!(
        no_connection.contains("Connection: close"),
        "{no_connection}"
    );
    assert!(dropped.contains("do not reach this location"), "{dropped}");
}

#[test]
fn pages_and_websockets_to_one_upstream_make_it_speak_both() {
    let a = fixture("websocket/shared-upstream.conf");
    for up in &a.upstreams {
        assert_eq!(up.protocol, Protocol::HttpAndWebSocket, "{}", up.name);
    }
    let of = |name: &str| -> Vec<(String, Protocol)> {
        a.targets
            .iter()
            .filter(|t| t.upstream == name)
            .map(|t| (t.location.clone(), t.speaks()))
            .collect()
    };
    assert_eq!(
        of("app"),
        [
            ("location /".to_string(), Protocol::Http),
            ("location /ws/".to_string(), Protocol::WebSocket)
        ]
    );
    // A `location /` with the recipe serves the pages too: played both ways.
    assert_eq!(
        of("live"),
        [
            ("location /".to_string(), Protocol::WebSocket),
            ("location / (plain HTTP)".to_string(), Protocol::Http)
        ]
    );
    let socket = a.targets.iter().find(|t| t.location == "location /socket/");
    let problem = socket.and_then(|t| t.websocket.as_ref()?.problem.clone());
    assert!(problem.unwrap().contains("do not reach this location"));
    assert!(
        !a.notes.iter().any(|n| n.contains("also used by")),
        "{:#?}",
        a.notes
    );
    // No fake speaks FastCGI and HTTP: the first location decides, with a note.
    assert_eq!(Protocol::Http.with(Protocol::FastCgi), None);
    assert_eq!(
        Protocol::WebSocket.with(Protocol::Http),
        Some(Protocol::HttpAndWebSocket)
    );
}
