//! The shared state of one execution: heap, tasks, log and counters, all
//! behind the platform's one lock.

use crate::objects::Object;
use crate::value::{ObjId, Value};
use crate::{Config, End, Instance, Log, Orphan};
use leash_ir::{FuncId, Pc, Program};
use std::cell::Cell;
use std::sync::Arc;

/// Everything an execution shares: the heap of objects, the tasks with their
/// frames and status, the log, the thread counters, and how the execution
/// ended if it was cut short. Created by the engine, put behind the
/// [`crate::Platform`]'s lock, and driven by [`crate::run`].
pub struct World {
    /// The model.
    pub(crate) program: Arc<Program>,
    /// The bounds and the scenario.
    pub(crate) config: Config,
    /// Every object made so far; model-level variable `i` is cell `i`.
    pub(crate) heap: Vec<Object>,
    /// Every task started so far, by instance.
    pub(crate) tasks: Vec<Task>,
    /// The contexts, timers and tickers the log can name, by number (see
    /// [`crate::Entry::Fire`]).
    pub(crate) numbered: Vec<ObjId>,
    /// The steps taken.
    pub(crate) log: Log,
    /// The tasks left running by an owner that exited, in the order the
    /// steps orphaned them.
    pub(crate) orphans: Vec<Orphan>,
    /// Set once the execution is cut short: a panic, a bound, stuck.
    pub(crate) end: Option<End>,
    /// Whether the environment sent the signal.
    pub(crate) signalled: bool,
    /// Whether the signal sleeps: it was offered and did not come, and no
    /// step since could tell it coming before from coming after (see
    /// `runtime.rs`).
    pub(crate) signal_asleep: bool,
    /// Whether the step being taken looked at a context or changed one: set
    /// by every read of a context's state and every change to it.
    pub(crate) touched_ctx: Cell<bool>,
    /// The last ticket given to a task joining a line (see `lines.rs`).
    pub(crate) tickets: u32,
    /// The task whose step is being taken; `None` for a step of time or of
    /// the environment.
    pub(crate) mover: Option<Instance>,
    /// A panic whose task's deferred calls have run: the execution ends
    /// with it in this step.
    pub(crate) landed: Option<End>,
    /// Whether the last step was a timed one while another that may tie was
    /// pending: that one may come at the same instant, before the tasks
    /// woken move (see `time.rs`).
    pub(crate) instant: bool,
    /// Threads the execution asked for: the calling one, one per spawn.
    pub(crate) threads_asked: usize,
    /// Threads of the execution that have not finished: the caller of
    /// [`crate::run`] and one per task started.
    pub(crate) threads_running: usize,
    /// Tasks whose main frame returned during the current step, with their
    /// results: their exits are settled once every task the step moved has
    /// run ahead.
    pub(crate) exits: Vec<(Instance, Value)>,
    /// Whether the model-level variables are being initialised (the init
    /// function runs in task 0 before `main`).
    pub(crate) initialising: bool,
}

/// A task: a goroutine of the model.
#[derive(Clone, Debug)]
pub(crate) struct Task {
    /// Its function.
    pub func: FuncId,
    /// Its call stack; empty once it exited.
    pub frames: Vec<Frame>,
    /// Its error group, if it was started by `g.go`.
    pub group: Option<ObjId>,
    /// The task that spawned it, until that one exits; `None` for `main`
    /// and for a task spawned `detached`.
    pub owner: Option<Instance>,
    /// Where it is in an operation that takes two steps.
    pub phase: Phase,
    /// Whether it exited.
    pub exited: bool,
    /// Whether its thread was started: a task's thread starts the first
    /// time the task can take a step of its own (`main`'s is the caller's).
    pub thread: bool,
    /// Whether its thread waits in [`crate::Platform::wait`].
    pub asleep: bool,
    /// Whether it is parked at a `send`, `recv` or `select`: it takes no
    /// step of its own until a partner, time, a close or a cancellation
    /// moves it.
    pub parked: bool,
    /// The objects whose wait queues hold it while it is parked.
    pub queues: Vec<ObjId>,
    /// Its place in the line of a lock or of a group at its limit (see
    /// `lines.rs`), by ticket, first come first; 0 when in none.
    pub line: u32,
    /// `leash_ir::POLLING` when it has gone round a loop that polls (a
    /// `select` with `default`, or a `yield`) since it last waited or time
    /// last passed; 0 otherwise.
    pub spin: u8,
    /// The panic it is unwinding (where, and Go's message): it runs its
    /// deferred calls first, and the execution ends when they are done.
    pub panic: Option<((FuncId, Pc), String)>,
}

/// The phase of a task inside an operation that takes two steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not inside one.
    Start,
    /// `rw.lock()`: holds the writers' mutex; waits for the permit the last
    /// reader to leave gives.
    WriterWaiting,
    /// `rw.rlock()`: counted, and blocked behind a writer until a permit
    /// of the readers' semaphore (the writer's unlock gives them).
    ReaderWaiting,
    /// `c.wait()`: released the mutex and waits in the notify list.
    CondWaiting,
    /// `c.wait()`: signalled; takes the mutex again once it is free.
    CondWoken,
    /// `g.go`: given a place in the group at its limit by a member's exit,
    /// which counted it among the group's tasks.
    Admitted,
    /// `wg.wait()`: waits for the counter to reach zero.
    WgWaiting,
    /// `wg.wait()`: released by the counter reaching zero; checks that the
    /// group was not reused meanwhile.
    WgReleased,
    /// `wg.add(n)` or `wg.done()`: stored a negative counter, and panics at
    /// its next step (Go stores the counter before it checks it, so another
    /// task may see the counter, and move, in between).
    WgNegative,
    /// An error group's task run to its end by another task's step (a
    /// spawn, a partner, a close), or that failed: its exit, which marks the
    /// group failed, cancels its context, frees its place and counts down its
    /// WaitGroup, is a step of its own, as Go runs the goroutine later, and
    /// cancels only once the member's function returned.
    Exiting,
    /// `wg.add(n)`: stored a counter risen from zero while the waits parked
    /// on it were being released, and panics at its next step.
    WgMisused,
    /// `wg.add(n)` or `wg.done()`: brought the counter to zero with waits
    /// parked; releases them at its next step, unless an Add came between
    /// (Go's "WaitGroup misuse" panic).
    WgReleasing,
    /// A `send`, `recv` or `select` whose parked cases a close or a
    /// cancellation made ready two or more at once, in an order Go decides:
    /// it left its queues, and its next step takes one of them.
    Woken,
    /// `m[k] = v` or `delete(m, k)`: wrote the map, and ends the write at
    /// its next step (Go's `hashWriting` is set between the two).
    MapWriting,
}

impl Phase {
    /// Whether the task waits inside the operation (its spin mark ends).
    pub(crate) fn waits(self) -> bool {
        matches!(self, Phase::WriterWaiting | Phase::ReaderWaiting | Phase::CondWaiting | Phase::WgWaiting)
    }
}

/// A frame of a task's call stack.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    /// The function.
    pub func: FuncId,
    /// The next instruction.
    pub pc: Pc,
    /// The local slots, parameters first.
    pub locals: Vec<Value>,
    /// Registered deferred blocks, last registered last.
    pub defers: Vec<Deferred>,
    /// While returning (running defers): the value returned.
    pub returning: Option<Value>,
}

/// A registered deferred block with the operands its call captured at the
/// `defer` statement: (local slot, value), stored when the block starts.
#[derive(Clone, Debug)]
pub(crate) struct Deferred {
    /// Where the block starts.
    pub block: Pc,
    /// The captured operands.
    pub args: Vec<(u16, Value)>,
}

impl Frame {
    /// A frame at the start of `func`, with these arguments.
    pub(crate) fn enter(program: &Program, func: FuncId, args: Vec<Value>) -> Frame {
        let mut locals = args;
        locals.resize(program.func(func).locals.len().max(locals.len()), Value::Unit);
        Frame { func, pc: 0, locals, defers: Vec::new(), returning: None }
    }
}

impl Task {
    /// A task about to run `frame`, owned by `owner`.
    pub(crate) fn new(func: FuncId, frame: Frame, group: Option<ObjId>, owner: Option<Instance>) -> Task {
        Task {
            func,
            frames: vec![frame],
            group,
            owner,
            phase: Phase::Start,
            exited: false,
            thread: false,
            asleep: false,
            parked: false,
            queues: Vec::new(),
            line: 0,
            spin: 0,
            panic: None,
        }
    }

    /// Every value its frames hold: locals, values being returned, and the
    /// operands its deferred calls captured.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        self.frames.iter().flat_map(|f| {
            f.locals
                .iter()
                .chain(&f.returning)
                .chain(f.defers.iter().flat_map(|d| d.args.iter().map(|(_, v)| v)))
        })
    }
}

impl World {
    /// A world ready to run `program`: the model-level variables are cells
    /// still to be initialised, and task 0 (`main`) starts in the init function.
    pub fn new(program: Arc<Program>, config: Config) -> World {
        let heap =
            program.globals.iter().map(|g| Object::Cell { value: Value::Unit, range: g.range }).collect();
        let init = Frame::enter(&program, program.init, Vec::new());
        let mut main = Task::new(program.main, init, None, None);
        main.thread = true;
        World {
            program,
            config,
            heap,
            tasks: vec![main],
            numbered: Vec::new(),
            log: Vec::new(),
            orphans: Vec::new(),
            end: None,
            signalled: false,
            signal_asleep: false,
            touched_ctx: Cell::new(false),
            tickets: 0,
            mover: None,
            landed: None,
            instant: false,
            threads_asked: 1,
            threads_running: 0,
            exits: Vec::new(),
            initialising: true,
        }
    }

    /// Whether the execution was cut short.
    pub(crate) fn halted(&self) -> bool {
        self.end.is_some()
    }

    /// Cuts the execution short (the first reason stays).
    pub(crate) fn halt(&mut self, end: End) {
        if self.end.is_none() {
            self.end = Some(end);
        }
    }

    /// The task of an instance.
    pub(crate) fn task(&self, t: Instance) -> &Task {
        &self.tasks[t as usize]
    }

    /// The task of an instance, to change.
    pub(crate) fn task_mut(&mut self, t: Instance) -> &mut Task {
        &mut self.tasks[t as usize]
    }

    /// The top frame of a live task.
    pub(crate) fn frame(&self, t: Instance) -> &Frame {
        self.task(t).frames.last().expect("a live task has a frame")
    }

    /// The top frame of a live task, to change.
    pub(crate) fn frame_mut(&mut self, t: Instance) -> &mut Frame {
        self.task_mut(t).frames.last_mut().expect("a live task has a frame")
    }

    /// The function and instruction of a live task's top frame.
    pub(crate) fn at(&self, t: Instance) -> (FuncId, Pc) {
        let f = self.frame(t);
        (f.func, f.pc)
    }

    /// Moves a task's top frame to its next instruction.
    pub(crate) fn advance(&mut self, t: Instance) {
        self.frame_mut(t).pc += 1;
    }

    /// Moves a task's top frame to `pc`.
    pub(crate) fn jump(&mut self, t: Instance, pc: Pc) {
        self.frame_mut(t).pc = pc;
    }

    /// The live tasks, by instance.
    pub(crate) fn live(&self) -> impl Iterator<Item = Instance> + '_ {
        (0..self.tasks.len() as Instance).filter(|&t| !self.task(t).exited)
    }

    /// Adds an object to the heap.
    pub(crate) fn alloc(&mut self, object: Object) -> ObjId {
        self.heap.push(object);
        (self.heap.len() - 1) as ObjId
    }
}
