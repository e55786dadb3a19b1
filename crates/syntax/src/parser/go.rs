//! Go habits: Go's forms where leash has its own (`ch := ...`, `ch <- v`,
//! `<-ch`, `make(chan T, N)`, `go f(x)`) are reported with the leash form in
//! the hint and read as that form, so that the rest of the model is checked
//! and one habit gives one error. Each is out of line, so that the frames of
//! the recursive statement and expression parsers stay small.

use super::*;

impl Parser<'_> {
    /// A statement in Go's form at the cursor (`NAME := ...`, `CH <- V`,
    /// `go F(X)`), read as its leash form; `None` when there is none.
    #[inline(never)]
    pub(super) fn go_habit(&mut self) -> Option<Res<Stmt>> {
        let start = self.raw();
        if start.kind != T::Ident {
            return None;
        }
        let kind = if self.short_declaration() {
            self.go_short_declaration()
        } else if self.arrow_at(self.pos + 1) {
            self.go_send()
        } else if self.text_of(start) == "go" && self.peek_at(1) == T::Ident {
            self.go_statement()
        } else {
            return None;
        };
        Some(kind.map(|kind| Stmt { kind, span: start.span.to(self.last_span()) }))
    }

    /// Whether the statement starts with Go's `NAME :=`.
    fn short_declaration(&self) -> bool {
        let at = |i: usize| self.tokens.get(self.pos + i).copied();
        match (at(1), at(2)) {
            (Some(c), Some(e)) => c.kind == T::Colon && e.kind == T::Eq && c.span.end == e.span.start,
            _ => false,
        }
    }

    /// Whether the tokens at the cursor are `make ( chan`.
    pub(super) fn go_make_ahead(&self) -> bool {
        let at = |i: usize| self.tokens.get(self.pos + i).copied();
        matches!((at(1), at(2)), (Some(p), Some(c)) if p.kind == T::LParen && c.kind == T::Ident && self.text_of(c) == "chan")
    }

    /// `NAME := VALUE`, read as `let NAME = VALUE`.
    fn go_short_declaration(&mut self) -> Res<StmtKind> {
        let name = self.ident("a name")?;
        let colon = self.bump();
        let eq = self.bump();
        self.errors.push(
            Diagnostic::error("E0014", colon.span.to(eq.span), "`:=` is Go's short declaration")
                .with_label("Go syntax")
                .with_hint(format!("leash binds a name with `let`: `let {} = ...`", name.text)),
        );
        Ok(StmtKind::Let { pat: Pattern::Name(name), ty: None, value: self.expr()? })
    }

    /// `CH <- VALUE`, read as `send CH, VALUE`.
    fn go_send(&mut self) -> Res<StmtKind> {
        let chan = self.primary()?;
        let arrow = self.raw().span.to(self.tokens[self.pos + 1].span);
        self.pos += 2;
        let value = self.expr()?;
        let (c, v) = (self.text_of_span(chan.span), self.text_of_span(value.span));
        self.errors.push(
            Diagnostic::error("E0014", arrow, "`<-` is Go's send")
                .with_label("Go syntax")
                .with_hint(format!("leash sends with `send {c}, {v}`")),
        );
        Ok(StmtKind::Send { chan, value: Some(value) })
    }

    /// `go TASK(ARGS)`, read as `spawn TASK(ARGS)`; reported as an unknown
    /// statement (E0006), as any word that is not one.
    fn go_statement(&mut self) -> Res<StmtKind> {
        let go = self.bump();
        let start = self.raw().span;
        let (task, args, method) = self.task_call("a task to spawn")?;
        let call = self.text_of_span(start.to(self.last_span())).to_string();
        self.errors.push(
            Diagnostic::error("E0006", go.span, "unknown statement `go`")
                .with_label("Go syntax")
                .with_hint(format!("leash starts a task with `spawn`: `spawn {call}`")),
        );
        let span = go.span.to(self.last_span());
        Ok(StmtKind::Expr(Expr { kind: ExprKind::Spawn { task, args, method, detached: false }, span }))
    }

    /// `<-CH`, read as `recv CH`.
    #[inline(never)]
    pub(super) fn go_receive(&mut self) -> Res<Expr> {
        let lt = self.raw();
        let arrow = lt.span.to(self.tokens[self.pos + 1].span);
        self.pos += 2;
        let chan = self.unary()?;
        self.errors.push(
            Diagnostic::error("E0014", arrow, "`<-` is Go's receive")
                .with_label("Go syntax")
                .with_hint(format!("leash receives with `recv {}`", self.text_of_span(chan.span))),
        );
        Ok(Expr { span: lt.span.to(chan.span), kind: ExprKind::Recv(Box::new(chan)) })
    }

    /// `make(chan T)` or `make(chan T, N)`, read as `chan(0)` or `chan(N)`.
    #[inline(never)]
    pub(super) fn go_make(&mut self) -> Res<Expr> {
        let make = self.bump();
        self.bump();
        self.bump();
        // The element type: leash channels carry whatever is sent.
        while !matches!(self.raw().kind, T::RParen | T::Comma | T::Newline | T::Eof) {
            self.pos += 1;
        }
        let capacity = if self.eat_raw(T::Comma) { Some(self.expr()?) } else { None };
        let close = self.expect(T::RParen, "`)`")?;
        let span = make.span.to(close.span);
        let n = capacity.as_ref().map_or("0", |c| self.text_of_span(c.span)).to_string();
        let unbuffered = if capacity.is_none() { " (unbuffered)" } else { "" };
        self.errors.push(
            Diagnostic::error("E0014", span, "`make(chan ...)` is Go")
                .with_label("Go syntax")
                .with_hint(format!("leash makes a channel with its capacity only: `chan({n})`{unbuffered}")),
        );
        let capacity = capacity.unwrap_or(Expr { kind: ExprKind::Int(0), span: make.span });
        let callee = Ident { text: "chan".to_string(), span: make.span };
        Ok(Expr { span, kind: ExprKind::Call { callee, args: vec![capacity] } })
    }
}
