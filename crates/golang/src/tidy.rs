//! From abstract jumps to Go: jumps to what comes next anyway are dropped,
//! `if`s whose branch leaves are flattened, loops get their Go heads
//! (`for cond`, `for v = range ch`, `for i = 0; i < n; i++`), jumps out of a
//! loop become `break`, and labels are named where Go needs them.

use crate::emit::FnCx;
use crate::go::{For, ForHead, If, Labels, Line, LineKind, Stmt};
use leash_ir::{BinOp, Const, Expr, Pc, UnOp};
use std::collections::BTreeSet;

/// What runs after a statement list ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Next {
    /// The code of this IR node.
    Node(Pc),
    /// The next iteration of the loop with this header.
    Loop(Pc),
    /// The function (or closure) returns.
    End,
    /// Something else.
    Opaque,
}

/// Tidies one region (its jumps stay within it) and names its labels in `cx.labels`.
pub(crate) fn region(stmts: Vec<Stmt>, cx: &FnCx) -> Vec<Stmt> {
    let stmts = fallthrough(stmts, Next::End);
    let stmts = flatten(stmts);
    let stmts = loops(stmts, Next::End, cx);
    let mut stmts = fallthrough(stmts, Next::End);
    let mut needs = Needs::default();
    resolve(&mut stmts, Next::End, &mut Vec::new(), &mut needs);
    name(&stmts, &needs, &mut cx.labels.borrow_mut(), &mut (0, 0));
    stmts
}

/// Where control enters a statement, as a `Next`.
fn entry(s: &Stmt) -> Next {
    match s {
        Stmt::Label(y) => Next::Node(*y),
        Stmt::For(f) => Next::Node(f.header),
        _ => Next::Opaque,
    }
}

/// Drops jumps to what follows anyway (and a bare `return` at the end).
fn fallthrough(list: Vec<Stmt>, next: Next) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(list.len());
    let mut cur = next;
    for s in list.into_iter().rev() {
        let s = match s {
            Stmt::Goto(y) if cur == Next::Node(y) => continue,
            Stmt::Continue(h) if cur == Next::Loop(h) => continue,
            Stmt::Line(l) if l.kind == (LineKind::Return { bare: true }) && cur == Next::End => continue,
            Stmt::If(mut i) => {
                i.then = fallthrough(i.then, cur);
                i.els = fallthrough(i.els, cur);
                Stmt::If(i)
            }
            Stmt::Select(mut cases, line) => {
                for c in &mut cases {
                    c.body = fallthrough(std::mem::take(&mut c.body), cur);
                }
                Stmt::Select(cases, line)
            }
            Stmt::Switch(tag, arms, line) => {
                Stmt::Switch(tag, arms.into_iter().map(|a| fallthrough(a, cur)).collect(), line)
            }
            Stmt::Block(b) => Stmt::Block(fallthrough(b, cur)),
            Stmt::For(mut f) => {
                f.body = fallthrough(f.body, Next::Loop(f.header));
                Stmt::For(f)
            }
            other => other,
        };
        cur = entry(&s);
        out.push(s);
    }
    out.reverse();
    out
}

/// `if c { ...; return } else { rest }` is `if c { ...; return }` then `rest`.
fn flatten(list: Vec<Stmt>) -> Vec<Stmt> {
    let ends = |b: &[Stmt]| b.last().is_some_and(Stmt::jumps);
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        match s {
            Stmt::If(i) => {
                let (then, els) = (flatten(i.then), flatten(i.els));
                if then.is_empty() && els.is_empty() && !may_panic(&i.cond.ir) {
                    // The locals the condition read stay read: Go refuses a
                    // variable that is set and never read.
                    if !i.cond.uses.is_empty() {
                        let text = format!("_ = {}", i.cond.text);
                        out.push(Stmt::Line(Line {
                            text,
                            uses: i.cond.uses,
                            line: i.line,
                            kind: LineKind::Plain,
                        }));
                    }
                    continue;
                }
                if ends(&then) && !els.is_empty() {
                    out.push(Stmt::If(If { then, els: Vec::new(), ..i }));
                    out.extend(els);
                } else if !els.is_empty() && (ends(&els) || then.is_empty()) {
                    out.push(Stmt::If(If { cond: i.cond.not(), then: els, els: Vec::new(), line: i.line }));
                    out.extend(then);
                } else {
                    out.push(Stmt::If(If { then, els, ..i }));
                }
            }
            Stmt::Select(mut cases, line) => {
                for c in &mut cases {
                    c.body = flatten(std::mem::take(&mut c.body));
                }
                out.push(Stmt::Select(cases, line));
            }
            Stmt::Switch(tag, arms, line) => {
                out.push(Stmt::Switch(tag, arms.into_iter().map(flatten).collect(), line))
            }
            Stmt::Block(b) => out.push(Stmt::Block(flatten(b))),
            Stmt::For(mut f) => {
                f.body = flatten(f.body);
                out.push(Stmt::For(f));
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether evaluating a condition can panic (an index out of range).
fn may_panic(e: &Expr) -> bool {
    matches!(e, Expr::Index(..)) || e.children().any(may_panic)
}

/// Gives loops their Go heads.
fn loops(list: Vec<Stmt>, next: Next, cx: &FnCx) -> Vec<Stmt> {
    let mut out: Vec<Stmt> = Vec::with_capacity(list.len());
    let mut cur = next;
    for s in list.into_iter().rev() {
        let s = match s {
            Stmt::For(mut f) => {
                f.body = loops(f.body, Next::Loop(f.header), cx);
                head(&mut f, cur, cx);
                Stmt::For(f)
            }
            Stmt::If(mut i) => {
                i.then = loops(i.then, cur, cx);
                i.els = loops(i.els, cur, cx);
                Stmt::If(i)
            }
            Stmt::Select(mut cases, line) => {
                for c in &mut cases {
                    c.body = loops(std::mem::take(&mut c.body), cur, cx);
                }
                Stmt::Select(cases, line)
            }
            Stmt::Switch(tag, arms, line) => {
                Stmt::Switch(tag, arms.into_iter().map(|a| loops(a, cur, cx)).collect(), line)
            }
            Stmt::Block(b) => Stmt::Block(loops(b, cur, cx)),
            other => other,
        };
        cur = entry(&s);
        out.push(s);
    }
    out.reverse();
    counted(out, cx)
}

/// `for { if !c { leave }; ... }` is `for c { ... }`; with a receive
/// first, `for v = range ch { ... }`. A perturbation point before the test
/// moves to the top of the body.
fn head(f: &mut For, next: Next, cx: &FnCx) {
    if !matches!(f.head, ForHead::Forever) {
        return;
    }
    let perturb = matches!(f.body.first(), Some(Stmt::Line(Line { kind: LineKind::Perturb, .. })));
    let at = usize::from(perturb);
    let leaves = |s: &Stmt| match s {
        Stmt::If(i) => {
            i.els.is_empty() && matches!(i.then.as_slice(), [Stmt::Goto(y)] if next == Next::Node(*y))
        }
        _ => false,
    };
    if let [Stmt::Line(Line { kind: LineKind::Recv { value, temp: from_temp, ok, chan, uses }, .. }), second, rest @ ..] =
        &f.body[at..]
    {
        let not_ok =
            matches!(second, Stmt::If(i) if i.cond.ir == Expr::Unary(UnOp::Not, Box::new(Expr::Local(*ok))));
        if leaves(second) && not_ok && cx.is_temp(*ok) {
            // The loop's variable is given the value received only when
            // there is one, as `range` does: the head names the variable
            // (`_` when nobody reads it), not the temporary received into.
            // A variable a function literal in the body reads (a deferred
            // block) stays out of the head: it outlives the loop, which
            // `go vet` would question in a `range`.
            let copied = match (rest.first(), from_temp) {
                (
                    Some(Stmt::Line(Line { kind: LineKind::Copy { place, slot, temp }, uses: more, .. })),
                    Some(t),
                ) if temp == t => {
                    if f.body.iter().any(|s| s.captures(*slot)) {
                        return;
                    }
                    Some((place.clone(), more.as_slice()))
                }
                // A received value the body reads in another way (a
                // variable made a cell, stored through its pointer) keeps
                // its temporary: the loop stays a plain `for`.
                (_, Some(t))
                    if rest.iter().any(|s| {
                        let mut read = Vec::new();
                        s.uses(&mut read);
                        read.contains(t)
                    }) =>
                {
                    return;
                }
                _ => None,
            };
            let without = |t: &Option<u16>, more: &[u16]| -> Vec<u16> {
                uses.iter().chain(more).copied().filter(|u| Some(*u) != *t).collect()
            };
            let (value, uses, taken) = match (copied, from_temp) {
                (Some((place, more)), _) => (place, without(from_temp, more), 3),
                (None, Some(_)) => ("_".to_string(), without(from_temp, &[]), 2),
                (None, None) => (value.clone(), uses.clone(), 2),
            };
            f.head = ForHead::Range { value, chan: chan.clone(), uses };
            f.body.drain(at..at + taken);
            return;
        }
    }
    if let Some(Stmt::If(i)) = f.body.get(at) {
        if leaves(&f.body[at]) {
            f.head = ForHead::While(i.cond.clone().not());
            f.body.remove(at);
            let is_perturb =
                |s: Option<&Stmt>| matches!(s, Some(Stmt::Line(Line { kind: LineKind::Perturb, .. })));
            if perturb && is_perturb(f.body.get(1)) {
                f.body.remove(0);
            }
        }
    }
}

/// `i = lo; for i < hi { ...; i = i + 1 }` is `for i = lo; i < hi; i++ { ... }`.
fn counted(mut list: Vec<Stmt>, cx: &FnCx) -> Vec<Stmt> {
    let mut i = 1;
    while i < list.len() {
        let (before, rest) = list.split_at_mut(i);
        if let (Stmt::Line(init @ Line { kind: LineKind::SetInt { slot, .. }, .. }), Stmt::For(f)) =
            (&before[i - 1], &mut rest[0])
        {
            let slot = *slot;
            let bound = matches!(&f.head, ForHead::While(c)
                if matches!(&c.ir, Expr::Binary(BinOp::Lt, x, y)
                    if **x == Expr::Local(slot) && matches!(**y, Expr::Const(Const::Int(_)))));
            let step_at = f.body.iter().rposition(|s| !matches!(s, Stmt::Label(_)));
            let stepped = step_at.is_some_and(|n| {
                n + 1 == f.body.len()
                    && matches!(&f.body[n], Stmt::Line(Line { kind: LineKind::Step { slot: s }, .. }) if *s == slot)
            });
            if bound && stepped {
                let n = step_at.expect("checked");
                f.body.remove(n);
                if let Some(Stmt::Label(step)) = n.checked_sub(1).and_then(|m| f.body.get(m)) {
                    let step = *step;
                    f.body.remove(n - 1);
                    continues(&mut f.body, step, f.header);
                }
                let ForHead::While(cond) = std::mem::replace(&mut f.head, ForHead::Forever) else {
                    unreachable!("checked")
                };
                f.head =
                    ForHead::Clause { init: init.clone(), cond, post: format!("{}++", cx.local_name(slot)) };
                list.remove(i - 1);
                continue;
            }
        }
        i += 1;
    }
    list
}

/// Jumps to the step of a counted loop are `continue`s of the loop.
fn continues(list: &mut [Stmt], step: Pc, header: Pc) {
    for s in list {
        match s {
            Stmt::Goto(y) if *y == step => *s = Stmt::Continue(header),
            Stmt::If(i) => {
                continues(&mut i.then, step, header);
                continues(&mut i.els, step, header);
            }
            Stmt::Select(cases, _) => cases.iter_mut().for_each(|c| continues(&mut c.body, step, header)),
            Stmt::Switch(_, arms, _) => arms.iter_mut().for_each(|a| continues(a, step, header)),
            Stmt::Block(b) => continues(b, step, header),
            Stmt::For(f) => continues(&mut f.body, step, header),
            _ => {}
        }
    }
}

/// What encloses a statement, for `break` and `continue`.
enum Encl {
    For {
        header: Pc,
        next: Next,
    },
    /// A `select` or `switch`: a plain `break` would leave it.
    Other,
}

#[derive(Default)]
struct Needs {
    loops: BTreeSet<Pc>,
    gotos: BTreeSet<Pc>,
}

/// Jumps out of loops become `break`; notes the labels Go needs.
fn resolve(list: &mut [Stmt], next: Next, stack: &mut Vec<Encl>, needs: &mut Needs) {
    let mut cur = next;
    for s in list.iter_mut().rev() {
        match s {
            Stmt::Goto(y) => {
                let out = stack.iter().rev().find_map(|e| match e {
                    Encl::For { header, next } if *next == Next::Node(*y) => Some(*header),
                    _ => None,
                });
                match out {
                    Some(h) => *s = Stmt::Break(h),
                    None => {
                        needs.gotos.insert(*y);
                    }
                }
            }
            Stmt::If(i) => {
                resolve(&mut i.then, cur, stack, needs);
                resolve(&mut i.els, cur, stack, needs);
            }
            Stmt::Select(cases, _) => {
                stack.push(Encl::Other);
                cases.iter_mut().for_each(|c| resolve(&mut c.body, cur, stack, needs));
                stack.pop();
            }
            Stmt::Switch(_, arms, _) => {
                stack.push(Encl::Other);
                arms.iter_mut().for_each(|a| resolve(a, cur, stack, needs));
                stack.pop();
            }
            Stmt::Block(b) => resolve(b, cur, stack, needs),
            Stmt::For(f) => {
                stack.push(Encl::For { header: f.header, next: cur });
                resolve(&mut f.body, Next::Loop(f.header), stack, needs);
                stack.pop();
            }
            _ => {}
        }
        match s {
            Stmt::Break(h) if !matches!(stack.last(), Some(Encl::For { header, .. }) if header == h) => {
                needs.loops.insert(*h);
            }
            Stmt::Continue(h) => {
                let inner = stack.iter().rev().find_map(|e| match e {
                    Encl::For { header, .. } => Some(*header),
                    Encl::Other => None,
                });
                if inner != Some(*h) {
                    needs.loops.insert(*h);
                }
            }
            _ => {}
        }
        cur = entry(s);
    }
}

/// Names the labels Go needs, in the order they appear: `loop`, `loop2`, ...
/// for loops, `next`, `next2`, ... for `goto` targets.
fn name(list: &[Stmt], needs: &Needs, labels: &mut Labels, counts: &mut (usize, usize)) {
    let fresh = |base: &str, n: &mut usize| {
        *n += 1;
        if *n == 1 {
            base.to_string()
        } else {
            format!("{base}{n}")
        }
    };
    for s in list {
        match s {
            Stmt::Label(y) if needs.gotos.contains(y) && !labels.names.contains_key(y) => {
                let name = if needs.loops.contains(y) {
                    fresh("loop", &mut counts.0)
                } else {
                    fresh("next", &mut counts.1)
                };
                labels.names.insert(*y, name);
            }
            Stmt::For(f) => {
                if needs.loops.contains(&f.header) && !labels.names.contains_key(&f.header) {
                    labels.names.insert(f.header, fresh("loop", &mut counts.0));
                }
                name(&f.body, needs, labels, counts);
            }
            Stmt::If(i) => {
                name(&i.then, needs, labels, counts);
                name(&i.els, needs, labels, counts);
            }
            Stmt::Select(cases, _) => cases.iter().for_each(|c| name(&c.body, needs, labels, counts)),
            Stmt::Switch(_, arms, _) => arms.iter().for_each(|a| name(a, needs, labels, counts)),
            Stmt::Block(b) => name(b, needs, labels, counts),
            _ => {}
        }
    }
}
