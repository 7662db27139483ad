//! The nginx config model round-trips real configs: Debian's defaults, the configs the bundled
//! scenarios render, and the realistic reverse-proxy fixtures. Parse → write → parse gives the
//! same directives (names, argument values, nesting) and writing is stable.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use badgateway::nginx::{NginxBinary, RunDir, render};
use badgateway::nginxconf::{Node, parse, write};
use badgateway::scenario::{Addresses, Fragments, discover, expand};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nginx")
}

/// Every directive as `depth name value...`, in order.
pub(crate) fn flatten(nodes: &[Node], depth: usize, out: &mut Vec<String>) {
    for n in nodes {
        if let Node::Directive(d) = n {
            let args: Vec<String> = d.args.iter().map(|a| a.value()).collect();
            out.push(format!("{depth} {} {:?}", d.name, args));
            if let Some(b) = &d.block {
                flatten(b, depth + 1, out);
            }
        }
    }
}

pub(crate) fn round_trip(name: &str, source: &str) {
    let first = parse(source, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    round_trip_nodes(name, &first);
}

/// Write `first`, parse it back: the same directives, the same comments, and stable text.
pub(crate) fn round_trip_nodes(name: &str, first: &[Node]) {
    let written = write(first);
    let second = parse(&written, Path::new(name))
        .unwrap_or_else(|e| panic!("{name} rewritten: {e}\n{written}"));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten(first, 0, &mut a);
    flatten(&second, 0, &mut b);
    assert!(!a.is_empty(), "{name}: no directives");
    assert_eq!(a, b, "{name}: directives changed");
    assert_eq!(write(&second), written, "{name}: writing is not stable");
    let comments = |n: &[Node]| n.iter().filter(|x| matches!(x, Node::Comment(_))).count();
    assert_eq!(comments(first), comments(&second), "{name}: comments lost");
}

#[test]
fn fixtures_round_trip() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // Folders hold the tricky and malformed corpora (`config_corpus`).
        if name.starts_with("unparseable") || path.is_dir() {
            continue;
        }
        round_trip(&name, &std::fs::read_to_string(&path).unwrap());
        seen += 1;
    }
    assert!(seen >= 8, "fixtures found: {seen}");
}

#[test]
fn debian_defaults_keep_their_structure() {
    let text = std::fs::read_to_string(fixtures().join("debian-nginx.conf")).unwrap();
    let nodes = parse(&text, Path::new("nginx.conf")).unwrap();
    let mut flat = Vec::new();
    flatten(&nodes, 0, &mut flat);
    assert!(
        flat.iter()
            .any(|l| l == "1 include [\"/etc/nginx/sites-enabled/*\"]"),
        "{flat:#?}"
    );
    assert!(flat.iter().any(|l| l.starts_with("0 events")));
    let site = std::fs::read_to_string(fixtures().join("debian-sites-default")).unwrap();
    let nodes = parse(&site, Path::new("default")).unwrap();
    let mut flat = Vec::new();
    flatten(&nodes, 0, &mut flat);
    assert!(
        flat.contains(&"1 listen [\"[::]:80\", \"default_server\"]".to_string()),
        "{flat:#?}"
    );
    assert!(
        flat.contains(&"2 try_files [\"$uri\", \"$uri/\", \"=404\"]".to_string()),
        "{flat:#?}"
    );
}

#[test]
fn every_bundled_scenario_config_round_trips() {
    let nginx = NginxBinary {
        path: "/usr/sbin/nginx".into(),
        version: "1.22.1".into(),
        configure_args: String::new(),
    };
    let dir = RunDir {
        root: "/tmp/bgw-model".into(),
    };
    let mut count = 0;
    for loaded in discover(&[common::scenarios_dir()]).unwrap() {
        let s = &loaded.scenario;
        let mut map = BTreeMap::new();
        for (up, servers) in &s.upstreams {
            for (i, name) in servers.keys().enumerate() {
                map.insert(
                    (up.clone(), name.clone()),
                    format!("127.0.0.1:{}", 10_000 + i),
                );
            }
        }
        let addrs = s.tls_keys().iter().fold(Addresses(map), |addrs, key| {
            addrs.with_tls_file(key, format!("/tmp/bgw-model/{key}.pem"))
        });
        let names = s.dns.0.keys().map(|n| (n.clone(), format!("{n}:10000")));
        let addrs = addrs.with_dns("127.0.0.1:53", names);
        for phase in &s.phases {
            let raw = phase.config.apply(&s.config);
            let fragments = Fragments {
                http: expand(&raw.http, &addrs).unwrap(),
                location: expand(&raw.location, &addrs).unwrap(),
            };
            let conf = render(&nginx, s.nginx_for(phase), &fragments, &dir, 8080, "t");
            round_trip(&format!("{}/{}", s.name, phase.name), &conf);
            count += 1;
        }
    }
    assert!(count > 20, "{count} phases");
}
