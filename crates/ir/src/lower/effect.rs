//! Lowering the operations that take a step: receive, spawn, work, calls,
//! constructors, methods on synchronisation objects.

use super::*;

impl Lowerer {
    /// Lowers an expression in statement position or on the right of `=`: the
    /// one place where effects (receive, spawn, work, calls, makes) may appear.
    pub(super) fn effect(&mut self, f: &mut Fn, e: &ast::Expr, dst: Option<(Place, Ty)>, span: Span) {
        let (place, ty) = match dst {
            Some((p, t)) => (Some(p), Some(t)),
            None => (None, None),
        };
        let set = |this: &mut Self, t: Ty| {
            if let Some(ty) = ty {
                this.unify_at(t, ty, e.span, "this value");
            }
        };
        match &e.kind {
            E::Recv(chan) => {
                let pending = self.pending_recv.len();
                let (c, elem) = self.recv_operand(f, chan);
                set(self, elem);
                let zero = self.zero_of(elem);
                let at = f.emit(Instr::Recv { chan: c, value: place, ok: None, zero }, span);
                self.recv_site(pending, RecvSite::Instr(f.id, at as Pc));
            }
            E::Spawn { task, args, detached, method } => {
                let Some(task) = self.task_name(f, task, args, *method) else {
                    return;
                };
                let Some((func, args)) = self.call_args(f, &task, args, true) else {
                    return;
                };
                let t = self.kinds.simple(Con::Task);
                set(self, t);
                f.emit(Instr::Spawn { func, args, dst: place, group: None, detached: *detached }, span);
            }
            E::GroupGo { group, task, args, method } => {
                let Some((g, gt)) = self.pure(f, group, "a group") else {
                    return;
                };
                self.require(gt, Con::Group, "go", &Self::operand_name(group), group.span);
                let Some(task) = self.task_name(f, task, args, *method) else {
                    return;
                };
                let Some((func, args)) = self.call_args(f, &task, args, true) else {
                    return;
                };
                let t = self.kinds.simple(Con::Task);
                set(self, t);
                f.emit(Instr::Spawn { func, args, dst: place, group: Some(g), detached: false }, span);
            }
            E::Join(h) => {
                let Some((x, t)) = self.pure(f, h, "a task handle") else {
                    return;
                };
                self.require(t, Con::Task, "join", &Self::operand_name(h), h.span);
                let u = self.kinds.simple(Con::Unit);
                set(self, u);
                f.emit(Instr::Join { task: x }, span);
            }
            E::Work { name, ctx } => {
                let c = ctx.as_ref().and_then(|c| {
                    let (x, t) = self.pure(f, c, "a context")?;
                    self.require(t, Con::Ctx, "work", &Self::operand_name(c), c.span);
                    Some(x)
                });
                let r = self.kinds.simple(Con::Result);
                set(self, r);
                let name = Self::intern(&mut self.works, &name.text);
                f.emit(Instr::Work { name, ctx: c, dst: place }, span);
            }
            E::Try(inner) => {
                let r = self.kinds.simple(Con::Result);
                let tmp = self.temp(f, r);
                self.effect(f, inner, Some((Place::Bind(tmp), r)), span);
                if f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0112", e.span, "`?` inside a deferred statement")
                            .with_label("would return while returning"),
                    );
                    return;
                }
                if !f.results.is_empty() {
                    self.errors.push(
                        Diagnostic::error("E0143", e.span, "`?` in a helper that returns two results")
                            .with_label("would return `err` alone")
                            .with_hint("test the result and return both: `if r == err { return (v, err) }`"),
                    );
                    return;
                }
                let is_err =
                    Expr::Binary(BinOp::Eq, Box::new(Expr::Local(tmp)), Box::new(Expr::Const(Const::Err)));
                let br = f.emit(Instr::Branch { cond: is_err, target: 0 }, e.span);
                if !f.is_task {
                    self.unify_at(f.ret, r, e.span, "`?` makes the function return a result; the function");
                }
                f.emit(Instr::Return { value: Some(Expr::Const(Const::Err)) }, e.span);
                let pc = f.pc();
                patch(&mut f.code, br, pc);
                set(self, r);
                if let Some(p) = place {
                    f.emit(Instr::Assign { dst: p, value: Expr::Local(tmp) }, span);
                }
            }
            E::Array { elem, len } => {
                let t = self.kinds.fresh();
                let Some(ctor) = self.array(f, elem, len, t) else {
                    return;
                };
                set(self, t);
                let Some(place) = place else {
                    return self.discarded(e);
                };
                f.emit(Instr::New { dst: place, ctor }, span);
            }
            E::Closure { func, captures } => {
                let Some((func, captures, t)) = self.closure_value(f, func, captures) else {
                    return;
                };
                set(self, t);
                let Some(place) = place else {
                    return self.discarded(e);
                };
                f.emit(Instr::New { dst: place, ctor: Ctor::Closure { func, captures } }, span);
            }
            E::StructLit { name, fields } => {
                let t = self.kinds.fresh();
                let Some(ctor) = self.struct_literal(f, name, fields, t, e.span) else {
                    return;
                };
                set(self, t);
                let Some(place) = place else {
                    return self.discarded(e);
                };
                f.emit(Instr::New { dst: place, ctor }, span);
            }
            E::Call { callee, args } if const_ctor(&callee.text) && f.lookup(&callee.text).is_none() => {
                let t = self.kinds.fresh();
                let Some(ctor) = self.ctor(f, e, t) else {
                    return;
                };
                set(self, t);
                let Some(place) = place else {
                    return self.discarded(e);
                };
                let _ = args;
                f.emit(Instr::New { dst: place, ctor }, span);
            }
            E::Call { callee, args } if callee.text == "exit" && f.lookup("exit").is_none() => {
                if !args.is_empty() {
                    self.arity(callee, 0, args.len(), e.span);
                    return;
                }
                if place.is_some() {
                    self.errors.push(
                        Diagnostic::error("E0116", e.span, "`exit` returns nothing")
                            .with_label("no value to bind")
                            .with_hint("call it as a statement"),
                    );
                    return;
                }
                f.emit(Instr::Exit, span);
            }
            E::Call { callee, args } if callee.text == "recover" && f.lookup("recover").is_none() => {
                if !args.is_empty() {
                    self.arity(callee, 0, args.len(), e.span);
                    return;
                }
                let r = self.kinds.simple(Con::Result);
                set(self, r);
                f.emit(Instr::Recover { dst: place, deferred: f.in_defer }, span);
            }
            E::Call { callee, args }
                if matches!(callee.text.as_str(), "push" | "pop") && f.lookup(&callee.text).is_none() =>
            {
                let Some((elem, instr)) = self.list_op(f, callee, args, place, e.span) else { return };
                set(self, elem);
                f.emit(instr, span);
            }
            E::Call { callee, args } if callee.text == "delete" && f.lookup("delete").is_none() => {
                self.map_delete(f, callee, args, span);
            }
            E::Call { callee, args }
                if BUILTINS.contains(&callee.text.as_str()) && f.lookup(&callee.text).is_none() =>
            {
                let [arg] = args.as_slice() else {
                    self.arity(callee, 1, args.len(), e.span);
                    return;
                };
                let Some((x, t)) = self.pure(f, arg, "an operand") else {
                    return;
                };
                let name = Self::operand_name(arg);
                // `stop(timer)` and `reset(timer)` tell whether the timer was
                // still to fire (Go's `Timer.Stop`, `Timer.Reset`); the other
                // builtins give nothing.
                let result = self.kinds.fresh();
                let op = match callee.text.as_str() {
                    "close" => {
                        self.require(t, Con::Chan, "close", &name, arg.span);
                        Op::Close
                    }
                    "cancel" => {
                        self.require(t, Con::Ctx, "cancel", &name, arg.span);
                        Op::Cancel
                    }
                    "reset" => {
                        self.pending_op(f, Surface::Reset, t, result, arg.span, name);
                        Op::Reset
                    }
                    _ => {
                        self.pending_op(f, Surface::Stop, t, result, arg.span, name);
                        Op::Stop
                    }
                };
                if !matches!(op, Op::Stop | Op::Reset) {
                    let u = self.kinds.simple(Con::Unit);
                    self.unify_at(result, u, e.span, "the result");
                }
                set(self, result);
                f.emit(Instr::Op { op, target: x, arg: None, dst: place }, span);
            }
            E::Call { callee, args } if callee.text != "len" || f.lookup("len").is_some() => {
                let rest = std::mem::take(&mut self.rest_dst);
                let (c, ret) = if let Some(slot) = f.lookup(&callee.text) {
                    if !rest.is_empty() {
                        self.errors.push(
                            Diagnostic::error("E0143", e.span, "a callback returns one result")
                                .with_label("called through a parameter")
                                .with_hint("call the helper that returns two results by its name"),
                        );
                        return;
                    }
                    let lt = f.locals[slot as usize].ty;
                    let Some(call) = self.dynamic_call(f, Expr::Local(slot), lt, callee, args, place.clone())
                    else {
                        return;
                    };
                    call
                } else {
                    let Some((func, xs)) = self.call_args(f, callee, args, false) else {
                        return;
                    };
                    let sig = self.sigs[func as usize].clone();
                    let wanted = rest.len() + 1;
                    let has = sig.rest.len() + 1;
                    if (!rest.is_empty() || place.is_some()) && wanted != has {
                        let label =
                            if has == 1 { "one result".to_string() } else { format!("{has} results") };
                        let hint = if has == 1 {
                            format!("bind it with `let v = {}(...)`", callee.text)
                        } else {
                            format!("bind them all: `let (v, e) = {}(...)`", callee.text)
                        };
                        self.errors.push(
                            Diagnostic::error(
                                "E0143",
                                e.span,
                                format!("`{}` returns {label}, but this binds {wanted}", callee.text),
                            )
                            .with_label(format!("returns {label}"))
                            .with_hint(hint),
                        );
                        return;
                    }
                    let mut rest_places = Vec::new();
                    for ((p, t), st) in rest.into_iter().zip(sig.rest) {
                        self.unify_at(t, st, e.span, "the result");
                        rest_places.push(p);
                    }
                    let call = Instr::Call {
                        callee: Callee::Static(func),
                        args: xs,
                        dst: place.clone(),
                        rest: rest_places,
                    };
                    (call, sig.ret)
                };
                if place.is_some() {
                    set(self, ret);
                }
                f.emit(c, span);
            }
            E::Method { recv, name, args } => match self.method_of(f, recv, name, false) {
                Ok(Some(Target::Field)) => {
                    // A function value in a struct's field, called.
                    let Some((b, bt)) = self.pure(f, recv, "a struct value") else { return };
                    let Ok(Some((callee, ct))) = self.field_read(&b, bt, name, &Self::operand_name(recv))
                    else {
                        return;
                    };
                    if !self.rest_dst.is_empty() {
                        self.rest_dst.clear();
                        self.errors.push(
                            Diagnostic::error("E0143", e.span, "a callback returns one result")
                                .with_label("called through a field")
                                .with_hint("call the helper that returns two results by its name"),
                        );
                        return;
                    }
                    let Some((c, ret)) = self.dynamic_call(f, callee, ct, name, args, place.clone()) else {
                        return;
                    };
                    if place.is_some() {
                        set(self, ret);
                    }
                    f.emit(c, span);
                }
                Ok(Some(Target::Method(full))) => {
                    let callee = ast::Ident { text: full, span: name.span };
                    let args = std::iter::once((**recv).clone()).chain(args.iter().cloned()).collect();
                    let call = ast::Expr { kind: E::Call { callee, args }, span: e.span };
                    self.effect(f, &call, place.map(|p| (p, ty.expect("a place has a kind"))), span);
                }
                Ok(None) => self.method(f, recv, name, args, place, ty, span),
                Err(()) => {}
            },
            _ => {
                let Some((v, t)) = self.pure(f, e, "a value") else {
                    return;
                };
                set(self, t);
                match place {
                    Some(p) => {
                        f.emit(Instr::Assign { dst: p, value: v }, span);
                    }
                    None => self.discarded(e),
                }
            }
        }
    }

    pub(super) fn discarded(&mut self, e: &ast::Expr) {
        self.errors.push(
            Diagnostic::error("E0116", e.span, "this expression does nothing")
                .with_label("value not used")
                .with_hint("bind it with `let x = ...`, or use a statement such as `send`, `recv` or a call"),
        );
    }

    pub(super) fn arity(&mut self, name: &ast::Ident, want: usize, got: usize, span: Span) {
        self.errors.push(
            Diagnostic::error(
                "E0117",
                span,
                format!(
                    "`{}` takes {want} argument{}, but {got} {} given",
                    name.text,
                    if want == 1 { "" } else { "s" },
                    if got == 1 { "was" } else { "were" }
                ),
            )
            .with_label("wrong number of arguments"),
        );
    }

    /// A function value `fn(...) { ... }`, lifted into helper `name`: the
    /// helper, its captured values (lowered as arguments) and the value's
    /// kind, a function of the helper's own parameters.
    pub(super) fn closure_value(
        &mut self,
        f: &mut Fn,
        name: &ast::Ident,
        captures: &[ast::Expr],
    ) -> Option<(FuncId, Vec<Expr>, Ty)> {
        let &func = self.func_index.get(&name.text)?;
        let sig = self.sigs[func as usize].clone();
        if !sig.rest.is_empty() {
            self.errors.push(
                Diagnostic::error("E0143", name.span, "a function value returns one result")
                    .with_label("returns two results")
                    .with_hint(
                        "return one result from a function value; a helper (`fn NAME`) may return two",
                    ),
            );
            return None;
        }
        let values = self.arg_list(f, func, captures, &sig.params[..captures.len()])?;
        let mut kind = sig.params[captures.len()..].to_vec();
        kind.push(sig.ret);
        Some((func, values, self.kinds.con(Con::Func, kind)))
    }

    /// Resolves a spawn or helper call and lowers its arguments.
    pub(super) fn call_args(
        &mut self,
        f: &mut Fn,
        name: &ast::Ident,
        args: &[ast::Expr],
        spawn: bool,
    ) -> Option<(FuncId, Vec<Expr>)> {
        let Some(&func) = self.func_index.get(&name.text) else {
            let candidates: Vec<&str> = self.func_index.keys().map(String::as_str).collect();
            let what = if spawn { "task" } else { "function" };
            let mut d = Diagnostic::error("E0118", name.span, format!("unknown {what} `{}`", name.text))
                .with_label(format!("no such {what}"));
            // Only a task can be spawned: no keyword or builtin is a likely meaning.
            let keywords = leash_syntax::KEYWORDS.iter().copied().filter(|_| !spawn);
            let builtins = BUILTINS.iter().copied().filter(|_| !spawn);
            let go = GO_CONSTRUCTORS.iter().find(|(g, _)| *g == name.text).filter(|_| !spawn);
            if let Some((_, leash)) = go {
                d = d.with_hint(format!("leash writes it `{leash}`"));
            } else if let Some(s) =
                suggest(&name.text, candidates.iter().copied().chain(builtins).chain(keywords))
            {
                d = d.with_hint(format!("did you mean `{s}`?"));
            }
            self.errors.push(d);
            return None;
        };
        let sig = self.sigs[func as usize].clone();
        if spawn && !sig.is_task {
            self.errors.push(
                Diagnostic::error("E0119", name.span, format!("`{}` is a helper, not a task", name.text))
                    .with_label("cannot be spawned")
                    .with_hint(format!(
                        "declare it with `task {}(...)`, or call it without `spawn`",
                        name.text
                    )),
            );
            return None;
        }
        if !spawn && sig.is_task {
            self.errors.push(
                Diagnostic::error("E0119", name.span, format!("`{}` is a task, not a helper", name.text))
                    .with_label("cannot be called")
                    .with_hint(format!("start it with `spawn {}(...)`", name.text)),
            );
            return None;
        }
        if sig.params.len() != args.len() {
            self.arity(name, sig.params.len(), args.len(), name.span);
            return None;
        }
        self.edges.push((f.id, func, spawn, name.span));
        let out = self.arg_list(f, func, args, &sig.params)?;
        Some((func, out))
    }

    /// The arguments `args` of a call or spawn of `func`, whose parameters
    /// have kinds `params`: a local named is given as it is (`Expr::Raw`),
    /// a model-level variable by reference.
    fn arg_list(&mut self, f: &mut Fn, func: FuncId, args: &[ast::Expr], params: &[Ty]) -> Option<Vec<Expr>> {
        let mut out = Vec::new();
        for (i, (a, pt)) in args.iter().zip(params).enumerate() {
            let (x, t) = match &a.kind {
                // The slot as it is: `pass_arguments` decides at the end
                // whether its cell or its value is passed.
                E::Name(n) if f.lookup(&n.text).is_some() => {
                    let slot = f.lookup(&n.text).expect("checked");
                    (Expr::Raw(slot), f.locals[slot as usize].ty)
                }
                E::Name(n) if self.global_index.contains_key(&n.text) => {
                    let g = self.global_index[&n.text];
                    (Expr::GlobalRef(g), self.globals[g as usize].ty)
                }
                _ => self.argument(f, a)?,
            };
            if !self.unify_at(t, *pt, a.span, "the argument") {
                self.hint_untyped_param(func, i, t);
            }
            out.push(x);
        }
        Some(out)
    }

    /// A hint for an argument whose kind is not the one the `i`th parameter
    /// of `func` was given from its uses, where that parameter has no type:
    /// `len(c)` or `c[k]` in an untyped helper guesses a map or an array.
    fn hint_untyped_param(&mut self, func: FuncId, i: usize, arg: Ty) {
        let Some(decl) = self.decls.get(func as usize) else { return };
        // A method's receiver is its first parameter by now (`desugar_methods`).
        let Some(param) = decl.params.get(i) else { return };
        let Some(con) = self.kinds.con_of(arg) else { return };
        let Some(kind) = con.name() else { return };
        if param.ty.is_some() {
            return;
        }
        let hint = format!(
            "`{p}` has no type, so its kind is inferred from how `{}` uses it and what it is given: \
             annotate it (`{p}: {kind}`) if it takes {}",
            decl.name.text,
            con.noun(),
            p = param.name.text,
        );
        if let Some(last) = self.errors.pop() {
            self.errors.push(last.with_hint(hint));
        }
    }

    pub(super) fn ctor(&mut self, f: &mut Fn, e: &ast::Expr, ty: Ty) -> Option<Ctor> {
        let E::Call { callee, args } = &e.kind else {
            return None;
        };
        let name = callee.text.as_str();
        let (min, max) = match name {
            "chan" => (0, 1),
            "cond" | "with_cancel" | "with_timeout" => (1, 1),
            "group" => (0, 2),
            "ticker" | "timer" => (0, 1),
            _ => (0, 0),
        };
        if args.len() < min || args.len() > max {
            self.arity(callee, max, args.len(), e.span);
            return None;
        }
        let mut operand = |this: &mut Self, i: usize, con: Con| -> Option<Expr> {
            let a = &args[i];
            let (x, t) = this.argument(f, a)?;
            this.require(t, con, name, &Self::operand_name(a), a.span);
            Some(x)
        };
        let (ctor, con) = match name {
            "chan" => {
                let cap = match args.first() {
                    Some(a) => {
                        let v = self.bound(f, a).unwrap_or(0);
                        if !(0..=16).contains(&v) {
                            self.errors.push(
                                Diagnostic::error(
                                    "E0122",
                                    a.span,
                                    format!("channel capacity {v} is out of range"),
                                )
                                .with_label("capacity")
                                .with_hint("capacities go from 0 (unbuffered) to 16"),
                            );
                        }
                        v.clamp(0, 16) as i16
                    }
                    None => 0,
                };
                (Ctor::Chan(Expr::Const(Const::Int(cap))), Con::Chan)
            }
            "mutex" => (Ctor::Mutex, Con::Mutex),
            "rwmutex" => (Ctor::RwMutex, Con::RwMutex),
            // `cond(rw.rlocker())`: a cond over an rwmutex's read lock.
            "cond" => match &args[0].kind {
                E::Method { recv, name, args: none } if name.text == "rlocker" && none.is_empty() => {
                    let (x, t) = self.pure(f, recv, "an rwmutex")?;
                    self.require(t, Con::RwMutex, "rlocker", &Self::operand_name(recv), recv.span);
                    (Ctor::Cond(x), Con::Cond)
                }
                _ => (Ctor::Cond(operand(self, 0, Con::Mutex)?), Con::Cond),
            },
            "once" => (Ctor::Once, Con::Once),
            "waitgroup" => (Ctor::WaitGroup, Con::WaitGroup),
            "group" => {
                let ctx = if !args.is_empty() { Some(operand(self, 0, Con::Ctx)?) } else { None };
                let limit = match args.get(1) {
                    Some(a) => {
                        let v = self.bound(f, a).unwrap_or(1);
                        Some(Expr::Const(Const::Int(self.small(v, a.span).max(1))))
                    }
                    None => None,
                };
                (Ctor::Group { ctx, limit }, Con::Group)
            }
            "background" => (Ctor::Background, Con::Ctx),
            "signal" => (Ctor::Signal, Con::Ctx),
            "with_cancel" => (Ctor::WithCancel(operand(self, 0, Con::Ctx)?), Con::Ctx),
            "with_timeout" => (Ctor::WithTimeout(operand(self, 0, Con::Ctx)?), Con::Ctx),
            "ticker" => (Ctor::Ticker { short: self.short(args, name) }, Con::Ticker),
            "map" => {
                self.map_kinds_made.push((ty, e.span));
                (Ctor::Map, Con::Map)
            }
            "list" => (Ctor::List, Con::List),
            _ => (Ctor::Timer { short: self.short(args, name) }, Con::Timer),
        };
        let t = self.kinds.simple(con);
        self.unify_at(t, ty, e.span, &format!("`{name}(...)`"));
        Some(ctor)
    }

    /// Whether a ticker's or a timer's arguments (none, or `short`) ask for
    /// a short one; anything else is E0148 (and a long one, so that the
    /// kinds still flow).
    fn short(&mut self, args: &[ast::Expr], name: &str) -> bool {
        match args.first() {
            None => false,
            Some(ast::Expr { kind: E::Name(n), .. }) if n.text == "short" => {
                self.short_timers = true;
                true
            }
            Some(a) => {
                self.errors.push(
                    Diagnostic::error("E0148", a.span, format!("`{name}` takes no duration but `short`"))
                        .with_label("a duration")
                        .with_hint(format!(
                            "durations are unknown: `{name}()` is long beside a few statements, `{name}(short)` may come between any two steps"
                        )),
                );
                false
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn method(
        &mut self,
        f: &mut Fn,
        recv: &ast::Expr,
        name: &ast::Ident,
        args: &[ast::Expr],
        place: Option<Place>,
        ty: Option<Ty>,
        span: Span,
    ) {
        let Some((x, t)) = self.pure(f, recv, "a receiver") else {
            return;
        };
        let rn = Self::operand_name(recv);
        let m = name.text.as_str();
        let want = match m {
            "add" | "do" => 1,
            _ => 0,
        };
        if args.len() != want
            && matches!(
                m,
                "lock"
                    | "unlock"
                    | "rlock"
                    | "runlock"
                    | "add"
                    | "done"
                    | "wait"
                    | "signal"
                    | "broadcast"
                    | "do"
                    | "err"
            )
        {
            self.arity(name, want, args.len(), span);
            return;
        }
        let unit = self.kinds.simple(Con::Unit);
        let op = |op| Instr::Op { op, target: x.clone(), arg: None, dst: None };
        let instr = match m {
            "lock" | "unlock" => {
                let s = if m == "lock" { Surface::Lock } else { Surface::Unlock };
                self.pending_op(f, s, t, unit, name.span, rn);
                op(Op::Lock)
            }
            "wait" => {
                // `g.wait()` gives a result and `wg.wait()` nothing: a
                // statement whose result is dropped may be either.
                let result = ty.unwrap_or_else(|| self.kinds.fresh());
                self.pending_op(f, Surface::Wait, t, result, name.span, rn);
                Instr::Op { op: Op::WgWait, target: x.clone(), arg: None, dst: place }
            }
            "rlock" | "runlock" => {
                self.require(t, Con::RwMutex, m, &rn, recv.span);
                op(if m == "rlock" { Op::RLock } else { Op::RUnlock })
            }
            "add" => {
                self.require(t, Con::WaitGroup, m, &rn, recv.span);
                let Some((n, nt)) = self.pure(f, &args[0], "a count") else {
                    return;
                };
                let int = self.kinds.simple(Con::Int);
                self.unify_at(nt, int, args[0].span, "the count");
                Instr::Op { op: Op::WgAdd, target: x.clone(), arg: Some(n), dst: None }
            }
            "done" => {
                self.require(t, Con::WaitGroup, m, &rn, recv.span);
                op(Op::WgDone)
            }
            "signal" | "broadcast" => {
                self.require(t, Con::Cond, m, &rn, recv.span);
                op(if m == "signal" { Op::CondSignal } else { Op::CondBroadcast })
            }
            "do" => {
                self.require(t, Con::Once, m, &rn, recv.span);
                let arg = &args[0];
                let enter = f.emit(Instr::OnceEnter { once: x.clone(), skip: 0 }, span);
                let call = ast::Expr {
                    kind: match &arg.kind {
                        E::Name(n) => E::Call { callee: n.clone(), args: Vec::new() },
                        // Go's `once.Do(func() { ... })`: the closure's helper,
                        // given what it captured.
                        E::Closure { func, captures } => {
                            E::Call { callee: func.clone(), args: captures.clone() }
                        }
                        // Go's `once.Do(c.close)`: the method on its receiver.
                        E::Field(recv, name) => {
                            E::Method { recv: recv.clone(), name: name.clone(), args: Vec::new() }
                        }
                        other => other.clone(),
                    },
                    span: arg.span,
                };
                self.effect(f, &call, None, span);
                f.emit(Instr::OnceExit { once: x }, span);
                let pc = f.pc();
                patch(&mut f.code, enter, pc);
                return;
            }
            "rlocker" => {
                self.errors.push(
                    Diagnostic::error("E0123", name.span, "`rlocker()` is only a cond's lock")
                        .with_label("not a value of its own")
                        .with_hint(format!("make the cond with it: `cond({rn}.rlocker())`")),
                );
                return;
            }
            "err" => {
                if let Some(p) = place {
                    self.require(t, Con::Ctx, m, &rn, recv.span);
                    let r = self.kinds.simple(Con::Result);
                    if let Some(ty) = ty {
                        self.unify_at(r, ty, span, "`err()`");
                    }
                    f.emit(Instr::Assign { dst: p, value: Expr::CtxErr(Box::new(x)) }, span);
                } else {
                    self.errors.push(
                        Diagnostic::error("E0116", span, "this expression does nothing")
                            .with_label("value not used")
                            .with_hint("use it in a condition: `if ctx.err() == err { ... }`"),
                    );
                }
                return;
            }
            _ => {
                let mut d = Diagnostic::error("E0123", name.span, format!("unknown method `{m}`"))
                    .with_label("no such operation");
                if let Some(s) = suggest(m, METHODS.iter().copied()) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                } else if BUILTINS.contains(&m) {
                    d = d.with_hint(format!("write `{m}({rn})`"));
                }
                self.errors.push(d);
                return;
            }
        };
        if ty.is_some() && !matches!(m, "wait") {
            self.errors.push(
                Diagnostic::error("E0116", span, format!("`{m}` returns nothing"))
                    .with_label("no value to bind")
                    .with_hint("call it as a statement"),
            );
            return;
        }
        f.emit(instr, span);
    }

    pub(super) fn pending_op(
        &mut self,
        f: &Fn,
        what: Surface,
        recv_ty: Ty,
        result_ty: Ty,
        span: Span,
        name: String,
    ) {
        self.pending.push(Pending { func: f.id, pc: f.pc(), what, recv_ty, result_ty, span, name });
    }

    /// A call of the function value `callee` (of kind `ct`, named `name` in
    /// messages): the instruction and the result's kind.
    fn dynamic_call(
        &mut self,
        f: &mut Fn,
        callee: Expr,
        ct: Ty,
        name: &ast::Ident,
        args: &[ast::Expr],
        place: Option<Place>,
    ) -> Option<(Instr, Ty)> {
        let ret = self.kinds.fresh();
        let mut sig: Vec<Ty> = args.iter().map(|_| self.kinds.fresh()).collect();
        sig.push(ret);
        let ft = self.kinds.con(Con::Func, sig.clone());
        if !self.unify_at(ct, ft, name.span, &format!("`{}`", name.text)) {
            return None;
        }
        let mut xs = Vec::new();
        for (a, pt) in args.iter().zip(&sig) {
            let (x, t) = self.pure(f, a, "an argument")?;
            self.unify_at(t, *pt, a.span, "the argument");
            xs.push(x);
        }
        Some((Instr::Call { callee: Callee::Dynamic(callee), args: xs, dst: place, rest: Vec::new() }, ret))
    }

    /// The task a spawn starts: its name, or for `spawn x.method(...)` the
    /// struct's method (`Worker.run`).
    fn task_name(
        &mut self,
        f: &mut Fn,
        task: &ast::Ident,
        args: &[ast::Expr],
        method: bool,
    ) -> Option<ast::Ident> {
        if !method {
            return Some(task.clone());
        }
        match self.method_of(f, &args[0], task, true).ok()?? {
            Target::Method(full) => Some(ast::Ident { text: full, span: task.span }),
            Target::Field => None,
        }
    }

    /// An argument: a pure expression, or a constructor such as
    /// `background()` made into a temporary first.
    pub(super) fn argument(&mut self, f: &mut Fn, a: &ast::Expr) -> Option<(Expr, Ty)> {
        if let E::Array { .. } | E::StructLit { .. } | E::Closure { .. } = &a.kind {
            let t = self.kinds.fresh();
            let tmp = self.temp(f, t);
            self.effect(f, a, Some((Place::Bind(tmp), t)), a.span);
            return Some((Expr::Local(tmp), t));
        }
        if let E::Call { callee, .. } = &a.kind {
            if const_ctor(&callee.text) && f.lookup(&callee.text).is_none() {
                let t = self.kinds.fresh();
                let tmp = self.temp(f, t);
                let ctor = self.ctor(f, a, t)?;
                f.emit(Instr::New { dst: Place::Bind(tmp), ctor }, a.span);
                return Some((Expr::Local(tmp), t));
            }
        }
        self.pure(f, a, "an argument")
    }
}
