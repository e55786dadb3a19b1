//! Reports: from explorations to verdicts and named, located traces, and their
//! renderings as text for people, JSON for tools, SARIF for code scanning and
//! JUnit XML for CI dashboards. One data type, many views. SARIF and JUnit
//! are the `sarif` and `junit` features (both on by default).

mod build;
mod expectations;
#[cfg(feature = "junit")]
pub mod junit;
pub mod replay_code;
#[cfg(feature = "sarif")]
pub mod sarif;
mod stats;
mod text;

pub use build::{build_model, replay_code as replay, EngineSummary, FindingKey, ModelInput, ReplayOutput};
pub use expectations::{Problem, TestedModel};
#[cfg(feature = "junit")]
pub use junit::{junit_report, render_junit, render_test_junit};
#[cfg(feature = "sarif")]
pub use sarif::{render_sarif, render_test_sarif, sarif_log, ToolInfo};
pub use stats::render_stats;
pub use text::{render_details, render_replay, render_table, TableRows, Tally, TraceStyle};

use serde::Serialize;

/// Version of the JSON schema (docs/cli.md).
pub const SCHEMA_VERSION: u32 = 1;

/// The verdict of one model in one scenario, or over all scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every state explored; no violation.
    Verified,
    /// A violation was found (sound even if the search was cut short).
    Violated,
    /// No violation found, but the search was cut short by a bound.
    Incomplete,
}

/// Whether a finding is a violation or a warning under the options used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Violation,
    /// Reported; fails only under `--strict` (hygiene warnings), never
    /// for a kind allowed with `--allow`.
    Warning,
}

/// A source location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The model file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// 1-based step number.
    pub step: usize,
    /// The task that moved (`main`, `worker#2`), or `env`.
    pub task: String,
    /// The statement's source text (first line).
    pub text: String,
    /// What was chosen or happened ("err", "closed", "timer fires", ...).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Where, if a task moved.
    pub location: Option<Location>,
}

/// A task alive at the end of a trace, and what it waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// The task (`compute#1`).
    pub task: String,
    /// Go's words for the wait (`chan send`, `sync.Mutex.Lock`, `running`).
    pub reason: String,
    /// Where it waits.
    pub location: Location,
}

/// One finding with its counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingReport {
    /// `leak`, `deadlock`, `no-exit`, `panic`, `orphan`, ...
    pub kind: String,
    /// Violation or warning.
    pub severity: Severity,
    /// The task names it is about (base names, without instance numbers).
    pub tasks: Vec<String>,
    /// The panic message or warning reason.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Where it happened, when one statement caused it (a panic, work after cancel).
    pub location: Option<Location>,
    /// The scenarios in which it was found.
    pub scenarios: Vec<String>,
    /// The shortest path to it (in the first scenario listed).
    pub trace: Vec<TraceStep>,
    /// For `no-exit` and cyclic leaks: steps that repeat forever after the trace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cycle: Vec<TraceStep>,
    /// Every task alive at the end of the trace.
    pub waiting: Vec<Waiting>,
    /// The replayable form of the counterexample, for `leash replay`.
    pub replay: String,
    /// The engine's own replay string (shuttle's schedule), for
    /// `leash replay --engine shuttle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// Counters of one exploration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScenarioStats {
    /// Distinct states.
    pub states: usize,
    /// Transitions taken.
    pub transitions: usize,
    /// Deepest breadth-first level.
    pub max_depth: usize,
    /// Bytes held by the visited set.
    pub store_bytes: usize,
    /// Wall-clock milliseconds, filled in by the caller.
    pub time_ms: u64,
    /// The engine that explored it, when not the native prover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Executions the engine ran (loom, shuttle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executions: Option<usize>,
    /// The scenario whose exploration this one is, when it was not explored
    /// again because it enables the same steps (error and cancel in a model
    /// without `work`), filled in by the caller; its `time_ms` is then the
    /// time it took to see that.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
}

/// One scenario's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScenarioReport {
    /// `completion`, `error` or `cancel`.
    pub scenario: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// The bound hit, if incomplete.
    pub bound: Option<String>,
    /// Kinds of violations found.
    pub violations: Vec<String>,
    /// Kinds of owner-rule warnings found.
    pub warnings: Vec<String>,
    /// Counters.
    pub stats: ScenarioStats,
}

/// One model's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelReport {
    /// The model file as given.
    pub path: String,
    /// The verdict over all scenarios checked.
    pub verdict: Verdict,
    /// Per scenario.
    pub scenarios: Vec<ScenarioReport>,
    /// Distinct findings, violations first.
    pub findings: Vec<FindingReport>,
    /// Peak resident memory of the process when the model was done, filled in by the caller.
    pub peak_memory_bytes: Option<u64>,
}

/// The whole JSON document of `leash check --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// Schema version.
    pub version: u32,
    /// Per model, in the order checked.
    pub models: Vec<ModelReport>,
    /// The models that did not compile, in the order checked (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid: Vec<InvalidReport>,
}

/// A model that did not compile, as the JSON reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvalidReport {
    /// The model file as given.
    pub path: String,
    /// Every diagnostic.
    pub diagnostics: Vec<DiagnosticReport>,
    /// The diagnostics rendered as `leash check` prints them.
    pub rendered: String,
}

/// One diagnostic of a model that did not compile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiagnosticReport {
    /// `error` or `warning`.
    pub severity: String,
    /// The stable code, e.g. `E0006` (`leash explain E0006`).
    pub code: String,
    /// The headline.
    pub message: String,
    /// Where it points.
    pub location: Location,
    /// The text under the caret (omitted when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// How to fix it (omitted when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A model that could not be checked (it does not parse or validate, or cannot
/// be read): in SARIF a tool execution notification of level `error`, in
/// JUnit a case in error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidModel {
    /// The model file as given.
    pub path: String,
    /// What is wrong, as rendered for people (the diagnostics).
    pub message: String,
    /// Where the first problem is, when known.
    pub location: Option<Location>,
}

/// The base name of a task instance: `compute#2` → `compute`.
fn base(task: &str) -> &str {
    task.split('#').next().unwrap_or(task)
}

/// Where a finding is shown: its own location (a panic, work after cancel),
/// else where the last task left at the end waits (preferring a task the
/// finding names, then the last step of a task it names), else the last
/// located step of the trace.
pub fn primary_location(f: &FindingReport) -> Option<&Location> {
    let named = |task: &str| f.tasks.iter().any(|t| t == base(task));
    let steps = || f.trace.iter().chain(&f.cycle).rev();
    f.location
        .as_ref()
        .or_else(|| f.waiting.iter().rev().find(|w| named(&w.task)).map(|w| &w.location))
        .or_else(|| steps().filter(|s| named(&s.task)).find_map(|s| s.location.as_ref()))
        .or_else(|| f.waiting.last().map(|w| &w.location))
        .or_else(|| steps().find_map(|s| s.location.as_ref()))
}
