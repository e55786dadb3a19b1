//! Evaluating IR expressions and storing into places, for one task's top frame.

use crate::state::{Object, State, Value};
use leash_ir::{BinOp, Const, Expr, Instr, LenOf, Place, UnOp};

/// A run-time failure: the message a Go panic would print.
pub(crate) type Fault = String;

pub(crate) fn constant(c: Const) -> Value {
    match c {
        Const::Unit => Value::Unit,
        Const::Bool(b) => Value::Bool(b),
        Const::Int(i) => Value::Int(i),
        Const::Atom(a) => Value::Atom(a),
        Const::Ok => Value::Ok,
        Const::Err => Value::Err,
        Const::Nil => Value::Nil,
        Const::Func(f) => Value::Func(f),
    }
}

fn cell(s: &State, c: u16) -> Result<Value, Fault> {
    match s.heap.get(c as usize) {
        Some(Object::Cell { value, .. }) => Ok(*value),
        _ => Err("invalid reference".into()),
    }
}

/// Evaluates `e` in the top frame of task `slot`.
pub(crate) fn eval(s: &State, slot: usize, e: &Expr) -> Result<Value, Fault> {
    let frame = s.tasks[slot].frames.last().ok_or("task has exited")?;
    let local = |i: u16| frame.locals.get(i as usize).copied().ok_or_else(|| Fault::from("bad local"));
    Ok(match e {
        Expr::Const(c) => constant(*c),
        Expr::Local(i) => match local(*i)? {
            Value::Ref(c) => cell(s, c)?,
            v => v,
        },
        Expr::Raw(i) => local(*i)?,
        Expr::Global(g) => cell(s, *g)?,
        Expr::GlobalRef(g) => Value::Ref(*g),
        Expr::TimerChan(t, _) => match eval(s, slot, t)? {
            Value::Nil => return Err(NIL_DEREFERENCE.into()),
            v => v,
        },
        Expr::Done(c) => match eval(s, slot, c)? {
            Value::Obj(o) => Value::Done(o),
            _ => return Err("done of a non-context".into()),
        },
        Expr::CtxErr(c) => match eval(s, slot, c)? {
            Value::Obj(o) if s.ctx_done(o) => Value::Err,
            Value::Obj(_) => Value::Ok,
            _ => return Err("err of a non-context".into()),
        },
        Expr::GroupCtx(g) => match eval(s, slot, g)? {
            Value::Obj(o) => match s.heap.get(o as usize) {
                Some(Object::Group { ctx, .. }) => Value::Obj(*ctx),
                _ => return Err("ctx of a non-group".into()),
            },
            _ => return Err("ctx of a non-group".into()),
        },
        Expr::Index(a, i) => {
            let (arr, idx) = (eval(s, slot, a)?, eval(s, slot, i)?);
            match (arr, idx) {
                (Value::Obj(o), Value::Int(i)) => match s.heap.get(o as usize) {
                    Some(Object::Array(xs)) => {
                        *xs.get(usize::try_from(i).unwrap_or(usize::MAX)).ok_or_else(|| {
                            format!("runtime error: index out of range [{i}] with length {}", xs.len())
                        })?
                    }
                    _ => return Err("index of a non-array".into()),
                },
                _ => return Err("bad index".into()),
            }
        }
        Expr::MapGet(m, k, zero) => {
            let (xs, k) = (map_entries(s, eval(s, slot, m)?)?, eval(s, slot, k)?);
            match entry(xs, k) {
                Some(i) => xs[i + 1],
                None => constant(*zero),
            }
        }
        Expr::MapHas(m, k) => {
            let (xs, k) = (map_entries(s, eval(s, slot, m)?)?, eval(s, slot, k)?);
            Value::Bool(entry(xs, k).is_some())
        }
        Expr::Len(ch, LenOf::Chan) => match eval(s, slot, ch)? {
            Value::Nil => Value::Int(0),
            Value::Obj(o) => match s.heap.get(o as usize) {
                Some(Object::Chan { buf, .. }) => Value::Int(buf.len() as i16),
                _ => return Err("not a channel".into()),
            },
            _ => return Err("not a channel".into()),
        },
        Expr::Len(m, of) => {
            let n = map_entries(s, eval(s, slot, m)?)?.len();
            Value::Int(if *of == LenOf::Map { n / 2 } else { n } as i16)
        }
        Expr::Field(a, r) => match eval(s, slot, a)? {
            Value::Obj(o) => match s.heap.get(o as usize) {
                Some(Object::Array(xs)) => *xs.get(r.index as usize).ok_or("bad field")?,
                _ => return Err("field of a non-struct".into()),
            },
            Value::Nil => return Err(NIL_DEREFERENCE.into()),
            _ => return Err("field of a non-struct".into()),
        },
        Expr::Unary(op, a) => match (op, eval(s, slot, a)?) {
            (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
            (UnOp::Neg, Value::Int(i)) => Value::Int(i.checked_neg().ok_or("integer overflow")?),
            _ => return Err("bad operand".into()),
        },
        Expr::Binary(op, a, b) => {
            let x = eval(s, slot, a)?;
            if let (BinOp::And | BinOp::Or, Value::Bool(xb)) = (op, x) {
                if (*op == BinOp::And) != xb {
                    return Ok(Value::Bool(xb));
                }
                return eval(s, slot, b);
            }
            let y = eval(s, slot, b)?;
            match (op, x, y) {
                (BinOp::Eq, x, y) => Value::Bool(x == y),
                (BinOp::Ne, x, y) => Value::Bool(x != y),
                (op, Value::Int(x), Value::Int(y)) => match op {
                    BinOp::Lt => Value::Bool(x < y),
                    BinOp::Le => Value::Bool(x <= y),
                    BinOp::Gt => Value::Bool(x > y),
                    BinOp::Ge => Value::Bool(x >= y),
                    BinOp::Add => Value::Int(x.checked_add(y).ok_or("integer overflow")?),
                    BinOp::Sub => Value::Int(x.checked_sub(y).ok_or("integer overflow")?),
                    _ => return Err("bad operands".into()),
                },
                _ => return Err("bad operands".into()),
            }
        }
    })
}

fn write_cell(s: &mut State, c: u16, v: Value, name: &dyn Fn() -> String) -> Result<(), Fault> {
    match s.heap.get_mut(c as usize) {
        Some(Object::Cell { value, range }) => {
            if let (Some((lo, hi)), Value::Int(i)) = (*range, v) {
                if i < lo || i > hi {
                    return Err(format!("value {i} out of range {lo}..{hi} of `{}`", name()));
                }
            }
            *value = v;
            Ok(())
        }
        _ => Err("invalid reference".into()),
    }
}

/// Stores `v` into `place` of task `slot`'s top frame. `name` names a cell for messages.
pub(crate) fn store(
    s: &mut State,
    slot: usize,
    place: &Place,
    v: Value,
    name: &dyn Fn(&Place) -> String,
) -> Result<(), Fault> {
    match place {
        Place::Bind(i) => {
            let frame = s.task_mut(slot).frames.last_mut().ok_or("task has exited")?;
            *frame.locals.get_mut(*i as usize).ok_or("bad local")? = v;
            Ok(())
        }
        Place::Local(i) => {
            let frame = s.tasks[slot].frames.last().ok_or("task has exited")?;
            match *frame.locals.get(*i as usize).ok_or("bad local")? {
                Value::Ref(c) => write_cell(s, c, v, &|| name(place)),
                _ => {
                    let frame = s.task_mut(slot).frames.last_mut().expect("checked above");
                    frame.locals[*i as usize] = v;
                    Ok(())
                }
            }
        }
        Place::Global(g) => write_cell(s, *g, v, &|| name(place)),
        Place::Index(a, i) => {
            let (arr, idx) = (eval(s, slot, a)?, eval(s, slot, i)?);
            match (arr, idx) {
                (Value::Obj(o), Value::Int(i)) => match s.heap.get_mut(o as usize) {
                    Some(Object::Array(xs)) => {
                        let n = xs.len();
                        *xs.get_mut(usize::try_from(i).unwrap_or(usize::MAX)).ok_or_else(|| {
                            format!("runtime error: index out of range [{i}] with length {n}")
                        })? = v;
                        Ok(())
                    }
                    _ => Err("index of a non-array".into()),
                },
                _ => Err("bad index".into()),
            }
        }
        Place::MapEntry(m, k) => {
            let (m, k) = (eval(s, slot, m)?, eval(s, slot, k)?);
            let xs = map_entries_mut(s, m)?;
            match entry(xs, k) {
                Some(i) => xs[i + 1] = v,
                None => xs.extend([k, v]),
            }
            Ok(())
        }
        Place::Field(a, r) => match eval(s, slot, a)? {
            Value::Obj(o) => match s.heap.get_mut(o as usize) {
                Some(Object::Array(xs)) => {
                    *xs.get_mut(r.index as usize).ok_or("bad field")? = v;
                    Ok(())
                }
                _ => Err("field of a non-struct".into()),
            },
            Value::Nil => Err(NIL_DEREFERENCE.into()),
            _ => Err("field of a non-struct".into()),
        },
    }
}

/// Go's message for a nil pointer dereference.
pub(crate) const NIL_DEREFERENCE: &str = "runtime error: invalid memory address or nil pointer dereference";

/// The entries of a map, `[k0, v0, k1, v1, ...]` in the order they were
/// added (a map is stored as an array of pairs); a nil map reads as empty,
/// as in Go.
pub(crate) fn map_entries(s: &State, m: Value) -> Result<&[Value], Fault> {
    match m {
        Value::Obj(o) => match s.heap.get(o as usize) {
            Some(Object::Array(xs)) => Ok(xs),
            _ => Err("not a map".into()),
        },
        Value::Nil => Ok(&[]),
        _ => Err("not a map".into()),
    }
}

/// The entries of a map, to change.
pub(crate) fn map_entries_mut(s: &mut State, m: Value) -> Result<&mut Vec<Value>, Fault> {
    match m {
        Value::Obj(o) => match s.heap.get_mut(o as usize) {
            Some(Object::Array(xs)) => Ok(xs),
            _ => Err("not a map".into()),
        },
        Value::Nil => Err("assignment to entry in nil map".into()),
        _ => Err("not a map".into()),
    }
}

/// Where key `k` sits in a map's entries (the index of the key).
pub(crate) fn entry(xs: &[Value], k: Value) -> Option<usize> {
    (0..xs.len()).step_by(2).find(|&i| xs[i] == k)
}

/// Whether running `instr` in task `slot` reads `ctx.err()` of a done
/// context: the task then knows its work was cancelled.
pub(crate) fn observes_done(s: &State, slot: usize, instr: &Instr) -> bool {
    let mut seen = false;
    each_expr(instr, &mut |e| seen |= reads_done(s, slot, e));
    seen
}

fn reads_done(s: &State, slot: usize, e: &Expr) -> bool {
    match e {
        Expr::CtxErr(c) => matches!(eval(s, slot, c), Ok(Value::Obj(o)) if s.ctx_done(o)),
        _ => e.children().any(|x| reads_done(s, slot, x)),
    }
}

/// Calls `f` on every expression an instruction evaluates (not inside
/// constructors or places, where `ctx.err()` does not appear).
fn each_expr(instr: &Instr, f: &mut dyn FnMut(&Expr)) {
    match instr {
        Instr::Assign { value, .. } => f(value),
        Instr::Branch { cond, .. } | Instr::Assert { cond } => f(cond),
        Instr::Return { value: Some(v) } => f(v),
        Instr::Send { value, .. } => f(value),
        Instr::Spawn { args, .. } | Instr::Call { args, .. } => args.iter().for_each(f),
        Instr::Defer { capture, .. } => capture.iter().for_each(|(_, e)| f(e)),
        _ => {}
    }
}
