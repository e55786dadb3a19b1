//! Parsing blocks, statements and select cases.

use super::*;

impl Parser<'_> {
    pub(super) fn block(&mut self) -> Res<Block> {
        self.enter()?;
        let r = self.block_inner();
        self.depth -= 1;
        r
    }

    pub(super) fn block_inner(&mut self) -> Res<Block> {
        let open = self.expect(T::LBrace, "`{`")?;
        let mut stmts = Vec::new();
        loop {
            while self.eat(T::Semi) {}
            if self.peek() == T::Eof || self.at_item_boundary() {
                // A `}` is missing: end every open block here, so that the
                // next declaration parses as one.
                self.report_unclosed(open.span);
                return Ok(Block { stmts, span: open.span.to(self.last_span()) });
            }
            if self.peek() == T::RBrace {
                break;
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

    pub(super) fn stmt(&mut self) -> Res<Stmt> {
        self.enter()?;
        let r = self.stmt_inner();
        self.depth -= 1;
        r
    }

    pub(super) fn stmt_inner(&mut self) -> Res<Stmt> {
        let start = {
            self.skip_newlines();
            self.raw()
        };
        if let Some(go) = self.go_habit() {
            return go;
        }
        let kind = match start.kind {
            T::Let => {
                self.bump();
                let pat = self.pattern()?;
                let ty = match pat {
                    Pattern::Name(_) if self.eat(T::Colon) => Some(self.type_expr()?),
                    _ => None,
                };
                self.expect(T::Eq, "`=` and a value")?;
                StmtKind::Let { pat, ty, value: self.expr()? }
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
                let cond = self.condition()?;
                StmtKind::While { cond, body: self.block()? }
            }
            T::Loop => {
                self.bump();
                StmtKind::Loop(self.block()?)
            }
            T::For => self.for_stmt()?,
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
                if self.peek() == T::LBrace {
                    let b = self.block()?;
                    StmtKind::Defer(Box::new(Stmt { span: b.span, kind: StmtKind::Block(b) }))
                } else {
                    StmtKind::Defer(Box::new(self.stmt()?))
                }
            }
            T::Assert => {
                self.bump();
                StmtKind::Assert(self.expr()?)
            }
            T::Return => {
                self.bump();
                match self.raw().kind {
                    T::Newline | T::Semi | T::RBrace | T::Eof => StmtKind::Return(Vec::new()),
                    T::LParen if self.paren_list_ahead() => {
                        self.bump();
                        let mut values = vec![self.expr()?];
                        while self.eat(T::Comma) {
                            values.push(self.expr()?);
                        }
                        self.expect(T::RParen, "`)`")?;
                        StmtKind::Return(values)
                    }
                    _ => StmtKind::Return(vec![self.expr()?]),
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
                if matches!(word.as_str(), "close" | "cancel" | "stop") {
                    let next = self.tokens[self.pos + 1..].iter().find(|t| t.kind != T::Newline).copied();
                    let arg = next.map_or(String::new(), |t| self.text_of(t).to_string());
                    d = d.with_hint(format!("`{word}` is called like a function: `{word}({arg})`"));
                } else if let Some(s) = did_you_mean(&word) {
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

    /// `for VAR in LO..HI { }` or `for VAR in CH { }`; Go's `for { }` is read
    /// as `loop { }` (E0014). Out of line, so that the frame of the recursive
    /// `stmt_inner` stays small.
    #[inline(never)]
    fn for_stmt(&mut self) -> Res<StmtKind> {
        let kw = self.bump();
        if self.peek() == T::LBrace {
            self.errors.push(
                Diagnostic::error("E0014", kw.span, "`for { }` is Go's endless loop")
                    .with_label("Go syntax")
                    .with_hint("leash writes it `loop { ... }`"),
            );
            return Ok(StmtKind::Loop(self.block()?));
        }
        let var = self.ident("a loop variable")?;
        let value = if self.eat(T::Comma) {
            Some(self.ident("a second loop variable (the map's value)")?)
        } else {
            None
        };
        if self.peek() != T::In {
            self.error_here("`in`");
            if let Some(d) = self.errors.last_mut() {
                d.hint = Some(
                    "leash's `for` is `for i in 0..N { ... }` or `for v in ch { ... }`; \
                     a loop on a condition is `while COND { ... }`"
                        .to_string(),
                );
            }
            return Err(());
        }
        self.bump();
        let first = self.expr()?;
        if value.is_none() && self.eat_raw(T::DotDot) {
            let hi = self.expr()?;
            Ok(StmtKind::ForRange { var, lo: first, hi, body: self.block()? })
        } else {
            Ok(StmtKind::ForChan { var, value, chan: first, body: self.block()? })
        }
    }

    pub(super) fn if_stmt(&mut self) -> Res<Stmt> {
        self.enter()?;
        let r = self.if_stmt_inner();
        self.depth -= 1;
        r
    }

    pub(super) fn if_stmt_inner(&mut self) -> Res<Stmt> {
        let kw = self.bump();
        let cond = self.condition()?;
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

    /// Whether the `(` ahead opens a list (`(a, b)`): a comma at its own
    /// depth before its `)`.
    fn paren_list_ahead(&mut self) -> bool {
        let mut depth = 0usize;
        for n in 0.. {
            match self.peek_at(n) {
                T::LParen | T::LBracket | T::LBrace => depth += 1,
                T::RParen | T::RBracket | T::RBrace => {
                    depth -= 1;
                    if depth == 0 {
                        return false;
                    }
                }
                T::Comma if depth == 1 => return true,
                T::Eof => return false,
                _ => {}
            }
        }
        false
    }

    pub(super) fn pattern(&mut self) -> Res<Pattern> {
        if self.eat(T::LParen) {
            let a = self.ident("a name for the value")?;
            self.expect(T::Comma, "`,`")?;
            let b = self.ident("a name for the `ok` flag")?;
            let mut more = Vec::new();
            while self.eat(T::Comma) {
                more.push(self.ident("a name for the next result")?);
            }
            self.expect(T::RParen, "`)`")?;
            if more.is_empty() {
                return Ok(Pattern::Pair(a, b));
            }
            Ok(Pattern::Tuple([a, b].into_iter().chain(more).collect()))
        } else {
            Ok(Pattern::Name(self.ident("a name to bind")?))
        }
    }

    pub(super) fn send_args(&mut self) -> Res<(Expr, Option<Expr>)> {
        let chan = self.expr()?;
        let value = if self.eat_raw(T::Comma) { Some(self.expr()?) } else { None };
        Ok((chan, value))
    }

    pub(super) fn select_cases(&mut self) -> Res<Vec<SelectCase>> {
        let open = self.expect(T::LBrace, "`{` to start the select cases")?;
        let mut cases = Vec::new();
        loop {
            while self.eat(T::Semi) {}
            if self.peek() == T::Eof || self.at_item_boundary() {
                self.report_unclosed(open.span);
                return Ok(cases);
            }
            if self.peek() == T::RBrace {
                break;
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

    pub(super) fn select_case(&mut self) -> Res<SelectCase> {
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

    /// The condition of an `if` or `while`; `=` there is a mistake for `==`.
    fn condition(&mut self) -> Res<Expr> {
        let cond = self.expr()?;
        if self.raw().kind == T::Eq {
            let eq = self.raw();
            self.errors.push(
                Diagnostic::error("E0013", eq.span, "`=` assigns, it does not compare")
                    .with_label("in a condition")
                    .with_hint("use `==` to compare"),
            );
            return Err(());
        }
        Ok(cond)
    }
}
