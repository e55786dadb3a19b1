//! `// expect:` lines: the verdicts a model states it must get.

use crate::{suggest, Diagnostic, Span};

/// The verdicts an expect line can state: `verified` and every finding kind
/// (the names of `leash_semantics::FindingKind`; a test in the root package
/// keeps the two lists equal).
pub const KINDS: &[&str] = &[
    "verified",
    "leak",
    "deadlock",
    "no-exit",
    "panic",
    "orphan",
    "unstopped",
    "uncancelled",
    "work-after-cancel",
];

/// The scenarios an expect line can be restricted to.
pub const SCENARIOS: &[&str] = &["completion", "error", "cancel"];

/// What one `// expect:` line asserts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// Restricted to one scenario (`// expect[cancel]: ...`), or all.
    pub scenario: Option<String>,
    /// `verified`, or a finding kind such as `leak` or `orphan`.
    pub kind: String,
    /// Task names the finding must name (empty: any).
    pub tasks: Vec<String>,
    /// The line, for messages.
    pub span: Span,
}

/// Reads every `// expect:` comment of a model. Malformed ones are diagnostics.
pub fn expectations(text: &str) -> (Vec<Expectation>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("// expect") else {
            continue;
        };
        if !rest.starts_with([':', '[', ' ', '\t']) || rest.trim().is_empty() {
            continue;
        }
        let col = start + (line.len() - trimmed.len());
        let span = Span::new(col, col + trimmed.trim_end().len());
        // Byte offset of `rest` in the text, for the spans of its words.
        let rest_at = col + "// expect".len();
        let (scenario, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.split_once(']') {
                Some((s, r)) => {
                    let name = s.trim();
                    let at = rest_at + 1 + (s.len() - s.trim_start().len());
                    if !SCENARIOS.contains(&name) {
                        errors.push(unknown_word(
                            Span::new(at, at + name.len().max(1)),
                            "scenario",
                            name,
                            SCENARIOS,
                        ));
                        continue;
                    }
                    (Some(name.to_string()), r)
                }
                None => {
                    errors.push(
                        Diagnostic::error("E0010", span, "unclosed `[` in an expect line").with_label("here"),
                    );
                    continue;
                }
            },
            None => (None, rest),
        };
        let Some(body) = rest.strip_prefix(':') else {
            errors.push(
                Diagnostic::error("E0010", span, "malformed expect line")
                    .with_label("expected `// expect: VERDICT`")
                    .with_hint("write e.g. `// expect: verified` or `// expect: leak worker`"),
            );
            continue;
        };
        let body_at = rest_at + (rest.len() - body.len());
        // Task names as a finding's header prints them (`deadlock main, worker`) or bare.
        let mut words =
            body.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).map(str::to_string);
        let Some(kind) = words.next() else {
            errors.push(
                Diagnostic::error("E0010", span, "empty expect line")
                    .with_label("no verdict")
                    .with_hint("write e.g. `// expect: verified` or `// expect: leak worker`"),
            );
            continue;
        };
        if !KINDS.contains(&kind.as_str()) {
            let at = body_at + (body.len() - body.trim_start().len());
            errors.push(unknown_word(Span::new(at, at + kind.len()), "verdict", &kind, KINDS));
            continue;
        }
        out.push(Expectation { scenario, kind, tasks: words.collect(), span });
    }
    (out, errors)
}

/// An unknown verdict or scenario in an expect line, with a did-you-mean.
fn unknown_word(span: Span, what: &str, word: &str, known: &[&str]) -> Diagnostic {
    let d = Diagnostic::error("E0010", span, format!("unknown {what} `{word}` in an expect line"))
        .with_label(format!("not a {what}"));
    match suggest(word, known.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!("a {what} is one of: {}", known.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_scoped_lines() {
        let (e, errs) = expectations("// expect: leak compute\n  // expect[cancel]: orphan a b\n// other\n");
        assert!(errs.is_empty());
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].kind, "leak");
        assert_eq!(e[0].tasks, vec!["compute"]);
        assert_eq!(e[1].scenario.as_deref(), Some("cancel"));
        assert_eq!(e[1].tasks, vec!["a", "b"]);
        let (e, _) = expectations("// expect: deadlock main, worker\n");
        assert_eq!(e[0].tasks, vec!["main", "worker"], "the names as a finding's header prints them");
        assert!(expectations("// expectations are below\n").0.is_empty());
        assert_eq!(expectations("// expect verified\n").1.len(), 1, "a missing colon is an error");
    }

    #[test]
    fn unknown_verdicts_and_scenarios_are_errors_at_the_word() {
        let text = "// expect: leek w\n// expect[cancle]: verified\n";
        let (e, errs) = expectations(text);
        assert!(e.is_empty());
        assert_eq!(errs.len(), 2);
        assert_eq!(&text[errs[0].span.range()], "leek");
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `leak`?"));
        assert_eq!(&text[errs[1].span.range()], "cancle");
        assert_eq!(errs[1].hint.as_deref(), Some("did you mean `cancel`?"));
    }
}
