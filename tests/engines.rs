//! The loom and shuttle engines against the native prover: the same verdict
//! class on the corpus and on generated models, every engine finding replays
//! on the reference semantics, the libraries' own failure reports become
//! findings, and the engines' limits are honest.

mod common;

use leash::{
    check_source, CheckOptions, Engine, LoomOptions, ModelReport, Scenario, ShuttleOptions, ShuttleStrategy,
    Verdict,
};
use std::collections::BTreeSet;
use std::time::Duration;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("model file")
}

fn check(path: &str, source: &str, engine: Engine, timeout: u64) -> Result<ModelReport, leash::BadModel> {
    let options =
        CheckOptions { engine, timeout: Some(Duration::from_secs(timeout)), ..CheckOptions::default() };
    check_source(path, source, &options)
}

/// Deterministic budgets (executions, not seconds), so that what counts as
/// exhaustive does not depend on the machine.
fn loom() -> Engine {
    Engine::Loom(LoomOptions { max_steps: 60, max_executions: Some(EXECUTIONS), ..LoomOptions::default() })
}

fn dfs() -> Engine {
    dfs_with(EXECUTIONS)
}

fn dfs_with(iterations: usize) -> Engine {
    Engine::Shuttle(ShuttleOptions {
        strategy: ShuttleStrategy::Dfs,
        iterations,
        max_steps: 60,
        ..ShuttleOptions::default()
    })
}

/// Executions per engine run in the differential tests.
const EXECUTIONS: usize = 3_000;

fn random(iterations: usize) -> Engine {
    Engine::Shuttle(ShuttleOptions { iterations, max_steps: 60, ..ShuttleOptions::default() })
}

/// The violations an engine without fair-cycle search can find.
fn safety_kinds(s: &leash::ScenarioReport) -> BTreeSet<String> {
    s.violations.iter().filter(|k| *k != "no-exit").cloned().collect()
}

/// Compares an engine's report with the native one, scenario by scenario:
/// an exhaustive engine finds exactly the native safety violations (and
/// verifies what native verifies); a cut one finds a subset and is never
/// "verified". Returns how many scenarios the engine explored exhaustively.
fn agree(name: &str, native: &ModelReport, other: &ModelReport) -> usize {
    let mut exhaustive = 0;
    for (n, o) in native.scenarios.iter().zip(&other.scenarios) {
        let engine = o.stats.engine.clone().unwrap_or_default();
        let (nk, ok) = (safety_kinds(n), safety_kinds(o));
        assert!(
            !o.bound.as_deref().unwrap_or("").contains("disagree"),
            "{name} ({}): {engine} {}",
            n.scenario,
            o.bound.as_deref().unwrap_or("")
        );
        assert!(ok.is_subset(&nk), "{name} ({}): {engine} found {ok:?}, native {nk:?}", n.scenario);
        let cut = o.verdict == Verdict::Incomplete || o.bound.is_some();
        if n.verdict == Verdict::Incomplete {
            continue;
        }
        if !cut || o.verdict == Verdict::Verified {
            assert_eq!(ok, nk, "{name} ({}): {engine} found {ok:?}, native {nk:?}", n.scenario);
            if nk.is_empty() {
                let native_only_no_exit = n.violations.iter().any(|k| k == "no-exit");
                assert!(
                    !native_only_no_exit || cut,
                    "{name} ({}): {engine} says verified, native found a task that never exits",
                    n.scenario
                );
            }
            exhaustive += 1;
        }
    }
    exhaustive
}

/// Every finding's trace replays on the reference semantics (`leash replay`).
fn findings_replay(name: &str, source: &str, report: &ModelReport) {
    let program = leash::compile(name, source).expect("compiles");
    for f in &report.findings {
        let code: leash_report::replay_code::ReplayCode = f.replay.parse().expect("replay code parses");
        let out = leash_report::replay(name, source, &program, &code)
            .unwrap_or_else(|e| panic!("{name}: {} does not replay: {e}", f.replay));
        assert_eq!(out.trace.len(), code.path.len() + code.cycle.len(), "{name}: {}", f.replay);
    }
}

/// The seed's buffered fix with its worker spawned `detached`: nobody owns
/// it, so outliving `main` breaks no rule and the model is verified.
fn timeout_detached() -> (&'static str, String) {
    let buffered = read("models/seeds/timeout_buffered.leash");
    let detached = buffered
        .replace("// expect: orphan compute", "// expect: verified")
        .replace("spawn compute(out)", "spawn detached compute(out)");
    assert_ne!(detached, buffered, "the seed spawns compute");
    ("timeout_detached.leash", detached)
}

/// The leaky seed (a leak and an orphan), its buffered fix (no leak, but
/// the worker outlives its owner: an orphan) and that fix with the worker
/// detached (verified): each engine, exhaustive on all three, finds exactly
/// what native finds.
#[test]
fn loom_and_shuttle_refute_the_leaky_seed_and_its_orphaning_fix_and_verify_the_detached_one() {
    let (detached, detached_source) = timeout_detached();
    for (path, source, verdict) in [
        (
            "models/seeds/timeout_unbuffered.leash",
            read("models/seeds/timeout_unbuffered.leash"),
            Verdict::Violated,
        ),
        (
            "models/seeds/timeout_buffered.leash",
            read("models/seeds/timeout_buffered.leash"),
            Verdict::Violated,
        ),
        (detached, detached_source, Verdict::Verified),
    ] {
        let native = check(path, &source, Engine::Native, 30).expect("compiles");
        assert_eq!(native.verdict, verdict, "{path}");
        for engine in [loom(), dfs_with(100_000)] {
            let other = check(path, &source, engine, 30).expect("within the engine's limits");
            assert_eq!(other.verdict, verdict, "{path} with {}", engine.name());
            assert_eq!(
                agree(path, &native, &other),
                native.scenarios.len(),
                "{path}: {} exhaustive",
                engine.name()
            );
            let kinds = |r: &ModelReport| {
                r.findings
                    .iter()
                    .filter(|f| f.severity == leash::Severity::Violation)
                    .map(|f| (f.kind.clone(), f.tasks.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(kinds(&other), kinds(&native), "{path} with {}", engine.name());
            findings_replay(path, &source, &other);
        }
    }
}

#[test]
fn shuttle_random_samples_and_never_says_verified() {
    let (path, source) = timeout_detached();
    let report = check(path, &source, random(50), 30).expect("compiles");
    assert_eq!(report.verdict, Verdict::Incomplete);
    for s in &report.scenarios {
        assert_eq!(s.bound.as_deref(), Some("no violation found in 50 schedules"), "{}", s.scenario);
        assert_eq!(s.stats.executions, Some(50));
    }
    let text = leash::render_text(std::slice::from_ref(&report));
    assert!(text.contains("incomplete (no violation found in 50 schedules)"), "{text}");
}

#[test]
fn a_shuttle_finding_prints_a_schedule_that_replays_to_the_same_trace() {
    let path = "models/seeds/timeout_unbuffered.leash";
    let source = read(path);
    let report = check(path, &source, random(200), 30).expect("compiles");
    assert_eq!(report.verdict, Verdict::Violated);
    let program = leash::compile(path, &source).expect("compiles");
    let f = &report.findings[0];
    let schedule = f.schedule.as_deref().expect("a shuttle finding carries its schedule");
    let scenario = Scenario::from_name(&f.scenarios[0]).expect("scenario");
    let (path_again, ending) =
        leash::shuttle_replay(&program, scenario, schedule).expect("the schedule replays");
    let code: leash_report::replay_code::ReplayCode = f.replay.parse().expect("replay code");
    assert_eq!(path_again, code.path, "{ending}");
    assert!(ending.starts_with("leak"), "{ending}");
    let text = leash::render_text(std::slice::from_ref(&report));
    assert!(text.contains("leash replay --engine shuttle --scenario"), "{text}");
    assert!(leash::shuttle_replay(&program, scenario, "r:not a schedule").is_err());
}

#[test]
fn the_libraries_own_deadlock_reports_become_findings() {
    let path = "models/seeds/timeout_unbuffered.leash";
    let source = read(path);
    let native = check(path, &source, Engine::Native, 30).expect("compiles");
    let engines = [
        Engine::Loom(LoomOptions { detect_stuck: false, max_steps: 60, ..LoomOptions::default() }),
        Engine::Shuttle(ShuttleOptions {
            strategy: ShuttleStrategy::Dfs,
            detect_stuck: false,
            max_steps: 60,
            iterations: 20_000,
            ..ShuttleOptions::default()
        }),
    ];
    for engine in engines {
        let other = check(path, &source, engine, 30).expect("compiles");
        assert_eq!(other.verdict, Verdict::Violated, "{}", engine.name());
        let leaks: Vec<_> = other.findings.iter().map(|f| (f.kind.as_str(), f.tasks.clone())).collect();
        let native_leaks: Vec<_> =
            native.findings.iter().map(|f| (f.kind.as_str(), f.tasks.clone())).collect();
        assert!(leaks.iter().all(|l| native_leaks.contains(l)), "{}: {leaks:?}", engine.name());
        findings_replay(path, &source, &other);
    }
}

#[test]
fn loom_refuses_a_model_with_more_threads_than_it_models() {
    let source =
        "task main() {\n    for i in 0..5 {\n        spawn w()\n    }\n}\n\ntask w() {\n    yield\n}\n";
    let bad = check("wide.leash", source, loom(), 30).expect_err("refused");
    let text = bad.render();
    assert!(text.contains("E0200") && text.contains("loom models at most 5"), "{text}");
    assert!(text.contains("wide.leash:3"), "{text}");
    let sampled = check("wide.leash", source, random(20), 30).expect("shuttle has no such limit");
    assert_eq!(sampled.scenarios[0].bound.as_deref(), Some("no violation found in 20 schedules"));
}

/// The models of `models/semantics`, one per rule with its Go verdict, sorted.
fn semantics_models() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/semantics");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| format!("models/semantics/{}", e.expect("entry").file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".leash"))
        .collect();
    files.sort();
    files
}

/// The corpus (seeds, examples and the semantics models): every model within
/// an engine's limits gets the same verdict class from all three engines,
/// and every engine finding replays.
#[test]
fn the_corpus_gets_the_same_verdict_class_from_every_engine() {
    let mut exhaustive = [0usize; 2];
    for path in common::corpus().into_iter().chain(semantics_models()) {
        let source = read(&path);
        let native = check(&path, &source, Engine::Native, 30).expect("the corpus compiles");
        for (i, engine) in [loom(), dfs()].into_iter().enumerate() {
            let Ok(other) = check(&path, &source, engine, 600) else { continue };
            exhaustive[i] += agree(&path, &native, &other);
            findings_replay(&path, &source, &other);
        }
    }
    // The budgets are counts, so these are exact on every machine; they are
    // floors so that a faster runtime may raise them.
    assert!(exhaustive[0] >= 175, "loom explored only {} scenarios exhaustively", exhaustive[0]);
    assert!(exhaustive[1] >= 107, "shuttle dfs explored only {} scenarios exhaustively", exhaustive[1]);
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    fn differential(name: &str, source: &str) {
        let native = check(name, source, Engine::Native, 30).expect("generated models compile");
        for engine in [loom(), dfs()] {
            if let Ok(other) = check(name, source, engine, 600) {
                agree(&format!("{name}\n{source}"), &native, &other);
                findings_replay(name, source, &other);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]

        /// Generated owner trees of at most four tasks (leash::arbitrary).
        #[test]
        fn generated_designs_get_the_same_verdict_from_every_engine(d in leash::arbitrary::design()) {
            differential("design.leash", &d.to_source());
        }

        /// Their one-defect mutants.
        #[test]
        fn generated_mutants_get_the_same_verdict_from_every_engine(m in leash::arbitrary::mutant()) {
            differential("mutant.leash", &m.source);
        }
    }
}

#[test]
fn a_model_that_panics_before_its_first_step_panics_in_every_engine() {
    let source = "var x: int[0..3] = 5\ntask main() {\n    yield\n}\n";
    for engine in [Engine::Native, loom(), dfs(), random(5)] {
        let report = check("init.leash", source, engine, 10).expect("compiles");
        assert_eq!(report.verdict, Verdict::Violated, "{}", engine.name());
        assert_eq!(report.findings[0].kind, "panic", "{}", engine.name());
    }
}
