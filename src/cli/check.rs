//! `leash check`: the verdict table, a row per model as soon as it is done,
//! then every finding's trace and a closing summary line; or JSON, SARIF or
//! JUnit XML (then one line per model, and the summary, on stderr).

use super::{files, invalid, pictures, print, progress, Format};
use leash::{CheckOptions, Verdict};
use leash_report::{TableRows, Tally};
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
    /// Stop after the first model that is not verified.
    pub fail_fast: bool,
    /// Print what each scenario's exploration cost.
    pub stats: bool,
    /// No progress line, and no per-model lines on stderr.
    pub quiet: bool,
}

/// Checks the models named by `paths`; exit 0 when all are verified, 1
/// when one is not, 2 when one does not compile.
pub fn run(paths: &[PathBuf], output: &Output, options: &CheckOptions) -> Result<ExitCode, String> {
    let Output { format, style, dot, svg, fail_fast, stats, quiet } = *output;
    let inputs = files::models(paths)?;
    let names: Vec<String> = inputs.iter().map(files::Input::name).collect();
    let scenarios: Vec<&str> = options.scenarios.iter().map(|s| s.name()).collect();
    let table = TableRows::new(names.iter().map(String::as_str), &scenarios);
    let text = format == Format::Text;
    if text {
        print(&table.header());
    }
    let mut pictures_written = Vec::new();
    let mut reports = Vec::new();
    let mut bad = Vec::new();
    let mut tally = Tally::default();
    for (i, (input, name)) in inputs.iter().zip(&names).enumerate() {
        let source = input.read()?;
        let checked = progress::observe(name, !quiet, |observer| {
            leash::check_source_observed(name, &source, options, observer)
        });
        let verified = match checked {
            Ok(mut r) => {
                r.peak_memory_bytes = files::peak_memory();
                tally.add(r.verdict);
                if text {
                    print(&table.row(&r));
                } else if !quiet {
                    eprintln!("{name}: {}", verdict_word(r.verdict));
                }
                if let Some(dir) = dot {
                    let written = pictures::findings(dir, &input.stem(), &source, &r)?;
                    for f in &written {
                        eprintln!("wrote {}", f.display());
                    }
                    pictures_written.extend(written);
                }
                let verified = r.verdict == Verdict::Verified;
                reports.push(r);
                verified
            }
            Err(model) => {
                tally.invalid += 1;
                invalid(&model);
                if text {
                    print(&table.invalid_row(name));
                } else if !quiet {
                    eprintln!("{name}: does not compile");
                }
                bad.push(model);
                false
            }
        };
        if fail_fast && !verified {
            tally.skipped = inputs.len() - i - 1;
            break;
        }
    }
    match format {
        Format::Json => print(&leash::render_json_with_invalid(reports.clone(), &bad)),
        Format::Sarif => print(&leash::render_sarif(&reports, &bad)),
        Format::Junit => print(&leash::render_junit(&reports, &bad)),
        Format::Text => {
            let mut gap = "\n";
            for r in &reports {
                let details = leash_report::render_details(r, style);
                if !details.is_empty() {
                    print(&format!("\n{details}"));
                    // Each finding's block already ends with a blank line.
                    gap = "";
                }
            }
            if stats {
                for r in &reports {
                    print(&format!("{gap}{}", leash_report::render_stats(r)));
                    gap = "";
                }
                gap = "\n";
            }
            print(&format!("{gap}{}", tally.summary()));
        }
    }
    if svg {
        pictures::svg(&pictures_written)?;
    }
    if !text && stats {
        reports.iter().for_each(|r| eprint!("{}", leash_report::render_stats(r)));
    }
    if !text && !quiet {
        eprint!("{}", tally.summary());
    }
    let all_verified = reports.iter().all(|r| r.verdict == Verdict::Verified);
    Ok(ExitCode::from(if !bad.is_empty() {
        2
    } else if all_verified {
        0
    } else {
        1
    }))
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Verified => "verified",
        Verdict::Violated => "violated",
        Verdict::Incomplete => "incomplete",
    }
}
