//! Time and the environment.
//!
//! Instant steps take no time; `work`, `sleep`, `after`, timers, tickers and
//! deadlines take time. Time passes only when no task is urgent (every live
//! task is blocked, parked, waiting for time, or polling): then any one timed
//! step may come first, since durations are unknown: a task's `work` ends
//! (with `err` too in the error scenario) or its `sleep` does, an `after`
//! case of a select it waits in fires, a timer fires or a ticker ticks, a
//! deadline expires, or (in the completion scenario) the signal arrives.
//! Outside completion the signal may also arrive at any moment.
//!
//! One exception to maximal progress: *ties*. Right after a timed step,
//! another may come at the same instant, before the tasks woken take their
//! instant steps, which then interleave in every order; a tick only when the
//! task it wakes may race on shared data (`ties.rs`, docs/semantics.md, Time).
//!
//! No thread stands for the environment (`runtime.rs` says who makes these
//! events happen); here is what may happen and what it does.

use crate::objects::{CtxKind, Object, TimerState, PLAIN};
use crate::plan::{Move, Plan};
use crate::value::{ObjId, Value};
use crate::world::World;
use crate::{End, Entry, Instance};
use leash_ir::{CaseKind, Instr};
use leash_semantics::Scenario;
use std::sync::Arc;

/// A step of time or of the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A timed step of a waiting task: its work or sleep ends, or an `after`
    /// case of its select fires.
    Task(Instance, Move),
    /// A timer fires, or a ticker ticks; its value goes to case number
    /// `alt` of those its first parked receiver waits in (see
    /// `World::first_receivers`).
    Fire(ObjId, u16),
    /// The deadline of a `with_timeout` context expires.
    Deadline(ObjId),
    /// The cancellation of a context walks down to its children.
    Walk(ObjId),
    /// The environment sends the signal.
    Signal,
}

impl World {
    /// Whether no live task is urgent, given every task's plan (by instance).
    /// A cancellation walking down to its children is a goroutine running.
    pub(crate) fn quiet(&self, plans: &[Plan]) -> bool {
        self.live().all(|t| !self.urgent(t, &plans[t as usize])) && self.walks().is_empty()
    }

    /// Whether some live task can take a step (or panic) at once.
    pub(crate) fn movers(&self, plans: &[Plan]) -> bool {
        self.live().any(|t| plans[t as usize].moves())
    }

    /// The plan of every task, by instance (exited tasks: blocked).
    pub(crate) fn plans(&self) -> Vec<Plan> {
        (0..self.tasks.len() as Instance)
            .map(|t| if self.task(t).exited { Plan::Blocked } else { self.plan(t) })
            .collect()
    }

    /// The timed steps that may come first when time passes (the caller
    /// knows no task is urgent), given every task's plan: the timed steps of
    /// the tasks that cannot move (by instance), then the timers, tickers and
    /// deadlines (by number), then the signal in the completion scenario.
    pub(crate) fn timed(&self, plans: &[Plan]) -> Vec<Event> {
        let mut out = Vec::new();
        if self.short_timer_armed() {
            return out;
        }
        for t in self.live().filter(|&t| !plans[t as usize].moves()) {
            out.extend(self.timed_moves(t).into_iter().map(|mv| Event::Task(t, mv)));
        }
        let acting = self.acting();
        out.extend(self.timed_objects(&acting, true));
        if self.config.scenario == Scenario::Completion && self.signal_in(&acting) {
            out.push(Event::Signal);
        }
        out
    }

    /// The timed steps that may tie with the timed step just taken (the
    /// caller knows some task is urgent): those of `timed` but the ticks
    /// that may not tie, and the timers, tickers and deadlines made or reset
    /// at this instant (due a whole delay on).
    pub(crate) fn ties(&self, plans: &[Plan]) -> Vec<Event> {
        if !self.instant {
            return Vec::new();
        }
        let fresh = |o: ObjId| match &self.heap[o as usize] {
            Object::Timer { aged, .. } | Object::Ticker { aged, .. } => !aged,
            Object::Ctx(c) => !c.aged,
            _ => false,
        };
        let apart = |e: &Event| match *e {
            Event::Fire(o, _) => {
                fresh(o) || matches!(self.heap[o as usize], Object::Ticker { .. }) && !self.tick_ties(o)
            }
            Event::Deadline(c) => fresh(c),
            _ => false,
        };
        self.timed(plans).into_iter().filter(|e| !apart(e)).collect()
    }

    /// The short timers that may fire and the short tickers that may tick:
    /// at any moment, not held back by maximal progress.
    pub(crate) fn short_fires(&self) -> Vec<Event> {
        if !self.program.short_timers {
            return Vec::new();
        }
        let acting = self.acting();
        let fires = |o: &ObjId| match &self.heap[*o as usize] {
            Object::Timer { state, short: true, .. } => state.active(),
            Object::Ticker { running: true, pending: false, short: true, .. } => true,
            _ => false,
        };
        acting.iter().copied().filter(fires).flat_map(|o| self.fires(o)).collect()
    }

    /// Whether a short timer is armed: it fires before time passes for the
    /// long timed steps (a short ticker, periodic, holds nothing back).
    fn short_timer_armed(&self) -> bool {
        self.program.short_timers
            && self
                .heap
                .iter()
                .any(|o| matches!(o, Object::Timer { state, short: true, .. } if state.active()))
    }

    /// The long timers that fire, the long tickers that tick (all when
    /// `ticks`, else those that may tie) and the deadlines that expire when
    /// time passes, among `acting`.
    fn timed_objects<'a>(&'a self, acting: &'a [ObjId], ticks: bool) -> impl Iterator<Item = Event> + 'a {
        acting.iter().flat_map(move |&o| match &self.heap[o as usize] {
            Object::Timer { state, short: false, .. } if state.active() => self.fires(o),
            Object::Ticker { running: true, pending: false, short: false, .. }
                if ticks || self.tick_ties(o) =>
            {
                self.fires(o)
            }
            Object::Ctx(c) if c.kind == CtxKind::Timeout && !self.ctx_done(o) => vec![Event::Deadline(o)],
            _ => Vec::new(),
        })
    }

    /// The firings of timer or ticker `o`: one per case its first parked
    /// receiver waits in on it (one when none waits).
    fn fires(&self, o: ObjId) -> Vec<Event> {
        let cases = self.first_receivers(o).len().max(1);
        (0..cases as u16).map(|alt| Event::Fire(o, alt)).collect()
    }

    /// Whether a timed step that may tie is pending: a live task in `work`
    /// or `sleep` or at a `select` with an `after` case, an active timer, a
    /// tick that may tie, a deadline not passed, or in completion the signal
    /// not yet sent.
    pub(crate) fn tie_pending(&self) -> bool {
        let acting = self.acting();
        self.live().any(|t| !self.task(t).frames.is_empty() && !self.timed_moves(t).is_empty())
            || self.timed_objects(&acting, false).next().is_some()
            || (self.config.scenario == Scenario::Completion && self.signal_in(&acting))
    }

    /// Whether the signal may come at any moment: outside the completion
    /// scenario, while it was not sent and a `signal()` context is reachable.
    pub(crate) fn signal_any_moment(&self) -> bool {
        self.config.scenario != Scenario::Completion && self.signal_in(&self.acting())
    }

    /// Whether the step just taken, logged as `entry`, may not commute with
    /// the signal or an aged deadline: it looked at a context or changed
    /// one, time passed, or it completed a task parked in a `select` (which
    /// the signal may have taken out of its queues first). Any other step
    /// gives the same world whether the signal came just before it or just
    /// after. An aged timer may fire too: every step counts then (one that
    /// parks on the timer, polls it, stops or resets it does not commute
    /// with its firing, and steps are not told apart by that yet).
    pub(crate) fn meets_signal(&self, entry: &Entry) -> bool {
        self.touched_ctx.get()
            || self.heap.iter().any(|o| matches!(o, Object::Timer { aged: true, .. }))
            || match entry {
                Entry::Step { time, partner, .. } => *time || partner.is_some_and(|(_, case)| case != PLAIN),
                Entry::Fire { .. } | Entry::Deadline { .. } | Entry::Walk { .. } | Entry::Signal => true,
            }
    }

    /// Whether the signal was not sent and one of `acting` is a `signal()` context.
    fn signal_in(&self, acting: &[ObjId]) -> bool {
        !self.signalled
            && acting
                .iter()
                .any(|&o| matches!(&self.heap[o as usize], Object::Ctx(c) if c.kind == CtxKind::Signal))
    }

    /// The contexts, timers and tickers the model can still reach, by number.
    fn acting(&self) -> Vec<ObjId> {
        if self.numbered.is_empty() {
            return Vec::new();
        }
        let reached = self.reachable();
        self.numbered.iter().copied().filter(|&o| reached[o as usize]).collect()
    }

    /// The steps of task `t` that wait for time to pass: the end of its
    /// `work` (`ok`, or `err` too in the error scenario) or `sleep`, or an
    /// `after` case of the select (without `default`) it waits in.
    fn timed_moves(&self, t: Instance) -> Vec<Move> {
        let (f, pc) = self.at(t);
        match &self.program.func(f).code[pc as usize] {
            Instr::Work { .. } if self.config.scenario == Scenario::Error => vec![Move::Alt(0), Move::Alt(1)],
            Instr::Work { .. } => vec![Move::Alt(0)],
            Instr::Sleep => vec![Move::Plain],
            Instr::Select { cases, default: None } => (0..cases.len() as u16)
                .filter(|&c| matches!(cases[c as usize].kind, CaseKind::After))
                .map(|case| Move::Case { case, partner: None })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The deadlines, the timers, and in completion the signal, that may
    /// land between two instant steps (while a task is urgent, not at a
    /// tie's instant, where they come as timed steps): those of the contexts
    /// that time has passed since they were made, and of the timers since
    /// they were armed.
    pub(crate) fn aged_steps(&self) -> Vec<Event> {
        // Reaching the objects costs a walk of the heap: most steps have
        // no aged context or timer to offer.
        let any_aged = |o: &Object| {
            matches!(o, Object::Ctx(c) if c.aged) || matches!(o, Object::Timer { aged: true, .. })
        };
        if !self.heap.iter().any(any_aged) {
            return Vec::new();
        }
        let acting = self.acting();
        let aged =
            |o: ObjId, kind| matches!(&self.heap[o as usize], Object::Ctx(c) if c.kind == kind && c.aged);
        let deadlines = acting.iter().copied().filter(|&o| aged(o, CtxKind::Timeout) && !self.ctx_done(o));
        let timers = acting
            .iter()
            .copied()
            .filter(|&o| matches!(self.heap[o as usize], Object::Timer { aged: true, .. }));
        let signal = self.config.scenario == Scenario::Completion
            && !self.signalled
            && acting.iter().any(|&o| aged(o, CtxKind::Signal));
        let mut out: Vec<Event> = deadlines.map(Event::Deadline).collect();
        out.extend(timers.flat_map(|o| self.fires(o)));
        out.extend(signal.then_some(Event::Signal));
        out
    }

    /// A timed step: every spin mark ends; unless it ties with the step
    /// before (comes at its instant), time passes and the contexts, timers
    /// and tickers made before age (a `signal()` context only in completion,
    /// where the signal waits for time).
    pub(crate) fn time_passes(&mut self) {
        let tie = self.instant && !self.quiet(&self.plans());
        self.tasks.iter_mut().for_each(|task| task.spin = 0);
        if tie {
            return;
        }
        let signal = self.config.scenario == Scenario::Completion;
        for o in &mut self.heap {
            match o {
                Object::Ctx(c) => {
                    c.aged |= c.kind == CtxKind::Timeout || (c.kind == CtxKind::Signal && signal)
                }
                Object::Timer { state, short: false, aged, .. } => *aged = state.active(),
                Object::Ticker { running, aged, .. } => *aged = *running,
                _ => {}
            }
        }
    }

    /// Makes an event happen, a step of time when `timed`; returns its log
    /// entry, or how the execution ends when a task it moved panics.
    pub(crate) fn happen(&mut self, e: Event, timed: bool) -> Result<Entry, End> {
        if let Event::Task(t, mv) = e {
            return self.take(t, mv, true);
        }
        let before = self.heap.len();
        self.mover = None;
        if timed {
            self.time_passes();
        }
        let entry = match e {
            Event::Task(..) => unreachable!("taken above"),
            Event::Fire(o, alt) => {
                self.fire(o, alt)?;
                Entry::Fire { obj: self.number_of(o), alt }
            }
            Event::Deadline(c) => {
                self.cancel(c);
                Entry::Deadline { ctx: self.number_of(c) }
            }
            Event::Walk(c) => {
                self.walk(c)?;
                Entry::Walk { ctx: self.number_of(c) }
            }
            Event::Signal => {
                self.signal();
                Entry::Signal
            }
        };
        // A timed step opens an instant at which another may come too.
        self.instant = timed && self.tie_pending();
        self.settle_step(before)?;
        Ok(entry)
    }

    /// A timer fires or a ticker ticks: the first task parked on it receives
    /// at once, in its case number `alt` of those on `o`, and runs on, else
    /// the value waits in the channel.
    fn fire(&mut self, o: ObjId, alt: u16) -> Result<(), End> {
        let receiver = self.first_receivers(o).get(alt as usize).copied();
        match &mut self.heap[o as usize] {
            Object::Timer { state, aged, .. } => {
                *state = if receiver.is_some() { TimerState::Received } else { TimerState::Pending };
                *aged = false;
            }
            Object::Ticker { pending, .. } => *pending = receiver.is_none(),
            other => unreachable!("only timers and tickers fire, not {other:?}"),
        }
        match receiver {
            Some(w) => self.complete(w, (Value::Unit, true)).map_err(|message| {
                let at = (self.task(w.task).func, 0);
                self.panic_end(w.task, at, message)
            }),
            None => Ok(()),
        }
    }

    /// The number the log gives a context, timer or ticker.
    fn number_of(&self, o: ObjId) -> u32 {
        self.numbered.iter().position(|&n| n == o).expect("only numbered objects act") as u32
    }

    /// Numbers the contexts, timers and tickers made since heap index
    /// `before` that are still reachable, in the order they were made.
    pub(crate) fn number(&mut self, before: usize) {
        let made: Vec<ObjId> =
            (before..self.heap.len()).filter(|&o| self.heap[o].is_clocked()).map(|o| o as ObjId).collect();
        if made.is_empty() {
            return;
        }
        let reached = self.reachable();
        self.numbered.extend(made.into_iter().filter(|&o| reached[o as usize]));
    }

    /// Which objects the model can still reach: from the model-level
    /// variables and the live tasks (their error groups, and their frames'
    /// locals, return values and deferred calls' captured operands), through
    /// cells, arrays, channel buffers, conds, groups and context parents.
    pub(crate) fn reachable(&self) -> Vec<bool> {
        let program = Arc::clone(&self.program);
        let mut seen = vec![false; self.heap.len()];
        let mut todo: Vec<ObjId> = (0..program.globals.len() as ObjId).collect();
        for task in self.tasks.iter().filter(|task| !task.exited) {
            todo.extend(task.group);
            todo.extend(task.values().filter_map(|v| v.handle()));
        }
        while let Some(o) = todo.pop() {
            if std::mem::replace(&mut seen[o as usize], true) {
                continue;
            }
            match &self.heap[o as usize] {
                Object::Cell { value, .. } => todo.extend(value.handle()),
                Object::Array(xs) => todo.extend(xs.iter().filter_map(|v| v.handle())),
                Object::Chan(ch) => todo.extend(ch.buf.iter().filter_map(|v| v.handle())),
                Object::Cond { mutex, .. } => todo.push(*mutex),
                Object::Group { ctx, .. } => todo.push(*ctx),
                Object::Ctx(ctx) => todo.extend(ctx.parent),
                _ => {}
            }
        }
        seen
    }
}
