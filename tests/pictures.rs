//! Pictures: DOT snapshots of the design graph, a counterexample and a
//! timeline; and every DOT the corpus produces is accepted by Graphviz `dot`
//! (required in CI, where `.ci/run` installs Graphviz and sets LEASH_REQUIRE_DOT).

mod common;
use common::corpus;

use leash::CheckOptions;
use leash_report::replay_code::ReplayCode;
use std::path::Path;
use std::process::{Command, Stdio};

fn model(path: &str) -> (String, leash_ir::Program) {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("model");
    let program = leash::compile(path, &source).expect("compiles");
    (source, program)
}

/// Every picture of a model: its design graph, then per finding the marked graph and the timeline.
fn pictures(path: &str) -> Vec<(String, String)> {
    let (source, program) = model(path);
    let mut out = vec![("design".to_string(), leash_render::design_dot(&program, &source, path))];
    let report = leash::check_source(path, &source, &CheckOptions::default()).expect("compiles");
    for f in &report.findings {
        let code: ReplayCode = f.replay.parse().expect("parses");
        let title = format!("{} {}", f.kind, f.tasks.join(", "));
        let c = leash_render::Counterexample {
            program: &program,
            source: &source,
            scenario: code.scenario,
            path: &code.path,
            title: &title,
        };
        out.push((format!("{} graph", f.kind), leash_render::counterexample_dot(&c).expect("replays")));
        let t = leash_render::timeline_dot(&program, &source, code.scenario, &code.path, &code.cycle, &title)
            .expect("replays");
        out.push((format!("{} timeline", f.kind), t));
    }
    out
}

fn first(path: &str, which: &str) -> String {
    pictures(path).into_iter().find(|(w, _)| w == which).map(|(_, d)| d).expect("picture exists")
}

#[test]
fn design_of_the_errgroup_pool() {
    insta::assert_snapshot!(first("models/seeds/worker_pool_errgroup.leash", "design"));
}

#[test]
fn design_of_a_struct_that_owns_its_goroutine() {
    // The Worker struct is a folder with an edge to each object its fields hold.
    insta::assert_snapshot!(first("models/seeds/owning_struct.leash", "design"));
}

#[test]
fn design_of_a_struct_that_keeps_its_tasks_handle() {
    // A field holding the handle of the task it started: "owns (runner)".
    insta::assert_snapshot!(first("models/examples/server_keeps_its_runner.leash", "design"));
}

#[test]
fn leak_graph_marks_the_stuck_task_and_its_channel() {
    let dot = first("models/seeds/timeout_unbuffered.leash", "leak graph");
    assert!(dot.contains("compute#1: blocked [chan send]") || dot.contains("blocked [chan send]"), "{dot}");
    insta::assert_snapshot!(dot);
}

#[test]
fn deadlock_graph_of_the_rwr_bug() {
    insta::assert_snapshot!(first("models/examples/rwr_deadlock.leash", "deadlock graph"));
}

#[test]
fn timeline_of_a_no_exit() {
    insta::assert_snapshot!(first("models/seeds/select_default_spin.leash", "no-exit timeline"));
}

#[test]
fn timeline_of_a_cancelled_pool_matches_sends_and_closes() {
    let dot = first("models/examples/leader_remakes_channel.leash", "leak timeline");
    insta::assert_snapshot!(dot);
}

#[test]
fn pictures_are_byte_identical_across_runs() {
    for path in ["models/seeds/worker_pool_errgroup.leash", "models/examples/leader_remakes_channel.leash"] {
        assert_eq!(pictures(path), pictures(path), "{path}");
    }
}

#[test]
fn graphviz_accepts_every_picture_of_the_corpus() {
    if Command::new("dot").arg("-V").stderr(Stdio::null()).status().is_err() {
        assert!(
            std::env::var_os("LEASH_REQUIRE_DOT").is_none(),
            "Graphviz `dot` is required here but not installed"
        );
        eprintln!("skipped: Graphviz `dot` is not installed");
        return;
    }
    let mut checked = 0;
    for path in corpus() {
        for (which, dot) in pictures(&path) {
            let mut child = Command::new("dot")
                .arg("-Tsvg")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("dot runs");
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(dot.as_bytes()).expect("write");
            let out = child.wait_with_output().expect("dot finishes");
            assert!(out.status.success(), "{path} {which}: {}\n{dot}", String::from_utf8_lossy(&out.stderr));
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} pictures checked");
}

#[test]
fn the_timeline_of_a_deadlock_says_deadlocked_not_leaks() {
    let dot = first("models/examples/rwr_deadlock.leash", "deadlock timeline");
    assert!(dot.contains("deadlocked here: "), "{dot}");
    assert!(!dot.contains("leaks here"), "{dot}");
    let leak = first("models/seeds/timeout_unbuffered.leash", "leak timeline");
    assert!(leak.contains("leaks here: chan send"), "{leak}");
}
