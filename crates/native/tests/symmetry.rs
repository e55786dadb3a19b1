//! Symmetry reduction against the plain search: every model of the corpus gets
//! the same findings (kind, tasks, detail) and bounds in every scenario with
//! the reduction on and off, never more states with it, and every path found
//! with it replays on the reference semantics to the same finding.

use leash_ir::Program;
use leash_native::{explore_with, replay, Control, Exploration, Finding, Phase, Progress, Reporter};
use leash_semantics::{enabled, FindingKind, Scenario};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn models(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("models folder").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            models(&p, out);
        } else if p.extension().is_some_and(|e| e == "leash") {
            out.push(p);
        }
    }
}

/// The corpus (`models/`), the slow files (`// leash: slow`) or the others.
fn corpus(slow: bool) -> Vec<(String, Program)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files = Vec::new();
    models(&root, &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let source = std::fs::read_to_string(&f).expect("readable");
            let is_slow = source.lines().any(|l| l.trim() == "// leash: slow");
            let name = f.strip_prefix(&root).expect("under models").display().to_string();
            (is_slow == slow).then(|| {
                (name.clone(), leash_ir::compile(&source).unwrap_or_else(|e| panic!("{name}: {e:?}")))
            })
        })
        .collect()
}

fn explore(p: &Program, scenario: Scenario, symmetry: bool) -> Exploration {
    explore_for(p, scenario, symmetry, None)
}

/// Explores with the default bounds and, if given, a time budget.
fn explore_for(p: &Program, scenario: Scenario, symmetry: bool, budget: Option<Duration>) -> Exploration {
    let deadline = budget.map(|b| Instant::now() + b);
    let stop = || deadline.is_some_and(|d| Instant::now() >= d);
    let control = Control { symmetry, ..Control::new(&stop) };
    explore_with(p, scenario, &leash_native::Options::default(), &control)
}

fn summary(e: &Exploration) -> Vec<(FindingKind, Vec<u16>, String)> {
    e.findings.iter().map(|f| (f.kind, f.funcs.clone(), f.detail.clone())).collect()
}

/// The path of `f` replays, and ends where the finding says.
fn replays(p: &Program, scenario: Scenario, f: &Finding) -> Result<(), String> {
    let r = replay(p, scenario, &f.path).map_err(|e| format!("{e:?}"))?;
    let last_panic = r.steps.last().and_then(|s| s.panic.as_ref());
    match f.kind {
        FindingKind::Panic if !f.path.is_empty() => match last_panic {
            Some(e) if e.detail == f.detail => Ok(()),
            other => Err(format!("ends in {other:?}, not the panic {}", f.detail)),
        },
        FindingKind::Deadlock | FindingKind::Leak if f.cycle.is_empty() => {
            if enabled(p, &r.last, scenario).is_empty() {
                Ok(())
            } else {
                Err("ends in a state that can move".into())
            }
        }
        _ => Ok(()),
    }
}

/// Compares both searches on the corpus. The slow models get a time budget:
/// where only the plain search is cut short, what it found must be found with
/// symmetry too.
fn compare(slow: bool) {
    let budget = slow.then(|| Duration::from_secs(120));
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, p) in corpus(slow) {
        for scenario in Scenario::ALL {
            let on = explore_for(&p, scenario, true, budget);
            let off = explore_for(&p, scenario, false, budget);
            let what = format!("{name} [{}]", scenario.name());
            let (found_on, found_off) = (summary(&on), summary(&off));
            match (on.incomplete, off.incomplete) {
                (None, None) => {
                    if found_on != found_off {
                        problems.push(format!("{what}: {found_on:?} with symmetry, {found_off:?} without"));
                    }
                    if on.stats.states > off.stats.states {
                        problems.push(format!(
                            "{what}: {} states with symmetry, {} without",
                            on.stats.states, off.stats.states
                        ));
                    }
                }
                (None, Some(_)) => {
                    if let Some(f) = found_off.iter().find(|f| !found_on.contains(f)) {
                        problems.push(format!("{what}: {f:?} found only without symmetry"));
                    }
                }
                (Some(bound), None) => problems.push(format!("{what}: {bound} with symmetry only")),
                (Some(_), Some(_)) => {}
            }
            for f in &on.findings {
                if let Err(e) = replays(&p, scenario, f) {
                    problems.push(format!("{what}: the {} path of {:?} {e}", f.kind.name(), f.funcs));
                }
            }
            checked += 1;
        }
    }
    assert!(slow || checked >= 150, "only {checked} model scenarios");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn symmetry_keeps_every_finding_of_the_corpus() {
    compare(false);
}

/// The slow models (large pools, deep trees): run with `cargo test --release -- --ignored`.
#[test]
#[ignore = "minutes in release mode: run with --release -- --ignored"]
fn symmetry_keeps_every_finding_of_the_slow_models() {
    compare(true);
}

#[test]
fn symmetry_reduces_the_pool() {
    let (_, pool) = corpus(false)
        .into_iter()
        .find(|(name, _)| name.ends_with("pool_4_8_2.leash"))
        .expect("the pool model");
    let (on, off) = (explore(&pool, Scenario::Cancel, true), explore(&pool, Scenario::Cancel, false));
    assert!(on.findings.is_empty() && off.findings.is_empty() && on.incomplete.is_none());
    assert!(
        on.stats.states * 3 < off.stats.states * 2,
        "{} states with symmetry, {} without",
        on.stats.states,
        off.stats.states
    );
}

const SPINNERS: &str = "task main() {\n    spawn spin()\n    spawn spin()\n    spawn spin()\n}\ntask spin() {\n    loop {\n        yield\n        yield\n    }\n}\n";

#[test]
fn a_fair_cycle_found_with_symmetry_is_confirmed_without() {
    let p = leash_ir::compile(SPINNERS).expect("compiles");
    let (on, off) = (explore(&p, Scenario::Completion, true), explore(&p, Scenario::Completion, false));
    assert!(summary(&on).iter().any(|(kind, _, _)| *kind == FindingKind::NoExit), "{:?}", summary(&on));
    assert_eq!(summary(&on), summary(&off));
    assert_eq!(on.stats, off.stats, "the confirming search decides");
}

#[test]
fn a_confirming_search_cut_short_is_incomplete() {
    let p = leash_ir::compile(SPINNERS).expect("compiles");
    let off = explore(&p, Scenario::Completion, false);
    let bounded = |symmetry| {
        let options = leash_native::Options { max_states: off.stats.states - 1, ..Default::default() };
        explore_with(&p, Scenario::Completion, &options, &Control { symmetry, ..Control::new(&|| false) })
    };
    let (on, plain) = (bounded(true), bounded(false));
    let phases = RefCell::new(Vec::new());
    let report = |p: &Progress| phases.borrow_mut().push((p.phase, p.states));
    let control = Control {
        progress: Some(Reporter { elapsed: &|| Duration::ZERO, report: &report }),
        ..Control::new(&|| false)
    };
    let options = leash_native::Options { max_states: off.stats.states - 1, ..Default::default() };
    explore_with(&p, Scenario::Completion, &options, &control);
    let phases = phases.into_inner();
    let reduced = phases.iter().find(|(phase, _)| *phase == Phase::FairCycles).map(|(_, states)| *states);
    assert!(reduced.is_some_and(|n| n < options.max_states), "the reduced search completes: {phases:?}");
    assert!(phases.iter().any(|(phase, _)| *phase == Phase::Confirm), "{phases:?}");
    assert_eq!(on.incomplete, Some(leash_native::Bound::States(off.stats.states - 1)));
    assert_eq!(on.incomplete, plain.incomplete);
    assert!(on.findings.iter().all(|f| f.kind != FindingKind::NoExit), "no-exit is unconfirmed");
}

#[test]
fn a_path_through_reordered_tasks_replays_without_the_reduction() {
    // Either worker may take the job that panics; the reduced search reorders
    // them on the way (one runs ahead of the other), the trace keeps spawn order.
    let src = "task main() {\n    let jobs = chan(2)\n    let c = chan(0)\n    spawn worker(jobs, c)\n    spawn worker(jobs, c)\n    send jobs, :a\n    send jobs, :b\n    close(c)\n}\ntask worker(jobs, c) {\n    yield\n    let v = recv jobs\n    yield\n    if v == :b {\n        close(c)\n    }\n}\n";
    let p = leash_ir::compile(src).expect("compiles");
    let (on, off) = (explore(&p, Scenario::Completion, true), explore(&p, Scenario::Completion, false));
    assert!(on.stats.states < off.stats.states, "{} and {} states", on.stats.states, off.stats.states);
    let panic = on.findings.iter().find(|f| f.kind == FindingKind::Panic).expect("a panic");
    assert_eq!(panic.detail, "close of closed channel");
    assert_eq!(
        panic.path.len(),
        off.findings.iter().find(|f| f.kind == FindingKind::Panic).unwrap().path.len()
    );
    replays(&p, Scenario::Completion, panic).expect("replays");
}
