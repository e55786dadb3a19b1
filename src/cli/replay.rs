//! `leash replay MODEL TRACE`: re-executes a printed counterexample on the
//! reference semantics and prints it again.

use super::{files, print};
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    model: &Path,
    trace: &str,
    style: leash::TraceStyle,
    dot: Option<&Path>,
) -> Result<ExitCode, String> {
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
    print(&leash_report::render_replay(&out, style));
    if let Some(file) = dot {
        let title = format!("replay of {name} ({})", code.scenario.name());
        let graph = leash_render::counterexample_dot(&leash_render::Counterexample {
            program: &program,
            source: &source,
            scenario: code.scenario,
            path: &code.path,
            title: &title,
        })?;
        std::fs::write(file, graph).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        let timeline =
            leash_render::timeline_dot(&program, &source, code.scenario, &code.path, &code.cycle, &title)?;
        let beside = file.with_extension("timeline.dot");
        std::fs::write(&beside, timeline).map_err(|e| format!("cannot write {}: {e}", beside.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
