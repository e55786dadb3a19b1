//! The bug hunt: many short, randomised, seeded depth-first runs over the
//! reference semantics, for bugs too deep for breadth-first search within
//! its bounds (swarm verification, after Holzmann, Joshi and Groce).
//!
//! Run `r` of a hunt draws its own plan from the seed and `r`: how deep to
//! go, whether to backtrack (a depth-first search with a small visited
//! cache) or only walk, whether to take only the persistent sets of
//! partial-order reduction, and weights that favour some tasks and
//! environment events and starve others (the signal never, work never
//! failing: each run omits some features, so that different runs go deep in
//! different directions). Everything a run meets is a real path from the
//! initial state: dead states (deadlock, leak), panics and owner-rule
//! warnings, each recorded with the transition indices of its path in the
//! plain numbering, as the breadth-first search records them. A hunt is a
//! pure function of the program, the scenario, the bounds, the seed and the
//! number of steps it is given: it reads no clock, and its runs go in order.
//! It cannot find fair cycles (no-exit, cyclic leaks): those need the whole
//! graph. When a run comes back by instant steps to a state on its stack,
//! that state is on a cycle of instant steps, where time passes all the
//! same: it takes from there the steps maximal progress held back that stay
//! pending all along the cycle, as the search does (docs/semantics.md, Time).

use crate::search::{dead_state, event_finding, record, FindingMap};
use crate::shorten::shorten;
use crate::{Bound, Exploration, Finding, Options};
use leash_ir::Program;
use leash_semantics::{
    apply, enabled, held_back, initial, Actor, Applied, Event, FindingKind, Persistent, Scenario, State,
    Transition,
};
use rustc_hash::FxHashSet;
use std::hash::BuildHasher;

/// The seed of the hunt that runs alongside a search.
pub const SEED: u64 = 0x6c65_6173_685f_6875;

/// What a hunt found and how much it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunted {
    /// Findings in a fixed order (kind, then task, then detail), each with
    /// the shortest path the hunt met, shortened further; not necessarily
    /// the shortest path of the model.
    pub findings: Vec<Finding>,
    /// Runs made.
    pub runs: u64,
    /// Steps taken: transitions applied, and one per run for its start.
    pub steps: u64,
}

/// Hunts for bugs in `scenario` of `program` with runs drawn from `seed`,
/// until `steps` steps have been taken (the last run is finished) or
/// `stop` says so. Runs respect the depth and task bounds of `options`.
pub fn hunt(
    program: &Program,
    scenario: Scenario,
    options: &Options,
    steps: u64,
    seed: u64,
    stop: &dyn Fn() -> bool,
) -> Hunted {
    let mut hunter = Hunter::new(program, scenario, options, seed);
    hunter.hunt_until(steps, stop);
    let findings = hunter.findings(&FindingMap::new());
    Hunted { findings, runs: hunter.runs, steps: hunter.steps }
}

/// A hunt in progress: its runs so far and the shortest path met for each
/// finding.
struct Hunter<'p> {
    program: &'p Program,
    scenario: Scenario,
    persistent: Persistent,
    max_depth: usize,
    max_tasks: usize,
    seed: u64,
    /// The initial state and its warnings, or its panic.
    start: Result<(State, Vec<Event>), Event>,
    /// Runs made.
    runs: u64,
    /// Steps taken: transitions applied, and one per run for its start.
    steps: u64,
    found: FindingMap,
}

impl<'p> Hunter<'p> {
    fn new(program: &'p Program, scenario: Scenario, options: &Options, seed: u64) -> Hunter<'p> {
        Hunter {
            program,
            scenario,
            persistent: Persistent::new(program),
            max_depth: options.max_depth,
            max_tasks: options.max_tasks,
            seed,
            start: initial(program).map(|a| (a.state, a.events)),
            runs: 0,
            steps: 0,
            found: FindingMap::new(),
        }
    }

    /// Makes runs until `steps` steps have been taken in all, or `stop` says so.
    fn hunt_until(&mut self, steps: u64, stop: &dyn Fn() -> bool) {
        while self.steps < steps && !stop() {
            self.run();
        }
    }

    /// Makes runs until `steps` steps have been taken in all.
    fn hunt_for(&mut self, steps: u64) {
        self.hunt_until(steps, &|| false);
    }

    /// The findings met, but not among `known`, each with its path shortened.
    fn findings(&self, known: &FindingMap) -> Vec<Finding> {
        let (p, scenario) = (self.program, self.scenario);
        self.found
            .iter()
            .filter(|(key, _)| !known.contains_key(*key))
            .map(|(_, f)| shorten(p, scenario, f))
            .collect()
    }

    /// Keeps `f` if it is new or shorter than the path met before.
    fn keep(&mut self, f: Finding) {
        let key = (f.kind, f.funcs.clone(), f.detail.clone());
        match self.found.get(&key) {
            Some(old) if old.path.len() <= f.path.len() => {}
            _ => {
                self.found.insert(key, f);
            }
        }
    }

    /// Makes the next run: a depth-first search from the initial state along
    /// its plan, until its budget of steps is spent or nothing is left.
    fn run(&mut self) {
        let mut rng = Rng::new(self.seed, self.runs);
        self.runs += 1;
        let plan = Plan::draw(&mut rng, self.program, self.max_depth);
        // A run takes at least one step, so that a hunt always ends.
        self.steps += 1;
        let (state, events) = match &self.start {
            Ok((state, events)) => (state.clone(), events.clone()),
            Err(e) => return self.keep(event_finding(e.clone(), Vec::new())),
        };
        events.into_iter().for_each(|e| self.keep(event_finding(e, Vec::new())));
        let mut cache = FxHashSet::default();
        let mut stack: Vec<Node> = Vec::new();
        let mut path: Vec<u16> = Vec::new();
        let arrival = Arrival { print: fingerprint(&state), instant: false, renamed: 0 };
        if let Some(node) = self.node(&plan, &mut rng, state, &path, false, arrival) {
            stack.push(node);
        }
        let mut budget = plan.budget;
        while let Some(top) = stack.last_mut() {
            let Some(k) = top.order.pop() else {
                stack.pop();
                path.pop();
                continue;
            };
            if budget == 0 {
                break;
            }
            budget -= 1;
            self.steps += 1;
            let at = |path: &[u16]| {
                let mut at = path.to_vec();
                at.push(k);
                at
            };
            let applied = apply(self.program, &top.state, &top.enabled[k as usize], self.scenario);
            let (next, renamed) = match applied {
                Err(e) => {
                    self.keep(event_finding(e, at(&path)));
                    continue;
                }
                Ok(a) => {
                    a.events.into_iter().for_each(|e| self.keep(event_finding(e, at(&path))));
                    (a.state, a.renamed)
                }
            };
            let arrival =
                Arrival { print: fingerprint(&next), instant: !top.enabled[k as usize].time, renamed };
            if let Some(node) = self.round_a_cycle(&stack, &next, arrival) {
                path.push(k);
                stack.push(node);
                continue;
            }
            if plan.backtrack && !cache.insert(arrival.print) {
                continue;
            }
            path.push(k);
            let deep = stack.len() >= plan.depth;
            match self.node(&plan, &mut rng, next, &path, deep, arrival) {
                Some(node) => stack.push(node),
                None => {
                    path.pop();
                }
            }
        }
    }

    /// The node of `state`, reached by `path`, with the order in which the
    /// plan takes its steps; `None` when it has none to take: a dead state
    /// (recorded), more live tasks than the bound, or `deep` (at the plan's
    /// depth).
    fn node(
        &mut self,
        plan: &Plan,
        rng: &mut Rng,
        state: State,
        path: &[u16],
        deep: bool,
        arrival: Arrival,
    ) -> Option<Node> {
        let p = self.program;
        let enabled = enabled(p, &state, self.scenario);
        if enabled.is_empty() {
            if !state.tasks.is_empty() {
                dead_state(p, &state, path.to_vec()).into_iter().for_each(|f| self.keep(f));
            }
            return None;
        }
        if deep || state.tasks.len() > self.max_tasks {
            return None;
        }
        let choices: Vec<usize> = match plan.por {
            true => self.persistent.ample(p, &state, self.scenario, &enabled),
            false => None,
        }
        .unwrap_or_else(|| (0..enabled.len()).collect());
        let mut weights: Vec<u64> = choices.iter().map(|&k| plan.weight(&state, &enabled[k])).collect();
        let mut choices: Vec<u16> = choices.into_iter().map(|k| k as u16).collect();
        let take = if plan.backtrack { choices.len() } else { 1 };
        // Drawn first, taken first: the order is reversed for popping.
        let mut order = Vec::with_capacity(take);
        for _ in 0..take {
            let i = rng.pick(&weights);
            order.push(choices.swap_remove(i));
            weights.swap_remove(i);
        }
        order.reverse();
        Some(Node { state, enabled, order, arrival })
    }

    /// When `next`, reached by an instant step (`arrival`), is a state of the
    /// run's stack reached from it by instant steps only, it is on a cycle
    /// of instant steps: its node then takes the steps held back by maximal
    /// progress that every state of the cycle holds back (a timer's,
    /// ticker's or deadline's only when no step of the cycle makes or
    /// resets it), numbered after its enabled steps.
    fn round_a_cycle(&self, stack: &[Node], next: &State, arrival: Arrival) -> Option<Node> {
        if !arrival.instant {
            return None;
        }
        let mut renamed = arrival.renamed;
        let mut from = stack.len();
        loop {
            from = from.checked_sub(1)?;
            let node = &stack[from];
            if node.arrival.print == arrival.print && node.state == *next {
                break;
            }
            if !node.arrival.instant {
                return None;
            }
            renamed |= node.arrival.renamed;
        }
        let (p, scenario) = (self.program, self.scenario);
        let held = held_back(p, next, scenario);
        let there: Vec<Vec<Transition>> =
            stack[from + 1..].iter().map(|node| held_back(p, &node.state, scenario)).collect();
        // A timed object made or reset on the cycle is not due on it, and
        // then time passes for the step's own object only (see
        // `Transition::narrow`).
        let along = |t: &Transition| match t.actor {
            Actor::Fire(o) | Actor::Deadline(o) => !Applied::names_anew(renamed, o),
            _ => true,
        };
        let takes =
            |t: &Transition| along(t) && t.narrow == (renamed != 0) && there.iter().all(|ts| ts.contains(t));
        let mut enabled = enabled(p, next, scenario);
        // Numbered as paths number them: after the enabled steps, among all held back.
        let order: Vec<u16> =
            (0..held.len()).rev().filter(|&h| takes(&held[h])).map(|h| (enabled.len() + h) as u16).collect();
        if order.is_empty() {
            return None;
        }
        enabled.extend(held);
        Some(Node { state: next.clone(), enabled, order, arrival })
    }
}

/// A state on the stack of a run: its steps (in the numbering of paths,
/// [`enabled`] and on a cycle of instant steps those held back), those still
/// to take, last first, and how the run reached it.
struct Node {
    state: State,
    enabled: Vec<Transition>,
    order: Vec<u16>,
    arrival: Arrival,
}

/// How a run reached a state: its fingerprint, whether by an instant step,
/// and the heap indices whose timed object that step made, reset or moved
/// there (`Applied::renamed`).
#[derive(Clone, Copy)]
struct Arrival {
    print: u64,
    instant: bool,
    renamed: u64,
}

/// A 64-bit fingerprint of a state for a run's visited cache: two states
/// that collide are taken for one, which can only make a run skip a state.
fn fingerprint(s: &State) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// What one run does, drawn from its seed.
struct Plan {
    /// How deep it goes.
    depth: usize,
    /// Steps it may take in all.
    budget: u64,
    /// A depth-first search (each state's steps all taken in turn, states
    /// met before in this run skipped) rather than a walk (one step per state).
    backtrack: bool,
    /// Only the steps of a persistent set in each state.
    por: bool,
    /// The weight of each task function's steps.
    funcs: Vec<u64>,
    /// The weight of the signal.
    signal: u64,
    /// The weight of timers, tickers and deadlines firing.
    timers: u64,
    /// The factor of a step's weight when it takes an alternative other
    /// than the first (work failing, a later `choose` branch).
    fails: u64,
}

/// Depths of runs: 2^6 to 2^12 steps.
const DEPTHS: std::ops::RangeInclusive<u32> = 6..=12;

/// A depth-first run may take this many steps per level of its depth.
const BACKTRACK: u64 = 4;

impl Plan {
    /// Every fourth run (the first among them) treats all steps alike; the
    /// others weigh them at random, some features left out.
    fn draw(rng: &mut Rng, p: &Program, max_depth: usize) -> Plan {
        let depth = (1usize << (DEPTHS.start() + rng.below(DEPTHS.count() as u64) as u32)).min(max_depth);
        let backtrack = rng.below(2) == 1;
        let por = rng.below(2) == 1;
        let budget = if backtrack { depth as u64 * BACKTRACK } else { depth as u64 };
        let mut plan = Plan {
            depth,
            budget,
            backtrack,
            por,
            funcs: vec![1; p.funcs.len()],
            signal: 1,
            timers: 1,
            fails: 1,
        };
        if rng.below(4) != 0 {
            const WEIGHTS: [u64; 8] = [0, 1, 1, 4, 4, 16, 16, 64];
            let mut weight = || WEIGHTS[rng.below(WEIGHTS.len() as u64) as usize];
            plan.funcs.iter_mut().for_each(|w| *w = weight());
            plan.signal = weight();
            plan.timers = weight();
            plan.fails = weight();
        }
        plan
    }

    /// The weight of step `t` of `s`.
    fn weight(&self, s: &State, t: &Transition) -> u64 {
        let base = match t.actor {
            Actor::Task(slot) => self.funcs[s.tasks[slot as usize].func as usize],
            Actor::Signal => self.signal,
            Actor::Deadline(_) | Actor::Fire(_) => self.timers,
            // The walk of a cancellation is the canceller's own next step.
            Actor::Walk(_) => 1,
        };
        if t.alt != 0 {
            base * self.fails
        } else {
            base
        }
    }
}

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    /// The generator of run `run` of the hunt seeded `seed`.
    fn new(seed: u64, run: u64) -> Rng {
        let mut r = Rng(seed ^ run.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (> 0).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// An index into `weights`, each with probability proportional to its
    /// weight; uniform when every weight is 0.
    fn pick(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        if total == 0 {
            return self.below(weights.len() as u64) as usize;
        }
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        unreachable!("x is below the total of the weights")
    }
}

/// The hunt that runs alongside the searches of one exploration, in step
/// with them: once a search has stored [`START`] states, each batch of
/// states that a search expands is expanded beside a share of the hunt (on
/// a thread of its own when there are several, the expansion keeping all of
/// them), and the share is a [`SHARE`]th of the transitions the search took
/// in the batch before, up to [`BUDGET`] steps in all: a search that will
/// end soon loses little to it (heartbeat_tree_3 in cancel, two threads:
/// 12.3 s without the hunt, 19.9 s with a share as large as the search's;
/// in the fourteenth round 7.4 s without, 9.0 s with a fourth, 7.9 s with
/// an eighth, while models/perf/deep_deadlock is found after the same
/// 77,225 states with either).
/// So the hunt does the same runs, in the same order, whatever the threads
/// and the clock; only the caller's time bound can cut it short.
pub(crate) struct Alongside<'p> {
    hunter: Hunter<'p>,
    /// Transitions the searches have taken, in all and in the last batch.
    credit: u64,
    last: u64,
    /// Whether a search has stored [`START`] states.
    started: bool,
    /// The steps the hunt is due to have taken after its share of the batch.
    due: u64,
}

/// The hunt joins a search that has stored this many states: smaller
/// searches end soon, with every finding and the shortest paths.
pub(crate) const START: usize = 1 << 16;

/// The most steps the hunt of one scenario takes.
pub(crate) const BUDGET: u64 = 1 << 22;

/// The hunt takes one step for this many transitions of the search.
pub(crate) const SHARE: u64 = 8;

impl<'p> Alongside<'p> {
    pub fn new(program: &'p Program, scenario: Scenario, options: &Options) -> Alongside<'p> {
        let hunter = Hunter::new(program, scenario, options, SEED);
        Alongside { hunter, credit: 0, last: 0, started: false, due: 0 }
    }

    /// Counts the transitions a search took in its last batch.
    pub fn credit(&mut self, transitions: usize) {
        self.credit += transitions as u64;
        self.last = transitions as u64;
    }

    /// Whether the hunt has met a finding of a kind that `violation` says
    /// is one: the verdict is settled.
    pub fn violated(&self, violation: &dyn Fn(FindingKind) -> bool) -> bool {
        self.hunter.found.values().any(|f| violation(f.kind))
    }

    /// Runs `expand` (a search expanding a batch on the number of threads
    /// it is given) and the hunt's share beside it, once the search has
    /// `stored` states: on a thread of its own when `workers` allows, else
    /// after the batch.
    pub fn beside(&mut self, stored: usize, workers: usize, expand: impl FnOnce(usize)) {
        self.started |= stored >= START;
        let share = if self.started { (self.last / SHARE).min(BUDGET.saturating_sub(self.due)) } else { 0 };
        if share == 0 {
            return expand(workers);
        }
        self.due += share;
        let (hunter, due) = (&mut self.hunter, self.due);
        if workers < 2 {
            expand(1);
            return hunter.hunt_for(due);
        }
        std::thread::scope(|scope| {
            let hunting = scope.spawn(move || hunter.hunt_for(due));
            expand(workers);
            hunting.join().expect("the hunting thread panicked");
        });
    }

    /// The exploration with the hunt's findings added, each not found by
    /// the search (whose paths are shortest) with its path shortened. A
    /// complete exploration has found everything: it is returned as it is.
    /// An exploration cut short by a bound other than time first gets the
    /// rest of the hunt's share (as many steps as the searches took
    /// transitions, up to [`BUDGET`]), until `stop`.
    pub fn finish(mut self, mut exploration: Exploration, stop: &dyn Fn() -> bool) -> Exploration {
        let Some(bound) = exploration.incomplete else { return exploration };
        if !matches!(bound, Bound::Time | Bound::Hunted) {
            self.hunter.hunt_until(self.credit.min(BUDGET), stop);
        }
        let mut findings = FindingMap::new();
        exploration.findings.into_iter().for_each(|f| record(&mut findings, f));
        for f in self.hunter.findings(&findings) {
            record(&mut findings, f);
        }
        exploration.findings = findings.into_values().collect();
        exploration
    }
}
