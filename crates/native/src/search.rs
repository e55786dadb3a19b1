//! Breadth-first exploration of one scenario: dead states (deadlock, leak),
//! panics and owner-rule warnings, each with a shortest path; then fair cycles.

use crate::fair::{fair_cycles, Edges, Key};
use crate::store::Store;
use crate::{Bound, Exploration, Finding, Options, Stats};
use leash_ir::Program;
use leash_semantics::{apply, enabled, initial, Actor, Event, FindingKind, Scenario, State, Transition};
use std::collections::BTreeMap;

/// Findings keyed so that each (kind, task, detail) is kept once, first found = shortest.
pub(crate) type FindingMap = BTreeMap<(FindingKind, Vec<u16>, String), Finding>;

pub(crate) fn record(map: &mut FindingMap, f: Finding) {
    map.entry((f.kind, f.funcs.clone(), f.detail.clone())).or_insert(f);
}

fn event_finding(e: Event, path: Vec<u16>) -> Finding {
    Finding { kind: e.kind, funcs: vec![e.func], detail: e.detail, at: e.at, path, cycle: Vec::new() }
}

/// The fairness keys of a transition taken in `s`: the actor's step and, for a
/// rendezvous, the partner's.
pub(crate) fn keys(p: &Program, s: &State, t: &Transition) -> [Key; 2] {
    let key = |slot: u16, case: u16| {
        let f = s.tasks[slot as usize].frames.last().expect("live tasks have a frame");
        let _ = p;
        Key::task(slot, f.func, f.pc, case)
    };
    match t.actor {
        Actor::Task(slot) => [key(slot, t.case), t.partner.map_or(Key::NONE, |(ps, pc)| key(ps, pc))],
        Actor::Signal => [Key::env(0), Key::NONE],
        Actor::Deadline(c) => [Key::env(1 + c as u32), Key::NONE],
    }
}

/// Explores `scenario` of `program`. `stop` is polled now and then; when it
/// returns true the search ends as incomplete (time bound).
pub fn explore(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    stop: &dyn Fn() -> bool,
) -> Exploration {
    let mut findings = FindingMap::new();
    let mut stats = Stats::default();
    let init = match initial(program) {
        Ok(a) => a,
        Err(e) => {
            record(&mut findings, event_finding(e, Vec::new()));
            return Exploration {
                scenario,
                findings: findings.into_values().collect(),
                stats,
                incomplete: None,
            };
        }
    };
    for e in init.events {
        record(&mut findings, event_finding(e, Vec::new()));
    }
    let mut store = Store::new();
    store.insert(&init.state, (0, 0), 0);
    let mut edges = Edges::default();
    let mut incomplete = None;
    let mut i = 0u32;
    while (i as usize) < store.len() {
        // The clock is cheap next to expanding a state; states can be large.
        if i.is_multiple_of(16) && stop() {
            incomplete = Some(Bound::Time);
            break;
        }
        let s = store.get(i);
        let depth = store.depths[i as usize];
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
            let key = keys(program, &s, t);
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
                    let (j, _) = store.insert(&a.state, (i, k as u16), depth + 1);
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
    if incomplete.is_none() {
        match fair_cycles(&store, &edges, stop) {
            Some(cycles) => {
                for f in cycles {
                    record(&mut findings, f);
                }
            }
            None => incomplete = Some(Bound::Time),
        }
    }
    Exploration { scenario, findings: findings.into_values().collect(), stats, incomplete }
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
