//! Creation sites and a points-to analysis over the IR: for every operand, the
//! sites (the `chan(...)`, `mutex()`, ... instructions) whose objects it may
//! denote. Flow-insensitive: values flow through locals, model-level variables,
//! arguments, returns, array elements, struct fields (each on its own) and
//! channel contents until nothing changes.

use leash_ir::{Callee, CaseKind, Ctor, Elem, Expr, FuncId, Instr, Place, Program};
use std::collections::{BTreeMap, BTreeSet};

/// What a site makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteKind {
    /// A channel of this capacity.
    Chan(i16),
    /// `mutex()`.
    Mutex,
    /// `rwmutex()`.
    RwMutex,
    /// `cond(mu)`.
    Cond,
    /// `once()`.
    Once,
    /// `waitgroup()`.
    WaitGroup,
    /// An error group.
    Group,
    /// A context of this kind (`signal`, `with_cancel`, ...).
    Ctx(&'static str),
    /// `ticker()`.
    Ticker,
    /// `timer()`.
    Timer,
    /// An array (its elements are sites of their own).
    Array,
    /// A struct value of this type (its fields' objects are sites of their own).
    Struct(u16),
}

/// One creation site.
#[derive(Clone, Debug)]
pub struct Site {
    /// The function that makes it.
    pub func: FuncId,
    /// The instruction.
    pub pc: u16,
    /// What it makes.
    pub kind: SiteKind,
    /// How many objects one execution makes (array elements).
    pub count: u16,
}

/// A set of sites.
pub type Set = BTreeSet<usize>;

/// The sites of a program and what may point to them.
#[derive(Debug, Default)]
pub struct Sites {
    /// Every site, in program order.
    pub sites: Vec<Site>,
    slots: BTreeMap<(FuncId, u16), Set>,
    globals: BTreeMap<u16, Set>,
    contents: BTreeMap<usize, Set>,
    rets: BTreeMap<FuncId, Set>,
    by_pc: BTreeMap<(FuncId, u16, u8), usize>,
    /// A group site's context site.
    pub group_ctx: BTreeMap<usize, usize>,
    /// Context derivations: (parent site, child site).
    pub derived: BTreeSet<(usize, usize)>,
    /// A cond site's mutex sites.
    pub cond_mutex: BTreeSet<(usize, usize)>,
    /// What each field of a struct site may hold: (struct site, field) to sites.
    pub fields: BTreeMap<(usize, u16), Set>,
    /// Tasks whose handle a struct site's field holds: (struct site, field, task).
    pub owned: BTreeSet<(usize, u16, FuncId)>,
}

fn ctor_kind(c: &Ctor) -> SiteKind {
    match c {
        Ctor::Chan(Expr::Const(leash_ir::Const::Int(n))) => SiteKind::Chan(*n),
        Ctor::Chan(_) => SiteKind::Chan(0),
        Ctor::Mutex => SiteKind::Mutex,
        Ctor::RwMutex => SiteKind::RwMutex,
        Ctor::Cond(_) => SiteKind::Cond,
        Ctor::Once => SiteKind::Once,
        Ctor::WaitGroup => SiteKind::WaitGroup,
        Ctor::Group { .. } => SiteKind::Group,
        Ctor::Background => SiteKind::Ctx("background"),
        Ctor::Signal => SiteKind::Ctx("signal"),
        Ctor::WithCancel(_) => SiteKind::Ctx("with_cancel"),
        Ctor::WithTimeout(_) => SiteKind::Ctx("with_timeout"),
        Ctor::Ticker { .. } => SiteKind::Ticker,
        Ctor::Timer { .. } => SiteKind::Timer,
        Ctor::Cell { .. }
        | Ctor::Share(_)
        | Ctor::Array { .. }
        | Ctor::Map
        | Ctor::List
        | Ctor::MapIter(_)
        | Ctor::Closure { .. } => SiteKind::Array,
        Ctor::Struct { def, .. } => SiteKind::Struct(*def),
    }
}

/// The part number of a struct's field `i` made by its own constructor (`+1`:
/// that field's group context).
fn field_part(i: usize) -> u8 {
    (3 + 2 * i).min(253) as u8
}

impl Sites {
    /// Finds the sites of `p` and solves the points-to equations.
    pub fn analyse(p: &Program) -> Sites {
        let mut s = Sites::default();
        for (f, func) in p.funcs.iter().enumerate() {
            for (pc, instr) in func.code.iter().enumerate() {
                if let Instr::New { ctor, .. } = instr {
                    s.add_sites(f as FuncId, pc as u16, ctor);
                }
            }
        }
        while s.round(p) {}
        s
    }

    fn add_sites(&mut self, func: FuncId, pc: u16, ctor: &Ctor) {
        let add = |s: &mut Sites, kind, count, part| {
            s.by_pc.insert((func, pc, part), s.sites.len());
            s.sites.push(Site { func, pc, kind, count });
        };
        match ctor {
            Ctor::Cell { .. } | Ctor::Share(_) => {}
            Ctor::Array { elem, len } => {
                add(self, SiteKind::Array, 1, 0);
                if let Elem::Ctor(c) = &**elem {
                    add(self, ctor_kind(c), *len, 1);
                    if let Ctor::Group { .. } = c {
                        add(self, SiteKind::Ctx("group"), *len, 2);
                    }
                }
            }
            Ctor::Group { .. } => {
                add(self, SiteKind::Group, 1, 0);
                add(self, SiteKind::Ctx("group"), 1, 2);
            }
            Ctor::Struct { def, fields } => {
                add(self, SiteKind::Struct(*def), 1, 0);
                for (i, field) in fields.iter().enumerate() {
                    if let Elem::Ctor(c) = field {
                        add(self, ctor_kind(c), 1, field_part(i));
                        if let Ctor::Group { .. } = c {
                            add(self, SiteKind::Ctx("group"), 1, field_part(i) + 1);
                        }
                    }
                }
            }
            c => add(self, ctor_kind(c), 1, 0),
        }
    }

    /// The site made by the instruction at (func, pc): part 0 the object, 1 an
    /// array's elements, 2 a group's context, from 3 on a struct's fields.
    pub fn site_at(&self, func: FuncId, pc: u16, part: u8) -> Option<usize> {
        self.by_pc.get(&(func, pc, part)).copied()
    }

    /// The sites an expression evaluated in `func` may denote.
    pub fn of_expr(&self, func: FuncId, e: &Expr) -> Set {
        match e {
            Expr::Local(s) | Expr::Raw(s) => self.slots.get(&(func, *s)).cloned().unwrap_or_default(),
            Expr::Global(g) | Expr::GlobalRef(g) => self.globals.get(g).cloned().unwrap_or_default(),
            Expr::Done(x) | Expr::TimerChan(x, _) => self.of_expr(func, x),
            Expr::GroupCtx(x) => {
                self.of_expr(func, x).iter().filter_map(|g| self.group_ctx.get(g).copied()).collect()
            }
            Expr::Index(a, _) => self.contents_of(&self.of_expr(func, a)),
            Expr::Field(a, r) => self.of_field(&self.of_expr(func, a), r.index),
            Expr::MapGet(m, _, _) => self.contents_of(&self.of_expr(func, m)),
            _ => Set::new(),
        }
    }

    /// The sites a local slot may hold.
    pub fn of_slot(&self, func: FuncId, slot: u16) -> Set {
        self.slots.get(&(func, slot)).cloned().unwrap_or_default()
    }

    /// The sites a model-level variable may hold.
    pub fn of_global(&self, g: u16) -> Set {
        self.globals.get(&g).cloned().unwrap_or_default()
    }

    fn of_field(&self, structs: &Set, field: u16) -> Set {
        structs.iter().flat_map(|&s| self.fields.get(&(s, field)).into_iter().flatten().copied()).collect()
    }

    fn contents_of(&self, sites: &Set) -> Set {
        sites.iter().flat_map(|s| self.contents.get(s).into_iter().flatten().copied()).collect()
    }

    fn grow<K: Ord>(map: &mut BTreeMap<K, Set>, key: K, add: &Set) -> bool {
        if add.is_empty() {
            return false;
        }
        let e = map.entry(key).or_default();
        let before = e.len();
        e.extend(add.iter().copied());
        e.len() != before
    }

    fn store(&mut self, func: FuncId, place: &Place, add: &Set) -> bool {
        match place {
            Place::Bind(s) | Place::Local(s) => Self::grow(&mut self.slots, (func, *s), add),
            Place::Global(g) => Self::grow(&mut self.globals, *g, add),
            Place::Index(a, _) => {
                let arrays = self.of_expr(func, a);
                let mut changed = false;
                for arr in arrays {
                    changed |= Self::grow(&mut self.contents, arr, add);
                }
                changed
            }
            Place::Field(a, r) => {
                let mut changed = false;
                for s in self.of_expr(func, a) {
                    changed |= Self::grow(&mut self.fields, (s, r.index), add);
                }
                changed
            }
            // A map's values flow like an array's elements (its keys are not tracked).
            Place::MapEntry(m, _) => {
                let maps = self.of_expr(func, m);
                let mut changed = false;
                for map in maps {
                    changed |= Self::grow(&mut self.contents, map, add);
                }
                changed
            }
        }
    }

    fn store_opt(&mut self, func: FuncId, place: &Option<Place>, add: &Set) -> bool {
        place.as_ref().is_some_and(|p| self.store(func, p, add))
    }

    fn send_into(&mut self, func: FuncId, chan: &Expr, value: &Expr) -> bool {
        let add = self.of_expr(func, value);
        let mut changed = false;
        for c in self.of_expr(func, chan) {
            changed |= Self::grow(&mut self.contents, c, &add);
        }
        changed
    }

    fn args(&mut self, func: FuncId, callee: FuncId, args: &[Expr]) -> bool {
        let mut changed = false;
        for (i, a) in args.iter().enumerate() {
            let add = self.of_expr(func, a);
            changed |= Self::grow(&mut self.slots, (callee, i as u16), &add);
        }
        changed
    }

    /// One pass over every instruction; whether anything grew.
    fn round(&mut self, p: &Program) -> bool {
        let mut changed = false;
        for (f, func) in p.funcs.iter().enumerate() {
            let f = f as FuncId;
            for (pc, instr) in func.code.iter().enumerate() {
                let pc = pc as u16;
                changed |= match instr {
                    Instr::New { dst, ctor } => self.new_object(f, pc, dst, ctor),
                    Instr::Assign { dst, value } => {
                        let add = self.of_expr(f, value);
                        self.store(f, dst, &add)
                    }
                    Instr::Send { chan, value } => self.send_into(f, chan, value),
                    Instr::Recv { chan, value, .. } => {
                        let add = self.contents_of(&self.of_expr(f, chan));
                        self.store_opt(f, value, &add)
                    }
                    // A list's elements flow like an array's.
                    Instr::Op { op: leash_ir::Op::ListLoad, target, arg: Some(v), .. } => {
                        let add = self.of_expr(f, v);
                        let mut c = false;
                        for q in self.of_expr(f, target) {
                            c |= Self::grow(&mut self.contents, q, &add);
                        }
                        c
                    }
                    Instr::Op { op: leash_ir::Op::Pop, target, dst, .. } => {
                        let add = self.contents_of(&self.of_expr(f, target));
                        self.store_opt(f, dst, &add)
                    }
                    Instr::MapNext { map, value, .. } => {
                        let add = self.contents_of(&self.of_expr(f, map));
                        self.store_opt(f, value, &add)
                    }
                    Instr::Select { cases, .. } => {
                        let mut c = false;
                        for case in cases {
                            c |= match &case.kind {
                                CaseKind::Send { chan, value } => self.send_into(f, chan, value),
                                CaseKind::Recv { chan, value, .. } => {
                                    let add = self.contents_of(&self.of_expr(f, chan));
                                    self.store_opt(f, value, &add)
                                }
                                CaseKind::After => false,
                            };
                        }
                        c
                    }
                    Instr::Spawn { func: callee, args, dst, .. } => {
                        let mut c = self.args(f, *callee, args);
                        if let Some(Place::Field(a, r)) = dst {
                            for s in self.of_expr(f, a) {
                                c |= self.owned.insert((s, r.index, *callee));
                            }
                        }
                        c
                    }
                    Instr::Call { callee: Callee::Static(g), args, dst, rest } => {
                        let mut c = self.args(f, *g, args);
                        let ret = self.rets.get(g).cloned().unwrap_or_default();
                        c |= self.store_opt(f, dst, &ret);
                        // The results after the first come from the callee's hidden locals.
                        for (place, &local) in rest.iter().zip(&p.func(*g).results) {
                            let add = self.of_expr(*g, &Expr::Local(local));
                            c |= self.store(f, place, &add);
                        }
                        c
                    }
                    Instr::Return { value: Some(v) } => {
                        let add = self.of_expr(f, v);
                        Self::grow(&mut self.rets, f, &add)
                    }
                    Instr::Defer { capture, .. } => {
                        let mut c = false;
                        for (slot, value) in capture {
                            let add = self.of_expr(f, value);
                            c |= self.store(f, &leash_ir::Place::Bind(*slot), &add);
                        }
                        c
                    }
                    _ => false,
                };
            }
        }
        changed
    }

    fn new_object(&mut self, f: FuncId, pc: u16, dst: &Place, ctor: &Ctor) -> bool {
        let one = |s: usize| Set::from([s]);
        match ctor {
            Ctor::Cell { init, .. } | Ctor::Share(init) => {
                let add = self.of_expr(f, init);
                self.store(f, dst, &add)
            }
            Ctor::Array { .. } => {
                let Some(arr) = self.site_at(f, pc, 0) else { return false };
                let mut changed = self.store(f, dst, &one(arr));
                if let Some(elem) = self.site_at(f, pc, 1) {
                    changed |= Self::grow(&mut self.contents, arr, &one(elem));
                    if let Some(c) = self.site_at(f, pc, 2) {
                        self.group_ctx.insert(elem, c);
                    }
                }
                changed
            }
            // What a closure captured flows into its helper's parameters.
            Ctor::Closure { func, captures } => {
                let mut changed = self.args(f, *func, captures);
                if let Some(site) = self.site_at(f, pc, 0) {
                    changed |= self.store(f, dst, &one(site));
                }
                changed
            }
            Ctor::Struct { fields, .. } => {
                let Some(site) = self.site_at(f, pc, 0) else { return false };
                let mut changed = self.store(f, dst, &one(site));
                for (i, field) in fields.iter().enumerate() {
                    let add = match field {
                        Elem::Value(v) => self.of_expr(f, v),
                        Elem::Ctor(c) => match self.site_at(f, pc, field_part(i)) {
                            Some(obj) => {
                                let ctx = self.site_at(f, pc, field_part(i) + 1);
                                changed |= self.object_facts(f, c, obj, ctx);
                                one(obj)
                            }
                            None => Set::new(),
                        },
                    };
                    changed |= Self::grow(&mut self.fields, (site, i as u16), &add);
                }
                changed
            }
            _ => {
                let Some(site) = self.site_at(f, pc, 0) else { return false };
                let ctx = self.site_at(f, pc, 2);
                self.object_facts(f, ctor, site, ctx) | self.store(f, dst, &one(site))
            }
        }
    }

    /// What making one object tells: a group's context, the parent of a
    /// derived context, a cond's mutex.
    fn object_facts(&mut self, f: FuncId, ctor: &Ctor, site: usize, ctx: Option<usize>) -> bool {
        if let Some(c) = ctx {
            self.group_ctx.insert(site, c);
        }
        let parents = match ctor {
            Ctor::WithCancel(x) | Ctor::WithTimeout(x) => self.of_expr(f, x),
            Ctor::Group { ctx: Some(x), .. } => self.of_expr(f, x),
            _ => Set::new(),
        };
        let child = ctx.unwrap_or(site);
        let mut changed = false;
        for parent in parents {
            changed |= self.derived.insert((parent, child));
        }
        if let Ctor::Cond(m) = ctor {
            for mu in self.of_expr(f, m) {
                changed |= self.cond_mutex.insert((site, mu));
            }
        }
        changed
    }
}
