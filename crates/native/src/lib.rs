//! The native prover: explicit-state breadth-first search over the reference
//! semantics, with shortest counterexamples, then a search for fair cycles
//! (strong fairness per task step and per select case) that finds tasks that
//! never exit. Partial-order reduction (on by default) settles verified
//! models with a search over persistent sets; symmetry reduction (on by
//! default) stores one order of the tasks of each function; a fair cycle
//! found under it is confirmed by a search without it. Pure: the caller
//! supplies the stop signal and the clock.

mod encode;
mod fair;
mod graph;
mod hunt;
mod offsets;
mod search;
mod shorten;
mod store;
mod trace;

pub use hunt::{hunt, Hunted, SEED};
pub use search::{explore, explore_persistent, explore_with};
pub use trace::{replay, task_names, ReplayError, Replayed, ReplayedStep};

use leash_semantics::{FindingKind, Scenario};
use std::time::Duration;

/// Bounds and switches for one exploration.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop after this many distinct states.
    pub max_states: usize,
    /// Do not expand states deeper than this.
    pub max_depth: usize,
    /// Stop when the visited set would exceed this many bytes (estimated).
    pub max_memory: usize,
    /// Do not expand states with more live tasks than this: a model that
    /// keeps spawning tasks that never end has no finite state space.
    pub max_tasks: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_states: 5_000_000, max_depth: 10_000, max_memory: 8 << 30, max_tasks: 32 }
    }
}

/// What the caller supplies to one exploration besides its bounds: when to
/// stop, where progress goes, and whether to reduce by symmetry.
#[derive(Clone, Copy)]
pub struct Control<'a> {
    /// Polled every 16 states and during the fair-cycle search; `true` ends
    /// the search as incomplete (time bound).
    pub stop: &'a dyn Fn() -> bool,
    /// Progress reports, if wanted.
    pub progress: Option<Reporter<'a>>,
    /// Symmetry reduction: the tasks of one function are interchangeable, so
    /// states that differ only in their order are stored once. Verdicts and
    /// finding kinds are the same either way; traces are given without it.
    pub symmetry: bool,
    /// Partial-order reduction: a first search takes only a persistent set of
    /// the steps in each state and settles verified models; anything else is
    /// decided by the search without it, so findings and traces are the same
    /// either way.
    pub por: bool,
    /// How many threads expand states (1: only the caller's). States are
    /// expanded in batches and their successors stored in order, so the
    /// result is the same, byte for byte, for any number.
    pub workers: usize,
    /// The bug hunt: once a search has stored 65,536 states, randomised
    /// depth-first runs go beside it (on a thread of their own when
    /// `workers` allows), in step with it, and a violation they meet stops
    /// it ([`Bound::Hunted`]); an exploration cut short by a bound gets
    /// their findings. Their paths are real but need not be shortest. A
    /// complete exploration is the same either way, and the result does not
    /// depend on `workers`.
    pub hunt: bool,
    /// Which kinds of finding are violations under the caller's options
    /// (by default every kind but the hygiene warnings): one that the bug
    /// hunt meets settles the verdict, and stops the search.
    pub violation: &'a dyn Fn(FindingKind) -> bool,
}

impl<'a> Control<'a> {
    /// Both reductions and the bug hunt on, no progress reports, one thread;
    /// the hygiene warnings are not violations.
    pub fn new(stop: &'a dyn Fn() -> bool) -> Control<'a> {
        Control {
            stop,
            progress: None,
            symmetry: true,
            por: true,
            workers: 1,
            hunt: true,
            violation: &|kind| !kind.is_warning(),
        }
    }
}

/// Where progress reports go. The core reads no clock: the caller's `elapsed`
/// paces the reports and is copied into them.
#[derive(Clone, Copy)]
pub struct Reporter<'a> {
    /// Time since the check started, by the caller's clock.
    pub elapsed: &'a dyn Fn() -> Duration,
    /// Called with a snapshot about every 65,536 states or 100 ms of
    /// `elapsed`, whichever comes first, and when a phase starts.
    pub report: &'a dyn Fn(&Progress),
}

/// Which part of an exploration is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The breadth-first search.
    Search,
    /// The search for fair cycles in the explored graph (for a search over
    /// persistent sets, for any cycle).
    FairCycles,
    /// A search without symmetry reduction, confirming a fair cycle found with it.
    Confirm,
    /// A search without partial-order reduction, after the reduced one found
    /// something or a cycle.
    Unreduced,
    /// The bug hunt, after a search cut short by a bound.
    Hunt,
}

/// A snapshot of a running exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// What is running.
    pub phase: Phase,
    /// Distinct states stored so far.
    pub states: usize,
    /// Transitions taken so far.
    pub transitions: usize,
    /// The breadth-first level being expanded.
    pub depth: usize,
    /// States stored but not yet expanded.
    pub frontier: usize,
    /// Bytes held by the visited set and the edges (estimated).
    pub store_bytes: usize,
    /// The caller's `elapsed` at this report.
    pub elapsed: Duration,
}

/// Why an exploration is incomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// `--max-states` was reached.
    States(usize),
    /// `--max-depth` was reached.
    Depth(usize),
    /// `--max-memory` was reached.
    Memory(usize),
    /// The caller's time budget ran out.
    Time,
    /// `--max-tasks` was reached: more tasks alive at once than this, most
    /// of them running `func` (a task function of the program).
    Tasks {
        /// The bound.
        limit: usize,
        /// The function with the most live tasks in the first state over it.
        func: u16,
        /// How many of them were alive there.
        alive: usize,
    },
    /// The bug hunt met a violation: the verdict is settled, and the search
    /// stopped there.
    Hunted,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::States(n) => write!(f, "max-states {n}"),
            Bound::Depth(n) => write!(f, "max-depth {n}"),
            Bound::Memory(n) => write!(f, "max-memory {} MiB", n >> 20),
            Bound::Time => write!(f, "timeout"),
            Bound::Tasks { limit, .. } => write!(f, "max-tasks {limit}"),
            Bound::Hunted => write!(f, "stopped: the bug hunt found a violation"),
        }
    }
}

/// A counterexample: what was found, and the steps that lead there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// The task functions it names (the stuck or spinning ones; for a deadlock, every blocked one).
    pub funcs: Vec<u16>,
    /// A detail (the panic message, the warning's reason).
    pub detail: String,
    /// The instruction that caused it, as (function, pc), if one did.
    pub at: Option<(u16, u16)>,
    /// Indices into the enabled-transition list of each state, from the initial state.
    pub path: Vec<u16>,
    /// For a fair cycle: the steps from the end of `path` back to that same state.
    pub cycle: Vec<u16>,
}

/// Counters of one exploration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Distinct states.
    pub states: usize,
    /// Transitions taken.
    pub transitions: usize,
    /// The deepest breadth-first level reached.
    pub max_depth: usize,
    /// Bytes held by the visited set at the end.
    pub store_bytes: usize,
}

/// The outcome of exploring one scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exploration {
    /// The scenario explored.
    pub scenario: Scenario,
    /// Findings in a fixed order (kind, then task, then detail).
    pub findings: Vec<Finding>,
    /// Counters.
    pub stats: Stats,
    /// `None` if every state was explored; the bound hit otherwise.
    pub incomplete: Option<Bound>,
}
