//! The intermediate representation: a resolved, kind-checked model as plain
//! data. Each function (task or helper) is a flat instruction list; source
//! spans live in a side table. Engines execute the IR without re-parsing.

mod hoist;
mod kinds;
mod live;
mod lower;
mod map_use;
mod pretty;
mod shared;
mod silent;
mod visit;

use leash_syntax::{Diagnostic, Span};

pub use leash_syntax::ast::{BinOp, UnOp};
pub use lower::lower;
pub use map_use::{is_fatal, map_fault, MapRead, MAP_WRITES};
pub use pretty::pretty;
pub use visit::{derives_from, err_reads};

/// Index of a function in [`Program::funcs`].
pub type FuncId = u16;
/// Index of an instruction in a function's code.
pub type Pc = u16;

/// Parses and lowers a model: the one entry point from text to IR.
pub fn compile(text: &str) -> Result<Program, Vec<Diagnostic>> {
    let (file, mut errors) = leash_syntax::parse(text);
    let (_, expect_errors) = leash_syntax::expect::expectations(text);
    errors.extend(expect_errors);
    match lower(&file, text) {
        Ok(program) if errors.is_empty() => Ok(program),
        Ok(_) => Err(errors),
        Err(more) => {
            // A file that does not parse may well have a `main` the parser could not read.
            let parsed = errors.iter().all(|d| d.code == "E0010");
            errors.extend(more.into_iter().filter(|d| parsed || d.code != "E0121"));
            errors.sort_by_key(|d| (d.span.start, d.span.end));
            errors.dedup();
            Err(errors)
        }
    }
}

/// A whole model, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Tasks and helpers; `funcs[main]` is the root task.
    pub funcs: Vec<Func>,
    /// The root task.
    pub main: FuncId,
    /// A helper run once before `main` to initialise the model-level variables.
    pub init: FuncId,
    /// Model-level variables; variable `i` lives in heap cell `i`.
    pub globals: Vec<Global>,
    /// Atom names; `Value::Atom(i)` is `:atoms[i]`.
    pub atoms: Vec<String>,
    /// Names of `work` steps.
    pub works: Vec<String>,
    /// Struct types; a struct value is a heap object holding its fields.
    pub structs: Vec<StructDef>,
    /// Whether a `ticker(short)` or `timer(short)` is made anywhere: only
    /// then must a step look for one.
    pub short_timers: bool,
    /// Whether any instruction writes a map (`m[k] = v`, `delete`): only
    /// then can a task be inside a map write that another's step trips.
    pub maps_written: bool,
}

/// A struct type: its name and the names of its fields, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    /// Its name.
    pub name: String,
    /// Its fields' names; a field is its position in this list.
    pub fields: Vec<String>,
}

/// What `len` counts: a map's entries, a list's elements or the values
/// waiting in a channel's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LenOf {
    /// A map (stored as key, value pairs).
    Map,
    /// A list.
    List,
    /// A channel (`len(ch)`: 0 for a nil or unbuffered one).
    Chan,
}

/// A field of a struct type: which struct, and which field of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The struct type (an index into [`Program::structs`]).
    pub def: u16,
    /// The field's position.
    pub index: u16,
}

/// A model-level shared variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Global {
    /// Its name.
    pub name: String,
    /// The declared integer range, if any.
    pub range: Option<(i16, i16)>,
}

impl Program {
    /// The function with this id.
    pub fn func(&self, id: FuncId) -> &Func {
        &self.funcs[id as usize]
    }

    /// Whether a `recover()` (`Instr::Recover`'s `deferred`) whose frame's
    /// caller stands at `caller` is called by Go's deferred function itself:
    /// written in a deferred block, or in a helper its caller defers by name
    /// (the caller at one of [`Func::deferred_calls`]). Only then does it
    /// stop a panic; one rule for both engines.
    pub fn recover_is_direct(&self, deferred: bool, caller: Option<(FuncId, Pc)>) -> bool {
        deferred || caller.is_some_and(|(f, pc)| self.func(f).deferred_calls.contains(&pc))
    }
}

/// A task or helper function.
#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    /// Its name.
    pub name: String,
    /// Whether it is a task (spawned) rather than a helper (called).
    pub is_task: bool,
    /// The number of parameters (the first locals).
    pub params: u16,
    /// Names of all local slots, parameters first (for traces).
    pub locals: Vec<String>,
    /// The instructions.
    pub code: Vec<Instr>,
    /// The source span of each instruction.
    pub spans: Vec<Span>,
    /// Whether each instruction touches only the task's own locals, so that it
    /// runs in the same step as the visible instruction before it.
    pub silent: Vec<bool>,
    /// For each instruction, the locals that are dead when a frame is about to
    /// run it: no path from there reads them before writing them.
    pub dead: Vec<Vec<u16>>,
    /// For each call instruction, the locals that are dead while a frame waits
    /// there for its callee to return; empty for other instructions.
    pub dead_in_call: Vec<Vec<u16>>,
    /// For a helper with several results, the hidden locals that hold the
    /// results after the first (set by its `return (a, b)`, read by the
    /// caller into the `rest` of its call when the frame is popped); empty
    /// otherwise.
    pub results: Vec<u16>,
    /// The zero value of its (first) result: what it returns when a
    /// deferred block's `recover()` stops a panic before a `return` ran.
    pub zero: Const,
    /// The zero values of the results after the first (one per local of
    /// `results`), for the same case.
    pub result_zeros: Vec<Const>,
    /// The calls that deferred blocks of one helper call by name (`defer
    /// f(x)`) make: that helper is Go's deferred function, so its own
    /// `recover()` stops a panic.
    pub deferred_calls: Vec<Pc>,
    /// What shared state it uses, itself or through the helpers it calls
    /// (not the tasks it spawns).
    pub uses: Uses,
    /// The declaration's span.
    pub span: Span,
}

impl Func {
    /// The once operands of the `once.do` bodies around instruction `pc`. A
    /// panic that leaves them marks the once done, as Go's `Once.Do` does
    /// in a deferred call.
    pub fn onces_around(&self, pc: Pc) -> impl Iterator<Item = &Expr> {
        self.code.iter().enumerate().filter_map(move |(at, i)| match i {
            Instr::OnceEnter { once, skip } if (at as Pc) < pc && pc < *skip => Some(once),
            _ => None,
        })
    }
}

/// What shared state a function may use: the model-level variables it may
/// read and write, by index, sorted (`reads` those it reads or writes,
/// `writes` those it writes; a reference it passes on counts as a write),
/// and whether it may cancel a context or poll one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uses {
    /// Variables read or written.
    pub reads: Vec<u16>,
    /// Variables written.
    pub writes: Vec<u16>,
    /// Whether it calls `cancel`.
    pub cancels: bool,
    /// Whether it calls a wait group's `done()`: a task that does is counted
    /// by that wait group, whose waiter waits for it.
    pub counts_down: bool,
    /// Whether it looks at a context without blocking: `ctx.err()`, or a
    /// `select` with `default` that receives from a done channel.
    pub polls_contexts: bool,
    /// Whether it looks at a channel, ticker or timer without blocking: a
    /// `select` with `default`.
    pub polls_channels: bool,
}

/// A constant value in the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Const {
    /// `()`: what a plain signal carries.
    Unit,
    /// A boolean.
    Bool(bool),
    /// A small integer.
    Int(i16),
    /// An atom (index into [`Program::atoms`]).
    Atom(u16),
    /// `ok`.
    Ok,
    /// `err`.
    Err,
    /// The nil channel.
    Nil,
    /// A helper function, as a callback value.
    Func(FuncId),
}

/// A side-effect-free expression. Reading a shared variable is allowed: the
/// instruction that evaluates it is then a visible step.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant.
    Const(Const),
    /// A local slot; a reference to a shared cell is read through.
    Local(u16),
    /// A local slot as it is, without reading through a reference (for arguments).
    Raw(u16),
    /// A model-level variable's value.
    Global(u16),
    /// A reference to a model-level variable (for arguments).
    GlobalRef(u16),
    /// `ctx.done`: the context's done channel.
    Done(Box<Expr>),
    /// `ctx.err()`: `ok` while the context is live, `err` once it is done.
    CtxErr(Box<Expr>),
    /// `g.ctx`: an error group's context.
    GroupCtx(Box<Expr>),
    /// The channel of a timer (`false`) or ticker (`true`) received from
    /// (Go's `t.C`): the object itself; a nil one is Go's nil pointer
    /// dereference.
    TimerChan(Box<Expr>, bool),
    /// `array[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `value.field` of a struct value.
    Field(Box<Expr>, FieldRef),
    /// `map[key]`: the value, or the zero value of the map's values when
    /// the key is absent.
    MapGet(Box<Expr>, Box<Expr>, Const),
    /// Whether `map` has `key` (the `ok` of `let (v, ok) = map[key]`).
    MapHas(Box<Expr>, Box<Expr>),
    /// `len(map)` or `len(list)`.
    Len(Box<Expr>, LenOf),
    /// A unary operation.
    Unary(UnOp, Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// Where an instruction stores its result.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// Binds a local slot directly (`let`, loop variables).
    Bind(u16),
    /// Assigns a local: through the reference if the slot holds one.
    Local(u16),
    /// A model-level variable.
    Global(u16),
    /// An array element.
    Index(Expr, Expr),
    /// A field of a struct value.
    Field(Expr, FieldRef),
    /// `map[key] = v`: adds the entry or replaces its value.
    MapEntry(Expr, Expr),
}

/// What a constructor makes.
#[derive(Clone, Debug, PartialEq)]
pub enum Ctor {
    /// `chan(cap)`.
    Chan(Expr),
    /// `mutex()`.
    Mutex,
    /// `rwmutex()`.
    RwMutex,
    /// `cond(mu)`.
    Cond(Expr),
    /// `once()`.
    Once,
    /// `waitgroup()`.
    WaitGroup,
    /// `group([ctx][, limit])`.
    Group { ctx: Option<Expr>, limit: Option<Expr> },
    /// `background()`: a context that is never cancelled.
    Background,
    /// `signal()`: a context cancelled by the environment.
    Signal,
    /// `with_cancel(parent)`.
    WithCancel(Expr),
    /// `with_timeout(parent)`: also cancelled when its deadline fires.
    WithTimeout(Expr),
    /// `ticker()`, or `ticker(short)`: a period so short that a tick may
    /// come between any two steps (Go's `time.NewTicker(time.Nanosecond)`).
    Ticker { short: bool },
    /// `timer()`, or `timer(short)`: a delay so short that the timer may
    /// fire between any two steps (Go's `time.NewTimer(time.Nanosecond)`).
    Timer { short: bool },
    /// A shared cell (`var`), with an optional integer range.
    Cell { init: Expr, range: Option<(i16, i16)> },
    /// A parameter that a closure captures and something assigns, shared
    /// from here on: the cell its operand (the parameter as it is, `Raw`)
    /// holds, if it holds one (Go's pointer, or a variable an enclosing
    /// closure shares: one variable either way), else a new cell with its value.
    Share(Expr),
    /// `[elem; len]`: each element made by its own constructor or value.
    Array { elem: Box<Elem>, len: u16 },
    /// `Name { field: value, ... }`: every field, in order, made by its own
    /// constructor or value.
    Struct { def: u16, fields: Vec<Elem> },
    /// A function value that captured locals: the helper and the captured
    /// values it is given before a call's own arguments.
    Closure { func: FuncId, captures: Vec<Expr> },
    /// `list()`: an empty list, a queue shared by reference.
    List,
    /// `map()`: an empty map. Its entries keep the order they were added in,
    /// which nothing observes: iteration takes them in any order.
    Map,
    /// The state of one `for k, v in map` loop: the keys the map had when
    /// the loop started, each marked once produced.
    MapIter(Expr),
}

/// An array element initialiser.
#[derive(Clone, Debug, PartialEq)]
pub enum Elem {
    /// Made anew for each element.
    Ctor(Ctor),
    /// The same value in each element.
    Value(Expr),
}

/// Operations on synchronisation objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `mu.lock()`.
    Lock,
    /// `mu.unlock()`.
    Unlock,
    /// `rw.rlock()`.
    RLock,
    /// `rw.runlock()`.
    RUnlock,
    /// `rw.lock()`: announce as a waiting writer, then wait for readers to leave.
    WLock,
    /// `rw.unlock()`.
    WUnlock,
    /// `wg.add(n)`.
    WgAdd,
    /// `wg.done()`.
    WgDone,
    /// `wg.wait()`.
    WgWait,
    /// `c.wait()`: release the lock, wait for a signal, re-acquire the lock.
    CondWait,
    /// `c.signal()`.
    CondSignal,
    /// `c.broadcast()`.
    CondBroadcast,
    /// `g.wait()`: the first error, or `ok`.
    GroupWait,
    /// `cancel(ctx)`.
    Cancel,
    /// `stop(t)` for a ticker or timer.
    Stop,
    /// `reset(t)`: a ticker ticks again; a timer is armed again.
    Reset,
    /// `close(ch)`.
    Close,
    /// `delete(map, key)`: removes the entry, if there is one.
    MapDelete,
    /// The load of a `push` or a `pop`: copies the list into a new object
    /// bound to `dst`, with `arg` appended for a push. Go reads the slice
    /// before it stores the result of `append(q, v)` or `q[1:]`, and another
    /// goroutine may store in between (a lost or repeated element).
    ListLoad,
    /// The store of `push(list, v)` (Go's `q = append(q, v)`): the list
    /// becomes the copy its load made, named by `arg`.
    Push,
    /// The store of `pop(list)` (Go's `v, q = q[0], q[1:]`): gives the first
    /// element of the copy its load made (named by `arg`) and leaves the list
    /// the rest; a panic when the copy is empty.
    Pop,
}

/// One case of a select.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// What it waits for.
    pub kind: CaseKind,
    /// Where its body starts.
    pub target: Pc,
    /// The case head in the source.
    pub span: Span,
}

/// The operation of a select case.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseKind {
    /// Receive from a channel, ticker, timer or done channel; `zero` is Go's
    /// zero value of the elements, what a closed channel gives.
    Recv { chan: Expr, value: Option<Place>, ok: Option<Place>, zero: Const },
    /// Send a value.
    Send { chan: Expr, value: Expr },
    /// A fresh timer that may fire at any moment.
    After,
}

/// Who a call goes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// A helper named in the source.
    Static(FuncId),
    /// A callback held in a local.
    Dynamic(Expr),
}

/// An instruction: at most one visible effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Instr {
    /// Stores a pure value.
    Assign { dst: Place, value: Expr },
    /// Makes a new object.
    New { dst: Place, ctor: Ctor },
    /// Sends on a channel.
    Send { chan: Expr, value: Expr },
    /// Receives from a channel (or ticker, timer, done channel); `zero` is
    /// Go's zero value of the elements, what a closed channel gives.
    Recv { chan: Expr, value: Option<Place>, ok: Option<Place>, zero: Const },
    /// Waits until one case is ready and runs it; `default` if none is.
    Select { cases: Vec<Case>, default: Option<Pc> },
    /// Starts a task owned by the current one (in an error group if given),
    /// or owned by nobody when `detached`.
    Spawn { func: FuncId, args: Vec<Expr>, dst: Option<Place>, group: Option<Expr>, detached: bool },
    /// Waits until a task has exited.
    Join { task: Expr },
    /// Opaque work that may fail (and stops early once `ctx` is done).
    Work { name: u16, ctx: Option<Expr>, dst: Option<Place> },
    /// Calls a helper. `dst` receives its (first) result, `rest` the
    /// results after the first of a helper that has several (`let (v, e) =
    /// f()`), from the callee's `results` locals.
    Call { callee: Callee, args: Vec<Expr>, dst: Option<Place>, rest: Vec<Place> },
    /// Returns from the current function (running its defers first).
    Return { value: Option<Expr> },
    /// Goes to `target`.
    Jump { target: Pc },
    /// Goes to `target` when `cond` is false.
    Branch { cond: Expr, target: Pc },
    /// A free choice between branches.
    Choose { targets: Vec<Pc> },
    /// Registers the deferred block at `block`. Each `capture` is evaluated
    /// now and stored into its slot when the block starts (Go evaluates a
    /// deferred call's arguments and receiver at the `defer` statement).
    Defer { block: Pc, capture: Vec<(u16, Expr)> },
    /// Ends a deferred block.
    EndDefer,
    /// An operation on a synchronisation object.
    Op { op: Op, target: Expr, arg: Option<Expr>, dst: Option<Place> },
    /// Enters `once.do`: runs the body once; later callers wait, then skip to `skip`.
    OnceEnter { once: Expr, skip: Pc },
    /// Leaves the body of `once.do`.
    OnceExit { once: Expr },
    /// Panics with "assertion failed" unless `cond` holds.
    Assert { cond: Expr },
    /// Ends the program (Go's `os.Exit`, `log.Fatal`): every task stops here.
    Exit,
    /// Go's `recover()`: stops the panic the task is unwinding, if any, and
    /// stores `err` for it, else `ok`. Go stops it only when the deferred
    /// function calls `recover` itself: `deferred` when it is written in
    /// a deferred block (`defer { ... }`), else only in a helper deferred
    /// by name (its caller at one of [`Func::deferred_calls`]).
    Recover { dst: Option<Place>, deferred: bool },
    /// Waits for time to pass.
    Sleep,
    /// A plain scheduling point.
    Yield,
    /// The next entry of a `for k, v in map` loop, in any order Go allows:
    /// an entry the loop has not produced (one the map had when the loop
    /// started, or one added since), with `found` set; or, once every entry
    /// the map had at the start and still has was produced, `found` cleared.
    MapNext { iter: Expr, map: Expr, key: Option<Place>, value: Option<Place>, found: Place },
}

impl Instr {
    /// Whether this instruction polls: a `select` with `default` or a
    /// `yield`. A loop whose body polls lets time pass while it spins.
    pub fn polls(&self) -> bool {
        matches!(self, Instr::Select { default: Some(_), .. } | Instr::Yield)
    }
}

/// What going round a loop makes of a task's spin mark: `POLLING` when the
/// loop's body polls, else nothing. (A loop that neither waits nor polls is
/// instant while it ends; one that spins for ever is a cycle of instant
/// steps, on which time passes: docs/semantics.md, Time.)
pub fn spin_of_loop(body: &[Instr]) -> Option<u8> {
    body.iter().any(Instr::polls).then_some(POLLING)
}

/// The spin mark of a task that went round a loop that polls.
pub const POLLING: u8 = 1;
