//! The harness-owned nginx.conf skeleton.
//!
//! nginx runs with its own prefix, pid, temp folders and error log inside the phase's run dir,
//! listens on one loopback port, writes nginx's per-request record beside the plain access log
//! (see [`accesslog`](crate::accesslog)), and gets the scenario's fragments at `http` level and
//! inside `location /`. A fixed readiness location lets the supervisor poll until nginx answers.

use std::path::{Path, PathBuf};

use super::NginxBinary;
use super::front_tls::FrontTls;
use crate::accesslog;
use crate::scenario::{Fragments, NginxSettings};

/// The path nginx answers 204 on once it is serving; never forwarded to an upstream.
pub const READY_PATH: &str = "/__badgateway/ready";

/// The header the readiness location answers with: the run dir's token, so the supervisor
/// knows it reached its own nginx, not another phase's that won a race for the same port.
pub const READY_HEADER: &str = "X-Badgateway-Ready";

/// nginx's stock `conf/fastcgi_params` (also the start of Debian's
/// `/etc/nginx/fastcgi_params`): the CGI params most PHP configs include. Like the stock file
/// it sets no `SCRIPT_FILENAME`; `fastcgi.conf` adds that, a config here sets it itself.
pub const FASTCGI_PARAMS: &str = "\
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  CONTENT_TYPE       $content_type;
fastcgi_param  CONTENT_LENGTH     $content_length;

fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
fastcgi_param  REQUEST_URI        $request_uri;
fastcgi_param  DOCUMENT_URI       $document_uri;
fastcgi_param  DOCUMENT_ROOT      $document_root;
fastcgi_param  SERVER_PROTOCOL    $server_protocol;
fastcgi_param  REQUEST_SCHEME     $scheme;
fastcgi_param  HTTPS              $https if_not_empty;

fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
fastcgi_param  SERVER_SOFTWARE    nginx/$nginx_version;

fastcgi_param  REMOTE_ADDR        $remote_addr;
fastcgi_param  REMOTE_PORT        $remote_port;
fastcgi_param  REMOTE_USER        $remote_user;
fastcgi_param  SERVER_ADDR        $server_addr;
fastcgi_param  SERVER_PORT        $server_port;
fastcgi_param  SERVER_NAME        $server_name;

# PHP only, required if PHP was built with --enable-force-cgi-redirect
fastcgi_param  REDIRECT_STATUS    200;
";

/// Files of one phase's nginx: everything nginx writes stays in here.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub root: PathBuf,
}

impl RunDir {
    /// Create the folder (and its `tmp/`) for one phase.
    pub fn create(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("tmp"))?;
        // nginx resolves relative paths against its prefix, so hand it absolute ones.
        Ok(RunDir {
            root: std::fs::canonicalize(root)?,
        })
    }
    pub fn conf(&self) -> PathBuf {
        self.root.join("nginx.conf")
    }
    /// The stock `fastcgi_params` beside nginx.conf, so a config can `include fastcgi_params;`
    /// whatever the nginx package installed.
    pub fn fastcgi_params(&self) -> PathBuf {
        self.root.join("fastcgi_params")
    }
    pub fn error_log(&self) -> PathBuf {
        self.root.join("error.log")
    }
    /// The hosts file nginx sees as /etc/hosts, when the scenario has names (see
    /// [`crate::names`]); without it nginx uses the machine's resolution as is.
    pub fn hosts(&self) -> PathBuf {
        self.root.join("hosts")
    }
    /// The nsswitch.conf that goes with [`RunDir::hosts`] (`hosts: files`).
    pub fn nsswitch(&self) -> PathBuf {
        self.root.join("nsswitch.conf")
    }
    pub fn access_log(&self) -> PathBuf {
        self.root.join("access.log")
    }
    /// The harness's JSON access log: nginx's record of each request (see [`accesslog`]).
    pub fn requests_log(&self) -> PathBuf {
        self.root.join(accesslog::FILE_NAME)
    }
    pub fn pid_file(&self) -> PathBuf {
        self.root.join("nginx.pid")
    }
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }
    /// A token unique to this run dir (FNV-1a of its path, hex) for the readiness answer.
    pub fn ready_token(&self) -> String {
        let h = fake_upstreams::body::fnv1a(0, self.root.display().to_string().bytes());
        format!("{h:016x}")
    }
}

/// Render the complete nginx.conf for one phase. `fragments` are already expanded.
pub fn render(
    nginx: &NginxBinary,
    settings: &NginxSettings,
    fragments: &Fragments,
    dir: &RunDir,
    port: u16,
    header: &str,
) -> String {
    let tmp = dir.tmp();
    let temp_paths: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .into_iter()
        .filter(|m| *m == "client_body" || *m == "proxy" || nginx.has_http_module(m))
        .map(|m| format!("    {m}_temp_path {};\n", q(&tmp.join(m))))
        .collect();
    format!(
        "# {header}\n\
         # Rendered by badgateway. Everything outside the marked fragments is the harness's own.\n\
         daemon off;\n\
         master_process on;\n\
         worker_processes {workers};\n\
         pid {pid};\n\
         error_log {error_log} info;\n\
         \n\
         events {{\n    worker_connections {conns};\n}}\n\
         \n\
         http {{\n\
         \x20   access_log {access_log};\n\
         \x20   {log_format}\n\
         \x20   access_log {requests_log} {format_name};\n\
         {temp_paths}\
         \n    # --- scenario fragment: http ---\n{http}\n    # --- end fragment ---\n\n\
         \x20   server {{\n\
         \x20       {listen}\n\
         \x20       server_name badgateway;\n\
         \x20       location = {READY_PATH} {{\n\
         \x20           access_log off;\n\
         \x20           add_header {READY_HEADER} {token} always;\n\
         \x20           return 204;\n\
         \x20       }}\n\
         \x20       location / {{\n\
         \x20           # --- scenario fragment: location ---\n{location}\n\
         \x20           # --- end fragment ---\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n",
        listen = listen(
            nginx,
            (
                settings.http2,
                settings.tls.then(|| FrontTls::of(dir)).as_ref()
            ),
            port
        ),
        workers = settings.worker_processes,
        conns = settings.worker_connections,
        pid = q(&dir.pid_file()),
        error_log = q(&dir.error_log()),
        token = dir.ready_token(),
        access_log = q(&dir.access_log()),
        log_format = accesslog::log_format_directive(),
        requests_log = q(&dir.requests_log()),
        format_name = accesslog::FORMAT_NAME,
        http = indent(&fragments.http, 4),
        location = indent(&fragments.location, 12),
    )
}

/// The front end's `listen`: HTTP/2 with the `http2` directive where the binary has it
/// (1.25.1+: `listen ... http2` is deprecated there), else the `listen` parameter; over TLS
/// with the run dir's [`FrontTls`] files when `tls`.
fn listen(nginx: &NginxBinary, (http2, tls): (bool, Option<&FrontTls>), port: u16) -> String {
    let ssl = if tls.is_some() { " ssl" } else { "" };
    let mut out = match (http2, nginx.has_http2_directive()) {
        (false, _) => format!("listen 127.0.0.1:{port}{ssl};"),
        (true, true) => format!("listen 127.0.0.1:{port}{ssl};\n        http2 on;"),
        (true, false) => format!("listen 127.0.0.1:{port}{ssl} http2;"),
    };
    if let Some(tls) = tls {
        out.push_str(&format!(
            "\n        ssl_certificate {};\n        ssl_certificate_key {};",
            q(&tls.cert),
            q(&tls.key)
        ));
    }
    out
}

/// Quote a path for nginx.conf.
fn q(path: &Path) -> String {
    format!("\"{}\"", path.display().to_string().replace('"', "\\\""))
}

fn indent(text: &str, by: usize) -> String {
    text.trim_end()
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!("{:by$}{l}", "")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http2_front_end_uses_the_form_the_binary_knows() {
        let binary = |version: &str| NginxBinary {
            path: "/usr/sbin/nginx".into(),
            version: version.into(),
            configure_args: String::new(),
        };
        let h2 = (true, None);
        assert_eq!(
            listen(&binary("1.22.1"), h2, 80),
            "listen 127.0.0.1:80 http2;"
        );
        assert_eq!(
            listen(&binary("1.25.1"), h2, 80),
            "listen 127.0.0.1:80;\n        http2 on;"
        );
        let plain = listen(&binary("1.30.6"), (false, None), 80);
        assert_eq!(plain, "listen 127.0.0.1:80;");
        assert!(!binary("1.25.0").has_http2_directive());
        let tls = FrontTls::of(&RunDir {
            root: "/run/p".into(),
        });
        let over_tls = listen(&binary("1.22.1"), (true, Some(&tls)), 80);
        assert!(
            over_tls.starts_with("listen 127.0.0.1:80 ssl http2;")
                && over_tls.contains("ssl_certificate \"/run/p/front.pem\";")
                && over_tls.contains("ssl_certificate_key \"/run/p/front.key\";"),
            "{over_tls}"
        );
    }

    #[test]
    fn fragments_land_in_http_and_location() {
        let nginx = NginxBinary {
            path: "/usr/sbin/nginx".into(),
            version: "1.22.1".into(),
            configure_args: "--without-http_uwsgi_module".into(),
        };
        let dir = RunDir {
            root: "/tmp/run/phase".into(),
        };
        let fragments = Fragments {
            http: "upstream app {\n    server 127.0.0.1:1;\n}".into(),
            location: "proxy_pass http://app;".into(),
        };
        let conf = render(
            &nginx,
            &NginxSettings::default(),
            &fragments,
            &dir,
            8080,
            "s / p",
        );
        assert!(conf.contains("listen 127.0.0.1:8080;"));
        assert!(conf.contains("    upstream app {\n        server 127.0.0.1:1;\n    }"));
        assert!(conf.contains("            proxy_pass http://app;"));
        assert!(conf.contains("error_log \"/tmp/run/phase/error.log\" info;"));
        assert!(conf.contains("worker_processes 1;"));
        assert!(conf.contains("proxy_temp_path"));
        assert!(conf.contains("access_log \"/tmp/run/phase/requests.jsonl\" badgateway_requests;"));
        assert!(!conf.contains("uwsgi_temp_path"), "module compiled out");
    }
}
