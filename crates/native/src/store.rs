//! The visited set. A state is stored as the numbers of its parts, SPIN's
//! COLLAPSE compression: each task's encoding and the heap's are kept once in
//! a table of parts ([`Parts`]), and a state is its header (flags and task
//! count) followed by the varint numbers of its tasks' parts and its heap's
//! part. Two states are equal exactly when these records are (parts are
//! stored once each), so the records are what the hash table of states, with
//! a fixed-seed hash, compares. Breadth-first parent links and depths sit
//! beside them.

use crate::encode::{
    decode, decode_parts, encode, get_num, join, put_num, split, Part, Successor, TaskCache,
};
use crate::offsets::Offsets;
use hashbrown::HashTable;
use leash_semantics::State;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;

/// Byte strings in one arena, each stored once, numbered in order.
struct Arena {
    bytes: Vec<u8>,
    starts: Offsets,
    table: HashTable<u32>,
}

impl Arena {
    fn new() -> Arena {
        let mut starts = Offsets::default();
        starts.push(0);
        Arena { bytes: Vec::new(), starts, table: HashTable::new() }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn get(&self, i: u32) -> &[u8] {
        span(&self.bytes, &self.starts, i)
    }

    /// The number of `item`, stored now if it is new, and whether it is.
    fn intern(&mut self, item: &[u8]) -> (u32, bool) {
        let h = hash(item);
        let Arena { bytes, starts, table } = self;
        if let Some(&i) = table.find(h, |&i| span(bytes, starts, i) == item) {
            return (i, false);
        }
        let i = (starts.len() - 1) as u32;
        bytes.extend_from_slice(item);
        starts.push(bytes.len() as u64);
        let (bytes, starts) = (&self.bytes, &self.starts);
        self.table.insert_unique(h, i, |&j| hash(span(bytes, starts, j)));
        (i, true)
    }

    fn bytes(&self) -> usize {
        self.bytes.len() + self.starts.bytes() + self.table.capacity() * 5
    }
}

/// The `i`th string of an arena's bytes.
fn span<'a>(bytes: &'a [u8], starts: &Offsets, i: u32) -> &'a [u8] {
    &bytes[starts.get(i as usize) as usize..starts.get(i as usize + 1) as usize]
}

/// Distinct states in discovery order.
pub(crate) struct Store {
    /// The records of states: header, then part numbers.
    states: Arena,
    /// Every task's and heap's encoding met so far.
    parts: Arena,
    /// The encoding of the state being inserted, its parts' ranges and its
    /// record (kept to reuse their allocations).
    scratch: (Vec<u8>, Vec<Range<usize>>, Vec<u8>),
    /// For each state: the parent's number.
    parents: Vec<u32>,
    /// For each state: the transition index taken from its parent.
    taken: Vec<u16>,
    /// For each state: its breadth-first depth.
    pub depths: Vec<u32>,
    /// One bit per state: whether it is known to be settled by shape (see
    /// `leash_semantics::Reduction::settled`), so its own check can be skipped.
    settled: Vec<u64>,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(bytes);
    h.finish()
}

impl Store {
    pub fn new() -> Store {
        Store {
            states: Arena::new(),
            parts: Arena::new(),
            scratch: Default::default(),
            parents: Vec::new(),
            taken: Vec::new(),
            depths: Vec::new(),
            settled: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// The header of state `i`'s record and the numbers of its parts.
    fn record(&self, i: u32) -> (&[u8], impl Iterator<Item = u32> + '_) {
        let record = self.states.get(i);
        let mut at = 0;
        get_num(record, &mut at);
        get_num(record, &mut at);
        let header = &record[..at];
        let ids = std::iter::from_fn(move || (at < record.len()).then(|| get_num(record, &mut at) as u32));
        (header, ids)
    }

    /// Estimated bytes held.
    pub fn bytes(&self) -> usize {
        self.states.bytes()
            + self.parts.bytes()
            + self.parents.len() * 6
            + self.depths.len() * 4
            + self.settled.len() * 8
    }

    /// Whether state `i` was stored as settled by shape (see [`Store::insert_successor`]).
    pub fn is_settled(&self, i: u32) -> bool {
        self.settled.get(i as usize / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// Inserts `s`; returns its number and whether it is new.
    pub fn insert(&mut self, s: &State, parent: (u32, u16), depth: u32) -> (u32, bool) {
        let mut enc = std::mem::take(&mut self.scratch.0);
        enc.clear();
        encode(s, &mut enc);
        let inserted = self.insert_encoded(&enc, parent, depth);
        self.scratch.0 = enc;
        inserted
    }

    /// Inserts a state given in its encoded form; returns its number and whether it is new.
    pub fn insert_encoded(&mut self, enc: &[u8], parent: (u32, u16), depth: u32) -> (u32, bool) {
        let (mut ranges, mut record) =
            (std::mem::take(&mut self.scratch.1), std::mem::take(&mut self.scratch.2));
        ranges.clear();
        record.clear();
        let header = split(enc, &mut ranges);
        record.extend_from_slice(&enc[..header]);
        for r in &ranges {
            put_num(&mut record, self.parts.intern(&enc[r.clone()]).0 as u64);
        }
        let (i, new) = self.states.intern(&record);
        if new {
            self.link(parent, depth, false);
        }
        self.scratch.1 = ranges;
        self.scratch.2 = record;
        (i, new)
    }

    /// Inserts a state encoded against its parent's parts; returns its
    /// number and whether it is new. The record is the one [`Store::insert`]
    /// makes of the same state: a part given by number is the part those
    /// bytes were stored as. `settled` says the state is known to be settled
    /// by shape; a state is so or not whichever parent it is reached from,
    /// so the first is enough.
    pub fn insert_successor(
        &mut self,
        s: &Successor,
        parent: (u32, u16),
        depth: u32,
        settled: bool,
    ) -> (u32, bool) {
        let mut record = std::mem::take(&mut self.scratch.2);
        record.clear();
        record.extend_from_slice(&s.bytes[..s.header]);
        for part in &s.parts {
            let id = match part {
                Part::Known(id) => *id,
                Part::New(r) => self.parts.intern(&s.bytes[r.clone()]).0,
            };
            put_num(&mut record, id as u64);
        }
        let (i, new) = self.states.intern(&record);
        if new {
            self.link(parent, depth, settled);
        }
        self.scratch.2 = record;
        (i, new)
    }

    /// Records a new state's parent link, depth and whether it is settled.
    fn link(&mut self, (parent, taken): (u32, u16), depth: u32, settled: bool) {
        let i = self.parents.len();
        self.parents.push(parent);
        self.taken.push(taken);
        self.depths.push(depth);
        if i.is_multiple_of(64) {
            self.settled.push(0);
        }
        self.settled[i / 64] |= (settled as u64) << (i % 64);
    }

    /// The state numbered `i`.
    pub fn get(&self, i: u32) -> State {
        let (header, mut ids) = self.record(i);
        let mut at = 0;
        get_num(header, &mut at);
        let tasks = get_num(header, &mut at) as usize;
        let task_parts = ids.by_ref().take(tasks).map(|t| self.parts.get(t));
        let mut flat = Vec::with_capacity(self.states.get(i).len() * 16);
        join(header, task_parts, &mut flat);
        flat.extend_from_slice(self.parts.get(ids.next().expect("a record names its heap")));
        decode(&flat)
    }

    /// The state numbered `i`, its tasks shared through `cache` (see
    /// [`TaskCache`]), and the numbers of its parts: its tasks' in slot
    /// order, then its heap's.
    pub fn get_shared(&self, i: u32, cache: &mut TaskCache) -> (State, Vec<u32>) {
        let (header, ids) = self.record(i);
        let ids: Vec<u32> = ids.collect();
        let (&heap, tasks) = ids.split_last().expect("a record names its heap");
        let tasks = tasks.iter().map(|&id| (id, self.parts.get(id)));
        let state = decode_parts(header, tasks, self.parts.get(heap), cache);
        (state, ids)
    }

    /// Transition indices from the initial state to state `i`.
    pub fn path(&self, mut i: u32) -> Vec<u16> {
        let mut out = Vec::new();
        while i != 0 {
            let (p, t) = (self.parents[i as usize], self.taken[i as usize]);
            out.push(t);
            i = p;
        }
        out.reverse();
        out
    }
}
