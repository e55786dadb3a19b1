//! A stable text form of the IR, for snapshot tests and `leash parse --ir`.

use crate::{Callee, CaseKind, Const, Ctor, Elem, Expr, Instr, Place, Program};
use std::fmt::Write;

/// Prints the whole program, one instruction per line; `~` marks silent ones.
pub fn pretty(p: &Program) -> String {
    let mut out = String::new();
    for (i, g) in p.globals.iter().enumerate() {
        let range = g.range.map(|(lo, hi)| format!(": int[{lo}..{hi}]")).unwrap_or_default();
        let _ = writeln!(out, "global g{i} {}{range}", g.name);
    }
    for (id, f) in p.funcs.iter().enumerate() {
        let kind = if f.is_task { "task" } else { "fn" };
        let params: Vec<&str> = f.locals[..f.params as usize].iter().map(String::as_str).collect();
        let _ = writeln!(out, "{kind} f{id} {}({}):", f.name, params.join(", "));
        for (pc, instr) in f.code.iter().enumerate() {
            let mark = if f.silent[pc] { '~' } else { ' ' };
            let _ = writeln!(out, "  {pc:>3}{mark} {}", instr_text(p, &f.locals, instr));
        }
    }
    out
}

fn instr_text(p: &Program, locals: &[String], i: &Instr) -> String {
    let e = |x: &Expr| expr(p, locals, x);
    let pl = |x: &Place| place(p, locals, x);
    let dst = |d: &Option<Place>| d.as_ref().map(|d| format!("{} = ", pl(d))).unwrap_or_default();
    match i {
        Instr::Assign { dst, value } => format!("{} = {}", pl(dst), e(value)),
        Instr::Exit => "exit".into(),
        Instr::MapNext { iter, map, key, value, found } => {
            let k = key.as_ref().map_or("_".into(), pl);
            let v = value.as_ref().map_or("_".into(), pl);
            format!("({k}, {v}, {}) = next {} of {}", pl(found), e(iter), e(map))
        }
        Instr::New { dst, ctor: c } => format!("{} = new {}", pl(dst), ctor(p, locals, c)),
        Instr::Send { chan, value } => format!("send {}, {}", e(chan), e(value)),
        Instr::Recv { chan, value, ok, .. } => {
            let v = value.as_ref().map_or("_".into(), pl);
            let o = ok.as_ref().map_or("_".into(), pl);
            format!("({v}, {o}) = recv {}", e(chan))
        }
        Instr::Select { cases, default } => {
            let mut parts: Vec<String> = cases
                .iter()
                .map(|c| {
                    let head = match &c.kind {
                        CaseKind::Recv { chan, value, ok, .. } => {
                            let v = value.as_ref().map_or("_".into(), pl);
                            let o = ok.as_ref().map_or("_".into(), pl);
                            format!("recv {} as ({v}, {o})", e(chan))
                        }
                        CaseKind::Send { chan, value } => format!("send {}, {}", e(chan), e(value)),
                        CaseKind::After => "after".into(),
                    };
                    format!("{head} -> {}", c.target)
                })
                .collect();
            if let Some(d) = default {
                parts.push(format!("default -> {d}"));
            }
            format!("select {{ {} }}", parts.join("; "))
        }
        Instr::Spawn { func, args, dst: d, group, detached } => {
            let g = group.as_ref().map(|g| format!(" in {}", e(g))).unwrap_or_default();
            let how = if *detached { "spawn detached" } else { "spawn" };
            format!("{}{how} {}({}){g}", dst(d), p.func(*func).name, list(p, locals, args))
        }
        Instr::Join { task } => format!("join {}", e(task)),
        Instr::Recover { dst: d, .. } => format!("{}recover()", dst(d)),
        Instr::Work { name, ctx, dst: d } => {
            let c = ctx.as_ref().map(|c| format!("({})", e(c))).unwrap_or_default();
            format!("{}work {}{c}", dst(d), p.works[*name as usize])
        }
        Instr::Call { callee, args, dst: d, rest } => {
            let c = match callee {
                Callee::Static(f) => p.func(*f).name.clone(),
                Callee::Dynamic(x) => e(x),
            };
            let more: String = rest.iter().map(|r| format!(", {}", pl(r))).collect();
            let d = match (d, rest.is_empty()) {
                (Some(first), false) => format!("({}{more}) = ", pl(first)),
                _ => dst(d),
            };
            format!("{d}call {c}({})", list(p, locals, args))
        }
        Instr::Return { value } => match value {
            Some(v) => format!("return {}", e(v)),
            None => "return".into(),
        },
        Instr::Jump { target } => format!("jump {target}"),
        Instr::Branch { cond, target } => format!("unless {} jump {target}", e(cond)),
        Instr::Choose { targets } => format!("choose {targets:?}"),
        Instr::Defer { block, capture } => {
            let c: Vec<String> =
                capture.iter().map(|(slot, x)| format!("{} = {}", local(locals, *slot), e(x))).collect();
            if c.is_empty() {
                format!("defer {block}")
            } else {
                format!("defer {block} with {}", c.join(", "))
            }
        }
        Instr::EndDefer => "end defer".into(),
        Instr::Op { op, target, arg, dst: d } => {
            let a = arg.as_ref().map(|a| format!(", {}", e(a))).unwrap_or_default();
            format!("{}{op:?}({}{a})", dst(d), e(target))
        }
        Instr::OnceEnter { once, skip } => format!("once enter {} else jump {skip}", e(once)),
        Instr::OnceExit { once } => format!("once exit {}", e(once)),
        Instr::Assert { cond } => format!("assert {}", e(cond)),
        Instr::Sleep => "sleep".into(),
        Instr::Yield => "yield".into(),
    }
}

fn list(p: &Program, locals: &[String], xs: &[Expr]) -> String {
    xs.iter().map(|x| expr(p, locals, x)).collect::<Vec<_>>().join(", ")
}

fn ctor(p: &Program, locals: &[String], c: &Ctor) -> String {
    let e = |x: &Expr| expr(p, locals, x);
    match c {
        Ctor::Chan(cap) => format!("chan({})", e(cap)),
        Ctor::Cond(m) => format!("cond({})", e(m)),
        Ctor::Group { ctx, limit } => {
            let args: Vec<String> = ctx.iter().chain(limit).map(e).collect();
            format!("group({})", args.join(", "))
        }
        Ctor::WithCancel(x) => format!("with_cancel({})", e(x)),
        Ctor::WithTimeout(x) => format!("with_timeout({})", e(x)),
        Ctor::Cell { init, range } => {
            let r = range.map(|(lo, hi)| format!(": int[{lo}..{hi}]")).unwrap_or_default();
            format!("var{r} {}", e(init))
        }
        Ctor::Share(x) => format!("share {}", e(x)),
        Ctor::Array { elem, len } => match &**elem {
            Elem::Ctor(c) => format!("[{}; {len}]", ctor(p, locals, c)),
            Elem::Value(v) => format!("[{}; {len}]", e(v)),
        },
        Ctor::Struct { def, fields } => {
            let d = &p.structs[*def as usize];
            let fields: Vec<String> = d
                .fields
                .iter()
                .zip(fields)
                .map(|(n, x)| match x {
                    Elem::Ctor(c) => format!("{n}: {}", ctor(p, locals, c)),
                    Elem::Value(v) => format!("{n}: {}", e(v)),
                })
                .collect();
            format!("{} {{ {} }}", d.name, fields.join(", "))
        }
        Ctor::Ticker { short: true } => "ticker(short)".into(),
        Ctor::Timer { short: true } => "timer(short)".into(),
        Ctor::Ticker { short: false } => "ticker".into(),
        Ctor::Timer { short: false } => "timer".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn place(p: &Program, locals: &[String], x: &Place) -> String {
    match x {
        Place::Bind(s) => format!("let {}", local(locals, *s)),
        Place::Local(s) => local(locals, *s),
        Place::Global(g) => p.globals[*g as usize].name.clone(),
        Place::Index(a, i) => format!("{}[{}]", expr(p, locals, a), expr(p, locals, i)),
        Place::Field(a, r) => format!("{}.{}", expr(p, locals, a), field_name(p, *r)),
        Place::MapEntry(m, k) => format!("{}[{}]", expr(p, locals, m), expr(p, locals, k)),
    }
}

fn field_name(p: &Program, r: crate::FieldRef) -> &str {
    &p.structs[r.def as usize].fields[r.index as usize]
}

fn local(locals: &[String], s: u16) -> String {
    locals.get(s as usize).cloned().unwrap_or_else(|| format!("${s}"))
}

fn expr(p: &Program, locals: &[String], x: &Expr) -> String {
    let e = |x: &Expr| expr(p, locals, x);
    match x {
        Expr::Const(c) => match c {
            Const::Unit => "()".into(),
            Const::Bool(b) => b.to_string(),
            Const::Int(i) => i.to_string(),
            Const::Atom(a) => format!(":{}", p.atoms[*a as usize]),
            Const::Ok => "ok".into(),
            Const::Err => "err".into(),
            Const::Nil => "nil".into(),
            Const::Func(f) => p.func(*f).name.clone(),
        },
        Expr::Local(s) => local(locals, *s),
        Expr::Raw(s) => format!("&{}", local(locals, *s)),
        Expr::Global(g) => p.globals[*g as usize].name.clone(),
        Expr::GlobalRef(g) => format!("&{}", p.globals[*g as usize].name),
        Expr::Done(c) => format!("{}.done", e(c)),
        Expr::CtxErr(c) => format!("{}.err()", e(c)),
        Expr::GroupCtx(g) => format!("{}.ctx", e(g)),
        Expr::TimerChan(t, _) => e(t),
        Expr::Index(a, i) => format!("{}[{}]", e(a), e(i)),
        Expr::Field(a, r) => format!("{}.{}", e(a), field_name(p, *r)),
        Expr::MapGet(m, k, _) => format!("{}[{}]", e(m), e(k)),
        Expr::MapHas(m, k) => format!("has({}, {})", e(m), e(k)),
        Expr::Len(m, _) => format!("len({})", e(m)),
        Expr::Unary(op, a) => format!("{}{}", if matches!(op, crate::UnOp::Not) { "!" } else { "-" }, e(a)),
        Expr::Binary(op, a, b) => format!("({} {op:?} {})", e(a), e(b)),
    }
}
