//! `leash replay MODEL TRACE`: re-executes a printed counterexample on the
//! reference semantics and prints it again.

use super::{files, print};
use std::path::Path;
use std::process::ExitCode;

pub fn run(model: &Path, trace: &str) -> Result<ExitCode, String> {
    let code: leash_report::replay_code::ReplayCode = trace.parse()?;
    let source = files::read(model)?;
    let name = model.display().to_string();
    let program = match leash::compile(&name, &source) {
        Ok(p) => p,
        Err(bad) => {
            eprint!("{}", bad.render());
            return Ok(ExitCode::from(2));
        }
    };
    let out = leash_report::replay(&name, &source, &program, &code)?;
    print(&format!("{name} ({}): {} steps\n", code.scenario.name(), out.trace.len() + out.cycle.len()));
    print(&leash_report::render_replay(&out));
    Ok(ExitCode::SUCCESS)
}
