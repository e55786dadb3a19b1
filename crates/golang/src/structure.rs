//! Structured Go from a region's graph: each node's code is emitted where
//! `cfg::Region` placed it; edges become inline code, an abstract jump to a
//! node placed after, or a jump back to a loop header. `tidy` then makes the
//! jumps Go.

use crate::cfg::Region;
use crate::emit::FnCx;
use crate::go::{Case, For, ForHead, If, Stmt};
use crate::tidy;
use leash_ir::{Instr, Pc};
use leash_syntax::Diagnostic;

/// The statements of the region entered at `entry` (a function body, a deferred block).
pub(crate) fn region(cx: &FnCx, entry: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
    let r = Region::new(cx.func, entry)?;
    let b = Builder { cx, r: &r };
    let stmts = b.tree(r.entry)?;
    Ok(tidy::region(stmts, cx))
}

struct Builder<'a> {
    cx: &'a FnCx<'a>,
    r: &'a Region,
}

impl Builder<'_> {
    fn code(&self, pc: Pc) -> &Instr {
        &self.cx.func.code[pc as usize]
    }

    /// Whether a node has one successor and its code is a plain effect.
    fn straight(&self, pc: Pc) -> bool {
        !matches!(
            self.code(pc),
            Instr::Jump { .. }
                | Instr::Branch { .. }
                | Instr::Select { .. }
                | Instr::Choose { .. }
                | Instr::Return { .. }
                | Instr::EndDefer
        )
    }

    /// The code of `x` and of every node placed under it. Straight runs of
    /// nodes are followed in a loop, not by recursion.
    fn tree(&self, mut x: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        let mut out = Vec::new();
        loop {
            let (inside, after) = self.r.followers(x);
            if self.r.is_header(x) || !inside.is_empty() || !after.is_empty() || !self.straight(x) {
                out.extend(self.full(x, &inside, &after)?);
                return Ok(out);
            }
            out.extend(self.cx.effect(x)?);
            let y = self.r.succ[x as usize][0];
            if self.r.is_back(x, y) {
                out.push(Stmt::Continue(y));
                return Ok(out);
            }
            if !self.r.inline(x, y) {
                out.push(Stmt::Goto(y));
                return Ok(out);
            }
            x = y;
        }
    }

    fn full(&self, x: Pc, inside: &[Pc], after: &[Pc]) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        let body = self.within(x, inside)?;
        let mut out = if self.r.is_header(x) {
            vec![Stmt::For(For { header: x, head: ForHead::Forever, body, line: self.cx.line(x) })]
        } else {
            body
        };
        for &y in after {
            out.push(Stmt::Label(y));
            out.extend(self.tree(y)?);
        }
        Ok(out)
    }

    /// `x`'s own code, then each follower (the last in reverse postorder last).
    fn within(&self, x: Pc, followers: &[Pc]) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        match followers.split_last() {
            None => self.node(x),
            Some((&last, rest)) => {
                let mut out = self.within(x, rest)?;
                out.push(Stmt::Label(last));
                out.extend(self.tree(last)?);
                Ok(out)
            }
        }
    }

    fn branch(&self, x: Pc, y: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        if self.r.is_back(x, y) {
            Ok(vec![Stmt::Continue(y)])
        } else if self.r.inline(x, y) {
            self.tree(y)
        } else {
            Ok(vec![Stmt::Goto(y)])
        }
    }

    /// One node: its effect, then where control goes.
    fn node(&self, x: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        let succ = &self.r.succ[x as usize];
        let line = self.cx.line(x);
        let mut out: Vec<Stmt> = Vec::new();
        match self.code(x) {
            Instr::Jump { .. } => out.extend(self.branch(x, succ[0])?),
            Instr::Branch { cond, .. } => {
                out.extend(self.cx.perturb(x));
                let then = self.branch(x, succ[0])?;
                let els = self.branch(x, succ[1])?;
                out.push(Stmt::If(If { cond: self.cx.cond(cond), then, els, line }));
            }
            Instr::Select { cases, default } => {
                out.extend(self.cx.perturb(x));
                let mut arms = Vec::new();
                for (n, c) in cases.iter().enumerate() {
                    let (head, uses, mut body) = self.cx.case(&c.kind, line);
                    body.extend(self.branch(x, succ[n])?);
                    arms.push(Case { head, uses, body });
                }
                if default.is_some() {
                    let body = self.branch(x, succ[cases.len()])?;
                    arms.push(Case { head: "default:".into(), uses: Vec::new(), body });
                }
                out.push(Stmt::Select(arms, line));
            }
            Instr::Choose { .. } => {
                let arms = succ.iter().map(|&y| self.branch(x, y)).collect::<Result<Vec<_>, _>>()?;
                out.push(Stmt::Switch(format!("choose({})", arms.len()), arms, line));
            }
            Instr::Return { value } => {
                out.extend(self.cx.perturb(x));
                out.push(self.cx.ret(x, value));
            }
            Instr::EndDefer => {}
            _ => {
                out.extend(self.cx.effect(x)?);
                out.extend(self.branch(x, succ[0])?);
            }
        }
        Ok(out)
    }
}
