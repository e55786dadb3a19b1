//! Lowering pure expressions and the operands of channel operations.

use super::*;

impl Lowerer {
    /// An operand as the model writes it, for messages (`ch`, `ctx.done`, `ch + 1`).
    pub(super) fn operand_name(e: &ast::Expr) -> String {
        let list = |args: &[ast::Expr]| args.iter().map(Self::operand_name).collect::<Vec<_>>().join(", ");
        match &e.kind {
            E::Int(v) => v.to_string(),
            E::Bool(b) => b.to_string(),
            E::Nil => "nil".into(),
            E::Atom(a) => format!(":{a}"),
            E::Name(n) => n.text.clone(),
            E::Field(b, n) => format!("{}.{}", Self::operand_name(b), n.text),
            E::Index(b, i) => format!("{}[{}]", Self::operand_name(b), Self::operand_name(i)),
            E::Call { callee, args } => format!("{}({})", callee.text, list(args)),
            E::Method { recv, name, args } => {
                format!("{}.{}({})", Self::operand_name(recv), name.text, list(args))
            }
            E::Unary(op, x) => {
                let op = match op {
                    ast::UnOp::Not => "!",
                    ast::UnOp::Neg => "-",
                };
                format!("{op}{}", Self::operand_name(x))
            }
            E::Binary(op, a, b) => {
                let op = match op {
                    ast::BinOp::Or => "||",
                    ast::BinOp::And => "&&",
                    ast::BinOp::Eq => "==",
                    ast::BinOp::Ne => "!=",
                    ast::BinOp::Lt => "<",
                    ast::BinOp::Le => "<=",
                    ast::BinOp::Gt => ">",
                    ast::BinOp::Ge => ">=",
                    ast::BinOp::Add => "+",
                    ast::BinOp::Sub => "-",
                };
                format!("{} {op} {}", Self::operand_name(a), Self::operand_name(b))
            }
            E::Recv(x) => format!("recv {}", Self::operand_name(x)),
            E::Spawn { task, args, detached, method } => {
                let d = if *detached { "detached " } else { "" };
                format!("spawn {d}{}", Self::task_call_name(task, args, *method))
            }
            E::GroupGo { group, task, args, method } => {
                format!("{}.go {}", Self::operand_name(group), Self::task_call_name(task, args, *method))
            }
            E::StructLit { name, .. } => format!("{} {{ ... }}", name.text),
            E::FnLit { .. } | E::Closure { .. } => "fn(...) { ... }".into(),
            E::SpawnBlock { .. } => "spawn { ... }".into(),
            E::GroupGoBlock { group, .. } => format!("{}.go {{ ... }}", Self::operand_name(group)),
            E::Join(x) => format!("join {}", Self::operand_name(x)),
            E::Work { name, ctx: None } => format!("work {}", name.text),
            E::Work { name, ctx: Some(c) } => format!("work {}({})", name.text, Self::operand_name(c)),
            E::Try(x) => format!("{}?", Self::operand_name(x)),
            E::Array { elem, len } => format!("[{}; {}]", Self::operand_name(elem), Self::operand_name(len)),
            E::Error => "…".into(),
        }
    }

    /// `task(args)` or `recv.task(args)` as written.
    fn task_call_name(task: &ast::Ident, args: &[ast::Expr], method: bool) -> String {
        let list = |args: &[ast::Expr]| args.iter().map(Self::operand_name).collect::<Vec<_>>().join(", ");
        match args.split_first() {
            Some((recv, rest)) if method => {
                format!("{}.{}({})", Self::operand_name(recv), task.text, list(rest))
            }
            _ => format!("{}({})", task.text, list(args)),
        }
    }

    /// A receive operand: channel, ticker, timer or done channel; returns the element kind.
    pub(super) fn recv_operand(&mut self, f: &mut Fn, chan: &ast::Expr) -> (Expr, Ty) {
        let elem = self.kinds.fresh();
        let Some((c, t)) = self.pure(f, chan, "a channel") else {
            return (Expr::Const(Const::Nil), elem);
        };
        self.pending_recv.push(PendingRecv {
            chan_ty: t,
            elem_ty: elem,
            span: chan.span,
            name: Self::operand_name(chan),
            site: None,
        });
        (c, elem)
    }

    /// Records where the operand of the receives lowered since the
    /// `pending`th ended up (see `resolve_pending`).
    pub(super) fn recv_site(&mut self, pending: usize, site: RecvSite) {
        for p in &mut self.pending_recv[pending..] {
            p.site.get_or_insert(site);
        }
    }

    pub(super) fn send_operand(
        &mut self,
        f: &mut Fn,
        chan: &ast::Expr,
        value: Option<&ast::Expr>,
    ) -> Option<(Expr, Expr)> {
        let (c, t) = self.pure(f, chan, "a channel")?;
        let args = self.require(t, Con::Chan, "send", &Self::operand_name(chan), chan.span);
        let (v, vt) = match value {
            Some(v) => self.pure(f, v, "a value to send")?,
            None => (Expr::Const(Const::Unit), self.kinds.simple(Con::Unit)),
        };
        if let Some(&elem) = args.first() {
            let span = value.map_or(chan.span, |v| v.span);
            self.unify_at(vt, elem, span, "the value sent");
        }
        Some((c, v))
    }

    pub(super) fn condition(&mut self, f: &mut Fn, cond: &ast::Expr) -> Expr {
        let Some((e, t)) = self.pure(f, cond, "a condition") else {
            return Expr::Const(Const::Bool(false));
        };
        let b = self.kinds.simple(Con::Bool);
        self.unify_at(t, b, cond.span, "the condition");
        e
    }

    pub(super) fn place(&mut self, f: &mut Fn, target: &ast::Expr) -> Option<(Place, Ty)> {
        match &target.kind {
            E::Name(n) => {
                if let Some(slot) = f.lookup(&n.text) {
                    return Some((Place::Local(slot), f.locals[slot as usize].ty));
                }
                if let Some(&g) = self.global_index.get(&n.text) {
                    return Some((Place::Global(g), self.globals[g as usize].ty));
                }
                if self.pure(f, target, "a variable").is_some() {
                    let what = if self.consts.contains_key(&n.text) {
                        "a constant"
                    } else if self.func_index.contains_key(&n.text) {
                        "a function"
                    } else {
                        "a result literal"
                    };
                    self.errors.push(
                        Diagnostic::error(
                            "E0115",
                            target.span,
                            format!("cannot assign to `{}`: it is {what}", n.text),
                        )
                        .with_label("not a variable")
                        .with_hint("assign to a `let`, a `var`, a parameter or an array element"),
                    );
                }
                None
            }
            E::Index(base, index) => {
                let (b, bt) = self.pure(f, base, "an array or a map")?;
                if self.is_map(bt) {
                    return self.map_place(f, b, bt, base, index);
                }
                let (i, elem) = self.indexing(f, bt, base, index)?;
                Some((Place::Index(b, i), elem))
            }
            E::Field(base, field) => self.field_place(f, base, field),
            _ => {
                self.errors.push(
                    Diagnostic::error("E0115", target.span, "cannot assign to this")
                        .with_label("not a variable")
                        .with_hint("assign to a `let`, a `var`, a parameter or an array element"),
                );
                None
            }
        }
    }

    /// Lowers a side-effect-free expression; `what` names the expected role.
    pub(super) fn pure(&mut self, f: &mut Fn, e: &ast::Expr, what: &str) -> Option<(Expr, Ty)> {
        let k = &mut self.kinds;
        Some(match &e.kind {
            E::Int(v) => {
                let v = self.small(*v, e.span);
                (Expr::Const(Const::Int(v)), self.kinds.simple(Con::Int))
            }
            E::Bool(b) => (Expr::Const(Const::Bool(*b)), k.simple(Con::Bool)),
            E::Nil => {
                let t = self.kinds.fresh();
                self.pending_nil.push((t, e.span, false));
                (Expr::Const(Const::Nil), t)
            }
            E::Atom(a) => {
                let i = Self::intern(&mut self.atoms, a);
                (Expr::Const(Const::Atom(i)), self.kinds.simple(Con::Atom))
            }
            E::Name(n) => {
                if let Some(slot) = f.lookup(&n.text) {
                    (Expr::Local(slot), f.locals[slot as usize].ty)
                } else if let Some(v) = self.consts.get(&n.text) {
                    let v = self.small(*v, e.span);
                    (Expr::Const(Const::Int(v)), self.kinds.simple(Con::Int))
                } else if let Some(&g) = self.global_index.get(&n.text) {
                    (Expr::Global(g), self.globals[g as usize].ty)
                } else if n.text == "ok" || n.text == "err" {
                    let c = if n.text == "ok" { Const::Ok } else { Const::Err };
                    (Expr::Const(c), self.kinds.simple(Con::Result))
                } else if let Some(&func) = self.func_index.get(&n.text) {
                    let sig = self.sigs[func as usize].clone();
                    if sig.is_task {
                        self.errors.push(
                            Diagnostic::error("E0124", e.span, format!("task `{}` used as a value", n.text))
                                .with_label("a task")
                                .with_hint(format!("start it with `spawn {}(...)`", n.text)),
                        );
                        return None;
                    }
                    if !sig.rest.is_empty() {
                        self.errors.push(
                            Diagnostic::error(
                                "E0143",
                                e.span,
                                format!("`{}` returns two results and cannot be a callback", n.text),
                            )
                            .with_label("used as a value")
                            .with_hint(
                                "a callback returns one result: wrap the call in a helper that returns one",
                            ),
                        );
                        return None;
                    }
                    let mut args = sig.params.clone();
                    args.push(sig.ret);
                    self.edges.push((f.id, func, false, n.span));
                    (Expr::Const(Const::Func(func)), self.kinds.con(Con::Func, args))
                } else {
                    let mut names: Vec<&str> = f.names().collect();
                    names.extend(self.consts.keys().map(String::as_str));
                    names.extend(self.global_index.keys().map(String::as_str));
                    names.extend(self.func_index.keys().map(String::as_str));
                    let mut d = Diagnostic::error("E0125", n.span, format!("`{}` is not defined", n.text))
                        .with_label("unknown name");
                    if let Some(s) = suggest(&n.text, names) {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    } else if const_ctor(&n.text) {
                        d = d.with_hint(format!("make one with `{}(...)`", n.text));
                    }
                    self.errors.push(d);
                    return None;
                }
            }
            E::Field(base, field) => {
                let (b, bt) = self.pure(f, base, "a value")?;
                let bn = Self::operand_name(base);
                if let Some(read) = self.field_read(&b, bt, field, &bn).ok()? {
                    return Some(read);
                }
                match field.text.as_str() {
                    "done" => {
                        self.require(bt, Con::Ctx, "done", &bn, base.span);
                        let u = self.kinds.simple(Con::Unit);
                        (Expr::Done(Box::new(b)), self.kinds.con(Con::Chan, vec![u]))
                    }
                    "ctx" => {
                        self.require(bt, Con::Group, "ctx", &bn, base.span);
                        (Expr::GroupCtx(Box::new(b)), self.kinds.simple(Con::Ctx))
                    }
                    other => {
                        let mut d =
                            Diagnostic::error("E0126", field.span, format!("unknown field `{other}`"))
                                .with_label("no such field")
                                .with_hint("fields are `ctx.done` and `group.ctx`");
                        if METHODS.contains(&other) {
                            d = d.with_hint(format!("`{other}` is a method: call it, `{bn}.{other}()`"));
                        } else if let Some(s) = suggest(other, ["done", "ctx"]) {
                            d = d.with_hint(format!("did you mean `{s}`?"));
                        }
                        self.errors.push(d);
                        return None;
                    }
                }
            }
            E::Method { recv, name, args } if name.text == "err" && args.is_empty() => {
                let (b, bt) = self.pure(f, recv, "a context")?;
                self.require(bt, Con::Ctx, "err", &Self::operand_name(recv), recv.span);
                (Expr::CtxErr(Box::new(b)), self.kinds.simple(Con::Result))
            }
            E::Index(base, index) => {
                let (b, bt) = self.pure(f, base, "an array or a map")?;
                if self.is_map(bt) {
                    return self.map_get(f, b, bt, base, index);
                }
                let (i, elem) = self.indexing(f, bt, base, index)?;
                (Expr::Index(Box::new(b), Box::new(i)), elem)
            }
            E::Call { callee, args } if callee.text == "len" && f.lookup("len").is_none() => {
                return self.map_len(f, callee, args, e.span);
            }
            E::Unary(op, x) => {
                let (v, t) = self.pure(f, x, what)?;
                let (con, op) = match op {
                    ast::UnOp::Not => (Con::Bool, UnOp::Not),
                    ast::UnOp::Neg => (Con::Int, UnOp::Neg),
                };
                let want = self.kinds.simple(con);
                self.unify_at(t, want, x.span, "the operand");
                (Expr::Unary(op, Box::new(v)), want)
            }
            E::Binary(op, a, b) => {
                let (x, xt) = self.pure(f, a, what)?;
                let (y, yt) = self.pure(f, b, what)?;
                use ast::BinOp as A;
                let (operand, result, op) = match op {
                    A::Or => (Some(Con::Bool), Con::Bool, BinOp::Or),
                    A::And => (Some(Con::Bool), Con::Bool, BinOp::And),
                    A::Eq => (None, Con::Bool, BinOp::Eq),
                    A::Ne => (None, Con::Bool, BinOp::Ne),
                    A::Lt => (Some(Con::Int), Con::Bool, BinOp::Lt),
                    A::Le => (Some(Con::Int), Con::Bool, BinOp::Le),
                    A::Gt => (Some(Con::Int), Con::Bool, BinOp::Gt),
                    A::Ge => (Some(Con::Int), Con::Bool, BinOp::Ge),
                    A::Add => (Some(Con::Int), Con::Int, BinOp::Add),
                    A::Sub => (Some(Con::Int), Con::Int, BinOp::Sub),
                };
                if let Some(c) = operand {
                    let want = self.kinds.simple(c);
                    self.unify_at(xt, want, a.span, "the left operand");
                    self.unify_at(yt, want, b.span, "the right operand");
                } else {
                    self.unify_at(yt, xt, b.span, "the right operand (compared with the left)");
                    // `t != nil` on a timer or ticker field is Go's pointer test.
                    for nil in [a, b].into_iter().filter(|x| matches!(x.kind, E::Nil)) {
                        if let Some(entry) =
                            self.pending_nil.iter_mut().rev().find(|(_, span, _)| *span == nil.span)
                        {
                            entry.2 = true;
                        }
                    }
                }
                (Expr::Binary(op, Box::new(x), Box::new(y)), self.kinds.simple(result))
            }
            E::Recv(_)
            | E::Spawn { .. }
            | E::GroupGo { .. }
            | E::SpawnBlock { .. }
            | E::GroupGoBlock { .. }
            | E::Join(_)
            | E::Work { .. }
            | E::Try(_)
            | E::Call { .. }
            | E::Method { .. }
            | E::StructLit { .. }
            | E::FnLit { .. }
            | E::Closure { .. }
            | E::Array { .. } => {
                self.errors.push(
                    Diagnostic::error(
                        "E0127",
                        e.span,
                        format!("expected {what}, found an operation that takes a step"),
                    )
                    .with_label("cannot be nested in an expression")
                    .with_hint("bind it first: `let x = ...`, then use `x`"),
                );
                return None;
            }
            E::Error => return None,
        })
    }

    /// Whether `e` is, here, known to be a map (a `for` over it walks its entries).
    pub(super) fn known_map(&mut self, f: &mut Fn, e: &ast::Expr) -> bool {
        let errors = self.errors.len();
        let known = self.pure(f, e, "a map").is_some_and(|(_, t)| self.is_map(t));
        self.errors.truncate(errors);
        known
    }

    /// `base[index]` on an array `base` of kind `bt`: the index and the element kind.
    fn indexing(&mut self, f: &mut Fn, bt: Ty, base: &ast::Expr, index: &ast::Expr) -> Option<(Expr, Ty)> {
        let (i, it) = self.pure(f, index, "an index")?;
        let int = self.kinds.simple(Con::Int);
        self.unify_at(it, int, index.span, "the index");
        let args = self.require(bt, Con::Array, "[]", &Self::operand_name(base), base.span);
        let elem = match args.first() {
            Some(&t) => t,
            None => self.kinds.fresh(),
        };
        Some((i, elem))
    }
}
