//! Which ticks may tie: a tick comes at the same instant as another timed
//! step, before the tasks that step woke move, only when the task it wakes
//! shares an object with another task: a variable, an array (lists, maps,
//! structs), a channel, a lock, a wait group, a timer or a ticker; or a
//! context that one of them may cancel and the other polls (`ctx.err()`, a
//! `select` with `default`). Then their handlers race step by step, as Go
//! runs them when two tickers fire in one pass of its timers
//! (`ticks_tie_lost_update`, `ticks_tie_cancel_between_reads`). Other
//! contexts do not count: every task of a tree reaches its root, and a
//! handler that only blocks on a done channel sees a cancel the same
//! whether it lands before its step or after. Handlers that share nothing
//! else commute, and the ticks' own two orders explore them. A tick no task
//! waits for stays in the ticker's buffer; it ties when a task that can
//! reach the ticker may look at it without blocking (a `select` with
//! `default`): Go runs every timer due in one pass, so a handler woken by
//! the other step may find the tick there already
//! (`a_tick_may_wait_when_a_timer_fires`).

use super::chan::first_parked;
use crate::state::{Object, State, Value};
use fixedbitset::FixedBitSet;
use leash_ir::Program;

/// Whether the tick of the ticker at heap index `o` may tie with a timed
/// step just taken: a task parked on it would wake, and it shares an object
/// with another task; or none would, and a task that reaches it polls, or
/// was woken by that step (it may come back to the ticker and find the
/// tick there: Go's timer pass sends every tick due, and a goroutine woken
/// by a timer's value finds a tick due with it in the ticker's channel; one
/// woken by a cancellation may run only after a tick due just after it).
pub(super) fn tick_ties(p: &Program, s: &State, o: u16) -> bool {
    let Some((woken, _)) = first_parked(p, s, o, false) else {
        let mut moves = Vec::new();
        return (0..s.tasks.len()).any(|t| {
            let d = Shared::of(p, s, t);
            d.reads.contains(o as usize) && (d.polls_channels || woken_now(p, s, t, &mut moves))
        });
    };
    let mine = Shared::of(p, s, woken as usize);
    (0..s.tasks.len()).filter(|&t| t != woken as usize).any(|t| mine.races(&Shared::of(p, s, t)))
}

/// Whether task `slot` can move at once: right after a timed step, a task
/// the step woke.
fn woken_now(p: &Program, s: &State, slot: usize, moves: &mut Vec<crate::Transition>) -> bool {
    moves.clear();
    super::ready::task_moves(p, s, slot, false, moves);
    !moves.is_empty()
}

/// What a task may touch from now on, by heap index: `reads` the objects but
/// contexts it may read or write, `writes` those it may write; `contexts`
/// those it can reach (with their ancestors), and whether it may cancel one
/// or poll one, and whether it may poll a channel, ticker or timer.
struct Shared {
    reads: FixedBitSet,
    writes: FixedBitSet,
    contexts: FixedBitSet,
    cancels: bool,
    polls: bool,
    polls_channels: bool,
}

impl Shared {
    /// What task `slot` may touch: the model-level variables its functions
    /// use, and every object it can reach from its locals, its group or
    /// through those variables, through variables, arrays, channels'
    /// buffers and contexts' parents (written, for all it is known). A
    /// member of a group may cancel the group's context (by failing).
    fn of(p: &Program, s: &State, slot: usize) -> Shared {
        let n = s.heap.len();
        let task = &s.tasks[slot];
        let mut d = Shared {
            reads: FixedBitSet::with_capacity(n),
            writes: FixedBitSet::with_capacity(n),
            contexts: FixedBitSet::with_capacity(n),
            cancels: task.group.is_some(),
            polls: false,
            polls_channels: false,
        };
        let mut stack: Vec<Value> = task.group.map(Value::Obj).into_iter().collect();
        for frame in &task.frames {
            let uses = &p.func(frame.func).uses;
            d.cancels |= uses.cancels;
            d.polls |= uses.polls_contexts;
            d.polls_channels |= uses.polls_channels;
            for &g in &uses.reads {
                d.reads.insert(g as usize);
                if let Some(Object::Cell { value, .. }) = s.heap.get(g as usize) {
                    stack.push(*value);
                }
            }
            uses.writes.iter().for_each(|&g| d.writes.insert(g as usize));
            stack.extend(frame.locals.iter().chain(&frame.ret));
        }
        let mut seen = FixedBitSet::with_capacity(n);
        while let Some(v) = stack.pop() {
            let (Value::Obj(o) | Value::Ref(o) | Value::Done(o)) = v else { continue };
            if seen.put(o as usize) {
                continue;
            }
            match s.heap.get(o as usize) {
                None => continue,
                Some(Object::Ctx { parent, .. }) => {
                    d.contexts.insert(o as usize);
                    stack.extend(parent.map(Value::Obj));
                    continue;
                }
                Some(Object::Group { ctx, .. }) => stack.push(Value::Obj(*ctx)),
                Some(Object::Cell { value, .. }) => stack.push(*value),
                Some(Object::Array(xs) | Object::Chan { buf: xs, .. }) => stack.extend(xs),
                Some(_) => {}
            }
            d.reads.insert(o as usize);
            d.writes.insert(o as usize);
        }
        d
    }

    /// Whether one of `self` and `other` may write what the other touches,
    /// or cancel a context the other polls.
    fn races(&self, other: &Shared) -> bool {
        !self.writes.is_disjoint(&other.reads)
            || !other.writes.is_disjoint(&self.reads)
            || ((self.cancels && other.polls) || (self.polls && other.cancels))
                && !self.contexts.is_disjoint(&other.contexts)
    }
}
