//! Lowering: name resolution, kind inference and validation from the syntax
//! tree to the IR. Every problem becomes a diagnostic; nothing panics.
//!
//! This module holds the driver, declarations and function frames;
//! `stmt` lowers statements, `effect` the operations that take a step,
//! `expr` pure expressions and operands, `checks` what needs every function.

mod checks;
mod closures;
mod effect;
mod expr;
mod maps;
mod passing;
mod stmt;
mod structs;

use crate::kinds::{Con, Kinds, Ty};
use crate::{
    BinOp, Callee, Case, CaseKind, Const, Ctor, Elem, Expr, FieldRef, Func, FuncId, Global, Instr, LenOf, Op,
    Pc, Place, Program, StructDef, UnOp,
};
use leash_syntax::ast::{self, ExprKind as E, StmtKind as S};
use leash_syntax::{suggest, Diagnostic, Span};
use passing::Passed;
use std::collections::BTreeMap;
use structs::{PendingField, StructInfo, Target};

/// Lowers a parsed model to the IR, or returns every problem found.
pub fn lower(file: &ast::File, text: &str) -> Result<Program, Vec<Diagnostic>> {
    let mut l = Lowerer::default();
    let mut lifted = file.clone();
    structs::desugar_methods(&mut lifted);
    closures::lift(&mut lifted, &leash_syntax::LineIndex::new(text), &mut l.errors);
    let file = &lifted;
    l.declare(file);
    if l.errors.iter().any(|d| d.code == "E0142") {
        // Every call of such a name means the builtin: lowering the calls
        // would only add kind errors about the wrong function.
        l.errors.sort_by_key(|d| (d.span.start, d.span.end));
        return Err(l.errors);
    }
    let mut init = l.lower_init(file);
    for (id, decl) in l.decls.clone().iter().enumerate() {
        let func = l.lower_func(id as FuncId, decl);
        l.funcs[id] = Some(func);
    }
    l.resolve_fields(&mut init);
    l.resolve_pending();
    l.resolve_zeros(&mut init);
    l.check_map_keys();
    l.check_bare_returns();
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
        short_timers: l.short_timers,
        maps_written: false,
        structs: l
            .structs
            .iter()
            .map(|s| StructDef {
                name: s.decl.name.text.clone(),
                fields: s.decl.fields.iter().map(|p| p.name.text.clone()).collect(),
            })
            .collect(),
    };
    let captures: Vec<usize> = l.decls.iter().map(|d| d.captures).chain([0]).collect();
    let ref_args = passing::pass_arguments(&mut program.funcs, &l.passed, &captures, &l.ref_slots);
    propagate_refs(&mut l.ref_slots, &ref_args);
    crate::hoist::hoist(&mut program, &mut l.ref_slots);
    crate::silent::mark(&mut program, &l.ref_slots);
    crate::shared::mark(&mut program);
    let ctx_slots: Vec<Vec<bool>> = std::mem::take(&mut l.local_kinds)
        .into_iter()
        .map(|tys| tys.into_iter().map(|t| matches!(l.kinds.con_of(t), None | Some(Con::Ctx))).collect())
        .collect();
    crate::live::mark(&mut program, &l.ref_slots, &ctx_slots);
    program.maps_written = program.funcs.iter().any(|f| f.code.iter().any(|i| i.map_written().is_some()));
    Ok(program)
}

#[derive(Clone)]
struct Sig {
    is_task: bool,
    params: Vec<Ty>,
    ret: Ty,
    /// The kinds of the results after the first, for a helper that returns
    /// several (`return (v, e)`).
    rest: Vec<Ty>,
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
    Reset,
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
    /// Where the operand ended up, once its instruction is emitted.
    site: Option<RecvSite>,
}

/// Where a receive's operand sits: in an instruction (a `recv`, or the
/// assignment that holds a `for v in` loop's channel), or in a case of a
/// `select`.
#[derive(Clone, Copy)]
enum RecvSite {
    Instr(FuncId, Pc),
    Case(FuncId, Pc, usize),
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
    /// The kind of each `nil`, where it is, and whether it is an operand of
    /// `==` or `!=`: any kind Go has a nil of (a timer or ticker only when
    /// compared), a channel when nothing says which.
    pending_nil: Vec<(Ty, Span, bool)>,
    /// Per function, the local slots that may hold a reference to a shared cell.
    ref_slots: Vec<Vec<bool>>,
    /// Per function, the kind of each local slot.
    local_kinds: Vec<Vec<Ty>>,
    /// Per function, how each local slot named as an argument is passed.
    passed: Vec<Vec<Passed>>,
    /// `return` without a value in a helper: (its return kind, where), checked at the end.
    bare_returns: Vec<(Ty, Span)>,
    /// (caller, callee, is_spawn, span) edges for the recursion check.
    edges: Vec<(FuncId, FuncId, bool, Span)>,
    /// Where the results after the first of the helper call being lowered
    /// go (`let (v, e) = f()`), taken by that call.
    rest_dst: Vec<(Place, Ty)>,
    /// Struct types in declaration order.
    structs: Vec<StructInfo>,
    /// Struct name to its index in `structs`.
    struct_index: BTreeMap<String, u16>,
    /// Field reads whose struct is decided at the end.
    pending_fields: Vec<PendingField>,
    /// The value kinds of map reads, whose zero value is decided at the end.
    pending_zeros: Vec<Ty>,
    /// The kind of every `map()` made, and where: their keys are checked at the end.
    map_kinds_made: Vec<(Ty, Span)>,
    /// Whether a `ticker(short)` or `timer(short)` is made.
    short_timers: bool,
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
    /// How it is passed when an argument names it.
    passed: Passed,
    /// How many loops enclose its declaration: one declared in a loop's
    /// body is a new variable each round, in Go.
    depth: usize,
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
    /// The locals a loop changes (`for i in`, `for v in`): Go 1.19 shares
    /// them across rounds, so a deferred block reads them as they end up.
    loop_vars: Vec<u16>,
    ret: Ty,
    is_task: bool,
    /// The hidden locals of the results after the first, with their kinds.
    results: Vec<(u16, Ty)>,
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
        // Hidden locals (`$n`) are never suggested.
        self.scopes.iter().flat_map(|s| s.iter().map(|(n, _)| n.as_str())).filter(|n| !n.starts_with('$'))
    }
}

/// Sets the jump target of the instruction at `at`.
fn patch(code: &mut [Instr], at: usize, to: Pc) {
    match &mut code[at] {
        Instr::Jump { target } | Instr::Branch { target, .. } | Instr::OnceEnter { skip: target, .. } => {
            *target = to
        }
        Instr::Defer { block, .. } => *block = to,
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
            | "map"
            | "list"
    )
}

const BUILTINS: &[&str] = &["close", "cancel", "stop", "reset"];

/// What a builtin or constructor call does, for E0142.
fn builtin_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "close" => "closes a channel",
        "cancel" => "cancels a context",
        "stop" => "stops a ticker or a timer",
        "reset" => "restarts a ticker or a timer",
        "exit" => "ends the program",
        "recover" => "stops a panic, in a deferred block",
        "chan" => "makes a channel",
        "mutex" => "makes a mutex",
        "rwmutex" => "makes an RWMutex",
        "cond" => "makes a condition variable",
        "once" => "makes a sync.Once",
        "waitgroup" => "makes a wait group",
        "group" => "makes an error group",
        "background" => "makes the background context",
        "signal" => "makes the signal context",
        "with_cancel" => "makes a cancellable context",
        "with_timeout" => "makes a context with a deadline",
        "ticker" => "makes a ticker",
        "timer" => "makes a timer",
        "map" => "makes a map",
        "list" => "makes a list",
        "push" => "appends to a list",
        "pop" => "takes a list's first element",
        "delete" => "deletes a map's entry",
        "len" => "counts a map's entries, a list's elements or a channel's buffered values",
        _ => return None,
    })
}

/// Go's constructors (and `errgroup`) and how leash writes them, for the
/// hint of an unknown function.
const GO_CONSTRUCTORS: &[(&str, &str)] = &[
    ("errgroup", "group(ctx)"),
    ("WithContext", "group(ctx)"),
    ("WaitGroup", "waitgroup()"),
    ("Mutex", "mutex()"),
    ("RWMutex", "rwmutex()"),
    ("NewCond", "cond(mu)"),
    ("NewTicker", "ticker()"),
    ("Tick", "ticker()"),
    ("NewTimer", "timer()"),
    ("WithCancel", "with_cancel(ctx)"),
    ("WithTimeout", "with_timeout(ctx)"),
    ("WithDeadline", "with_timeout(ctx)"),
    ("Background", "background()"),
    ("TODO", "background()"),
];

/// The most results a helper may return (`return (a, b, c, d)`).
const MAX_RESULTS: usize = 4;

/// The methods of synchronisation objects.
const METHODS: &[&str] =
    &["lock", "unlock", "rlock", "runlock", "add", "done", "wait", "signal", "broadcast", "do", "err"];

impl Lowerer {
    // ---- declarations -------------------------------------------------------

    /// How many results a helper returns (1 for a task), from its
    /// `return` statements: every one must give the same count (E0143), and
    /// a helper with several results must not reach its end.
    fn result_count(&mut self, f: &ast::FuncDecl) -> usize {
        let mut returns = Vec::new();
        collect_returns(&f.body, &mut returns);
        let Some(&(first, first_span)) = returns.iter().find(|(n, _)| *n > 1) else {
            return 1;
        };
        if f.is_task {
            self.errors.push(
                Diagnostic::error("E0143", first_span, "a task returns one result")
                    .with_label(format!("{first} values"))
                    .with_hint("return several results from a helper (`fn`), or send them on a channel"),
            );
            return 1;
        }
        if first > MAX_RESULTS {
            self.errors.push(
                Diagnostic::error(
                    "E0143",
                    first_span,
                    format!("a helper returns at most {MAX_RESULTS} results"),
                )
                .with_label(format!("{first} values"))
                .with_hint("return fewer results, or a struct that holds them"),
            );
            return 1;
        }
        for &(n, span) in &returns {
            if n != first {
                let given = match n {
                    0 => "no value".to_string(),
                    1 => "one value".to_string(),
                    n => format!("{n} values"),
                };
                self.errors.push(
                    Diagnostic::error(
                        "E0143",
                        span,
                        format!("`{}` returns {first} results, but this `return` gives {given}", f.name.text),
                    )
                    .with_label(given.clone())
                    .with_note(first_span, format!("{first} results here"))
                    .with_hint(
                        "every `return` of a helper gives the same number of results: `return (a, b)`",
                    ),
                );
            }
        }
        if !terminates(&f.body) {
            let end = Span::new(f.span.end.saturating_sub(1) as usize, f.span.end as usize);
            self.errors.push(
                Diagnostic::error(
                    "E0143",
                    end,
                    format!("`{}` can reach its end without returning its results", f.name.text),
                )
                .with_label("no `return` here")
                .with_note(first_span, format!("{first} results here"))
                .with_hint("end every path of the helper with `return (a, b)`"),
            );
        }
        // Even with a mismatch, the calls are checked against the first count.
        first
    }

    /// E0142: a task or helper named like a builtin or a constructor, which
    /// every call of that name would mean instead.
    fn check_builtin_name(&mut self, f: &ast::FuncDecl) {
        let name = &f.name.text;
        let Some(meaning) = builtin_meaning(name) else { return };
        let what = if f.is_task { "task" } else { "helper" };
        let other = match (f.is_task, BUILTINS.contains(&name.as_str())) {
            (true, _) => format!("{name}_task"),
            (false, true) => format!("{name}_all"),
            (false, false) => format!("new_{name}"),
        };
        self.errors.push(
            Diagnostic::error("E0142", f.name.span, format!("a {what} cannot be named `{name}`"))
                .with_label(format!("`{name}(...)` is the builtin that {meaning}"))
                .with_hint(format!("give the {what} another name, such as `{other}`")),
        );
    }

    fn declare(&mut self, file: &ast::File) {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        self.declare_structs(file, &mut seen);
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
                ast::Item::Struct(_) => {}
                ast::Item::Func(f) => {
                    self.check_builtin_name(f);
                    self.check_receiver(f);
                    if check_dup(&mut self.errors, &f.name) {
                        let mut params = Vec::new();
                        for p in &f.params {
                            let t = self.kinds.fresh();
                            if let (Some(_), Some(ann)) = (self.annotate(t, p.ty.as_ref()), &p.ty) {
                                self.errors.push(
                                    Diagnostic::error(
                                        "E0132",
                                        ann.span,
                                        "a parameter cannot declare a range",
                                    )
                                    .with_label("not enforced on parameters")
                                    .with_hint(
                                        "declare the range on the `var` passed in: `var n: int[0..3] = 0`",
                                    ),
                                );
                            }
                            params.push(t);
                        }
                        let ret = self.kinds.fresh();
                        let rest = (1..self.result_count(f)).map(|_| self.kinds.fresh()).collect();
                        self.func_index.insert(f.name.text.clone(), self.decls.len() as FuncId);
                        self.sigs.push(Sig { is_task: f.is_task, params, ret, rest });
                        self.decls.push((**f).clone());
                        self.funcs.push(None);
                    }
                }
            }
        }
        self.ref_slots = vec![Vec::new(); self.decls.len() + 1];
        self.passed = vec![Vec::new(); self.decls.len() + 1];
        self.local_kinds = vec![Vec::new(); self.decls.len() + 1];
    }

    /// Applies a type annotation to `ty`; returns an integer range if given.
    fn annotate(&mut self, ty: Ty, ann: Option<&ast::TypeExpr>) -> Option<(i16, i16)> {
        let ann = ann?;
        // A function value's kind is its signature, which its uses give.
        if ann.name.text == "fn" && ann.range.is_none() {
            return None;
        }
        if let Some(&s) = self.struct_index.get(&ann.name.text) {
            let st = self.structs[s as usize].ty;
            self.unify_at(ty, st, ann.span, "the annotation");
            if ann.range.is_some() {
                self.errors.push(
                    Diagnostic::error("E0103", ann.span, "a range needs `int` and `lo <= hi`")
                        .with_label("bad range")
                        .with_hint("write e.g. `int[0..3]`"),
                );
            }
            return None;
        }
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
                "map",
                "list",
            ];
            let mut d =
                Diagnostic::error("E0102", ann.name.span, format!("unknown type `{}`", ann.name.text))
                    .with_label("not a type");
            let structs = self.struct_index.keys().map(String::as_str);
            if let Some(s) = suggest(&ann.name.text, names.into_iter().chain(structs)) {
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

    /// A bound inside a function: a constant expression, with a clear error
    /// when it names a variable.
    fn bound(&mut self, f: &Fn, e: &ast::Expr) -> Option<i64> {
        let mut names = Vec::new();
        collect_names(e, &mut names);
        for n in names {
            if f.lookup(&n.text).is_some() || self.global_index.contains_key(&n.text) {
                self.errors.push(
                    Diagnostic::error("E0105", n.span, format!("`{}` is a variable, but a bound must be a constant", n.text))
                        .with_label("not known before the model runs")
                        .with_hint("declare it at model level: `const N = 3`; bounds must be fixed so the state space is finite"),
                );
                return None;
            }
        }
        self.const_eval(e)
    }

    /// Evaluates a constant expression (literals, constants, `+`, `-`).
    fn const_eval(&mut self, e: &ast::Expr) -> Option<i64> {
        let v = match &e.kind {
            E::Int(v) => Some(*v),
            E::Name(n) if !self.consts.contains_key(&n.text) => {
                let names: Vec<&str> = self.consts.keys().map(String::as_str).collect();
                let mut d = Diagnostic::error("E0125", n.span, format!("`{}` is not defined", n.text))
                    .with_label("unknown constant");
                if let Some(s) = suggest(&n.text, names) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                } else {
                    d = d.with_hint(format!("declare it: `const {} = 3`", n.text));
                }
                self.errors.push(d);
                return None;
            }
            E::Name(n) => self.consts.get(&n.text).copied(),
            E::Unary(ast::UnOp::Neg, x) => {
                let v = self.const_eval(x)?;
                v.checked_neg()
            }
            E::Binary(op @ (ast::BinOp::Add | ast::BinOp::Sub), a, b) => {
                let (x, y) = (self.const_eval(a)?, self.const_eval(b)?);
                if *op == ast::BinOp::Add {
                    x.checked_add(y)
                } else {
                    x.checked_sub(y)
                }
            }
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
            loop_vars: Vec::new(),
            ret,
            is_task,
            results: Vec::new(),
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
        for (i, (p, ty)) in decl.params.iter().zip(&sig.params).enumerate() {
            if let Some(first) = decl.params[..i].iter().find(|q| q.name.text == p.name.text) {
                self.errors.push(
                    Diagnostic::error(
                        "E0108",
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.text),
                    )
                    .with_label("duplicate parameter")
                    .with_note(first.name.span, "first declared here")
                    .with_hint("give each parameter its own name"),
                );
            }
            let slot = self.bind(&mut f, &p.name.text, *ty, false);
            f.locals[slot as usize].passed = Passed::AsParam(slot);
        }
        for &ty in &sig.rest {
            let slot = self.temp(&mut f, ty);
            f.results.push((slot, ty));
        }
        self.block(&mut f, &decl.body);
        self.finish(f, decl.name.text.clone(), decl.is_task, decl.params.len() as u16, decl.span)
    }

    /// Emits the implicit return and the deferred blocks.
    fn finish(&mut self, mut f: Fn, name: String, is_task: bool, params: u16, span: Span) -> Func {
        let end_span = Span::new(span.end.saturating_sub(1) as usize, span.end as usize);
        f.emit(Instr::Return { value: None }, end_span);
        let deferred = std::mem::take(&mut f.deferred);
        let mut deferred_calls = Vec::new();
        for (at, stmt, scopes) in deferred {
            let pc = f.pc();
            patch(&mut f.code, at, pc);
            let call = matches!(
                &stmt.kind,
                ast::StmtKind::Expr(ast::Expr {
                    kind: ast::ExprKind::Call { .. } | ast::ExprKind::Method { .. },
                    ..
                })
            );
            // `defer recover()` defers recover itself: Go's recover stops a
            // panic only when the deferred function calls it, so this one
            // recovers nothing.
            let bare_recover = matches!(
                &stmt.kind,
                ast::StmtKind::Expr(ast::Expr { kind: ast::ExprKind::Call { callee, args }, .. })
                    if callee.text == "recover" && args.is_empty() && f.lookup("recover").is_none()
            );
            let saved = std::mem::replace(&mut f.scopes, scopes);
            f.in_defer = !bare_recover;
            self.stmt(&mut f, &stmt);
            f.in_defer = false;
            // The helper a `defer f(x)` calls, after its operands' loads.
            let at_call = f.code[pc as usize..].iter().rposition(|i| matches!(i, Instr::Call { .. }));
            if let (true, Some(k)) = (call, at_call) {
                deferred_calls.push(pc + k as Pc);
            }
            f.scopes = saved;
            f.emit(Instr::EndDefer, stmt.span);
        }
        if f.code.len() > usize::from(u16::MAX) || f.locals.len() > usize::from(u16::MAX) {
            self.errors.push(
                Diagnostic::error("E0133", span, format!("`{name}` is too large"))
                    .with_label(format!("{} instructions, {} locals", f.code.len(), f.locals.len()))
                    .with_hint(
                        "a function may have at most 65535 instructions and locals: split it into helpers",
                    ),
            );
        }
        let results = f.results.iter().map(|&(slot, _)| slot).collect();
        let zero = self.zero_of(f.ret);
        let result_zeros = f.results.iter().map(|&(_, ty)| self.zero_of(ty)).collect();
        let slots = f.locals.iter().map(|l| l.is_var).collect();
        self.ref_slots[f.id as usize] = slots;
        self.passed[f.id as usize] = f.locals.iter().map(|l| l.passed).collect();
        self.local_kinds[f.id as usize] = f.locals.iter().map(|l| l.ty).collect();
        Func {
            name,
            is_task,
            params,
            locals: f.locals.into_iter().map(|l| l.name).collect(),
            silent: vec![false; f.code.len()],
            dead: Vec::new(),
            dead_in_call: Vec::new(),
            uses: Default::default(),
            results,
            zero,
            result_zeros,
            deferred_calls,
            code: f.code,
            spans: f.spans,
            span,
        }
    }

    fn bind(&mut self, f: &mut Fn, name: &str, ty: Ty, is_var: bool) -> u16 {
        let slot = f.locals.len() as u16;
        let passed = if is_var { Passed::Reference } else { Passed::Value };
        f.locals.push(Local { name: name.to_string(), ty, is_var, passed, depth: f.loops.len() });
        f.scopes.last_mut().expect("a scope").push((name.to_string(), slot));
        slot
    }

    fn temp(&mut self, f: &mut Fn, ty: Ty) -> u16 {
        let slot = f.locals.len() as u16;
        f.locals.push(Local {
            name: format!("${slot}"),
            ty,
            is_var: false,
            passed: Passed::Value,
            depth: f.loops.len(),
        });
        slot
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

/// The names an expression mentions.
fn collect_names<'a>(e: &'a ast::Expr, out: &mut Vec<&'a ast::Ident>) {
    match &e.kind {
        E::Name(n) => out.push(n),
        E::Unary(_, x) => collect_names(x, out),
        E::Binary(_, a, b) => {
            collect_names(a, out);
            collect_names(b, out);
        }
        _ => {}
    }
}

/// The `return` statements of a body (not of its anonymous tasks): how many
/// values each gives, and where.
fn collect_returns(b: &ast::Block, out: &mut Vec<(usize, Span)>) {
    for s in &b.stmts {
        match &s.kind {
            S::Return(values) => out.push((values.len(), s.span)),
            S::Select(cases) => cases.iter().for_each(|c| collect_returns(&c.body, out)),
            S::If { then, otherwise, .. } => {
                collect_returns(then, out);
                otherwise.iter().for_each(|o| collect_returns(o, out));
            }
            S::While { body, .. } | S::ForRange { body, .. } | S::ForChan { body, .. } => {
                collect_returns(body, out)
            }
            S::Loop(b) | S::Block(b) => collect_returns(b, out),
            S::Choose(bs) => bs.iter().for_each(|b| collect_returns(b, out)),
            _ => {}
        }
    }
}

/// Whether a block never reaches its end: it ends in a `return`, an `if`
/// whose branches both never do, a `choose` or `select` whose branches all
/// never do, or a `loop` without `break` (Go's terminating statements).
fn terminates(b: &ast::Block) -> bool {
    let Some(last) = b.stmts.iter().rev().find(|s| !matches!(s.kind, S::Error)) else {
        return false;
    };
    match &last.kind {
        S::Return(_) => true,
        S::Block(b) => terminates(b),
        S::If { then, otherwise: Some(o), .. } => terminates(then) && terminates(o),
        S::Choose(bs) => bs.iter().all(terminates),
        S::Select(cases) => cases.iter().all(|c| terminates(&c.body)),
        S::Loop(body) => !breaks(body),
        _ => false,
    }
}

/// Whether a loop body has a `break` that leaves it (not one of an inner loop).
fn breaks(b: &ast::Block) -> bool {
    b.stmts.iter().any(|s| match &s.kind {
        S::Break => true,
        S::Select(cases) => cases.iter().any(|c| breaks(&c.body)),
        S::If { then, otherwise, .. } => breaks(then) || otherwise.as_ref().is_some_and(breaks),
        S::Block(b) => breaks(b),
        S::Choose(bs) => bs.iter().any(breaks),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E0142 knows every builtin and constructor, and only those.
    #[test]
    fn builtin_meanings_cover_the_builtins_and_constructors() {
        let ctors = [
            "chan",
            "mutex",
            "rwmutex",
            "cond",
            "once",
            "waitgroup",
            "group",
            "background",
            "signal",
            "with_cancel",
            "with_timeout",
            "ticker",
            "timer",
        ];
        for name in BUILTINS.iter().chain(ctors.iter()) {
            assert!(builtin_meaning(name).is_some(), "{name} has no meaning for E0142");
        }
        for name in ctors {
            assert!(const_ctor(name), "{name} is not a constructor");
        }
        assert!(!const_ctor("fetch") && builtin_meaning("fetch").is_none());
    }
}
