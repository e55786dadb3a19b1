//! Which model-level variables each function uses, itself or through the
//! helpers it calls: what the semantics needs to tell whether two tasks may
//! share a variable (a tick ties only then, or when they share another
//! object; docs/semantics.md, Time).

use crate::{Callee, Expr, Func, GlobalUse, Instr, Place, Program};

/// Fills in [`crate::Func::globals`] for every function.
pub(crate) fn mark(program: &mut Program) {
    let direct: Vec<GlobalUse> = program.funcs.iter().map(direct_use).collect();
    let helpers: Vec<usize> = (0..program.funcs.len()).filter(|&f| !program.funcs[f].is_task).collect();
    let calls: Vec<Vec<usize>> = program
        .funcs
        .iter()
        .map(|func| {
            let mut out = Vec::new();
            for instr in &func.code {
                match instr {
                    Instr::Call { callee: Callee::Static(f), .. } => out.push(*f as usize),
                    Instr::Call { callee: Callee::Dynamic(_), .. } => out.extend(&helpers),
                    _ => {}
                }
            }
            out
        })
        .collect();
    for f in 0..program.funcs.len() {
        let mut seen = vec![false; program.funcs.len()];
        let mut stack = vec![f];
        let mut used = GlobalUse::default();
        while let Some(g) = stack.pop() {
            if std::mem::replace(&mut seen[g], true) {
                continue;
            }
            used.reads.extend(&direct[g].reads);
            used.writes.extend(&direct[g].writes);
            stack.extend(&calls[g]);
        }
        for set in [&mut used.reads, &mut used.writes] {
            set.sort_unstable();
            set.dedup();
        }
        program.funcs[f].globals = used;
    }
}

/// The variables `func`'s own code reads and writes (`reads` holds both).
fn direct_use(func: &Func) -> GlobalUse {
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    for instr in &func.code {
        let mut instr = instr.clone();
        let mut stored = Vec::new();
        crate::visit::places_and_exprs_mut(
            &mut instr,
            &mut |p| {
                if let Place::Global(g) = p {
                    stored.push(*g);
                }
            },
            &mut |e| match e {
                Expr::Global(g) => reads.push(*g),
                // A reference lets the callee write the variable.
                Expr::GlobalRef(g) => writes.push(*g),
                _ => {}
            },
        );
        writes.extend(stored);
    }
    reads.extend(&writes);
    GlobalUse { reads, writes }
}
