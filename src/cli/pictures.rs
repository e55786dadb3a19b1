//! Writing pictures: DOT files for the design and for each finding, and SVG
//! through Graphviz `dot` when it is on PATH (the libraries never shell out).

use leash::ModelReport;
use leash_report::replay_code::ReplayCode;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file-name-safe version of `s`.
fn safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn write(path: &Path, text: &str) -> Result<PathBuf, String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// Writes `<stem>.<scenario>.<kind>[.<tasks>].dot` and `....timeline.dot` for
/// every finding of `report` into `dir`; returns the files written.
pub fn findings(dir: &Path, stem: &str, source: &str, report: &ModelReport) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let program = leash::compile(&report.path, source).map_err(|bad| bad.render())?;
    let stem = safe(stem);
    let mut written = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for f in &report.findings {
        let code: ReplayCode = f.replay.parse()?;
        let mut base = format!("{stem}.{}.{}", code.scenario.name(), safe(&f.kind));
        if used.contains(&base) {
            base = format!("{base}.{}", safe(&f.tasks.join("-")));
        }
        used.push(base.clone());
        let title =
            format!("{} {} in {} ({})", f.kind, f.tasks.join(", "), report.path, code.scenario.name());
        let graph = leash_render::counterexample_dot(&leash_render::Counterexample {
            program: &program,
            source,
            scenario: code.scenario,
            path: &code.path,
            title: &title,
        })?;
        written.push(write(&dir.join(format!("{base}.dot")), &graph)?);
        let timeline =
            leash_render::timeline_dot(&program, source, code.scenario, &code.path, &code.cycle, &title)?;
        written.push(write(&dir.join(format!("{base}.timeline.dot")), &timeline)?);
    }
    Ok(written)
}

/// Renders each DOT file to SVG beside it with Graphviz, if `dot` is
/// installed, and lists the files written on stderr.
pub fn svg(files: &[PathBuf]) -> Result<(), String> {
    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("leash: --svg needs Graphviz `dot` on PATH (apt-get install graphviz); the DOT files were written");
        return Ok(());
    }
    for f in files {
        let out = f.with_extension("svg");
        let status = Command::new("dot")
            .arg("-Tsvg")
            .arg(f)
            .arg("-o")
            .arg(&out)
            .status()
            .map_err(|e| format!("cannot run dot: {e}"))?;
        if !status.success() {
            return Err(format!("dot failed on {}", f.display()));
        }
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
