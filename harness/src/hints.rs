//! Progressive hints for a scenario, from symptom to solution: what the client sees (the
//! story's first sentence), the error.log line to look for (what the scenario proves), the
//! step to take (its guide step), and the config diff from the broken phase to the fix. Each
//! is derived from the scenario file itself, so a hint never says more than the scenario runs.

use crate::scenario::{Scenario, config_diff, config_text};

/// One hint: a short title and its text (several lines for a diff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub title: String,
    pub text: String,
}

/// The hints of `s`, least revealing first; the last one is the fix's config diff.
pub fn hints(s: &Scenario) -> Vec<Hint> {
    let mut out = Vec::new();
    if let Some(symptom) = first_sentence(&s.story) {
        out.push(hint("Symptom", symptom));
    }
    let lines: Vec<String> = s.proof_lines().map(|p| p.to_string()).collect();
    if !lines.is_empty() {
        out.push(hint("Look in error.log for", lines.join("\n")));
    }
    if !s.guide_step.trim().is_empty() {
        out.push(hint("What to change", s.guide_step.trim().to_string()));
    }
    if let (Some(first), Some(last)) = (s.phases.first(), s.phases.last())
        && first.name != last.name
    {
        let (old, new) = (config_text(s, first), config_text(s, last));
        if old != new {
            let diff = config_diff(&first.name, &old, &last.name, &new);
            out.push(hint("The fix", diff.trim_end().to_string()));
        }
    }
    out
}

fn hint(title: &str, text: String) -> Hint {
    Hint {
        title: title.to_string(),
        text,
    }
}

/// The text up to its first full stop (whitespace folded); `None` for an empty story.
fn first_sentence(story: &str) -> Option<String> {
    let folded = story.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = folded.find(". ").map_or(folded.len(), |i| i + 1);
    (!folded.is_empty()).then(|| folded[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_go_from_symptom_to_the_fix_diff() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let all = crate::scenario::discover(&[dir]).unwrap();
        let s = &all
            .iter()
            .find(|l| l.scenario.name == "upstream-down")
            .unwrap()
            .scenario;
        let h = hints(s);
        let titles: Vec<&str> = h.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Symptom",
                "Look in error.log for",
                "What to change",
                "The fix"
            ]
        );
        assert_eq!(
            h[0].text,
            "The application behind nginx is not running: nothing listens on its port, so every connect() is refused."
        );
        assert!(h[1].text.contains("111: "));
        assert!(h[3].text.contains("+") && h[3].text.contains("backup"));
    }

    #[test]
    fn the_first_sentence_ends_at_a_full_stop() {
        assert_eq!(first_sentence("  A b.  C d."), Some("A b.".into()));
        assert_eq!(first_sentence("No stop"), Some("No stop".into()));
        assert_eq!(first_sentence(" "), None);
    }
}
