//! The control-flow graph of one region of a function (its body, a deferred
//! block): nodes are instructions, jumps are threaded away; dominators,
//! loops and, per node, where its code is placed in the structured output.
//!
//! Placement follows Ramsey's "Beyond Relooper" (ICFP 2022): a node's code
//! goes under its immediate dominator, inline at the branch that reaches it
//! when it has one way in, or after the dominator's code when several paths
//! meet there. Two refinements keep the Go close to the model's own text:
//! the code after a `select` or `choose` goes after it (not into the one case
//! that reaches it), and code after a loop goes after the loop.

use leash_ir::{Func, Instr, Pc};
use leash_syntax::{Diagnostic, Span};

/// One region's graph.
pub(crate) struct Region {
    /// The first node.
    pub(crate) entry: Pc,
    /// The reachable nodes in reverse postorder.
    pub(crate) order: Vec<Pc>,
    /// Per pc: its index in `order`, if reachable.
    rpo: Vec<Option<usize>>,
    /// Per pc: successors (jumps threaded), in the order of the instruction's targets.
    pub(crate) succ: Vec<Vec<Pc>>,
    idom: Vec<Pc>,
    /// Per pc: edges into it that are not back edges.
    in_edges: Vec<usize>,
    /// Loops: header and membership per pc, outermost first.
    loops: Vec<(Pc, Vec<bool>)>,
    /// Per pc: the node under which its code is placed.
    parent: Vec<Option<Pc>>,
    /// Per pc: placed after its parent's code rather than inline.
    follower: Vec<bool>,
}

/// Follows jumps from `pc` to the first instruction that is not a jump (or
/// to a jump that ends a cycle of jumps: `loop {}`).
pub(crate) fn thread(code: &[Instr], mut pc: Pc) -> Pc {
    let mut seen = Vec::new();
    while let Instr::Jump { target } = code[pc as usize] {
        if seen.contains(&pc) {
            return pc;
        }
        seen.push(pc);
        pc = target;
    }
    pc
}

/// The successors of an instruction, jumps threaded.
fn successors(code: &[Instr], pc: Pc) -> Vec<Pc> {
    let t = |x: Pc| thread(code, x);
    match &code[pc as usize] {
        Instr::Jump { target } => vec![t(*target)],
        Instr::Branch { target, .. } => vec![t(pc + 1), t(*target)],
        Instr::Select { cases, default } => cases.iter().map(|c| t(c.target)).chain(default.map(t)).collect(),
        Instr::Choose { targets } => targets.iter().map(|&x| t(x)).collect(),
        Instr::OnceEnter { skip, .. } => vec![t(*skip)],
        Instr::Return { .. } | Instr::EndDefer => Vec::new(),
        _ => vec![t(pc + 1)],
    }
}

impl Region {
    /// The region of `code` entered at `entry`.
    pub(crate) fn new(func: &Func, entry: Pc) -> Result<Region, Box<Diagnostic>> {
        let (code, span) = (func.code.as_slice(), func.span);
        let n = code.len();
        let entry = thread(code, entry);
        let succ: Vec<Vec<Pc>> = (0..n as Pc).map(|pc| successors(code, pc)).collect();
        // Depth-first postorder, without recursion.
        let mut seen = vec![false; n];
        let mut post = Vec::new();
        let mut stack = vec![(entry, 0usize)];
        seen[entry as usize] = true;
        while let Some((x, i)) = stack.pop() {
            if let Some(&y) = succ[x as usize].get(i) {
                stack.push((x, i + 1));
                if !seen[y as usize] {
                    seen[y as usize] = true;
                    stack.push((y, 0));
                }
            } else {
                post.push(x);
            }
        }
        let order: Vec<Pc> = post.into_iter().rev().collect();
        let mut rpo = vec![None; n];
        for (i, &x) in order.iter().enumerate() {
            rpo[x as usize] = Some(i);
        }
        let mut preds: Vec<Vec<Pc>> = vec![Vec::new(); n];
        for &x in &order {
            for &y in &succ[x as usize] {
                preds[y as usize].push(x);
            }
        }
        let mut r = Region {
            entry,
            order,
            rpo,
            succ,
            idom: vec![entry; n],
            in_edges: vec![0; n],
            loops: Vec::new(),
            parent: vec![None; n],
            follower: vec![false; n],
        };
        r.dominators(&preds);
        r.find_loops(&preds, span)?;
        r.place(code, &func.spans);
        Ok(r)
    }

    fn index(&self, pc: Pc) -> usize {
        self.rpo[pc as usize].expect("a reachable node")
    }

    /// Cooper, Harvey and Kennedy's iterative algorithm.
    fn dominators(&mut self, preds: &[Vec<Pc>]) {
        let mut done = vec![false; self.idom.len()];
        done[self.entry as usize] = true;
        let mut changed = true;
        while changed {
            changed = false;
            for &b in self.order.iter().skip(1) {
                let mut new: Option<Pc> = None;
                for &p in &preds[b as usize] {
                    if !done[p as usize] {
                        continue;
                    }
                    new = Some(match new {
                        None => p,
                        Some(q) => self.intersect(p, q),
                    });
                }
                if let Some(d) = new {
                    if !done[b as usize] || self.idom[b as usize] != d {
                        self.idom[b as usize] = d;
                        done[b as usize] = true;
                        changed = true;
                    }
                }
            }
        }
    }

    fn intersect(&self, mut a: Pc, mut b: Pc) -> Pc {
        while a != b {
            while self.index(a) > self.index(b) {
                a = self.idom[a as usize];
            }
            while self.index(b) > self.index(a) {
                b = self.idom[b as usize];
            }
        }
        a
    }

    /// The immediate dominator of a node other than the entry.
    pub(crate) fn idom(&self, pc: Pc) -> Pc {
        self.idom[pc as usize]
    }

    /// The edges into a node that are not back edges.
    pub(crate) fn in_edges(&self, pc: Pc) -> usize {
        self.in_edges[pc as usize]
    }

    /// Whether `a` dominates `b`.
    pub(crate) fn dominates(&self, a: Pc, mut b: Pc) -> bool {
        loop {
            if a == b {
                return true;
            }
            if b == self.entry {
                return false;
            }
            b = self.idom[b as usize];
        }
    }

    fn find_loops(&mut self, preds: &[Vec<Pc>], span: Span) -> Result<(), Box<Diagnostic>> {
        let mut headers: Vec<(Pc, Vec<Pc>)> = Vec::new();
        for &x in &self.order {
            for &y in &self.succ[x as usize] {
                if self.index(y) > self.index(x) {
                    self.in_edges[y as usize] += 1;
                    continue;
                }
                if !self.dominates(y, x) {
                    return Err(Box::new(
                        Diagnostic::error("E0302", span, "internal: irreducible control flow")
                            .with_label("leash emit go cannot structure this function"),
                    ));
                }
                match headers.iter_mut().find(|(h, _)| *h == y) {
                    Some((_, sources)) => sources.push(x),
                    None => headers.push((y, vec![x])),
                }
            }
        }
        for (h, sources) in headers {
            let mut body = vec![false; self.idom.len()];
            body[h as usize] = true;
            let mut work = sources;
            while let Some(x) = work.pop() {
                if !body[x as usize] {
                    body[x as usize] = true;
                    work.extend(preds[x as usize].iter().copied());
                }
            }
            self.loops.push((h, body));
        }
        self.loops.sort_by_key(|(_, body)| std::cmp::Reverse(body.iter().filter(|&&b| b).count()));
        Ok(())
    }

    /// Whether `pc` is a loop header.
    pub(crate) fn is_header(&self, pc: Pc) -> bool {
        self.loops.iter().any(|(h, _)| *h == pc)
    }

    /// Whether the edge `x -> y` goes back to a loop header.
    pub(crate) fn is_back(&self, x: Pc, y: Pc) -> bool {
        self.index(y) <= self.index(x)
    }

    fn in_loop(&self, header: Pc, pc: Pc) -> bool {
        self.loops.iter().any(|(h, body)| *h == header && body[pc as usize])
    }

    fn place(&mut self, code: &[Instr], spans: &[Span]) {
        // The end of a select or choose: with two or more arms, where the
        // first arm's closing jump goes (the lowering lays arms out in
        // order); with one, the first node written after the select.
        let mut owner: Vec<Option<Pc>> = vec![None; self.idom.len()];
        for &d in &self.order {
            let mut arms: Vec<Pc> = match &code[d as usize] {
                Instr::Select { cases, default } => cases.iter().map(|c| c.target).chain(*default).collect(),
                Instr::Choose { targets } => targets.clone(),
                _ => continue,
            };
            arms.sort_unstable();
            let e = match arms.get(1) {
                Some(&second) => match code[second as usize - 1] {
                    Instr::Jump { target } if target > *arms.last().expect("two arms") => {
                        thread(code, target)
                    }
                    _ => continue,
                },
                None => {
                    let after = spans[d as usize].end;
                    let next = self.order.iter().copied().filter(|&e| spans[e as usize].start >= after).min();
                    let Some(e) = next else { continue };
                    e
                }
            };
            if self.rpo[e as usize].is_none() || e == d || !self.dominates(d, e) {
                continue;
            }
            match owner[e as usize] {
                Some(o) if self.dominates(o, d) => {}
                _ => owner[e as usize] = Some(d),
            }
        }
        // The implicit return at the end of the body comes right before the deferred blocks.
        let end = code
            .iter()
            .filter_map(|i| match i {
                Instr::Defer { block, .. } => Some(*block),
                _ => None,
            })
            .min()
            .unwrap_or(code.len() as Pc)
            .saturating_sub(1);
        for i in 1..self.order.len() {
            let y = self.order[i];
            let idom = self.idom[y as usize];
            let mut p = owner[y as usize].unwrap_or(idom);
            // A `return` written inside a loop stays there (the lowering lays a
            // loop's code out before what follows it), and so does a run of
            // plain effects that ends in one (`unlock; return err`).
            let returns = {
                let mut z = y;
                loop {
                    match code[z as usize] {
                        Instr::Return { .. } => break z != end,
                        Instr::Jump { .. }
                        | Instr::Branch { .. }
                        | Instr::Select { .. }
                        | Instr::Choose { .. }
                        | Instr::EndDefer => break false,
                        _ => match self.succ[z as usize].as_slice() {
                            [next] if self.in_edges[*next as usize] == 1 && *next > z => z = *next,
                            _ => break false,
                        },
                    }
                }
            };
            let written_in = |h: Pc, body: &[bool]| {
                let last_node = body.iter().rposition(|&b| b).unwrap_or(0);
                let closing = (0..code.len())
                    .rev()
                    .find(|&j| matches!(code[j], Instr::Jump { .. }) && thread(code, j as Pc) == h)
                    .unwrap_or(0);
                returns && (y as usize) < last_node.max(closing)
            };
            if let Some((h, body)) = self.loops.iter().find(|(_, body)| body[p as usize] && !body[y as usize])
            {
                if !written_in(*h, body) {
                    p = *h;
                }
            }
            self.parent[y as usize] = Some(p);
            let exits_loop =
                self.loops.iter().any(|(h, body)| *h == p && !body[y as usize] && !written_in(*h, body));
            let owned = owner[y as usize] == Some(p);
            self.follower[y as usize] = owned || p != idom || self.in_edges[y as usize] >= 2 || exits_loop;
        }
    }

    /// Whether `y`'s code goes inline where `x` branches to it.
    pub(crate) fn inline(&self, x: Pc, y: Pc) -> bool {
        self.parent[y as usize] == Some(x) && !self.follower[y as usize]
    }

    /// The nodes placed after `x`'s code: (inside `x`'s loop, after it), each in reverse postorder.
    pub(crate) fn followers(&self, x: Pc) -> (Vec<Pc>, Vec<Pc>) {
        let mut inside = Vec::new();
        let mut after = Vec::new();
        for &y in &self.order {
            if self.parent[y as usize] == Some(x) && self.follower[y as usize] {
                if self.is_header(x) && !self.in_loop(x, y) {
                    after.push(y);
                } else {
                    inside.push(y);
                }
            }
        }
        (inside, after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(src: &str) -> (leash_ir::Program, Region) {
        let p = leash_ir::compile(src).unwrap();
        let f = p.func(p.main);
        let r = Region::new(f, 0).unwrap();
        (p, r)
    }

    #[test]
    fn a_while_loop_has_one_header_and_its_exit_goes_after_it() {
        let (p, r) = region("task main() {\n let n = 0\n while n < 3 {\n n = n + 1\n }\n yield\n}\n");
        let code = &p.func(p.main).code;
        let header = (0..code.len() as Pc).find(|&pc| r.is_header(pc)).unwrap();
        assert!(matches!(code[header as usize], Instr::Branch { .. }));
        let yield_pc = code.iter().position(|i| matches!(i, Instr::Yield)).unwrap() as Pc;
        assert_eq!(r.followers(header).1, vec![yield_pc]);
    }

    #[test]
    fn the_code_after_a_select_goes_after_it() {
        let (p, r) = region(
            "task main() {\n let a = chan(1)\n select {\n recv a => return\n after => yield\n }\n sleep\n}\n",
        );
        let code = &p.func(p.main).code;
        let select = code.iter().position(|i| matches!(i, Instr::Select { .. })).unwrap() as Pc;
        let sleep = code.iter().position(|i| matches!(i, Instr::Sleep)).unwrap() as Pc;
        assert_eq!(r.followers(select).0, vec![sleep]);
    }
}
