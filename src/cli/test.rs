//! `leash test`: each model's `// expect:` lines against its result.

use super::{files, print, progress};
use leash::CheckOptions;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(paths: &[PathBuf], options: &CheckOptions, progress: bool) -> Result<ExitCode, String> {
    let (mut passed, mut failed) = (0, 0);
    for path in files::models(paths)? {
        let source = files::read(&path)?;
        let name = path.display().to_string();
        let checked = progress::observe(&name, progress, |observer| {
            leash::check_source_observed(&name, &source, options, observer)
        });
        let problems = match checked {
            Ok(report) => leash::expect::compare(&source, &report).problems,
            Err(bad) => {
                eprint!("{}", bad.render());
                vec!["does not compile".to_string()]
            }
        };
        if problems.is_empty() {
            passed += 1;
            print(&format!("ok    {name}\n"));
        } else {
            failed += 1;
            print(&format!("FAIL  {name}\n"));
            for p in problems {
                print(&format!("      {p}\n"));
            }
        }
    }
    print(&format!("{passed} passed, {failed} failed\n"));
    Ok(ExitCode::from(if failed == 0 { 0 } else { 1 }))
}
