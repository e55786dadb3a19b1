//! `leash graph MODEL`: the design graph as DOT (and SVG).

use super::{files, invalid, pictures, print};
use std::path::Path;
use std::process::ExitCode;

/// Prints (or writes to `out`) the design graph of `model`.
pub fn run(model: &Path, out: Option<&Path>, svg: bool) -> Result<ExitCode, String> {
    let input = files::model(model);
    let source = input.read()?;
    let name = input.name();
    let program = match leash::compile(&name, &source) {
        Ok(p) => p,
        Err(bad) => {
            invalid(&bad);
            return Ok(ExitCode::from(2));
        }
    };
    let dot = leash_render::design_dot(&program, &source, &name);
    match out {
        Some(path) => {
            std::fs::write(path, dot).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            if svg {
                pictures::svg(&[path.to_path_buf()])?;
            }
        }
        None => print(&dot),
    }
    Ok(ExitCode::SUCCESS)
}
