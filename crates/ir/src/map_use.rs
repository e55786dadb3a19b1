//! How an instruction uses maps, for Go's detector of unguarded map use: a
//! map write sets the map's `hashWriting` flag for as long as it runs, and a
//! write, lookup or iteration that finds it set is a fatal error
//! (`runtime/map.go`). Both engines ask the instruction; docs/semantics.md
//! says when each check is made.

use crate::{Ctor, Expr, Instr, Op, Place};

/// A read of a map, as Go's runtime checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapRead {
    /// `m[k]` or `(v, ok) = m[k]`: checked unless the map is empty.
    Lookup,
    /// A `for` loop starting over the map: checked unless it is empty.
    RangeStart,
    /// A `for` loop's next round: always checked.
    RangeNext,
}

impl MapRead {
    /// Go's fatal error for this read beside a write.
    pub fn fatal(self) -> &'static str {
        match self {
            MapRead::Lookup => "fatal error: concurrent map read and map write",
            MapRead::RangeStart | MapRead::RangeNext => "fatal error: concurrent map iteration and map write",
        }
    }
}

/// Go's fatal error for a map write beside another.
pub const MAP_WRITES: &str = "fatal error: concurrent map writes";

/// Whether a fault's message is one of Go's fatal errors (concurrent map
/// use, an unlock of an unlocked mutex): no panic, so no deferred call runs
/// and `recover()` cannot stop it; the program ends at once.
pub fn is_fatal(message: &str) -> bool {
    message.starts_with("fatal error:")
}

impl Instr {
    /// The map this instruction writes (`m[k] = v`, `delete(m, k)`), and
    /// whether the write is made (and checked) even when the map is empty
    /// (Go's delete returns at once from an empty map).
    pub fn map_written(&self) -> Option<(&Expr, bool)> {
        match self {
            Instr::Assign { dst: Place::MapEntry(m, _), .. } => Some((m, true)),
            Instr::Op { op: Op::MapDelete, target, .. } => Some((target, false)),
            _ => None,
        }
    }

    /// The maps this instruction reads, with how: every `m[k]` in it, and
    /// the map a `for` loop starts or goes on over.
    pub fn maps_read(&self) -> Vec<(Expr, MapRead)> {
        let mut out = Vec::new();
        let mut copy = self.clone();
        crate::visit::exprs_mut(&mut copy, &mut |e| {
            if let Expr::MapGet(m, ..) | Expr::MapHas(m, _) = e {
                out.push(((**m).clone(), MapRead::Lookup));
            }
        });
        match self {
            Instr::New { ctor: Ctor::MapIter(m), .. } => out.push((m.clone(), MapRead::RangeStart)),
            Instr::MapNext { map, .. } => out.push((map.clone(), MapRead::RangeNext)),
            _ => {}
        }
        out
    }
}

/// Go's fatal error for a step of `instr` while other tasks are inside the
/// map writes `busy` (each map as the engine names it, and whether that
/// write is a delete), if the step trips it: `map_of` gives the map an
/// expression of the step names, `empty` whether a map is empty now. A
/// write is checked always (a delete only on a map not empty), a lookup or
/// a loop's start on a map not empty, a loop's next round always; a map a
/// delete is emptying counts as not empty, as Go's delete lowers the count
/// last.
pub fn map_fault<V: PartialEq + Copy>(
    instr: &Instr,
    busy: &[(V, bool)],
    map_of: &dyn Fn(&Expr) -> Option<V>,
    empty: &dyn Fn(V) -> bool,
) -> Option<&'static str> {
    let hit = |m: &Expr, even_empty: bool| {
        map_of(m)
            .is_some_and(|m| busy.iter().any(|&(b, deletes)| b == m && (even_empty || deletes || !empty(m))))
    };
    if let Some((m, even_empty)) = instr.map_written() {
        if hit(m, even_empty) {
            return Some(MAP_WRITES);
        }
    }
    let read = instr.maps_read().into_iter().find(|(m, read)| hit(m, *read == MapRead::RangeNext));
    read.map(|(_, read)| read.fatal())
}
