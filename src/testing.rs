//! One call to test a folder of models against their `// expect:` lines, as
//! `leash test` does: [`test_models`] in a `#[test]`, failing with the
//! rendered report of every model that is not as expected.

use crate::{check_source_observed, expect, BadModel, CheckOptions, ModelReport, Observer};
use std::path::{Path, PathBuf};

/// The model files named by `paths`, in order: a file as given, a folder
/// searched recursively for `*.leash` (its files sorted by path). A path that
/// does not exist, or a folder without models, is an error.
pub fn model_files<P: AsRef<Path>>(paths: &[P]) -> std::io::Result<Vec<PathBuf>> {
    use std::io::{Error, ErrorKind};
    let mut out = Vec::new();
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)
                .map_err(|e| Error::new(e.kind(), format!("cannot read folder {}: {e}", p.display())))?;
            if found.is_empty() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("no *.leash files under {}", p.display()),
                ));
            }
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.to_path_buf());
        } else {
            return Err(Error::new(ErrorKind::NotFound, format!("{}: no such file or folder", p.display())));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "leash") {
            out.push(path);
        }
    }
    Ok(())
}

/// One model tested against its `// expect:` lines.
#[derive(Clone, Debug)]
pub struct ModelTest {
    /// The model file as given.
    pub path: String,
    /// One entry per mismatch; empty when the model is as expected.
    pub problems: Vec<expect::Problem>,
    /// The report, when the model compiled.
    pub report: Option<ModelReport>,
    /// The diagnostics, when it did not.
    pub invalid: Option<BadModel>,
}

impl ModelTest {
    /// Whether the model got exactly the verdicts its expect lines state.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// `ok    PATH`, or `FAIL  PATH` and one indented line per mismatch: the
    /// lines `leash test` prints.
    pub fn render_line(&self) -> String {
        if self.passed() {
            return format!("ok    {}\n", self.path);
        }
        let mut out = format!("FAIL  {}\n", self.path);
        for p in &self.problems {
            out.push_str(&format!("      {p}\n"));
        }
        out
    }
}

/// Renders the results of `leash test` as JUnit XML: one test case per
/// model, failing with its mismatches and what leash found.
#[cfg(feature = "junit")]
pub fn render_test_junit(tests: &[ModelTest]) -> String {
    let tested: Vec<_> = tests.iter().map(ModelTest::to_tested).collect();
    leash_report::render_test_junit(&tested)
}

/// Renders the results of `leash test` as a SARIF 2.1.0 log: one result per
/// mismatch, at the expect line or where the unexpected finding points.
#[cfg(feature = "sarif")]
pub fn render_test_sarif(tests: &[ModelTest]) -> String {
    let tested: Vec<_> = tests.iter().map(ModelTest::to_tested).collect();
    leash_report::render_test_sarif(&tested, &crate::tool())
}

impl ModelTest {
    #[cfg(any(feature = "sarif", feature = "junit"))]
    fn to_tested(&self) -> leash_report::TestedModel {
        leash_report::TestedModel {
            path: self.path.clone(),
            problems: self.problems.clone(),
            details: self
                .report
                .as_ref()
                .map(|r| crate::render_text(std::slice::from_ref(r)))
                .unwrap_or_default(),
            time_ms: self.report.iter().flat_map(|r| &r.scenarios).map(|s| s.stats.time_ms).sum(),
            invalid: self.invalid.as_ref().map(BadModel::to_invalid),
        }
    }
}

/// Tests one model given as text: checks it with `options` and compares the
/// report with its `// expect:` lines. A model that does not compile fails
/// with its diagnostics. `progress` is as for [`check_source_observed`].
pub fn test_source(
    path: &str,
    source: &str,
    options: &CheckOptions,
    progress: Option<Observer>,
) -> ModelTest {
    match check_source_observed(path, source, options, progress) {
        Ok(report) => {
            let problems = expect::compare(source, &report).problems;
            ModelTest { path: path.to_string(), problems, report: Some(report), invalid: None }
        }
        Err(bad) => ModelTest {
            path: path.to_string(),
            problems: vec![expect::Problem { message: "does not compile".into(), location: None }],
            report: None,
            invalid: Some(bad),
        },
    }
}

/// Every model of a folder (or file) against its `// expect:` lines, with
/// the default options: `Ok` when every model is as expected, else the
/// [`TestFailure`], whose `Display` is the report of every mismatch.
///
/// ```no_run
/// #[test]
/// fn the_designs_are_as_their_expect_lines_say() -> Result<(), leash::TestFailure> {
///     leash::test_models(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))?;
///     Ok(())
/// }
/// ```
pub fn test_models(path: impl AsRef<Path>) -> Result<TestSummary, TestFailure> {
    test_models_with(&[path], &CheckOptions::default())
}

/// [`test_models`] over several paths, with `options`.
pub fn test_models_with<P: AsRef<Path>>(
    paths: &[P],
    options: &CheckOptions,
) -> Result<TestSummary, TestFailure> {
    let files =
        model_files(paths).map_err(|e| TestFailure { models: Vec::new(), error: Some(e.to_string()) })?;
    let mut models = Vec::new();
    for file in files {
        let name = file.display().to_string();
        models.push(match std::fs::read_to_string(&file) {
            Ok(source) => test_source(&name, &source, options, None),
            Err(e) => ModelTest {
                path: name,
                problems: vec![expect::Problem { message: format!("cannot read it: {e}"), location: None }],
                report: None,
                invalid: None,
            },
        });
    }
    if models.iter().all(ModelTest::passed) {
        Ok(TestSummary { models })
    } else {
        Err(TestFailure { models, error: None })
    }
}

/// Every model passed: what was tested.
#[derive(Clone, Debug)]
pub struct TestSummary {
    /// Each model, in the order tested.
    pub models: Vec<ModelTest>,
}

/// Some model is not as its expect lines say (or the paths could not be read).
/// `Display` (and `Debug`, which a test returning `Result` prints) renders,
/// per failing model, its mismatches and what leash found (the verdict table
/// and traces, or the diagnostics), then `N passed, M failed`.
#[derive(Clone)]
pub struct TestFailure {
    /// Each model, in the order tested (passing ones included).
    pub models: Vec<ModelTest>,
    /// A path that could not be read, or a folder without models.
    pub error: Option<String>,
}

impl std::fmt::Display for TestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(e) = &self.error {
            return writeln!(f, "{e}");
        }
        for m in self.models.iter().filter(|m| !m.passed()) {
            f.write_str(&m.render_line())?;
            if let Some(bad) = &m.invalid {
                f.write_str(&bad.render())?;
            }
            if let Some(report) = &m.report {
                f.write_str(&crate::render_text(std::slice::from_ref(report)))?;
            }
            writeln!(f)?;
        }
        let failed = self.models.iter().filter(|m| !m.passed()).count();
        writeln!(f, "{} passed, {failed} failed", self.models.len() - failed)
    }
}

/// The same text as `Display`: a test returning `Result<(), TestFailure>`
/// prints its error with `Debug`.
impl std::fmt::Debug for TestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for TestFailure {}
