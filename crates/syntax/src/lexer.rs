//! The lexer: source text to tokens, newlines kept (they end statements).

use crate::{Diagnostic, Span};
use logos::Logos;

/// The kinds of token.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip r"//[^\n]*")]
pub enum TokenKind {
    #[token("task")]
    Task,
    #[token("fn")]
    Fn,
    #[token("var")]
    Var,
    #[token("let")]
    Let,
    #[token("const")]
    Const,
    #[token("struct")]
    Struct,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("while")]
    While,
    #[token("loop")]
    Loop,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("select")]
    Select,
    #[token("recv")]
    Recv,
    #[token("send")]
    Send,
    #[token("spawn")]
    Spawn,
    #[token("join")]
    Join,
    #[token("work")]
    Work,
    #[token("defer")]
    Defer,
    #[token("return")]
    Return,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("choose")]
    Choose,
    #[token("or")]
    Or,
    #[token("after")]
    After,
    #[token("default")]
    Default,
    #[token("sleep")]
    Sleep,
    #[token("yield")]
    Yield,
    #[token("assert")]
    Assert,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("nil")]
    Nil,
    #[token("as")]
    As,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[regex(r"[0-9]+")]
    Int,
    #[token("\n")]
    Newline,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("=>")]
    FatArrow,
    #[token("=")]
    Eq,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("!")]
    Bang,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("?")]
    Question,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// How the token reads in an error message.
    pub fn describe(self) -> &'static str {
        use TokenKind::*;
        match self {
            Ident => "a name",
            Int => "a number",
            Newline => "end of line",
            Eof => "end of file",
            LBrace => "`{`",
            RBrace => "`}`",
            LParen => "`(`",
            RParen => "`)`",
            LBracket => "`[`",
            RBracket => "`]`",
            Comma => "`,`",
            Dot => "`.`",
            DotDot => "`..`",
            Semi => "`;`",
            Colon => "`:`",
            FatArrow => "`=>`",
            Eq => "`=`",
            EqEq => "`==`",
            NotEq => "`!=`",
            Lt => "`<`",
            Le => "`<=`",
            Gt => "`>`",
            Ge => "`>=`",
            Plus => "`+`",
            Minus => "`-`",
            Bang => "`!`",
            AndAnd => "`&&`",
            OrOr => "`||`",
            Question => "`?`",
            _ => "a keyword",
        }
    }
}

/// A token with its location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// Splits `text` into tokens, ending with [`TokenKind::Eof`]. Unknown characters
/// are left out, with a diagnostic each.
pub fn lex(text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut lexer = TokenKind::lexer(text);
    while let Some(result) = lexer.next() {
        let span = Span::new(lexer.span().start, lexer.span().end);
        match result {
            Ok(kind) => tokens.push(Token { kind, span }),
            Err(()) => errors.push(
                Diagnostic::error("E0001", span, format!("unexpected character `{}`", lexer.slice()))
                    .with_label("not part of the leash language"),
            ),
        }
    }
    let end = text.len();
    tokens.push(Token { kind: TokenKind::Eof, span: Span::new(end, end) });
    (tokens, errors)
}
