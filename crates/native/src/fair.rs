//! Fair cycles: a reachable strongly connected set of states that a fair run
//! can stay in forever. Fairness is strong, per key: a task step or select case
//! (or environment event) that is enabled infinitely often is taken infinitely
//! often. An SCC is fair if every key enabled in it is taken inside it; if not,
//! the states enabling an untaken key cannot recur, so they are removed and the
//! rest is searched again (the classic Streett-automaton emptiness check).

use crate::graph::{Cursor, Edge, Edges, Label, Timing};
use crate::store::Store;
use crate::Finding;
use leash_semantics::{Applied, FindingKind};
use std::collections::{BTreeSet, VecDeque};

/// A fairness key: which task step (slot, function, pc, select case) or which
/// environment event a transition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key(u64);

impl Key {
    pub const NONE: Key = Key(u64::MAX);

    pub fn task(slot: u16, func: u16, pc: u16, case: u16) -> Key {
        Key((slot as u64) << 48 | (func as u64) << 32 | (pc as u64) << 16 | case as u64)
    }

    pub fn env(id: u32) -> Key {
        Key(0xFFFF << 48 | id as u64)
    }

    /// The key without its select case: the task and its instruction.
    fn site(self) -> u64 {
        self.0 >> 16
    }

    /// The heap index of the timer, ticker or deadline's context whose step
    /// this is (see `keys` in search.rs: a deadline's is 1 plus its
    /// context, a timer's or ticker's 0x1_0000 plus its object).
    pub(crate) fn timed_object(self) -> Option<u16> {
        let id = (self.0 & 0xFFFF_FFFF) as u32;
        match id {
            _ if self.slot().is_some() || self == Key::NONE => None,
            1..=0xFFFF => Some((id - 1) as u16),
            0x1_0000..=0x1_FFFF => Some((id - 0x1_0000) as u16),
            _ => None,
        }
    }

    fn slot(self) -> Option<u16> {
        let s = (self.0 >> 48) as u16;
        (self != Key::NONE && s != 0xFFFF).then_some(s)
    }
}

/// The states among the first `n` that lie on a cycle of instant steps (a
/// step from a state to itself included), in increasing order: the states
/// where time passes all the same (see [`Timing::Held`]).
pub(crate) fn on_instant_cycles(edges: &Edges, n: usize) -> Vec<u32> {
    let nodes: Vec<u32> = (0..n as u32).collect();
    on_cycles(edges, &nodes, |w| (w as usize) < n, |e| edges.label(e).timing == Timing::Instant)
}

/// Those of the `nodes` (in increasing order), the states in which `key`'s
/// timed step is held back, that lie on a cycle of instant steps among them
/// that leave a timer's, ticker's or deadline's key naming one object all
/// along (see [`renames`]): only there has the time passed that the step
/// needs. Other timed objects made or reset on the cycle do not hold it
/// back: in Go each timer runs on its own, and so do the signal and a
/// cancellation's walk. A task's own step stays pending
/// along such a cycle: a task with a timed step waits, and a step that
/// moves it leaves it able to move (a select's task woken at its next
/// instruction), so out of `nodes`; an `after` made anew on every round of
/// a loop never fires.
pub(crate) fn held_along_cycles(edges: &Edges, nodes: &[u32], key: Key) -> Vec<u32> {
    let keeps = |e: Edge| {
        let label = edges.label(e);
        label.timing == Timing::Instant && !renames(label, key)
    };
    on_cycles(edges, nodes, |w| nodes.binary_search(&w).is_ok(), keeps)
}

/// Whether a step may leave `key`, a timer's, ticker's or deadline's key,
/// naming another object than before it: one it makes or resets, or another
/// that took its heap index. A task's key, the signal's and a walk's name
/// no heap index.
fn renames(label: &Label, key: Key) -> bool {
    key.timed_object().is_some_and(|o| Applied::names_anew(label.renamed, o))
}

/// Those of the `nodes` (in increasing order; `member` tells them) on a
/// cycle among them of the edges `follow` accepts.
fn on_cycles(
    edges: &Edges,
    nodes: &[u32],
    member: impl Fn(u32) -> bool,
    follow: impl Fn(Edge) -> bool,
) -> Vec<u32> {
    let n = nodes.last().map_or(0, |&v| v as usize + 1);
    let mut out: Vec<u32> = Tarjan::new(n).run(nodes, edges, member, follow).into_iter().flatten().collect();
    out.sort_unstable();
    out
}

/// Finds the fair cycles of the explored graph and names the tasks in them:
/// those that move are `no-exit`, those that never move are `leak`. `None`
/// when `stop` ends the search first.
///
/// Edges that are fair only weakly (see `weak`: steps of time held back on
/// a cycle of instant steps, an `after` made anew on every round, a timer
/// reset on the cycle) keep a
/// set of states from holding a fair cycle only when one of their keys is
/// enabled everywhere in it, yet never taken inside (time passes on a cycle
/// of instant steps; the deadline it waits for comes).
pub(crate) fn fair_cycles(store: &Store, edges: &Edges, stop: &dyn Fn() -> bool) -> Option<Vec<Finding>> {
    let n = store.len();
    let mut out = Vec::new();
    let mut member = vec![0u32; n];
    let mut generation = 0u32;
    let mut work: Vec<Vec<u32>> = vec![(0..n as u32).collect()];
    let mut tarjan = Tarjan::new(n);
    while let Some(nodes) = work.pop() {
        if stop() {
            return None;
        }
        generation += 1;
        for &v in &nodes {
            member[v as usize] = generation;
        }
        let sccs = tarjan.run(&nodes, edges, |v| member[v as usize] == generation, |_| true);
        for scc in sccs {
            generation += 1;
            let g = generation;
            for &v in &scc {
                member[v as usize] = g;
            }
            let inside = |v: u32| member[v as usize] == g;
            let mut enabled = BTreeSet::new();
            let mut held = BTreeSet::new();
            let mut taken = BTreeSet::new();
            let internal = |v: u32| edges.row(v).filter(|e| inside(e.target));
            let moved: BTreeSet<Key> =
                scc.iter().flat_map(|&v| internal(v).flat_map(|e| edges.label(e).keys)).collect();
            let reset = Reset::of(scc.iter().flat_map(|&v| internal(v).map(|e| *edges.label(e))));
            let weak = |label: &Label| weak(label, &moved, &reset);
            for &v in &scc {
                for label in edges.labels(v) {
                    let keys = label.keys.into_iter().filter(|k| *k != Key::NONE);
                    if weak(label) {
                        held.extend(keys);
                    } else {
                        enabled.extend(keys);
                    }
                }
                for e in internal(v) {
                    taken.extend(edges.label(e).keys.into_iter().filter(|k| *k != Key::NONE));
                }
            }
            if held_throughout(edges, &scc, &held, &taken, &reset) {
                continue;
            }
            if enabled.is_subset(&taken) {
                out.extend(report(store, edges, &scc, &taken, &inside));
                continue;
            }
            let rest: Vec<u32> = scc
                .iter()
                .copied()
                .filter(|&v| {
                    edges.labels(v).all(|label| {
                        weak(label) || label.keys.iter().all(|k| *k == Key::NONE || taken.contains(k))
                    })
                })
                .collect();
            if !rest.is_empty() {
                work.push(rest);
            }
        }
    }
    Some(out)
}

/// Whether an edge's keys are fair only weakly in a strongly connected set
/// (`taken`: the keys of its steps inside it; `reset`: the timed objects
/// its steps make or reset): a task's step held back by maximal progress,
/// as the task's wait may begin anew on every round; an `after` of a
/// select that the set also leaves by another case, as each time the task
/// comes back to the select the `after` is made anew, so one beside a
/// faster event never fires (as in Go with fixed durations); and a timer's,
/// ticker's or deadline's step, held back or not, whose object a step of
/// the set makes or resets, as its time then starts afresh (a debouncer's
/// quiet timer reset by every event never fires when events come faster).
/// A `work` or `sleep` ending, timers left armed and the signal stay fair
/// strongly; so does a timer armed all along a set that spins, held back
/// in some of its states: time passes while a run goes round it for ever
/// (`a_hot_cycle_beside_a_ticker_still_ends_at_its_deadline`).
fn weak(label: &Label, taken: &BTreeSet<Key>, reset: &Reset) -> bool {
    let k = label.keys[0];
    match label.timing {
        Timing::Held => k.timed_object().is_none_or(|_| reset.renames(k)),
        Timing::Timed if k.slot().is_some() => taken.iter().any(|t| t.site() == k.site() && *t != k),
        Timing::Timed => reset.renames(k),
        Timing::Instant => false,
    }
}

/// The heap indices at which the steps of a set make, reset or move a
/// timed object, a bit each (see `Label::renamed`).
struct Reset {
    renamed: u64,
}

impl Reset {
    fn of(labels: impl Iterator<Item = Label>) -> Reset {
        Reset { renamed: labels.fold(0, |m, label| m | label.renamed) }
    }

    /// Whether `key`, a timer's, ticker's or deadline's, may name another
    /// object in some state of the set than in another (see [`renames`]).
    fn renames(&self, key: Key) -> bool {
        key.timed_object().is_some_and(|o| Applied::names_anew(self.renamed, o))
    }
}

/// Whether a key of the `held` steps of the strongly connected set `scc`,
/// none `taken` inside it, is enabled in every one of its states: then no
/// run stays in it for ever, nor in any part of it. A timer's, ticker's or
/// deadline's key counts only when no step inside `reset` makes, resets
/// or moves an object to its heap index: the index then names a new
/// object, whose time starts afresh.
fn held_throughout(
    edges: &Edges,
    scc: &[u32],
    held: &BTreeSet<Key>,
    taken: &BTreeSet<Key>,
    reset: &Reset,
) -> bool {
    held.iter()
        .filter(|k| !taken.contains(k) && !reset.renames(**k))
        .any(|k| scc.iter().all(|&v| edges.labels(v).any(|label| label.keys.contains(k))))
}

fn report(
    store: &Store,
    edges: &Edges,
    scc: &[u32],
    taken: &BTreeSet<Key>,
    inside: &dyn Fn(u32) -> bool,
) -> Vec<Finding> {
    let entry = *scc.iter().min().expect("non-empty");
    let path = store.path(entry);
    let cycle = fair_cycle(edges, entry, inside, taken);
    let state = store.get(entry);
    let moving: BTreeSet<u16> = taken.iter().filter_map(|k| k.slot()).collect();
    state
        .tasks
        .iter()
        .enumerate()
        .map(|(slot, t)| {
            let kind = if moving.contains(&(slot as u16)) { FindingKind::NoExit } else { FindingKind::Leak };
            Finding {
                kind,
                funcs: vec![t.func],
                detail: String::new(),
                at: None,
                path: path.clone(),
                cycle: cycle.clone(),
            }
        })
        .collect()
}

/// A cycle of transition indices from `entry` back to itself inside the
/// SCC that takes every key in `keys` (every key enabled in a fair SCC is
/// among those taken in it, so the printed cycle is itself a fair run): from
/// where it is, it goes by a shortest path to the nearest step with a key not
/// yet taken, until none is left, then back to `entry` by a shortest path.
fn fair_cycle(edges: &Edges, entry: u32, inside: &dyn Fn(u32) -> bool, keys: &BTreeSet<Key>) -> Vec<u16> {
    let mut missing = keys.clone();
    let mut out = Vec::new();
    let mut at = entry;
    loop {
        let wanted = |e: Edge| edges.label(e).keys.iter().any(|k| missing.contains(k));
        let (steps, end) = if missing.is_empty() {
            if at == entry && !out.is_empty() {
                return out;
            }
            shortest(edges, at, inside, &|e| e.target == entry)
        } else {
            shortest(edges, at, inside, &wanted)
        };
        if steps.is_empty() {
            return out;
        }
        for &e in &steps {
            edges.label(e).keys.iter().for_each(|k| {
                missing.remove(k);
            });
            out.push(edges.index(e));
        }
        at = end;
    }
}

/// The edges of a shortest path inside the SCC from `from` whose last edge
/// `goal` accepts, and the state it ends in; no edges when there is none.
fn shortest(
    edges: &Edges,
    from: u32,
    inside: &dyn Fn(u32) -> bool,
    goal: &dyn Fn(Edge) -> bool,
) -> (Vec<Edge>, u32) {
    let mut prev: std::collections::HashMap<u32, (u32, Edge)> = std::collections::HashMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = std::collections::HashSet::from([from]);
    while let Some(v) = queue.pop_front() {
        for e in edges.row(v) {
            let w = e.target;
            if !inside(w) {
                continue;
            }
            if goal(e) {
                let mut out = vec![e];
                let mut at = v;
                while at != from {
                    let (back, edge) = prev[&at];
                    out.push(edge);
                    at = back;
                }
                out.reverse();
                return (out, w);
            }
            if seen.insert(w) {
                prev.insert(w, (v, e));
                queue.push_back(w);
            }
        }
    }
    (Vec::new(), from)
}

/// Iterative Tarjan over a subset of the states.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
}

const UNSEEN: u32 = u32::MAX;

impl Tarjan {
    fn new(n: usize) -> Tarjan {
        Tarjan { index: vec![UNSEEN; n], low: vec![0; n], on_stack: vec![false; n] }
    }

    /// The strongly connected sets of the `nodes` that `member` accepts,
    /// over the edges that `follow` accepts, that hold a cycle: a state alone
    /// is one only with a step to itself.
    fn run(
        &mut self,
        nodes: &[u32],
        edges: &Edges,
        member: impl Fn(u32) -> bool,
        follow: impl Fn(Edge) -> bool,
    ) -> Vec<Vec<u32>> {
        for &v in nodes {
            self.index[v as usize] = UNSEEN;
        }
        let mut out = Vec::new();
        let mut counter = 0u32;
        let mut stack: Vec<u32> = Vec::new();
        let mut calls: Vec<(u32, Cursor)> = Vec::new();
        for &root in nodes {
            if self.index[root as usize] != UNSEEN {
                continue;
            }
            calls.push((root, edges.cursor(root)));
            self.index[root as usize] = counter;
            self.low[root as usize] = counter;
            counter += 1;
            stack.push(root);
            self.on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut cursor)) = calls.last_mut() {
                if let Some(e) = edges.next(cursor) {
                    let w = e.target;
                    if !follow(e) || !member(w) {
                        continue;
                    }
                    if self.index[w as usize] == UNSEEN {
                        self.index[w as usize] = counter;
                        self.low[w as usize] = counter;
                        counter += 1;
                        stack.push(w);
                        self.on_stack[w as usize] = true;
                        calls.push((w, edges.cursor(w)));
                    } else if self.on_stack[w as usize] {
                        self.low[v as usize] = self.low[v as usize].min(self.index[w as usize]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    self.low[parent as usize] = self.low[parent as usize].min(self.low[v as usize]);
                }
                if self.low[v as usize] == self.index[v as usize] {
                    if stack.last() == Some(&v) {
                        stack.pop();
                        self.on_stack[v as usize] = false;
                        if edges.row(v).any(|e| e.target == v && follow(e)) {
                            out.push(vec![v]);
                        }
                        continue;
                    }
                    let mut scc = Vec::new();
                    loop {
                        let w = stack.pop().expect("tarjan stack");
                        self.on_stack[w as usize] = false;
                        scc.push(w);
                        if w == v {
                            break;
                        }
                    }
                    scc.sort_unstable();
                    out.push(scc);
                }
            }
        }
        out
    }
}
