//! Lowering: name resolution, kind inference and validation from the syntax
//! tree to the IR. Every problem becomes a diagnostic; nothing panics.

use crate::kinds::{Con, Kinds, Ty};
use crate::{
    BinOp, Callee, Case, CaseKind, Const, Ctor, Elem, Expr, Func, FuncId, Global, Instr, Op, Pc, Place,
    Program, UnOp,
};
use leash_syntax::ast::{self, ExprKind as E, StmtKind as S};
use leash_syntax::{suggest, Diagnostic, Span};
use std::collections::BTreeMap;

/// Lowers a parsed model to the IR, or returns every problem found.
pub fn lower(file: &ast::File) -> Result<Program, Vec<Diagnostic>> {
    let mut l = Lowerer::default();
    l.declare(file);
    let init = l.lower_init(file);
    for (id, decl) in l.decls.clone().iter().enumerate() {
        let func = l.lower_func(id as FuncId, decl);
        l.funcs[id] = Some(func);
    }
    l.resolve_pending();
    l.check_recursion();
    let main = match l.func_index.get("main") {
        Some(&m) if l.sigs[m as usize].is_task => {
            let d = &l.decls[m as usize];
            if !d.params.is_empty() {
                l.errors.push(
                    Diagnostic::error("E0120", d.name.span, "`main` takes no parameters")
                        .with_label("the root task")
                        .with_hint("`main` is started by leash itself; make what it needs inside it"),
                );
            }
            m
        }
        _ => {
            l.errors.push(
                Diagnostic::error("E0121", Span::default(), "the model has no `task main()`")
                    .with_label("expected a root task")
                    .with_hint("add `task main() { ... }`: leash starts the model there"),
            );
            0
        }
    };
    if !l.errors.is_empty() {
        l.errors.sort_by_key(|d| (d.span.start, d.span.end));
        l.errors.dedup();
        return Err(l.errors);
    }
    let mut funcs: Vec<Func> = l.funcs.into_iter().map(|f| f.expect("every function lowered")).collect();
    let init_id = funcs.len() as FuncId;
    funcs.push(init);
    let mut program = Program {
        funcs,
        main,
        init: init_id,
        globals: l.globals.iter().map(|g| Global { name: g.name.clone(), range: g.range }).collect(),
        atoms: l.atoms,
        works: l.works,
    };
    propagate_refs(&mut l.ref_slots, &l.ref_args);
    crate::silent::mark(&mut program, &l.ref_slots);
    Ok(program)
}

#[derive(Clone)]
struct Sig {
    is_task: bool,
    params: Vec<Ty>,
    ret: Ty,
}

struct GlobalInfo {
    name: String,
    ty: Ty,
    range: Option<(i16, i16)>,
}

#[derive(Clone, Copy)]
enum Surface {
    Lock,
    Unlock,
    Wait,
    Stop,
}

struct Pending {
    func: FuncId,
    pc: Pc,
    what: Surface,
    recv_ty: Ty,
    result_ty: Ty,
    span: Span,
    name: String,
}

struct PendingRecv {
    chan_ty: Ty,
    elem_ty: Ty,
    span: Span,
    name: String,
}

#[derive(Default)]
struct Lowerer {
    kinds: Kinds,
    errors: Vec<Diagnostic>,
    consts: BTreeMap<String, i64>,
    globals: Vec<GlobalInfo>,
    global_index: BTreeMap<String, u16>,
    decls: Vec<ast::FuncDecl>,
    sigs: Vec<Sig>,
    func_index: BTreeMap<String, FuncId>,
    funcs: Vec<Option<Func>>,
    atoms: Vec<String>,
    works: Vec<String>,
    pending: Vec<Pending>,
    pending_recv: Vec<PendingRecv>,
    /// Per function, the local slots that may hold a reference to a shared cell.
    ref_slots: Vec<Vec<bool>>,
    /// (callee, parameter) pairs that receive a reference, with where it comes from.
    ref_args: Vec<(FuncId, usize, RefSource)>,
    /// (caller, callee, is_spawn, span) edges for the recursion check.
    edges: Vec<(FuncId, FuncId, bool, Span)>,
}

#[derive(Clone, Copy)]
enum RefSource {
    Always,
    Param(FuncId, usize),
}

struct Local {
    name: String,
    ty: Ty,
    is_var: bool,
}

/// Nested name scopes: name to local slot, innermost last.
type Scopes = Vec<Vec<(String, u16)>>;
/// A call or spawn path through the functions: (callee, is_spawn, where).
type CallPath = Vec<(FuncId, bool, Span)>;

struct Loop {
    continue_target: Option<Pc>,
    continues: Vec<usize>,
    breaks: Vec<usize>,
}

struct Fn {
    id: FuncId,
    code: Vec<Instr>,
    spans: Vec<Span>,
    locals: Vec<Local>,
    scopes: Scopes,
    loops: Vec<Loop>,
    deferred: Vec<(usize, ast::Stmt, Scopes)>,
    in_defer: bool,
    ret: Ty,
    is_task: bool,
}

impl Fn {
    fn pc(&self) -> Pc {
        self.code.len() as Pc
    }

    fn emit(&mut self, instr: Instr, span: Span) -> usize {
        self.code.push(instr);
        self.spans.push(span);
        self.code.len() - 1
    }

    fn lookup(&self, name: &str) -> Option<u16> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|(n, _)| n == name).map(|(_, s)| *s)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().flat_map(|s| s.iter().map(|(n, _)| n.as_str()))
    }
}

/// Sets the jump target of the instruction at `at`.
fn patch(code: &mut [Instr], at: usize, to: Pc) {
    match &mut code[at] {
        Instr::Jump { target } | Instr::Branch { target, .. } | Instr::OnceEnter { skip: target, .. } => {
            *target = to
        }
        Instr::Defer { block } => *block = to,
        _ => unreachable!("patching a non-jump"),
    }
}

fn const_ctor(name: &str) -> bool {
    matches!(
        name,
        "chan"
            | "mutex"
            | "rwmutex"
            | "cond"
            | "once"
            | "waitgroup"
            | "group"
            | "background"
            | "signal"
            | "with_cancel"
            | "with_timeout"
            | "ticker"
            | "timer"
    )
}

const BUILTINS: &[&str] = &["close", "cancel", "stop"];

impl Lowerer {
    // ---- declarations -------------------------------------------------------

    fn declare(&mut self, file: &ast::File) {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut check_dup = |errors: &mut Vec<Diagnostic>, name: &ast::Ident| {
            if let Some(prev) = seen.get(&name.text) {
                errors.push(
                    Diagnostic::error("E0101", name.span, format!("`{}` is declared twice", name.text))
                        .with_label("second declaration")
                        .with_note(*prev, "first declared here")
                        .with_hint("give each task, helper, variable and constant its own name"),
                );
                false
            } else {
                seen.insert(name.text.clone(), name.span);
                true
            }
        };
        for item in &file.items {
            match item {
                ast::Item::Const(c) => {
                    if check_dup(&mut self.errors, &c.name) {
                        let v = self.const_eval(&c.value).unwrap_or(0);
                        self.consts.insert(c.name.text.clone(), v);
                    }
                }
                ast::Item::Var(v) => {
                    if check_dup(&mut self.errors, &v.name) {
                        let ty = self.kinds.fresh();
                        let range = self.annotate(ty, v.ty.as_ref());
                        self.global_index.insert(v.name.text.clone(), self.globals.len() as u16);
                        self.globals.push(GlobalInfo { name: v.name.text.clone(), ty, range });
                    }
                }
                ast::Item::Func(f) => {
                    if check_dup(&mut self.errors, &f.name) {
                        let params = f.params.iter().map(|p| {
                            let t = self.kinds.fresh();
                            self.annotate(t, p.ty.as_ref());
                            t
                        });
                        let params = params.collect();
                        let ret = self.kinds.fresh();
                        self.func_index.insert(f.name.text.clone(), self.decls.len() as FuncId);
                        self.sigs.push(Sig { is_task: f.is_task, params, ret });
                        self.decls.push((**f).clone());
                        self.funcs.push(None);
                    }
                }
            }
        }
        self.ref_slots = vec![Vec::new(); self.decls.len() + 1];
    }

    /// Applies a type annotation to `ty`; returns an integer range if given.
    fn annotate(&mut self, ty: Ty, ann: Option<&ast::TypeExpr>) -> Option<(i16, i16)> {
        let ann = ann?;
        let Some(con) = Con::from_name(&ann.name.text) else {
            let names = [
                "bool",
                "int",
                "atom",
                "result",
                "chan",
                "mutex",
                "rwmutex",
                "cond",
                "once",
                "waitgroup",
                "group",
                "ctx",
                "ticker",
                "timer",
                "task",
            ];
            let mut d =
                Diagnostic::error("E0102", ann.name.span, format!("unknown type `{}`", ann.name.text))
                    .with_label("not a type");
            if let Some(s) = suggest(&ann.name.text, names) {
                d = d.with_hint(format!("did you mean `{s}`?"));
            }
            self.errors.push(d);
            return None;
        };
        let t = self.kinds.simple(con);
        self.unify_at(ty, t, ann.span, "the annotation");
        let (lo, hi) = ann.range.as_ref()?;
        let (lo, hi) = (self.const_eval(lo)?, self.const_eval(hi)?);
        if con != Con::Int || lo > hi {
            self.errors.push(
                Diagnostic::error("E0103", ann.span, "a range needs `int` and `lo <= hi`")
                    .with_label("bad range")
                    .with_hint("write e.g. `int[0..3]`"),
            );
            return None;
        }
        Some((self.small(lo, ann.span), self.small(hi, ann.span)))
    }

    fn small(&mut self, v: i64, span: Span) -> i16 {
        i16::try_from(v).unwrap_or_else(|_| {
            self.errors.push(
                Diagnostic::error("E0104", span, format!("{v} does not fit in a model integer"))
                    .with_label("out of range")
                    .with_hint("model integers range from -32768 to 32767; smaller is faster"),
            );
            0
        })
    }

    /// Evaluates a constant expression (literals, constants, `+`, `-`).
    fn const_eval(&mut self, e: &ast::Expr) -> Option<i64> {
        let v = match &e.kind {
            E::Int(v) => Some(*v),
            E::Name(n) => self.consts.get(&n.text).copied(),
            E::Unary(ast::UnOp::Neg, x) => self.const_eval(x).map(|v| -v),
            E::Binary(ast::BinOp::Add, a, b) => Some(self.const_eval(a)?.checked_add(self.const_eval(b)?)?),
            E::Binary(ast::BinOp::Sub, a, b) => Some(self.const_eval(a)?.checked_sub(self.const_eval(b)?)?),
            _ => None,
        };
        if v.is_none() {
            self.errors.push(
                Diagnostic::error("E0105", e.span, "expected a constant number")
                    .with_label("not known before the model runs")
                    .with_hint(
                        "use a literal or a `const`: bounds must be fixed so the state space is finite",
                    ),
            );
        }
        v
    }

    fn unify_at(&mut self, a: Ty, b: Ty, span: Span, what: &str) -> bool {
        match self.kinds.unify(a, b) {
            Ok(()) => true,
            Err((x, y)) => {
                self.errors.push(
                    Diagnostic::error(
                        "E0106",
                        span,
                        format!("{what} is {}, but {} is expected here", x.noun(), y.noun()),
                    )
                    .with_label(format!("{} here", x.noun())),
                );
                false
            }
        }
    }

    /// Requires `ty` to be `con`; the message names the operation and the operand.
    fn require(&mut self, ty: Ty, con: Con, op: &str, operand: &str, span: Span) -> Vec<Ty> {
        if let Some((c, args)) = self.kinds.head(ty) {
            if c == con {
                return args;
            }
            self.errors.push(
                Diagnostic::error(
                    "E0107",
                    span,
                    format!("`{op}` needs {}, but `{operand}` is {}", con.noun(), c.noun()),
                )
                .with_label(format!("{} here", c.noun())),
            );
            return Vec::new();
        }
        let t = self.kinds.simple(con);
        self.kinds.unify(ty, t).expect("unknown unifies");
        self.kinds.head(ty).map(|(_, a)| a).unwrap_or_default()
    }

    fn intern(list: &mut Vec<String>, name: &str) -> u16 {
        match list.iter().position(|a| a == name) {
            Some(i) => i as u16,
            None => {
                list.push(name.to_string());
                list.len() as u16 - 1
            }
        }
    }

    // ---- functions ----------------------------------------------------------

    fn new_fn(&self, id: FuncId, is_task: bool, ret: Ty) -> Fn {
        Fn {
            id,
            code: Vec::new(),
            spans: Vec::new(),
            locals: Vec::new(),
            scopes: vec![Vec::new()],
            loops: Vec::new(),
            deferred: Vec::new(),
            in_defer: false,
            ret,
            is_task,
        }
    }

    fn lower_init(&mut self, file: &ast::File) -> Func {
        let ret = self.kinds.fresh();
        let mut f = self.new_fn(self.decls.len() as FuncId, false, ret);
        let mut index = 0u16;
        for item in &file.items {
            let ast::Item::Var(v) = item else { continue };
            if self.global_index.get(&v.name.text) != Some(&index) {
                continue;
            }
            let ty = self.globals[index as usize].ty;
            self.effect(&mut f, &v.init, Some((Place::Global(index), ty)), v.span);
            index += 1;
        }
        self.finish(f, "<init>".into(), false, 0, Span::default())
    }

    fn lower_func(&mut self, id: FuncId, decl: &ast::FuncDecl) -> Func {
        let sig = self.sigs[id as usize].clone();
        let mut f = self.new_fn(id, decl.is_task, sig.ret);
        for (p, ty) in decl.params.iter().zip(&sig.params) {
            if f.lookup(&p.name.text).is_some() {
                self.errors.push(
                    Diagnostic::error(
                        "E0108",
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.text),
                    )
                    .with_label("duplicate parameter"),
                );
            }
            self.bind(&mut f, &p.name.text, *ty, false);
        }
        self.block(&mut f, &decl.body);
        self.finish(f, decl.name.text.clone(), decl.is_task, decl.params.len() as u16, decl.span)
    }

    /// Emits the implicit return and the deferred blocks.
    fn finish(&mut self, mut f: Fn, name: String, is_task: bool, params: u16, span: Span) -> Func {
        let end_span = Span::new(span.end.saturating_sub(1) as usize, span.end as usize);
        f.emit(Instr::Return { value: None }, end_span);
        let deferred = std::mem::take(&mut f.deferred);
        for (at, stmt, scopes) in deferred {
            let pc = f.pc();
            patch(&mut f.code, at, pc);
            let saved = std::mem::replace(&mut f.scopes, scopes);
            f.in_defer = true;
            self.stmt(&mut f, &stmt);
            f.in_defer = false;
            f.scopes = saved;
            f.emit(Instr::EndDefer, stmt.span);
        }
        let slots = f.locals.iter().map(|l| l.is_var).collect();
        self.ref_slots[f.id as usize] = slots;
        Func {
            name,
            is_task,
            params,
            locals: f.locals.into_iter().map(|l| l.name).collect(),
            silent: vec![false; f.code.len()],
            code: f.code,
            spans: f.spans,
            span,
        }
    }

    fn bind(&mut self, f: &mut Fn, name: &str, ty: Ty, is_var: bool) -> u16 {
        let slot = f.locals.len() as u16;
        f.locals.push(Local { name: name.to_string(), ty, is_var });
        f.scopes.last_mut().expect("a scope").push((name.to_string(), slot));
        slot
    }

    fn temp(&mut self, f: &mut Fn, ty: Ty) -> u16 {
        let slot = f.locals.len() as u16;
        f.locals.push(Local { name: format!("${slot}"), ty, is_var: false });
        slot
    }

    // ---- statements ---------------------------------------------------------

    fn block(&mut self, f: &mut Fn, b: &ast::Block) {
        f.scopes.push(Vec::new());
        let mut ended: Option<Span> = None;
        for s in &b.stmts {
            if let Some(end) = ended.take() {
                self.errors.push(
                    Diagnostic::error("E0109", s.span, "unreachable statement")
                        .with_label("never runs")
                        .with_note(end, "control leaves the block here")
                        .with_hint("remove it, or move it before the statement that leaves"),
                );
            }
            self.stmt(f, s);
            if matches!(s.kind, S::Return(_) | S::Break | S::Continue) {
                ended = Some(s.span);
            }
        }
        f.scopes.pop();
    }

    fn stmt(&mut self, f: &mut Fn, s: &ast::Stmt) {
        let span = s.span;
        match &s.kind {
            S::Let { pat, value } => match pat {
                ast::Pattern::Name(n) => {
                    let ty = self.kinds.fresh();
                    let tmp = self.temp(f, ty);
                    self.effect(f, value, Some((Place::Bind(tmp), ty)), span);
                    if n.text == "_" {
                        return;
                    }
                    let slot = self.bind(f, &n.text, ty, false);
                    f.emit(Instr::Assign { dst: Place::Bind(slot), value: Expr::Local(tmp) }, span);
                }
                ast::Pattern::Pair(v, ok) => {
                    let E::Recv(chan) = &value.kind else {
                        self.errors.push(
                            Diagnostic::error("E0110", value.span, "`let (value, ok) = ...` needs a `recv`")
                                .with_label("not a receive")
                                .with_hint("only a receive has an `ok` flag: `let (v, ok) = recv ch`"),
                        );
                        return;
                    };
                    let (chan, elem) = self.recv_operand(f, chan);
                    let bool_ty = self.kinds.simple(Con::Bool);
                    let vs = self.bind_pat(f, v, elem);
                    let oks = self.bind_pat(f, ok, bool_ty);
                    f.emit(Instr::Recv { chan, value: vs, ok: oks }, span);
                }
            },
            S::Var(v) => {
                let ty = self.kinds.fresh();
                let range = self.annotate(ty, v.ty.as_ref());
                let init = self.pure(f, &v.init, "a `var` initial value");
                if let Some((e, t)) = init {
                    self.unify_at(t, ty, v.init.span, "the initial value");
                    let slot = self.bind(f, &v.name.text, ty, true);
                    f.emit(Instr::New { dst: Place::Bind(slot), ctor: Ctor::Cell { init: e, range } }, span);
                } else {
                    self.bind(f, &v.name.text, ty, true);
                }
            }
            S::Assign { target, value } => {
                let Some((place, ty)) = self.place(f, target) else {
                    return;
                };
                self.effect(f, value, Some((place, ty)), span);
            }
            S::Send { chan, value } => {
                let Some((c, elem)) = self.send_operand(f, chan, value.as_ref()) else {
                    return;
                };
                f.emit(Instr::Send { chan: c, value: elem }, span);
            }
            S::Expr(e) => self.effect(f, e, None, span),
            S::Select(cases) => self.select(f, cases, span),
            S::If { cond, then, otherwise } => {
                let c = self.condition(f, cond);
                let br = f.emit(Instr::Branch { cond: c, target: 0 }, cond.span);
                self.block(f, then);
                if let Some(o) = otherwise {
                    let j = f.emit(Instr::Jump { target: 0 }, then.span);
                    let pc = f.pc();
                    patch(&mut f.code, br, pc);
                    self.block(f, o);
                    let pc = f.pc();
                    patch(&mut f.code, j, pc);
                } else {
                    let pc = f.pc();
                    patch(&mut f.code, br, pc);
                }
            }
            S::While { cond, body } => {
                let top = f.pc();
                let c = self.condition(f, cond);
                let br = f.emit(Instr::Branch { cond: c, target: 0 }, cond.span);
                self.loop_body(f, body, Some(top), top, span);
                let pc = f.pc();
                patch(&mut f.code, br, pc);
                self.close_loop(f, pc);
            }
            S::Loop(body) => {
                let top = f.pc();
                self.loop_body(f, body, Some(top), top, span);
                let pc = f.pc();
                self.close_loop(f, pc);
            }
            S::ForRange { var, lo, hi, body } => {
                let (lo, hi) = (self.const_eval(lo), self.const_eval(hi));
                let (lo, hi) = (self.small(lo.unwrap_or(0), span), self.small(hi.unwrap_or(0), span));
                f.scopes.push(Vec::new());
                let int = self.kinds.simple(Con::Int);
                let i = self.bind(f, &var.text, int, false);
                f.emit(Instr::Assign { dst: Place::Bind(i), value: Expr::Const(Const::Int(lo)) }, var.span);
                let top = f.pc();
                let cond =
                    Expr::Binary(BinOp::Lt, Box::new(Expr::Local(i)), Box::new(Expr::Const(Const::Int(hi))));
                let br = f.emit(Instr::Branch { cond, target: 0 }, span);
                self.loop_body(f, body, None, top, span);
                let step = f.pc();
                let next =
                    Expr::Binary(BinOp::Add, Box::new(Expr::Local(i)), Box::new(Expr::Const(Const::Int(1))));
                f.emit(Instr::Assign { dst: Place::Bind(i), value: next }, var.span);
                f.emit(Instr::Jump { target: top }, span);
                let end = f.pc();
                patch(&mut f.code, br, end);
                let lp = f.loops.pop().expect("loop pushed");
                for c in lp.continues {
                    patch(&mut f.code, c, step);
                }
                for b in lp.breaks {
                    patch(&mut f.code, b, end);
                }
                f.scopes.pop();
            }
            S::ForChan { var, chan, body } => {
                f.scopes.push(Vec::new());
                let top = f.pc();
                let (c, elem) = self.recv_operand(f, chan);
                let bool_ty = self.kinds.simple(Con::Bool);
                let ok = self.temp(f, bool_ty);
                let v = self.bind_pat(f, var, elem);
                f.emit(Instr::Recv { chan: c, value: v, ok: Some(Place::Bind(ok)) }, chan.span);
                let br = f.emit(Instr::Branch { cond: Expr::Local(ok), target: 0 }, chan.span);
                self.loop_body(f, body, Some(top), top, span);
                let end = f.pc();
                patch(&mut f.code, br, end);
                self.close_loop(f, end);
                f.scopes.pop();
            }
            S::Choose(arms) => {
                let at = f.emit(Instr::Choose { targets: Vec::new() }, span);
                let mut targets = Vec::new();
                let mut ends = Vec::new();
                for arm in arms {
                    targets.push(f.pc());
                    self.block(f, arm);
                    ends.push(f.emit(Instr::Jump { target: 0 }, arm.span));
                }
                let end = f.pc();
                for j in ends {
                    patch(&mut f.code, j, end);
                }
                f.code[at] = Instr::Choose { targets };
            }
            S::Defer(inner) => {
                if f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0111", span, "`defer` inside a deferred statement")
                            .with_label("nested defer")
                            .with_hint("move the inner statement into the outer deferred block"),
                    );
                    return;
                }
                let at = f.emit(Instr::Defer { block: 0 }, span);
                f.deferred.push((at, (**inner).clone(), f.scopes.clone()));
            }
            S::Return(value) => {
                if f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0112", span, "`return` inside a deferred statement")
                            .with_label("not allowed here")
                            .with_hint("a deferred statement runs while the function is already returning"),
                    );
                    return;
                }
                let v = value.as_ref().and_then(|v| {
                    let (e, t) = self.pure(f, v, "a returned value")?;
                    if f.is_task {
                        let r = self.kinds.simple(Con::Result);
                        self.unify_at(t, r, v.span, "a task's returned value");
                    } else {
                        self.unify_at(t, f.ret, v.span, "the returned value");
                    }
                    Some(e)
                });
                f.emit(Instr::Return { value: v }, span);
            }
            S::Break | S::Continue => {
                let is_break = matches!(s.kind, S::Break);
                let word = if is_break { "break" } else { "continue" };
                if f.loops.is_empty() || f.in_defer {
                    self.errors.push(
                        Diagnostic::error("E0113", span, format!("`{word}` outside a loop"))
                            .with_label("no loop to leave")
                            .with_hint("`break` and `continue` work inside `loop`, `while` and `for`"),
                    );
                    return;
                }
                let at = f.emit(Instr::Jump { target: 0 }, span);
                let lp = f.loops.last_mut().expect("checked");
                if is_break {
                    lp.breaks.push(at);
                } else if let Some(t) = lp.continue_target {
                    patch(&mut f.code, at, t);
                } else {
                    lp.continues.push(at);
                }
            }
            S::Sleep => {
                f.emit(Instr::Sleep, span);
            }
            S::Yield => {
                f.emit(Instr::Yield, span);
            }
            S::Error => {}
        }
    }

    fn loop_body(&mut self, f: &mut Fn, body: &ast::Block, cont: Option<Pc>, top: Pc, span: Span) {
        f.loops.push(Loop { continue_target: cont, continues: Vec::new(), breaks: Vec::new() });
        self.block(f, body);
        if cont.is_some() {
            f.emit(Instr::Jump { target: top }, span);
        }
    }

    fn close_loop(&mut self, f: &mut Fn, end: Pc) {
        let lp = f.loops.pop().expect("loop pushed");
        for b in lp.breaks {
            patch(&mut f.code, b, end);
        }
    }

    fn bind_pat(&mut self, f: &mut Fn, name: &ast::Ident, ty: Ty) -> Option<Place> {
        (name.text != "_").then(|| Place::Bind(self.bind(f, &name.text, ty, false)))
    }

    fn select(&mut self, f: &mut Fn, cases: &[ast::SelectCase], span: Span) {
        let at = f.emit(Instr::Select { cases: Vec::new(), default: None }, span);
        let mut out = Vec::new();
        let mut default = None;
        let mut ends = Vec::new();
        for case in cases {
            f.scopes.push(Vec::new());
            let kind = match &case.kind {
                ast::CaseKind::Recv { chan, pat } => {
                    let (c, elem) = self.recv_operand(f, chan);
                    let (value, ok) = match pat {
                        None => (None, None),
                        Some(ast::Pattern::Name(n)) => (self.bind_pat(f, n, elem), None),
                        Some(ast::Pattern::Pair(v, ok)) => {
                            let b = self.kinds.simple(Con::Bool);
                            (self.bind_pat(f, v, elem), self.bind_pat(f, ok, b))
                        }
                    };
                    Some(CaseKind::Recv { chan: c, value, ok })
                }
                ast::CaseKind::Send { chan, value } => self
                    .send_operand(f, chan, value.as_ref())
                    .map(|(chan, value)| CaseKind::Send { chan, value }),
                ast::CaseKind::After => Some(CaseKind::After),
                ast::CaseKind::Default => {
                    if default.is_some() {
                        self.errors.push(
                            Diagnostic::error("E0114", case.span, "a select has two `default` cases")
                                .with_label("second default"),
                        );
                    }
                    None
                }
            };
            let target = f.pc();
            match kind {
                Some(kind) => out.push(Case { kind, target, span: case.span }),
                None => default = Some(target),
            }
            self.block(f, &case.body);
            ends.push(f.emit(Instr::Jump { target: 0 }, case.span));
            f.scopes.pop();
        }
        let end = f.pc();
        for j in ends {
            patch(&mut f.code, j, end);
        }
        f.code[at] = Instr::Select { cases: out, default };
    }

    // ---- operands -----------------------------------------------------------

    fn operand_name(e: &ast::Expr) -> String {
        match &e.kind {
            E::Name(n) => n.text.clone(),
            E::Field(b, n) => format!("{}.{}", Self::operand_name(b), n.text),
            E::Index(b, _) => format!("{}[..]", Self::operand_name(b)),
            _ => "this".into(),
        }
    }

    /// A receive operand: channel, ticker, timer or done channel; returns the element kind.
    fn recv_operand(&mut self, f: &mut Fn, chan: &ast::Expr) -> (Expr, Ty) {
        let elem = self.kinds.fresh();
        let Some((c, t)) = self.pure(f, chan, "a channel") else {
            return (Expr::Const(Const::Nil), elem);
        };
        self.pending_recv.push(PendingRecv {
            chan_ty: t,
            elem_ty: elem,
            span: chan.span,
            name: Self::operand_name(chan),
        });
        (c, elem)
    }

    fn send_operand(
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

    fn condition(&mut self, f: &mut Fn, cond: &ast::Expr) -> Expr {
        let Some((e, t)) = self.pure(f, cond, "a condition") else {
            return Expr::Const(Const::Bool(false));
        };
        let b = self.kinds.simple(Con::Bool);
        self.unify_at(t, b, cond.span, "the condition");
        e
    }

    fn place(&mut self, f: &mut Fn, target: &ast::Expr) -> Option<(Place, Ty)> {
        match &target.kind {
            E::Name(n) => {
                if let Some(slot) = f.lookup(&n.text) {
                    return Some((Place::Local(slot), f.locals[slot as usize].ty));
                }
                if let Some(&g) = self.global_index.get(&n.text) {
                    return Some((Place::Global(g), self.globals[g as usize].ty));
                }
                self.pure(f, target, "a variable");
                None
            }
            E::Index(base, index) => {
                let (b, bt) = self.pure(f, base, "an array")?;
                let (i, it) = self.pure(f, index, "an index")?;
                let int = self.kinds.simple(Con::Int);
                self.unify_at(it, int, index.span, "the index");
                let args = self.require(bt, Con::Array, "[]", &Self::operand_name(base), base.span);
                let elem = *args.first()?;
                Some((Place::Index(b, i), elem))
            }
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

    // ---- effects ------------------------------------------------------------

    /// Lowers an expression in statement position or on the right of `=`: the
    /// one place where effects (receive, spawn, work, calls, makes) may appear.
    fn effect(&mut self, f: &mut Fn, e: &ast::Expr, dst: Option<(Place, Ty)>, span: Span) {
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
                let (c, elem) = self.recv_operand(f, chan);
                set(self, elem);
                f.emit(Instr::Recv { chan: c, value: place, ok: None }, span);
            }
            E::Spawn { task, args } => {
                let Some((func, args)) = self.call_args(f, task, args, true) else {
                    return;
                };
                let t = self.kinds.simple(Con::Task);
                set(self, t);
                f.emit(Instr::Spawn { func, args, dst: place, group: None }, span);
            }
            E::GroupGo { group, task, args } => {
                let Some((g, gt)) = self.pure(f, group, "a group") else {
                    return;
                };
                self.require(gt, Con::Group, "go", &Self::operand_name(group), group.span);
                let Some((func, args)) = self.call_args(f, task, args, true) else {
                    return;
                };
                let t = self.kinds.simple(Con::Task);
                set(self, t);
                f.emit(Instr::Spawn { func, args, dst: place, group: Some(g) }, span);
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
                let n = self.const_eval(len).unwrap_or(0);
                let n = self.small(n, len.span).max(0) as u16;
                let et = self.kinds.fresh();
                let init = if let E::Call { callee, .. } = &elem.kind {
                    if const_ctor(&callee.text) {
                        self.ctor(f, elem, et).map(Elem::Ctor)
                    } else {
                        None
                    }
                } else {
                    None
                };
                let init = match init {
                    Some(i) => i,
                    None => {
                        let Some((v, vt)) = self.pure(f, elem, "an array element") else {
                            return;
                        };
                        self.unify_at(vt, et, elem.span, "the element");
                        Elem::Value(v)
                    }
                };
                let at = self.kinds.con(Con::Array, vec![et]);
                set(self, at);
                let Some(place) = place else {
                    return self.discarded(e);
                };
                f.emit(Instr::New { dst: place, ctor: Ctor::Array { elem: Box::new(init), len: n } }, span);
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
                let op = match callee.text.as_str() {
                    "close" => {
                        self.require(t, Con::Chan, "close", &name, arg.span);
                        Op::Close
                    }
                    "cancel" => {
                        self.require(t, Con::Ctx, "cancel", &name, arg.span);
                        Op::Cancel
                    }
                    _ => {
                        let u = self.kinds.simple(Con::Unit);
                        self.pending_op(f, Surface::Stop, t, u, arg.span, name);
                        Op::Stop
                    }
                };
                let u = self.kinds.simple(Con::Unit);
                set(self, u);
                f.emit(Instr::Op { op, target: x, arg: None, dst: place }, span);
            }
            E::Call { callee, args } => {
                let (c, ret) = if let Some(slot) = f.lookup(&callee.text) {
                    let ret = self.kinds.fresh();
                    let mut sig: Vec<Ty> = args.iter().map(|_| self.kinds.fresh()).collect();
                    sig.push(ret);
                    let ft = self.kinds.con(Con::Func, sig.clone());
                    let lt = f.locals[slot as usize].ty;
                    if !self.unify_at(lt, ft, callee.span, &format!("`{}`", callee.text)) {
                        return;
                    }
                    let mut xs = Vec::new();
                    for (a, pt) in args.iter().zip(&sig) {
                        let Some((x, t)) = self.pure(f, a, "an argument") else {
                            return;
                        };
                        self.unify_at(t, *pt, a.span, "the argument");
                        xs.push(x);
                    }
                    (
                        Instr::Call {
                            callee: Callee::Dynamic(Expr::Local(slot)),
                            args: xs,
                            dst: place.clone(),
                        },
                        ret,
                    )
                } else {
                    let Some((func, xs)) = self.call_args(f, callee, args, false) else {
                        return;
                    };
                    let ret = self.sigs[func as usize].ret;
                    (Instr::Call { callee: Callee::Static(func), args: xs, dst: place.clone() }, ret)
                };
                if place.is_some() {
                    set(self, ret);
                }
                f.emit(c, span);
            }
            E::Method { recv, name, args } => self.method(f, recv, name, args, place, ty, span),
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

    fn discarded(&mut self, e: &ast::Expr) {
        self.errors.push(
            Diagnostic::error("E0116", e.span, "this expression does nothing")
                .with_label("value not used")
                .with_hint("bind it with `let x = ...`, or use a statement such as `send`, `recv` or a call"),
        );
    }

    fn arity(&mut self, name: &ast::Ident, want: usize, got: usize, span: Span) {
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

    /// Resolves a spawn or helper call and lowers its arguments.
    fn call_args(
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
            if let Some(s) = suggest(&name.text, candidates.iter().copied().chain(BUILTINS.iter().copied())) {
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
        let mut out = Vec::new();
        for (i, (a, pt)) in args.iter().zip(&sig.params).enumerate() {
            let x = match &a.kind {
                E::Name(n) if f.lookup(&n.text).is_some() => {
                    let slot = f.lookup(&n.text).expect("checked");
                    let l = &f.locals[slot as usize];
                    let lt = l.ty;
                    if l.is_var {
                        self.ref_args.push((func, i, RefSource::Always));
                    } else if (slot as usize) < self.decls.get(f.id as usize).map_or(0, |d| d.params.len()) {
                        self.ref_args.push((func, i, RefSource::Param(f.id, slot as usize)));
                    }
                    self.unify_at(lt, *pt, a.span, "the argument");
                    Expr::Raw(slot)
                }
                E::Name(n) if self.global_index.contains_key(&n.text) => {
                    let g = self.global_index[&n.text];
                    self.ref_args.push((func, i, RefSource::Always));
                    let gt = self.globals[g as usize].ty;
                    self.unify_at(gt, *pt, a.span, "the argument");
                    Expr::GlobalRef(g)
                }
                _ => {
                    let (x, t) = self.argument(f, a)?;
                    self.unify_at(t, *pt, a.span, "the argument");
                    x
                }
            };
            out.push(x);
        }
        Some((func, out))
    }

    fn ctor(&mut self, f: &mut Fn, e: &ast::Expr, ty: Ty) -> Option<Ctor> {
        let E::Call { callee, args } = &e.kind else {
            return None;
        };
        let name = callee.text.as_str();
        let (min, max) = match name {
            "chan" => (0, 1),
            "cond" | "with_cancel" | "with_timeout" => (1, 1),
            "group" => (0, 2),
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
                        let v = self.const_eval(a).unwrap_or(0);
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
            "cond" => (Ctor::Cond(operand(self, 0, Con::Mutex)?), Con::Cond),
            "once" => (Ctor::Once, Con::Once),
            "waitgroup" => (Ctor::WaitGroup, Con::WaitGroup),
            "group" => {
                let ctx = if !args.is_empty() { Some(operand(self, 0, Con::Ctx)?) } else { None };
                let limit = match args.get(1) {
                    Some(a) => {
                        let v = self.const_eval(a).unwrap_or(1);
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
            "ticker" => (Ctor::Ticker, Con::Ticker),
            _ => (Ctor::Timer, Con::Timer),
        };
        let t = self.kinds.simple(con);
        self.unify_at(t, ty, e.span, &format!("`{name}(...)`"));
        Some(ctor)
    }

    #[allow(clippy::too_many_arguments)]
    fn method(
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
        let result = ty.unwrap_or(unit);
        let op = |op| Instr::Op { op, target: x.clone(), arg: None, dst: None };
        let instr = match m {
            "lock" | "unlock" => {
                let s = if m == "lock" { Surface::Lock } else { Surface::Unlock };
                self.pending_op(f, s, t, unit, name.span, rn);
                op(Op::Lock)
            }
            "wait" => {
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
                let known = [
                    "lock",
                    "unlock",
                    "rlock",
                    "runlock",
                    "add",
                    "done",
                    "wait",
                    "signal",
                    "broadcast",
                    "do",
                    "err",
                ];
                let mut d = Diagnostic::error("E0123", name.span, format!("unknown method `{m}`"))
                    .with_label("no such operation");
                if let Some(s) = suggest(m, known) {
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

    fn pending_op(&mut self, f: &Fn, what: Surface, recv_ty: Ty, result_ty: Ty, span: Span, name: String) {
        self.pending.push(Pending { func: f.id, pc: f.pc(), what, recv_ty, result_ty, span, name });
    }

    /// An argument: a pure expression, or a constructor such as
    /// `background()` made into a temporary first.
    fn argument(&mut self, f: &mut Fn, a: &ast::Expr) -> Option<(Expr, Ty)> {
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

    // ---- pure expressions ---------------------------------------------------

    /// Lowers a side-effect-free expression; `what` names the expected role.
    fn pure(&mut self, f: &mut Fn, e: &ast::Expr, what: &str) -> Option<(Expr, Ty)> {
        let k = &mut self.kinds;
        Some(match &e.kind {
            E::Int(v) => {
                let v = self.small(*v, e.span);
                (Expr::Const(Const::Int(v)), self.kinds.simple(Con::Int))
            }
            E::Bool(b) => (Expr::Const(Const::Bool(*b)), k.simple(Con::Bool)),
            E::Nil => (Expr::Const(Const::Nil), k.simple(Con::Chan)),
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
                        if let Some(s) = suggest(other, ["done", "ctx"]) {
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
                let (b, bt) = self.pure(f, base, "an array")?;
                let (i, it) = self.pure(f, index, "an index")?;
                let int = self.kinds.simple(Con::Int);
                self.unify_at(it, int, index.span, "the index");
                let args = self.require(bt, Con::Array, "[]", &Self::operand_name(base), base.span);
                let elem = match args.first() {
                    Some(&t) => t,
                    None => self.kinds.fresh(),
                };
                (Expr::Index(Box::new(b), Box::new(i)), elem)
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
                }
                (Expr::Binary(op, Box::new(x), Box::new(y)), self.kinds.simple(result))
            }
            E::Recv(_)
            | E::Spawn { .. }
            | E::GroupGo { .. }
            | E::Join(_)
            | E::Work { .. }
            | E::Try(_)
            | E::Call { .. }
            | E::Method { .. }
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

    // ---- after all functions ------------------------------------------------

    /// Resolves operations whose meaning depends on the operand's kind.
    fn resolve_pending(&mut self) {
        for p in std::mem::take(&mut self.pending_recv) {
            match self.kinds.head(p.chan_ty) {
                Some((Con::Ticker | Con::Timer, _)) => {
                    let u = self.kinds.simple(Con::Unit);
                    self.unify_at(p.elem_ty, u, p.span, "a tick");
                }
                Some((Con::Chan, args)) => {
                    self.unify_at(args[0], p.elem_ty, p.span, "the received value");
                }
                Some((c, _)) => self.errors.push(
                    Diagnostic::error(
                        "E0107",
                        p.span,
                        format!("`recv` needs a channel, but `{}` is {}", p.name, c.noun()),
                    )
                    .with_label(format!("{} here", c.noun())),
                ),
                None => {
                    let c = self.kinds.con(Con::Chan, vec![p.elem_ty]);
                    self.kinds.unify(p.chan_ty, c).expect("unknown unifies");
                }
            }
        }
        for p in std::mem::take(&mut self.pending) {
            let head = self.kinds.con_of(p.recv_ty);
            let (op, result) = match (p.what, head) {
                (Surface::Lock, Some(Con::Mutex)) => (Op::Lock, Con::Unit),
                (Surface::Lock, Some(Con::RwMutex)) => (Op::WLock, Con::Unit),
                (Surface::Unlock, Some(Con::Mutex)) => (Op::Unlock, Con::Unit),
                (Surface::Unlock, Some(Con::RwMutex)) => (Op::WUnlock, Con::Unit),
                (Surface::Wait, Some(Con::WaitGroup)) => (Op::WgWait, Con::Unit),
                (Surface::Wait, Some(Con::Group)) => (Op::GroupWait, Con::Result),
                (Surface::Wait, Some(Con::Cond)) => (Op::CondWait, Con::Unit),
                (Surface::Stop, Some(Con::Ticker | Con::Timer)) => (Op::Stop, Con::Unit),
                (what, found) => {
                    let (op, wants) = match what {
                        Surface::Lock => ("lock", "a mutex or an rwmutex"),
                        Surface::Unlock => ("unlock", "a mutex or an rwmutex"),
                        Surface::Wait => ("wait", "a waitgroup, a group or a cond"),
                        Surface::Stop => ("stop", "a ticker or a timer"),
                    };
                    let d = match found {
                        Some(c) => Diagnostic::error(
                            "E0107",
                            p.span,
                            format!("`{op}` needs {wants}, but `{}` is {}", p.name, c.noun()),
                        )
                        .with_label(format!("{} here", c.noun())),
                        None => Diagnostic::error(
                            "E0128",
                            p.span,
                            format!("cannot tell what kind of object `{}` is", p.name),
                        )
                        .with_label(format!("`{op}` needs {wants}"))
                        .with_hint(format!("annotate the parameter, e.g. `{}: mutex`", p.name)),
                    };
                    self.errors.push(d);
                    continue;
                }
            };
            let r = self.kinds.simple(result);
            self.unify_at(p.result_ty, r, p.span, "the result of the wait");
            let func = if (p.func as usize) < self.funcs.len() {
                self.funcs[p.func as usize].as_mut()
            } else {
                None
            };
            if let Some(Instr::Op { op: slot, .. }) = func.and_then(|func| func.code.get_mut(p.pc as usize)) {
                *slot = op;
            }
        }
    }

    /// Rejects helper recursion and tasks that would spawn without bound.
    fn check_recursion(&mut self) {
        let n = self.decls.len();
        let edges = self.edges.clone();
        let mut reported = vec![false; n + 1];
        for start in 0..n as FuncId {
            if reported[start as usize] {
                continue;
            }
            let mut stack: Vec<(FuncId, CallPath)> = vec![(start, Vec::new())];
            let mut seen = vec![false; n + 1];
            'search: while let Some((at, path)) = stack.pop() {
                for &(from, to, spawn, span) in &edges {
                    if from != at {
                        continue;
                    }
                    let mut p = path.clone();
                    p.push((to, spawn, span));
                    if to == start {
                        for (f, _, _) in &p {
                            reported[*f as usize] = true;
                        }
                        self.report_cycle(start, &p);
                        break 'search;
                    }
                    if !seen[to as usize] {
                        seen[to as usize] = true;
                        stack.push((to, p));
                    }
                }
            }
        }
    }

    fn report_cycle(&mut self, start: FuncId, path: &[(FuncId, bool, Span)]) {
        let name = |id: FuncId| self.decls[id as usize].name.text.clone();
        let any_spawn = path.iter().any(|(_, s, _)| *s);
        let mut chain = name(start);
        for (f, spawn, _) in path {
            chain.push_str(if *spawn { " spawns " } else { " calls " });
            chain.push_str(&name(*f));
        }
        let span = path.last().map(|p| p.2).unwrap_or_default();
        let d = if any_spawn {
            Diagnostic::error("E0129", span, "tasks would spawn each other without bound")
                .with_label(chain)
                .with_hint(
                    "a model must have a bounded number of tasks: spawn a fixed tree, or use `for i in 0..N`",
                )
        } else {
            Diagnostic::error("E0130", span, "helpers call each other recursively")
                .with_label(chain)
                .with_hint("helpers are inlined, so recursion has no bound: rewrite it as a loop")
        };
        self.errors.push(d);
    }
}

/// Propagates "may hold a reference" from arguments to parameters until nothing changes.
fn propagate_refs(ref_slots: &mut [Vec<bool>], ref_args: &[(FuncId, usize, RefSource)]) {
    loop {
        let mut changed = false;
        for &(func, param, source) in ref_args {
            let is_ref = match source {
                RefSource::Always => true,
                RefSource::Param(f, p) => ref_slots[f as usize].get(p).copied().unwrap_or(false),
            };
            if let Some(slot) = ref_slots[func as usize].get_mut(param) {
                if is_ref && !*slot {
                    *slot = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}
