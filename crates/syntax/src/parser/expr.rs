//! Parsing expressions: precedence climbing, postfix operators, primaries.

use super::*;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Res<Expr> {
        self.enter()?;
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    pub(super) fn binary(&mut self, min_prec: u8) -> Res<Expr> {
        let mut lhs = self.unary()?;
        let entered = self.depth;
        let r = self.binary_rest(&mut lhs, min_prec);
        self.depth = entered;
        r.map(|()| lhs)
    }

    /// Each operator nests the tree one level deeper, so it counts towards the depth limit.
    pub(super) fn binary_rest(&mut self, lhs: &mut Expr, min_prec: u8) -> Res<()> {
        loop {
            if self.parens > 0 {
                self.skip_newlines();
            }
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

    pub(super) fn unary(&mut self) -> Res<Expr> {
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

    pub(super) fn postfix(&mut self) -> Res<Expr> {
        let e = self.primary()?;
        let entered = self.depth;
        let r = self.postfix_rest(e);
        self.depth = entered;
        r
    }

    /// Each postfix operator nests the tree one level deeper, so it counts towards the depth limit.
    pub(super) fn postfix_rest(&mut self, mut e: Expr) -> Res<Expr> {
        loop {
            if self.parens > 0 {
                self.skip_newlines();
            }
            if matches!(self.raw().kind, T::Dot | T::LBracket | T::Question) {
                self.enter()?;
            }
            match self.raw().kind {
                T::Dot => {
                    self.pos += 1;
                    let next = self.raw();
                    if matches!(next.kind, T::Recv | T::Send | T::Join | T::Spawn | T::Work | T::Select) {
                        let word = self.text_of(next).to_string();
                        let base = self.text[e.span.range()].to_string();
                        self.errors.push(
                            Diagnostic::error(
                                "E0012",
                                next.span,
                                format!("`{word}` is a statement, not a method"),
                            )
                            .with_label("not a method")
                            .with_hint(format!("write `{word} {base}`")),
                        );
                        return Err(());
                    }
                    let name = self.ident("a field or method name after `.`")?;
                    if name.text == "go" && self.peek() == T::Ident {
                        let (task, args, method) = self.task_call("a task to run in the group")?;
                        let span = e.span.to(self.last_span());
                        e = Expr { kind: ExprKind::GroupGo { group: Box::new(e), task, args, method }, span };
                    } else if name.text == "go" && self.raw().kind == T::LBrace {
                        let body = self.block()?;
                        let span = e.span.to(self.last_span());
                        e = Expr { kind: ExprKind::GroupGoBlock { group: Box::new(e), body }, span };
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

    /// What `spawn` and `g.go` start: `task(args)`, or `x.method(args)` with
    /// the receiver as the first argument (the flag says which).
    pub(super) fn task_call(&mut self, what: &str) -> Res<(Ident, Vec<Expr>, bool)> {
        if self.peek() == T::Ident && self.peek_at(1) == T::LParen {
            let task = self.ident(what)?;
            return Ok((task, self.args()?, false));
        }
        let target = self.postfix()?;
        match target.kind {
            ExprKind::Method { recv, name, args } => {
                Ok((name, std::iter::once(*recv).chain(args).collect(), true))
            }
            _ => {
                self.errors.push(
                    Diagnostic::error("E0002", target.span, format!("expected {what}, found an expression"))
                        .with_label("not a task call")
                        .with_hint(
                            "start a task with `spawn name(args)` or a task method with `spawn x.name(args)`",
                        ),
                );
                Err(())
            }
        }
    }

    /// Whether `Name {` starts a struct literal rather than a block: the
    /// brace is followed by `field:`, or closed at once after the name of a
    /// declared struct (`if ready {}` and `for i in 0..N {}` stay a
    /// condition or a bound and an empty block).
    fn struct_literal_ahead(&mut self, name: &Ident) -> bool {
        if self.raw().kind != T::LBrace {
            return false;
        }
        let saved = self.pos;
        self.pos += 1;
        let found = match self.peek() {
            T::Ident => self.peek_at(1) == T::Colon,
            T::RBrace => self.structs.contains(&name.text),
            _ => false,
        };
        self.pos = saved;
        found
    }

    /// `Name { field: value, ... }`, fields separated by commas or newlines.
    fn struct_literal(&mut self, name: Ident) -> Res<Expr> {
        self.bump();
        let mut fields = Vec::new();
        while self.peek() != T::RBrace {
            let field = self.ident("a field name")?;
            self.expect(T::Colon, "`:` and the field's value")?;
            self.parens += 1;
            let value = self.expr();
            self.parens -= 1;
            fields.push((field, value?));
            if !matches!(self.raw().kind, T::Newline | T::RBrace) && !self.eat(T::Comma) {
                self.error_here("`,` or a new line between fields");
                return Err(());
            }
        }
        let close = self.expect(T::RBrace, "`}` to end the struct literal")?;
        Ok(Expr { span: name.span.to(close.span), kind: ExprKind::StructLit { name, fields } })
    }

    pub(super) fn args(&mut self) -> Res<Vec<Expr>> {
        self.parens += 1;
        let r = self.args_inner();
        self.parens -= 1;
        r
    }

    fn args_inner(&mut self) -> Res<Vec<Expr>> {
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

    pub(super) fn primary(&mut self) -> Res<Expr> {
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
            T::Lt if self.arrow_at(self.pos) => return self.go_receive(),
            T::Ident if self.text_of(t) == "make" && self.go_make_ahead() => return self.go_make(),
            T::Ident => {
                let name = self.ident("a name")?;
                if self.struct_literal_ahead(&name) {
                    return self.struct_literal(name);
                }
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
                self.parens += 1;
                let inner = self.expr();
                self.parens -= 1;
                let inner = inner?;
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
                let span = t.span.to(chan.span);
                // `recv ch?` propagates the received result: the `?` applies to the receive.
                return Ok(match chan.kind {
                    ExprKind::Try(inner) => {
                        let recv = Expr { span: t.span.to(inner.span), kind: ExprKind::Recv(inner) };
                        Expr { span, kind: ExprKind::Try(Box::new(recv)) }
                    }
                    kind => Expr { span, kind: ExprKind::Recv(Box::new(Expr { kind, span: chan.span })) },
                });
            }
            T::Join => {
                self.bump();
                let h = self.expr()?;
                return Ok(Expr { span: t.span.to(h.span), kind: ExprKind::Join(Box::new(h)) });
            }
            T::Spawn => {
                self.bump();
                // `detached` is a word only here, before the task's name.
                let detached = self.peek() == T::Ident
                    && self.text_of(self.raw()) == "detached"
                    && matches!(self.peek_at(1), T::Ident | T::LBrace);
                if detached {
                    self.bump();
                }
                if self.peek() == T::LBrace {
                    let body = self.block()?;
                    let kind = ExprKind::SpawnBlock { body, detached };
                    return Ok(Expr { span: t.span.to(self.last_span()), kind });
                }
                let (task, args, method) = self.task_call("a task to spawn")?;
                let kind = ExprKind::Spawn { task, args, method, detached };
                return Ok(Expr { span: t.span.to(self.last_span()), kind });
            }
            T::Fn => {
                self.bump();
                let params = self.params("`(` to start the parameters of the function value")?;
                // Its statements end at new lines, even inside a call's parentheses.
                let parens = std::mem::replace(&mut self.parens, 0);
                let body = self.block();
                self.parens = parens;
                let body = body?;
                return Ok(Expr {
                    span: t.span.to(self.last_span()),
                    kind: ExprKind::FnLit { params, body },
                });
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
