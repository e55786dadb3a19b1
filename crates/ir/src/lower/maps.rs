//! Maps: `map()`, `m[k]`, `m[k] = v`, `let (v, ok) = m[k]`, `delete(m, k)`,
//! `len(m)` and `for k, v in m`. A map is a shared object, like an array;
//! each read and write is a step. Iteration takes the entries in any order
//! Go allows (see [`Instr::MapNext`]).

use super::*;

/// The first placeholder for the zero value of a map read (counting down):
/// the value's kind is known only once every function is lowered.
const ZERO_PLACEHOLDER: u16 = u16::MAX;

impl Lowerer {
    /// Whether `t` is known, here, to be a map.
    pub(super) fn is_map(&mut self, t: Ty) -> bool {
        self.kinds.con_of(t) == Some(Con::Map)
    }

    /// The key and value kinds of a map kind `t` (made a map if unknown).
    fn map_kinds(&mut self, t: Ty, what: &str, name: &str, span: Span) -> (Ty, Ty) {
        let args = self.require(t, Con::Map, what, name, span);
        match args.as_slice() {
            [k, v] => (*k, *v),
            _ => (self.kinds.fresh(), self.kinds.fresh()),
        }
    }

    /// The key of `m[key]`, lowered and checked against the map's key kind.
    fn map_key(&mut self, f: &mut Fn, key: &ast::Expr, kt: Ty) -> Option<Expr> {
        let (k, t) = self.pure(f, key, "a key")?;
        self.unify_at(t, kt, key.span, "the key");
        Some(k)
    }

    /// `base[key]` on a map of kind `mt`: the key, and the kind of the values.
    fn map_entry(&mut self, f: &mut Fn, mt: Ty, base: &ast::Expr, key: &ast::Expr) -> Option<(Expr, Ty)> {
        let (kt, vt) = self.map_kinds(mt, "[]", &Self::operand_name(base), base.span);
        Some((self.map_key(f, key, kt)?, vt))
    }

    /// `m[key]` read from a map `m` of kind `mt`: the value, or the zero
    /// value of the map's values when the key is absent (as in Go).
    pub(super) fn map_get(
        &mut self,
        f: &mut Fn,
        m: Expr,
        mt: Ty,
        base: &ast::Expr,
        key: &ast::Expr,
    ) -> Option<(Expr, Ty)> {
        let (k, vt) = self.map_entry(f, mt, base, key)?;
        let zero = self.zero_of(vt);
        Some((Expr::MapGet(Box::new(m), Box::new(k), zero), vt))
    }

    /// Go's zero value of kind `t`, once kinds are known: a placeholder
    /// until `resolve_zeros` (a map's missing key, a closed channel).
    pub(super) fn zero_of(&mut self, t: Ty) -> Const {
        let zero = Const::Atom(ZERO_PLACEHOLDER - self.pending_zeros.len() as u16);
        self.pending_zeros.push(t);
        zero
    }

    /// `m[key] = v`: the place and the kind of the values.
    pub(super) fn map_place(
        &mut self,
        f: &mut Fn,
        m: Expr,
        mt: Ty,
        base: &ast::Expr,
        key: &ast::Expr,
    ) -> Option<(Place, Ty)> {
        let (k, vt) = self.map_entry(f, mt, base, key)?;
        Some((Place::MapEntry(m, k), vt))
    }

    /// `let (v, ok) = m[key]`: the value (or the zero value) and whether
    /// the key is there, each read in a step of its own.
    pub(super) fn map_lookup_pair(
        &mut self,
        f: &mut Fn,
        base: &ast::Expr,
        key: &ast::Expr,
        names: [&ast::Ident; 2],
        span: Span,
    ) {
        let Some((m, mt)) = self.pure(f, base, "a map") else { return };
        let Some((get, vt)) = self.map_get(f, m.clone(), mt, base, key) else { return };
        let Expr::MapGet(_, k, _) = &get else { unreachable!("map_get gives a MapGet") };
        let has = Expr::MapHas(Box::new(m), k.clone());
        let b = self.kinds.simple(Con::Bool);
        let slots = [self.temp(f, vt), self.temp(f, b)];
        f.emit(Instr::Assign { dst: Place::Bind(slots[0]), value: get }, span);
        f.emit(Instr::Assign { dst: Place::Bind(slots[1]), value: has }, span);
        for (name, slot) in names.into_iter().zip(slots) {
            if name.text != "_" {
                f.locals[slot as usize].name = name.text.clone();
                f.scopes.last_mut().expect("a scope").push((name.text.clone(), slot));
            }
        }
    }

    /// `delete(m, key)`.
    pub(super) fn map_delete(&mut self, f: &mut Fn, callee: &ast::Ident, args: &[ast::Expr], span: Span) {
        let [base, key] = args else {
            self.arity(callee, 2, args.len(), span);
            return;
        };
        let Some((m, mt)) = self.pure(f, base, "a map") else { return };
        let (kt, _) = self.map_kinds(mt, "delete", &Self::operand_name(base), base.span);
        let Some(k) = self.map_key(f, key, kt) else { return };
        f.emit(Instr::Op { op: Op::MapDelete, target: m, arg: Some(k), dst: None }, span);
    }

    /// `len(m)`: how many entries the map has.
    pub(super) fn map_len(
        &mut self,
        f: &mut Fn,
        callee: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<(Expr, Ty)> {
        let [base] = args else {
            self.arity(callee, 1, args.len(), span);
            return None;
        };
        let (m, mt) = self.pure(f, base, "a map, a list or a channel")?;
        let of = match self.kinds.con_of(mt) {
            Some(Con::List) => LenOf::List,
            Some(Con::Chan) => LenOf::Chan,
            Some(other) if other != Con::Map => {
                let message = format!(
                    "`len` needs a map, a list or a channel, but `{}` is {}",
                    Self::operand_name(base),
                    other.noun()
                );
                let label = format!("{} here", other.noun());
                self.errors.push(Diagnostic::error("E0107", base.span, message).with_label(label));
                return None;
            }
            _ => {
                self.map_kinds(mt, "len", &Self::operand_name(base), base.span);
                LenOf::Map
            }
        };
        Some((Expr::Len(Box::new(m), of), self.kinds.simple(Con::Int)))
    }

    /// `push(q, v)` (a statement) or `let v = pop(q)`: the instruction and
    /// the kind of the value it gives (nothing for `push`).
    pub(super) fn list_op(
        &mut self,
        f: &mut Fn,
        callee: &ast::Ident,
        args: &[ast::Expr],
        place: Option<Place>,
        span: Span,
    ) -> Option<(Ty, Instr)> {
        let push = callee.text == "push";
        let want = if push { 2 } else { 1 };
        if args.len() != want {
            self.arity(callee, want, args.len(), span);
            return None;
        }
        let (q, qt) = self.pure(f, &args[0], "a list")?;
        let name = Self::operand_name(&args[0]);
        let elem = match self.require(qt, Con::List, &callee.text, &name, args[0].span).first() {
            Some(&t) => t,
            None => self.kinds.fresh(),
        };
        if !push {
            let copy = self.list_load(f, &q, qt, None, span);
            return Some((elem, Instr::Op { op: Op::Pop, target: q, arg: Some(copy), dst: place }));
        }
        let (v, vt) = self.pure(f, &args[1], "a value to push")?;
        self.unify_at(vt, elem, args[1].span, "the value pushed");
        if place.is_some() {
            self.errors.push(
                Diagnostic::error("E0116", span, "`push` returns nothing")
                    .with_label("no value to bind")
                    .with_hint("call it as a statement"),
            );
            return None;
        }
        let unit = self.kinds.simple(Con::Unit);
        let copy = self.list_load(f, &q, qt, Some(v), span);
        Some((unit, Instr::Op { op: Op::Push, target: q, arg: Some(copy), dst: None }))
    }

    /// Emits the load of a `push` (`arg` is the value) or a `pop`, as Go's
    /// `q = append(q, v)` and `q = q[1:]` read the slice before they store;
    /// the local it binds the copy to, for the store.
    fn list_load(&mut self, f: &mut Fn, q: &Expr, qt: Ty, arg: Option<Expr>, span: Span) -> Expr {
        let copy = self.temp(f, qt);
        let dst = Some(Place::Bind(copy));
        f.emit(Instr::Op { op: Op::ListLoad, target: q.clone(), arg, dst }, span);
        Expr::Local(copy)
    }

    /// `for key, value in m { body }`: the map is read once, the loop's state
    /// made, and each round takes an entry the loop has not produced.
    pub(super) fn map_loop(
        &mut self,
        f: &mut Fn,
        key: &ast::Ident,
        value: Option<&ast::Ident>,
        map: &ast::Expr,
        body: &ast::Block,
        span: Span,
    ) {
        let Some((m, mt)) = self.pure(f, map, "a map") else { return };
        let (kt, vt) = self.map_kinds(mt, "for", &Self::operand_name(map), map.span);
        let held = self.temp(f, mt);
        f.emit(Instr::Assign { dst: Place::Bind(held), value: m }, map.span);
        let it_ty = self.kinds.fresh();
        let iter = self.temp(f, it_ty);
        f.emit(Instr::New { dst: Place::Bind(iter), ctor: Ctor::MapIter(Expr::Local(held)) }, map.span);
        f.scopes.push(Vec::new());
        let k = self.loop_pat(f, key, kt, body);
        let v = value.and_then(|v| self.loop_pat(f, v, vt, body));
        let top = f.pc();
        let b = self.kinds.simple(Con::Bool);
        let found = self.temp(f, b);
        let next = Instr::MapNext {
            iter: Expr::Local(iter),
            map: Expr::Local(held),
            key: k,
            value: v,
            found: Place::Bind(found),
        };
        f.emit(next, map.span);
        let br = f.emit(Instr::Branch { cond: Expr::Local(found), target: 0 }, map.span);
        self.loop_body(f, body, Some(top), top, span);
        let end = f.pc();
        patch(&mut f.code, br, end);
        self.close_loop(f, end);
        f.scopes.pop();
    }

    /// E0147: a map whose keys are task handles (an exited task's handle
    /// is forgotten, so two of them would be one key), or arrays, maps, lists
    /// or functions (Go cannot compare them, so cannot key a map by them).
    pub(super) fn check_map_keys(&mut self) {
        for (ty, span) in std::mem::take(&mut self.map_kinds_made) {
            let Some((Con::Map, args)) = self.kinds.head(ty) else { continue };
            let Some(key) = args.first().and_then(|&k| self.kinds.con_of(k)) else { continue };
            let why = match key {
                Con::Task => "leash forgets which task an exited handle named: two would be one key",
                Con::Array | Con::Map | Con::List | Con::Func => {
                    "Go cannot compare these, so cannot key a map by them"
                }
                _ => continue,
            };
            self.errors.push(
                Diagnostic::error("E0147", span, format!("a map keyed by {}", key.noun()))
                    .with_label(why)
                    .with_hint("key the map by an int, an atom, a channel or a struct value"),
            );
        }
    }

    /// Writes the zero value of each map read's value kind (and of each
    /// closed channel's elements, each function's result), now that kinds
    /// are settled: Go's zero value (`false`, `0`, `ok`, the empty atom, a
    /// nil channel or pointer).
    pub(super) fn resolve_zeros(&mut self, init: &mut Func) {
        if self.pending_zeros.is_empty() {
            return;
        }
        let zeros: Vec<Const> = std::mem::take(&mut self.pending_zeros)
            .into_iter()
            .map(|t| match self.kinds.con_of(t) {
                Some(Con::Bool) => Const::Bool(false),
                Some(Con::Int) => Const::Int(0),
                Some(Con::Result) => Const::Ok,
                Some(Con::Atom) => Const::Atom(Self::intern(&mut self.atoms, "")),
                Some(Con::Unit) | None => Const::Unit,
                Some(_) => Const::Nil,
            })
            .collect();
        let n = zeros.len() as u16;
        let resolve = |z: &mut Const| {
            if let Const::Atom(a) = *z {
                if a > ZERO_PLACEHOLDER - n {
                    *z = zeros[(ZERO_PLACEHOLDER - a) as usize];
                }
            }
        };
        for func in self.funcs.iter_mut().flatten().chain(std::iter::once(init)) {
            resolve(&mut func.zero);
            func.result_zeros.iter_mut().for_each(resolve);
            for instr in &mut func.code {
                crate::visit::exprs_mut(instr, &mut |e| {
                    if let Expr::MapGet(_, _, z) | Expr::Const(z) = e {
                        resolve(z);
                    }
                });
                match instr {
                    Instr::Recv { zero, .. } => resolve(zero),
                    Instr::Select { cases, .. } => {
                        for c in cases {
                            if let CaseKind::Recv { zero, .. } = &mut c.kind {
                                resolve(zero);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
