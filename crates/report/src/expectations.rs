//! The views of `leash test`: each model's `// expect:` lines against its
//! result, as JUnit XML (a test case per model) and as SARIF (a result per
//! mismatch, at the expect line or where the unexpected finding is).

use crate::sarif::{
    location, multiformat, notification, physical, text, InvalidModel, ToolInfo, SARIF_SCHEMA, SARIF_VERSION,
};
use crate::Location;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;
use serde_sarif::sarif as s;
use std::time::Duration;

/// One mismatch between a model's expect lines and its report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong: `expected verified, violated in cancel`,
    /// `unexpected leak worker (completion)`, ...
    pub message: String,
    /// Where: the expect line, or where the unexpected finding points;
    /// `None` for the model as a whole.
    pub location: Option<Location>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One model of `leash test`, as its JUnit and SARIF views need it.
#[derive(Clone, Debug)]
pub struct TestedModel {
    /// The model file as given.
    pub path: String,
    /// Its mismatches; empty when it is as expected.
    pub problems: Vec<Problem>,
    /// What leash found, rendered as text (the table and traces), for the
    /// failure's description.
    pub details: String,
    /// Wall-clock milliseconds of the check.
    pub time_ms: u64,
    /// The diagnostics, when it did not compile.
    pub invalid: Option<InvalidModel>,
}

/// JUnit XML: one suite, `leash test`, with a test case per model (named by
/// its path), failing with its mismatches and what leash found; a model that
/// does not compile is a case in error with its diagnostics.
pub fn render_test_junit(models: &[TestedModel]) -> String {
    let mut suite = TestSuite::new("leash test");
    let mut total = Duration::ZERO;
    for m in models {
        let status = if let Some(bad) = &m.invalid {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            let first = bad.message.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid model");
            st.set_type("invalid-model").set_message(first).set_description(bad.message.as_str());
            st
        } else if m.problems.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let lines: Vec<String> = m.problems.iter().map(|p| p.message.clone()).collect();
            st.set_type("expectation").set_message(lines.join("; ")).set_description(format!(
                "{}\n\n{}",
                lines.join("\n"),
                m.details
            ));
            st
        };
        let time = Duration::from_millis(m.time_ms);
        total += time;
        let mut case = TestCase::new(m.path.as_str(), status);
        case.set_classname("leash test").set_time(time);
        suite.add_test_case(case);
    }
    suite.set_time(total);
    let mut report = Report::new("leash");
    report.add_test_suite(suite);
    report.set_time(total);
    let mut xml = report.to_string().expect("JUnit XML serialises");
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
}

/// The one rule of the SARIF view of `leash test`.
const RULE: &str = "expectation";

/// SARIF 2.1.0: one result per mismatch (rule `expectation`, level `error`)
/// at its location, or on the model file; models that do not compile are
/// tool execution notifications, as in `leash check`. Deterministic.
pub fn render_test_sarif(models: &[TestedModel], tool: &ToolInfo) -> String {
    let rule = s::ReportingDescriptor::builder()
        .id(RULE.to_string())
        .name("Expectation".to_string())
        .short_description(multiformat("A model's result differs from its `// expect:` lines."))
        .full_description(multiformat(
            "leash test: every finding a model's `// expect:` lines state must be found, every finding \
             must be stated, and every search must complete.",
        ))
        .default_configuration(s::ReportingConfiguration::builder().level(json!("error")).build())
        .build();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for m in models {
        if let Some(bad) = &m.invalid {
            let at = match &bad.location {
                Some(l) => location(l),
                None => s::Location::builder().physical_location(physical(&bad.path, None)).build(),
            };
            let message =
                format!("{}: the model does not compile and was not tested\n{}", bad.path, bad.message);
            notifications.push(notification("error", message, Some(at)));
            continue;
        }
        for p in &m.problems {
            let at = match &p.location {
                Some(l) => location(l),
                None => s::Location::builder().physical_location(physical(&m.path, Some((1, 1)))).build(),
            };
            let mut r = s::Result::builder()
                .rule_id(RULE.to_string())
                .level(s::ResultLevel::Error)
                .message(text(format!("{}: {}", m.path, p.message)))
                .locations(vec![at])
                .build();
            r.rule_index = Some(0);
            results.push(r);
        }
    }
    let ok = models.iter().all(|m| m.invalid.is_none());
    let mut invocation = s::Invocation::builder().execution_successful(ok).build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let mut driver = s::ToolComponent::builder()
        .name(tool.name.to_string())
        .version(tool.version.to_string())
        .semantic_version(tool.version.to_string())
        .rules(vec![rule])
        .build();
    driver.information_uri = tool.information_uri.map(str::to_string);
    let run = s::Run::builder()
        .tool(s::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .build();
    let log = s::Sarif::builder()
        .schema(SARIF_SCHEMA.to_string())
        .version(json!(SARIF_VERSION))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).expect("SARIF serialises") + "\n"
}
