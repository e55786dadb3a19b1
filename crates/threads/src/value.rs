//! Values: what locals, shared cells, array elements and channel buffers hold.

use crate::Instance;
use leash_ir::{Const, FuncId};

/// Index of an object in [`crate::World`]'s heap. Objects are never freed
/// during an execution, so an index names one object for good.
pub(crate) type ObjId = u32;

/// A run-time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// `()`.
    Unit,
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    Int(i16),
    /// An atom.
    Atom(u16),
    /// The result `ok`.
    Ok,
    /// The result `err`.
    Err,
    /// The nil channel.
    Nil,
    /// A handle to an object of the heap.
    Obj(ObjId),
    /// A reference to a shared cell (a `var` passed by reference).
    Ref(ObjId),
    /// The done channel of a context.
    Done(ObjId),
    /// A task handle.
    Task(Instance),
    /// A helper, as a callback.
    Func(FuncId),
}

/// Go's message for an operation on a value that is not the object it needs.
pub(crate) const NIL_DEREFERENCE: &str = "runtime error: invalid memory address or nil pointer dereference";

impl Value {
    /// The value of a constant.
    pub(crate) fn of(c: Const) -> Value {
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

    /// `ok` or `err`.
    pub(crate) fn result(failed: bool) -> Value {
        if failed {
            Value::Err
        } else {
            Value::Ok
        }
    }

    /// The integer inside, or the panic of using something else as one.
    pub(crate) fn int(self) -> Result<i16, String> {
        match self {
            Value::Int(i) => Ok(i),
            other => Err(format!("runtime error: {} used as an integer", other.kind())),
        }
    }

    /// The boolean inside, or the panic of using something else as one.
    pub(crate) fn bool(self) -> Result<bool, String> {
        match self {
            Value::Bool(b) => Ok(b),
            other => Err(format!("runtime error: {} used as a boolean", other.kind())),
        }
    }

    /// The object a handle names, or the panic of a nil dereference.
    pub(crate) fn obj(self) -> Result<ObjId, String> {
        match self {
            Value::Obj(o) => Ok(o),
            _ => Err(NIL_DEREFERENCE.to_string()),
        }
    }

    /// The object a value keeps alive, if any.
    pub(crate) fn handle(self) -> Option<ObjId> {
        match self {
            Value::Obj(o) | Value::Ref(o) | Value::Done(o) => Some(o),
            _ => None,
        }
    }

    /// A word for the kind of value, for messages.
    fn kind(self) -> &'static str {
        match self {
            Value::Unit => "()",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::Atom(_) => "an atom",
            Value::Ok | Value::Err => "a result",
            Value::Nil | Value::Done(_) => "a channel",
            Value::Obj(_) | Value::Ref(_) => "a handle",
            Value::Task(_) => "a task handle",
            Value::Func(_) => "a function",
        }
    }
}
