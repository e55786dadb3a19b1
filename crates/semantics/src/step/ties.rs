//! Which ticks may tie: a tick comes at the same instant as another timed
//! step, before the tasks that step woke move, only when the task it wakes
//! shares an object with another task: a variable, an array (lists, maps,
//! structs), a channel, a lock, a wait group, a timer or a ticker. Then
//! their handlers race step by step, as Go runs them when two tickers fire
//! in one pass of its timers (`ticks_tie_lost_update`). Contexts do not
//! count: every task of a tree reaches its root, and a context changes once.
//! Handlers that share nothing else commute, and the ticks' own two orders
//! explore them.

use super::chan::first_parked;
use crate::state::{Object, State, Value};
use fixedbitset::FixedBitSet;
use leash_ir::Program;

/// Whether the tick of the ticker at heap index `o` may tie with a timed
/// step just taken: a task parked on it would wake, and it shares an object
/// with another task.
pub(super) fn tick_ties(p: &Program, s: &State, o: u16) -> bool {
    let Some((woken, _)) = first_parked(p, s, o, false) else {
        return false;
    };
    let mine = Shared::of(p, s, woken as usize);
    !mine.reads.is_clear()
        && (0..s.tasks.len()).filter(|&t| t != woken as usize).any(|t| mine.races(&Shared::of(p, s, t)))
}

/// The objects but contexts that a task may touch from now on, by heap
/// index: `reads` what it may read or write, `writes` what it may write.
struct Shared {
    reads: FixedBitSet,
    writes: FixedBitSet,
}

impl Shared {
    /// What task `slot` may touch: the model-level variables its functions
    /// use, and every object it can reach from its locals or through those
    /// variables, through variables, arrays and channels' buffers (written,
    /// for all it is known).
    fn of(p: &Program, s: &State, slot: usize) -> Shared {
        let n = s.heap.len();
        let mut d = Shared { reads: FixedBitSet::with_capacity(n), writes: FixedBitSet::with_capacity(n) };
        let mut stack = Vec::new();
        for frame in &s.tasks[slot].frames {
            let used = &p.func(frame.func).globals;
            for &g in &used.reads {
                d.reads.insert(g as usize);
                if let Some(Object::Cell { value, .. }) = s.heap.get(g as usize) {
                    stack.push(*value);
                }
            }
            used.writes.iter().for_each(|&g| d.writes.insert(g as usize));
            stack.extend(frame.locals.iter().chain(&frame.ret));
        }
        let mut seen = FixedBitSet::with_capacity(n);
        while let Some(v) = stack.pop() {
            let (Value::Obj(o) | Value::Ref(o)) = v else { continue };
            if seen.put(o as usize) {
                continue;
            }
            match s.heap.get(o as usize) {
                None | Some(Object::Ctx { .. }) => continue,
                Some(Object::Cell { value, .. }) => stack.push(*value),
                Some(Object::Array(xs) | Object::Chan { buf: xs, .. }) => stack.extend(xs),
                Some(_) => {}
            }
            d.reads.insert(o as usize);
            d.writes.insert(o as usize);
        }
        d
    }

    /// Whether one of `self` and `other` may write what the other touches.
    fn races(&self, other: &Shared) -> bool {
        !self.writes.is_disjoint(&other.reads) || !other.writes.is_disjoint(&self.reads)
    }
}
