//! Steps: which transitions a state enables, and the state after one.
//!
//! A transition is one visible instruction of one task (plus the silent
//! instructions that follow it), a rendezvous of a receiver with a sender on an
//! unbuffered channel, or one event of the environment (the signal, a deadline).

use crate::canon::canonicalize;
use crate::eval::{eval, store, Fault};
use crate::state::{CtxKind, Frame, Object, State, Task, TimerState, Value};
use crate::{Event, FindingKind, Scenario};
use leash_ir::{CaseKind, Ctor, Elem, Expr, Instr, Op, Place, Program};

/// Who moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The task in this slot.
    Task(u16),
    /// The environment sends the signal.
    Signal,
    /// The deadline of the context at this heap index fires.
    Deadline(u16),
}

/// One enabled step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Who moves.
    pub actor: Actor,
    /// The select case taken (`cases.len()` for `default`); 0 otherwise.
    pub case: u16,
    /// Which alternative: a work outcome (0 ok, 1 err), a `choose` branch, a
    /// signalled waiter (slot + 1, or 0 for none).
    pub alt: u16,
    /// The sender met by a receive on an unbuffered channel: its slot and its
    /// select case (`u16::MAX` for a plain send).
    pub partner: Option<(u16, u16)>,
    /// Whether only the passing of time drives it (timers, tickers, `sleep`, `default`).
    pub time: bool,
}

impl Transition {
    fn task(slot: usize) -> Transition {
        Transition { actor: Actor::Task(slot as u16), case: 0, alt: 0, partner: None, time: false }
    }
}

/// The result of a step.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The canonical state after the step.
    pub state: State,
    /// Owner-rule warnings the step raised.
    pub events: Vec<Event>,
    /// Functions of the tasks the step spawned, in order (appended after the
    /// live tasks before `exited` are removed).
    pub spawned: Vec<u16>,
    /// Slots (before removal, counting spawned tasks) of the tasks that exited.
    pub exited: Vec<u16>,
}

/// The initial state: model-level variables initialised, `main` started.
pub fn initial(p: &Program) -> Result<Applied, Event> {
    let heap = p.globals.iter().map(|g| Object::Cell { value: Value::Unit, range: g.range }).collect();
    let mut x = Exec {
        p,
        s: State { tasks: Vec::new(), heap, signalled: false },
        events: Vec::new(),
        spawned: Vec::new(),
        exits: Vec::new(),
    };
    x.s.tasks.push(Task {
        func: p.init,
        owner: None,
        group: None,
        phase: 0,
        frames: vec![x.frame(p.init, &[])],
    });
    let mut budget = 100_000;
    while !x.s.tasks[0].frames.is_empty() {
        budget -= 1;
        let blocks = !matches!(x.instr(0), Instr::Assign { .. } | Instr::New { .. } | Instr::Return { .. });
        if budget == 0 || blocks {
            return Err(x.fault(0, "model-level initialisation must not block".into()));
        }
        x.exec(0, &Transition::task(0)).map_err(|f| x.fault(0, f))?;
    }
    x.s.tasks.clear();
    x.exits.clear();
    let frame = x.frame(p.main, &[]);
    x.s.tasks.push(Task { func: p.main, owner: None, group: None, phase: 0, frames: vec![frame] });
    x.run_ahead(0).map_err(|f| x.fault(0, f))?;
    Ok(x.finish(vec![p.main]))
}

/// Every transition enabled in `s` under `scenario`, in a fixed order: tasks by
/// slot (cases, partners and alternatives in order), then the environment.
pub fn enabled(p: &Program, s: &State, scenario: Scenario) -> Vec<Transition> {
    let mut out = Vec::new();
    for slot in 0..s.tasks.len() {
        task_moves(p, s, slot, scenario, &mut out);
    }
    let quiescent = out.iter().all(|t| t.time);
    if scenario == Scenario::Cancel || quiescent {
        let env = |actor| Transition { actor, case: 0, alt: 0, partner: None, time: false };
        let has_signal = s.heap.iter().any(|o| matches!(o, Object::Ctx { kind: CtxKind::Signal, .. }));
        if has_signal && !s.signalled {
            out.push(env(Actor::Signal));
        }
        for (i, o) in s.heap.iter().enumerate() {
            if matches!(o, Object::Ctx { kind: CtxKind::Timeout, .. }) && !s.ctx_done(i as u16) {
                out.push(env(Actor::Deadline(i as u16)));
            }
        }
    }
    out
}

/// Applies `t` to `s`. A run-time panic is returned as the error.
pub fn apply(p: &Program, s: &State, t: &Transition) -> Result<Applied, Event> {
    let mut x = Exec { p, s: s.clone(), events: Vec::new(), spawned: Vec::new(), exits: Vec::new() };
    match t.actor {
        Actor::Signal => x.s.signalled = true,
        Actor::Deadline(c) => {
            if let Some(Object::Ctx { cancelled, .. }) = x.s.heap.get_mut(c as usize) {
                *cancelled = true;
            }
        }
        Actor::Task(slot) => {
            let slot = slot as usize;
            x.exec(slot, t).map_err(|f| x.fault(slot, f))?;
            x.run_ahead(slot).map_err(|f| x.fault(slot, f))?;
            if let Some((partner, _)) = t.partner {
                x.run_ahead(partner as usize).map_err(|f| x.fault(partner as usize, f))?;
            }
        }
    }
    let spawned = x.spawned.iter().map(|&s| x.s.tasks[s].func).collect();
    Ok(x.finish(spawned))
}

/// What an operand names when used as a channel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    Nil,
    /// A channel object (buffered or not).
    Chan(u16),
    Done(u16),
    Ticker(u16),
    Timer(u16),
    Bad,
}

fn classify(s: &State, v: Value) -> Operand {
    match v {
        Value::Nil => Operand::Nil,
        Value::Done(c) => Operand::Done(c),
        Value::Obj(o) => match s.heap.get(o as usize) {
            Some(Object::Chan { .. }) => Operand::Chan(o),
            Some(Object::Ticker { .. }) => Operand::Ticker(o),
            Some(Object::Timer { .. }) => Operand::Timer(o),
            _ => Operand::Bad,
        },
        _ => Operand::Bad,
    }
}

fn chan_of(s: &State, slot: usize, e: &Expr) -> Operand {
    eval(s, slot, e).map_or(Operand::Bad, |v| classify(s, v))
}

fn top(s: &State, slot: usize) -> &Frame {
    s.tasks[slot].frames.last().expect("live tasks have a frame")
}

fn instr_of<'p>(p: &'p Program, s: &State, slot: usize) -> &'p Instr {
    let f = top(s, slot);
    &p.func(f.func).code[f.pc as usize]
}

fn in_default_select(p: &Program, s: &State, slot: usize) -> bool {
    matches!(instr_of(p, s, slot), Instr::Select { default: Some(_), .. })
}

/// Tasks waiting to send on unbuffered channel `c`: (slot, select case or MAX).
fn senders(p: &Program, s: &State, c: u16, except: usize) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for slot in 0..s.tasks.len() {
        if slot == except {
            continue;
        }
        match instr_of(p, s, slot) {
            Instr::Send { chan, .. } if chan_of(s, slot, chan) == Operand::Chan(c) => {
                out.push((slot as u16, u16::MAX))
            }
            Instr::Select { cases, .. } => {
                for (i, case) in cases.iter().enumerate() {
                    if let CaseKind::Send { chan, .. } = &case.kind {
                        if chan_of(s, slot, chan) == Operand::Chan(c) {
                            out.push((slot as u16, i as u16));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether some task waits to receive on unbuffered channel `c`.
fn has_receiver(p: &Program, s: &State, c: u16, except: usize, from_default_select: bool) -> bool {
    (0..s.tasks.len()).filter(|&t| t != except).any(|slot| {
        if from_default_select && in_default_select(p, s, slot) {
            return false;
        }
        match instr_of(p, s, slot) {
            Instr::Recv { chan, .. } => chan_of(s, slot, chan) == Operand::Chan(c),
            Instr::Select { cases, .. } => cases.iter().any(|case| {
                matches!(&case.kind, CaseKind::Recv { chan, .. } if chan_of(s, slot, chan) == Operand::Chan(c))
            }),
            _ => false,
        }
    })
}

/// The ways task `slot` can complete a receive from `chan`: (partner, time-driven).
fn recv_options(p: &Program, s: &State, slot: usize, chan: Operand) -> Vec<(Option<(u16, u16)>, bool)> {
    match chan {
        Operand::Nil => vec![],
        Operand::Bad => vec![(None, false)],
        Operand::Done(c) => {
            if s.ctx_done(c) {
                vec![(None, false)]
            } else {
                vec![]
            }
        }
        Operand::Ticker(t) => match s.heap[t as usize] {
            Object::Ticker { running: true, .. } => vec![(None, true)],
            _ => vec![],
        },
        Operand::Timer(t) => match s.heap[t as usize] {
            Object::Timer { state: TimerState::Armed, .. } => vec![(None, true)],
            _ => vec![],
        },
        Operand::Chan(c) => {
            let Object::Chan { cap, buf, closed } = &s.heap[c as usize] else { unreachable!("classified") };
            if !buf.is_empty() || *closed {
                return vec![(None, false)];
            }
            if *cap > 0 {
                return vec![];
            }
            let mine = in_default_select(p, s, slot);
            senders(p, s, c, slot)
                .into_iter()
                .filter(|(other, _)| !(mine && in_default_select(p, s, *other as usize)))
                .map(|partner| (Some(partner), false))
                .collect()
        }
    }
}

/// Whether a send on `chan` can go ahead by itself (buffer space, or a panic).
fn send_alone(s: &State, chan: Operand) -> bool {
    match chan {
        Operand::Chan(c) => {
            let Object::Chan { cap, buf, closed } = &s.heap[c as usize] else { unreachable!("classified") };
            *closed || (*cap > 0 && buf.len() < *cap as usize)
        }
        Operand::Nil | Operand::Ticker(_) | Operand::Timer(_) => false,
        Operand::Done(_) | Operand::Bad => true,
    }
}

fn cond_waiters(p: &Program, s: &State, cond: u16) -> Vec<usize> {
    (0..s.tasks.len())
        .filter(|&slot| {
            s.tasks[slot].phase == 1
                && matches!(instr_of(p, s, slot), Instr::Op { op: Op::CondWait, target, .. }
                    if eval(s, slot, target) == Ok(Value::Obj(cond)))
        })
        .collect()
}

fn obj<'s>(s: &'s State, slot: usize, e: &Expr) -> Option<&'s Object> {
    match eval(s, slot, e) {
        Ok(Value::Obj(o)) => s.heap.get(o as usize),
        _ => None,
    }
}

fn task_moves(p: &Program, s: &State, slot: usize, scenario: Scenario, out: &mut Vec<Transition>) {
    let base = Transition::task(slot);
    let task = &s.tasks[slot];
    match instr_of(p, s, slot) {
        Instr::Send { chan, .. } => {
            if send_alone(s, chan_of(s, slot, chan)) {
                out.push(base);
            }
        }
        Instr::Recv { chan, .. } => {
            for (partner, time) in recv_options(p, s, slot, chan_of(s, slot, chan)) {
                out.push(Transition { partner, time, ..base });
            }
        }
        Instr::Select { cases, default } => {
            let before = out.len();
            let mut rendezvous_send = false;
            let mine = default.is_some();
            for (i, case) in cases.iter().enumerate() {
                let case_t = Transition { case: i as u16, ..base };
                match &case.kind {
                    CaseKind::Recv { chan, .. } => {
                        for (partner, time) in recv_options(p, s, slot, chan_of(s, slot, chan)) {
                            out.push(Transition { partner, time, ..case_t });
                        }
                    }
                    CaseKind::Send { chan, .. } => {
                        let c = chan_of(s, slot, chan);
                        if send_alone(s, c) {
                            out.push(case_t);
                        } else if let Operand::Chan(c) = c {
                            rendezvous_send |= has_receiver(p, s, c, slot, mine);
                        }
                    }
                    CaseKind::After => out.push(Transition { time: true, ..case_t }),
                }
            }
            if out.len() == before && !rendezvous_send && default.is_some() {
                out.push(Transition { case: cases.len() as u16, time: true, ..base });
            }
        }
        Instr::Join { task: t } => {
            if !matches!(eval(s, slot, t), Ok(Value::Task(_))) {
                out.push(base);
            }
        }
        Instr::Spawn { group: Some(g), .. } => match obj(s, slot, g) {
            Some(Object::Group { active, limit, .. }) if *limit > 0 && active >= limit => {}
            _ => out.push(base),
        },
        Instr::Work { ctx, .. } => {
            let done =
                ctx.as_ref().is_some_and(|c| matches!(eval(s, slot, c), Ok(Value::Obj(o)) if s.ctx_done(o)));
            if !done {
                out.push(base);
            }
            if done || scenario == Scenario::Error {
                out.push(Transition { alt: 1, ..base });
            }
        }
        Instr::Choose { targets } => {
            for alt in 0..targets.len() {
                out.push(Transition { alt: alt as u16, ..base });
            }
        }
        Instr::Sleep => out.push(Transition { time: true, ..base }),
        Instr::OnceEnter { once, .. } => {
            if !matches!(obj(s, slot, once), Some(Object::Once { state: 1 })) {
                out.push(base);
            }
        }
        Instr::Op { op, target, .. } => {
            let o = obj(s, slot, target);
            let ready = match (op, o) {
                (Op::Lock, Some(Object::Mutex { locked })) => !locked,
                (Op::RLock, Some(Object::RwMutex { writer, pending, .. })) => !writer && !pending,
                (Op::WLock, Some(Object::RwMutex { readers, writer, pending })) => match task.phase {
                    0 => !writer && !pending,
                    _ => *readers == 0,
                },
                (Op::WgWait, Some(Object::WaitGroup { count })) => *count == 0,
                (Op::GroupWait, Some(Object::Group { active, .. })) => *active == 0,
                (Op::CondWait, Some(Object::Cond { mutex })) => match task.phase {
                    0 => true,
                    1 => false,
                    _ => matches!(s.heap.get(*mutex as usize), Some(Object::Mutex { locked: false })),
                },
                (Op::CondSignal, Some(Object::Cond { .. })) => {
                    let Ok(Value::Obj(c)) = eval(s, slot, target) else { unreachable!("matched an object") };
                    let waiters = cond_waiters(p, s, c);
                    if waiters.is_empty() {
                        out.push(base);
                    }
                    for w in waiters {
                        out.push(Transition { alt: w as u16 + 1, ..base });
                    }
                    false
                }
                _ => true,
            };
            if ready {
                out.push(base);
            }
        }
        _ => out.push(base),
    }
}

/// A mutable state under construction by one step.
struct Exec<'p> {
    p: &'p Program,
    s: State,
    events: Vec<Event>,
    spawned: Vec<usize>,
    /// Tasks that returned during this step, with their results; their exit is
    /// settled once every task moved by the step has run ahead.
    exits: Vec<(usize, Value)>,
}

impl Exec<'_> {
    fn frame(&self, func: u16, args: &[Value]) -> Frame {
        let n = self.p.func(func).locals.len();
        let mut locals = args.to_vec();
        locals.resize(n.max(args.len()), Value::Unit);
        Frame { func, pc: 0, locals, defers: Vec::new(), ret: None }
    }

    fn instr(&self, slot: usize) -> &Instr {
        instr_of(self.p, &self.s, slot)
    }

    fn fault(&self, slot: usize, detail: Fault) -> Event {
        let func = self.s.tasks.get(slot).map_or(self.p.main, |t| t.func);
        Event { kind: FindingKind::Panic, func, detail }
    }

    fn finish(mut self, spawned: Vec<u16>) -> Applied {
        for (slot, result) in std::mem::take(&mut self.exits) {
            self.exit(slot, result);
        }
        let (events, exited) = canonicalize(self.p, &mut self.s);
        self.events.extend(events);
        Applied { state: self.s, events: self.events, spawned, exited }
    }

    fn top_mut(&mut self, slot: usize) -> &mut Frame {
        self.s.tasks[slot].frames.last_mut().expect("live tasks have a frame")
    }

    fn advance(&mut self, slot: usize) {
        self.top_mut(slot).pc += 1;
    }

    fn goto(&mut self, slot: usize, pc: u16) {
        self.top_mut(slot).pc = pc;
    }

    fn eval(&self, slot: usize, e: &Expr) -> Result<Value, Fault> {
        eval(&self.s, slot, e)
    }

    fn store(&mut self, slot: usize, place: &Place, v: Value) -> Result<(), Fault> {
        let p = self.p;
        let s = &self.s;
        let func = top(s, slot).func;
        let name = |pl: &Place| match pl {
            Place::Global(g) => p.globals[*g as usize].name.clone(),
            Place::Local(l) | Place::Bind(l) => p.func(func).locals[*l as usize].clone(),
            Place::Index(..) => "array element".into(),
        };
        store(&mut self.s, slot, place, v, &name)
    }

    fn store_opt(&mut self, slot: usize, place: &Option<Place>, v: Value) -> Result<(), Fault> {
        match place {
            Some(pl) => self.store(slot, pl, v),
            None => Ok(()),
        }
    }

    fn heap_obj(&mut self, slot: usize, e: &Expr) -> Result<(u16, &mut Object), Fault> {
        match self.eval(slot, e)? {
            Value::Obj(o) => Ok((o, self.s.heap.get_mut(o as usize).ok_or("dangling handle")?)),
            Value::Nil => Err("invalid memory address or nil pointer dereference".into()),
            _ => Err("operation on a value of the wrong kind".into()),
        }
    }

    /// Runs the silent instructions after a visible one.
    fn run_ahead(&mut self, slot: usize) -> Result<(), Fault> {
        let mut budget = 100_000u32;
        while let Some(f) = self.s.tasks[slot].frames.last() {
            if !self.p.func(f.func).silent[f.pc as usize] {
                return Ok(());
            }
            budget -= 1;
            if budget == 0 {
                return Err("internal: silent instructions did not terminate".into());
            }
            self.exec(slot, &Transition::task(slot))?;
        }
        Ok(())
    }

    fn new_obj(&mut self, o: Object) -> u16 {
        self.s.heap.push(o);
        (self.s.heap.len() - 1) as u16
    }

    fn make(&mut self, slot: usize, ctor: &Ctor) -> Result<Value, Fault> {
        let creator = self.s.tasks[slot].func;
        let holder = Some(slot as u16);
        let ctx = |kind, parent| Object::Ctx {
            kind,
            parent,
            cancelled: false,
            cancel_called: false,
            creator,
            holder,
        };
        let parent = |x: &Self, e: &Expr| match x.eval(slot, e)? {
            Value::Obj(o) => Ok(o),
            _ => Err(Fault::from("a context's parent must be a context")),
        };
        let o = match ctor {
            Ctor::Chan(cap) => {
                let Value::Int(cap) = self.eval(slot, cap)? else {
                    return Err("bad capacity".into());
                };
                Object::Chan { cap: cap as u8, buf: Vec::new(), closed: false }
            }
            Ctor::Mutex => Object::Mutex { locked: false },
            Ctor::RwMutex => Object::RwMutex { readers: 0, writer: false, pending: false },
            Ctor::Cond(m) => match self.eval(slot, m)? {
                Value::Obj(mutex) => Object::Cond { mutex },
                _ => return Err("cond needs a mutex".into()),
            },
            Ctor::Once => Object::Once { state: 0 },
            Ctor::WaitGroup => Object::WaitGroup { count: 0 },
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
                Object::Group { ctx: c, active: 0, limit, failed: false }
            }
            Ctor::Background => ctx(CtxKind::Background, None),
            Ctor::Signal => ctx(CtxKind::Signal, None),
            Ctor::WithCancel(e) => ctx(CtxKind::Cancel, Some(parent(self, e)?)),
            Ctor::WithTimeout(e) => ctx(CtxKind::Timeout, Some(parent(self, e)?)),
            Ctor::Ticker => Object::Ticker { running: true, creator },
            Ctor::Timer => Object::Timer { state: TimerState::Armed, creator },
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
        };
        Ok(Value::Obj(self.new_obj(o)))
    }

    /// Completes a receive; returns (value, ok).
    fn recv(&mut self, chan: Value, partner: Option<(u16, u16)>) -> Result<(Value, bool), Fault> {
        match classify(&self.s, chan) {
            Operand::Chan(c) => {
                if let Some((ps, pcase)) = partner {
                    let ps = ps as usize;
                    let (value, target) = match instr_of(self.p, &self.s, ps) {
                        Instr::Send { value, .. } => (self.eval(ps, value)?, None),
                        Instr::Select { cases, .. } => match &cases[pcase as usize].kind {
                            CaseKind::Send { value, .. } => {
                                (self.eval(ps, value)?, Some(cases[pcase as usize].target))
                            }
                            _ => return Err("internal: partner is not sending".into()),
                        },
                        _ => return Err("internal: partner is not sending".into()),
                    };
                    match target {
                        Some(t) => self.goto(ps, t),
                        None => self.advance(ps),
                    }
                    return Ok((value, true));
                }
                let Object::Chan { buf, .. } = &mut self.s.heap[c as usize] else {
                    unreachable!("classified")
                };
                if buf.is_empty() {
                    Ok((Value::Unit, false))
                } else {
                    Ok((buf.remove(0), true))
                }
            }
            Operand::Done(_) => Ok((Value::Unit, false)),
            Operand::Ticker(_) => Ok((Value::Unit, true)),
            Operand::Timer(t) => {
                self.s.heap[t as usize] = match self.s.heap[t as usize] {
                    Object::Timer { creator, .. } => Object::Timer { state: TimerState::Fired, creator },
                    ref o => o.clone(),
                };
                Ok((Value::Unit, true))
            }
            Operand::Nil | Operand::Bad => Err("receive from a value that is not a channel".into()),
        }
    }

    /// Completes a send that needs no partner (buffered, or a panic).
    fn send(&mut self, slot: usize, chan: Value, value: Value) -> Result<(), Fault> {
        match classify(&self.s, chan) {
            Operand::Chan(c) => {
                let Object::Chan { buf, closed, .. } = &mut self.s.heap[c as usize] else {
                    unreachable!("classified")
                };
                if *closed {
                    return Err("send on closed channel".into());
                }
                buf.push(value);
                Ok(())
            }
            Operand::Done(_) => Err("send to receive-only channel ctx.done".into()),
            _ => {
                let _ = slot;
                Err("send to a value that is not a channel".into())
            }
        }
    }

    fn exec(&mut self, slot: usize, t: &Transition) -> Result<(), Fault> {
        let instr = self.instr(slot).clone();
        match &instr {
            Instr::Assign { dst, value } => {
                let v = self.eval(slot, value)?;
                self.store(slot, dst, v)?;
                self.advance(slot);
            }
            Instr::New { dst, ctor } => {
                let v = self.make(slot, ctor)?;
                self.store(slot, dst, v)?;
                self.advance(slot);
            }
            Instr::Send { chan, value } => {
                let (c, v) = (self.eval(slot, chan)?, self.eval(slot, value)?);
                self.send(slot, c, v)?;
                self.advance(slot);
            }
            Instr::Recv { chan, value, ok } => {
                let c = self.eval(slot, chan)?;
                let (v, o) = self.recv(c, t.partner)?;
                self.store_opt(slot, value, v)?;
                self.store_opt(slot, ok, Value::Bool(o))?;
                self.advance(slot);
            }
            Instr::Select { cases, default } => match cases.get(t.case as usize) {
                None => self.goto(slot, default.ok_or("internal: select without default")?),
                Some(case) => {
                    match &case.kind {
                        CaseKind::Recv { chan, value, ok } => {
                            let c = self.eval(slot, chan)?;
                            let (v, o) = self.recv(c, t.partner)?;
                            self.store_opt(slot, value, v)?;
                            self.store_opt(slot, ok, Value::Bool(o))?;
                        }
                        CaseKind::Send { chan, value } => {
                            let (c, v) = (self.eval(slot, chan)?, self.eval(slot, value)?);
                            self.send(slot, c, v)?;
                        }
                        CaseKind::After => {}
                    }
                    self.goto(slot, case.target);
                }
            },
            Instr::Spawn { func, args, dst, group } => {
                let args = args.iter().map(|a| self.eval(slot, a)).collect::<Result<Vec<_>, _>>()?;
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
                self.s.tasks.push(Task {
                    func: *func,
                    owner: Some(slot as u16),
                    group,
                    phase: 0,
                    frames: vec![frame],
                });
                self.spawned.push(child);
                self.store_opt(slot, dst, Value::Task(child as u16))?;
                self.advance(slot);
                self.run_ahead(child)?;
            }
            Instr::Join { .. } | Instr::Yield | Instr::Sleep => self.advance(slot),
            Instr::Work { ctx, dst, .. } => {
                if ctx.is_none() && self.holds_cancelled_ctx(slot) {
                    let func = self.s.tasks[slot].func;
                    self.events.push(Event {
                        kind: FindingKind::WorkAfterCancel,
                        func,
                        detail: "work started after its context was cancelled".into(),
                    });
                }
                let r = if t.alt == 0 { Value::Ok } else { Value::Err };
                self.store_opt(slot, dst, r)?;
                self.advance(slot);
            }
            Instr::Call { callee, args, .. } => {
                let func = match callee {
                    leash_ir::Callee::Static(f) => *f,
                    leash_ir::Callee::Dynamic(e) => match self.eval(slot, e)? {
                        Value::Func(f) => f,
                        _ => return Err("call of a value that is not a function".into()),
                    },
                };
                let args = args.iter().map(|a| self.eval(slot, a)).collect::<Result<Vec<_>, _>>()?;
                let frame = self.frame(func, &args);
                self.s.tasks[slot].frames.push(frame);
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
            Instr::Jump { target } => self.goto(slot, *target),
            Instr::Branch { cond, target } => match self.eval(slot, cond)? {
                Value::Bool(true) => self.advance(slot),
                Value::Bool(false) => self.goto(slot, *target),
                _ => return Err("condition is not a bool".into()),
            },
            Instr::Choose { targets } => self.goto(slot, targets[t.alt as usize]),
            Instr::Defer { block } => {
                let b = *block;
                self.top_mut(slot).defers.push(b);
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
            Instr::Op { op, target, arg, dst } => self.op(slot, t, *op, target, arg.as_ref(), dst)?,
        }
        Ok(())
    }

    fn holds_cancelled_ctx(&self, slot: usize) -> bool {
        top(&self.s, slot).locals.iter().any(|v| match v {
            Value::Obj(o) => {
                matches!(self.s.heap.get(*o as usize), Some(Object::Ctx { .. })) && self.s.ctx_done(*o)
            }
            _ => false,
        })
    }

    fn op(
        &mut self,
        slot: usize,
        t: &Transition,
        op: Op,
        target: &Expr,
        arg: Option<&Expr>,
        dst: &Option<Place>,
    ) -> Result<(), Fault> {
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
        match (op, o) {
            (Op::Lock, Object::Mutex { locked }) => *locked = true,
            (Op::Unlock, Object::Mutex { locked }) => {
                if !*locked {
                    return Err("fatal error: sync: unlock of unlocked mutex".into());
                }
                *locked = false;
            }
            (Op::RLock, Object::RwMutex { readers, .. }) => *readers += 1,
            (Op::RUnlock, Object::RwMutex { readers, .. }) => {
                if *readers == 0 {
                    return Err("fatal error: sync: RUnlock of unlocked RWMutex".into());
                }
                *readers -= 1;
            }
            (Op::WLock, Object::RwMutex { writer, pending, .. }) => {
                if phase == 0 {
                    *pending = true;
                    next_phase = 1;
                } else {
                    *pending = false;
                    *writer = true;
                }
            }
            (Op::WUnlock, Object::RwMutex { writer, .. }) => {
                if !*writer {
                    return Err("fatal error: sync: Unlock of unlocked RWMutex".into());
                }
                *writer = false;
            }
            (Op::WgAdd | Op::WgDone, Object::WaitGroup { count }) => {
                let delta = if op == Op::WgDone { -1 } else { n };
                *count = count.checked_add(delta).ok_or("integer overflow")?;
                if *count < 0 {
                    return Err("sync: negative WaitGroup counter".into());
                }
            }
            (Op::WgWait, Object::WaitGroup { .. }) => {}
            (Op::GroupWait, Object::Group { ctx, failed, .. }) => {
                result = Some(if *failed { Value::Err } else { Value::Ok });
                cancel_group = Some(*ctx);
            }
            (Op::CondWait, Object::Cond { mutex }) => {
                relock = Some(*mutex);
                next_phase = if phase == 0 { 1 } else { 0 };
            }
            (Op::CondSignal, Object::Cond { .. }) => {
                if t.alt > 0 {
                    self.s.tasks[t.alt as usize - 1].phase = 2;
                }
            }
            (Op::CondBroadcast, Object::Cond { .. }) => {
                for w in cond_waiters(self.p, &self.s, id) {
                    self.s.tasks[w].phase = 2;
                }
            }
            (Op::Cancel, Object::Ctx { cancelled, cancel_called, .. }) => {
                *cancelled = true;
                *cancel_called = true;
            }
            (Op::Stop, Object::Ticker { running, .. }) => *running = false,
            (Op::Stop, Object::Timer { state, .. }) => {
                if *state == TimerState::Armed {
                    *state = TimerState::Stopped;
                }
            }
            _ => return Err(format!("{op:?} on an object of the wrong kind")),
        }
        if let Some(m) = relock {
            let Some(Object::Mutex { locked }) = self.s.heap.get_mut(m as usize) else {
                return Err("cond over a non-mutex".into());
            };
            if phase == 0 {
                if !*locked {
                    return Err("fatal error: sync: unlock of unlocked mutex".into());
                }
                *locked = false;
            } else {
                *locked = true;
            }
        }
        if let Some(c) = cancel_group {
            if let Some(Object::Ctx { cancelled, .. }) = self.s.heap.get_mut(c as usize) {
                *cancelled = true;
            }
        }
        self.s.tasks[slot].phase = next_phase;
        if next_phase == 0 {
            if let Some(r) = result {
                self.store_opt(slot, dst, r)?;
            }
            self.advance(slot);
        }
        Ok(())
    }

    /// Leaves the current function: runs the next deferred block, or pops the frame.
    fn unwind(&mut self, slot: usize) -> Result<(), Fault> {
        let frame = self.top_mut(slot);
        if let Some(d) = frame.defers.pop() {
            frame.pc = d;
            return Ok(());
        }
        let ret = frame.ret.unwrap_or(Value::Ok);
        self.s.tasks[slot].frames.pop();
        if self.s.tasks[slot].frames.is_empty() {
            self.exits.push((slot, ret));
            return Ok(());
        }
        if let Instr::Call { dst, .. } = self.instr(slot).clone() {
            self.store_opt(slot, &dst, ret)?;
        }
        self.advance(slot);
        Ok(())
    }

    fn exit(&mut self, slot: usize, result: Value) {
        if let Some(g) = self.s.tasks[slot].group {
            if let Some(Object::Group { ctx, active, failed, .. }) = self.s.heap.get_mut(g as usize) {
                *active = active.saturating_sub(1);
                if result == Value::Err && !*failed {
                    *failed = true;
                    let c = *ctx;
                    if let Some(Object::Ctx { cancelled, .. }) = self.s.heap.get_mut(c as usize) {
                        *cancelled = true;
                    }
                }
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
                        });
                    }
                }
            }
        }
        for t in &mut self.s.tasks {
            if t.owner == Some(slot as u16) {
                t.owner = None;
                if !t.frames.is_empty() {
                    let child = t.func;
                    self.events.push(Event {
                        kind: FindingKind::Orphan,
                        func: child,
                        detail: format!("still running after its owner `{}` exited", self.p.func(owner).name),
                    });
                }
            }
        }
    }
}
