//! The JUnit XML view, for CI test dashboards: one test suite per model, one
//! test case per model × scenario (named after the scenario, with the model
//! path as class name). A violated scenario is a failure whose type is the
//! violation kinds and whose text is the rendered trace of every violation
//! found in it; an incomplete search is a failure too (`incomplete (bound)`),
//! so that it fails CI; owner-rule warnings go to the case's system-out. A
//! model that does not compile is a suite with one `compile` case in error.
//! Everything but the times (`stats.time_ms`) is deterministic.

use crate::{
    render_details, InvalidModel, ModelReport, ScenarioReport, Severity, TestedModel, TraceStyle, Verdict,
};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The findings of `m` of severity `severity` found in `scenario`, rendered
/// as the text report renders them (empty if there are none).
fn rendered(m: &ModelReport, scenario: &str, severity: Severity) -> String {
    let only = ModelReport {
        findings: m
            .findings
            .iter()
            .filter(|f| f.severity == severity && f.scenarios.iter().any(|s| s == scenario))
            .cloned()
            .collect(),
        ..m.clone()
    };
    render_details(&only, TraceStyle::List)
}

fn case(m: &ModelReport, sc: &ScenarioReport) -> TestCase {
    let status = match sc.verdict {
        Verdict::Verified => TestCaseStatus::success(),
        Verdict::Violated => {
            let lines: Vec<String> = m
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Violation && f.scenarios.contains(&sc.scenario))
                .map(|f| {
                    let mut l = f.kind.clone();
                    if !f.tasks.is_empty() {
                        l.push(' ');
                        l.push_str(&f.tasks.join(", "));
                    }
                    l
                })
                .collect();
            let mut message = lines.join("; ");
            if let Some(bound) = &sc.bound {
                message.push_str(&format!(" (search incomplete: {bound})"));
            }
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_type(sc.violations.join(", ")).set_message(message).set_description(rendered(
                m,
                &sc.scenario,
                Severity::Violation,
            ));
            st
        }
        Verdict::Incomplete => {
            let bound = sc.bound.as_deref().unwrap_or("bound");
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_type("incomplete").set_message(format!("incomplete ({bound})")).set_description(format!(
                "{}: scenario {} was cut short by a bound ({bound}) before every state was explored; \
                 no violation was found, but the model is not verified. Raise the bound \
                 (--max-states, --max-depth, --max-memory, --timeout) or make the model smaller.\n",
                m.path, sc.scenario
            ));
            st
        }
    };
    let mut case = TestCase::new(sc.scenario.as_str(), status);
    case.set_classname(m.path.as_str()).set_time(Duration::from_millis(sc.stats.time_ms));
    let warnings = rendered(m, &sc.scenario, Severity::Warning);
    if !warnings.is_empty() {
        case.set_system_out(warnings);
    }
    case
}

/// The JUnit report of `models` (and of the models that could not be checked).
pub fn junit_report(models: &[ModelReport], invalid: &[InvalidModel]) -> Report {
    let mut report = Report::new("leash");
    let mut total = Duration::ZERO;
    for m in models {
        let mut suite = TestSuite::new(m.path.as_str());
        let time: Duration = m.scenarios.iter().map(|s| Duration::from_millis(s.stats.time_ms)).sum();
        suite.add_test_cases(m.scenarios.iter().map(|sc| case(m, sc))).set_time(time);
        total += time;
        report.add_test_suite(suite);
    }
    for bad in invalid {
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
        let first = bad.message.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid model");
        st.set_type("invalid-model").set_message(first).set_description(bad.message.as_str());
        let mut case = TestCase::new("compile", st);
        case.set_classname(bad.path.as_str());
        let mut suite = TestSuite::new(bad.path.as_str());
        suite.add_test_case(case);
        report.add_test_suite(suite);
    }
    report.set_time(total);
    report
}

/// The JUnit report as XML text.
pub fn render_junit(models: &[ModelReport], invalid: &[InvalidModel]) -> String {
    let mut xml = junit_report(models, invalid).to_string().expect("JUnit XML serialises");
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
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
