//! The visited set: states encoded compactly in one arena, indexed by a hash
//! table of state numbers with a fixed-seed hash, plus breadth-first parent links.

use crate::encode::{decode, encode};
use hashbrown::HashTable;
use leash_semantics::State;
use std::hash::{BuildHasher, Hasher};

/// Distinct states in discovery order.
pub(crate) struct Store {
    bytes: Vec<u8>,
    starts: Vec<u64>,
    table: HashTable<u32>,
    /// The encoding of the state being inserted (kept to reuse its allocation).
    scratch: Vec<u8>,
    /// For each state: the parent's number and the transition index taken.
    pub parents: Vec<(u32, u16)>,
    /// For each state: its breadth-first depth.
    pub depths: Vec<u32>,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(bytes);
    h.finish()
}

impl Store {
    pub fn new() -> Store {
        Store {
            bytes: Vec::new(),
            starts: vec![0],
            table: HashTable::new(),
            scratch: Vec::new(),
            parents: Vec::new(),
            depths: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn slice(&self, i: u32) -> &[u8] {
        &self.bytes[self.starts[i as usize] as usize..self.starts[i as usize + 1] as usize]
    }

    /// The length of the state numbered `i` in its encoded form.
    pub fn encoded_len(&self, i: u32) -> usize {
        self.slice(i).len()
    }

    /// Estimated bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
            + self.starts.len() * 8
            + self.table.capacity() * 5
            + self.parents.len() * 8
            + self.depths.len() * 4
    }

    /// Inserts `s`; returns its number and whether it is new.
    pub fn insert(&mut self, s: &State, parent: (u32, u16), depth: u32) -> (u32, bool) {
        let mut enc = std::mem::take(&mut self.scratch);
        enc.clear();
        encode(s, &mut enc);
        let inserted = self.insert_encoded(&enc, parent, depth);
        self.scratch = enc;
        inserted
    }

    /// Inserts a state given in its encoded form; returns its number and whether it is new.
    pub fn insert_encoded(&mut self, enc: &[u8], parent: (u32, u16), depth: u32) -> (u32, bool) {
        let h = hash(enc);
        let Store { bytes, starts, table, .. } = self;
        let found =
            table.find(h, |&i| &bytes[starts[i as usize] as usize..starts[i as usize + 1] as usize] == enc);
        if let Some(&i) = found {
            return (i, false);
        }
        let i = (starts.len() - 1) as u32;
        bytes.extend_from_slice(enc);
        starts.push(bytes.len() as u64);
        let (bytes, starts) = (&self.bytes, &self.starts);
        self.table.insert_unique(h, i, |&j| {
            hash(&bytes[starts[j as usize] as usize..starts[j as usize + 1] as usize])
        });
        self.parents.push(parent);
        self.depths.push(depth);
        (i, true)
    }

    /// The state numbered `i`.
    pub fn get(&self, i: u32) -> State {
        decode(self.slice(i))
    }

    /// Transition indices from the initial state to state `i`.
    pub fn path(&self, mut i: u32) -> Vec<u16> {
        let mut out = Vec::new();
        while i != 0 {
            let (p, t) = self.parents[i as usize];
            out.push(t);
            i = p;
        }
        out.reverse();
        out
    }
}
