//! Kinds found again: the IR keeps no types, so the Go type of every local,
//! variable, channel element and helper result is inferred here by
//! unification over how values are made and used, as the lowering did.
//! What stays unknown is `struct{}` (a helper result: no result).

use leash_ir::{BinOp, Callee, CaseKind, Const, Ctor, Elem, Expr, FuncId, Instr, Op, Place, Program, UnOp};
use leash_syntax::{Diagnostic, Span};

/// A kind constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Con {
    Unit,
    Bool,
    Int,
    Atom,
    Result,
    Chan,
    Mutex,
    RwMutex,
    Cond,
    Once,
    WaitGroup,
    Group,
    Ctx,
    Ticker,
    Timer,
    Task,
    Array,
    Func,
    Struct(u16),
    Map,
    MapIter,
    List,
}

/// A resolved kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Unit,
    Bool,
    Int,
    Atom,
    Result,
    /// A channel; `recv_only` when it may hold a context's done channel.
    Chan {
        elem: Box<Kind>,
        recv_only: bool,
    },
    Mutex,
    RwMutex,
    Cond,
    Once,
    WaitGroup,
    Group,
    Ctx,
    Ticker,
    Timer,
    Task,
    Array(Box<Kind>),
    /// A callback: parameters and result (`None`: no result).
    Func(Vec<Kind>, Option<Box<Kind>>),
    /// A pointer to a struct, by its Go type name.
    Struct(String),
    /// A map from keys to values.
    Map(Box<Kind>, Box<Kind>),
    /// The state of a loop over a map (the harness's `mapIter`).
    MapIter(Box<Kind>, Box<Kind>),
    /// A list shared by reference (the harness's `list`).
    List(Box<Kind>),
}

impl Kind {
    /// The Go type, with `ptr` telling which callback parameters are pointers.
    pub(crate) fn go(&self, ptr: &dyn Fn(&Kind, usize) -> bool) -> String {
        match self {
            Kind::Unit => "struct{}".into(),
            Kind::Bool => "bool".into(),
            Kind::Int => "int".into(),
            Kind::Atom => "string".into(),
            Kind::Result => "error".into(),
            Kind::Chan { elem, recv_only } => {
                let e = elem.go(ptr);
                let e =
                    if matches!(**elem, Kind::Chan { recv_only: true, .. }) { format!("({e})") } else { e };
                if *recv_only {
                    format!("<-chan {e}")
                } else {
                    format!("chan {e}")
                }
            }
            Kind::Mutex => "*sync.Mutex".into(),
            Kind::RwMutex => "*sync.RWMutex".into(),
            Kind::Cond => "*sync.Cond".into(),
            Kind::Once => "*sync.Once".into(),
            Kind::WaitGroup => "*sync.WaitGroup".into(),
            Kind::Group => "*Group".into(),
            Kind::Ctx => "*Ctx".into(),
            Kind::Ticker => "*time.Ticker".into(),
            Kind::Timer => "*time.Timer".into(),
            Kind::Task => "*Task".into(),
            Kind::Array(e) => format!("[]{}", e.go(ptr)),
            Kind::Struct(name) => format!("*{name}"),
            Kind::Map(k, v) => format!("map[{}]{}", k.go(ptr), v.go(ptr)),
            Kind::MapIter(k, v) => format!("*mapIter[{}, {}]", k.go(ptr), v.go(ptr)),
            Kind::List(e) => format!("*list[{}]", e.go(ptr)),
            Kind::Func(params, ret) => {
                let ps: Vec<String> = params
                    .iter()
                    .enumerate()
                    .map(|(i, k)| if ptr(self, i) { format!("*{}", k.go(ptr)) } else { k.go(ptr) })
                    .collect();
                match ret {
                    Some(r) => format!("func({}) {}", ps.join(", "), r.go(ptr)),
                    None => format!("func({})", ps.join(", ")),
                }
            }
        }
    }

    /// Go's zero value of the kind.
    pub(crate) fn zero(&self) -> &'static str {
        match self {
            Kind::Unit => "struct{}{}",
            Kind::Bool => "false",
            Kind::Int => "0",
            Kind::Atom => "\"\"",
            _ => "nil",
        }
    }
}

/// Every kind of a program.
pub(crate) struct Kinds {
    /// Per function, per local slot (the value's kind; a `var` cell holds one).
    pub(crate) locals: Vec<Vec<Kind>>,
    /// Per model-level variable.
    pub(crate) globals: Vec<Kind>,
    /// Per function: the result of a helper (`None`: none). Tasks return a result.
    pub(crate) rets: Vec<Option<Kind>>,
    /// Per struct type, per field.
    pub(crate) fields: Vec<Vec<Kind>>,
}

impl Kinds {
    /// Infers the kinds of `p`; a model Go cannot type is a diagnostic.
    pub(crate) fn infer(p: &Program) -> Result<Kinds, Box<Diagnostic>> {
        let mut g = Gen::new(p);
        for (id, f) in p.funcs.iter().enumerate() {
            for (pc, instr) in f.code.iter().enumerate() {
                g.at = f.spans[pc];
                g.instr(id as FuncId, instr);
            }
        }
        g.settle_receives();
        g.settle_cond_locks();
        if let Some(span) = g.conflict() {
            return Err(Box::new(
                Diagnostic::error("E0300", span, "Go cannot send on or close a context's done channel")
                    .with_label("this channel may be a `ctx.done`")
                    .with_hint("in Go, `ctx.Done()` is receive-only: make a channel of your own"),
            ));
        }
        let locals = g
            .locals
            .clone()
            .iter()
            .map(|vars| vars.iter().map(|&v| g.resolve(v, &mut Vec::new())).collect())
            .collect::<Result<Vec<_>, _>>()?;
        let globals = g
            .globals
            .clone()
            .iter()
            .map(|&v| g.resolve(v, &mut Vec::new()))
            .collect::<Result<Vec<_>, _>>()?;
        let rets = g
            .rets
            .clone()
            .iter()
            .map(|&v| g.resolve_opt(v, &mut Vec::new()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut fields = Vec::new();
        for s in 0..p.structs.len() {
            let vars: Vec<u32> =
                (0..p.structs[s].fields.len()).map(|i| g.field(s as u16, i as u16)).collect();
            fields.push(vars.iter().map(|&v| g.resolve(v, &mut Vec::new())).collect::<Result<Vec<_>, _>>()?);
        }
        Ok(Kinds { locals, globals, rets, fields })
    }

    /// The kind of a local.
    pub(crate) fn local(&self, f: FuncId, slot: u16) -> &Kind {
        &self.locals[f as usize][slot as usize]
    }

    /// The kind of a pure expression in function `f`.
    pub(crate) fn expr(&self, p: &Program, f: FuncId, e: &Expr) -> Kind {
        match e {
            Expr::Const(c) => match c {
                Const::Unit => Kind::Unit,
                Const::Bool(_) => Kind::Bool,
                Const::Int(_) => Kind::Int,
                Const::Atom(_) => Kind::Atom,
                Const::Ok | Const::Err => Kind::Result,
                Const::Nil => Kind::Chan { elem: Box::new(Kind::Unit), recv_only: false },
                Const::Func(g) => self.signature(p, *g),
            },
            Expr::Local(s) | Expr::Raw(s) => self.local(f, *s).clone(),
            Expr::Global(g) | Expr::GlobalRef(g) => self.globals[*g as usize].clone(),
            Expr::Done(_) => Kind::Chan { elem: Box::new(Kind::Unit), recv_only: true },
            Expr::CtxErr(_) => Kind::Result,
            Expr::GroupCtx(_) => Kind::Ctx,
            Expr::TimerChan(t, _) => self.expr(p, f, t),
            Expr::Index(a, _) => match self.expr(p, f, a) {
                Kind::Array(e) => *e,
                _ => Kind::Unit,
            },
            Expr::Field(_, r) => self.fields[r.def as usize][r.index as usize].clone(),
            Expr::MapGet(m, _, _) => match self.expr(p, f, m) {
                Kind::Map(_, v) => *v,
                _ => Kind::Unit,
            },
            Expr::MapHas(..) => Kind::Bool,
            Expr::Len(..) => Kind::Int,
            Expr::Unary(UnOp::Not, _) => Kind::Bool,
            Expr::Unary(UnOp::Neg, _) => Kind::Int,
            Expr::Binary(BinOp::Add | BinOp::Sub, ..) => Kind::Int,
            Expr::Binary(..) => Kind::Bool,
        }
    }

    /// The kind of a place.
    pub(crate) fn place(&self, p: &Program, f: FuncId, pl: &Place) -> Kind {
        match pl {
            Place::Bind(s) | Place::Local(s) => self.local(f, *s).clone(),
            Place::Global(g) => self.globals[*g as usize].clone(),
            Place::Index(a, _) => match self.expr(p, f, a) {
                Kind::Array(e) => *e,
                _ => Kind::Unit,
            },
            Place::Field(_, r) => self.fields[r.def as usize][r.index as usize].clone(),
            Place::MapEntry(m, _) => match self.expr(p, f, m) {
                Kind::Map(_, v) => *v,
                _ => Kind::Unit,
            },
        }
    }

    /// A helper as a callback value.
    pub(crate) fn signature(&self, p: &Program, g: FuncId) -> Kind {
        let params = self.locals[g as usize][..p.func(g).params as usize].to_vec();
        Kind::Func(params, self.rets[g as usize].clone().map(Box::new))
    }
}

enum Node {
    Link(u32),
    Unknown,
    Known(Con, Vec<u32>),
}

/// The unification table and the constraints generated from the IR.
struct Gen<'p> {
    p: &'p Program,
    nodes: Vec<Node>,
    /// Per root: may hold a done channel; where a send or close needs it not to.
    recv_only: Vec<bool>,
    sent: Vec<Option<Span>>,
    /// Per root: known only as a channel because a `nil` made it, so that
    /// any other kind a use needs (a context, a task, a timer, a map left
    /// out of a struct literal) takes its place.
    nil: Vec<bool>,
    locals: Vec<Vec<u32>>,
    globals: Vec<u32>,
    rets: Vec<u32>,
    /// Receives whose operand may be a channel, a ticker or a timer: (operand, element).
    receives: Vec<(u32, u32)>,
    /// The locks conds are made over: a mutex, or an rwmutex whose read
    /// lock the cond uses (`cond(rw.rlocker())`); a mutex if nothing else says.
    cond_locks: Vec<u32>,
    /// Per struct type: its kind, whose arguments are its fields' kinds.
    structs: Vec<u32>,
    /// Per struct type: its Go name.
    struct_names: Vec<String>,
    at: Span,
}

impl<'p> Gen<'p> {
    fn new(p: &'p Program) -> Gen<'p> {
        let mut g = Gen {
            p,
            nodes: Vec::new(),
            recv_only: Vec::new(),
            sent: Vec::new(),
            nil: Vec::new(),
            locals: Vec::new(),
            globals: Vec::new(),
            rets: Vec::new(),
            receives: Vec::new(),
            cond_locks: Vec::new(),
            structs: Vec::new(),
            struct_names: crate::names::struct_types(p),
            at: Span::default(),
        };
        for (i, s) in p.structs.iter().enumerate() {
            let fields = s.fields.iter().map(|_| g.fresh()).collect();
            let k = g.con(Con::Struct(i as u16), fields);
            g.structs.push(k);
        }
        for f in &p.funcs {
            let vars = f.locals.iter().map(|_| g.fresh()).collect();
            g.locals.push(vars);
            let r = g.fresh();
            g.rets.push(r);
        }
        for _ in &p.globals {
            let v = g.fresh();
            g.globals.push(v);
        }
        g
    }

    fn push(&mut self, n: Node) -> u32 {
        self.nodes.push(n);
        self.recv_only.push(false);
        self.sent.push(None);
        self.nil.push(false);
        self.nodes.len() as u32 - 1
    }

    fn fresh(&mut self) -> u32 {
        self.push(Node::Unknown)
    }

    fn con(&mut self, c: Con, args: Vec<u32>) -> u32 {
        self.push(Node::Known(c, args))
    }

    fn simple(&mut self, c: Con) -> u32 {
        self.con(c, Vec::new())
    }

    fn chan(&mut self, elem: u32) -> u32 {
        self.con(Con::Chan, vec![elem])
    }

    fn find(&mut self, v: u32) -> u32 {
        let mut r = v;
        while let Node::Link(n) = self.nodes[r as usize] {
            r = n;
        }
        r
    }

    /// Unifies two kinds; a clash cannot happen in a model that compiled, and
    /// is left alone (the first kind wins).
    fn unify(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let args = match (&self.nodes[ra as usize], &self.nodes[rb as usize]) {
            (Node::Unknown, _) => None,
            (_, Node::Unknown) => {
                return self.link(rb, ra);
            }
            (Node::Known(ca, aa), Node::Known(cb, ab)) if ca == cb && aa.len() == ab.len() => {
                self.nil[rb as usize] &= self.nil[ra as usize];
                Some(aa.iter().copied().zip(ab.iter().copied()).collect::<Vec<_>>())
            }
            _ if self.nil[ra as usize] => return self.link(ra, rb),
            _ if self.nil[rb as usize] => return self.link(rb, ra),
            _ => return,
        };
        self.link(ra, rb);
        for (x, y) in args.into_iter().flatten() {
            self.unify(x, y);
        }
    }

    fn link(&mut self, from: u32, to: u32) {
        self.nodes[from as usize] = Node::Link(to);
        self.recv_only[to as usize] |= self.recv_only[from as usize];
        if self.sent[to as usize].is_none() {
            self.sent[to as usize] = self.sent[from as usize];
        }
    }

    fn require(&mut self, v: u32, c: Con) {
        let k = self.simple(c);
        self.unify(v, k);
    }

    fn head(&mut self, v: u32) -> Option<(Con, Vec<u32>)> {
        let r = self.find(v);
        match &self.nodes[r as usize] {
            Node::Known(c, a) => Some((*c, a.clone())),
            _ => None,
        }
    }

    /// The kind of field `index` of struct `def`.
    fn field(&mut self, def: u16, index: u16) -> u32 {
        let k = self.structs[def as usize];
        match self.head(k) {
            Some((_, args)) => args[index as usize],
            None => unreachable!("a struct's kind is known from the start"),
        }
    }

    /// The kind of `base.field`, with `base` made that struct.
    fn field_of(&mut self, f: FuncId, base: &Expr, r: leash_ir::FieldRef) -> u32 {
        let b = self.expr(f, base);
        let k = self.structs[r.def as usize];
        self.unify(b, k);
        self.field(r.def, r.index)
    }

    /// `m` made a map of keys `k`; the kind of its values.
    fn map_of(&mut self, m: u32, k: u32) -> u32 {
        let v = self.fresh();
        let t = self.con(Con::Map, vec![k, v]);
        self.unify(m, t);
        v
    }

    fn local(&self, f: FuncId, s: u16) -> u32 {
        self.locals[f as usize][s as usize]
    }

    fn signature(&mut self, g: FuncId) -> u32 {
        let n = self.p.func(g).params as usize;
        let mut args = self.locals[g as usize][..n].to_vec();
        args.push(self.rets[g as usize]);
        self.con(Con::Func, args)
    }

    fn expr(&mut self, f: FuncId, e: &Expr) -> u32 {
        match e {
            Expr::Const(c) => match c {
                Const::Unit => self.simple(Con::Unit),
                Const::Bool(_) => self.simple(Con::Bool),
                Const::Int(_) => self.simple(Con::Int),
                Const::Atom(_) => self.simple(Con::Atom),
                Const::Ok | Const::Err => self.simple(Con::Result),
                Const::Nil => {
                    let e = self.fresh();
                    let c = self.chan(e);
                    self.nil[c as usize] = true;
                    c
                }
                Const::Func(g) => self.signature(*g),
            },
            Expr::Local(s) | Expr::Raw(s) => self.local(f, *s),
            Expr::Global(g) | Expr::GlobalRef(g) => self.globals[*g as usize],
            Expr::TimerChan(t, ticker) => {
                let t = self.expr(f, t);
                self.require(t, if *ticker { Con::Ticker } else { Con::Timer });
                t
            }
            Expr::Done(c) => {
                let c = self.expr(f, c);
                self.require(c, Con::Ctx);
                let u = self.simple(Con::Unit);
                let d = self.chan(u);
                self.recv_only[d as usize] = true;
                d
            }
            Expr::CtxErr(c) => {
                let c = self.expr(f, c);
                self.require(c, Con::Ctx);
                self.simple(Con::Result)
            }
            Expr::GroupCtx(g) => {
                let g = self.expr(f, g);
                self.require(g, Con::Group);
                self.simple(Con::Ctx)
            }
            Expr::Index(a, i) => {
                let (a, i) = (self.expr(f, a), self.expr(f, i));
                self.require(i, Con::Int);
                let elem = self.fresh();
                let arr = self.con(Con::Array, vec![elem]);
                self.unify(a, arr);
                elem
            }
            Expr::Field(a, r) => self.field_of(f, a, *r),
            Expr::MapGet(m, k, _) => {
                let (m, k) = (self.expr(f, m), self.expr(f, k));
                self.map_of(m, k)
            }
            Expr::MapHas(m, k) => {
                let (m, k) = (self.expr(f, m), self.expr(f, k));
                self.map_of(m, k);
                self.simple(Con::Bool)
            }
            Expr::Len(m, of) => {
                let m = self.expr(f, m);
                let k = self.fresh();
                match of {
                    leash_ir::LenOf::Map => {
                        self.map_of(m, k);
                    }
                    leash_ir::LenOf::List => {
                        let l = self.con(Con::List, vec![k]);
                        self.unify(m, l);
                    }
                    leash_ir::LenOf::Chan => {
                        let c = self.con(Con::Chan, vec![k]);
                        self.unify(m, c);
                    }
                }
                self.simple(Con::Int)
            }
            Expr::Unary(op, x) => {
                let x = self.expr(f, x);
                let c = if *op == UnOp::Not { Con::Bool } else { Con::Int };
                self.require(x, c);
                self.simple(c)
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(f, a), self.expr(f, b));
                let (operand, result) = match op {
                    BinOp::Or | BinOp::And => (Some(Con::Bool), Con::Bool),
                    BinOp::Eq | BinOp::Ne => (None, Con::Bool),
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (Some(Con::Int), Con::Bool),
                    BinOp::Add | BinOp::Sub => (Some(Con::Int), Con::Int),
                };
                match operand {
                    Some(c) => {
                        self.require(a, c);
                        self.require(b, c);
                    }
                    None => self.unify(a, b),
                }
                self.simple(result)
            }
        }
    }

    fn place(&mut self, f: FuncId, pl: &Place) -> u32 {
        match pl {
            Place::Bind(s) | Place::Local(s) => self.local(f, *s),
            Place::Global(g) => self.globals[*g as usize],
            Place::Index(a, i) => self.expr(f, &Expr::Index(Box::new(a.clone()), Box::new(i.clone()))),
            Place::Field(a, r) => self.field_of(f, a, *r),
            Place::MapEntry(m, k) => {
                self.expr(f, &Expr::MapGet(Box::new(m.clone()), Box::new(k.clone()), Const::Unit))
            }
        }
    }

    fn store(&mut self, f: FuncId, pl: &Option<Place>, v: u32) {
        if let Some(pl) = pl {
            let p = self.place(f, pl);
            self.unify(p, v);
        }
    }

    fn ctor(&mut self, f: FuncId, c: &Ctor) -> u32 {
        match c {
            Ctor::Chan(cap) => {
                let cap = self.expr(f, cap);
                self.require(cap, Con::Int);
                let e = self.fresh();
                self.chan(e)
            }
            Ctor::Mutex => self.simple(Con::Mutex),
            Ctor::RwMutex => self.simple(Con::RwMutex),
            Ctor::Cond(m) => {
                let m = self.expr(f, m);
                self.cond_locks.push(m);
                self.simple(Con::Cond)
            }
            Ctor::Once => self.simple(Con::Once),
            Ctor::WaitGroup => self.simple(Con::WaitGroup),
            Ctor::Group { ctx, limit } => {
                if let Some(c) = ctx {
                    let c = self.expr(f, c);
                    self.require(c, Con::Ctx);
                }
                if let Some(l) = limit {
                    let l = self.expr(f, l);
                    self.require(l, Con::Int);
                }
                self.simple(Con::Group)
            }
            Ctor::Background | Ctor::Signal => self.simple(Con::Ctx),
            Ctor::WithCancel(p) | Ctor::WithTimeout(p) => {
                let p = self.expr(f, p);
                self.require(p, Con::Ctx);
                self.simple(Con::Ctx)
            }
            Ctor::Ticker { .. } => self.simple(Con::Ticker),
            Ctor::Timer { .. } => self.simple(Con::Timer),
            Ctor::Cell { init, .. } | Ctor::Share(init) => self.expr(f, init),
            Ctor::Array { elem, .. } => {
                let e = match &**elem {
                    Elem::Ctor(c) => self.ctor(f, c),
                    Elem::Value(v) => self.expr(f, v),
                };
                self.con(Con::Array, vec![e])
            }
            Ctor::Closure { func, captures } => {
                self.args(f, *func, captures);
                let n = self.p.func(*func).params as usize;
                let mut sig = self.locals[*func as usize][captures.len()..n].to_vec();
                sig.push(self.rets[*func as usize]);
                self.con(Con::Func, sig)
            }
            Ctor::List => {
                let e = self.fresh();
                self.con(Con::List, vec![e])
            }
            Ctor::Map => {
                let (k, v) = (self.fresh(), self.fresh());
                self.con(Con::Map, vec![k, v])
            }
            Ctor::MapIter(m) => {
                let (m, k) = (self.expr(f, m), self.fresh());
                let v = self.map_of(m, k);
                self.con(Con::MapIter, vec![k, v])
            }
            Ctor::Struct { def, fields } => {
                for (i, elem) in fields.iter().enumerate() {
                    let v = match elem {
                        Elem::Ctor(c) => self.ctor(f, c),
                        Elem::Value(v) => self.expr(f, v),
                    };
                    let k = self.field(*def, i as u16);
                    self.unify(v, k);
                }
                self.structs[*def as usize]
            }
        }
    }

    fn receive(&mut self, f: FuncId, chan: &Expr, value: &Option<Place>, ok: &Option<Place>) {
        let c = self.expr(f, chan);
        let elem = self.fresh();
        self.receives.push((c, elem));
        self.store(f, value, elem);
        let b = self.simple(Con::Bool);
        self.store(f, ok, b);
    }

    fn send(&mut self, f: FuncId, chan: &Expr, value: &Expr) {
        let (c, v) = (self.expr(f, chan), self.expr(f, value));
        let k = self.chan(v);
        self.unify(c, k);
        self.mark_sent(c);
    }

    fn mark_sent(&mut self, c: u32) {
        let r = self.find(c) as usize;
        if self.sent[r].is_none() {
            self.sent[r] = Some(self.at);
        }
    }

    fn args(&mut self, f: FuncId, callee: FuncId, args: &[Expr]) {
        for (i, a) in args.iter().enumerate() {
            let a = self.expr(f, a);
            let param = self.local(callee, i as u16);
            self.unify(a, param);
        }
    }

    fn instr(&mut self, f: FuncId, i: &Instr) {
        match i {
            Instr::Assign { dst, value } => {
                let v = self.expr(f, value);
                self.store(f, &Some(dst.clone()), v);
            }
            Instr::New { dst, ctor } => {
                let v = self.ctor(f, ctor);
                self.store(f, &Some(dst.clone()), v);
            }
            Instr::Send { chan, value } => self.send(f, chan, value),
            Instr::Recv { chan, value, ok, .. } => self.receive(f, chan, value, ok),
            Instr::Select { cases, .. } => {
                for c in cases {
                    match &c.kind {
                        CaseKind::Recv { chan, value, ok, .. } => self.receive(f, chan, value, ok),
                        CaseKind::Send { chan, value } => self.send(f, chan, value),
                        CaseKind::After => {}
                    }
                }
            }
            Instr::Spawn { func, args, dst, group, .. } => {
                self.args(f, *func, args);
                let t = self.simple(Con::Task);
                self.store(f, dst, t);
                if let Some(g) = group {
                    let g = self.expr(f, g);
                    self.require(g, Con::Group);
                }
            }
            Instr::Join { task } => {
                let t = self.expr(f, task);
                self.require(t, Con::Task);
            }
            Instr::Work { ctx, dst, .. } => {
                if let Some(c) = ctx {
                    let c = self.expr(f, c);
                    self.require(c, Con::Ctx);
                }
                let r = self.simple(Con::Result);
                self.store(f, dst, r);
            }
            Instr::Recover { dst, .. } => {
                let r = self.simple(Con::Result);
                self.store(f, dst, r);
            }
            Instr::Call { callee, args, dst, rest } => match callee {
                Callee::Static(g) => {
                    self.args(f, *g, args);
                    let r = self.rets[*g as usize];
                    self.store(f, dst, r);
                    for (place, &local) in rest.iter().zip(&self.p.func(*g).results) {
                        let k = self.locals[*g as usize][local as usize];
                        self.store(f, &Some(place.clone()), k);
                    }
                }
                Callee::Dynamic(e) => {
                    let c = self.expr(f, e);
                    let mut sig: Vec<u32> = args.iter().map(|a| self.expr(f, a)).collect();
                    let r = self.fresh();
                    self.store(f, dst, r);
                    sig.push(r);
                    let k = self.con(Con::Func, sig);
                    self.unify(c, k);
                }
            },
            Instr::Return { value: Some(v) } => {
                let v = self.expr(f, v);
                if self.p.func(f).is_task {
                    self.require(v, Con::Result);
                } else {
                    let r = self.rets[f as usize];
                    self.unify(r, v);
                }
            }
            Instr::Branch { cond, .. } | Instr::Assert { cond } => {
                let c = self.expr(f, cond);
                self.require(c, Con::Bool);
            }
            // A push's or pop's load copies the list (with the value pushed)
            // into a local its store reads.
            Instr::Op { op: op @ (Op::ListLoad | Op::Push | Op::Pop), target, arg, dst } => {
                let (q, e) = (self.expr(f, target), self.fresh());
                let l = self.con(Con::List, vec![e]);
                self.unify(q, l);
                if let Some(a) = arg {
                    let a = self.expr(f, a);
                    self.unify(a, if *op == Op::ListLoad { e } else { l });
                }
                self.store(f, dst, if *op == Op::ListLoad { l } else { e });
            }
            Instr::Op { op: Op::MapDelete, target, arg, .. } => {
                let m = self.expr(f, target);
                let k = match arg {
                    Some(a) => self.expr(f, a),
                    None => self.fresh(),
                };
                self.map_of(m, k);
            }
            Instr::Op { op, target, arg, dst } => {
                let t = self.expr(f, target);
                let con = match op {
                    Op::Lock | Op::Unlock => Some(Con::Mutex),
                    Op::RLock | Op::RUnlock | Op::WLock | Op::WUnlock => Some(Con::RwMutex),
                    Op::WgAdd | Op::WgDone | Op::WgWait => Some(Con::WaitGroup),
                    Op::CondWait | Op::CondSignal | Op::CondBroadcast => Some(Con::Cond),
                    Op::GroupWait => Some(Con::Group),
                    Op::Cancel => Some(Con::Ctx),
                    Op::Stop | Op::Reset | Op::MapDelete | Op::ListLoad | Op::Push | Op::Pop => None,
                    Op::Close => {
                        let e = self.fresh();
                        let k = self.chan(e);
                        self.unify(t, k);
                        self.mark_sent(t);
                        None
                    }
                };
                if let Some(c) = con {
                    self.require(t, c);
                }
                if let Some(a) = arg {
                    let a = self.expr(f, a);
                    self.require(a, Con::Int);
                }
                let r = match op {
                    Op::GroupWait => self.simple(Con::Result),
                    // Only a timer's stop has a result to bind.
                    Op::Stop | Op::Reset if dst.is_some() => self.simple(Con::Bool),
                    _ => self.simple(Con::Unit),
                };
                self.store(f, dst, r);
            }
            Instr::OnceEnter { once, .. } | Instr::OnceExit { once } => {
                let o = self.expr(f, once);
                self.require(o, Con::Once);
            }
            Instr::MapNext { iter, map, key, value, found } => {
                let (it, m, k) = (self.expr(f, iter), self.expr(f, map), self.fresh());
                let v = self.map_of(m, k);
                let t = self.con(Con::MapIter, vec![k, v]);
                self.unify(it, t);
                self.store(f, key, k);
                self.store(f, value, v);
                let b = self.simple(Con::Bool);
                self.store(f, &Some(found.clone()), b);
            }
            Instr::Defer { capture, .. } => {
                for (slot, value) in capture {
                    let v = self.expr(f, value);
                    self.store(f, &Some(leash_ir::Place::Bind(*slot)), v);
                }
            }
            Instr::Return { value: None }
            | Instr::Jump { .. }
            | Instr::Choose { .. }
            | Instr::EndDefer
            | Instr::Sleep
            | Instr::Yield
            | Instr::Exit => {}
        }
    }

    /// A cond's lock that nothing else made known is a mutex.
    fn settle_cond_locks(&mut self) {
        for m in std::mem::take(&mut self.cond_locks) {
            if self.head(m).is_none() {
                self.require(m, Con::Mutex);
            }
        }
    }

    /// A receive's operand is a ticker or timer (a unit arrives) or a channel.
    fn settle_receives(&mut self) {
        let mut pending = std::mem::take(&mut self.receives);
        loop {
            let before = pending.len();
            pending.retain(|&(c, elem)| match self.head(c) {
                Some((Con::Ticker | Con::Timer, _)) => {
                    let u = self.simple(Con::Unit);
                    self.unify(elem, u);
                    false
                }
                Some((Con::Chan, args)) => {
                    self.unify(args[0], elem);
                    false
                }
                Some(_) => false,
                None => true,
            });
            if pending.len() == before {
                break;
            }
        }
        for (c, elem) in pending {
            let k = self.chan(elem);
            self.unify(c, k);
        }
    }

    /// Where a channel that may be a done channel is sent on or closed.
    fn conflict(&mut self) -> Option<Span> {
        (0..self.nodes.len() as u32).find_map(|v| {
            let r = self.find(v) as usize;
            (r == v as usize && self.recv_only[r]).then_some(self.sent[r]).flatten()
        })
    }

    fn resolve(&mut self, v: u32, seen: &mut Vec<u32>) -> Result<Kind, Box<Diagnostic>> {
        Ok(self.resolve_opt(v, seen)?.unwrap_or(Kind::Unit))
    }

    fn resolve_opt(&mut self, v: u32, seen: &mut Vec<u32>) -> Result<Option<Kind>, Box<Diagnostic>> {
        let r = self.find(v);
        let (c, args) = match &self.nodes[r as usize] {
            Node::Known(c, a) => (*c, a.clone()),
            _ => return Ok(None),
        };
        if seen.contains(&r) {
            return Err(Box::new(
                Diagnostic::error("E0301", self.at, "Go cannot name this recursive kind")
                    .with_label("a channel or array that holds itself")
                    .with_hint("a Go type that contains itself needs a named type: restructure the model"),
            ));
        }
        seen.push(r);
        let mut sub = |g: &mut Self, i: usize| g.resolve(args[i], seen).map(Box::new);
        let k = match c {
            Con::Unit => Kind::Unit,
            Con::Bool => Kind::Bool,
            Con::Int => Kind::Int,
            Con::Atom => Kind::Atom,
            Con::Result => Kind::Result,
            Con::Chan => Kind::Chan { elem: sub(self, 0)?, recv_only: self.recv_only[r as usize] },
            Con::Mutex => Kind::Mutex,
            Con::RwMutex => Kind::RwMutex,
            Con::Cond => Kind::Cond,
            Con::Once => Kind::Once,
            Con::WaitGroup => Kind::WaitGroup,
            Con::Group => Kind::Group,
            Con::Ctx => Kind::Ctx,
            Con::Ticker => Kind::Ticker,
            Con::Timer => Kind::Timer,
            Con::Task => Kind::Task,
            Con::Array => Kind::Array(sub(self, 0)?),
            Con::Struct(s) => Kind::Struct(self.struct_names[s as usize].clone()),
            Con::Map => Kind::Map(sub(self, 0)?, sub(self, 1)?),
            Con::MapIter => Kind::MapIter(sub(self, 0)?, sub(self, 1)?),
            Con::List => Kind::List(sub(self, 0)?),
            Con::Func => {
                let n = args.len() - 1;
                let params = (0..n).map(|i| sub(self, i).map(|b| *b)).collect::<Result<Vec<_>, _>>()?;
                let ret = self.resolve_opt(args[n], seen)?.map(Box::new);
                Kind::Func(params, ret)
            }
        };
        seen.pop();
        Ok(Some(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> (Program, Kinds) {
        let p = leash_ir::compile(src).unwrap();
        let k = Kinds::infer(&p).unwrap();
        (p, k)
    }

    fn local<'k>(p: &Program, k: &'k Kinds, func: &str, name: &str) -> &'k Kind {
        let f = p.funcs.iter().position(|f| f.name == func).unwrap();
        let s = p.funcs[f].locals.iter().position(|l| l == name).unwrap();
        &k.locals[f][s]
    }

    #[test]
    fn kinds_flow_through_spawns_and_channels() {
        let (p, k) = kinds(
            "task main() {\n let ch = chan(1)\n spawn w(ch)\n let t = ticker()\n recv t\n stop(t)\n}\ntask w(c) {\n send c, 3\n}\n",
        );
        let int_chan = Kind::Chan { elem: Box::new(Kind::Int), recv_only: false };
        assert_eq!(local(&p, &k, "main", "ch"), &int_chan);
        assert_eq!(local(&p, &k, "w", "c"), &int_chan);
        assert_eq!(local(&p, &k, "main", "t"), &Kind::Ticker);
    }

    #[test]
    fn a_local_holding_a_done_channel_is_receive_only() {
        let (p, k) = kinds("task main() {\n let ctx = background()\n let d = ctx.done\n recv d\n}\n");
        assert_eq!(local(&p, &k, "main", "d"), &Kind::Chan { elem: Box::new(Kind::Unit), recv_only: true });
    }

    #[test]
    fn sending_on_a_done_channel_cannot_be_typed() {
        let p = leash_ir::compile("task main() {\n let ctx = background()\n let d = ctx.done\n send d\n}\n")
            .unwrap();
        assert_eq!(Kinds::infer(&p).err().map(|d| d.code), Some("E0300"));
    }

    #[test]
    fn helper_results_and_callbacks() {
        let (p, k) = kinds(
            "fn one() {\n return 1\n}\nfn nothing() {\n yield\n}\ntask main() {\n let f = one\n let x = f()\n nothing()\n}\n",
        );
        let one = p.funcs.iter().position(|f| f.name == "one").unwrap();
        let nothing = p.funcs.iter().position(|f| f.name == "nothing").unwrap();
        assert_eq!(k.rets[one], Some(Kind::Int));
        assert_eq!(k.rets[nothing], None);
        assert_eq!(local(&p, &k, "main", "f"), &Kind::Func(vec![], Some(Box::new(Kind::Int))));
    }
}
