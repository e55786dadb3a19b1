//! Contexts: making them, when one is done, cancellation.

use crate::objects::{Ctx, CtxKind, Object};
use crate::value::ObjId;
use crate::world::World;
use crate::End;
use leash_ir::{Instr, Op};
use std::sync::Arc;

impl World {
    /// Makes a context.
    pub(crate) fn new_ctx(&mut self, kind: CtxKind, parent: Option<ObjId>) -> ObjId {
        self.touched_ctx.set(true);
        self.alloc(Object::Ctx(Ctx { kind, parent, cancelled: false, aged: false, walking: false }))
    }

    /// The context at `c`.
    pub(crate) fn ctx(&self, c: ObjId) -> &Ctx {
        match &self.heap[c as usize] {
            Object::Ctx(ctx) => ctx,
            other => panic!("object {c} is not a context: {other:?}"),
        }
    }

    /// Whether context `above` is a proper ancestor of `c`.
    pub(crate) fn ctx_above(&self, above: ObjId, mut c: ObjId) -> bool {
        while let Some(p) = self.ctx(c).parent {
            if p == above {
                return true;
            }
            c = p;
        }
        false
    }

    /// Whether a context is done: cancelled, its deadline fired, the signal
    /// came (for `signal()`), or its parent is done and no longer walking
    /// down to its children.
    pub(crate) fn ctx_done(&self, c: ObjId) -> bool {
        self.touched_ctx.set(true);
        let mut at = Some(c);
        while let Some(c) = at {
            let ctx = self.ctx(c);
            if ctx.cancelled || (ctx.kind == CtxKind::Signal && self.signalled) {
                return true;
            }
            at = ctx.parent.filter(|&p| !self.ctx(p).walking);
        }
        false
    }

    /// Whether some context the model can still reach has `c` as its
    /// parent (the reference forgets the others: a child context dropped
    /// by the task that made it has nothing to walk down to).
    fn ctx_has_children(&self, c: ObjId) -> bool {
        let child = |o: &Object| matches!(o, Object::Ctx(x) if x.parent == Some(c));
        if !self.heap.iter().any(child) {
            return false;
        }
        let reached = self.reachable();
        self.heap.iter().zip(&reached).any(|(o, &r)| r && child(o))
    }

    /// Cancels a context: its done channel closes now; when it was not done
    /// and has children, the cancellation walks down to them later, in a
    /// step of its own ([`World::walk`]). Returns whether it will.
    pub(crate) fn cancel(&mut self, c: ObjId) -> bool {
        self.touched_ctx.set(true);
        let walks = !self.ctx_done(c) && self.ctx_has_children(c);
        if let Object::Ctx(ctx) = &mut self.heap[c as usize] {
            ctx.cancelled = true;
            ctx.walking |= walks;
        }
        walks
    }

    /// The signal arrives: each `signal()` context's cancellation walks
    /// down to its children later.
    pub(crate) fn signal(&mut self) {
        self.touched_ctx.set(true);
        let roots: Vec<ObjId> = (0..self.heap.len() as ObjId)
            .filter(|&c| matches!(&self.heap[c as usize], Object::Ctx(x) if x.kind == CtxKind::Signal))
            .filter(|&c| !self.ctx_done(c) && self.ctx_has_children(c))
            .collect();
        self.signalled = true;
        for c in roots {
            if let Object::Ctx(ctx) = &mut self.heap[c as usize] {
                ctx.walking = true;
            }
        }
    }

    /// The cancellation of `c` walks down to its children: they are done
    /// now, and the tasks waiting in a `cancel` of it (the one that walked
    /// among them) go on.
    pub(crate) fn walk(&mut self, c: ObjId) -> Result<(), End> {
        self.touched_ctx.set(true);
        if let Object::Ctx(ctx) = &mut self.heap[c as usize] {
            ctx.walking = false;
        }
        let program = Arc::clone(&self.program);
        for t in self.live().collect::<Vec<_>>() {
            let (f, pc) = self.at(t);
            if let Instr::Op { op: Op::Cancel, target, .. } = &program.func(f).code[pc as usize] {
                if self.eval(t, target).and_then(|x| self.ctx_of(x)) == Ok(c) {
                    self.advance(t);
                    self.run_ahead(t).map_err(|message| self.panic_end(t, (f, pc), message))?;
                }
            }
        }
        Ok(())
    }

    /// The contexts the model can still reach whose cancellation is walking
    /// down to their children (the reference forgets the others).
    pub(crate) fn walks(&self) -> Vec<ObjId> {
        let walking = |c: ObjId| matches!(&self.heap[c as usize], Object::Ctx(x) if x.walking);
        if !(0..self.heap.len() as ObjId).any(walking) {
            return Vec::new();
        }
        let reached = self.reachable();
        (0..self.heap.len() as ObjId).filter(|&c| walking(c) && reached[c as usize]).collect()
    }

    /// Whether `c` is a context whose cancellation is walking down to its
    /// children (Go's `cancel` and `Err` of it wait for its lock).
    pub(crate) fn ctx_walking(&self, c: ObjId) -> bool {
        matches!(&self.heap[c as usize], Object::Ctx(x) if x.walking)
    }
}
