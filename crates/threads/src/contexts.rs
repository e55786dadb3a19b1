//! Contexts and the environment: when a context is done, cancellation, and
//! the events the environment may fire (the signal, deadlines).

use crate::objects::{Ctx, CtxKind, Object};
use crate::value::{ObjId, Value};
use crate::world::World;
use crate::Entry;

/// Something the environment may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Send the signal.
    Signal,
    /// Fire the deadline of this `with_timeout` context.
    Deadline(ObjId),
}

impl World {
    /// Makes a context, numbered in creation order.
    pub(crate) fn new_ctx(&mut self, kind: CtxKind, parent: Option<ObjId>) -> ObjId {
        let number = self.contexts.len() as u32;
        let c = self.alloc(Object::Ctx(Ctx { kind, parent, cancelled: false, number }));
        self.contexts.push(c);
        c
    }

    fn ctx(&self, c: ObjId) -> &Ctx {
        match &self.heap[c as usize] {
            Object::Ctx(ctx) => ctx,
            other => panic!("object {c} is not a context: {other:?}"),
        }
    }

    /// Whether a context is done: cancelled, its deadline fired, the signal
    /// came (for `signal()`), or an ancestor is done.
    pub(crate) fn ctx_done(&self, c: ObjId) -> bool {
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
        if let Object::Ctx(ctx) = &mut self.heap[c as usize] {
            ctx.cancelled = true;
        }
    }

    /// Whether the environment may still have something to fire, without
    /// looking at what is reachable: a cheap over-approximation of
    /// [`World::events`].
    pub(crate) fn may_fire(&self) -> bool {
        self.contexts.iter().any(|&c| match self.ctx(c).kind {
            CtxKind::Signal => !self.signalled,
            CtxKind::Timeout => !self.ctx_done(c),
            _ => false,
        })
    }

    /// The events the environment can fire now: the signal while a
    /// `signal()` context is reachable and it was not sent, and the deadline
    /// of every reachable `with_timeout` context that is not done, in
    /// creation order.
    pub(crate) fn events(&self) -> Vec<Event> {
        if !self.may_fire() {
            return Vec::new();
        }
        let reached = self.reachable();
        let mut signal = false;
        let mut deadlines = Vec::new();
        for &c in &self.contexts {
            if !reached[c as usize] {
                continue;
            }
            match self.ctx(c).kind {
                CtxKind::Signal if !self.signalled => signal = true,
                CtxKind::Timeout if !self.ctx_done(c) => deadlines.push(Event::Deadline(c)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if signal {
            out.push(Event::Signal);
        }
        out.extend(deadlines);
        out
    }

    /// Fires an event; returns its log entry.
    pub(crate) fn fire(&mut self, e: Event) -> Entry {
        match e {
            Event::Signal => {
                self.signalled = true;
                Entry::Signal
            }
            Event::Deadline(c) => {
                self.cancel(c);
                Entry::Deadline { ctx: self.ctx(c).number }
            }
        }
    }

    /// Which objects the model can still reach: from the model-level
    /// variables and the live tasks (their frames and error groups), through
    /// cells, arrays, channel buffers, conds, groups and context parents.
    fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.heap.len()];
        let mut todo: Vec<ObjId> = (0..self.program.globals.len() as ObjId).collect();
        let mut values: Vec<Value> = Vec::new();
        for t in self.live() {
            let task = self.task(t);
            todo.extend(task.group);
            for f in &task.frames {
                values.extend(f.locals.iter().copied());
                values.extend(f.returning);
            }
        }
        todo.extend(values.into_iter().filter_map(handle));
        while let Some(o) = todo.pop() {
            if std::mem::replace(&mut seen[o as usize], true) {
                continue;
            }
            match &self.heap[o as usize] {
                Object::Cell { value, .. } => todo.extend(handle(*value)),
                Object::Array(xs) => todo.extend(xs.iter().filter_map(|v| handle(*v))),
                Object::Chan(ch) => todo.extend(ch.buf.iter().filter_map(|v| handle(*v))),
                Object::Cond { mutex, .. } => todo.push(*mutex),
                Object::Group { ctx, .. } => todo.push(*ctx),
                Object::Ctx(ctx) => todo.extend(ctx.parent),
                _ => {}
            }
        }
        seen
    }
}

/// The object a value keeps alive, if any.
fn handle(v: Value) -> Option<ObjId> {
    match v {
        Value::Obj(o) | Value::Ref(o) | Value::Done(o) => Some(o),
        _ => None,
    }
}
