//! A recursive-descent parser that never panics and never stops at the first
//! error: it returns the tree it could build and every diagnostic.
//!
//! This module holds the token cursor and error helpers; `items`, `stmt` and
//! `expr` parse declarations, statements and expressions.
//!
//! Newlines end statements. Inside a statement, an operator continues an
//! expression only on the same line; openers (`(`, `{`, `,`, operators) let the
//! text continue on the next line.

mod expr;
mod go;
mod items;
mod stmt;

use crate::ast::*;
use crate::lexer::{lex, Token, TokenKind as T};
use crate::{did_you_mean, Diagnostic, Span};

/// Deepest nesting of blocks and expressions accepted before giving up.
const MAX_DEPTH: u32 = 100;

/// Parses a model. Returns the tree and all errors; the tree is meaningful
/// (but partial) even when there are errors.
pub fn parse(text: &str) -> (File, Vec<Diagnostic>) {
    let (tokens, errors) = lex(text);
    let unclosed = unclosed_brace(text, &tokens);
    let structs = struct_names(text, &tokens);
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        errors,
        depth: 0,
        parens: 0,
        unclosed,
        reported_unclosed: false,
        structs,
    };
    let file = p.file();
    (file, p.errors)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    errors: Vec<Diagnostic>,
    depth: u32,
    /// Open `(` around the current expression: inside them newlines do not end it.
    parens: u32,
    /// When the braces do not balance: the `{` that lacks its `}`, found by indentation.
    unclosed: Option<Span>,
    /// Whether the missing `}` has been reported (it is reported once).
    reported_unclosed: bool,
    /// The names declared by `struct NAME`, so that `NAME {}` is an empty
    /// literal of a struct and `for i in 0..N {}` an empty loop.
    structs: Vec<String>,
}

/// The name after every `struct` keyword.
fn struct_names(text: &str, tokens: &[Token]) -> Vec<String> {
    tokens
        .windows(2)
        .filter(|w| w[0].kind == T::Struct && w[1].kind == T::Ident)
        .map(|w| text[w[1].span.range()].to_string())
        .collect()
}

/// When a `{` is never closed, the one that most likely lacks its `}`:
/// braces pair up in order, so one missing `}` shifts every pair after it;
/// the first `}` standing at the start of its line whose indentation differs
/// from the line of the `{` it closes shows where the shift began, and that
/// `{` is the culprit. Without such a `}`, the innermost `{` left open.
fn unclosed_brace(text: &str, tokens: &[Token]) -> Option<Span> {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = |at: usize| {
        let start = line_start(at);
        text[start..].len() - text[start..].trim_start_matches([' ', '\t']).len()
    };
    let first_on_line = |at: usize| text[line_start(at)..at].trim().is_empty();
    let mut open: Vec<Span> = Vec::new();
    let mut shifted: Option<Span> = None;
    for t in tokens {
        match t.kind {
            T::LBrace => open.push(t.span),
            T::RBrace => {
                if let Some(o) = open.pop() {
                    let at = t.span.start as usize;
                    if shifted.is_none() && first_on_line(at) && indent(at) != indent(o.start as usize) {
                        shifted = Some(o);
                    }
                }
            }
            _ => {}
        }
    }
    let innermost = *open.last()?;
    Some(shifted.unwrap_or(innermost))
}

type Res<T> = Result<T, ()>;

impl Parser<'_> {
    // ---- cursor -------------------------------------------------------------

    fn raw(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn skip_newlines(&mut self) {
        while self.raw().kind == T::Newline {
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

    fn text_of_span(&self, span: Span) -> &str {
        &self.text[span.range()]
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
            // Read as the name it stands for, so that the declaration it is
            // in still declares what it names (no errors about them later).
            self.bump();
            return Ok(Ident { text: word, span: next.span });
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

    /// Whether a `}` is missing before the next token: the braces do not
    /// balance, and it starts a declaration at the start of a line. (With
    /// balanced braces, a declaration inside a block is a misplaced one.)
    fn at_item_boundary(&mut self) -> bool {
        self.skip_newlines();
        let first_on_line = self.pos == 0 || self.tokens[self.pos - 1].kind == T::Newline;
        self.unclosed.is_some()
            && first_on_line
            && matches!(self.raw().kind, T::Task | T::Fn | T::Const | T::Struct)
    }

    /// Reports the missing `}` once, at the `{` that lacks it (or at `open`,
    /// the block being parsed, when the braces balance otherwise).
    fn report_unclosed(&mut self, open: Span) {
        if self.reported_unclosed {
            return;
        }
        self.reported_unclosed = true;
        let at = self.unclosed.unwrap_or(open);
        self.errors.push(
            Diagnostic::error("E0005", at, "this `{` is never closed")
                .with_label("unclosed block")
                .with_hint("add a `}` at the end of the block"),
        );
    }

    /// Whether the tokens at `pos` are Go's `<-` (a `<` and a `-` side by side).
    fn arrow_at(&self, pos: usize) -> bool {
        let (Some(a), Some(b)) = (self.tokens.get(pos), self.tokens.get(pos + 1)) else { return false };
        a.kind == T::Lt && b.kind == T::Minus && a.span.end == b.span.start
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
        assert_eq!(f.body.stmts[0].kind, StmtKind::Return(Vec::new()));
    }

    #[test]
    fn newlines_inside_parentheses_do_not_end_the_statement() {
        let (_, errs) = parse("task main() {\n let x = (1\n + 2)\n spawn w(1,\n 2)\n}\n");
        assert!(errs.is_empty(), "{errs:?}");
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
