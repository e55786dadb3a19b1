//! The objects of the heap: Go's primitives as plain data, wait queues
//! included. What they do lives with the operations (`channels.rs`,
//! `primitives.rs`, `contexts.rs`, `time.rs`).

use crate::value::{ObjId, Value};
use crate::Instance;
use std::collections::VecDeque;

/// The select case of a parked task, or [`PLAIN`] for a plain `send`/`recv`.
pub(crate) type CaseIx = u16;

/// The case index of a plain `send` or `recv` (also what the log names a
/// plain partner's case).
pub(crate) const PLAIN: CaseIx = u16::MAX;

/// A task parked in a wait queue, as Go's `sudog`: who, and for which of its
/// cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Waiter {
    /// The parked task.
    pub task: Instance,
    /// Its select case, or [`PLAIN`].
    pub case: CaseIx,
}

/// A wait queue: first parked, first served.
pub(crate) type Queue = VecDeque<Waiter>;

/// A channel.
#[derive(Clone, Debug)]
pub(crate) struct Chan {
    /// The capacity; 0 for an unbuffered channel.
    pub cap: usize,
    /// The buffered values, oldest first.
    pub buf: VecDeque<Value>,
    /// Whether it was closed.
    pub closed: bool,
    /// Receivers parked on it, first parked first.
    pub recvq: Queue,
    /// Senders parked on it (the buffer is full, or there is none), first parked first.
    pub sendq: Queue,
}

/// Which kind of context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CtxKind {
    /// `background()`.
    Background,
    /// `signal()`: done once the environment sends the signal.
    Signal,
    /// `with_cancel(parent)`, and the context of an error group.
    Cancel,
    /// `with_timeout(parent)`: also done once its deadline fires.
    Timeout,
}

/// A context.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    /// Its kind.
    pub kind: CtxKind,
    /// Its parent, if any.
    pub parent: Option<ObjId>,
    /// Cancelled by `cancel`, by its error group, or by its deadline.
    pub cancelled: bool,
    /// Time has passed since it was made: its deadline (or in completion,
    /// for a `signal()` context, the signal) may land between any two
    /// instant steps, as Go cancels from a goroutine of its own.
    pub aged: bool,
    /// Cancelled, its done channel closed, while the cancellation has not
    /// walked down to its children yet (holding the context's lock).
    pub walking: bool,
}

/// The state of a `once`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnceState {
    /// Nobody called `do` yet.
    NotRun,
    /// The first caller runs the body.
    Running,
    /// The body has finished.
    Done,
}

/// The life of a timer (Go before 1.23: `stop` does not drain a value that
/// already waits in the channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerState {
    /// It will fire when time passes.
    Armed,
    /// It fired; its value waits in the channel.
    Pending,
    /// It fired and the value was received.
    Received,
    /// It was stopped before it fired.
    Stopped,
    /// It was reset after it fired, its value still waiting: it fires again
    /// (dropping that value while the old one waits).
    Rearmed,
}

impl TimerState {
    /// Whether it will fire (what Go's `Stop` and `Reset` report).
    pub(crate) fn active(self) -> bool {
        matches!(self, TimerState::Armed | TimerState::Rearmed)
    }

    /// Whether a value waits in its channel.
    pub(crate) fn waiting(self) -> bool {
        matches!(self, TimerState::Pending | TimerState::Rearmed)
    }
}

/// An object of the heap.
#[derive(Clone, Debug)]
pub(crate) enum Object {
    /// A shared cell: a `var` (model-level or in a body).
    Cell {
        /// Its value.
        value: Value,
        /// Its declared integer range, bounds included.
        range: Option<(i16, i16)>,
    },
    /// An array.
    Array(Vec<Value>),
    /// A channel.
    Chan(Chan),
    /// A mutex.
    Mutex {
        /// Whether someone holds it.
        locked: bool,
    },
    /// A readers-writer mutex, with Go's own fields (as the reference
    /// semantics keeps them).
    RwMutex(leash_semantics::RwMutex),
    /// A condition variable.
    Cond {
        /// Its mutex.
        mutex: ObjId,
        /// Its notify list: tasks in `c.wait()`, first to wait first.
        waiters: VecDeque<Instance>,
    },
    /// A `once`.
    Once(OnceState),
    /// A wait group.
    WaitGroup {
        /// The counter.
        count: i16,
        /// Tasks parked in `wg.wait()` until the counter reaches zero.
        waiters: Vec<Instance>,
    },
    /// An error group.
    Group {
        /// Its context.
        ctx: ObjId,
        /// Tasks of the group still running.
        running: i16,
        /// At most this many tasks run at once.
        limit: Option<i16>,
        /// Whether a task of the group returned `err`.
        failed: bool,
        /// Tasks parked in `g.wait()` (its WaitGroup's `Wait`) until no task
        /// of the group runs.
        waiters: Vec<Instance>,
    },
    /// A context.
    Ctx(Ctx),
    /// A ticker: its channel holds at most one tick.
    Ticker {
        /// Whether it ticks (not stopped).
        running: bool,
        /// Whether a tick waits in its channel.
        pending: bool,
        /// Whether it may tick between any two steps (`ticker(short)`).
        short: bool,
        /// Whether time has passed since it was made or reset: a fresh one
        /// does not tick at the instant it was made.
        aged: bool,
        /// Receivers parked on it, first parked first.
        recvq: Queue,
    },
    /// A timer.
    Timer {
        /// Where it is in its life.
        state: TimerState,
        /// Whether it may fire between any two steps (`timer(short)`).
        short: bool,
        /// Whether time has passed since it was armed: then it may fire
        /// between any two steps too (see [`World::aged_steps`]).
        aged: bool,
        /// Receivers parked on it, first parked first.
        recvq: Queue,
    },
}

impl Object {
    /// Whether the environment may act on the object when time passes or at
    /// any moment (a context, a timer, a ticker): such objects are numbered
    /// in the log (see [`crate::Entry::Fire`]).
    pub(crate) fn is_clocked(&self) -> bool {
        matches!(self, Object::Ctx(_) | Object::Timer { .. } | Object::Ticker { .. })
    }

    /// The queue of receivers parked on the object, if it has one.
    pub(crate) fn recvq(&self) -> Option<&Queue> {
        match self {
            Object::Chan(ch) => Some(&ch.recvq),
            Object::Ticker { recvq, .. } | Object::Timer { recvq, .. } => Some(recvq),
            _ => None,
        }
    }

    /// The queue of receivers parked on the object, to change.
    pub(crate) fn recvq_mut(&mut self) -> Option<&mut Queue> {
        match self {
            Object::Chan(ch) => Some(&mut ch.recvq),
            Object::Ticker { recvq, .. } | Object::Timer { recvq, .. } => Some(recvq),
            _ => None,
        }
    }
}
