//! `leash parse`: diagnostics, or `ok`, per file.

use super::{files, invalid, print};
use std::path::PathBuf;
use std::process::ExitCode;

/// Parses and validates each model; exit 2 when one does not compile.
pub fn run(paths: &[PathBuf], ir: bool) -> Result<ExitCode, String> {
    let mut failed = false;
    for input in files::models(paths)? {
        let source = input.read()?;
        let name = input.name();
        match leash::compile(&name, &source) {
            Ok(program) => {
                print(&format!("{name}: ok\n"));
                if ir {
                    print(&leash_ir::pretty(&program));
                }
            }
            Err(bad) => {
                failed = true;
                invalid(&bad);
            }
        }
    }
    Ok(ExitCode::from(if failed { 2 } else { 0 }))
}
