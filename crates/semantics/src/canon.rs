//! The one place where states are made canonical: exited tasks are removed
//! (handles to them become `TaskDone`), dead locals (see `leash_ir::Func::dead`)
//! are reset to `()`, and the heap is garbage-collected and renumbered in the
//! order it is reached from the roots. Two states that differ only in object
//! numbering, in dead objects or in values no task will read again become
//! equal. Objects dropped while they still hold an obligation (a running
//! ticker, an armed timer, a context never cancelled) raise the owner-rule
//! warnings here.

use crate::state::{CtxKind, Object, State, TimerState, Value};
use crate::{Event, FindingKind};
use leash_ir::{Instr, Program};
use std::sync::Arc;

/// What canonicalisation did: warnings raised, tasks removed, objects renumbered.
pub(crate) struct Canonical {
    pub events: Vec<Event>,
    pub exited: Vec<u16>,
    /// For each heap index before: its index after, or `u16::MAX` if collected.
    pub heap_map: Vec<u16>,
}

/// Canonicalises `s` in place. `s` is the state after a step from a
/// canonical one; `waits_moved` says whether that step parked or woke a
/// task. If it did not, the places in line are canonical still and are not
/// ranked again.
pub(crate) fn canonicalize(p: &Program, s: &mut State, waits_moved: bool) -> Canonical {
    let exited = compact_tasks(s);
    clear_dead(p, s);
    clear_spin(p, s);
    let (events, heap_map) = collect_heap(p, s);
    if waits_moved {
        rank_waits(p, s);
    }
    Canonical { events, exited, heap_map }
}

/// A task's spin mark lasts until it waits: parked, in a two-step wait, or
/// in `work` or `sleep`.
fn clear_spin(p: &Program, s: &mut State) {
    for t in &mut s.tasks {
        let Some(f) = t.frames.last() else { continue };
        let timed = matches!(p.func(f.func).code[f.pc as usize], Instr::Work { .. } | Instr::Sleep);
        if t.spin != 0 && (t.wait != 0 || t.phase == 1 || timed) {
            Arc::make_mut(t).spin = 0;
        }
    }
}

/// Renumbers the places in line of parked tasks. Only the order of two
/// tasks that share a wait queue matters, so a task's place becomes one more
/// than the greatest place of the tasks ahead of it in any of its queues:
/// within each queue places still grow, and the numbers say nothing about
/// slots or about the order in which tasks joined unrelated queues. Two
/// states that differ only in that become one, and so do the same state with
/// its tasks in another order.
fn rank_waits(p: &Program, s: &mut State) {
    let mut parked: Vec<(u16, usize, Vec<u16>)> = (0..s.tasks.len())
        .filter(|&slot| s.tasks[slot].wait != 0)
        .map(|slot| (s.tasks[slot].wait, slot, wait_queues(p, s, slot)))
        .collect();
    parked.sort_unstable();
    let mut places: Vec<u16> = Vec::with_capacity(parked.len());
    for (j, (_, slot, queues)) in parked.iter().enumerate() {
        let ahead = (0..j)
            .filter(|&i| parked[i].2.iter().any(|q| queues.contains(q)))
            .map(|i| places[i])
            .max()
            .unwrap_or(0);
        places.push(ahead + 1);
        if s.tasks[*slot].wait != ahead + 1 {
            s.task_mut(*slot).wait = ahead + 1;
        }
    }
}

/// The wait queues the parked task `slot` is in: the line of a lock or a
/// group it waits for, the channels, timers and tickers of its channel
/// operation, or the cond it waits on.
fn wait_queues(p: &Program, s: &State, slot: usize) -> Vec<u16> {
    if let Some(o) = crate::step::line_of(p, s, slot) {
        return vec![o];
    }
    let f = s.tasks[slot].frames.last().expect("live tasks have a frame");
    let instr = &p.func(f.func).code[f.pc as usize];
    match instr {
        Instr::Op { target, .. } => match crate::eval::eval(s, slot, target) {
            Ok(Value::Obj(o)) => vec![o],
            _ => Vec::new(),
        },
        _ => crate::step::queues(s, slot, instr),
    }
}

fn compact_tasks(s: &mut State) -> Vec<u16> {
    let exited: Vec<u16> =
        (0..s.tasks.len()).filter(|&i| s.tasks[i].frames.is_empty()).map(|i| i as u16).collect();
    if exited.is_empty() {
        return exited;
    }
    let mut map = vec![None; s.tasks.len()];
    let mut next = 0u16;
    for (i, t) in s.tasks.iter().enumerate() {
        if !t.frames.is_empty() {
            map[i] = Some(next);
            next += 1;
        }
    }
    s.tasks.retain(|t| !t.frames.is_empty());
    rewrite_slots(s, &map);
    exited
}

/// Rewrites every reference to a task slot (handles, owners, context
/// holders): `map[old]` is the new slot, or `None` for a task that exited.
pub(crate) fn rewrite_slots(s: &mut State, map: &[Option<u16>]) {
    let remap = |v: &mut Value| {
        if let Value::Task(t) = *v {
            *v = map[t as usize].map_or(Value::TaskDone, Value::Task);
        }
    };
    let moves = |slot: u16| map[slot as usize] != Some(slot);
    for t in &mut s.tasks {
        let named = t.values().any(|v| matches!(*v, Value::Task(x) if moves(x)));
        if !named && !t.owner.is_some_and(moves) {
            continue;
        }
        let t = Arc::make_mut(t);
        t.owner = t.owner.and_then(|o| map[o as usize]);
        for f in &mut t.frames {
            f.locals.iter_mut().for_each(remap);
            if let Some(r) = &mut f.ret {
                remap(r);
            }
            f.defers.iter_mut().flat_map(|d| &mut d.args).for_each(|(_, v)| remap(v));
        }
    }
    for o in &mut s.heap {
        each_value(o, &mut |v| remap(v));
        if let Object::Ctx { holder, .. } = o {
            *holder = holder.and_then(|h| map[h as usize]);
        }
    }
}

/// Resets the dead locals of every frame to `()`: those of the top frame as it
/// is about to run its instruction, those of a caller as it waits in its call.
/// A dead local that holds a heap handle is kept, unless the handle is to a
/// model-level variable (always reachable): dropping any other handle could let
/// the object be collected earlier than it would have been, and collection
/// raises owner-rule warnings and ends environment events.
fn clear_dead(p: &Program, s: &mut State) {
    let globals = p.globals.len();
    // Whether a local is dead here and holds something to reset.
    let stale = |v: &Value| *v != Value::Unit && obj_of(v).is_none_or(|x| (x as usize) < globals);
    let dead = |frames: usize, i: usize, f: &crate::Frame| {
        let func = p.func(f.func);
        let table = if i + 1 == frames { &func.dead } else { &func.dead_in_call };
        table.get(f.pc as usize).map_or(&[][..], Vec::as_slice)
    };
    for t in &mut s.tasks {
        let n = t.frames.len();
        let any =
            t.frames.iter().enumerate().any(|(i, f)| {
                dead(n, i, f).iter().any(|&slot| f.locals.get(slot as usize).is_some_and(stale))
            });
        if !any {
            continue;
        }
        for (i, f) in Arc::make_mut(t).frames.iter_mut().enumerate() {
            for &slot in dead(n, i, f) {
                if let Some(v) = f.locals.get_mut(slot as usize).filter(|v| stale(v)) {
                    *v = Value::Unit;
                }
            }
        }
    }
}

/// Calls `f` on every value an object holds.
fn each_value(o: &mut Object, f: &mut dyn FnMut(&mut Value)) {
    match o {
        Object::Cell { value, .. } => f(value),
        Object::Array(xs) => xs.iter_mut().for_each(f),
        Object::Chan { buf, .. } => buf.iter_mut().for_each(f),
        _ => {}
    }
}

/// Calls `f` on every heap index an object refers to directly.
fn each_ref(o: &mut Object, f: &mut dyn FnMut(&mut u16)) {
    let mut on_value = |v: &mut Value| match v {
        Value::Obj(x) | Value::Ref(x) | Value::Done(x) => f(x),
        _ => {}
    };
    match o {
        Object::Cell { value, .. } => on_value(value),
        Object::Array(xs) => xs.iter_mut().for_each(on_value),
        Object::Chan { buf, .. } => buf.iter_mut().for_each(on_value),
        Object::Cond { mutex } => f(mutex),
        Object::Group { ctx, .. } => f(ctx),
        Object::Ctx { parent: Some(p), .. } => f(p),
        _ => {}
    }
}

/// Calls `f` on every heap index an object refers to directly, without changing it.
pub(crate) fn refs_of(o: &Object, f: &mut dyn FnMut(u16)) {
    let mut on_value = |v: &Value| {
        if let Value::Obj(x) | Value::Ref(x) | Value::Done(x) = v {
            f(*x)
        }
    };
    match o {
        Object::Cell { value, .. } => on_value(value),
        Object::Array(xs) => xs.iter().for_each(on_value),
        Object::Chan { buf, .. } => buf.iter().for_each(on_value),
        Object::Cond { mutex } => f(*mutex),
        Object::Group { ctx, .. } => f(*ctx),
        Object::Ctx { parent: Some(p), .. } => f(*p),
        _ => {}
    }
}

/// The heap index a value refers to, if any.
fn obj_of(v: &Value) -> Option<u16> {
    match *v {
        Value::Obj(x) | Value::Ref(x) | Value::Done(x) => Some(x),
        _ => None,
    }
}

fn value_ref(v: &mut Value) -> Option<&mut u16> {
    match v {
        Value::Obj(x) | Value::Ref(x) | Value::Done(x) => Some(x),
        _ => None,
    }
}

/// Collects the heap: objects are numbered in the order they are reached
/// from the model-level variables, then from each task in slot order, then
/// from the objects already reached; the others are dropped, with the
/// owner-rule warnings of those that still held an obligation. Returns the
/// warnings and, for each old index, the new one (`u16::MAX` if dropped).
/// Runs after every step, so it walks the values directly and leaves the
/// heap in place when nothing moved.
pub(crate) fn collect_heap(p: &Program, s: &mut State) -> (Vec<Event>, Vec<u16>) {
    const NONE: u16 = u16::MAX;
    let n = s.heap.len();
    let mut reach = Reach { map: vec![NONE; n], order: Vec::with_capacity(n) };
    for g in 0..p.globals.len().min(n) {
        reach.visit(g as u16);
    }
    for t in &s.tasks {
        if let Some(g) = t.group {
            reach.visit(g);
        }
        for f in &t.frames {
            f.locals.iter().for_each(|v| reach.value(v));
            f.ret.iter().for_each(|v| reach.value(v));
            f.defers.iter().flat_map(|d| &d.args).for_each(|(_, v)| reach.value(v));
        }
    }
    let mut i = 0;
    while i < reach.order.len() {
        match &s.heap[reach.order[i] as usize] {
            Object::Cell { value, .. } => reach.value(value),
            Object::Array(xs) | Object::Chan { buf: xs, .. } => xs.iter().for_each(|v| reach.value(v)),
            Object::Cond { mutex: x }
            | Object::Group { ctx: x, .. }
            | Object::Ctx { parent: Some(x), .. } => reach.visit(*x),
            _ => {}
        }
        i += 1;
    }
    let Reach { map, order } = reach;
    if order.len() == n && order.iter().enumerate().all(|(i, &o)| i == o as usize) {
        return (Vec::new(), map);
    }
    let mut events = Vec::new();
    for (old, o) in s.heap.iter().enumerate() {
        if map[old] != NONE {
            continue;
        }
        let (kind, creator, detail) = match o {
            Object::Ticker { running: true, creator, .. } => {
                (FindingKind::Unstopped, *creator, "ticker dropped without stop")
            }
            Object::Timer { state: TimerState::Armed | TimerState::Rearmed, creator, .. } => {
                (FindingKind::Unstopped, *creator, "timer dropped while armed, without stop")
            }
            Object::Ctx {
                kind: CtxKind::Cancel | CtxKind::Timeout,
                cancel_called: false,
                creator,
                holder: Some(_),
                ..
            } => (FindingKind::Uncancelled, *creator, "context dropped without calling its cancel"),
            _ => continue,
        };
        events.push(Event { kind, func: creator, detail: detail.into(), at: None });
    }
    relocate_heap(s, &order, &map);
    (events, map)
}

/// The objects reached so far: each one's new number, and the old numbers in
/// the order they were reached.
struct Reach {
    map: Vec<u16>,
    order: Vec<u16>,
}

impl Reach {
    fn visit(&mut self, x: u16) {
        if let Some(slot) = self.map.get_mut(x as usize) {
            if *slot == u16::MAX {
                *slot = self.order.len() as u16;
                self.order.push(x);
            }
        }
    }

    fn value(&mut self, v: &Value) {
        if let Value::Obj(x) | Value::Ref(x) | Value::Done(x) = *v {
            self.visit(x);
        }
    }
}

/// Renumbers the heap: `order` lists the old indices of the objects kept, in
/// their new order; `map[old]` is each kept object's new index.
pub(crate) fn relocate_heap(s: &mut State, order: &[u16], map: &[u16]) {
    let mut old = std::mem::take(&mut s.heap);
    let mut heap: Vec<Object> =
        order.iter().map(|&o| std::mem::replace(&mut old[o as usize], Object::Once { state: 0 })).collect();
    for o in &mut heap {
        each_ref(o, &mut |x| *x = map[*x as usize]);
    }
    s.heap = heap;
    let moves = |x: u16| map[x as usize] != x;
    for t in &mut s.tasks {
        if !t.group.is_some_and(moves) && !t.values().filter_map(obj_of).any(moves) {
            continue;
        }
        let t = Arc::make_mut(t);
        if let Some(g) = &mut t.group {
            *g = map[*g as usize];
        }
        for f in &mut t.frames {
            for v in frame_values(f) {
                if let Some(x) = value_ref(v) {
                    *x = map[*x as usize];
                }
            }
        }
    }
}

/// Every value a frame holds: its locals, its return value, the captured
/// operands of its deferred calls.
pub(crate) fn frame_values(f: &mut crate::Frame) -> impl Iterator<Item = &mut Value> {
    f.locals
        .iter_mut()
        .chain(f.ret.as_mut())
        .chain(f.defers.iter_mut().flat_map(|d| d.args.iter_mut().map(|(_, v)| v)))
}
