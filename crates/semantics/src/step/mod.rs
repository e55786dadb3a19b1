//! Steps: which transitions a state enables, and the state after one.
//!
//! A transition is one visible instruction of one task (plus the silent
//! instructions that follow it), a rendezvous of a receiver with a sender on an
//! unbuffered channel, or one event of the environment (the signal, a deadline).

mod exec;
mod ready;

use crate::state::{CtxKind, Object, State, Task, Value};
use crate::{Event, Scenario};
use exec::Exec;
use leash_ir::{Instr, Program};
use ready::task_moves;

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
    pub(crate) fn task(slot: usize) -> Transition {
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
    /// For each heap index during the step: its index after, or `u16::MAX` if
    /// the object was collected. Lets a viewer follow objects across steps.
    pub heap_map: Vec<u16>,
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
