//! Snapshots of what people and tools read: text traces and JSON; and the
//! promise that the same input gives byte-identical output.

mod common;
use common::corpus;

use leash::{CheckOptions, ModelReport};
use std::path::Path;

fn check(path: &str) -> ModelReport {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join(path)).expect("corpus model");
    let mut report = leash::check_source(path, &source, &CheckOptions::default()).expect("compiles");
    for s in &mut report.scenarios {
        s.stats.time_ms = 0;
    }
    report
}

fn text(path: &str) -> String {
    leash::render_text(&[check(path)])
}

#[test]
fn trace_of_a_leak() {
    insta::assert_snapshot!(text("models/seeds/timeout_unbuffered.leash"));
}

#[test]
fn trace_of_a_deadlock() {
    insta::assert_snapshot!(text("models/seeds/mutex_across_call.leash"));
}

#[test]
fn trace_of_a_no_exit_with_its_cycle() {
    insta::assert_snapshot!(text("models/seeds/select_default_spin.leash"));
}

#[test]
fn trace_of_a_panic() {
    insta::assert_snapshot!(text("models/seeds/double_close.leash"));
}

#[test]
fn trace_of_a_lost_wakeup() {
    insta::assert_snapshot!(text("models/examples/cond_lost_wakeup.leash"));
}

#[test]
fn json_of_a_leak() {
    insta::assert_snapshot!(leash::render_json(vec![check("models/seeds/timeout_unbuffered.leash")]));
}

#[test]
fn json_of_a_verified_model() {
    insta::assert_snapshot!(leash::render_json(vec![check("models/seeds/heartbeat.leash")]));
}

#[test]
fn output_is_byte_identical_across_runs() {
    let run = || {
        let reports: Vec<ModelReport> = corpus().iter().map(|p| check(p)).collect();
        (leash::render_text(&reports), leash::render_json(reports))
    };
    let (text1, json1) = run();
    let (text2, json2) = run();
    assert!(text1 == text2, "text output differs between two runs");
    assert!(json1 == json2, "JSON output differs between two runs");
}

#[test]
fn json_is_valid_and_names_the_stuck_task() {
    let json = leash::render_json(vec![check("models/seeds/timeout_unbuffered.leash")]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let finding = &v["models"][0]["findings"][0];
    assert_eq!(finding["kind"], "leak");
    assert_eq!(finding["tasks"][0], "compute");
    assert_eq!(finding["waiting"][0]["reason"], "chan send");
}

#[test]
fn every_counterexample_in_the_corpus_replays_to_the_same_trace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for path in corpus() {
        let source = std::fs::read_to_string(root.join(&path)).expect("model");
        let program = leash::compile(&path, &source).expect("compiles");
        for f in check(&path).findings {
            let code: leash_report::replay_code::ReplayCode =
                f.replay.parse().expect("a printed trace parses");
            let out = leash_report::replay(&path, &source, &program, &code).expect("replays");
            assert_eq!(out.trace, f.trace, "{path}: {} {}", f.kind, f.replay);
            assert_eq!(out.cycle, f.cycle, "{path}: {} {}", f.kind, f.replay);
            replayed += 1;
        }
    }
    assert!(replayed >= 50, "only {replayed} counterexamples replayed");
}
