//! Executing a step: the instruction's effect on a copy of the state, then the
//! silent instructions after it, then the settling of exits.

use super::map_race::MAP_WRITING;
use super::ready::{classify, cond_waiters, instr_of, line_of, top, waiting_in, Operand};
use super::{new_task, Applied, Transition};
use crate::canon::canonicalize;
use crate::eval::{eval, observes_done, store, Fault};
use crate::state::{CtxKind, Deferred, Frame, Object, Panic, State, TimerState, Value};
use crate::{Event, FindingKind};
use leash_ir::{spin_of_loop, Ctor, Elem, Expr, Instr, Op, Place, Program};
use std::sync::Arc;

/// Go's panic when a wait group's counter goes up from zero while the Waits
/// parked on it are being released.
const WG_MISUSE: &str = "sync: WaitGroup misuse: Add called concurrently with Wait";

/// A mutable state under construction by one step.
pub(super) struct Exec<'p> {
    pub(super) p: &'p Program,
    pub(super) s: State,
    pub(super) events: Vec<Event>,
    pub(super) spawned: Vec<usize>,
    /// Tasks that returned during this step, with their results; their exit is
    /// settled once every task moved by the step has run ahead.
    pub(super) exits: Vec<(usize, Value)>,
    /// The timed objects made or reset, by heap index during the step (see
    /// [`Applied::rearmed`]).
    pub(super) rearmed: Vec<u16>,
    /// How many objects the heap held when the step began: those past them
    /// are new.
    pub(super) objects: usize,
    /// Whether a channel was closed or a context cancelled since parked
    /// tasks were last settled: only then may one complete a case alone.
    pub(super) closes: bool,
    /// Whether a task parked or left its wait queues: only then may places
    /// in line need renumbering (see `canon.rs`).
    pub(super) waits_moved: bool,
    /// The task whose step this is; `None` for a step of time or of the
    /// environment.
    pub(super) mover: Option<usize>,
    /// A panic that a task's deferred calls have run for: the program
    /// stops with it in this step.
    pub(super) landed: Option<Event>,
}

/// The phase of an error group's task that reached its end while another
/// task's step ran it on (a spawn, a partner, a close), or that failed: its
/// exit, which marks the group failed, cancels its context, frees its place
/// and counts down its WaitGroup, is a step of its own, as Go runs the
/// goroutine later, and cancels only once the member's function returned.
pub(crate) const EXITING: u8 = 7;

/// The phase of a task at a `send`, `recv` or `select` whose parked cases
/// a close or a cancellation made ready two or more at once, in an order
/// Go decides (cases on one channel, contexts in sibling subtrees): it left
/// its queues, and its next step takes one of them.
pub(crate) const WOKEN: u8 = 8;

impl<'p> Exec<'p> {
    pub(super) fn frame(&self, func: u16, args: &[Value]) -> Frame {
        let n = self.p.func(func).locals.len();
        let mut locals = args.to_vec();
        locals.resize(n.max(args.len()), Value::Unit);
        Frame { func, pc: 0, locals, defers: Vec::new(), ret: None }
    }

    /// The instruction task `slot` is at; borrowed from the program, not
    /// from the state, so that the step can change the state while it reads it.
    pub(super) fn instr(&self, slot: usize) -> &'p Instr {
        instr_of(self.p, &self.s, slot)
    }

    pub(super) fn fault(&self, slot: usize, detail: Fault) -> Event {
        if let Some(landed) = &self.landed {
            return landed.clone();
        }
        let task = self.s.tasks.get(slot);
        let func = task.map_or(self.p.main, |t| t.func);
        let at = task.and_then(|t| t.frames.last()).map(|f| (f.func, f.pc));
        Event { kind: FindingKind::Panic, func, detail, at }
    }

    /// Ends the step: exits settled, and the tasks that a close or a
    /// cancellation woke moved (their exits too, and so on); then the state
    /// made canonical. A woken task's panic is the step's.
    pub(super) fn finish(mut self, spawned: Vec<u16>) -> Result<Applied, Event> {
        loop {
            for (slot, result) in std::mem::take(&mut self.exits) {
                self.exit(slot, result);
            }
            let woke =
                std::mem::take(&mut self.closes) && self.settle().map_err(|(slot, f)| self.fault(slot, f))?;
            if !woke && self.exits.is_empty() {
                break;
            }
        }
        let c = canonicalize(self.p, &mut self.s, self.waits_moved);
        self.events.extend(c.events);
        let heap = &self.s.heap;
        let mut renamed = 0u64;
        let mut mark = |j: u16| renamed |= if j < 64 { 1 << j } else { u64::MAX };
        // Made or reset in the step (and not collected since).
        self.rearmed.iter().map(|&o| c.heap_map[o as usize]).filter(|&j| j != u16::MAX).for_each(&mut mark);
        // Moved to another index by the collection.
        for (i, &j) in c.heap_map[..self.objects.min(c.heap_map.len())].iter().enumerate() {
            if j != u16::MAX && j as usize != i && heap.get(j as usize).is_some_and(Object::is_timed) {
                mark(j);
            }
        }
        Ok(Applied {
            state: self.s,
            events: self.events,
            spawned,
            exited: c.exited,
            heap_map: c.heap_map,
            renamed,
        })
    }

    pub(super) fn top_mut(&mut self, slot: usize) -> &mut Frame {
        self.s.task_mut(slot).frames.last_mut().expect("live tasks have a frame")
    }

    pub(super) fn advance(&mut self, slot: usize) {
        self.top_mut(slot).pc += 1;
    }

    pub(super) fn goto(&mut self, slot: usize, pc: u16) {
        self.top_mut(slot).pc = pc;
    }

    pub(super) fn eval(&self, slot: usize, e: &Expr) -> Result<Value, Fault> {
        eval(&self.s, slot, e)
    }

    pub(super) fn store(&mut self, slot: usize, place: &Place, v: Value) -> Result<(), Fault> {
        let p = self.p;
        let s = &self.s;
        let func = top(s, slot).func;
        let name = |pl: &Place| match pl {
            Place::Global(g) => p.globals[*g as usize].name.clone(),
            Place::Local(l) | Place::Bind(l) => p.func(func).locals[*l as usize].clone(),
            Place::Index(..) => "array element".into(),
            Place::Field(_, r) => {
                let d = &p.structs[r.def as usize];
                format!("{}.{}", d.name, d.fields[r.index as usize])
            }
            Place::MapEntry(..) => "map entry".into(),
        };
        store(&mut self.s, slot, place, v, &name)
    }

    pub(super) fn store_opt(&mut self, slot: usize, place: &Option<Place>, v: Value) -> Result<(), Fault> {
        match place {
            Some(pl) => self.store(slot, pl, v),
            None => Ok(()),
        }
    }

    pub(super) fn heap_obj(&mut self, slot: usize, e: &Expr) -> Result<(u16, &mut Object), Fault> {
        match self.eval(slot, e)? {
            Value::Obj(o) => Ok((o, self.s.heap.get_mut(o as usize).ok_or("dangling handle")?)),
            Value::Nil => Err(crate::eval::NIL_DEREFERENCE.into()),
            _ => Err("operation on a value of the wrong kind".into()),
        }
    }

    /// Runs the silent instructions after a visible one, up to the task's
    /// next visible instruction (or its end). A silent instruction that
    /// would fault (an assertion that fails) is left undone, for the task's
    /// own next step: in Go a goroutine's panic happens when it runs, and
    /// the goroutine that woke or spawned it, or this one's partner, may run
    /// on first (fail, or end the program). A panic whose unwinding began in
    /// the task's own step lands where it lands.
    pub(super) fn run_ahead(&mut self, slot: usize) -> Result<(), Fault> {
        let mut budget = 100_000u32;
        while let Some(f) = self.s.tasks[slot].frames.last() {
            let instr = &self.p.func(f.func).code[f.pc as usize];
            if !self.p.func(f.func).silent[f.pc as usize]
                || self.s.tasks[slot].phase == EXITING
                || self.derives_from_walking(slot, instr)
            {
                self.arrive(slot);
                return Ok(());
            }
            budget -= 1;
            if budget == 0 {
                return Err("internal: silent instructions did not terminate".into());
            }
            // A task unwinding a panic lands it here (the step's error, see
            // `landed`).
            if self.s.tasks[slot].panic.is_some() {
                self.exec(slot, &Transition::task(slot)).or_else(|f| self.start_panic(slot, f))?;
                continue;
            }
            let (task, objects) = (self.s.tasks[slot].clone(), self.s.heap.len());
            if self.exec(slot, &Transition::task(slot)).is_err() {
                self.s.tasks[slot] = task;
                self.s.heap.truncate(objects);
                return Ok(());
            }
        }
        Ok(())
    }

    /// Whether `instr` makes a child of a context whose cancellation walks
    /// down: the task waits there for the walk (see `leash_ir::derives_from`).
    fn derives_from_walking(&self, slot: usize, instr: &Instr) -> bool {
        leash_ir::derives_from(instr)
            .is_some_and(|p| matches!(self.eval(slot, p), Ok(Value::Obj(c)) if self.s.ctx_walking(c)))
    }

    /// Task `slot` panicked with `detail`. Go runs its deferred calls
    /// first, innermost first, frame by frame, and stops the program only
    /// when they are done: a task with deferred calls keeps the panic and
    /// goes to the next one (its queues and any operation under way left);
    /// one without, or a panic that has just landed, stays the error. A
    /// fatal error (an unlock of an unlocked mutex, concurrent map writes)
    /// is no panic: Go stops the program at once, runs no deferred call,
    /// and `recover()` cannot stop it.
    pub(super) fn start_panic(&mut self, slot: usize, detail: Fault) -> Result<(), Fault> {
        let task = &self.s.tasks[slot];
        if self.landed.is_some()
            || leash_ir::is_fatal(&detail)
            || task.frames.iter().all(|f| f.defers.is_empty())
        {
            return Err(detail);
        }
        let at = task.frames.last().map(|f| (f.func, f.pc));
        self.unpark(slot);
        let task = self.s.task_mut(slot);
        task.phase = 0;
        task.panic = Some(Arc::new(Panic { at, detail }));
        self.unwind_panic(slot)
    }

    /// Goes on unwinding task `slot`'s panic: the next deferred call, in
    /// this frame or the ones below, or, when none is left, the panic lands
    /// (the error of the step, see `landed`).
    fn unwind_panic(&mut self, slot: usize) -> Result<(), Fault> {
        let p = self.p;
        loop {
            self.leave_onces(slot);
            let task = self.s.task_mut(slot);
            let Some(frame) = task.frames.last_mut() else { break };
            if let Some(d) = frame.defers.pop() {
                // What the function returns if a `recover()` stops the panic:
                // its results as a `return` set them, else zero values.
                let func = p.func(frame.func);
                frame.ret.get_or_insert_with(|| crate::eval::constant(func.zero));
                for (&local, &zero) in func.results.iter().zip(&func.result_zeros) {
                    if let Some(v @ Value::Unit) = frame.locals.get_mut(local as usize) {
                        *v = crate::eval::constant(zero);
                    }
                }
                frame.pc = d.block;
                for (local, v) in d.args {
                    if let Some(l) = frame.locals.get_mut(local as usize) {
                        *l = v;
                    }
                }
                return Ok(());
            }
            task.frames.pop();
        }
        let task = &self.s.tasks[slot];
        let panic = task.panic.as_deref().expect("a task unwinding a panic");
        let detail = panic.detail.clone();
        self.landed =
            Some(Event { kind: FindingKind::Panic, func: task.func, detail: detail.clone(), at: panic.at });
        Err(detail)
    }

    /// A panic leaves the `once.do` bodies task `slot`'s top frame is in:
    /// each once is done, and the callers waiting in it go on.
    fn leave_onces(&mut self, slot: usize) {
        let Some(f) = self.s.tasks[slot].frames.last() else { return };
        let onces: Vec<u16> = self
            .p
            .func(f.func)
            .onces_around(f.pc)
            .filter_map(|e| match self.eval(slot, e) {
                Ok(Value::Obj(o)) => Some(o),
                _ => None,
            })
            .collect();
        for o in onces {
            if let Some(Object::Once { state }) = self.s.heap.get_mut(o as usize) {
                *state = 2;
            }
        }
    }

    /// Task `slot` has reached its next visible instruction. Work that takes
    /// no context, started by a task whose scope is cancelled before the
    /// task has seen that, is work-after-cancel: nobody needs it any more.
    /// Work the task starts once it has seen the cancellation (a graceful
    /// flush), or that was under way when the cancellation came, is not.
    fn arrive(&mut self, slot: usize) {
        if !matches!(self.instr(slot), Instr::Work { ctx: None, .. })
            || self.s.tasks[slot].seen
            || !self.scope(slot).into_iter().any(|c| self.s.ctx_done(c))
        {
            return;
        }
        let func = self.s.tasks[slot].func;
        let at = top(&self.s, slot);
        self.events.push(Event {
            kind: FindingKind::WorkAfterCancel,
            func,
            detail: "work started after its context was cancelled".into(),
            at: Some((at.func, at.pc)),
        });
    }

    /// The contexts a task was started with: its parameters that hold one,
    /// and its error group's context.
    fn scope(&self, slot: usize) -> Vec<u16> {
        let task = &self.s.tasks[slot];
        let Some(first) = task.frames.first() else { return Vec::new() };
        let params = self.p.func(first.func).params as usize;
        let mut out: Vec<u16> = first.locals[..params.min(first.locals.len())]
            .iter()
            .filter_map(|v| match *v {
                Value::Obj(o) if matches!(self.s.heap.get(o as usize), Some(Object::Ctx { .. })) => Some(o),
                _ => None,
            })
            .collect();
        if let Some(Object::Group { ctx, .. }) = task.group.and_then(|g| self.s.heap.get(g as usize)) {
            out.push(*ctx);
        }
        out
    }

    pub(super) fn new_obj(&mut self, o: Object) -> u16 {
        self.s.heap.push(o);
        (self.s.heap.len() - 1) as u16
    }

    pub(super) fn make(&mut self, slot: usize, ctor: &Ctor) -> Result<Value, Fault> {
        let creator = self.s.tasks[slot].func;
        let holder = Some(slot as u16);
        let ctx = |kind, parent| Object::Ctx {
            kind,
            parent,
            cancelled: false,
            cancel_called: false,
            creator,
            holder,
            aged: false,
            walking: false,
        };
        let parent = |x: &Self, e: &Expr| match x.eval(slot, e)? {
            Value::Obj(o) => Ok(o),
            // Go's WithCancel, WithTimeout and errgroup.WithContext on nil.
            _ => Err(Fault::from("cannot create context from nil parent")),
        };
        let o = match ctor {
            Ctor::Chan(cap) => {
                let Value::Int(cap) = self.eval(slot, cap)? else {
                    return Err("bad capacity".into());
                };
                Object::Chan { cap: cap as u8, buf: Vec::new(), closed: false }
            }
            Ctor::Mutex => Object::Mutex { locked: false },
            Ctor::RwMutex => Object::RwMutex(crate::RwMutex::default()),
            Ctor::Cond(m) => match self.eval(slot, m)? {
                Value::Obj(mutex) => Object::Cond { mutex },
                _ => return Err("cond needs a mutex".into()),
            },
            Ctor::Once => Object::Once { state: 0 },
            Ctor::WaitGroup => Object::WaitGroup { count: 0, waiters: 0 },
            Ctor::Group { ctx: parent_ctx, limit } => {
                let parent = match parent_ctx {
                    Some(e) => Some(parent(self, e)?),
                    None => None,
                };
                let limit = match limit {
                    Some(l) => match self.eval(slot, l)? {
                        Value::Int(n) => n.clamp(0, 255) as u8,
                        _ => 0,
                    },
                    None => 0,
                };
                let c = self.new_obj(ctx(CtxKind::Group, parent));
                Object::Group { ctx: c, active: 0, limit, failed: false, waiters: 0 }
            }
            Ctor::Background => ctx(CtxKind::Background, None),
            Ctor::Signal => ctx(CtxKind::Signal, None),
            Ctor::WithCancel(e) => ctx(CtxKind::Cancel, Some(parent(self, e)?)),
            Ctor::WithTimeout(e) => ctx(CtxKind::Timeout, Some(parent(self, e)?)),
            Ctor::Ticker { short } => {
                Object::Ticker { running: true, pending: false, creator, short: *short, aged: false }
            }
            Ctor::Timer { short } => {
                Object::Timer { state: TimerState::Armed, creator, short: *short, aged: false }
            }
            Ctor::Cell { init, range } => {
                let v = self.eval(slot, init)?;
                let c = self.new_obj(Object::Cell { value: Value::Unit, range: *range });
                if let (Some((lo, hi)), Value::Int(i)) = (range, v) {
                    if i < *lo || i > *hi {
                        return Err(format!("value {i} out of range {lo}..{hi}"));
                    }
                }
                self.s.heap[c as usize] = Object::Cell { value: v, range: *range };
                return Ok(Value::Ref(c));
            }
            Ctor::Share(e) => {
                return match self.eval(slot, e)? {
                    Value::Ref(c) => Ok(Value::Ref(c)),
                    v => Ok(Value::Ref(self.new_obj(Object::Cell { value: v, range: None }))),
                };
            }
            Ctor::Array { elem, len } => {
                let mut xs = Vec::with_capacity(*len as usize);
                for _ in 0..*len {
                    xs.push(match &**elem {
                        Elem::Ctor(c) => self.make(slot, c)?,
                        Elem::Value(v) => self.eval(slot, v)?,
                    });
                }
                Object::Array(xs)
            }
            Ctor::Map | Ctor::List => Object::Array(Vec::new()),
            // A closure is stored as its helper and the values it captured.
            Ctor::Closure { func, captures } => {
                let mut xs = vec![Value::Func(*func)];
                for c in captures {
                    xs.push(self.eval(slot, c)?);
                }
                Object::Array(xs)
            }
            // The keys the map has now, none produced yet.
            Ctor::MapIter(m) => {
                let keys = crate::eval::map_entries(&self.s, self.eval(slot, m)?)?;
                Object::Array(keys.iter().step_by(2).flat_map(|&k| [k, Value::Bool(false)]).collect())
            }
            Ctor::Struct { fields, .. } => {
                let mut xs = Vec::with_capacity(fields.len());
                for field in fields {
                    xs.push(match field {
                        Elem::Ctor(c) => self.make(slot, c)?,
                        Elem::Value(v) => self.eval(slot, v)?,
                    });
                }
                Object::Array(xs)
            }
        };
        let timed = o.is_timed();
        let x = self.new_obj(o);
        if timed {
            self.rearmed.push(x);
        }
        Ok(Value::Obj(x))
    }

    pub(super) fn exec(&mut self, slot: usize, t: &Transition) -> Result<(), Fault> {
        let instr = self.instr(slot);
        if observes_done(&self.s, slot, instr) {
            self.s.task_mut(slot).seen = true;
        }
        if self.p.maps_written {
            if instr.map_written().is_some() && self.map_write_ends(slot) {
                return Ok(());
            }
            if self.s.tasks.iter().any(|t| t.phase == MAP_WRITING) {
                self.map_race(slot, instr)?;
            }
        }
        match &instr {
            Instr::Recover { dst, deferred } => {
                let stopped = self.s.tasks[slot].panic.is_some()
                    && self.p.recover_is_direct(*deferred, caller_of(&self.s.tasks[slot].frames));
                if stopped {
                    self.s.task_mut(slot).panic = None;
                }
                self.store_opt(slot, dst, if stopped { Value::Err } else { Value::Ok })?;
                self.advance(slot);
            }
            Instr::Assign { dst, value } => {
                let v = self.eval(slot, value)?;
                self.store(slot, dst, v)?;
                match dst {
                    Place::MapEntry(..) => self.map_write_begun(slot),
                    _ => self.advance(slot),
                }
            }
            Instr::New { dst, ctor } => {
                let v = self.make(slot, ctor)?;
                self.store(slot, dst, v)?;
                self.advance(slot);
            }
            Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. } => self.chan_step(slot, t)?,
            Instr::Spawn { .. } | Instr::Op { .. } if t.parks() => self.park(slot),
            Instr::Spawn { func, args, dst, group, detached } => {
                let args = args.iter().map(|a| self.eval(slot, a)).collect::<Result<Vec<_>, _>>()?;
                // Admitted from the line or not, its task counts from now.
                if self.s.tasks[slot].phase != 0 {
                    self.s.task_mut(slot).phase = 0;
                }
                let group = match group {
                    Some(g) => {
                        let (o, obj) = self.heap_obj(slot, g)?;
                        let Object::Group { active, .. } = obj else {
                            return Err("go on a non-group".into());
                        };
                        *active += 1;
                        Some(o)
                    }
                    None => None,
                };
                let frame = self.frame(*func, &args);
                let child = self.s.tasks.len();
                let owner = (!detached).then_some(slot as u16);
                self.s.tasks.push(new_task(*func, owner, group, frame));
                self.spawned.push(child);
                self.store_opt(slot, dst, Value::Task(child as u16))?;
                self.advance(slot);
                self.run_ahead(child)?;
            }
            Instr::Join { .. } | Instr::Yield | Instr::Sleep => self.advance(slot),
            Instr::Work { ctx, dst, .. } => {
                if let Some(c) = ctx {
                    if self.eval(slot, c)? == Value::Nil {
                        return Err(crate::eval::NIL_DEREFERENCE.into());
                    }
                }
                if t.alt == 1
                    && ctx.as_ref().is_some_and(
                        |c| matches!(self.eval(slot, c), Ok(Value::Obj(o)) if self.s.ctx_done(o)),
                    )
                {
                    self.s.task_mut(slot).seen = true;
                }
                let r = if t.alt == 0 { Value::Ok } else { Value::Err };
                self.store_opt(slot, dst, r)?;
                self.advance(slot);
            }
            Instr::Call { callee, args, .. } => {
                let mut values = Vec::new();
                let func = match callee {
                    leash_ir::Callee::Static(f) => *f,
                    leash_ir::Callee::Dynamic(e) => match self.eval(slot, e)? {
                        Value::Func(f) => f,
                        // A closure: its helper, given what it captured first.
                        Value::Obj(o) => match self.s.heap.get(o as usize) {
                            Some(Object::Array(xs)) if matches!(xs.first(), Some(Value::Func(_))) => {
                                values.extend_from_slice(&xs[1..]);
                                let Value::Func(f) = xs[0] else { unreachable!("matched") };
                                f
                            }
                            _ => return Err("call of a value that is not a function".into()),
                        },
                        Value::Nil => return Err(crate::eval::NIL_DEREFERENCE.into()),
                        _ => return Err("call of a value that is not a function".into()),
                    },
                };
                for a in args {
                    values.push(self.eval(slot, a)?);
                }
                let args = values;
                let frame = self.frame(func, &args);
                self.s.task_mut(slot).frames.push(frame);
            }
            // The phase stays while the exit runs: `unwind` leaves the frame.
            Instr::Return { .. } | Instr::EndDefer if self.s.tasks[slot].phase == EXITING => {
                self.unwind(slot)?
            }
            Instr::Return { value } => {
                let v = match value {
                    Some(e) => self.eval(slot, e)?,
                    None => Value::Ok,
                };
                self.top_mut(slot).ret = Some(v);
                self.unwind(slot)?;
            }
            Instr::EndDefer => self.unwind(slot)?,
            Instr::Jump { target } => {
                // Going round a loop that polls (its body has a `select` with
                // `default` or a `yield`) marks the task as spinning.
                let f = top(&self.s, slot);
                if *target <= f.pc {
                    if let Some(mark) =
                        spin_of_loop(&self.p.func(f.func).code[*target as usize..=f.pc as usize])
                    {
                        self.s.task_mut(slot).spin = mark;
                    }
                }
                self.goto(slot, *target);
            }
            Instr::Branch { cond, target } => match self.eval(slot, cond)? {
                Value::Bool(true) => self.advance(slot),
                Value::Bool(false) => self.goto(slot, *target),
                _ => return Err("condition is not a bool".into()),
            },
            Instr::Choose { targets } => self.goto(slot, targets[t.alt as usize]),
            // The program ends: every task stops where it is, and what they
            // held goes with them (no owner-rule finding: nothing outlives
            // the process).
            Instr::Exit => {
                for task in &mut self.s.tasks {
                    Arc::make_mut(task).frames.clear();
                }
                for o in &mut self.s.heap {
                    *o = Object::Cell { value: Value::Unit, range: None };
                }
            }
            Instr::MapNext { iter, map, key, value, found } => {
                if t.alt == Transition::MAP_END {
                    self.store(slot, found, Value::Bool(false))?;
                } else {
                    let m = self.eval(slot, map)?;
                    let xs = crate::eval::map_entries(&self.s, m)?;
                    let i = 2 * t.alt as usize;
                    let (k, v) = (xs[i], xs[i + 1]);
                    let it = self.eval(slot, iter)?;
                    let marks = crate::eval::map_entries_mut(&mut self.s, it)?;
                    match crate::eval::entry(marks, k) {
                        Some(j) => marks[j + 1] = Value::Bool(true),
                        None => marks.extend([k, Value::Bool(true)]),
                    }
                    self.store_opt(slot, key, k)?;
                    self.store_opt(slot, value, v)?;
                    self.store(slot, found, Value::Bool(true))?;
                }
                self.advance(slot);
            }
            Instr::Assert { cond } => match self.eval(slot, cond)? {
                Value::Bool(true) => self.advance(slot),
                _ => return Err("assertion failed".into()),
            },
            Instr::Defer { block, capture } => {
                let args = capture
                    .iter()
                    .map(|(local, e)| Ok((*local, self.eval(slot, e)?)))
                    .collect::<Result<Vec<_>, Fault>>()?;
                self.top_mut(slot).defers.push(Deferred { block: *block, args });
                self.advance(slot);
            }
            Instr::OnceEnter { once, skip } => {
                let (_, o) = self.heap_obj(slot, once)?;
                let Object::Once { state } = o else {
                    return Err("do on a non-once".into());
                };
                if *state == 0 {
                    *state = 1;
                    self.advance(slot);
                } else {
                    self.goto(slot, *skip);
                }
            }
            Instr::OnceExit { once } => {
                let (_, o) = self.heap_obj(slot, once)?;
                if let Object::Once { state } = o {
                    *state = 2;
                }
                self.advance(slot);
            }
            Instr::Op { op, target, arg, dst } => {
                // Leaving a line: the lock is taken.
                if matches!(op, Op::Lock | Op::WLock | Op::CondWait) {
                    self.unpark(slot);
                }
                self.op(slot, *op, target, arg.as_ref(), dst)?
            }
        }
        Ok(())
    }

    /// A list's load (a copy of `q`, with `arg` appended for a push) or its
    /// store (`q` becomes the copy `arg`, less its first element for a pop).
    fn list_op(
        &mut self,
        slot: usize,
        op: Op,
        q: Value,
        arg: Option<Value>,
        dst: &Option<Place>,
    ) -> Result<(), Fault> {
        if op == Op::ListLoad {
            let mut xs = crate::eval::map_entries(&self.s, q)?.to_vec();
            match arg {
                Some(v) => xs.push(v),
                // A pop's `q[0]`: Go panics before it stores.
                None if xs.is_empty() => return Err(LIST_EMPTY.into()),
                None => {}
            }
            let copy = self.new_obj(Object::Array(xs));
            return self.store_opt(slot, dst, Value::Obj(copy));
        }
        let copy = arg.ok_or("a list's store without its load")?;
        let mut xs = crate::eval::map_entries(&self.s, copy)?.to_vec();
        let first = match op {
            Op::Pop if xs.is_empty() => return Err(LIST_EMPTY.into()),
            Op::Pop => Some(xs.remove(0)),
            _ => None,
        };
        *crate::eval::map_entries_mut(&mut self.s, q)? = xs;
        match first {
            Some(v) => self.store_opt(slot, dst, v),
            None => Ok(()),
        }
    }

    pub(super) fn op(
        &mut self,
        slot: usize,
        op: Op,
        target: &Expr,
        arg: Option<&Expr>,
        dst: &Option<Place>,
    ) -> Result<(), Fault> {
        if matches!(op, Op::ListLoad | Op::Push | Op::Pop) {
            let q = self.eval(slot, target)?;
            if q == Value::Nil {
                return Err(crate::eval::NIL_DEREFERENCE.into());
            }
            let arg = match arg {
                Some(a) => Some(self.eval(slot, a)?),
                None => None,
            };
            self.list_op(slot, op, q, arg, dst)?;
            self.advance(slot);
            return Ok(());
        }
        if op == Op::MapDelete {
            let key = match arg {
                Some(a) => self.eval(slot, a)?,
                None => return Err("delete without a key".into()),
            };
            // Deleting from a nil or empty map does nothing, as in Go; from
            // another, it is a write of two steps (see `map_race`).
            let m = self.eval(slot, target)?;
            if m != Value::Nil {
                let xs = crate::eval::map_entries_mut(&mut self.s, m)?;
                if !xs.is_empty() {
                    if let Some(i) = crate::eval::entry(xs, key) {
                        xs.drain(i..i + 2);
                    }
                    self.map_write_begun(slot);
                    return Ok(());
                }
            }
            self.advance(slot);
            return Ok(());
        }
        let n = match arg {
            Some(a) => match self.eval(slot, a)? {
                Value::Int(n) => n,
                _ => return Err("count is not an int".into()),
            },
            None => 0,
        };
        if op == Op::Close {
            match classify(&self.s, self.eval(slot, target)?) {
                Operand::Nil => return Err("close of nil channel".into()),
                Operand::Done(_) => return Err("close of receive-only channel ctx.done".into()),
                Operand::Chan(c) => {
                    let Object::Chan { closed, .. } = &mut self.s.heap[c as usize] else {
                        unreachable!("classified")
                    };
                    if *closed {
                        return Err("close of closed channel".into());
                    }
                    *closed = true;
                    self.closes = true;
                }
                _ => return Err("close of a value that is not a channel".into()),
            }
            self.advance(slot);
            return Ok(());
        }
        let phase = self.s.tasks[slot].phase;
        let (id, o) = self.heap_obj(slot, target)?;
        let mut next_phase = 0;
        let mut result = None;
        let mut relock = None;
        let mut cancel_group = None;
        let mut cancel = None;
        let mut wake = false;
        match (op, o) {
            (Op::Lock, Object::Mutex { locked }) => *locked = true,
            (Op::Unlock, Object::Mutex { locked }) => {
                if !*locked {
                    return Err("fatal error: sync: unlock of unlocked mutex".into());
                }
                *locked = false;
            }
            // Go's RLock counts the reader at once; behind a writer it
            // then waits for a permit of the readers' semaphore (phase 1),
            // which the writer's Unlock gives one per reader counted.
            (Op::RLock, Object::RwMutex(rw)) => match phase {
                0 if rw.rlock()? => next_phase = 1,
                0 => {}
                _ => rw.take(false),
            },
            (Op::RUnlock, Object::RwMutex(rw)) => rw.runlock()?,
            // The writers' mutex first (phase 0, in line), then the permit
            // the last reader to leave gives (phase 1).
            (Op::WLock, Object::RwMutex(rw)) => match phase {
                0 if rw.lock()? => next_phase = 1,
                0 => {}
                _ => rw.take(true),
            },
            (Op::WUnlock, Object::RwMutex(rw)) => rw.unlock()?,
            (Op::WgAdd | Op::WgDone, Object::WaitGroup { count, waiters }) => match phase {
                // Go stores the new counter, then panics if it is negative
                // or rose from zero while Waits are being released: another
                // goroutine can see the counter in between.
                3 => return Err("sync: negative WaitGroup counter".into()),
                5 => return Err(WG_MISUSE.into()),
                // The counter reached zero with Waits parked: Go checks that
                // no Add came since, then releases them all.
                4 if *count != 0 => return Err(WG_MISUSE.into()),
                4 => {
                    *waiters = 0;
                    wake = true;
                }
                _ => {
                    let delta = if op == Op::WgDone { -1 } else { n };
                    *count = count.checked_add(delta).ok_or("integer overflow")?;
                    if *count < 0 {
                        next_phase = 3;
                    } else if *waiters > 0 && delta > 0 && *count == delta {
                        // An Add between the counter reaching zero and the
                        // release of the Waits parked on it.
                        next_phase = 5;
                    } else if *count == 0 && *waiters > 0 {
                        next_phase = 4;
                    }
                }
            },
            // Go's Wait returns only at a counter of zero: one left negative
            // by a recovered "negative WaitGroup counter" parks it for good.
            (Op::WgWait, Object::WaitGroup { count, waiters }) => match phase {
                0 if *count != 0 => {
                    *waiters = waiters.checked_add(1).ok_or("too many waiters")?;
                    next_phase = 1;
                }
                // Released: Go's Wait checks that nobody reused the group meanwhile.
                2 if *count != 0 || *waiters != 0 => {
                    return Err("sync: WaitGroup is reused before previous Wait has returned".into())
                }
                _ => {}
            },
            // `g.wait()` is its WaitGroup's `Wait`, with Go's check that
            // nobody reused the group between its release and its return.
            (Op::GroupWait, Object::Group { ctx, failed, active, waiters, .. }) => match phase {
                0 if *active > 0 => {
                    *waiters = waiters.checked_add(1).ok_or("too many waiters")?;
                    next_phase = 1;
                }
                2 if *active != 0 || *waiters != 0 => {
                    return Err("sync: WaitGroup is reused before previous Wait has returned".into())
                }
                _ => {
                    result = Some(if *failed { Value::Err } else { Value::Ok });
                    cancel_group = Some(*ctx);
                }
            },
            // Phase 0 releases the lock and parks, phase 2 (signalled)
            // takes it back. A read lock back (`cond(rw.rlocker())`) is
            // Go's RLock: counted at once, and with a writer inside or
            // waiting it blocks (phase 3) until the writer's unlock lets it
            // in (phase 4), as `rw.rlock()` does.
            (Op::CondWait, Object::Cond { mutex }) => {
                next_phase = if phase == 0 { 1 } else { 0 };
                relock = Some(*mutex);
            }
            (Op::CondSignal | Op::CondBroadcast, Object::Cond { .. }) => wake = true,
            (Op::Cancel, Object::Ctx { cancel_called, .. }) => {
                *cancel_called = true;
                cancel = Some(id);
            }
            (Op::Stop, Object::Ticker { running, aged, .. }) => {
                *running = false;
                *aged = false;
            }
            (Op::Stop, Object::Timer { state, aged, .. }) => {
                // Go's Stop reports whether it prevented the timer from firing.
                result = Some(Value::Bool(state.active()));
                *aged = false;
                *state = match *state {
                    TimerState::Armed => TimerState::Stopped,
                    TimerState::Rearmed => TimerState::Pending,
                    other => other,
                };
            }
            (Op::Reset, Object::Ticker { running, aged, .. }) => {
                *running = true;
                *aged = false;
            }
            (Op::Reset, Object::Timer { state, aged, .. }) => {
                // Go's Reset reports whether the timer was active, and does
                // not drain a value already waiting; it is due a whole delay on.
                result = Some(Value::Bool(state.active()));
                *aged = false;
                *state = if state.waiting() { TimerState::Rearmed } else { TimerState::Armed };
            }
            _ => return Err(format!("{op:?} on an object of the wrong kind")),
        }
        if op == Op::Reset {
            self.rearmed.push(id);
        }
        // A cancel that walks down to the children waits for the walk:
        // the walk's step ends it (`Actor::Walk`).
        if cancel.is_some_and(|c| self.cancel_ctx(c)) {
            return Ok(());
        }
        if let Some(m) = relock {
            match self.s.heap.get_mut(m as usize) {
                Some(Object::Mutex { locked }) => {
                    if phase == 0 {
                        if !*locked {
                            return Err("fatal error: sync: unlock of unlocked mutex".into());
                        }
                        *locked = false;
                    } else {
                        *locked = true;
                    }
                }
                // `cond(rw.rlocker())`: the wait releases a read lock, and
                // takes one back as RLock does: behind a writer, it waits
                // for a permit (phase 3).
                Some(Object::RwMutex(rw)) => match phase {
                    0 => rw.runlock()?,
                    3 => rw.take(false),
                    _ if rw.rlock()? => next_phase = 3,
                    _ => {}
                },
                _ => return Err("cond over a non-mutex".into()),
            }
        }
        // errgroup's Wait returns from its cancel only once the cancellation
        // has walked down: the task waits at its `g.wait()` for the walk.
        if cancel_group.is_some_and(|c| self.cancel_ctx(c)) {
            return Ok(());
        }
        if wake {
            // A signal wakes the waiter first in line (Go's notify list is a
            // ticket queue); a broadcast and a wait group wake them all.
            let woken = match op {
                Op::CondSignal => cond_waiters(self.p, &self.s, id).into_iter().take(1).collect(),
                Op::CondBroadcast => cond_waiters(self.p, &self.s, id),
                _ => waiting_in(self.p, &self.s, Op::WgWait, id),
            };
            for w in woken {
                self.s.task_mut(w).phase = 2;
                self.unpark(w);
            }
        }
        self.s.task_mut(slot).phase = next_phase;
        match (next_phase, op) {
            // Waiting: a cond waiter takes its place in the notify list.
            (1, Op::CondWait) => self.park(slot),
            (1, _) | (3, Op::CondWait) => self.s.task_mut(slot).spin = 0,
            _ => {}
        }
        if next_phase == 0 {
            if let Some(r) = result {
                self.store_opt(slot, dst, r)?;
            }
            self.advance(slot);
        }
        Ok(())
    }

    /// Cancels the context at `c`: its done channel closes now. When it was
    /// not done and has children, Go's cancellation then walks down to them
    /// (holding the context's lock), in a step of its own: returns whether
    /// that walk is still to come.
    pub(super) fn cancel_ctx(&mut self, c: u16) -> bool {
        let walks = !self.s.ctx_done(c) && self.s.ctx_has_children(c);
        if let Some(Object::Ctx { cancelled, walking, .. }) = self.s.heap.get_mut(c as usize) {
            *cancelled = true;
            *walking |= walks;
        }
        self.closes = true;
        walks
    }

    /// The cancellation of the context at `c` reaches its children: they are
    /// done now, and the tasks waiting in a `cancel` of it (the one that
    /// walked among them, and any that came to one meanwhile: Go's cancel
    /// waits for the context's lock, held while the children are
    /// cancelled) go on, having called it.
    pub(super) fn walk(&mut self, c: u16) -> Result<(), (usize, Fault)> {
        let waiting = |x: &Self, slot: usize| {
            !x.s.tasks[slot].frames.is_empty()
                && matches!(x.instr(slot), Instr::Op { op: Op::Cancel, target, .. } if x.eval(slot, target) == Ok(Value::Obj(c)))
        };
        let called = (0..self.s.tasks.len()).any(|slot| waiting(self, slot));
        if let Some(Object::Ctx { walking, cancel_called, .. }) = self.s.heap.get_mut(c as usize) {
            *walking = false;
            *cancel_called |= called;
        }
        self.closes = true;
        for slot in 0..self.s.tasks.len() {
            if waiting(self, slot) {
                self.advance(slot);
                self.run_ahead(slot).map_err(|f| (slot, f))?;
            }
        }
        Ok(())
    }

    /// Leaves the current function: runs the next deferred block, or pops the frame.
    pub(super) fn unwind(&mut self, slot: usize) -> Result<(), Fault> {
        if self.s.tasks[slot].panic.is_some() {
            return self.unwind_panic(slot);
        }
        let frame = self.top_mut(slot);
        if let Some(d) = frame.defers.pop() {
            frame.pc = d.block;
            for (local, v) in d.args {
                if let Some(l) = frame.locals.get_mut(local as usize) {
                    *l = v;
                }
            }
            return Ok(());
        }
        let ret = frame.ret.unwrap_or(Value::Ok);
        let task = &self.s.tasks[slot];
        if task.frames.len() == 1
            && task.group.is_some()
            && task.phase != EXITING
            && (self.mover != Some(slot) || ret == Value::Err)
        {
            self.s.task_mut(slot).phase = EXITING;
            return Ok(());
        }
        let popped = self.s.task_mut(slot).frames.pop().expect("a frame to leave");
        if self.s.tasks[slot].frames.is_empty() {
            self.exits.push((slot, ret));
            return Ok(());
        }
        if let Instr::Call { dst, rest, .. } = self.instr(slot) {
            self.store_opt(slot, dst, ret)?;
            // The results after the first, from the callee's hidden locals.
            let results = &self.p.func(popped.func).results;
            for (place, &local) in rest.iter().zip(results) {
                let v = popped.locals.get(local as usize).cloned().unwrap_or(Value::Nil);
                self.store_opt(slot, &Some(place.clone()), v)?;
            }
        }
        self.advance(slot);
        Ok(())
    }

    pub(super) fn exit(&mut self, slot: usize, result: Value) {
        if let Some(g) = self.s.tasks[slot].group {
            let mut release = false;
            let mut cancel = None;
            if let Some(Object::Group { ctx, active, failed, waiters, .. }) = self.s.heap.get_mut(g as usize)
            {
                *active = active.saturating_sub(1);
                // The last task of the group releases every parked `wait`.
                release = *active == 0 && *waiters > 0;
                if release {
                    *waiters = 0;
                }
                if result == Value::Err && !*failed {
                    *failed = true;
                    cancel = Some(*ctx);
                }
            }
            if let Some(c) = cancel {
                self.cancel_ctx(c);
            }
            if release {
                for w in waiting_in(self.p, &self.s, Op::GroupWait, g) {
                    self.s.task_mut(w).phase = 2;
                }
            }
            // Its place goes to the first `g.go` in the group's line, if any
            // (errgroup's semaphore channel hands the token over in `done`;
            // its WaitGroup counts the task only once that `g.go` runs on).
            let first = (0..self.s.tasks.len())
                .filter(|&t| line_of(self.p, &self.s, t) == Some(g))
                .min_by_key(|&t| self.s.tasks[t].wait);
            if let Some(t) = first {
                self.s.task_mut(t).phase = 2;
                self.unpark(t);
            }
        }
        let owner = self.s.tasks[slot].func;
        for o in &mut self.s.heap {
            if let Object::Ctx {
                kind: CtxKind::Cancel | CtxKind::Timeout,
                cancel_called,
                creator,
                holder,
                ..
            } = o
            {
                if *holder == Some(slot as u16) {
                    *holder = None;
                    if !*cancel_called {
                        self.events.push(Event {
                            kind: FindingKind::Uncancelled,
                            func: *creator,
                            detail: "exited without calling the cancel of a context it made".into(),
                            at: None,
                        });
                    }
                }
            }
        }
        for t in &mut self.s.tasks {
            if t.owner == Some(slot as u16) {
                let t = Arc::make_mut(t);
                t.owner = None;
                // A task whose function returned, running its deferred
                // calls or its exit as an error group's member (`EXITING`),
                // is on its way out: Go waits for nothing more of it, and a
                // deferred call that blocks for ever is a leak.
                let returned = t.frames.first().is_some_and(|f| f.ret.is_some()) || t.phase == EXITING;
                // A member of an error group, or a task a wait group counts
                // (it holds one whose counter is up and its code calls
                // `done`), is waited for by whoever waits in that group or
                // wait group now: Go's recursive crawler returns while the
                // tasks it started run. Not when `main` returns, nor when
                // nobody waits (a `g.go` after the wait was released).
                let waited = |o: u16| match self.s.heap.get(o as usize) {
                    Some(Object::Group { waiters, .. }) => *waiters > 0,
                    Some(Object::WaitGroup { count: 1.., waiters }) => *waiters > 0,
                    _ => false,
                };
                let counted = owner != self.p.main
                    && (t.group.is_some_and(waited)
                        || (self.p.func(t.func).uses.counts_down
                            && t.values().any(|v| matches!(v, Value::Obj(o) if waited(*o)))));
                if !t.frames.is_empty() && !returned && !counted {
                    let child = t.func;
                    self.events.push(Event {
                        kind: FindingKind::Orphan,
                        func: child,
                        detail: format!("still running after its owner `{}` exited", self.p.func(owner).name),
                        at: None,
                    });
                }
            }
        }
    }
}

/// Where the caller of the top one of `frames` stands, if it has one.
fn caller_of(frames: &[Frame]) -> Option<(u16, u16)> {
    frames.len().checked_sub(2).map(|i| (frames[i].func, frames[i].pc))
}

/// Go's panic for `q[0]` on an empty slice: a `pop` of an empty list.
const LIST_EMPTY: &str = "runtime error: index out of range [0] with length 0";
