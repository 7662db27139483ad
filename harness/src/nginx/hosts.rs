//! nginx with the run dir's own /etc/hosts: a local nginx whose run dir has a `hosts` file
//! (a scenario with `dns:`, see [`crate::names`]) runs in a private mount namespace in which
//! that file is bind-mounted over /etc/hosts and its `nsswitch.conf` over /etc/nsswitch.conf,
//! so names resolved at start (`server app.internal:8080;`) resolve from scenario data while
//! the machine's files stay untouched (the mounts vanish with nginx's last process). This needs
//! root (CAP_SYS_ADMIN), as a harness that starts nginx with its default `user` already does.

use std::ffi::CString;
use std::io;
use std::net::IpAddr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use tokio::process::Command;

use super::RunDir;

/// Run `cmd` in a private mount namespace with the run dir's hosts files mounted, when the
/// run dir has them; else leave it as is.
pub(super) fn isolate(cmd: &mut Command, dir: &RunDir) -> io::Result<()> {
    let hosts = dir.hosts();
    if !hosts.exists() {
        return Ok(());
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a scenario with `dns:` runs nginx in a private mount namespace with its own \
             /etc/hosts, which needs root",
        ));
    }
    let mut mounts = vec![(c_path(&hosts)?, c_path(Path::new("/etc/hosts"))?)];
    let nsswitch = Path::new("/etc/nsswitch.conf");
    if dir.nsswitch().exists() && nsswitch.exists() {
        mounts.push((c_path(&dir.nsswitch())?, c_path(nsswitch)?));
    }
    // SAFETY: between fork and exec the closure only makes system calls (unshare, mount) on
    // C strings prepared before the fork, and builds an io::Error from errno.
    unsafe {
        cmd.pre_exec(move || {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(io::Error::last_os_error());
            }
            let none = c"none".as_ptr();
            let root = c"/".as_ptr();
            let flags = libc::MS_REC | libc::MS_PRIVATE;
            if libc::mount(none, root, std::ptr::null(), flags, std::ptr::null()) != 0 {
                return Err(io::Error::last_os_error());
            }
            for (from, to) in &mounts {
                let bind = libc::MS_BIND;
                let (from, to) = (from.as_ptr(), to.as_ptr());
                if libc::mount(from, to, std::ptr::null(), bind, std::ptr::null()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    Ok(())
}

/// The run dir's hosts file as (name, address) pairs, `localhost` left out: a container
/// nginx gets them as extra hosts. Empty without a hosts file.
pub(super) fn entries(dir: &RunDir) -> Vec<(String, IpAddr)> {
    let text = std::fs::read_to_string(dir.hosts()).unwrap_or_default();
    parse_entries(&text)
}

fn parse_entries(text: &str) -> Vec<(String, IpAddr)> {
    let lines = text.lines().map(|l| l.split('#').next().unwrap_or(""));
    let mut out = Vec::new();
    for line in lines {
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
            continue;
        };
        for name in words.filter(|n| !n.starts_with("localhost") && !n.starts_with("ip6-")) {
            out.push((name.to_string(), ip));
        }
    }
    out
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_entries_leave_out_localhost_and_comments() {
        let text = "# written by badgateway\n127.0.0.1 localhost\n::1 localhost ip6-localhost\n\
                    127.0.0.2 app.internal\n10.0.0.1 b.internal # note\n";
        let got = parse_entries(text);
        let want: Vec<(String, IpAddr)> = vec![
            ("app.internal".into(), [127, 0, 0, 2].into()),
            ("b.internal".into(), [10, 0, 0, 1].into()),
        ];
        assert_eq!(got, want);
    }
}
