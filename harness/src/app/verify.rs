//! `badgateway verify NAME --config FILE | --fragment FILE`: run a learner's fix against the
//! scenario's fault as one phase (their config, the fixed phase's traffic and expectations)
//! through the runner, and say OK, or NO with the checks that differed and a hint.

use crate::cli::lab::VerifyArgs;
use crate::exit::Exit;
use crate::input_error::InputError;
use crate::learner::{self, FixFile};
use crate::result::Verdict;
use crate::scenario::{LoadedScenario, Phase};

pub(super) fn verify(args: &VerifyArgs) -> Exit {
    match prepare(args) {
        Ok((loaded, fixed, phase)) => run(args, &loaded, &fixed, &phase),
        Err(exit) => exit,
    }
}

/// The scenario, its fixed phase and the learner's phase; every input error is printed here.
fn prepare(args: &VerifyArgs) -> Result<(LoadedScenario, Phase, Phase), Exit> {
    let loaded = super::load_named(&args.paths, &args.name)?;
    let s = &loaded.scenario;
    let fixed = match &args.phase {
        None => s.phases.last().expect("a scenario has a phase"),
        Some(name) => s.phases.iter().find(|p| &p.name == name).ok_or_else(|| {
            let names: Vec<&str> = s.phases.iter().map(|p| p.name.as_str()).collect();
            crate::errln!(
                "error: scenario `{}` has no phase `{name}`\n  hint: its phases: {}",
                s.name,
                names.join(", ")
            );
            Exit::BadInput
        })?,
    };
    let file = match (&args.config, &args.fragment) {
        (Some(path), _) => FixFile::Config(path.clone()),
        (None, Some(path)) => FixFile::Fragment(path.clone()),
        (None, None) => unreachable!("clap requires --config or --fragment"),
    };
    let input_error = |e: InputError| {
        crate::errln!("{e}");
        Exit::BadInput
    };
    let fix = learner::read(s, &file).map_err(input_error)?;
    let phase = learner::phase(&fix, fixed);
    let mut tried = s.clone();
    tried.phases = vec![phase.clone()];
    if let Some(listen) = crate::scenario::first_non_loopback_listen(&tried) {
        let source = std::fs::read_to_string(file.path()).unwrap_or_default();
        let e = InputError::at_text(
            file.path(),
            &source,
            &listen,
            format!("`{listen}` listens beyond loopback"),
        )
        .with_hint("the lab keeps everything on 127.0.0.1: listen on 127.0.0.1:PORT");
        return Err(input_error(e));
    }
    Ok((loaded.clone(), fixed.clone(), phase))
}

/// Run the learner's phase, print the verdict, and say how the process ends.
fn run(args: &VerifyArgs, loaded: &LoadedScenario, fixed: &Phase, phase: &Phase) -> Exit {
    let lab = match super::lab::Lab::start("verify", args.nginx.as_ref(), args.seed.unwrap_or(1)) {
        Ok(lab) => lab,
        Err(exit) => return exit,
    };
    let s = &loaded.scenario;
    let version = lab.nginx().version().to_string();
    if !fixed.applies_to(&version) {
        crate::errln!(
            "error: phase `{}` records the behaviour of other nginx versions than {version}, \
             which skips it\n  hint: pick another phase with --phase, or that nginx with --nginx",
            fixed.name
        );
        lab.finish(false);
        return Exit::BadInput;
    }
    let attempt = lab.attempt(&s.name);
    let opts = &lab.opts;
    let result = lab.block_on(|cancel| async move {
        crate::runner::run_phase(s, phase, opts, &attempt, &cancel).await
    });
    let hints = crate::hints::hints(s);
    let refused_line = result.config_rejected.as_deref().and_then(|msg| {
        let conf = std::fs::read_to_string(result.run_dir.join("nginx.conf")).ok()?;
        refused_line(msg, &conf)
    });
    let shown = crate::report::verify_text::Verified {
        scenario: s,
        fixed,
        result: &result,
        nginx: lab.nginx().version(),
        hints: &hints,
        hint: args.hint as usize,
        refused_line,
    };
    crate::out!("{}", crate::report::verify_text::render(&shown));
    lab.finish(args.keep);
    if result.config_rejected.is_some() && fixed.expect.config_rejected.is_none() {
        return Exit::ConfigRejected;
    }
    match result.verdict {
        Verdict::Error => Exit::Infrastructure,
        v => Exit::from_verdict(v),
    }
}

/// The line of the rendered `conf` that nginx's refusal `msg` names (`... nginx.conf:27`),
/// trimmed: the learner's own line, shown since the run folder is removed.
fn refused_line(msg: &str, conf: &str) -> Option<String> {
    let after = &msg[msg.find("nginx.conf:")? + "nginx.conf:".len()..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    let line = conf
        .lines()
        .nth(digits.parse::<usize>().ok()?.checked_sub(1)?)?;
    Some(line.trim().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_names_the_line_of_the_rendered_config() {
        let msg = "[emerg] 1#1: unknown directive \"proxy_bogus\" in /tmp/x/nginx.conf:2\n";
        let conf = "http {\n    proxy_bogus on;\n}\n";
        assert_eq!(
            super::refused_line(msg, conf).as_deref(),
            Some("proxy_bogus on;")
        );
        assert_eq!(super::refused_line("no line here", conf), None);
        assert_eq!(super::refused_line("nginx.conf:0", conf), None);
    }
}
