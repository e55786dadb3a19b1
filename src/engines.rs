//! The engines that can explore a scenario, and how the loom and shuttle
//! engines' executions become the same findings as the native prover's: each
//! kept execution is replayed on the reference semantics
//! (`leash_threads::conform`), which confirms it and gives its path.
//!
//! loom and shuttle are optional (the `loom` and `shuttle` features, on by
//! default): without them the library is the native prover alone.

#[cfg(any(feature = "loom", feature = "shuttle"))]
use {
    leash_native::{Exploration, Finding, Stats},
    leash_report::{EngineSummary, FindingKey},
    leash_semantics::Scenario,
    leash_threads::conform::{conform, conform_library_deadlock, Confirmed, Disagreement},
    leash_threads::explore::Run,
    std::collections::BTreeMap,
    std::time::Duration,
};

#[cfg(feature = "loom")]
pub use leash_loom::Options as LoomOptions;
#[cfg(feature = "shuttle")]
pub use leash_shuttle::{Options as ShuttleOptions, Strategy as ShuttleStrategy};

/// Which engine explores a model.
#[derive(Clone, Copy, Debug, Default)]
pub enum Engine {
    /// The native prover: breadth-first search of the reference semantics,
    /// shortest counterexamples, fair cycles. Exhaustive.
    #[default]
    Native,
    /// loom: every interleaving of the model run on loom's threads. At most
    /// five threads; no fair-cycle (no-exit) search. Needs the `loom` feature.
    #[cfg(feature = "loom")]
    Loom(LoomOptions),
    /// shuttle: sampled (random, PCT) or enumerated (DFS) schedules on
    /// shuttle's threads. Needs the `shuttle` feature.
    #[cfg(feature = "shuttle")]
    Shuttle(ShuttleOptions),
}

impl Engine {
    /// The engine's name in reports: `native`, `loom`, `shuttle-random`,
    /// `shuttle-pct`, `shuttle-dfs`.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Native => "native",
            #[cfg(feature = "loom")]
            Engine::Loom(_) => "loom",
            #[cfg(feature = "shuttle")]
            Engine::Shuttle(o) => match o.strategy {
                ShuttleStrategy::Random => "shuttle-random",
                ShuttleStrategy::Pct { .. } => "shuttle-pct",
                ShuttleStrategy::Dfs => "shuttle-dfs",
            },
        }
    }
}

/// Explores one scenario with loom or shuttle; `Err` is a refusal (the model
/// needs more threads than the engine models) or an engine failure.
#[cfg(any(feature = "loom", feature = "shuttle"))]
pub(crate) fn explore(
    engine: &Engine,
    program: &leash_ir::Program,
    scenario: Scenario,
    timeout: Option<Duration>,
) -> Result<(Exploration, EngineSummary), String> {
    let run = match *engine {
        Engine::Native => unreachable!("the native prover is run by the caller"),
        #[cfg(feature = "loom")]
        Engine::Loom(o) => leash_loom::explore(program, scenario, &LoomOptions { time: timeout, ..o })
            .map_err(|e| e.to_string())?,
        #[cfg(feature = "shuttle")]
        Engine::Shuttle(o) => {
            leash_shuttle::explore(program, scenario, &ShuttleOptions { time: timeout, ..o })
                .map_err(|e| e.to_string())?
        }
    };
    Ok(confirm(engine.name(), program, scenario, &run))
}

/// Findings keyed as the native prover keys them; the shortest path is kept.
#[cfg(any(feature = "loom", feature = "shuttle"))]
type Found = BTreeMap<FindingKey, (Finding, Option<String>)>;

/// Replays every kept execution of `run` on the reference semantics.
#[cfg(any(feature = "loom", feature = "shuttle"))]
fn confirm(
    name: &str,
    program: &leash_ir::Program,
    scenario: Scenario,
    run: &Run,
) -> (Exploration, EngineSummary) {
    let mut found = Found::new();
    let mut disagreement: Option<Disagreement> = None;
    let mut keep = |result: Result<Vec<Confirmed>, Disagreement>, schedule: &Option<String>| match result {
        Ok(cs) => {
            for c in cs {
                let key = (c.kind, c.funcs.clone(), c.detail.clone());
                let finding = Finding {
                    kind: c.kind,
                    funcs: c.funcs,
                    detail: c.detail,
                    at: c.at,
                    path: c.path,
                    cycle: Vec::new(),
                };
                match found.get(&key) {
                    Some((f, _)) if f.path.len() <= finding.path.len() => {}
                    _ => {
                        found.insert(key, (finding, schedule.clone()));
                    }
                }
            }
        }
        Err(d) => {
            disagreement.get_or_insert(d);
        }
    };
    for (outcome, schedule) in run.collected.outcomes() {
        keep(conform(program, scenario, outcome), schedule);
    }
    for log in &run.library_deadlocks {
        keep(conform_library_deadlock(program, scenario, log), &None);
    }
    let mut summary = EngineSummary {
        engine: name.to_string(),
        executions: run.collected.executions,
        bound: run.incomplete.as_ref().map(|c| c.to_string()),
        schedules: Vec::new(),
    };
    let mut findings = Vec::new();
    if let Some(d) = disagreement {
        // A bug in the engine or in the reference: neither verdict can stand.
        summary.bound = Some(d.to_string());
    } else {
        for (key, (finding, schedule)) in found {
            if let Some(s) = schedule {
                summary.schedules.push((key, s));
            }
            findings.push(finding);
        }
    }
    let stats = Stats {
        states: run.collected.executions,
        transitions: run.collected.steps,
        max_depth: run.collected.longest,
        ..Stats::default()
    };
    (Exploration { scenario, findings, stats, incomplete: None }, summary)
}

/// Runs a shuttle replay string (printed with a finding) on shuttle, and
/// replays the execution on the reference semantics: its path there (the
/// whole execution, also when the finding was an orphan met on the way), and
/// how the execution ended in the runtime's words.
#[cfg(feature = "shuttle")]
pub fn shuttle_replay(
    program: &leash_ir::Program,
    scenario: Scenario,
    schedule: &str,
) -> Result<(Vec<u16>, String), String> {
    let outcome = leash_shuttle::replay(program, scenario, schedule, &ShuttleOptions::default())
        .map_err(|e| e.to_string())?;
    let found = conform(program, scenario, &outcome).map_err(|d| d.to_string())?;
    // An orphan's path ends at the step that orphaned it; the finding that
    // ends the execution, if any, covers all of it.
    let path = match found.into_iter().find(|f| f.kind != leash_semantics::FindingKind::Orphan) {
        Some(finding) => finding.path,
        None => leash_threads::conform::path(program, scenario, &outcome.log).map_err(|d| d.to_string())?,
    };
    let ending = match &outcome.end {
        leash_threads::End::Exited => "every task exited".to_string(),
        leash_threads::End::Stuck { main_alive: true, .. } => "deadlock: nothing can move".to_string(),
        leash_threads::End::Stuck { .. } => "leak: main exited, the rest can never move".to_string(),
        leash_threads::End::Panic { message, .. } => format!("panic: {message}"),
        leash_threads::End::StepBound => "cut by the step bound".to_string(),
        leash_threads::End::TooManyThreads { needed } => format!("refused: {needed} threads"),
        leash_threads::End::Redundant => "cut: another run has every execution it can become".to_string(),
    };
    Ok((path, ending))
}
