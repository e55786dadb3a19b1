//! `leash test`: a model's `// expect:` lines against its report. Every
//! expected finding must be found, and every finding (violations and owner-rule
//! warnings alike) must be expected, so the corpus documents itself.

use crate::{Location, ModelReport, Verdict};
pub use leash_report::Problem;
use leash_syntax::expect::{expectations, Expectation};
use leash_syntax::LineIndex;

/// How a model's report compares with its `// expect:` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// One entry per mismatch; empty when the model passes.
    pub problems: Vec<Problem>,
}

impl Outcome {
    /// Whether the report matches every expectation.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The problems, separated by `; `.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<&str> = self.problems.iter().map(|p| p.message.as_str()).collect();
        f.write_str(&lines.join("; "))
    }
}

fn describe(e: &Expectation) -> String {
    let scope = e.scenario.as_ref().map(|s| format!("[{s}]")).unwrap_or_default();
    let tasks = if e.tasks.is_empty() { String::new() } else { format!(" {}", e.tasks.join(" ")) };
    format!("{}{scope}{tasks}", e.kind)
}

fn matches(e: &Expectation, kind: &str, tasks: &[String], scenario: &str) -> bool {
    e.kind == kind
        && e.scenario.as_deref().is_none_or(|s| s == scenario)
        && e.tasks.iter().all(|t| tasks.contains(t))
}

/// Compares `report` with the expectations written in `source`.
pub fn compare(source: &str, report: &ModelReport) -> Outcome {
    let (expected, errors) = expectations(source);
    let lines = LineIndex::new(source);
    let at = |span: leash_syntax::Span| {
        let (line, column) = lines.line_col(span.start);
        Some(Location { file: report.path.clone(), line, column })
    };
    let mut problems: Vec<Problem> =
        errors.into_iter().map(|d| Problem { location: at(d.span), message: d.message }).collect();
    if expected.is_empty() && problems.is_empty() {
        problems.push(Problem { message: "no `// expect:` line".into(), location: None });
    }
    for s in &report.scenarios {
        if s.verdict == Verdict::Incomplete {
            let bound = s.bound.as_deref().unwrap_or("bound");
            let (states, depth) = (s.stats.states, s.stats.max_depth);
            let message =
                format!("{}: incomplete ({bound}) after {states} states, depth {depth}", s.scenario);
            problems.push(Problem { message, location: None });
        }
    }
    for e in &expected {
        if e.kind == "verified" {
            let bad: Vec<&str> = report
                .scenarios
                .iter()
                .filter(|s| e.scenario.as_deref().is_none_or(|x| x == s.scenario))
                .filter(|s| s.verdict == Verdict::Violated)
                .map(|s| s.scenario.as_str())
                .collect();
            if !bad.is_empty() {
                let message = format!("expected verified, violated in {}", bad.join(", "));
                problems.push(Problem { message, location: at(e.span) });
            }
            continue;
        }
        let found =
            report.findings.iter().any(|f| f.scenarios.iter().any(|s| matches(e, &f.kind, &f.tasks, s)));
        if !found {
            problems.push(Problem {
                message: format!("expected {}, not found", describe(e)),
                location: at(e.span),
            });
        }
    }
    for f in &report.findings {
        for s in &f.scenarios {
            if !expected.iter().any(|e| matches(e, &f.kind, &f.tasks, s)) {
                let message = format!("unexpected {} {} ({s})", f.kind, f.tasks.join(" "));
                problems.push(Problem { message, location: leash_report::primary_location(f).cloned() });
            }
        }
    }
    problems.dedup();
    Outcome { problems }
}

#[cfg(test)]
mod tests {
    #[test]
    fn expect_lines_name_every_finding_kind() {
        let mut kinds: Vec<&str> = crate::FindingKind::ALL.iter().map(|k| k.name()).collect();
        kinds.insert(0, "verified");
        assert_eq!(kinds, leash_syntax::expect::KINDS);
        let scenarios: Vec<&str> = crate::Scenario::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(scenarios, leash_syntax::expect::SCENARIOS);
    }
}
