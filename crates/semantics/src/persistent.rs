//! Partial-order reduction: persistent sets of transitions.
//!
//! In a state, a set of tasks is *closed* when nothing that the other tasks
//! (or the environment) can do before one of the set moves touches anything
//! that the set's current instructions touch, or could make those
//! instructions ready. The enabled transitions of a closed set are then
//! persistent (Godefroid's stubborn sets for process systems): every run from
//! the state is, up to swapping independent neighbouring steps, a run that
//! takes one of them first. Searching only those keeps every dead state, and
//! keeps an infinite run wherever there is one.
//!
//! What may be touched is read off the state, over *resources*: each heap
//! object, a context's ownership (cancel called, holder) apart from its
//! done-ness, and each task's liveness. A task in the set contributes what
//! its current instruction names (operands, places, the cells and arrays read
//! through, every ancestor of a context it reads) and, when the step may end
//! the task, what its exit touches (group, contexts it holds, its children).
//! A task outside contributes everything it could ever name: the closure of
//! its locals, the model-level variables, its group, the contexts it holds.
//! Contexts are read by many and written by few, so they are written only by
//! tasks whose code can cancel (only the contexts they name), by group
//! members (failing cancels the group's context), by tasks that wait on a
//! group (`g.wait()` cancels its context once the group is done) and by the
//! environment (the signal, deadlines, a cancellation walking down).
//!
//! Two spawns do not commute: the order of new tasks is part of the state
//! (the *census*, a resource every spawn writes). A spawn and an exit do: the
//! new task comes last and the exited one's slot is removed, in either order.
//! States where time may pass are never reduced: whether it may is decided
//! by every task's step. A program that can `exit` is not reduced at all:
//! ending every task depends on every step.

use crate::state::{CtxKind, Object, State, Value};
use crate::step::{Actor, Transition};
use crate::Scenario;
use fixedbitset::FixedBitSet;
use leash_ir::{Callee, CaseKind, Ctor, Expr, Instr, Op, Place, Program};

/// What partial-order reduction knows of a program before any state: which
/// functions can cancel a context or spawn (themselves or through what they
/// call and spawn), and after which instructions a step may end its task.
#[derive(Clone, Debug)]
pub struct Persistent {
    may_cancel: Vec<bool>,
    may_wait_group: Vec<bool>,
    may_spawn: Vec<bool>,
    may_exit: Vec<Vec<bool>>,
    may_work: Vec<Vec<bool>>,
    ends_program: bool,
}

impl Persistent {
    /// Analyses `p`.
    pub fn new(p: &Program) -> Persistent {
        let callees: Vec<Vec<usize>> = p.funcs.iter().map(|f| callees(p, &f.code)).collect();
        let direct = |test: &dyn Fn(&Instr) -> bool| -> Vec<bool> {
            p.funcs.iter().map(|f| f.code.iter().any(test)).collect()
        };
        let may_cancel = transitive(direct(&|i| matches!(i, Instr::Op { op: Op::Cancel, .. })), &callees);
        let may_wait_group =
            transitive(direct(&|i| matches!(i, Instr::Op { op: Op::GroupWait, .. })), &callees);
        let may_spawn = transitive(direct(&|i| matches!(i, Instr::Spawn { .. })), &callees);
        let ends = |i: &Instr| matches!(i, Instr::Return { .. } | Instr::EndDefer | Instr::Call { .. });
        let works = |i: &Instr| ends(i) || matches!(i, Instr::Work { ctx: None, .. });
        let after = |hit: &dyn Fn(&Instr) -> bool| -> Vec<Vec<bool>> {
            p.funcs
                .iter()
                .map(|f| (0..f.code.len()).map(|pc| silently_reaches(f, pc, hit)).collect())
                .collect()
        };
        let ends_program = p.funcs.iter().any(|f| f.code.iter().any(|i| matches!(i, Instr::Exit)));
        Persistent {
            may_cancel,
            may_wait_group,
            may_spawn,
            may_exit: after(&ends),
            may_work: after(&works),
            ends_program,
        }
    }

    /// The indices into `ts` (every transition enabled in `s`, as
    /// [`crate::enabled`] lists them) of a persistent subset, or `None` when
    /// the only one found is all of them.
    pub fn ample(&self, p: &Program, s: &State, scenario: Scenario, ts: &[Transition]) -> Option<Vec<usize>> {
        // A short timer or ticker may fire between any two steps: nothing
        // the tasks do is closed against it (not analysed yet).
        if self.ends_program || ts.iter().any(|t| t.time) || (p.short_timers && has_short(s)) {
            return None;
        }
        // A polling task lets time pass as soon as the others stop being
        // urgent, without a step of its own: no set is closed against that.
        let polling = (0..s.tasks.len()).any(|slot| {
            let mine: Vec<Transition> =
                ts.iter().filter(|t| t.actor == Actor::Task(slot as u16)).copied().collect();
            !mine.is_empty() && crate::step::polls(p, s, slot, &mine)
        });
        if polling {
            return None;
        }
        let n = s.tasks.len();
        let env = n;
        let actor = |t: &Transition| match t.actor {
            Actor::Task(slot) => slot as usize,
            Actor::Signal | Actor::Deadline(_) | Actor::Fire(_) | Actor::Walk(_) => env,
        };
        let mut moves = vec![0usize; n + 1];
        for t in ts {
            moves[actor(t)] += 1;
        }
        if moves.iter().filter(|&&m| m > 0).count() < 2 {
            return None;
        }
        let space = Space { heap: s.heap.len(), tasks: n };
        let env_writes = environment(s, &space, scenario);
        let touch: Vec<Footprint> = (0..n).map(|slot| self.footprint(p, s, &space, slot)).collect();
        let reach: Vec<Footprint> = (0..n).map(|slot| self.reach(p, s, &space, slot)).collect();
        // Who must come along with whom: `x` in the set drags `y` in when
        // what `x`'s step touches meets what `y` may ever do. A rendezvous
        // partner is always dragged in: it names the channel too.
        let drags = |x: usize, y: usize| match (x == env, y == env) {
            (false, false) => touch[x].conflicts(&reach[y]),
            (false, true) => !touch[x].all().is_disjoint(&env_writes),
            (true, false) => !env_writes.is_disjoint(&reach[y].reads),
            (true, true) => false,
        };
        // Time passes once no task is urgent, so a member that waits on time
        // (a task in `work`, `sleep` or a select with `after`, or the
        // environment with timers, tickers, deadlines or a timed signal to
        // fire) depends on every urgent task's step: the last one to stop
        // being urgent enables its timed steps.
        let on_time: Vec<bool> = (0..n)
            .map(|slot| moves[slot] == 0 && waits_on_time(p, s, slot))
            .chain([timed_env(s, scenario)])
            .collect();
        // A cancellation walking down to the children holds time back too.
        let walking = s.heap.iter().any(|o| matches!(o, Object::Ctx { walking: true, .. }));
        let edges: Vec<Vec<usize>> = (0..=n)
            .map(|x| {
                (0..=n)
                    .filter(|&y| {
                        y != x && (drags(x, y) || (on_time[x] && (y < n || walking) && moves[y] > 0))
                    })
                    .collect()
            })
            .collect();
        let closure = |seed: usize| -> FixedBitSet {
            let mut members = FixedBitSet::with_capacity(n + 1);
            let mut queue = vec![seed];
            members.insert(seed);
            while let Some(x) = queue.pop() {
                for &y in &edges[x] {
                    if !members.put(y) {
                        queue.push(y);
                    }
                }
            }
            members
        };
        let mut best: Option<(usize, FixedBitSet)> = None;
        for seed in (0..=n).filter(|&x| moves[x] > 0) {
            if best.as_ref().is_some_and(|(size, _)| *size <= moves[seed]) {
                continue;
            }
            let members = closure(seed);
            let size = members.ones().map(|x| moves[x]).sum::<usize>();
            if best.as_ref().is_none_or(|(b, _)| size < *b) {
                best = Some((size, members));
            }
        }
        let (size, members) = best?;
        (size < ts.len()).then(|| (0..ts.len()).filter(|&k| members.contains(actor(&ts[k]))).collect())
    }

    /// What task `slot`'s next step may touch.
    fn footprint(&self, p: &Program, s: &State, space: &Space, slot: usize) -> Footprint {
        let task = &s.tasks[slot];
        let frame = task.frames.last().expect("live tasks have a frame");
        let instr = &p.func(frame.func).code[frame.pc as usize];
        let mut scan = Scan::new(s, space, &frame.locals);
        scan.instr(instr);
        scan.cancels(instr, slot);
        // A task that reaches `work` without a context reads its scope
        // (work-after-cancel), and a channel step may run a parked partner
        // on to its own `work`.
        if self.may_work[frame.func as usize][frame.pc as usize] {
            scope_contexts(p, s, slot).for_each(|c| scan.ctx_chain(c));
        }
        if matches!(instr, Instr::Send { .. } | Instr::Recv { .. } | Instr::Select { .. }) {
            for other in (0..s.tasks.len()).filter(|&t| s.tasks[t].wait != 0) {
                scope_contexts(p, s, other).for_each(|c| scan.ctx_chain(c));
            }
        }
        let mut f = scan.f;
        if self.may_exit[frame.func as usize][frame.pc as usize] {
            f.writes.insert(space.task(slot));
            if let Some(g) = task.group {
                f.writes.insert(space.obj(g));
                if let Some(Object::Group { ctx, .. }) = s.heap.get(g as usize) {
                    f.writes.insert(space.obj(*ctx));
                }
            }
            for c in held_contexts(s, slot) {
                f.writes.insert(space.owing(c));
            }
            owned(s, space, slot, &mut f);
        }
        f.closed()
    }

    /// Everything task `slot` could touch from now on, whatever it runs:
    /// `reads` what it may read or write, `writes` what it may write.
    fn reach(&self, p: &Program, s: &State, space: &Space, slot: usize) -> Footprint {
        let task = &s.tasks[slot];
        let funcs = || task.frames.iter().map(|f| f.func as usize);
        let cancels = funcs().any(|f| self.may_cancel[f]);
        let waits_groups = funcs().any(|f| self.may_wait_group[f]);
        let spawns = funcs().any(|f| self.may_spawn[f]);
        let mut f = Footprint::new(space);
        let mut stack: Vec<u16> = (0..p.globals.len() as u16).collect();
        // The contexts reached only as an ancestor or through a done
        // channel: their done-ness is read, but the task cannot cancel them
        // (it cancels only a context it names).
        let mut chains: Vec<u16> = Vec::new();
        let on_value = |v: Value, stack: &mut Vec<u16>, chains: &mut Vec<u16>, f: &mut Footprint| match v {
            Value::Obj(o) | Value::Ref(o) => stack.push(o),
            Value::Done(o) => chains.push(o),
            Value::Task(t) => {
                f.reads.insert(space.task(t as usize));
            }
            _ => {}
        };
        // Its locals, results and the operands its deferred calls captured
        // (`defer cancel(c)` keeps `c` there once the local is dead).
        for &v in task.values() {
            on_value(v, &mut stack, &mut chains, &mut f);
        }
        stack.extend(task.group);
        let mut seen = FixedBitSet::with_capacity(space.heap);
        while let Some(o) = stack.pop() {
            let Some(object) = s.heap.get(o as usize) else { continue };
            if seen.put(o as usize) {
                continue;
            }
            f.reads.insert(space.obj(o));
            f.reads.insert(space.owing(o));
            match object {
                Object::Ctx { parent, .. } => {
                    if cancels {
                        f.writes.insert(space.obj(o));
                        f.writes.insert(space.owing(o));
                    }
                    chains.extend(*parent);
                }
                // The group's context is named through it (`g.ctx`); a
                // failing member, and `g.wait()` once the group is done,
                // cancel it too.
                Object::Group { ctx, .. } => {
                    f.writes.insert(space.obj(o));
                    if spawns || waits_groups || task.group == Some(o) {
                        f.writes.insert(space.obj(*ctx));
                    }
                    stack.push(*ctx);
                }
                Object::Cond { mutex } => {
                    f.writes.insert(space.obj(o));
                    stack.push(*mutex);
                }
                Object::Cell { value, .. } => {
                    f.writes.insert(space.obj(o));
                    on_value(*value, &mut stack, &mut chains, &mut f);
                }
                Object::Array(xs) | Object::Chan { buf: xs, .. } => {
                    f.writes.insert(space.obj(o));
                    xs.iter().for_each(|&v| on_value(v, &mut stack, &mut chains, &mut f));
                }
                _ => {
                    f.writes.insert(space.obj(o));
                }
            }
        }
        let mut chained = FixedBitSet::with_capacity(space.heap);
        for c in chains {
            // Up to the first context already read: its ancestors are too.
            for a in s.ctx_lineage(c).take_while(|&a| !chained.put(a as usize)) {
                f.reads.insert(space.obj(a));
            }
        }
        for c in held_contexts(s, slot) {
            f.reads.insert(space.owing(c));
            f.writes.insert(space.owing(c));
        }
        f.reads.insert(space.task(slot));
        f.writes.insert(space.task(slot));
        if spawns {
            f.writes.insert(space.census());
        }
        owned(s, space, slot, &mut f);
        f.closed()
    }
}

/// The functions code can reach: static calls, spawns, and for a call
/// through a value, every function.
fn callees(p: &Program, code: &[Instr]) -> Vec<usize> {
    let mut out = Vec::new();
    for i in code {
        match i {
            Instr::Call { callee: Callee::Static(f), .. } | Instr::Spawn { func: f, .. } => {
                out.push(*f as usize)
            }
            Instr::Call { callee: Callee::Dynamic(_), .. } => out.extend(0..p.funcs.len()),
            _ => {}
        }
    }
    out
}

/// Spreads a property of functions to every function that reaches one with it.
fn transitive(mut has: Vec<bool>, callees: &[Vec<usize>]) -> Vec<bool> {
    loop {
        let mut changed = false;
        for f in 0..has.len() {
            if !has[f] && callees[f].iter().any(|&g| has[g]) {
                has[f] = true;
                changed = true;
            }
        }
        if !changed {
            return has;
        }
    }
}

/// Whether a step whose visible instruction is at `pc` may run, or bring
/// its task to, an instruction that `hit` picks: the instruction itself, or
/// one reached through silent code after it. To say whether a step may end
/// its task, `hit` picks returns, ends of deferred blocks and calls (whose
/// callee may return all the way).
fn silently_reaches(f: &leash_ir::Func, pc: usize, hit: &dyn Fn(&Instr) -> bool) -> bool {
    if hit(&f.code[pc]) {
        return true;
    }
    let mut seen = vec![false; f.code.len()];
    let mut stack = next_pcs(&f.code[pc], pc);
    while let Some(at) = stack.pop() {
        if at >= f.code.len() || seen[at] {
            continue;
        }
        seen[at] = true;
        if hit(&f.code[at]) {
            return true;
        }
        if f.silent[at] {
            stack.extend(next_pcs(&f.code[at], at));
        }
    }
    false
}

/// Whether task `slot` waits for time: in `work` or `sleep`, or in a select
/// with an `after` case.
fn waits_on_time(p: &Program, s: &State, slot: usize) -> bool {
    let f = s.tasks[slot].frames.last().expect("live tasks have a frame");
    match &p.func(f.func).code[f.pc as usize] {
        Instr::Work { .. } | Instr::Sleep => true,
        Instr::Select { cases, default: None } => cases.iter().any(|c| matches!(c.kind, CaseKind::After)),
        _ => false,
    }
}

/// Whether `s` holds a short timer or ticker.
fn has_short(s: &State) -> bool {
    s.heap.iter().any(|o| matches!(o, Object::Timer { short: true, .. } | Object::Ticker { short: true, .. }))
}

/// Whether the environment has something to do when time passes: a timer or
/// ticker to fire, a deadline, or (in completion) the signal.
fn timed_env(s: &State, scenario: Scenario) -> bool {
    s.heap.iter().any(|o| match o {
        Object::Timer { .. } | Object::Ticker { .. } | Object::Ctx { kind: CtxKind::Timeout, .. } => true,
        Object::Ctx { kind: CtxKind::Signal, .. } => scenario == Scenario::Completion && !s.signalled,
        _ => false,
    })
}

/// The contexts task `slot` was started with: parameters of its first
/// frame that hold one, and its error group's context.
fn scope_contexts<'s>(p: &Program, s: &'s State, slot: usize) -> impl Iterator<Item = u16> + 's {
    let task = &s.tasks[slot];
    let params = task
        .frames
        .first()
        .map_or(&[][..], |f| &f.locals[..(p.func(f.func).params as usize).min(f.locals.len())]);
    let group_ctx = task.group.and_then(|g| match s.heap.get(g as usize) {
        Some(Object::Group { ctx, .. }) => Some(*ctx),
        _ => None,
    });
    params
        .iter()
        .filter_map(move |v| match *v {
            Value::Obj(o) if matches!(s.heap.get(o as usize), Some(Object::Ctx { .. })) => Some(o),
            _ => None,
        })
        .chain(group_ctx)
}

/// Where control may go after the instruction at `pc`.
fn next_pcs(i: &Instr, pc: usize) -> Vec<usize> {
    match i {
        Instr::Jump { target } => vec![*target as usize],
        Instr::Branch { target, .. } | Instr::OnceEnter { skip: target, .. } => {
            vec![*target as usize, pc + 1]
        }
        Instr::Choose { targets } => targets.iter().map(|&t| t as usize).collect(),
        Instr::Select { cases, default } => {
            cases.iter().map(|c| c.target as usize).chain(default.map(|d| d as usize)).collect()
        }
        _ => vec![pc + 1],
    }
}

/// The cancellable contexts whose cancel task `slot` owes (checked when it exits).
fn held_contexts(s: &State, slot: usize) -> impl Iterator<Item = u16> + '_ {
    s.heap.iter().enumerate().filter_map(move |(i, o)| match o {
        Object::Ctx { kind: CtxKind::Cancel | CtxKind::Timeout, holder: Some(h), .. }
            if *h as usize == slot =>
        {
            Some(i as u16)
        }
        _ => None,
    })
}

/// What the environment's instant events write: a cancellation walking
/// down; the signal until it arrives, at any step outside the completion
/// scenario, and in completion once time has passed since a `signal()`
/// context was made (`aged`); a deadline that has expired (`aged`) until it
/// lands; a timer armed before time last passed (`aged`), which may fire
/// and wake the task parked on it. Every other event waits for time to
/// pass, and a state where it may is never reduced.
fn environment(s: &State, space: &Space, scenario: Scenario) -> FixedBitSet {
    let mut out = FixedBitSet::with_capacity(space.len());
    // The signal cancels every `signal()` context at once, those made since
    // time passed included.
    let signal_lands = !s.signalled
        && (scenario != Scenario::Completion
            || s.heap.iter().any(|o| matches!(o, Object::Ctx { kind: CtxKind::Signal, aged: true, .. })));
    for (i, o) in s.heap.iter().enumerate() {
        let writes = match o {
            // A cancellation walking down to the children: its step makes them done.
            Object::Ctx { walking: true, .. } => true,
            Object::Ctx { kind: CtxKind::Signal, .. } => signal_lands,
            Object::Ctx { kind: CtxKind::Timeout, aged, .. } => *aged && !s.ctx_done(i as u16),
            Object::Timer { aged, .. } => *aged,
            _ => false,
        };
        if writes {
            out.insert(space.obj(i as u16));
        }
    }
    out
}

/// What task `slot`'s exit reads of the tasks it owns: whether each still
/// runs, and whether someone waits in its error group or in a wait group
/// it holds (which decides whether it is an orphan).
fn owned(s: &State, space: &Space, slot: usize, f: &mut Footprint) {
    for (t, other) in s.tasks.iter().enumerate().filter(|(_, o)| o.owner == Some(slot as u16)) {
        f.reads.insert(space.task(t));
        if let Some(g) = other.group {
            f.reads.insert(space.obj(g));
        }
        for v in other.values() {
            if let Value::Obj(o) = *v {
                if matches!(s.heap.get(o as usize), Some(Object::WaitGroup { .. })) {
                    f.reads.insert(space.obj(o));
                }
            }
        }
    }
}

/// Whether context `c` is done and not walking down to its children: then
/// nothing any step does changes what a step can read of it (a context once
/// done stays done, `err()` says only that it is, and a `cancel` of it
/// neither waits nor walks), so reading it conflicts with nothing.
fn settled(s: &State, c: u16) -> bool {
    s.ctx_done(c) && !s.ctx_walking(c)
}

/// Numbers the resources of one state: two per heap object (its state, and
/// for a context its ownership), one per task (its liveness), then the
/// census (the order of the tasks).
struct Space {
    heap: usize,
    tasks: usize,
}

impl Space {
    fn obj(&self, o: u16) -> usize {
        2 * o as usize
    }
    fn owing(&self, o: u16) -> usize {
        2 * o as usize + 1
    }
    fn task(&self, t: usize) -> usize {
        2 * self.heap + t
    }
    fn census(&self) -> usize {
        2 * self.heap + self.tasks
    }
    fn len(&self) -> usize {
        2 * self.heap + self.tasks + 1
    }
}

/// Resources read and written (a write is also a read).
struct Footprint {
    reads: FixedBitSet,
    writes: FixedBitSet,
}

impl Footprint {
    fn new(space: &Space) -> Footprint {
        Footprint {
            reads: FixedBitSet::with_capacity(space.len()),
            writes: FixedBitSet::with_capacity(space.len()),
        }
    }

    /// Counts every write as a read too.
    fn closed(mut self) -> Footprint {
        self.reads.union_with(&self.writes);
        self
    }

    fn all(&self) -> &FixedBitSet {
        &self.reads
    }

    /// Whether this step and anything `other` may do can interfere.
    fn conflicts(&self, other: &Footprint) -> bool {
        !self.writes.is_disjoint(&other.reads) || !self.reads.is_disjoint(&other.writes)
    }
}

/// Collects the resources one instruction names, in one task's top frame.
struct Scan<'a> {
    s: &'a State,
    space: &'a Space,
    locals: &'a [Value],
    f: Footprint,
    seen: FixedBitSet,
}

impl<'a> Scan<'a> {
    fn new(s: &'a State, space: &'a Space, locals: &'a [Value]) -> Scan<'a> {
        Scan { s, space, locals, f: Footprint::new(space), seen: FixedBitSet::with_capacity(space.heap) }
    }

    fn instr(&mut self, i: &Instr) {
        match i {
            Instr::MapNext { iter, map, key, value, found } => {
                self.expr(iter);
                self.expr(map);
                key.iter().chain(value).for_each(|p| self.place(p));
                self.place(found);
            }
            Instr::Assign { dst, value } => {
                self.place(dst);
                self.expr(value);
            }
            Instr::New { dst, ctor } => {
                self.place(dst);
                self.ctor(ctor);
            }
            Instr::Send { chan, value } => {
                self.expr(chan);
                self.expr(value);
            }
            Instr::Recv { chan, value, ok, .. } => {
                self.expr(chan);
                value.iter().chain(ok).for_each(|p| self.place(p));
            }
            Instr::Select { cases, .. } => {
                for case in cases {
                    match &case.kind {
                        CaseKind::Recv { chan, value, ok, .. } => {
                            self.expr(chan);
                            value.iter().chain(ok).for_each(|p| self.place(p));
                        }
                        CaseKind::Send { chan, value } => {
                            self.expr(chan);
                            self.expr(value);
                        }
                        CaseKind::After => {}
                    }
                }
            }
            // The new task's first steps touch only its own locals (silent
            // code) and read the contexts it starts with (work after cancel).
            Instr::Spawn { args, dst, group, .. } => {
                self.f.writes.insert(self.space.census());
                args.iter().chain(group).for_each(|a| self.expr(a));
                dst.iter().for_each(|d| self.place(d));
            }
            Instr::Join { task } => self.expr(task),
            Instr::Work { ctx, dst, .. } => {
                ctx.iter().for_each(|c| self.expr(c));
                dst.iter().for_each(|d| self.place(d));
            }
            Instr::Defer { capture, .. } => capture.iter().for_each(|(_, x)| self.expr(x)),
            Instr::Call { callee, args, dst, rest } => {
                if let Callee::Dynamic(x) = callee {
                    self.expr(x);
                }
                args.iter().for_each(|a| self.expr(a));
                dst.iter().chain(rest).for_each(|d| self.place(d));
            }
            Instr::Return { value } => value.iter().for_each(|v| self.expr(v)),
            Instr::Branch { cond, .. } | Instr::Assert { cond } => self.expr(cond),
            Instr::Op { target, arg, dst, .. } => {
                self.expr(target);
                arg.iter().for_each(|a| self.expr(a));
                dst.iter().for_each(|d| self.place(d));
            }
            Instr::OnceEnter { once, .. } | Instr::OnceExit { once } => self.expr(once),
            Instr::Recover { dst, .. } => dst.iter().for_each(|d| self.place(d)),
            Instr::Jump { .. }
            | Instr::Choose { .. }
            | Instr::EndDefer
            | Instr::Sleep
            | Instr::Yield
            | Instr::Exit => {}
        }
    }

    /// What a `cancel` or a `g.wait()` cancels, through whatever
    /// expression names it: the context (and whether its cancel was
    /// called), or the group's context.
    fn cancels(&mut self, i: &Instr, slot: usize) {
        let Instr::Op { op: op @ (Op::Cancel | Op::GroupWait), target, .. } = i else { return };
        let Ok(Value::Obj(o)) = crate::eval::eval(self.s, slot, target) else { return };
        let ctx = match (op, self.s.heap.get(o as usize)) {
            (Op::Cancel, Some(Object::Ctx { .. })) => {
                self.f.writes.insert(self.space.owing(o));
                o
            }
            (Op::GroupWait, Some(Object::Group { ctx, .. })) => *ctx,
            _ => return,
        };
        if !settled(self.s, ctx) {
            self.f.writes.insert(self.space.obj(ctx));
        }
    }

    fn ctor(&mut self, c: &Ctor) {
        c.for_each_operand(&mut |x| self.expr(x));
    }

    fn place(&mut self, p: &Place) {
        match p {
            Place::Bind(_) => {}
            Place::Local(i) => {
                if let Some(Value::Ref(c)) = self.locals.get(*i as usize) {
                    self.object(*c);
                }
            }
            Place::Global(g) => self.object(*g),
            Place::Index(a, i) => {
                self.expr(a);
                self.expr(i);
            }
            Place::Field(a, _) => self.expr(a),
            Place::MapEntry(m, k) => {
                self.expr(m);
                self.expr(k);
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Const(_) => {}
            Expr::Local(i) | Expr::Raw(i) => {
                if let Some(&v) = self.locals.get(*i as usize) {
                    self.value(v);
                }
            }
            Expr::Global(g) | Expr::GlobalRef(g) => self.object(*g),
            _ => e.children().for_each(|x| self.expr(x)),
        }
    }

    fn value(&mut self, v: Value) {
        match v {
            Value::Obj(o) | Value::Ref(o) => self.object(o),
            Value::Done(c) => self.ctx_chain(c),
            Value::Task(t) => {
                self.f.reads.insert(self.space.task(t as usize));
            }
            _ => {}
        }
    }

    /// An object the instruction names: written, except a context, whose
    /// done-ness and its ancestors' are read.
    fn object(&mut self, o: u16) {
        let Some(object) = self.s.heap.get(o as usize) else { return };
        if self.seen.put(o as usize) {
            return;
        }
        match object {
            Object::Ctx { .. } => self.ctx_chain(o),
            Object::Cell { value, .. } => {
                self.f.writes.insert(self.space.obj(o));
                self.value(*value);
            }
            Object::Array(xs) => {
                self.f.writes.insert(self.space.obj(o));
                xs.iter().for_each(|&v| self.value(v));
            }
            Object::Group { ctx, .. } => {
                self.f.writes.insert(self.space.obj(o));
                self.ctx_chain(*ctx);
            }
            Object::Cond { mutex } => {
                self.f.writes.insert(self.space.obj(o));
                self.f.writes.insert(self.space.obj(*mutex));
            }
            _ => {
                self.f.writes.insert(self.space.obj(o));
            }
        }
    }

    /// Reads the done-ness of context `c` and of every ancestor, unless it is
    /// settled.
    fn ctx_chain(&mut self, c: u16) {
        if settled(self.s, c) {
            return;
        }
        for a in self.s.ctx_lineage(c) {
            self.f.reads.insert(self.space.obj(a));
        }
    }
}
