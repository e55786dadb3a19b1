//! Checking a model on the test platform: every execution replays on the
//! reference semantics and shows only the violations its `// expect:` lines
//! name, and each expected leak, deadlock or panic shows up (unless the
//! model is marked `// leash: time-on-cycles`: then it needs time to pass
//! on a cycle of instant steps, which the threads runtime does not do).

use leash_semantics::Scenario;
use leash_threads::conform::conform;
use leash_threads::{Config, End, Outcome};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The violations a model expects in a scenario: "leak", "deadlock", "panic", "orphan", "no-exit".
fn expected(text: &str, scenario: Scenario) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("// expect") else { continue };
        let (only, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.split_once(']') {
                Some((s, r)) => (Some(s), r),
                None => continue,
            },
            None => (None, rest),
        };
        let Some(rest) = rest.strip_prefix(':') else { continue };
        if only.is_some_and(|s| s != scenario.name()) {
            continue;
        }
        let kind = rest.split_whitespace().next().unwrap_or_default();
        if ["leak", "deadlock", "panic", "orphan", "no-exit"].contains(&kind) {
            out.insert(kind.to_string());
        }
    }
    out
}

fn config(scenario: Scenario) -> Config {
    Config { scenario, max_steps: 300, max_threads: 32, detect_stuck: true }
}

/// What an outcome shows, in the words of `// expect:` lines: how it ended,
/// and "orphan" if a task outlived its owner.
fn verdicts(o: &Outcome) -> Vec<&'static str> {
    let end = match &o.end {
        End::Stuck { main_alive: true, .. } => Some("deadlock"),
        End::Stuck { main_alive: false, .. } => Some("leak"),
        End::Panic { .. } => Some("panic"),
        _ => None,
    };
    end.into_iter().chain((!o.orphans.is_empty()).then_some("orphan")).collect()
}

/// Runs a model under `seeds` schedules (with random answers to the free
/// choices) in one scenario: every execution must run and replay on the
/// reference semantics. Returns the executions, or what went wrong.
#[allow(dead_code)] // not every test binary that shares this module uses it
pub fn runs(name: &str, text: &str, scenario: Scenario, seeds: u64) -> Result<Vec<Outcome>, Vec<String>> {
    let program = Arc::new(leash_ir::compile(text).map_err(|_| vec![format!("{name}: does not compile")])?);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for seed in 0..seeds {
        match crate::sim::execute(&program, config(scenario), seed, Vec::new(), true) {
            Ok(o) => match conform(&program, scenario, &o) {
                Ok(_) => out.push(o),
                Err(d) => problems.push(format!("{name} {scenario:?} seed {seed}: {d}\n  {o:?}")),
            },
            Err(f) => problems.push(format!("{name} {scenario:?} seed {seed}: {f:?}")),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Runs a model under `seeds` schedules in every scenario; returns what went wrong.
pub fn check(name: &str, text: &str, seeds: u64) -> Vec<String> {
    let mut problems = Vec::new();
    let program = match leash_ir::compile(text) {
        Ok(p) => Arc::new(p),
        Err(_) => return vec![format!("{name}: does not compile")],
    };
    for scenario in Scenario::ALL {
        let want = expected(text, scenario);
        let mut seen = BTreeSet::new();
        for seed in 0..seeds {
            let o = match crate::sim::execute(&program, config(scenario), seed, Vec::new(), true) {
                Ok(o) => o,
                Err(f) => {
                    problems.push(format!("{name} {scenario:?} seed {seed}: {f:?}"));
                    continue;
                }
            };
            if let Err(d) = conform(&program, scenario, &o) {
                problems.push(format!("{name} {scenario:?} seed {seed}: {d}\n  {o:?}"));
                continue;
            }
            for v in verdicts(&o) {
                let spins = v == "leak" && want.contains("no-exit");
                if !want.contains(v) && !spins {
                    problems.push(format!("{name} {scenario:?} seed {seed}: unexpected {v}: {o:?}"));
                }
                seen.insert(v.to_string());
            }
        }
        // Such a model's findings need time to pass on a cycle of instant
        // steps, which only the native search lets it (docs/semantics.md).
        let on_cycles = text.lines().any(|l| l.trim() == "// leash: time-on-cycles");
        // A task that never exits is a cycle no finite execution ends, and
        // so are the leaks of the tasks blocked beside it.
        let cyclic = |w: &str| w == "no-exit" || (w == "leak" && want.contains("no-exit"));
        for w in &want {
            if !cyclic(w) && !seen.contains(w) && !on_cycles {
                problems.push(format!("{name} {scenario:?}: no execution shows the expected {w}"));
            }
        }
    }
    problems
}
