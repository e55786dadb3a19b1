//! `leash parse`: diagnostics, or `ok`, per file.

use super::{files, print};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(paths: &[PathBuf], ir: bool) -> Result<ExitCode, String> {
    let mut failed = false;
    for path in files::models(paths)? {
        let source = files::read(&path)?;
        let name = path.display().to_string();
        match leash::compile(&name, &source) {
            Ok(program) => {
                print(&format!("{name}: ok\n"));
                if ir {
                    print(&leash_ir::pretty(&program));
                }
            }
            Err(bad) => {
                failed = true;
                eprint!("{}", bad.render());
            }
        }
    }
    Ok(ExitCode::from(if failed { 2 } else { 0 }))
}
