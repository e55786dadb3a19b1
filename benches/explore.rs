//! Exploration speed on the families of docs/performance.md: each benchmark
//! checks one model in the cancel scenario (for the pool, the SPIN-equivalent
//! one) with the default reductions on one thread, and some also without
//! partial-order reduction, without any reduction (the raw rate), and on two
//! threads. Before measuring, it prints the state and transition counts and
//! the bytes the visited set held, so that states per second follow from
//! criterion's time.

use criterion::{criterion_group, criterion_main, Criterion};
use leash_native::{explore_with, Control};
use std::path::Path;

/// A way to run the search.
#[derive(Clone, Copy)]
struct Setup {
    name: &'static str,
    symmetry: bool,
    por: bool,
    workers: usize,
}

const DEFAULT: Setup = Setup { name: "", symmetry: true, por: true, workers: 1 };
const NO_POR: Setup = Setup { name: "_no_por", por: false, ..DEFAULT };
const RAW: Setup = Setup { name: "_raw", symmetry: false, por: false, workers: 1 };
const TWO_THREADS: Setup = Setup { name: "_2_threads", workers: 2, ..DEFAULT };

fn explore(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    let runs: [(&str, &[Setup]); 6] = [
        ("pool_2_4_1", &[DEFAULT, RAW]),
        ("pool_4_8_2", &[DEFAULT, RAW]),
        ("pool_6_12_3", &[DEFAULT, RAW, TWO_THREADS]),
        ("pool_8_16_4", &[DEFAULT, TWO_THREADS]),
        ("pipeline_4", &[DEFAULT, NO_POR, RAW, TWO_THREADS]),
        ("heartbeat_tree_2", &[DEFAULT, NO_POR, RAW]),
    ];
    for (model, setups) in runs {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/perf/{model}.leash"));
        let source = std::fs::read_to_string(&path).expect("perf model");
        let program = leash::compile(model, &source).expect("compiles");
        let options = leash::SearchOptions::default();
        for setup in setups {
            let control = Control {
                symmetry: setup.symmetry,
                por: setup.por,
                workers: setup.workers,
                ..Control::new(&|| false)
            };
            let run = || explore_with(&program, leash::Scenario::Cancel, &options, &control);
            let probe = run();
            let id = format!("{model}{}", setup.name);
            let s = probe.stats;
            println!(
                "{id}: {} states, {} transitions, {} bytes stored",
                s.states, s.transitions, s.store_bytes
            );
            group.bench_function(id, |b| b.iter(run));
        }
    }
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
