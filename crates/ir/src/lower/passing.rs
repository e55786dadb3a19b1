//! How a local named as an argument is passed, decided once every function
//! is lowered. Go passes values; leash's `var` is Go's variable passed by
//! pointer (`&x`), and a parameter that receives one is Go's pointer, passed
//! on as it is. A cell the lowering made (a captured `let` or parameter that
//! something assigns, or a loop variable a deferred closure names) is Go's
//! variable itself: a task or helper it is passed to gets its value, while
//! the closures that capture it get the cell.

use super::RefSource;
use crate::{Callee, Ctor, Elem, Expr, Func, FuncId, Instr};

/// How a local named as an argument of a call or spawn is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Passed {
    /// By value: an ordinary local, or a cell the lowering made for a
    /// variable Go does not reach through a pointer.
    Value,
    /// By reference: a `var` (Go passes `&x`).
    Reference,
    /// As the function's parameter in this slot is passed: by reference if
    /// some caller gives it a reference (Go's pointer parameter), else by
    /// value.
    AsParam(u16),
}

/// The calls, spawns and function values that `i` makes (a function value
/// may sit in a struct's field or an array's elements): each callee and its
/// arguments, the captured ones first.
fn calls_of(i: &mut Instr) -> Vec<(FuncId, &mut Vec<Expr>)> {
    fn made<'a>(c: &'a mut Ctor, out: &mut Vec<(FuncId, &'a mut Vec<Expr>)>) {
        match c {
            Ctor::Closure { func, captures } => out.push((*func, captures)),
            Ctor::Array { elem, .. } => {
                if let Elem::Ctor(c) = &mut **elem {
                    made(c, out);
                }
            }
            Ctor::Struct { fields, .. } => {
                for e in fields {
                    if let Elem::Ctor(c) = e {
                        made(c, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    match i {
        Instr::Spawn { func, args, .. } | Instr::Call { callee: Callee::Static(func), args, .. } => {
            out.push((*func, args))
        }
        Instr::New { ctor, .. } => made(ctor, &mut out),
        _ => {}
    }
    out
}

/// Decides, for every argument that names a local (lowered as
/// `Expr::Raw`), whether it passes the local's cell or its value, and
/// rewrites those that hold a cell but are passed by value to
/// `Expr::Local`. `passed[f][slot]` is how each local is passed,
/// `captures[f]` how many of `f`'s first parameters are captured variables
/// (their arguments always pass the cell), `is_var[f][slot]` whether a local
/// holds a cell. Returns the (callee, parameter) pairs that then receive a
/// reference, with where it comes from.
pub(super) fn pass_arguments(
    funcs: &mut [Func],
    passed: &[Vec<Passed>],
    captures: &[usize],
    is_var: &[Vec<bool>],
) -> Vec<(FuncId, usize, RefSource)> {
    // Which parameters are pointers: some caller passes them a reference.
    let mut pointer: Vec<Vec<bool>> = funcs.iter().map(|f| vec![false; f.params as usize]).collect();
    loop {
        let mut changed = false;
        for (id, f) in funcs.iter_mut().enumerate() {
            for (g, args) in f.code.iter_mut().flat_map(calls_of) {
                for (n, a) in args.iter().enumerate() {
                    let is_ptr = match a {
                        Expr::Raw(s) => match passed[id][*s as usize] {
                            Passed::Reference => true,
                            Passed::Value => false,
                            Passed::AsParam(q) => pointer[id][q as usize],
                        },
                        Expr::GlobalRef(_) => true,
                        _ => false,
                    };
                    if is_ptr && !pointer[g as usize][n] {
                        pointer[g as usize][n] = true;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut ref_args = Vec::new();
    for (id, f) in funcs.iter_mut().enumerate() {
        let params = f.params as usize;
        // Only a cell or a captured variable may hold a reference; any
        // other local passed as it is passes its value.
        let may_hold_cell = |slot: u16| is_var[id][slot as usize] || (slot as usize) < captures[id];
        for (g, args) in f.code.iter_mut().flat_map(calls_of) {
            for (n, a) in args.iter_mut().enumerate() {
                match a {
                    Expr::Raw(s) => {
                        let slot = *s;
                        let by_ref = n < captures[g as usize]
                            || match passed[id][slot as usize] {
                                Passed::Reference => true,
                                Passed::Value => false,
                                Passed::AsParam(q) => pointer[id][q as usize],
                            };
                        if !by_ref {
                            if may_hold_cell(slot) {
                                *a = Expr::Local(slot);
                            }
                        } else if is_var[id][slot as usize] {
                            ref_args.push((g, n, RefSource::Always));
                        } else if (slot as usize) < params {
                            ref_args.push((g, n, RefSource::Param(id as FuncId, slot as usize)));
                        }
                    }
                    Expr::GlobalRef(_) => ref_args.push((g, n, RefSource::Always)),
                    _ => {}
                }
            }
        }
    }
    ref_args
}
