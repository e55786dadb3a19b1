//! The explored graph's edges, kept for the fair-cycle search: per state, a
//! row of varints in one byte arena. An edge is its target's distance from
//! the state and the number of its (transition index, label) pair; the
//! pairs are interned, as a model has few distinct ones. Steps that lead to
//! no stored state (a panic, or a step a persistent set left out) matter only
//! for their labels: a row starts with the number of the interned set of
//! those labels (0 for none).

use crate::encode::{get_num, put_num};
use crate::fair::Key;
use crate::offsets::Offsets;
use rustc_hash::FxHashMap;

/// How an edge's step stands to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Timing {
    /// An instant step.
    Instant,
    /// A step of time in a state where time may pass.
    Timed,
    /// A step of time that maximal progress holds back, taken in a state on
    /// a cycle of instant steps, where Go's clock runs all the same. Fair
    /// only weakly: it must come when it stays enabled.
    Held,
}

/// What the graph keeps of an edge besides its target and index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Label {
    /// Its fairness keys.
    pub keys: [Key; 2],
    /// Its timing.
    pub timing: Timing,
    /// The heap indices whose timed object it makes, resets or moves
    /// there, a bit each (`Applied::renamed`).
    pub renamed: u64,
}

/// A step of a state's row: `target` is `u32::MAX` when it leads to no
/// stored state.
pub(crate) type RowStep = (u32, u16, Label);

/// An edge between two stored states.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    /// The state it leads to.
    pub target: u32,
    pair: u32,
}

/// Where a walk along a row stands: the byte it reads next and the row's end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor {
    from: u32,
    at: usize,
    end: usize,
}

/// The rows of the states expanded so far, in state order.
#[derive(Default)]
pub(crate) struct Edges {
    bytes: Vec<u8>,
    starts: Offsets,
    pairs: Interned<(u16, u32)>,
    labels: Interned<Label>,
    sets: Interned<Box<[u32]>>,
}

/// Values stored once each, numbered in order.
struct Interned<T> {
    items: Vec<T>,
    numbers: FxHashMap<T, u32>,
}

impl<T> Default for Interned<T> {
    fn default() -> Self {
        Interned { items: Vec::new(), numbers: FxHashMap::default() }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Interned<T> {
    fn number(&mut self, item: T) -> u32 {
        if let Some(&n) = self.numbers.get(&item) {
            return n;
        }
        let n = self.items.len() as u32;
        self.numbers.insert(item.clone(), n);
        self.items.push(item);
        n
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// Edges to add to the rows of states already stored: by state, in order.
pub(crate) type Extra = Vec<(u32, Vec<RowStep>)>;

impl Edges {
    /// Adds the row of the next state, `state`.
    pub fn add_row(&mut self, state: u32, steps: &[RowStep]) {
        debug_assert_eq!(state as usize, self.starts.len());
        self.starts.push(self.bytes.len() as u64);
        let mut nowhere: Vec<u32> =
            steps.iter().filter(|s| s.0 == u32::MAX).map(|s| self.labels.number(s.2)).collect();
        nowhere.sort_unstable();
        nowhere.dedup();
        let set = if nowhere.is_empty() { 0 } else { self.sets.number(nowhere.into()) + 1 };
        put_num(&mut self.bytes, set as u64);
        for &(target, index, label) in steps.iter().filter(|s| s.0 != u32::MAX) {
            let distance = target as i64 - state as i64;
            put_num(&mut self.bytes, (distance << 1 ^ distance >> 63) as u64);
            let pair = self.pairs.number((index, self.labels.number(label)));
            put_num(&mut self.bytes, pair as u64);
        }
    }

    /// Adds `extra` at the ends of the rows of the states it names (in
    /// increasing order), moving the later rows along.
    pub fn extend_rows(&mut self, extra: Extra) {
        let old = Edges {
            bytes: std::mem::take(&mut self.bytes),
            starts: std::mem::take(&mut self.starts),
            sets: std::mem::take(&mut self.sets),
            ..Default::default()
        };
        let mut extra = extra.into_iter().peekable();
        let mut row = Vec::new();
        for v in 0..old.starts.len() as u32 {
            row.clear();
            let set = old.set(v).to_vec();
            row.extend(set.into_iter().map(|l| (u32::MAX, 0, self.labels.items[l as usize])));
            let mut cursor = old.cursor(v);
            while let Some(e) = old.next(&mut cursor) {
                let (index, label) = self.pairs.items[e.pair as usize];
                row.push((e.target, index, self.labels.items[label as usize]));
            }
            if let Some((_, edges)) = extra.next_if(|(w, _)| *w == v) {
                row.extend(edges);
            }
            self.add_row(v, &row);
        }
    }

    /// A cursor at the first edge of state `v`'s row.
    pub fn cursor(&self, v: u32) -> Cursor {
        let start = self.starts.get(v as usize) as usize;
        let end = if v as usize + 1 < self.starts.len() {
            self.starts.get(v as usize + 1) as usize
        } else {
            self.bytes.len()
        };
        let mut at = start;
        get_num(&self.bytes, &mut at);
        Cursor { from: v, at, end }
    }

    /// The edge at `cursor`, moving it on; `None` at the row's end.
    pub fn next(&self, cursor: &mut Cursor) -> Option<Edge> {
        if cursor.at >= cursor.end {
            return None;
        }
        let zigzag = get_num(&self.bytes, &mut cursor.at) as i64;
        let distance = zigzag >> 1 ^ -(zigzag & 1);
        let pair = get_num(&self.bytes, &mut cursor.at) as u32;
        Some(Edge { target: (cursor.from as i64 + distance) as u32, pair })
    }

    /// The edges of state `v` between stored states.
    pub fn row(&self, v: u32) -> impl Iterator<Item = Edge> + '_ {
        let mut cursor = self.cursor(v);
        std::iter::from_fn(move || self.next(&mut cursor))
    }

    /// The labels of every step of state `v`: its edges', then those of its
    /// steps that lead to no stored state.
    pub fn labels(&self, v: u32) -> impl Iterator<Item = &Label> + '_ {
        let nowhere = self.set(v).iter().map(|&l| &self.labels.items[l as usize]);
        self.row(v).map(|e| self.label(e)).chain(nowhere)
    }

    /// The numbers of the labels of state `v`'s steps to no stored state.
    fn set(&self, v: u32) -> &[u32] {
        let mut at = self.starts.get(v as usize) as usize;
        match get_num(&self.bytes, &mut at) {
            0 => &[],
            n => &self.sets.items[n as usize - 1],
        }
    }

    /// The label of edge `e`.
    pub fn label(&self, e: Edge) -> &Label {
        &self.labels.items[self.pairs.items[e.pair as usize].1 as usize]
    }

    /// The transition index of edge `e` in its state.
    pub fn index(&self, e: Edge) -> u16 {
        self.pairs.items[e.pair as usize].0
    }

    /// Bytes held (the interning tables counted at twice their items).
    pub fn bytes(&self) -> usize {
        let label = std::mem::size_of::<Label>();
        let sets: usize = self.sets.items.iter().map(|s| 2 * (s.len() * 4 + 16)).sum();
        self.bytes.len() + self.starts.bytes() + self.pairs.len() * 16 + self.labels.len() * 2 * label + sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(n: u32) -> Label {
        Label { keys: [Key::env(n), Key::NONE], timing: Timing::Instant, renamed: 0 }
    }

    #[test]
    fn rows_give_back_their_edges_and_labels() {
        let mut edges = Edges::default();
        edges.add_row(0, &[(1, 0, label(1)), (u32::MAX, 1, label(2)), (0, 2, label(1))]);
        edges.add_row(1, &[]);
        edges.add_row(2, &[(u32::MAX, 0, label(3)), (0, 0, label(3))]);
        fn row(edges: &Edges, v: u32) -> Vec<RowStep> {
            edges.row(v).map(|e| (e.target, edges.index(e), *edges.label(e))).collect()
        }
        fn labels(edges: &Edges, v: u32) -> Vec<Label> {
            edges.labels(v).copied().collect()
        }
        assert_eq!(row(&edges, 0), vec![(1, 0, label(1)), (0, 2, label(1))]);
        assert_eq!(row(&edges, 1), vec![]);
        assert_eq!(labels(&edges, 0), vec![label(1), label(1), label(2)]);
        assert_eq!(labels(&edges, 2), vec![label(3), label(3)]);
        edges.extend_rows(vec![(1, vec![(2, 5, label(4)), (u32::MAX, 6, label(2))])]);
        assert_eq!(row(&edges, 0), vec![(1, 0, label(1)), (0, 2, label(1))]);
        assert_eq!(row(&edges, 1), vec![(2, 5, label(4))]);
        assert_eq!(labels(&edges, 1), vec![label(4), label(2)]);
        assert_eq!(row(&edges, 2), vec![(0, 0, label(3))]);
    }
}
