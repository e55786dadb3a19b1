//! The leash language from text to syntax tree: lexer, parser, AST, spans and
//! diagnostics as data. Parsing never fails: it returns the tree it could build
//! and every error it met, each with a byte range into the source.

pub mod ast;
mod diagnostic;
pub mod expect;
mod lexer;
mod parser;
mod span;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use lexer::{lex, Token, TokenKind};
pub use parser::parse;
pub use span::{LineIndex, Span};

/// The keywords of the language, used for "did you mean" hints.
pub const KEYWORDS: &[&str] = &[
    "task", "fn", "var", "let", "const", "struct", "if", "else", "while", "loop", "for", "in", "select",
    "recv", "send", "spawn", "join", "work", "defer", "return", "break", "continue", "choose", "or", "after",
    "default", "sleep", "yield", "assert", "true", "false", "ok", "err", "nil", "as", "close", "cancel",
    "stop",
];

/// Words of other languages (Go first) and their spelling in leash, for
/// "did you mean" hints: `receive` is `recv`, `go` is `spawn`.
pub const ALIASES: &[(&str, &str)] = &[
    ("receive", "recv"),
    ("go", "spawn"),
    ("func", "fn"),
    ("type", "struct"),
    ("function", "fn"),
    ("elif", "else if"),
    ("switch", "select"),
    ("case", "select"),
    ("panic", "assert"),
    ("wait", "join"),
];

/// The keyword a misspelt or foreign statement word most likely means: a
/// keyword close to it (`sned` → `send`), or the leash spelling of a word
/// close to one of [`ALIASES`] (`recieve` → `recv`).
pub fn did_you_mean(word: &str) -> Option<&'static str> {
    if let Some((_, k)) = ALIASES.iter().find(|(a, _)| *a == word) {
        return Some(k);
    }
    let aliases = ALIASES.iter().map(|(a, _)| *a);
    let best = suggest(word, KEYWORDS.iter().copied().chain(aliases))?;
    Some(ALIASES.iter().find(|(a, _)| *a == best).map_or(best, |(_, k)| *k))
}

/// Suggests the closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: edits plus swaps of neighbours.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keywords_only() {
        assert_eq!(suggest("sned", KEYWORDS.iter().copied()), Some("send"));
        assert_eq!(suggest("spwan", KEYWORDS.iter().copied()), Some("spawn"));
        assert_eq!(suggest("elephant", KEYWORDS.iter().copied()), None);
    }

    #[test]
    fn foreign_words_and_their_typos_get_the_leash_keyword() {
        assert_eq!(did_you_mean("recieve"), Some("recv"));
        assert_eq!(did_you_mean("receive"), Some("recv"));
        assert_eq!(did_you_mean("sned"), Some("send"));
        assert_eq!(did_you_mean("go"), Some("spawn"));
        assert_eq!(did_you_mean("elephant"), None);
    }
}
