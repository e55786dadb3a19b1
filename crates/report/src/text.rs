//! The text view: a verdict table (model × scenario) and, per finding, the
//! numbered shortest trace and the tasks left waiting.

use crate::{FindingReport, ModelReport, Severity, TraceStep, Verdict};
use std::fmt::Write;

fn cell(r: &crate::ScenarioReport) -> String {
    let head = match r.verdict {
        Verdict::Incomplete => format!("incomplete ({})", r.bound.as_deref().unwrap_or("bound")),
        Verdict::Verified => "verified".into(),
        Verdict::Violated => r.violations.join(", "),
    };
    if r.warnings.is_empty() {
        head
    } else {
        format!("{head} (+{})", r.warnings.join(", "))
    }
}

/// The verdict table: one row per model, one column per scenario.
pub fn render_table(models: &[ModelReport]) -> String {
    let scenarios: Vec<String> =
        models.first().map(|m| m.scenarios.iter().map(|s| s.scenario.clone()).collect()).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("MODEL".to_string())
        .chain(scenarios.iter().map(|s| s.to_uppercase()))
        .collect()];
    for m in models {
        rows.push(std::iter::once(m.path.clone()).chain(m.scenarios.iter().map(cell)).collect());
    }
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> =
            r.iter().enumerate().map(|(i, s)| format!("{s:<w$}", w = widths[i])).collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

fn steps(out: &mut String, steps: &[TraceStep], offset: usize) {
    let tw = steps.iter().map(|s| s.task.len()).max().unwrap_or(0);
    let xw = steps.iter().map(|s| s.text.chars().count().min(48)).max().unwrap_or(0);
    for s in steps {
        let text: String = s.text.chars().take(48).collect();
        let note = if s.note.is_empty() { String::new() } else { format!("  [{}]", s.note) };
        let loc = s.location.as_ref().map(|l| format!("  {l}")).unwrap_or_default();
        let line = format!("  {:>3}  {:<tw$}  {:<xw$}{loc}{note}", s.step + offset, s.task, text);
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// How traces are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceStyle {
    /// A numbered list of steps (the default).
    #[default]
    List,
    /// One column per task, GoKer style: the interleaving reads across.
    Columns,
}

/// Steps in columns, one per task, with each task's end state at the bottom.
fn columns(out: &mut String, trace: &[TraceStep], cycle: &[TraceStep], waiting: &[crate::Waiting]) {
    const WIDTH: usize = 34;
    let mut tasks: Vec<&str> = Vec::new();
    for s in trace.iter().chain(cycle) {
        if !tasks.contains(&s.task.as_str()) {
            tasks.push(&s.task);
        }
    }
    for w in waiting {
        if !tasks.contains(&w.task.as_str()) {
            tasks.push(&w.task);
        }
    }
    let cell = |s: &str| {
        let s: String = s.chars().take(WIDTH).collect();
        format!("{s:<WIDTH$}")
    };
    let row = |out: &mut String, step: &str, cells: Vec<String>| {
        let line = format!("  {step:>4}  {}", cells.join("  "));
        let _ = writeln!(out, "{}", line.trim_end());
    };
    row(out, "", tasks.iter().map(|t| cell(t)).collect());
    let body = |out: &mut String, steps: &[TraceStep]| {
        for s in steps {
            let line = s.location.as_ref().map(|l| format!(" :{}", l.line)).unwrap_or_default();
            let note = if s.note.is_empty() { String::new() } else { format!(" [{}]", s.note) };
            let text = format!("{}{note}{line}", s.text);
            row(
                out,
                &s.step.to_string(),
                tasks.iter().map(|t| cell(if *t == s.task { &text } else { "" })).collect(),
            );
        }
    };
    body(out, trace);
    if !cycle.is_empty() {
        let _ = writeln!(out, "  then forever:");
        body(out, cycle);
    }
    let ends: Vec<String> = tasks
        .iter()
        .map(|t| match waiting.iter().find(|w| w.task == *t) {
            Some(w) => cell(&format!("= {} :{}", w.reason, w.location.line)),
            None if *t == "env" => cell(""),
            None => cell("= exited"),
        })
        .collect();
    row(out, "end", ends);
}

fn finding(out: &mut String, f: &FindingReport, model: &str, style: TraceStyle) {
    let sev = match f.severity {
        Severity::Violation => "",
        Severity::Warning => "warning: ",
    };
    let detail = if f.detail.is_empty() { String::new() } else { format!(": {}", f.detail) };
    let detail = match &f.location {
        Some(l) => format!("{detail} at {l}"),
        None => detail,
    };
    let _ = writeln!(
        out,
        "{sev}{} {}{detail}  (scenarios: {})",
        f.kind,
        f.tasks.join(", "),
        f.scenarios.join(", ")
    );
    if style == TraceStyle::Columns {
        columns(out, &f.trace, &f.cycle, &f.waiting);
        replay_lines(out, model, f);
        return;
    }
    steps(out, &f.trace, 0);
    if !f.cycle.is_empty() {
        let _ = writeln!(out, "  then forever:");
        steps(out, &f.cycle, 0);
    }
    replay_lines(out, model, f);
    if !f.waiting.is_empty() {
        let _ = writeln!(out, "  tasks at the end:");
        for w in &f.waiting {
            let _ = writeln!(out, "    {} [{}] {}", w.task, w.reason, w.location);
        }
    }
}

/// Every finding of a model with its trace; empty if there are none.
pub fn render_details(m: &ModelReport, style: TraceStyle) -> String {
    let mut out = String::new();
    if m.findings.is_empty() {
        return out;
    }
    let _ = writeln!(out, "== {}", m.path);
    for f in &m.findings {
        finding(&mut out, f, &m.path, style);
        out.push('\n');
    }
    out
}

/// How to run the counterexample again: on the reference semantics, and on
/// the engine that found it when that engine has its own replay.
fn replay_lines(out: &mut String, model: &str, f: &FindingReport) {
    let _ = writeln!(out, "  replay: leash replay {model} {}", f.replay);
    if let Some(s) = &f.schedule {
        let scenario = f.scenarios.first().map_or("completion", String::as_str);
        let _ = writeln!(
            out,
            "  shuttle schedule: leash replay --engine shuttle --scenario {scenario} {model} '{s}'"
        );
    }
}

/// A replayed counterexample: its steps, its cycle and who waits at the end.
pub fn render_replay(r: &crate::ReplayOutput, style: TraceStyle) -> String {
    let mut out = String::new();
    if style == TraceStyle::Columns {
        columns(&mut out, &r.trace, &r.cycle, &r.waiting);
        if let Some(p) = &r.panic {
            let _ = writeln!(out, "  panic: {p}");
        }
        return out;
    }
    steps(&mut out, &r.trace, 0);
    if !r.cycle.is_empty() {
        let _ = writeln!(out, "  then forever:");
        steps(&mut out, &r.cycle, 0);
    }
    if let Some(p) = &r.panic {
        let _ = writeln!(out, "  panic: {p}");
    }
    let _ = writeln!(out, "  tasks at the end:");
    for w in &r.waiting {
        let _ = writeln!(out, "    {} [{}] {}", w.task, w.reason, w.location);
    }
    out
}
