//! Breadth-first exploration of one scenario: dead states (deadlock, leak),
//! panics and owner-rule warnings, each with a shortest path; then fair cycles.

use crate::fair::{fair_cycles, Edges, Key};
use crate::store::Store;
use crate::trace::unreduce;
use crate::{Bound, Control, Exploration, Finding, Options, Phase, Progress, Stats};
use leash_ir::Program;
use leash_semantics::{
    apply, enabled, initial, reduce_symmetry, Actor, Event, FindingKind, Scenario, State, Transition,
};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::Duration;

/// Findings keyed so that each (kind, task, detail) is kept once, first found = shortest.
pub(crate) type FindingMap = BTreeMap<(FindingKind, Vec<u16>, String), Finding>;

pub(crate) fn record(map: &mut FindingMap, f: Finding) {
    map.entry((f.kind, f.funcs.clone(), f.detail.clone())).or_insert(f);
}

fn event_finding(e: Event, path: Vec<u16>) -> Finding {
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
/// With symmetry, the fair-cycle search cannot tell tasks of one function
/// apart, so it may see a fair cycle where there is none; when it finds one,
/// the scenario is explored again without symmetry, and that search decides
/// (its bound, if it hits one, makes the result incomplete). Findings of the
/// reduced search carry paths in the unreduced numbering.
pub fn explore_with(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    control: &Control,
) -> Exploration {
    let monitor = Monitor::new(control);
    if !control.symmetry {
        return search(program, scenario, options, &monitor, false).exploration;
    }
    let reduced = search(program, scenario, options, &monitor, true);
    let mut findings = FindingMap::new();
    let safety: Vec<Finding> = reduced
        .exploration
        .findings
        .into_iter()
        .map(|f| Finding { path: unreduce(program, scenario, &f.path), ..f })
        .collect();
    if !reduced.fair_cycle {
        safety.into_iter().for_each(|f| record(&mut findings, f));
        return Exploration { findings: findings.into_values().collect(), ..reduced.exploration };
    }
    monitor.phase.set(Phase::Confirm);
    let full = search(program, scenario, options, &monitor, false);
    full.exploration.findings.into_iter().chain(safety).for_each(|f| record(&mut findings, f));
    Exploration { findings: findings.into_values().collect(), ..full.exploration }
}

/// One search: its exploration and, when reduced by symmetry, whether the
/// fair-cycle search (whose findings it then leaves out) found a fair cycle.
struct Searched {
    exploration: Exploration,
    fair_cycle: bool,
}

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
            return Searched { exploration, fair_cycle: false };
        }
    };
    for e in init.events {
        record(&mut findings, event_finding(e, Vec::new()));
    }
    let mut store = Store::new();
    store.insert(&canonical(init.state), (0, 0), 0);
    let mut edges = Edges::default();
    let mut incomplete = None;
    let mut i = 0u32;
    while (i as usize) < store.len() {
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
            break;
        }
        let s = store.get(i);
        stats.max_depth = stats.max_depth.max(depth as usize);
        let ts = enabled(program, &s, scenario);
        edges.begin(i);
        if ts.is_empty() && !s.tasks.is_empty() {
            for f in dead_state(program, &s, store.path(i)) {
                record(&mut findings, f);
            }
        }
        if depth as usize >= options.max_depth {
            if !ts.is_empty() {
                incomplete.get_or_insert(Bound::Depth(options.max_depth));
            }
            i += 1;
            continue;
        }
        for (k, t) in ts.iter().enumerate() {
            stats.transitions += 1;
            let key = keys(&s, t, !symmetric);
            match apply(program, &s, t) {
                Err(e) => {
                    let mut path = store.path(i);
                    path.push(k as u16);
                    record(&mut findings, event_finding(e, path));
                    edges.push(u32::MAX, k as u16, key);
                }
                Ok(a) => {
                    if !a.events.is_empty() {
                        let mut path = store.path(i);
                        path.push(k as u16);
                        for e in a.events {
                            record(&mut findings, event_finding(e, path.clone()));
                        }
                    }
                    let (j, _) = store.insert(&canonical(a.state), (i, k as u16), depth + 1);
                    edges.push(j, k as u16, key);
                }
            }
        }
        if store.len() > options.max_states {
            incomplete = Some(Bound::States(options.max_states));
            break;
        }
        if store.bytes() + edges.bytes() > options.max_memory {
            incomplete = Some(Bound::Memory(options.max_memory));
            break;
        }
        i += 1;
    }
    stats.states = store.len();
    stats.store_bytes = store.bytes() + edges.bytes();
    let mut fair_cycle = false;
    if incomplete.is_none() {
        let phase = monitor.phase.get();
        if phase == Phase::Search {
            monitor.phase.set(Phase::FairCycles);
        }
        let snapshot = || (stats.states, stats.transitions, stats.max_depth, 0, stats.store_bytes);
        let stop = || monitor.poll(false, &snapshot);
        let cycles = if monitor.poll(true, &snapshot) { None } else { fair_cycles(&store, &edges, &stop) };
        match cycles {
            Some(cycles) if symmetric => fair_cycle = !cycles.is_empty(),
            Some(cycles) => cycles.into_iter().for_each(|f| record(&mut findings, f)),
            None => incomplete = Some(Bound::Time),
        }
        monitor.phase.set(phase);
    }
    let exploration = Exploration { scenario, findings: findings.into_values().collect(), stats, incomplete };
    Searched { exploration, fair_cycle }
}

/// A state where nothing can move but some task is alive: a deadlock while the
/// root task is among them, a leak of every remaining task once it has exited.
fn dead_state(p: &Program, s: &State, path: Vec<u16>) -> Vec<Finding> {
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
