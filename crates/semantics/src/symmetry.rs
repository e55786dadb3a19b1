//! Symmetry reduction: tasks of one function are interchangeable, so a state
//! and the same state with those tasks in another order behave alike. After
//! the canonical form, the tasks are first put in blocks by function
//! (`main` first, then by function, each block in the order its tasks came
//! in), so that the order in which tasks of different functions were
//! spawned no longer tells two states apart; then the tasks of each function
//! are sorted within their block. Every reference to a slot is rewritten and
//! the heap is numbered again. The result is a permutation of the state.
//!
//! The representative must not depend on the order the tasks come in, or two
//! orders of one state would keep two representatives (more states than
//! without the reduction). So the sort key says nothing the order decides:
//! objects count by their *anchored* number when they are reached from the
//! model-level variables or from tasks alone of their function (numbered in
//! that order), and not at all otherwise; tasks alone of their function count
//! by slot, others by their function only. A task's key is its whole content
//! so seen, plus the places in tasks alone of their function and in anchored
//! objects that name it.
//!
//! A function's tasks are *decided* when that says everything about them: the
//! objects they hold are anchored, the tasks they name, own or are owned by
//! are alone of their function, and nothing else names them. Then equal keys
//! mean equal tasks, and sorting by the key is all.
//!
//! The other tasks cannot simply stay in the order they come in: that order
//! may be the work of an earlier sort (a function's tasks decided before a
//! step and not after it, say when the task that anchored their contexts
//! exits), one the search without the reduction never makes. They are sorted
//! by the key too, and tasks alike in it by colours refined from content
//! alone (see `Graph`). Tasks still alike are tried in every order that
//! gives another state (tasks that can swap slots without changing the state
//! count as one), and the order giving the least state is kept.
//!
//! Tasks of undecided classes are sorted first by their *shape*: what of
//! them changes with few steps (function, owner, group, the handles they
//! hold and where; see `encode_shape`), refined by colour over the shapes of
//! what they hold and who names them. Only tasks alike in shape are told
//! apart by the rest of their content as above. An order decided by shape
//! mostly survives a step, so a successor keeps its parent's order and
//! shares its tasks' encodings with it; when the shapes did not change at
//! all (`shape_print`), the pass is skipped (`reduce_successor`).
//!
//! Beyond `ORDERS_TRIED` such orders (sibling subtrees of a tree of tasks
//! alike at several levels), one task of the first run is singled out with a
//! colour of its own and the colours are refined again, until the orders
//! left are few enough to try (individualisation and refinement, as in
//! graph canonisation, without its search). Which of the run is singled out
//! does not matter when some reordering of the state maps each task of the
//! run onto each other, the usual case: the states that follow are the same.
//! Colour refinement can leave tasks alike that no reordering maps onto each
//! other (a task on a channel of its own beside two in a ring); the orders
//! tried below the bound settle those, and beyond it the choice can leave two
//! representatives of one state: more states, never a wrong verdict.
//!
//! Renumbering tasks is an isomorphism of the semantics: nothing but the order
//! of enumeration depends on a slot's number. What is not preserved is the
//! identity of a task across steps, which fairness per task and traces need;
//! the native prover deals with both (see `leash_native`).

use crate::canon::{collect_heap, refs_of, relocate_heap, rewrite_slots};
use crate::state::{Frame, Object, State, Task, Value};
use leash_ir::Program;
use std::cmp::Ordering;
use std::sync::Arc;

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

/// Puts the tasks in blocks by function and sorts the tasks of each function
/// that has several into a fixed order (see above), rewrites the references
/// to their slots and renumbers the heap.
/// Returns the renaming applied, or `None` when the state was already in that
/// order. `s` must be canonical (the result of `initial` or `apply`).
pub fn reduce_symmetry(p: &Program, s: &mut State) -> Option<Renaming> {
    reduce(p, s).0
}

/// `reduce_symmetry`, and whether the result is settled by shape (see
/// [`settled_print`]): the order of each function's tasks is one their
/// shapes decide alone.
fn reduce(p: &Program, s: &mut State) -> (Option<Renaming>, bool) {
    let first = group_by_function(p, s);
    let (second, by_shape) = sort_within_functions(p, s);
    let renaming = match (first, second) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(Renaming {
            slots: a.slots.iter().map(|&x| b.slots[x as usize]).collect(),
            heap: a.heap.iter().map(|&x| b.heap[x as usize]).collect(),
        }),
    };
    (renaming, by_shape)
}

/// Puts `main` first and the other tasks in blocks by function, each block in
/// the order its tasks came in; the renaming applied, if any. Which slot a
/// task of a function alone in the state gets then depends only on how many
/// tasks each function has.
fn group_by_function(p: &Program, s: &mut State) -> Option<Renaming> {
    let block = |t: &Task| (t.func != p.main, t.func);
    if s.tasks.windows(2).all(|w| block(&w[0]) <= block(&w[1])) {
        return None;
    }
    let n = s.tasks.len();
    let mut order: Vec<u16> = (0..n as u16).collect();
    order.sort_by_key(|&slot| block(&s.tasks[slot as usize]));
    let mut new_of = vec![0u16; n];
    for (new, &old) in order.iter().enumerate() {
        new_of[old as usize] = new as u16;
    }
    permute_tasks(s, &new_of);
    let (events, heap) = collect_heap(p, s);
    assert!(events.is_empty(), "renumbering tasks collected an object");
    Some(Renaming { slots: new_of, heap })
}

/// Sorts the tasks of each function that has several within the slots they
/// occupy (see above); the renaming applied, if any, and whether the order
/// is one their shapes decide alone.
fn sort_within_functions(p: &Program, s: &mut State) -> (Option<Renaming>, bool) {
    let (new_of, by_shape) = order_within_functions(p, s);
    let Some(new_of) = new_of else { return (None, by_shape) };
    permute_tasks(s, &new_of);
    let (events, heap) = collect_heap(p, s);
    assert!(events.is_empty(), "renumbering tasks collected an object");
    (Some(Renaming { slots: new_of, heap }), by_shape)
}

/// The new slot of each task when the tasks of each function that has
/// several are sorted within the slots they occupy (see above), or `None`
/// when they are in order; and whether the order is one their shapes decide
/// alone (see `encode_shape`): each such function's tasks are undecided and
/// the shapes, refined by colour, tell them apart.
fn order_within_functions(p: &Program, s: &State) -> (Option<Vec<u16>>, bool) {
    const ALONE: u32 = u32::MAX;
    let n = s.tasks.len();
    // The class of each slot: the index of its function among those with several tasks.
    let mut funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
    funcs.sort_unstable();
    let shared: Vec<u16> = funcs.chunk_by(|a, b| a == b).filter(|c| c.len() > 1).map(|c| c[0]).collect();
    if shared.is_empty() {
        return (None, true);
    }
    let class: Vec<u32> =
        s.tasks.iter().map(|t| shared.binary_search(&t.func).map_or(ALONE, |c| c as u32)).collect();
    let alone = |slot: u16| class.get(slot as usize).is_none_or(|&c| c == ALONE);
    // Classes not decided (see above): first what needs no anchors, then the
    // handles their tasks hold and who names them.
    let mut undecided = vec![false; shared.len()];
    let spoil = |undecided: &mut [bool], slot: u16| {
        if let Some(&c) = class.get(slot as usize) {
            if c != ALONE {
                undecided[c as usize] = true;
            }
        }
    };
    let members = || s.tasks.iter().enumerate().filter(|(slot, _)| !alone(*slot as u16));
    for (slot, t) in members() {
        if let Some(owner) = t.owner.filter(|&o| !alone(o)) {
            spoil(&mut undecided, slot as u16);
            spoil(&mut undecided, owner);
        }
        for v in t.values() {
            if let Value::Task(other) = *v {
                if !alone(other) {
                    spoil(&mut undecided, slot as u16);
                    spoil(&mut undecided, other);
                }
            }
        }
    }
    let anchor = anchors(p, s, &alone);
    let anchored = |x: u16| anchor.get(x as usize).copied().unwrap_or(NONE);
    for (slot, t) in members() {
        let free = |x: u16| anchored(x) == NONE;
        let holds_free =
            t.values().any(|v| matches!(*v, Value::Obj(x) | Value::Ref(x) | Value::Done(x) if free(x)));
        if holds_free || t.group.is_some_and(free) {
            spoil(&mut undecided, slot as u16);
        }
    }
    for (x, o) in s.heap.iter().enumerate() {
        if anchored(x as u16) == NONE {
            names(o, &mut |slot, _| spoil(&mut undecided, slot));
        }
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
    // A task alone of its function by its slot, any other by its class.
    let fixed = |slot: u16| match class.get(slot as usize) {
        Some(&c) if c != ALONE => 1 << 16 | c,
        _ => slot as u32,
    };
    let order = |a: &u16, b: &u16| {
        compare(&s.tasks[*a as usize], &s.tasks[*b as usize], &|x| anchored(x) as u32, &fixed)
            .then_with(|| places(*a).cmp(places(*b)))
    };
    // The key of each task of an undecided class: first a hash of its shape
    // (see `encode_shape`) and where it is named, refined by colour over the
    // shapes of what it holds and who names it (see `Graph`). Sorting by a
    // hash is as free of the order the tasks come in as sorting by the
    // content; two keys alike by chance only cost orders to try. A shape
    // changes with few steps, so the order it gives mostly survives a step:
    // no renumbering, and the successor shares its tasks' parts with its
    // parent. Only tasks alike in shape get the rest of their content in the
    // key, a hash of the same content as `order` compares (by slot).
    let open = |slot: u16| class.get(slot as usize).is_some_and(|&c| c != ALONE && undecided[c as usize]);
    let mut keys = vec![0u64; n];
    let mut buf = Vec::new();
    for (slot, t) in s.tasks.iter().enumerate() {
        if open(slot as u16) {
            buf.clear();
            encode_shape(t, &|x| anchored(x) as u32, &fixed, &mut buf);
            buf.extend(places(slot as u16));
            keys[slot] = hash(&buf);
        }
    }
    let alike_within = |keys: &[u64]| -> Vec<Vec<u16>> {
        let mut runs = Vec::new();
        for c in (0..shared.len()).filter(|&c| undecided[c]) {
            let mut slots: Vec<u16> = (0..n as u16).filter(|&x| class[x as usize] == c as u32).collect();
            slots.sort_by_key(|&slot| keys[slot as usize]);
            runs.extend(
                slots
                    .chunk_by(|a, b| keys[*a as usize] == keys[*b as usize])
                    .filter(|r| r.len() > 1)
                    .map(<[u16]>::to_vec),
            );
        }
        runs
    };
    let alike = alike_within(&keys);
    let mut by_shape = undecided.iter().all(|&u| u);
    if !alike.is_empty() {
        let (graph, mut colour) = Graph::new(s, &open, &anchored, &fixed, &|slot| keys[slot as usize], true);
        let runs: Vec<&[u16]> = alike.iter().map(Vec::as_slice).collect();
        graph.refine(&mut colour, &runs);
        for slot in alike.iter().flatten() {
            keys[*slot as usize] = colour[*slot as usize];
        }
        let still = alike_within(&keys);
        by_shape &= still.is_empty();
        for slot in still.iter().flatten() {
            buf.clear();
            buf.push(keys[*slot as usize]);
            encode_task(&s.tasks[*slot as usize], &|x| anchored(x) as u32, &fixed, &mut buf);
            buf.extend(places(*slot));
            keys[*slot as usize] = hash(&buf);
        }
    }
    let key = |slot: u16| keys[slot as usize];
    // Every class sorted by the key; tasks of undecided classes alike in it
    // are runs to tell apart by colour.
    let classes: Vec<(Vec<u16>, Vec<u16>)> = (0..shared.len())
        .map(|c| {
            let slots: Vec<u16> = (0..n as u16).filter(|&x| class[x as usize] == c as u32).collect();
            let mut sorted = slots.clone();
            if undecided[c] {
                sorted.sort_by_key(|&slot| key(slot));
            } else {
                sorted.sort_by(order);
            }
            (slots, sorted)
        })
        .collect();
    let mut runs: Vec<&[u16]> = Vec::new();
    for (_, sorted) in classes.iter().enumerate().filter(|(c, _)| undecided[*c]).map(|(_, c)| c) {
        runs.extend(sorted.chunk_by(|a, b| key(*a) == key(*b)).filter(|run| run.len() > 1));
    }
    // Each task's new slot by its key and colour; runs of tasks alike in both
    // as (their slots after the sort, the old slots put there).
    let place = |colour: &[u64], new_of: &mut [u16]| {
        let mut ties: Vec<(Vec<u16>, Vec<u16>)> = Vec::new();
        for (c, (slots, by_key)) in classes.iter().enumerate() {
            let by_colour: Vec<u16>;
            let mut sorted: &[u16] = by_key;
            if undecided[c] && !colour.is_empty() {
                let alike = |a: u16, b: u16| colour[a as usize] == colour[b as usize] && key(a) == key(b);
                by_colour = {
                    let mut v = by_key.clone();
                    v.sort_by(|a, b| {
                        key(*a).cmp(&key(*b)).then_with(|| colour[*a as usize].cmp(&colour[*b as usize]))
                    });
                    v
                };
                sorted = &by_colour;
                let mut i = 0;
                while i < sorted.len() {
                    let run = sorted[i..].iter().take_while(|&&x| alike(x, sorted[i])).count();
                    if run > 1 {
                        ties.push((slots[i..i + run].to_vec(), sorted[i..i + run].to_vec()));
                    }
                    i += run;
                }
            }
            for (&at, &old) in slots.iter().zip(sorted) {
                new_of[old as usize] = at;
            }
        }
        ties
    };
    let mut colour = Vec::new();
    let graph = (!runs.is_empty()).then(|| {
        let (graph, first) = Graph::new(s, &open, &anchored, &fixed, &key, false);
        colour = first;
        graph.refine(&mut colour, &runs);
        graph
    });
    // Tasks still alike are tried in every order, or, when there are too
    // many orders, one task of the first run is singled out with a colour of
    // its own (a different one each round) and the colours refined again.
    let mut new_of: Vec<u16> = (0..n as u16).collect();
    for round in 0..n as u64 {
        let ties = place(&colour, &mut new_of);
        if ties.is_empty() || least_order(p, s, &mut new_of, &ties) {
            break;
        }
        let Some(graph) = &graph else { break };
        let single = ties[0].1[0] as usize;
        colour[single] = finish(colour[single] ^ finish(round + 1));
        graph.refine(&mut colour, &runs);
    }
    let moved = new_of.iter().enumerate().any(|(i, &x)| i != x as usize);
    (moved.then_some(new_of), by_shape)
}

/// A state whose order its tasks' shapes decide alone (see
/// [`settled_print`]): its shape print, and its tasks with their prints, so
/// that a successor's print is computed only for the tasks its step changed
/// (the others are still the parent's: shared, not copied).
pub struct Settled {
    print: u64,
    tasks: Vec<(Arc<Task>, u64)>,
}

/// The shape print of `s` (canonical) when `reduce_symmetry` leaves it
/// as it is, in an order that the shapes of its tasks decide alone (see
/// `encode_shape`): it then also leaves as it is every canonical state with
/// the same print, as that order depends on nothing else. A search computes
/// it once per state, for `reduce_successor`; for a state that
/// `reduce_successor` found settled ([`Reduction::settled`]),
/// [`Settled::known`] gives the same without checking the order again.
pub fn settled_print(p: &Program, s: &State) -> Option<Settled> {
    let block = |t: &Task| (t.func != p.main, t.func);
    let settled = s.tasks.windows(2).all(|w| block(&w[0]) <= block(&w[1]))
        && matches!(order_within_functions(p, s), (None, true));
    settled.then(|| Settled::known(s))
}

impl Settled {
    /// The [`settled_print`] of a state known to be settled by shape: its
    /// prints, without the order pass that would only confirm it.
    pub fn known(s: &State) -> Settled {
        let tasks: Vec<(Arc<Task>, u64)> = s.tasks.iter().map(|t| (t.clone(), task_print(t))).collect();
        Settled { print: shape_print(s, |slot| tasks[slot].1), tasks }
    }
}

/// What [`reduce_successor`] did to a successor.
#[derive(Debug)]
pub struct Reduction {
    /// The renaming applied, if any.
    pub renaming: Option<Renaming>,
    /// Whether the successor, as reduced, is settled by shape: its
    /// [`settled_print`] is `Some`, and [`Settled::known`] gives it.
    pub settled: bool,
}

/// `reduce_symmetry` of a successor of a state `parent` settled by shape
/// (see [`settled_print`]): nothing to do when the successor has the same
/// print (the step changed no shape), the usual case. A state's print
/// settles it whatever its parent, so such a successor is settled too.
pub fn reduce_successor(p: &Program, s: &mut State, parent: Option<&Settled>) -> Reduction {
    if let Some(parent) = parent {
        let known = |slot: usize| match parent.tasks.get(slot) {
            Some((t, print)) if Arc::ptr_eq(t, &s.tasks[slot]) => *print,
            _ => task_print(&s.tasks[slot]),
        };
        if shape_print(s, known) == parent.print {
            return Reduction { renaming: None, settled: true };
        }
    }
    let (renaming, settled) = reduce(p, s);
    Reduction { renaming, settled }
}

/// A hash of everything the order of a state settled by shape depends on:
/// each task's shape (`task`: its `task_print` by slot) and each object's,
/// and the tasks and objects each object names, by slot and heap index. Two
/// states alike in it but not in that (a collision) cost a state kept in an
/// order that is not the least, never a wrong verdict: any order of a state
/// is that state.
fn shape_print(s: &State, task: impl Fn(usize) -> u64) -> u64 {
    let raw = |x: u16| x as u32;
    let mut print = Fold(s.tasks.len() as u64);
    print.extend((0..s.tasks.len()).map(task));
    print.extend([s.heap.len() as u64]);
    for o in &s.heap {
        encode_object_shape(o, &raw, &raw, &mut print);
        names(o, &mut |slot, at| print.extend([1 << 62 | at as u64, slot as u64]));
        refs_at(o, &mut |x, at| print.extend([1 << 61 | at as u64, x as u64]));
        print.extend([u64::MAX]);
    }
    finish(print.0)
}

/// A hash of a task's shape, with slots and heap indices as they are.
fn task_print(t: &Task) -> u64 {
    let raw = |x: u16| x as u32;
    let mut print = Fold(0);
    encode_shape(t, &raw, &raw, &mut print);
    finish(print.0)
}

/// A hash of numbers fed to it one by one.
struct Fold(u64);

impl Extend<u64> for Fold {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, xs: I) {
        for x in xs {
            self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(K);
        }
    }
}

const NONE: u16 = u16::MAX;

/// Numbers the objects reached from the model-level variables and from the
/// tasks for which `alone` holds (in slot order), breadth-first; `NONE` for the others.
fn anchors(p: &Program, s: &State, alone: &impl Fn(u16) -> bool) -> Vec<u16> {
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
        for v in t.values() {
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
/// Where a cond names its mutex, a group its context, a context its parent.
const MUTEX: usize = HOLDER - 1;
const GROUP_CTX: usize = HOLDER - 2;
const PARENT: usize = HOLDER - 3;

/// Calls `f` with each task slot an object names and where in the object.
fn names(o: &Object, f: &mut impl FnMut(u16, usize)) {
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

/// Calls `f` with each heap index an object refers to and where in the object
/// (a value's place carries its kind of handle).
fn refs_at(o: &Object, f: &mut impl FnMut(u16, usize)) {
    let values: &[Value] = match o {
        Object::Cell { value, .. } => std::slice::from_ref(value),
        Object::Array(xs) => xs,
        Object::Chan { buf, .. } => buf,
        Object::Cond { mutex } => return f(*mutex, MUTEX),
        Object::Group { ctx, .. } => return f(*ctx, GROUP_CTX),
        Object::Ctx { parent: Some(x), .. } => return f(*x, PARENT),
        _ => &[],
    };
    for (i, v) in values.iter().enumerate() {
        if let Value::Obj(x) | Value::Ref(x) | Value::Done(x) = *v {
            f(x, (kind(v) as usize) << 32 | i);
        }
    }
}

/// The kind of a value, as the tag of `value_code`.
fn kind(v: &Value) -> u64 {
    value_code(v, &|_| 0, &|_| 0) >> 32
}

/// The tasks for which `open` holds and the objects not anchored, as a graph
/// whose colours `refine` tells apart: each with the colour of its content
/// (those tasks and objects left blank; for the tasks, `first`: that of their
/// key), and what each names among them, and where. Other tasks are named by
/// `fixed`, anchored objects by their number. A colour is a hash: two things
/// may share one by chance, which costs states, never the independence from
/// the order the tasks come in.
struct Graph {
    /// The nodes: slots of tasks, and the task count plus a heap index for objects.
    nodes: Vec<usize>,
    /// What each node names, in order: `edges[start[k]..start[k + 1]]` for
    /// `nodes[k]`, as (place, named node).
    edges: Vec<(u64, usize)>,
    start: Vec<usize>,
}

impl Graph {
    /// The graph of `s`, with the first colours (indexed by slot, and by task
    /// count plus heap index); with `shape`, objects by their shape only
    /// (see `encode_object_shape`).
    fn new(
        s: &State,
        open: &impl Fn(u16) -> bool,
        anchored: &impl Fn(u16) -> u16,
        fixed: &impl Fn(u16) -> u32,
        first: &impl Fn(u16) -> u64,
        shape: bool,
    ) -> (Graph, Vec<u64>) {
        const BLANK: u32 = u32::MAX;
        let n = s.tasks.len();
        let free = |x: u16| anchored(x) == NONE;
        let nodes: Vec<usize> = (0..n)
            .filter(|&t| open(t as u16))
            .chain((0..s.heap.len()).filter(|&x| free(x as u16)).map(|x| n + x))
            .collect();
        let object = |x: u16| if free(x) { BLANK } else { anchored(x) as u32 };
        let task = |t: u16| if open(t) { BLANK } else { fixed(t) };
        // The first colours, and what each of these names among them, in order:
        // edges[start[k]..start[k + 1]] for nodes[k], as (place, named).
        let mut colour = vec![0u64; n + s.heap.len()];
        let mut edges: Vec<(u64, usize)> = Vec::new();
        let mut start = Vec::with_capacity(nodes.len() + 1);
        let mut buf = Vec::new();
        for &node in &nodes {
            start.push(edges.len());
            if node < n {
                let t = &s.tasks[node];
                colour[node] = first(node as u16);
                if let Some(o) = t.owner.filter(|&o| open(o)) {
                    edges.push((HOLDER as u64, o as usize));
                }
                if let Some(g) = t.group.filter(|&g| free(g)) {
                    edges.push((GROUP_CTX as u64, n + g as usize));
                }
                for (depth, f) in t.frames.iter().enumerate() {
                    // Locals by index, deferred operands by deferred call and index.
                    let locals = f.locals.iter().chain(&f.ret).enumerate().map(|(i, v)| (i as u64, v));
                    let deferred = f.defers.iter().enumerate().flat_map(|(j, d)| {
                        d.args
                            .iter()
                            .enumerate()
                            .map(move |(i, (_, v))| (1 << 31 | (j as u64) << 16 | i as u64, v))
                    });
                    for (at, v) in locals.chain(deferred) {
                        let place = kind(v) << 52 | (depth as u64) << 32 | at;
                        match *v {
                            Value::Obj(x) | Value::Ref(x) | Value::Done(x) if free(x) => {
                                edges.push((place, n + x as usize))
                            }
                            Value::Task(x) if open(x) => edges.push((place, x as usize)),
                            _ => {}
                        }
                    }
                }
            } else {
                let o = &s.heap[node - n];
                buf.clear();
                buf.push(u64::MAX);
                if shape {
                    encode_object_shape(o, &object, &task, &mut buf);
                } else {
                    encode_object(o, &object, &task, &mut buf);
                }
                colour[node] = hash(&buf);
                names(o, &mut |x, at| {
                    if open(x) {
                        edges.push((1 << 62 | at as u64, x as usize))
                    }
                });
                refs_at(o, &mut |x, at| {
                    if free(x) {
                        edges.push((1 << 62 | at as u64, n + x as usize))
                    }
                });
            }
        }
        start.push(edges.len());
        for (place, _) in &mut edges {
            *place = finish(*place);
        }
        (Graph { nodes, edges, start }, colour)
    }

    /// Refines `colour`: each round tells apart what differs in the colours
    /// of what it names or of what names it (and where), until the tasks of
    /// each of `runs` have colours of their own or a round tells nothing
    /// more apart.
    fn refine(&self, colour: &mut Vec<u64>, runs: &[&[u16]]) {
        let Graph { nodes, edges, start } = self;
        let mut buf = Vec::new();
        let split = |colour: &[u64]| {
            runs.iter().all(|run| {
                run.iter()
                    .enumerate()
                    .all(|(i, &x)| run[..i].iter().all(|&y| colour[x as usize] != colour[y as usize]))
            })
        };
        let count = |colour: &[u64], buf: &mut Vec<u64>| {
            buf.clear();
            buf.extend(nodes.iter().map(|&node| colour[node]));
            buf.sort_unstable();
            buf.dedup();
            buf.len()
        };
        if split(colour) {
            return;
        }
        let mut colours = count(colour, &mut buf);
        let mut next = colour.clone();
        let mut inflow = vec![0u64; colour.len()];
        loop {
            // What names each: the colours of the namers with the places, summed.
            inflow.iter_mut().for_each(|x| *x = 0);
            for (k, &node) in nodes.iter().enumerate() {
                for &(place, to) in &edges[start[k]..start[k + 1]] {
                    inflow[to] = inflow[to].wrapping_add(finish(colour[node] ^ place));
                }
            }
            for (k, &node) in nodes.iter().enumerate() {
                let named = edges[start[k]..start[k + 1]].iter().map(|&(place, to)| place ^ colour[to]);
                let h = named
                    .fold(colour[node] ^ finish(inflow[node]), |h, x| (h.rotate_left(5) ^ x).wrapping_mul(K));
                next[node] = finish(h);
            }
            std::mem::swap(colour, &mut next);
            if split(colour) {
                return;
            }
            let now = count(colour, &mut buf);
            if now <= colours {
                return;
            }
            colours = now;
        }
    }
}

/// The multiplier of the hashes here (FxHash's).
const K: u64 = 0x517c_c1b7_2722_0a95;

/// A hash of a sequence of numbers, in four independent lanes.
fn hash(xs: &[u64]) -> u64 {
    let mut lanes = [xs.len() as u64, 1, 2, 3];
    let mut chunks = xs.chunks_exact(4);
    for chunk in &mut chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane = (lane.rotate_left(5) ^ x).wrapping_mul(K);
        }
    }
    for (lane, &x) in lanes.iter_mut().zip(chunks.remainder()) {
        *lane = (lane.rotate_left(5) ^ x).wrapping_mul(K);
    }
    finish(lanes.iter().fold(0, |h, &lane| (h.rotate_left(5) ^ finish(lane)).wrapping_mul(K)))
}

/// Mixes the bits of `x` (the finaliser of splitmix64).
fn finish(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// How many orders of the tasks left with one colour are tried at most.
const ORDERS_TRIED: usize = 720;

/// Tasks alike in key and colour, to be ordered over their new slots.
struct Run<'a> {
    /// The new slots, in order.
    at: &'a [u16],
    /// The old slots of each block: tasks that can swap slots without
    /// changing the state, whose order among themselves does not matter.
    blocks: Vec<Vec<u16>>,
    /// The block whose task takes each new slot: the order being tried.
    order: Vec<u16>,
}

/// Among the orders of the tasks in `ties` (each run's old slots over its new
/// slots, see `reduce_symmetry`), with the other tasks placed by `new_of`,
/// puts in `new_of` one that gives the least state, and returns `true`.
/// Leaves `new_of` alone when every order gives one state (and returns
/// `true`), or when there are more than `ORDERS_TRIED` to try (`false`).
fn least_order(p: &Program, s: &State, new_of: &mut [u16], ties: &[(Vec<u16>, Vec<u16>)]) -> bool {
    let mut runs: Vec<Run> = Vec::new();
    let mut orders: usize = 1;
    for (at, olds) in ties {
        let mut blocks: Vec<Vec<u16>> = Vec::new();
        let mut olds = olds.clone();
        olds.sort_unstable();
        for old in olds {
            match blocks.iter_mut().find(|b| swaps_alike(p, s, b[0], old)) {
                Some(block) => block.push(old),
                None => blocks.push(vec![old]),
            }
        }
        if blocks.len() == 1 {
            continue;
        }
        // The orders of the blocks: at.len()! / (the product of their sizes!).
        let mut left = at.len();
        for b in &blocks {
            let mut ways: usize = 1;
            for i in 1..=b.len() {
                ways = ways * (left - b.len() + i) / i;
                if ways > ORDERS_TRIED {
                    return false;
                }
            }
            left -= b.len();
            orders = orders.saturating_mul(ways);
        }
        if orders > ORDERS_TRIED {
            return false;
        }
        let order =
            blocks.iter().enumerate().flat_map(|(i, b)| std::iter::repeat_n(i as u16, b.len())).collect();
        runs.push(Run { at, blocks, order });
    }
    if runs.is_empty() {
        return true;
    }
    let mut best: Option<(Vec<u64>, Vec<u16>)> = None;
    let mut key = Vec::new();
    loop {
        for run in &runs {
            let mut taken = vec![0; run.blocks.len()];
            for (&at, &b) in run.at.iter().zip(&run.order) {
                new_of[run.blocks[b as usize][taken[b as usize]] as usize] = at;
                taken[b as usize] += 1;
            }
        }
        let mut candidate = s.clone();
        permute_tasks(&mut candidate, new_of);
        let (events, _) = collect_heap(p, &mut candidate);
        assert!(events.is_empty(), "renumbering tasks collected an object");
        key.clear();
        encode(&candidate, &mut key);
        if best.as_ref().is_none_or(|(least, _)| key < *least) {
            best = Some((std::mem::take(&mut key), new_of.to_vec()));
        }
        // The next order: the first run that has one left moves on, the runs
        // before it start again.
        if !runs.iter_mut().any(|run| next_permutation(&mut run.order)) {
            break;
        }
    }
    let (_, least) = best.expect("at least one order");
    new_of.copy_from_slice(&least);
    true
}

/// Whether the tasks in slots `a` and `b` can swap slots without changing the state.
fn swaps_alike(p: &Program, s: &State, a: u16, b: u16) -> bool {
    let mut swapped = s.clone();
    let mut new_of: Vec<u16> = (0..s.tasks.len() as u16).collect();
    new_of.swap(a as usize, b as usize);
    permute_tasks(&mut swapped, &new_of);
    let (events, _) = collect_heap(p, &mut swapped);
    assert!(events.is_empty(), "renumbering tasks collected an object");
    swapped == *s
}

/// Rearranges `xs` into the next permutation in lexicographic order (equal
/// elements are not told apart); after the last one, into the first
/// (ascending) and returns `false`.
fn next_permutation(xs: &mut [u16]) -> bool {
    let Some(i) = xs.windows(2).rposition(|w| w[0] < w[1]) else {
        xs.reverse();
        return false;
    };
    let j = xs.iter().rposition(|&x| x > xs[i]).expect("a larger element after i");
    xs.swap(i, j);
    xs[i + 1..].reverse();
    true
}

/// A value as a number: handles by `object`, tasks by `task`.
fn value_code(v: &Value, object: &impl Fn(u16) -> u32, task: &impl Fn(u16) -> u32) -> u64 {
    let (tag, x): (u64, u64) = match *v {
        Value::Unit => (0, 0),
        Value::Bool(b) => (1, b as u64),
        Value::Int(i) => (2, (i as i64 + 0x8000) as u64),
        Value::Atom(a) => (3, a as u64),
        Value::Ok => (4, 0),
        Value::Err => (5, 0),
        Value::Nil => (6, 0),
        Value::Obj(o) => (7, object(o) as u64),
        Value::Ref(o) => (8, object(o) as u64),
        Value::Done(o) => (9, object(o) as u64),
        Value::Task(t) => (10, task(t) as u64),
        Value::TaskDone => (11, 0),
        Value::Func(f) => (12, f as u64),
    };
    tag << 32 | x
}

/// Writes a task as numbers (one task to one sequence): handles by `object`,
/// tasks by `task`.
fn encode_task(t: &Task, object: &impl Fn(u16) -> u32, task: &impl Fn(u16) -> u32, out: &mut Vec<u64>) {
    let value = |v: &Value| value_code(v, object, task);
    let opt = |x: Option<u32>| x.map_or(0, |x| x as u64 + 1);
    out.extend([t.func as u64, opt(t.owner.map(task)), opt(t.group.map(object)), t.phase as u64]);
    out.extend([t.wait as u64, t.spin as u64, t.seen as u64]);
    if let Some(p) = &t.panic {
        out.push(p.at.map_or(1, |(func, pc)| 2 | (func as u64) << 2 | (pc as u64) << 18));
        out.extend(p.detail.bytes().map(u64::from));
    }
    out.push(t.frames.len() as u64);
    for f in &t.frames {
        out.extend([f.func as u64, f.pc as u64, f.defers.len() as u64]);
        for d in &f.defers {
            out.extend([d.block as u64, d.args.len() as u64]);
            out.extend(d.args.iter().flat_map(|(l, v)| [*l as u64, value(v)]));
        }
        out.push(f.ret.as_ref().map_or(0, |v| 1 + value(v)));
        out.push(f.locals.len() as u64);
        out.extend(f.locals.iter().map(value));
    }
}

/// Writes what of a task changes with few steps, as numbers: its function,
/// owner and group, and per frame its function and the handles its locals,
/// result and deferred calls hold, where (handles by `object`, tasks by
/// `task`). Its place in the code and its other values are left out.
fn encode_shape(
    t: &Task,
    object: &impl Fn(u16) -> u32,
    task: &impl Fn(u16) -> u32,
    out: &mut impl Extend<u64>,
) {
    let opt = |x: Option<u32>| x.map_or(0, |x| x as u64 + 1);
    out.extend([t.func as u64, opt(t.owner.map(task)), opt(t.group.map(object)), t.frames.len() as u64]);
    let handle = |v: &Value| matches!(v, Value::Obj(_) | Value::Ref(_) | Value::Done(_) | Value::Task(_));
    for f in &t.frames {
        out.extend([f.func as u64]);
        let locals = f.locals.iter().chain(&f.ret).enumerate().map(|(i, v)| (i as u64, v));
        let deferred = f.defers.iter().enumerate().flat_map(|(j, d)| {
            d.args.iter().enumerate().map(move |(i, (_, v))| (1 << 31 | (j as u64) << 16 | i as u64, v))
        });
        for (at, v) in locals.chain(deferred).filter(|(_, v)| handle(v)) {
            out.extend([at, value_code(v, object, task)]);
        }
    }
}

/// Writes what of an object changes with few steps, as numbers: its kind,
/// and the contexts, groups and mutexes it names (by `object`) and the task
/// holding a context (by `task`). What it buffers or counts is left out.
fn encode_object_shape(
    o: &Object,
    object: &impl Fn(u16) -> u32,
    task: &impl Fn(u16) -> u32,
    out: &mut impl Extend<u64>,
) {
    let opt = |x: Option<u32>| x.map_or(0, |x| x as u64 + 1);
    match o {
        Object::Cell { .. } => out.extend([0]),
        Object::Array(xs) => out.extend([1, xs.len() as u64]),
        Object::Chan { cap, .. } => out.extend([2, *cap as u64]),
        Object::Mutex { .. } => out.extend([3]),
        Object::RwMutex(_) => out.extend([4]),
        Object::Cond { mutex } => out.extend([5, object(*mutex) as u64]),
        Object::Once { .. } => out.extend([6]),
        Object::WaitGroup { .. } => out.extend([7]),
        Object::Group { ctx, .. } => out.extend([8, object(*ctx) as u64]),
        Object::Ctx { kind, parent, holder, .. } => {
            out.extend([9, *kind as u64, opt(parent.map(object)), opt(holder.map(task))])
        }
        Object::Ticker { short, .. } => out.extend([10 + 2 * *short as u64]),
        Object::Timer { short, .. } => out.extend([11 + 2 * *short as u64]),
    }
}

/// Writes an object as numbers (one object to one sequence): handles by
/// `object`, tasks by `task`.
fn encode_object(o: &Object, object: &impl Fn(u16) -> u32, task: &impl Fn(u16) -> u32, out: &mut Vec<u64>) {
    let opt = |x: Option<u32>| x.map_or(0, |x| x as u64 + 1);
    let values = |out: &mut Vec<u64>, vs: &[Value]| {
        out.push(vs.len() as u64);
        out.extend(vs.iter().map(|v| value_code(v, object, task)));
    };
    match o {
        Object::Cell { value, range } => {
            out.extend([
                0,
                range.map_or(0, |(lo, hi)| 1 << 32 | (lo as u16 as u64) << 16 | hi as u16 as u64),
            ]);
            values(out, std::slice::from_ref(value));
        }
        Object::Array(xs) => {
            out.push(1);
            values(out, xs);
        }
        Object::Chan { cap, buf, closed } => {
            out.extend([2, *cap as u64, *closed as u64]);
            values(out, buf);
        }
        Object::Mutex { locked } => out.extend([3, *locked as u64]),
        Object::RwMutex(crate::RwMutex { count, writer, wait, rsem, wsem }) => {
            out.extend([4, *count as u64, *writer as u64, *wait as u8 as u64, *rsem as u64, *wsem as u64])
        }
        Object::Cond { mutex } => out.extend([5, object(*mutex) as u64]),
        Object::Once { state } => out.extend([6, *state as u64]),
        Object::WaitGroup { count, waiters } => out.extend([7, *count as u16 as u64, *waiters as u64]),
        Object::Group { ctx, active, limit, failed, waiters } => out.extend([
            8,
            object(*ctx) as u64,
            *active as u64,
            *limit as u64,
            *failed as u64,
            *waiters as u64,
        ]),
        Object::Ctx { kind, parent, cancelled, cancel_called, creator, holder, aged, walking } => {
            out.extend([
                9,
                *kind as u64,
                opt(parent.map(object)),
                *cancelled as u64,
                *cancel_called as u64,
                *creator as u64,
                opt(holder.map(task)),
                *aged as u64 | (*walking as u64) << 1,
            ])
        }
        Object::Ticker { running, pending, creator, short, aged } => out.extend([
            10 + 2 * *short as u64,
            *running as u64,
            *pending as u64 | (*aged as u64) << 1,
            *creator as u64,
        ]),
        Object::Timer { state, creator, short, aged } => {
            out.extend([11 + 2 * *short as u64, *state as u64 | (*aged as u64) << 3, *creator as u64])
        }
    }
}

/// Writes the whole state (but the signal, the same in every order of it) as
/// numbers, one state to one sequence, so that its orders can be compared.
fn encode(s: &State, out: &mut Vec<u64>) {
    let object = |x: u16| x as u32;
    let task = |t: u16| t as u32;
    out.push(s.tasks.len() as u64);
    for t in &s.tasks {
        encode_task(t, &object, &task, out);
    }
    out.push(s.heap.len() as u64);
    for o in &s.heap {
        encode_object(o, &object, &task, out);
    }
}

/// Compares two tasks by their content: handles by `object`, task handles and
/// owners by `task`.
fn compare(a: &Task, b: &Task, object: &impl Fn(u16) -> u32, task: &impl Fn(u16) -> u32) -> Ordering {
    if std::ptr::eq(a, b) {
        // One task shared by two slots (see `State::tasks`): the same content.
        return Ordering::Equal;
    }
    let value = |v: &Value| value_code(v, object, task);
    let frame = |x: &Frame, y: &Frame| {
        let ret = |f: &Frame| f.ret.as_ref().map(value);
        (x.func, x.pc)
            .cmp(&(y.func, y.pc))
            .then_with(|| deferred(x, &value).cmp(deferred(y, &value)))
            .then_with(|| ret(x).cmp(&ret(y)))
            .then_with(|| x.locals.iter().map(value).cmp(y.locals.iter().map(value)))
    };
    let group = |t: &Task| t.group.map(object);
    let owner = |t: &Task| t.owner.map(task);
    (a.phase, a.wait, a.spin, a.seen, owner(a), group(a), a.frames.len(), &a.panic)
        .cmp(&(b.phase, b.wait, b.spin, b.seen, owner(b), group(b), b.frames.len(), &b.panic))
        .then_with(|| {
            let mut frames = a.frames.iter().zip(&b.frames).map(|(x, y)| frame(x, y));
            frames.find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
        })
}

/// A frame's deferred calls, as `compare` orders them: each block with its
/// number of operands, then each operand's local and value.
fn deferred<'a>(f: &'a Frame, value: &'a impl Fn(&Value) -> u64) -> impl Iterator<Item = u64> + 'a {
    f.defers.iter().flat_map(move |d| {
        std::iter::once(d.block as u64 | (d.args.len() as u64) << 16)
            .chain(d.args.iter().flat_map(move |(l, v)| [*l as u64, value(v)]))
    })
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
    let mut tasks: Vec<Option<Arc<Task>>> = std::mem::take(&mut s.tasks).into_iter().map(Some).collect();
    let mut placed: Vec<Option<Arc<Task>>> = vec![None; tasks.len()];
    for (old, &new) in new_of.iter().enumerate() {
        placed[new as usize] = tasks[old].take();
    }
    s.tasks = placed.into_iter().map(|t| t.expect("a permutation")).collect();
    let map: Vec<Option<u16>> = new_of.iter().map(|&x| Some(x)).collect();
    rewrite_slots(s, &map);
}
