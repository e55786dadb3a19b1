//! The compact byte form of a state in the visited set: numbers as LEB128
//! varints (signed ones zig-zagged), every enum as its variant number, every
//! sequence and option with its length or presence first. Two states are the
//! same state exactly when their bytes are equal: `decode` inverts `encode`,
//! so the encoding is injective (the round trip is tested on every state of
//! the corpus).
//!
//! Each task's bytes come with their length first, so that the visited set
//! can store every task and the heap once and a state as their numbers
//! ([`split`], [`join`]: SPIN's COLLAPSE compression).

use leash_semantics::{CtxKind, Deferred, Frame, Object, Panic, State, Task, TimerState, Value};
use std::sync::Arc;

/// Appends the encoding of `s` to `out`.
pub(crate) fn encode(s: &State, out: &mut Vec<u8>) {
    let mut w = Writer(out);
    w.num(s.signalled as u64 | (s.instant as u64) << 1);
    w.num(s.tasks.len() as u64);
    for t in &s.tasks {
        // One byte is kept for the length, which is almost always below 128;
        // a longer task moves its bytes to make room for the longer varint.
        let at = w.0.len();
        w.0.push(0);
        task(&mut w, t);
        let len = w.0.len() - at - 1;
        if len < 0x80 {
            w.0[at] = len as u8;
        } else {
            let (bytes, n) = varint(len as u64);
            w.0.splice(at..at + 1, bytes[..n].iter().copied());
        }
    }
    heap(&mut w, &s.heap);
}

/// A successor's encoding for the visited set: its header (flags and task
/// count), then for each task and for the heap either the number of the part
/// its parent stored for it (the same task in the same slot, or the same
/// heap) or its own bytes. Most steps change one or two tasks, so most parts
/// are neither encoded again nor looked up again.
#[derive(Debug, Default)]
pub(crate) struct Successor {
    /// The header, then the bytes of the parts that are new.
    pub bytes: Vec<u8>,
    /// Where the header ends in `bytes`.
    pub header: usize,
    /// The tasks' parts in slot order, then the heap's.
    pub parts: Vec<Part>,
}

/// One part of a [`Successor`].
#[derive(Clone, Debug)]
pub(crate) enum Part {
    /// The number of a part already stored.
    Known(u32),
    /// The part's bytes, at this range of [`Successor::bytes`].
    New(std::ops::Range<usize>),
}

/// Encodes `s`, a successor of `parent`, whose tasks' parts and heap's part
/// are stored as `parent_parts` (in slot order, the heap's last).
pub(crate) fn encode_successor(s: &State, parent: &State, parent_parts: &[u32], out: &mut Successor) {
    out.bytes.clear();
    out.parts.clear();
    let mut w = Writer(&mut out.bytes);
    w.num(s.signalled as u64 | (s.instant as u64) << 1);
    w.num(s.tasks.len() as u64);
    out.header = w.0.len();
    for (slot, t) in s.tasks.iter().enumerate() {
        if parent.tasks.get(slot) == Some(t) {
            out.parts.push(Part::Known(parent_parts[slot]));
        } else {
            let start = w.0.len();
            task(&mut w, t);
            out.parts.push(Part::New(start..w.0.len()));
        }
    }
    if s.heap == parent.heap {
        out.parts.push(Part::Known(parent_parts[parent.tasks.len()]));
    } else {
        let start = w.0.len();
        heap(&mut w, &s.heap);
        out.parts.push(Part::New(start..w.0.len()));
    }
}

fn heap(w: &mut Writer, heap: &[Object]) {
    w.num(heap.len() as u64);
    for o in heap {
        w.object(o);
    }
}

/// Where the parts of an encoded state are: returns the end of its header
/// (flags and task count) and pushes the range of each task, then of the
/// heap, to `parts`.
pub(crate) fn split(flat: &[u8], parts: &mut Vec<std::ops::Range<usize>>) -> usize {
    let mut r = Reader { bytes: flat, at: 0 };
    r.num();
    let tasks = r.num();
    let header = r.at;
    for _ in 0..tasks {
        let len = r.num() as usize;
        parts.push(r.at..r.at + len);
        r.at += len;
    }
    parts.push(r.at..flat.len());
    header
}

/// Appends to `out` the start of an encoded state: `header` (as [`split`]
/// found it) and its tasks' parts; its heap's part comes next, as it is.
pub(crate) fn join<'a>(header: &[u8], tasks: impl Iterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    out.extend_from_slice(header);
    for t in tasks {
        Writer(out).num(t.len() as u64);
        out.extend_from_slice(t);
    }
}

/// Appends `x` as a varint.
pub(crate) fn put_num(out: &mut Vec<u8>, x: u64) {
    Writer(out).num(x);
}

/// The varint at `*at` in `bytes`; moves `*at` past it.
pub(crate) fn get_num(bytes: &[u8], at: &mut usize) -> u64 {
    let mut r = Reader { bytes, at: *at };
    let x = r.num();
    *at = r.at;
    x
}

fn task(w: &mut Writer, t: &Task) {
    w.num(t.func as u64);
    w.opt(t.owner);
    w.opt(t.group);
    w.num(t.phase as u64);
    w.num(t.wait as u64);
    w.num(t.spin as u64 | (t.seen as u64) << 2 | (t.panic.is_some() as u64) << 3);
    if let Some(p) = &t.panic {
        match p.at {
            None => w.num(0),
            Some((func, pc)) => {
                w.num(1);
                w.num(func as u64);
                w.num(pc as u64);
            }
        }
        w.num(p.detail.len() as u64);
        p.detail.bytes().for_each(|b| w.num(b as u64));
    }
    w.num(t.frames.len() as u64);
    for f in &t.frames {
        w.num(f.func as u64);
        w.num(f.pc as u64);
        w.values(&f.locals);
        w.num(f.defers.len() as u64);
        for d in &f.defers {
            w.num(d.block as u64);
            w.num(d.args.len() as u64);
            for (local, v) in &d.args {
                w.num(*local as u64);
                w.value(v);
            }
        }
        match &f.ret {
            None => w.num(0),
            Some(v) => {
                w.num(1);
                w.value(v);
            }
        }
    }
}

/// The state encoded in `bytes`.
pub(crate) fn decode(bytes: &[u8]) -> State {
    let mut r = Reader { bytes, at: 0 };
    let (signalled, instant) = flags(r.num());
    let tasks = (0..r.num())
        .map(|_| {
            r.num();
            Arc::new(r.task())
        })
        .collect();
    let heap = r.heap();
    assert_eq!(r.at, bytes.len(), "a stored state decodes to its end");
    State { tasks, heap, signalled, instant }
}

/// A state from its parts as [`split`] cuts them: the header, each task's
/// bytes (taken from `cache` when it has them: a task's part number always
/// names the same bytes), and the heap's. Equal to [`decode`] of the whole.
pub(crate) fn decode_parts<'a>(
    header: &[u8],
    tasks: impl Iterator<Item = (u32, &'a [u8])>,
    heap: &[u8],
    cache: &mut TaskCache,
) -> State {
    let (signalled, instant) = flags(Reader { bytes: header, at: 0 }.num());
    if cache.len() > TASK_CACHE_MAX {
        cache.clear();
    }
    let tasks = tasks
        .map(|(id, bytes)| {
            cache
                .entry(id)
                .or_insert_with(|| {
                    let mut r = Reader { bytes, at: 0 };
                    let task = Arc::new(r.task());
                    assert_eq!(r.at, bytes.len(), "a stored task decodes to its end");
                    task
                })
                .clone()
        })
        .collect();
    let mut r = Reader { bytes: heap, at: 0 };
    let heap = r.heap();
    assert_eq!(r.at, r.bytes.len(), "a stored heap decodes to its end");
    State { tasks, heap, signalled, instant }
}

/// Tasks decoded so far, by part number, shared by the states that hold
/// them: a task a step did not change is then the same `Arc` in the parent
/// and in the successor, and compares equal at once.
pub(crate) type TaskCache = rustc_hash::FxHashMap<u32, Arc<Task>>;

/// How many tasks a [`TaskCache`] keeps before it starts again.
const TASK_CACHE_MAX: usize = 1 << 16;

fn flags(x: u64) -> (bool, bool) {
    (x & 1 != 0, x & 2 != 0)
}

struct Writer<'a>(&'a mut Vec<u8>);

/// `x` as a varint: its bytes and how many there are.
fn varint(mut x: u64) -> ([u8; 10], usize) {
    let (mut bytes, mut n) = ([0u8; 10], 0);
    while x >= 0x80 {
        bytes[n] = x as u8 | 0x80;
        x >>= 7;
        n += 1;
    }
    bytes[n] = x as u8;
    (bytes, n + 1)
}

impl Writer<'_> {
    fn num(&mut self, x: u64) {
        if x < 0x80 {
            self.0.push(x as u8);
        } else {
            let (bytes, n) = varint(x);
            self.0.extend_from_slice(&bytes[..n]);
        }
    }

    fn int(&mut self, x: i16) {
        self.num(((x as i64) << 1 ^ (x as i64) >> 63) as u64);
    }

    fn flag(&mut self, b: bool) {
        self.0.push(b as u8);
    }

    fn opt(&mut self, x: Option<u16>) {
        match x {
            None => self.num(0),
            Some(x) => self.num(x as u64 + 1),
        }
    }

    fn value(&mut self, v: &Value) {
        let (tag, x) = match *v {
            Value::Unit => (0, None),
            Value::Bool(b) => (1, Some(b as u64)),
            Value::Int(i) => {
                self.num(2);
                return self.int(i);
            }
            Value::Atom(a) => (3, Some(a as u64)),
            Value::Ok => (4, None),
            Value::Err => (5, None),
            Value::Nil => (6, None),
            Value::Obj(o) => (7, Some(o as u64)),
            Value::Ref(o) => (8, Some(o as u64)),
            Value::Done(o) => (9, Some(o as u64)),
            Value::Task(t) => (10, Some(t as u64)),
            Value::TaskDone => (11, None),
            Value::Func(f) => (12, Some(f as u64)),
        };
        self.num(tag);
        if let Some(x) = x {
            self.num(x);
        }
    }

    fn values(&mut self, vs: &[Value]) {
        self.num(vs.len() as u64);
        vs.iter().for_each(|v| self.value(v));
    }

    fn object(&mut self, o: &Object) {
        match o {
            Object::Cell { value, range } => {
                self.num(0);
                self.value(value);
                match range {
                    None => self.num(0),
                    Some((lo, hi)) => {
                        self.num(1);
                        self.int(*lo);
                        self.int(*hi);
                    }
                }
            }
            Object::Array(xs) => {
                self.num(1);
                self.values(xs);
            }
            Object::Chan { cap, buf, closed } => {
                self.num(2);
                self.num(*cap as u64);
                self.values(buf);
                self.flag(*closed);
            }
            Object::Mutex { locked } => {
                self.num(3);
                self.flag(*locked);
            }
            Object::RwMutex(leash_semantics::RwMutex { count, writer, wait, rsem, wsem }) => {
                self.num(4);
                self.num(*count as u64);
                self.flag(*writer);
                self.int(*wait as i16);
                self.num(*rsem as u64);
                self.num(*wsem as u64);
            }
            Object::Cond { mutex } => {
                self.num(5);
                self.num(*mutex as u64);
            }
            Object::Once { state } => {
                self.num(6);
                self.num(*state as u64);
            }
            Object::WaitGroup { count, waiters } => {
                self.num(7);
                self.int(*count);
                self.num(*waiters as u64);
            }
            Object::Group { ctx, active, limit, failed, waiters } => {
                self.num(8);
                self.num(*ctx as u64);
                self.num(*active as u64);
                self.num(*limit as u64);
                self.flag(*failed);
                self.num(*waiters as u64);
            }
            Object::Ctx { kind, parent, cancelled, cancel_called, creator, holder, aged, walking } => {
                self.num(9);
                self.num(match kind {
                    CtxKind::Background => 0,
                    CtxKind::Signal => 1,
                    CtxKind::Cancel => 2,
                    CtxKind::Timeout => 3,
                    CtxKind::Group => 4,
                });
                self.opt(*parent);
                self.flag(*cancelled);
                self.flag(*cancel_called);
                self.num(*creator as u64);
                self.opt(*holder);
                self.num(*aged as u64 | (*walking as u64) << 1);
            }
            Object::Ticker { running, pending, creator, short, aged } => {
                self.num(10 + 2 * *short as u64);
                self.flag(*running);
                self.num(*pending as u64 | (*aged as u64) << 1);
                self.num(*creator as u64);
            }
            Object::Timer { state, creator, short, aged } => {
                self.num(11 + 2 * *short as u64);
                self.flag(*aged);
                self.num(match state {
                    TimerState::Armed => 0,
                    TimerState::Pending => 1,
                    TimerState::Done => 2,
                    TimerState::Stopped => 3,
                    TimerState::Rearmed => 4,
                });
                self.num(*creator as u64);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn task(&mut self) -> Task {
        let (func, owner, group, phase, wait, flags) =
            (self.u16(), self.opt(), self.opt(), self.num() as u8, self.u16(), self.num());
        let (spin, seen) = ((flags & 3) as u8, flags & 4 != 0);
        let panic = (flags & 8 != 0).then(|| {
            let at = (self.num() == 1).then(|| (self.u16(), self.u16()));
            let bytes: Vec<u8> = (0..self.num()).map(|_| self.num() as u8).collect();
            Arc::new(Panic { at, detail: String::from_utf8(bytes).expect("a panic's message is text") })
        });
        let frames = (0..self.num())
            .map(|_| {
                let (func, pc, locals) = (self.u16(), self.u16(), self.values());
                let defers = (0..self.num())
                    .map(|_| {
                        let block = self.u16();
                        let args = (0..self.num()).map(|_| (self.u16(), self.value())).collect();
                        Deferred { block, args }
                    })
                    .collect();
                let ret = (self.num() == 1).then(|| self.value());
                Frame { func, pc, locals, defers, ret }
            })
            .collect();
        Task { func, owner, group, phase, wait, spin, seen, frames, panic }
    }

    fn heap(&mut self) -> Vec<Object> {
        (0..self.num()).map(|_| self.object()).collect()
    }

    fn num(&mut self) -> u64 {
        let (mut x, mut shift) = (0u64, 0);
        loop {
            let b = self.bytes[self.at];
            self.at += 1;
            x |= ((b & 0x7F) as u64) << shift;
            if b < 0x80 {
                return x;
            }
            shift += 7;
        }
    }

    fn u16(&mut self) -> u16 {
        self.num() as u16
    }

    fn u8(&mut self) -> u8 {
        self.num() as u8
    }

    fn int(&mut self) -> i16 {
        let z = self.num();
        ((z >> 1) as i64 ^ -((z & 1) as i64)) as i16
    }

    fn flag(&mut self) -> bool {
        self.at += 1;
        self.bytes[self.at - 1] != 0
    }

    fn opt(&mut self) -> Option<u16> {
        match self.num() {
            0 => None,
            x => Some((x - 1) as u16),
        }
    }

    fn value(&mut self) -> Value {
        match self.num() {
            0 => Value::Unit,
            1 => Value::Bool(self.num() != 0),
            2 => Value::Int(self.int()),
            3 => Value::Atom(self.u16()),
            4 => Value::Ok,
            5 => Value::Err,
            6 => Value::Nil,
            7 => Value::Obj(self.u16()),
            8 => Value::Ref(self.u16()),
            9 => Value::Done(self.u16()),
            10 => Value::Task(self.u16()),
            11 => Value::TaskDone,
            12 => Value::Func(self.u16()),
            tag => unreachable!("value tag {tag} is never written"),
        }
    }

    fn values(&mut self) -> Vec<Value> {
        (0..self.num()).map(|_| self.value()).collect()
    }

    fn object(&mut self) -> Object {
        match self.num() {
            0 => {
                let value = self.value();
                let range = (self.num() == 1).then(|| (self.int(), self.int()));
                Object::Cell { value, range }
            }
            1 => Object::Array(self.values()),
            2 => Object::Chan { cap: self.u8(), buf: self.values(), closed: self.flag() },
            3 => Object::Mutex { locked: self.flag() },
            4 => Object::RwMutex(leash_semantics::RwMutex {
                count: self.u8(),
                writer: self.flag(),
                wait: self.int() as i8,
                rsem: self.u8(),
                wsem: self.u8(),
            }),
            5 => Object::Cond { mutex: self.u16() },
            6 => Object::Once { state: self.u8() },
            7 => Object::WaitGroup { count: self.int(), waiters: self.u8() },
            8 => Object::Group {
                ctx: self.u16(),
                active: self.u8(),
                limit: self.u8(),
                failed: self.flag(),
                waiters: self.u8(),
            },
            9 => {
                let kind = match self.num() {
                    0 => CtxKind::Background,
                    1 => CtxKind::Signal,
                    2 => CtxKind::Cancel,
                    3 => CtxKind::Timeout,
                    _ => CtxKind::Group,
                };
                let (parent, cancelled, cancel_called) = (self.opt(), self.flag(), self.flag());
                let (creator, holder) = (self.u16(), self.opt());
                let (aged, walking) = flags(self.num());
                Object::Ctx { kind, parent, cancelled, cancel_called, creator, holder, aged, walking }
            }
            tag @ (10 | 12) => {
                let running = self.flag();
                let (pending, aged) = flags(self.num());
                Object::Ticker { running, pending, creator: self.u16(), short: tag == 12, aged }
            }
            tag @ (11 | 13) => Object::Timer {
                short: tag == 13,
                aged: self.flag(),
                state: match self.num() {
                    0 => TimerState::Armed,
                    1 => TimerState::Pending,
                    2 => TimerState::Done,
                    3 => TimerState::Stopped,
                    _ => TimerState::Rearmed,
                },
                creator: self.u16(),
            },
            tag => unreachable!("object tag {tag} is never written"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leash_semantics::{apply, enabled, initial, Scenario};
    use std::collections::{HashSet, VecDeque};

    fn round_trip(s: &State) {
        let mut bytes = Vec::new();
        encode(s, &mut bytes);
        assert_eq!(&decode(&bytes), s);
    }

    #[test]
    fn every_kind_of_value_and_object_round_trips() {
        let values = vec![
            Value::Unit,
            Value::Bool(true),
            Value::Int(i16::MIN),
            Value::Int(-1),
            Value::Int(i16::MAX),
            Value::Atom(300),
            Value::Ok,
            Value::Err,
            Value::Nil,
            Value::Obj(u16::MAX),
            Value::Ref(1),
            Value::Done(128),
            Value::Task(2),
            Value::TaskDone,
            Value::Func(7),
        ];
        let heap = vec![
            Object::Cell { value: Value::Int(-5), range: Some((-3, 30_000)) },
            Object::Cell { value: Value::Unit, range: None },
            Object::Array(values.clone()),
            Object::Chan { cap: 16, buf: vec![Value::Int(3)], closed: true },
            Object::Mutex { locked: true },
            Object::RwMutex(leash_semantics::RwMutex {
                count: 255,
                writer: true,
                wait: -1,
                rsem: 2,
                wsem: 1,
            }),
            Object::Cond { mutex: 4 },
            Object::Once { state: 2 },
            Object::WaitGroup { count: -2, waiters: 3 },
            Object::Group { ctx: 10, active: 3, limit: 0, failed: true, waiters: 2 },
            Object::Ctx {
                kind: CtxKind::Timeout,
                parent: Some(0),
                cancelled: true,
                cancel_called: false,
                creator: 3,
                holder: Some(u16::MAX - 1),
                aged: true,
                walking: true,
            },
            Object::Ctx {
                kind: CtxKind::Group,
                parent: None,
                cancelled: false,
                cancel_called: true,
                creator: 0,
                holder: None,
                aged: false,
                walking: false,
            },
            Object::Ticker { running: false, pending: true, creator: 9, short: false, aged: false },
            Object::Ticker { running: true, pending: false, creator: 2, short: true, aged: true },
            Object::Timer { state: TimerState::Pending, creator: 1, short: false, aged: false },
            Object::Timer { state: TimerState::Done, creator: 1, short: true, aged: false },
            Object::Timer { state: TimerState::Stopped, creator: 1, short: false, aged: false },
            Object::Timer { state: TimerState::Rearmed, creator: 1, short: false, aged: false },
            Object::Timer { state: TimerState::Armed, creator: 2, short: false, aged: true },
        ];
        let defers = vec![
            Deferred { block: 9, args: vec![] },
            Deferred { block: 200, args: vec![(3, Value::Obj(7)), (300, Value::Int(-4))] },
        ];
        let frame = Frame { func: 3, pc: 500, locals: values, defers, ret: Some(Value::Err) };
        let task = Task {
            func: 1,
            owner: Some(0),
            group: None,
            phase: 2,
            wait: 300,
            spin: 2,
            seen: true,
            frames: vec![frame, Frame { func: 0, pc: 0, locals: vec![], defers: vec![], ret: None }],
            panic: Some(Arc::new(Panic { at: Some((3, 400)), detail: "send on closed channel".into() })),
        };
        round_trip(&State {
            tasks: vec![
                Arc::new(task.clone()),
                Arc::new(Task { owner: None, group: Some(3), panic: None, ..task.clone() }),
                Arc::new(Task { panic: Some(Arc::new(Panic { at: None, detail: String::new() })), ..task }),
            ],
            heap,
            signalled: true,
            instant: true,
        });
        round_trip(&State::default());
    }

    #[test]
    fn a_task_of_any_length_is_split_out_whole() {
        let long = |n: usize| Task {
            func: 1,
            owner: None,
            group: None,
            phase: 0,
            wait: 0,
            spin: 0,
            seen: false,
            frames: vec![Frame {
                func: 1,
                pc: 2,
                locals: vec![Value::Int(300); n],
                defers: vec![],
                ret: None,
            }],
            panic: None,
        };
        let tasks: Vec<Task> = [0, 40, 41, 42, 100, 6000].into_iter().map(long).collect();
        let s = State {
            tasks: tasks.iter().cloned().map(Arc::new).collect(),
            heap: vec![Object::Mutex { locked: false }],
            ..State::default()
        };
        round_trip(&s);
        let mut bytes = Vec::new();
        encode(&s, &mut bytes);
        let mut parts = Vec::new();
        split(&bytes, &mut parts);
        assert_eq!(parts.len(), tasks.len() + 1);
        for (t, range) in tasks.iter().zip(&parts) {
            let mut alone = Vec::new();
            task(&mut Writer(&mut alone), t);
            assert_eq!(&bytes[range.clone()], &alone[..]);
        }
    }

    #[test]
    fn every_state_of_the_corpus_round_trips_and_is_stored_once() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let mut dirs = vec![root];
        let mut checked = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).expect("models") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let Ok(p) = leash_ir::compile(&std::fs::read_to_string(&path).expect("readable")) else {
                    continue;
                };
                let Ok(init) = initial(&p) else { continue };
                for scenario in Scenario::ALL {
                    let mut seen = HashSet::from([init.state.clone()]);
                    let mut queue = VecDeque::from([init.state.clone()]);
                    // The visited set stores states by parts: each distinct
                    // state gets a new number, comes back whole, and is found again.
                    let mut store = crate::store::Store::new();
                    // Successors go in by their parent's parts too, and
                    // are the same states as when they are stored whole.
                    let mut twin = crate::store::Store::new();
                    let mut successor = Successor::default();
                    let mut cache = TaskCache::default();
                    while let Some(s) = queue.pop_front() {
                        round_trip(&s);
                        let (i, new) = store.insert(&s, (0, 0), 0);
                        assert!(new, "a distinct state is new to the store");
                        assert_eq!(store.get(i), s);
                        assert_eq!(store.insert(&s, (0, 0), 0), (i, false));
                        checked += 1;
                        let (parent, _) = twin.insert(&s, (0, 0), 0);
                        let (shared, parts) = twin.get_shared(parent, &mut cache);
                        assert_eq!(shared, s);
                        for t in enabled(&p, &s, scenario) {
                            if let Ok(a) = apply(&p, &s, &t, scenario) {
                                encode_successor(&a.state, &s, &parts, &mut successor);
                                let (j, _) = twin.insert_successor(&successor, (parent, 0), 1, false);
                                assert_eq!(twin.get(j), a.state);
                                assert_eq!(twin.get_shared(j, &mut cache).0, a.state);
                                assert_eq!(twin.insert(&a.state, (0, 0), 0), (j, false));
                                if seen.len() < 500 && seen.insert(a.state.clone()) {
                                    queue.push_back(a.state);
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 5_000, "{checked} states");
    }
}
