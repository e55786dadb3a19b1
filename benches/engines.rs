//! The loom engine on the worker pool with one worker
//! (`models/perf/pool_2_4_1.leash` with `W = 1`): one job and a buffer of
//! one, and two jobs, the size of the hand-written loom test in
//! ../shared/anchors/loom-pool that docs/engines.md compares with. Before
//! measuring, it prints each run's executions (and how many of them ended
//! as redundant).

use criterion::{criterion_group, criterion_main, Criterion};
use leash::Scenario;

/// The pool with one worker, `jobs` jobs and a buffer of one.
fn pool(jobs: u32) -> leash_ir::Program {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/perf/pool_2_4_1.leash");
    let source = std::fs::read_to_string(path).expect("perf model");
    let source =
        source.replace("const W = 2", "const W = 1").replace("const J = 4", &format!("const J = {jobs}"));
    leash::compile("pool", &source).expect("compiles")
}

fn loom(c: &mut Criterion) {
    let mut group = c.benchmark_group("loom");
    group.sample_size(10);
    let runs = [(1, Scenario::Cancel), (2, Scenario::Completion), (2, Scenario::Cancel)];
    for (jobs, scenario) in runs {
        let program = pool(jobs);
        let options = leash_loom::Options::default();
        let run = || leash_loom::explore(&program, scenario, &options).expect("loom models the pool");
        let probe = run();
        assert!(probe.incomplete.is_none(), "loom finishes the pool 1,{jobs},1");
        let id = format!("pool_1_{jobs}_1_{}", scenario.name());
        let c = &probe.collected;
        println!("{id}: {} executions, {} of them redundant", c.executions, c.redundant);
        group.bench_function(id, |b| b.iter(run));
    }
    group.finish();
}

criterion_group!(benches, loom);
criterion_main!(benches);
