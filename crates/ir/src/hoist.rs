//! Operands that read shared state (a model-level variable, an array element,
//! a `var` cell, `ctx.err()`) are evaluated in an instruction of their own
//! just before the operation, where Go's reading them is a separate step:
//!
//! - the channel and value of a send, a receive or a select, which Go
//!   evaluates before it blocks: a task parked on a channel then stays parked
//!   on the channel it evaluated, whatever later happens to the variable that
//!   held it, and a parked sender sends the value it evaluated;
//! - the value and index of an assignment to shared state: `count = count + 1`
//!   is a load and a store in Go, and another goroutine may write in between
//!   (the lost update); and the struct or map written through, which Go
//!   loads before it stores.

use crate::silent::pure_local;
use crate::{CaseKind, Expr, Func, Instr, Pc, Program};

/// Rewrites every function of `program`. `ref_slots[f][slot]` says whether a
/// local may hold a reference to a shared cell; it grows with the new locals.
pub(crate) fn hoist(program: &mut Program, ref_slots: &mut [Vec<bool>]) {
    for (id, func) in program.funcs.iter_mut().enumerate() {
        let refs = &mut ref_slots[id];
        refs.resize(func.locals.len(), false);
        hoist_func(func, refs);
    }
}

fn hoist_func(func: &mut Func, refs: &mut Vec<bool>) {
    let code = std::mem::take(&mut func.code);
    let spans = std::mem::take(&mut func.spans);
    let mut out = Vec::with_capacity(code.len());
    let mut out_spans = Vec::with_capacity(code.len());
    let mut new_pc: Vec<Pc> = Vec::with_capacity(code.len());
    for (mut instr, span) in code.into_iter().zip(spans) {
        new_pc.push(out.len() as Pc);
        let mut before = Vec::new();
        let is_ref = |slot: u16| refs.get(slot as usize).copied().unwrap_or(true);
        let shared: Vec<bool> =
            operands(&mut instr, &is_ref).iter().map(|e| !pure_local(e, &is_ref)).collect();
        for (operand, shared) in operands(&mut instr, &is_ref).into_iter().zip(shared) {
            if !shared {
                continue;
            }
            let slot = func.locals.len() as u16;
            func.locals.push(format!("${slot}"));
            refs.push(false);
            let value = std::mem::replace(operand, Expr::Local(slot));
            before.push(Instr::Assign { dst: crate::Place::Bind(slot), value });
        }
        for b in before {
            out.push(b);
            out_spans.push(span);
        }
        out.push(instr);
        out_spans.push(span);
    }
    if out.len() == new_pc.len() {
        func.code = out;
        func.spans = out_spans;
        return;
    }
    let at = |pc: &mut Pc| *pc = new_pc[*pc as usize];
    for instr in &mut out {
        match instr {
            Instr::Jump { target } | Instr::Branch { target, .. } => at(target),
            Instr::OnceEnter { skip, .. } => at(skip),
            Instr::Defer { block, .. } => at(block),
            Instr::Choose { targets } => targets.iter_mut().for_each(at),
            Instr::Select { cases, default } => {
                cases.iter_mut().for_each(|c| at(&mut c.target));
                if let Some(d) = default {
                    at(d);
                }
            }
            _ => {}
        }
    }
    func.code = out;
    func.spans = out_spans;
}

/// The operands an instruction reads in a step before its own.
fn operands<'i>(instr: &'i mut Instr, is_ref: &dyn Fn(u16) -> bool) -> Vec<&'i mut Expr> {
    match instr {
        Instr::Assign { dst, value } => match dst {
            crate::Place::Global(_) => vec![value],
            crate::Place::Local(s) if is_ref(*s) => vec![value],
            crate::Place::Index(_, index) => vec![index, value],
            // Go loads the struct pointer or the map, then stores: another
            // goroutine may act in between.
            crate::Place::Field(base, _) => vec![base, value],
            crate::Place::MapEntry(map, key) => vec![map, key, value],
            _ => Vec::new(),
        },
        Instr::Send { chan, value } => vec![chan, value],
        Instr::Recv { chan, .. } => vec![chan],
        Instr::Select { cases, .. } => cases
            .iter_mut()
            .flat_map(|c| match &mut c.kind {
                CaseKind::Recv { chan, .. } => vec![chan],
                CaseKind::Send { chan, value } => vec![chan, value],
                CaseKind::After => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}
