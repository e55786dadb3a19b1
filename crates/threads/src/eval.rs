//! Expressions, stores and constructors, in a task's frame. Errors are Go's
//! panic messages; the caller knows the instruction they belong to.

use crate::objects::{Chan, CtxKind, Object, OnceState, TimerState};
use crate::value::{ObjId, Value, NIL_DEREFERENCE};
use crate::world::World;
use crate::Instance;
use leash_ir::{BinOp, Ctor, Elem, Expr, LenOf, Place, UnOp};
use std::collections::VecDeque;

/// The largest channel capacity a model may ask for.
const MAX_CAPACITY: i16 = 16;

impl World {
    /// Evaluates a pure expression in task `t`'s top frame.
    pub(crate) fn eval(&self, t: Instance, e: &Expr) -> Result<Value, String> {
        match e {
            Expr::Const(c) => Ok(Value::of(*c)),
            Expr::Local(s) => match self.frame(t).locals[*s as usize] {
                Value::Ref(c) => self.cell(c),
                v => Ok(v),
            },
            Expr::Raw(s) => Ok(self.frame(t).locals[*s as usize]),
            Expr::Global(g) => self.cell(*g as ObjId),
            Expr::GlobalRef(g) => Ok(Value::Ref(*g as ObjId)),
            Expr::TimerChan(x, _) => match self.eval(t, x)? {
                Value::Nil => Err(NIL_DEREFERENCE.to_string()),
                v => Ok(v),
            },
            Expr::Done(c) => Ok(Value::Done(self.ctx_of(self.eval(t, c)?)?)),
            Expr::CtxErr(c) => Ok(Value::result(self.ctx_done(self.ctx_of(self.eval(t, c)?)?))),
            Expr::GroupCtx(g) => match &self.heap[self.eval(t, g)?.obj()? as usize] {
                Object::Group { ctx, .. } => Ok(Value::Obj(*ctx)),
                _ => Err(NIL_DEREFERENCE.to_string()),
            },
            Expr::Index(a, i) => {
                let (a, i) = (self.eval(t, a)?.obj()?, self.eval(t, i)?.int()?);
                match &self.heap[a as usize] {
                    Object::Array(xs) => element(xs.len(), i).map(|k| xs[k]),
                    _ => Err(NIL_DEREFERENCE.to_string()),
                }
            }
            Expr::MapGet(m, k, zero) => {
                let (xs, k) = (self.map_entries(self.eval(t, m)?)?, self.eval(t, k)?);
                Ok(entry(xs, k).map_or(Value::of(*zero), |i| xs[i + 1]))
            }
            Expr::MapHas(m, k) => {
                let (xs, k) = (self.map_entries(self.eval(t, m)?)?, self.eval(t, k)?);
                Ok(Value::Bool(entry(xs, k).is_some()))
            }
            Expr::Len(ch, LenOf::Chan) => match self.eval(t, ch)? {
                Value::Nil => Ok(Value::Int(0)),
                v => match &self.heap[v.obj()? as usize] {
                    Object::Chan(ch) => Ok(Value::Int(ch.buf.len() as i16)),
                    _ => Err("not a channel".to_string()),
                },
            },
            Expr::Len(m, of) => {
                let n = self.map_entries(self.eval(t, m)?)?.len();
                Ok(Value::Int(if *of == LenOf::Map { n / 2 } else { n } as i16))
            }
            Expr::Field(a, r) => match &self.heap[self.eval(t, a)?.obj()? as usize] {
                Object::Array(xs) => Ok(xs[r.index as usize]),
                _ => Err(NIL_DEREFERENCE.to_string()),
            },
            Expr::Unary(op, x) => {
                let x = self.eval(t, x)?;
                match op {
                    UnOp::Not => Ok(Value::Bool(!x.bool()?)),
                    UnOp::Neg => Ok(Value::Int(x.int()?.checked_neg().ok_or_else(overflow)?)),
                }
            }
            Expr::Binary(op, a, b) => {
                let x = self.eval(t, a)?;
                match op {
                    BinOp::And if !x.bool()? => return Ok(Value::Bool(false)),
                    BinOp::Or if x.bool()? => return Ok(Value::Bool(true)),
                    _ => {}
                }
                let y = self.eval(t, b)?;
                binary(*op, x, y)
            }
        }
    }

    /// The value of a shared cell.
    fn cell(&self, c: ObjId) -> Result<Value, String> {
        match &self.heap[c as usize] {
            Object::Cell { value, .. } => Ok(*value),
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// The parent a new context is made from: Go's WithCancel, WithTimeout
    /// and errgroup.WithContext panic on nil.
    fn parent_ctx(&self, t: Instance, e: &Expr) -> Result<ObjId, String> {
        match self.eval(t, e)? {
            Value::Nil => Err("cannot create context from nil parent".to_string()),
            v => self.ctx_of(v),
        }
    }

    /// The context a value names.
    pub(crate) fn ctx_of(&self, v: Value) -> Result<ObjId, String> {
        let c = v.obj()?;
        match self.heap[c as usize] {
            Object::Ctx(_) => Ok(c),
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// Stores `v` at `place` in task `t`'s top frame.
    pub(crate) fn store(&mut self, t: Instance, place: &Place, v: Value) -> Result<(), String> {
        match place {
            Place::Bind(s) => {
                self.frame_mut(t).locals[*s as usize] = v;
                Ok(())
            }
            Place::Local(s) => match self.frame(t).locals[*s as usize] {
                Value::Ref(c) => {
                    let name = self.place_name(t, place);
                    self.set_cell(c, v, &name)
                }
                _ => {
                    self.frame_mut(t).locals[*s as usize] = v;
                    Ok(())
                }
            },
            Place::Global(g) => {
                let name = self.place_name(t, place);
                self.set_cell(*g as ObjId, v, &name)
            }
            Place::Index(a, i) => {
                let (a, i) = (self.eval(t, a)?.obj()?, self.eval(t, i)?.int()?);
                match &mut self.heap[a as usize] {
                    Object::Array(xs) => {
                        let k = element(xs.len(), i)?;
                        xs[k] = v;
                        Ok(())
                    }
                    _ => Err(NIL_DEREFERENCE.to_string()),
                }
            }
            Place::MapEntry(m, k) => {
                let (m, k) = (self.eval(t, m)?, self.eval(t, k)?);
                let xs = self.map_entries_mut(m)?;
                match entry(xs, k) {
                    Some(i) => xs[i + 1] = v,
                    None => xs.extend([k, v]),
                }
                Ok(())
            }
            Place::Field(a, r) => {
                let a = self.eval(t, a)?.obj()?;
                match &mut self.heap[a as usize] {
                    Object::Array(xs) => {
                        xs[r.index as usize] = v;
                        Ok(())
                    }
                    _ => Err(NIL_DEREFERENCE.to_string()),
                }
            }
        }
    }

    /// Writes a shared cell, within its declared range; `name` is what the
    /// writer calls it (for the panic).
    fn set_cell(&mut self, c: ObjId, v: Value, name: &str) -> Result<(), String> {
        match &mut self.heap[c as usize] {
            Object::Cell { value, range } => {
                check_range(v, *range, name)?;
                *value = v;
                Ok(())
            }
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// Makes the object of a constructor; `name` is what the maker calls a
    /// cell (for the panic of an initial value out of range).
    pub(crate) fn make(&mut self, t: Instance, ctor: &Ctor, name: &str) -> Result<Value, String> {
        let object = match ctor {
            Ctor::Chan(cap) => {
                let cap = self.eval(t, cap)?.int()?;
                if !(0..=MAX_CAPACITY).contains(&cap) {
                    return Err("makechan: size out of range".to_string());
                }
                Object::Chan(Chan {
                    cap: cap as usize,
                    buf: VecDeque::new(),
                    closed: false,
                    recvq: VecDeque::new(),
                    sendq: VecDeque::new(),
                })
            }
            Ctor::Mutex => Object::Mutex { locked: false },
            Ctor::RwMutex => Object::RwMutex(leash_semantics::RwMutex::default()),
            Ctor::Cond(mu) => {
                let mutex = self.eval(t, mu)?.obj()?;
                if !matches!(self.heap[mutex as usize], Object::Mutex { .. } | Object::RwMutex(_)) {
                    return Err(NIL_DEREFERENCE.to_string());
                }
                Object::Cond { mutex, waiters: VecDeque::new() }
            }
            Ctor::Once => Object::Once(OnceState::NotRun),
            Ctor::WaitGroup => Object::WaitGroup { count: 0, waiters: Vec::new() },
            Ctor::Group { ctx, limit } => {
                let parent = match ctx {
                    Some(c) => Some(self.parent_ctx(t, c)?),
                    None => None,
                };
                let limit = match limit {
                    Some(l) => Some(self.eval(t, l)?.int()?),
                    None => None,
                };
                let ctx = self.new_ctx(CtxKind::Cancel, parent);
                Object::Group { ctx, running: 0, limit, failed: false, waiters: Vec::new() }
            }
            Ctor::Background => return Ok(Value::Obj(self.new_ctx(CtxKind::Background, None))),
            Ctor::Signal => return Ok(Value::Obj(self.new_ctx(CtxKind::Signal, None))),
            Ctor::WithCancel(p) | Ctor::WithTimeout(p) => {
                let parent = self.parent_ctx(t, p)?;
                let kind =
                    if matches!(ctor, Ctor::WithCancel(_)) { CtxKind::Cancel } else { CtxKind::Timeout };
                return Ok(Value::Obj(self.new_ctx(kind, Some(parent))));
            }
            Ctor::Ticker { short } => Object::Ticker {
                running: true,
                pending: false,
                short: *short,
                aged: false,
                recvq: VecDeque::new(),
            },
            Ctor::Timer { short } => {
                Object::Timer { state: TimerState::Armed, short: *short, aged: false, recvq: VecDeque::new() }
            }
            Ctor::Cell { init, range } => {
                let value = self.eval(t, init)?;
                check_range(value, *range, name)?;
                return Ok(Value::Ref(self.alloc(Object::Cell { value, range: *range })));
            }
            Ctor::Share(e) => {
                return match self.eval(t, e)? {
                    Value::Ref(c) => Ok(Value::Ref(c)),
                    value => Ok(Value::Ref(self.alloc(Object::Cell { value, range: None }))),
                };
            }
            Ctor::Array { elem, len } => {
                let mut xs = Vec::with_capacity(*len as usize);
                for _ in 0..*len {
                    xs.push(match &**elem {
                        Elem::Ctor(c) => self.make(t, c, name)?,
                        Elem::Value(v) => self.eval(t, v)?,
                    });
                }
                Object::Array(xs)
            }
            Ctor::Map | Ctor::List => Object::Array(Vec::new()),
            // A closure is stored as its helper and the values it captured.
            Ctor::Closure { func, captures } => {
                let mut xs = vec![Value::Func(*func)];
                for c in captures {
                    xs.push(self.eval(t, c)?);
                }
                Object::Array(xs)
            }
            // The keys the map has now, none produced yet.
            Ctor::MapIter(m) => {
                let keys = self.map_entries(self.eval(t, m)?)?;
                Object::Array(keys.iter().step_by(2).flat_map(|&k| [k, Value::Bool(false)]).collect())
            }
            Ctor::Struct { fields, .. } => {
                let mut xs = Vec::with_capacity(fields.len());
                for field in fields {
                    xs.push(match field {
                        Elem::Ctor(c) => self.make(t, c, name)?,
                        Elem::Value(v) => self.eval(t, v)?,
                    });
                }
                Object::Array(xs)
            }
        };
        Ok(Value::Obj(self.alloc(object)))
    }

    /// What the task calls the variable at `place`, for range panics.
    pub(crate) fn place_name(&self, t: Instance, place: &Place) -> String {
        match place {
            Place::Bind(s) | Place::Local(s) => {
                self.program.func(self.frame(t).func).locals.get(*s as usize).cloned().unwrap_or_default()
            }
            Place::Global(g) => self.program.globals[*g as usize].name.clone(),
            Place::Index(..) | Place::Field(..) | Place::MapEntry(..) => String::new(),
        }
    }
}

impl World {
    /// The entries of a map, `[k0, v0, k1, v1, ...]` (a map is stored as an
    /// array of pairs, in the order they were added); a nil map reads as
    /// empty, as in Go.
    pub(crate) fn map_entries(&self, m: Value) -> Result<&[Value], String> {
        if m == Value::Nil {
            return Ok(&[]);
        }
        match &self.heap[m.obj()? as usize] {
            Object::Array(xs) => Ok(xs),
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// The entries of a map, to change.
    pub(crate) fn map_entries_mut(&mut self, m: Value) -> Result<&mut Vec<Value>, String> {
        if m == Value::Nil {
            return Err("assignment to entry in nil map".to_string());
        }
        match &mut self.heap[m.obj()? as usize] {
            Object::Array(xs) => Ok(xs),
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }
}

/// Where key `k` sits in a map's entries (the index of the key).
pub(crate) fn entry(xs: &[Value], k: Value) -> Option<usize> {
    (0..xs.len()).step_by(2).find(|&i| xs[i] == k)
}

/// The index of an element, or Go's panic for one out of range.
fn element(len: usize, i: i16) -> Result<usize, String> {
    if i < 0 || i as usize >= len {
        return Err(format!("runtime error: index out of range [{i}] with length {len}"));
    }
    Ok(i as usize)
}

/// The panic of a store outside a declared range.
fn check_range(v: Value, range: Option<(i16, i16)>, name: &str) -> Result<(), String> {
    match (v, range) {
        (Value::Int(i), Some((lo, hi))) if i < lo || i > hi => {
            Err(format!("value {i} out of range {lo}..{hi} of `{name}`"))
        }
        _ => Ok(()),
    }
}

fn overflow() -> String {
    "integer overflow".to_string()
}

/// A binary operation on two evaluated operands (`&&` and `||` included).
fn binary(op: BinOp, x: Value, y: Value) -> Result<Value, String> {
    let v = match op {
        BinOp::Or | BinOp::And => Value::Bool(y.bool()?),
        BinOp::Eq => Value::Bool(x == y),
        BinOp::Ne => Value::Bool(x != y),
        BinOp::Lt => Value::Bool(x.int()? < y.int()?),
        BinOp::Le => Value::Bool(x.int()? <= y.int()?),
        BinOp::Gt => Value::Bool(x.int()? > y.int()?),
        BinOp::Ge => Value::Bool(x.int()? >= y.int()?),
        BinOp::Add => Value::Int(x.int()?.checked_add(y.int()?).ok_or_else(overflow)?),
        BinOp::Sub => Value::Int(x.int()?.checked_sub(y.int()?).ok_or_else(overflow)?),
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_16_bit_and_overflow_panics() {
        assert_eq!(binary(BinOp::Add, Value::Int(32766), Value::Int(1)), Ok(Value::Int(32767)));
        assert_eq!(binary(BinOp::Add, Value::Int(32767), Value::Int(1)), Err("integer overflow".to_string()));
        assert_eq!(
            binary(BinOp::Sub, Value::Int(-32768), Value::Int(1)),
            Err("integer overflow".to_string())
        );
        assert_eq!(binary(BinOp::Le, Value::Int(2), Value::Int(2)), Ok(Value::Bool(true)));
    }

    #[test]
    fn values_compare_by_identity_and_kind() {
        assert_eq!(binary(BinOp::Eq, Value::Obj(3), Value::Obj(3)), Ok(Value::Bool(true)));
        assert_eq!(binary(BinOp::Ne, Value::Obj(3), Value::Nil), Ok(Value::Bool(true)));
        assert_eq!(binary(BinOp::Eq, Value::Err, Value::Ok), Ok(Value::Bool(false)));
        assert!(binary(BinOp::Add, Value::Ok, Value::Int(1)).is_err());
    }

    #[test]
    fn ranges_and_indices_panic_as_the_reference_words_it() {
        assert_eq!(
            check_range(Value::Int(2), Some((0, 1)), "n"),
            Err("value 2 out of range 0..1 of `n`".to_string())
        );
        assert_eq!(check_range(Value::Int(1), Some((0, 1)), "n"), Ok(()));
        assert_eq!(element(2, 2), Err("runtime error: index out of range [2] with length 2".to_string()));
        assert_eq!(element(2, -1), Err("runtime error: index out of range [-1] with length 2".to_string()));
    }
}
