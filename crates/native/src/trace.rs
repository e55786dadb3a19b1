//! Replaying a counterexample on the reference semantics: from the initial
//! state, take the transition at each recorded index.

use leash_ir::Program;
use leash_semantics::{
    apply, initial, path_steps, reduce_successor, reduce_symmetry, rename, settled_print, Actor, Applied,
    Event, Renaming, Scenario, State, Transition,
};

/// One replayed step.
#[derive(Clone, Debug)]
pub struct ReplayedStep {
    /// The state before the step.
    pub before: State,
    /// The transition taken.
    pub transition: Transition,
    /// Functions of the tasks it spawned.
    pub spawned: Vec<u16>,
    /// Slots that exited (numbered before removal, counting spawned tasks).
    pub exited: Vec<u16>,
    /// How the step renumbered the heap (see `leash_semantics::Applied::heap_map`).
    pub heap_map: Vec<u16>,
    /// A panic the step ended in.
    pub panic: Option<Event>,
}

/// A replayed path.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The steps in order.
    pub steps: Vec<ReplayedStep>,
    /// The state at the end (before a final panicking step, if any).
    pub last: State,
    /// Functions of the tasks alive in the initial state.
    pub initial_funcs: Vec<u16>,
}

/// Why a path does not replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The initial state panicked.
    Initial,
    /// Step `at` names a transition that does not exist there.
    NoSuchTransition {
        /// The step number (0-based).
        at: usize,
    },
    /// A step panicked before the end of the path.
    PanicMidway {
        /// The step number (0-based).
        at: usize,
    },
}

/// Replays `path` then `cycle` (if any) in `scenario`.
pub fn replay(p: &Program, scenario: Scenario, path: &[u16]) -> Result<Replayed, ReplayError> {
    let init = initial(p).map_err(|_| ReplayError::Initial)?;
    let initial_funcs = init.state.tasks.iter().map(|t| t.func).collect();
    let mut s = init.state;
    let mut steps = Vec::new();
    for (at, &k) in path.iter().enumerate() {
        let ts = path_steps(p, &s, scenario);
        let t = *ts.get(k as usize).ok_or(ReplayError::NoSuchTransition { at })?;
        match apply(p, &s, &t, scenario) {
            Ok(a) => {
                steps.push(ReplayedStep {
                    before: s,
                    transition: t,
                    spawned: a.spawned,
                    exited: a.exited,
                    heap_map: a.heap_map,
                    panic: None,
                });
                s = a.state;
            }
            Err(e) => {
                if at + 1 != path.len() {
                    return Err(ReplayError::PanicMidway { at });
                }
                steps.push(ReplayedStep {
                    before: s.clone(),
                    transition: t,
                    spawned: Vec::new(),
                    exited: Vec::new(),
                    heap_map: Vec::new(),
                    panic: Some(e),
                });
            }
        }
    }
    Ok(Replayed { steps, last: s, initial_funcs })
}

/// Display names of the tasks, per step: `names[i]` lists the live tasks (by
/// slot) before step `i`, and the last entry those after the last step. The
/// root is `main`; other tasks are `name#n`, numbered per task in spawn order.
pub fn task_names(p: &Program, r: &Replayed) -> Vec<Vec<String>> {
    let mut counters = std::collections::BTreeMap::<u16, usize>::new();
    let mut fresh = |func: u16| {
        let name = p.func(func).name.clone();
        if func == p.main {
            return name;
        }
        let n = counters.entry(func).or_insert(0);
        *n += 1;
        format!("{name}#{n}")
    };
    let mut names: Vec<String> = r.initial_funcs.iter().map(|&f| fresh(f)).collect();
    let mut out = Vec::with_capacity(r.steps.len() + 1);
    for step in &r.steps {
        out.push(names.clone());
        names.extend(step.spawned.iter().map(|&f| fresh(f)));
        for &x in step.exited.iter().rev() {
            names.remove(x as usize);
        }
    }
    out.push(names);
    out
}

/// Turns a path of a search reduced by symmetry (transition indices in the
/// reduced states) into the same run without the reduction: indices into the
/// transitions of the plain states, whose tasks keep their slots.
///
/// Both runs are replayed side by side, with the renaming that maps the plain
/// state to the reduced one: each reduced step is renamed back to a plain
/// step, and the renaming is carried across the step (tasks spawned and
/// objects made are appended in the same order in both; exits and collection
/// are undone through the steps' own maps). Every renaming is checked.
pub(crate) fn unreduce(p: &Program, scenario: Scenario, path: &[u16]) -> Vec<u16> {
    let Ok(init) = initial(p) else { return path.to_vec() };
    let mut plain = init.state;
    let mut reduced = plain.clone();
    let mut to_reduced = reduce_symmetry(p, &mut reduced).unwrap_or_else(|| Renaming::identity(&plain));
    let mut out = Vec::with_capacity(path.len());
    for &k in path {
        let t = path_steps(p, &reduced, scenario)[k as usize];
        let t_plain = rename_transition(&t, &to_reduced.inverse());
        let index = path_steps(p, &plain, scenario)
            .iter()
            .position(|x| *x == t_plain)
            .expect("a reduced step renames to a plain step");
        out.push(index as u16);
        let (a, b) = match (apply(p, &reduced, &t, scenario), apply(p, &plain, &t_plain, scenario)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(_), Err(_)) => break,
            _ => panic!("a step panics in one run and not in its renaming"),
        };
        let mut next = a.state.clone();
        let print = settled_print(p, &reduced);
        let then = reduce_successor(p, &mut next, print.as_ref())
            .renaming
            .unwrap_or_else(|| Renaming::identity(&a.state));
        to_reduced = carry(&plain, &to_reduced, &b, &a, &then);
        if rename(&b.state, &to_reduced) != next {
            to_reduced = matched(p, &b.state, &next).expect("a reduced state is a renaming of the plain one");
        }
        assert_eq!(rename(&b.state, &to_reduced), next, "the renaming carried across a step must hold");
        plain = b.state;
        reduced = next;
    }
    out
}

/// A renaming from `plain` to `reduced`, two orders of one state, through
/// the order symmetry gives both; `None` if it gives them different ones.
/// For the steps `carry` cannot follow: one that lets several tasks make
/// objects or tasks (a deadline or a close waking them), which they make in
/// the order of their slots, different in the two runs.
fn matched(p: &Program, plain: &State, reduced: &State) -> Option<Renaming> {
    let (mut x, mut y) = (plain.clone(), reduced.clone());
    let to_x = reduce_symmetry(p, &mut x).unwrap_or_else(|| Renaming::identity(plain));
    let from_y = reduce_symmetry(p, &mut y).unwrap_or_else(|| Renaming::identity(reduced)).inverse();
    (x == y).then(|| Renaming {
        slots: to_x.slots.iter().map(|&s| from_y.slots[s as usize]).collect(),
        heap: to_x.heap.iter().map(|&o| from_y.heap[o as usize]).collect(),
    })
}

/// The transition of `s` that is `t` of the renamed state, by `back` (from
/// the renamed state to `s`).
fn rename_transition(t: &Transition, back: &Renaming) -> Transition {
    let slot = |x: u16| back.slots[x as usize];
    let actor = match t.actor {
        Actor::Task(x) => Actor::Task(slot(x)),
        Actor::Deadline(c) => Actor::Deadline(back.heap[c as usize]),
        Actor::Fire(o) => Actor::Fire(back.heap[o as usize]),
        Actor::Walk(c) => Actor::Walk(back.heap[c as usize]),
        Actor::Signal => Actor::Signal,
    };
    Transition { actor, partner: t.partner.map(|(x, case)| (slot(x), case)), ..*t }
}

/// The renaming from the plain state after a step (`b`, taken from `plain`) to
/// the reduced one (`a`, taken from the reduced state, then reduced by `then`),
/// given `before`, the renaming from `plain` to the reduced state.
fn carry(plain: &State, before: &Renaming, b: &Applied, a: &Applied, then: &Renaming) -> Renaming {
    // Slots during the step: the old ones, then the spawned ones in order.
    let during = plain.tasks.len() + b.spawned.len();
    let old = |x: usize, m: &[u16]| if x < m.len() { m[x] as usize } else { x };
    let survivors =
        |exited: &[u16]| -> Vec<usize> { (0..during).filter(|x| !exited.contains(&(*x as u16))).collect() };
    let (alive_b, alive_a) = (survivors(&b.exited), survivors(&a.exited));
    let slots = alive_b
        .iter()
        .map(|&x| {
            let y = old(x, &before.slots);
            let after = alive_a.iter().position(|&z| z == y).expect("the same tasks exit in both runs");
            then.slots[after]
        })
        .collect();
    // Objects during the step: the old ones, then those made, in order.
    let mut from_after = vec![0usize; b.state.heap.len()];
    for (x, &to) in b.heap_map.iter().enumerate() {
        if to != u16::MAX {
            from_after[to as usize] = x;
        }
    }
    let heap = from_after.iter().map(|&x| then.heap[a.heap_map[old(x, &before.heap)] as usize]).collect();
    Renaming { slots, heap }
}
