//! The demo on a terminal, one subscriber of the [`View`]: on a TTY a full screen redrawn in
//! place (story, commands to try, phases, the per-second outcome lines, grouped error.log
//! messages, hints, keys); piped, plain lines as things happen (phase switches, each second,
//! each new error.log message), so a log of the demo reads top to bottom. Colour only on a
//! terminal and without `NO_COLOR`.

use std::io::Write;

use tokio::sync::watch;

use super::tally::{Tone, paint, second_line};
use super::view::View;
use crate::report::explain_text::textwrap;

/// Second lines on screen.
const SECONDS_SHOWN: usize = 8;
/// error.log groups on screen.
const GROUPS_SHOWN: usize = 8;

/// How the screen is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redrawn in place, coloured or not.
    Screen { colour: bool },
    /// Appended lines, no colour.
    Lines,
}

impl Mode {
    /// A screen when stdout is a terminal (colour unless `NO_COLOR` is set), else lines.
    pub fn detect() -> Mode {
        use std::io::IsTerminal;
        match std::io::stdout().is_terminal() {
            true => Mode::Screen {
                colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            },
            false => Mode::Lines,
        }
    }
}

/// Draw `views` to stdout until the demo has finished.
pub async fn show(mut views: watch::Receiver<View>, mode: Mode) {
    let mut lines = Printed::default();
    loop {
        let view = views.borrow_and_update().clone();
        let text = match mode {
            Mode::Screen { colour } => {
                let text = screen(&view, colour);
                format!("\x1b[H{}\x1b[J", in_place(&text, rows()))
            }
            Mode::Lines => lines.new_lines(&view),
        };
        let mut out = std::io::stdout();
        let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
        if view.finished || views.changed().await.is_err() {
            break;
        }
    }
}

/// The first `rows - 1` lines of `text` (a taller screen would scroll and tear the redraw),
/// each ending with "erase to end of line", so a shorter line overwrites a longer one.
fn in_place(text: &str, rows: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let keep = rows.saturating_sub(1).max(1).min(lines.len());
    let cut = lines.len() > keep;
    let mut out: String = (lines[..keep].iter())
        .map(|l| format!("{l}\x1b[K\r\n"))
        .collect();
    if cut {
        out.push_str("(more below: enlarge the terminal)\x1b[K");
    }
    out
}

/// The terminal's height in rows (24 when it cannot be asked).
fn rows() -> usize {
    use std::os::fd::AsRawFd;
    // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: the fd is stdout's, `size` a valid winsize.
    let ok = unsafe { libc::ioctl(std::io::stdout().as_raw_fd(), libc::TIOCGWINSZ, &mut size) };
    match (ok, size.ws_row) {
        (0, rows @ 1..) => usize::from(rows),
        _ => 24,
    }
}

/// The full screen of `v`.
pub fn screen(v: &View, colour: bool) -> String {
    let bold = |t: &str| match colour {
        true => format!("\x1b[1m{t}\x1b[0m"),
        false => t.to_string(),
    };
    let mut out = format!("{} — {}\n", bold(&v.scenario), v.title);
    out.push_str(&format!("{}\n\n", textwrap(v.story.trim(), 100)));
    out.push_str(&head(v));
    out.push_str(&format!("\n{}\n", bold("Phases")));
    if let Some(pos) = &v.position {
        for (i, p) in pos.phases.iter().enumerate() {
            let mark = if i == pos.current { ">" } else { " " };
            let about = p.about.as_deref().unwrap_or("").trim();
            match &p.skipped {
                Some(why) => out.push_str(&format!("  {mark} {}  (skipped: {why})\n", p.name)),
                None => out.push_str(&format!("  {mark} {}  {about}\n", p.name)),
            }
        }
    }
    if let Some(notice) = &v.notice {
        out.push_str(&format!("\n{notice}\n"));
    }
    out.push_str(&format!("\n{} ({})\n", bold("Outcomes per second"), v.load));
    let skip = v.seconds.len().saturating_sub(SECONDS_SHOWN);
    for s in v.seconds.iter().skip(skip) {
        out.push_str(&format!("{}\n", second_line(s, colour)));
    }
    out.push_str(&format!("\n{}\n", bold("error.log (this phase, grouped)")));
    if v.log.0.is_empty() {
        out.push_str("  (nothing yet)\n");
    }
    for g in v.log.0.iter().take(GROUPS_SHOWN) {
        let tone = match g.level.as_str() {
            "warn" | "notice" | "info" => Tone::Warn,
            _ => Tone::Bad,
        };
        let level = paint(&format!("[{}]", g.level), tone, colour);
        out.push_str(&format!("  {:>5}×  {level} {}\n", g.count, g.message));
    }
    out.push_str(&format!("\n{}\n", keys_line(v)));
    // Earlier hints by title, the latest in full, last on screen: on a short terminal they are
    // what is cut.
    if let Some((latest, earlier)) = v.hints.split_last() {
        for h in earlier {
            out.push_str(&format!("\n{} {}", bold("Hint:"), h.title));
        }
        out.push_str(&format!(
            "\n{} {}\n{}\n",
            bold("Hint:"),
            latest.title,
            latest.text
        ));
    }
    out
}

/// nginx, the port, the master PID, the commands to try.
fn head(v: &View) -> String {
    let pid = v.master_pid.map_or("-".into(), |p| p.to_string());
    let web = (v.web.as_ref()).map_or(String::new(), |url| format!("web view: {url}\n"));
    format!(
        "{} on 127.0.0.1:{}, master pid {pid}\n{web}Try:  {}\n      tail -f {}\n",
        v.nginx,
        v.port,
        v.curl,
        v.error_log.display()
    )
}

fn keys_line(v: &View) -> String {
    let hints = format!("{}/{}", v.hints.len(), v.hints_total);
    let auto = v
        .auto
        .map(|d| format!("auto: next phase every {}  ", humantime::format_duration(d)));
    let keys = match v.keys {
        true => format!("keys: n next phase  p previous  h hint ({hints})  r reset  q quit"),
        false if v.web.is_some() => "no keys (not a terminal): use the web view's buttons".into(),
        false => "no keys (not a terminal)".to_string(),
    };
    format!("{}{keys}", auto.unwrap_or_default())
}

/// What the line mode has printed so far, so each update prints only what is new.
#[derive(Debug, Default)]
struct Printed {
    header: bool,
    phase: Option<(usize, Option<i32>)>,
    notice: Option<String>,
    last_second: Option<u64>,
    groups: usize,
    hints: usize,
}

impl Printed {
    fn new_lines(&mut self, v: &View) -> String {
        let mut out = String::new();
        if !self.header && v.position.is_some() {
            self.header = true;
            out.push_str(&format!(
                "{} — {}\n{}\n",
                v.scenario,
                v.title,
                v.story.trim()
            ));
            out.push_str(&head(v));
            out.push_str(&format!("load: {}\n", v.load));
        }
        if let Some(pos) = &v.position {
            let now = (pos.current, v.master_pid);
            if self.phase != Some(now) {
                self.phase = Some(now);
                self.groups = 0;
                let skipped: Vec<String> = (pos.phases.iter())
                    .filter_map(|p| Some(format!("{} ({})", p.name, p.skipped.as_ref()?)))
                    .collect();
                out.push_str(&format!("== phase {}\n", pos.current().name));
                if !skipped.is_empty() {
                    out.push_str(&format!("   skipped: {}\n", skipped.join(", ")));
                }
            }
        }
        if v.notice.is_some() && v.notice != self.notice {
            self.notice = v.notice.clone();
            out.push_str(&format!("{}\n", v.notice.as_deref().unwrap_or("")));
        }
        for s in &v.seconds {
            if self.last_second.is_none_or(|last| s.at > last) {
                self.last_second = Some(s.at);
                out.push_str(&format!("{}\n", second_line(s, false)));
            }
        }
        self.groups = self.groups.min(v.log.0.len());
        for g in &v.log.0[self.groups..] {
            out.push_str(&format!("error.log: [{}] {}\n", g.level, g.message));
        }
        self.groups = v.log.0.len();
        for h in v.hints.iter().skip(self.hints) {
            out.push_str(&format!("hint: {}\n{}\n", h.title, h.text));
        }
        self.hints = v.hints.len();
        if v.finished {
            out.push_str("demo finished: nginx and the fake upstreams are stopped\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Counts, PhaseEntry, Position, Second};
    use crate::outcome::Outcome;

    fn view() -> View {
        let entry = |name: &str, skipped: Option<&str>| PhaseEntry {
            name: name.into(),
            about: Some(format!("about {name}")),
            skipped: skipped.map(String::from),
        };
        View {
            scenario: "upstream-down".into(),
            title: "The only upstream is down".into(),
            story: "Nothing listens.".into(),
            nginx: "nginx 1.22.1 (/usr/sbin/nginx)".into(),
            port: 21000,
            master_pid: Some(4242),
            error_log: "/tmp/run/error.log".into(),
            curl: "curl -i http://127.0.0.1:21000/".into(),
            position: Some(Position {
                phases: vec![
                    entry("baseline", None),
                    entry("new", Some("needs nginx >=1.29.7, this is 1.22.1")),
                    entry("fix", None),
                ],
                current: 0,
                hints_shown: 0,
            }),
            seconds: [Second {
                at: 3,
                phase: "baseline".into(),
                counts: Counts::from([(Outcome::Status(502), 20)]),
            }]
            .into(),
            load: "20/s GET /".into(),
            keys: true,
            ..View::default()
        }
    }

    #[test]
    fn the_screen_shows_story_commands_pid_phases_and_counts() {
        let text = screen(&view(), false);
        for part in [
            "Nothing listens.",
            "on 127.0.0.1:21000, master pid 4242",
            "curl -i http://127.0.0.1:21000/",
            "tail -f /tmp/run/error.log",
            "> baseline  about baseline",
            "new  (skipped: needs nginx >=1.29.7, this is 1.22.1)",
            "3s  baseline  502×20",
            "h hint (0/0)",
        ] {
            assert!(text.contains(part), "{part:?} missing from:\n{text}");
        }
        assert!(!text.contains('\x1b'), "no colour asked for");
        assert!(screen(&view(), true).contains("\x1b[31m502×20"));
    }

    #[test]
    fn a_screen_taller_than_the_terminal_is_cut() {
        let text = screen(&view(), false);
        let drawn = in_place(&text, 5);
        assert_eq!(drawn.matches("\r\n").count(), 4);
        assert!(drawn.ends_with("(more below: enlarge the terminal)\x1b[K"));
        assert!(!in_place("a\nb", 40).contains("more below"));
    }

    #[test]
    fn piped_lines_print_only_what_is_new() {
        let mut printed = Printed::default();
        let mut v = view();
        let first = printed.new_lines(&v);
        assert!(first.contains("== phase baseline") && first.contains("3s  baseline  502×20"));
        assert!(first.contains("skipped: new (needs nginx >=1.29.7"));
        assert_eq!(printed.new_lines(&v), "");
        v.position.as_mut().unwrap().current = 2;
        v.notice = Some("phase `fix`: reloaded".into());
        let next = printed.new_lines(&v);
        assert!(next.contains("== phase fix") && next.contains("reloaded"));
        assert!(
            !next.contains("502×20"),
            "seconds already printed are not again"
        );
    }
}
