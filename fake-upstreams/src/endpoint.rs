//! Where a fake upstream listens, and how nginx's `server` directive names that place.
//!
//! Most upstreams are TCP ports on loopback, but PHP-FPM and many app servers sit behind a
//! unix socket, and some of the classic 502s only exist there: the socket file is missing
//! (`2: No such file or directory`), nginx's workers may not reach it (`13: Permission
//! denied`), or its backlog is full (`11: Resource temporarily unavailable`). [`Listen`] picks
//! the transport in a scenario; [`Endpoint`] is the resulting address, printed the way nginx
//! takes it.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which transport a server listens on (`listen:` in a scenario). Default: `tcp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Listen {
    /// A free port on 127.0.0.1.
    #[default]
    Tcp,
    /// A unix socket `<socket_dir>/<name>.sock`, writable by everyone so nginx workers
    /// running as another user can connect (the socket dir must be searchable by them).
    Unix,
    /// A unix socket path in the socket dir that never exists: nothing is created, connects
    /// fail with ENOENT, and the counters are unobservable.
    UnixMissing,
    /// A unix socket inside `<socket_dir>/<name>.forbidden/`, a folder whose permissions are
    /// then set to 0: path lookup needs search permission on it, so connects fail with EACCES
    /// for every user but root, including the folder's owner (a non-root harness's nginx) and
    /// root's `nobody` workers.
    UnixForbidden,
}

impl Listen {
    /// Whether this is one of the unix socket forms.
    pub fn is_unix(self) -> bool {
        !matches!(self, Listen::Tcp)
    }
}

/// The address of a running fake upstream.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// A TCP address, e.g. `127.0.0.1:8080`.
    Tcp(SocketAddr),
    /// A unix socket path (which may not exist, for `listen: unix_missing`).
    Unix(PathBuf),
}

impl fmt::Display for Endpoint {
    /// nginx's form: `127.0.0.1:8080` or `unix:/path/x.sock`, ready for a `server` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_nginx_server_lines() {
        let tcp = Endpoint::Tcp("127.0.0.1:8080".parse().unwrap());
        assert_eq!(tcp.to_string(), "127.0.0.1:8080");
        let unix = Endpoint::Unix("/tmp/x/app.sock".into());
        assert_eq!(unix.to_string(), "unix:/tmp/x/app.sock");
    }
}
