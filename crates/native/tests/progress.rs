//! Progress reports: when they come (phase starts, then paced by the caller's
//! clock or by states) and what they say.

use leash_native::{explore_with, Control, Options, Phase, Progress, Reporter};
use leash_semantics::Scenario;
use std::cell::{Cell, RefCell};
use std::time::Duration;

const POOL: &str = include_str!("../../../models/perf/pool_4_8_2.leash");

/// The reports of exploring the pool's cancel scenario, with a clock that
/// advances `tick` per reading.
fn reports(tick: Duration) -> (Vec<Progress>, leash_native::Exploration) {
    let p = leash_ir::compile(POOL).expect("compiles");
    let now = Cell::new(Duration::ZERO);
    let elapsed = || {
        now.set(now.get() + tick);
        now.get()
    };
    let seen = RefCell::new(Vec::new());
    let report = |p: &Progress| seen.borrow_mut().push(*p);
    let control = Control {
        progress: Some(Reporter { elapsed: &elapsed, report: &report }),
        ..Control::new(&|| false)
    };
    let e = explore_with(&p, Scenario::Cancel, &Options::default(), &control);
    (seen.into_inner(), e)
}

#[test]
fn without_time_passing_only_phase_starts_are_reported() {
    let (seen, e) = reports(Duration::ZERO);
    let phases: Vec<(Phase, usize)> = seen.iter().map(|p| (p.phase, p.states)).collect();
    // The search over persistent sets settles the pool: it prunes some
    // states from the first, and its graph has no fair cycle.
    assert_eq!(phases, [(Phase::Search, 1), (Phase::FairCycles, e.stats.states)]);
    let last = seen[1];
    assert_eq!((last.transitions, last.depth, last.frontier), (e.stats.transitions, e.stats.max_depth, 0));
}

#[test]
fn reports_are_paced_by_the_callers_clock() {
    let (seen, e) = reports(Duration::from_millis(10));
    let search: Vec<&Progress> = seen.iter().filter(|p| p.phase == Phase::Search).collect();
    assert!(search.len() > 2, "{} reports", search.len());
    for w in search.windows(2) {
        assert!(w[1].elapsed - w[0].elapsed >= Duration::from_millis(100), "{:?}", (w[0], w[1]));
        assert!(
            w[1].states >= w[0].states && w[1].transitions >= w[0].transitions && w[1].depth >= w[0].depth
        );
        assert!(w[1].frontier <= w[1].states && w[1].store_bytes > 0);
    }
    assert!(search.iter().all(|p| p.states <= e.stats.states));
}
