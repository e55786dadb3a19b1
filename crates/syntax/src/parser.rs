//! A recursive-descent parser that never panics and never stops at the first
//! error: it returns the tree it could build and every diagnostic.
//!
//! Newlines end statements. Inside a statement, an operator continues an
//! expression only on the same line; openers (`(`, `{`, `,`, operators) let the
//! text continue on the next line.

use crate::ast::*;
use crate::lexer::{lex, Token, TokenKind as T};
use crate::{suggest, Diagnostic, Span, KEYWORDS};

/// Deepest nesting of blocks and expressions accepted before giving up.
const MAX_DEPTH: u32 = 100;

/// Parses a model. Returns the tree and all errors; the tree is meaningful
/// (but partial) even when there are errors.
pub fn parse(text: &str) -> (File, Vec<Diagnostic>) {
    let (tokens, errors) = lex(text);
    let mut p = Parser { text, tokens, pos: 0, errors, depth: 0 };
    let file = p.file();
    (file, p.errors)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    errors: Vec<Diagnostic>,
    depth: u32,
}

type Res<T> = Result<T, ()>;

impl Parser<'_> {
    // ---- cursor -------------------------------------------------------------

    fn raw(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn skip_newlines(&mut self) {
        while self.raw().kind == T::Newline || self.raw().kind == T::Unknown {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> T {
        self.skip_newlines();
        self.raw().kind
    }

    fn peek_at(&mut self, n: usize) -> T {
        self.skip_newlines();
        let mut i = self.pos;
        let mut seen = 0;
        while i < self.tokens.len() {
            if self.tokens[i].kind != T::Newline {
                if seen == n {
                    return self.tokens[i].kind;
                }
                seen += 1;
            }
            i += 1;
        }
        T::Eof
    }

    /// Whether the next token past any newlines is `kind`; consumes nothing.
    fn next_is(&mut self, kind: T) -> bool {
        let saved = self.pos;
        let found = self.peek() == kind;
        self.pos = saved;
        found
    }

    fn bump(&mut self) -> Token {
        self.skip_newlines();
        let t = self.raw();
        if t.kind != T::Eof {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, kind: T) -> bool {
        if self.peek() == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_raw(&mut self, kind: T) -> bool {
        if self.raw().kind == kind {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn text_of(&self, t: Token) -> &str {
        &self.text[t.span.range()]
    }

    fn last_span(&self) -> Span {
        let mut i = self.pos;
        while i > 0 {
            i -= 1;
            if self.tokens[i].kind != T::Newline {
                return self.tokens[i].span;
            }
        }
        Span::default()
    }

    fn error_here(&mut self, what: &str) {
        let t = {
            self.skip_newlines();
            self.raw()
        };
        let found = self.describe(t);
        self.errors.push(
            Diagnostic::error("E0002", t.span, format!("expected {what}, found {found}"))
                .with_label(format!("expected {what}")),
        );
    }

    fn describe(&self, t: Token) -> String {
        match t.kind {
            T::Ident | T::Int => format!("`{}`", self.text_of(t)),
            k if k.describe() == "a keyword" => format!("keyword `{}`", self.text_of(t)),
            k => k.describe().to_string(),
        }
    }

    fn expect(&mut self, kind: T, what: &str) -> Res<Token> {
        if self.peek() == kind {
            Ok(self.bump())
        } else {
            self.error_here(what);
            Err(())
        }
    }

    fn ident(&mut self, what: &str) -> Res<Ident> {
        let next = {
            self.skip_newlines();
            self.raw()
        };
        if next.kind != T::Ident && self.describe(next).starts_with("keyword") {
            let word = self.text_of(next).to_string();
            self.errors.push(
                Diagnostic::error("E0011", next.span, format!("expected {what}, found keyword `{word}`"))
                    .with_label("a reserved word")
                    .with_hint(format!(
                        "`{word}` is a keyword of the language; choose another name, e.g. `{word}_`"
                    )),
            );
            return Err(());
        }
        let t = self.expect(T::Ident, what)?;
        Ok(Ident { text: self.text_of(t).to_string(), span: t.span })
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.raw().span;
            self.errors.push(
                Diagnostic::error("E0003", span, "the model nests too deeply")
                    .with_label("nesting limit reached here")
                    .with_hint(format!("leash accepts at most {MAX_DEPTH} levels of nesting")),
            );
            self.depth -= 1;
            return Err(());
        }
        Ok(())
    }

    /// Skips to the end of the current statement (a newline, `;` or `}` at this depth).
    fn recover_stmt(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.raw().kind {
                T::Eof => return,
                T::Newline | T::Semi if depth == 0 => return,
                T::RBrace if depth == 0 => return,
                T::LBrace | T::LParen | T::LBracket => depth += 1,
                T::RBrace | T::RParen | T::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    // ---- items --------------------------------------------------------------

    fn file(&mut self) -> File {
        let mut items = Vec::new();
        loop {
            while self.eat(T::Semi) {}
            match self.peek() {
                T::Eof => break,
                T::Task | T::Fn => {
                    if let Ok(f) = self.func() {
                        items.push(Item::Func(Box::new(f)));
                    } else {
                        self.recover_item();
                    }
                }
                T::Var => match self.var_decl() {
                    Ok(v) => items.push(Item::Var(Box::new(v))),
                    Err(()) => self.recover_item(),
                },
                T::Const => match self.const_decl() {
                    Ok(c) => items.push(Item::Const(c)),
                    Err(()) => self.recover_item(),
                },
                _ => {
                    let t = self.raw();
                    let mut d = Diagnostic::error(
                        "E0004",
                        t.span,
                        format!("expected `task`, `fn`, `var` or `const`, found {}", self.describe(t)),
                    )
                    .with_label("not a declaration");
                    if t.kind == T::Ident {
                        if let Some(s) = suggest(self.text_of(t), ["task", "fn", "var", "const"]) {
                            d = d.with_hint(format!("did you mean `{s}`?"));
                        }
                    }
                    self.errors.push(d);
                    self.pos += 1;
                    self.recover_item();
                }
            }
        }
        File { items }
    }

    /// Skips to the next line that starts a declaration.
    fn recover_item(&mut self) {
        loop {
            let t = self.raw();
            match t.kind {
                T::Eof => return,
                T::Task | T::Fn | T::Var | T::Const => {
                    let prev = self.pos.checked_sub(1).map(|i| self.tokens[i].kind);
                    if prev.is_none() || prev == Some(T::Newline) {
                        return;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn func(&mut self) -> Res<FuncDecl> {
        let kw = self.bump();
        let name = self.ident("a name for the task")?;
        self.expect(T::LParen, "`(` to start the parameters")?;
        let mut params = Vec::new();
        while self.peek() != T::RParen {
            let name = self.ident("a parameter name")?;
            let ty = if self.eat(T::Colon) { Some(self.type_expr()?) } else { None };
            params.push(Param { name, ty });
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.expect(T::RParen, "`)` to end the parameters")?;
        let body = self.block()?;
        Ok(FuncDecl { is_task: kw.kind == T::Task, name, params, span: kw.span.to(body.span), body })
    }

    fn type_expr(&mut self) -> Res<TypeExpr> {
        let name = self.ident("a type")?;
        let mut span = name.span;
        let range = if self.raw().kind == T::LBracket {
            self.bump();
            let lo = self.expr()?;
            self.expect(T::DotDot, "`..` in an integer range")?;
            let hi = self.expr()?;
            span = span.to(self.expect(T::RBracket, "`]`")?.span);
            Some((lo, hi))
        } else {
            None
        };
        Ok(TypeExpr { name, range, span })
    }

    fn var_decl(&mut self) -> Res<VarDecl> {
        let kw = self.bump();
        let name = self.ident("a variable name")?;
        let ty = if self.eat(T::Colon) { Some(self.type_expr()?) } else { None };
        self.expect(T::Eq, "`=` and an initial value")?;
        let init = self.expr()?;
        Ok(VarDecl { name, ty, span: kw.span.to(init.span), init })
    }

    fn const_decl(&mut self) -> Res<ConstDecl> {
        self.bump();
        let name = self.ident("a constant name")?;
        self.expect(T::Eq, "`=`")?;
        let value = self.expr()?;
        Ok(ConstDecl { name, value })
    }

    // ---- statements ---------------------------------------------------------

    fn block(&mut self) -> Res<Block> {
        self.enter()?;
        let r = self.block_inner();
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self) -> Res<Block> {
        let open = self.expect(T::LBrace, "`{`")?;
        let mut stmts = Vec::new();
        loop {
            while self.eat(T::Semi) {}
            match self.peek() {
                T::RBrace => break,
                T::Eof => {
                    self.errors.push(
                        Diagnostic::error("E0005", open.span, "this `{` is never closed")
                            .with_label("unclosed block")
                            .with_hint("add a `}` at the end of the block"),
                    );
                    return Ok(Block { stmts, span: open.span.to(self.last_span()) });
                }
                _ => {}
            }
            let before = self.pos;
            match self.stmt() {
                Ok(s) => {
                    stmts.push(s);
                    match self.raw().kind {
                        T::Newline | T::Semi | T::RBrace | T::Eof => {}
                        _ => {
                            self.error_here("the end of the statement (a new line or `;`)");
                            self.recover_stmt();
                        }
                    }
                }
                Err(()) => {
                    self.recover_stmt();
                    if self.pos == before && self.raw().kind != T::RBrace {
                        self.pos += 1;
                    }
                }
            }
        }
        let close = self.bump();
        Ok(Block { stmts, span: open.span.to(close.span) })
    }

    fn stmt(&mut self) -> Res<Stmt> {
        self.enter()?;
        let r = self.stmt_inner();
        self.depth -= 1;
        r
    }

    fn stmt_inner(&mut self) -> Res<Stmt> {
        let start = {
            self.skip_newlines();
            self.raw()
        };
        let kind = match start.kind {
            T::Let => {
                self.bump();
                let pat = self.pattern()?;
                self.expect(T::Eq, "`=` and a value")?;
                StmtKind::Let { pat, value: self.expr()? }
            }
            T::Var => StmtKind::Var(self.var_decl()?),
            T::Send => {
                self.bump();
                let (chan, value) = self.send_args()?;
                StmtKind::Send { chan, value }
            }
            T::Select => {
                self.bump();
                StmtKind::Select(self.select_cases()?)
            }
            T::If => return self.if_stmt(),
            T::While => {
                self.bump();
                let cond = self.expr()?;
                StmtKind::While { cond, body: self.block()? }
            }
            T::Loop => {
                self.bump();
                StmtKind::Loop(self.block()?)
            }
            T::For => {
                self.bump();
                let var = self.ident("a loop variable")?;
                self.expect(T::In, "`in`")?;
                let first = self.expr()?;
                if self.eat_raw(T::DotDot) {
                    let hi = self.expr()?;
                    StmtKind::ForRange { var, lo: first, hi, body: self.block()? }
                } else {
                    StmtKind::ForChan { var, chan: first, body: self.block()? }
                }
            }
            T::Choose => {
                self.bump();
                let mut arms = vec![self.block()?];
                while self.next_is(T::Or) {
                    self.bump();
                    arms.push(self.block()?);
                }
                StmtKind::Choose(arms)
            }
            T::Defer => {
                self.bump();
                StmtKind::Defer(Box::new(self.stmt()?))
            }
            T::Return => {
                self.bump();
                match self.raw().kind {
                    T::Newline | T::Semi | T::RBrace | T::Eof => StmtKind::Return(None),
                    _ => StmtKind::Return(Some(self.expr()?)),
                }
            }
            T::Break => {
                self.bump();
                StmtKind::Break
            }
            T::Continue => {
                self.bump();
                StmtKind::Continue
            }
            T::Sleep => {
                self.bump();
                StmtKind::Sleep
            }
            T::Yield => {
                self.bump();
                StmtKind::Yield
            }
            T::Ident if matches!(self.peek_at(1), T::Ident | T::Int) => {
                let word = self.text_of(start).to_string();
                let mut d = Diagnostic::error("E0006", start.span, format!("unknown statement `{word}`"))
                    .with_label("not a statement");
                if let Some(s) = suggest(&word, KEYWORDS.iter().copied()) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                self.errors.push(d);
                return Err(());
            }
            T::Else => {
                self.errors.push(
                    Diagnostic::error("E0007", start.span, "`else` without an `if`")
                        .with_label("nothing to attach to")
                        .with_hint("`else` must follow the closing `}` of an `if`"),
                );
                return Err(());
            }
            T::Or => {
                self.errors.push(
                    Diagnostic::error("E0007", start.span, "`or` without a `choose`")
                        .with_label("nothing to attach to")
                        .with_hint("write `choose { ... } or { ... }`"),
                );
                return Err(());
            }
            _ => {
                let e = self.expr()?;
                if self.eat_raw(T::Eq) {
                    let value = self.expr()?;
                    StmtKind::Assign { target: e, value }
                } else {
                    StmtKind::Expr(e)
                }
            }
        };
        Ok(Stmt { kind, span: start.span.to(self.last_span()) })
    }

    fn if_stmt(&mut self) -> Res<Stmt> {
        self.enter()?;
        let r = self.if_stmt_inner();
        self.depth -= 1;
        r
    }

    fn if_stmt_inner(&mut self) -> Res<Stmt> {
        let kw = self.bump();
        let cond = self.expr()?;
        let then = self.block()?;
        let otherwise = if self.next_is(T::Else) {
            self.bump();
            if self.peek() == T::If {
                let nested = self.if_stmt()?;
                Some(Block { span: nested.span, stmts: vec![nested] })
            } else {
                Some(self.block()?)
            }
        } else {
            None
        };
        Ok(Stmt { kind: StmtKind::If { cond, then, otherwise }, span: kw.span.to(self.last_span()) })
    }

    fn pattern(&mut self) -> Res<Pattern> {
        if self.eat(T::LParen) {
            let a = self.ident("a name for the value")?;
            self.expect(T::Comma, "`,`")?;
            let b = self.ident("a name for the `ok` flag")?;
            self.expect(T::RParen, "`)`")?;
            Ok(Pattern::Pair(a, b))
        } else {
            Ok(Pattern::Name(self.ident("a name to bind")?))
        }
    }

    fn send_args(&mut self) -> Res<(Expr, Option<Expr>)> {
        let chan = self.expr()?;
        let value = if self.eat_raw(T::Comma) { Some(self.expr()?) } else { None };
        Ok((chan, value))
    }

    fn select_cases(&mut self) -> Res<Vec<SelectCase>> {
        self.expect(T::LBrace, "`{` to start the select cases")?;
        let mut cases = Vec::new();
        loop {
            while self.eat(T::Semi) {}
            match self.peek() {
                T::RBrace => break,
                T::Eof => {
                    self.error_here("`}` to end the select");
                    return Err(());
                }
                _ => {}
            }
            let before = self.pos;
            match self.select_case() {
                Ok(c) => cases.push(c),
                Err(()) => {
                    self.recover_stmt();
                    if self.pos == before && self.raw().kind != T::RBrace {
                        self.pos += 1;
                    }
                }
            }
        }
        self.bump();
        Ok(cases)
    }

    fn select_case(&mut self) -> Res<SelectCase> {
        let t = self.raw();
        let kind = match t.kind {
            T::Recv => {
                self.bump();
                let chan = self.expr()?;
                let pat = if self.eat(T::As) { Some(self.pattern()?) } else { None };
                CaseKind::Recv { chan, pat }
            }
            T::Send => {
                self.bump();
                let (chan, value) = self.send_args()?;
                CaseKind::Send { chan, value }
            }
            T::After => {
                self.bump();
                CaseKind::After
            }
            T::Default => {
                self.bump();
                CaseKind::Default
            }
            _ => {
                let found = self.describe(t);
                self.errors.push(
                    Diagnostic::error("E0008", t.span, format!("expected a select case, found {found}"))
                        .with_label("not a case")
                        .with_hint("a case is `recv CH [as x] => ...`, `send CH[, v] => ...`, `after => ...` or `default => ...`"),
                );
                return Err(());
            }
        };
        let head = t.span.to(self.last_span());
        self.expect(T::FatArrow, "`=>` after the case")?;
        let body = if self.peek() == T::LBrace {
            self.block()?
        } else {
            let s = self.stmt()?;
            Block { span: s.span, stmts: vec![s] }
        };
        Ok(SelectCase { kind, body, span: head })
    }

    // ---- expressions --------------------------------------------------------

    fn expr(&mut self) -> Res<Expr> {
        self.enter()?;
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    fn binary(&mut self, min_prec: u8) -> Res<Expr> {
        let mut lhs = self.unary()?;
        let entered = self.depth;
        let r = self.binary_rest(&mut lhs, min_prec);
        self.depth = entered;
        r.map(|()| lhs)
    }

    /// Each operator nests the tree one level deeper, so it counts towards the depth limit.
    fn binary_rest(&mut self, lhs: &mut Expr, min_prec: u8) -> Res<()> {
        loop {
            let (op, prec) = match self.raw().kind {
                T::OrOr => (BinOp::Or, 1),
                T::AndAnd => (BinOp::And, 2),
                T::EqEq => (BinOp::Eq, 3),
                T::NotEq => (BinOp::Ne, 3),
                T::Lt => (BinOp::Lt, 3),
                T::Le => (BinOp::Le, 3),
                T::Gt => (BinOp::Gt, 3),
                T::Ge => (BinOp::Ge, 3),
                T::Plus => (BinOp::Add, 4),
                T::Minus => (BinOp::Sub, 4),
                _ => break,
            };
            if prec <= min_prec {
                break;
            }
            self.pos += 1;
            self.enter()?;
            let rhs = self.binary(prec)?;
            let span = lhs.span.to(rhs.span);
            let left = std::mem::replace(lhs, Expr { kind: ExprKind::Error, span });
            *lhs = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(rhs)), span };
        }
        Ok(())
    }

    fn unary(&mut self) -> Res<Expr> {
        let t = {
            self.skip_newlines();
            self.raw()
        };
        let op = match t.kind {
            T::Bang => UnOp::Not,
            T::Minus => UnOp::Neg,
            _ => return self.postfix(),
        };
        self.bump();
        self.enter()?;
        let inner = self.unary();
        self.depth -= 1;
        let inner = inner?;
        let span = t.span.to(inner.span);
        Ok(Expr { kind: ExprKind::Unary(op, Box::new(inner)), span })
    }

    fn postfix(&mut self) -> Res<Expr> {
        let e = self.primary()?;
        let entered = self.depth;
        let r = self.postfix_rest(e);
        self.depth = entered;
        r
    }

    /// Each postfix operator nests the tree one level deeper, so it counts towards the depth limit.
    fn postfix_rest(&mut self, mut e: Expr) -> Res<Expr> {
        loop {
            if matches!(self.raw().kind, T::Dot | T::LBracket | T::Question) {
                self.enter()?;
            }
            match self.raw().kind {
                T::Dot => {
                    self.pos += 1;
                    let name = self.ident("a field or method name after `.`")?;
                    if name.text == "go" && self.peek() == T::Ident {
                        let task = self.ident("a task to run in the group")?;
                        let args = self.args()?;
                        let span = e.span.to(self.last_span());
                        e = Expr { kind: ExprKind::GroupGo { group: Box::new(e), task, args }, span };
                    } else if self.raw().kind == T::LParen {
                        let args = self.args()?;
                        let span = e.span.to(self.last_span());
                        e = Expr { kind: ExprKind::Method { recv: Box::new(e), name, args }, span };
                    } else {
                        let span = e.span.to(name.span);
                        e = Expr { kind: ExprKind::Field(Box::new(e), name), span };
                    }
                }
                T::LBracket => {
                    self.pos += 1;
                    let index = self.expr()?;
                    let close = self.expect(T::RBracket, "`]`")?;
                    let span = e.span.to(close.span);
                    e = Expr { kind: ExprKind::Index(Box::new(e), Box::new(index)), span };
                }
                T::Question => {
                    let q = self.bump();
                    let span = e.span.to(q.span);
                    e = Expr { kind: ExprKind::Try(Box::new(e)), span };
                }
                _ => return Ok(e),
            }
        }
    }

    fn args(&mut self) -> Res<Vec<Expr>> {
        self.expect(T::LParen, "`(` to start the arguments")?;
        let mut args = Vec::new();
        while self.peek() != T::RParen {
            args.push(self.expr()?);
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.expect(T::RParen, "`)` to end the arguments")?;
        Ok(args)
    }

    fn primary(&mut self) -> Res<Expr> {
        self.skip_newlines();
        let t = self.raw();
        let simple = |kind| Ok(Expr { kind, span: t.span });
        let kind = match t.kind {
            T::Int => {
                self.bump();
                return match self.text_of(t).parse::<i64>() {
                    Ok(v) => simple(ExprKind::Int(v)),
                    Err(_) => {
                        self.errors.push(
                            Diagnostic::error("E0009", t.span, "this number is too large")
                                .with_label("out of range")
                                .with_hint("models use small integers: state spaces grow with every value"),
                        );
                        simple(ExprKind::Error)
                    }
                };
            }
            T::True => ExprKind::Bool(true),
            T::False => ExprKind::Bool(false),
            T::Nil => ExprKind::Nil,
            T::Colon => {
                self.bump();
                let name = self.ident("an atom name after `:`")?;
                return Ok(Expr { span: t.span.to(name.span), kind: ExprKind::Atom(name.text) });
            }
            T::Ident => {
                let name = self.ident("a name")?;
                if self.raw().kind == T::LParen {
                    let args = self.args()?;
                    return Ok(Expr {
                        span: t.span.to(self.last_span()),
                        kind: ExprKind::Call { callee: name, args },
                    });
                }
                return Ok(Expr { span: name.span, kind: ExprKind::Name(name) });
            }
            T::LParen => {
                self.bump();
                let inner = self.expr()?;
                self.expect(T::RParen, "`)`")?;
                return Ok(inner);
            }
            T::LBracket => {
                self.bump();
                let elem = self.expr()?;
                self.expect(T::Semi, "`;` and the array length")?;
                let len = self.expr()?;
                let close = self.expect(T::RBracket, "`]`")?;
                return Ok(Expr {
                    kind: ExprKind::Array { elem: Box::new(elem), len: Box::new(len) },
                    span: t.span.to(close.span),
                });
            }
            T::Recv => {
                self.bump();
                let chan = self.expr()?;
                return Ok(Expr { span: t.span.to(chan.span), kind: ExprKind::Recv(Box::new(chan)) });
            }
            T::Join => {
                self.bump();
                let h = self.expr()?;
                return Ok(Expr { span: t.span.to(h.span), kind: ExprKind::Join(Box::new(h)) });
            }
            T::Spawn => {
                self.bump();
                let task = self.ident("a task to spawn")?;
                let args = self.args()?;
                return Ok(Expr { span: t.span.to(self.last_span()), kind: ExprKind::Spawn { task, args } });
            }
            T::Work => {
                self.bump();
                let name = self.ident("a name for the work")?;
                let ctx = if self.raw().kind == T::LParen {
                    self.bump();
                    let c = self.expr()?;
                    self.expect(T::RParen, "`)` after the context")?;
                    Some(Box::new(c))
                } else {
                    None
                };
                return Ok(Expr { span: t.span.to(self.last_span()), kind: ExprKind::Work { name, ctx } });
            }
            _ => {
                self.error_here("an expression");
                return Err(());
            }
        };
        self.bump();
        simple(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        parse(src).1.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn parses_the_design_sketch() {
        let src = "task main() {\n let out = chan(0)\n spawn compute(out)\n select {\n recv out => {}\n after => {}\n }\n}\ntask compute(out) {\n work expensive\n send out\n}\n";
        let (file, errs) = parse(src);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(file.items.len(), 2);
    }

    #[test]
    fn newline_ends_return() {
        let (file, errs) = parse("fn f() {\n return\n wg.done()\n}");
        assert!(errs.is_empty(), "{errs:?}");
        let Item::Func(f) = &file.items[0] else { panic!() };
        assert_eq!(f.body.stmts.len(), 2);
        assert_eq!(f.body.stmts[0].kind, StmtKind::Return(None));
    }

    #[test]
    fn reports_every_error_not_just_the_first() {
        let errs = errors("task main() {\n sned out\n let = 3\n}\ntask other() {\n recv\n}\n");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(errs[0], "unknown statement `sned`");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("task main() {{ let x = {}1{} }}", "(".repeat(5000), ")".repeat(5000));
        assert!(errors(&src).iter().any(|e| e.contains("nests too deeply")));
        for long in ["+1", ".b", "?", "[0]"] {
            let src = format!("task main() {{\n let x = a{}\n}}", long.repeat(5000));
            assert!(errors(&src).iter().any(|e| e.contains("nests too deeply")), "{long}");
        }
        let chain = format!("task main() {{\n if true {{}}{}\n}}", " else if true {}".repeat(5000));
        assert!(errors(&chain).iter().any(|e| e.contains("nests too deeply")));
    }
}
