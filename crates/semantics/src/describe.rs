//! Words for steps and waits: what a trace line says, and why a task is stuck
//! (in Go's own words, as a goroutine dump would print it).

use crate::state::{State, Value};
use crate::step::{Actor, Transition};
use leash_ir::{CaseKind, Instr, Op, Program};
use leash_syntax::Span;

/// A step as a trace shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepText {
    /// The acting task's slot (before the step), if a task acted.
    pub slot: Option<u16>,
    /// The acting task's function.
    pub func: Option<u16>,
    /// Where in the source.
    pub span: Span,
    /// A note on the choice made ("ok", "err", "closed", "timer fired", ...).
    pub note: String,
    /// The slot of the task met on an unbuffered channel, if any.
    pub partner: Option<u16>,
}

/// Describes `t` taken in `s`.
pub fn describe_step(p: &Program, s: &State, t: &Transition) -> StepText {
    // A step of the environment: no task, no place in the source.
    let env = |note: &str| StepText {
        slot: None,
        func: None,
        span: Span::default(),
        note: note.into(),
        partner: None,
    };
    let slot = match t.actor {
        Actor::Task(slot) => slot,
        Actor::Signal => return env("the signal arrives"),
        Actor::Deadline(_) => return env("a deadline fires"),
        Actor::Walk(_) => return env("the cancellation reaches the context's children"),
        Actor::Fire(o) => {
            return env(match s.heap.get(o as usize) {
                Some(crate::Object::Ticker { .. }) => "a ticker ticks",
                _ => "a timer fires",
            })
        }
    };
    let task = &s.tasks[slot as usize];
    let frame = task.frames.last().expect("live tasks have a frame");
    let func = p.func(frame.func);
    let instr = &func.code[frame.pc as usize];
    let mut span = func.spans[frame.pc as usize];
    let partner = t.partner.map(|(s, _)| s);
    let note = match instr {
        _ if t.parks() => "waits".into(),
        Instr::Select { cases, .. } => match cases.get(t.case as usize) {
            Some(case) => {
                span = case.span;
                match case.kind {
                    CaseKind::After => "timer fires".into(),
                    CaseKind::Recv { .. } => recv_note(p, s, slot, t, &case.kind),
                    CaseKind::Send { .. } => String::new(),
                }
            }
            None => "default".into(),
        },
        Instr::Recv { .. } => {
            let kind =
                CaseKind::Recv { chan: recv_chan(instr), value: None, ok: None, zero: leash_ir::Const::Unit };
            recv_note(p, s, slot, t, &kind)
        }
        Instr::Work { .. } => match (t.alt, t.time) {
            (0, _) => "ok".into(),
            (_, true) => "err".into(),
            (_, false) => "err: its context is done".into(),
        },
        Instr::Sleep => "time passes".into(),
        // A read of shared state hoisted into a step of its own (ir/hoist.rs).
        Instr::Assign { dst: leash_ir::Place::Bind(l), .. } if func.locals[*l as usize].starts_with('$') => {
            "reads".into()
        }
        Instr::Op { op: Op::ListLoad, .. } => "reads".into(),
        _ if task.phase == crate::step::MAP_WRITING && instr.map_written().is_some() => {
            "the write ends".into()
        }
        Instr::Op { op: Op::WgWait, .. } => match task.phase {
            0 if t.parks() || wg_busy(s, slot, instr) => "waits".into(),
            2 => "released".into(),
            _ => String::new(),
        },
        Instr::Choose { .. } => format!("branch {}", t.alt + 1),
        Instr::MapNext { .. } if t.alt == Transition::MAP_END => "no entry left".into(),
        Instr::MapNext { .. } => format!("entry {}", t.alt + 1),
        Instr::Op { op: Op::WLock, target, .. } => {
            // Go's Lock goes in at once when no reader is counted, or those
            // counted have all left (a permit waits).
            let enters = match crate::eval::eval(s, slot as usize, target) {
                Ok(Value::Obj(o)) => {
                    matches!(s.heap.get(o as usize), Some(crate::Object::RwMutex(rw)) if rw.lock_enters())
                }
                _ => true,
            };
            if task.phase == 0 && !enters {
                "waits for readers to leave".into()
            } else {
                "acquired".into()
            }
        }
        Instr::Op { op: Op::CondWait, .. } => {
            if task.phase == 0 {
                "releases the lock and waits".into()
            } else {
                "woken; re-acquires the lock".into()
            }
        }
        Instr::Op { op: Op::CondSignal, target, .. } => match crate::eval::eval(s, slot as usize, target) {
            Ok(Value::Obj(c)) if crate::step::cond_waiters(p, s, c).is_empty() => {
                "no waiter: the signal is lost".into()
            }
            _ => "wakes the first waiter".into(),
        },
        _ => String::new(),
    };
    StepText { slot: Some(slot), func: Some(frame.func), span, note, partner }
}

/// Whether the wait group a `wg.wait()` names has a non-zero counter.
fn wg_busy(s: &State, slot: u16, instr: &Instr) -> bool {
    let Instr::Op { target, .. } = instr else { return false };
    match crate::eval::eval(s, slot as usize, target) {
        Ok(Value::Obj(o)) => {
            matches!(s.heap.get(o as usize), Some(crate::Object::WaitGroup { count, .. }) if *count != 0)
        }
        _ => false,
    }
}

fn recv_chan(instr: &Instr) -> leash_ir::Expr {
    match instr {
        Instr::Recv { chan, .. } => chan.clone(),
        _ => leash_ir::Expr::Const(leash_ir::Const::Nil),
    }
}

fn recv_note(_p: &Program, s: &State, slot: u16, t: &Transition, kind: &CaseKind) -> String {
    let CaseKind::Recv { chan, .. } = kind else {
        return String::new();
    };
    if t.partner.is_some() {
        return String::new();
    }
    match crate::eval::eval(s, slot as usize, chan) {
        Ok(Value::Done(_)) => "context done".into(),
        Ok(Value::Obj(o)) => match s.heap.get(o as usize) {
            Some(crate::Object::Chan { buf, closed: true, .. }) if buf.is_empty() => "closed".into(),
            Some(crate::Object::Ticker { .. }) => "tick".into(),
            Some(crate::Object::Timer { .. }) => "timer fires".into(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// The object a step acts on, for drawing who talks to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch {
    /// Puts a value in the buffer of the channel at this heap index.
    Send(u16),
    /// Takes a value from the buffer of this channel (or meets a sender on it).
    Recv(u16),
    /// Observes that this channel is closed.
    RecvClosed(u16),
    /// Closes this channel.
    Close(u16),
    /// Cancels this context.
    Cancel(u16),
    /// Observes that this context is done.
    Done(u16),
    /// The environment sends the signal.
    Signal,
    /// The deadline of this context fires.
    Deadline(u16),
    /// Nothing drawn.
    Nothing,
}

/// What `t` taken in `s` acts on (heap indices as in `s`).
pub fn touches(p: &Program, s: &State, t: &Transition) -> Touch {
    let slot = match t.actor {
        Actor::Task(slot) => slot as usize,
        Actor::Signal => return Touch::Signal,
        Actor::Deadline(c) => return Touch::Deadline(c),
        Actor::Fire(_) | Actor::Walk(_) => return Touch::Nothing,
    };
    if t.parks() {
        return Touch::Nothing;
    }
    let frame = s.tasks[slot].frames.last().expect("live tasks have a frame");
    let instr = &p.func(frame.func).code[frame.pc as usize];
    let obj = |e: &leash_ir::Expr| crate::eval::eval(s, slot, e).ok();
    let recv = |v: Option<Value>| match v {
        Some(Value::Done(c)) => Touch::Done(c),
        Some(Value::Obj(o)) => match s.heap.get(o as usize) {
            Some(crate::Object::Chan { buf, closed: true, .. }) if buf.is_empty() && t.partner.is_none() => {
                Touch::RecvClosed(o)
            }
            Some(crate::Object::Chan { .. }) => Touch::Recv(o),
            _ => Touch::Nothing,
        },
        _ => Touch::Nothing,
    };
    let send = |v: Option<Value>| match v {
        Some(Value::Obj(o)) => Touch::Send(o),
        _ => Touch::Nothing,
    };
    match instr {
        Instr::Send { chan, .. } => send(obj(chan)),
        Instr::Recv { chan, .. } => recv(obj(chan)),
        Instr::Select { cases, .. } => match cases.get(t.case as usize).map(|c| &c.kind) {
            Some(CaseKind::Recv { chan, .. }) => recv(obj(chan)),
            Some(CaseKind::Send { chan, .. }) => send(obj(chan)),
            _ => Touch::Nothing,
        },
        Instr::Op { op: Op::Close, target, .. } => match obj(target) {
            Some(Value::Obj(o)) => Touch::Close(o),
            _ => Touch::Nothing,
        },
        Instr::Op { op: Op::Cancel, target, .. } => match obj(target) {
            Some(Value::Obj(o)) => Touch::Cancel(o),
            _ => Touch::Nothing,
        },
        _ => Touch::Nothing,
    }
}

/// Why the task in `slot` is not moving, in Go's words, and where it waits.
pub fn wait_reason(p: &Program, s: &State, slot: usize) -> (String, Span) {
    let task = &s.tasks[slot];
    let frame = task.frames.last().expect("live tasks have a frame");
    let func = p.func(frame.func);
    let instr = &func.code[frame.pc as usize];
    let span = func.spans[frame.pc as usize];
    let nil = |e: &leash_ir::Expr| crate::eval::eval(s, slot, e) == Ok(Value::Nil);
    let reason = match instr {
        Instr::Send { chan, .. } if nil(chan) => "chan send (nil chan)",
        Instr::Send { .. } => "chan send",
        Instr::Recv { chan, .. } if nil(chan) => "chan receive (nil chan)",
        Instr::Recv { .. } => "chan receive",
        // A select with a default never blocks: Go's dump shows the task
        // runnable (with one case, Go compiles it to a non-blocking operation).
        Instr::Select { default: Some(_), .. } => "running",
        Instr::Select { cases, default: None } if cases.is_empty() => "select (no cases)",
        // Go compiles a select of one case into the plain operation.
        Instr::Select { cases, default: None } if cases.len() == 1 => match &cases[0].kind {
            CaseKind::Send { chan, .. } if nil(chan) => "chan send (nil chan)",
            CaseKind::Send { .. } => "chan send",
            CaseKind::Recv { chan, .. } if nil(chan) => "chan receive (nil chan)",
            CaseKind::Recv { .. } => "chan receive",
            CaseKind::After => "chan receive",
        },
        Instr::Select { .. } => "select",
        Instr::Join { .. } => "join",
        Instr::Spawn { group: Some(_), .. } => "errgroup.Group.Go",
        Instr::OnceEnter { .. } => "sync.Once.Do",
        Instr::Work { .. } => "work",
        Instr::Sleep => "sleep",
        Instr::Op { op, .. } => match op {
            Op::Lock => "sync.Mutex.Lock",
            // A reader waits while a writer holds the lock or has announced itself.
            Op::RLock => "sync.RWMutex.RLock",
            // A writer first takes the writers' mutex (phase 0), then
            // announces itself and waits for the readers to leave (phase 1).
            // In phase 0 the writers' mutex is what blocks (a writer holds
            // the RWMutex or waits inside it for readers): Go's stack is
            // `sync.(*Mutex).Lock` under `sync.(*RWMutex).Lock`.
            Op::WLock if task.phase == 0 => "sync.Mutex.Lock",
            Op::WLock => "sync.RWMutex.Lock",
            Op::WgWait => "sync.WaitGroup.Wait",
            Op::CondWait if task.phase == 2 => "sync.Mutex.Lock",
            // A read lock back behind a writer (`cond(rw.rlocker())`).
            Op::CondWait if task.phase == 3 => "sync.RWMutex.RLock",
            Op::CondWait => "sync.Cond.Wait",
            Op::GroupWait => "errgroup.Group.Wait",
            _ => "running",
        },
        _ => "running",
    };
    (reason.to_string(), span)
}
