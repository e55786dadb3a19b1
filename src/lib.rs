//! leash as a library: check a model from a string or a file, get a report,
//! compare it with the model's `// expect:` lines, render it as text, JSON,
//! SARIF or JUnit XML. The CLI is a thin shell over this; Rust users call it
//! from their own tests, so that `cargo test` fails, with the shortest
//! counterexample, the day a change to a design makes a task leak.
//!
//! # Checking a model
//!
//! [`check_source`] checks a model given as text (the path is only used in
//! messages), [`check_file`] reads it from a file. Both return a
//! [`ModelReport`]: the verdict, one [`ScenarioReport`] per scenario and every
//! distinct finding with its trace. [`ModelReportExt::assert_verified`] panics
//! with the rendered traces unless every scenario is verified.
//!
//! ```
//! use leash::{check_source, CheckOptions, ModelReportExt, Verdict};
//!
//! // The result channel is unbuffered: when the timeout wins, nobody ever
//! // receives and `compute` blocks on its send forever.
//! let leaky = r#"
//! task main() {
//!     let out = chan(0)
//!     spawn detached compute(out)   // fire and forget: it must still end
//!     select {
//!         recv out => {}
//!         after => {}
//!     }
//! }
//!
//! task compute(out) {
//!     work expensive
//!     send out
//! }
//! "#;
//! let report = check_source("timeout.leash", leaky, &CheckOptions::default())
//!     .expect("the model compiles");
//! assert_eq!(report.verdict, Verdict::Violated);
//! let leak = &report.findings[0];
//! assert_eq!((leak.kind.as_str(), leak.tasks.as_slice()), ("leak", &["compute".to_string()][..]));
//! assert_eq!(leak.waiting[0].reason, "chan send"); // Go's words for the wait
//! assert_eq!(leak.waiting[0].location.line, 13); // `send out`
//!
//! // The fix: a buffer of one lets `compute` deposit its result and exit.
//! let fixed = leaky.replace("chan(0)", "chan(1)");
//! check_source("timeout.leash", &fixed, &CheckOptions::default())
//!     .expect("the model compiles")
//!     .assert_verified();
//! ```
//!
//! # In your own tests
//!
//! Keep a model per component next to the code and check it in a test
//! (`leash` as a dev-dependency); a leak fails `cargo test` with the trace:
//!
//! ```no_run
//! use leash::{check_file, CheckOptions, ModelReportExt};
//!
//! #[test]
//! fn the_worker_pool_design_does_not_leak() {
//!     let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/worker_pool.leash");
//!     check_file(model, &CheckOptions::default())
//!         .unwrap_or_else(|bad| panic!("{bad}"))
//!         .assert_verified();
//! }
//! ```
//!
//! To test a whole folder against the models' own `// expect:` lines, as
//! `leash test` does, one test is enough: [`test_models`] fails with the
//! rendered report of every model that is not as expected.
//!
//! ```no_run
//! #[test]
//! fn every_design_is_as_its_expect_lines_say() -> Result<(), leash::TestFailure> {
//!     leash::test_models(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))?;
//!     Ok(())
//! }
//! ```
//!
//! # Bounds and untrusted models
//!
//! Checking never runs a command and never writes a file. Every scenario is
//! bounded by [`CheckOptions`]: by default 5,000,000 states, depth 10,000,
//! 8 GiB of visited set per scenario and 180 s of wall-clock time per model
//! ([`CheckOptions::default`]). A search cut short by a bound is
//! [`Verdict::Incomplete`], never verified, and `assert_verified` fails on it.
//!
//! # Other renderings
//!
//! [`render_text`] (the CLI's table and traces), [`render_json`] (the JSON
//! schema of docs/cli.md), `render_sarif` (SARIF 2.1.0 for code scanning,
//! the `sarif` feature) and `render_junit` (JUnit XML for CI dashboards, the
//! `junit` feature).
//!
//! # Features
//!
//! - `cli` (default): the `leash` binary (clap, indicatif, mimalloc,
//!   clap_complete, clap_mangen); turns on `loom` and `shuttle`.
//! - `loom`, `shuttle` (default): `Engine::Loom` and `Engine::Shuttle`,
//!   the model run on those libraries' threads.
//! - `sarif`, `junit` (default): `render_sarif` and `render_junit` (and
//!   their `leash test` views), through serde-sarif and quick-junit.
//! - `arbitrary`: `leash::arbitrary`, proptest strategies for generated models.
//!
//! `leash = { path = "...", default-features = false }` is the checker
//! alone: the native prover, text and JSON reports and pictures, and nothing
//! of the above.
//!
//! # Generated models
//!
//! With the `arbitrary` feature, `leash::arbitrary` provides proptest
//! strategies for well-formed designs (owner trees of workers, tickers, error
//! groups, wait groups, ...) that verify, and for one-defect mutants of them
//! that leash must refute, each with the finding kinds that report it.

mod diagnostics;
mod engines;
pub mod expect;
mod testing;

#[cfg(feature = "junit")]
pub use testing::render_test_junit;
#[cfg(feature = "sarif")]
pub use testing::render_test_sarif;
pub use testing::{
    model_files, test_models, test_models_with, test_source, ModelTest, TestFailure, TestSummary,
};

pub use engines::Engine;
#[cfg(feature = "loom")]
pub use engines::LoomOptions;
#[cfg(feature = "shuttle")]
pub use engines::{shuttle_replay, ShuttleOptions, ShuttleStrategy};

#[cfg(feature = "arbitrary")]
pub mod arbitrary;

pub use diagnostics::{render_diagnostics, render_diagnostics_in_colour};
pub use leash_native::{Bound, Options as SearchOptions, Phase, Progress};
pub use leash_report::{
    CheckReport, FindingReport, Location, ModelReport, ScenarioReport, ScenarioStats, Severity, TraceStep,
    Verdict, Waiting,
};
pub use leash_semantics::{FindingKind, Scenario};
pub use leash_syntax::Diagnostic;

use std::time::{Duration, Instant};

/// What to check and within which bounds.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The scenarios to explore, in table order.
    pub scenarios: Vec<Scenario>,
    /// Hygiene warnings (unstopped, uncancelled, work-after-cancel) count as violations.
    pub strict: bool,
    /// Finding kinds reported as warnings, whatever `strict` says: e.g.
    /// `orphan` for a design that lets tasks outlive their owner on purpose
    /// everywhere (for one spawn, `spawn detached` says so in the model).
    pub allow: Vec<FindingKind>,
    /// State, depth and memory bounds of the search.
    pub search: SearchOptions,
    /// Wall-clock budget per model, shared by its scenarios in order: a
    /// scenario still searching when it runs out, and every scenario after
    /// it, is incomplete (timeout).
    pub timeout: Option<Duration>,
    /// Which engine explores (the native prover unless told otherwise).
    pub engine: Engine,
    /// Symmetry reduction in the native prover (on by default): tasks of one
    /// function are interchangeable. Verdicts and finding kinds do not change.
    pub symmetry: bool,
    /// Partial-order reduction in the native prover (on by default): verified
    /// models are settled over persistent sets of steps. Findings, traces and
    /// verdicts do not change; state counts do.
    pub por: bool,
    /// Threads that expand states in the native prover (1 by default). The
    /// result is the same for any number.
    pub workers: usize,
    /// The bug hunt of the native prover (on by default): randomised
    /// depth-first runs beside a search that grows big. A violation they
    /// meet is reported (its trace real, not necessarily shortest) and stops
    /// the search; the scenario is then violated but its search incomplete.
    pub hunt: bool,
}

/// The default wall-clock budget of one model: 180 s, three scenarios of 60 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            scenarios: Scenario::ALL.to_vec(),
            strict: false,
            allow: Vec::new(),
            search: SearchOptions::default(),
            timeout: Some(DEFAULT_TIMEOUT),
            engine: Engine::Native,
            symmetry: true,
            por: true,
            workers: 1,
            hunt: true,
        }
    }
}

/// A model that did not compile: its diagnostics, ready to render. Both
/// `Display` and `Debug` show them rendered (without colour), so that `?`
/// in a test, `.unwrap()` and `.expect()` print them as `leash check` does.
#[derive(Clone)]
pub struct BadModel {
    /// The file name used in messages.
    pub path: String,
    /// The source text.
    pub source: String,
    /// What is wrong.
    pub diagnostics: Vec<Diagnostic>,
}

impl BadModel {
    /// The diagnostics as text: `file:line:col`, the line, a caret, the hint.
    pub fn render(&self) -> String {
        render_diagnostics(&self.path, &self.source, &self.diagnostics)
    }

    /// [`BadModel::render`] in colour (ANSI escapes), for a terminal.
    pub fn render_in_colour(&self) -> String {
        render_diagnostics_in_colour(&self.path, &self.source, &self.diagnostics)
    }
}

/// The rendered diagnostics, as `leash check` prints them (without colour).
impl std::fmt::Display for BadModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// The rendered diagnostics, as for `Display`: what `.unwrap()` prints.
impl std::fmt::Debug for BadModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// So that `check_file(..)?` works in a function returning
/// `Result<_, Box<dyn std::error::Error>>`.
impl std::error::Error for BadModel {}

/// Compiles a model to IR, or returns its diagnostics.
pub fn compile(path: &str, source: &str) -> Result<leash_ir::Program, BadModel> {
    leash_ir::compile(source).map_err(|diagnostics| BadModel {
        path: path.to_string(),
        source: source.to_string(),
        diagnostics,
    })
}

/// Checks a model given as text. `path` is only used in messages and reports.
///
/// Each scenario of `options.scenarios` is explored within the bounds of
/// `options`; a model that does not compile is an `Err` with its diagnostics.
///
/// ```
/// use leash::{check_source, CheckOptions, Scenario, SearchOptions, Verdict};
/// use std::time::Duration;
///
/// // main sends on a channel nobody receives from: nothing can move.
/// let model = "task main() {\n    let ch = chan(0)\n    send ch\n}\n";
/// let options = CheckOptions {
///     scenarios: vec![Scenario::Completion],
///     search: SearchOptions { max_states: 10_000, ..SearchOptions::default() },
///     timeout: Some(Duration::from_secs(10)),
///     ..CheckOptions::default()
/// };
/// let report = check_source("stuck.leash", model, &options).unwrap();
/// assert_eq!(report.verdict, Verdict::Violated);
/// assert_eq!(report.findings[0].kind, "deadlock");
/// assert_eq!(report.findings[0].waiting[0].reason, "chan send");
///
/// // A model that does not compile: its diagnostics, rendered with file and line.
/// let bad = check_source("typo.leash", "task main() {\n    sned ch\n}\n", &options).unwrap_err();
/// assert!(bad.render().contains("typo.leash:2"));
/// ```
pub fn check_source(path: &str, source: &str, options: &CheckOptions) -> Result<ModelReport, BadModel> {
    check_source_observed(path, source, options, None)
}

/// Where [`check_source_observed`] sends progress reports: the scenario and a snapshot.
pub type Observer<'a> = &'a dyn Fn(Scenario, &Progress);

/// [`check_source`], with the native prover's progress reported to `progress`
/// (about every 65,536 states or 100 ms) for a progress line.
pub fn check_source_observed(
    path: &str,
    source: &str,
    options: &CheckOptions,
    progress: Option<Observer>,
) -> Result<ModelReport, BadModel> {
    let program = compile(path, source)?;
    let mut explorations: Vec<leash_native::Exploration> = Vec::new();
    #[cfg_attr(not(any(feature = "loom", feature = "shuttle")), allow(unused_mut))]
    let mut engine = Vec::new();
    let mut times = Vec::new();
    let mut shared = Vec::new();
    let deadline = options.timeout.map(|t| Instant::now() + t);
    for &scenario in &options.scenarios {
        let start = Instant::now();
        // A scenario that enables the same steps as one already explored
        // (error and cancel in a model without `work`) has its exploration.
        let twin = options.scenarios.iter().position(|&done| done.same_steps(scenario, &program));
        if let Some(done) = twin.filter(|&done| done < explorations.len()) {
            explorations.push(leash_native::Exploration { scenario, ..explorations[done].clone() });
            if let Some(summary) = engine.get(done).cloned() {
                engine.push(summary);
            }
            times.push(start.elapsed().as_millis() as u64);
            shared.push(Some(options.scenarios[done].name().to_string()));
            continue;
        }
        match options.engine {
            Engine::Native => {
                let stop = move || deadline.is_some_and(|d| Instant::now() >= d);
                let elapsed = move || start.elapsed();
                let report = |p: &Progress| {
                    if let Some(f) = progress {
                        f(scenario, p)
                    }
                };
                let violation = |kind: FindingKind| {
                    !options.allow.contains(&kind) && (options.strict || !kind.is_warning())
                };
                let control = leash_native::Control {
                    stop: &stop,
                    progress: progress.map(|_| leash_native::Reporter { elapsed: &elapsed, report: &report }),
                    symmetry: options.symmetry,
                    por: options.por,
                    workers: options.workers,
                    hunt: options.hunt,
                    violation: &violation,
                };
                explorations.push(leash_native::explore_with(&program, scenario, &options.search, &control));
            }
            #[cfg(any(feature = "loom", feature = "shuttle"))]
            _ => {
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                let (ex, summary) = engines::explore(&options.engine, &program, scenario, left)
                    .map_err(|why| refused(path, source, &program, &options.engine, why))?;
                explorations.push(ex);
                engine.push(summary);
            }
        }
        times.push(start.elapsed().as_millis() as u64);
        shared.push(None);
    }
    let mut report = leash_report::build_model(&leash_report::ModelInput {
        path,
        source,
        program: &program,
        explorations: &explorations,
        strict: options.strict,
        allow: &options.allow,
        engine: &engine,
    });
    for ((s, t), same_as) in report.scenarios.iter_mut().zip(times).zip(shared) {
        s.stats.time_ms = t;
        s.stats.same_as = same_as;
    }
    Ok(report)
}

/// A model the chosen engine cannot check (too many threads for loom), as a
/// diagnostic on `main`.
#[cfg(any(feature = "loom", feature = "shuttle"))]
fn refused(path: &str, source: &str, program: &leash_ir::Program, engine: &Engine, why: String) -> BadModel {
    // Point at the first spawn: it is spawning that runs out of threads.
    let spawn = program.funcs.iter().find_map(|f| {
        let at = f.code.iter().position(|i| matches!(i, leash_ir::Instr::Spawn { .. }))?;
        Some(f.spans[at])
    });
    let span = spawn.unwrap_or(program.func(program.main).span);
    let mut d = Diagnostic::error(
        "E0200",
        span,
        format!("the {} engine cannot check this model: {why}", engine.name()),
    );
    d.hint = Some("check it with the native engine (the default), or shrink the model".to_string());
    BadModel { path: path.to_string(), source: source.to_string(), diagnostics: vec![d] }
}

/// Checks a model file.
pub fn check_file(
    path: impl AsRef<std::path::Path>,
    options: &CheckOptions,
) -> Result<ModelReport, BadModel> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| BadModel {
        path: name.clone(),
        source: String::new(),
        diagnostics: vec![Diagnostic::error("E0000", Default::default(), format!("cannot read {name}: {e}"))],
    })?;
    check_source(&name, &source, options)
}

impl ModelReportExt for ModelReport {
    #[track_caller]
    fn assert_verified(&self) {
        if self.verdict != Verdict::Verified {
            panic!("{} is not verified:\n{}", self.path, render_text(std::slice::from_ref(self)));
        }
    }
}

/// Assertions on reports, for tests.
pub trait ModelReportExt {
    /// Panics with the rendered traces unless every scenario is verified
    /// (a violation or an incomplete search fails; owner-rule warnings do not,
    /// unless the check was `strict`). The panic points at the caller's line.
    ///
    /// ```should_panic
    /// use leash::{check_source, CheckOptions, ModelReportExt};
    ///
    /// let model = "task main() {\n    let ch = chan(0)\n    spawn w(ch)\n}\n\ntask w(ch) {\n    send ch\n}\n";
    /// check_source("fire_and_forget.leash", model, &CheckOptions::default())
    ///     .unwrap()
    ///     .assert_verified(); // panics: leak w, w#1 [chan send] fire_and_forget.leash:7
    /// ```
    #[track_caller]
    fn assert_verified(&self);
}

pub use leash_report::TraceStyle;

/// Renders reports as the text table followed by every finding's trace.
pub fn render_text(models: &[ModelReport]) -> String {
    render_text_with(models, TraceStyle::List)
}

/// Renders reports as text with traces laid out in `style`.
pub fn render_text_with(models: &[ModelReport], style: TraceStyle) -> String {
    let mut out = leash_report::render_table(models);
    for m in models {
        let d = leash_report::render_details(m, style);
        if !d.is_empty() {
            out.push('\n');
            out.push_str(&d);
        }
    }
    out
}

/// Renders reports as the JSON document of docs/cli.md.
pub fn render_json(models: Vec<ModelReport>) -> String {
    render_json_with_invalid(models, &[])
}

/// Renders reports, and the models that did not compile with their
/// diagnostics (the `invalid` array), as the JSON document of docs/cli.md.
pub fn render_json_with_invalid(models: Vec<ModelReport>, invalid: &[BadModel]) -> String {
    let invalid = invalid.iter().map(BadModel::to_json).collect();
    let doc = CheckReport { version: leash_report::SCHEMA_VERSION, models, invalid };
    serde_json::to_string_pretty(&doc).expect("reports serialise") + "\n"
}

/// Renders reports as a SARIF 2.1.0 log (pretty JSON), for code scanning: one
/// result per finding (rule id = the finding kind, level `error` for a
/// violation and `warning` for an owner-rule warning, the model file, line and
/// column, the trace as a code flow). `invalid` models (that did not compile)
/// and incomplete searches become tool execution notifications. Deterministic.
#[cfg(feature = "sarif")]
pub fn render_sarif(models: &[ModelReport], invalid: &[BadModel]) -> String {
    let invalid: Vec<_> = invalid.iter().map(BadModel::to_invalid).collect();
    leash_report::render_sarif(models, &invalid, &tool())
}

/// Renders reports as JUnit XML: a test suite per model, a test case per model
/// × scenario, failing with the rendered trace when the scenario is violated
/// or incomplete; owner-rule warnings as system-out. `invalid` models are a
/// suite with one `compile` case in error. Deterministic but for the times.
#[cfg(feature = "junit")]
pub fn render_junit(models: &[ModelReport], invalid: &[BadModel]) -> String {
    let invalid: Vec<_> = invalid.iter().map(BadModel::to_invalid).collect();
    leash_report::render_junit(models, &invalid)
}

/// leash as SARIF's `tool.driver`.
#[cfg(feature = "sarif")]
fn tool() -> leash_report::ToolInfo<'static> {
    let nonempty = |s: Option<&'static str>| s.filter(|s| !s.is_empty());
    leash_report::ToolInfo {
        name: "leash",
        version: env!("CARGO_PKG_VERSION"),
        information_uri: nonempty(option_env!("CARGO_PKG_HOMEPAGE"))
            .or(nonempty(option_env!("CARGO_PKG_REPOSITORY"))),
    }
}

impl BadModel {
    /// The model as the SARIF and JUnit views report it: the rendered
    /// diagnostics and where the first one points.
    #[cfg(any(feature = "sarif", feature = "junit"))]
    pub(crate) fn to_invalid(&self) -> leash_report::InvalidModel {
        let location = self.diagnostics.first().filter(|_| !self.source.is_empty()).map(|d| {
            let (line, column) = leash_syntax::LineIndex::new(&self.source).line_col(d.span.start);
            Location { file: self.path.clone(), line, column }
        });
        leash_report::InvalidModel { path: self.path.clone(), message: self.render(), location }
    }

    /// The model as the JSON reports it: every diagnostic with its location.
    fn to_json(&self) -> leash_report::InvalidReport {
        let lines = leash_syntax::LineIndex::new(&self.source);
        let diagnostics = self
            .diagnostics
            .iter()
            .map(|d| {
                let (line, column) = lines.line_col(d.span.start.min(self.source.len() as u32));
                leash_report::DiagnosticReport {
                    severity: match d.severity {
                        leash_syntax::Severity::Error => "error",
                        leash_syntax::Severity::Warning => "warning",
                    }
                    .to_string(),
                    code: d.code.to_string(),
                    message: d.message.clone(),
                    location: Location { file: self.path.clone(), line, column },
                    label: d.label.clone(),
                    hint: d.hint.clone(),
                }
            })
            .collect();
        leash_report::InvalidReport { path: self.path.clone(), diagnostics, rendered: self.render() }
    }
}
