//! Contexts: making them, when one is done, cancellation.

use crate::objects::{Ctx, CtxKind, Object};
use crate::value::ObjId;
use crate::world::World;

impl World {
    /// Makes a context.
    pub(crate) fn new_ctx(&mut self, kind: CtxKind, parent: Option<ObjId>) -> ObjId {
        self.touched_ctx.set(true);
        self.alloc(Object::Ctx(Ctx { kind, parent, cancelled: false, aged: false }))
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
    /// came (for `signal()`), or an ancestor is done.
    pub(crate) fn ctx_done(&self, c: ObjId) -> bool {
        self.touched_ctx.set(true);
        let mut at = Some(c);
        while let Some(c) = at {
            let ctx = self.ctx(c);
            if ctx.cancelled || (ctx.kind == CtxKind::Signal && self.signalled) {
                return true;
            }
            at = ctx.parent;
        }
        false
    }

    /// Cancels a context (and so its descendants).
    pub(crate) fn cancel(&mut self, c: ObjId) {
        self.touched_ctx.set(true);
        if let Object::Ctx(ctx) = &mut self.heap[c as usize] {
            ctx.cancelled = true;
        }
    }
}
