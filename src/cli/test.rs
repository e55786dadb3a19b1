//! `leash test`: each model's `// expect:` lines against its result.

use super::{files, print};
use leash::CheckOptions;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(paths: &[PathBuf], options: &CheckOptions) -> Result<ExitCode, String> {
    let (mut passed, mut failed) = (0, 0);
    for path in files::models(paths)? {
        let source = files::read(&path)?;
        let name = path.display().to_string();
        let problems = match leash::check_source(&name, &source, options) {
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
