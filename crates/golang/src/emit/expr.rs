//! Expressions, places, constructors and channel operands as Go, printed
//! with gofmt's spacing.

use super::*;

/// The longest func literal gofmt keeps on one line (go/printer's
/// `maxSize` for a function body with its header), less a margin.
const GOFMT_ONE_LINE_FUNC: usize = 90;

impl FnCx<'_> {
    // ---- expressions ------------------------------------------------------
    //
    // `d` is gofmt's nesting depth of an expression: 1 at statement level,
    // one more inside a call with several arguments, an index, or an operand
    // of a binary operator of another precedence. gofmt writes `a + b` at
    // depth 1 and `a+b` deeper, so the depth is tracked to print as it does.

    /// An expression at statement level.
    pub(crate) fn expr(&self, e: &Expr, uses: &mut Vec<u16>) -> String {
        self.expr_at(e, 1, uses)
    }

    /// The Go precedence of an expression as it is printed.
    pub(super) fn prec(&self, e: &Expr) -> u8 {
        match e {
            Expr::Const(Const::Int(n)) if *n < 0 => UNARY,
            Expr::Local(s) | Expr::Raw(s) => match self.subst[*s as usize] {
                Some(pc) => match &self.func.code[pc as usize] {
                    Instr::Assign { value, .. } => self.prec(value),
                    _ => PRIMARY,
                },
                None if self.is_ref(*s) => UNARY,
                None => PRIMARY,
            },
            Expr::GlobalRef(_) | Expr::Unary(UnOp::Not, _) => UNARY,
            Expr::Unary(UnOp::Neg, x) if matches!(**x, Expr::Const(Const::Int(_))) => UNARY,
            Expr::Binary(BinOp::Or, ..) => OR,
            Expr::Binary(BinOp::And, ..) => AND,
            Expr::Binary(BinOp::Add | BinOp::Sub, ..) => PRIMARY,
            Expr::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => match self.kind(a) {
                Kind::Array(_) | Kind::Func(..) | Kind::Map(..) if *op == BinOp::Eq => PRIMARY,
                Kind::Array(_) | Kind::Func(..) | Kind::Map(..) => UNARY,
                _ if matches!((&**a, &**b), (Expr::Const(Const::Nil), Expr::Const(Const::Nil))) => PRIMARY,
                _ => CMP,
            },
            Expr::Binary(..) => CMP,
            _ => PRIMARY,
        }
    }

    /// An expression at depth `d`.
    pub(super) fn expr_at(&self, e: &Expr, d: u8, uses: &mut Vec<u16>) -> String {
        match e {
            Expr::Const(c) => self.constant(c),
            Expr::Local(s) | Expr::Raw(s) => {
                if let Some(pc) = self.subst[*s as usize] {
                    return match &self.func.code[pc as usize] {
                        Instr::New { ctor, .. } => self.ctor(ctor, self.m.kinds.local(self.f, *s), d, uses),
                        Instr::Assign { value, .. } => self.expr_at(value, d, uses),
                        _ => unreachable!("only makes and assignments are substituted"),
                    };
                }
                uses.push(*s);
                if self.is_ref(*s) {
                    format!("*{}", self.slot_name(*s))
                } else {
                    self.slot_name(*s).to_string()
                }
            }
            Expr::Global(g) => self.m.names.globals[*g as usize].clone(),
            Expr::GlobalRef(g) => format!("&{}", self.m.names.globals[*g as usize]),
            Expr::Done(c) => format!("{}.Done()", self.operand(c, PRIMARY, d, uses)),
            Expr::CtxErr(c) => format!("{}.Err()", self.operand(c, PRIMARY, d, uses)),
            Expr::GroupCtx(g) => format!("{}.ctx", self.operand(g, PRIMARY, d, uses)),
            // Go's `t.C` is written where the receive is (the kind says timer).
            Expr::TimerChan(t, _) => self.expr_at(t, d, uses),
            Expr::Index(a, i) => {
                let a = self.operand(a, PRIMARY, d, uses);
                format!("{a}[{}]", self.expr_at(i, d + 1, uses))
            }
            Expr::Field(a, r) => format!("{}.{}", self.operand(a, PRIMARY, d, uses), self.field_name(*r)),
            Expr::MapGet(m, k, _) => {
                let m = self.operand(m, PRIMARY, d, uses);
                format!("{m}[{}]", self.expr_at(k, d + 1, uses))
            }
            Expr::MapHas(m, k) => {
                format!("has({}, {})", self.expr_at(m, d + 1, uses), self.expr_at(k, d + 1, uses))
            }
            Expr::Len(m, leash_ir::LenOf::Map | leash_ir::LenOf::Chan) => {
                format!("len({})", self.expr_at(m, d + 1, uses))
            }
            Expr::Len(q, leash_ir::LenOf::List) => format!("len({}.xs)", self.operand(q, PRIMARY, d, uses)),
            Expr::Unary(UnOp::Not, x) => format!("!{}", self.operand(x, UNARY, d, uses)),
            Expr::Unary(UnOp::Neg, x) => match &**x {
                Expr::Const(Const::Int(n)) => format!("-{n}"),
                _ => format!("i16(-{})", self.operand(x, UNARY, d, uses)),
            },
            Expr::Binary(op, a, b) => self.binary(*op, a, b, d, uses),
        }
    }

    /// An expression, in parentheses unless it binds at least as tightly as `min`.
    pub(super) fn operand(&self, e: &Expr, min: u8, d: u8, uses: &mut Vec<u16>) -> String {
        if self.prec(e) < min {
            format!("({})", self.expr_at(e, d.saturating_sub(1).max(1), uses))
        } else {
            self.expr_at(e, d, uses)
        }
    }

    /// The depth of a binary operator's left operand: the same for a chain of one precedence.
    pub(super) fn left_depth(&self, x: &Expr, prec: u8, d: u8) -> u8 {
        if self.prec(x) == prec && prec <= CMP {
            d
        } else {
            d + 1
        }
    }

    pub(super) fn constant(&self, c: &Const) -> String {
        match c {
            Const::Unit => "struct{}{}".to_string(),
            Const::Bool(b) => b.to_string(),
            Const::Int(n) => n.to_string(),
            Const::Atom(a) => format!("{:?}", self.m.p.atoms[*a as usize]),
            Const::Ok | Const::Nil => "nil".to_string(),
            Const::Err => "errFailed".to_string(),
            Const::Func(g) => self.m.names.funcs[*g as usize].clone(),
        }
    }

    pub(super) fn binary(&self, op: BinOp, a: &Expr, b: &Expr, d: u8, uses: &mut Vec<u16>) -> String {
        let (prec, sym) = match op {
            BinOp::Or => (OR, "||"),
            BinOp::And => (AND, "&&"),
            BinOp::Eq => (CMP, "=="),
            BinOp::Ne => (CMP, "!="),
            BinOp::Lt => (CMP, "<"),
            BinOp::Le => (CMP, "<="),
            BinOp::Gt => (CMP, ">"),
            BinOp::Ge => (CMP, ">="),
            BinOp::Add => (ADD, "+"),
            BinOp::Sub => (ADD, "-"),
        };
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let eq = op == BinOp::Eq;
            match self.kind(a) {
                Kind::Result => {
                    // ok is nil; every error (a failed work, a cancelled context) is err.
                    let is = |x: &Expr| matches!(x, Expr::Const(Const::Ok | Const::Err));
                    let (x, c) = if is(b) {
                        (a, b)
                    } else if is(a) {
                        (b, a)
                    } else {
                        (a, b)
                    };
                    return match c {
                        Expr::Const(Const::Ok) => {
                            format!("{} {sym} nil", self.operand(x, CMP + 1, d + 1, uses))
                        }
                        Expr::Const(Const::Err) => {
                            let not = if eq { "!=" } else { "==" };
                            format!("{} {not} nil", self.operand(x, CMP + 1, d + 1, uses))
                        }
                        _ => {
                            let x = self.operand(x, CMP + 1, d + 1, uses);
                            let y = self.operand(c, CMP + 1, d + 1, uses);
                            format!("({x} == nil) {sym} ({y} == nil)")
                        }
                    };
                }
                Kind::Array(_) | Kind::Func(..) | Kind::Map(..)
                    if matches!(a, Expr::Const(Const::Nil)) != matches!(b, Expr::Const(Const::Nil)) =>
                {
                    // Go compares a slice, a map or a func with nil only
                    // with `==` (`same` would see an untyped nil as no value).
                    let x = if matches!(a, Expr::Const(Const::Nil)) { b } else { a };
                    return format!("{} {sym} nil", self.operand(x, CMP + 1, d + 1, uses));
                }
                Kind::Array(_) | Kind::Func(..) | Kind::Map(..) => {
                    self.m.uses_same.set(true);
                    let (x, y) = (self.expr_at(a, d + 1, uses), self.expr_at(b, d + 1, uses));
                    let not = if eq { "" } else { "!" };
                    return format!("{not}same({x}, {y})");
                }
                _ if matches!((a, b), (Expr::Const(Const::Nil), Expr::Const(Const::Nil))) => {
                    return eq.to_string();
                }
                _ => {}
            }
        }
        let x = self.operand(a, prec, self.left_depth(a, prec, d), uses);
        let y = self.operand(b, prec + 1, d + 1, uses);
        if prec != ADD {
            return format!("{x} {sym} {y}");
        }
        // gofmt spaces `+` and `-` at depth 1, or before a unary minus (`a - -1`).
        let minus = op == BinOp::Sub && self.prec(b) == UNARY && y.starts_with('-');
        if d == 1 || minus {
            format!("i16({x} {sym} {y})")
        } else {
            format!("i16({x}{sym}{y})")
        }
    }

    /// A condition with its negation.
    pub(crate) fn cond(&self, e: &Expr) -> Cond {
        let mut uses = Vec::new();
        let text = self.expr(e, &mut uses);
        let negated = self.expr(&negate(e), &mut Vec::new());
        Cond { text, negated, ir: e.clone(), uses }
    }

    /// An argument at depth `d` for a parameter that wants a pointer or not.
    pub(super) fn arg(&self, e: &Expr, wants_ptr: bool, d: u8, uses: &mut Vec<u16>) -> String {
        match e {
            Expr::Raw(s) if self.is_ref(*s) && self.subst[*s as usize].is_none() => {
                uses.push(*s);
                self.slot_name(*s).to_string()
            }
            Expr::GlobalRef(g) if wants_ptr => format!("&{}", self.m.names.globals[*g as usize]),
            Expr::GlobalRef(g) => self.m.names.globals[*g as usize].clone(),
            _ if wants_ptr => {
                let v = self.expr_at(e, d, uses);
                if matches!(e, Expr::Const(Const::Nil | Const::Ok)) {
                    format!("ref[{}]({v})", self.m.go_type(&self.kind(e)))
                } else {
                    format!("ref({v})")
                }
            }
            _ => self.expr_at(e, d, uses),
        }
    }

    /// The arguments of a call or spawn of `callee`, at depth `d`.
    pub(super) fn args(&self, callee: FuncId, args: &[Expr], d: u8, uses: &mut Vec<u16>) -> Vec<String> {
        args.iter()
            .enumerate()
            .map(|(n, a)| self.arg(a, self.m.refs.is_ref(callee, n as u16), d, uses))
            .collect()
    }

    // ---- places -----------------------------------------------------------

    /// `place = value`, through the range check of a ranged variable; `None`
    /// when the place is a local nobody reads (the value is then dropped).
    /// `value` renders the value at the depth it gets.
    pub(super) fn store_with(
        &self,
        pl: &Place,
        value: &mut dyn FnMut(u8, &mut Vec<u16>) -> String,
        uses: &mut Vec<u16>,
    ) -> Option<String> {
        let (target, range) = match pl {
            Place::Bind(s) | Place::Local(s) if self.unread(*s) => return None,
            Place::Bind(s) => {
                uses.push(*s);
                (self.slot_name(*s).to_string(), None)
            }
            Place::Local(s) if self.is_ref(*s) => {
                uses.push(*s);
                let name = &self.func.locals[*s as usize];
                (format!("*{}", self.slot_name(*s)), self.m.refs.range(self.f, *s).map(|r| (r, name.clone())))
            }
            Place::Local(s) => {
                uses.push(*s);
                (self.slot_name(*s).to_string(), None)
            }
            Place::Global(g) => {
                let global = &self.m.p.globals[*g as usize];
                (self.m.names.globals[*g as usize].clone(), global.range.map(|r| (r, global.name.clone())))
            }
            Place::Index(a, i) => {
                let a = self.operand(a, PRIMARY, 1, uses);
                (format!("{a}[{}]", self.expr_at(i, 2, uses)), None)
            }
            Place::Field(a, r) => {
                let a = self.operand(a, PRIMARY, 1, uses);
                (format!("{a}.{}", self.field_name(*r)), None)
            }
            Place::MapEntry(m, k) => {
                let m = self.operand(m, PRIMARY, 1, uses);
                (format!("{m}[{}]", self.expr_at(k, 2, uses)), None)
            }
        };
        Some(match range {
            Some(((lo, hi), name)) => format!("{target} = inRange({}, {lo}, {hi}, {name:?})", value(2, uses)),
            None => format!("{target} = {}", value(1, uses)),
        })
    }

    /// A store of a value that prints the same at every depth.
    pub(super) fn store(&self, pl: &Place, value: &str, uses: &mut Vec<u16>) -> Option<String> {
        self.store_with(pl, &mut |_, _| value.to_string(), uses)
    }

    /// Where an instruction's result goes: its own place, or the one it was retargeted to.
    pub(super) fn dst<'i>(&'i self, pc: Pc, own: &'i Option<Place>) -> Option<&'i Place> {
        self.retarget[pc as usize].as_ref().or(own.as_ref())
    }

    /// A store of a call's result, or the call alone when nobody reads it.
    pub(super) fn call_into(&self, pc: Pc, own: &Option<Place>, call: String, uses: &mut Vec<u16>) -> String {
        match self.dst(pc, own).and_then(|p| self.store(p, &call, uses)) {
            Some(s) => s,
            None => call,
        }
    }

    // ---- constructors -----------------------------------------------------

    /// A constructor at depth `d`.
    pub(super) fn ctor(&self, c: &Ctor, target: &Kind, d: u8, uses: &mut Vec<u16>) -> String {
        match c {
            Ctor::Chan(cap) => {
                let elem = match target {
                    Kind::Chan { elem, .. } => self.m.go_type(elem),
                    _ => "struct{}".into(),
                };
                let elem = if elem.starts_with("<-") { format!("({elem})") } else { elem };
                match cap {
                    Expr::Const(Const::Int(0)) => format!("make(chan {elem})"),
                    cap => format!("make(chan {elem}, {})", self.expr_at(cap, d + 1, uses)),
                }
            }
            Ctor::Mutex => "new(sync.Mutex)".into(),
            Ctor::RwMutex => "new(sync.RWMutex)".into(),
            Ctor::Cond(m) if self.kind(m) == Kind::RwMutex => {
                format!("sync.NewCond({}.RLocker())", self.operand(m, PRIMARY, d, uses))
            }
            Ctor::Cond(m) => format!("sync.NewCond({})", self.expr_at(m, d, uses)),
            Ctor::Once => "new(sync.Once)".into(),
            Ctor::WaitGroup => "new(sync.WaitGroup)".into(),
            Ctor::Group { ctx, limit } => {
                let ctx = ctx.as_ref().map_or("nil".to_string(), |c| self.expr_at(c, d + 1, uses));
                let limit = limit.as_ref().map_or("0".to_string(), |l| self.expr_at(l, d + 1, uses));
                format!("newGroup({ctx}, {limit})")
            }
            Ctor::Background => "background()".into(),
            Ctor::Signal => "signalContext()".into(),
            Ctor::WithCancel(p) => format!("withCancel({})", self.expr_at(p, d, uses)),
            Ctor::WithTimeout(p) => format!("withTimeout({})", self.expr_at(p, d, uses)),
            Ctor::Ticker { short: false } => "time.NewTicker(tickPeriod())".into(),
            Ctor::Timer { short: false } => "time.NewTimer(timerDelay())".into(),
            Ctor::Ticker { short: true } => "shortTicker()".into(),
            Ctor::Timer { short: true } => "shortTimer()".into(),
            Ctor::Cell { init, range } => {
                let v = match range {
                    Some((lo, hi)) => {
                        format!("inRange({}, {lo}, {hi}, \"\")", self.expr_at(init, d + 1, uses))
                    }
                    None => self.expr_at(init, d, uses),
                };
                format!("{}({v})", self.generic("ref", init, target))
            }
            // A pointer parameter is shared as it is; a plain one in a new cell.
            Ctor::Share(e) => match e {
                Expr::Raw(s) if self.is_ref(*s) => self.arg(e, true, d, uses),
                _ => format!("{}({})", self.generic("ref", e, target), self.expr_at(e, d, uses)),
            },
            Ctor::Array { elem, len } => {
                let k = match target {
                    Kind::Array(k) => (**k).clone(),
                    _ => Kind::Unit,
                };
                match &**elem {
                    Elem::Ctor(c) => {
                        let t = self.m.go_type(&k);
                        let before = uses.len();
                        let make = self.ctor(c, &k, 1, uses);
                        let literal = format!("func() {t} {{ return {make} }}");
                        // gofmt keeps a func literal on one line only when
                        // it is short; a long one that names no local
                        // comes from a maker of its own.
                        if literal.len() <= GOFMT_ONE_LINE_FUNC || uses.len() != before {
                            return format!("array({len}, {literal})");
                        }
                        let lines = [
                            format!("() func() {t} {{"),
                            format!("return func() {t} {{"),
                            format!("return {make}"),
                        ];
                        format!("array({len}, {}())", self.maker("make_elem", lines))
                    }
                    Elem::Value(v) => {
                        format!("{}({len}, {})", self.generic("repeat", v, &k), self.expr_at(v, d + 1, uses))
                    }
                }
            }
            Ctor::Closure { func, captures } => self.closure(*func, captures, target, d, uses),
            Ctor::Map => format!("make({})", self.m.go_type(target)),
            Ctor::List => match target {
                Kind::List(e) => format!("newList[{}]()", self.m.go_type(e)),
                _ => "newList[struct{}]()".to_string(),
            },
            Ctor::MapIter(m) => format!("newMapIter({})", self.expr_at(m, d + 1, uses)),
            Ctor::Struct { def, fields } => {
                let kinds = &self.m.kinds.fields[*def as usize];
                let values: Vec<String> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, elem)| {
                        let r = leash_ir::FieldRef { def: *def, index: i as u16 };
                        let v = match elem {
                            Elem::Ctor(c) => self.ctor(c, &kinds[i], d + 1, uses),
                            Elem::Value(Expr::Const(Const::Nil)) => {
                                format!("({})(nil)", self.m.go_type(&kinds[i]))
                            }
                            Elem::Value(v) => self.expr_at(v, d + 1, uses),
                        };
                        format!("{}: {v}", self.field_name(r))
                    })
                    .collect();
                format!("&{}{{{}}}", self.m.names.structs[*def as usize], values.join(", "))
            }
        }
    }

    /// A function value: a call of a maker (a top-level Go function, see
    /// `makers`) given the captured values, which returns a func literal
    /// that calls the lifted helper with them first. The captures are bound
    /// when the value is made, as the model takes them; a maker keeps the
    /// literal out of the expression, where gofmt would break a long one.
    fn closure(&self, func: FuncId, captures: &[Expr], target: &Kind, d: u8, uses: &mut Vec<u16>) -> String {
        let k = captures.len();
        let values = self.args(func, captures, d + 1, uses);
        let (params, ret) = match target {
            Kind::Func(ps, r) => (ps.clone(), r.clone()),
            _ => (Vec::new(), None),
        };
        let mut outer = Vec::new();
        let mut pass = Vec::new();
        for i in 0..k {
            let t = self.m.go_type(self.m.kinds.local(func, i as u16));
            let ptr = if self.m.refs.is_ref(func, i as u16) { "*" } else { "" };
            outer.push(format!("c{i} {ptr}{t}"));
            pass.push(format!("c{i}"));
        }
        let mut inner = Vec::new();
        for (n, pk) in params.iter().enumerate() {
            let t = self.m.go_type(pk);
            let ptr = self.m.refs.callback_param(target, n);
            inner.push(if ptr { format!("a{n} *{t}") } else { format!("a{n} {t}") });
            pass.push(match (ptr, self.m.refs.is_ref(func, (k + n) as u16)) {
                (true, false) => format!("*a{n}"),
                (false, true) => format!("ref(a{n})"),
                _ => format!("a{n}"),
            });
        }
        let helper = &self.m.names.funcs[func as usize];
        let call = format!("{helper}({})", pass.join(", "));
        let go = self.m.go_type(target);
        let (head, body) = match ret {
            Some(r) => {
                (format!("func({}) {}", inner.join(", "), self.m.go_type(&r)), format!("return {call}"))
            }
            None => (format!("func({})", inner.join(", ")), call),
        };
        let lines = [format!("({}) {go} {{", outer.join(", ")), format!("return {head} {{"), body];
        let name = self.maker(&format!("make_{helper}"), lines);
        format!("{name}({})", values.join(", "))
    }

    /// Registers a maker (see `closure`) of these `lines` under `base`, or
    /// `base_2`, ... when another maker has that name; returns its name.
    fn maker(&self, base: &str, lines: [String; 3]) -> String {
        let mut makers = self.m.makers.borrow_mut();
        let mut name = base.to_string();
        let mut n = 2;
        while makers.get(&name).is_some_and(|l| *l != lines) {
            name = format!("{base}_{n}");
            n += 1;
        }
        makers.insert(name.clone(), lines);
        name
    }

    /// The Go name of a struct's field.
    pub(super) fn field_name(&self, r: leash_ir::FieldRef) -> &str {
        &self.m.names.fields[r.def as usize][r.index as usize]
    }

    /// A generic harness function applied to `value` for a `target` of
    /// kind `k`: with the type argument spelled out when Go cannot infer it.
    pub(super) fn generic(&self, name: &str, value: &Expr, k: &Kind) -> String {
        let untyped = matches!(value, Expr::Const(Const::Nil | Const::Ok));
        if untyped || matches!(k, Kind::Chan { recv_only: true, .. }) {
            format!("{name}[{}]", self.m.go_type(k))
        } else {
            name.to_string()
        }
    }

    // ---- channel operands -------------------------------------------------

    /// A channel to receive from: a ticker's or timer's `C`, a typed nil.
    pub(super) fn recv_chan(&self, chan: &Expr, elem: &Kind, uses: &mut Vec<u16>) -> String {
        match (self.kind(chan), chan) {
            (Kind::Ticker | Kind::Timer, _) => format!("{}.C", self.operand(chan, PRIMARY, 1, uses)),
            (_, Expr::Const(Const::Nil)) => format!("(chan {})(nil)", self.m.go_type(elem)),
            _ => self.operand(chan, UNARY, 1, uses),
        }
    }

    /// A channel to send on or close.
    pub(super) fn send_chan(&self, chan: &Expr, elem: &Kind, uses: &mut Vec<u16>) -> String {
        match chan {
            Expr::Const(Const::Nil) => format!("(chan {})(nil)", self.m.go_type(elem)),
            _ => self.operand(chan, PRIMARY, 1, uses),
        }
    }

    pub(super) fn elem_of(&self, value: &Option<Place>) -> Kind {
        value.as_ref().map_or(Kind::Unit, |p| self.m.kinds.place(self.m.p, self.f, p))
    }
}
