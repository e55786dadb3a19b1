//! `leash test`: each model's `// expect:` lines against its result, a line
//! per model as soon as it is done; or JUnit XML or SARIF.

use super::{files, invalid, print, progress, TestFormat};
use leash::CheckOptions;
use std::path::PathBuf;
use std::process::ExitCode;

/// Tests each model against its `// expect:` lines; exit 1 when one is not
/// as expected.
pub fn run(
    paths: &[PathBuf],
    format: TestFormat,
    options: &CheckOptions,
    fail_fast: bool,
    quiet: bool,
) -> Result<ExitCode, String> {
    let inputs = files::models(paths)?;
    let text = format == TestFormat::Text;
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut tests = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let name = input.name();
        let source = input.read()?;
        let test = progress::observe(&name, !quiet, |observer| {
            leash::test_source(&name, &source, options, observer)
        });
        if let Some(bad) = &test.invalid {
            invalid(bad);
        }
        if text {
            print(&test.render_line());
        } else if !quiet {
            eprint!("{}", test.render_line());
        }
        let ok = test.passed();
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        tests.push(test);
        if fail_fast && !ok {
            skipped = inputs.len() - i - 1;
            break;
        }
    }
    match format {
        TestFormat::Junit => print(&leash::render_test_junit(&tests)),
        TestFormat::Sarif => print(&leash::render_test_sarif(&tests)),
        TestFormat::Text => {}
    }
    let not_checked =
        if skipped > 0 { format!(", {skipped} not checked (--fail-fast)") } else { String::new() };
    let summary = format!("{passed} passed, {failed} failed{not_checked}\n");
    if text {
        print(&summary);
    } else if !quiet {
        eprint!("{summary}");
    }
    Ok(ExitCode::from(if failed == 0 { 0 } else { 1 }))
}
