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
use leash_ir::Program;

/// What canonicalisation did: warnings raised, tasks removed, objects renumbered.
pub(crate) struct Canonical {
    pub events: Vec<Event>,
    pub exited: Vec<u16>,
    /// For each heap index before: its index after, or `u16::MAX` if collected.
    pub heap_map: Vec<u16>,
}

/// Canonicalises `s` in place.
pub(crate) fn canonicalize(p: &Program, s: &mut State) -> Canonical {
    let exited = compact_tasks(s);
    clear_dead(p, s);
    let (events, heap_map) = collect_heap(p, s);
    Canonical { events, exited, heap_map }
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
    for t in &mut s.tasks {
        t.owner = t.owner.and_then(|o| map[o as usize]);
        for f in &mut t.frames {
            f.locals.iter_mut().for_each(remap);
            if let Some(r) = &mut f.ret {
                remap(r);
            }
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
    for t in &mut s.tasks {
        let top = t.frames.len().saturating_sub(1);
        for (i, f) in t.frames.iter_mut().enumerate() {
            let func = p.func(f.func);
            let table = if i == top { &func.dead } else { &func.dead_in_call };
            for &slot in table.get(f.pc as usize).map_or(&[][..], Vec::as_slice) {
                let Some(v) = f.locals.get_mut(slot as usize) else { continue };
                if value_ref(v).is_none_or(|x| (*x as usize) < globals) {
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

fn value_ref(v: &mut Value) -> Option<&mut u16> {
    match v {
        Value::Obj(x) | Value::Ref(x) | Value::Done(x) => Some(x),
        _ => None,
    }
}

pub(crate) fn collect_heap(p: &Program, s: &mut State) -> (Vec<Event>, Vec<u16>) {
    const NONE: u16 = u16::MAX;
    let n = s.heap.len();
    let mut map = vec![NONE; n];
    let mut order: Vec<u16> = Vec::with_capacity(n);
    let visit = |x: u16, map: &mut Vec<u16>, order: &mut Vec<u16>| {
        if (x as usize) < n && map[x as usize] == NONE {
            map[x as usize] = order.len() as u16;
            order.push(x);
        }
    };
    for g in 0..p.globals.len().min(n) {
        visit(g as u16, &mut map, &mut order);
    }
    for t in &mut s.tasks {
        if let Some(g) = t.group {
            visit(g, &mut map, &mut order);
        }
        for f in &mut t.frames {
            for v in f.locals.iter_mut().chain(f.ret.as_mut()) {
                if let Some(x) = value_ref(v) {
                    visit(*x, &mut map, &mut order);
                }
            }
        }
    }
    let mut i = 0;
    while i < order.len() {
        refs_of(&s.heap[order[i] as usize], &mut |x| visit(x, &mut map, &mut order));
        i += 1;
    }
    let mut events = Vec::new();
    for (old, o) in s.heap.iter().enumerate() {
        if map[old] != NONE {
            continue;
        }
        let (kind, creator, detail) = match o {
            Object::Ticker { running: true, creator } => {
                (FindingKind::Unstopped, *creator, "ticker dropped without stop")
            }
            Object::Timer { state: TimerState::Armed, creator } => {
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
    if order.len() == n && order.iter().enumerate().all(|(i, &o)| i == o as usize) {
        return (events, map);
    }
    relocate_heap(s, &order, &map);
    (events, map)
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
    for t in &mut s.tasks {
        if let Some(g) = &mut t.group {
            *g = map[*g as usize];
        }
        for f in &mut t.frames {
            for v in f.locals.iter_mut().chain(f.ret.as_mut()) {
                if let Some(x) = value_ref(v) {
                    *x = map[*x as usize];
                }
            }
        }
    }
}
