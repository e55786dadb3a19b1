//! `leash test`: a model's `// expect:` lines against its report. Every
//! expected finding must be found, and every finding (violations and owner-rule
//! warnings alike) must be expected, so the corpus documents itself.

use crate::{FindingKind, ModelReport, Verdict};
use leash_syntax::expect::{expectations, Expectation};

/// How a model's report compares with its `// expect:` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// One line per mismatch; empty when the model passes.
    pub problems: Vec<String>,
}

impl Outcome {
    /// Whether the report matches every expectation.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
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
    let mut problems: Vec<String> = errors.into_iter().map(|d| d.message).collect();
    if expected.is_empty() {
        problems.push("no `// expect:` line".into());
    }
    for s in &report.scenarios {
        if s.verdict == Verdict::Incomplete {
            problems.push(format!("{}: incomplete ({})", s.scenario, s.bound.as_deref().unwrap_or("bound")));
        }
    }
    for e in &expected {
        if let Some(s) = &e.scenario {
            if leash_semantics::Scenario::from_name(s).is_none() {
                problems.push(format!("unknown scenario `{s}` in an expect line"));
                continue;
            }
        }
        if e.kind == "verified" {
            let bad: Vec<&str> = report
                .scenarios
                .iter()
                .filter(|s| e.scenario.as_deref().is_none_or(|x| x == s.scenario))
                .filter(|s| s.verdict == Verdict::Violated)
                .map(|s| s.scenario.as_str())
                .collect();
            if !bad.is_empty() {
                problems.push(format!("expected verified, violated in {}", bad.join(", ")));
            }
            continue;
        }
        if FindingKind::from_name(&e.kind).is_none() {
            problems.push(format!("unknown verdict `{}` in an expect line", e.kind));
            continue;
        }
        let found =
            report.findings.iter().any(|f| f.scenarios.iter().any(|s| matches(e, &f.kind, &f.tasks, s)));
        if !found {
            problems.push(format!("expected {}, not found", describe(e)));
        }
    }
    for f in &report.findings {
        for s in &f.scenarios {
            if !expected.iter().any(|e| matches(e, &f.kind, &f.tasks, s)) {
                problems.push(format!("unexpected {} {} ({s})", f.kind, f.tasks.join(" ")));
            }
        }
    }
    problems.dedup();
    Outcome { problems }
}
