//! The bug hunt: it finds the deep deadlock of `models/perf/deep_deadlock.leash`
//! that breadth-first search cannot reach within its bounds, its paths
//! replay to the finding they name, it is deterministic (the same runs for
//! any number of threads), it never makes a search verified, and on the
//! corpus everything it finds is found by the complete search too.

mod common;
use common::models;
use leash_ir::Program;
use leash_native::{explore_with, hunt, replay, Bound, Control, Exploration, Finding, Options, SEED};
use leash_semantics::{enabled, FindingKind, Scenario};
use std::path::Path;

const DEEP: &str = include_str!("../../../models/perf/deep_deadlock.leash");

fn compile(source: &str) -> Program {
    leash_ir::compile(source).expect("compiles")
}

fn funcs(p: &Program, f: &Finding) -> Vec<String> {
    f.funcs.iter().map(|&x| p.func(x).name.clone()).collect()
}

/// The path of `f` replays, and ends where the finding says: a panic with
/// its message, a state where nothing can move, or a step that warns.
fn replays(p: &Program, scenario: Scenario, f: &Finding) -> Result<(), String> {
    let r = replay(p, scenario, &f.path).map_err(|e| format!("{e:?}"))?;
    let last_panic = r.steps.last().and_then(|s| s.panic.as_ref());
    match f.kind {
        FindingKind::Panic if !f.path.is_empty() => match last_panic {
            Some(e) if e.detail == f.detail => Ok(()),
            other => Err(format!("ends in {other:?}, not the panic {}", f.detail)),
        },
        FindingKind::Deadlock | FindingKind::Leak => match enabled(p, &r.last, scenario).is_empty() {
            true => Ok(()),
            false => Err("ends in a state that can move".into()),
        },
        _ => match last_panic {
            None => Ok(()),
            Some(e) => Err(format!("ends in the panic {}", e.detail)),
        },
    }
}

fn the_deadlock(p: &Program, e: &[Finding]) -> Finding {
    let deadlock = e.iter().find(|f| f.kind == FindingKind::Deadlock).expect("a deadlock");
    assert_eq!(funcs(p, deadlock), ["main", "leader", "relay"]);
    deadlock.clone()
}

#[test]
fn the_hunt_finds_the_deep_deadlock_in_every_scenario() {
    let p = compile(DEEP);
    for scenario in Scenario::ALL {
        let h = hunt(&p, scenario, &Options::default(), 20_000, SEED, &|| false);
        let deadlock = the_deadlock(&p, &h.findings);
        replays(&p, scenario, &deadlock).unwrap();
        // 120 steps is the shortest: the hunt's path is shortened close to it.
        assert!((120..=128).contains(&deadlock.path.len()), "{} steps", deadlock.path.len());
        assert!(h.steps >= 20_000 && h.runs > 1, "{h:?}");
        assert_eq!(h, hunt(&p, scenario, &Options::default(), 20_000, SEED, &|| false), "deterministic");
    }
}

#[test]
fn other_seeds_find_it_too_and_a_depth_bound_is_kept() {
    let p = compile(DEEP);
    for seed in 1..6 {
        let h = hunt(&p, Scenario::Cancel, &Options::default(), 20_000, seed, &|| false);
        replays(&p, Scenario::Cancel, &the_deadlock(&p, &h.findings)).unwrap();
    }
    let shallow = Options { max_depth: 90, ..Options::default() };
    let h = hunt(&p, Scenario::Cancel, &shallow, 20_000, SEED, &|| false);
    assert!(h.findings.is_empty(), "nothing within 90 steps: {:?}", h.findings);
}

fn explore(p: &Program, options: &Options, workers: usize, hunting: bool) -> Exploration {
    let control = Control { workers, hunt: hunting, ..Control::new(&|| false) };
    explore_with(p, Scenario::Cancel, options, &control)
}

#[test]
fn a_search_that_grows_big_is_stopped_by_the_hunts_violation_on_any_number_of_threads() {
    let p = compile(DEEP);
    let one = explore(&p, &Options::default(), 1, true);
    assert_eq!(one.incomplete, Some(Bound::Hunted));
    assert!(one.stats.states > 1 << 16 && one.stats.max_depth < 50, "{:?}", one.stats);
    replays(&p, Scenario::Cancel, &the_deadlock(&p, &one.findings)).unwrap();
    assert_eq!(explore(&p, &Options::default(), 2, true), one);
}

#[test]
fn a_search_cut_short_by_a_bound_gets_the_hunts_findings_but_stays_incomplete() {
    let p = compile(DEEP);
    let small = Options { max_states: 2_000, ..Options::default() };
    let hunted = explore(&p, &small, 1, true);
    assert_eq!(hunted.incomplete, Some(Bound::States(2_000)));
    replays(&p, Scenario::Cancel, &the_deadlock(&p, &hunted.findings)).unwrap();
    assert_eq!(explore(&p, &small, 2, true), hunted);
    let alone = explore(&p, &small, 1, false);
    assert!(alone.findings.is_empty() && alone.incomplete == Some(Bound::States(2_000)));
    assert_eq!(Exploration { findings: Vec::new(), ..hunted }, alone, "the search itself is the same");
}

#[test]
fn the_hunt_never_makes_a_search_verified() {
    let p = compile(include_str!("../../../models/perf/pool_6_12_3.leash"));
    let raw = Control { symmetry: false, por: false, ..Control::new(&|| false) };
    let small = Options { max_states: 500, ..Options::default() };
    let cut = explore_with(&p, Scenario::Cancel, &small, &raw);
    assert_eq!(cut.incomplete, Some(Bound::States(500)));
    assert!(cut.findings.is_empty(), "{:?}", cut.findings);
    let p = compile(include_str!("../../../models/perf/pool_leaky_4_8_2.leash"));
    let complete = explore(&p, &Options::default(), 1, true);
    assert!(complete.incomplete.is_none() && !complete.findings.is_empty());
    assert_eq!(explore(&p, &Options::default(), 1, false), complete, "a complete search is the same");
}

/// On every corpus model but the slow ones, in every scenario: what the
/// hunt finds, the search finds (by kind, tasks and detail) when it
/// completes, and the hunt's paths replay to their findings. These models
/// are small: a short hunt finds every dead state, panic and warning of
/// theirs, on paths about as short as the search's.
#[test]
fn on_the_corpus_the_hunt_finds_what_the_search_finds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files = Vec::new();
    models(&root, &mut files);
    let (mut problems, mut compared, mut found, mut steps, mut shortest) = (Vec::new(), 0, 0, 0, 0);
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        if source.lines().any(|l| l.trim() == "// leash: slow") {
            continue;
        }
        let name = file.strip_prefix(&root).expect("under models").display().to_string();
        let p = compile(&source);
        for scenario in Scenario::ALL {
            let alone = Control { hunt: false, ..Control::new(&|| false) };
            let searched = explore_with(&p, scenario, &Options::default(), &alone);
            let hunted = hunt(&p, scenario, &Options::default(), 3_000, SEED, &|| false);
            compared += 1;
            let key = |f: &Finding| (f.kind, f.funcs.clone(), f.detail.clone());
            let what = |f: &Finding| format!("{name} {scenario:?}: {} {:?}", f.kind.name(), funcs(&p, f));
            for f in &hunted.findings {
                match searched.findings.iter().find(|g| key(g) == key(f)) {
                    Some(g) => {
                        found += 1;
                        steps += f.path.len();
                        shortest += g.path.len();
                    }
                    None if searched.incomplete.is_none() => {
                        problems.push(format!("{}: not found by the complete search", what(f)))
                    }
                    None => {}
                }
                if let Err(e) = replays(&p, scenario, f) {
                    problems.push(format!("{}: {e}", what(f)));
                }
            }
            for g in searched.findings.iter().filter(|g| g.cycle.is_empty()) {
                if !hunted.findings.iter().any(|f| key(f) == key(g)) {
                    problems.push(format!("{}: missed by the hunt", what(g)));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared > 200 && found > 100, "{compared} model-scenarios, {found} findings");
    assert!(steps * 10 <= shortest * 11, "{steps} steps in the hunt's paths, {shortest} in the shortest");
}
