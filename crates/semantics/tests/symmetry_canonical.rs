//! Symmetry reduction picks one representative per state: a state and the
//! same state with its interchangeable tasks in another order reduce alike, so
//! a search with the reduction never stores more states than one without.

use leash_ir::Program;
use leash_semantics::{
    apply, enabled, initial, reduce_successor, reduce_symmetry, rename, settled_print, Object, Renaming,
    Scenario, State, Value,
};
use std::collections::{HashSet, VecDeque};

/// The `sub` tasks are sorted while the tasks that made their contexts live
/// (`w0` and `w1` are alone of their function). Once `w0` exits, the context
/// of its `sub` is reached from that `sub` alone and the order of the `sub`s
/// can no longer be read off their content. Leaving them in the order given
/// kept the order of the earlier sort, which the search without the reduction
/// never makes: 278 states with the reduction, 270 without.
const CONTEXT_LEFT_BEHIND: &str = "task sub(c) {
    yield
    cancel(c)
}
task main() {
    let ctx = signal()
    spawn w0(ctx)
    spawn w1(ctx)
}
task w0(ctx) {
    let own = with_cancel(ctx)
    spawn sub(own)
}
task w1(ctx) {
    let own = with_cancel(ctx)
    spawn sub(own)
    let own = with_cancel(ctx)
    spawn sub(own)
    yield
}
";

/// Two `mid`s alike in everything but the `leaf` one of them still owns:
/// their order must not be left to the order given either.
const OWNED_BY_ONE_OF_TWO: &str = "task leaf() {
    yield
    yield
}
task mid(ch) {
    spawn leaf()
    recv ch
}
task main() {
    let ch = chan(0)
    spawn mid(ch)
    spawn mid(ch)
    spawn leaf()
    send ch, 1
    send ch, 2
}
";

/// Four `w`s in a ring of channels only they hold, once `main` has exited:
/// nothing in their content or in what they name tells them apart, only the
/// shape of the ring (the orders of the ring are tried). Left in the order
/// given, 88 states with the reduction, 56 without.
const RING: &str = "task w(a, b) {
    send b, 1
    recv a
}
task main() {
    let c1 = chan(1)
    let c2 = chan(1)
    let c3 = chan(1)
    let c4 = chan(1)
    spawn w(c1, c2)
    spawn w(c2, c3)
    spawn w(c3, c4)
    spawn w(c4, c1)
}
";

/// Three `w`s, one on a channel of its own and two in a ring: colour
/// refinement cannot tell the first from the others (each sends on one
/// channel it shares with one task and receives on one), yet no reordering
/// maps it onto them. Singling out whichever comes first would give two
/// representatives; the orders are tried.
const SELF_LOOP_AND_PAIR: &str = "task w(a, b) {
    send b, 1
    recv a
}
task main() {
    let c1 = chan(1)
    let c2 = chan(1)
    let c3 = chan(1)
    spawn w(c1, c1)
    spawn w(c2, c3)
    spawn w(c3, c2)
}
";

/// Four `mid`s owning two `leaf`s each, each leaf on a context of its own
/// (the state space without the reduction is too big to walk here). Once the
/// leaves are spawned, the mids are alike, and so are the first leaves of
/// each and the second ones: 4! x 4! x 4! orders, too many to try, so one
/// task of a run is singled out and the colours refined again until every
/// task has its own. Left in the order given, they kept several
/// representatives.
const TWO_LEVELS: &str = "task leaf(c) {
    recv c.done
}
task mid(c) {
    for i in 0..2 {
        let own = with_cancel(c)
        defer cancel(own)
        spawn leaf(own)
    }
}
task main() {
    let ctx = signal()
    for i in 0..4 {
        spawn mid(ctx)
    }
}
";

/// The states reached from the initial one, breadth-first; each state reduced
/// by symmetry first when `symmetric`.
fn reachable(p: &Program, scenario: Scenario, symmetric: bool) -> HashSet<State> {
    let reduce = |mut s: State| {
        if symmetric {
            reduce_symmetry(p, &mut s);
        }
        s
    };
    let first = reduce(initial(p).expect("starts").state);
    let mut seen = HashSet::from([first.clone()]);
    let mut queue = VecDeque::from([first]);
    while let Some(s) = queue.pop_front() {
        for t in enabled(p, &s, scenario) {
            let Ok(next) = apply(p, &s, &t, scenario) else { continue };
            let next = reduce(next.state);
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
        assert!(seen.len() < 100_000, "a small model stays small");
    }
    seen
}

/// The heap indices an object refers to.
fn refs(o: &Object) -> Vec<u16> {
    let of = |v: &Value| match *v {
        Value::Obj(x) | Value::Ref(x) | Value::Done(x) => Some(x),
        _ => None,
    };
    match o {
        Object::Cell { value, .. } => of(value).into_iter().collect(),
        Object::Array(xs) | Object::Chan { buf: xs, .. } => xs.iter().filter_map(of).collect(),
        Object::Cond { mutex } => vec![*mutex],
        Object::Group { ctx, .. } => vec![*ctx],
        Object::Ctx { parent, .. } => parent.iter().copied().collect(),
        _ => Vec::new(),
    }
}

/// `s` with the task in slot `old` moved to slot `new_of[old]` and its heap
/// numbered again in the order it is reached (as a canonical state is).
fn permuted(p: &Program, s: &State, new_of: &[u16]) -> State {
    let moved = rename(s, &Renaming { slots: new_of.to_vec(), heap: (0..s.heap.len() as u16).collect() });
    let mut order: Vec<u16> = (0..p.globals.len().min(moved.heap.len()) as u16).collect();
    for t in &moved.tasks {
        order.extend(t.group);
        for f in &t.frames {
            let deferred = f.defers.iter().flat_map(|d| d.args.iter().map(|(_, v)| v));
            for v in f.locals.iter().chain(&f.ret).chain(deferred) {
                if let Value::Obj(x) | Value::Ref(x) | Value::Done(x) = *v {
                    order.push(x);
                }
            }
        }
    }
    let mut heap = vec![u16::MAX; moved.heap.len()];
    let mut reached = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let x = order[i];
        if heap[x as usize] == u16::MAX {
            heap[x as usize] = reached.len() as u16;
            reached.push(x);
            order.extend(refs(&moved.heap[x as usize]));
        }
        i += 1;
    }
    assert_eq!(reached.len(), s.heap.len(), "a canonical heap holds only reachable objects");
    rename(&moved, &Renaming { slots: (0..s.tasks.len() as u16).collect(), heap })
}

/// Every order of the tasks of each function, as `new_of` maps (at most 720).
fn orders(s: &State) -> Vec<Vec<u16>> {
    let mut out = vec![(0..s.tasks.len() as u16).collect::<Vec<u16>>()];
    let mut funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
    funcs.sort_unstable();
    funcs.dedup();
    for f in funcs {
        let slots: Vec<u16> = (0..s.tasks.len() as u16).filter(|&x| s.tasks[x as usize].func == f).collect();
        let mut next = Vec::new();
        for base in &out {
            let mut perm = slots.clone();
            loop {
                let mut m = base.clone();
                for (&old, &new) in slots.iter().zip(&perm) {
                    m[old as usize] = new;
                }
                next.push(m);
                // The next permutation in lexicographic order, if any.
                let Some(i) = perm.windows(2).rposition(|w| w[0] < w[1]) else { break };
                let j = perm.iter().rposition(|&x| x > perm[i]).expect("a larger slot");
                perm.swap(i, j);
                perm[i + 1..].reverse();
            }
        }
        out = next;
        assert!(out.len() <= 720, "few enough orders to try them all");
    }
    out
}

fn reduced(p: &Program, s: &State) -> State {
    let mut r = s.clone();
    if let Some(renaming) = reduce_symmetry(p, &mut r) {
        assert_eq!(rename(s, &renaming), r, "the renaming returned is the one applied");
    }
    r
}

/// Every state reached (by the search with the reduction when `symmetric`),
/// and each of the reorderings `reorders` gives of it, reduce to one state.
fn assert_reorders_reduce_alike(
    src: &str,
    symmetric: bool,
    reorders: &mut dyn FnMut(&State) -> Vec<Vec<u16>>,
) {
    let p = leash_ir::compile(src).expect("compiles");
    for scenario in Scenario::ALL {
        for s in reachable(&p, scenario, symmetric) {
            let representative = reduced(&p, &s);
            for new_of in reorders(&s) {
                let twin = permuted(&p, &s, &new_of);
                assert_eq!(
                    reduced(&p, &twin),
                    representative,
                    "[{}] the tasks of\n{s:?}\nreordered by {new_of:?} reduce to another state",
                    scenario.name()
                );
            }
        }
    }
}

/// Every reachable state and every reordering of its tasks reduce to one state.
fn assert_one_representative(src: &str) {
    assert_reorders_reduce_alike(src, false, &mut orders);
}

/// Every state the reduced search reaches, with its tasks of each function
/// shuffled `tries` times (a fixed seed), reduces to one state.
fn assert_one_representative_of_shuffles(src: &str, tries: usize) {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |below: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % below
    };
    let mut shuffles = |s: &State| {
        let mut funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
        funcs.sort_unstable();
        funcs.dedup();
        (0..tries)
            .map(|_| {
                let mut new_of: Vec<u16> = (0..s.tasks.len() as u16).collect();
                for &f in &funcs {
                    let slots: Vec<u16> =
                        (0..s.tasks.len() as u16).filter(|&x| s.tasks[x as usize].func == f).collect();
                    for (i, &slot) in slots.iter().enumerate().rev() {
                        new_of.swap(slot as usize, slots[next(i + 1)] as usize);
                    }
                }
                new_of
            })
            .collect()
    };
    assert_reorders_reduce_alike(src, true, &mut shuffles);
}

/// Counts the states with and without the reduction.
fn assert_no_more_states(src: &str) {
    let p = leash_ir::compile(src).expect("compiles");
    for scenario in Scenario::ALL {
        let (with, without) = (reachable(&p, scenario, true).len(), reachable(&p, scenario, false).len());
        assert!(with <= without, "[{}] {with} states with symmetry, {without} without", scenario.name());
    }
}

#[test]
fn a_context_left_behind_keeps_one_representative() {
    assert_no_more_states(CONTEXT_LEFT_BEHIND);
    assert_one_representative(CONTEXT_LEFT_BEHIND);
    let p = leash_ir::compile(CONTEXT_LEFT_BEHIND).expect("compiles");
    let (with, without) =
        (reachable(&p, Scenario::Cancel, true).len(), reachable(&p, Scenario::Cancel, false).len());
    assert!(with < without, "the reduction still reduces: {with} states with it, {without} without");
}

#[test]
fn tasks_alike_but_for_what_they_own_keep_one_representative() {
    assert_no_more_states(OWNED_BY_ONE_OF_TWO);
    assert_one_representative(OWNED_BY_ONE_OF_TWO);
}

#[test]
fn tasks_told_apart_only_by_the_shape_of_what_they_share_keep_one_representative() {
    assert_no_more_states(RING);
    assert_one_representative(RING);
    let pairs = RING.replace("w(c2, c3)", "w(c2, c1)").replace("w(c4, c1)", "w(c4, c3)");
    assert_no_more_states(&pairs);
    assert_one_representative(&pairs);
}

#[test]
fn tasks_colour_refinement_cannot_tell_apart_keep_one_representative() {
    assert_no_more_states(SELF_LOOP_AND_PAIR);
    assert_one_representative(SELF_LOOP_AND_PAIR);
}

#[test]
fn a_tree_with_too_many_orders_to_try_keeps_one_representative() {
    assert_one_representative_of_shuffles(TWO_LEVELS, 8);
}

/// A successor that `reduce_successor` leaves alone because its shape print
/// is its parent's is one the full pass leaves alone too, and is settled by
/// shape itself (so a search may skip its own `settled_print`): in every state
/// reachable under symmetry, of a tree of tasks whose handles change as it
/// runs (children spawned, joined and exited, contexts made and cancelled),
/// of the ring and of tasks owned by one of two.
#[test]
fn a_successor_skipped_by_its_shape_print_is_in_order() {
    let models = [TWO_LEVELS, OWNED_BY_ONE_OF_TWO, CONTEXT_LEFT_BEHIND, SELF_LOOP_AND_PAIR, SHAPES_CHANGE];
    let (mut skipped, mut settled) = (0, 0);
    for src in models {
        let p = leash_ir::compile(src).expect("compiles");
        for scenario in [Scenario::Completion, Scenario::Cancel] {
            for s in reachable(&p, scenario, true) {
                let print = settled_print(&p, &s);
                for t in enabled(&p, &s, scenario) {
                    let Ok(next) = apply(&p, &s, &t, scenario) else { continue };
                    let (mut quick, mut full) = (next.state.clone(), next.state);
                    let reduction = reduce_successor(&p, &mut quick, print.as_ref());
                    if reduction.settled {
                        settled += 1;
                        assert!(
                            settled_print(&p, &quick).is_some(),
                            "{src}\na successor said settled is not"
                        );
                    }
                    if reduction.settled && print.is_some() && reduction.renaming.is_none() {
                        skipped += 1;
                        assert!(
                            reduce_symmetry(&p, &mut full).is_none(),
                            "{src}\nskipped a successor out of order"
                        );
                    }
                }
            }
        }
    }
    assert!(skipped > 100, "the shape print skips successors ({skipped})");
    assert!(settled > skipped, "reordered successors are found settled too ({settled}, {skipped})");
}

/// Two levels of alike tasks whose handles change: each `mid` spawns a
/// `leaf` with a context of its own, joins it, makes another and cancels it.
const SHAPES_CHANGE: &str = "task leaf(c) {
    select {
        recv c.done => {}
        after => {}
    }
}
task mid(ctx) {
    let own = with_cancel(ctx)
    let l = spawn leaf(own)
    cancel(own)
    join l
    let again = with_cancel(ctx)
    spawn leaf(again)
    cancel(again)
}
task main() {
    let ctx = signal()
    let a = spawn mid(ctx)
    let b = spawn mid(ctx)
    join a
    join b
}
";
