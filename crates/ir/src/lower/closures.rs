//! Anonymous tasks (`spawn { ... }`, `spawn detached { ... }`, `g.go { ... }`,
//! Go's `go func() { ... }()`) become named tasks before anything else is
//! lowered. Each is named after the function that spawns it and its line
//! (`main@12`), takes the enclosing locals its body names as parameters, and
//! the spawn passes them.
//!
//! Go's closures capture variables, not values: a captured variable that is
//! assigned anywhere (in the closure or around it) is shared. Such a `let` or
//! parameter becomes a cell right after its declaration, a `var` marked
//! lifted, so both sides read and write the same cell; a parameter that
//! already holds a cell (a `var` passed to it, or a variable an enclosing
//! closure shares) keeps that cell. The closures are given the cell; a task
//! or helper the local is passed to by name gets its value, as in Go (see
//! `Lowerer::pass_arguments`). A loop variable changed by its loop cannot be
//! shared that way: capturing it is an error with the fix Go's own vet
//! suggests.

use leash_syntax::ast::{self, Block, Expr, ExprKind as E, Ident, Item, Pattern, Stmt, StmtKind as S};
use leash_syntax::{Diagnostic, LineIndex, Span};
use std::collections::{BTreeMap, BTreeSet};

/// Lifts every anonymous task of `file` into a task of its own.
pub(super) fn lift(file: &mut ast::File, lines: &LineIndex, errors: &mut Vec<Diagnostic>) {
    let mut taken: BTreeSet<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Func(f) => Some(f.name.text.clone()),
            _ => None,
        })
        .collect();
    let mut queue: Vec<ast::FuncDecl> = Vec::new();
    let mut i = 0;
    while i < file.items.len() {
        if let Item::Func(f) = &mut file.items[i] {
            lift_in(f, lines, errors, &mut taken, &mut queue);
        }
        i += 1;
        // Lifted tasks may hold closures of their own: they are lifted in turn.
        if i == file.items.len() {
            file.items.extend(queue.drain(..).map(|f| Item::Func(Box::new(f))));
        }
    }
}

/// How a name was bound.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Param,
    Let,
    Var,
    /// A `for` variable, changed by its loop.
    Loop,
}

/// One binding of a local.
struct Binding {
    name: String,
    kind: Kind,
    /// Where it is declared (the statement, or the function for a parameter).
    decl: Span,
    /// Whether some `=` assigns it after its declaration.
    assigned: bool,
    /// Whether it is declared in a loop's body: a new variable each round.
    in_loop: bool,
}

/// The bindings of one function and, for each use of a name (by its span),
/// the binding it resolves to.
#[derive(Default)]
struct Resolved {
    bindings: Vec<Binding>,
    uses: BTreeMap<(u32, u32), usize>,
    /// How many loops' bodies the walk is in.
    loops: usize,
}

fn key(span: Span) -> (u32, u32) {
    (span.start, span.end)
}

fn lift_in(
    f: &mut ast::FuncDecl,
    lines: &LineIndex,
    errors: &mut Vec<Diagnostic>,
    taken: &mut BTreeSet<String>,
    queue: &mut Vec<ast::FuncDecl>,
) {
    if !has_closure(&f.body) {
        return;
    }
    let mut r = Resolved::default();
    let mut scope: Vec<Vec<(String, usize)>> = vec![Vec::new()];
    for p in &f.params {
        let id = r.bind(&p.name.text, Kind::Param, f.span);
        scope[0].push((p.name.text.clone(), id));
    }
    r.block(&f.body, &mut scope);
    let mut shared: BTreeSet<usize> = BTreeSet::new();
    let mut cx = Lift { func: &f.name.text, lines, errors, taken, queue, r: &r, shared: &mut shared };
    cx.block(&mut f.body);
    // Captured variables that are assigned become cells after their declaration.
    let mut params_shared = Vec::new();
    for &b in shared.iter() {
        let binding = &r.bindings[b];
        if binding.kind == Kind::Param {
            params_shared.push(binding.name.clone());
        } else {
            insert_after(&mut f.body, binding.decl, &binding.name);
        }
    }
    for name in params_shared.into_iter().rev() {
        f.body.stmts.insert(0, share(&name, f.body.span));
    }
}

/// `var NAME = NAME`, marked lifted: the value so far in a cell from now on
/// (for a parameter that already holds a cell, that cell: see `Ctor::Share`).
fn share(name: &str, span: Span) -> Stmt {
    let ident = Ident { text: name.to_string(), span };
    let init = Expr { kind: E::Name(ident.clone()), span };
    Stmt { kind: S::Var(ast::VarDecl { name: ident, ty: None, init, lifted: true, span }), span }
}

/// Inserts `var NAME = NAME` right after the statement declared at `decl`.
fn insert_after(block: &mut Block, decl: Span, name: &str) -> bool {
    for i in 0..block.stmts.len() {
        if block.stmts[i].span == decl {
            block.stmts.insert(i + 1, share(name, decl));
            return true;
        }
        let found = match &mut block.stmts[i].kind {
            S::If { then, otherwise, .. } => {
                insert_after(then, decl, name)
                    || otherwise.as_mut().is_some_and(|o| insert_after(o, decl, name))
            }
            S::While { body, .. } | S::Loop(body) | S::ForRange { body, .. } | S::ForChan { body, .. } => {
                insert_after(body, decl, name)
            }
            S::Select(cases) => cases.iter_mut().any(|c| {
                if c.span == decl {
                    c.body.stmts.insert(0, share(name, decl));
                    return true;
                }
                insert_after(&mut c.body, decl, name)
            }),
            S::Choose(arms) => arms.iter_mut().any(|a| insert_after(a, decl, name)),
            S::Block(b) => insert_after(b, decl, name),
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// Whether `b` holds a closure: an anonymous task, a function value, or a
/// deferred statement that is not a call (Go's `defer func() { ... }()`).
fn has_closure(b: &Block) -> bool {
    let mut found = false;
    walk_block(b, &mut |n| {
        found |= match n {
            Node::Expr(e) => {
                matches!(e.kind, E::SpawnBlock { .. } | E::GroupGoBlock { .. } | E::FnLit { .. })
            }
            Node::Stmt(Stmt { kind: S::Defer(inner), .. }) => !defers_a_call(inner),
            Node::Stmt(_) => false,
        }
    });
    found
}

/// Whether a deferred statement is a call (`defer f(x)`, `defer m.unlock()`,
/// `defer work w(ctx)`), whose operands Go evaluates at the `defer`; any
/// other is Go's `defer func() { ... }()`, a closure.
pub(super) fn defers_a_call(inner: &Stmt) -> bool {
    matches!(&inner.kind, S::Expr(e) if matches!(e.kind, E::Call { .. } | E::Method { .. } | E::Work { .. }))
}

/// The names a statement uses (as variables or called), sorted.
pub(super) fn names_in(s: &Stmt) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk_stmt(s, &mut |n| match n {
        Node::Expr(Expr { kind: E::Name(n), .. }) => {
            out.insert(n.text.clone());
        }
        Node::Expr(Expr { kind: E::Call { callee, .. }, .. }) => {
            out.insert(callee.text.clone());
        }
        _ => {}
    });
    out
}

/// Whether `body` holds a deferred closure (a `defer` that is not a call)
/// that names `name`: a loop variable it names must then be a new variable
/// each time its loop starts, as Go 1.19's is.
pub(super) fn defers_a_closure_naming(body: &Block, name: &str) -> bool {
    let mut found = false;
    walk_block(body, &mut |n| {
        if let Node::Stmt(Stmt { kind: S::Defer(inner), .. }) = n {
            found |= !defers_a_call(inner) && names_in(inner).contains(name);
        }
    });
    found
}

/// What the walk visits: each statement, then each of its expressions.
enum Node<'a> {
    Stmt(&'a Stmt),
    Expr(&'a Expr),
}

/// Calls `f` on every statement and expression of a block, nested blocks included.
fn walk_block(b: &Block, f: &mut dyn FnMut(Node)) {
    for s in &b.stmts {
        walk_stmt(s, f);
    }
}

fn walk_stmt(s: &Stmt, f: &mut dyn FnMut(Node)) {
    f(Node::Stmt(s));
    match &s.kind {
        S::Let { value, .. } => walk_expr(value, f),
        S::Var(v) => walk_expr(&v.init, f),
        S::Assign { target, value } => {
            walk_expr(target, f);
            walk_expr(value, f);
        }
        S::Send { chan, value } => {
            walk_expr(chan, f);
            value.iter().for_each(|v| walk_expr(v, f));
        }
        S::Expr(e) | S::Assert(e) => walk_expr(e, f),
        S::Return(v) => v.iter().for_each(|v| walk_expr(v, f)),
        S::Select(cases) => {
            for c in cases {
                match &c.kind {
                    ast::CaseKind::Recv { chan, .. } => walk_expr(chan, f),
                    ast::CaseKind::Send { chan, value } => {
                        walk_expr(chan, f);
                        value.iter().for_each(|v| walk_expr(v, f));
                    }
                    ast::CaseKind::After | ast::CaseKind::Default => {}
                }
                walk_block(&c.body, f);
            }
        }
        S::If { cond, then, otherwise } => {
            walk_expr(cond, f);
            walk_block(then, f);
            otherwise.iter().for_each(|o| walk_block(o, f));
        }
        S::While { cond, body } => {
            walk_expr(cond, f);
            walk_block(body, f);
        }
        S::Loop(b) | S::Block(b) => walk_block(b, f),
        S::ForRange { lo, hi, body, .. } => {
            walk_expr(lo, f);
            walk_expr(hi, f);
            walk_block(body, f);
        }
        S::ForChan { chan, body, .. } => {
            walk_expr(chan, f);
            walk_block(body, f);
        }
        S::Choose(arms) => arms.iter().for_each(|a| walk_block(a, f)),
        S::Defer(inner) => walk_stmt(inner, f),
        S::Break | S::Continue | S::Sleep | S::Yield | S::Error => {}
    }
}

fn walk_expr(e: &Expr, f: &mut dyn FnMut(Node)) {
    f(Node::Expr(e));
    match &e.kind {
        E::Field(x, _) | E::Unary(_, x) | E::Recv(x) | E::Join(x) | E::Try(x) => walk_expr(x, f),
        E::Index(a, b) | E::Binary(_, a, b) => {
            walk_expr(a, f);
            walk_expr(b, f);
        }
        E::Array { elem, len } => {
            walk_expr(elem, f);
            walk_expr(len, f);
        }
        E::Call { args, .. } | E::Spawn { args, .. } => args.iter().for_each(|a| walk_expr(a, f)),
        E::StructLit { fields, .. } => fields.iter().for_each(|(_, v)| walk_expr(v, f)),
        E::Closure { captures, .. } => captures.iter().for_each(|a| walk_expr(a, f)),
        E::FnLit { body, .. } => walk_block(body, f),
        E::Method { recv, args, .. } => {
            walk_expr(recv, f);
            args.iter().for_each(|a| walk_expr(a, f));
        }
        E::GroupGo { group, args, .. } => {
            walk_expr(group, f);
            args.iter().for_each(|a| walk_expr(a, f));
        }
        E::Work { ctx, .. } => ctx.iter().for_each(|c| walk_expr(c, f)),
        E::SpawnBlock { body, .. } => walk_block(body, f),
        E::GroupGoBlock { group, body } => {
            walk_expr(group, f);
            walk_block(body, f);
        }
        E::Int(_) | E::Bool(_) | E::Nil | E::Atom(_) | E::Name(_) | E::Error => {}
    }
}

impl Resolved {
    fn bind(&mut self, name: &str, kind: Kind, decl: Span) -> usize {
        let in_loop = self.loops > 0;
        self.bindings.push(Binding { name: name.to_string(), kind, decl, assigned: false, in_loop });
        self.bindings.len() - 1
    }

    fn lookup(scope: &[Vec<(String, usize)>], name: &str) -> Option<usize> {
        scope.iter().rev().flat_map(|s| s.iter().rev()).find(|(n, _)| n == name).map(|(_, b)| *b)
    }

    fn block(&mut self, b: &Block, scope: &mut Vec<Vec<(String, usize)>>) {
        scope.push(Vec::new());
        for s in &b.stmts {
            self.stmt(s, scope);
        }
        scope.pop();
    }

    fn loop_body(&mut self, b: &Block, scope: &mut Vec<Vec<(String, usize)>>) {
        self.loops += 1;
        self.block(b, scope);
        self.loops -= 1;
    }

    fn declare(&mut self, ident: &Ident, kind: Kind, decl: Span, scope: &mut [Vec<(String, usize)>]) {
        if ident.text == "_" {
            return;
        }
        let id = self.bind(&ident.text, kind, decl);
        scope.last_mut().expect("a scope").push((ident.text.clone(), id));
    }

    fn stmt(&mut self, s: &Stmt, scope: &mut Vec<Vec<(String, usize)>>) {
        match &s.kind {
            S::Let { pat, value, .. } => {
                self.expr(value, scope);
                match pat {
                    Pattern::Name(n) => self.declare(n, Kind::Let, s.span, scope),
                    Pattern::Pair(v, ok) => {
                        self.declare(v, Kind::Let, s.span, scope);
                        self.declare(ok, Kind::Let, s.span, scope);
                    }
                    Pattern::Tuple(names) => {
                        names.iter().for_each(|n| self.declare(n, Kind::Let, s.span, scope))
                    }
                }
            }
            S::Var(v) => {
                self.expr(&v.init, scope);
                self.declare(&v.name, Kind::Var, s.span, scope);
            }
            S::Assign { target, value } => {
                self.expr(value, scope);
                if let E::Name(n) = &target.kind {
                    if let Some(b) = Self::lookup(scope, &n.text) {
                        self.bindings[b].assigned = true;
                    }
                }
                self.expr(target, scope);
            }
            S::ForRange { var, lo, hi, body } => {
                self.expr(lo, scope);
                self.expr(hi, scope);
                scope.push(Vec::new());
                self.declare(var, Kind::Loop, s.span, scope);
                self.loop_body(body, scope);
                scope.pop();
            }
            S::ForChan { var, value, chan, body } => {
                self.expr(chan, scope);
                scope.push(Vec::new());
                self.declare(var, Kind::Loop, s.span, scope);
                if let Some(v) = value {
                    self.declare(v, Kind::Loop, s.span, scope);
                }
                self.loop_body(body, scope);
                scope.pop();
            }
            S::Select(cases) => {
                for c in cases {
                    scope.push(Vec::new());
                    match &c.kind {
                        ast::CaseKind::Recv { chan, pat } => {
                            self.expr(chan, scope);
                            match pat {
                                Some(Pattern::Name(n)) => self.declare(n, Kind::Let, c.span, scope),
                                Some(Pattern::Pair(v, ok)) => {
                                    self.declare(v, Kind::Let, c.span, scope);
                                    self.declare(ok, Kind::Let, c.span, scope);
                                }
                                Some(Pattern::Tuple(names)) => {
                                    names.iter().for_each(|n| self.declare(n, Kind::Let, c.span, scope))
                                }
                                None => {}
                            }
                        }
                        ast::CaseKind::Send { chan, value } => {
                            self.expr(chan, scope);
                            value.iter().for_each(|v| self.expr(v, scope));
                        }
                        ast::CaseKind::After | ast::CaseKind::Default => {}
                    }
                    self.block(&c.body, scope);
                    scope.pop();
                }
            }
            S::If { cond, then, otherwise } => {
                self.expr(cond, scope);
                self.block(then, scope);
                otherwise.iter().for_each(|o| self.block(o, scope));
            }
            S::While { cond, body } => {
                self.expr(cond, scope);
                self.loop_body(body, scope);
            }
            S::Loop(b) => self.loop_body(b, scope),
            S::Block(b) => self.block(b, scope),
            S::Choose(arms) => arms.iter().for_each(|a| self.block(a, scope)),
            S::Defer(inner) => self.stmt(inner, scope),
            S::Send { chan, value } => {
                self.expr(chan, scope);
                value.iter().for_each(|v| self.expr(v, scope));
            }
            S::Expr(e) | S::Assert(e) => self.expr(e, scope),
            S::Return(v) => v.iter().for_each(|v| self.expr(v, scope)),
            S::Break | S::Continue | S::Sleep | S::Yield | S::Error => {}
        }
    }

    /// Records the binding of every name used in `e`; a closure body is
    /// resolved in a scope of its own (its own `let`s shadow).
    fn expr(&mut self, e: &Expr, scope: &mut Vec<Vec<(String, usize)>>) {
        match &e.kind {
            E::Name(n) => {
                if let Some(b) = Self::lookup(scope, &n.text) {
                    self.uses.insert(key(n.span), b);
                }
            }
            E::Call { callee, args } => {
                if let Some(b) = Self::lookup(scope, &callee.text) {
                    self.uses.insert(key(callee.span), b);
                }
                args.iter().for_each(|a| self.expr(a, scope));
            }
            E::SpawnBlock { body, .. } => self.block(body, scope),
            E::GroupGoBlock { group, body } => {
                self.expr(group, scope);
                self.block(body, scope);
            }
            E::FnLit { params, body } => {
                // Its parameters are declared inside its body's span, so that
                // they are never taken for captures.
                scope.push(Vec::new());
                for p in params {
                    self.declare(&p.name, Kind::Param, body.span, scope);
                }
                self.block(body, scope);
                scope.pop();
            }
            _ => {
                let mut children = Vec::new();
                direct_children(e, &mut children);
                for c in children {
                    self.expr(c, scope);
                }
            }
        }
    }
}

/// The expressions directly inside `e` (not inside closure bodies).
fn direct_children<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        E::Field(x, _) | E::Unary(_, x) | E::Recv(x) | E::Join(x) | E::Try(x) => out.push(x),
        E::Index(a, b) | E::Binary(_, a, b) => out.extend([&**a, &**b]),
        E::Array { elem, len } => out.extend([&**elem, &**len]),
        E::Call { args, .. } | E::Spawn { args, .. } => out.extend(args),
        E::StructLit { fields, .. } => out.extend(fields.iter().map(|(_, v)| v)),
        E::Closure { captures, .. } => out.extend(captures),
        E::Method { recv, args, .. } => {
            out.push(recv);
            out.extend(args);
        }
        E::GroupGo { group, args, .. } => {
            out.push(group);
            out.extend(args);
        }
        E::Work { ctx, .. } => out.extend(ctx.iter().map(|c| &**c)),
        E::GroupGoBlock { group, .. } => out.push(group),
        E::SpawnBlock { .. }
        | E::FnLit { .. }
        | E::Int(_)
        | E::Bool(_)
        | E::Nil
        | E::Atom(_)
        | E::Name(_)
        | E::Error => {}
    }
}

/// Replaces the closures of one function, collecting the tasks they become.
struct Lift<'a> {
    func: &'a str,
    lines: &'a LineIndex,
    errors: &'a mut Vec<Diagnostic>,
    taken: &'a mut BTreeSet<String>,
    queue: &'a mut Vec<ast::FuncDecl>,
    r: &'a Resolved,
    shared: &'a mut BTreeSet<usize>,
}

impl Lift<'_> {
    fn block(&mut self, b: &mut Block) {
        for s in &mut b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            S::Let { value, .. } => self.expr(value),
            S::Var(v) => self.expr(&mut v.init),
            S::Assign { target, value } => {
                self.expr(target);
                self.expr(value);
            }
            S::Send { chan, value } => {
                self.expr(chan);
                value.iter_mut().for_each(|v| self.expr(v));
            }
            S::Expr(e) | S::Assert(e) => self.expr(e),
            S::Return(v) => v.iter_mut().for_each(|v| self.expr(v)),
            S::Select(cases) => {
                for c in cases {
                    match &mut c.kind {
                        ast::CaseKind::Recv { chan, .. } => self.expr(chan),
                        ast::CaseKind::Send { chan, value } => {
                            self.expr(chan);
                            value.iter_mut().for_each(|v| self.expr(v));
                        }
                        ast::CaseKind::After | ast::CaseKind::Default => {}
                    }
                    self.block(&mut c.body);
                }
            }
            S::If { cond, then, otherwise } => {
                self.expr(cond);
                self.block(then);
                otherwise.iter_mut().for_each(|o| self.block(o));
            }
            S::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            S::Loop(b) | S::Block(b) => self.block(b),
            S::ForRange { lo, hi, body, .. } => {
                self.expr(lo);
                self.expr(hi);
                self.block(body);
            }
            S::ForChan { chan, body, .. } => {
                self.expr(chan);
                self.block(body);
            }
            S::Choose(arms) => arms.iter_mut().for_each(|a| self.block(a)),
            S::Defer(inner) => {
                if !defers_a_call(inner) {
                    self.deferred_closure(inner);
                }
                self.stmt(inner)
            }
            S::Break | S::Continue | S::Sleep | S::Yield | S::Error => {}
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        let span = e.span;
        match &mut e.kind {
            E::SpawnBlock { body, detached } => {
                let detached = *detached;
                let (task, args) = self.closure(std::mem::replace(body, empty(span)), Vec::new(), true, span);
                e.kind = E::Spawn { task, args, detached, method: false };
            }
            E::GroupGoBlock { group, body } => {
                self.expr(group);
                let group = std::mem::replace(&mut **group, Expr { kind: E::Error, span });
                let (task, args) = self.closure(std::mem::replace(body, empty(span)), Vec::new(), true, span);
                e.kind = E::GroupGo { group: Box::new(group), task, args, method: false };
            }
            E::FnLit { params, body } => {
                let params = std::mem::take(params);
                let (func, captures) =
                    self.closure(std::mem::replace(body, empty(span)), params, false, span);
                e.kind = E::Closure { func, captures };
            }
            _ => {
                let mut children = Vec::new();
                direct_children_mut(e, &mut children);
                for c in children {
                    self.expr(c);
                }
            }
        }
    }

    /// Makes a task (or, for a function value, a helper that also takes
    /// `own` parameters) of a closure body at `span`: its name and the
    /// captured locals, in order of first use, that come first.
    /// A deferred closure (`defer { ... }`) reads the variables it names
    /// when it runs. One declared in a loop's body is a new variable each
    /// round, which the lowering hands to the closure at the `defer`
    /// (`capture_closure`); if something assigns it, the closure must see
    /// the writes that come after the `defer`, so it becomes a cell, as for
    /// an anonymous task.
    fn deferred_closure(&mut self, inner: &Stmt) {
        walk_stmt(inner, &mut |n| {
            let Node::Expr(Expr { kind: E::Name(name), .. }) = n else { return };
            let Some(&b) = self.r.uses.get(&key(name.span)) else { return };
            let binding = &self.r.bindings[b];
            let outside = binding.decl.end <= inner.span.start || inner.span.end <= binding.decl.start;
            if binding.kind == Kind::Let && binding.in_loop && binding.assigned && outside {
                self.shared.insert(b);
            }
        });
    }

    fn closure(
        &mut self,
        body: Block,
        own: Vec<ast::Param>,
        is_task: bool,
        span: Span,
    ) -> (Ident, Vec<Expr>) {
        let mut captured: Vec<usize> = Vec::new();
        let mut first_use: BTreeMap<usize, Span> = BTreeMap::new();
        walk_block(&body, &mut |x| {
            let s = match x {
                Node::Expr(Expr { kind: E::Name(n), .. }) => n.span,
                Node::Expr(Expr { kind: E::Call { callee, .. }, .. }) => callee.span,
                _ => return,
            };
            if let Some(&b) = self.r.uses.get(&key(s)) {
                let decl = self.r.bindings[b].decl;
                let inside = body.span.start <= decl.start && decl.end <= body.span.end;
                if !inside && !captured.contains(&b) {
                    captured.push(b);
                    first_use.insert(b, s);
                }
            }
        });
        for &b in &captured {
            let binding = &self.r.bindings[b];
            if !binding.assigned && binding.kind != Kind::Loop {
                continue;
            }
            match binding.kind {
                Kind::Var => {}
                Kind::Loop => self.errors.push(
                    Diagnostic::error(
                        "E0141",
                        first_use[&b],
                        format!(
                            "{} captures the loop variable `{}`, which its loop changes",
                            if is_task { "the task" } else { "the function value" },
                            binding.name
                        ),
                    )
                    .with_label("captured here")
                    .with_note(binding.decl, "declared by this loop")
                    .with_hint(format!(
                        "copy it first, inside the loop: `let {0} = {0}` (Go 1.19 shares a loop variable across \
                         iterations; go vet's loopclosure check asks for the same copy)",
                        binding.name
                    )),
                ),
                Kind::Let | Kind::Param => {
                    self.shared.insert(b);
                }
            }
        }
        let (line, _) = self.lines.line_col(span.start);
        let mut name = format!("{}@{line}", self.func);
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{}@{line}.{n}", self.func);
            n += 1;
        }
        self.taken.insert(name.clone());
        let params: Vec<ast::Param> = captured
            .iter()
            .map(|&b| ast::Param { name: Ident { text: self.r.bindings[b].name.clone(), span }, ty: None })
            .chain(own)
            .collect();
        let args = captured
            .iter()
            .map(|&b| Expr { kind: E::Name(Ident { text: self.r.bindings[b].name.clone(), span }), span })
            .collect();
        let ident = Ident { text: name, span };
        let captures = captured.len();
        self.queue.push(ast::FuncDecl {
            is_task,
            name: ident.clone(),
            receiver: None,
            params,
            captures,
            body,
            span,
        });
        (ident, args)
    }
}

fn empty(span: Span) -> Block {
    Block { stmts: Vec::new(), span }
}

fn direct_children_mut<'a>(e: &'a mut Expr, out: &mut Vec<&'a mut Expr>) {
    match &mut e.kind {
        E::Field(x, _) | E::Unary(_, x) | E::Recv(x) | E::Join(x) | E::Try(x) => out.push(x),
        E::Index(a, b) | E::Binary(_, a, b) => {
            out.push(a);
            out.push(b);
        }
        E::Array { elem, len } => {
            out.push(elem);
            out.push(len);
        }
        E::Call { args, .. } | E::Spawn { args, .. } => out.extend(args.iter_mut()),
        E::StructLit { fields, .. } => out.extend(fields.iter_mut().map(|(_, v)| v)),
        E::Closure { captures, .. } => out.extend(captures.iter_mut()),
        E::Method { recv, args, .. } => {
            out.push(recv);
            out.extend(args.iter_mut());
        }
        E::GroupGo { group, args, .. } => {
            out.push(group);
            out.extend(args.iter_mut());
        }
        E::Work { ctx, .. } => out.extend(ctx.iter_mut().map(|c| &mut **c)),
        E::SpawnBlock { .. }
        | E::GroupGoBlock { .. }
        | E::FnLit { .. }
        | E::Int(_)
        | E::Bool(_)
        | E::Nil
        | E::Atom(_)
        | E::Name(_)
        | E::Error => {}
    }
}
