//! The reference semantics of leash: the state of a model, the steps enabled
//! in a state, and the state after a step. Every engine is held to this crate:
//! the native explorer searches it, and counterexamples from any engine replay
//! on it. Pure and deterministic: no I/O, no clocks, no hash-order iteration.

mod canon;
mod describe;
mod eval;
mod persistent;
mod rwmutex;
mod state;
mod step;
mod symmetry;

pub use describe::{describe_step, touches, wait_reason, StepText, Touch};
pub use persistent::Persistent;
pub use rwmutex::RwMutex;
pub use state::{CtxKind, Deferred, Frame, Object, Panic, State, Task, TimerState, Value};
pub use step::{apply, enabled, held_back, initial, path_steps, Actor, Applied, Transition};
pub use symmetry::{reduce_successor, reduce_symmetry, rename, settled_print, Reduction, Renaming, Settled};

use serde::Serialize;

/// Which environment a run explores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// No work fails; the signal arrives when time passes, like a timer.
    Completion,
    /// Any work may fail, and the signal may arrive at any moment: every
    /// combination of environment events.
    Error,
    /// No work fails; the signal may arrive at any moment, between any two steps.
    Cancel,
}

impl Scenario {
    /// All scenarios in table order.
    pub const ALL: [Scenario; 3] = [Scenario::Completion, Scenario::Error, Scenario::Cancel];

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Completion => "completion",
            Scenario::Error => "error",
            Scenario::Cancel => "cancel",
        }
    }

    /// Whether `self` and `other` enable the same steps in every state of
    /// `p`, so that exploring one explores the other: the same scenario, or
    /// error and cancel in a model without `work` (the only step they treat
    /// apart: only in error may it return `err`).
    pub fn same_steps(self, other: Scenario, p: &leash_ir::Program) -> bool {
        let pair = [self, other];
        self == other
            || (pair.contains(&Scenario::Error)
                && pair.contains(&Scenario::Cancel)
                && !p.funcs.iter().any(|f| f.code.iter().any(|i| matches!(i, leash_ir::Instr::Work { .. }))))
    }

    /// Parses a lower-case name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The kinds of finding, violations first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A task blocked forever while others went on or exited.
    Leak,
    /// Every remaining task blocked, the root among them.
    Deadlock,
    /// A task that loops forever on a fair path.
    NoExit,
    /// A run-time panic (close of a closed channel, negative counter, ...).
    Panic,
    /// A task still running after its owner exited: the owner rule broken
    /// (a task spawned `detached` has no owner).
    Orphan,
    /// A ticker or timer dropped while still running (hygiene).
    Unstopped,
    /// A cancellable context dropped without its cancel being called (hygiene).
    Uncancelled,
    /// Work without a context started after the task's own context was cancelled (hygiene).
    WorkAfterCancel,
}

impl FindingKind {
    /// All kinds.
    pub const ALL: [FindingKind; 8] = [
        FindingKind::Leak,
        FindingKind::Deadlock,
        FindingKind::NoExit,
        FindingKind::Panic,
        FindingKind::Orphan,
        FindingKind::Unstopped,
        FindingKind::Uncancelled,
        FindingKind::WorkAfterCancel,
    ];

    /// The name used in output and `// expect:` lines.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Leak => "leak",
            FindingKind::Deadlock => "deadlock",
            FindingKind::NoExit => "no-exit",
            FindingKind::Panic => "panic",
            FindingKind::Orphan => "orphan",
            FindingKind::Unstopped => "unstopped",
            FindingKind::Uncancelled => "uncancelled",
            FindingKind::WorkAfterCancel => "work-after-cancel",
        }
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this is a hygiene warning (a violation only under
    /// `--strict`). A broken owner rule (`orphan`) is a violation, like a
    /// leak: every task must end before its owner does.
    pub fn is_warning(self) -> bool {
        matches!(self, FindingKind::Unstopped | FindingKind::Uncancelled | FindingKind::WorkAfterCancel)
    }
}

/// Something a step did that is a finding by itself: a panic or an owner-rule warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What kind.
    pub kind: FindingKind,
    /// The task it names (a function id of the IR).
    pub func: u16,
    /// The detail, e.g. "close of closed channel".
    pub detail: String,
    /// Where it happened, as (function, instruction), when one instruction caused it.
    pub at: Option<(u16, u16)>,
}
