//! The SARIF 2.1.0 view, for code scanning (GitHub's upload-sarif and others).
//!
//! One run, whose driver is leash with a rule per finding kind. One result per
//! distinct finding of a model (a finding merged over scenarios is one result):
//! rule id = the kind, level `error` for a violation and `warning` for an
//! owner-rule warning, the finding line as message, the model file and line as
//! location, and the counterexample as a code flow whose steps point at model
//! lines. Models that could not be checked and searches cut short by a bound
//! are tool execution notifications. The output is deterministic: the same
//! reports give byte-identical JSON (no times, no absolute paths added).

use crate::{
    primary_location, FindingReport, InvalidModel, Location, ModelReport, Severity, TestedModel, TraceStep,
};
use leash_semantics::FindingKind;
use serde_json::json;
use serde_sarif::sarif as s;
use std::collections::BTreeMap;

/// The `$schema` written into every log.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF version written into every log.
pub const SARIF_VERSION: &str = "2.1.0";

/// The tool that made the log.
#[derive(Clone, Copy, Debug)]
pub struct ToolInfo<'a> {
    /// `tool.driver.name`.
    pub name: &'a str,
    /// `tool.driver.version` (and `semanticVersion`).
    pub version: &'a str,
    /// `tool.driver.informationUri`, omitted when `None`.
    pub information_uri: Option<&'a str>,
}

/// A rule's SARIF name and one-line description, for every finding kind.
fn rule_text(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "leak" => ("TaskLeak", "A task is blocked forever while the others went on or exited."),
        "deadlock" => ("Deadlock", "Nothing can move while the root task main is still alive."),
        "no-exit" => ("NoExit", "A task moves forever on a fair cycle and never reaches its exit."),
        "panic" => ("Panic", "A step panics (close of a closed channel, negative counter, ...)."),
        "orphan" => ("OrphanTask", "A task is still running when its owner exits."),
        "unstopped" => ("UnstoppedTimer", "A ticker or timer is still running when it becomes unreachable."),
        "uncancelled" => (
            "UncancelledContext",
            "A cancellable context is dropped without its cancel being called (go vet's lostcancel).",
        ),
        "work-after-cancel" => {
            ("WorkAfterCancel", "Work that takes no context starts after a context the task holds is done.")
        }
        _ => ("Finding", "A finding of leash."),
    }
}

pub(crate) fn text(t: impl Into<String>) -> s::Message {
    s::Message::builder().text(t.into()).build()
}

pub(crate) fn multiformat(t: &str) -> s::MultiformatMessageString {
    s::MultiformatMessageString::builder().text(t.to_string()).build()
}

/// The rules: one per finding kind, in the fixed order of `FindingKind::ALL`.
fn rules() -> Vec<s::ReportingDescriptor> {
    FindingKind::ALL
        .iter()
        .map(|k| {
            let (name, description) = rule_text(k.name());
            let level = if k.is_warning() { "warning" } else { "error" };
            s::ReportingDescriptor::builder()
                .id(k.name().to_string())
                .name(name.to_string())
                .short_description(multiformat(description))
                .full_description(multiformat(&format!(
                    "{description} Reported by leash as `{}`{}.",
                    k.name(),
                    if k.is_warning() { "; a hygiene warning, a violation under --strict" } else { "" }
                )))
                .default_configuration(s::ReportingConfiguration::builder().level(json!(level)).build())
                .build()
        })
        .collect()
}

/// A path as a URI reference: relative paths stay relative (resolved against
/// the checkout by code scanning), absolute ones become `file://` URIs;
/// characters outside the URI alphabet are percent-encoded.
pub fn path_to_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    } else if path.as_bytes().get(1) == Some(&b':') {
        out.push_str("file:///");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' | b'@' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(crate) fn physical(file: &str, line: Option<(u32, u32)>) -> s::PhysicalLocation {
    let artifact = s::ArtifactLocation::builder().uri(path_to_uri(file)).build();
    match line {
        Some((line, column)) => s::PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(
                s::Region::builder()
                    .start_line(i64::from(line))
                    .start_column(i64::from(column.max(1)))
                    .build(),
            )
            .build(),
        None => s::PhysicalLocation::builder().artifact_location(artifact).build(),
    }
}

pub(crate) fn location(l: &Location) -> s::Location {
    s::Location::builder().physical_location(physical(&l.file, Some((l.line, l.column)))).build()
}

/// The finding line of the text report, without the `warning:` prefix:
/// kind, tasks, detail and location, scenarios.
pub fn finding_line(f: &FindingReport) -> String {
    let mut line = f.kind.clone();
    if !f.tasks.is_empty() {
        line.push(' ');
        line.push_str(&f.tasks.join(", "));
    }
    if !f.detail.is_empty() {
        line.push_str(": ");
        line.push_str(&f.detail);
    }
    if let Some(l) = &f.location {
        line.push_str(&format!(" at {l}"));
    }
    line.push_str(&format!("  (scenarios: {})", f.scenarios.join(", ")));
    line
}

fn step_message(s: &TraceStep, repeats: bool) -> String {
    let mut m = format!("{}:", s.task);
    if !s.text.is_empty() {
        m.push(' ');
        m.push_str(&s.text);
    }
    if !s.note.is_empty() {
        m.push_str(&format!(" [{}]", s.note));
    }
    if repeats {
        m.push_str(" (repeats forever)");
    }
    m
}

/// The counterexample as one thread flow: the steps of the trace, then those
/// of the cycle (no-exit, cyclic leaks), then where each task alive at the
/// end is (`at the end: compute#1 [chan send]`).
fn code_flow(model: &str, f: &FindingReport) -> s::CodeFlow {
    let mut order = 0i64;
    let mut locations = Vec::new();
    let mut push = |message: String, at: s::PhysicalLocation, kinds: Vec<String>| {
        order += 1;
        let loc = s::Location::builder().physical_location(at).message(text(message)).build();
        let mut tfl = s::ThreadFlowLocation::builder().location(loc).execution_order(order).build();
        if !kinds.is_empty() {
            tfl.kinds = Some(kinds);
        }
        locations.push(tfl);
    };
    let step_at = |s: &TraceStep| match &s.location {
        Some(l) => physical(&l.file, Some((l.line, l.column))),
        // An environment event (the signal, a deadline): the model as a whole.
        None => physical(model, None),
    };
    for st in &f.trace {
        push(step_message(st, false), step_at(st), Vec::new());
    }
    for st in &f.cycle {
        push(step_message(st, true), step_at(st), Vec::new());
    }
    for w in &f.waiting {
        push(
            format!("at the end: {} [{}]", w.task, w.reason),
            physical(&w.location.file, Some((w.location.line, w.location.column))),
            vec!["wait".to_string()],
        );
    }
    let scenario = f.scenarios.first().map(String::as_str).unwrap_or("?");
    s::CodeFlow::builder()
        .message(text(format!("shortest counterexample in scenario {scenario}")))
        .thread_flows(vec![s::ThreadFlow::builder().locations(locations).build()])
        .build()
}

/// A stable identity of a finding across runs, independent of line numbers:
/// FNV-1a over the model path, kind, tasks and detail.
fn fingerprint(model: &str, f: &FindingReport) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [model, &f.kind, &f.tasks.join(","), &f.detail] {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn result(model: &ModelReport, f: &FindingReport, rule_index: Option<usize>) -> s::Result {
    let level = match f.severity {
        Severity::Violation => s::ResultLevel::Error,
        Severity::Warning => s::ResultLevel::Warning,
    };
    let mut message = finding_line(f);
    for w in &f.waiting {
        message.push_str(&format!("\n{} [{}] {}", w.task, w.reason, w.location));
    }
    message.push_str(&format!("\nreplay: leash replay {} {}", model.path, f.replay));
    let primary = match primary_location(f) {
        Some(l) => location(l),
        None => s::Location::builder().physical_location(physical(&model.path, Some((1, 1)))).build(),
    };
    let mut properties = BTreeMap::new();
    properties.insert("scenarios".to_string(), json!(f.scenarios));
    properties.insert("tasks".to_string(), json!(f.tasks));
    properties.insert("replay".to_string(), json!(f.replay));
    let mut r = s::Result::builder()
        .rule_id(f.kind.clone())
        .level(level)
        .message(text(message))
        .locations(vec![primary])
        .partial_fingerprints(BTreeMap::from([("leashFinding/v1".to_string(), fingerprint(&model.path, f))]))
        .code_flows(vec![code_flow(&model.path, f)])
        .properties(s::PropertyBag::builder().additional_properties(properties).build())
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    r
}

pub(crate) fn notification(level: &str, message: String, at: Option<s::Location>) -> s::Notification {
    let mut n = s::Notification::builder().level(json!(level)).message(text(message)).build();
    n.locations = at.map(|l| vec![l]);
    n
}

/// The SARIF log of `models` (and of the models that could not be checked).
pub fn sarif_log(models: &[ModelReport], invalid: &[InvalidModel], tool: &ToolInfo) -> s::Sarif {
    let rules = rules();
    let mut results = Vec::new();
    for m in models {
        for f in &m.findings {
            let index = rules.iter().position(|r| r.id == f.kind);
            results.push(result(m, f, index));
        }
    }
    let mut notifications = Vec::new();
    for bad in invalid {
        let at = match &bad.location {
            Some(l) => location(l),
            None => s::Location::builder().physical_location(physical(&bad.path, None)).build(),
        };
        notifications.push(notification(
            "error",
            format!("{}: the model does not compile and was not checked\n{}", bad.path, bad.message),
            Some(at),
        ));
    }
    for m in models {
        for sc in &m.scenarios {
            if let Some(bound) = &sc.bound {
                let at = s::Location::builder().physical_location(physical(&m.path, None)).build();
                notifications.push(notification(
                    "warning",
                    format!(
                        "{}: scenario {} incomplete ({bound}): the search was cut short, the model is not verified",
                        m.path, sc.scenario
                    ),
                    Some(at),
                ));
            }
        }
    }
    let mut invocation = s::Invocation::builder().execution_successful(invalid.is_empty()).build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let mut driver = s::ToolComponent::builder()
        .name(tool.name.to_string())
        .version(tool.version.to_string())
        .semantic_version(tool.version.to_string())
        .rules(rules)
        .build();
    driver.information_uri = tool.information_uri.map(str::to_string);
    let run = s::Run::builder()
        .tool(s::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .build();
    s::Sarif::builder().schema(SARIF_SCHEMA.to_string()).version(json!(SARIF_VERSION)).runs(vec![run]).build()
}

/// The SARIF log as pretty JSON text, ending with a newline.
pub fn render_sarif(models: &[ModelReport], invalid: &[InvalidModel], tool: &ToolInfo) -> String {
    serde_json::to_string_pretty(&sarif_log(models, invalid, tool)).expect("SARIF serialises") + "\n"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_stay_relative_and_are_encoded() {
        assert_eq!(path_to_uri("models/seeds/a.leash"), "models/seeds/a.leash");
        assert_eq!(path_to_uri("./models/a b.leash"), "models/a%20b.leash");
        assert_eq!(path_to_uri("/tmp/x#1.leash"), "file:///tmp/x%231.leash");
        assert_eq!(path_to_uri("C:\\m\\a.leash"), "file:///C:/m/a.leash");
    }

    #[test]
    fn every_kind_has_a_rule_with_a_description() {
        for k in FindingKind::ALL {
            assert_ne!(rule_text(k.name()).0, "Finding", "{}", k.name());
        }
        assert_eq!(rules().len(), FindingKind::ALL.len());
    }
}
