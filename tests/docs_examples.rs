//! Every example of docs/language.md compiles: each ```leash fenced block is a
//! complete model that `leash::compile` accepts and that gets the verdicts of
//! its `// expect:` lines, and each ```leash-error block
//! is a model that it rejects. The documentation cannot drift from the parser
//! and the lowering without this test failing. The README's model passes
//! `leash test` and its replay command replays.

use std::path::Path;

/// A fenced block of the document: its info string, its text, and the line of
/// its opening fence (1-based), for messages.
struct Block {
    lang: String,
    text: String,
    line: usize,
}

/// Extracts every fenced block (```lang ... ```) of a Markdown text.
fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match open.as_mut() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some(Block { lang: info.trim().to_string(), text: String::new(), line: i + 1 });
                }
            }
            Some(block) => {
                if trimmed.starts_with("```") && trimmed.trim_end() == "```" {
                    blocks.push(open.take().expect("a block is open"));
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "docs/language.md: a fenced block is never closed");
    blocks
}

#[test]
fn every_language_example_compiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md");
    let markdown =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let blocks = fenced_blocks(&markdown);

    let mut valid = 0;
    let mut invalid = 0;
    for (n, block) in blocks.iter().filter(|b| b.lang == "leash" || b.lang == "leash-error").enumerate() {
        let n = n + 1;
        let name = format!("docs/language.md#{n}");
        let result = leash::compile(&name, &block.text);
        if block.lang == "leash" {
            valid += 1;
            if let Err(bad) = result {
                panic!(
                    "example #{n} (```leash block at docs/language.md:{}) does not compile:\n{}",
                    block.line,
                    bad.render()
                );
            }
            if block.text.contains("// expect") {
                let report = leash::check_source(&name, &block.text, &leash::CheckOptions::default())
                    .expect("compiled above");
                let outcome = leash::expect::compare(&block.text, &report);
                assert!(
                    outcome.passed(),
                    "example #{n} (docs/language.md:{}) does not get its expected verdicts: {outcome}",
                    block.line,
                );
            }
        } else {
            invalid += 1;
            assert!(
                result.is_err(),
                "example #{n} (```leash-error block at docs/language.md:{}) compiles, but it is meant to show an error:\n{}",
                block.line,
                block.text
            );
        }
    }
    assert!(
        valid + invalid >= 30,
        "expected at least 30 leash examples in docs/language.md, found {}",
        valid + invalid
    );
    assert!(valid >= 30, "expected at least 30 valid ```leash examples, found {valid}");
}

#[test]
fn fenced_block_extraction() {
    let md = "text\n```leash\ntask main() {}\n```\n\n```go\nx\n```\n```leash-error\nbad\n```\n";
    let blocks = fenced_blocks(md);
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].lang, "leash");
    assert_eq!(blocks[0].text, "task main() {}\n");
    assert_eq!(blocks[0].line, 2);
    assert_eq!(blocks[1].lang, "go");
    assert_eq!(blocks[2].lang, "leash-error");
    assert_eq!(blocks[2].text, "bad\n");
}

/// The README: its model is the corpus model it shows and passes `leash
/// test` (it gets exactly the verdicts its expect lines state), and its
/// replay command replays.
#[test]
fn the_readme_model_passes_leash_test_and_its_replay_command_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let blocks = fenced_blocks(&readme);
    let model = &blocks.iter().find(|b| b.lang == "leash").expect("a model in the README").text;
    let report = leash::check_source("README.md", model, &leash::CheckOptions::default()).expect("compiles");
    let outcome = leash::expect::compare(model, &report);
    assert!(outcome.passed(), "the README's model is not as its expect lines say: {outcome}");

    let line = readme.lines().find(|l| l.starts_with("leash replay ")).expect("a replay command");
    let words: Vec<&str> = line.split_whitespace().collect();
    let (path, trace) = (words[2], words[3]);
    let source = std::fs::read_to_string(root.join(path)).expect("the replayed model");
    let program = leash::compile(path, &source).expect("compiles");
    let code: leash_report::replay_code::ReplayCode = trace.parse().expect("a replay string");
    let replayed = leash_report::replay(path, &source, &program, &code).expect("the README's trace replays");
    assert_eq!(replayed.findings, ["leak compute"], "what the README's trace shows");
}
