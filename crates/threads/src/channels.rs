//! Channels, as Go's runtime does them. A task that reaches a `send`, `recv`
//! or `select` *arrives*: it completes a case that is ready (a value in the
//! buffer or room in it, a closed channel, a done context, a waiting tick or
//! timer value, or a partner parked in the channel's wait queue), or takes
//! `default`, or *parks*: one `sudog` per case in the queue of every channel,
//! timer and ticker it names. Queues are first in, first out. A parked task
//! is moved by a partner that arrives later (the one first in line), by time
//! (`time.rs`: a timer or ticker it waits on fires, an `after` case), or
//! leaves the queues to arrive again when a channel it waits on is closed or
//! a context whose done channel it waits on is done.

use crate::objects::{CaseIx, Object, Queue, TimerState, Waiter, PLAIN};
use crate::plan::{Move, Plan};
use crate::value::{ObjId, Value, NIL_DEREFERENCE};
use crate::world::{Phase, World};
use crate::{End, Instance};
use leash_ir::{CaseKind, Const, Expr, Instr, Place};
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
        /// What a closed channel gives: Go's zero value of its elements.
        zero: Const,
    },
    /// A send.
    Send {
        /// Where it sends.
        chan: &'a Expr,
        /// What it sends.
        value: &'a Expr,
    },
    /// `after`: a fresh timer, which fires only when time passes.
    After,
}

/// The operation of `instr` for `case` ([`PLAIN`] for a plain `send`/`recv`).
pub(crate) fn chan_op(instr: &Instr, case: CaseIx) -> Option<ChanOp<'_>> {
    match (instr, case) {
        (Instr::Send { chan, value }, PLAIN) => Some(ChanOp::Send { chan, value }),
        (Instr::Recv { chan, value, ok, zero }, PLAIN) => {
            Some(ChanOp::Recv { chan, value: value.as_ref(), ok: ok.as_ref(), zero: *zero })
        }
        (Instr::Select { cases, .. }, c) => cases.get(c as usize).map(|case| match &case.kind {
            CaseKind::Recv { chan, value, ok, zero } => {
                ChanOp::Recv { chan, value: value.as_ref(), ok: ok.as_ref(), zero: *zero }
            }
            CaseKind::Send { chan, value } => ChanOp::Send { chan, value },
            CaseKind::After => ChanOp::After,
        }),
        _ => None,
    }
}

/// The operations of a channel instruction, in case order.
pub(crate) fn chan_ops(instr: &Instr) -> Vec<(CaseIx, ChanOp<'_>)> {
    match instr {
        Instr::Select { cases, .. } => {
            (0..cases.len() as CaseIx).filter_map(|c| chan_op(instr, c).map(|op| (c, op))).collect()
        }
        _ => chan_op(instr, PLAIN).map(|op| (PLAIN, op)).into_iter().collect(),
    }
}

/// How a case appears in the log: plain operations are case 0.
pub(crate) fn logged(case: CaseIx) -> u16 {
    if case == PLAIN {
        0
    } else {
        case
    }
}

/// The panic of a send on a context's done channel.
const SEND_ON_DONE: &str = "send to receive-only channel ctx.done";

impl World {
    /// The arrival of task `t` at a `send`, `recv` or `select`: every case
    /// that is ready (each with the parked partner it completes), else
    /// `default`, else parking (when the operation names a queue to park
    /// in). A parked task has no move of its own.
    pub(crate) fn plan_chan(&self, t: Instance, instr: &Instr) -> Result<Plan, String> {
        if self.task(t).parked {
            return Ok(Plan::Blocked);
        }
        if self.task(t).phase == Phase::Woken {
            let cases = self.committable(t, instr);
            return Ok(Plan::Ready(
                cases.into_iter().map(|case| Move::Case { case, partner: None }).collect(),
            ));
        }
        let mut moves = Vec::new();
        let mut queues = false;
        let mut dones = 0;
        for (case, op) in chan_ops(instr) {
            let ready = |partner| Move::Case { case, partner };
            match op {
                ChanOp::After => {}
                ChanOp::Recv { chan, .. } => match self.eval(t, chan)? {
                    Value::Nil => {}
                    Value::Done(c) => {
                        dones += 1;
                        if self.ctx_done(c) {
                            moves.push(ready(None));
                        }
                    }
                    Value::Obj(o) => {
                        queues = true;
                        match &self.heap[o as usize] {
                            Object::Ticker { pending, .. } => {
                                if *pending {
                                    moves.push(ready(None));
                                }
                            }
                            Object::Timer { state, .. } => {
                                if state.waiting() {
                                    moves.push(ready(None));
                                }
                            }
                            Object::Chan(ch) => {
                                let senders = front_run(&ch.sendq);
                                if !ch.buf.is_empty() && (senders.is_empty() || ch.buf.len() < ch.cap) {
                                    moves.push(ready(None));
                                } else if !ch.buf.is_empty() {
                                    // A sender parked on the full buffer moves its value in.
                                    moves.extend(senders.into_iter().map(|w| ready(Some(w))));
                                } else if ch.closed {
                                    moves.push(ready(None));
                                } else {
                                    moves.extend(senders.into_iter().map(|w| ready(Some(w))));
                                }
                            }
                            _ => return Err(NIL_DEREFERENCE.to_string()),
                        }
                    }
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                },
                ChanOp::Send { chan, .. } => match self.eval(t, chan)? {
                    Value::Nil => {}
                    Value::Done(_) => moves.push(ready(None)),
                    Value::Obj(o) => match &self.heap[o as usize] {
                        Object::Chan(ch) => {
                            queues = true;
                            let receivers = front_run(&ch.recvq);
                            if ch.closed {
                                moves.push(ready(None));
                            } else if !receivers.is_empty() {
                                moves.extend(receivers.into_iter().map(|w| ready(Some(w))));
                            } else if ch.buf.len() < ch.cap {
                                moves.push(ready(None));
                            }
                        }
                        _ => return Err(NIL_DEREFERENCE.to_string()),
                    },
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                },
            }
        }
        Ok(if !moves.is_empty() {
            Plan::Ready(moves)
        } else if matches!(instr, Instr::Select { default: Some(_), .. }) {
            Plan::Ready(vec![Move::Default])
        } else if queues || dones >= 2 {
            // Two done channels park too: the first closed commits the select.
            Plan::Ready(vec![Move::Park])
        } else {
            // Only nil channels, one done channel and `after`: it waits
            // without a queue, for a cancellation or for time.
            Plan::Blocked
        })
    }

    /// Takes a channel move of task `t` at `instr`; returns the parked
    /// partner it completed, as the log names it. Errors are panics.
    pub(crate) fn exec_chan(
        &mut self,
        t: Instance,
        instr: &Instr,
        mv: Move,
    ) -> Result<Option<(Instance, u16)>, String> {
        let (case, partner) = match mv {
            Move::Park => {
                self.park(t, instr);
                return Ok(None);
            }
            Move::Default => {
                let Instr::Select { default: Some(target), .. } = instr else {
                    unreachable!("a default move at an instruction without default")
                };
                self.jump(t, *target);
                return Ok(None);
            }
            Move::Case { case, partner } => (case, partner),
            other => unreachable!("{other:?} is not a channel move"),
        };
        match chan_op(instr, case).expect("a case of the instruction") {
            ChanOp::After => {}
            ChanOp::Recv { chan, value, ok, zero } => {
                let (v, open) = self.receive(self.eval(t, chan)?, partner)?;
                if let Some(p) = value {
                    self.store(t, p, if open { v } else { Value::of(zero) })?;
                }
                if let Some(p) = ok {
                    self.store(t, p, Value::Bool(open))?;
                }
            }
            ChanOp::Send { chan, value } => {
                let (c, v) = (self.eval(t, chan)?, self.eval(t, value)?);
                self.send(c, v, partner)?;
            }
        }
        self.go_on(t, instr, case);
        self.unpark(t);
        Ok(partner.map(|w| (w.task, w.case)))
    }

    /// Completes a receive from `chan`: the value and whether the channel
    /// was open. A `partner` is the sender first in line: it hands its value
    /// over (or moves it into the buffer just freed) and runs on.
    fn receive(&mut self, chan: Value, partner: Option<Waiter>) -> Result<(Value, bool), String> {
        match chan {
            Value::Done(_) => Ok((Value::Unit, false)),
            Value::Obj(o) => match &mut self.heap[o as usize] {
                Object::Ticker { pending, .. } => {
                    *pending = false;
                    Ok((Value::Unit, true))
                }
                Object::Timer { state, .. } => {
                    // A reset timer stays armed once its old value is taken.
                    *state =
                        if *state == TimerState::Rearmed { TimerState::Armed } else { TimerState::Received };
                    Ok((Value::Unit, true))
                }
                Object::Chan(ch) => {
                    let buffered = ch.buf.pop_front();
                    let closed = ch.closed;
                    let got = match (buffered, partner) {
                        (Some(v), None) => return Ok((v, true)),
                        (None, None) if closed => return Ok((Value::Unit, false)),
                        (None, None) => unreachable!("a receive planned without a value"),
                        (Some(v), Some(sender)) => {
                            let sent = self.offered(sender)?;
                            if let Object::Chan(ch) = &mut self.heap[o as usize] {
                                ch.buf.push_back(sent);
                            }
                            (v, sender)
                        }
                        (None, Some(sender)) => (self.offered(sender)?, sender),
                    };
                    self.complete(got.1, (Value::Unit, true))?;
                    Ok((got.0, true))
                }
                _ => Err(NIL_DEREFERENCE.to_string()),
            },
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// Completes a send of `v` on `chan`: to the receiver first in line
    /// (`partner`), else into the buffer.
    fn send(&mut self, chan: Value, v: Value, partner: Option<Waiter>) -> Result<(), String> {
        let o = match chan {
            Value::Done(_) => return Err(SEND_ON_DONE.to_string()),
            other => other.obj()?,
        };
        let Object::Chan(ch) = &mut self.heap[o as usize] else {
            return Err(NIL_DEREFERENCE.to_string());
        };
        if ch.closed {
            return Err("send on closed channel".to_string());
        }
        match partner {
            Some(receiver) => self.complete(receiver, (v, true)),
            None => {
                ch.buf.push_back(v);
                Ok(())
            }
        }
    }

    /// The value a parked sender offers in its case.
    fn offered(&self, sender: Waiter) -> Result<Value, String> {
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(sender.task);
        match chan_op(&program.func(f).code[pc as usize], sender.case) {
            Some(ChanOp::Send { value, .. }) => self.eval(sender.task, value),
            _ => unreachable!("a parked sender is at a send"),
        }
    }

    /// Completes the case of a parked task: it gets `got` (a receive case),
    /// leaves the wait queues, and runs on to its next visible instruction.
    pub(crate) fn complete(&mut self, w: Waiter, got: (Value, bool)) -> Result<(), String> {
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(w.task);
        let instr = &program.func(f).code[pc as usize];
        if let Some(ChanOp::Recv { value, ok, zero, .. }) = chan_op(instr, w.case) {
            if let Some(p) = value {
                self.store(w.task, p, if got.1 { got.0 } else { Value::of(zero) })?;
            }
            if let Some(p) = ok {
                self.store(w.task, p, Value::Bool(got.1))?;
            }
        }
        self.go_on(w.task, instr, w.case);
        self.unpark(w.task);
        self.task_mut(w.task).spin = 0;
        self.run_ahead(w.task)
    }

    /// After an operation: to the next instruction, or to the case's body.
    fn go_on(&mut self, t: Instance, instr: &Instr, case: CaseIx) {
        if self.task(t).phase == Phase::Woken {
            self.task_mut(t).phase = Phase::Start;
        }
        match instr {
            Instr::Select { cases, .. } => self.jump(t, cases[case as usize].target),
            _ => self.advance(t),
        }
    }

    /// Parks task `t` at `instr`: a waiter per case in the queue of each
    /// channel, timer and ticker the case names, in case order.
    fn park(&mut self, t: Instance, instr: &Instr) {
        for (case, op) in chan_ops(instr) {
            let (chan, send) = match op {
                ChanOp::Recv { chan, .. } => (chan, false),
                ChanOp::Send { chan, .. } => (chan, true),
                ChanOp::After => continue,
            };
            let Ok(Value::Obj(o)) = self.eval(t, chan) else { continue };
            let queue = match &mut self.heap[o as usize] {
                Object::Chan(ch) if send => Some(&mut ch.sendq),
                object if !send => object.recvq_mut(),
                _ => None,
            };
            if let Some(q) = queue {
                q.push_back(Waiter { task: t, case });
                self.task_mut(t).queues.push(o);
            }
        }
        let task = self.task_mut(t);
        task.parked = true;
        task.spin = 0;
    }

    /// Takes a task out of every wait queue it is parked in.
    pub(crate) fn unpark(&mut self, t: Instance) {
        let queues = std::mem::take(&mut self.task_mut(t).queues);
        for o in queues {
            let object = &mut self.heap[o as usize];
            if let Object::Chan(ch) = object {
                ch.sendq.retain(|w| w.task != t);
            }
            if let Some(q) = object.recvq_mut() {
                q.retain(|w| w.task != t);
            }
        }
        self.task_mut(t).parked = false;
    }

    /// Every parked task that a case can now complete without a partner (a
    /// channel it names was closed, a context whose done channel it waits on
    /// is done) leaves the queues and takes the case Go's closes reach first
    /// ([`World::committable`]), as Go's select woken by `closechan` does,
    /// and runs on; when Go's order is random, it is left woken to choose at
    /// its next step. Run after every step;
    /// returns whether a task was woken, or how the execution ends when a
    /// woken task panics (a send on a closed channel).
    ///
    /// Its reads of contexts do not count as the step's
    /// ([`World::touched_ctx`]): a context is done after the step only if
    /// the step changed it (which counts) or it was done before.
    pub(crate) fn settle(&mut self) -> Result<bool, End> {
        let touched_ctx = self.touched_ctx.get();
        let program = Arc::clone(&self.program);
        let mut woke = false;
        for t in 0..self.tasks.len() as Instance {
            if !self.task(t).parked {
                continue;
            }
            let (f, pc) = self.at(t);
            let instr = &program.func(f).code[pc as usize];
            let cases = self.committable(t, instr);
            let sends = cases.iter().any(|&c| matches!(chan_op(instr, c), Some(ChanOp::Send { .. })));
            let case = match cases[..] {
                [] => None,
                [case] if !sends => Some(case),
                // Go's closes come in an order the world does not know, and
                // a sender woken by a close panics only once it runs again:
                // the task leaves its queues, and its next step takes one.
                _ => {
                    self.unpark(t);
                    self.task_mut(t).phase = Phase::Woken;
                    None
                }
            };
            if let Some(case) = case {
                woke = true;
                self.unpark(t);
                self.task_mut(t).spin = 0;
                self.exec_chan(t, instr, Move::Case { case, partner: None })
                    .map(|_| ())
                    .or_else(|message| self.start_panic(t, message))
                    .and_then(|()| self.run_ahead(t))
                    .map_err(|message| self.panic_end(t, (f, pc), message))?;
            }
        }
        self.touched_ctx.set(touched_ctx);
        Ok(woke)
    }

    /// The cases of task `t` that a close or a cancellation may commit it
    /// to, among those a closed channel or a done context completes, as
    /// Go's closes reach them first: `closechan` wakes receivers before
    /// senders, and a cancellation closes a context's done channel before
    /// its descendants'. Cases on one channel, or on contexts in sibling
    /// subtrees, come in either order.
    fn committable(&self, t: Instance, instr: &Instr) -> Vec<CaseIx> {
        let ready: Vec<(CaseIx, bool, Option<ObjId>)> = chan_ops(instr)
            .into_iter()
            .filter_map(|(case, op)| {
                let (chan, recv) = match op {
                    ChanOp::Recv { chan, .. } => (chan, true),
                    ChanOp::Send { chan, .. } => (chan, false),
                    ChanOp::After => return None,
                };
                match self.eval(t, chan) {
                    Ok(Value::Done(c)) if self.ctx_done(c) => Some((case, recv, Some(c))),
                    Ok(Value::Obj(o)) if matches!(&self.heap[o as usize], Object::Chan(ch) if ch.closed) => {
                        Some((case, recv, None))
                    }
                    _ => None,
                }
            })
            .collect();
        let receives = ready.iter().any(|&(_, recv, _)| recv);
        let first =
            |c: ObjId| !ready.iter().any(|&(_, _, a)| a.is_some_and(|a| a != c && self.ctx_above(a, c)));
        ready
            .iter()
            .filter(|&&(_, recv, done)| (recv || !receives) && done.is_none_or(first))
            .map(|&(case, _, _)| case)
            .collect()
    }

    /// The task first in line to receive from the timer or ticker at `o`.
    pub(crate) fn first_receiver(&self, o: ObjId) -> Option<Waiter> {
        self.heap[o as usize].recvq().and_then(|q| q.front().copied())
    }

    /// The waiters first in the receive queue of `o` that belong to one
    /// task: every case of its select on `o` (see [`front_run`]).
    pub(crate) fn first_receivers(&self, o: ObjId) -> Vec<Waiter> {
        self.heap[o as usize].recvq().map_or_else(Vec::new, front_run)
    }
}

/// The waiters at the front of `q` that belong to the task first in line:
/// one per case of its select on that channel. Go queues them in the
/// select's random poll order, so a partner or a timer that comes later may
/// complete any of them.
fn front_run(q: &Queue) -> Vec<Waiter> {
    let Some(first) = q.front() else { return Vec::new() };
    q.iter().take_while(|w| w.task == first.task).copied().collect()
}
