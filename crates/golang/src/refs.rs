//! Which locals are shared cells: a body-level `var` is a cell, and a
//! parameter that some call or spawn passes a cell (or a model-level
//! variable) holds a pointer to it; a shared parameter (`Ctor::Share`) is
//! that pointer, or a new cell when the parameter is a plain value. In Go
//! these are `*T`; a call that passes a plain value to such a parameter
//! passes a fresh cell (`ref(v)`), which is the same as passing a copy. Integer ranges follow the cells to the
//! parameters that always receive cells of one range.

use crate::kinds::{Kind, Kinds};
use leash_ir::{Callee, Const, Ctor, Elem, Expr, FuncId, Instr, Place, Program};
use std::collections::BTreeMap;

/// An integer range of a cell.
pub(crate) type Range = (i16, i16);

/// The cells of a program.
pub(crate) struct Refs {
    /// Per function, per local slot: holds a pointer to a cell.
    slot: Vec<Vec<bool>>,
    /// Per function, per local slot: the range of the cell it points to, when known.
    range: Vec<Vec<Option<Range>>>,
    /// Per callback type (its Go type without pointers): which parameters are pointers.
    callbacks: BTreeMap<String, Vec<bool>>,
}

/// Where an argument's cell comes from.
#[derive(Clone, Copy)]
enum Source {
    /// A plain value, passed in a fresh cell if the parameter needs one.
    Value,
    /// A cell with this range.
    Cell(Option<Range>),
}

impl Refs {
    pub(crate) fn new(p: &Program, kinds: &Kinds) -> Refs {
        let mut slot: Vec<Vec<bool>> = p.funcs.iter().map(|f| vec![false; f.locals.len()]).collect();
        let mut range: Vec<Vec<Option<Range>>> = p.funcs.iter().map(|f| vec![None; f.locals.len()]).collect();
        for (id, f) in p.funcs.iter().enumerate() {
            for i in &f.code {
                match i {
                    Instr::New { dst: Place::Bind(s), ctor: Ctor::Cell { range: r, .. } } => {
                        slot[id][*s as usize] = true;
                        range[id][*s as usize] = *r;
                    }
                    Instr::New { dst: Place::Bind(s), ctor: Ctor::Share(_) } => slot[id][*s as usize] = true,
                    _ => {}
                }
            }
        }
        // Helpers used as callbacks, by callback type: dynamic calls pass them plain values.
        let mut classes: BTreeMap<String, Vec<FuncId>> = BTreeMap::new();
        for f in &p.funcs {
            for i in &f.code {
                visit_exprs(i, &mut |e| {
                    if let Expr::Const(Const::Func(g)) = e {
                        let funcs = classes.entry(kinds.signature(p, *g).go(&|_, _| false)).or_default();
                        if !funcs.contains(g) {
                            funcs.push(*g);
                        }
                    }
                });
            }
        }
        let mut refs = Refs { slot, range, callbacks: BTreeMap::new() };
        loop {
            // A parameter points to a cell if any caller passes one; it is
            // ranged if every caller passes a cell of that range.
            let mut sources: BTreeMap<(FuncId, usize), Vec<Source>> = BTreeMap::new();
            for g in classes.values().flatten() {
                for n in 0..p.func(*g).params as usize {
                    sources.entry((*g, n)).or_default().push(Source::Value);
                }
            }
            for (id, f) in p.funcs.iter().enumerate() {
                for (callee, args, is_closure) in f.code.iter().flat_map(calls_of) {
                    // A function value passes what it captured first; its
                    // own parameters get the plain values of dynamic calls.
                    if is_closure {
                        for n in args.len()..p.func(callee).params as usize {
                            sources.entry((callee, n)).or_default().push(Source::Value);
                        }
                    }
                    for (n, a) in args.iter().enumerate() {
                        let src = match a {
                            Expr::Raw(s) if refs.is_ref(id as FuncId, *s) => {
                                Source::Cell(refs.range[id][*s as usize])
                            }
                            Expr::GlobalRef(g) => Source::Cell(p.globals[*g as usize].range),
                            _ => Source::Value,
                        };
                        sources.entry((callee, n)).or_default().push(src);
                    }
                }
            }
            let mut changed = false;
            // A shared parameter that is a pointer is shared as it is, with its range.
            for (id, f) in p.funcs.iter().enumerate() {
                for i in &f.code {
                    let Instr::New { dst: Place::Bind(d), ctor: Ctor::Share(Expr::Raw(s)) } = i else {
                        continue;
                    };
                    let r = if refs.is_ref(id as FuncId, *s) { refs.range[id][*s as usize] } else { None };
                    if refs.range[id][*d as usize] != r {
                        refs.range[id][*d as usize] = r;
                        changed = true;
                    }
                }
            }
            // A deferred block gets the cells it names as they are.
            for (id, f) in p.funcs.iter().enumerate() {
                for i in &f.code {
                    let Instr::Defer { capture, .. } = i else { continue };
                    for (held, e) in capture {
                        if let Expr::Raw(s) = e {
                            if refs.is_ref(id as FuncId, *s) && !refs.is_ref(id as FuncId, *held) {
                                refs.slot[id][*held as usize] = true;
                                refs.range[id][*held as usize] = refs.range[id][*s as usize];
                                changed = true;
                            }
                        }
                    }
                }
            }
            for ((g, n), srcs) in sources {
                let is_ref = srcs.iter().any(|s| matches!(s, Source::Cell(_)));
                let first = match srcs[0] {
                    Source::Cell(r) => r,
                    Source::Value => None,
                };
                let r = srcs
                    .iter()
                    .all(|s| matches!(s, Source::Cell(x) if *x == first))
                    .then_some(first)
                    .flatten();
                let (slot, range) = (&mut refs.slot[g as usize][n], &mut refs.range[g as usize][n]);
                if is_ref && !*slot || *range != r {
                    *slot |= is_ref;
                    *range = r;
                    changed = true;
                }
            }
            // Helpers used as callbacks of one type share their pointer parameters.
            for (key, funcs) in &classes {
                let params = p.func(funcs[0]).params as usize;
                let flags: Vec<bool> =
                    (0..params).map(|n| funcs.iter().any(|&g| refs.slot[g as usize][n])).collect();
                for &g in funcs {
                    for (n, &flag) in flags.iter().enumerate() {
                        if flag && !refs.slot[g as usize][n] {
                            refs.slot[g as usize][n] = true;
                            changed = true;
                        }
                    }
                }
                refs.callbacks.insert(key.clone(), flags);
            }
            if !changed {
                return refs;
            }
        }
    }

    /// Whether local `s` of `f` holds a pointer to a cell.
    pub(crate) fn is_ref(&self, f: FuncId, s: u16) -> bool {
        self.slot[f as usize][s as usize]
    }

    /// The range of the cell local `s` of `f` points to, when known.
    pub(crate) fn range(&self, f: FuncId, s: u16) -> Option<Range> {
        self.range[f as usize][s as usize]
    }

    /// Whether parameter `n` of a callback of type `k` is a pointer.
    pub(crate) fn callback_param(&self, k: &Kind, n: usize) -> bool {
        let key = k.go(&|_, _| false);
        self.callbacks.get(&key).is_some_and(|flags| flags.get(n).copied().unwrap_or(false))
    }
}

/// The calls, spawns and function values an instruction makes (a function
/// value may sit in a struct's field or an array's elements): each callee,
/// its arguments (a function value's captures) and whether it is a
/// function value.
fn calls_of(i: &Instr) -> Vec<(FuncId, &[Expr], bool)> {
    fn made<'a>(c: &'a Ctor, out: &mut Vec<(FuncId, &'a [Expr], bool)>) {
        match c {
            Ctor::Closure { func, captures } => out.push((*func, captures, true)),
            Ctor::Array { elem, .. } => {
                if let Elem::Ctor(c) = &**elem {
                    made(c, out);
                }
            }
            Ctor::Struct { fields, .. } => fields.iter().for_each(|e| {
                if let Elem::Ctor(c) = e {
                    made(c, out);
                }
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match i {
        Instr::Spawn { func, args, .. } | Instr::Call { callee: Callee::Static(func), args, .. } => {
            out.push((*func, args.as_slice(), false))
        }
        Instr::New { ctor, .. } => made(ctor, &mut out),
        _ => {}
    }
    out
}

/// Calls `f` on every expression of an instruction, subexpressions included.
pub(crate) fn visit_exprs(i: &Instr, f: &mut dyn FnMut(&Expr)) {
    let top = |e: &Expr, f: &mut dyn FnMut(&Expr)| walk(e, f);
    let place = |p: &Place, f: &mut dyn FnMut(&Expr)| match p {
        Place::Index(a, i) => {
            walk(a, f);
            walk(i, f);
        }
        Place::Field(a, _) => walk(a, f),
        Place::MapEntry(m, k) => {
            walk(m, f);
            walk(k, f);
        }
        Place::Bind(_) | Place::Local(_) | Place::Global(_) => {}
    };
    let opt_place = |p: &Option<Place>, f: &mut dyn FnMut(&Expr)| {
        if let Some(p) = p {
            place(p, f)
        }
    };
    match i {
        Instr::Assign { dst, value } => {
            place(dst, f);
            top(value, f);
        }
        Instr::New { dst, ctor } => {
            place(dst, f);
            visit_ctor(ctor, f);
        }
        Instr::Send { chan, value } => {
            top(chan, f);
            top(value, f);
        }
        Instr::Recv { chan, value, ok, .. } => {
            top(chan, f);
            opt_place(value, f);
            opt_place(ok, f);
        }
        Instr::MapNext { iter, map, key, value, found } => {
            top(iter, f);
            top(map, f);
            opt_place(key, f);
            opt_place(value, f);
            place(found, f);
        }
        Instr::Select { cases, .. } => {
            for c in cases {
                match &c.kind {
                    leash_ir::CaseKind::Recv { chan, value, ok, .. } => {
                        top(chan, f);
                        opt_place(value, f);
                        opt_place(ok, f);
                    }
                    leash_ir::CaseKind::Send { chan, value } => {
                        top(chan, f);
                        top(value, f);
                    }
                    leash_ir::CaseKind::After => {}
                }
            }
        }
        Instr::Spawn { args, dst, group, .. } => {
            args.iter().for_each(|a| top(a, f));
            opt_place(dst, f);
            if let Some(g) = group {
                top(g, f);
            }
        }
        Instr::Join { task } => top(task, f),
        Instr::Recover { dst, .. } => opt_place(dst, f),
        Instr::Work { ctx, dst, .. } => {
            if let Some(c) = ctx {
                top(c, f);
            }
            opt_place(dst, f);
        }
        Instr::Call { callee, args, dst, rest } => {
            if let Callee::Dynamic(e) = callee {
                top(e, f);
            }
            args.iter().for_each(|a| top(a, f));
            opt_place(dst, f);
            rest.iter().for_each(|p| opt_place(&Some(p.clone()), f));
        }
        Instr::Return { value: Some(v) } => top(v, f),
        Instr::Branch { cond, .. } | Instr::Assert { cond } => top(cond, f),
        Instr::Op { target, arg, dst, .. } => {
            top(target, f);
            if let Some(a) = arg {
                top(a, f);
            }
            opt_place(dst, f);
        }
        Instr::OnceEnter { once, .. } | Instr::OnceExit { once } => top(once, f),
        Instr::Defer { capture, .. } => capture.iter().for_each(|(_, e)| top(e, f)),
        Instr::Return { value: None }
        | Instr::Jump { .. }
        | Instr::Choose { .. }
        | Instr::EndDefer
        | Instr::Sleep
        | Instr::Yield
        | Instr::Exit => {}
    }
}

fn visit_ctor(c: &Ctor, f: &mut dyn FnMut(&Expr)) {
    c.operands().into_iter().for_each(|e| walk(e, f));
}

fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    e.children().for_each(|c| walk(c, f));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_ranges_reach_parameters() {
        let p = leash_ir::compile(
            "task main() {\n var n: int[0..3] = 0\n let m = 1\n spawn a(n)\n spawn b(n)\n spawn b(m)\n}\ntask a(x) {\n x = x + 1\n}\ntask b(y) {\n y = 2\n}\n",
        )
        .unwrap();
        let k = Kinds::infer(&p).unwrap();
        let r = Refs::new(&p, &k);
        let id = |n: &str| p.funcs.iter().position(|f| f.name == n).unwrap() as FuncId;
        assert!(r.is_ref(id("a"), 0) && r.is_ref(id("b"), 0));
        assert_eq!(r.range(id("a"), 0), Some((0, 3)));
        assert_eq!(r.range(id("b"), 0), None, "b also gets a plain value");
        let n = p.func(p.main).locals.iter().position(|l| l == "n").unwrap() as u16;
        assert!(r.is_ref(p.main, n));
    }
}
