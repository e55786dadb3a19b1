//! Which steps a task can take: channel readiness, rendezvous partners, locks,
//! wait groups, conds, onces, work outcomes.

use super::Transition;
use crate::eval::eval;
use crate::state::{Frame, Object, State, TimerState, Value};
use crate::Scenario;
use leash_ir::{CaseKind, Expr, Instr, Op, Program};

/// What an operand names when used as a channel.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Operand {
    Nil,
    /// A channel object (buffered or not).
    Chan(u16),
    Done(u16),
    Ticker(u16),
    Timer(u16),
    Bad,
}

pub(super) fn classify(s: &State, v: Value) -> Operand {
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

pub(super) fn top(s: &State, slot: usize) -> &Frame {
    s.tasks[slot].frames.last().expect("live tasks have a frame")
}

pub(super) fn instr_of<'p>(p: &'p Program, s: &State, slot: usize) -> &'p Instr {
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

pub(super) fn cond_waiters(p: &Program, s: &State, cond: u16) -> Vec<usize> {
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

pub(super) fn task_moves(p: &Program, s: &State, slot: usize, scenario: Scenario, out: &mut Vec<Transition>) {
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
                            // Only an unbuffered channel meets a receiver; a full
                            // buffer is simply not ready, and `default` runs.
                            let unbuffered = matches!(s.heap[c as usize], Object::Chan { cap: 0, .. });
                            rendezvous_send |= unbuffered && has_receiver(p, s, c, slot, mine);
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
