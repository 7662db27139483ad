use std::path::Path;

use super::*;
use crate::nginxconf::load;

#[test]
fn your_access_logs_move_into_the_run_dir_and_the_request_log_sits_beside_each() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nginx/shop-backup.conf");
    let nginx = NginxBinary {
        path: "/usr/sbin/nginx".into(),
        version: "1.22.1".into(),
        configure_args: String::new(),
    };
    let dir = RunDir {
        root: "/run/check".into(),
    };
    let conf = render(&load(&file).unwrap(), &nginx, &dir, &Assignment::default());
    assert!(!conf.contains("/var/log/nginx"), "{conf}");
    assert!(
        conf.contains("access_log /run/check/access-1.log;"),
        "{conf}"
    );
    assert!(conf.contains("access_log off;"), "kept as written: {conf}");
    let ours = "access_log /run/check/requests.jsonl badgateway_requests;";
    assert_eq!(
        conf.matches(ours).count(),
        2,
        "at http level and beside the server's: {conf}"
    );
    assert_eq!(
        conf.matches("log_format badgateway_requests escape=json '{")
            .count(),
        1
    );
}

#[test]
fn only_addresses_listens_and_paths_change_and_each_change_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "user www-data;\nevents {}\nhttp {\n    upstream app {\n        zone app 64k;\n        \
         server 10.0.0.5:8080 resolve max_fails=2;\n        server app.internal service=http resolve;\n    }\n    \
         server {\n        listen 443 ssl;\n        http2 on;\n        ssl_certificate /etc/x.pem;\n        \
         location / { proxy_pass http://app; }\n    }\n}\n",
    )
    .unwrap();
    let nginx = NginxBinary {
        path: "/usr/sbin/nginx".into(),
        version: "1.22.1".into(),
        configure_args: String::new(),
    };
    let run = RunDir {
        root: "/run/check".into(),
    };
    let mut a = Assignment::default();
    a.servers.insert(("app".into(), 0), "127.0.0.1:4001".into());
    a.servers.insert(("app".into(), 1), "127.0.0.1:4002".into());
    let r = render_mapped(&load(&conf).unwrap(), &nginx, &run, &a);
    // Kept as written, even where an older nginx refuses it: `nginx -t` must say so.
    assert!(r.text.contains("http2 on;"), "{}", r.text);
    assert!(
        r.text
            .contains("server 127.0.0.1:4001 resolve max_fails=2;"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("server 127.0.0.1:4002 resolve;"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("ssl_certificate") && !r.text.contains("user www-data"));
    let listed: Vec<String> = r
        .changes
        .iter()
        .map(|c| format!("{} @{}", c.what, c.at.rsplit('/').next().unwrap()))
        .collect();
    for want in [
        "`user` left out: the test nginx runs as you @nginx.conf:1:1",
        "upstream app: server 10.0.0.5:8080 → a fake upstream @nginx.conf:6:9",
        "upstream app: server app.internal → a fake upstream @nginx.conf:7:9",
        "`service=` left out: the fake's address replaces the SRV lookup @nginx.conf:7:9",
        "listen 443 ssl → 127.0.0.1:harness port (served as plain HTTP/1.1) @nginx.conf:10:9",
        "`ssl_certificate` left out: client-side TLS is served as plain HTTP @nginx.conf:12:9",
    ] {
        assert!(listed.iter().any(|l| l == want), "{want}\nin {listed:#?}");
    }
    assert!(
        !listed
            .iter()
            .any(|l| l.contains("http2") || l.contains("resolve")),
        "{listed:#?}"
    );
}

#[test]
fn upstream_tls_files_point_at_the_runs_ca_and_client_pair_and_every_other_setting_stays() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nginx/tls-upstream.conf");
    let nginx = NginxBinary {
        path: "/usr/sbin/nginx".into(),
        version: "1.22.1".into(),
        configure_args: String::new(),
    };
    let run = RunDir {
        root: "/run/check".into(),
    };
    let mut a = Assignment::default();
    a.servers.insert(("app".into(), 0), "127.0.0.1:4001".into());
    let r = render_mapped(&load(&file).unwrap(), &nginx, &run, &a);
    for kept in [
        "proxy_pass https://app;",
        "proxy_ssl_verify on;",
        "proxy_ssl_server_name on;",
        "proxy_ssl_protocols TLSv1.2 TLSv1.3;",
        "proxy_ssl_trusted_certificate /run/check/ca.pem;",
        "proxy_ssl_crl /run/check/crl.pem;",
        "proxy_ssl_certificate /run/check/client.pem;",
        "proxy_ssl_certificate_key /run/check/client.key;",
        "proxy_ssl_password_file /run/check/client.pass;",
    ] {
        assert!(r.text.contains(kept), "{kept}\nin {}", r.text);
    }
    let listed: Vec<&str> = r.changes.iter().map(|c| c.what.as_str()).collect();
    for want in [
        "proxy_ssl_trusted_certificate /etc/ssl/certs/internal-ca.pem → ca.pem in the run folder",
        "proxy_ssl_crl /etc/ssl/internal-ca.crl → crl.pem in the run folder",
        "proxy_ssl_certificate /etc/nginx/tls/client.pem → client.pem in the run folder",
        "proxy_ssl_certificate_key /etc/nginx/tls/client.key → client.key in the run folder",
        "proxy_ssl_password_file /etc/nginx/tls/client.pass → client.pass in the run folder",
    ] {
        assert!(
            listed.iter().any(|l| l.starts_with(want)),
            "{want}\nin {listed:#?}"
        );
    }
}

#[test]
fn a_client_certificate_you_have_here_is_kept_and_the_ca_is_always_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("c.key"));
    std::fs::write(&cert, "x").unwrap();
    std::fs::write(&key, "x").unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "events {{}}\nhttp {{\n    proxy_ssl_certificate {};\n    \
             proxy_ssl_certificate_key {};\n    proxy_ssl_trusted_certificate {};\n    \
             server {{ location / {{ proxy_pass https://10.0.0.5; \
             proxy_ssl_certificate $ssl_client_cert_path; }} }}\n}}\n",
            cert.display(),
            key.display(),
            cert.display()
        ),
    )
    .unwrap();
    let nginx = NginxBinary {
        path: "/usr/sbin/nginx".into(),
        version: "1.22.1".into(),
        configure_args: String::new(),
    };
    let run = RunDir {
        root: "/run/check".into(),
    };
    let mut a = Assignment::default();
    a.literals
        .insert("10.0.0.5".into(), "127.0.0.1:4001".into());
    let r = render_mapped(&load(&conf).unwrap(), &nginx, &run, &a);
    assert!(r.text.contains("proxy_pass https://127.0.0.1:4001;"));
    let yours = format!("proxy_ssl_certificate {};", cert.display());
    assert!(r.text.contains(&yours), "{}", r.text);
    assert!(
        r.text
            .contains(&format!("proxy_ssl_certificate_key {};", key.display()))
    );
    assert!(
        r.text
            .contains("proxy_ssl_trusted_certificate /run/check/ca.pem;")
    );
    // A path with variables cannot be read before a request: the harness's stands for it.
    assert!(
        r.text
            .contains("proxy_ssl_certificate /run/check/client.pem;")
    );
    let listed: Vec<&str> = r.changes.iter().map(|c| c.what.as_str()).collect();
    assert_eq!(
        listed.iter().filter(|c| c.starts_with("proxy_ssl")).count(),
        2,
        "{listed:#?}"
    );
    assert!(
        listed.contains(
            &"proxy_pass 10.0.0.5 → a fake upstream (nginx checks its certificate for \
              127.0.0.1 now, unless proxy_ssl_name names one)"
        ),
        "{listed:#?}"
    );
    assert!(!r.changes.iter().any(|c| c.what.contains("left out")));
}

#[test]
fn the_harness_tls_files_are_written_where_the_rewrite_points_when_the_config_names_any() {
    let fixture = |n: &str| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nginx")
            .join(n);
        load(&p).unwrap()
    };
    assert!(tls::uses_files(&fixture("tls-upstream.conf")));
    assert!(!tls::uses_files(&fixture("shop-backup.conf")));
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir {
        root: dir.path().to_path_buf(),
    };
    tls::write_files(&run, &fake_upstreams::Ca::generate().unwrap()).unwrap();
    for (file, begins) in [
        ("ca.pem", "-----BEGIN CERTIFICATE-----"),
        ("crl.pem", "-----BEGIN X509 CRL-----"),
        ("client.pem", "-----BEGIN CERTIFICATE-----"),
        ("client.key", "-----BEGIN PRIVATE KEY-----"),
        ("client.pass", "badgateway"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.starts_with(begins), "{file}: {text}");
    }
}
