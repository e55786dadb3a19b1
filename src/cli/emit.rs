//! `leash emit go MODEL [-o FILE]`: the model as a runnable Go program (a
//! skeleton of the design and a harness that runs it, docs/go.md).

use super::{files, print};
use std::path::Path;
use std::process::ExitCode;

pub fn go(model: &Path, out: Option<&Path>) -> Result<ExitCode, String> {
    let source = files::read(model)?;
    let name = model.display().to_string();
    let program = match leash::compile(&name, &source) {
        Ok(p) => p,
        Err(bad) => {
            eprint!("{}", bad.render());
            return Ok(ExitCode::from(2));
        }
    };
    let file = model.file_name().map_or(name.clone(), |f| f.to_string_lossy().into_owned());
    let text = match leash_golang::emit(&program, &source, &file) {
        Ok(text) => text,
        Err(diagnostics) => {
            eprint!("{}", leash::render_diagnostics(&name, &source, &diagnostics));
            return Ok(ExitCode::from(2));
        }
    };
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?
        }
        None => print(&text),
    }
    Ok(ExitCode::SUCCESS)
}
