//! Instructions and expressions as Go: the model-wide context ([`Model`]) and
//! one function's ([`FnCx`]), which translates each non-control instruction
//! into statements and each control instruction's parts (conditions, select
//! cases) for the structurer.

use crate::go::{Cond, Labels, LineKind, Stmt};
use crate::kinds::{Kind, Kinds};
use crate::names::Names;
use crate::refs::{visit_exprs, Refs};
use leash_ir::{
    BinOp, Callee, CaseKind, Const, Ctor, Elem, Expr, Func, FuncId, Instr, Op, Pc, Place, Program, UnOp,
};
use leash_syntax::{Diagnostic, LineIndex, Span};
use std::cell::{Cell, RefCell};

/// Go precedences: `||`, `&&`, comparisons, `+ -`, unary, operands.
const OR: u8 = 1;
const AND: u8 = 2;
const CMP: u8 = 3;
const ADD: u8 = 4;
const UNARY: u8 = 5;
const PRIMARY: u8 = 6;

/// What every function's translation shares.
pub(crate) struct Model<'a> {
    pub(crate) p: &'a Program,
    pub(crate) source: &'a str,
    lines: LineIndex,
    pub(crate) names: Names,
    pub(crate) kinds: Kinds,
    pub(crate) refs: Refs,
    /// Whether the program compares arrays or callbacks (the harness's `same`).
    pub(crate) uses_same: Cell<bool>,
}

impl<'a> Model<'a> {
    pub(crate) fn new(p: &'a Program, source: &'a str) -> Result<Model<'a>, Box<Diagnostic>> {
        let kinds = Kinds::infer(p)?;
        let refs = Refs::new(p, &kinds);
        Ok(Model {
            p,
            source,
            lines: LineIndex::new(source),
            names: Names::new(p),
            kinds,
            refs,
            uses_same: Cell::new(false),
        })
    }

    /// The model line of a span.
    pub(crate) fn line(&self, span: Span) -> u32 {
        self.lines.line(span.start)
    }

    /// The first line of a span's source text.
    pub(crate) fn text(&self, span: Span) -> &'a str {
        let s = self.source.get(span.range()).unwrap_or("");
        s.lines().next().unwrap_or("").trim()
    }

    /// The Go type of a kind.
    pub(crate) fn go_type(&self, k: &Kind) -> String {
        k.go(&|k, n| self.refs.callback_param(k, n))
    }
}

/// One function being translated.
pub(crate) struct FnCx<'a> {
    pub(crate) m: &'a Model<'a>,
    pub(crate) f: FuncId,
    pub(crate) func: &'a Func,
    /// Per slot: expression reads.
    reads: Vec<usize>,
    /// Per slot: stores through it (a cell's pointer is then used).
    writes_through: Vec<usize>,
    /// Per pc: a later place its result goes to (`$t = recv ch; x = $t` is `x = <-ch`).
    retarget: Vec<Option<Place>>,
    /// Per pc: emits nothing (folded into a neighbour).
    skip: Vec<bool>,
    /// Per slot: the pc whose value replaces reads of this temporary.
    subst: Vec<Option<Pc>>,
    /// The labels `tidy` chose, for every region of the function.
    pub(crate) labels: RefCell<Labels>,
}

impl<'a> FnCx<'a> {
    pub(crate) fn new(m: &'a Model<'a>, f: FuncId) -> FnCx<'a> {
        let func = m.p.func(f);
        let n = func.locals.len();
        let (mut reads, mut writes, mut writes_through) = (vec![0; n], vec![0; n], vec![0; n]);
        for i in &func.code {
            visit_exprs(i, &mut |e| {
                if let Expr::Local(s) | Expr::Raw(s) = e {
                    reads[*s as usize] += 1;
                }
            });
            for_each_place(i, &mut |p| match p {
                Place::Bind(s) => writes[*s as usize] += 1,
                Place::Local(s) => {
                    writes[*s as usize] += 1;
                    writes_through[*s as usize] += 1;
                }
                _ => {}
            });
        }
        let code = &func.code;
        let mut targeted = vec![false; code.len() + 1];
        for i in code {
            for t in jump_targets(i) {
                targeted[t as usize] = true;
            }
        }
        let temp = |s: u16| {
            func.locals[s as usize].starts_with('$') && reads[s as usize] == 1 && writes[s as usize] == 1
        };
        let mut retarget = vec![None; code.len()];
        let mut skip = vec![false; code.len()];
        let mut subst = vec![None; n];
        for w in 0..code.len().saturating_sub(1) {
            if targeted[w + 1] || !falls_through(&code[w]) || skip[w] {
                continue;
            }
            let Some(Place::Bind(t)) = dst_of(&code[w]) else { continue };
            if !temp(*t) {
                continue;
            }
            if let Instr::Assign { dst, value: Expr::Local(x) } = &code[w + 1] {
                if x == t {
                    retarget[w] = Some(dst.clone());
                    skip[w + 1] = true;
                    continue;
                }
            }
            if matches!(code[w], Instr::New { .. } | Instr::Assign { .. }) && retarget[w].is_none() {
                let mut read_next = false;
                visit_exprs(&code[w + 1], &mut |e| {
                    read_next |= matches!(e, Expr::Local(x) | Expr::Raw(x) if x == t)
                });
                if read_next {
                    subst[*t as usize] = Some(w as Pc);
                    skip[w] = true;
                }
            }
        }
        FnCx { m, f, func, reads, writes_through, retarget, skip, subst, labels: RefCell::default() }
    }

    fn slot_name(&self, s: u16) -> &str {
        self.m.names.local(self.f, s)
    }

    fn is_ref(&self, s: u16) -> bool {
        self.m.refs.is_ref(self.f, s)
    }

    /// Whether a local is never looked at, so that stores to it go to `_`.
    fn unread(&self, s: u16) -> bool {
        !self.is_ref(s) && self.reads[s as usize] == 0
            || self.is_ref(s) && self.reads[s as usize] == 0 && self.writes_through[s as usize] == 0
    }

    pub(crate) fn line(&self, pc: Pc) -> Option<u32> {
        Some(self.m.line(self.func.spans[pc as usize]))
    }

    /// The Go declaration type of a local: a cell is a pointer.
    pub(crate) fn slot_type(&self, s: u16) -> String {
        let t = self.m.go_type(self.m.kinds.local(self.f, s));
        if self.is_ref(s) {
            format!("*{t}")
        } else {
            t
        }
    }

    pub(crate) fn local_name(&self, s: u16) -> String {
        self.slot_name(s).to_string()
    }

    /// Whether a local is a temporary of the lowering.
    pub(crate) fn is_temp(&self, s: u16) -> bool {
        self.func.locals[s as usize].starts_with('$')
    }

    fn kind(&self, e: &Expr) -> Kind {
        self.m.kinds.expr(self.m.p, self.f, e)
    }

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
    fn prec(&self, e: &Expr) -> u8 {
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
                Kind::Array(_) | Kind::Func(..) if *op == BinOp::Eq => PRIMARY,
                Kind::Array(_) | Kind::Func(..) => UNARY,
                _ if matches!((&**a, &**b), (Expr::Const(Const::Nil), Expr::Const(Const::Nil))) => PRIMARY,
                _ => CMP,
            },
            Expr::Binary(..) => CMP,
            _ => PRIMARY,
        }
    }

    /// An expression at depth `d`.
    fn expr_at(&self, e: &Expr, d: u8, uses: &mut Vec<u16>) -> String {
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
            Expr::Index(a, i) => {
                let a = self.operand(a, PRIMARY, d, uses);
                format!("{a}[{}]", self.expr_at(i, d + 1, uses))
            }
            Expr::Unary(UnOp::Not, x) => format!("!{}", self.operand(x, UNARY, d, uses)),
            Expr::Unary(UnOp::Neg, x) => match &**x {
                Expr::Const(Const::Int(n)) => format!("-{n}"),
                _ => format!("i16(-{})", self.operand(x, UNARY, d, uses)),
            },
            Expr::Binary(op, a, b) => self.binary(*op, a, b, d, uses),
        }
    }

    /// An expression, in parentheses unless it binds at least as tightly as `min`.
    fn operand(&self, e: &Expr, min: u8, d: u8, uses: &mut Vec<u16>) -> String {
        if self.prec(e) < min {
            format!("({})", self.expr_at(e, d.saturating_sub(1).max(1), uses))
        } else {
            self.expr_at(e, d, uses)
        }
    }

    /// The depth of a binary operator's left operand: the same for a chain of one precedence.
    fn left_depth(&self, x: &Expr, prec: u8, d: u8) -> u8 {
        if self.prec(x) == prec && prec <= CMP {
            d
        } else {
            d + 1
        }
    }

    fn constant(&self, c: &Const) -> String {
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

    fn binary(&self, op: BinOp, a: &Expr, b: &Expr, d: u8, uses: &mut Vec<u16>) -> String {
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
                Kind::Array(_) | Kind::Func(..) => {
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
    fn arg(&self, e: &Expr, wants_ptr: bool, d: u8, uses: &mut Vec<u16>) -> String {
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
    fn args(&self, callee: FuncId, args: &[Expr], d: u8, uses: &mut Vec<u16>) -> Vec<String> {
        args.iter()
            .enumerate()
            .map(|(n, a)| self.arg(a, self.m.refs.is_ref(callee, n as u16), d, uses))
            .collect()
    }

    // ---- places -----------------------------------------------------------

    /// `place = value`, through the range check of a ranged variable; `None`
    /// when the place is a local nobody reads (the value is then dropped).
    /// `value` renders the value at the depth it gets.
    fn store_with(
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
        };
        Some(match range {
            Some(((lo, hi), name)) => format!("{target} = inRange({}, {lo}, {hi}, {name:?})", value(2, uses)),
            None => format!("{target} = {}", value(1, uses)),
        })
    }

    /// A store of a value that prints the same at every depth.
    fn store(&self, pl: &Place, value: &str, uses: &mut Vec<u16>) -> Option<String> {
        self.store_with(pl, &mut |_, _| value.to_string(), uses)
    }

    /// Where an instruction's result goes: its own place, or the one it was retargeted to.
    fn dst<'i>(&'i self, pc: Pc, own: &'i Option<Place>) -> Option<&'i Place> {
        self.retarget[pc as usize].as_ref().or(own.as_ref())
    }

    /// A store of a call's result, or the call alone when nobody reads it.
    fn call_into(&self, pc: Pc, own: &Option<Place>, call: String, uses: &mut Vec<u16>) -> String {
        match self.dst(pc, own).and_then(|p| self.store(p, &call, uses)) {
            Some(s) => s,
            None => call,
        }
    }

    // ---- constructors -----------------------------------------------------

    /// A constructor at depth `d`.
    fn ctor(&self, c: &Ctor, target: &Kind, d: u8, uses: &mut Vec<u16>) -> String {
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
            Ctor::Ticker => "time.NewTicker(tickPeriod())".into(),
            Ctor::Timer => "time.NewTimer(timerDelay())".into(),
            Ctor::Cell { init, range } => {
                let v = match range {
                    Some((lo, hi)) => {
                        format!("inRange({}, {lo}, {hi}, \"\")", self.expr_at(init, d + 1, uses))
                    }
                    None => self.expr_at(init, d, uses),
                };
                format!("{}({v})", self.generic("ref", init, target))
            }
            Ctor::Array { elem, len } => {
                let k = match target {
                    Kind::Array(k) => (**k).clone(),
                    _ => Kind::Unit,
                };
                match &**elem {
                    Elem::Ctor(c) => {
                        let t = self.m.go_type(&k);
                        format!("array({len}, func() {t} {{ return {} }})", self.ctor(c, &k, 1, uses))
                    }
                    Elem::Value(v) => {
                        format!("{}({len}, {})", self.generic("repeat", v, &k), self.expr_at(v, d + 1, uses))
                    }
                }
            }
        }
    }

    /// A generic harness function applied to `value` for a `target` of
    /// kind `k`: with the type argument spelled out when Go cannot infer it.
    fn generic(&self, name: &str, value: &Expr, k: &Kind) -> String {
        let untyped = matches!(value, Expr::Const(Const::Nil | Const::Ok));
        if untyped || matches!(k, Kind::Chan { recv_only: true, .. }) {
            format!("{name}[{}]", self.m.go_type(k))
        } else {
            name.to_string()
        }
    }

    // ---- channel operands -------------------------------------------------

    /// A channel to receive from: a ticker's or timer's `C`, a typed nil.
    fn recv_chan(&self, chan: &Expr, elem: &Kind, uses: &mut Vec<u16>) -> String {
        match (self.kind(chan), chan) {
            (Kind::Ticker | Kind::Timer, _) => format!("{}.C", self.operand(chan, PRIMARY, 1, uses)),
            (_, Expr::Const(Const::Nil)) => format!("(chan {})(nil)", self.m.go_type(elem)),
            _ => self.operand(chan, UNARY, 1, uses),
        }
    }

    /// A channel to send on or close.
    fn send_chan(&self, chan: &Expr, elem: &Kind, uses: &mut Vec<u16>) -> String {
        match chan {
            Expr::Const(Const::Nil) => format!("(chan {})(nil)", self.m.go_type(elem)),
            _ => self.operand(chan, PRIMARY, 1, uses),
        }
    }

    fn elem_of(&self, value: &Option<Place>) -> Kind {
        value.as_ref().map_or(Kind::Unit, |p| self.m.kinds.place(self.m.p, self.f, p))
    }

    /// A receive as statements: `v, ok = <-ch`, or `<-t.C` then the stores of
    /// a tick (unit, true), or through a temporary for a ranged variable.
    fn receive(
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

    fn is_blank(&self, p: &Option<Place>) -> bool {
        matches!(p, Some(Place::Bind(s) | Place::Local(s)) if self.unread(*s))
    }

    /// A place that can be assigned in a receive as it is (no range check).
    fn simple_target(&self, p: &Place, uses: &mut Vec<u16>) -> Option<String> {
        match p {
            Place::Bind(s) | Place::Local(s) if self.unread(*s) => None,
            Place::Local(s) if self.is_ref(*s) && self.m.refs.range(self.f, *s).is_some() => None,
            Place::Global(g) if self.m.p.globals[*g as usize].range.is_some() => None,
            Place::Index(a, i) => {
                let a = self.operand(a, PRIMARY, 1, uses);
                Some(format!("{a}[{}]", self.expr_at(i, 2, uses)))
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
            CaseKind::Recv { chan, value, ok } => {
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

    fn statements(&self, pc: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
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
            Instr::Recv { chan, value, ok } => Ok(self.receive(pc, chan, value, ok, line)),
            Instr::Spawn { func, args, dst, group } => Ok(self.spawn(pc, *func, args, dst, group.as_ref())),
            Instr::Join { task } => {
                one(format!("{}.join()", self.operand(task, PRIMARY, 1, &mut uses)), uses)
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
            Instr::Call { callee, args, dst } => {
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
            Instr::Op { op, target, arg, dst } => {
                let call = self.op(*op, target, arg.as_ref(), &mut uses);
                if *op == Op::GroupWait {
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
            Instr::Defer { block } => self.defer(pc, *block),
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
    fn call(&self, callee: &Callee, args: &[Expr], uses: &mut Vec<u16>) -> (String, Option<Kind>) {
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

    fn op(&self, op: Op, target: &Expr, arg: Option<&Expr>, uses: &mut Vec<u16>) -> String {
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
            Op::Close => unreachable!("handled above"),
        };
        format!("{t}.{method}")
    }

    /// `go task_x(newTask(), args)`; in a group, the arguments are copied
    /// first (`g.Go` takes a closure) and the task runs through `g.Go`.
    fn spawn(
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
    fn defer(&self, pc: Pc, block: Pc) -> Result<Vec<Stmt>, Box<Diagnostic>> {
        let line = self.line(pc);
        let span = self.func.spans[pc as usize];
        let is_block = self.m.text(span).trim_start_matches("defer").trim_start().starts_with('{');
        let code = &self.func.code;
        let single = !is_block && matches!(code.get(block as usize + 1), Some(Instr::EndDefer));
        if single {
            let mut uses = Vec::new();
            let call = match &code[block as usize] {
                Instr::Op { op, target, arg, dst: None } => {
                    Some(self.op(*op, target, arg.as_ref(), &mut uses))
                }
                Instr::Call { callee, args, dst: None } => Some(self.call(callee, args, &mut uses).0),
                Instr::Work { name, ctx, dst: None } => {
                    let ctx = ctx.as_ref().map_or("context.TODO()".to_string(), |c| self.expr(c, &mut uses));
                    Some(format!("{}({ctx})", self.m.names.works[*name as usize]))
                }
                Instr::Join { task } => Some(format!("{}.join()", self.operand(task, PRIMARY, 1, &mut uses))),
                Instr::Yield => Some("runtime.Gosched()".into()),
                Instr::Sleep => Some("time.Sleep(sleepDelay())".into()),
                _ => None,
            };
            if let Some(call) = call {
                return Ok(vec![Stmt::line(format!("defer {call}"), uses, line)]);
            }
        }
        let body = crate::structure::region(self, block)?;
        Ok(vec![Stmt::Closure("defer func() {".into(), body, "}()".into(), line)])
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
            match (&self.m.kinds.rets[self.f as usize], value) {
                (None, _) => "return".to_string(),
                (Some(_), Some(v)) => format!("return {}", self.expr(v, &mut uses)),
                (Some(k), None) => format!("return {}", k.zero()),
            }
        };
        let bare = text == "return";
        Stmt::Line(crate::go::Line { text, uses, line, kind: LineKind::Return { bare } })
    }
}

/// The negation of a condition, pushed inward (`!(a == b)` is `a != b`).
pub(crate) fn negate(e: &Expr) -> Expr {
    let b = |x: &Expr| Box::new(x.clone());
    match e {
        Expr::Unary(UnOp::Not, x) => (**x).clone(),
        Expr::Const(Const::Bool(v)) => Expr::Const(Const::Bool(!v)),
        Expr::Binary(op, x, y) => {
            let flip = match op {
                BinOp::Eq => BinOp::Ne,
                BinOp::Ne => BinOp::Eq,
                BinOp::Lt => BinOp::Ge,
                BinOp::Le => BinOp::Gt,
                BinOp::Gt => BinOp::Le,
                BinOp::Ge => BinOp::Lt,
                BinOp::And => return Expr::Binary(BinOp::Or, Box::new(negate(x)), Box::new(negate(y))),
                BinOp::Or => return Expr::Binary(BinOp::And, Box::new(negate(x)), Box::new(negate(y))),
                BinOp::Add | BinOp::Sub => return Expr::Unary(UnOp::Not, b(e)),
            };
            Expr::Binary(flip, b(x), b(y))
        }
        _ => Expr::Unary(UnOp::Not, b(e)),
    }
}

/// Whether control goes on to the next instruction.
pub(crate) fn falls_through(i: &Instr) -> bool {
    !matches!(
        i,
        Instr::Jump { .. }
            | Instr::Branch { .. }
            | Instr::Select { .. }
            | Instr::Choose { .. }
            | Instr::Return { .. }
            | Instr::EndDefer
            | Instr::OnceEnter { .. }
    )
}

/// Where an instruction jumps (besides falling through).
fn jump_targets(i: &Instr) -> Vec<Pc> {
    match i {
        Instr::Jump { target } | Instr::Branch { target, .. } => vec![*target],
        Instr::Select { cases, default } => cases.iter().map(|c| c.target).chain(*default).collect(),
        Instr::Choose { targets } => targets.clone(),
        Instr::OnceEnter { skip, .. } => vec![*skip],
        Instr::Defer { block } => vec![*block],
        _ => Vec::new(),
    }
}

/// The place an instruction stores its main result into.
fn dst_of(i: &Instr) -> Option<&Place> {
    match i {
        Instr::Assign { dst, .. } | Instr::New { dst, .. } => Some(dst),
        Instr::Recv { value: Some(v), ok: None, .. } => Some(v),
        Instr::Spawn { dst, .. }
        | Instr::Work { dst, .. }
        | Instr::Call { dst, .. }
        | Instr::Op { dst, .. } => dst.as_ref(),
        _ => None,
    }
}

/// Calls `f` on every place an instruction stores into.
fn for_each_place(i: &Instr, f: &mut dyn FnMut(&Place)) {
    let opt = |p: &Option<Place>, f: &mut dyn FnMut(&Place)| {
        if let Some(p) = p {
            f(p)
        }
    };
    match i {
        Instr::Assign { dst, .. } | Instr::New { dst, .. } => f(dst),
        Instr::Recv { value, ok, .. } => {
            opt(value, f);
            opt(ok, f);
        }
        Instr::Select { cases, .. } => {
            for c in cases {
                if let CaseKind::Recv { value, ok, .. } = &c.kind {
                    opt(value, f);
                    opt(ok, f);
                }
            }
        }
        Instr::Spawn { dst, .. }
        | Instr::Work { dst, .. }
        | Instr::Call { dst, .. }
        | Instr::Op { dst, .. } => opt(dst, f),
        _ => {}
    }
}
