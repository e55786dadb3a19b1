//! Every model of the corpus (seeds, examples, and the semantics models
//! with their Go verdicts) and every example of docs/language.md, run on
//! the test platform under many schedules and choices in every scenario: each
//! execution must replay on the reference semantics, every violation an
//! execution shows must be one the model expects, and every expected leak,
//! deadlock or panic must show up in some execution.

mod checks;
mod sim;

use checks::check;
use std::path::{Path, PathBuf};

/// Executions per model and scenario: enough for every expected finding to
/// show (ticks_tie_close_races_send needs more than 60 since a ticker may
/// also tick again at the instant of its own tick).
const SEEDS: u64 = 100;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn models(dir: &str) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("models").join(dir))
        .expect("the corpus")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "leash"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).expect("a model"))
        })
        .collect()
}

/// The ```leash blocks of docs/language.md.
fn doc_examples() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/language.md")).expect("the language reference");
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut open {
            None if line.trim() == "```leash" => open = Some((i + 1, String::new())),
            None => {}
            Some((at, body)) if line.trim() == "```" => {
                out.push((format!("language.md:{at}"), std::mem::take(body)));
                open = None;
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    out
}

#[test]
fn the_corpus_replays_and_matches_its_expectations() {
    let mut problems = Vec::new();
    for (name, text) in models("seeds").into_iter().chain(models("examples")).chain(models("semantics")) {
        problems.extend(check(&name, &text, SEEDS));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_language_examples_replay_and_match_their_expectations() {
    let mut problems = Vec::new();
    for (name, text) in doc_examples() {
        problems.extend(check(&name, &text, SEEDS));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
