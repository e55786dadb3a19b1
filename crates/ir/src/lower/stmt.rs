//! Lowering statements: control flow, loops, select, defer.

use super::*;

impl Lowerer {
    pub(super) fn block(&mut self, f: &mut Fn, b: &ast::Block) {
        f.scopes.push(Vec::new());
        let mut ended: Option<Span> = None;
        for s in &b.stmts {
            if let Some(end) = ended.take() {
                self.errors.push(
                    Diagnostic::error("E0109", s.span, "unreachable statement")
                        .with_label("never runs")
                        .with_note(end, "control leaves the block here")
                        .with_hint("remove it, or move it before the statement that leaves"),
                );
            }
            self.stmt(f, s);
            if matches!(s.kind, S::Return(_) | S::Break | S::Continue) {
                ended = Some(s.span);
            }
        }
        f.scopes.pop();
    }

    pub(super) fn stmt(&mut self, f: &mut Fn, s: &ast::Stmt) {
        let span = s.span;
        match &s.kind {
            S::Let { pat, ty: ann, value } => match pat {
                ast::Pattern::Name(n) => {
                    let ty = self.kinds.fresh();
                    if let (Some(_), Some(ann)) = (self.annotate(ty, ann.as_ref()), ann) {
                        self.errors.push(
                            Diagnostic::error("E0132", ann.span, "a `let` cannot declare a range")
                                .with_label("not enforced on a `let`")
                                .with_hint("declare the range on a `var`: `var n: int[0..3] = 0`"),
                        );
                    }
                    let tmp = self.temp(f, ty);
                    self.effect(f, value, Some((Place::Bind(tmp), ty)), span);
                    if n.text == "_" {
                        return;
                    }
                    let slot = self.bind(f, &n.text, ty, false);
                    f.emit(Instr::Assign { dst: Place::Bind(slot), value: Expr::Local(tmp) }, span);
                }
                ast::Pattern::Pair(v, second) if matches!(&value.kind, E::Call { .. } | E::Method { .. }) => {
                    self.bind_results(f, &[v.clone(), second.clone()], value, span);
                }
                ast::Pattern::Tuple(names) if matches!(&value.kind, E::Call { .. } | E::Method { .. }) => {
                    self.bind_results(f, names, value, span);
                }
                ast::Pattern::Tuple(names) => {
                    self.errors.push(
                        Diagnostic::error(
                            "E0110",
                            value.span,
                            format!("`let` with {} names needs a helper call", names.len()),
                        )
                        .with_label("not a call")
                        .with_hint("a helper returns several results with `return (a, b, c)`"),
                    );
                }
                ast::Pattern::Pair(v, ok) if matches!(&value.kind, E::Index(..)) => {
                    let E::Index(base, key) = &value.kind else { unreachable!("matched above") };
                    self.map_lookup_pair(f, base, key, [v, ok], span);
                }
                ast::Pattern::Pair(v, ok) => {
                    let E::Recv(chan) = &value.kind else {
                        self.errors.push(
                            Diagnostic::error(
                                "E0110",
                                value.span,
                                "`let (a, b) = ...` needs a `recv` or a helper call",
                            )
                            .with_label("not a receive or a call")
                            .with_hint(
                                "a receive gives a value and its `ok` flag (`let (v, ok) = recv ch`), \
                                 a helper its two results (`let (v, e) = fetch(ctx)`)",
                            ),
                        );
                        return;
                    };
                    let pending = self.pending_recv.len();
                    let (chan, elem) = self.recv_operand(f, chan);
                    let bool_ty = self.kinds.simple(Con::Bool);
                    let vs = self.bind_pat(f, v, elem);
                    let oks = self.bind_pat(f, ok, bool_ty);
                    let zero = self.zero_of(elem);
                    let at = f.emit(Instr::Recv { chan, value: vs, ok: oks, zero }, span);
                    self.recv_site(pending, RecvSite::Instr(f.id, at as Pc));
                }
            },
            S::Var(v) if v.lifted => self.share(f, v),
            S::Var(v) => {
                let ty = self.kinds.fresh();
                let range = self.annotate(ty, v.ty.as_ref());
                let init = self.argument(f, &v.init);
                if let Some((e, t)) = init {
                    self.unify_at(t, ty, v.init.span, "the initial value");
                    let slot = self.bind(f, &v.name.text, ty, true);
                    f.emit(Instr::New { dst: Place::Bind(slot), ctor: Ctor::Cell { init: e, range } }, span);
                } else {
                    self.bind(f, &v.name.text, ty, true);
                }
            }
            S::Assign { target, value } => {
                let Some((place, ty)) = self.place(f, target) else {
                    return;
                };
                self.effect(f, value, Some((place, ty)), span);
            }
            S::Send { chan, value } => {
                let Some((c, elem)) = self.send_operand(f, chan, value.as_ref()) else {
                    return;
                };
                f.emit(Instr::Send { chan: c, value: elem }, span);
            }
            S::Expr(e) => self.effect(f, e, None, span),
            S::Select(cases) => self.select(f, cases, span),
            S::If { cond, then, otherwise } => {
                let c = self.condition(f, cond);
                let br = f.emit(Instr::Branch { cond: c, target: 0 }, cond.span);
                self.block(f, then);
                if let Some(o) = otherwise {
                    let j = f.emit(Instr::Jump { target: 0 }, then.span);
                    let pc = f.pc();
                    patch(&mut f.code, br, pc);
                    self.block(f, o);
                    let pc = f.pc();
                    patch(&mut f.code, j, pc);
                } else {
                    let pc = f.pc();
                    patch(&mut f.code, br, pc);
                }
            }
            S::While { cond, body } => {
                let top = f.pc();
                let c = self.condition(f, cond);
                let br = f.emit(Instr::Branch { cond: c, target: 0 }, cond.span);
                self.loop_body(f, body, Some(top), top, span);
                let pc = f.pc();
                patch(&mut f.code, br, pc);
                self.close_loop(f, pc);
            }
            S::Loop(body) => {
                let top = f.pc();
                self.loop_body(f, body, Some(top), top, span);
                let pc = f.pc();
                self.close_loop(f, pc);
            }
            S::ForRange { var, lo, hi, body } => {
                let (lo, hi) = (self.bound(f, lo), self.bound(f, hi));
                let (lo, hi) = (self.small(lo.unwrap_or(0), span), self.small(hi.unwrap_or(0), span));
                f.scopes.push(Vec::new());
                let int = self.kinds.simple(Con::Int);
                let (i, dst) = self.loop_var(f, var, int, body, Some(Expr::Const(Const::Int(lo))));
                let top = f.pc();
                let cond =
                    Expr::Binary(BinOp::Lt, Box::new(Expr::Local(i)), Box::new(Expr::Const(Const::Int(hi))));
                let br = f.emit(Instr::Branch { cond, target: 0 }, span);
                self.loop_body(f, body, None, top, span);
                let step = f.pc();
                let next =
                    Expr::Binary(BinOp::Add, Box::new(Expr::Local(i)), Box::new(Expr::Const(Const::Int(1))));
                f.emit(Instr::Assign { dst, value: next }, var.span);
                f.emit(Instr::Jump { target: top }, span);
                let end = f.pc();
                patch(&mut f.code, br, end);
                let lp = f.loops.pop().expect("loop pushed");
                for c in lp.continues {
                    patch(&mut f.code, c, step);
                }
                for b in lp.breaks {
                    patch(&mut f.code, b, end);
                }
                f.scopes.pop();
            }
            S::ForChan { var, value, chan, body } if value.is_some() || self.known_map(f, chan) => {
                self.map_loop(f, var, value.as_ref(), chan, body, span);
            }
            S::ForChan { var, chan, body, .. } => {
                f.scopes.push(Vec::new());
                // Go evaluates the channel once, before the first round: a
                // body that assigns another channel to the variable or field
                // named does not change the channel the loop receives from.
                let pending = self.pending_recv.len();
                let (c, elem) = self.recv_operand(f, chan);
                let c = match c {
                    Expr::Const(_) => c,
                    c => {
                        let ty = self.kinds.fresh();
                        let held = self.temp(f, ty);
                        let at = f.emit(Instr::Assign { dst: Place::Bind(held), value: c }, chan.span);
                        self.recv_site(pending, RecvSite::Instr(f.id, at as Pc));
                        Expr::Local(held)
                    }
                };
                let v = self.loop_pat(f, var, elem, body);
                let top = f.pc();
                let bool_ty = self.kinds.simple(Con::Bool);
                let ok = self.temp(f, bool_ty);
                // Go's range assigns the variable only a value received: once
                // the channel is closed, it keeps the last one (a deferred
                // block in the loop reads it).
                let got = v.as_ref().map(|_| self.temp(f, elem));
                let value = got.map(Place::Bind);
                let zero = self.zero_of(elem);
                f.emit(Instr::Recv { chan: c, value, ok: Some(Place::Bind(ok)), zero }, chan.span);
                let br = f.emit(Instr::Branch { cond: Expr::Local(ok), target: 0 }, chan.span);
                if let (Some(dst), Some(got)) = (v, got) {
                    f.emit(Instr::Assign { dst, value: Expr::Local(got) }, chan.span);
                }
                self.loop_body(f, body, Some(top), top, span);
                let end = f.pc();
                patch(&mut f.code, br, end);
                self.close_loop(f, end);
                f.scopes.pop();
            }
            S::Choose(arms) => {
                let at = f.emit(Instr::Choose { targets: Vec::new() }, span);
                let mut targets = Vec::new();
                let mut ends = Vec::new();
                for arm in arms {
                    targets.push(f.pc());
                    self.block(f, arm);
                    ends.push(f.emit(Instr::Jump { target: 0 }, arm.span));
                }
                let end = f.pc();
                for j in ends {
                    patch(&mut f.code, j, end);
                }
                f.code[at] = Instr::Choose { targets };
            }
            S::Defer(inner) => {
                if f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0111", span, "`defer` inside a deferred statement")
                            .with_label("nested defer")
                            .with_hint("move the inner statement into the outer deferred block"),
                    );
                    return;
                }
                let (stmt, capture, names) = if closures::defers_a_call(inner) {
                    self.capture_defer(f, inner)
                } else {
                    self.capture_closure(f, inner)
                };
                let at = f.emit(Instr::Defer { block: 0, capture }, span);
                let mut scopes = f.scopes.clone();
                scopes.push(names);
                f.deferred.push((at, stmt, scopes));
            }
            S::Return(value) => {
                if f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0112", span, "`return` inside a deferred statement")
                            .with_label("not allowed here")
                            .with_hint("a deferred statement runs while the function is already returning"),
                    );
                    return;
                }
                // The results after the first go to their hidden locals
                // (a count that does not match was reported at the declaration).
                if value.len() > 1 && value.len() != f.results.len() + 1 {
                    f.emit(Instr::Return { value: None }, span);
                    return;
                }
                if value.len() == f.results.len() + 1 {
                    for (v, (slot, ty)) in value[1..].iter().zip(f.results.clone()) {
                        let Some((e, t)) = self.pure(f, v, "a returned value") else { continue };
                        self.unify_at(t, ty, v.span, "the returned value");
                        f.emit(Instr::Assign { dst: Place::Bind(slot), value: e }, v.span);
                    }
                }
                let v = value.first().and_then(|v| {
                    let (e, t) = self.pure(f, v, "a returned value")?;
                    if f.is_task {
                        let r = self.kinds.simple(Con::Result);
                        self.unify_at(t, r, v.span, "a task's returned value");
                    } else {
                        self.unify_at(t, f.ret, v.span, "the returned value");
                    }
                    Some(e)
                });
                if value.is_empty() && !f.is_task && f.results.is_empty() {
                    self.bare_returns.push((f.ret, span));
                }
                f.emit(Instr::Return { value: v }, span);
            }
            S::Break | S::Continue => {
                let is_break = matches!(s.kind, S::Break);
                let word = if is_break { "break" } else { "continue" };
                if f.loops.is_empty() || f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0113", span, format!("`{word}` outside a loop"))
                            .with_label("no loop to leave")
                            .with_hint("`break` and `continue` work inside `loop`, `while` and `for`"),
                    );
                    return;
                }
                let at = f.emit(Instr::Jump { target: 0 }, span);
                let lp = f.loops.last_mut().expect("checked");
                if is_break {
                    lp.breaks.push(at);
                } else if let Some(t) = lp.continue_target {
                    patch(&mut f.code, at, t);
                } else {
                    lp.continues.push(at);
                }
            }
            S::Sleep => {
                f.emit(Instr::Sleep, span);
            }
            S::Assert(cond) => {
                let c = self.condition(f, cond);
                f.emit(Instr::Assert { cond: c }, span);
            }
            S::Block(b) => self.block(f, b),
            S::Yield => {
                f.emit(Instr::Yield, span);
            }
            S::Error => {}
        }
    }

    pub(super) fn loop_body(&mut self, f: &mut Fn, body: &ast::Block, cont: Option<Pc>, top: Pc, span: Span) {
        f.loops.push(Loop { continue_target: cont, continues: Vec::new(), breaks: Vec::new() });
        self.block(f, body);
        if cont.is_some() {
            f.emit(Instr::Jump { target: top }, span);
        }
    }

    pub(super) fn close_loop(&mut self, f: &mut Fn, end: Pc) {
        let lp = f.loops.pop().expect("loop pushed");
        for b in lp.breaks {
            patch(&mut f.code, b, end);
        }
    }

    /// `let (a, b, ...) = f(...)`: a helper's results, the first as the
    /// call's value and the others from its hidden locals. The locals are
    /// made first but come into scope after the call, whose arguments may
    /// name the locals they shadow.
    fn bind_results(&mut self, f: &mut Fn, names: &[ast::Ident], value: &ast::Expr, span: Span) {
        let tys: Vec<Ty> = names.iter().map(|_| self.kinds.fresh()).collect();
        let slots: Vec<u16> = tys.iter().map(|&t| self.temp(f, t)).collect();
        self.rest_dst = slots[1..].iter().zip(&tys[1..]).map(|(&s, &t)| (Place::Bind(s), t)).collect();
        self.effect(f, value, Some((Place::Bind(slots[0]), tys[0])), span);
        // A method of the language (`ctx.err()`, `m.lock()`) gives one result.
        if !std::mem::take(&mut self.rest_dst).is_empty() {
            self.errors.push(
                Diagnostic::error(
                    "E0110",
                    value.span,
                    format!("`let` with {} names needs a helper call", names.len()),
                )
                .with_label("gives one result")
                .with_hint("a helper or a method of a struct returns several results with `return (a, b)`"),
            );
        }
        for (name, slot) in names.iter().zip(slots) {
            if name.text != "_" {
                f.locals[slot as usize].name = name.text.clone();
                f.scopes.last_mut().expect("a scope").push((name.text.clone(), slot));
            }
        }
    }

    /// A captured `let` or parameter that something assigns, in a cell
    /// from here on (see `closures`). A `let` gets a new cell with its
    /// value, passed by value to tasks and helpers (Go's variable); a
    /// parameter keeps the cell it holds if it holds one, and is passed on
    /// as the parameter is.
    fn share(&mut self, f: &mut Fn, v: &ast::VarDecl) {
        let Some(source) = f.lookup(&v.name.text) else { return };
        let ty = f.locals[source as usize].ty;
        let is_param = matches!(f.locals[source as usize].passed, Passed::AsParam(_));
        let slot = self.bind(f, &v.name.text, ty, true);
        let ctor = if is_param {
            f.locals[slot as usize].passed = Passed::AsParam(source);
            Ctor::Share(Expr::Raw(source))
        } else {
            f.locals[slot as usize].passed = Passed::Value;
            Ctor::Cell { init: Expr::Local(source), range: None }
        };
        f.emit(Instr::New { dst: Place::Bind(slot), ctor }, v.span);
    }

    pub(super) fn bind_pat(&mut self, f: &mut Fn, name: &ast::Ident, ty: Ty) -> Option<Place> {
        (name.text != "_").then(|| Place::Bind(self.bind(f, &name.text, ty, false)))
    }

    /// Binds a loop's variable and gives the place each round assigns.
    /// Go 1.19 makes the variable once for each run of the loop statement.
    /// The frame's one slot is that, unless the loop sits in another loop's
    /// body and a deferred closure in it names the variable: then the
    /// variable is a cell made here, as the loop starts, and the closure
    /// captures the cell (see `capture_closure`). `init` is its first value,
    /// if the loop gives it one before the first round.
    pub(super) fn loop_var(
        &mut self,
        f: &mut Fn,
        name: &ast::Ident,
        ty: Ty,
        body: &ast::Block,
        init: Option<Expr>,
    ) -> (u16, Place) {
        if !f.loops.is_empty() && closures::defers_a_closure_naming(body, &name.text) {
            let slot = self.bind(f, &name.text, ty, true);
            f.locals[slot as usize].passed = Passed::Value;
            let init = init.unwrap_or_else(|| Expr::Const(self.zero_of(ty)));
            f.emit(Instr::New { dst: Place::Bind(slot), ctor: Ctor::Cell { init, range: None } }, name.span);
            return (slot, Place::Local(slot));
        }
        let slot = self.bind(f, &name.text, ty, false);
        f.loop_vars.push(slot);
        if let Some(value) = init {
            f.emit(Instr::Assign { dst: Place::Bind(slot), value }, name.span);
        }
        (slot, Place::Bind(slot))
    }

    /// `loop_var` for a variable each round receives (`for v in ch`, a
    /// map's key or value), made before the loop's first round; `_` binds
    /// nothing.
    pub(super) fn loop_pat(
        &mut self,
        f: &mut Fn,
        name: &ast::Ident,
        ty: Ty,
        body: &ast::Block,
    ) -> Option<Place> {
        (name.text != "_").then(|| self.loop_var(f, name, ty, body, None).1)
    }

    pub(super) fn select(&mut self, f: &mut Fn, cases: &[ast::SelectCase], span: Span) {
        let at = f.emit(Instr::Select { cases: Vec::new(), default: None }, span);
        let mut out = Vec::new();
        let mut default = None;
        let mut ends = Vec::new();
        for case in cases {
            f.scopes.push(Vec::new());
            let pending = self.pending_recv.len();
            let kind = match &case.kind {
                ast::CaseKind::Recv { chan, pat } => {
                    let (c, elem) = self.recv_operand(f, chan);
                    let (value, ok) = match pat {
                        None => (None, None),
                        Some(ast::Pattern::Name(n)) => (self.bind_pat(f, n, elem), None),
                        Some(ast::Pattern::Pair(v, ok)) => {
                            let b = self.kinds.simple(Con::Bool);
                            (self.bind_pat(f, v, elem), self.bind_pat(f, ok, b))
                        }
                        Some(ast::Pattern::Tuple(names)) => {
                            self.errors.push(
                                Diagnostic::error(
                                    "E0110",
                                    case.span,
                                    "a receive gives a value and its `ok` flag",
                                )
                                .with_label(format!("{} names", names.len()))
                                .with_hint("write `recv ch as (v, ok)`"),
                            );
                            (None, None)
                        }
                    };
                    Some(CaseKind::Recv { chan: c, value, ok, zero: self.zero_of(elem) })
                }
                ast::CaseKind::Send { chan, value } => self
                    .send_operand(f, chan, value.as_ref())
                    .map(|(chan, value)| CaseKind::Send { chan, value }),
                ast::CaseKind::After => Some(CaseKind::After),
                ast::CaseKind::Default => {
                    if default.is_some() {
                        self.errors.push(
                            Diagnostic::error("E0114", case.span, "a select has two `default` cases")
                                .with_label("second default"),
                        );
                    }
                    None
                }
            };
            let target = f.pc();
            match kind {
                Some(kind) => {
                    self.recv_site(pending, RecvSite::Case(f.id, at as Pc, out.len()));
                    out.push(Case { kind, target, span: case.span })
                }
                None => default = Some(target),
            }
            self.block(f, &case.body);
            ends.push(f.emit(Instr::Jump { target: 0 }, case.span));
            f.scopes.pop();
        }
        let end = f.pc();
        for j in ends {
            patch(&mut f.code, j, end);
        }
        f.code[at] = Instr::Select { cases: out, default };
    }

    /// Go evaluates a deferred call's receiver and arguments at the `defer`
    /// statement, not when the call runs: `defer close(ch); ch = nil` closes
    /// the channel `ch` held then. For a deferred call (a helper, a builtin,
    /// a method, a `work` with a context), each operand that is not a literal
    /// is evaluated by the `defer` instruction into a hidden local, and the
    /// deferred statement reads that local instead. Anything else (a block,
    /// a `send`) is a closure (see `capture_closure`).
    fn capture_defer(&mut self, f: &mut Fn, inner: &ast::Stmt) -> Captured {
        let mut stmt = inner.clone();
        let mut capture = Vec::new();
        let mut names = Vec::new();
        let ast::StmtKind::Expr(call) = &mut stmt.kind else {
            return (stmt, capture, names);
        };
        let operands: Vec<&mut ast::Expr> = match &mut call.kind {
            E::Call { args, .. } => args.iter_mut().collect(),
            E::Method { recv, args, .. } => std::iter::once(&mut **recv).chain(args.iter_mut()).collect(),
            E::Work { ctx: Some(c), .. } => vec![&mut **c],
            _ => Vec::new(),
        };
        for operand in operands {
            if matches!(operand.kind, E::Int(_) | E::Bool(_) | E::Nil | E::Atom(_)) {
                continue;
            }
            let Some((value, ty)) = self.pure(f, operand, "a deferred call's argument") else {
                continue;
            };
            let slot = self.temp(f, ty);
            let name = format!("${slot}");
            capture.push((slot, value));
            names.push((name.clone(), slot));
            operand.kind = E::Name(ast::Ident { text: name, span: operand.span });
        }
        (stmt, capture, names)
    }

    /// A deferred statement that is not a call (a block, a send, ...) is
    /// Go's `defer func() { ... }()`: a closure, which captures the
    /// variables it names. One declared in a loop's body is a new variable
    /// each round, while the frame has one slot for all rounds: the block
    /// gets, at the `defer`, each such local it names (a `var` as its cell,
    /// a `let` as its value; a `let` something assigns is a cell already,
    /// made each round by the closure lifting). Any other local it reads from the
    /// frame when it runs, as Go's closure does; loop variables too, which
    /// Go 1.19 shares across rounds.
    fn capture_closure(&mut self, f: &mut Fn, inner: &ast::Stmt) -> Captured {
        let mut capture = Vec::new();
        let mut names = Vec::new();
        for name in closures::names_in(inner) {
            let Some(slot) = f.lookup(&name) else { continue };
            if f.loop_vars.contains(&slot) || f.locals[slot as usize].depth == 0 {
                continue;
            }
            let local = &f.locals[slot as usize];
            let (ty, is_var, passed) = (local.ty, local.is_var, local.passed);
            let held = self.temp(f, ty);
            f.locals[held as usize].is_var = is_var;
            f.locals[held as usize].passed = passed;
            capture.push((held, Expr::Raw(slot)));
            names.push((name, held));
        }
        (inner.clone(), capture, names)
    }
}

/// A deferred statement rewritten to read its captured operands: the
/// statement, each (hidden local, operand) evaluated at the `defer`, and the
/// hidden locals' names for the deferred statement's scope.
type Captured = (ast::Stmt, Vec<(u16, Expr)>, Vec<(String, u16)>);
