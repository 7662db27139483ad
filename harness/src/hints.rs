//! Progressive hints for a scenario, for learners: the symptom, the error.log line to look
//! for, the directive involved, and last the solution (the config diff from the broken first
//! phase to the fixed last one). A scenario's own `hints:` list replaces the derived ones.
//!
//! Hints are data; `report::explain_text` renders them as text and `report::handout` as
//! Markdown.

use crate::scenario::{
    Cmp, LogPattern, Matcher, Phase, Scenario, ShareExpr, config_diff, config_text,
};

/// One hint: a short title and the hint itself (a sentence or two, or a config diff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub title: String,
    pub text: String,
}

/// The scenario's hints in the order to give them: its own `hints:` when it has them,
/// otherwise derived from its story, guide step, first phase and config diff.
pub fn hints(s: &Scenario) -> Vec<Hint> {
    if !s.hints.is_empty() {
        return (s.hints.iter())
            .map(|h| hint(h.title.trim(), h.text.trim_end()))
            .collect();
    }
    [symptom(s), log_line(s), directive(s), solution(s)]
        .into_iter()
        .flatten()
        .collect()
}

/// The unified diff of the config from the broken (first) phase to the fixed `fixed` phase,
/// `None` when the two configs are the same.
pub fn fix_diff(s: &Scenario, fixed: &Phase) -> Option<String> {
    let broken = s.phases.first()?;
    let (old, new) = (config_text(s, broken), config_text(s, fixed));
    (old != new).then(|| config_diff(&broken.name, &old, &fixed.name, &new))
}

fn hint(title: &str, text: impl Into<String>) -> Hint {
    Hint {
        title: title.into(),
        text: text.into(),
    }
}

/// What clients get with the broken config: its expected outcomes (or `nginx -t`'s refusal).
fn symptom(s: &Scenario) -> Option<Hint> {
    let broken = s.phases.first()?;
    let expect = &broken.expect;
    let requests = (expect.outcomes.iter()).map(|(o, share)| (o.to_string(), share, "request"));
    let sockets = (expect.sockets.iter())
        .map(|(key, share)| (format!("sockets `{}`", key.as_str()), share, "socket"));
    let seen: Vec<String> = requests
        .chain(sockets)
        .filter(|(_, share, _)| says_some(share))
        .map(|(what, share, noun)| format!("{what} ({})", share_words(share, noun)))
        .collect();
    let about = broken.about.as_deref().map(str::trim);
    let text = if expect.config_rejected.is_some() {
        "`nginx -t` refuses the broken config: nginx would not even start (or reload) with it."
            .to_string()
    } else if !seen.is_empty() {
        format!(
            "With the broken config (phase `{}`{}), clients get {}.",
            broken.name,
            about.map(|a| format!(": {a}")).unwrap_or_default(),
            seen.join(", ")
        )
    } else {
        format!("{} (phase `{}`)", about?, broken.name)
    };
    Some(hint("Symptom", text))
}

/// Whether a share expression says that some requests ended that way (not `0`, `< 5%`).
fn says_some(share: &ShareExpr) -> bool {
    match share.op {
        Cmp::Le | Cmp::Lt => false,
        Cmp::Eq => share.value > 0.0,
        Cmp::Ge | Cmp::Gt => true,
    }
}

/// `100% of requests`, `at least 95% of requests`, `at least 1 request` (`noun`: request).
fn share_words(share: &ShareExpr, noun: &str) -> String {
    let shown = share.to_string();
    let number = shown.trim_start_matches(['>', '=', ' ']);
    let op = match share.op {
        Cmp::Ge => "at least ",
        Cmp::Gt => "more than ",
        _ => "",
    };
    match number.ends_with('%') {
        true => format!("{op}{number} of {noun}s"),
        false if share.value == 1.0 => format!("{op}{number} {noun}"),
        false => format!("{op}{number} {noun}s"),
    }
}

/// The error.log line of the broken config: the first phase's `log.contains`, else what the
/// scenario proves.
fn log_line(s: &Scenario) -> Option<Hint> {
    let broken = s.phases.first()?;
    let patterns = &broken.expect.log;
    if let Some(refusal) = &broken.expect.config_rejected {
        return Some(hint(
            "The error.log line",
            format!("`nginx -t` says {}.", pattern_words(refusal)),
        ));
    }
    let pattern = (patterns.contains.iter())
        .chain(patterns.count.keys())
        .chain(&s.proves.log)
        .min_by_key(|p| matches!(p.text, Matcher::Regex(_)))?;
    Some(hint(
        "The error.log line",
        format!("Look in nginx's error.log for {}.", pattern_words(pattern)),
    ))
}

/// `` `connect() failed` `` or `a line matching the regex ...`, with its level.
fn pattern_words(p: &LogPattern) -> String {
    let level = p.level.map(|l| format!("an [{l}] ")).unwrap_or_default();
    match (&p.text, level.is_empty()) {
        (Matcher::Substring(text), true) => format!("`{text}`"),
        (Matcher::Substring(text), false) => format!("{level}line with `{text}`"),
        (Matcher::Regex(re), true) => format!("a line matching the regex `{}`", re.as_str()),
        (Matcher::Regex(re), false) => format!("{level}line matching the regex `{}`", re.as_str()),
    }
}

/// The guide step and the directives the fix changes, with the block each sits in.
fn directive(s: &Scenario) -> Option<Hint> {
    let (broken, fixed) = (s.phases.first()?, s.phases.last()?);
    let step = s.guide_step.trim();
    if broken.name == fixed.name {
        return Some(hint("The directive involved", step));
    }
    let (old, new) = (config_text(s, broken), config_text(s, fixed));
    let changed = changed_directives(&old, &new);
    let text = match changed.is_empty() {
        true => format!(
            "{step}\nThe config stays the same from `{}` to `{}`: what changes is the traffic or \
             the nginx build.",
            broken.name, fixed.name
        ),
        false => format!("{step}\nThe fix changes {}.", changed.join(", ")),
    };
    Some(hint("The directive involved", text))
}

/// The solution: the config diff from the first phase to the last.
fn solution(s: &Scenario) -> Option<Hint> {
    let fixed = s.phases.last()?;
    let diff = fix_diff(s, fixed)?;
    Some(hint("The fix", diff.trim_end()))
}

/// Each directive on a line that differs between `old` and `new` (added in `new`, else
/// removed from `old`), as `` `server` in `upstream app` ``, in order, once each.
fn changed_directives(old: &str, new: &str) -> Vec<String> {
    use similar::{ChangeTag, TextDiff};
    let (old_lines, new_lines): (Vec<&str>, Vec<&str>) =
        (old.lines().collect(), new.lines().collect());
    let mut found: Vec<String> = Vec::new();
    for change in TextDiff::from_lines(old, new).iter_all_changes() {
        let (lines, index) = match change.tag() {
            ChangeTag::Equal => continue,
            ChangeTag::Insert => (&new_lines, change.new_index()),
            ChangeTag::Delete => (&old_lines, change.old_index()),
        };
        let Some(index) = index else { continue };
        let Some((name, inline)) = directive_name(lines[index]) else {
            continue;
        };
        let block = inline.or_else(|| enclosing_block(&lines[..index]));
        let shown = match block {
            Some(block) => format!("`{name}` in `{block}`"),
            None => format!("`{name}`"),
        };
        if !found.contains(&shown) {
            found.push(shown);
        }
    }
    found
}

/// The directive a config line starts, if it starts one (not a comment or a closing brace),
/// and for a one-line block (`events { worker_connections 9; }`) the directive inside it and
/// the block's name. A name stops before `=` (`server_fail_timeout=10s` is one bad word).
fn directive_name(line: &str) -> Option<(String, Option<String>)> {
    let word = |text: &str| {
        let w = text.split_whitespace().next()?;
        let w = w.trim_end_matches([';', '{']).split('=').next()?;
        (!w.is_empty() && !w.starts_with(['#', '}'])).then(|| w.to_string())
    };
    let name = word(line)?;
    let inner = line.split_once('{').map(|(_, rest)| rest).and_then(word);
    match inner {
        Some(inner) => Some((inner, Some(name))),
        None => Some((name, None)),
    }
}

/// The innermost block open after `before` (`upstream app`, `location /api`), from its braces.
fn enclosing_block(before: &[&str]) -> Option<String> {
    let mut open: Vec<String> = Vec::new();
    for line in before {
        let code = line.split('#').next().unwrap_or("").trim();
        for _ in 0..code.matches('}').count() {
            open.pop();
        }
        if let Some(head) = code.strip_suffix('{') {
            open.push(head.trim().to_string());
        }
    }
    open.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Vec<Scenario> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        crate::scenario::discover(&[dir])
            .expect("the bundled scenarios load")
            .into_iter()
            .map(|l| l.scenario)
            .collect()
    }

    fn upstream_down() -> Scenario {
        bundled()
            .into_iter()
            .find(|s| s.name == "upstream-down")
            .unwrap()
    }

    #[test]
    fn upstream_down_hints_go_from_symptom_to_the_backup_server() {
        let h = hints(&upstream_down());
        let titles: Vec<&str> = h.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Symptom",
                "The error.log line",
                "The directive involved",
                "The fix"
            ]
        );
        assert!(
            h[0].text.contains("502 (100% of requests)"),
            "{}",
            h[0].text
        );
        assert!(
            h[1].text
                .contains("`connect() failed (111: Connection refused)"),
            "{}",
            h[1].text
        );
        assert!(
            h[2].text.contains("`server` in `upstream app`"),
            "{}",
            h[2].text
        );
        assert!(h[2].text.contains("backup server"), "{}", h[2].text);
        assert!(
            !h[2].text.contains("backup;"),
            "the directive hint gives the name only"
        );
        assert!(
            h[3].text
                .contains("+    server 127.0.0.1:<app.spare> backup;"),
            "{}",
            h[3].text
        );
    }

    #[test]
    fn every_bundled_scenario_gets_a_symptom_and_a_last_hint() {
        for s in bundled() {
            let h = hints(&s);
            assert!(h.len() >= 2, "{}: {h:?}", s.name);
            assert_eq!(h[0].title, "Symptom", "{}", s.name);
            assert!(
                h.iter().all(|h| !h.text.trim().is_empty()),
                "{}: {h:?}",
                s.name
            );
        }
    }

    #[test]
    fn a_scenario_s_own_hints_replace_the_derived_ones() {
        let mut s = upstream_down();
        s.hints = vec![crate::scenario::WrittenHint {
            title: " Look ".into(),
            text: "at the upstream\n".into(),
        }];
        assert_eq!(hints(&s), vec![hint("Look", "at the upstream")]);
    }

    #[test]
    fn a_hints_list_in_the_file_is_read_in_order() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../scenarios/upstream-down.yaml"),
        )
        .unwrap()
            + "hints:\n  - { title: First, text: Look at the clients. }\n  - title: Then\n    text: |\n      server ... backup;\n";
        let s = crate::scenario::load_text(std::path::Path::new("s.yaml"), &text).unwrap();
        assert_eq!(
            hints(&s),
            vec![
                hint("First", "Look at the clients."),
                hint("Then", "server ... backup;")
            ]
        );
    }

    #[test]
    fn changed_lines_name_their_directive_and_block() {
        let old = "upstream app {\n    server a;\n}\nproxy_pass http://app;\n";
        let new = "upstream app {\n    server a;\n    keepalive 8;\n}\nproxy_pass http://app;\nproxy_http_version 1.1;\n";
        assert_eq!(
            changed_directives(old, new),
            ["`keepalive` in `upstream app`", "`proxy_http_version`"]
        );
        let (old, new) = (
            "events { worker_connections 9; }\n",
            "events { worker_connections 64; }\n",
        );
        assert_eq!(
            changed_directives(old, new),
            ["`worker_connections` in `events`"]
        );
        let bad = "upstream app {\n    server_fail_timeout=10s max_fails=3;\n}\n";
        assert_eq!(
            changed_directives(bad, "upstream app {\n}\n"),
            ["`server_fail_timeout` in `upstream app`"]
        );
    }
}
