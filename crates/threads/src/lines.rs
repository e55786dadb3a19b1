//! Lines of tasks waiting for a lock or for a place in an error group, as
//! in the reference semantics (its `line_of`): Go serves them first come,
//! first served (a mutex's semaphore queue, errgroup's semaphore channel).
//! A task that finds a mutex (or an rwmutex's writers' mutex) held joins its
//! line in a step of its own; once it is free, the first in line may take
//! it, and so may a task arriving while it is free. A `g.go` that finds its
//! group at its limit joins the group's line, and a member's exit hands its
//! place to the first in line.

use crate::objects::Object;
use crate::plan::{Move, Plan};
use crate::value::{ObjId, Value};
use crate::world::{Phase, World};
use crate::Instance;
use leash_ir::{Instr, Op};
use std::sync::Arc;

impl World {
    /// The object whose line task `t` stands in, if any.
    pub(crate) fn line_of(&self, t: Instance) -> Option<ObjId> {
        let task = self.task(t);
        if task.line == 0 || task.exited {
            return None;
        }
        let program = Arc::clone(&self.program);
        let (f, pc) = self.at(t);
        let id = |e| match self.eval(t, e) {
            Ok(Value::Obj(o)) => Some(o),
            _ => None,
        };
        match &program.func(f).code[pc as usize] {
            Instr::Op { op: Op::Lock | Op::WLock, target, .. } => id(target),
            Instr::Op { op: Op::CondWait, target, .. } => match self.heap[id(target)? as usize] {
                Object::Cond { mutex, .. } => Some(mutex),
                _ => None,
            },
            Instr::Spawn { group: Some(g), .. } => id(g),
            _ => None,
        }
    }

    /// The plan of task `t` at a lock that is `held` or not: a task in no
    /// line takes it, or joins its line if it is held; one in line takes it
    /// once it is free and the task is first.
    pub(crate) fn plan_lock(&self, t: Instance, held: bool) -> Plan {
        match self.task(t).line {
            0 => Plan::Ready(vec![if held { Move::Park } else { Move::Plain }]),
            _ if !held && self.line_of(t).is_some_and(|o| self.first_of(o) == Some(t)) => {
                Plan::Ready(vec![Move::Plain])
            }
            _ => Plan::Blocked,
        }
    }

    /// The first task in the line of `o`.
    fn first_of(&self, o: ObjId) -> Option<Instance> {
        self.live().filter(|&u| self.line_of(u) == Some(o)).min_by_key(|&u| self.task(u).line)
    }

    /// Task `t` joins the line of the lock or group its instruction names.
    pub(crate) fn join_line(&mut self, t: Instance) {
        self.tickets += 1;
        let ticket = self.tickets;
        let task = self.task_mut(t);
        task.line = ticket;
        task.spin = 0;
    }

    /// A member of group `g` exited: its place goes to the first `g.go` in
    /// the group's line (errgroup's semaphore channel hands the token over;
    /// its WaitGroup counts the task only once that `g.go` runs on).
    pub(crate) fn admit(&mut self, g: ObjId) {
        let Some(t) = self.first_of(g) else { return };
        let task = self.task_mut(t);
        task.line = 0;
        task.phase = Phase::Admitted;
    }

    /// How many `g.go` on group `g` were admitted and have not started their task.
    pub(crate) fn admitted(&self, g: ObjId) -> i16 {
        let program = Arc::clone(&self.program);
        self.live()
            .filter(|&u| self.task(u).phase == Phase::Admitted)
            .filter(|&u| {
                let (f, pc) = self.at(u);
                matches!(&program.func(f).code[pc as usize], Instr::Spawn { group: Some(h), .. }
                    if self.eval(u, h).ok() == Some(Value::Obj(g)))
            })
            .count() as i16
    }
}
