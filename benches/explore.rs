//! Exploration speed on the worker-pool family of docs/performance.md: each
//! benchmark checks one model in the cancel scenario (the SPIN-equivalent one).
//! Before measuring, it prints the state and transition counts, so that
//! states per second follow from criterion's time.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::Path;

fn pool(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool");
    group.sample_size(10);
    for name in ["pool_2_4_1", "pool_4_8_2"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/perf/{name}.leash"));
        let source = std::fs::read_to_string(&path).expect("perf model");
        let program = leash::compile(name, &source).expect("compiles");
        let options = leash::SearchOptions::default();
        let probe = leash_native::explore(&program, leash::Scenario::Cancel, &options, &|| false);
        println!("{name}: {} states, {} transitions", probe.stats.states, probe.stats.transitions);
        group.bench_function(name, |b| {
            b.iter(|| leash_native::explore(&program, leash::Scenario::Cancel, &options, &|| false))
        });
    }
    group.finish();
}

criterion_group!(benches, pool);
criterion_main!(benches);
