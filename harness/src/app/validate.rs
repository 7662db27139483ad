//! `badgateway validate`: parse every scenario and run `nginx -t` on every phase's config,
//! with placeholder addresses, without starting nginx or sending traffic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::ValidateArgs;
use crate::exit::Exit;
use crate::nginx::{ConfigTest, NginxBackend, Render, RunDir, Session, locate, render};
use crate::paths;
use crate::scenario::{Addresses, Fragments, LoadedScenario, expand};

pub(super) fn validate(args: ValidateArgs) -> Exit {
    let scenarios = match super::load_scenarios(&args.paths.paths) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    if !args.allow_any_listen
        && let Some(exit) = super::common::refuse_open_listens(&scenarios)
    {
        return exit;
    }
    let nginx: NginxBackend = match locate(args.nginx.as_deref()) {
        Ok(n) => n.into(),
        Err(msg) => {
            crate::errln!("error: {msg}");
            return Exit::Infrastructure;
        }
    };
    let scratch = std::env::temp_dir().join(format!("badgateway-validate-{}", std::process::id()));
    let exit = super::runtime().block_on(async {
        let mut exit = Exit::Passed;
        for loaded in &scenarios {
            match validate_one(loaded, &nginx, &scratch).await {
                Ok(true) => {}
                Ok(false) => exit = Exit::CheckFailed,
                Err(e) => {
                    crate::errln!("error: {e}");
                    return Exit::Infrastructure;
                }
            }
        }
        exit
    });
    let _ = std::fs::remove_dir_all(&scratch);
    exit
}

/// Print one line per phase; true when every phase's `nginx -t` result is the expected one.
async fn validate_one(
    loaded: &LoadedScenario,
    nginx: &NginxBackend,
    scratch: &std::path::Path,
) -> Result<bool, String> {
    let s = &loaded.scenario;
    let mut addrs = placeholder_addresses(s);
    let ca = match s.tls_keys().is_empty() {
        true => None,
        false => Some(scratch_ca(&paths::under(scratch, &s.name))?),
    };
    for key in s.tls_keys() {
        // nginx -t reads the files; one valid certificate stands for each.
        addrs = addrs.with_tls_file(&key, ca.clone().unwrap_or_default());
    }
    // Names resolve where `run` would resolve them: the hosts file lists each name's first
    // addresses (servers at their placeholder addresses), others do not resolve at start.
    let (resolver, names) = crate::names::placeholder_names(&s.dns, DNS_PORT);
    let addrs = addrs.with_dns(resolver, names);
    let addr_of = |u: &str, srv: &str| {
        let addr = addrs.0.get(&(u.to_string(), srv.to_string()))?;
        addr.parse::<std::net::SocketAddrV4>().ok().map(|a| *a.ip())
    };
    let mut all_ok = true;
    for phase in &s.phases {
        if !phase.applies_to(nginx.version()) {
            crate::outln!(
                "skip {} / {}: not for nginx {} (nginx_versions)",
                s.name,
                phase.name,
                nginx.version()
            );
            continue;
        }
        let raw = phase.config.apply(&s.config);
        let expand_one = |t: &str| expand(t, &addrs).unwrap_or_else(|_| t.to_string());
        let fragments = Fragments {
            http: expand_one(&raw.http),
            location: expand_one(&raw.location),
        };
        let dir = RunDir::create(paths::under(&paths::under(scratch, &s.name), &phase.name))
            .map_err(|e| format!("cannot create a scratch dir: {e}"))?;
        if !s.dns.is_empty() {
            crate::names::write_hosts(&s.dns, &addr_of, &dir)
                .map_err(|e| format!("cannot write the hosts file: {e}"))?;
        }
        let header = format!("validate {} / {}", s.name, phase.name);
        let (binary, settings) = (nginx.binary(), &s.nginx_for_load(phase));
        if settings.tls {
            crate::nginx::front_tls::FrontTls::write(&dir)
                .map_err(|e| format!("cannot write the front end's TLS files: {e}"))?;
        }
        let conf: &Render = &|ports| render(binary, settings, &fragments, &dir, ports[0], &header);
        let test = Session::new(nginx, dir.clone(), Vec::new())
            .test(1, conf)
            .await?;
        let (ok, what) = match (&phase.expect.config_rejected, &test) {
            (None, ConfigTest::Accepted) => (true, "nginx -t accepts".to_string()),
            (Some(p), ConfigTest::Rejected(msg)) if msg.lines().any(|l| p.matches(l)) => {
                (true, "nginx -t rejects, as expected".to_string())
            }
            (Some(_), ConfigTest::Accepted) => (
                false,
                "nginx -t accepts, but the phase expects a rejection".to_string(),
            ),
            (_, ConfigTest::Rejected(msg)) => (
                false,
                format!(
                    "nginx -t rejects:\n      > {}",
                    msg.replace('\n', "\n      > ")
                ),
            ),
        };
        all_ok &= ok;
        crate::outln!(
            "{} {} / {}: {what}",
            if ok { "ok  " } else { "FAIL" },
            s.name,
            phase.name
        );
    }
    Ok(all_ok)
}

/// A throwaway CA's certificate written as `dir/ca.pem`, for `{{tls.ca}}`; its absolute path.
fn scratch_ca(dir: &std::path::Path) -> Result<String, String> {
    let ca = fake_upstreams::Ca::generate()?;
    let write = || -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("ca.pem");
        std::fs::write(&path, ca.pem())?;
        std::fs::canonicalize(path)
    };
    write()
        .map(|p| p.display().to_string())
        .map_err(|e| format!("cannot write a scratch CA: {e}"))
}

/// The port `{{dns.NAME}}` carries in `validate`.
const DNS_PORT: u16 = 10_000;

/// Distinct, syntactically valid addresses; nginx -t does not connect to them.
fn placeholder_addresses(s: &crate::scenario::Scenario) -> Addresses {
    let mut map = BTreeMap::new();
    let mut port = 10_000u16;
    for (upstream, servers) in &s.upstreams {
        for name in servers.keys() {
            port += 1;
            map.insert(
                (upstream.clone(), name.clone()),
                format!("127.0.0.1:{port}"),
            );
        }
    }
    Addresses(map)
}
