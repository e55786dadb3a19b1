//! Rendering diagnostics at the edge: `file:line:col`, the source line, a caret
//! under the span and the hint, through codespan-reporting, without colour
//! unless asked (ANSI escapes, for a terminal).

use codespan_reporting::diagnostic::{Diagnostic as Cs, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};
use codespan_reporting::term::{self, Config};
use leash_syntax::{Diagnostic, Severity};

/// Renders `diagnostics` of the model `path` with text `source`.
pub fn render_diagnostics(path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = NoColor::new(Vec::new());
    emit(&mut out, path, source, diagnostics);
    String::from_utf8(out.into_inner()).expect("utf-8 diagnostics")
}

/// [`render_diagnostics`] in colour (ANSI escapes), for a terminal.
pub fn render_diagnostics_in_colour(path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = Ansi::new(Vec::new());
    emit(&mut out, path, source, diagnostics);
    String::from_utf8(out.into_inner()).expect("utf-8 diagnostics")
}

fn emit(out: &mut impl WriteColor, path: &str, source: &str, diagnostics: &[Diagnostic]) {
    let file = SimpleFile::new(path, source);
    let config = Config::default();
    for d in diagnostics {
        let clamp = |r: std::ops::Range<usize>| r.start.min(source.len())..r.end.min(source.len());
        let mut labels = vec![Label::primary((), clamp(d.span.range())).with_message(&d.label)];
        labels.extend(
            d.notes.iter().map(|n| Label::secondary((), clamp(n.span.range())).with_message(&n.message)),
        );
        let cs = match d.severity {
            Severity::Error => Cs::error(),
            Severity::Warning => Cs::warning(),
        }
        .with_code(d.code)
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(d.hint.iter().map(|h| format!("hint: {h}")).collect());
        term::emit(out, &config, &file, &cs).expect("writing to memory");
    }
}
