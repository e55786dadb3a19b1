//! The state of a running model: live tasks, the heap of objects, the signal.

use std::sync::Arc;

/// A run-time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// What a plain signal carries.
    Unit,
    /// A boolean.
    Bool(bool),
    /// A small integer.
    Int(i16),
    /// An atom.
    Atom(u16),
    /// The result `ok`.
    Ok,
    /// The result `err`.
    Err,
    /// The nil channel.
    Nil,
    /// A handle to a heap object (channel, mutex, context, array...).
    Obj(u16),
    /// A reference to a shared cell (`var`); reads go through it.
    Ref(u16),
    /// The done channel of the context at this heap index.
    Done(u16),
    /// A live task, by its slot.
    Task(u16),
    /// A task that has exited.
    TaskDone,
    /// A helper function (callback).
    Func(u16),
}

/// One activation of a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The function.
    pub func: u16,
    /// The next instruction.
    pub pc: u16,
    /// Local slots.
    pub locals: Vec<Value>,
    /// Deferred blocks, innermost last.
    pub defers: Vec<Deferred>,
    /// The value being returned, once returning.
    pub ret: Option<Value>,
}

/// A registered deferred block, with the values its call's operands had at
/// the `defer` statement (stored into their hidden locals when it runs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Deferred {
    /// Where the block starts.
    pub block: u16,
    /// (hidden local, value) for each captured operand.
    pub args: Vec<(u16, Value)>,
}

/// A live task.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Task {
    /// The task's function (its name in traces).
    pub func: u16,
    /// The slot of the task that spawned it, while that one lives.
    pub owner: Option<u16>,
    /// The error group it runs in.
    pub group: Option<u16>,
    /// Progress inside a multi-step operation (rwmutex lock, cond wait,
    /// wait group wait): 0 before it; see the operations for the others.
    pub phase: u8,
    /// While the task is parked in a wait queue (a channel operation or
    /// select that found nothing ready, a cond wait): its place in line,
    /// counted from 1 among the tasks it shares a queue with. 0 otherwise.
    pub wait: u16,
    /// `leash_ir::POLLING` when the task has gone round a polling loop (one
    /// with a `select` with `default` or a `yield`) since it last waited or
    /// time last passed; 0 otherwise. Back at a poll (a `select` whose only
    /// step is `default`, or a `yield`), such a task is polling, and time
    /// passes while it polls.
    pub spin: u8,
    /// Whether the task has observed a done context (received from its done
    /// channel, read `err` from it, or had work on it fail).
    pub seen: bool,
    /// The call stack; empty once the task has exited.
    pub frames: Vec<Frame>,
    /// The panic the task is unwinding, running its deferred calls first
    /// as Go does; the program stops once they are done.
    pub panic: Option<Arc<Panic>>,
}

/// A panic on its way out of a task: where it happened and Go's message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Panic {
    /// The instruction that panicked, as (function, instruction).
    pub at: Option<(u16, u16)>,
    /// Go's message.
    pub detail: String,
}

impl Task {
    /// Every value the task holds: the locals, return values and deferred
    /// operands of each of its frames.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.frames.iter().flat_map(|f| {
            f.locals.iter().chain(&f.ret).chain(f.defers.iter().flat_map(|d| d.args.iter().map(|(_, v)| v)))
        })
    }
}

/// What kind of context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CtxKind {
    /// `background()`: never cancelled.
    Background,
    /// `signal()`: cancelled when the environment sends the signal.
    Signal,
    /// `with_cancel`.
    Cancel,
    /// `with_timeout`: also cancelled when its deadline fires.
    Timeout,
    /// An error group's context.
    Group,
}

/// A timer's life. Its channel holds one value from when it fires until
/// that value is received; `stop` does not drain it (Go before 1.23).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerState {
    /// Will fire.
    Armed,
    /// Fired; the value waits in its channel.
    Pending,
    /// Fired and received.
    Done,
    /// Stopped before firing.
    Stopped,
    /// Reset after it fired, its value still waiting in its channel: it will
    /// fire again (and that value is dropped while the old one waits, as
    /// Go's timer sends without blocking).
    Rearmed,
}

impl TimerState {
    /// Whether the timer will fire (Go's "active": what `Stop` and `Reset` report).
    pub fn active(self) -> bool {
        matches!(self, TimerState::Armed | TimerState::Rearmed)
    }

    /// Whether a value waits in its channel.
    pub fn waiting(self) -> bool {
        matches!(self, TimerState::Pending | TimerState::Rearmed)
    }
}

/// A heap object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Object {
    /// A shared variable.
    Cell { value: Value, range: Option<(i16, i16)> },
    /// A fixed-size array.
    Array(Vec<Value>),
    /// A channel.
    Chan { cap: u8, buf: Vec<Value>, closed: bool },
    /// `sync.Mutex`.
    Mutex { locked: bool },
    /// `sync.RWMutex`, with Go's own fields.
    RwMutex(crate::RwMutex),
    /// `sync.Cond` over a mutex.
    Cond { mutex: u16 },
    /// `sync.Once`: 0 not run, 1 running, 2 done.
    Once { state: u8 },
    /// `sync.WaitGroup`: the counter and the tasks parked in `wait`.
    WaitGroup { count: i16, waiters: u8 },
    /// `errgroup.Group`: its context, the tasks running, the limit, whether
    /// one failed, and the tasks parked in `wait` (its `sync.WaitGroup`'s).
    Group { ctx: u16, active: u8, limit: u8, failed: bool, waiters: u8 },
    /// A context. `creator` is the function that made it (for messages);
    /// `holder` is the slot of that task while it lives: it owes the cancel call.
    /// `aged`: time has passed since it was made. Its deadline (or for the
    /// signal's context, in completion, the signal) may then land between
    /// any two instant steps: Go cancels from a goroutine of its own
    /// (`time.AfterFunc`), which runs beside the tasks that a timed step
    /// expiring at the same instant woke.
    Ctx {
        kind: CtxKind,
        parent: Option<u16>,
        cancelled: bool,
        cancel_called: bool,
        creator: u16,
        holder: Option<u16>,
        aged: bool,
        /// Cancelled, and Go's cancellation has closed its done channel but
        /// not yet walked down to its children (it holds the context's lock
        /// meanwhile): they are not done yet, and its `err()` waits. A step
        /// of the environment ends the walk ([`crate::Actor::Walk`]).
        walking: bool,
    },
    /// `time.Ticker`: running until stopped; `pending` while a tick waits in
    /// its channel (a tick that finds the channel full is dropped). A
    /// `short` one may tick between any two steps. `aged`: running, and time
    /// has passed since it was made or reset (a fresh one is next due a whole
    /// period on, so it does not tick at the instant it was made).
    Ticker { running: bool, pending: bool, creator: u16, short: bool, aged: bool },
    /// `time.Timer`. A `short` one may fire between any two steps; so may a
    /// long one that is `aged`: armed, and time has passed since it was
    /// armed (Go's timer pass reads the clock once, and a timer due just
    /// after it fires at the next scheduling point, among the steps of the
    /// tasks the pass woke).
    Timer { state: TimerState, creator: u16, short: bool, aged: bool },
}

impl Object {
    /// Whether time steps it: a timer, a ticker or a context with a deadline.
    pub fn is_timed(&self) -> bool {
        matches!(
            self,
            Object::Ticker { .. } | Object::Timer { .. } | Object::Ctx { kind: CtxKind::Timeout, .. }
        )
    }
}

/// A whole state. Canonical after every step: exited tasks removed, the heap
/// collected and numbered in the order it is reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct State {
    /// Live tasks in spawn order, each shared with the states it did not
    /// change in (copied on write: see [`State::task_mut`]).
    pub tasks: Vec<Arc<Task>>,
    /// Objects; the first ones are the model-level variables.
    pub heap: Vec<Object>,
    /// Whether the environment has sent the signal.
    pub signalled: bool,
    /// Whether the last step was a timed one while another that may tie was
    /// pending: then that one may come at the same instant, before the tasks
    /// woken take their instant steps.
    pub instant: bool,
}

impl State {
    /// The task in `slot`, to change: copied first if another state shares it.
    pub fn task_mut(&mut self, slot: usize) -> &mut Task {
        Arc::make_mut(&mut self.tasks[slot])
    }

    /// Whether the context at heap index `above` is a proper ancestor of
    /// the one at `ctx`.
    pub fn ctx_above(&self, above: u16, ctx: u16) -> bool {
        self.ctx_lineage(ctx).skip(1).any(|c| c == above)
    }

    /// The context at heap index `ctx`, then its parent, its parent's
    /// parent, and so on up to a root.
    pub fn ctx_lineage(&self, ctx: u16) -> impl Iterator<Item = u16> + '_ {
        std::iter::successors(Some(ctx), |&c| match self.heap.get(c as usize) {
            Some(Object::Ctx { parent: Some(p), .. }) => Some(*p),
            _ => None,
        })
    }

    /// Whether the context at `ctx` is done: cancelled itself, or its parent
    /// done and no longer walking down to its children.
    pub fn ctx_done(&self, mut ctx: u16) -> bool {
        loop {
            match self.heap.get(ctx as usize) {
                Some(Object::Ctx { kind, parent, cancelled, .. }) => {
                    if *cancelled || (*kind == CtxKind::Signal && self.signalled) {
                        return true;
                    }
                    match parent {
                        Some(p) if !self.ctx_walking(*p) => ctx = *p,
                        _ => return false,
                    }
                }
                _ => return false,
            }
        }
    }

    /// Whether the context at `ctx` is done but its cancellation has not
    /// walked down to its children yet.
    pub fn ctx_walking(&self, ctx: u16) -> bool {
        matches!(self.heap.get(ctx as usize), Some(Object::Ctx { walking: true, .. }))
    }

    /// Whether some context has the one at `ctx` as its parent.
    pub fn ctx_has_children(&self, ctx: u16) -> bool {
        self.heap.iter().any(|o| matches!(o, Object::Ctx { parent: Some(p), .. } if *p == ctx))
    }
}
