//! The Go a model becomes: snapshots of the skeleton of a few corpus models,
//! determinism, structured control flow (no `goto`) for the whole corpus and
//! the construct models of tests/constructs, and the models Go cannot
//! express. tests/conformance.rs (in the root package) builds and runs it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn emit(name: &str, source: &str) -> String {
    let program = leash_ir::compile(source).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    leash_golang::emit(&program, source, name).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// The design part of a corpus model's program, without the harness.
fn skeleton(path: &str) -> String {
    let source = std::fs::read_to_string(root().join("models").join(path)).expect("a corpus model");
    let go = emit(path, &source);
    let end = go.find("// ------").expect("the harness divider");
    go[..end].to_string()
}

#[test]
fn timeout_unbuffered() {
    insta::assert_snapshot!(skeleton("seeds/timeout_unbuffered.leash"));
}

#[test]
fn heartbeat() {
    insta::assert_snapshot!(skeleton("seeds/heartbeat.leash"));
}

#[test]
fn worker_pool_errgroup() {
    insta::assert_snapshot!(skeleton("seeds/worker_pool_errgroup.leash"));
}

/// Every model of the corpus and of tests/constructs, with its text.
fn models() -> Vec<(String, String)> {
    let mut dirs: Vec<PathBuf> = ["seeds", "examples", "gobench", "semantics", "perf"]
        .iter()
        .map(|d| root().join("models").join(d))
        .collect();
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/constructs"));
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("an entry").path()).collect();
        paths.sort();
        for p in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "leash")) {
            out.push((p.display().to_string(), std::fs::read_to_string(&p).expect("a model")));
        }
    }
    assert!(out.len() > 50, "the corpus is missing");
    out
}

#[test]
fn every_model_emits_the_same_text_twice_with_structured_control_flow() {
    for (name, source) in models() {
        let first = emit(&name, &source);
        assert_eq!(first, emit(&name, &source), "{name}: not deterministic");
        assert!(!first.contains("\tgoto "), "{name}: a goto in\n{first}");
        assert!(first.contains("func task_main(self *Task) error {"), "{name}");
    }
}

#[test]
fn the_construct_models_keep_their_loops_and_ranges() {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/constructs/loops_and_names.leash"),
    )
    .expect("a construct model");
    let go = emit("loops_and_names.leash", &source);
    // A range takes its channel once, before the first round, as Go's
    // `range` does (the model's loop does too: its body may assign another
    // channel to the name).
    for line in [
        "\ttmp1 = jobs\n\tfor j = range tmp1 {",
        "\ttmp7 = jobs\n\tfor range tmp7 {",
        "\tfor i = 0; i < 4; i++ {",
        "\tfor range_ < 3 && !stop_now {",
        "\tvar range_ int",
        "\t\t\tbreak loop",
    ] {
        assert!(go.contains(line), "no `{line}` in\n{go}");
    }
}

fn refused(source: &str) -> &'static str {
    let program = leash_ir::compile(source).expect("a valid model");
    leash_golang::emit(&program, source, "m.leash").expect_err("not expressible in Go")[0].code
}

#[test]
fn a_send_on_a_done_channel_and_a_channel_of_itself_are_refused() {
    assert_eq!(
        refused("task main() {\n    let ctx = background()\n    let d = ctx.done\n    close(d)\n}\n"),
        "E0300"
    );
    assert_eq!(refused("task main() {\n    let ch = chan(1)\n    send ch, ch\n}\n"), "E0301");
}
