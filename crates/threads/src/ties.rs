//! Which ticks may tie, as in the reference semantics (its `step/ties.rs`):
//! a tick comes at the same instant as another timed step only when the task
//! it wakes shares an object but a context with another live task.

use crate::objects::Object;
use crate::value::{ObjId, Value};
use crate::world::World;
use crate::Instance;

impl World {
    /// Whether the tick of the ticker `o` may tie with a timed step just
    /// taken: a task parked on it would wake, and it shares an object with
    /// another live task.
    pub(crate) fn tick_ties(&self, o: ObjId) -> bool {
        let Some(woken) = self.first_receiver(o).map(|w| w.task) else {
            return false;
        };
        let mine = self.shared_by(woken);
        !mine.reads.is_empty() && self.live().filter(|&t| t != woken).any(|t| mine.races(&self.shared_by(t)))
    }

    /// The objects but contexts that task `t` may touch from now on: the
    /// model-level variables its functions use, and every object it can
    /// reach from its locals or through those variables, through variables,
    /// arrays and channels' buffers (written, for all it is known).
    fn shared_by(&self, t: Instance) -> Shared {
        let mut d = Shared::default();
        let mut stack = Vec::new();
        for frame in &self.task(t).frames {
            let used = &self.program.func(frame.func).globals;
            for &g in &used.reads {
                d.reads.push(g as ObjId);
                if let Object::Cell { value, .. } = &self.heap[g as usize] {
                    stack.push(*value);
                }
            }
            d.writes.extend(used.writes.iter().map(|&g| g as ObjId));
            stack.extend(&frame.locals);
        }
        let mut seen = Vec::new();
        while let Some(v) = stack.pop() {
            let (Value::Obj(o) | Value::Ref(o)) = v else { continue };
            if seen.contains(&o) {
                continue;
            }
            seen.push(o);
            match &self.heap[o as usize] {
                Object::Ctx(_) => continue,
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

/// The objects a task may touch: `reads` what it may read or write,
/// `writes` what it may write.
#[derive(Default)]
struct Shared {
    reads: Vec<ObjId>,
    writes: Vec<ObjId>,
}

impl Shared {
    /// Whether one of `self` and `other` may write what the other touches.
    fn races(&self, other: &Shared) -> bool {
        self.writes.iter().any(|o| other.reads.contains(o))
            || other.writes.iter().any(|o| self.reads.contains(o))
    }
}
