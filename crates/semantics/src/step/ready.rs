//! Which steps a task can take: instant ones (see `chan` for channel
//! operations), and those that wait for time to pass (work ending, `sleep`,
//! `after`).

use super::chan::{arrive_moves, committable, step_case};
use super::exec::{EXITING, WOKEN};
use super::Transition;
use crate::eval::eval;
use crate::state::{Frame, Object, State, Value};
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

pub(super) fn chan_of(s: &State, slot: usize, e: &Expr) -> Operand {
    eval(s, slot, e).map_or(Operand::Bad, |v| classify(s, v))
}

pub(super) fn top(s: &State, slot: usize) -> &Frame {
    s.tasks[slot].frames.last().expect("live tasks have a frame")
}

pub(super) fn instr_of<'p>(p: &'p Program, s: &State, slot: usize) -> &'p Instr {
    let f = top(s, slot);
    &p.func(f.func).code[f.pc as usize]
}

/// The tasks parked in `c.wait()` on the cond at `cond`, first in line first.
pub(crate) fn cond_waiters(p: &Program, s: &State, cond: u16) -> Vec<usize> {
    let mut out = waiting_in(p, s, Op::CondWait, cond);
    out.sort_by_key(|&slot| s.tasks[slot].wait);
    out
}

/// The tasks waiting inside `op` (in its phase 1) on the object at `o`, by
/// slot: parked in `wg.wait()` on a wait group, blocked in `rw.rlock()` on
/// an rwmutex (counted among its readers once a writer unlocks it), parked
/// in `c.wait()` on a cond.
pub(super) fn waiting_in(p: &Program, s: &State, op: Op, o: u16) -> Vec<usize> {
    (0..s.tasks.len())
        .filter(|&slot| {
            s.tasks[slot].phase == 1
                && matches!(instr_of(p, s, slot), Instr::Op { op: x, target, .. }
                    if *x == op && eval(s, slot, target) == Ok(Value::Obj(o)))
        })
        .collect()
}

/// The object whose line task `slot` stands in: it parked at a `lock()` (or
/// a `c.wait()` taking its mutex back) on a mutex, at an `rw.lock()` on an
/// rwmutex (its writers' mutex), or at a `g.go` on a group at its limit.
/// Go serves such waiters first come, first served: a mutex's semaphore
/// queue, errgroup's semaphore channel.
pub(crate) fn line_of(p: &Program, s: &State, slot: usize) -> Option<u16> {
    let task = &s.tasks[slot];
    if task.wait == 0 {
        return None;
    }
    let id = |e: &Expr| match eval(s, slot, e) {
        Ok(Value::Obj(o)) => Some(o),
        _ => None,
    };
    match instr_of(p, s, slot) {
        Instr::Op { op: Op::Lock | Op::WLock, target, .. } => id(target),
        Instr::Op { op: Op::CondWait, target, .. } if task.phase == 2 => {
            match s.heap.get(id(target)? as usize) {
                Some(Object::Cond { mutex }) => Some(*mutex),
                _ => None,
            }
        }
        Instr::Spawn { group: Some(g), .. } => id(g),
        _ => None,
    }
}

/// Whether task `slot`, in the line of the object at `o`, is first in it.
fn first_in_line(p: &Program, s: &State, slot: usize, o: u16) -> bool {
    let mine = s.tasks[slot].wait;
    !(0..s.tasks.len())
        .any(|t| t != slot && s.tasks[t].wait != 0 && s.tasks[t].wait < mine && line_of(p, s, t) == Some(o))
}

/// How many `g.go` of the group that task `slot`'s expression `g` names were
/// admitted from its line and have not started their task yet: errgroup's
/// semaphore holds their tokens, its WaitGroup does not count them.
fn admitted(p: &Program, s: &State, slot: usize, g: &Expr) -> u8 {
    let group = eval(s, slot, g);
    (0..s.tasks.len())
        .filter(|&t| {
            s.tasks[t].phase == 2
                && matches!(instr_of(p, s, t), Instr::Spawn { group: Some(h), .. } if eval(s, t, h) == group)
        })
        .count() as u8
}

fn obj<'s>(s: &'s State, slot: usize, e: &Expr) -> Option<&'s Object> {
    match eval(s, slot, e) {
        Ok(Value::Obj(o)) => s.heap.get(o as usize),
        _ => None,
    }
}

/// Whether the context `ctx` names (if any) is done.
fn ctx_done(s: &State, slot: usize, ctx: &Option<Expr>) -> bool {
    ctx.as_ref().is_some_and(|c| matches!(eval(s, slot, c), Ok(Value::Obj(o)) if s.ctx_done(o)))
}

/// The instant steps of task `slot`.
pub(super) fn task_moves(p: &Program, s: &State, slot: usize, walking: bool, out: &mut Vec<Transition>) {
    let base = Transition::task(slot);
    let task = &s.tasks[slot];
    if walking && waits_for_a_walk(p, s, slot) {
        return;
    }
    match instr_of(p, s, slot) {
        instr @ (Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. }) if task.phase == WOKEN => {
            out.extend(
                committable(s, slot, instr)
                    .into_iter()
                    .map(|case| Transition { case: step_case(case), ..base }),
            );
        }
        Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. } => {
            if task.wait == 0 {
                arrive_moves(p, s, slot, out);
            }
        }
        // A task is joined once its function has returned: an error group's
        // member still to take its exit step (which fails the group and
        // cancels its context) is joined already, as Go's errgroup runs
        // the member's function to its end before it cancels.
        Instr::Join { task: t } => match eval(s, slot, t) {
            Ok(Value::Task(x)) if s.tasks.get(x as usize).is_none_or(|t| t.phase != EXITING) => {}
            _ => out.push(base),
        },
        // A `g.go` that finds the group at its limit parks in its line; the
        // exit of a member admits the first in line (phase 2), whose place
        // counts against the limit from then on.
        Instr::Spawn { group: Some(g), .. } => match obj(s, slot, g) {
            Some(Object::Group { active, limit, .. })
                if *limit > 0 && task.phase != 2 && active + admitted(p, s, slot, g) >= *limit =>
            {
                if task.wait == 0 {
                    out.push(Transition { case: Transition::PARK, ..base });
                }
            }
            _ => out.push(base),
        },
        Instr::Work { ctx, .. } => {
            // Work on a nil context panics at once (Go's `ctx.Done()` on
            // nil); on a done one it ends at once with `err`; other work
            // takes time.
            if ctx.as_ref().is_some_and(|c| matches!(eval(s, slot, c), Ok(Value::Nil))) {
                out.push(base);
            } else if ctx_done(s, slot, ctx) {
                out.push(Transition { alt: 1, ..base });
            }
        }
        Instr::Choose { targets } => {
            for alt in 0..targets.len() {
                out.push(Transition { alt: alt as u16, ..base });
            }
        }
        Instr::MapNext { iter, map, .. } => match map_next(s, slot, iter, map) {
            Some(alts) => out.extend(alts.into_iter().map(|alt| Transition { alt, ..base })),
            // A bad operand: the step reports it.
            None => out.push(base),
        },
        Instr::Sleep => {}
        Instr::OnceEnter { once, .. } => {
            if !matches!(obj(s, slot, once), Some(Object::Once { state: 1 })) {
                out.push(base);
            }
        }
        Instr::Op { op, target, .. } => {
            // A lock taken by a task arriving while it is free, or by the
            // first in its line; one arriving while it is held parks in it.
            let lock = |held: bool, out: &mut Vec<Transition>| match task.wait {
                0 => out.push(Transition { case: if held { Transition::PARK } else { 0 }, ..base }),
                _ if !held && line_of(p, s, slot).is_some_and(|o| first_in_line(p, s, slot, o)) => {
                    out.push(base)
                }
                _ => {}
            };
            let ready = match (op, obj(s, slot, target)) {
                (Op::Lock, Some(Object::Mutex { locked })) => return lock(*locked, out),
                (Op::WLock, Some(Object::RwMutex(rw))) if task.phase == 0 => return lock(rw.writer, out),
                (Op::CondWait, Some(Object::Cond { mutex })) if task.phase == 2 => {
                    if let Some(Object::Mutex { locked }) = s.heap.get(*mutex as usize) {
                        return lock(*locked, out);
                    }
                    // `cond(rw.rlocker())`: the read lock back is Go's RLock,
                    // a step that counts the reader whatever holds the lock.
                    true
                }
                // Counted behind a writer: a permit lets it in.
                (Op::CondWait, Some(Object::Cond { mutex })) if task.phase == 3 => {
                    matches!(s.heap.get(*mutex as usize), Some(Object::RwMutex(rw)) if rw.permit(false))
                }
                (Op::RLock, Some(Object::RwMutex(rw))) => task.phase != 1 || rw.permit(false),
                (Op::WLock, Some(Object::RwMutex(rw))) => rw.permit(true),
                (Op::WgWait, Some(Object::WaitGroup { .. })) => task.phase != 1,
                (Op::GroupWait, Some(Object::Group { .. })) => task.phase != 1,
                (Op::CondWait, Some(Object::Cond { .. })) => task.phase == 0,
                _ => true,
            };
            if ready {
                out.push(base);
            }
        }
        _ => out.push(base),
    }
}

/// Whether task `slot` is at a `cancel` or an `err()` of a context whose
/// cancellation is walking down to its children, at a `g.wait()` of a
/// group whose context's is, or at a `g.go` that needs a place of such a
/// group with a limit, or making a child of one: Go's `cancel` and `Err`
/// take the context's lock, which the walk holds, errgroup's Wait cancels,
/// a failing member cancels before it frees its place, and a child is made
/// done (see `leash_ir::derives_from`). Asked only in a state where a
/// cancellation walks.
fn waits_for_a_walk(p: &Program, s: &State, slot: usize) -> bool {
    let walking = |e: &Expr| matches!(eval(s, slot, e), Ok(Value::Obj(c)) if s.ctx_walking(c));
    let instr = instr_of(p, s, slot);
    if let Some(parent) = leash_ir::derives_from(instr) {
        return walking(parent);
    }
    match instr {
        Instr::Op { op: Op::Cancel, target, .. } => walking(target),
        Instr::Op { op: Op::GroupWait, target, .. } => {
            matches!(obj(s, slot, target), Some(Object::Group { ctx, .. }) if s.ctx_walking(*ctx))
        }
        // A failing member's errgroup `done` frees its place only once its
        // cancel has walked down: a `g.go` it let in, or one that needs its
        // place, waits for the walk.
        Instr::Spawn { group: Some(g), .. } => match obj(s, slot, g) {
            Some(Object::Group { ctx, active, limit, .. }) if *limit > 0 && s.ctx_walking(*ctx) => {
                s.tasks[slot].phase == 2
                    || u16::from(*active) + u16::from(admitted(p, s, slot, g)) + 1 >= u16::from(*limit)
            }
            _ => false,
        },
        instr => leash_ir::err_reads(instr).iter().any(walking),
    }
}

/// The steps of task `slot` that wait for time to pass: the end of its
/// `work` (`ok`, or `err` in the error scenario), of its `sleep`, or an
/// `after` case of the select it waits in. Only asked of a task with no
/// instant step.
pub(super) fn timed_moves(
    p: &Program,
    s: &State,
    slot: usize,
    scenario: Scenario,
    out: &mut Vec<Transition>,
) {
    let base = Transition { time: true, ..Transition::task(slot) };
    match instr_of(p, s, slot) {
        Instr::Work { .. } => {
            out.push(base);
            if scenario == Scenario::Error {
                out.push(Transition { alt: 1, ..base });
            }
        }
        Instr::Sleep => out.push(base),
        Instr::Select { cases, default: None } => {
            for (i, case) in cases.iter().enumerate() {
                if matches!(case.kind, CaseKind::After) {
                    out.push(Transition { case: i as u16, ..base });
                }
            }
        }
        _ => {}
    }
}

/// The ways a map loop may go on, as Go's `range` allows: any entry of the
/// map it has not produced yet (one the map had at the start, or one added
/// since), by its position; and the end ([`Transition::MAP_END`]) once every
/// entry the map had at the start and still has was produced.
fn map_next(s: &State, slot: usize, iter: &Expr, map: &Expr) -> Option<Vec<u16>> {
    let entries = crate::eval::map_entries(s, eval(s, slot, map).ok()?).ok()?;
    let marks = crate::eval::map_entries(s, eval(s, slot, iter).ok()?).ok()?;
    let produced = |k: Value| crate::eval::entry(marks, k).is_some_and(|j| marks[j + 1] == Value::Bool(true));
    let mut alts: Vec<u16> =
        (0..entries.len() / 2).filter(|&i| !produced(entries[2 * i])).map(|i| i as u16).collect();
    let owed = (0..marks.len())
        .step_by(2)
        .any(|j| marks[j + 1] == Value::Bool(false) && crate::eval::entry(entries, marks[j]).is_some());
    if !owed {
        alts.push(Transition::MAP_END);
    }
    Some(alts)
}
