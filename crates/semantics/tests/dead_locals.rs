//! Dead locals in the canonical form: two runs that differ only in a value no
//! task will read again reach one state, and a value still to be read keeps
//! them apart.

use leash_semantics::{apply, enabled, initial, Scenario, State};

/// The states after each branch of the `choose` that `main` starts with.
fn after_each_branch(src: &str) -> Vec<State> {
    let p = leash_ir::compile(src).expect("compiles");
    let s = initial(&p).expect("starts").state;
    let ts = enabled(&p, &s, Scenario::Completion);
    assert_eq!(ts.len(), 2, "the two branches of the choose");
    ts.iter().map(|t| apply(&p, &s, t, Scenario::Completion).expect("no panic").state).collect()
}

const MODEL: &str = "task main() {
    let ch = chan(1)
    let v = 0
    choose {
        v = 1
    } or {
        v = 2
    }
    send ch, 0
    recv ch
    READ
}
";

#[test]
fn runs_that_differ_only_in_a_dead_local_merge() {
    let states = after_each_branch(&MODEL.replace("READ", ""));
    assert_eq!(states[0], states[1], "`v` is never read again");
}

#[test]
fn runs_that_differ_in_a_local_read_later_stay_apart() {
    let states = after_each_branch(&MODEL.replace("READ", "assert v > 0"));
    assert_ne!(states[0], states[1], "`v` is read by the assert");
}
