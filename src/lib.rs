//! leash as a library: check a model from a string or a file, get a report,
//! compare it with the model's `// expect:` lines. The CLI is a thin shell
//! over this; Rust users call it from their own tests.

mod diagnostics;
pub mod expect;

pub use diagnostics::render_diagnostics;
pub use leash_native::{Bound, Options as SearchOptions};
pub use leash_report::{CheckReport, FindingReport, ModelReport, Verdict};
pub use leash_semantics::{FindingKind, Scenario};
pub use leash_syntax::Diagnostic;

use std::time::{Duration, Instant};

/// What to check and within which bounds.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The scenarios to explore, in table order.
    pub scenarios: Vec<Scenario>,
    /// Owner-rule warnings count as violations.
    pub strict: bool,
    /// State, depth and memory bounds of the search.
    pub search: SearchOptions,
    /// Wall-clock budget per scenario.
    pub timeout: Option<Duration>,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            scenarios: Scenario::ALL.to_vec(),
            strict: false,
            search: SearchOptions::default(),
            timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// A model that did not compile: its diagnostics, ready to render.
#[derive(Clone, Debug)]
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
}

impl std::fmt::Display for BadModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// Compiles a model to IR, or returns its diagnostics.
pub fn compile(path: &str, source: &str) -> Result<leash_ir::Program, BadModel> {
    leash_ir::compile(source).map_err(|diagnostics| BadModel {
        path: path.to_string(),
        source: source.to_string(),
        diagnostics,
    })
}

/// Checks a model given as text. `path` is only used in messages and reports.
pub fn check_source(path: &str, source: &str, options: &CheckOptions) -> Result<ModelReport, BadModel> {
    let program = compile(path, source)?;
    let mut explorations = Vec::new();
    let mut times = Vec::new();
    for &scenario in &options.scenarios {
        let start = Instant::now();
        let deadline = options.timeout.map(|t| start + t);
        let stop = move || deadline.is_some_and(|d| Instant::now() >= d);
        explorations.push(leash_native::explore(&program, scenario, &options.search, &stop));
        times.push(start.elapsed().as_millis() as u64);
    }
    let mut report = leash_report::build_model(&leash_report::ModelInput {
        path,
        source,
        program: &program,
        explorations: &explorations,
        strict: options.strict,
    });
    for (s, t) in report.scenarios.iter_mut().zip(times) {
        s.stats.time_ms = t;
    }
    Ok(report)
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
    fn assert_verified(&self) {
        if self.verdict != Verdict::Verified {
            panic!("{} is not verified:\n{}", self.path, render_text(std::slice::from_ref(self)));
        }
    }
}

/// Assertions on reports, for tests.
pub trait ModelReportExt {
    /// Panics with the rendered traces unless every scenario is verified.
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
    let doc = CheckReport { version: leash_report::SCHEMA_VERSION, models };
    serde_json::to_string_pretty(&doc).expect("reports serialise") + "\n"
}
