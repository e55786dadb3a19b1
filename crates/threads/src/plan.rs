//! What a task can do next at once: the ways its current instruction can be
//! taken without waiting for time, or that it cannot move, or that it
//! panics; and whether it is *urgent* (it holds time back).

use crate::objects::{CaseIx, Object, OnceState, Waiter};
use crate::value::{Value, NIL_DEREFERENCE};
use crate::world::{Phase, World};
use crate::Instance;
use leash_ir::{Expr, Instr, Op};
use std::sync::Arc;

/// The alternative of a map loop's step that ends the loop.
pub(crate) const MAP_END: u16 = u16::MAX;

/// One way to take a task's current instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Move {
    /// The instruction's one effect.
    Plain,
    /// A free alternative: a work outcome (0 ok, 1 err) or a `choose` branch.
    Alt(u16),
    /// A select case, or a plain `send`/`recv` ([`crate::objects::PLAIN`]),
    /// with the parked task it completes, if any.
    Case {
        /// The case.
        case: CaseIx,
        /// The parked partner, first in line on the channel.
        partner: Option<Waiter>,
    },
    /// The `default` of a select.
    Default,
    /// Nothing is ready: park in the wait queues of the operation.
    Park,
}

/// What a task can do next without time passing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing now: it is blocked, parked, or waits for time to pass.
    Blocked,
    /// Any of these moves, a free choice among them.
    Ready(Vec<Move>),
    /// Taking the instruction panics with this message.
    Panic(String),
}

impl Plan {
    /// The plan of a set of moves: blocked when there are none.
    pub(crate) fn any(moves: Vec<Move>) -> Plan {
        if moves.is_empty() {
            Plan::Blocked
        } else {
            Plan::Ready(moves)
        }
    }

    /// Whether the task can take a step (or panic) now.
    pub(crate) fn moves(&self) -> bool {
        !matches!(self, Plan::Blocked)
    }
}

impl World {
    /// What task `t` can do next at its current instruction, without time passing.
    pub(crate) fn plan(&self, t: Instance) -> Plan {
        self.try_plan(t).unwrap_or_else(Plan::Panic)
    }

    /// Whether task `t` is at a `cancel` or an `err()` of a context whose
    /// cancellation is walking down to its children, at a `g.wait()` of a
    /// group whose context's is, or at a `g.go` that needs a place of such
    /// a group with a limit, or making a child of one: Go's `cancel` and
    /// `Err` take the context's lock, which the walk holds, errgroup's Wait
    /// cancels, a failing member cancels before it frees its place, and a
    /// child is made done (see `leash_ir::derives_from`).
    fn waits_for_a_walk(&self, t: Instance, instr: &Instr) -> Result<bool, String> {
        if !self.heap.iter().any(|o| matches!(o, Object::Ctx(c) if c.walking)) {
            return Ok(false);
        }
        let walking = |e: &Expr| -> Result<bool, String> {
            Ok(match self.eval(t, e)? {
                Value::Obj(o) => self.ctx_walking(o),
                _ => false,
            })
        };
        if let Some(parent) = leash_ir::derives_from(instr) {
            return walking(parent);
        }
        match instr {
            Instr::Op { op: Op::Cancel, target, .. } => walking(target),
            Instr::Op { op: Op::GroupWait, target, .. } => Ok(match self.eval(t, target)? {
                Value::Obj(g) => {
                    matches!(&self.heap[g as usize], Object::Group { ctx, .. } if self.ctx_walking(*ctx))
                }
                _ => false,
            }),
            // A failing member's errgroup `done` frees its place only once
            // its cancel has walked down: a `g.go` it let in, or one that
            // needs its place, waits for the walk.
            Instr::Spawn { group: Some(g), .. } => {
                let group = self.eval(t, g)?.obj()?;
                Ok(match &self.heap[group as usize] {
                    Object::Group { ctx, running, limit: Some(l), .. } if self.ctx_walking(*ctx) => {
                        self.task(t).phase == Phase::Admitted || running + self.admitted(group) + 1 >= *l
                    }
                    _ => false,
                })
            }
            _ => leash_ir::err_reads(instr).iter().try_fold(false, |any, e| Ok(any || walking(e)?)),
        }
    }

    fn try_plan(&self, t: Instance) -> Result<Plan, String> {
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(t);
        let instr = &program.func(f).code[pc as usize];
        if self.waits_for_a_walk(t, instr)? {
            return Ok(Plan::Blocked);
        }
        let plan = match instr {
            Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. } => self.plan_chan(t, instr)?,
            Instr::Join { task } => match self.eval(t, task)? {
                // Joined once its function returned (docs/semantics.md).
                Value::Task(i) if self.task(i).exited || self.task(i).phase == Phase::Exiting => {
                    Plan::Ready(vec![Move::Plain])
                }
                Value::Task(_) => Plan::Blocked,
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            // Work ends when time passes (see `time.rs`), at once with `err`
            // when its context is done.
            Instr::Work { ctx: Some(c), .. } if self.ctx_done(self.ctx_of(self.eval(t, c)?)?) => {
                Plan::Ready(vec![Move::Alt(1)])
            }
            Instr::Work { .. } | Instr::Sleep => Plan::Blocked,
            Instr::Choose { targets } => Plan::any((0..targets.len() as u16).map(Move::Alt).collect()),
            Instr::MapNext { iter, map, .. } => Plan::any(self.map_next(t, iter, map)?),
            // A `g.go` that finds its group at its limit joins the group's
            // line; a member's exit admits the first in line (`lines.rs`).
            Instr::Spawn { group: Some(g), .. } => {
                let group = self.eval(t, g)?.obj()?;
                let admitted = self.admitted(group);
                match &self.heap[group as usize] {
                    Object::Group { running, limit, .. }
                        if self.task(t).phase != Phase::Admitted
                            && limit.is_some_and(|l| *running + admitted >= l) =>
                    {
                        match self.task(t).line {
                            0 => Plan::Ready(vec![Move::Park]),
                            _ => Plan::Blocked,
                        }
                    }
                    Object::Group { .. } => Plan::Ready(vec![Move::Plain]),
                    _ => return Err(NIL_DEREFERENCE.to_string()),
                }
            }
            Instr::OnceEnter { once, .. } => match &self.heap[self.eval(t, once)?.obj()? as usize] {
                Object::Once(OnceState::Running) => Plan::Blocked,
                Object::Once(_) => Plan::Ready(vec![Move::Plain]),
                _ => return Err(NIL_DEREFERENCE.to_string()),
            },
            Instr::Op { op, target, .. } => self.plan_op(t, *op, target)?,
            _ => Plan::Ready(vec![Move::Plain]),
        };
        Ok(plan)
    }

    /// The ways a map loop may go on, as Go's `range` allows: any entry of
    /// the map it has not produced yet, by its position; and the end
    /// ([`MAP_END`]) once every entry the map had at the start and still has
    /// was produced.
    fn map_next(
        &self,
        t: Instance,
        iter: &leash_ir::Expr,
        map: &leash_ir::Expr,
    ) -> Result<Vec<Move>, String> {
        let entries = self.map_entries(self.eval(t, map)?)?;
        let marks = self.map_entries(self.eval(t, iter)?)?;
        let produced =
            |k: Value| crate::eval::entry(marks, k).is_some_and(|j| marks[j + 1] == Value::Bool(true));
        let mut moves: Vec<Move> = (0..entries.len() / 2)
            .filter(|&i| !produced(entries[2 * i]))
            .map(|i| Move::Alt(i as u16))
            .collect();
        let owed = (0..marks.len())
            .step_by(2)
            .any(|j| marks[j + 1] == Value::Bool(false) && crate::eval::entry(entries, marks[j]).is_some());
        if !owed {
            moves.push(Move::Alt(MAP_END));
        }
        Ok(moves)
    }

    /// Whether task `t`, whose plan is `plan`, is *polling*: it is at a
    /// `yield` (Go's `runtime.Gosched`, behind the timers that are due), or
    /// it went round a loop that polls and is back at a `select` whose only
    /// move is `default`. Go's clock runs while a loop spins, so a polling
    /// task does not hold time back.
    pub(crate) fn polls(&self, t: Instance, plan: &Plan) -> bool {
        let (f, pc) = self.at(t);
        match &self.program.func(f).code[pc as usize] {
            Instr::Yield => true,
            Instr::Select { default: Some(_), .. } => {
                self.task(t).spin != 0 && matches!(plan, Plan::Ready(m) if m == &[Move::Default])
            }
            _ => false,
        }
    }

    /// Whether task `t`, whose plan is `plan`, holds time back: it can take
    /// a step (or panic) at once and is not polling.
    pub(crate) fn urgent(&self, t: Instance, plan: &Plan) -> bool {
        plan.moves() && !self.polls(t, plan)
    }
}
