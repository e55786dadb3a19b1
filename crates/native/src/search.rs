//! Breadth-first exploration of one scenario: dead states (deadlock, leak),
//! panics and owner-rule warnings, each with a shortest path; then fair cycles.

use crate::encode::{encode_successor, Successor, TaskCache};
use crate::fair::{fair_cycles, held_along_cycles, on_instant_cycles, Key};
use crate::graph::{Edges, Label, Timing};
use crate::hunt::Alongside;
use crate::store::Store;
use crate::trace::unreduce;
use crate::{Bound, Control, Exploration, Finding, Options, Phase, Progress, Stats};
use leash_ir::Program;
use leash_semantics::{
    apply, enabled, held_back, initial, reduce_successor, reduce_symmetry, settled_print, Actor, Event,
    FindingKind, Persistent, Scenario, Settled, State, Transition,
};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Findings keyed so that each (kind, task, detail) is kept once, first found = shortest.
pub(crate) type FindingMap = BTreeMap<(FindingKind, Vec<u16>, String), Finding>;

pub(crate) fn record(map: &mut FindingMap, f: Finding) {
    map.entry((f.kind, f.funcs.clone(), f.detail.clone())).or_insert(f);
}

pub(crate) fn event_finding(e: Event, path: Vec<u16>) -> Finding {
    Finding { kind: e.kind, funcs: vec![e.func], detail: e.detail, at: e.at, path, cycle: Vec::new() }
}

/// The fairness keys of a transition taken in `s`: the actor's step and, for a
/// rendezvous, the partner's. Without `slots`, steps of tasks at the same
/// instruction share a key (for a graph reduced by symmetry, where slots do
/// not name the same task from one state to the next).
fn keys(s: &State, t: &Transition, slots: bool) -> [Key; 2] {
    let key = |slot: u16, case: u16| {
        let f = s.tasks[slot as usize].frames.last().expect("live tasks have a frame");
        Key::task(if slots { slot } else { 0 }, f.func, f.pc, case)
    };
    match t.actor {
        Actor::Task(slot) => [key(slot, t.case), t.partner.map_or(Key::NONE, |(ps, pc)| key(ps, pc))],
        Actor::Signal => [Key::env(0), Key::NONE],
        Actor::Deadline(c) => [Key::env(1 + c as u32), Key::NONE],
        Actor::Fire(o) => [Key::env(0x1_0000 + o as u32), Key::NONE],
        Actor::Walk(c) => [Key::env(0x2_0000 + c as u32), Key::NONE],
    }
}

/// Explores `scenario` of `program` with symmetry reduction and no progress
/// reports. `stop` is polled now and then; when it returns true the search
/// ends as incomplete (time bound).
pub fn explore(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    stop: &dyn Fn() -> bool,
) -> Exploration {
    explore_with(program, scenario, options, &Control::new(stop))
}

/// Explores `scenario` of `program` under `control`.
///
/// With partial-order reduction, a first search takes only a persistent set
/// of the steps in each state. A cycle of its graph either is made of
/// instant steps, which it leaves to the full search (time passes along
/// them all the same), or passes a state where time may pass, which it
/// expands in full (so no step is put off for ever: the cycle proviso).
/// Then it keeps every dead state and every panic or warning, and it has a
/// fair cycle when the full graph has one; each state keeps the fairness
/// keys of the steps it left out, so a cycle that leaves one out for ever is
/// not fair. So when it ends complete without findings, fair cycles or
/// cycles of instant steps, the model is verified; otherwise the search
/// below runs instead (shortest counterexamples need every interleaving),
/// and decides.
///
/// With symmetry, the fair-cycle search cannot tell tasks of one function
/// apart, so it may see a fair cycle where there is none; when it finds one,
/// the scenario is explored again without symmetry, and that search decides
/// (its bound, if it hits one, makes the result incomplete). Findings of the
/// reduced search carry paths in the unreduced numbering.
///
/// With the bug hunt, a search that grows big has randomised depth-first
/// runs beside it (see `hunt.rs`); a violation they meet stops it
/// ([`Bound::Hunted`]), and what they meet is added to an exploration cut
/// short by any bound. A complete exploration is the same with or without.
pub fn explore_with(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    control: &Control,
) -> Exploration {
    let monitor = Monitor::new(control);
    let mut hunt = control.hunt.then(|| Alongside::new(program, scenario, options));
    let exploration = phases(program, scenario, options, &monitor, hunt.as_mut());
    match hunt {
        Some(hunt) => {
            monitor.phase.set(Phase::Hunt);
            let stats = exploration.stats;
            let snapshot = || (stats.states, stats.transitions, stats.max_depth, 0, stats.store_bytes);
            hunt.finish(exploration, &|| monitor.poll(false, &snapshot))
        }
        None => exploration,
    }
}

/// The searches of [`explore_with`], with the bug hunt beside them.
fn phases(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    monitor: &Monitor,
    mut hunt: Option<&mut Alongside>,
) -> Exploration {
    let control = monitor.control;
    let mut full = None;
    if control.por {
        let persistent = Persistent::new(program);
        let por = Por { persistent: &persistent, give_up: true };
        let reduced =
            search(program, scenario, options, monitor, control.symmetry, Some(por), hunt.as_deref_mut());
        if reduced.unreduced {
            full = Some(reduced);
        } else if !reduced.undecided {
            return reduced.exploration;
        } else {
            monitor.phase.set(Phase::Unreduced);
        }
    }
    let mut full = |hunt: Option<&mut Alongside>| match full.take() {
        Some(searched) => searched,
        None => search(program, scenario, options, monitor, control.symmetry, None, hunt),
    };
    if !control.symmetry {
        return full(hunt).exploration;
    }
    let reduced = full(hunt.as_deref_mut());
    let mut findings = FindingMap::new();
    let safety: Vec<Finding> = reduced
        .exploration
        .findings
        .into_iter()
        .map(|f| Finding { path: unreduce(program, scenario, &f.path), ..f })
        .collect();
    if !reduced.undecided {
        safety.into_iter().for_each(|f| record(&mut findings, f));
        return Exploration { findings: findings.into_values().collect(), ..reduced.exploration };
    }
    monitor.phase.set(Phase::Confirm);
    let full = search(program, scenario, options, monitor, false, None, hunt);
    full.exploration.findings.into_iter().chain(safety).for_each(|f| record(&mut findings, f));
    Exploration { findings: findings.into_values().collect(), ..full.exploration }
}

/// One search: its exploration and whether a reduced search leaves the
/// answer to a search without its reduction. Under symmetry that is a fair
/// cycle (whose findings it then leaves out); under partial-order reduction,
/// any finding, a fair cycle or a cycle of instant steps, or nothing pruned
/// in its first states.
struct Searched {
    exploration: Exploration,
    undecided: bool,
    /// A search over persistent sets that had pruned nothing when it gave
    /// up went on as the search without the reduction: its stored graph so
    /// far was that search's. Its result is that search's.
    unreduced: bool,
    /// A search over persistent sets met a cycle of instant steps.
    instant_cycles: bool,
}

/// The partial-order reduced search alone, run to the end (symmetry as
/// `control` says, which also pays for the reports): its findings, with paths
/// in the unreduced numbering, and whether its graph has a cycle of instant
/// steps. When it has none, neither has the full graph, its findings are
/// every dead state, panic and warning of the model (by kind, tasks and
/// detail; the paths need not be shortest), and it reports a fair cycle
/// exactly when the full graph has one (not always naming the same tasks).
/// For tests and benchmarks of the reduction.
pub fn explore_persistent(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    control: &Control,
) -> (Exploration, bool) {
    let persistent = Persistent::new(program);
    let por = Por { persistent: &persistent, give_up: false };
    let searched =
        search(program, scenario, options, &Monitor::new(control), control.symmetry, Some(por), None);
    let mut exploration = searched.exploration;
    if control.symmetry {
        for f in &mut exploration.findings {
            f.path = unreduce(program, scenario, &f.path);
        }
    }
    (exploration, searched.instant_cycles)
}

/// How a search reduces by persistent sets.
#[derive(Clone, Copy)]
struct Por<'a> {
    persistent: &'a Persistent,
    /// Leave the answer to the search without the reduction as soon as it is
    /// clear that it will be needed (at the first finding) or that the
    /// reduction does not pay (none of the first [`PROBE`] states had a
    /// smaller persistent set). If none had, the search goes on as the
    /// search without the reduction instead of starting again. A reduction
    /// that prunes little at first is kept: the heartbeat trees prune one
    /// state in twelve of their first 256 in error, before the signal, and
    /// end with a fortieth of the full search's states.
    give_up: bool,
}

/// How many states a search over persistent sets expands before it judges
/// whether the reduction pays.
const PROBE: u32 = 256;

/// Paces the caller's stop signal and progress reports.
struct Monitor<'a> {
    control: &'a Control<'a>,
    phase: Cell<Phase>,
    last: Cell<(usize, Duration)>,
}

impl<'a> Monitor<'a> {
    fn new(control: &'a Control<'a>) -> Monitor<'a> {
        Monitor { control, phase: Cell::new(Phase::Search), last: Cell::new((0, Duration::ZERO)) }
    }

    /// Whether to stop; reports progress first when it is due (or `now`).
    fn poll(&self, now: bool, snapshot: &dyn Fn() -> (usize, usize, usize, usize, usize)) -> bool {
        if let Some(r) = &self.control.progress {
            let elapsed = (r.elapsed)();
            let (states, transitions, depth, frontier, store_bytes) = snapshot();
            let (at_states, at_time) = self.last.get();
            if now
                || states.saturating_sub(at_states) >= 1 << 16
                || elapsed.saturating_sub(at_time) >= Duration::from_millis(100)
            {
                self.last.set((states, elapsed));
                (r.report)(&Progress {
                    phase: self.phase.get(),
                    states,
                    transitions,
                    depth,
                    frontier,
                    store_bytes,
                    elapsed,
                });
            }
        }
        (self.control.stop)()
    }
}

fn search(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    monitor: &Monitor,
    symmetric: bool,
    mut por: Option<Por>,
    mut hunt: Option<&mut Alongside>,
) -> Searched {
    let mut findings = FindingMap::new();
    let mut stats = Stats::default();
    let canonical = |mut s: State| {
        if symmetric {
            reduce_symmetry(program, &mut s);
        }
        s
    };
    let init = match initial(program) {
        Ok(a) => a,
        Err(e) => {
            record(&mut findings, event_finding(e, Vec::new()));
            let exploration =
                Exploration { scenario, findings: findings.into_values().collect(), stats, incomplete: None };
            return Searched {
                exploration,
                undecided: por.is_some(),
                unreduced: false,
                instant_cycles: false,
            };
        }
    };
    for e in init.events {
        record(&mut findings, event_finding(e, Vec::new()));
    }
    let mut store = Store::new();
    store.insert(&canonical(init.state), (0, 0), 0);
    let mut expander = Expander {
        program,
        scenario,
        max_depth: options.max_depth,
        max_tasks: options.max_tasks,
        symmetric,
        por,
    };
    let mut edges = Edges::default();
    let mut row = Vec::new();
    let mut incomplete = None;
    let mut i = 0u32;
    let (mut pruned, mut given_up, mut unreduced, mut instant_cycles) = (0u32, false, false, false);
    let mut batch = Vec::new();
    let mut credited = 0;
    let (mut held, mut holds_time, mut instant_back) = (Vec::new(), false, false);
    'search: loop {
        'expand: while (i as usize) < store.len() {
            let (frontier, workers) = (store.len() - i as usize, monitor.control.workers);
            let mut expand =
                |workers| expander.expand_batch(&store, i, frontier.min(BATCH), workers, &mut batch);
            match hunt.as_deref_mut() {
                Some(hunt) => {
                    hunt.credit(stats.transitions - credited);
                    credited = stats.transitions;
                    if hunt.violated(monitor.control.violation) {
                        incomplete = Some(Bound::Hunted);
                        break 'search;
                    }
                    hunt.beside(store.len(), workers, expand);
                }
                None => expand(workers),
            }
            for expansion in batch.drain(..) {
                let depth = store.depths[i as usize];
                // The clock is cheap next to expanding a state; states can be large.
                let snapshot = || {
                    (
                        store.len(),
                        stats.transitions,
                        depth as usize,
                        store.len() - i as usize,
                        store.bytes() + edges.bytes(),
                    )
                };
                if i.is_multiple_of(16) && monitor.poll(i == 0, &snapshot) {
                    incomplete = Some(Bound::Time);
                    break 'search;
                }
                stats.max_depth = stats.max_depth.max(depth as usize);
                expansion.dead.into_iter().for_each(|f| record(&mut findings, f));
                match expansion.cut {
                    Some(Cut::Depth) => {
                        incomplete.get_or_insert(Bound::Depth(options.max_depth));
                    }
                    Some(Cut::Tasks { func, alive }) => {
                        incomplete.get_or_insert(Bound::Tasks { limit: options.max_tasks, func, alive });
                    }
                    None => {}
                }
                pruned += u32::from(!expansion.left_out.is_empty());
                for step in expansion.steps {
                    stats.transitions += 1;
                    let (k, label) = (step.k, step.label);
                    let j = store_step(&mut store, &mut findings, i, step);
                    row.push((j, k, label));
                    // Every cycle has a step to a state no deeper than where
                    // it starts: without such an instant step, no cycle of
                    // instant steps needs looking for.
                    instant_back |=
                        label.timing == Timing::Instant && j != u32::MAX && store.depths[j as usize] <= depth;
                }
                // The steps a persistent set left out, as edges that lead
                // nowhere: their keys count as enabled in the state, so a
                // cycle that never takes them is not fair.
                row.extend(expansion.left_out.into_iter().map(|(k, label)| (u32::MAX, k, label)));
                edges.add_row(i, &row);
                row.clear();
                let unpaid = i + 1 == PROBE && pruned == 0;
                if por.is_some_and(|r| r.give_up) && (unpaid || !findings.is_empty()) {
                    if pruned > 0 {
                        given_up = true;
                        break 'search;
                    }
                    // Nothing pruned: every state so far was expanded in full,
                    // in the order of the search without the reduction. Go on
                    // as that search; the rest of the batch was expanded over
                    // persistent sets and is expanded again.
                    (por, expander.por, unreduced) = (None, None, true);
                    monitor.phase.set(Phase::Unreduced);
                    i += 1;
                    continue 'expand;
                }
                if store.len() > options.max_states {
                    incomplete = Some(Bound::States(options.max_states));
                    break 'search;
                }
                if store.bytes() + edges.bytes() > options.max_memory {
                    incomplete = Some(Bound::Memory(options.max_memory));
                    break 'search;
                }
                i += 1;
            }
        }
        // Time passes on cycles of instant steps: once the search has met them
        // all, their states take the steps maximal progress held back, and the
        // states those lead to are searched in turn, until no cycle is new.
        // A search over persistent sets leaves any cycle to the full search.
        // Under symmetry, slots and heap indices do not name one task or object
        // from state to state, so whether time passes along a cycle is left to
        // the search without it.
        if por.is_some() || incomplete.is_some() {
            break;
        }
        let cycles = if instant_back { on_instant_cycles(&edges, store.len()) } else { Vec::new() };
        if symmetric {
            holds_time = expander.holds_time(&store, &cycles);
            break;
        }
        let extra = expander.held_steps(&store, &edges, &cycles, &mut held);
        if extra.is_empty() {
            break;
        }
        let rows = extra
            .into_iter()
            .map(|(v, steps)| {
                let row = steps.into_iter().map(|step| {
                    stats.transitions += 1;
                    let (k, label) = (step.k, step.label);
                    (store_step(&mut store, &mut findings, v, step), k, label)
                });
                (v, row.collect())
            })
            .collect();
        edges.extend_rows(rows);
    }
    if let Some(hunt) = hunt {
        hunt.credit(stats.transitions - credited);
    }
    stats.states = store.len();
    stats.store_bytes = store.bytes() + edges.bytes();
    // Paths over persistent sets can be longer than the shortest, so a
    // depth bound met there is left to the full search too.
    let deeper = por.is_some() && matches!(incomplete, Some(Bound::Depth(_) | Bound::Tasks { .. }));
    let mut undecided = given_up || deeper;
    if !given_up && incomplete.is_none() {
        let phase = monitor.phase.get();
        if matches!(phase, Phase::Search | Phase::Unreduced) {
            monitor.phase.set(Phase::FairCycles);
        }
        let snapshot = || (stats.states, stats.transitions, stats.max_depth, 0, stats.store_bytes);
        let stop = || monitor.poll(false, &snapshot);
        if monitor.poll(true, &snapshot) {
            incomplete = Some(Bound::Time);
        } else if por.is_some() {
            // Time passes on cycles of instant steps, which the full search
            // works out; other cycles are judged here, fair or not.
            instant_cycles = instant_back && !on_instant_cycles(&edges, store.len()).is_empty();
            undecided = instant_cycles;
            if !instant_cycles {
                match fair_cycles(&store, &edges, &stop) {
                    Some(cycles) => {
                        undecided = !cycles.is_empty();
                        cycles.into_iter().for_each(|f| record(&mut findings, f));
                    }
                    None => incomplete = Some(Bound::Time),
                }
            }
        } else {
            match fair_cycles(&store, &edges, &stop) {
                Some(cycles) if symmetric => undecided = !cycles.is_empty() || holds_time,
                Some(cycles) => cycles.into_iter().for_each(|f| record(&mut findings, f)),
                None => incomplete = Some(Bound::Time),
            }
        }
        monitor.phase.set(phase);
    }
    let exploration = Exploration { scenario, findings: findings.into_values().collect(), stats, incomplete };
    Searched { exploration, undecided, unreduced, instant_cycles }
}

/// At most this many stored states are expanded at once (on several
/// threads when the control allows) before their successors are stored.
const BATCH: usize = 4096;

/// Below this many states a batch is expanded on the calling thread.
const PARALLEL: usize = 64;

/// What expanding one stored state found, worked out without touching the
/// store so that several states can be expanded at once; the search then
/// stores the successors in order, exactly as if it had expanded them one by
/// one.
struct Expansion {
    /// The findings of a state where nothing can move.
    dead: Vec<Finding>,
    /// Whether a bound stopped a state that could move, and which.
    cut: Option<Cut>,
    /// The steps a persistent set left out: their indices and labels.
    left_out: Vec<(u16, Label)>,
    /// The steps taken, in the order they are stored.
    steps: Vec<Step>,
}

/// Why a state that could move was not expanded.
#[derive(Clone, Copy)]
enum Cut {
    /// It is at the depth bound.
    Depth,
    /// It has more live tasks than the task bound, most of them running `func`.
    Tasks { func: u16, alive: usize },
}

/// One step taken from an expanded state.
struct Step {
    /// Its index among the steps enabled in the state (past them, among
    /// those held back: see `held_back`).
    k: u16,
    /// Its fairness keys, timing and the timed objects it names anew.
    label: Label,
    /// The canonical state after it, encoded against its parent, and the
    /// warnings it raised; or its panic.
    result: Result<(Successor, Vec<Event>), Event>,
    /// Whether the state after it is known to be settled by shape (see
    /// `Reduction::settled`).
    settled: bool,
}

/// Expands stored states: the part of a search that needs no writes.
struct Expander<'a> {
    program: &'a Program,
    scenario: Scenario,
    max_depth: usize,
    max_tasks: usize,
    symmetric: bool,
    por: Option<Por<'a>>,
}

impl Expander<'_> {
    /// Expands the `count` states from number `first` into `out`, in order,
    /// on up to `workers` threads.
    fn expand_batch(
        &self,
        store: &Store,
        first: u32,
        count: usize,
        workers: usize,
        out: &mut Vec<Expansion>,
    ) {
        let workers = workers.clamp(1, count.div_ceil(PARALLEL).max(1));
        if workers == 1 {
            let mut cache = TaskCache::default();
            out.extend((first..first + count as u32).map(|i| self.expand(store, i, &mut cache)));
            return;
        }
        let chunk = count.div_ceil(workers) as u32;
        let end = first + count as u32;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers as u32)
                .map(|w| {
                    let from = first + w * chunk;
                    let to = (from + chunk).min(end);
                    scope.spawn(move || {
                        let mut cache = TaskCache::default();
                        (from..to).map(|i| self.expand(store, i, &mut cache)).collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                out.extend(h.join().expect("an expanding thread panicked"));
            }
        });
    }

    fn expand(&self, store: &Store, i: u32, cache: &mut TaskCache) -> Expansion {
        let (program, scenario) = (self.program, self.scenario);
        let (s, parts) = store.get_shared(i, cache);
        let ts = enabled(program, &s, scenario);
        let dead = if ts.is_empty() && !s.tasks.is_empty() {
            dead_state(program, &s, store.path(i))
        } else {
            Vec::new()
        };
        if store.depths[i as usize] as usize >= self.max_depth {
            let cut = (!ts.is_empty()).then_some(Cut::Depth);
            return Expansion { dead, cut, left_out: Vec::new(), steps: Vec::new() };
        }
        if s.tasks.len() > self.max_tasks {
            let mut funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
            funcs.sort_unstable();
            let (func, alive) = funcs
                .chunk_by(|a, b| a == b)
                .map(|run| (run[0], run.len()))
                .max_by_key(|&(f, n)| (n, std::cmp::Reverse(f)))
                .expect("tasks are alive");
            return Expansion {
                dead,
                cut: Some(Cut::Tasks { func, alive }),
                left_out: Vec::new(),
                steps: Vec::new(),
            };
        }
        // A panic ends the run, so it is independent of nothing: when a step
        // of the persistent set panics, every other step is taken as well.
        let ample = self.por.and_then(|r| r.persistent.ample(program, &s, scenario, &ts));
        let mut order: Vec<usize> = ample.clone().unwrap_or_else(|| (0..ts.len()).collect());
        let print = match self.symmetric {
            true if store.is_settled(i) => {
                debug_assert!(settled_print(program, &s).is_some(), "a state stored as settled is not");
                Some(Settled::known(&s))
            }
            true => settled_print(program, &s),
            false => None,
        };
        let mut steps = Vec::with_capacity(order.len());
        let mut next = 0;
        while let Some(&k) = order.get(next) {
            next += 1;
            let t = &ts[k];
            let step = self.step(&s, &parts, k, t, timing(t), print.as_ref());
            if let (Err(_), Some(a)) = (&step.result, &ample) {
                if order.len() == a.len() {
                    order.extend((0..ts.len()).filter(|k| a.binary_search(k).is_err()));
                }
            }
            steps.push(step);
        }
        let mut taken = vec![false; ts.len()];
        order.iter().for_each(|&k| taken[k] = true);
        let left_out = (0..ts.len())
            .filter(|&k| !taken[k])
            .map(|k| {
                let (keys, timing) = (keys(&s, &ts[k], !self.symmetric), timing(&ts[k]));
                (k as u16, Label { keys, timing, renamed: 0 })
            })
            .collect();
        Expansion { dead, cut: None, left_out, steps }
    }

    /// Takes step `t`, number `k`, from `s` (whose parts are `parts`).
    /// `settled` is the `settled_print` of `s`, for `reduce_successor`.
    fn step(
        &self,
        s: &State,
        parts: &[u32],
        k: usize,
        t: &Transition,
        timing: Timing,
        settled: Option<&Settled>,
    ) -> Step {
        let keys = keys(s, t, !self.symmetric);
        let (mut renamed, mut now_settled) = (0, false);
        let result = apply(self.program, s, t, self.scenario).map(|mut a| {
            renamed = a.renamed;
            if self.symmetric {
                now_settled = reduce_successor(self.program, &mut a.state, settled).settled;
            }
            let mut successor = Successor { bytes: Vec::with_capacity(128), ..Successor::default() };
            encode_successor(&a.state, s, parts, &mut successor);
            (successor, a.events)
        });
        Step { k: k as u16, label: Label { keys, timing, renamed }, result, settled: now_settled }
    }

    /// The steps held back by maximal progress (see `held_back`) that the
    /// `states` on cycles of instant steps take, by state in order: those
    /// whose time passes along such a cycle (see `held_along_cycles`).
    /// `done` marks the states already given theirs, and now these: a state's
    /// cycles of instant steps are all known once it is on one, as states
    /// found later are reached from it by time only.
    fn held_steps(
        &self,
        store: &Store,
        edges: &Edges,
        states: &[u32],
        done: &mut Vec<bool>,
    ) -> Vec<(u32, Vec<Step>)> {
        done.resize(store.len(), false);
        let states: Vec<u32> =
            states.iter().copied().filter(|&v| !std::mem::replace(&mut done[v as usize], true)).collect();
        let mut cache = TaskCache::default();
        let held: Vec<(u32, Vec<(Transition, Key)>)> = states
            .into_iter()
            .map(|v| {
                let s = store.get_shared(v, &mut cache).0;
                let ts = held_back(self.program, &s, self.scenario);
                (v, ts.into_iter().map(|t| (t, keys(&s, &t, true)[0])).collect())
            })
            .collect();
        let mut holding: BTreeMap<Key, Vec<u32>> = BTreeMap::new();
        for (v, ts) in &held {
            ts.iter().for_each(|&(_, key)| holding.entry(key).or_default().push(*v));
        }
        let mut passes: BTreeSet<(u32, Key)> = BTreeSet::new();
        for (key, nodes) in &holding {
            passes.extend(held_along_cycles(edges, nodes, *key).into_iter().map(|v| (v, *key)));
        }
        let mut out = Vec::new();
        for (v, ts) in held {
            if !ts.iter().any(|&(_, key)| passes.contains(&(v, key))) {
                continue;
            }
            // Time passes for every timed object armed when all of them
            // are armed along a cycle; for the step's own only when one was
            // made or reset on every cycle (see `Transition::narrow`).
            let narrow =
                ts.iter().any(|&(_, key)| key.timed_object().is_some() && !passes.contains(&(v, key)));
            let (s, parts) = store.get_shared(v, &mut cache);
            let first = enabled(self.program, &s, self.scenario).len();
            let steps = ts
                .iter()
                .enumerate()
                .filter(|(_, (t, key))| t.narrow == narrow && passes.contains(&(v, *key)))
                .map(|(h, (t, _))| self.step(&s, &parts, first + h, t, Timing::Held, None))
                .collect();
            out.push((v, steps));
        }
        out
    }

    /// Whether one of the `states` on cycles of instant steps has a step
    /// held back by maximal progress.
    fn holds_time(&self, store: &Store, states: &[u32]) -> bool {
        let mut cache = TaskCache::default();
        states
            .iter()
            .any(|&v| !held_back(self.program, &store.get_shared(v, &mut cache).0, self.scenario).is_empty())
    }
}

/// Stores the state that `step` from state `i` leads to and records the
/// warnings it raised, or records its panic; returns the state's number
/// (`u32::MAX` for a panic).
fn store_step(store: &mut Store, findings: &mut FindingMap, i: u32, step: Step) -> u32 {
    let at = |store: &Store| {
        let mut path = store.path(i);
        path.push(step.k);
        path
    };
    match step.result {
        Err(e) => {
            record(findings, event_finding(e, at(store)));
            u32::MAX
        }
        Ok((state, events)) => {
            if !events.is_empty() {
                let path = at(store);
                events.into_iter().for_each(|e| record(findings, event_finding(e, path.clone())));
            }
            let depth = store.depths[i as usize];
            store.insert_successor(&state, (i, step.k), depth + 1, step.settled).0
        }
    }
}

/// How a step enabled in a state stands to time.
fn timing(t: &Transition) -> Timing {
    if t.time {
        Timing::Timed
    } else {
        Timing::Instant
    }
}

/// A state where nothing can move but some task is alive: a deadlock while the
/// root task is among them, a leak of every remaining task once it has exited.
pub(crate) fn dead_state(p: &Program, s: &State, path: Vec<u16>) -> Vec<Finding> {
    let main_alive = s.tasks.iter().any(|t| t.func == p.main);
    let mut funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
    funcs.sort_unstable();
    funcs.dedup();
    if main_alive {
        vec![Finding {
            kind: FindingKind::Deadlock,
            funcs,
            detail: String::new(),
            at: None,
            path,
            cycle: Vec::new(),
        }]
    } else {
        funcs
            .into_iter()
            .map(|f| Finding {
                kind: FindingKind::Leak,
                funcs: vec![f],
                detail: String::new(),
                at: None,
                path: path.clone(),
                cycle: Vec::new(),
            })
            .collect()
    }
}
