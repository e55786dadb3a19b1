//! Taking a step: the chosen move of a task's visible instruction, then the
//! silent instructions after it for every task the step moved (the mover, a
//! rendezvous partner, a spawned child). Also calls, returns, defers, exits,
//! and the start of an execution (the model-level variables, then `main`).

use crate::channels::{chan_op, ChanOp};
use crate::plan::{Move, Plan};
use crate::value::{Value, NIL_DEREFERENCE};
use crate::world::{Frame, Task, World};
use crate::{End, Entry, Instance};
use leash_ir::{Callee, Expr, FuncId, Instr, Pc, Place};
use std::sync::Arc;

/// A panic: Go's message, and the instruction it belongs to when that is
/// not the one being executed (a value returned into a caller's variable
/// that is out of its range panics at the call).
pub(crate) struct Thrown {
    at: Option<(FuncId, Pc)>,
    message: String,
}

impl From<String> for Thrown {
    fn from(message: String) -> Thrown {
        Thrown { at: None, message }
    }
}

/// Why a step could not be taken.
enum Fault {
    /// This task's instruction panicked.
    Panic(Instance, Thrown),
    /// A spawn would take more threads than the platform allows: this many.
    Threads(usize),
}

/// A panic in a task's silent instructions: where, and the message.
type SilentPanic = ((FuncId, Pc), String);

impl World {
    /// Takes task `t`'s step by move `mv`, runs ahead every task it moved,
    /// and returns the step's log entry; or how the execution ends when the
    /// step panics (the panic names the task whose step it is) or would need
    /// too many threads.
    pub(crate) fn take(&mut self, t: Instance, mv: Move) -> Result<Entry, End> {
        let mut before = vec![(t, self.at(t))];
        let mut actor = t;
        if let Move::Meet { case, partner } = mv {
            before.push((partner.task, self.at(partner.task)));
            let (f, pc) = self.at(t);
            if let Some(ChanOp::Send { .. }) = chan_op(&self.program.func(f).code[pc as usize], case) {
                actor = partner.task;
            }
        }
        let (entry, moved) = self.exec(t, mv).map_err(|fault| match fault {
            Fault::Threads(needed) => End::TooManyThreads { needed },
            Fault::Panic(who, thrown) => {
                let at = thrown.at.or_else(|| before.iter().find(|(w, _)| *w == who).map(|b| b.1));
                End::Panic { task: actor, at: at.unwrap_or_else(|| self.at(who)), message: thrown.message }
            }
        })?;
        for m in moved {
            self.run_ahead(m).map_err(|(at, message)| End::Panic { task: actor, at, message })?;
        }
        self.refresh_queues();
        Ok(entry)
    }

    /// Initialises the model-level variables (the init function runs to its
    /// end, visible instructions included, without steps) and runs `main`'s
    /// silent instructions.
    pub(crate) fn start(&mut self) -> Result<(), End> {
        let program = Arc::clone(&self.program);
        while let Some(frame) = self.task(0).frames.last() {
            let at = (frame.func, frame.pc);
            match self.plan(0) {
                Plan::Ready { moves, .. } => {
                    self.take(0, moves[0])?;
                }
                Plan::Panic(message) => return Err(End::Panic { task: 0, at, message }),
                Plan::Blocked => {
                    let message = "the initialisation of model-level variables blocks".to_string();
                    return Err(End::Panic { task: 0, at, message });
                }
            }
        }
        self.initialising = false;
        let main = Frame::enter(&program, program.main, Vec::new());
        self.task_mut(0).frames.push(main);
        self.run_ahead(0).map_err(|(at, message)| End::Panic { task: 0, at, message })?;
        self.refresh_queues();
        Ok(())
    }

    /// Runs a task's silent instructions, up to its next visible one or its exit.
    fn run_ahead(&mut self, t: Instance) -> Result<(), SilentPanic> {
        let program = Arc::clone(&self.program);
        while let Some(frame) = self.task(t).frames.last() {
            let (f, pc) = (frame.func, frame.pc);
            if !program.func(f).silent[pc as usize] {
                break;
            }
            self.exec_plain(t, &program.func(f).code[pc as usize])
                .map_err(|e| (e.at.unwrap_or((f, pc)), e.message))?;
        }
        Ok(())
    }

    /// Executes the move of a visible instruction; returns the entry and the
    /// tasks that moved.
    fn exec(&mut self, t: Instance, mv: Move) -> Result<(Entry, Vec<Instance>), Fault> {
        let program = Arc::clone(&self.program);
        let (func, pc) = self.at(t);
        let instr = &program.func(func).code[pc as usize];
        let mine = |m: String| Fault::Panic(t, m.into());
        let (mut alt, mut woke, mut moved) = (0, None, vec![t]);
        match (instr, mv) {
            (Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. }, _) => {
                return self.exec_chan(t, instr, mv).map_err(|(who, m)| Fault::Panic(who, m.into()));
            }
            (Instr::Work { dst, .. }, Move::Alt(a)) => {
                if let Some(d) = dst {
                    self.store(t, d, Value::result(a == 1)).map_err(mine)?;
                }
                self.advance(t);
                alt = a;
            }
            (Instr::Choose { targets }, Move::Alt(a)) => {
                self.jump(t, targets[a as usize]);
                alt = a;
            }
            (Instr::Op { target, .. }, Move::Wake(w)) => {
                self.signal_cond(t, target, w).map_err(mine)?;
                woke = w;
            }
            (Instr::Spawn { func: f, args, dst, group, .. }, _) => {
                moved.push(self.spawn(t, *f, args, dst.as_ref(), group.as_ref())?);
            }
            _ => self.exec_plain(t, instr).map_err(|e| Fault::Panic(t, e))?,
        }
        Ok((Entry::Step { task: t, func, pc, case: 0, alt, partner: None, woke }, moved))
    }

    /// Executes an instruction that has a single way to go (every silent one).
    fn exec_plain(&mut self, t: Instance, instr: &Instr) -> Result<(), Thrown> {
        match instr {
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
                let f = match callee {
                    Callee::Static(f) => *f,
                    Callee::Dynamic(e) => match self.eval(t, e)? {
                        Value::Func(f) => f,
                        _ => return Err(NIL_DEREFERENCE.to_string().into()),
                    },
                };
                let args = self.args(t, args)?;
                let frame = Frame::enter(&self.program, f, args);
                self.task_mut(t).frames.push(frame);
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
            Instr::Defer { block, .. } => {
                self.frame_mut(t).defers.push(*block);
                self.advance(t);
            }
            Instr::Jump { target } => self.jump(t, *target),
            Instr::Branch { cond, target } => {
                if self.eval(t, cond)?.bool()? {
                    self.advance(t);
                } else {
                    self.jump(t, *target);
                }
            }
            Instr::Assert { cond } => {
                if !self.eval(t, cond)?.bool()? {
                    return Err("assertion failed".to_string().into());
                }
                self.advance(t);
            }
            Instr::Op { op, target, arg, dst } => self.exec_op(t, *op, target, arg.as_ref(), dst.as_ref())?,
            Instr::OnceEnter { once, skip } => self.once_enter(t, once, *skip)?,
            Instr::OnceExit { once } => self.once_exit(t, once)?,
            Instr::Join { .. } | Instr::Sleep | Instr::Yield => self.advance(t),
            Instr::Send { .. }
            | Instr::Recv { .. }
            | Instr::Select { .. }
            | Instr::Work { .. }
            | Instr::Choose { .. }
            | Instr::Spawn { .. } => unreachable!("{instr:?} is taken with a move, never silently"),
        }
        Ok(())
    }

    /// Evaluates arguments.
    fn args(&self, t: Instance, args: &[Expr]) -> Result<Vec<Value>, String> {
        args.iter().map(|a| self.eval(t, a)).collect()
    }

    /// `spawn` and `g.go`: starts a task owned by `t`; returns its instance.
    fn spawn(
        &mut self,
        t: Instance,
        func: FuncId,
        args: &[Expr],
        dst: Option<&Place>,
        group: Option<&Expr>,
    ) -> Result<Instance, Fault> {
        let mine = |m: String| Fault::Panic(t, m.into());
        let group = match group {
            Some(g) => Some(self.eval(t, g).and_then(Value::obj).map_err(mine)?),
            None => None,
        };
        let args = self.args(t, args).map_err(mine)?;
        let needed = self.threads_asked + 1;
        if needed > self.config.max_threads {
            return Err(Fault::Threads(needed));
        }
        self.threads_asked = needed;
        let child = self.tasks.len() as Instance;
        let frame = Frame::enter(&self.program, func, args);
        self.tasks.push(Task::new(func, frame, group));
        if let Some(g) = group {
            if let crate::objects::Object::Group { running, .. } = &mut self.heap[g as usize] {
                *running += 1;
            }
        }
        if let Some(d) = dst {
            self.store(t, d, Value::Task(child)).map_err(mine)?;
        }
        self.advance(t);
        self.starts.push(child);
        Ok(child)
    }

    /// Goes on returning from the top frame: the next deferred block, or
    /// back to the caller (storing the value where the call wanted it), or
    /// the task's exit.
    fn unwind(&mut self, t: Instance) -> Result<(), Thrown> {
        let frame = self.frame_mut(t);
        if let Some(block) = frame.defers.pop() {
            frame.pc = block;
            return Ok(());
        }
        let v = frame.returning.unwrap_or(Value::Ok);
        let task = self.task_mut(t);
        task.frames.pop();
        if task.frames.is_empty() {
            if !self.initialising {
                self.exit(t, v);
            }
            return Ok(());
        }
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(t);
        if let Instr::Call { dst: Some(d), .. } = &program.func(f).code[pc as usize] {
            self.store(t, d, v).map_err(|message| Thrown { at: Some((f, pc)), message })?;
        }
        self.advance(t);
        Ok(())
    }

    /// A task's main frame returned: it exits.
    fn exit(&mut self, t: Instance, result: Value) {
        self.unpark(t);
        let task = self.task_mut(t);
        task.exited = true;
        if let Some(g) = task.group {
            self.group_exit(g, result);
        }
    }
}
