//! What needs every function lowered first: operations whose meaning depends
//! on an operand's kind, and the recursion check.

use super::*;

/// A depth-first search frame: (function, next edge, the edge that led here).
type DfsFrame = (usize, usize, Option<(bool, Span)>);

impl Lowerer {
    /// Resolves operations whose meaning depends on the operand's kind.
    pub(super) fn resolve_pending(&mut self) {
        self.resolve_nils();
        for p in std::mem::take(&mut self.pending_recv) {
            match self.kinds.head(p.chan_ty) {
                Some((c @ (Con::Ticker | Con::Timer), _)) => {
                    let u = self.kinds.simple(Con::Unit);
                    self.unify_at(p.elem_ty, u, p.span, "a tick");
                    if let Some(site) = p.site {
                        self.read_as_timer_channel(site, c == Con::Ticker);
                    }
                }
                Some((Con::Chan, args)) => {
                    self.unify_at(args[0], p.elem_ty, p.span, "the received value");
                }
                Some((c, _)) => self.errors.push(
                    Diagnostic::error(
                        "E0107",
                        p.span,
                        format!("`recv` needs a channel, but `{}` is {}", p.name, c.noun()),
                    )
                    .with_label(format!("{} here", c.noun())),
                ),
                None => {
                    let c = self.kinds.con(Con::Chan, vec![p.elem_ty]);
                    self.kinds.unify(p.chan_ty, c).expect("unknown unifies");
                }
            }
        }
        for p in std::mem::take(&mut self.pending) {
            let head = self.kinds.con_of(p.recv_ty);
            let (op, result) = match (p.what, head) {
                (Surface::Lock, Some(Con::Mutex)) => (Op::Lock, Con::Unit),
                (Surface::Lock, Some(Con::RwMutex)) => (Op::WLock, Con::Unit),
                (Surface::Unlock, Some(Con::Mutex)) => (Op::Unlock, Con::Unit),
                (Surface::Unlock, Some(Con::RwMutex)) => (Op::WUnlock, Con::Unit),
                (Surface::Wait, Some(Con::WaitGroup)) => (Op::WgWait, Con::Unit),
                (Surface::Wait, Some(Con::Group)) => (Op::GroupWait, Con::Result),
                (Surface::Wait, Some(Con::Cond)) => (Op::CondWait, Con::Unit),
                (Surface::Stop, Some(Con::Ticker)) => (Op::Stop, Con::Unit),
                (Surface::Stop, Some(Con::Timer)) => (Op::Stop, Con::Bool),
                (Surface::Reset, Some(Con::Ticker)) => (Op::Reset, Con::Unit),
                (Surface::Reset, Some(Con::Timer)) => (Op::Reset, Con::Bool),
                (what, found) => {
                    let (op, wants) = match what {
                        Surface::Lock => ("lock", "a mutex or an rwmutex"),
                        Surface::Unlock => ("unlock", "a mutex or an rwmutex"),
                        Surface::Wait => ("wait", "a waitgroup, a group or a cond"),
                        Surface::Stop => ("stop", "a ticker or a timer"),
                        Surface::Reset => ("reset", "a ticker or a timer"),
                    };
                    let d = match found {
                        Some(c) => Diagnostic::error(
                            "E0107",
                            p.span,
                            format!("`{op}` needs {wants}, but `{}` is {}", p.name, c.noun()),
                        )
                        .with_label(format!("{} here", c.noun())),
                        None => Diagnostic::error(
                            "E0128",
                            p.span,
                            format!("cannot tell what kind of object `{}` is", p.name),
                        )
                        .with_label(format!("`{op}` needs {wants}"))
                        .with_hint(format!(
                                "leash infers kinds from how values are made and used; annotate the parameter it comes from, e.g. `{}: mutex`",
                                p.name
                            )),
                    };
                    self.errors.push(d);
                    continue;
                }
            };
            let r = self.kinds.simple(result);
            self.unify_at(p.result_ty, r, p.span, "the result of the wait");
            let func = if (p.func as usize) < self.funcs.len() {
                self.funcs[p.func as usize].as_mut()
            } else {
                None
            };
            if let Some(Instr::Op { op: slot, .. }) = func.and_then(|func| func.code.get_mut(p.pc as usize)) {
                *slot = op;
            }
        }
    }

    /// A `nil` is Go's nil of a channel, context, task, function, struct
    /// or map; a channel when nothing says which. Of a timer or ticker only
    /// in a comparison (`s.timer != nil`, a field never set): as a value,
    /// Go's `var c <-chan time.Time`, a nil channel never ready, would read
    /// as a nil `*time.Timer`, whose receive panics.
    fn resolve_nils(&mut self) {
        for (t, span, compared) in std::mem::take(&mut self.pending_nil) {
            match self.kinds.con_of(t) {
                None => {
                    let elem = self.kinds.fresh();
                    let c = self.kinds.con(Con::Chan, vec![elem]);
                    self.kinds.unify(t, c).expect("unknown unifies");
                }
                Some(Con::Chan | Con::Ctx | Con::Task | Con::Func | Con::Struct(_) | Con::Map) => {}
                Some(Con::Timer | Con::Ticker) if compared => {}
                Some(c) => {
                    let hint = match c {
                        Con::Result => "Go's nil error is `ok`",
                        Con::Timer | Con::Ticker => {
                            "a timer or ticker is only compared with nil (a field never set): for Go's `var c <-chan time.Time` (a \
                             case never ready until armed), keep a flag and write the select with and \
                             without the case"
                        }
                        _ => "nil is a channel, context, task, function, struct or map",
                    };
                    self.errors.push(
                        Diagnostic::error("E0106", span, format!("`nil` is not {}", c.noun()))
                            .with_label(format!("{} is expected here", c.noun()))
                            .with_hint(hint),
                    );
                }
            }
        }
    }

    /// The operand at `site` is a timer or ticker: the receive reads its
    /// channel (Go's `t.C`), a nil pointer dereference when it is nil (a
    /// struct field never set), not a nil channel's wait for ever.
    fn read_as_timer_channel(&mut self, site: RecvSite, ticker: bool) {
        let (func, pc) = match site {
            RecvSite::Instr(func, pc) | RecvSite::Case(func, pc, _) => (func, pc),
        };
        let Some(instr) =
            self.funcs.get_mut(func as usize).and_then(|f| f.as_mut()?.code.get_mut(pc as usize))
        else {
            return;
        };
        let operand = match (site, instr) {
            (RecvSite::Instr(..), Instr::Recv { chan, .. }) => chan,
            (RecvSite::Instr(..), Instr::Assign { value, .. }) => value,
            (RecvSite::Case(_, _, i), Instr::Select { cases, .. }) => {
                match cases.get_mut(i).map(|c| &mut c.kind) {
                    Some(CaseKind::Recv { chan, .. }) => chan,
                    _ => return,
                }
            }
            _ => return,
        };
        if !matches!(operand, Expr::Const(_) | Expr::TimerChan(..)) {
            let inner = std::mem::replace(operand, Expr::Const(Const::Nil));
            *operand = Expr::TimerChan(Box::new(inner), ticker);
        }
    }

    /// A bare `return` yields `ok`: wrong in a helper that returns another kind.
    pub(super) fn check_bare_returns(&mut self) {
        for (ret, span) in std::mem::take(&mut self.bare_returns) {
            if let Some(c) = self.kinds.con_of(ret) {
                if c != Con::Result && c != Con::Unit {
                    self.errors.push(
                        Diagnostic::error(
                            "E0131",
                            span,
                            format!("`return` without a value in a helper that returns {}", c.noun()),
                        )
                        .with_label("returns nothing")
                        .with_hint("return a value here too; a bare `return` means `return ok`"),
                    );
                }
            }
        }
    }

    /// Rejects helper recursion (tasks may spawn each other in a cycle).
    pub(super) fn check_recursion(&mut self) {
        let n = self.decls.len() + 1;
        let mut out: Vec<Vec<(FuncId, bool, Span)>> = vec![Vec::new(); n];
        // Only calls: helpers are inlined, so a cycle of calls has no bound.
        // Tasks that spawn each other in a cycle are bounded at run time
        // (the search's task bound names the task that piles up).
        for &(from, to, spawn, span) in self.edges.iter().filter(|e| !e.2) {
            out[from as usize].push((to, spawn, span));
        }
        // Depth-first search with colours: an edge to a function on the stack closes a cycle.
        const WHITE: u8 = 0;
        const GREY: u8 = 1;
        const BLACK: u8 = 2;
        let mut colour = vec![WHITE; n];
        let mut reported = vec![false; n];
        for root in 0..n {
            if colour[root] != WHITE {
                continue;
            }
            let mut stack: Vec<DfsFrame> = vec![(root, 0, None)];
            colour[root] = GREY;
            while let Some(&mut (v, ref mut next, _)) = stack.last_mut() {
                let Some(&(w, spawn, span)) = out[v].get(*next) else {
                    colour[v] = BLACK;
                    stack.pop();
                    continue;
                };
                *next += 1;
                let w = w as usize;
                if colour[w] == WHITE {
                    colour[w] = GREY;
                    stack.push((w, 0, Some((spawn, span))));
                } else if colour[w] == GREY && !reported[w] {
                    let k = stack.iter().position(|e| e.0 == w).expect("grey functions are on the stack");
                    let mut path: CallPath = stack[k + 1..]
                        .iter()
                        .map(|&(f, _, via)| {
                            let (s, sp) = via.expect("pushed with an edge");
                            (f as FuncId, s, sp)
                        })
                        .collect();
                    path.push((w as FuncId, spawn, span));
                    for (f, _, _) in &path {
                        reported[*f as usize] = true;
                    }
                    self.report_cycle(w as FuncId, &path);
                }
            }
        }
    }

    pub(super) fn report_cycle(&mut self, start: FuncId, path: &[(FuncId, bool, Span)]) {
        let name = |id: FuncId| self.decls[id as usize].name.text.clone();
        let mut chain = name(start);
        for (f, _, _) in path {
            chain.push_str(" calls ");
            chain.push_str(&name(*f));
        }
        let span = path.last().map(|p| p.2).unwrap_or_default();
        self.errors.push(
            Diagnostic::error("E0130", span, "helpers call each other recursively")
                .with_label(chain)
                .with_hint("helpers are inlined, so recursion has no bound: rewrite it as a loop"),
        );
    }
}
