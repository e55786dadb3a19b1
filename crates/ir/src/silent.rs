//! Which instructions are silent: they touch only the task's own locals, so the
//! semantics runs them in the same step as the visible instruction before them.
//! A backward jump is silent only if every path around its loop passes a
//! visible instruction, so that silent code can never spin forever.

use crate::{Callee, Ctor, Expr, Func, Instr, Place, Program};

/// Fills in [`Func::silent`] for every function. `ref_slots[f][slot]` says
/// whether a local may hold a reference to a shared cell (reading it is visible).
pub(crate) fn mark(program: &mut Program, ref_slots: &[Vec<bool>]) {
    for (id, func) in program.funcs.iter_mut().enumerate() {
        let refs = ref_slots.get(id).cloned().unwrap_or_default();
        let is_ref = |slot: u16| refs.get(slot as usize).copied().unwrap_or(false);
        let mut silent: Vec<bool> = func.code.iter().map(|i| local_only(i, &is_ref)).collect();
        for (pc, instr) in func.code.iter().enumerate() {
            if let Instr::Jump { target } = instr {
                if (*target as usize) <= pc {
                    silent[pc] = !silent_path(func, &silent, *target as usize, pc);
                }
            }
        }
        func.silent = silent;
    }
}

/// Whether `pc` is reachable from `from` through silent instructions only
/// (forward jumps and fall-through), without passing a visible one.
fn silent_path(func: &Func, silent: &[bool], from: usize, pc: usize) -> bool {
    let mut seen = vec![false; func.code.len()];
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        if at == pc {
            return true;
        }
        if at >= func.code.len() || seen[at] || !silent[at] {
            continue;
        }
        seen[at] = true;
        match &func.code[at] {
            Instr::Jump { target } => stack.push(*target as usize),
            Instr::Branch { target, .. } => {
                stack.push(*target as usize);
                stack.push(at + 1);
            }
            Instr::Return { .. } | Instr::EndDefer => {}
            _ => stack.push(at + 1),
        }
    }
    false
}

fn local_only(instr: &Instr, is_ref: &dyn Fn(u16) -> bool) -> bool {
    let e = |x: &Expr| pure_local(x, is_ref);
    match instr {
        Instr::Assign { dst, value } => place_local(dst, is_ref) && e(value),
        Instr::New { dst, ctor } => place_local(dst, is_ref) && ctor_local(ctor, is_ref),
        Instr::Jump { .. } | Instr::EndDefer => true,
        // Stops the task's own panic: nothing another task sees.
        Instr::Recover { dst, .. } => dst.as_ref().is_none_or(|d| place_local(d, is_ref)),
        Instr::Defer { capture, .. } => capture.iter().all(|(_, x)| e(x)),
        Instr::Branch { cond, .. } | Instr::Assert { cond } => e(cond),
        Instr::Return { value } => value.as_ref().is_none_or(e),
        Instr::Call { callee, args, dst, rest } => {
            let c = match callee {
                Callee::Static(_) => true,
                Callee::Dynamic(x) => e(x),
            };
            c && args.iter().all(e) && dst.iter().chain(rest).all(|d| place_local(d, is_ref))
        }
        _ => false,
    }
}

/// Making an object is invisible to other tasks until its handle is shared.
fn ctor_local(c: &Ctor, is_ref: &dyn Fn(u16) -> bool) -> bool {
    // A map loop's snapshot reads the map's keys: shared state.
    !matches!(c, Ctor::MapIter(_)) && c.operands().into_iter().all(|x| pure_local(x, is_ref))
}

fn place_local(p: &Place, is_ref: &dyn Fn(u16) -> bool) -> bool {
    match p {
        Place::Bind(_) => true,
        Place::Local(s) => !is_ref(*s),
        Place::Global(_) | Place::Index(..) | Place::Field(..) | Place::MapEntry(..) => false,
    }
}

pub(crate) fn pure_local(x: &Expr, is_ref: &dyn Fn(u16) -> bool) -> bool {
    match x {
        Expr::Const(_) | Expr::Raw(_) | Expr::GlobalRef(_) => true,
        Expr::Local(s) => !is_ref(*s),
        Expr::Global(_)
        | Expr::CtxErr(_)
        | Expr::Index(..)
        | Expr::Field(..)
        | Expr::MapGet(..)
        | Expr::MapHas(..)
        | Expr::Len(..) => false,
        Expr::Done(b) | Expr::GroupCtx(b) | Expr::TimerChan(b, _) | Expr::Unary(_, b) => {
            pure_local(b, is_ref)
        }
        Expr::Binary(_, a, b) => pure_local(a, is_ref) && pure_local(b, is_ref),
    }
}
