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
//!   loads before it stores;
//! - the object of an operation that may block (`lock`, `rlock`, `rw.lock`,
//!   `c.wait`, `wg.wait`, `g.wait`, `o.do`, a `join`, a `g.go` at the
//!   group's limit), where something may store another object in the place
//!   named: Go evaluates the receiver once, at the call, and the operation
//!   stays on that object while it waits. A place nothing stores to after it
//!   is made (a struct's mutex field, an array of wait groups) is read as
//!   it stands, with no step of its own.

use crate::silent::pure_local;
use crate::{CaseKind, Expr, FieldRef, Func, Instr, Op, Pc, Place, Program};
use std::collections::BTreeSet;

/// Rewrites every function of `program`. `ref_slots[f][slot]` says whether a
/// local may hold a reference to a shared cell; it grows with the new locals.
pub(crate) fn hoist(program: &mut Program, ref_slots: &mut [Vec<bool>]) {
    let stored = Stored::of(program);
    for (id, func) in program.funcs.iter_mut().enumerate() {
        let refs = &mut ref_slots[id];
        refs.resize(func.locals.len(), false);
        hoist_func(func, refs, &stored);
    }
}

/// The places some instruction of the program stores to, once made: a
/// blocking operation's object read from one of them may change under it.
#[derive(Default)]
struct Stored {
    fields: BTreeSet<(u16, u16)>,
    globals: BTreeSet<u16>,
    elements: bool,
}

impl Stored {
    fn of(program: &mut Program) -> Stored {
        let mut out = Stored::default();
        // The model-level variables' initialisation makes them.
        let init = program.init as usize;
        for (_, func) in program.funcs.iter_mut().enumerate().filter(|(id, _)| *id != init) {
            for instr in &mut func.code {
                let mut by_ref = Vec::new();
                crate::visit::places_and_exprs_mut(
                    instr,
                    &mut |p| match p {
                        Place::Field(_, FieldRef { def, index }) => {
                            out.fields.insert((*def, *index));
                        }
                        Place::Global(g) => {
                            out.globals.insert(*g);
                        }
                        Place::Index(..) | Place::MapEntry(..) => out.elements = true,
                        Place::Bind(_) | Place::Local(_) => {}
                    },
                    // A model-level variable passed by reference may be
                    // stored to by the callee.
                    &mut |e| {
                        if let Expr::GlobalRef(g) = e {
                            by_ref.push(*g);
                        }
                    },
                );
                out.globals.extend(by_ref);
            }
        }
        out
    }

    /// Whether `e` reads the same object wherever and whenever the task
    /// reads it: nothing stores to the places it names.
    fn stable(&self, e: &Expr, is_ref: &dyn Fn(u16) -> bool) -> bool {
        match e {
            Expr::Const(_) | Expr::Raw(_) | Expr::GlobalRef(_) => true,
            Expr::Local(s) => !is_ref(*s),
            Expr::Global(g) => !self.globals.contains(g),
            Expr::Field(base, FieldRef { def, index }) => {
                !self.fields.contains(&(*def, *index)) && self.stable(base, is_ref)
            }
            Expr::Index(a, i) => !self.elements && self.stable(a, is_ref) && self.stable(i, is_ref),
            _ => pure_local(e, is_ref),
        }
    }
}

fn hoist_func(func: &mut Func, refs: &mut Vec<bool>, stored: &Stored) {
    let code = std::mem::take(&mut func.code);
    let spans = std::mem::take(&mut func.spans);
    let mut out = Vec::with_capacity(code.len());
    let mut out_spans = Vec::with_capacity(code.len());
    let mut new_pc: Vec<Pc> = Vec::with_capacity(code.len());
    // The local each `o.do` read its Once into, innermost last, for its exit.
    let mut onces: Vec<Option<u16>> = Vec::new();
    for (mut instr, span) in code.into_iter().zip(spans) {
        new_pc.push(out.len() as Pc);
        let mut before = Vec::new();
        let is_ref = |slot: u16| refs.get(slot as usize).copied().unwrap_or(true);
        if let Instr::OnceExit { once } = &mut instr {
            if let Some(Some(slot)) = onces.pop() {
                *once = Expr::Local(slot);
            }
        }
        let shared: Vec<bool> = operands(&mut instr, &is_ref)
            .iter()
            .map(|(e, blocking)| if *blocking { !stored.stable(e, &is_ref) } else { !pure_local(e, &is_ref) })
            .collect();
        let mut held = None;
        for ((operand, _), shared) in operands(&mut instr, &is_ref).into_iter().zip(shared) {
            if !shared {
                continue;
            }
            let slot = func.locals.len() as u16;
            func.locals.push(format!("${slot}"));
            refs.push(false);
            let value = std::mem::replace(operand, Expr::Local(slot));
            before.push(Instr::Assign { dst: crate::Place::Bind(slot), value });
            held = Some(slot);
        }
        if matches!(instr, Instr::OnceEnter { .. }) {
            onces.push(held);
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

/// The operands an instruction reads in a step before its own, each with
/// whether it is the object of a blocking operation (read in a step of its
/// own only where it may change).
fn operands<'i>(instr: &'i mut Instr, is_ref: &dyn Fn(u16) -> bool) -> Vec<(&'i mut Expr, bool)> {
    let plain = match instr {
        Instr::Op {
            op: Op::Lock | Op::RLock | Op::WLock | Op::WgWait | Op::CondWait | Op::GroupWait,
            target,
            ..
        } => return vec![(target, true)],
        Instr::OnceEnter { once, .. } => return vec![(once, true)],
        Instr::Join { task } => return vec![(task, true)],
        Instr::Spawn { group: Some(g), .. } => return vec![(g, true)],
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
    };
    plain.into_iter().map(|e| (e, false)).collect()
}
