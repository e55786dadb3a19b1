//! The objects of the heap: Go's primitives as plain data. What they do lives
//! with the operations (`channels.rs`, `primitives.rs`, `contexts.rs`).

use crate::value::{ObjId, Value};
use crate::Instance;
use std::collections::VecDeque;

/// The select case of a parked task, or [`PLAIN`] for a plain `send`/`recv`.
pub(crate) type CaseIx = u16;

/// The case index of a plain `send` or `recv` (also what the log names a
/// plain sender's case).
pub(crate) const PLAIN: CaseIx = u16::MAX;

/// A task parked on an unbuffered channel, as Go's `sudog`: who, and for
/// which of its cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Waiter {
    /// The parked task.
    pub task: Instance,
    /// Its select case, or [`PLAIN`].
    pub case: CaseIx,
}

/// A channel.
#[derive(Clone, Debug)]
pub(crate) struct Chan {
    /// The capacity; 0 for an unbuffered channel.
    pub cap: usize,
    /// The buffered values, oldest first.
    pub buf: VecDeque<Value>,
    /// Whether it was closed.
    pub closed: bool,
    /// Receivers parked on it (unbuffered channels only), by instance.
    pub recvq: Vec<Waiter>,
    /// Senders parked on it (unbuffered channels only), by instance.
    pub sendq: Vec<Waiter>,
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
    /// Its number among the contexts of the execution, in creation order.
    pub number: u32,
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

/// The state of a timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerState {
    /// It will fire.
    Armed,
    /// It fired and was received.
    Fired,
    /// It was stopped before it fired.
    Stopped,
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
    /// A readers-writer mutex.
    RwMutex {
        /// Readers inside.
        readers: u16,
        /// Whether a writer is inside.
        writer: bool,
        /// Whether a writer announced itself and waits for the readers to leave.
        writer_waiting: bool,
    },
    /// A condition variable.
    Cond {
        /// Its mutex.
        mutex: ObjId,
        /// Tasks waiting for a signal, in arrival order.
        waiters: Vec<Instance>,
    },
    /// A `once`.
    Once(OnceState),
    /// A wait group.
    WaitGroup {
        /// The counter.
        count: i16,
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
    },
    /// A context.
    Ctx(Ctx),
    /// A ticker.
    Ticker {
        /// Whether it ticks (not stopped).
        running: bool,
    },
    /// A timer.
    Timer(TimerState),
}
