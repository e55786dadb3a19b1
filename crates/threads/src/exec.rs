//! Taking a step: the chosen move of a task's visible instruction, then the
//! silent instructions after it, for every task the step moved in the order
//! Go would run them (a completed partner or a spawned child first, then
//! the mover); then what every step settles (exits, wake-ups by close and
//! cancellation, spin marks, the numbers of new contexts, timers and
//! tickers). Also calls, returns, defers, and the start of an execution (the
//! model-level variables, then `main`).

use crate::channels::logged;
use crate::objects::{Object, OnceState};
use crate::plan::{Move, MAP_END};
use crate::value::{Value, NIL_DEREFERENCE};
use crate::world::{Deferred, Frame, Phase, Task, World};
use crate::{End, Entry, Instance, Orphan};
use leash_ir::{spin_of_loop, Callee, Expr, FuncId, Instr, Pc, Place};
use std::sync::Arc;

/// Why a step could not be taken.
pub(crate) enum Fault {
    /// A panic, with Go's message.
    Panic(String),
    /// A spawn would take more threads than the platform allows: this many.
    Threads(usize),
}

impl From<String> for Fault {
    fn from(message: String) -> Fault {
        Fault::Panic(message)
    }
}

/// The panic of model-level initialisation that would take a step.
const INIT_BLOCKS: &str = "model-level initialisation must not block";

impl World {
    /// Takes task `t`'s step by move `mv` (a timed one when `time`: time
    /// passes, and every spin mark ends), runs ahead every task it moved,
    /// settles the step, and returns its log entry; or how the execution
    /// ends when the step panics (the panic names the mover and where its
    /// top frame stood, whichever task's code failed) or would need too
    /// many threads.
    pub(crate) fn take(&mut self, t: Instance, mv: Move, time: bool) -> Result<Entry, End> {
        let before = self.heap.len();
        if time {
            self.time_passes();
        }
        self.mover = Some(t);
        let program = Arc::clone(&self.program);
        let (func, pc) = self.at(t);
        let instr = &program.func(func).code[pc as usize];
        let case = match (mv, instr) {
            (Move::Case { case, .. }, _) => logged(case),
            (Move::Default, Instr::Select { cases, .. }) => cases.len() as u16,
            (Move::Park, _) => Entry::PARK,
            _ => 0,
        };
        let alt = match mv {
            Move::Alt(a) => a,
            _ => 0,
        };
        // The mover's own panic unwinds it (a task it ran on never faults
        // in its step: see `run_ahead`).
        let partner = match self.exec(t, instr, mv) {
            Err(Fault::Panic(message)) => self.start_panic(t, message).map(|()| None).map_err(Fault::Panic),
            other => other,
        };
        let partner = partner.and_then(|p| Ok(self.run_ahead(t).map(|()| p)?));
        let partner = partner.map_err(|fault| match fault {
            Fault::Threads(needed) => End::TooManyThreads { needed },
            Fault::Panic(message) => self.panic_end(t, (func, pc), message),
        })?;
        // A timed step opens an instant at which another may come too.
        self.instant = time && self.tie_pending();
        self.settle_step(before)?;
        Ok(Entry::Step { task: t, func, pc, case, alt, partner, time })
    }

    /// Takes task `t`'s step at an instruction that panics with `message`
    /// (its plan says so): a task with deferred calls unwinds in a step like
    /// any other; without, the execution ends.
    pub(crate) fn take_panic(&mut self, t: Instance, message: String) -> Result<Entry, End> {
        let before = self.heap.len();
        self.mover = Some(t);
        let (func, pc) = self.at(t);
        self.start_panic(t, message)
            .and_then(|()| self.run_ahead(t))
            .map_err(|message| self.panic_end(t, (func, pc), message))?;
        self.instant = false;
        self.settle_step(before)?;
        Ok(Entry::Step { task: t, func, pc, case: 0, alt: 0, partner: None, time: false })
    }

    /// How the execution ends on a panic in task `t`'s step (at `at` when
    /// nothing else says where): a panic whose deferred calls have run, or
    /// `t`'s own.
    pub(crate) fn panic_end(&mut self, t: Instance, at: (FuncId, Pc), message: String) -> End {
        if let Some(end) = self.landed.take() {
            return end;
        }
        End::Panic { task: t, at: self.top_or(t, at), message }
    }

    /// Task `t` panicked with `message`. Go runs its deferred calls first,
    /// innermost first, frame by frame, and ends the program only when
    /// they are done: a task with deferred calls keeps the panic and goes
    /// to the next one (its queues, its line and any operation under way
    /// left); one without, or a panic that has just landed, stays the error,
    /// as does a fatal error (`leash_ir::is_fatal`).
    pub(crate) fn start_panic(&mut self, t: Instance, message: String) -> Result<(), String> {
        let task = self.task(t);
        if self.landed.is_some()
            || leash_ir::is_fatal(&message)
            || task.frames.iter().all(|f| f.defers.is_empty())
        {
            return Err(message);
        }
        let at = self.at(t);
        self.unpark(t);
        let task = self.task_mut(t);
        task.phase = Phase::Start;
        task.line = 0;
        task.panic = Some((at, message));
        self.unwind_panic(t)
    }

    /// Goes on unwinding task `t`'s panic: the next deferred call, in this
    /// frame or the ones below, or, when none is left, the panic lands
    /// (`landed`, the error of the step).
    fn unwind_panic(&mut self, t: Instance) -> Result<(), String> {
        let program = Arc::clone(&self.program);
        while let Some((func, pc)) = self.task(t).frames.last().map(|f| (f.func, f.pc)) {
            // Leaving a `once.do` body: the once is done (Go's `Do` marks it
            // in a deferred call), and its waiters go on.
            for once in program.func(func).onces_around(pc) {
                if let Some(o) = self.eval(t, once).ok().and_then(|x| x.handle()) {
                    if let Object::Once(state) = &mut self.heap[o as usize] {
                        *state = OnceState::Done;
                    }
                }
            }
            let Some(frame) = self.task_mut(t).frames.last_mut() else { break };
            if let Some(d) = frame.defers.pop() {
                // What the function returns if a `recover()` stops the panic:
                // its results as a `return` set them, else zero values.
                let func = program.func(frame.func);
                frame.returning.get_or_insert_with(|| Value::of(func.zero));
                for (&local, &zero) in func.results.iter().zip(&func.result_zeros) {
                    if let Some(v @ Value::Unit) = frame.locals.get_mut(local as usize) {
                        *v = Value::of(zero);
                    }
                }
                frame.pc = d.block;
                for (slot, v) in d.args {
                    frame.locals[slot as usize] = v;
                }
                return Ok(());
            }
            self.task_mut(t).frames.pop();
        }
        let (at, message) = self.task(t).panic.clone().expect("a task unwinding a panic");
        self.landed = Some(End::Panic { task: t, at, message: message.clone() });
        Err(message)
    }

    /// Where task `t`'s top frame stands, or `at` once it has none.
    pub(crate) fn top_or(&self, t: Instance, at: (FuncId, Pc)) -> (FuncId, Pc) {
        self.task(t).frames.last().map_or(at, |f| (f.func, f.pc))
    }

    /// What every step ends with, once the tasks it moved have run ahead:
    /// the exits it caused, parked tasks woken by a close or a cancellation,
    /// spin marks ended by waiting, and the numbers of the contexts, timers
    /// and tickers made since heap index `before` that are still reachable.
    pub(crate) fn settle_step(&mut self, before: usize) -> Result<(), End> {
        loop {
            for (t, result) in std::mem::take(&mut self.exits) {
                self.exit(t, result);
            }
            if !self.settle()? && self.exits.is_empty() {
                break;
            }
        }
        self.clear_spin();
        self.number(before);
        Ok(())
    }

    /// A task's spin mark ends when it waits: parked, inside a two-step
    /// wait, in `work` or in `sleep`.
    fn clear_spin(&mut self) {
        let program = Arc::clone(&self.program);
        for task in self.tasks.iter_mut().filter(|task| !task.exited) {
            let Some(f) = task.frames.last() else { continue };
            let timed = matches!(program.func(f.func).code[f.pc as usize], Instr::Work { .. } | Instr::Sleep);
            if task.parked || task.line != 0 || task.phase.waits() || timed {
                task.spin = 0;
            }
        }
    }

    /// Initialises the model-level variables (the init function runs to its
    /// end; it may only assign and make objects) and runs `main`'s silent
    /// instructions.
    pub(crate) fn start(&mut self) -> Result<(), End> {
        let program = Arc::clone(&self.program);
        let panic = |w: &World, message: String| End::Panic { task: 0, at: w.top_or(0, (0, 0)), message };
        while let Some(frame) = self.task(0).frames.last() {
            let instr = &program.func(frame.func).code[frame.pc as usize];
            if !matches!(instr, Instr::Assign { .. } | Instr::New { .. } | Instr::Return { .. }) {
                return Err(panic(self, INIT_BLOCKS.to_string()));
            }
            self.exec_plain(0, instr).map_err(|m| panic(self, m))?;
        }
        self.initialising = false;
        let main = Frame::enter(&program, program.main, Vec::new());
        self.task_mut(0).frames.push(main);
        self.run_ahead(0).map_err(|m| panic(self, m))?;
        self.settle_step(program.globals.len())
    }

    /// Runs a task's silent instructions, up to its next visible one or its
    /// end. One that would fault (an assertion that fails) is left undone,
    /// for the task's own next step: in Go a goroutine's panic happens when
    /// it runs, and the goroutine that woke or spawned it, or this one's
    /// partner, may run on first. A panic whose unwinding began in the
    /// task's own step lands where it lands.
    pub(crate) fn run_ahead(&mut self, t: Instance) -> Result<(), String> {
        let program = Arc::clone(&self.program);
        while let Some(frame) = self.task(t).frames.last() {
            let (f, pc) = (frame.func, frame.pc);
            let instr = &program.func(f).code[pc as usize];
            // A child of a context whose cancellation walks down waits for the walk.
            let waits = leash_ir::derives_from(instr)
                .is_some_and(|p| matches!(self.eval(t, p), Ok(Value::Obj(c)) if self.ctx_walking(c)));
            if !program.func(f).silent[pc as usize] || self.task(t).phase == Phase::Exiting || waits {
                break;
            }
            // A task unwinding a panic lands it here (the step's error).
            if self.task(t).panic.is_some() {
                self.exec_plain(t, instr).or_else(|message| self.start_panic(t, message))?;
                continue;
            }
            let (task, objects) = (self.task(t).clone(), self.heap.len());
            if self.exec_plain(t, instr).is_err() {
                *self.task_mut(t) = task;
                self.heap.truncate(objects);
                break;
            }
        }
        Ok(())
    }

    /// Executes the move of the visible instruction `instr` of task `t`;
    /// returns the parked partner the step completed, if any.
    fn exec(&mut self, t: Instance, instr: &Instr, mv: Move) -> Result<Option<(Instance, u16)>, Fault> {
        if self.task(t).phase == Phase::MapWriting && instr.map_written().is_some() {
            self.task_mut(t).phase = Phase::Start;
            self.advance(t);
            return Ok(None);
        }
        if self.program.maps_written && self.live().any(|x| self.task(x).phase == Phase::MapWriting) {
            self.map_race(t, instr)?;
        }
        match (instr, mv) {
            (Instr::Assign { dst: dst @ Place::MapEntry(..), value }, _) => {
                let v = self.eval(t, value)?;
                self.store(t, dst, v)?;
                self.task_mut(t).phase = Phase::MapWriting;
            }
            (Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. }, _) => {
                return Ok(self.exec_chan(t, instr, mv)?);
            }
            (Instr::Work { dst, .. }, Move::Alt(a)) => {
                if let Some(d) = dst {
                    self.store(t, d, Value::result(a == 1))?;
                }
                self.advance(t);
            }
            (Instr::Choose { targets }, Move::Alt(a)) => self.jump(t, targets[a as usize]),
            (Instr::MapNext { iter, map, key, value, found }, Move::Alt(a)) => {
                if a == MAP_END {
                    self.store(t, found, Value::Bool(false))?;
                } else {
                    let xs = self.map_entries(self.eval(t, map)?)?;
                    let (k, v) = (xs[2 * a as usize], xs[2 * a as usize + 1]);
                    let marks = self.map_entries_mut(self.eval(t, iter)?)?;
                    match crate::eval::entry(marks, k) {
                        Some(j) => marks[j + 1] = Value::Bool(true),
                        None => marks.extend([k, Value::Bool(true)]),
                    }
                    if let Some(p) = key {
                        self.store(t, p, k)?;
                    }
                    if let Some(p) = value {
                        self.store(t, p, v)?;
                    }
                    self.store(t, found, Value::Bool(true))?;
                }
                self.advance(t);
            }
            (Instr::Spawn { .. } | Instr::Op { .. }, Move::Park) => self.join_line(t),
            (Instr::Spawn { func: f, args, dst, group, detached }, _) => {
                let owner = (!detached).then_some(t);
                self.spawn(t, *f, args, dst.as_ref(), group.as_ref(), owner)?;
            }
            (Instr::Op { .. }, _) => {
                // Leaving a line: the lock is taken.
                self.task_mut(t).line = 0;
                self.exec_plain(t, instr)?;
            }
            _ => self.exec_plain(t, instr)?,
        }
        Ok(None)
    }

    /// Executes an instruction that has a single way to go (every silent one).
    fn exec_plain(&mut self, t: Instance, instr: &Instr) -> Result<(), String> {
        match instr {
            Instr::Recover { dst, deferred } => {
                // Only Go's deferred function itself stops a panic: the
                // recover written in a deferred block, or in a helper its
                // caller defers by name.
                let frames = &self.task(t).frames;
                let caller = frames.len().checked_sub(2).map(|i| (frames[i].func, frames[i].pc));
                let stopped = self.program.recover_is_direct(*deferred, caller)
                    && self.task_mut(t).panic.take().is_some();
                if let Some(d) = dst {
                    self.store(t, d, if stopped { Value::Err } else { Value::Ok })?;
                }
                self.advance(t);
            }
            Instr::Assign { dst, value } => {
                let v = self.eval(t, value)?;
                self.store(t, dst, v)?;
                self.advance(t);
            }
            Instr::New { dst, ctor } => {
                let name = self.place_name(t, dst);
                let v = self.make(t, ctor, &name)?;
                self.store(t, dst, v)?;
                self.advance(t);
            }
            Instr::Call { callee, args, .. } => {
                let mut values = Vec::new();
                let f = match callee {
                    Callee::Static(f) => *f,
                    Callee::Dynamic(e) => match self.eval(t, e)? {
                        Value::Func(f) => f,
                        // A closure: its helper, given what it captured first.
                        Value::Obj(o) => match &self.heap[o as usize] {
                            crate::objects::Object::Array(xs) => match xs.first() {
                                Some(Value::Func(f)) => {
                                    values.extend_from_slice(&xs[1..]);
                                    *f
                                }
                                _ => return Err(NIL_DEREFERENCE.to_string()),
                            },
                            _ => return Err(NIL_DEREFERENCE.to_string()),
                        },
                        _ => return Err(NIL_DEREFERENCE.to_string()),
                    },
                };
                values.extend(self.args(t, args)?);
                let args = values;
                let frame = Frame::enter(&self.program, f, args);
                self.task_mut(t).frames.push(frame);
            }
            // The phase stays while the exit runs: `unwind` leaves the frame.
            Instr::Return { .. } | Instr::EndDefer if self.task(t).phase == Phase::Exiting => {
                self.unwind(t)?
            }
            Instr::Return { value } => {
                let v = match value {
                    Some(e) => self.eval(t, e)?,
                    None => Value::Ok,
                };
                self.frame_mut(t).returning = Some(v);
                self.unwind(t)?;
            }
            Instr::EndDefer => self.unwind(t)?,
            Instr::Defer { block, capture } => {
                // Go evaluates a deferred call's operands at the `defer`.
                let args = capture.iter().map(|(slot, e)| Ok((*slot, self.eval(t, e)?))).collect::<Result<
                    Vec<_>,
                    String,
                >>(
                )?;
                self.frame_mut(t).defers.push(Deferred { block: *block, args });
                self.advance(t);
            }
            Instr::Jump { target } => {
                // Going round a loop that polls marks the task as spinning.
                let (f, pc) = self.at(t);
                if *target <= pc {
                    if let Some(mark) =
                        spin_of_loop(&self.program.func(f).code[*target as usize..=pc as usize])
                    {
                        self.task_mut(t).spin = mark;
                    }
                }
                self.jump(t, *target);
            }
            Instr::Branch { cond, target } => {
                if self.eval(t, cond)?.bool()? {
                    self.advance(t);
                } else {
                    self.jump(t, *target);
                }
            }
            Instr::Assert { cond } => {
                if !self.eval(t, cond)?.bool()? {
                    return Err("assertion failed".to_string());
                }
                self.advance(t);
            }
            Instr::Op { op, target, arg, dst } => self.exec_op(t, *op, target, arg.as_ref(), dst.as_ref())?,
            Instr::OnceEnter { once, skip } => self.once_enter(t, once, *skip)?,
            Instr::OnceExit { once } => self.once_exit(t, once)?,
            Instr::Join { .. } | Instr::Sleep | Instr::Yield => self.advance(t),
            // The program ends: the execution stops with every task where it is.
            Instr::Exit => self.halt(End::Exited),
            Instr::Send { .. }
            | Instr::Recv { .. }
            | Instr::Select { .. }
            | Instr::Work { .. }
            | Instr::Choose { .. }
            | Instr::MapNext { .. }
            | Instr::Spawn { .. } => unreachable!("{instr:?} is taken with a move, never silently"),
        }
        Ok(())
    }

    /// Evaluates arguments.
    fn args(&self, t: Instance, args: &[Expr]) -> Result<Vec<Value>, String> {
        args.iter().map(|a| self.eval(t, a)).collect()
    }

    /// `spawn` and `g.go`: task `t` starts a task owned by `owner` (`t`, or
    /// nobody for `spawn detached`), which runs its silent start at once;
    /// its thread starts once it can take a step of its own.
    fn spawn(
        &mut self,
        t: Instance,
        func: FuncId,
        args: &[Expr],
        dst: Option<&Place>,
        group: Option<&Expr>,
        owner: Option<Instance>,
    ) -> Result<(), Fault> {
        let args = self.args(t, args)?;
        let group = match group {
            Some(g) => Some(self.eval(t, g).and_then(Value::obj)?),
            None => None,
        };
        let needed = self.threads_asked + 1;
        if needed > self.config.max_threads {
            return Err(Fault::Threads(needed));
        }
        self.threads_asked = needed;
        // Admitted from the line or not, its task counts from now.
        self.task_mut(t).phase = Phase::Start;
        if let Some(g) = group {
            if let crate::objects::Object::Group { running, .. } = &mut self.heap[g as usize] {
                *running += 1;
            }
        }
        let child = self.tasks.len() as Instance;
        let frame = Frame::enter(&self.program, func, args);
        self.tasks.push(Task::new(func, frame, group, owner));
        if let Some(d) = dst {
            self.store(t, d, Value::Task(child))?;
        }
        self.advance(t);
        self.run_ahead(child)?;
        Ok(())
    }

    /// Goes on returning from the top frame: the next deferred block (its
    /// captured operands stored into their slots), or back to the caller
    /// (storing the values where the call wanted them), or the task's end.
    fn unwind(&mut self, t: Instance) -> Result<(), String> {
        if self.task(t).panic.is_some() {
            return self.unwind_panic(t);
        }
        let frame = self.frame_mut(t);
        if let Some(d) = frame.defers.pop() {
            frame.pc = d.block;
            for (slot, v) in d.args {
                frame.locals[slot as usize] = v;
            }
            return Ok(());
        }
        let v = frame.returning.unwrap_or(Value::Ok);
        // An error group's task run to its end by another's step exits in
        // a step of its own (see `Phase::Exiting`).
        let task = self.task(t);
        if task.frames.len() == 1
            && task.group.is_some()
            && task.phase != Phase::Exiting
            && (self.mover != Some(t) || v == Value::Err)
            && !self.initialising
        {
            self.task_mut(t).phase = Phase::Exiting;
            return Ok(());
        }
        let task = self.task_mut(t);
        let popped = task.frames.pop().expect("a live task has a frame");
        if task.frames.is_empty() {
            if !self.initialising {
                self.exits.push((t, v));
            }
            return Ok(());
        }
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(t);
        if let Instr::Call { dst, rest, .. } = &program.func(f).code[pc as usize] {
            if let Some(d) = dst {
                self.store(t, d, v)?;
            }
            // A helper with several results: those after the first wait in
            // its hidden result locals, and go where the call binds them.
            for (place, &local) in rest.iter().zip(&program.func(popped.func).results) {
                let r = popped.locals.get(local as usize).copied().unwrap_or(Value::Nil);
                self.store(t, place, r)?;
            }
        }
        self.advance(t);
        Ok(())
    }

    /// A task's main frame returned: it exits, its error group learns its
    /// result, and the tasks it owns are owned by nobody from now on: each
    /// still running (not returned in this same step) is an orphan, the
    /// owner rule broken.
    fn exit(&mut self, t: Instance, result: Value) {
        let task = self.task_mut(t);
        task.exited = true;
        if let Some(g) = task.group {
            self.group_exit(g, result);
        }
        let owner = self.task(t).func;
        let step = self.log.len();
        let program = Arc::clone(&self.program);
        let heap = &self.heap;
        for (c, child) in self.tasks.iter_mut().enumerate() {
            if child.owner == Some(t) {
                child.owner = None;
                // On its way out (its function returned): not running.
                let returned = child.frames.first().is_some_and(|f| f.returning.is_some())
                    || child.phase == Phase::Exiting;
                // Waited for by whoever waits in its error group or its
                // wait group now (docs/semantics.md, Findings), unless
                // `main` left.
                let waited = |o: crate::value::ObjId| match &heap[o as usize] {
                    Object::Group { waiters, .. } => !waiters.is_empty(),
                    Object::WaitGroup { count: 1.., waiters } => !waiters.is_empty(),
                    _ => false,
                };
                let counted = owner != program.main
                    && (child.group.is_some_and(waited)
                        || (program.func(child.func).uses.counts_down
                            && child.values().any(|v| v.handle().is_some_and(waited))));
                if !child.frames.is_empty() && !returned && !counted {
                    self.orphans.push(Orphan { step, task: c as Instance, func: child.func, owner });
                }
            }
        }
    }
}
