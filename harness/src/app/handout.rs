//! `badgateway handout NAME... | --all [--out DIR]`: run each scenario's phases through the
//! runner and write its Markdown page and timeline SVG (the report code writes them).

use crate::cli::lab::HandoutArgs;
use crate::exit::Exit;
use crate::result::Verdict;

pub(super) fn handout(args: &HandoutArgs) -> Exit {
    let scenarios = match super::load_scenarios(&args.paths) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let mut chosen = Vec::new();
    for name in &args.names {
        match super::find_scenario(&scenarios, name) {
            Ok(l) => chosen.push(l.clone()),
            Err(exit) => return exit,
        }
    }
    if args.all {
        chosen = scenarios;
    }
    let lab = match super::lab::Lab::start("handout", args.nginx.as_ref(), args.seed) {
        Ok(lab) => lab,
        Err(exit) => return exit,
    };
    let mut verdict = Verdict::Pass;
    for loaded in &chosen {
        crate::errln!(
            "badgateway: running {} for its handout",
            loaded.scenario.name
        );
        let attempt = lab.attempt(&loaded.scenario.name);
        let opts = &lab.opts;
        let result = lab.block_on(|cancel| async move {
            crate::runner::run_scenario(loaded, opts, &attempt, &cancel).await
        });
        verdict = verdict.worst(result.verdict);
        if result.verdict == Verdict::Interrupted {
            break;
        }
        match crate::report::handout::write(&loaded.scenario, &result, &args.out) {
            Ok(page) => crate::outln!("handout: {}", page.display()),
            Err(e) => {
                crate::errln!(
                    "error: cannot write the handout in {}: {e}",
                    args.out.display()
                );
                lab.finish(false);
                return Exit::Infrastructure;
            }
        }
        if result.verdict != Verdict::Pass {
            crate::errln!(
                "warning: {} did not pass ({}); its page says so",
                loaded.scenario.name,
                result.verdict.label()
            );
        }
    }
    lab.finish(false);
    Exit::from_verdict(verdict)
}
