//! The model corpus is the backbone of the test suite: every `*.leash` under
//! `models/` must get exactly the verdicts its `// expect:` lines state.

use std::path::{Path, PathBuf};

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

/// Models marked `// leash: slow` take minutes: they run only in `slow_models_match_their_expectations`.
fn is_slow(source: &str) -> bool {
    source.lines().any(|l| l.trim() == "// leash: slow")
}

/// The seeds, the examples, the real bugs of models/gobench and the
/// semantics models (one per rule, with its Go figures), as a user's crate tests its models: one call. Every finding
/// of each must be the one its expect lines name.
#[test]
fn every_corpus_model_matches_its_expectations() -> Result<(), leash::TestFailure> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folders = [
        root.join("models/seeds"),
        root.join("models/examples"),
        root.join("models/gobench"),
        root.join("models/semantics"),
    ];
    let summary = leash::test_models_with(&folders, &leash::CheckOptions::default())?;
    assert!(summary.models.len() >= 130, "the corpus shrank to {} models", summary.models.len());
    Ok(())
}

/// The scaling models of docs/performance.md that take seconds.
#[test]
fn every_quick_perf_model_matches_its_expectations() {
    check_perf(false);
}

/// The slow models (large pools, deep trees): run with `cargo test --release -- --ignored`.
#[test]
#[ignore = "minutes in release mode: run with --release -- --ignored"]
fn slow_models_match_their_expectations() {
    check_perf(true);
}

/// The slow models also marked `// leash: big` (a real kernel of a million
/// states and more, a minute in release mode): left to .ci/slow, which runs
/// every ignored test, as .ci/run must stay within its time.
#[test]
#[ignore = "a minute and more in release mode: run with --release -- --ignored"]
fn big_models_match_their_expectations() {
    check_perf_marked(|source| is_slow(source) && is_big(source));
}

/// Models marked `// leash: big` are also slow, and left out of `slow_models_match_their_expectations`.
fn is_big(source: &str) -> bool {
    source.lines().any(|l| l.trim() == "// leash: big")
}

/// The models of `models/perf` marked slow (or not), but the big ones.
fn check_perf(slow: bool) {
    check_perf_marked(|source| is_slow(source) == slow && !is_big(source));
}

/// The models of `models/perf` whose source `pick` accepts.
fn check_perf_marked(pick: impl Fn(&str) -> bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    models(&root.join("models/perf"), &mut files);
    files.retain(|f| {
        let source = std::fs::read_to_string(f).expect("readable");
        pick(&source)
    });
    assert!(!files.is_empty(), "no models in models/perf");
    let options = leash::CheckOptions::default();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.strip_prefix(root).expect("under root").display().to_string();
        let source = std::fs::read_to_string(f).expect("readable");
        match leash::check_source(&name, &source, &options) {
            Ok(report) => {
                let outcome = leash::expect::compare(&source, &report);
                if !outcome.passed() {
                    failures.push(format!("{name}: {outcome}"));
                }
            }
            Err(bad) => failures.push(format!("{name} does not compile:\n{}", bad.render())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} models failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn seed_corpus_has_violations_and_fixes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/seeds");
    let mut files = Vec::new();
    models(&root, &mut files);
    let (mut verified, mut violated) = (0, 0);
    for f in &files {
        let source = std::fs::read_to_string(f).expect("readable");
        if source.contains("// expect: verified") {
            verified += 1;
        } else {
            violated += 1;
        }
    }
    assert!(
        files.len() >= 30 && verified >= 10 && violated >= 10,
        "{verified} verified, {violated} violated"
    );
}
