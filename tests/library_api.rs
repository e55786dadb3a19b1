//! leash from a user's `cargo test`: a model kept next to the code is checked
//! in a test, a fixed design passes `assert_verified`, a leaky one fails the
//! test with the rendered trace; and a pathological model cannot run unbounded.

use leash::{check_file, check_source, CheckOptions, ModelReportExt, Scenario, SearchOptions, Verdict};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// A model of the user's crate, by path, as a user's test names it.
fn model(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The message of a caught panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast_ref::<&str>().map(|s| s.to_string()).unwrap_or_default(),
    }
}

#[test]
fn a_fixed_design_passes_assert_verified() {
    let report = check_file(model("models/seeds/cache_eviction_close.leash"), &CheckOptions::default())
        .unwrap_or_else(|bad| panic!("{bad}"));
    report.assert_verified();
    assert_eq!(report.verdict, Verdict::Verified);
    // Hygiene warnings do not fail it (they do under `strict`).
    assert!(!report.findings.is_empty());
    assert!(report.findings.iter().all(|f| f.severity == leash::Severity::Warning));
}

#[test]
fn an_orphan_fails_assert_verified_unless_allowed_or_detached() {
    let path = model("models/seeds/timeout_buffered.leash");
    let report = check_file(&path, &CheckOptions::default()).unwrap_or_else(|bad| panic!("{bad}"));
    assert_eq!(report.verdict, Verdict::Violated, "the owner rule: compute outlives main");
    let allowed = CheckOptions { allow: vec![leash::FindingKind::Orphan], ..CheckOptions::default() };
    check_file(&path, &allowed).unwrap_or_else(|bad| panic!("{bad}")).assert_verified();
    let source =
        std::fs::read_to_string(&path).expect("model").replace("spawn compute", "spawn detached compute");
    check_source("detached.leash", &source, &CheckOptions::default()).expect("compiles").assert_verified();
}

#[test]
fn a_leaky_design_fails_the_test_with_the_rendered_trace() {
    let path = model("models/seeds/timeout_unbuffered.leash");
    let report = check_file(&path, &CheckOptions::default()).unwrap_or_else(|bad| panic!("{bad}"));
    let caught = catch_unwind(AssertUnwindSafe(|| report.assert_verified()));
    let message = panic_message(caught.expect_err("a leak must fail assert_verified"));
    assert!(message.contains(&path), "the panic names the model:\n{message}");
    assert!(message.contains("is not verified"), "{message}");
    assert!(message.contains("leak compute"), "the panic names the finding:\n{message}");
    assert!(message.contains("chan send"), "the panic shows where compute is stuck:\n{message}");
    assert!(message.contains("spawn compute(out)"), "the panic shows the trace:\n{message}");
    assert!(message.contains("replay: leash replay"), "{message}");
}

#[test]
fn strict_options_make_owner_rule_warnings_fail() {
    let options = CheckOptions { strict: true, ..CheckOptions::default() };
    let report = check_file(model("models/seeds/timeout_buffered.leash"), &options).unwrap();
    assert_eq!(report.verdict, Verdict::Violated);
    let caught = catch_unwind(AssertUnwindSafe(|| report.assert_verified()));
    assert!(panic_message(caught.unwrap_err()).contains("orphan compute"));
}

#[test]
fn a_model_that_does_not_compile_is_an_error_with_located_diagnostics() {
    let bad = check_source("mine.leash", "task main() {\n    sned ch\n}\n", &CheckOptions::default())
        .expect_err("a typo does not compile");
    let text = bad.to_string();
    assert!(text.contains("mine.leash:2:5"), "{text}");
    assert!(text.contains("did you mean `send`?"), "{text}");
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let bad = check_file(model("models/no_such_model.leash"), &CheckOptions::default()).unwrap_err();
    assert!(bad.to_string().contains("cannot read"), "{bad}");
}

// Untrusted input: a model from a pull request must end, whatever it does.

/// main spawns a new task on every turn of an endless loop: the number of
/// tasks, and so the state space, is unbounded, and every state is larger
/// than the one before.
const SPAWNER: &str = "task main() {
    let ch = chan(0)
    loop {
        spawn w(ch)
    }
}

task w(ch) {
    recv ch
}
";

/// Two counters that grow forever, in every order: no state repeats before
/// the 16-bit overflow, billions of states away.
const COUNTERS: &str = "task main() {
    var a = 0
    var b = 0
    loop {
        choose {
            a = a + 1
        } or {
            b = b + 1
        }
    }
}
";

fn assert_incomplete(report: &leash::ModelReport, bound: &str) {
    assert_eq!(report.verdict, Verdict::Incomplete, "{}", leash::render_text(std::slice::from_ref(report)));
    for s in &report.scenarios {
        assert_eq!(s.verdict, Verdict::Incomplete, "{}", s.scenario);
        assert_eq!(s.bound.as_deref(), Some(bound), "{}", s.scenario);
    }
    // An incomplete search is never verified: a user's test fails on it.
    assert!(catch_unwind(AssertUnwindSafe(|| report.assert_verified())).is_err());
}

#[test]
fn a_pathological_model_is_incomplete_under_small_explicit_bounds() {
    let states = CheckOptions {
        search: SearchOptions { max_states: 200, max_tasks: 10_000, ..SearchOptions::default() },
        ..CheckOptions::default()
    };
    assert_incomplete(&check_source("spawner.leash", SPAWNER, &states).unwrap(), "max-states 200");
    assert_incomplete(&check_source("counters.leash", COUNTERS, &states).unwrap(), "max-states 200");

    let depth = CheckOptions {
        search: SearchOptions { max_depth: 50, max_tasks: 10_000, ..SearchOptions::default() },
        ..CheckOptions::default()
    };
    assert_incomplete(&check_source("spawner.leash", SPAWNER, &depth).unwrap(), "max-depth 50");
    assert_incomplete(&check_source("counters.leash", COUNTERS, &depth).unwrap(), "max-depth 50");

    let memory = CheckOptions {
        search: SearchOptions { max_memory: 1 << 20, ..SearchOptions::default() },
        ..CheckOptions::default()
    };
    assert_incomplete(&check_source("counters.leash", COUNTERS, &memory).unwrap(), "max-memory 1 MiB");
}

#[test]
fn a_pathological_model_is_incomplete_under_the_default_bounds_with_a_short_timeout() {
    let options = CheckOptions { timeout: Some(Duration::from_secs(2)), ..CheckOptions::default() };
    // The default bounds: 5,000,000 states, depth 10,000, 8 GiB (docs/ci.md).
    let d = &options.search;
    assert_eq!((d.max_states, d.max_depth, d.max_memory), (5_000_000, 10_000, 8 << 30));
    let start = Instant::now();
    let report = check_source("counters.leash", COUNTERS, &options).unwrap();
    assert_incomplete(&report, "timeout");
    // Three scenarios of two seconds each, and some slack for a loaded machine.
    assert!(start.elapsed() < Duration::from_secs(60), "took {:?}", start.elapsed());
}

#[test]
fn an_unbounded_spawner_is_incomplete_under_the_default_bounds_with_a_short_timeout() {
    // The time budget is polled every 16 states; the states of this model
    // grow with every step, so the search overshoots the budget (seconds in a
    // debug build), but it ends, as incomplete.
    let options = CheckOptions {
        scenarios: vec![Scenario::Completion],
        timeout: Some(Duration::from_secs(2)),
        search: SearchOptions { max_tasks: 10_000, ..SearchOptions::default() },
        ..CheckOptions::default()
    };
    let report = check_source("spawner.leash", SPAWNER, &options).unwrap();
    assert_incomplete(&report, "timeout");
}

#[test]
fn an_unbounded_spawner_is_cut_at_the_default_task_bound_naming_the_spawn() {
    let start = Instant::now();
    let report = check_source("spawner.leash", SPAWNER, &CheckOptions::default()).unwrap();
    let text =
        "max-tasks 32: 32 `w` tasks alive at once, spawned at spawner.leash:4; a task spawned in a loop \
                that does not end before the next one is spawned grows the model without bound (bound the \
                spawns, or raise --max-tasks)";
    assert_incomplete(&report, text);
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
}

#[test]
fn a_monitor_that_spawns_a_probe_per_tick_reaches_the_task_bound_through_symmetry() {
    // models/perf/monitor_spawns_probes.leash: its probes are merged by
    // symmetry only across paths (never two steps of one state), so a
    // search that judged symmetry by sibling steps dropped it and grew past
    // a million states; with it, the task bound is met within tens of
    // thousands (36,530: a tick may follow its ticker's last at once, so
    // two probes may start at one instant; 11,199 before that) and names
    // the spawn site, and the leak is shown.
    let source = std::fs::read_to_string(model("models/perf/monitor_spawns_probes.leash")).unwrap();
    let options =
        CheckOptions { scenarios: vec![Scenario::Completion], hunt: false, ..CheckOptions::default() };
    let report = check_source("monitor.leash", &source, &options).unwrap();
    let s = &report.scenarios[0];
    let bound = s.bound.as_deref().unwrap_or_default();
    assert!(
        bound.starts_with("max-tasks 32: 32 `probe` tasks alive at once, spawned at monitor.leash:16;"),
        "{bound}"
    );
    assert!(s.stats.states < 50_000, "{} states", s.stats.states);
    assert!(s.violations.iter().any(|v| v == "leak"), "{:?}", s.violations);
}

#[test]
fn cancel_shares_the_exploration_of_error_in_a_model_without_work() {
    let quiet = "task main() {\n    let ctx = signal()\n    recv ctx.done\n}\n";
    let report = check_source("quiet.leash", quiet, &CheckOptions::default()).unwrap();
    let same: Vec<Option<&str>> = report.scenarios.iter().map(|s| s.stats.same_as.as_deref()).collect();
    assert_eq!(same, [None, None, Some("error")]);
    assert_eq!(report.scenarios[1].stats.states, report.scenarios[2].stats.states);
    // Whichever comes first is explored.
    let options =
        CheckOptions { scenarios: vec![Scenario::Cancel, Scenario::Error], ..CheckOptions::default() };
    let report = check_source("quiet.leash", quiet, &options).unwrap();
    let same: Vec<Option<&str>> = report.scenarios.iter().map(|s| s.stats.same_as.as_deref()).collect();
    assert_eq!(same, [None, Some("cancel")]);
    // With `work`, error is a scenario of its own.
    let busy = "task main() {\n    let ctx = signal()\n    work job?\n    recv ctx.done\n}\n";
    let report = check_source("busy.leash", busy, &CheckOptions::default()).unwrap();
    assert!(report.scenarios.iter().all(|s| s.stats.same_as.is_none()));
}

/// A test of the user's crate can use `?` on leash's errors: a model that does
/// not compile is a `std::error::Error` whose message is the rendered diagnostics.
#[test]
fn a_model_that_does_not_compile_is_a_std_error() {
    fn check() -> Result<leash::ModelReport, Box<dyn std::error::Error>> {
        Ok(check_source("typo.leash", "task main() {\n    sned ch\n}\n", &CheckOptions::default())?)
    }
    let err = check().expect_err("the model does not compile");
    let text = err.to_string();
    assert!(text.starts_with("error[E0006]: unknown statement `sned`"), "{text}");
    assert!(text.contains("typo.leash:2:5") && text.contains("did you mean `send`?"), "{text}");
    assert!(!text.contains("Diagnostic {") && !text.contains('\u{1b}'), "no Debug dump, no colour: {text}");
    // `.unwrap()` and `.expect()` print the error with Debug: the same text.
    let bad =
        check_source("typo.leash", "task main() {\n    sned ch\n}\n", &CheckOptions::default()).unwrap_err();
    assert_eq!(format!("{bad:?}"), text);
}

/// A folder of models, each with its expect lines, in one call.
#[test]
fn test_models_checks_a_folder_against_its_expect_lines() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("sub")).expect("temp dir");
    let good = "// expect: verified\ntask main() {\n    let ch = chan(1)\n    send ch\n}\n";
    let wrong = "// expect: verified\ntask main() {\n    let ch = chan(0)\n    send ch\n}\n";
    std::fs::write(dir.join("good.leash"), good).expect("write");
    std::fs::write(dir.join("sub/wrong.leash"), wrong).expect("write");
    std::fs::write(dir.join("notes.txt"), "not a model").expect("write");

    let summary = leash::test_models(dir.join("good.leash")).expect("a model as expected passes");
    assert_eq!(summary.models.len(), 1);

    let failure = leash::test_models(dir).expect_err("a model not as expected fails");
    assert_eq!(failure.models.len(), 2, "every *.leash under the folder, and nothing else");
    let text = failure.to_string();
    let wrong_path = dir.join("sub/wrong.leash").display().to_string();
    assert!(
        text.contains(&format!("FAIL  {wrong_path}\n      expected verified, violated in completion")),
        "{text}"
    );
    assert!(text.contains("deadlock main"), "what leash found is shown: {text}");
    assert!(!text.contains("good.leash"), "only the mismatches: {text}");
    assert!(text.ends_with("1 passed, 1 failed\n"), "{text}");
    // A test returning `Result<(), TestFailure>` prints `Error: {:?}`.
    assert_eq!(format!("{failure:?}"), text);
    let as_error: Box<dyn std::error::Error> = Box::new(failure);
    assert_eq!(as_error.to_string(), text);

    let missing = leash::test_models(dir.join("nope")).expect_err("a missing folder fails");
    assert!(missing.to_string().contains("no such file or folder"), "{missing}");
}
