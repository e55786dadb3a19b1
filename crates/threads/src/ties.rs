//! Which ticks may tie, as in the reference semantics (its `step/ties.rs`):
//! a tick comes at the same instant as another timed step only when the task
//! it wakes shares an object but a context with another live task, or a
//! context that one of them may cancel and the other polls; or, when it
//! wakes no task, a task that reaches the ticker polls (`select` with
//! `default`) or was woken by the timed step.

use crate::objects::Object;
use crate::value::{ObjId, Value};
use crate::world::World;
use crate::Instance;

impl World {
    /// Whether the tick of the ticker `o` may tie with a timed step just
    /// taken: a task parked on it would wake, and it shares an object with
    /// another live task; or none would, and a live task that reaches the
    /// ticker polls, or was woken by that step (it can move at once).
    pub(crate) fn tick_ties(&self, o: ObjId) -> bool {
        let Some(woken) = self.first_receiver(o).map(|w| w.task) else {
            return self.live().any(|t| {
                let d = self.shared_by(t);
                d.reads.contains(&o) && (d.polls_channels || self.plan(t).moves())
            });
        };
        let mine = self.shared_by(woken);
        self.live().filter(|&t| t != woken).any(|t| mine.races(&self.shared_by(t)))
    }

    /// What task `t` may touch from now on: the model-level variables its
    /// functions use, and every object it can reach from its locals, its
    /// group or through those variables, through variables, arrays,
    /// channels' buffers and contexts' parents (written, for all it is
    /// known). A member of a group may cancel the group's context.
    fn shared_by(&self, t: Instance) -> Shared {
        let task = self.task(t);
        let mut d = Shared { cancels: task.group.is_some(), ..Shared::default() };
        let mut stack: Vec<Value> = task.group.map(Value::Obj).into_iter().collect();
        for frame in &task.frames {
            let uses = &self.program.func(frame.func).uses;
            d.cancels |= uses.cancels;
            d.polls |= uses.polls_contexts;
            d.polls_channels |= uses.polls_channels;
            for &g in &uses.reads {
                d.reads.push(g as ObjId);
                if let Object::Cell { value, .. } = &self.heap[g as usize] {
                    stack.push(*value);
                }
            }
            d.writes.extend(uses.writes.iter().map(|&g| g as ObjId));
            stack.extend(&frame.locals);
        }
        let mut seen = Vec::new();
        while let Some(v) = stack.pop() {
            let (Value::Obj(o) | Value::Ref(o) | Value::Done(o)) = v else { continue };
            if seen.contains(&o) {
                continue;
            }
            seen.push(o);
            match &self.heap[o as usize] {
                Object::Ctx(c) => {
                    d.contexts.push(o);
                    stack.extend(c.parent.map(Value::Obj));
                    continue;
                }
                Object::Group { ctx, .. } => stack.push(Value::Obj(*ctx)),
                Object::Cell { value, .. } => stack.push(*value),
                Object::Array(xs) => stack.extend(xs),
                Object::Chan(c) => stack.extend(&c.buf),
                _ => {}
            }
            d.reads.push(o);
            d.writes.push(o);
        }
        d
    }
}

/// What a task may touch: `reads` the objects but contexts it may read or
/// write, `writes` those it may write; `contexts` those it can reach, and
/// whether it may cancel one or poll one, and whether it may poll a
/// channel, ticker or timer.
#[derive(Default)]
struct Shared {
    reads: Vec<ObjId>,
    writes: Vec<ObjId>,
    contexts: Vec<ObjId>,
    cancels: bool,
    polls: bool,
    polls_channels: bool,
}

impl Shared {
    /// Whether one of `self` and `other` may write what the other touches,
    /// or cancel a context the other polls.
    fn races(&self, other: &Shared) -> bool {
        self.writes.iter().any(|o| other.reads.contains(o))
            || other.writes.iter().any(|o| self.reads.contains(o))
            || ((self.cancels && other.polls) || (self.polls && other.cancels))
                && self.contexts.iter().any(|c| other.contexts.contains(c))
    }
}
