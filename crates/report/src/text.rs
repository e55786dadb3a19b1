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

/// The verdict table printed a row at a time, as each model is done: the
/// model column is as wide as the longest name given in advance, each
/// scenario column [`TableRows::CELL`] wide (a longer cell pushes the rest of
/// its row right).
#[derive(Clone, Debug)]
pub struct TableRows {
    model_width: usize,
    scenarios: Vec<String>,
}

impl TableRows {
    /// Width of a scenario column: `verified (+orphan)` and
    /// `incomplete (timeout)` fit.
    pub const CELL: usize = 20;

    /// A table for models with these `names`, checked in these `scenarios`.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>, scenarios: &[&str]) -> TableRows {
        let model_width = names.into_iter().map(|n| n.chars().count()).max().unwrap_or(0).max("MODEL".len());
        TableRows { model_width, scenarios: scenarios.iter().map(|s| s.to_string()).collect() }
    }

    fn line(&self, first: &str, cells: impl IntoIterator<Item = String>) -> String {
        let mut line = format!("{first:<w$}", w = self.model_width);
        for c in cells {
            line.push_str(&format!("  {c:<w$}", w = Self::CELL));
        }
        format!("{}\n", line.trim_end())
    }

    /// `MODEL  COMPLETION  ERROR  CANCEL`.
    pub fn header(&self) -> String {
        self.line("MODEL", self.scenarios.iter().map(|s| s.to_uppercase()))
    }

    /// The row of a checked model.
    pub fn row(&self, m: &ModelReport) -> String {
        self.line(&m.path, m.scenarios.iter().map(cell))
    }

    /// The row of a model that did not compile.
    pub fn invalid_row(&self, path: &str) -> String {
        self.line(path, ["does not compile".to_string()])
    }
}

/// How many models got each verdict, for the closing line of `leash check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Verified in every scenario.
    pub verified: usize,
    /// A violation in some scenario.
    pub violated: usize,
    /// Cut short by a bound, no violation found.
    pub incomplete: usize,
    /// Did not compile.
    pub invalid: usize,
    /// Not checked: `--fail-fast` stopped before them.
    pub skipped: usize,
}

impl Tally {
    /// Counts one checked model.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Verified => self.verified += 1,
            Verdict::Violated => self.violated += 1,
            Verdict::Incomplete => self.incomplete += 1,
        }
    }

    /// `53 models: 31 verified, 22 violated, 0 incomplete`, then the models
    /// that did not compile and those not checked, when there are any.
    pub fn summary(&self) -> String {
        let total = self.verified + self.violated + self.incomplete + self.invalid + self.skipped;
        let plural = if total == 1 { "" } else { "s" };
        let mut line = format!(
            "{total} model{plural}: {} verified, {} violated, {} incomplete",
            self.verified, self.violated, self.incomplete
        );
        if self.invalid > 0 {
            line.push_str(&format!(", {} invalid", self.invalid));
        }
        if self.skipped > 0 {
            line.push_str(&format!(", {} not checked (--fail-fast)", self.skipped));
        }
        line + "\n"
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
    // A statement too long for its column is cut, never its line number.
    let fit = |text: &str, tail: &str| {
        let room = WIDTH.saturating_sub(tail.chars().count());
        let text: String = if text.chars().count() > room {
            text.chars().take(room.saturating_sub(1)).chain(['…']).collect()
        } else {
            text.to_string()
        };
        format!("{text}{tail}")
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
            let text = fit(&s.text, &format!("{note}{line}"));
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
            Some(w) => cell(&fit(&format!("= {}", w.reason), &format!(" :{}", w.location.line))),
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

/// Every finding of a model with its trace, and every scenario cut short by
/// a bound with how far it got and a hint (or, when violated, what that
/// means for its traces); empty if there are none.
pub fn render_details(m: &ModelReport, style: TraceStyle) -> String {
    let mut out = String::new();
    let cut: Vec<&crate::ScenarioReport> = m.scenarios.iter().filter(|s| s.bound.is_some()).collect();
    if m.findings.is_empty() && cut.is_empty() {
        return out;
    }
    let _ = writeln!(out, "== {}", m.path);
    for f in &m.findings {
        finding(&mut out, f, &m.path, style);
        out.push('\n');
    }
    for s in cut {
        match s.verdict {
            Verdict::Violated => violated_note(&mut out, s),
            _ => incomplete_note(&mut out, s),
        }
        out.push('\n');
    }
    out
}

/// What a violated scenario whose search was cut short reached, and what
/// its traces are worth.
fn violated_note(out: &mut String, s: &crate::ScenarioReport) {
    let bound = s.bound.as_deref().unwrap_or("bound");
    let st = &s.stats;
    let what = if st.engine.is_some() { "executions" } else { "states" };
    let _ = writeln!(
        out,
        "violated in {}, search incomplete ({bound}): {} {what}, depth {}, {}",
        s.scenario,
        st.states,
        st.max_depth,
        took(st)
    );
    let _ = writeln!(
        out,
        "  note: other findings may be left to find; a trace found by the bug hunt is a real run, \
         not necessarily the shortest"
    );
}

/// How long a scenario's exploration took, or which scenario's it shares.
fn took(st: &crate::ScenarioStats) -> String {
    match &st.same_as {
        Some(other) => shares(other),
        None => format!("{:.1} s", st.time_ms as f64 / 1000.0),
    }
}

/// What a scenario that was not explored again reports instead of costs.
pub(crate) fn shares(other: &str) -> String {
    format!("the exploration of {other} (the same steps: the model has no `work`)")
}

/// Depth from which a search cut short most likely follows something that
/// grows without bound rather than a big but finite model.
const DEEP: usize = 1_000;

/// What a scenario cut short by a bound reached, and what to do about it.
fn incomplete_note(out: &mut String, s: &crate::ScenarioReport) {
    let bound = s.bound.as_deref().unwrap_or("bound");
    let st = &s.stats;
    let what = if st.engine.is_some() { "executions" } else { "states" };
    let _ = writeln!(
        out,
        "incomplete in {} ({bound}): {} {what}, depth {}, {}",
        s.scenario,
        st.states,
        st.max_depth,
        took(st)
    );
    let option =
        ["timeout", "max-states", "max-depth", "max-memory"].into_iter().find(|b| bound.starts_with(b));
    let Some(option) = option else {
        // The task bound says what to do itself; a hunt that found a
        // violation needs nothing more.
        if st.engine.is_some() {
            let _ = writeln!(
                out,
                "  hint: a sample of schedules is not a proof: `--engine native` explores them all"
            );
        }
        return;
    };
    let raise = format!("raise --{option}");
    let hint = if option == "max-depth" || st.max_depth >= DEEP {
        format!(
            "paths {} steps deep: something may grow without bound (a spawn in a loop, a task set \
             that keeps growing, a counter that never stops); if not, {raise}",
            st.max_depth
        )
    } else {
        format!("{raise}, or check one scenario at a time (--scenario); a spawn in a loop or a growing task set makes the states grow fast")
    };
    let _ = writeln!(out, "  hint: {hint}");
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
