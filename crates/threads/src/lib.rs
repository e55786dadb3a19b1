//! The leash IR run on real threads, for the loom and shuttle engines.
//!
//! Every task of a model becomes a thread of a thread library; Go's primitives
//! (channels with their wait queues, select, contexts, wait groups, error
//! groups, mutexes, rwmutexes, conds, onces, tickers, timers) are implemented
//! here, independently of the reference semantics, over the one lock and the
//! waits a [`Platform`] lends. A task's thread takes the task's
//! instant steps. Time and the environment need no thread of their own: the
//! thread whose step leaves no task able to move lets time pass at once, a
//! polling task's thread may let it pass instead of polling, right after a
//! timed step another but a tick may come at the same instant, and outside
//! the completion scenario the signal may come after any step. The library's
//! scheduler picks the interleaving; the free choices (select cases, work
//! outcomes, `choose`, which timed step comes first, whether a timed step
//! ties, whether the signal comes now) go through
//! [`Platform::choose`].
//!
//! An execution records a [`Log`]: one [`Entry`] per step of the reference
//! semantics, so that [`conform`] can replay it on `leash-semantics` and every
//! finding an engine reports is checked there; and the tasks its steps left
//! running after their owner exited ([`Orphan`]), the owner rule broken.

pub mod conform;
pub mod explore;

mod channels;
mod contexts;
mod eval;
mod exec;
mod lines;
mod map_race;
mod objects;
mod plan;
mod primitives;
mod runtime;
mod ties;
mod time;
mod value;
mod world;

pub use world::World;

use std::ops::DerefMut;

/// Runs one execution of the model in the [`World`] behind `platform`'s
/// lock, on the calling thread, which must be a thread of the platform's
/// library: initialises the model-level variables, runs `main` on this
/// thread and starts a thread per spawned task. The thread that finishes
/// last hands the execution's [`Outcome`] to [`Platform::finish`]. Each log
/// entry is passed to [`Platform::record`] as it is made.
///
/// On a platform that [waits for its threads](Platform::WAITS_FOR_THREADS),
/// this returns once every thread it started has finished (and it is the one
/// that finishes last); otherwise it returns as soon as `main`'s task is
/// done, and the library runs the other threads to their end.
///
/// When the execution gets stuck and [`Config::detect_stuck`] is off, the
/// threads stay blocked in [`Platform::wait`] and the execution never
/// finishes: the library's own deadlock detection has to end it.
pub fn run<P: Platform>(platform: &P) {
    runtime::run(platform)
}

/// What a thread library lends the runtime.
///
/// The runtime keeps all of a model's shared state in one [`World`] behind
/// the platform's lock; a task that cannot move waits until a step wakes it.
/// Engines implement this with their library's `Mutex` and `thread::spawn`,
/// and its thread parking (loom) or a `Condvar` per thread (shuttle).
pub trait Platform: Clone + Send + Sync + 'static {
    /// The guard of the locked world.
    type Guard<'a>: DerefMut<Target = World>
    where
        Self: 'a;

    /// Locks the world.
    fn lock(&self) -> Self::Guard<'_>;

    /// Releases the lock, waits until [`Platform::wake`] names `who`, and
    /// locks again. `who` names the waiting thread ([`Sleeper`]): each waits
    /// on its own, so that a step wakes only the threads it let move (a
    /// woken thread that cannot move is a scheduling point the library
    /// explores for nothing).
    fn wait<'a>(&'a self, guard: Self::Guard<'a>, who: Sleeper) -> Self::Guard<'a>;

    /// Wakes the thread waiting as `who`, if it waits. Called with the lock held.
    fn wake(&self, who: Sleeper);

    /// Starts a thread of the library.
    fn spawn(&self, f: impl FnOnce() + Send + 'static);

    /// Whether [`run`] must wait for every thread it started before it
    /// returns: true for a library that ends an execution when its first
    /// thread returns (shuttle). A library that runs every thread to its end
    /// (loom) is better off without: each wait and wake is a scheduling point
    /// it explores, and a join multiplies the interleavings of one log.
    const WAITS_FOR_THREADS: bool;

    /// Receives the outcome of the execution, from the thread that finishes
    /// last.
    fn finish(&self, outcome: Outcome);

    /// A free choice among `n >= 2` alternatives: the engine explores every
    /// answer (or samples one), and the answer is in `0..n`.
    fn choose(&self, n: usize) -> usize;

    /// Keeps a copy of each entry of the log as it is made, outside the
    /// library's world, so that an execution the library aborts (a deadlock
    /// it detects itself) still has its steps. False when the engine has
    /// explored every execution this one can become in another run (see
    /// [`explore::Choices::logged`]): it then ends at once, as
    /// [`End::Redundant`].
    fn record(&self, entry: &Entry) -> bool;
}

/// Names a waiting thread: [`Sleeper::JOIN`] the caller of [`run`] waiting
/// for every other thread to finish (on a platform that
/// [waits for them](Platform::WAITS_FOR_THREADS)), then one per task instance
/// ([`Sleeper::task`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sleeper(pub usize);

impl Sleeper {
    /// The caller of [`run`], waiting for the other threads to finish.
    pub const JOIN: Sleeper = Sleeper(0);

    /// The thread of task `t`.
    pub fn task(t: Instance) -> Sleeper {
        Sleeper(1 + t as usize)
    }
}

/// A task instance: 0 is `main`, then tasks in the order they were spawned in
/// this execution.
pub type Instance = u32;

/// One step of an execution, in the terms of the reference semantics
/// (`leash_semantics::Transition`), so that it can be replayed there.
///
/// Contexts, timers and tickers are named by number: the order in which the
/// execution made them, counting only those still reachable at the end of
/// the step that made them (the reference collects the others at once).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    /// A task took a step at its visible instruction `pc` of function `func`:
    /// an instant step, or a timed one (its `work` or `sleep` ended, an
    /// `after` case fired).
    Step {
        /// Who moved: the task arriving at an operation, not the parked
        /// partner it completed.
        task: Instance,
        /// The function of the frame that moved.
        func: u16,
        /// The visible instruction it executed.
        pc: u16,
        /// The select case taken (`cases.len()` for `default`), or
        /// [`Entry::PARK`] when the task parked; 0 otherwise.
        case: u16,
        /// A work outcome (0 ok, 1 err) or a `choose` branch; 0 otherwise.
        alt: u16,
        /// The parked task the step completed, and that task's select case
        /// (`u16::MAX` for a plain `send` or `recv`).
        partner: Option<(Instance, u16)>,
        /// Whether the step waited for time to pass.
        time: bool,
    },
    /// Time passed and a timer fired or a ticker ticked.
    Fire {
        /// The timer or ticker, by number.
        obj: u32,
        /// Which case of its first parked receiver's select took the value,
        /// among those on it (0 when it has one).
        alt: u16,
    },
    /// Time passed and the deadline of a `with_timeout` context expired.
    Deadline {
        /// The context, by number.
        ctx: u32,
    },
    /// The cancellation of a context, by number, walked down to its children.
    Walk {
        /// The context, by number.
        ctx: u32,
    },
    /// The environment sent the signal.
    Signal,
}

impl Entry {
    /// The `case` of a step in which a task parks in the wait queues of its
    /// channel operation.
    pub const PARK: u16 = u16::MAX;
}

/// The steps of one execution, in order.
pub type Log = Vec<Entry>;

/// A task that was blocked when an execution got stuck.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// Which task.
    pub task: Instance,
    /// Its function.
    pub func: u16,
    /// The function and instruction of its top frame.
    pub at: (u16, u16),
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every task exited.
    Exited,
    /// No task could move and the environment had nothing left to do.
    Stuck {
        /// Whether `main` was among the blocked tasks.
        main_alive: bool,
        /// The blocked tasks, by instance.
        blocked: Vec<Blocked>,
    },
    /// A run-time panic.
    Panic {
        /// Which task.
        task: Instance,
        /// The function and instruction that panicked.
        at: (u16, u16),
        /// Go's message.
        message: String,
    },
    /// The execution took [`Config::max_steps`] steps without ending.
    StepBound,
    /// The model started more threads than the platform allows.
    TooManyThreads {
        /// How many threads the execution wanted (at least).
        needed: usize,
    },
    /// Cut short because every execution it could become is one of another
    /// run of the library ([`Platform::record`] said so): it shows nothing.
    Redundant,
}

/// A task still running when its owner exited: the owner rule broken
/// (`spawn detached` starts a task nobody owns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    /// The step in which the owner exited: its index in the log.
    pub step: usize,
    /// The task left running.
    pub task: Instance,
    /// Its function.
    pub func: u16,
    /// The function of the owner that exited.
    pub owner: u16,
}

/// What one execution did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Its steps.
    pub log: Log,
    /// How it ended.
    pub end: End,
    /// The tasks its steps left without their owner, in order.
    pub orphans: Vec<Orphan>,
}

/// Bounds of one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Which environment.
    pub scenario: leash_semantics::Scenario,
    /// Steps (log entries) after which an execution ends with [`End::StepBound`].
    pub max_steps: usize,
    /// Threads the platform allows: one per task (the calling thread runs `main`).
    pub max_threads: usize,
    /// Whether the runtime itself ends an execution in which nothing can move
    /// ([`End::Stuck`]); when off, the threads stay blocked and the library's
    /// own deadlock detection has to catch it.
    pub detect_stuck: bool,
}
