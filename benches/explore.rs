//! Exploration speed on the worker-pool family of docs/performance.md: each
//! benchmark checks one model in the cancel scenario (the SPIN-equivalent one),
//! with symmetry reduction (the default) and, for the smaller sizes, without.
//! Before measuring, it prints the state and transition counts, so that
//! states per second follow from criterion's time.

use criterion::{criterion_group, criterion_main, Criterion};
use leash_native::{explore_with, Control};
use std::path::Path;

fn pool(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool");
    group.sample_size(10);
    let runs = [
        ("pool_2_4_1", true),
        ("pool_4_8_2", true),
        ("pool_8_16_4", true),
        ("pool_2_4_1", false),
        ("pool_4_8_2", false),
    ];
    for (name, symmetry) in runs {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/perf/{name}.leash"));
        let source = std::fs::read_to_string(&path).expect("perf model");
        let program = leash::compile(name, &source).expect("compiles");
        let options = leash::SearchOptions::default();
        let control = Control { symmetry, ..Control::new(&|| false) };
        let run = || explore_with(&program, leash::Scenario::Cancel, &options, &control);
        let probe = run();
        let id = if symmetry { name.to_string() } else { format!("{name}_no_symmetry") };
        println!("{id}: {} states, {} transitions", probe.stats.states, probe.stats.transitions);
        group.bench_function(id, |b| b.iter(run));
    }
    group.finish();
}

criterion_group!(benches, pool);
criterion_main!(benches);
