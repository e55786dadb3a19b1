//! `leash graph MODEL`: the design graph as DOT (and SVG).

use super::{files, pictures, print};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(model: &Path, out: Option<&Path>, svg: bool) -> Result<ExitCode, String> {
    let source = files::read(model)?;
    let name = model.display().to_string();
    if leash::compile(&name, &source).is_err() {
        eprint!("{}", leash::compile(&name, &source).err().map(|b| b.render()).unwrap_or_default());
        return Ok(ExitCode::from(2));
    }
    match out {
        Some(path) => {
            let written: PathBuf = pictures::design(path, &name, &source)?;
            if svg {
                pictures::svg(&[written])?;
            }
        }
        None => {
            let program = leash::compile(&name, &source).map_err(|b| b.render())?;
            print(&leash_render::design_dot(&program, &source, &name));
        }
    }
    Ok(ExitCode::SUCCESS)
}
