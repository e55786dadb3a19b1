//! Parsing declarations: tasks, helpers, variables, constants, types.

use super::*;
use crate::suggest;

impl Parser<'_> {
    pub(super) fn file(&mut self) -> File {
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
                T::Struct => match self.struct_decl() {
                    Ok(d) => items.push(Item::Struct(d)),
                    Err(()) => self.recover_item(),
                },
                T::Ident if self.text_of(self.raw()) == "func" => {
                    // Go's `func`: reported, then read as a task so that
                    // spawns of it resolve.
                    self.errors.push(
                        Diagnostic::error(
                            "E0004",
                            self.raw().span,
                            "expected `task`, `fn`, `struct`, `var` or `const`, found `func`",
                        )
                        .with_label("Go syntax")
                        .with_hint(
                            "`func` is Go: leash declares a goroutine's body as `task NAME(...) { ... }` \
                                 and a helper as `fn NAME(...) { ... }`",
                        ),
                    );
                    match self.func() {
                        Ok(f) => items.push(Item::Func(Box::new(FuncDecl { is_task: true, ..f }))),
                        Err(()) => self.recover_item(),
                    }
                }
                _ => {
                    let t = self.raw();
                    let mut d = Diagnostic::error(
                        "E0004",
                        t.span,
                        format!(
                            "expected `task`, `fn`, `struct`, `var` or `const`, found {}",
                            self.describe(t)
                        ),
                    )
                    .with_label("not a declaration");
                    if t.kind == T::Ident {
                        if let Some(s) = suggest(self.text_of(t), ["task", "fn", "struct", "var", "const"]) {
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
    pub(super) fn recover_item(&mut self) {
        loop {
            let t = self.raw();
            match t.kind {
                T::Eof => return,
                T::Task | T::Fn | T::Var | T::Const | T::Struct => {
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

    pub(super) fn func(&mut self) -> Res<FuncDecl> {
        let kw = self.bump();
        let receiver = if self.raw().kind == T::LParen { Some(self.receiver()?) } else { None };
        let name = self.ident("a name for the task")?;
        let params = self.params("`(` to start the parameters")?;
        let body = self.block()?;
        let is_task = kw.kind == T::Task;
        Ok(FuncDecl { is_task, name, receiver, params, captures: 0, span: kw.span.to(body.span), body })
    }

    /// `(name[: type], ...)`; `open` says what the `(` starts.
    pub(super) fn params(&mut self, open: &str) -> Res<Vec<Param>> {
        self.expect(T::LParen, open)?;
        let mut params = Vec::new();
        while self.peek() != T::RParen {
            params.push(self.param("a parameter name")?);
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.expect(T::RParen, "`)` to end the parameters")?;
        Ok(params)
    }

    /// `name[: type]`.
    pub(super) fn param(&mut self, what: &str) -> Res<Param> {
        let name = self.ident(what)?;
        // On the same line: a struct's untyped field ends at its new line.
        let ty = if self.eat_raw(T::Colon) { self.annotation()? } else { None };
        Ok(Param { name, ty })
    }

    /// A method's `(w: Worker)`: the receiver needs its struct type.
    fn receiver(&mut self) -> Res<Param> {
        self.bump();
        let name = self.ident("the receiver's name")?;
        if !self.eat(T::Colon) {
            self.error_here("`:` and the receiver's struct type, as in `(w: Worker)`");
            return Err(());
        }
        let ty = Some(self.type_expr()?);
        self.expect(T::RParen, "`)` after the receiver")?;
        Ok(Param { name, ty })
    }

    /// `struct Name { field[: type] ... }`, fields on their own lines or
    /// separated by commas.
    pub(super) fn struct_decl(&mut self) -> Res<StructDecl> {
        let kw = self.bump();
        let name = self.ident("a name for the struct")?;
        self.expect(T::LBrace, "`{` to start the fields")?;
        let mut fields = Vec::new();
        while self.peek() != T::RBrace {
            fields.push(self.param("a field name")?);
            if !matches!(self.raw().kind, T::Newline | T::RBrace) && !self.eat(T::Comma) {
                self.error_here("`,` or a new line between fields");
                return Err(());
            }
        }
        let close = self.expect(T::RBrace, "`}` to end the fields")?;
        Ok(StructDecl { name, fields, span: kw.span.to(close.span) })
    }

    /// The type after a `:`. `fn` names a function value: its signature
    /// comes from the values stored in it and from its calls, and a struct
    /// field of it starts at nil.
    fn annotation(&mut self) -> Res<Option<TypeExpr>> {
        if self.peek() != T::Fn {
            return Ok(Some(self.type_expr()?));
        }
        let span = self.bump().span;
        Ok(Some(TypeExpr { name: Ident { text: "fn".into(), span }, range: None, span }))
    }

    pub(super) fn type_expr(&mut self) -> Res<TypeExpr> {
        // `task` is a keyword and a type (a task handle).
        let name = if self.peek() == T::Task {
            let t = self.bump();
            Ident { text: "task".into(), span: t.span }
        } else {
            self.ident("a type")?
        };
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

    pub(super) fn var_decl(&mut self) -> Res<VarDecl> {
        let kw = self.bump();
        let name = self.ident("a variable name")?;
        let ty = if self.eat(T::Colon) { self.annotation()? } else { None };
        self.expect(T::Eq, "`=` and an initial value")?;
        let init = self.expr()?;
        Ok(VarDecl { name, ty, lifted: false, span: kw.span.to(init.span), init })
    }

    pub(super) fn const_decl(&mut self) -> Res<ConstDecl> {
        self.bump();
        let name = self.ident("a constant name")?;
        self.expect(T::Eq, "`=`")?;
        let value = self.expr()?;
        Ok(ConstDecl { name, value })
    }
}
