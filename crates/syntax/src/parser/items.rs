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
                T::Ident if self.text_of(self.raw()) == "func" => {
                    // Go's `func`: reported, then read as a task so that
                    // spawns of it resolve.
                    self.errors.push(
                        Diagnostic::error(
                            "E0004",
                            self.raw().span,
                            "expected `task`, `fn`, `var` or `const`, found `func`",
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
    pub(super) fn recover_item(&mut self) {
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

    pub(super) fn func(&mut self) -> Res<FuncDecl> {
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

    pub(super) fn type_expr(&mut self) -> Res<TypeExpr> {
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

    pub(super) fn var_decl(&mut self) -> Res<VarDecl> {
        let kw = self.bump();
        let name = self.ident("a variable name")?;
        let ty = if self.eat(T::Colon) { Some(self.type_expr()?) } else { None };
        self.expect(T::Eq, "`=` and an initial value")?;
        let init = self.expr()?;
        Ok(VarDecl { name, ty, span: kw.span.to(init.span), init })
    }

    pub(super) fn const_decl(&mut self) -> Res<ConstDecl> {
        self.bump();
        let name = self.ident("a constant name")?;
        self.expect(T::Eq, "`=`")?;
        let value = self.expr()?;
        Ok(ConstDecl { name, value })
    }
}
