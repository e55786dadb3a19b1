//! Channels as Go's runtime does them: a task that reaches a `send`, `recv`
//! or `select` first *arrives*: it completes a case that is ready (a value in
//! the buffer, room in it, a closed channel, a done context, a pending tick,
//! or a partner parked on an unbuffered channel), or takes `default`, or
//! *parks* in the wait queue of every channel, timer and ticker it names (a
//! select with two or more done channels parks on those). A parked task
//! moves only when a partner arriving later completes its case (first
//! parked, first served), when time fires the timer or ticker it waits on,
//! or when a channel it waits on is closed or a context it waits on is done:
//! then, in the step that closed or cancelled, it takes the case Go's closes
//! reach first (see [`committable`]) and runs on (Go's select, woken by
//! `closechan`, completes the case it was woken for, never one made ready
//! since); when Go's order is random, it is left woken and its next step
//! takes one. A non-blocking select (with `default`) sees only partners that
//! have parked.

use super::exec::{Exec, WOKEN};
use super::ready::{chan_of, classify, instr_of, Operand};
use super::Transition;
use crate::eval::Fault;
use crate::state::{Object, State, TimerState, Value};
use leash_ir::{CaseKind, Const, Expr, Instr, Place, Program};

/// The case number of a plain `send` or `recv`, as a partner's case.
pub(super) const PLAIN: u16 = u16::MAX;

/// The `case` of the step that takes `case`: 0 for a plain `send` or `recv`.
pub(super) fn step_case(case: u16) -> u16 {
    if case == PLAIN {
        0
    } else {
        case
    }
}

/// One channel operation of an instruction: a plain `send`/`recv`, or a select case.
#[derive(Clone, Copy)]
pub(super) enum ChanOp<'a> {
    Recv { chan: &'a Expr, value: &'a Option<Place>, ok: &'a Option<Place>, zero: Const },
    Send { chan: &'a Expr, value: &'a Expr },
    After,
}

/// The channel operations of `instr` with their case numbers ([`PLAIN`] for
/// a plain `send`/`recv`).
pub(super) fn ops(instr: &Instr) -> Vec<(u16, ChanOp<'_>)> {
    match instr {
        Instr::Send { chan, value } => vec![(PLAIN, ChanOp::Send { chan, value })],
        Instr::Recv { chan, value, ok, zero } => vec![(PLAIN, ChanOp::Recv { chan, value, ok, zero: *zero })],
        Instr::Select { cases, .. } => cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let op = match &c.kind {
                    CaseKind::Recv { chan, value, ok, zero } => ChanOp::Recv { chan, value, ok, zero: *zero },
                    CaseKind::Send { chan, value } => ChanOp::Send { chan, value },
                    CaseKind::After => ChanOp::After,
                };
                (i as u16, op)
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn op_of(instr: &Instr, case: u16) -> Option<ChanOp<'_>> {
    ops(instr).into_iter().find(|(c, _)| *c == case).map(|(_, op)| op)
}

/// The parked task first in line to receive from (`send` false) or send to
/// (`send` true) the channel, timer or ticker at heap index `o`: its slot and case.
pub(super) fn first_parked(p: &Program, s: &State, o: u16, send: bool) -> Option<(u16, u16)> {
    first_in_line(p, s, o, send).map(|(slot, cases)| (slot, cases[0]))
}

/// The parked task first in line to receive from (`send` false) or send to
/// (`send` true) the channel, timer or ticker at heap index `o`: its slot,
/// and every case of it in that line. Go's select queues one waiter per case,
/// the waiters of cases on one channel in its random poll order, so a
/// partner or a timer that comes later may complete any of them.
pub(super) fn first_in_line(p: &Program, s: &State, o: u16, send: bool) -> Option<(u16, Vec<u16>)> {
    let mut best: Option<(u16, u16)> = None;
    for (slot, task) in s.tasks.iter().enumerate() {
        if task.wait == 0 || best.is_some_and(|(w, _)| w < task.wait) {
            continue;
        }
        if ops(instr_of(p, s, slot)).iter().any(|(_, op)| on(s, slot, op, o, send)) {
            best = Some((task.wait, slot as u16));
        }
    }
    best.map(|(_, slot)| {
        let ops = ops(instr_of(p, s, slot as usize));
        (
            slot,
            ops.iter().filter(|(_, op)| on(s, slot as usize, op, o, send)).map(|(case, _)| *case).collect(),
        )
    })
}

/// Whether `op` of task `slot` receives from (`send` false) or sends to
/// (`send` true) the channel, timer or ticker at heap index `o`.
fn on(s: &State, slot: usize, op: &ChanOp, o: u16, send: bool) -> bool {
    let chan = match op {
        ChanOp::Recv { chan, .. } if !send => chan,
        ChanOp::Send { chan, .. } if send => chan,
        _ => return false,
    };
    matches!(chan_of(s, slot, chan), Operand::Chan(c) | Operand::Ticker(c) | Operand::Timer(c) if c == o)
}

/// One step per case of the partner first in line (see [`first_in_line`]),
/// or `t` alone when there is none.
fn with_partners(t: Transition, partner: Option<(u16, Vec<u16>)>, out: &mut Vec<Transition>) {
    match partner {
        Some((slot, cases)) => {
            out.extend(cases.into_iter().map(|case| Transition { partner: Some((slot, case)), ..t }))
        }
        None => out.push(t),
    }
}

/// The objects whose wait queues a task at `instr` joins when it parks:
/// channels, timers and tickers it names.
pub(crate) fn queues(s: &State, slot: usize, instr: &Instr) -> Vec<u16> {
    let mut out = Vec::new();
    for (_, op) in ops(instr) {
        let chan = match op {
            ChanOp::Recv { chan, .. } | ChanOp::Send { chan, .. } => chan,
            ChanOp::After => continue,
        };
        if let Operand::Chan(o) | Operand::Ticker(o) | Operand::Timer(o) = chan_of(s, slot, chan) {
            out.push(o);
        }
    }
    out
}

/// The instant steps of a task arriving at a channel operation: each ready
/// case (a receive or send on an unbuffered channel meets the first parked
/// partner), else `default`, else parking (when something can wake it).
pub(super) fn arrive_moves(p: &Program, s: &State, slot: usize, out: &mut Vec<Transition>) {
    let instr = instr_of(p, s, slot);
    let base = Transition::task(slot);
    let before = out.len();
    for (case, op) in ops(instr) {
        let t = Transition { case: step_case(case), ..base };
        match op {
            ChanOp::Recv { chan, .. } => match chan_of(s, slot, chan) {
                Operand::Nil => {}
                Operand::Bad => out.push(t),
                Operand::Done(c) => {
                    if s.ctx_done(c) {
                        out.push(t);
                    }
                }
                Operand::Ticker(o) => {
                    if matches!(s.heap[o as usize], Object::Ticker { pending: true, .. }) {
                        out.push(t);
                    }
                }
                Operand::Timer(o) => {
                    if matches!(s.heap[o as usize], Object::Timer { state, .. } if state.waiting()) {
                        out.push(t);
                    }
                }
                Operand::Chan(c) => {
                    let Object::Chan { cap, buf, closed } = &s.heap[c as usize] else {
                        unreachable!("classified")
                    };
                    let sender = first_in_line(p, s, c, true);
                    if !buf.is_empty() {
                        // A sender parked on the full buffer moves its value in.
                        with_partners(t, sender.filter(|_| buf.len() == *cap as usize), out);
                    } else if *closed {
                        out.push(t);
                    } else if sender.is_some() {
                        with_partners(t, sender, out);
                    }
                }
            },
            ChanOp::Send { chan, .. } => match chan_of(s, slot, chan) {
                Operand::Nil => {}
                Operand::Chan(c) => {
                    let Object::Chan { cap, buf, closed } = &s.heap[c as usize] else {
                        unreachable!("classified")
                    };
                    if *closed {
                        out.push(t);
                    } else if let Some(receiver) = first_in_line(p, s, c, false) {
                        with_partners(t, Some(receiver), out);
                    } else if buf.len() < *cap as usize {
                        out.push(t);
                    }
                }
                Operand::Done(_) | Operand::Ticker(_) | Operand::Timer(_) | Operand::Bad => out.push(t),
            },
            ChanOp::After => {}
        }
    }
    if out.len() > before {
        return;
    }
    match instr {
        Instr::Select { cases, default: Some(_) } => {
            out.push(Transition { case: cases.len() as u16, ..base })
        }
        _ => {
            if !queues(s, slot, instr).is_empty() || done_cases(s, slot, instr) >= 2 {
                out.push(Transition { case: Transition::PARK, ..base });
            }
        }
    }
}

/// How many cases of `instr` receive from a context's done channel. A
/// select with two or more parks even when it names no other channel: Go
/// queues it on every done channel, and the first closed commits it.
fn done_cases(s: &State, slot: usize, instr: &Instr) -> usize {
    ops(instr)
        .iter()
        .filter(|(_, op)| matches!(op, ChanOp::Recv { chan, .. } if matches!(chan_of(s, slot, chan), Operand::Done(_))))
        .count()
}

/// The cases of task `slot` that a close or a cancellation may commit it
/// to, among those it can now complete alone, as Go's closes reach them
/// first: `closechan` wakes receivers before senders, and a cancellation
/// closes a context's done channel before it walks down to its
/// descendants'. Cases on one channel, or on contexts in sibling subtrees,
/// come in either order.
pub(super) fn committable(s: &State, slot: usize, instr: &Instr) -> Vec<u16> {
    let ready: Vec<(u16, ChanOp)> =
        ops(instr).into_iter().filter(|(_, op)| completes_alone(s, slot, op)).collect();
    let recv = |op: &ChanOp| matches!(op, ChanOp::Recv { .. });
    let receives = ready.iter().any(|(_, op)| recv(op));
    let done = |op: &ChanOp| match op {
        ChanOp::Recv { chan, .. } => match chan_of(s, slot, chan) {
            Operand::Done(c) => Some(c),
            _ => None,
        },
        _ => None,
    };
    let first = |c: u16| !ready.iter().any(|(_, op)| done(op).is_some_and(|a| a != c && s.ctx_above(a, c)));
    ready
        .iter()
        .filter(|(_, op)| (recv(op) || !receives) && done(op).is_none_or(first))
        .map(|(case, _)| *case)
        .collect()
}

impl<'p> Exec<'p> {
    /// The next place in line: after every task parked now.
    fn next_ticket(&self) -> u16 {
        self.s.tasks.iter().map(|t| t.wait).max().unwrap_or(0).saturating_add(1)
    }

    /// Parks task `slot` in the wait queues of its current instruction.
    pub(super) fn park(&mut self, slot: usize) {
        let ticket = self.next_ticket();
        let task = self.s.task_mut(slot);
        task.wait = ticket;
        task.spin = 0;
        self.waits_moved = true;
    }

    /// Takes task `slot` out of the wait queues it is parked in, if any.
    pub(super) fn unpark(&mut self, slot: usize) {
        if self.s.tasks[slot].wait != 0 {
            self.s.task_mut(slot).wait = 0;
            self.waits_moved = true;
        }
    }

    /// Takes step `t` of task `slot`, which arrives at a `send`, `recv` or `select`.
    pub(super) fn chan_step(&mut self, slot: usize, t: &Transition) -> Result<(), Fault> {
        if t.case == Transition::PARK {
            self.park(slot);
            return Ok(());
        }
        let instr = self.instr(slot);
        if let Instr::Select { cases, default: Some(d) } = &instr {
            if t.case as usize == cases.len() {
                self.goto(slot, *d);
                return Ok(());
            }
        }
        let case = if matches!(instr, Instr::Select { .. }) { t.case } else { PLAIN };
        let op = op_of(instr, case).ok_or("internal: no such case")?;
        match op {
            ChanOp::Recv { chan, value, ok, zero } => {
                let c = self.eval(slot, chan)?;
                let (v, o) = self.take(slot, c, t.partner)?;
                let v = if o { v } else { crate::eval::constant(zero) };
                self.store_opt(slot, value, v)?;
                self.store_opt(slot, ok, Value::Bool(o))?;
            }
            ChanOp::Send { chan, value } => {
                let (c, v) = (self.eval(slot, chan)?, self.eval(slot, value)?);
                self.give(c, v, t.partner)?;
            }
            ChanOp::After => {}
        }
        self.leave(slot, instr, case);
        self.unpark(slot);
        Ok(())
    }

    /// Moves task `slot` past `case` of its channel instruction.
    fn leave(&mut self, slot: usize, instr: &Instr, case: u16) {
        if self.s.tasks[slot].phase == WOKEN {
            self.s.task_mut(slot).phase = 0;
        }
        match instr {
            Instr::Select { cases, .. } => self.goto(slot, cases[case as usize].target),
            _ => self.advance(slot),
        }
    }

    /// Completes `case` of the parked task `slot`, which receives `got` (a
    /// receive case) or whose value was taken (a send case), and runs it on.
    fn complete(&mut self, slot: usize, case: u16, got: (Value, bool)) -> Result<(), Fault> {
        let instr = self.instr(slot);
        if let Some(ChanOp::Recv { value, ok, zero, .. }) = op_of(instr, case) {
            // A closed channel gives Go's zero value of its elements.
            let v = if got.1 { got.0 } else { crate::eval::constant(zero) };
            self.store_opt(slot, value, v)?;
            self.store_opt(slot, ok, Value::Bool(got.1))?;
        }
        self.leave(slot, instr, case);
        self.unpark(slot);
        self.s.task_mut(slot).spin = 0;
        self.run_ahead(slot)
    }

    /// The value the parked sender `slot` offers in `case`.
    fn offered(&self, slot: usize, case: u16) -> Result<Value, Fault> {
        match op_of(self.instr(slot), case) {
            Some(ChanOp::Send { value, .. }) => self.eval(slot, value),
            _ => Err("internal: partner is not sending".into()),
        }
    }

    /// Completes a receive of task `slot` from `chan`, with `partner` the
    /// parked sender's case the step chose, if any; returns (value, ok).
    fn take(
        &mut self,
        slot: usize,
        chan: Value,
        partner: Option<(u16, u16)>,
    ) -> Result<(Value, bool), Fault> {
        match classify(&self.s, chan) {
            Operand::Chan(c) => {
                let sender = partner.or_else(|| first_parked(self.p, &self.s, c, true));
                let Object::Chan { buf, closed, .. } = &mut self.s.heap[c as usize] else {
                    unreachable!("classified")
                };
                if !buf.is_empty() {
                    let v = buf.remove(0);
                    // A sender parked on the full buffer moves its value in.
                    if let Some((ps, pcase)) = sender {
                        let sent = self.offered(ps as usize, pcase)?;
                        if let Object::Chan { buf, .. } = &mut self.s.heap[c as usize] {
                            buf.push(sent);
                        }
                        self.complete(ps as usize, pcase, (Value::Unit, true))?;
                    }
                    return Ok((v, true));
                }
                if *closed {
                    return Ok((Value::Unit, false));
                }
                let (ps, pcase) = sender.ok_or("internal: no sender")?;
                let sent = self.offered(ps as usize, pcase)?;
                self.complete(ps as usize, pcase, (Value::Unit, true))?;
                Ok((sent, true))
            }
            Operand::Done(_) => {
                self.s.task_mut(slot).seen = true;
                Ok((Value::Unit, false))
            }
            Operand::Ticker(t) => {
                if let Object::Ticker { pending, .. } = &mut self.s.heap[t as usize] {
                    *pending = false;
                }
                Ok((Value::Unit, true))
            }
            Operand::Timer(t) => {
                if let Object::Timer { state, .. } = &mut self.s.heap[t as usize] {
                    // A reset timer stays armed once its old value is taken.
                    *state = if *state == TimerState::Rearmed { TimerState::Armed } else { TimerState::Done };
                }
                Ok((Value::Unit, true))
            }
            Operand::Nil | Operand::Bad => Err("receive from a value that is not a channel".into()),
        }
    }

    /// Completes a send of `value` on `chan`: to the first parked receiver
    /// (in the case `partner` the step chose), else into the buffer.
    fn give(&mut self, chan: Value, value: Value, partner: Option<(u16, u16)>) -> Result<(), Fault> {
        match classify(&self.s, chan) {
            Operand::Chan(c) => {
                let receiver = partner.or_else(|| first_parked(self.p, &self.s, c, false));
                let Object::Chan { buf, closed, .. } = &mut self.s.heap[c as usize] else {
                    unreachable!("classified")
                };
                if *closed {
                    return Err("send on closed channel".into());
                }
                match receiver {
                    Some((rs, rcase)) => self.complete(rs as usize, rcase, (value, true)),
                    None => {
                        buf.push(value);
                        Ok(())
                    }
                }
            }
            Operand::Done(_) => Err("send to receive-only channel ctx.done".into()),
            _ => Err("send to a value that is not a channel".into()),
        }
    }

    /// Time fires the timer at `o` (or the ticker there ticks): the first
    /// task parked on it receives, in its case number `alt` among those on
    /// `o` (see [`first_in_line`]), or the value waits in its channel. A
    /// panic names the task it happened in.
    pub(super) fn fire(&mut self, o: u16, alt: u16) -> Result<(), (usize, Fault)> {
        let receiver = first_in_line(self.p, &self.s, o, false)
            .map(|(slot, cases)| (slot, cases.get(alt as usize).copied().unwrap_or(cases[0])));
        match &mut self.s.heap[o as usize] {
            Object::Timer { state, aged, .. } => {
                *state = if receiver.is_some() { TimerState::Done } else { TimerState::Pending };
                *aged = false;
            }
            Object::Ticker { pending, .. } => *pending = receiver.is_none(),
            _ => return Ok(()),
        }
        match receiver {
            Some((rs, rcase)) => {
                self.complete(rs as usize, rcase, (Value::Unit, true)).map_err(|f| (rs as usize, f))
            }
            None => Ok(()),
        }
    }

    /// Every parked task that a case can now complete without a partner (a
    /// closed channel, a done context) takes the case Go's closes reach
    /// first ([`committable`]) and runs on, or is left woken when Go's order
    /// is random; returns whether one ran on, or the task whose step
    /// panicked (a send on a closed channel) and why.
    pub(super) fn settle(&mut self) -> Result<bool, (usize, Fault)> {
        let mut woke = false;
        for slot in 0..self.s.tasks.len() {
            if self.s.tasks[slot].wait == 0 || self.s.tasks[slot].frames.is_empty() {
                continue;
            }
            let instr = self.instr(slot);
            let cases = committable(&self.s, slot, instr);
            let sends = cases.iter().any(|&c| matches!(op_of(instr, c), Some(ChanOp::Send { .. })));
            let case = match cases[..] {
                [] => continue,
                [case] if !sends => case,
                // Go's closes come in an order the state does not know, and
                // a sender woken by a close panics only once it runs again:
                // the task leaves its queues, and its next step takes one.
                _ => {
                    self.unpark(slot);
                    self.s.task_mut(slot).phase = WOKEN;
                    continue;
                }
            };
            woke = true;
            let t = Transition { case: step_case(case), ..Transition::task(slot) };
            self.chan_step(slot, &t)
                .or_else(|f| self.start_panic(slot, f))
                .and_then(|()| self.run_ahead(slot))
                .map_err(|f| (slot, f))?;
        }
        Ok(woke)
    }
}

/// Whether a close or a cancellation completes `op` of task `slot`: a send
/// to or a receive from a closed channel (whose buffer is empty), a receive
/// from a done context.
fn completes_alone(s: &State, slot: usize, op: &ChanOp) -> bool {
    match *op {
        ChanOp::Recv { chan, .. } => match chan_of(s, slot, chan) {
            Operand::Chan(c) => {
                matches!(&s.heap[c as usize], Object::Chan { closed: true, buf, .. } if buf.is_empty())
            }
            Operand::Done(c) => s.ctx_done(c),
            _ => false,
        },
        ChanOp::Send { chan, .. } => {
            matches!(chan_of(s, slot, chan), Operand::Chan(c) if matches!(s.heap[c as usize], Object::Chan { closed: true, .. }))
        }
        ChanOp::After => false,
    }
}
