//! `leash replay MODEL TRACE`: re-executes a printed counterexample on the
//! reference semantics and prints it again.

use super::{files, invalid, print};
use std::path::Path;
use std::process::ExitCode;

/// Replays a `leash1:` trace of `model` on the reference semantics.
pub fn run(
    model: &Path,
    trace: &str,
    style: leash::TraceStyle,
    dot: Option<&Path>,
) -> Result<ExitCode, String> {
    let code: leash_report::replay_code::ReplayCode = trace.parse()?;
    let Some((name, source, program)) = load(model)? else { return Ok(ExitCode::from(2)) };
    show(&name, &source, &program, &code, style, dot)
}

/// `leash replay --engine shuttle`: runs a shuttle schedule on shuttle, then
/// shows the execution as replayed on the reference semantics.
pub fn run_shuttle(
    model: &Path,
    schedule: &str,
    scenario: leash::Scenario,
    style: leash::TraceStyle,
    dot: Option<&Path>,
) -> Result<ExitCode, String> {
    let Some((name, source, program)) = load(model)? else { return Ok(ExitCode::from(2)) };
    let (path, ending) = leash::shuttle_replay(&program, scenario, schedule)?;
    print(&format!("shuttle ran the schedule: {ending}\n"));
    let model_hash = leash_report::replay_code::model_hash(&program);
    let code = leash_report::replay_code::ReplayCode { model: model_hash, scenario, path, cycle: Vec::new() };
    show(&name, &source, &program, &code, style, dot)
}

/// Reads and compiles the model (`-`: standard input); `None` when it does
/// not compile (its diagnostics printed).
fn load(model: &Path) -> Result<Option<(String, String, leash_ir::Program)>, String> {
    let input = files::model(model);
    let source = input.read()?;
    let name = input.name();
    match leash::compile(&name, &source) {
        Ok(p) => Ok(Some((name, source, p))),
        Err(bad) => {
            invalid(&bad);
            Ok(None)
        }
    }
}

fn show(
    name: &str,
    source: &str,
    program: &leash_ir::Program,
    code: &leash_report::replay_code::ReplayCode,
    style: leash::TraceStyle,
    dot: Option<&Path>,
) -> Result<ExitCode, String> {
    let out = leash_report::replay(name, source, program, code)?;
    let shows =
        if out.findings.is_empty() { "no finding at the end".to_string() } else { out.findings.join("; ") };
    let steps = out.trace.len() + out.cycle.len();
    print(&format!("{name} ({}): {shows}, {steps} steps\n", code.scenario.name()));
    print(&leash_report::render_replay(&out, style));
    if let Some(file) = dot {
        let title = format!("replay of {name} ({})", code.scenario.name());
        let graph = leash_render::counterexample_dot(&leash_render::Counterexample {
            program,
            source,
            scenario: code.scenario,
            path: &code.path,
            title: &title,
        })?;
        std::fs::write(file, graph).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        eprintln!("wrote {}", file.display());
        let timeline =
            leash_render::timeline_dot(program, source, code.scenario, &code.path, &code.cycle, &title)?;
        let beside = file.with_extension("timeline.dot");
        std::fs::write(&beside, timeline).map_err(|e| format!("cannot write {}: {e}", beside.display()))?;
        eprintln!("wrote {}", beside.display());
    }
    Ok(ExitCode::SUCCESS)
}
