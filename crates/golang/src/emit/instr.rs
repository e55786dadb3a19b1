//! Instructions as Go statements: receives, select cases, spawns, defers,
//! calls, operations on synchronisation objects, returns.

use super::*;

impl FnCx<'_> {
    /// A receive as statements: `v, ok = <-ch`, or `<-t.C` then the stores of
    /// a tick (unit, true), or through a temporary for a ranged variable.
    pub(super) fn receive(
        &self,
        pc: Pc,
        chan: &Expr,
        value: &Option<Place>,
        ok: &Option<Place>,
        line: Option<u32>,
    ) -> Vec<Stmt> {
        let mut uses = Vec::new();
        let value = self.dst(pc, value).cloned();
        let c = self.recv_chan(chan, &self.elem_of(&value), &mut uses);
        if matches!(self.kind(chan), Kind::Ticker | Kind::Timer) {
            let mut out = vec![Stmt::line(format!("<-{c}"), uses, line)];
            for (pl, v) in [(&value, "struct{}{}"), (ok, "true")] {
                let mut uses = Vec::new();
                if let Some(s) = pl.as_ref().and_then(|p| self.store(p, v, &mut uses)) {
                    out.push(Stmt::line(s, uses, line));
                }
            }
            return out;
        }
        if ok.is_none() || self.is_blank(ok) {
            // `v = <-ch`, through a range check if need be; or just `<-ch`.
            let recv = format!("<-{c}");
            let text = value.as_ref().and_then(|p| self.store(p, &recv, &mut uses)).unwrap_or(recv);
            return vec![Stmt::line(text, uses, line)];
        }
        let v = value.as_ref().and_then(|p| self.simple_target(p, &mut uses));
        let o = ok.as_ref().and_then(|p| self.simple_target(p, &mut uses));
        if let (true, Some(o)) = (value.is_none() || v.is_some() || self.is_blank(&value), o) {
            let text = format!("{}, {o} = <-{c}", v.as_deref().unwrap_or("_"));
            let kind = match ok {
                Some(Place::Bind(s)) => LineKind::Recv {
                    value: v.clone().unwrap_or_else(|| "_".into()),
                    temp: match value {
                        Some(Place::Bind(t)) if self.is_temp(t) => Some(t),
                        _ => None,
                    },
                    ok: *s,
                    chan: c.clone(),
                    uses: uses.iter().copied().filter(|u| u != s).collect(),
                },
                _ => LineKind::Plain,
            };
            return vec![Stmt::Line(crate::go::Line { text, uses, line, kind })];
        }
        // A ranged variable: receive into temporaries first.
        let mut inner = vec![Stmt::line(format!("recvValue, recvOK := <-{c}"), uses, line)];
        for (pl, v) in [(&value, "recvValue"), (ok, "recvOK")] {
            let mut uses = Vec::new();
            match pl.as_ref().and_then(|p| self.store(p, v, &mut uses)) {
                Some(s) => inner.push(Stmt::line(s, uses, line)),
                None => inner.push(Stmt::line(format!("_ = {v}"), uses, line)),
            }
        }
        vec![Stmt::Block(inner)]
    }

    pub(super) fn is_blank(&self, p: &Option<Place>) -> bool {
        matches!(p, Some(Place::Bind(s) | Place::Local(s)) if self.unread(*s))
    }

    /// A place that can be assigned in a receive as it is (no range check).
    pub(super) fn simple_target(&self, p: &Place, uses: &mut Vec<u16>) -> Option<String> {
        match p {
            Place::Bind(s) | Place::Local(s) if self.unread(*s) => None,
            Place::Local(s) if self.is_ref(*s) && self.m.refs.range(self.f, *s).is_some() => None,
            Place::Global(g) if self.m.p.globals[*g as usize].range.is_some() => None,
            Place::Index(a, i) => {
                let a = self.operand(a, PRIMARY, 1, uses);
                Some(format!("{a}[{}]", self.expr_at(i, 2, uses)))
            }
            Place::Field(a, r) => {
                let a = self.operand(a, PRIMARY, 1, uses);
                Some(format!("{a}.{}", self.field_name(*r)))
            }
            Place::MapEntry(m, k) => {
                let m = self.operand(m, PRIMARY, 1, uses);
                Some(format!("{m}[{}]", self.expr_at(k, 2, uses)))
            }
            Place::Bind(s) | Place::Local(s) => {
                uses.push(*s);
                Some(if self.is_ref(*s) {
                    format!("*{}", self.slot_name(*s))
                } else {
                    self.slot_name(*s).to_string()
                })
            }
            Place::Global(g) => Some(self.m.names.globals[*g as usize].clone()),
        }
    }

    /// A select case head and the statements that start its body.
    pub(crate) fn case(&self, kind: &CaseKind, line: Option<u32>) -> (String, Vec<u16>, Vec<Stmt>) {
        let mut uses = Vec::new();
        match kind {
            CaseKind::After => ("case <-time.After(afterDelay()):".into(), uses, Vec::new()),
            CaseKind::Send { chan, value } => {
                let c = self.send_chan(chan, &self.kind(value), &mut uses);
                let v = self.expr(value, &mut uses);
                (format!("case {c} <- {v}:"), uses, Vec::new())
            }
            CaseKind::Recv { chan, value, ok, .. } => {
                let c = self.recv_chan(chan, &self.elem_of(value), &mut uses);
                let mut prelude = Vec::new();
                if matches!(self.kind(chan), Kind::Ticker | Kind::Timer) {
                    for (pl, v) in [(value, "struct{}{}"), (ok, "true")] {
                        let mut u = Vec::new();
                        if let Some(s) = pl.as_ref().and_then(|p| self.store(p, v, &mut u)) {
                            prelude.push(Stmt::line(s, u, line));
                        }
                    }
                    return (format!("case <-{c}:"), uses, prelude);
                }
                let v = value.as_ref().and_then(|p| self.simple_target(p, &mut uses));
                let o = ok.as_ref().and_then(|p| self.simple_target(p, &mut uses));
                let simple =
                    |p: &Option<Place>, t: &Option<String>| p.is_none() || t.is_some() || self.is_blank(p);
                if simple(value, &v) && simple(ok, &o) {
                    let head = match (&v, &o) {
                        (None, None) => format!("case <-{c}:"),
                        (Some(v), None) => format!("case {v} = <-{c}:"),
                        (v, Some(o)) => format!("case {}, {o} = <-{c}:", v.as_deref().unwrap_or("_")),
                    };
                    return (head, uses, prelude);
                }
                for (pl, v) in [(value, "recvValue"), (ok, "recvOK")] {
                    let mut u = Vec::new();
                    match pl.as_ref().and_then(|p| self.store(p, v, &mut u)) {
                        Some(s) => prelude.push(Stmt::line(s, u, line)),
                        None => prelude.push(Stmt::line(format!("_ = {v}"), u, line)),
                    }
                }
                (format!("case recvValue, recvOK := <-{c}:"), uses, prelude)
            }
        }
    }

    // ---- instructions -----------------------------------------------------

    /// `perturb()` before an instruction that is a step of its own.
    pub(crate) fn perturb(&self, pc: Pc) -> Option<Stmt> {
        (!self.func.silent[pc as usize]).then(|| {
            Stmt::Line(crate::go::Line {
                text: "perturb()".into(),
                uses: Vec::new(),
                line: self.line(pc),
                kind: LineKind::Perturb,
            })
        })
    }

    /// The statements of a non-control instruction (with its perturbation point).
    pub(crate) fn effect(&self, pc: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        if self.skip[pc as usize] {
            return Ok(Vec::new());
        }
        let mut out: Vec<Stmt> = self.perturb(pc).into_iter().collect();
        out.extend(self.statements(pc)?);
        Ok(out)
    }

    pub(super) fn statements(&self, pc: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        let line = self.line(pc);
        let mut uses = Vec::new();
        let one = |text: String, uses: Vec<u16>| Ok(vec![Stmt::line(text, uses, line)]);
        let instr = &self.func.code[pc as usize];
        match instr {
            Instr::Assign { dst, value } => {
                let dst = self.retarget[pc as usize].as_ref().unwrap_or(dst);
                let stored = self.store_with(dst, &mut |d, u| self.expr_at(value, d, u), &mut uses);
                let Some(text) = stored else {
                    // A value nobody reads: evaluated only if that can panic.
                    if matches!(value, Expr::Local(_) | Expr::Raw(_) | Expr::Const(_)) {
                        return Ok(Vec::new());
                    }
                    let v = self.expr(value, &mut uses);
                    return one(format!("_ = {v}"), uses);
                };
                let kind = match (dst, value) {
                    (Place::Bind(s) | Place::Local(s), Expr::Const(Const::Int(n))) if !self.is_ref(*s) => {
                        LineKind::SetInt { slot: *s, value: *n }
                    }
                    (Place::Bind(s) | Place::Local(s), Expr::Binary(BinOp::Add, x, one))
                        if !self.is_ref(*s)
                            && matches!(**x, Expr::Local(y) if y == *s)
                            && matches!(**one, Expr::Const(Const::Int(1))) =>
                    {
                        LineKind::Step { slot: *s }
                    }
                    (Place::Bind(s) | Place::Local(s), Expr::Local(t))
                        if !self.is_ref(*s) && self.is_temp(*t) =>
                    {
                        LineKind::Copy { place: self.slot_name(*s).to_string(), slot: *s, temp: *t }
                    }
                    _ => LineKind::Plain,
                };
                Ok(vec![Stmt::Line(crate::go::Line { text, uses, line, kind })])
            }
            Instr::New { dst, ctor } => {
                let dst = self.retarget[pc as usize].as_ref().unwrap_or(dst);
                let k = self.m.kinds.place(self.m.p, self.f, dst);
                match self.store_with(dst, &mut |d, u| self.ctor(ctor, &k, d, u), &mut uses) {
                    Some(text) => one(text, uses),
                    None => one(format!("_ = {}", self.ctor(ctor, &k, 1, &mut uses)), uses),
                }
            }
            Instr::Send { chan, value } => {
                let c = self.send_chan(chan, &self.kind(value), &mut uses);
                let v = self.expr(value, &mut uses);
                one(format!("{c} <- {v}"), uses)
            }
            Instr::Recv { chan, value, ok, .. } => Ok(self.receive(pc, chan, value, ok, line)),
            // os.Exit, through the harness: it reports the run, then exits.
            Instr::Exit => one("run.finish(report{Main: \"exited\"})".to_string(), uses),
            Instr::MapNext { iter, key, value, found, .. } => {
                let it = self.operand(iter, PRIMARY, 1, &mut uses);
                let mut through = |p: Option<&Place>| match self.target(p, &mut uses) {
                    t if t == "_" => "nil".to_string(),
                    t => format!("&{t}"),
                };
                let (k, v) = (through(key.as_ref()), through(value.as_ref()));
                let found = self.target(Some(found), &mut uses);
                one(format!("{found} = {it}.next({k}, {v})"), uses)
            }
            Instr::Spawn { func, args, dst, group, .. } => {
                Ok(self.spawn(pc, *func, args, dst, group.as_ref()))
            }
            Instr::Join { task } => {
                one(format!("{}.join()", self.operand(task, PRIMARY, 1, &mut uses)), uses)
            }
            // Go's `recover()` must be called by the deferred function itself.
            Instr::Recover { dst, .. } => {
                let text = self.call_into(pc, dst, "recovered(recover())".into(), &mut uses);
                one(text, uses)
            }
            Instr::Work { name, ctx, dst } => {
                let ctx = match ctx {
                    Some(c) => self.expr(c, &mut uses),
                    None => "context.TODO()".into(),
                };
                let call = format!("{}({ctx})", self.m.names.works[*name as usize]);
                let text = self.call_into(pc, dst, call, &mut uses);
                one(text, uses)
            }
            Instr::Call { callee, args, dst, rest } if !rest.is_empty() => {
                // Go's multiple assignment: `v, e = fetch(ctx)`, `_` for a
                // result nobody reads.
                let (call, _) = self.call(callee, args, &mut uses);
                let mut targets = vec![self.target(self.dst(pc, dst), &mut uses)];
                targets.extend(rest.iter().map(|p| self.target(Some(p), &mut uses)));
                if targets.iter().all(|t| t == "_") {
                    return one(call, uses);
                }
                one(format!("{} = {call}", targets.join(", ")), uses)
            }
            Instr::Call { callee, args, dst, .. } => {
                let (call, ret) = self.call(callee, args, &mut uses);
                let mut out = vec![];
                if ret.is_none() {
                    out.push(Stmt::line(call, uses, line));
                    let mut u = Vec::new();
                    if let Some(s) = self.dst(pc, dst).and_then(|p| self.store(p, "struct{}{}", &mut u)) {
                        out.push(Stmt::line(s, u, line));
                    }
                    return Ok(out);
                }
                let text = self.call_into(pc, dst, call, &mut uses);
                one(text, uses)
            }
            // Go's `q = append(q, v)` and `q[0]`, `q[1:]` are the load and
            // the store in one statement: the push at its load, the pop at
            // its store.
            Instr::Op { op: Op::Push, .. } | Instr::Op { op: Op::ListLoad, arg: None, .. } => Ok(Vec::new()),
            Instr::Op { op, target, arg, dst } => {
                let call = self.op(*op, target, arg.as_ref(), &mut uses);
                if *op == Op::ListLoad {
                    return one(call, uses);
                }
                if matches!(op, Op::GroupWait | Op::Pop)
                    || (matches!(op, Op::Stop | Op::Reset) && self.kind(target) == Kind::Timer)
                {
                    let text = self.call_into(pc, dst, call, &mut uses);
                    return one(text, uses);
                }
                let mut out = vec![Stmt::line(call, uses, line)];
                let mut u = Vec::new();
                if let Some(s) = self.dst(pc, dst).and_then(|p| self.store(p, "struct{}{}", &mut u)) {
                    out.push(Stmt::line(s, u, line));
                }
                Ok(out)
            }
            Instr::OnceEnter { once, skip } => {
                let o = self.operand(once, PRIMARY, 1, &mut uses);
                let mut body = Vec::new();
                for inner in pc + 1..*skip {
                    match &self.func.code[inner as usize] {
                        Instr::OnceExit { .. } => break,
                        i if falls_through(i) => body.extend(self.effect(inner)?),
                        _ => {
                            return Err(Box::new(Diagnostic::error(
                                "E0302",
                                self.func.spans[inner as usize],
                                "internal: control flow inside `once.do`",
                            )))
                        }
                    }
                }
                Ok(vec![Stmt::Closure(format!("{o}.Do(func() {{"), body, "})".into(), line)])
            }
            Instr::Assert { cond } => one(format!("assert({})", self.expr(cond, &mut uses)), uses),
            Instr::Sleep => one("time.Sleep(sleepDelay())".into(), uses),
            Instr::Yield => one("runtime.Gosched()".into(), uses),
            Instr::Defer { block, capture } => self.defer(pc, *block, capture),
            Instr::OnceExit { .. }
            | Instr::Return { .. }
            | Instr::Jump { .. }
            | Instr::Branch { .. }
            | Instr::Choose { .. }
            | Instr::Select { .. }
            | Instr::EndDefer => unreachable!("control instructions are structured, not translated"),
        }
    }

    /// A call expression and the callee's result kind (`None`: no result).
    pub(super) fn call(&self, callee: &Callee, args: &[Expr], uses: &mut Vec<u16>) -> (String, Option<Kind>) {
        match callee {
            Callee::Static(g) => {
                let a = self.args(*g, args, if args.len() > 1 { 2 } else { 1 }, uses);
                (
                    format!("{}({})", self.m.names.funcs[*g as usize], a.join(", ")),
                    self.m.kinds.rets[*g as usize].clone(),
                )
            }
            Callee::Dynamic(e) => {
                let k = self.kind(e);
                let c = self.operand(e, PRIMARY, 1, uses);
                let a: Vec<String> = args
                    .iter()
                    .enumerate()
                    .map(|(n, x)| {
                        self.arg(
                            x,
                            self.m.refs.callback_param(&k, n),
                            if args.len() > 1 { 2 } else { 1 },
                            uses,
                        )
                    })
                    .collect();
                let ret = match k {
                    Kind::Func(_, r) => r.map(|b| *b),
                    _ => None,
                };
                (format!("{c}({})", a.join(", ")), ret)
            }
        }
    }

    pub(super) fn op(&self, op: Op, target: &Expr, arg: Option<&Expr>, uses: &mut Vec<u16>) -> String {
        if op == Op::Close {
            let elem = match self.kind(target) {
                Kind::Chan { elem, .. } => *elem,
                _ => Kind::Unit,
            };
            let c = match target {
                Expr::Const(Const::Nil) => format!("(chan {})(nil)", self.m.go_type(&elem)),
                _ => self.expr(target, uses),
            };
            return format!("close({c})");
        }
        let t = self.operand(target, PRIMARY, 1, uses);
        let method = match op {
            Op::Lock | Op::WLock => "Lock()".to_string(),
            Op::Unlock | Op::WUnlock => "Unlock()".to_string(),
            Op::RLock => "RLock()".to_string(),
            Op::RUnlock => "RUnlock()".to_string(),
            Op::WgAdd => format!("Add({})", arg.map_or("0".to_string(), |a| self.expr(a, uses))),
            Op::WgDone => "Done()".to_string(),
            Op::WgWait | Op::CondWait | Op::GroupWait => "Wait()".to_string(),
            Op::CondSignal => "Signal()".to_string(),
            Op::CondBroadcast => "Broadcast()".to_string(),
            Op::Cancel => "Cancel()".to_string(),
            Op::Stop => "Stop()".to_string(),
            // A program with short timers resets each as short as it was made.
            Op::Reset if self.m.p.short_timers => {
                let of = if self.kind(target) == Kind::Ticker { "tickPeriodOf" } else { "timerDelayOf" };
                format!("Reset({of}({t}))")
            }
            Op::Reset if self.kind(target) == Kind::Ticker => "Reset(tickPeriod())".to_string(),
            Op::Reset => "Reset(timerDelay())".to_string(),
            Op::ListLoad => {
                let v = arg.map_or("struct{}{}".to_string(), |a| self.expr(a, uses));
                return format!("{}.push({v})", self.operand(target, PRIMARY, 1, uses));
            }
            Op::Pop => "pop()".to_string(),
            Op::MapDelete => {
                let key = arg.map_or("nil".to_string(), |a| self.expr(a, uses));
                return format!("delete({}, {key})", self.expr(target, uses));
            }
            Op::Close => unreachable!("handled above"),
            Op::Push => unreachable!("a push is written at its load"),
        };
        format!("{t}.{method}")
    }

    /// `go task_x(newTask(), args)`; in a group, the arguments are copied
    /// first (`g.Go` takes a closure) and the task runs through `g.Go`.
    pub(super) fn spawn(
        &self,
        pc: Pc,
        func: FuncId,
        args: &[Expr],
        dst: &Option<Place>,
        group: Option<&Expr>,
    ) -> Vec<Stmt> {
        let line = self.line(pc);
        let name = &self.m.names.funcs[func as usize];
        let mut uses = Vec::new();
        // `go f(newTask(), ...)` has several arguments; so has `a, b := x, y`.
        let depth = if group.is_none() || args.len() > 1 { 2 } else { 1 };
        let values = self.args(func, args, depth, &mut uses);
        let dst =
            self.dst(pc, dst).filter(|p| !matches!(p, Place::Bind(s) | Place::Local(s) if self.unread(*s)));
        let Some(g) = group else {
            return match dst {
                None => {
                    let all = [vec!["newTask()".to_string()], values].concat();
                    vec![Stmt::line(format!("go {name}({})", all.join(", ")), uses, line)]
                }
                Some(p @ (Place::Bind(s) | Place::Local(s))) if !self.is_ref(*s) => {
                    let mut u = Vec::new();
                    let store = self.store(p, "newTask()", &mut u).expect("a read local");
                    let t = self.slot_name(*s);
                    let all = [vec![t.to_string()], values].concat();
                    vec![
                        Stmt::line(store, u, line),
                        Stmt::line(format!("go {name}({})", all.join(", ")), uses, line),
                    ]
                }
                Some(p) => {
                    let mut u = Vec::new();
                    let store = self.store(p, "task", &mut u).expect("a stored place");
                    let all = [vec!["task".to_string()], values].concat();
                    vec![Stmt::Block(vec![
                        Stmt::line("task := newTask()", Vec::new(), line),
                        Stmt::line(store, u, line),
                        Stmt::line(format!("go {name}({})", all.join(", ")), uses, line),
                    ])]
                }
            };
        };
        let g = self.operand(g, PRIMARY, 1, &mut uses);
        let callee = self.m.p.func(func);
        let params: Vec<&str> = (0..callee.params).map(|s| self.m.names.local(func, s)).collect();
        let mut block = vec![Stmt::line("task := newTask()", Vec::new(), line)];
        if let Some(p) = dst {
            let mut u = Vec::new();
            block.push(Stmt::line(self.store(p, "task", &mut u).expect("a stored place"), u, line));
        }
        if !params.is_empty() {
            block.push(Stmt::line(format!("{} := {}", params.join(", "), values.join(", ")), uses, line));
        }
        let all = [vec!["task"], params].concat();
        block.push(Stmt::line(
            format!("{g}.Go(func() error {{ return {name}({}) }})", all.join(", ")),
            Vec::new(),
            line,
        ));
        vec![Stmt::Block(block)]
    }

    /// `defer close(ch)` for a deferred call, whose arguments Go evaluates at
    /// the `defer` statement; `defer func() { ... }()` for anything else (a
    /// `defer { ... }` block, a send, a statement with control flow).
    pub(super) fn defer(
        &self,
        pc: Pc,
        block: Pc,
        capture: &[(u16, Expr)],
    ) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        let line = self.line(pc);
        let span = self.func.spans[pc as usize];
        let is_block = self.m.text(span).trim_start_matches("defer").trim_start().starts_with('{');
        let code = &self.func.code;
        // A push or pop is a load and a store, one call in Go, written at
        // the load for a push and at the store for a pop (see `effect`).
        let (call_at, end) = match code.get(block as usize) {
            Some(Instr::Op { op: Op::ListLoad, arg, .. }) => {
                (block as usize + usize::from(arg.is_none()), block + 2)
            }
            _ => (block as usize, block + 1),
        };
        let single = !is_block && matches!(code.get(end as usize), Some(Instr::EndDefer));
        if single {
            let mut uses = Vec::new();
            // The IR reads the operands leash captured at the `defer` from
            // hidden locals; Go's `defer f(x)` evaluates `x` there itself.
            let instr = with_captures(&code[call_at], capture);
            let call = match &instr {
                Instr::Op { op, target, arg, dst } if dst.is_none() || *op == Op::ListLoad => {
                    Some(self.op(*op, target, arg.as_ref(), &mut uses))
                }
                Instr::Call { callee, args, dst: None, .. } => Some(self.call(callee, args, &mut uses).0),
                Instr::Work { name, ctx, dst: None } => {
                    let ctx = ctx.as_ref().map_or("context.TODO()".to_string(), |c| self.expr(c, &mut uses));
                    Some(format!("{}({ctx})", self.m.names.works[*name as usize]))
                }
                Instr::Join { task } => Some(format!("{}.join()", self.operand(task, PRIMARY, 1, &mut uses))),
                Instr::Yield => Some("runtime.Gosched()".into()),
                Instr::Sleep => Some("time.Sleep(sleepDelay())".into()),
                // `defer recover()`: recover is the deferred call, and stops nothing.
                Instr::Recover { dst: None, deferred: false } => Some("recover()".into()),
                _ => None,
            };
            if let Some(call) = call {
                return Ok(vec![Stmt::line(format!("defer {call}"), uses, line)]);
            }
        }
        let body = crate::structure::region(self, block)?;
        if capture.is_empty() {
            return Ok(vec![Stmt::Closure("defer func() {".into(), body, "}()".into(), line)]);
        }
        // What leash captured at the `defer` (a cell as its pointer), passed
        // to the deferred function: each round of a loop defers its own.
        let mut out = Vec::new();
        let (mut params, mut args) = (Vec::new(), Vec::new());
        for (held, e) in capture {
            let mut uses = vec![*held];
            let value = self.arg(e, self.is_ref(*held), 1, &mut uses);
            let name = self.local_name(*held);
            out.push(Stmt::line(format!("{name} = {value}"), uses, line));
            params.push(format!("{name} {}", self.slot_type(*held)));
            args.push(name);
        }
        let (open, close) =
            (format!("defer func({}) {{", params.join(", ")), format!("}}({})", args.join(", ")));
        out.push(Stmt::Closure(open, body, close, line));
        Ok(out)
    }

    /// The target of one result of a multiple assignment: the local, or `_`.
    fn target(&self, place: Option<&Place>, uses: &mut Vec<u16>) -> String {
        match place {
            Some(Place::Bind(s) | Place::Local(s)) if !self.unread(*s) => {
                uses.push(*s);
                if self.is_ref(*s) {
                    format!("*{}", self.slot_name(*s))
                } else {
                    self.slot_name(*s).to_string()
                }
            }
            // The lowering binds a helper's results to fresh locals only.
            _ => "_".to_string(),
        }
    }

    /// The statement of a `return`.
    pub(crate) fn ret(&self, pc: Pc, value: &Option<Expr>) -> Stmt {
        let mut uses = Vec::new();
        let line = self.line(pc);
        let text = if self.func.is_task {
            match value {
                Some(v) => format!("return {}", self.expr(v, &mut uses)),
                None => "return nil".to_string(),
            }
        } else {
            let text = match (&self.m.kinds.rets[self.f as usize], value) {
                (None, _) => "return".to_string(),
                (Some(_), Some(v)) => format!("return {}", self.expr(v, &mut uses)),
                (Some(k), None) => format!("return {}", k.zero()),
            };
            // A helper's results after the first, from their hidden locals.
            let rest: String = self
                .func
                .results
                .iter()
                .map(|&r| {
                    uses.push(r);
                    format!(", {}", self.slot_name(r))
                })
                .collect();
            format!("{text}{rest}")
        };
        let bare = text == "return";
        Stmt::Line(crate::go::Line { text, uses, line, kind: LineKind::Return { bare } })
    }
}

/// `instr` with each hidden local that a `defer` captured replaced by the
/// expression it captured.
fn with_captures(instr: &Instr, capture: &[(u16, Expr)]) -> Instr {
    fn sub(e: &Expr, capture: &[(u16, Expr)]) -> Expr {
        if let Expr::Local(s) | Expr::Raw(s) = e {
            if let Some((_, x)) = capture.iter().find(|(slot, _)| slot == s) {
                return x.clone();
            }
        }
        let mut out = e.clone();
        for c in out.children_mut() {
            *c = sub(c, capture);
        }
        out
    }
    let s = |e: &Expr| sub(e, capture);
    match instr {
        Instr::Op { op, target, arg, dst } => {
            Instr::Op { op: *op, target: s(target), arg: arg.as_ref().map(s), dst: dst.clone() }
        }
        Instr::Call { callee, args, dst, rest } => Instr::Call {
            callee: match callee {
                Callee::Dynamic(x) => Callee::Dynamic(s(x)),
                c => c.clone(),
            },
            args: args.iter().map(s).collect(),
            dst: dst.clone(),
            rest: rest.clone(),
        },
        Instr::Work { name, ctx, dst } => {
            Instr::Work { name: *name, ctx: ctx.as_ref().map(s), dst: dst.clone() }
        }
        Instr::Join { task } => Instr::Join { task: s(task) },
        other => other.clone(),
    }
}
