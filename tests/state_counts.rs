//! Pinned state and transition counts of a few corpus models, per scenario. A
//! change in exploration (semantics, canonicalisation, reductions) shows here
//! first; update the numbers only with a reason in the commit message. The
//! counts are those of the default search: dead locals reset, symmetry and
//! partial-order reduction on.

use leash::CheckOptions;
use std::path::Path;

fn counts(path: &str) -> Vec<(String, usize, usize)> {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("model");
    let report = leash::check_source(path, &source, &CheckOptions::default()).expect("compiles");
    report.scenarios.iter().map(|s| (s.scenario.clone(), s.stats.states, s.stats.transitions)).collect()
}

fn pinned(path: &str, expected: [(usize, usize); 3]) {
    let got = counts(path);
    let want: Vec<(String, usize, usize)> = ["completion", "error", "cancel"]
        .iter()
        .zip(expected)
        .map(|(s, (n, t))| (s.to_string(), n, t))
        .collect();
    assert_eq!(got, want, "{path}: (scenario, states, transitions)");
}

#[test]
fn timeout_unbuffered() {
    pinned("models/seeds/timeout_unbuffered.leash", [(6, 6), (6, 8), (6, 6)]);
}

#[test]
fn heartbeat() {
    pinned("models/seeds/heartbeat.leash", [(19, 30), (19, 31), (20, 33)]);
}

#[test]
fn worker_pool_errgroup() {
    pinned("models/seeds/worker_pool_errgroup.leash", [(45, 88), (78, 176), (154, 421)]);
}

#[test]
fn rwr_deadlock() {
    pinned("models/examples/rwr_deadlock.leash", [(22, 25), (22, 25), (22, 25)]);
}

#[test]
fn errgroup_limit() {
    pinned("models/seeds/errgroup_limit.leash", [(10, 13), (16, 28), (26, 43)]);
}

#[test]
fn pool_2_4_1() {
    pinned("models/perf/pool_2_4_1.leash", [(28, 46), (28, 46), (117, 314)]);
}

#[test]
fn pipeline_3() {
    pinned("models/perf/pipeline_3.leash", [(93, 147), (93, 147), (784, 1993)]);
}
