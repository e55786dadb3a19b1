//! Channels, as Go's runtime does them: buffered channels through their
//! buffer; unbuffered ones by direct hand-off between a task that arrives and
//! a task parked on the channel's queue. Also receives from tickers, timers
//! and done channels, and `select` over all of them.
//!
//! A task is parked on the queue of every unbuffered channel it waits for
//! from the moment it reaches a `send`, `recv` or `select` without `default`
//! until it leaves it: the queues are brought up to date after every step
//! (operands may read variables that the step changed), so that any task
//! arriving sees every partner the state offers, as the reference semantics
//! does, whether or not the partner's own thread has run since.

use crate::objects::{CaseIx, Object, TimerState, Waiter, PLAIN};
use crate::plan::{Move, Plan};
use crate::value::{ObjId, Value, NIL_DEREFERENCE};
use crate::world::World;
use crate::{Entry, Instance};
use leash_ir::{CaseKind, Expr, Instr, Place};
use std::sync::Arc;

/// One channel operation of an instruction: a plain `send`/`recv`, or a select case.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ChanOp<'a> {
    /// A receive.
    Recv {
        /// What it receives from.
        chan: &'a Expr,
        /// Where the value goes.
        value: Option<&'a Place>,
        /// Where the "still open" flag goes.
        ok: Option<&'a Place>,
    },
    /// A send.
    Send {
        /// Where it sends.
        chan: &'a Expr,
        /// What it sends.
        value: &'a Expr,
    },
    /// `after`: a fresh timer.
    After,
}

/// The operation of `instr` for `case` ([`PLAIN`] for a plain `send`/`recv`).
pub(crate) fn chan_op(instr: &Instr, case: CaseIx) -> Option<ChanOp<'_>> {
    match (instr, case) {
        (Instr::Send { chan, value }, PLAIN) => Some(ChanOp::Send { chan, value }),
        (Instr::Recv { chan, value, ok }, PLAIN) => {
            Some(ChanOp::Recv { chan, value: value.as_ref(), ok: ok.as_ref() })
        }
        (Instr::Select { cases, .. }, c) => cases.get(c as usize).map(|case| match &case.kind {
            CaseKind::Recv { chan, value, ok } => {
                ChanOp::Recv { chan, value: value.as_ref(), ok: ok.as_ref() }
            }
            CaseKind::Send { chan, value } => ChanOp::Send { chan, value },
            CaseKind::After => ChanOp::After,
        }),
        _ => None,
    }
}

/// The operations of a channel instruction, and whether it has a `default`.
fn chan_ops(instr: &Instr) -> (Vec<(CaseIx, ChanOp<'_>)>, bool) {
    match instr {
        Instr::Select { cases, default } => (
            (0..cases.len() as CaseIx).filter_map(|c| chan_op(instr, c).map(|op| (c, op))).collect(),
            default.is_some(),
        ),
        _ => (chan_op(instr, PLAIN).map(|op| (PLAIN, op)).into_iter().collect(), false),
    }
}

/// How a case appears in the log: plain operations are case 0.
fn logged(case: CaseIx) -> u16 {
    if case == PLAIN {
        0
    } else {
        case
    }
}

impl World {
    /// The plan of a `send`, `recv` or `select`: every case that can proceed
    /// (one move per parked partner on an unbuffered channel), else `default`,
    /// else blocked and parked on the unbuffered channels it waits for.
    pub(crate) fn plan_chan(&self, t: Instance, instr: &Instr) -> Result<Plan, String> {
        let (ops, default) = chan_ops(instr);
        let mut moves = Vec::new();
        let mut time = true;
        for (case, op) in ops {
            let before = moves.len();
            let timed = match op {
                ChanOp::After => {
                    moves.push(Move::Case(case));
                    true
                }
                ChanOp::Recv { chan, .. } => match self.eval(t, chan)? {
                    Value::Nil => false,
                    Value::Done(c) => {
                        if self.ctx_done(c) {
                            moves.push(Move::Case(case));
                        }
                        false
                    }
                    Value::Obj(o) => match &self.heap[o as usize] {
                        Object::Ticker { running } => {
                            if *running {
                                moves.push(Move::Case(case));
                            }
                            true
                        }
                        Object::Timer(state) => {
                            if *state == TimerState::Armed {
                                moves.push(Move::Case(case));
                            }
                            true
                        }
                        Object::Chan(ch) => {
                            if !ch.buf.is_empty() || ch.closed {
                                moves.push(Move::Case(case));
                            } else if ch.cap == 0 {
                                moves.extend(self.meetings(t, o, case, true));
                            }
                            false
                        }
                        _ => return Err(NIL_DEREFERENCE.to_string()),
                    },
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                },
                ChanOp::Send { chan, .. } => match self.eval(t, chan)? {
                    Value::Nil => false,
                    Value::Obj(o) => match &self.heap[o as usize] {
                        Object::Chan(ch) => {
                            if ch.closed || (ch.cap > 0 && ch.buf.len() < ch.cap) {
                                moves.push(Move::Case(case));
                            } else if ch.cap == 0 {
                                moves.extend(self.meetings(t, o, case, false));
                            }
                            false
                        }
                        _ => return Err(NIL_DEREFERENCE.to_string()),
                    },
                    Value::Done(_) => return Err("send on a receive-only channel".to_string()),
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                },
            };
            if moves.len() > before && !timed {
                time = false;
            }
        }
        Ok(if !moves.is_empty() {
            Plan::Ready { moves, time }
        } else if default {
            Plan::Ready { moves: vec![Move::Default], time: true }
        } else {
            Plan::Blocked
        })
    }

    /// A move per task parked on the other side of unbuffered channel `o`
    /// (its senders when `t` receives), other than `t`, by instance.
    fn meetings(&self, t: Instance, o: ObjId, case: CaseIx, recv: bool) -> Vec<Move> {
        let Object::Chan(ch) = &self.heap[o as usize] else {
            return Vec::new();
        };
        let queue = if recv { &ch.sendq } else { &ch.recvq };
        queue.iter().filter(|w| w.task != t).map(|&partner| Move::Meet { case, partner }).collect()
    }

    /// Brings the queues up to date: every live task at a `send`, `recv` or
    /// `select` without `default` is parked on each unbuffered channel its
    /// cases denote now (a task with a `default` never parks: two selects
    /// with defaults never meet).
    pub(crate) fn refresh_queues(&mut self) {
        let program = Arc::clone(&self.program);
        let live: Vec<Instance> = self.live().collect();
        for t in live {
            self.unpark(t);
            let Some(frame) = self.task(t).frames.last() else { continue };
            let instr = &program.func(frame.func).code[frame.pc as usize];
            let (ops, default) = chan_ops(instr);
            if default {
                continue;
            }
            for (case, op) in ops {
                let (chan, send) = match op {
                    ChanOp::Recv { chan, .. } => (chan, false),
                    ChanOp::Send { chan, .. } => (chan, true),
                    ChanOp::After => continue,
                };
                let Ok(Value::Obj(o)) = self.eval(t, chan) else { continue };
                if let Object::Chan(ch) = &mut self.heap[o as usize] {
                    if ch.cap == 0 {
                        let queue = if send { &mut ch.sendq } else { &mut ch.recvq };
                        queue.push(Waiter { task: t, case });
                        self.task_mut(t).parked.push(o);
                    }
                }
            }
        }
    }

    /// Takes a task off every queue it is parked on.
    pub(crate) fn unpark(&mut self, t: Instance) {
        let parked = std::mem::take(&mut self.task_mut(t).parked);
        for o in parked {
            if let Object::Chan(ch) = &mut self.heap[o as usize] {
                ch.recvq.retain(|w| w.task != t);
                ch.sendq.retain(|w| w.task != t);
            }
        }
    }

    /// Takes a channel move of task `t`; returns the log entry and the tasks
    /// that moved (the receiver first for a hand-off). Errors are panics, with
    /// the task and instruction that panicked.
    pub(crate) fn exec_chan(
        &mut self,
        t: Instance,
        instr: &Instr,
        mv: Move,
    ) -> Result<(Entry, Vec<Instance>), (Instance, String)> {
        let (func, pc) = self.at(t);
        let mut entry = Entry::Step { task: t, func, pc, case: 0, alt: 0, partner: None, woke: None };
        let moved = match mv {
            Move::Default => {
                let Instr::Select { cases, default: Some(target) } = instr else {
                    unreachable!("a default move at an instruction without default")
                };
                set_case(&mut entry, cases.len() as u16);
                self.jump(t, *target);
                vec![t]
            }
            Move::Case(case) => {
                self.complete(t, instr, case).map_err(|m| (t, m))?;
                set_case(&mut entry, logged(case));
                vec![t]
            }
            Move::Meet { case, partner } => {
                let mine = Waiter { task: t, case };
                let (receiver, sender) = match chan_op(instr, case) {
                    Some(ChanOp::Send { .. }) => (partner, mine),
                    _ => (mine, partner),
                };
                entry = self.hand_off(receiver, sender)?;
                vec![receiver.task, sender.task]
            }
            other => unreachable!("{other:?} is not a channel move"),
        };
        Ok((entry, moved))
    }

    /// The rendezvous of a receiver and a sender on an unbuffered channel:
    /// the value goes straight from one to the other, both go on, and the
    /// step is the receiver's.
    fn hand_off(&mut self, receiver: Waiter, sender: Waiter) -> Result<Entry, (Instance, String)> {
        let program = Arc::clone(&self.program);
        let (func, pc) = self.at(receiver.task);
        let (sf, spc) = self.at(sender.task);
        let send_instr = &program.func(sf).code[spc as usize];
        let recv_instr = &program.func(func).code[pc as usize];
        let Some(ChanOp::Send { value, .. }) = chan_op(send_instr, sender.case) else {
            unreachable!("a parked sender is at a send")
        };
        let v = self.eval(sender.task, value).map_err(|m| (sender.task, m))?;
        self.deliver(receiver.task, recv_instr, receiver.case, v, true).map_err(|m| (receiver.task, m))?;
        self.go_on(sender.task, send_instr, sender.case);
        Ok(Entry::Step {
            task: receiver.task,
            func,
            pc,
            case: logged(receiver.case),
            alt: 0,
            partner: Some((sender.task, sender.case)),
            woke: None,
        })
    }

    /// Completes an operation that needs no partner: a buffered send or
    /// receive, a receive from a closed channel, a ticker, a timer or a done
    /// channel, `after`, or a send on a closed channel (a panic).
    fn complete(&mut self, t: Instance, instr: &Instr, case: CaseIx) -> Result<(), String> {
        match chan_op(instr, case).expect("a case of the instruction") {
            ChanOp::After => {
                self.go_on(t, instr, case);
                Ok(())
            }
            ChanOp::Recv { chan, .. } => {
                let (v, ok) = match self.eval(t, chan)? {
                    Value::Obj(o) => match &mut self.heap[o as usize] {
                        Object::Timer(state) => {
                            *state = TimerState::Fired;
                            (Value::Unit, true)
                        }
                        Object::Chan(ch) => match ch.buf.pop_front() {
                            Some(v) => (v, true),
                            None => (Value::Unit, false),
                        },
                        _ => (Value::Unit, true),
                    },
                    _ => (Value::Unit, false),
                };
                self.deliver(t, instr, case, v, ok)
            }
            ChanOp::Send { chan, value } => {
                let o = self.eval(t, chan)?.obj()?;
                if matches!(&self.heap[o as usize], Object::Chan(ch) if ch.closed) {
                    return Err("send on closed channel".to_string());
                }
                let v = self.eval(t, value)?;
                if let Object::Chan(ch) = &mut self.heap[o as usize] {
                    ch.buf.push_back(v);
                }
                self.go_on(t, instr, case);
                Ok(())
            }
        }
    }

    /// Stores what a receive got, then goes on.
    fn deliver(
        &mut self,
        t: Instance,
        instr: &Instr,
        case: CaseIx,
        v: Value,
        ok: bool,
    ) -> Result<(), String> {
        if let Some(ChanOp::Recv { value, ok: flag, .. }) = chan_op(instr, case) {
            if let Some(p) = value {
                self.store(t, p, v)?;
            }
            if let Some(p) = flag {
                self.store(t, p, Value::Bool(ok))?;
            }
        }
        self.go_on(t, instr, case);
        Ok(())
    }

    /// After an operation: to the next instruction, or to the case's body.
    fn go_on(&mut self, t: Instance, instr: &Instr, case: CaseIx) {
        match instr {
            Instr::Select { cases, .. } => self.jump(t, cases[case as usize].target),
            _ => self.advance(t),
        }
    }
}

/// Sets the select case of a step entry.
fn set_case(entry: &mut Entry, c: u16) {
    if let Entry::Step { case, .. } = entry {
        *case = c;
    }
}
