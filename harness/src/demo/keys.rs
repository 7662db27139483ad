//! The demo's keys, read one at a time from a terminal: `n`/→/space next phase, `p`/←
//! previous, `h` next hint, `r` reset the phase, `q` quit.
//!
//! The terminal is put in non-canonical mode without echo through `libc` termios (already a
//! dependency; a terminal crate would add a lot for two flags). Signals stay on, so Ctrl-C
//! still reaches the harness's signal handling. [`RawMode`] restores the saved settings when
//! dropped (normal end, error, unwinding panic); the [`guard`](crate::guard) restores them on
//! the paths that skip drops (a second Ctrl-C, a panic that kills everything).

use std::io::Read;
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use tokio::sync::mpsc;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Next,
    Previous,
    Hint,
    Reset,
    Quit,
}

/// The keys in `bytes` (one read's worth), arrow escape sequences included; others ignored.
pub fn decode(bytes: &[u8]) -> Vec<Key> {
    let mut keys = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\x1b[C") || bytes[i..].starts_with(b"\x1b[D") {
            keys.push(match bytes[i + 2] {
                b'C' => Key::Next,
                _ => Key::Previous,
            });
            i += 3;
            continue;
        }
        let key = match bytes[i] {
            b'n' | b'N' | b' ' => Some(Key::Next),
            b'p' | b'P' => Some(Key::Previous),
            b'h' | b'H' => Some(Key::Hint),
            b'r' | b'R' => Some(Key::Reset),
            b'q' | b'Q' => Some(Key::Quit),
            _ => None,
        };
        keys.extend(key);
        i += 1;
    }
    keys
}

/// The settings the terminal had before [`RawMode::enter`], for the guard's cleanup.
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);
/// The guard's name for the terminal cleanup.
const CLEANUP: &str = "demo terminal";

/// The terminal on stdin in key-at-a-time mode, restored when dropped.
pub struct RawMode(());

impl RawMode {
    /// Switch stdin's terminal to non-canonical, no-echo mode.
    pub fn enter() -> std::io::Result<RawMode> {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is stdin, `saved` is a valid termios.
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(saved);
        crate::guard::register_cleanup(CLEANUP, |_| restore());
        // SAFETY: fd is stdin, `raw` a valid termios derived from its own.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
        crate::guard::unregister_cleanup(CLEANUP);
    }
}

/// Put back the saved terminal settings, if any (idempotent).
fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(saved) = saved {
        // SAFETY: restoring settings tcgetattr returned for this same fd.
        unsafe {
            libc::tcsetattr(std::io::stdin().as_raw_fd(), libc::TCSANOW, &saved);
        }
    }
}

/// Read keys from stdin on a thread of its own (a blocking read; the thread ends with the
/// process or when stdin closes) and send them to the demo.
pub fn spawn_reader(tx: mpsc::UnboundedSender<Key>) {
    std::thread::Builder::new()
        .name("demo-keys".into())
        .spawn(move || {
            let mut buf = [0u8; 64];
            let mut stdin = std::io::stdin();
            while let Ok(n @ 1..) = stdin.read(&mut buf) {
                for key in decode(&buf[..n]) {
                    if tx.send(key).is_err() {
                        return;
                    }
                }
            }
        })
        .expect("a thread can be spawned");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_arrows_are_keys_and_the_rest_is_ignored() {
        assert_eq!(
            decode(b"nx\x1b[Cph\x1b[Drq"),
            [
                Key::Next,
                Key::Next,
                Key::Previous,
                Key::Hint,
                Key::Previous,
                Key::Reset,
                Key::Quit
            ]
        );
        assert_eq!(decode(b"\x1b[A \x1b"), [Key::Next]);
    }
}
