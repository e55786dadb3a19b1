//! `leash check`: the verdict table and every finding's trace, or JSON, SARIF
//! or JUnit XML.

use super::{files, pictures, print, progress, Format};
use leash::{CheckOptions, Verdict};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `check` writes besides its exit code.
pub struct Output<'a> {
    /// Text, JSON, SARIF or JUnit XML.
    pub format: Format,
    /// How text traces are laid out.
    pub style: leash::TraceStyle,
    /// The folder for pictures, if any.
    pub dot: Option<&'a Path>,
    /// Render the pictures to SVG.
    pub svg: bool,
}

pub fn run(
    paths: &[PathBuf],
    output: &Output,
    options: &CheckOptions,
    progress: bool,
) -> Result<ExitCode, String> {
    let Output { format, style, dot, svg } = *output;
    let mut pictures_written = Vec::new();
    let mut reports = Vec::new();
    let mut invalid = Vec::new();
    for path in files::models(paths)? {
        let source = files::read(&path)?;
        let name = path.display().to_string();
        let checked = progress::observe(&name, progress, |observer| {
            leash::check_source_observed(&name, &source, options, observer)
        });
        match checked {
            Ok(mut r) => {
                r.peak_memory_bytes = files::peak_memory();
                if let Some(dir) = dot {
                    pictures_written.extend(pictures::findings(dir, &path, &source, &r)?);
                }
                reports.push(r);
            }
            Err(bad) => {
                eprint!("{}", bad.render());
                invalid.push(bad);
            }
        }
    }
    match format {
        Format::Json => print(&leash::render_json(reports.clone())),
        Format::Sarif => print(&leash::render_sarif(&reports, &invalid)),
        Format::Junit => print(&leash::render_junit(&reports, &invalid)),
        Format::Text if !reports.is_empty() => print(&leash::render_text_with(&reports, style)),
        Format::Text => {}
    }
    if svg {
        pictures::svg(&pictures_written)?;
    }
    let all_verified = reports.iter().all(|r| r.verdict == Verdict::Verified);
    Ok(ExitCode::from(if !invalid.is_empty() {
        2
    } else if all_verified {
        0
    } else {
        1
    }))
}
