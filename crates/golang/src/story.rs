//! A task's exit story, read off the IR: who starts it, how it can return
//! (after which select case, when which condition holds), where it can wait
//! and for what, and what it does on its way out. It becomes the doc comment
//! of the task's Go function.

use crate::cfg::Region;
use crate::emit::Model;
use crate::kinds::Kind;
use leash_ir::{BinOp, CaseKind, Const, Ctor, Expr, FuncId, Instr, Op, Pc, Place};

/// The comment lines (without `// `) of function `f`.
pub(crate) fn story(m: &Model, f: FuncId) -> Vec<String> {
    let func = m.p.func(f);
    let go = &m.names.funcs[f as usize];
    let at = m.line(func.span);
    if !func.is_task {
        return vec![format!("{go} is the model's helper `{}` (line {at}).", func.name)];
    }
    let mut out = vec![format!("{go} is the model's task `{}` (line {at}){}.", func.name, starters(m, f))];
    let Ok(r) = Region::new(func, 0) else {
        return out;
    };
    out.push(String::new());
    let returns: Vec<Pc> = r
        .order
        .iter()
        .copied()
        .filter(|&pc| matches!(func.code[pc as usize], Instr::Return { .. }))
        .collect();
    if returns.is_empty() {
        let header = r.order.iter().find(|&&pc| r.is_header(pc)).copied();
        let line = header.map_or(at, |pc| m.line(func.spans[pc as usize]));
        out.push(format!("Exit story: it never returns (the loop of line {line} has no way out)."));
    } else {
        out.push("Exit story: it returns".to_string());
        for pc in returns {
            out.push(format!("  - {}", how_it_returns(m, f, &r, pc)));
        }
    }
    let mut at_pcs: Vec<Pc> = r.order.clone();
    at_pcs.sort_by_key(|&pc| (m.line(func.spans[pc as usize]), pc));
    let waits: Vec<String> = at_pcs.iter().filter_map(|&pc| wait(m, f, pc)).collect();
    if !waits.is_empty() {
        out.push(String::new());
        out.push("It can wait at".to_string());
        out.extend(waits.into_iter().map(|w| format!("  - {w}")));
    }
    let defers: Vec<String> = r
        .order
        .iter()
        .filter_map(|&pc| match func.code[pc as usize] {
            Instr::Defer { block, .. } => {
                let span = func.spans[block as usize];
                Some(format!("`{}` (line {})", m.text(span), m.line(span)))
            }
            _ => None,
        })
        .collect();
    if !defers.is_empty() {
        out.push(String::new());
        out.push(format!("On its way out it runs {}, last deferred first.", defers.join(", ")));
    }
    out
}

/// ", started by main (line 9)".
fn starters(m: &Model, f: FuncId) -> String {
    let mut sites = Vec::new();
    for g in &m.p.funcs {
        for (pc, i) in g.code.iter().enumerate() {
            if let Instr::Spawn { func, group, .. } = i {
                if *func == f {
                    let how = if group.is_some() { " in a group" } else { "" };
                    let site = format!("{}{how} (line {})", g.name, m.line(g.spans[pc]));
                    if !sites.contains(&site) {
                        sites.push(site);
                    }
                }
            }
        }
    }
    if sites.is_empty() {
        if f == m.p.main {
            return ", started by the harness".to_string();
        }
        return String::new();
    }
    format!(", started by {}", sites.join(", "))
}

/// "at line 20, after `recv ctx.done`".
fn how_it_returns(m: &Model, f: FuncId, r: &Region, ret: Pc) -> String {
    let func = m.p.func(f);
    // The implicit return at the end of a body has the closing brace as its span.
    let end = m.text(func.spans[ret as usize]) == "}";
    let mut why = Vec::new();
    let mut child = ret;
    let mut d = ret;
    while d != r.entry && why.len() < 2 {
        let parent = r.idom(d);
        if let Some(w) = decision(m, f, r, parent, child) {
            why.push(w);
        }
        child = parent;
        d = parent;
    }
    let place = if end {
        "at the end of its body".to_string()
    } else {
        format!("at line {}", m.line(func.spans[ret as usize]))
    };
    if why.is_empty() {
        place
    } else {
        format!("{place}, {}", why.join(", "))
    }
}

/// Why control went from multiway node `d` towards `child`.
fn decision(m: &Model, f: FuncId, r: &Region, d: Pc, child: Pc) -> Option<String> {
    let func = m.p.func(f);
    let succ = &r.succ[d as usize];
    // The arm that leads there, if only that arm does.
    let arm = succ.iter().position(|&s| r.dominates(s, child) && r.in_edges(s) == 1)?;
    match &func.code[d as usize] {
        Instr::Select { cases, .. } => Some(match cases.get(arm) {
            Some(c) => format!("after `{}`", head(m.text(c.span))),
            None => "after `default`".to_string(),
        }),
        Instr::Branch { cond, .. } => {
            let text = head(m.text(func.spans[d as usize]));
            let temp = |e: &Expr| matches!(e, Expr::Local(s) if func.locals[*s as usize].starts_with('$'));
            match cond {
                Expr::Binary(BinOp::Eq, x, y) if temp(x) && **y == Expr::Const(Const::Err) => {
                    (arm == 0).then(|| format!("when `{text}` fails"))
                }
                Expr::Local(_) if temp(cond) => {
                    (arm == 1).then(|| format!("once `{text}` is closed and drained"))
                }
                // A loop's test: the exit arm ends the loop.
                _ if r.is_header(d) && text.starts_with("for ") => {
                    (arm == 1).then(|| format!("after the loop `{text}`"))
                }
                _ if r.is_header(d) => (arm == 1).then(|| format!("once `{text}` no longer holds")),
                _ if arm == 0 => Some(format!("when `{text}`")),
                _ => Some(format!("when not `{text}`")),
            }
        }
        Instr::Choose { .. } => Some(format!("in branch {} of `choose`", arm + 1)),
        _ => None,
    }
}

/// A statement's head: the text before `=>` or `{`.
fn head(text: &str) -> &str {
    let cut = text.find("=>").or_else(|| text.find('{')).unwrap_or(text.len());
    text[..cut].trim()
}

/// "line 18, `send out`: until a task takes the value ...".
fn wait(m: &Model, f: FuncId, pc: Pc) -> Option<String> {
    let func = m.p.func(f);
    let n = |e: &Expr| name(m, f, e);
    let until = match &func.code[pc as usize] {
        Instr::Send { chan, .. } => {
            format!("until a task receives from {} (or its buffer has room)", n(chan))
        }
        Instr::Recv { chan, .. } => receive(m, f, chan),
        Instr::Select { cases, default: None } if cases.is_empty() => "forever".to_string(),
        Instr::Select { cases, default: None } => {
            let each: Vec<String> = cases
                .iter()
                .map(|c| match &c.kind {
                    CaseKind::Recv { chan, .. } => {
                        receive(m, f, chan).trim_start_matches("until ").to_string()
                    }
                    CaseKind::Send { chan, .. } => format!("a task receives from {}", n(chan)),
                    CaseKind::After => "its timeout passes".to_string(),
                })
                .collect();
            format!("until {}", each.join(", or "))
        }
        Instr::Join { task } => format!("until task {} has exited", n(task)),
        Instr::Spawn { group: Some(g), .. } if !unlimited(m, f, g) => {
            format!("while group {} runs as many tasks as its limit", n(g))
        }
        Instr::OnceEnter { once, .. } => format!("while another task runs {}.do", n(once)),
        Instr::Op { op, target, .. } => {
            let t = n(target);
            match op {
                Op::Lock | Op::WLock => format!("until {t} is unlocked"),
                Op::RLock => format!("until {t} has no writer"),
                Op::WgWait => format!("until the counter of {t} is zero"),
                Op::GroupWait => format!("until every task of group {t} has returned"),
                Op::CondWait => format!("until {t} is signalled"),
                _ => return None,
            }
        }
        _ => return None,
    };
    let span = func.spans[pc as usize];
    Some(format!("line {}, `{}`: {until}", m.line(span), head(m.text(span))))
}

/// Whether a group is made in this function without a limit (directly, or
/// through the lowering's temporary).
fn unlimited(m: &Model, f: FuncId, g: &Expr) -> bool {
    let Expr::Local(slot) = g else { return false };
    let code = &m.p.func(f).code;
    let made_at = |slot: u16| {
        code.iter().any(|i| {
            matches!(i, Instr::New { dst: Place::Bind(s), ctor: Ctor::Group { limit: None, .. } } if *s == slot)
        })
    };
    made_at(*slot)
        || code.iter().any(|i| {
            matches!(i, Instr::Assign { dst: Place::Bind(s), value: Expr::Local(t) } if s == slot && made_at(*t))
        })
}

fn receive(m: &Model, f: FuncId, chan: &Expr) -> String {
    match (chan, m.kinds.expr(m.p, f, chan)) {
        (Expr::Done(c), _) => format!("until {} is cancelled", name(m, f, c)),
        (_, Kind::Ticker) => format!("until {} ticks", name(m, f, chan)),
        (_, Kind::Timer) => format!("until {} fires", name(m, f, chan)),
        _ => format!("until {} delivers a value or is closed", name(m, f, chan)),
    }
}

/// An operand as the model names it.
fn name(m: &Model, f: FuncId, e: &Expr) -> String {
    let func = m.p.func(f);
    match e {
        Expr::Local(s) | Expr::Raw(s) => {
            let l = &func.locals[*s as usize];
            if l.starts_with('$') {
                "a value".to_string()
            } else {
                format!("`{l}`")
            }
        }
        Expr::Global(g) | Expr::GlobalRef(g) => format!("`{}`", m.p.globals[*g as usize].name),
        Expr::Done(c) => format!("{}.done", name(m, f, c)),
        Expr::GroupCtx(g) => format!("{}.ctx", name(m, f, g)),
        Expr::TimerChan(t, _) => name(m, f, t),
        Expr::Index(a, _) => format!("an element of {}", name(m, f, a)),
        Expr::Field(a, r) => {
            format!("{}.{}", name(m, f, a), m.p.structs[r.def as usize].fields[r.index as usize])
        }
        Expr::Const(Const::Nil) => "`nil` (never)".to_string(),
        _ => "a value".to_string(),
    }
}
