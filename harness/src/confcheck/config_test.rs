//! `nginx -t` on the user's config as the rewrite made it (every upstream a healthy fake
//! address, a scratch CA and client certificate for its `proxy_ssl_*` files), before anything runs: the list of what the rewrite changed when nginx accepts it,
//! nginx's own message mapped back to the user's file and line when it does not.

use std::path::Path;

use super::CheckError;
use super::cell::{Ctx, with_ports};
use super::rewrite::{self, ConfigChange};
use crate::nginx::{ConfigTest, Render, RunDir, Session};

/// `nginx -t` on the rewritten config with every upstream healthy.
pub(super) async fn nginx_t(
    ctx: &Ctx<'_>,
    path: &Path,
    dir: &Path,
) -> Result<Vec<ConfigChange>, CheckError> {
    let infra = |e: String| CheckError::Infrastructure(format!("nginx -t: {e}"));
    let dir = RunDir::create(dir.to_path_buf()).map_err(|e| infra(e.to_string()))?;
    let mut a = rewrite::Assignment {
        h2c_tls: ctx.analysis.h2c_tls.clone(),
        ..rewrite::Assignment::default()
    };
    for (n, up) in ctx.analysis.upstreams.iter().enumerate() {
        for i in 0..up.servers.len() {
            let addr = format!("127.0.0.1:{}", 10_000 + n * 100 + i);
            if up.implicit {
                a.literals.insert(up.name.clone(), addr.clone());
            }
            a.servers.insert((up.name.clone(), i), addr);
        }
    }
    if !super::names::resolved(ctx.analysis).is_empty() {
        // Each run's fake DNS server has its own port; this one stands for them.
        a.resolver = Some("127.0.0.1:53".into());
    }
    if rewrite::tls::uses_files(ctx.config) {
        // nginx -t loads them; the first run's CA stands for every run's.
        let ca = fake_upstreams::Ca::generate().map_err(infra)?;
        rewrite::tls::write_files(&dir, &ca).map_err(infra)?;
    }
    let listens = &ctx.analysis.listens;
    let binary = ctx.nginx.binary();
    let mapped = |ports: &[u16]| {
        let a = with_ports(&a, listens, ports);
        rewrite::render_mapped(ctx.config, binary, &dir, &a)
    };
    let session = Session::new(ctx.nginx, dir.clone(), Vec::new());
    let conf: &Render = &|ports| mapped(ports).text;
    match session.test(1 + listens.len(), conf).await.map_err(infra)? {
        ConfigTest::Accepted => Ok(mapped(&vec![0; 1 + listens.len()]).changes),
        ConfigTest::Rejected(message) => {
            let lines = mapped(&vec![0; 1 + listens.len()]).lines;
            Err(CheckError::Rejected {
                file: path.to_path_buf(),
                version: binary.version.clone(),
                message: format!(
                    "{message}\n{}(the config as tested: {})",
                    source_of(&message, &dir.conf(), &lines),
                    dir.conf().display()
                ),
            })
        }
    }
}

/// `in your config: FILE:LINE:COL` for nginx's `in .../nginx.conf:N`, when N is a directive
/// of the user's files.
fn source_of(message: &str, conf: &Path, lines: &[Option<crate::nginxconf::Location>]) -> String {
    let marker = format!("{}:", conf.display());
    let Some(at) = message.find(&marker) else {
        return String::new();
    };
    let digits: String = message[at + marker.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let loc = digits
        .parse::<usize>()
        .ok()
        .and_then(|n| lines.get(n.checked_sub(1)?)?.clone());
    match loc {
        Some(l) if l.line > 0 => format!("in your config: at or in the block of {l}\n"),
        Some(_) => "in a directive badgateway added\n".to_string(),
        None => String::new(),
    }
}
