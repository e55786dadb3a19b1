//! Instructions and expressions as Go: the model-wide context ([`Model`]) and
//! one function's ([`FnCx`]), which translates each non-control instruction
//! into statements and each control instruction's parts (conditions, select
//! cases) for the structurer. `expr` holds expressions, places and
//! constructors; `instr` the instructions.

use crate::go::{Cond, Labels, LineKind, Stmt};
use crate::kinds::{Kind, Kinds};
use crate::names::Names;
use crate::refs::{visit_exprs, Refs};
use leash_ir::{
    BinOp, Callee, CaseKind, Const, Ctor, Elem, Expr, Func, FuncId, Instr, Op, Pc, Place, Program, UnOp,
};
use leash_syntax::{Diagnostic, LineIndex, Span};
use std::cell::{Cell, RefCell};

mod expr;
mod instr;

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
    /// The makers of function values (see `closure`), by name: the rest of
    /// the maker's header, the head of the literal it returns, and the
    /// literal's body.
    pub(crate) makers: RefCell<std::collections::BTreeMap<String, [String; 3]>>,
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
            makers: RefCell::default(),
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
        // A helper's results after the first are read by its returns (the
        // IR reads them when the frame is popped): never folded, never `_`.
        for &r in &func.results {
            reads[r as usize] += 2;
        }
        // A local copied only into a local nobody reads (the value of a
        // `for v in ch` whose `v` is unused, a shadowing `let` never read)
        // is not read either: the copy is not written. Until no more copies
        // are dropped, as a dropped copy may leave its source unread.
        let mut dropped = vec![false; func.code.len()];
        loop {
            let mut changed = false;
            for (pc, i) in func.code.iter().enumerate() {
                if let Instr::Assign { dst: Place::Bind(s) | Place::Local(s), value: Expr::Local(t) } = i {
                    if !dropped[pc] && reads[*s as usize] == 0 && !m.refs.is_ref(f, *s) {
                        dropped[pc] = true;
                        reads[*t as usize] -= 1;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
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
            // A use that is a step of its own keeps its own statement, after
            // a perturbation point: another goroutine may run in between, as
            // between leash's two steps (a load, then its store).
            if targeted[w + 1] || !falls_through(&code[w]) || skip[w] || !func.silent[w + 1] {
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
        Instr::Defer { block, .. } => vec![*block],
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
        Instr::Call { dst, rest, .. } => {
            opt(dst, f);
            for p in rest {
                f(p);
            }
        }
        Instr::Spawn { dst, .. } | Instr::Work { dst, .. } | Instr::Op { dst, .. } => opt(dst, f),
        _ => {}
    }
}
