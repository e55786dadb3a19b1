//! Expanding states on several threads changes nothing: findings, paths,
//! statistics and bounds are the same as with one.

use leash_native::{explore_with, Bound, Control, Exploration, Options};
use leash_semantics::Scenario;

fn explore(source: &str, scenario: Scenario, options: &Options, workers: usize, por: bool) -> Exploration {
    let p = leash_ir::compile(source).expect("compiles");
    explore_with(&p, scenario, options, &Control { workers, por, ..Control::new(&|| false) })
}

fn same_with_threads(source: &str, scenario: Scenario, options: &Options) -> Exploration {
    let one = explore(source, scenario, options, 1, true);
    for (workers, por) in [(2, true), (3, true), (2, false)] {
        let base = if por { one.clone() } else { explore(source, scenario, options, 1, false) };
        let many = explore(source, scenario, options, workers, por);
        assert_eq!(many, base, "{workers} threads, partial-order reduction {por}");
    }
    one
}

#[test]
fn a_verified_pool_is_the_same_on_several_threads() {
    let e = same_with_threads(
        include_str!("../../../models/perf/pool_6_12_3.leash"),
        Scenario::Cancel,
        &Options::default(),
    );
    assert!(e.findings.is_empty() && e.incomplete.is_none() && e.stats.states > 1000, "{:?}", e.stats);
}

#[test]
fn findings_and_their_paths_are_the_same_on_several_threads() {
    let e = same_with_threads(
        include_str!("../../../models/perf/pool_leaky_4_8_2.leash"),
        Scenario::Cancel,
        &Options::default(),
    );
    assert!(!e.findings.is_empty());
}

#[test]
fn a_bound_cuts_at_the_same_state_on_several_threads() {
    let options = Options { max_states: 700, ..Options::default() };
    let e =
        same_with_threads(include_str!("../../../models/perf/pipeline_4.leash"), Scenario::Cancel, &options);
    assert_eq!(e.incomplete, Some(Bound::States(700)));
}
