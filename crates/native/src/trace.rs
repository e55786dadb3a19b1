//! Replaying a counterexample on the reference semantics: from the initial
//! state, take the transition at each recorded index.

use leash_ir::Program;
use leash_semantics::{apply, enabled, initial, Event, Scenario, State, Transition};

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
        let ts = enabled(p, &s, scenario);
        let t = *ts.get(k as usize).ok_or(ReplayError::NoSuchTransition { at })?;
        match apply(p, &s, &t) {
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
