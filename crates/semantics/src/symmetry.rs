//! Symmetry reduction: tasks of one function are interchangeable, so a state
//! and the same state with those tasks in another order behave alike. After
//! the canonical form, the tasks of each function are sorted into the slots
//! they occupy, every reference to a slot is rewritten and the heap is
//! numbered again. The result is a permutation of the state.
//!
//! The sort key must not depend on the order it is to decide, or two orders of
//! one state would keep two representatives (more states than without the
//! reduction). So a function's tasks are sorted only when everything about
//! them can be said without their slots: objects they hold are *anchored*
//! (reached from the model-level variables or from tasks alone of their
//! function, numbered in that order), tasks they name and own are alone of
//! their function, and whatever names them is a task alone of its function or
//! an anchored object. Their key is then their whole content plus the places
//! that name them, so equal keys mean equal tasks. Other tasks stay in order.
//!
//! Renumbering tasks is an isomorphism of the semantics: nothing but the order
//! of enumeration depends on a slot's number. What is not preserved is the
//! identity of a task across steps, which fairness per task and traces need;
//! the native prover deals with both (see `leash_native`).

use crate::canon::{collect_heap, refs_of, relocate_heap, rewrite_slots};
use crate::state::{Frame, Object, State, Task, Value};
use leash_ir::Program;
use std::cmp::Ordering;

/// How a state's tasks and objects were renumbered: `slots[old]` is a task's
/// new slot and `heap[old]` an object's new index. Both are bijections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renaming {
    /// New slot of each old slot.
    pub slots: Vec<u16>,
    /// New heap index of each old heap index.
    pub heap: Vec<u16>,
}

impl Renaming {
    /// The renaming that changes nothing in a state of this size.
    pub fn identity(s: &State) -> Renaming {
        Renaming { slots: (0..s.tasks.len() as u16).collect(), heap: (0..s.heap.len() as u16).collect() }
    }

    /// The renaming that undoes this one.
    pub fn inverse(&self) -> Renaming {
        let invert = |m: &[u16]| {
            let mut out = vec![0; m.len()];
            for (old, &new) in m.iter().enumerate() {
                out[new as usize] = old as u16;
            }
            out
        };
        Renaming { slots: invert(&self.slots), heap: invert(&self.heap) }
    }
}

/// Sorts the tasks of each function that has several (where their order can
/// be decided from their content, see above) into a fixed order, rewrites the
/// references to their slots and renumbers the heap. Returns the renaming
/// applied, or `None` when the state was already in that order. `s` must be
/// canonical (the result of `initial` or `apply`).
pub fn reduce_symmetry(p: &Program, s: &mut State) -> Option<Renaming> {
    const ALONE: u32 = u32::MAX;
    let n = s.tasks.len();
    // The class of each slot: the index of its function among those with several tasks.
    let mut funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
    funcs.sort_unstable();
    let shared: Vec<u16> = funcs.chunk_by(|a, b| a == b).filter(|c| c.len() > 1).map(|c| c[0]).collect();
    if shared.is_empty() {
        return None;
    }
    let class: Vec<u32> =
        s.tasks.iter().map(|t| shared.binary_search(&t.func).map_or(ALONE, |c| c as u32)).collect();
    let alone = |slot: u16| class.get(slot as usize).is_none_or(|&c| c == ALONE);
    // Classes whose order cannot be decided from content alone: first what
    // needs no anchors, then the handles their tasks hold and who names them.
    let mut irregular = vec![false; shared.len()];
    let spoil = |irregular: &mut [bool], slot: u16| {
        if let Some(&c) = class.get(slot as usize) {
            if c != ALONE {
                irregular[c as usize] = true;
            }
        }
    };
    let members = || s.tasks.iter().enumerate().filter(|(slot, _)| !alone(*slot as u16));
    for (slot, t) in members() {
        if t.owner.is_some_and(|o| !alone(o)) {
            spoil(&mut irregular, slot as u16);
        }
        for v in values(t) {
            if let Value::Task(other) = *v {
                if !alone(other) {
                    spoil(&mut irregular, slot as u16);
                    spoil(&mut irregular, other);
                }
            }
        }
    }
    if irregular.iter().all(|&x| x) {
        return None;
    }
    let anchor = anchors(p, s, &alone);
    let anchored = |x: u16| anchor.get(x as usize).copied().unwrap_or(NONE);
    for (slot, t) in members() {
        let private = |x: u16| anchored(x) == NONE;
        let holds_private =
            values(t).any(|v| matches!(*v, Value::Obj(x) | Value::Ref(x) | Value::Done(x) if private(x)));
        if holds_private || t.group.is_some_and(private) {
            spoil(&mut irregular, slot as u16);
        }
    }
    for (x, o) in s.heap.iter().enumerate() {
        if anchored(x as u16) == NONE {
            names(o, &mut |slot, _| spoil(&mut irregular, slot));
        }
    }
    if irregular.iter().all(|&x| x) {
        return None;
    }
    // Where each task is named from: tasks alone of their function, anchored
    // objects; as (named slot, place), sorted.
    let mut named: Vec<(u16, u64)> = Vec::new();
    for (slot, t) in s.tasks.iter().enumerate().filter(|(slot, _)| alone(*slot as u16)) {
        if let Some(o) = t.owner {
            named.push((o, (slot as u64) << 40 | (HOLDER as u64) << 20));
        }
        for (depth, f) in t.frames.iter().enumerate() {
            for (i, v) in f.locals.iter().chain(&f.ret).enumerate() {
                if let Value::Task(x) = *v {
                    named.push((x, (slot as u64) << 40 | (depth as u64) << 20 | i as u64));
                }
            }
        }
    }
    for (x, o) in s.heap.iter().enumerate() {
        let a = anchored(x as u16);
        if a != NONE {
            names(o, &mut |slot, at| named.push((slot, 1 << 62 | (a as u64) << 20 | at as u64)));
        }
    }
    named.sort_unstable();
    let places = |slot: u16| {
        let start = named.partition_point(|&(x, _)| x < slot);
        let end = named.partition_point(|&(x, _)| x <= slot);
        named[start..end].iter().map(|&(_, place)| place)
    };
    let order = |a: &u16, b: &u16| {
        compare(&s.tasks[*a as usize], &s.tasks[*b as usize], &anchored)
            .then_with(|| places(*a).cmp(places(*b)))
    };
    let mut new_of: Vec<u16> = (0..n as u16).collect();
    for c in (0..shared.len()).filter(|&c| !irregular[c]) {
        let slots: Vec<u16> = (0..n as u16).filter(|&x| class[x as usize] == c as u32).collect();
        if slots.is_sorted_by(|a, b| order(a, b).is_le()) {
            continue;
        }
        let mut sorted = slots.clone();
        sorted.sort_by(order);
        for (&at, &old) in slots.iter().zip(&sorted) {
            new_of[old as usize] = at;
        }
    }
    if new_of.iter().enumerate().all(|(i, &x)| i == x as usize) {
        return None;
    }
    permute_tasks(s, &new_of);
    let (events, heap) = collect_heap(p, s);
    assert!(events.is_empty(), "renumbering tasks collected an object");
    Some(Renaming { slots: new_of, heap })
}

const NONE: u16 = u16::MAX;

/// The values a task holds: locals and return values of every frame.
fn values(t: &Task) -> impl Iterator<Item = &Value> {
    t.frames.iter().flat_map(|f| f.locals.iter().chain(&f.ret))
}

/// Numbers the objects reached from the model-level variables and from the
/// tasks for which `alone` holds (in slot order), breadth-first; `NONE` for the others.
fn anchors(p: &Program, s: &State, alone: &dyn Fn(u16) -> bool) -> Vec<u16> {
    let mut anchor = vec![NONE; s.heap.len()];
    let mut order: Vec<u16> = Vec::new();
    let visit = |x: u16, anchor: &mut Vec<u16>, order: &mut Vec<u16>| {
        if (x as usize) < anchor.len() && anchor[x as usize] == NONE {
            anchor[x as usize] = order.len() as u16;
            order.push(x);
        }
    };
    for g in 0..p.globals.len().min(s.heap.len()) {
        visit(g as u16, &mut anchor, &mut order);
    }
    for t in s.tasks.iter().enumerate().filter(|(slot, _)| alone(*slot as u16)).map(|(_, t)| t) {
        if let Some(g) = t.group {
            visit(g, &mut anchor, &mut order);
        }
        for v in values(t) {
            if let Value::Obj(x) | Value::Ref(x) | Value::Done(x) = *v {
                visit(x, &mut anchor, &mut order);
            }
        }
    }
    let mut i = 0;
    while i < order.len() {
        refs_of(&s.heap[order[i] as usize], &mut |x| visit(x, &mut anchor, &mut order));
        i += 1;
    }
    anchor
}

/// Where a context names its holder, or a task its owner (beyond any index).
const HOLDER: usize = 0xF_FFFF;

/// Calls `f` with each task slot an object names and where in the object.
fn names(o: &Object, f: &mut dyn FnMut(u16, usize)) {
    let values: &[Value] = match o {
        Object::Cell { value, .. } => std::slice::from_ref(value),
        Object::Array(xs) => xs,
        Object::Chan { buf, .. } => buf,
        Object::Ctx { holder: Some(h), .. } => return f(*h, HOLDER),
        _ => &[],
    };
    for (i, v) in values.iter().enumerate() {
        if let Value::Task(x) = *v {
            f(x, i);
        }
    }
}

/// Compares two tasks by their whole content: handles by their anchored
/// number, task handles and owners by slot (they name tasks alone of their
/// function).
fn compare(a: &Task, b: &Task, anchored: &dyn Fn(u16) -> u16) -> Ordering {
    let value = |v: &Value| -> u64 {
        let (tag, x): (u64, u64) = match *v {
            Value::Unit => (0, 0),
            Value::Bool(b) => (1, b as u64),
            Value::Int(i) => (2, (i as i64 + 0x8000) as u64),
            Value::Atom(a) => (3, a as u64),
            Value::Ok => (4, 0),
            Value::Err => (5, 0),
            Value::Nil => (6, 0),
            Value::Obj(o) => (7, anchored(o) as u64),
            Value::Ref(o) => (8, anchored(o) as u64),
            Value::Done(o) => (9, anchored(o) as u64),
            Value::Task(t) => (10, t as u64),
            Value::TaskDone => (11, 0),
            Value::Func(f) => (12, f as u64),
        };
        tag << 32 | x
    };
    let frame = |x: &Frame, y: &Frame| {
        let ret = |f: &Frame| f.ret.as_ref().map(value);
        (x.func, x.pc)
            .cmp(&(y.func, y.pc))
            .then_with(|| x.defers.cmp(&y.defers))
            .then_with(|| ret(x).cmp(&ret(y)))
            .then_with(|| x.locals.iter().map(value).cmp(y.locals.iter().map(value)))
    };
    let group = |t: &Task| t.group.map(anchored);
    (a.phase, a.owner, group(a), a.frames.len()).cmp(&(b.phase, b.owner, group(b), b.frames.len())).then_with(
        || {
            let mut frames = a.frames.iter().zip(&b.frames).map(|(x, y)| frame(x, y));
            frames.find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
        },
    )
}

/// The state `s` with its tasks and objects renumbered by `r`.
pub fn rename(s: &State, r: &Renaming) -> State {
    let mut out = s.clone();
    permute_tasks(&mut out, &r.slots);
    let order = r.inverse().heap;
    relocate_heap(&mut out, &order, &r.heap);
    out
}

/// Moves the task in slot `old` to slot `new_of[old]` and rewrites references.
fn permute_tasks(s: &mut State, new_of: &[u16]) {
    let mut tasks: Vec<Option<Task>> = std::mem::take(&mut s.tasks).into_iter().map(Some).collect();
    let mut placed: Vec<Option<Task>> = vec![None; tasks.len()];
    for (old, &new) in new_of.iter().enumerate() {
        placed[new as usize] = tasks[old].take();
    }
    s.tasks = placed.into_iter().map(|t| t.expect("a permutation")).collect();
    let map: Vec<Option<u16>> = new_of.iter().map(|&x| Some(x)).collect();
    rewrite_slots(s, &map);
}
