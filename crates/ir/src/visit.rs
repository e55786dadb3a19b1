//! Walking the IR's expressions: the children of an expression and the
//! operands of a constructor (what every walk, in every crate, recurses
//! into), and every expression and place of an instruction, nested ones
//! included, for rewrites and analyses that need the whole program first (a
//! field whose struct is known only once every function is lowered, the
//! model-level variables a function uses).

use crate::{CaseKind, Ctor, Elem, Expr, Instr, Place};

/// Calls `f` on every expression of `instr`, innermost first, so that `f` may
/// replace the expression it is given.
pub(crate) fn exprs_mut(instr: &mut Instr, f: &mut dyn FnMut(&mut Expr)) {
    places_and_exprs_mut(instr, &mut |_| {}, f);
}

/// The operands whose `err()` `instr` reads (`ctx` in `ctx.err()`), nested
/// ones included: Go's `Err` takes the context's lock, which a cancellation
/// holds while it walks down to the children. Copies the instruction: for
/// the rare state in which a cancellation is walking.
pub fn err_reads(instr: &Instr) -> Vec<Expr> {
    let mut out = Vec::new();
    exprs_mut(&mut instr.clone(), &mut |e| {
        if let Expr::CtxErr(c) = e {
            out.push((**c).clone());
        }
    });
    out
}

/// The parent of the context `instr` makes (`with_cancel(p)`,
/// `with_timeout(p)`, `group(p)`): Go's `propagateCancel` finds a parent
/// being cancelled done, so a child made while the parent's cancellation
/// walks down is made once the walk is over (see docs/semantics.md).
pub fn derives_from(instr: &Instr) -> Option<&Expr> {
    match instr {
        Instr::New {
            ctor: Ctor::WithCancel(p) | Ctor::WithTimeout(p) | Ctor::Group { ctx: Some(p), .. },
            ..
        } => Some(p),
        _ => None,
    }
}

/// Calls `on_place` on every place `instr` stores to, then `on_expr` on every
/// expression of `instr` (those inside its places included), innermost first.
pub(crate) fn places_and_exprs_mut(
    instr: &mut Instr,
    on_place: &mut dyn FnMut(&mut Place),
    on_expr: &mut dyn FnMut(&mut Expr),
) {
    let mut top: Vec<&mut Expr> = Vec::new();
    let mut places: Vec<&mut Place> = Vec::new();
    match instr {
        Instr::Assign { dst, value } => {
            places.push(dst);
            top.push(value);
        }
        Instr::New { dst, ctor } => {
            places.push(dst);
            top.extend(ctor.operands_mut());
        }
        Instr::Send { chan, value } => top.extend([chan, value]),
        Instr::Recv { chan, value, ok, .. } => {
            top.push(chan);
            places.extend(value.iter_mut().chain(ok.iter_mut()));
        }
        Instr::Select { cases, .. } => {
            for c in cases {
                match &mut c.kind {
                    CaseKind::Recv { chan, value, ok, .. } => {
                        top.push(chan);
                        places.extend(value.iter_mut().chain(ok.iter_mut()));
                    }
                    CaseKind::Send { chan, value } => top.extend([chan, value]),
                    CaseKind::After => {}
                }
            }
        }
        Instr::Spawn { args, dst, group, .. } => {
            top.extend(args.iter_mut().chain(group.iter_mut()));
            places.extend(dst.iter_mut());
        }
        Instr::Join { task } => top.push(task),
        Instr::Recover { dst, .. } => places.extend(dst.iter_mut()),
        Instr::Work { ctx, dst, .. } => {
            top.extend(ctx.iter_mut());
            places.extend(dst.iter_mut());
        }
        Instr::Call { callee, args, dst, rest } => {
            if let crate::Callee::Dynamic(e) = callee {
                top.push(e);
            }
            top.extend(args.iter_mut());
            places.extend(dst.iter_mut().chain(rest.iter_mut()));
        }
        Instr::Return { value } => top.extend(value.iter_mut()),
        Instr::Branch { cond, .. } | Instr::Assert { cond } => top.push(cond),
        Instr::Defer { capture, .. } => top.extend(capture.iter_mut().map(|(_, e)| e)),
        Instr::Op { target, arg, dst, .. } => {
            top.push(target);
            top.extend(arg.iter_mut());
            places.extend(dst.iter_mut());
        }
        Instr::OnceEnter { once, .. } | Instr::OnceExit { once } => top.push(once),
        Instr::MapNext { iter, map, key, value, found } => {
            top.extend([iter, map]);
            places.extend(key.iter_mut().chain(value.iter_mut()));
            places.push(found);
        }
        Instr::Jump { .. }
        | Instr::Choose { .. }
        | Instr::EndDefer
        | Instr::Sleep
        | Instr::Yield
        | Instr::Exit => {}
    }
    for p in places {
        on_place(p);
        match p {
            Place::Index(a, i) => top.extend([a, i]),
            Place::Field(a, _) => top.push(a),
            Place::MapEntry(m, k) => top.extend([m, k]),
            Place::Bind(_) | Place::Local(_) | Place::Global(_) => {}
        }
    }
    for e in top {
        walk_mut(e, on_expr);
    }
}

fn walk_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    for c in e.children_mut() {
        walk_mut(c, f);
    }
    f(e);
}

/// The one or two expressions directly inside `$e` (an `&Expr` or an
/// `&mut Expr`), as `$slot` options: the match that [`Expr::children`] and
/// [`Expr::children_mut`] share.
macro_rules! children {
    ($e:expr, $slot:ty) => {{
        let (a, b): ($slot, $slot) = match $e {
            Expr::Done(x)
            | Expr::CtxErr(x)
            | Expr::GroupCtx(x)
            | Expr::TimerChan(x, _)
            | Expr::Field(x, _)
            | Expr::Len(x, _)
            | Expr::Unary(_, x) => (Some(x), None),
            Expr::Index(a, b) | Expr::Binary(_, a, b) | Expr::MapGet(a, b, _) | Expr::MapHas(a, b) => {
                (Some(a), Some(b))
            }
            Expr::Const(_) | Expr::Local(_) | Expr::Raw(_) | Expr::Global(_) | Expr::GlobalRef(_) => {
                (None, None)
            }
        };
        a.into_iter().chain(b)
    }};
}

impl Expr {
    /// The expressions directly inside this one: what every walk over
    /// expressions recurses into, so that a new kind of expression is
    /// taught to them all here.
    pub fn children(&self) -> impl Iterator<Item = &Expr> {
        children!(self, Option<&Expr>)
    }

    /// [`Expr::children`], to change.
    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Expr> {
        children!(self, Option<&mut Expr>)
    }
}

impl Ctor {
    /// The expressions a constructor evaluates, those of the constructors
    /// nested in it (array elements, struct fields) included.
    pub fn operands(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.for_each_operand(&mut |e| out.push(e));
        out
    }

    /// Calls `f` on each of [`Ctor::operands`], without collecting them
    /// (for the search's per-state footprints).
    pub fn for_each_operand<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        let elem = |e: &'a Elem, f: &mut dyn FnMut(&'a Expr)| match e {
            Elem::Ctor(c) => c.for_each_operand(f),
            Elem::Value(v) => f(v),
        };
        match self {
            Ctor::Chan(e) | Ctor::Cond(e) | Ctor::WithCancel(e) | Ctor::WithTimeout(e) => f(e),
            Ctor::Cell { init, .. } | Ctor::Share(init) | Ctor::MapIter(init) => f(init),
            Ctor::Group { ctx, limit } => ctx.iter().chain(limit.iter()).for_each(f),
            Ctor::Closure { captures, .. } => captures.iter().for_each(f),
            Ctor::Array { elem: e, .. } => elem(e, f),
            Ctor::Struct { fields, .. } => fields.iter().for_each(|e| elem(e, f)),
            Ctor::Mutex
            | Ctor::RwMutex
            | Ctor::Once
            | Ctor::WaitGroup
            | Ctor::Background
            | Ctor::Signal
            | Ctor::Ticker { .. }
            | Ctor::Timer { .. }
            | Ctor::Map
            | Ctor::List => {}
        }
    }

    /// [`Ctor::operands`], to change.
    fn operands_mut(&mut self) -> Vec<&mut Expr> {
        let mut out = Vec::new();
        self.collect_mut(&mut out);
        out
    }

    fn collect_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Expr>) {
        match self {
            Ctor::Chan(e) | Ctor::Cond(e) | Ctor::WithCancel(e) | Ctor::WithTimeout(e) => out.push(e),
            Ctor::Cell { init, .. } | Ctor::Share(init) | Ctor::MapIter(init) => out.push(init),
            Ctor::Group { ctx, limit } => out.extend(ctx.iter_mut().chain(limit.iter_mut())),
            Ctor::Closure { captures, .. } => out.extend(captures.iter_mut()),
            Ctor::Array { elem, .. } => match &mut **elem {
                Elem::Ctor(c) => c.collect_mut(out),
                Elem::Value(v) => out.push(v),
            },
            Ctor::Struct { fields, .. } => {
                for e in fields {
                    match e {
                        Elem::Ctor(c) => c.collect_mut(out),
                        Elem::Value(v) => out.push(v),
                    }
                }
            }
            Ctor::Mutex
            | Ctor::RwMutex
            | Ctor::Once
            | Ctor::WaitGroup
            | Ctor::Background
            | Ctor::Signal
            | Ctor::Ticker { .. }
            | Ctor::Timer { .. }
            | Ctor::Map
            | Ctor::List => {}
        }
    }
}
