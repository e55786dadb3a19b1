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

/// The step in which a task panics and starts running its deferred calls
/// says so; the deferred call that blocks is where the trace ends.
#[test]
fn trace_of_a_panic_whose_deferred_call_blocks() {
    insta::assert_snapshot!(text("models/semantics/panic_runs_its_deferred_calls_first.leash"));
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

/// The tasks alive at the end of each finding's trace, one line each:
/// `kind tasks: task [reason] :line`.
fn waits_of(name: &str, src: &str) -> String {
    let report =
        leash::check_source(name, src, &CheckOptions::default()).unwrap_or_else(|b| panic!("{}", b.render()));
    let mut out = String::new();
    for f in report.findings.iter().filter(|f| f.kind != "orphan") {
        let waits: Vec<String> =
            f.waiting.iter().map(|w| format!("{} [{}] :{}", w.task, w.reason, w.location.line)).collect();
        out.push_str(&format!("{name}: {} {}: {}\n", f.kind, f.tasks.join(" "), waits.join(", ")));
    }
    out
}

/// Every wait reason as Go's goroutine dump words it (Go 1.19 prints
/// `semacquire` for the sync locks and waits: leash names them by the call,
/// as newer Go and the Go harness's frames do).
#[test]
fn wait_reasons_in_gos_words() {
    let models = [
        // A writer behind another writer waits in the writers' mutex; a
        // reader behind a writer waits in RLock.
        (
            "writer_behind_writer",
            "var rw = rwmutex()\ntask main() {\n rw.lock()\n let w = spawn writer()\n let r = spawn reader()\n join w\n join r\n}\ntask writer() {\n rw.lock()\n}\ntask reader() {\n rw.rlock()\n}\n",
        ),
        // A writer that has announced itself waits for the readers inside.
        (
            "writer_behind_reader",
            "var rw = rwmutex()\ntask main() {\n rw.rlock()\n let w = spawn writer()\n join w\n}\ntask writer() {\n rw.lock()\n}\n",
        ),
        // A reader behind a writer that waits for readers to leave.
        (
            "reader_behind_announced_writer",
            "var rw = rwmutex()\nvar announced = chan(0)\ntask main() {\n rw.rlock()\n let w = spawn writer()\n recv announced\n rw.rlock()\n join w\n}\ntask writer() {\n send announced\n rw.lock()\n}\n",
        ),
        ("mutex", "task main() {\n let mu = mutex()\n mu.lock()\n mu.lock()\n}\n"),
        // Go compiles a select of one case into the plain operation.
        ("select_one_recv", "task main() {\n let ch = chan(0)\n select {\n  recv ch => {}\n }\n}\n"),
        ("select_one_send", "task main() {\n let ch = chan(0)\n select {\n  send ch => {}\n }\n}\n"),
        ("select_one_nil_recv", "task main() {\n let ch = nil\n select {\n  recv ch => {}\n }\n}\n"),
        ("select_one_nil_send", "task main() {\n let ch = nil\n select {\n  send ch => {}\n }\n}\n"),
        ("select_no_cases", "task main() {\n select {}\n}\n"),
        (
            "select_two_cases",
            "task main() {\n let a = chan(0)\n let b = chan(0)\n select {\n  recv a => {}\n  send b => {}\n }\n}\n",
        ),
        // A select with a default never blocks: the spinning task is running.
        (
            "select_one_case_and_default",
            "task main() {\n let ch = chan(0)\n loop {\n  select {\n   recv ch => break\n   default => {}\n  }\n }\n}\n",
        ),
        ("recv", "task main() {\n let ch = chan(0)\n recv ch\n}\n"),
        ("recv_nil", "task main() {\n let ch = nil\n recv ch\n}\n"),
        ("waitgroup", "task main() {\n let wg = waitgroup()\n wg.add(1)\n wg.wait()\n}\n"),
        (
            "cond",
            "var mu = mutex()\ntask main() {\n let c = cond(mu)\n mu.lock()\n c.wait()\n}\n",
        ),
        (
            "once",
            "fn block() {\n select {}\n}\ntask main() {\n let o = once()\n let t = spawn user(o)\n o.do(block)\n join t\n}\ntask user(o) {\n o.do(block)\n}\n",
        ),
        ("join", "task main() {\n let t = spawn stuck()\n join t\n}\ntask stuck() {\n select {}\n}\n"),
        (
            "join_and_errgroup",
            "task main() {\n let g = group()\n g.go stuck()\n let e = g.wait()\n}\ntask stuck() {\n select {}\n}\n",
        ),
    ];
    let all: String = models.iter().map(|(name, src)| waits_of(name, src)).collect();
    insta::assert_snapshot!(all);
}

#[test]
fn a_warning_raised_before_the_first_step_replays_to_that_warning() {
    let src = "task main() {\n    let base = with_timeout(background())\n}\n";
    let report = leash::check_source("start.leash", src, &CheckOptions::default()).expect("compiles");
    let program = leash::compile("start.leash", src).expect("compiles");
    let f = report.findings.iter().find(|f| f.kind == "uncancelled").expect("main never cancels");
    let code: leash_report::replay_code::ReplayCode = f.replay.parse().expect("a printed trace parses");
    assert!(code.path.is_empty(), "main exits before any step that waits");
    let out = leash_report::replay("start.leash", src, &program, &code).expect("replays");
    assert_eq!(out.findings, vec!["uncancelled main".to_string()]);
}
