//! Go's `sync` primitives and the other operations on objects: mutexes,
//! rwmutexes (with writer preference), conds (a FIFO notify list), wait
//! groups (with Go's check against reuse, and the panic of a negative
//! counter a step after it is stored), error groups, `once`, `cancel`,
//! `stop` and `close`.

use crate::objects::{Object, OnceState, TimerState};
use crate::plan::{Move, Plan};
use crate::value::{ObjId, Value, NIL_DEREFERENCE};
use crate::world::{Phase, World};
use crate::Instance;
use leash_ir::{Expr, Op, Place};

/// Go's panic when a wait group is re-armed while a released `Wait` has not
/// returned yet.
const WG_REUSED: &str = "sync: WaitGroup is reused before previous Wait has returned";

/// Go's panic when a wait group's counter goes below zero.
const WG_NEGATIVE: &str = "sync: negative WaitGroup counter";

/// Go's panic when a wait group's counter goes up from zero while the waits
/// parked on it are being released.
const WG_MISUSE: &str = "sync: WaitGroup misuse: Add called concurrently with Wait";

impl World {
    /// The object a value names, to change.
    fn object_mut(&mut self, v: Value) -> Result<&mut Object, String> {
        Ok(&mut self.heap[v.obj()? as usize])
    }

    /// The plan of an operation on an object.
    pub(crate) fn plan_op(&self, t: Instance, op: Op, target: &Expr) -> Result<Plan, String> {
        let x = self.eval(t, target)?;
        let object = match x {
            Value::Obj(o) => &self.heap[o as usize],
            _ => return Ok(Plan::Ready(vec![Move::Plain])),
        };
        let phase = self.task(t).phase;
        if phase == Phase::WgNegative {
            // The step after the one that stored a negative counter panics.
            return Ok(Plan::Panic(WG_NEGATIVE.to_string()));
        }
        if phase == Phase::WgMisused {
            return Ok(Plan::Panic(WG_MISUSE.to_string()));
        }
        let blocked = match (op, object) {
            (Op::Lock, Object::Mutex { locked }) => return Ok(self.plan_lock(t, *locked)),
            (Op::RLock, Object::RwMutex(rw)) => phase == Phase::ReaderWaiting && !rw.permit(false),
            (Op::WLock, Object::RwMutex(rw)) => match phase {
                Phase::WriterWaiting => !rw.permit(true),
                _ => return Ok(self.plan_lock(t, rw.writer)),
            },
            (Op::WgWait, Object::WaitGroup { .. }) => phase == Phase::WgWaiting,
            (Op::GroupWait, Object::Group { .. }) => phase == Phase::WgWaiting,
            (Op::CondWait, Object::Cond { mutex, .. }) => match (phase, &self.heap[*mutex as usize]) {
                // `cond(rw.rlocker())` taking its read lock back behind a
                // writer waits as a reader in `rw.rlock()` does.
                (Phase::CondWaiting, _) => true,
                (Phase::ReaderWaiting, Object::RwMutex(rw)) => !rw.permit(false),
                (Phase::CondWoken, Object::Mutex { locked }) => return Ok(self.plan_lock(t, *locked)),
                _ => false,
            },
            _ => false,
        };
        Ok(if blocked { Plan::Blocked } else { Plan::Ready(vec![Move::Plain]) })
    }

    /// Takes an operation on an object (readiness was planned). Errors are panics.
    pub(crate) fn exec_op(
        &mut self,
        t: Instance,
        op: Op,
        target: &Expr,
        arg: Option<&Expr>,
        dst: Option<&Place>,
    ) -> Result<(), String> {
        let x = self.eval(t, target)?;
        let mut result = Value::Unit;
        match op {
            // A push or pop loads a copy of the list, then stores it.
            Op::ListLoad | Op::Push | Op::Pop => {
                if x == Value::Nil {
                    return Err(NIL_DEREFERENCE.to_string());
                }
                let arg = match arg {
                    Some(a) => Some(self.eval(t, a)?),
                    None => None,
                };
                let from = if op == Op::ListLoad { x } else { arg.ok_or("a list's store without its load")? };
                let mut xs = self.map_entries(from)?.to_vec();
                match (op, arg) {
                    (Op::ListLoad, Some(v)) => xs.push(v),
                    (Op::ListLoad | Op::Pop, _) if xs.is_empty() => return Err(LIST_EMPTY.to_string()),
                    (Op::Pop, _) => result = xs.remove(0),
                    _ => {}
                }
                if op == Op::ListLoad {
                    result = Value::Obj(self.alloc(Object::Array(xs)));
                } else {
                    *self.map_entries_mut(x)? = xs;
                }
            }
            Op::MapDelete => {
                let key = match arg {
                    Some(a) => self.eval(t, a)?,
                    None => Value::Unit,
                };
                // Deleting from a nil or empty map does nothing, as in Go;
                // from another, it is a write of two steps (`map_race`).
                if x != Value::Nil {
                    let xs = self.map_entries_mut(x)?;
                    if !xs.is_empty() {
                        if let Some(i) = crate::eval::entry(xs, key) {
                            xs.drain(i..i + 2);
                        }
                        self.task_mut(t).phase = Phase::MapWriting;
                        return Ok(());
                    }
                }
            }
            Op::Close => self.close(x)?,
            // A cancel that walks down to the children waits for the walk
            // (`World::walk`), at the `cancel`.
            Op::Cancel => {
                let c = self.ctx_of(x)?;
                if self.cancel(c) {
                    return Ok(());
                }
            }
            // A tick or a timer value already waiting in the channel stays.
            Op::Stop => match self.object_mut(x)? {
                Object::Ticker { running, aged, .. } => {
                    *running = false;
                    *aged = false;
                }
                Object::Timer { state, aged, .. } => {
                    // Go's Stop reports whether it prevented the timer from firing.
                    result = Value::Bool(state.active());
                    *aged = false;
                    *state = match *state {
                        TimerState::Armed => TimerState::Stopped,
                        TimerState::Rearmed => TimerState::Pending,
                        other => other,
                    };
                }
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            // Go's Reset reports whether the timer was active, and does not
            // drain a value already waiting.
            Op::Reset => match self.object_mut(x)? {
                Object::Ticker { running, aged, .. } => {
                    *running = true;
                    *aged = false;
                }
                Object::Timer { state, aged, .. } => {
                    result = Value::Bool(state.active());
                    *aged = false;
                    *state = if state.waiting() { TimerState::Rearmed } else { TimerState::Armed };
                }
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            Op::Lock => match self.object_mut(x)? {
                Object::Mutex { locked } => *locked = true,
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            Op::Unlock => match self.object_mut(x)? {
                Object::Mutex { locked } if *locked => *locked = false,
                Object::Mutex { .. } => return Err("fatal error: sync: unlock of unlocked mutex".to_string()),
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            // Go's RLock counts the reader at once; behind a writer it then
            // waits for a permit, which the writer's unlock gives.
            Op::RLock => {
                let phase = self.task(t).phase;
                let rw = self.rwmutex(x)?;
                if phase == Phase::ReaderWaiting {
                    rw.take(false);
                    self.task_mut(t).phase = Phase::Start;
                } else if rw.rlock()? {
                    let task = self.task_mut(t);
                    task.phase = Phase::ReaderWaiting;
                    task.spin = 0;
                    return Ok(());
                }
            }
            Op::RUnlock => self.rwmutex(x)?.runlock()?,
            Op::WLock => {
                let phase = self.task(t).phase;
                let rw = self.rwmutex(x)?;
                if phase == Phase::WriterWaiting {
                    rw.take(true);
                    self.task_mut(t).phase = Phase::Start;
                } else if rw.lock()? {
                    self.task_mut(t).phase = Phase::WriterWaiting;
                    return Ok(());
                }
            }
            Op::WUnlock => self.rwmutex(x)?.unlock()?,
            Op::WgAdd | Op::WgDone if self.task(t).phase == Phase::WgReleasing => {
                // Go checks that no Add came since the counter reached zero,
                // then releases every parked `wait`.
                let released = match self.object_mut(x)? {
                    Object::WaitGroup { count, .. } if *count != 0 => return Err(WG_MISUSE.to_string()),
                    Object::WaitGroup { waiters, .. } => std::mem::take(waiters),
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                };
                for w in released {
                    self.task_mut(w).phase = Phase::WgReleased;
                }
                self.task_mut(t).phase = Phase::Start;
            }
            Op::WgAdd | Op::WgDone => {
                let n = match arg {
                    Some(a) if op == Op::WgAdd => self.eval(t, a)?.int()?,
                    _ => -1,
                };
                let (c, parked) = match self.object_mut(x)? {
                    Object::WaitGroup { count, waiters } => {
                        *count = count.checked_add(n).ok_or_else(|| "integer overflow".to_string())?;
                        (*count, !waiters.is_empty())
                    }
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                };
                if c < 0 {
                    // Stored; the panic is the task's next step.
                    self.task_mut(t).phase = Phase::WgNegative;
                    return Ok(());
                }
                if parked && n > 0 && c == n {
                    // An Add between the counter reaching zero and the
                    // release of the waits parked on it: stored, and the
                    // panic is the task's next step.
                    self.task_mut(t).phase = Phase::WgMisused;
                    return Ok(());
                }
                if c == 0 && parked {
                    // The counter reached zero: the release is the next step.
                    self.task_mut(t).phase = Phase::WgReleasing;
                    return Ok(());
                }
            }
            Op::WgWait => {
                let phase = self.task(t).phase;
                match self.object_mut(x)? {
                    Object::WaitGroup { count, waiters } => match phase {
                        Phase::WgReleased if *count != 0 || !waiters.is_empty() => {
                            return Err(WG_REUSED.to_string());
                        }
                        Phase::Start if *count != 0 => {
                            waiters.push(t);
                            let task = self.task_mut(t);
                            task.phase = Phase::WgWaiting;
                            task.spin = 0;
                            return Ok(());
                        }
                        _ => {}
                    },
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                }
                self.task_mut(t).phase = Phase::Start;
            }
            Op::CondWait => {
                if !self.cond_wait(t, x.obj()?)? {
                    return Ok(());
                }
            }
            Op::CondSignal | Op::CondBroadcast => {
                let woken: Vec<Instance> = match self.object_mut(x)? {
                    // The notify list is a ticket queue: a signal wakes the
                    // task that has waited longest.
                    Object::Cond { waiters, .. } if op == Op::CondSignal => {
                        waiters.pop_front().into_iter().collect()
                    }
                    Object::Cond { waiters, .. } => waiters.drain(..).collect(),
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                };
                for w in woken {
                    self.task_mut(w).phase = Phase::CondWoken;
                }
            }
            // `g.wait()` is its WaitGroup's `Wait`, with Go's check that
            // nobody reused the group between its release and its return.
            Op::GroupWait => {
                let phase = self.task(t).phase;
                let (ctx, failed) = match self.object_mut(x)? {
                    Object::Group { running, waiters, .. } if phase == Phase::Start && *running > 0 => {
                        waiters.push(t);
                        let task = self.task_mut(t);
                        task.phase = Phase::WgWaiting;
                        task.spin = 0;
                        return Ok(());
                    }
                    Object::Group { running, waiters, .. }
                        if phase == Phase::WgReleased && (*running != 0 || !waiters.is_empty()) =>
                    {
                        return Err(WG_REUSED.to_string());
                    }
                    Object::Group { ctx, failed, .. } => (*ctx, *failed),
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                };
                self.task_mut(t).phase = Phase::Start;
                // errgroup's Wait returns from its cancel only once the
                // cancellation has walked down: the walk ends the wait.
                if self.cancel(ctx) {
                    return Ok(());
                }
                result = Value::result(failed);
            }
        }
        if let Some(d) = dst {
            self.store(t, d, result)?;
        }
        self.advance(t);
        Ok(())
    }

    /// `close(ch)`.
    fn close(&mut self, x: Value) -> Result<(), String> {
        match x {
            Value::Nil => Err("close of nil channel".to_string()),
            Value::Done(_) => Err("close of receive-only channel ctx.done".to_string()),
            _ => match self.object_mut(x)? {
                Object::Chan(ch) if ch.closed => Err("close of closed channel".to_string()),
                Object::Chan(ch) => {
                    ch.closed = true;
                    Ok(())
                }
                _ => Err(NIL_DEREFERENCE.to_string()),
            },
        }
    }

    /// One phase of `c.wait()`: release the mutex and join the notify list,
    /// or (once woken, with the mutex free) take the mutex again. Returns
    /// whether the operation is over.
    fn cond_wait(&mut self, t: Instance, cond: ObjId) -> Result<bool, String> {
        let Object::Cond { mutex, .. } = self.heap[cond as usize] else {
            return Err(NIL_DEREFERENCE.to_string());
        };
        let phase = self.task(t).phase;
        if matches!(self.heap[mutex as usize], Object::RwMutex(_)) {
            return self.cond_wait_rlocker(t, cond, mutex, phase);
        }
        match (&mut self.heap[mutex as usize], phase == Phase::CondWoken) {
            (Object::Mutex { locked }, true) => {
                *locked = true;
                self.task_mut(t).phase = Phase::Start;
                Ok(true)
            }
            (Object::Mutex { locked: false }, false) => {
                Err("fatal error: sync: unlock of unlocked mutex".to_string())
            }
            (Object::Mutex { locked }, false) => {
                *locked = false;
                self.cond_park(t, cond);
                Ok(false)
            }
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// `c.wait()` on a `cond(rw.rlocker())`: it releases a read lock and
    /// joins the notify list; woken, it takes a read lock back as Go's RLock
    /// does, waiting behind a writer for a permit. Returns whether it is over.
    fn cond_wait_rlocker(
        &mut self,
        t: Instance,
        cond: ObjId,
        rw: ObjId,
        phase: Phase,
    ) -> Result<bool, String> {
        let rw = self.rwmutex(Value::Obj(rw))?;
        match phase {
            Phase::CondWoken if rw.rlock()? => {
                let task = self.task_mut(t);
                task.phase = Phase::ReaderWaiting;
                task.spin = 0;
                Ok(false)
            }
            Phase::CondWoken | Phase::ReaderWaiting => {
                rw.take(false);
                self.task_mut(t).phase = Phase::Start;
                Ok(true)
            }
            _ => {
                rw.runlock()?;
                self.cond_park(t, cond);
                Ok(false)
            }
        }
    }

    /// The rwmutex a value names, to change.
    fn rwmutex(&mut self, v: Value) -> Result<&mut leash_semantics::RwMutex, String> {
        match self.object_mut(v)? {
            Object::RwMutex(rw) => Ok(rw),
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// Task `t` joins the notify list of `cond`, its lock released.
    fn cond_park(&mut self, t: Instance, cond: ObjId) {
        if let Object::Cond { waiters, .. } = &mut self.heap[cond as usize] {
            waiters.push_back(t);
        }
        let task = self.task_mut(t);
        task.phase = Phase::CondWaiting;
        task.spin = 0;
    }

    /// Enters `once.do`: the first caller runs the body, later ones skip it
    /// (callers arriving while it runs were planned as blocked).
    pub(crate) fn once_enter(&mut self, t: Instance, once: &Expr, skip: u16) -> Result<(), String> {
        let x = self.eval(t, once)?;
        match self.object_mut(x)? {
            Object::Once(state @ OnceState::NotRun) => {
                *state = OnceState::Running;
                self.advance(t);
            }
            Object::Once(_) => self.jump(t, skip),
            _ => return Err(NIL_DEREFERENCE.to_string()),
        }
        Ok(())
    }

    /// Leaves the body of `once.do`.
    pub(crate) fn once_exit(&mut self, t: Instance, once: &Expr) -> Result<(), String> {
        let x = self.eval(t, once)?;
        match self.object_mut(x)? {
            Object::Once(state) => *state = OnceState::Done,
            _ => return Err(NIL_DEREFERENCE.to_string()),
        }
        self.advance(t);
        Ok(())
    }

    /// A task of an error group exited with `result`: one fewer running, and
    /// the first `err` marks the group failed and cancels its context.
    pub(crate) fn group_exit(&mut self, g: ObjId, result: Value) {
        let mut cancel = None;
        let mut released = Vec::new();
        if let Object::Group { ctx, running, failed, waiters, .. } = &mut self.heap[g as usize] {
            *running -= 1;
            // The last task of the group releases every parked `wait`.
            if *running == 0 {
                released = std::mem::take(waiters);
            }
            if result == Value::Err && !*failed {
                *failed = true;
                cancel = Some(*ctx);
            }
        }
        for w in released {
            self.task_mut(w).phase = Phase::WgReleased;
        }
        self.admit(g);
        if let Some(c) = cancel {
            self.cancel(c);
        }
    }
}

/// Go's panic for `q[0]` on an empty slice: a `pop` of an empty list.
const LIST_EMPTY: &str = "runtime error: index out of range [0] with length 0";
