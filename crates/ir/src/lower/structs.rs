//! Struct types and methods. `struct Worker { ... }` declares a record whose
//! values are heap objects shared by reference, as Go shares a struct
//! through its pointer: every field is a place any holder may read and write.
//! `Worker { field: value }` makes one (a field left out starts at its type's
//! zero value), `w.field` reads or writes a field, and `fn (w: Worker) stop()`
//! is a method: a helper (or, with `task`, a task) named `Worker.stop` whose
//! first parameter is the receiver, called as `w.stop()`.

use super::*;

/// A field read whose struct was not known where it was lowered: the
/// placeholder `Expr::Field(base, FieldRef { def: PENDING, index })` is
/// rewritten once every function is lowered.
pub(super) const PENDING: u16 = u16::MAX;

/// What the lowering knows of one struct type.
pub(super) struct StructInfo {
    /// The declaration.
    pub(super) decl: ast::StructDecl,
    /// Its kind: `Con::Struct(index)` over the fields' kinds.
    pub(super) ty: Ty,
    /// Each field's kind.
    pub(super) fields: Vec<Ty>,
}

/// A field read waiting for its base's kind: `w.done` is a struct's field if
/// `w` turns out to be a struct, else a context's done channel.
pub(super) struct PendingField {
    base_ty: Ty,
    result_ty: Ty,
    field: ast::Ident,
    base: String,
}

/// What `recv.name(...)` calls on a struct.
pub(super) enum Target {
    /// The struct's method, by its function's name (`Worker.stop`).
    Method(String),
    /// The function value held in field `name` of this struct (Go's call
    /// of a func-typed field, `w.onEvent(e)`).
    Field,
}

/// Renames each method `fn (w: Worker) stop(...)` to `Worker.stop` and makes
/// the receiver its first parameter; everything after this treats it as a
/// plain function.
pub(super) fn desugar_methods(file: &mut ast::File) {
    for item in &mut file.items {
        if let ast::Item::Func(f) = item {
            if let Some(r) = &f.receiver {
                let ty = r.ty.as_ref().map_or("", |t| t.name.text.as_str());
                f.name.text = format!("{ty}.{}", f.name.text);
                f.params.insert(0, r.clone());
            }
        }
    }
}

impl Lowerer {
    /// Registers every struct (its name and kind) before anything refers to it.
    pub(super) fn declare_structs(&mut self, file: &ast::File, seen: &mut BTreeMap<String, Span>) {
        for item in &file.items {
            let ast::Item::Struct(d) = item else { continue };
            if let Some(prev) = seen.get(&d.name.text) {
                self.errors.push(
                    Diagnostic::error("E0101", d.name.span, format!("`{}` is declared twice", d.name.text))
                        .with_label("second declaration")
                        .with_note(*prev, "first declared here")
                        .with_hint("give each struct, task, helper, variable and constant its own name"),
                );
                continue;
            }
            seen.insert(d.name.text.clone(), d.name.span);
            let mut names: BTreeMap<&str, Span> = BTreeMap::new();
            for p in &d.fields {
                if let Some(prev) = names.insert(&p.name.text, p.name.span) {
                    self.errors.push(
                        Diagnostic::error(
                            "E0101",
                            p.name.span,
                            format!("field `{}` is declared twice", p.name.text),
                        )
                        .with_label("second declaration")
                        .with_note(prev, "first declared here"),
                    );
                }
            }
            let index = self.structs.len() as u16;
            let fields: Vec<Ty> = d.fields.iter().map(|_| self.kinds.fresh()).collect();
            let ty = self.kinds.con(Con::Struct(index), fields.clone());
            self.struct_index.insert(d.name.text.clone(), index);
            self.structs.push(StructInfo { decl: d.clone(), ty, fields });
        }
        for s in 0..self.structs.len() {
            for (i, p) in self.structs[s].decl.fields.clone().iter().enumerate() {
                let t = self.structs[s].fields[i];
                if let (Some(_), Some(ann)) = (self.annotate(t, p.ty.as_ref()), &p.ty) {
                    self.errors.push(
                        Diagnostic::error("E0132", ann.span, "a field cannot declare a range")
                            .with_label("not enforced on fields")
                            .with_hint("check the bound with `assert` where the field is written"),
                    );
                }
            }
        }
    }

    /// E0144: a method whose receiver is not a struct.
    pub(super) fn check_receiver(&mut self, f: &ast::FuncDecl) {
        let Some(r) = &f.receiver else { return };
        let Some(ty) = &r.ty else { return };
        if self.struct_index.contains_key(&ty.name.text) || Con::from_name(&ty.name.text).is_none() {
            // A struct, or an unknown type (E0102 from the annotation).
            return;
        }
        self.errors.push(
            Diagnostic::error(
                "E0144",
                ty.span,
                format!("a method needs a struct receiver, not `{}`", ty.name.text),
            )
            .with_label("not a struct")
            .with_hint("declare methods on a `struct`; pass other objects as parameters"),
        );
    }

    /// The struct type named `name`, or E0145.
    fn struct_named(&mut self, name: &ast::Ident) -> Option<u16> {
        if let Some(&s) = self.struct_index.get(&name.text) {
            return Some(s);
        }
        let mut d = Diagnostic::error("E0145", name.span, format!("unknown struct `{}`", name.text))
            .with_label("no such struct");
        if let Some(s) = suggest(&name.text, self.struct_index.keys().map(String::as_str)) {
            d = d.with_hint(format!("did you mean `{s}`?"));
        } else {
            d = d.with_hint(format!("declare it: `struct {} {{ field: type ... }}`", name.text));
        }
        self.errors.push(d);
        None
    }

    /// `Name { field: value, ... }` as a constructor; `ty` is the kind of the
    /// place it goes to.
    pub(super) fn struct_literal(
        &mut self,
        f: &mut Fn,
        name: &ast::Ident,
        given: &[(ast::Ident, ast::Expr)],
        ty: Ty,
        span: Span,
    ) -> Option<Ctor> {
        let s = self.struct_named(name)?;
        let decl = self.structs[s as usize].decl.clone();
        let st = self.structs[s as usize].ty;
        self.unify_at(st, ty, span, &format!("`{} {{ ... }}`", name.text));
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for (field, _) in given {
            if let Some(prev) = seen.insert(&field.text, field.span) {
                self.errors.push(
                    Diagnostic::error("E0101", field.span, format!("field `{}` is given twice", field.text))
                        .with_label("second value")
                        .with_note(prev, "first given here"),
                );
            }
            if !decl.fields.iter().any(|p| p.name.text == field.text) {
                let mut d = Diagnostic::error(
                    "E0126",
                    field.span,
                    format!("struct `{}` has no field `{}`", name.text, field.text),
                )
                .with_label("no such field");
                if let Some(s) = suggest(&field.text, decl.fields.iter().map(|p| p.name.text.as_str())) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                self.errors.push(d);
            }
        }
        let mut fields = Vec::with_capacity(decl.fields.len());
        for (i, p) in decl.fields.iter().enumerate() {
            let ft = self.structs[s as usize].fields[i];
            let elem = match given.iter().find(|(n, _)| n.text == p.name.text) {
                Some((_, value)) => self.elem(f, value, ft, "a field's value")?,
                None => self.zero_value(p, name, span)?,
            };
            fields.push(elem);
        }
        Some(Ctor::Struct { def: s, fields })
    }

    /// The value a field left out of a literal starts at: Go's zero value of
    /// its declared type (a usable lock, group or list; a nil channel, map,
    /// context, task, timer, function or struct), or E0146 for a field
    /// declared without a type.
    fn zero_value(&mut self, p: &ast::Param, st: &ast::Ident, span: Span) -> Option<Elem> {
        let value = |c: Const| Some(Elem::Value(Expr::Const(c)));
        let declared = p.ty.as_ref().map(|t| {
            Con::from_name(&t.name.text)
                .or_else(|| (t.name.text == "fn").then_some(Con::Func))
                .or_else(|| self.struct_index.get(&t.name.text).map(|&s| Con::Struct(s)))
        });
        match declared {
            Some(Some(Con::Bool)) => value(Const::Bool(false)),
            Some(Some(Con::Int)) => value(Const::Int(0)),
            Some(Some(Con::Result)) => value(Const::Ok),
            Some(Some(Con::Unit)) => value(Const::Unit),
            Some(Some(Con::Atom)) => value(Const::Atom(Self::intern(&mut self.atoms, ""))),
            Some(Some(Con::Mutex)) => Some(Elem::Ctor(Ctor::Mutex)),
            Some(Some(Con::RwMutex)) => Some(Elem::Ctor(Ctor::RwMutex)),
            Some(Some(Con::Once)) => Some(Elem::Ctor(Ctor::Once)),
            Some(Some(Con::WaitGroup)) => Some(Elem::Ctor(Ctor::WaitGroup)),
            Some(Some(Con::Group)) => Some(Elem::Ctor(Ctor::Group { ctx: None, limit: None })),
            Some(Some(Con::List)) => Some(Elem::Ctor(Ctor::List)),
            // Go's nil pointer, channel, map or func: usable where Go's is.
            Some(Some(_)) => value(Const::Nil),
            // An unknown type was reported where it was declared.
            Some(None) => None,
            None => {
                let why = "it has no declared type";
                self.errors.push(
                    Diagnostic::error(
                        "E0146",
                        span,
                        format!("`{} {{ ... }}` leaves out field `{}`", st.text, p.name.text),
                    )
                    .with_label(format!("`{}` needs a value", p.name.text))
                    .with_note(p.name.span, format!("declared here; {why}"))
                    .with_hint(format!(
                        "give it: `{} {{ {}: ... }}`, or declare its type (`{}: chan`): a field with a type \
                         starts at Go's zero value",
                        st.text, p.name.text, p.name.text
                    )),
                );
                None
            }
        }
    }

    /// An element of an array or a field of a struct literal: a constructor
    /// call, a nested literal or array (each made anew), or a pure value.
    pub(super) fn elem(&mut self, f: &mut Fn, e: &ast::Expr, ty: Ty, what: &str) -> Option<Elem> {
        match &e.kind {
            E::Call { callee, .. } if const_ctor(&callee.text) && f.lookup(&callee.text).is_none() => {
                self.ctor(f, e, ty).map(Elem::Ctor)
            }
            E::StructLit { name, fields } => self.struct_literal(f, name, fields, ty, e.span).map(Elem::Ctor),
            E::Array { elem, len } => self.array(f, elem, len, ty).map(Elem::Ctor),
            E::Closure { func, captures } => {
                let (func, captures, t) = self.closure_value(f, func, captures)?;
                self.unify_at(t, ty, e.span, "the function value");
                Some(Elem::Ctor(Ctor::Closure { func, captures }))
            }
            _ => {
                let (v, vt) = self.pure(f, e, what)?;
                self.unify_at(vt, ty, e.span, "the element");
                Some(Elem::Value(v))
            }
        }
    }

    /// `[elem; len]` as a constructor; `ty` is the array's kind.
    pub(super) fn array(&mut self, f: &mut Fn, elem: &ast::Expr, len: &ast::Expr, ty: Ty) -> Option<Ctor> {
        let n = self.bound(f, len).unwrap_or(0);
        let n = self.small(n, len.span).max(0) as u16;
        let et = self.kinds.fresh();
        let init = self.elem(f, elem, et, "an array element")?;
        let at = self.kinds.con(Con::Array, vec![et]);
        self.unify_at(at, ty, elem.span, "the array");
        Some(Ctor::Array { elem: Box::new(init), len: n })
    }

    /// The struct whose field `field` is read from a base of kind `bt`:
    /// `Ok(Some)` a struct field, `Ok(None)` not a struct's (`ctx.done`,
    /// `g.ctx`), and `Err` after an error. A base of unknown kind is taken to
    /// be the one struct that has such a field.
    fn field_owner(&mut self, bt: Ty, field: &ast::Ident, base: &str) -> Result<Option<u16>, ()> {
        match self.kinds.con_of(bt) {
            Some(Con::Struct(s)) => return Ok(Some(s)),
            Some(_) => return Ok(None),
            None => {}
        }
        let owners: Vec<u16> = (0..self.structs.len() as u16)
            .filter(|&s| self.structs[s as usize].decl.fields.iter().any(|p| p.name.text == field.text))
            .collect();
        match owners.as_slice() {
            [] => Ok(None),
            [s] => Ok(Some(*s)),
            _ => {
                let names: Vec<String> = owners
                    .iter()
                    .map(|&s| format!("`{}`", self.structs[s as usize].decl.name.text))
                    .collect();
                self.errors.push(
                    Diagnostic::error("E0144", field.span, format!("cannot tell which struct `{base}` is"))
                        .with_label(format!("`{}` is a field of {}", field.text, names.join(" and ")))
                        .with_hint(format!(
                            "annotate the parameter it comes from, e.g. `{base}: {}`",
                            self.structs[owners[0] as usize].decl.name.text
                        )),
                );
                Err(())
            }
        }
    }

    /// The position and kind of field `field` of struct `s`, or E0126.
    fn field_of(&mut self, s: u16, field: &ast::Ident) -> Option<(FieldRef, Ty)> {
        let info = &self.structs[s as usize];
        if let Some(i) = info.decl.fields.iter().position(|p| p.name.text == field.text) {
            return Some((FieldRef { def: s, index: i as u16 }, info.fields[i]));
        }
        let name = info.decl.name.text.clone();
        let mut d =
            Diagnostic::error("E0126", field.span, format!("struct `{name}` has no field `{}`", field.text))
                .with_label("no such field");
        if self.func_index.contains_key(&format!("{name}.{}", field.text)) {
            d = d.with_hint(format!("`{}` is a method: call it, `.{}()`", field.text, field.text));
        } else if let Some(s) = suggest(&field.text, info.decl.fields.iter().map(|p| p.name.text.as_str())) {
            d = d.with_hint(format!("did you mean `{s}`?"));
        }
        self.errors.push(d);
        None
    }

    /// `base.field` read from a struct. `Ok(None)` when the base is not a
    /// struct (the caller reads `ctx.done`, `g.ctx`); a base of unknown kind
    /// whose field is `done` or `ctx` waits for the end (a placeholder).
    pub(super) fn field_read(
        &mut self,
        b: &Expr,
        bt: Ty,
        field: &ast::Ident,
        base: &str,
    ) -> Result<Option<(Expr, Ty)>, ()> {
        let builtin = matches!(field.text.as_str(), "done" | "ctx");
        let unknown = self.kinds.con_of(bt).is_none();
        let owner = self.field_owner(bt, field, base)?;
        if unknown && builtin && owner.is_some() {
            let result_ty = self.kinds.fresh();
            let index = self.pending_fields.len() as u16;
            self.pending_fields.push(PendingField {
                base_ty: bt,
                result_ty,
                field: field.clone(),
                base: base.to_string(),
            });
            let placeholder = FieldRef { def: PENDING, index };
            return Ok(Some((Expr::Field(Box::new(b.clone()), placeholder), result_ty)));
        }
        let Some(s) = owner else { return Ok(None) };
        let (r, ft) = self.field_of(s, field).ok_or(())?;
        let st = self.structs[s as usize].ty;
        self.unify_at(bt, st, field.span, &format!("`{base}`"));
        Ok(Some((Expr::Field(Box::new(b.clone()), r), ft)))
    }

    /// `base.field = v`: the place and its kind.
    pub(super) fn field_place(
        &mut self,
        f: &mut Fn,
        base: &ast::Expr,
        field: &ast::Ident,
    ) -> Option<(Place, Ty)> {
        let (b, bt) = self.pure(f, base, "a struct value")?;
        let bn = Self::operand_name(base);
        let Some(s) = self.field_owner(bt, field, &bn).ok()? else {
            self.errors.push(
                Diagnostic::error("E0115", field.span, format!("cannot assign to `{bn}.{}`", field.text))
                    .with_label("not a struct's field")
                    .with_hint(
                        "assign to a `let`, a `var`, a parameter, an array element or a struct's field",
                    ),
            );
            return None;
        };
        let (r, ft) = self.field_of(s, field)?;
        let st = self.structs[s as usize].ty;
        self.unify_at(bt, st, base.span, &format!("`{bn}`"));
        Some((Place::Field(b, r), ft))
    }

    /// What a method call `recv.name(...)` (or `spawn recv.name(...)`)
    /// goes to: `Ok(Some(..))` a struct's method or a function value in a
    /// struct's field, `Ok(None)` an operation on a synchronisation object,
    /// `Err` after an error. A receiver of unknown kind is taken to be the one
    /// struct with such a method (or field), unless the name is also a
    /// builtin method (`wait`, `done`, ...).
    pub(super) fn method_of(
        &mut self,
        f: &mut Fn,
        recv: &ast::Expr,
        name: &ast::Ident,
        spawn: bool,
    ) -> Result<Option<Target>, ()> {
        let (_, rt) = self.pure(f, recv, "a receiver").ok_or(())?;
        let rn = Self::operand_name(recv);
        let has = |this: &Self, s: u16| {
            this.func_index
                .contains_key(&format!("{}.{}", this.structs[s as usize].decl.name.text, name.text))
        };
        let owner = match self.kinds.con_of(rt) {
            Some(Con::Struct(s)) => Some(s),
            Some(_) if !spawn => return Ok(None),
            _ => {
                let owners: Vec<u16> = (0..self.structs.len() as u16).filter(|&s| has(self, s)).collect();
                let holders: Vec<u16> = (0..self.structs.len() as u16)
                    .filter(|&s| {
                        self.structs[s as usize].decl.fields.iter().any(|p| p.name.text == name.text)
                    })
                    .collect();
                match owners.as_slice() {
                    [] if !spawn && holders.len() == 1 && !METHODS.contains(&name.text.as_str()) => {
                        let st = self.structs[holders[0] as usize].ty;
                        self.unify_at(rt, st, recv.span, &format!("`{rn}`"));
                        return Ok(Some(Target::Field));
                    }
                    [] if !spawn => return Ok(None),
                    [] => None,
                    [_] if METHODS.contains(&name.text.as_str()) && !spawn => return Ok(None),
                    [s] => Some(*s),
                    _ => {
                        self.errors.push(
                            Diagnostic::error(
                                "E0144",
                                recv.span,
                                format!("cannot tell which struct `{rn}` is"),
                            )
                            .with_label(format!("several structs have a method `{}`", name.text))
                            .with_hint(format!(
                                "annotate the parameter it comes from, e.g. `{rn}: {}`",
                                self.structs[owners[0] as usize].decl.name.text
                            )),
                        );
                        return Err(());
                    }
                }
            }
        };
        let field = |this: &Self, s: u16| {
            this.structs[s as usize].decl.fields.iter().any(|p| p.name.text == name.text)
        };
        if owner.is_some_and(|s| !spawn && !has(self, s) && field(self, s)) {
            return Ok(Some(Target::Field));
        }
        let Some(s) = owner.filter(|&s| has(self, s)) else {
            let sname = owner.map(|s| self.structs[s as usize].decl.name.text.clone());
            let msg = match &sname {
                Some(sn) => format!("struct `{sn}` has no method `{}`", name.text),
                None => format!("`{rn}` has no task method `{}`", name.text),
            };
            let mut d = Diagnostic::error("E0123", name.span, msg).with_label("no such method");
            if let Some(sn) = sname {
                let prefix = format!("{sn}.");
                let methods: Vec<&str> =
                    self.func_index.keys().filter_map(|k| k.strip_prefix(&prefix)).collect();
                if let Some(m) = suggest(&name.text, methods) {
                    d = d.with_hint(format!("did you mean `{m}`?"));
                } else {
                    d = d.with_hint(format!("declare it: `fn ({}: {sn}) {}() {{ ... }}`", rn, name.text));
                }
            }
            self.errors.push(d);
            return Err(());
        };
        Ok(Some(Target::Method(format!("{}.{}", self.structs[s as usize].decl.name.text, name.text))))
    }

    /// Decides the field reads left for the end: a struct's field where the
    /// base turned out to be a struct, else `ctx.done` or `g.ctx`.
    pub(super) fn resolve_fields(&mut self, init: &mut Func) {
        let mut fixed: Vec<Result<FieldRef, bool>> = Vec::new();
        for p in std::mem::take(&mut self.pending_fields) {
            let is_done = p.field.text == "done";
            let read = match self.kinds.con_of(p.base_ty) {
                Some(Con::Struct(s)) => match self.field_of(s, &p.field) {
                    Some((r, ft)) => {
                        self.unify_at(p.result_ty, ft, p.field.span, "the field");
                        Ok(r)
                    }
                    None => Err(is_done),
                },
                _ => {
                    let (con, t) = if is_done {
                        let u = self.kinds.simple(Con::Unit);
                        (Con::Ctx, self.kinds.con(Con::Chan, vec![u]))
                    } else {
                        (Con::Group, self.kinds.simple(Con::Ctx))
                    };
                    self.require(p.base_ty, con, &p.field.text, &p.base, p.field.span);
                    self.unify_at(p.result_ty, t, p.field.span, "the field");
                    Err(is_done)
                }
            };
            fixed.push(read);
        }
        if fixed.is_empty() {
            return;
        }
        let mut rewrite = |e: &mut Expr| {
            let Expr::Field(b, r) = e else { return };
            if r.def != PENDING {
                return;
            }
            *e = match fixed[r.index as usize] {
                Ok(real) => Expr::Field(b.clone(), real),
                Err(true) => Expr::Done(b.clone()),
                Err(false) => Expr::GroupCtx(b.clone()),
            };
        };
        for func in self.funcs.iter_mut().flatten().chain(std::iter::once(init)) {
            for instr in &mut func.code {
                crate::visit::exprs_mut(instr, &mut rewrite);
            }
        }
    }
}
