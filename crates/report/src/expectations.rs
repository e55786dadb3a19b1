//! What `leash test` reports of each model: its mismatches with its
//! `// expect:` lines, for the JUnit (`junit.rs`) and SARIF (`sarif.rs`)
//! views of `leash test`.

use crate::{InvalidModel, Location};

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
