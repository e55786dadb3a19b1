//! What shared state each function uses, itself or through the helpers it
//! calls: the model-level variables it reads and writes, whether it cancels
//! or polls a context, whether it counts a wait group down. The semantics
//! needs it to tell whether two tasks may race (a tick ties only then;
//! docs/semantics.md, Time) and who waits for a task (the owner rule).

use crate::{Callee, Expr, Func, Instr, Op, Place, Program, Uses};

/// Fills in [`crate::Func::uses`] for every function.
pub(crate) fn mark(program: &mut Program) {
    let direct: Vec<Uses> = program.funcs.iter().map(direct_use).collect();
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
        let mut used = Uses::default();
        while let Some(g) = stack.pop() {
            if std::mem::replace(&mut seen[g], true) {
                continue;
            }
            used.reads.extend(&direct[g].reads);
            used.writes.extend(&direct[g].writes);
            used.cancels |= direct[g].cancels;
            used.counts_down |= direct[g].counts_down;
            used.polls_contexts |= direct[g].polls_contexts;
            used.polls_channels |= direct[g].polls_channels;
            stack.extend(&calls[g]);
        }
        for set in [&mut used.reads, &mut used.writes] {
            set.sort_unstable();
            set.dedup();
        }
        program.funcs[f].uses = used;
    }
}

/// What `func`'s own code uses (`reads` holds the variables written too).
fn direct_use(func: &Func) -> Uses {
    let mut used = Uses::default();
    // A `select` with `default` polls a context when the function names a
    // done channel (its operand may have been loaded into a local first).
    let (mut polls, mut names_done) = (false, false);
    for instr in &func.code {
        match instr {
            Instr::Op { op: Op::Cancel, .. } => used.cancels = true,
            Instr::Op { op: Op::WgDone, .. } => used.counts_down = true,
            Instr::Select { default: Some(_), .. } => polls = true,
            _ => {}
        }
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
                Expr::Global(g) => used.reads.push(*g),
                // A reference lets the callee write the variable.
                Expr::GlobalRef(g) => used.writes.push(*g),
                Expr::CtxErr(_) => used.polls_contexts = true,
                Expr::Done(_) => names_done = true,
                _ => {}
            },
        );
        used.writes.extend(stored);
    }
    used.polls_contexts |= polls && names_done;
    used.polls_channels = polls;
    let writes = used.writes.clone();
    used.reads.extend(writes);
    used
}
