//! The syntax tree: what the user wrote, with spans, before name resolution.

use crate::Span;

/// A name as written, with its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The text.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A whole model file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// Top-level declarations in source order.
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `task name(params) { ... }` or `fn name(params) { ... }`.
    Func(Box<FuncDecl>),
    /// `var name[: type] = init`: a model-level shared variable.
    Var(Box<VarDecl>),
    /// `const NAME = 3`.
    Const(ConstDecl),
    /// `struct Name { field: type ... }`: a record type.
    Struct(StructDecl),
}

/// `struct Name { field: type ... }`: a record whose values are shared by
/// reference, as Go shares a struct through its pointer.
#[derive(Clone, Debug, PartialEq)]
pub struct StructDecl {
    /// The name.
    pub name: Ident,
    /// The fields in order, each with an optional type (a field with a type
    /// may be left out of a literal: it starts at Go's zero value).
    pub fields: Vec<Param>,
    /// The whole declaration.
    pub span: Span,
}

/// A task (spawnable) or a helper function (called).
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDecl {
    /// `task` or `fn`.
    pub is_task: bool,
    /// The name.
    pub name: Ident,
    /// `fn (w: Worker) stop()`: a method's receiver, with its struct type.
    pub receiver: Option<Param>,
    /// Parameters.
    pub params: Vec<Param>,
    /// How many of the parameters, first, are captured variables: those of
    /// an anonymous task or function value lifted out of its enclosing
    /// function (`main@12`); 0 for a declared task or helper.
    pub captures: usize,
    /// The body.
    pub body: Block,
    /// The whole declaration.
    pub span: Span,
}

/// A parameter with an optional type.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The name.
    pub name: Ident,
    /// The declared type, if any.
    pub ty: Option<TypeExpr>,
}

/// A shared variable declaration (model level or in a body).
#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    /// The name.
    pub name: Ident,
    /// The declared type, if any.
    pub ty: Option<TypeExpr>,
    /// The initial value.
    pub init: Expr,
    /// Made by the lowering, not written: a captured `let` or parameter
    /// that something assigns, shared with its closures from here on. Go
    /// has one variable there, not a pointer: passed by name to a task or a
    /// helper, it is passed by value.
    pub lifted: bool,
    /// The whole declaration.
    pub span: Span,
}

/// `const NAME = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDecl {
    /// The name.
    pub name: Ident,
    /// The value.
    pub value: Expr,
}

/// A written type: `bool`, `int[0..3]`, `chan`, `mutex`, ...
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    /// The type's name.
    pub name: Ident,
    /// `int[lo..hi]` bounds.
    pub range: Option<(Expr, Expr)>,
    /// Where.
    pub span: Span,
}

/// A `{ ... }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A statement with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What kind.
    pub kind: StmtKind,
    /// Where.
    pub span: Span,
}

/// A binding pattern: `x`, `_` or `(value, ok)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// One name (`_` ignores).
    Name(Ident),
    /// `(value, ok)`: a receive with its "still open" flag, a map lookup,
    /// or a helper's two results.
    Pair(Ident, Ident),
    /// `(a, b, c)`: a helper's three or four results.
    Tuple(Vec<Ident>),
}

/// The statements of the language.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `let pat = value` or `let name: Type = value`: a task-private local.
    Let { pat: Pattern, ty: Option<TypeExpr>, value: Expr },
    /// `var name = value`: a shared cell owned by this task, passed by reference.
    Var(VarDecl),
    /// `target = value`.
    Assign { target: Expr, value: Expr },
    /// `send ch[, value]`.
    Send { chan: Expr, value: Option<Expr> },
    /// An expression evaluated for its effect (a call, `recv`, `spawn`, `work`, ...).
    Expr(Expr),
    /// `select { cases }`.
    Select(Vec<SelectCase>),
    /// `if cond { } else { }`.
    If { cond: Expr, then: Block, otherwise: Option<Block> },
    /// `while cond { }`.
    While { cond: Expr, body: Block },
    /// `loop { }`.
    Loop(Block),
    /// `for i in lo..hi { }`.
    ForRange { var: Ident, lo: Expr, hi: Expr, body: Block },
    /// `for v in ch { }`: receive until the channel is closed; `for k, v in m
    /// { }` (or `for k in m` over a map): every entry of a map, in any order.
    ForChan {
        /// The received value, or the map's key.
        var: Ident,
        /// The map's value, in `for k, v in m`.
        value: Option<Ident>,
        /// The channel or map.
        chan: Expr,
        /// The loop's body.
        body: Block,
    },
    /// `choose { } or { } ...`: a free choice between branches.
    Choose(Vec<Block>),
    /// `defer stmt`: runs when the enclosing function returns.
    Defer(Box<Stmt>),
    /// `return`, `return value` or `return (a, b)`: the values returned
    /// (none, one, or a helper's several results).
    Return(Vec<Expr>),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `sleep`: waits for time to pass.
    Sleep,
    /// `yield`: a plain scheduling point.
    Yield,
    /// `assert cond`: a panic if `cond` is false.
    Assert(Expr),
    /// `{ ... }` as a statement (the body of `defer { ... }`).
    Block(Block),
    /// A statement that failed to parse.
    Error,
}

/// One case of a `select`.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectCase {
    /// What the case waits for.
    pub kind: CaseKind,
    /// What runs when it is chosen.
    pub body: Block,
    /// The case head.
    pub span: Span,
}

/// The head of a select case.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseKind {
    /// `recv ch [as pat]`.
    Recv { chan: Expr, pat: Option<Pattern> },
    /// `send ch[, value]`.
    Send { chan: Expr, value: Option<Expr> },
    /// `after`: a fresh timer that may fire at any moment.
    After,
    /// `default`: taken when no other case is ready.
    Default,
}

/// An expression with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `!`
    Not,
    /// `-`
    Neg,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
}

/// The expressions of the language.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `3`
    Int(i64),
    /// `true` / `false`
    Bool(bool),
    /// `nil`: the nil channel.
    Nil,
    /// `:name`: an atom.
    Atom(String),
    /// A name; `ok` and `err` are names too, meaning the results unless a
    /// local of that name is in scope (so `let (v, ok) = recv ch` reads naturally).
    Name(Ident),
    /// `base.field` (`ctx.done`, `g.ctx`).
    Field(Box<Expr>, Ident),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `f(args)`: a helper, builtin or constructor call.
    Call { callee: Ident, args: Vec<Expr> },
    /// `x.method(args)`.
    Method { recv: Box<Expr>, name: Ident, args: Vec<Expr> },
    /// `!x`, `-x`.
    Unary(UnOp, Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `recv ch`.
    Recv(Box<Expr>),
    /// `spawn task(args)`, or `spawn x.method(args)` (a task method).
    Spawn {
        /// The task started.
        task: Ident,
        /// Its arguments; for a method, the receiver first.
        args: Vec<Expr>,
        /// `spawn x.method(args)`: `task` is a method of the first argument.
        method: bool,
        /// `spawn detached t(...)`: the spawner does not own it (no orphan).
        detached: bool,
    },
    /// `g.go task(args)` or `g.go x.method(args)`: spawn into an error group.
    GroupGo {
        /// The group.
        group: Box<Expr>,
        /// The task started.
        task: Ident,
        /// Its arguments; for a method, the receiver first.
        args: Vec<Expr>,
        /// `g.go x.method(args)`: `task` is a method of the first argument.
        method: bool,
    },
    /// `spawn { ... }`: an anonymous task (Go's `go func() { ... }()`) that
    /// captures the enclosing locals it names.
    SpawnBlock {
        /// Its body.
        body: Block,
        /// `spawn detached { ... }`: the spawner does not own it.
        detached: bool,
    },
    /// `g.go { ... }`: an anonymous task in an error group.
    GroupGoBlock {
        /// The group.
        group: Box<Expr>,
        /// Its body.
        body: Block,
    },
    /// `join t`.
    Join(Box<Expr>),
    /// `work name[(ctx)]`.
    Work { name: Ident, ctx: Option<Box<Expr>> },
    /// `e?`: return `err` from the enclosing function when `e` is `err`.
    Try(Box<Expr>),
    /// `fn(params) { ... }`: a function value (Go's `func(...) { ... }`)
    /// that captures the enclosing locals it names.
    FnLit {
        /// Its parameters.
        params: Vec<Param>,
        /// Its body.
        body: Block,
    },
    /// A function value made from a lifted `fn(...) { ... }`: the helper it
    /// became and the captured locals it is given first. Made by the
    /// lowering, never written.
    Closure {
        /// The helper.
        func: Ident,
        /// The captured locals, passed before the call's own arguments.
        captures: Vec<Expr>,
    },
    /// `Name { field: value, ... }`: a new struct value.
    StructLit {
        /// The struct type.
        name: Ident,
        /// The fields given, in the order written.
        fields: Vec<(Ident, Expr)>,
    },
    /// `[elem; len]`: a fixed-size array.
    Array { elem: Box<Expr>, len: Box<Expr> },
    /// An expression that failed to parse.
    Error,
}
