//! What a task can do next: the ways its current instruction can be taken
//! now, or that it cannot move, or that it panics.

use crate::objects::{CaseIx, Object, OnceState, Waiter};
use crate::value::{Value, NIL_DEREFERENCE};
use crate::world::World;
use crate::Instance;
use leash_ir::Instr;
use leash_semantics::Scenario;
use std::sync::Arc;

/// One way to take a task's current instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Move {
    /// The instruction's one effect.
    Plain,
    /// A free alternative: a work outcome (0 ok, 1 err) or a `choose` branch.
    Alt(u16),
    /// A select case, or a plain `send`/`recv` ([`crate::objects::PLAIN`]),
    /// that proceeds without a partner.
    Case(CaseIx),
    /// A case (or plain operation) that meets a task parked on the other
    /// side of an unbuffered channel.
    Meet {
        /// The mover's case.
        case: CaseIx,
        /// The parked partner.
        partner: Waiter,
    },
    /// The `default` of a select.
    Default,
    /// `c.signal()` waking this waiter, or nobody.
    Wake(Option<Instance>),
}

/// What a task can do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing now.
    Blocked,
    /// Any of these moves; `time` when every one of them is driven by time.
    Ready {
        /// The moves, a free choice among them.
        moves: Vec<Move>,
        /// Whether they are all time steps (timers, tickers, `after`, `sleep`, `default`).
        time: bool,
    },
    /// Taking the instruction panics with this message.
    Panic(String),
}

impl Plan {
    /// One move that is not driven by time.
    pub(crate) fn one(m: Move) -> Plan {
        Plan::Ready { moves: vec![m], time: false }
    }

    /// The plan of a set of moves: blocked when there are none.
    pub(crate) fn any(moves: Vec<Move>) -> Plan {
        if moves.is_empty() {
            Plan::Blocked
        } else {
            Plan::Ready { moves, time: false }
        }
    }
}

impl World {
    /// What task `t` can do next at its current instruction.
    pub(crate) fn plan(&self, t: Instance) -> Plan {
        self.try_plan(t).unwrap_or_else(Plan::Panic)
    }

    fn try_plan(&self, t: Instance) -> Result<Plan, String> {
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(t);
        let instr = &program.func(f).code[pc as usize];
        let plan = match instr {
            Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. } => self.plan_chan(t, instr)?,
            Instr::Join { task } => match self.eval(t, task)? {
                Value::Task(i) if self.task(i).exited => Plan::one(Move::Plain),
                Value::Task(_) => Plan::Blocked,
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            Instr::Work { ctx, .. } => {
                let done = match ctx {
                    Some(c) => self.ctx_done(self.ctx_of(self.eval(t, c)?)?),
                    None => false,
                };
                let alts: &[u16] = if done {
                    &[1]
                } else if self.config.scenario == Scenario::Error {
                    &[0, 1]
                } else {
                    &[0]
                };
                Plan::any(alts.iter().map(|&a| Move::Alt(a)).collect())
            }
            Instr::Choose { targets } => Plan::any((0..targets.len() as u16).map(Move::Alt).collect()),
            Instr::Sleep => Plan::Ready { moves: vec![Move::Plain], time: true },
            Instr::Spawn { group: Some(g), .. } => match &self.heap[self.eval(t, g)?.obj()? as usize] {
                Object::Group { running, limit, .. } if limit.is_some_and(|l| *running >= l) => Plan::Blocked,
                Object::Group { .. } => Plan::one(Move::Plain),
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            Instr::OnceEnter { once, .. } => match &self.heap[self.eval(t, once)?.obj()? as usize] {
                Object::Once(OnceState::Running) => Plan::Blocked,
                Object::Once(_) => Plan::one(Move::Plain),
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            Instr::Op { op, target, .. } => self.plan_op(t, *op, target)?,
            _ => Plan::one(Move::Plain),
        };
        Ok(plan)
    }
}
