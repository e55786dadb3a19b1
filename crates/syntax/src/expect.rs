//! `// expect:` lines: the verdicts a model states it must get.

use crate::{Diagnostic, Span};

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
        let (scenario, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.split_once(']') {
                Some((s, r)) => (Some(s.trim().to_string()), r),
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
        let mut words = body.split_whitespace().map(str::to_string);
        let Some(kind) = words.next() else {
            errors.push(
                Diagnostic::error("E0010", span, "empty expect line")
                    .with_label("no verdict")
                    .with_hint("write e.g. `// expect: verified` or `// expect: leak worker`"),
            );
            continue;
        };
        out.push(Expectation { scenario, kind, tasks: words.collect(), span });
    }
    (out, errors)
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
        assert!(expectations("// expectations are below\n").0.is_empty());
        assert_eq!(expectations("// expect verified\n").1.len(), 1, "a missing colon is an error");
    }
}
