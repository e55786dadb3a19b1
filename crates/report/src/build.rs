//! Building reports: replays each finding's path on the reference semantics to
//! name the tasks (`worker#2`), locate each step and list who waits on what.

use crate::{
    FindingReport, Location, ModelReport, ScenarioReport, ScenarioStats, Severity, TraceStep, Verdict,
    Waiting,
};
use leash_ir::Program;
use leash_native::{replay, task_names, Exploration, Finding, ReplayError, Replayed};
use leash_semantics::{describe_step, enabled, wait_reason, Actor, FindingKind, Scenario, State};
use leash_syntax::{LineIndex, Span};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a model report is built from.
pub struct ModelInput<'a> {
    /// The model file as given on the command line.
    pub path: &'a str,
    /// Its text.
    pub source: &'a str,
    /// Its IR.
    pub program: &'a Program,
    /// One exploration per scenario checked, in scenario order.
    pub explorations: &'a [Exploration],
    /// Whether hygiene warnings count as violations.
    pub strict: bool,
    /// Kinds reported as warnings whatever `strict` says (`--allow`).
    pub allow: &'a [FindingKind],
    /// When an engine other than the native prover explored: one summary per
    /// exploration; empty otherwise.
    pub engine: &'a [EngineSummary],
}

/// What an engine other than the native prover adds to an exploration.
#[derive(Clone, Debug, Default)]
pub struct EngineSummary {
    /// The engine's name (`loom`, `shuttle-random`, ...).
    pub engine: String,
    /// Executions it ran.
    pub executions: usize,
    /// Why it is not exhaustive, in the engine's words.
    pub bound: Option<String>,
    /// The engine's replay string per finding.
    pub schedules: Vec<(FindingKey, String)>,
}

/// A finding as engines key it: kind, task functions, detail.
pub type FindingKey = (FindingKind, Vec<u16>, String);

/// Findings are merged across scenarios by (violation first, kind, tasks, detail).
type MergeKey = (u8, FindingKind, Vec<String>, String);

struct Ctx<'a> {
    path: &'a str,
    source: &'a str,
    lines: LineIndex,
    program: &'a Program,
}

impl Ctx<'_> {
    fn location(&self, span: Span) -> Location {
        let (line, column) = self.lines.line_col(span.start);
        Location { file: self.path.to_string(), line, column }
    }

    fn line_text(&self, span: Span) -> String {
        let start = self.source[..span.start as usize].rfind('\n').map_or(0, |i| i + 1);
        let end = self.source[start..].find('\n').map_or(self.source.len(), |i| start + i);
        let line = &self.source[start..end];
        let code = line.find("//").map_or(line, |i| &line[..i]);
        code.trim().to_string()
    }

    fn name(&self, func: u16) -> String {
        self.program.func(func).name.clone()
    }

    /// A bound in words; the task bound names the function that piles up
    /// and where it is spawned.
    fn bound(&self, b: leash_native::Bound) -> String {
        let leash_native::Bound::Tasks { limit, func, alive } = b else {
            return b.to_string();
        };
        if alive == 1 {
            return format!(
                "max-tasks {limit}: more tasks alive at once, no two of one function; the bound is below \
                 what the design needs (raise --max-tasks)"
            );
        }
        let sites: Vec<String> = self
            .program
            .funcs
            .iter()
            .flat_map(|f| f.code.iter().zip(&f.spans))
            .filter(|(i, _)| matches!(i, leash_ir::Instr::Spawn { func: g, .. } if *g == func))
            .map(|(_, span)| self.location(*span).to_string())
            .collect();
        format!(
            "max-tasks {limit}: {alive} `{}` tasks alive at once, spawned at {}; a task spawned in a loop \
             that does not end before the next one is spawned grows the model without bound (bound the \
             spawns, or raise --max-tasks)",
            self.name(func),
            sites.join(", ")
        )
    }
}

/// Builds the report of one model.
pub fn build_model(input: &ModelInput) -> ModelReport {
    let cx = Ctx {
        path: input.path,
        source: input.source,
        lines: LineIndex::new(input.source),
        program: input.program,
    };
    let severity = |k: FindingKind| {
        if input.allow.contains(&k) || (k.is_warning() && !input.strict) {
            Severity::Warning
        } else {
            Severity::Violation
        }
    };
    let model_hash = crate::replay_code::model_hash(input.program);
    let mut scenarios = Vec::new();
    let mut merged: BTreeMap<MergeKey, (FindingReport, Scenario, Finding)> = BTreeMap::new();
    for (i, ex) in input.explorations.iter().enumerate() {
        let summary = input.engine.get(i);
        let mut kinds: Vec<(Severity, FindingKind)> = Vec::new();
        for f in &ex.findings {
            let sev = severity(f.kind);
            if !kinds.contains(&(sev, f.kind)) {
                kinds.push((sev, f.kind));
            }
            let tasks: Vec<String> = f.funcs.iter().map(|&x| cx.name(x)).collect();
            let order = if sev == Severity::Violation { 0 } else { 1 };
            merged
                .entry((order, f.kind, tasks.clone(), f.detail.clone()))
                .and_modify(|(r, _, _)| r.scenarios.push(ex.scenario.name().to_string()))
                .or_insert_with(|| {
                    let r = FindingReport {
                        kind: f.kind.name().to_string(),
                        severity: sev,
                        tasks,
                        detail: f.detail.clone(),
                        location: f
                            .at
                            .map(|(func, pc)| cx.location(cx.program.func(func).spans[pc as usize])),
                        scenarios: vec![ex.scenario.name().to_string()],
                        trace: Vec::new(),
                        cycle: Vec::new(),
                        waiting: Vec::new(),
                        replay: crate::replay_code::ReplayCode {
                            model: model_hash,
                            scenario: ex.scenario,
                            path: f.path.clone(),
                            cycle: f.cycle.clone(),
                        }
                        .to_string(),
                        schedule: summary.and_then(|e| {
                            let key = (f.kind, f.funcs.clone(), f.detail.clone());
                            e.schedules.iter().find(|(k, _)| *k == key).map(|(_, s)| s.clone())
                        }),
                    };
                    (r, ex.scenario, f.clone())
                });
        }
        kinds.sort();
        let violated = kinds.iter().any(|(s, _)| *s == Severity::Violation);
        let verdict = if violated {
            Verdict::Violated
        } else if ex.incomplete.is_some() || summary.is_some_and(|e| e.bound.is_some()) {
            Verdict::Incomplete
        } else {
            Verdict::Verified
        };
        scenarios.push(ScenarioReport {
            scenario: ex.scenario.name().to_string(),
            verdict,
            bound: ex.incomplete.map(|b| cx.bound(b)).or_else(|| summary.and_then(|e| e.bound.clone())),
            violations: kinds
                .iter()
                .filter(|(s, _)| *s == Severity::Violation)
                .map(|(_, k)| k.name().to_string())
                .collect(),
            warnings: kinds
                .iter()
                .filter(|(s, _)| *s == Severity::Warning)
                .map(|(_, k)| k.name().to_string())
                .collect(),
            stats: ScenarioStats {
                states: ex.stats.states,
                transitions: ex.stats.transitions,
                max_depth: ex.stats.max_depth,
                store_bytes: ex.stats.store_bytes,
                time_ms: 0,
                engine: summary.map(|e| e.engine.clone()),
                executions: summary.map(|e| e.executions),
                same_as: None,
            },
        });
    }
    let findings = merged
        .into_values()
        .map(|(mut r, scenario, f)| {
            fill_trace(&cx, scenario, &f, &mut r);
            r
        })
        .collect();
    let verdict = scenarios.iter().map(|s| s.verdict).max().unwrap_or(Verdict::Verified);
    let verdict =
        if scenarios.iter().any(|s| s.verdict == Verdict::Violated) { Verdict::Violated } else { verdict };
    ModelReport { path: input.path.to_string(), verdict, scenarios, findings, peak_memory_bytes: None }
}

fn fill_trace(cx: &Ctx, scenario: Scenario, f: &Finding, r: &mut FindingReport) {
    let all: Vec<u16> = f.path.iter().chain(&f.cycle).copied().collect();
    let replayed = match replay(cx.program, scenario, &all) {
        Ok(r) => r,
        // A panic while `main` starts: there are no steps to show.
        Err(ReplayError::Initial) if all.is_empty() => return,
        Err(e) => panic!("internal error: a counterexample did not replay on the reference semantics: {e:?}"),
    };
    let (steps, last) = render_steps(cx, &replayed, f.path.len());
    r.trace = steps[..f.path.len().min(steps.len())].to_vec();
    r.cycle = steps[f.path.len().min(steps.len())..].to_vec();
    r.waiting = last;
}

/// Renders the steps with task names; returns them and the tasks alive after `cut` steps.
fn render_steps(cx: &Ctx, replayed: &Replayed, cut: usize) -> (Vec<TraceStep>, Vec<Waiting>) {
    let names = task_names(cx.program, replayed);
    let mut out = Vec::new();
    for (i, step) in replayed.steps.iter().enumerate() {
        let text = describe_step(cx.program, &step.before, &step.transition);
        let task = match step.transition.actor {
            Actor::Task(slot) => names[i][slot as usize].clone(),
            _ => "env".to_string(),
        };
        let mut note = text.note;
        if let Some(partner) = text.partner {
            let with = format!("with {}", names[i][partner as usize]);
            note = if note.is_empty() { with } else { format!("{note}, {with}") };
        }
        if let Some(p) = &step.panic {
            note = format!("panic: {}", p.detail);
        } else {
            // A task that panicked in this step and runs its deferred calls first.
            let after = replayed.steps.get(i + 1).map_or(&replayed.last, |s| &s.before);
            for (slot, t) in after.tasks.iter().enumerate() {
                let Some(p) = &t.panic else { continue };
                let old =
                    step.before.tasks.iter().any(|b| b.panic.as_ref().is_some_and(|q| Arc::ptr_eq(p, q)));
                if !old {
                    let unwinding =
                        format!("{} panics: {}, runs its deferred calls", names[i + 1][slot], p.detail);
                    note = if note.is_empty() { unwinding } else { format!("{note}; {unwinding}") };
                }
            }
        }
        let (line_text, location) = match text.func {
            Some(_) => (cx.line_text(text.span), Some(cx.location(text.span))),
            None => (String::new(), None),
        };
        out.push(TraceStep { step: i + 1, task, text: line_text, note, location });
    }
    let waiting = match replayed.steps.get(cut) {
        Some(step) => waits(cx, &step.before, &names[cut]),
        None => waits(cx, &replayed.last, names.last().expect("one entry per step and one after")),
    };
    (out, waiting)
}

fn waits(cx: &Ctx, s: &State, names: &[String]) -> Vec<Waiting> {
    (0..s.tasks.len())
        .map(|slot| {
            let (reason, span) = wait_reason(cx.program, s, slot);
            Waiting { task: names[slot].clone(), reason, location: cx.location(span) }
        })
        .collect()
}

/// A counterexample replayed from its replay string.
#[derive(Clone, Debug)]
pub struct ReplayOutput {
    /// The steps of the path.
    pub trace: Vec<TraceStep>,
    /// The steps of the cycle, if any.
    pub cycle: Vec<TraceStep>,
    /// Every task alive at the end of the path.
    pub waiting: Vec<Waiting>,
    /// The panic the path ends in, if any.
    pub panic: Option<String>,
    /// What the counterexample shows, as `check` names findings (`leak
    /// compute`, `deadlock main, worker`, `no-exit spinner`, `panic`,
    /// `orphan worker`); empty when its end shows nothing wrong.
    pub findings: Vec<String>,
}

/// Replays `code` on `program` (the model at `path` with text `source`).
pub fn replay_code(
    path: &str,
    source: &str,
    program: &Program,
    code: &crate::replay_code::ReplayCode,
) -> Result<ReplayOutput, String> {
    let hash = crate::replay_code::model_hash(program);
    if hash != code.model {
        return Err(format!(
            "this trace was recorded for another version of the model ({:016x}); {path} is now {hash:016x}: run `leash check` again for a fresh trace",
            code.model
        ));
    }
    let cx = Ctx { path, source, lines: LineIndex::new(source), program };
    let all: Vec<u16> = code.path.iter().chain(&code.cycle).copied().collect();
    let replayed = replay(program, code.scenario, &all).map_err(|e| match e {
        ReplayError::Initial => "the model panics as it starts".to_string(),
        ReplayError::NoSuchTransition { at } => {
            format!("step {} of the trace does not exist in this model", at + 1)
        }
        ReplayError::PanicMidway { at } => format!("step {} panics before the end of the trace", at + 1),
    })?;
    if !code.cycle.is_empty() {
        let back = replay(program, code.scenario, &code.path)
            .map_err(|_| "the trace's path does not replay".to_string())?;
        if back.last != replayed.last {
            return Err("the trace's cycle does not return to where it started".into());
        }
    }
    let (steps, waiting) = render_steps(&cx, &replayed, code.path.len());
    let panic = replayed.steps.last().and_then(|s| s.panic.as_ref()).map(|e| e.detail.clone());
    let cut = code.path.len().min(steps.len());
    let findings = ending(program, code.scenario, &replayed, cut, panic.is_some());
    Ok(ReplayOutput { trace: steps[..cut].to_vec(), cycle: steps[cut..].to_vec(), waiting, panic, findings })
}

/// The findings the end of a replayed path shows, classified as the native
/// prover classifies them: a panic; on a cycle, the tasks that move in it
/// (no-exit) and those that do not (leak); else a state where nothing can
/// move (a deadlock while `main` is alive, else a leak of each task), then
/// the owner-rule warnings the last step (or the start) raised.
fn ending(p: &Program, scenario: Scenario, r: &Replayed, cut: usize, panicked: bool) -> Vec<String> {
    let name = |f: u16| p.func(f).name.clone();
    let group = |kind: FindingKind, mut funcs: Vec<u16>| {
        funcs.sort_unstable();
        funcs.dedup();
        let names: Vec<String> = funcs.into_iter().map(name).collect();
        format!("{} {}", kind.name(), names.join(", ")).trim_end().to_string()
    };
    if panicked {
        return vec![FindingKind::Panic.name().to_string()];
    }
    if let Some(entry) = r.steps.get(cut) {
        let moving: Vec<u16> = r.steps[cut..]
            .iter()
            .filter_map(|s| match s.transition.actor {
                Actor::Task(slot) => Some(slot),
                _ => None,
            })
            .collect();
        let (spin, stuck): (Vec<(usize, &std::sync::Arc<leash_semantics::Task>)>, Vec<_>) =
            entry.before.tasks.iter().enumerate().partition(|(slot, _)| moving.contains(&(*slot as u16)));
        let mut out = Vec::new();
        for (kind, tasks) in [(FindingKind::NoExit, spin), (FindingKind::Leak, stuck)] {
            if !tasks.is_empty() {
                out.push(group(kind, tasks.into_iter().map(|(_, t)| t.func).collect()));
            }
        }
        return out;
    }
    let mut out = Vec::new();
    let s = &r.last;
    if enabled(p, s, scenario).is_empty() && !s.tasks.is_empty() {
        let funcs: Vec<u16> = s.tasks.iter().map(|t| t.func).collect();
        if funcs.contains(&p.main) {
            out.push(group(FindingKind::Deadlock, funcs));
        } else {
            out.extend(funcs.into_iter().map(|f| group(FindingKind::Leak, vec![f])));
        }
    }
    // The warnings of the last step, or of the start when the path is empty
    // (a main that exits before its first step that waits).
    let raised = match r.steps.last() {
        Some(last) => leash_semantics::apply(p, &last.before, &last.transition, scenario).map(|a| a.events),
        None => leash_semantics::initial(p).map(|a| a.events),
    };
    if let Ok(events) = raised {
        out.extend(events.iter().map(|e| group(e.kind, vec![e.func])));
    }
    out
}
