//! `leash explain CODE`: the section of docs/errors.md about one error code,
//! or, without a code, the list of codes with their titles.

use super::print;
use std::process::ExitCode;

/// docs/errors.md, built into the binary.
const ERRORS: &str = include_str!("../../docs/errors.md");

/// The sections of docs/errors.md: each `## CODE: title` heading and its text.
fn sections() -> impl Iterator<Item = (&'static str, &'static str)> {
    ERRORS.split("\n## ").skip(1).map(|section| {
        let code = section.split([':', ' ', '\n']).next().unwrap_or_default();
        (code, section)
    })
}

/// Prints the section of `code`, or every code and its title; an unknown
/// code is a usage error.
pub fn run(code: Option<&str>) -> Result<ExitCode, String> {
    let Some(code) = code else {
        for (_, section) in sections() {
            print(&format!("{}\n", section.lines().next().unwrap_or_default()));
        }
        return Ok(ExitCode::SUCCESS);
    };
    let wanted = code.trim().to_ascii_uppercase();
    let wanted = if wanted.starts_with('E') { wanted } else { format!("E{wanted:0>4}") };
    match sections().find(|(c, _)| *c == wanted) {
        Some((_, section)) => {
            print(&format!("{}\n", section.trim_end()));
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!("unknown error code `{code}`: `leash explain` lists them all")),
    }
}
