//! Visiting every expression of an instruction, nested ones included, for
//! rewrites that need the whole program first (a field whose struct is known
//! only once every function is lowered).

use crate::{CaseKind, Ctor, Elem, Expr, Instr, Place};

/// Calls `f` on every expression of `instr`, innermost first, so that `f` may
/// replace the expression it is given.
pub(crate) fn exprs_mut(instr: &mut Instr, f: &mut dyn FnMut(&mut Expr)) {
    let mut top: Vec<&mut Expr> = Vec::new();
    let mut places: Vec<&mut Place> = Vec::new();
    match instr {
        Instr::Assign { dst, value } => {
            places.push(dst);
            top.push(value);
        }
        Instr::New { dst, ctor } => {
            places.push(dst);
            ctor_exprs(ctor, &mut top);
        }
        Instr::Send { chan, value } => top.extend([chan, value]),
        Instr::Recv { chan, value, ok } => {
            top.push(chan);
            places.extend(value.iter_mut().chain(ok.iter_mut()));
        }
        Instr::Select { cases, .. } => {
            for c in cases {
                match &mut c.kind {
                    CaseKind::Recv { chan, value, ok } => {
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
        match p {
            Place::Index(a, i) => top.extend([a, i]),
            Place::Field(a, _) => top.push(a),
            Place::MapEntry(m, k) => top.extend([m, k]),
            Place::Bind(_) | Place::Local(_) | Place::Global(_) => {}
        }
    }
    for e in top {
        walk_mut(e, f);
    }
}

fn elem_exprs<'a>(elem: &'a mut Elem, out: &mut Vec<&'a mut Expr>) {
    match elem {
        Elem::Ctor(c) => ctor_exprs(c, out),
        Elem::Value(v) => out.push(v),
    }
}

fn ctor_exprs<'a>(ctor: &'a mut Ctor, out: &mut Vec<&'a mut Expr>) {
    match ctor {
        Ctor::Chan(e) | Ctor::Cond(e) | Ctor::WithCancel(e) | Ctor::WithTimeout(e) => out.push(e),
        Ctor::Cell { init, .. } | Ctor::MapIter(init) => out.push(init),
        Ctor::Group { ctx, limit } => out.extend(ctx.iter_mut().chain(limit.iter_mut())),
        Ctor::Closure { captures, .. } => out.extend(captures.iter_mut()),
        Ctor::Array { elem, .. } => elem_exprs(elem, out),
        Ctor::Struct { fields, .. } => fields.iter_mut().for_each(|e| elem_exprs(e, out)),
        Ctor::Mutex
        | Ctor::RwMutex
        | Ctor::Once
        | Ctor::WaitGroup
        | Ctor::Background
        | Ctor::Signal
        | Ctor::Ticker
        | Ctor::Timer
        | Ctor::Map
        | Ctor::List => {}
    }
}

fn walk_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    match e {
        Expr::Done(x)
        | Expr::CtxErr(x)
        | Expr::GroupCtx(x)
        | Expr::Field(x, _)
        | Expr::Len(x, _)
        | Expr::Unary(_, x) => walk_mut(x, f),
        Expr::Index(a, b) | Expr::Binary(_, a, b) | Expr::MapGet(a, b, _) | Expr::MapHas(a, b) => {
            walk_mut(a, f);
            walk_mut(b, f);
        }
        Expr::Const(_) | Expr::Local(_) | Expr::Raw(_) | Expr::Global(_) | Expr::GlobalRef(_) => {}
    }
    f(e);
}
