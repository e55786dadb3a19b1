//! The loom engine: a model's tasks run as loom threads over loom's `Mutex`
//! and thread parking (through `leash-threads`), and loom explores every
//! interleaving of them, exhaustively (no preemption bound). The
//! environment's free choices are explored around loom, one prefix at a time
//! (`leash_threads::explore`).
//!
//! Every loom option is set here, in code: nothing is read from `LOOM_*`
//! environment variables. loom models at most [`MAX_THREADS`] threads, one
//! per task (`main` runs on the calling one; time and the environment take
//! none); a model that needs more is refused ([`Error::TooManyThreads`])
//! rather than run partially.
//!
//! loom's primitives live in `std::sync::Arc`s, never in loom's own `Arc`:
//! when loom detects a deadlock it panics, and loom `Arc`s dropped while that
//! panic unwinds abort the process (loom issue 291). With `std` `Arc`s the
//! panic is caught and becomes a finding.

mod platform;

use leash_ir::Program;
use leash_semantics::Scenario;
use leash_threads::explore::{quietly, ChoiceTree, Cut, Run};
use leash_threads::Config;
use platform::{LoomPlatform, Shared};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most threads loom can model in one execution.
pub const MAX_THREADS: usize = loom::MAX_THREADS;

/// Bounds of a loom exploration.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Steps after which one execution is cut (it then counts as incomplete).
    pub max_steps: usize,
    /// loom's bound on scheduling decisions in one execution.
    pub max_branches: usize,
    /// Wall-clock budget for the whole exploration.
    pub time: Option<Duration>,
    /// Executions after which the exploration stops (a deterministic budget,
    /// unlike `time`).
    pub max_executions: Option<usize>,
    /// Whether the runtime detects stuck executions itself (otherwise loom's
    /// own deadlock detection does, and its panic is caught).
    pub detect_stuck: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_steps: 1_000,
            max_branches: 100_000,
            time: Some(Duration::from_secs(60)),
            max_executions: None,
            detect_stuck: true,
        }
    }
}

/// Why loom cannot check a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// An execution needs more threads than loom models.
    TooManyThreads {
        /// Threads it asked for (at least): one per task, `main` included.
        needed: usize,
    },
    /// loom failed in a way that is not a finding (a bug in leash or loom).
    Internal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::TooManyThreads { needed } => write!(
                f,
                "the model needs at least {needed} threads (main and each spawned task); \
                 loom models at most {MAX_THREADS}"
            ),
            Error::Internal(m) => write!(f, "loom failed: {m}"),
        }
    }
}

/// Explores `scenario` of `program` with loom.
pub fn explore(program: &Program, scenario: Scenario, options: &Options) -> Result<Run, Error> {
    let program = Arc::new(program.clone());
    let config = Config {
        scenario,
        max_steps: options.max_steps,
        max_threads: MAX_THREADS,
        detect_stuck: options.detect_stuck,
    };
    let shared = Arc::new(Mutex::new(Shared::default()));
    let start = Instant::now();
    let mut tree = ChoiceTree::default();
    let mut run = Run::default();
    while let Some(choices) = tree.pop() {
        let left = options.time.map(|t| t.saturating_sub(start.elapsed()));
        if left == Some(Duration::ZERO) {
            run.incomplete = Some(Cut::Time);
            break;
        }
        platform::lock(&shared).choices = choices;
        let model = {
            let shared = shared.clone();
            let program = program.clone();
            move || {
                // Once an execution needed too many threads the model is
                // refused: end loom's exploration at once, before this
                // execution makes any loom object.
                if platform::lock(&shared).collected.too_many_threads.is_some() {
                    std::panic::panic_any(Refused);
                }
                leash_threads::run(&LoomPlatform::new(&program, config, &shared));
            }
        };
        let before = platform::lock(&shared).collected.executions;
        let budget = options.max_executions.map(|m| m.saturating_sub(before));
        if budget == Some(0) {
            run.incomplete = Some(Cut::Executions(before));
            break;
        }
        let builder = builder(options, left, budget);
        let result = quietly(|| catch_unwind(AssertUnwindSafe(|| builder.check(model))));
        let mut sh = platform::lock(&shared);
        if let Err(payload) = result {
            if payload.is::<Refused>() {
                break;
            }
            let message = leash_threads::explore::panic_message(&*payload);
            if message.contains("deadlock") {
                run.library_deadlocks.push(std::mem::take(&mut sh.log));
                break;
            }
            if message.contains("maximum number of branches") {
                run.incomplete = Some(Cut::Branches(options.max_branches));
                break;
            }
            return Err(Error::Internal(message));
        }
        if options.time.is_some_and(|t| start.elapsed() >= t) {
            run.incomplete = Some(Cut::Time);
            break;
        }
        if budget.is_some_and(|b| sh.collected.executions - before >= b) {
            // loom stopped at the bound; it may or may not have been done.
            run.incomplete = Some(Cut::Executions(sh.collected.executions));
            break;
        }
        tree.expand(&sh.choices);
    }
    let sh = platform::lock(&shared);
    run.collected = sh.collected.clone();
    run.runs = tree.runs;
    if let Some(needed) = run.collected.too_many_threads {
        return Err(Error::TooManyThreads { needed });
    }
    if run.incomplete.is_none() && run.collected.step_bound > 0 {
        run.incomplete = Some(Cut::Steps(options.max_steps));
    }
    Ok(run)
}

/// The panic that ends loom's exploration of a refused model.
struct Refused;

/// A loom builder with every option set here.
fn builder(options: &Options, time: Option<Duration>, executions: Option<usize>) -> loom::model::Builder {
    let mut b = loom::model::Builder::new();
    b.max_threads = MAX_THREADS;
    b.max_branches = options.max_branches;
    // loom runs one execution fewer than `max_permutations`.
    b.max_permutations = executions.map(|e| e + 1);
    b.max_duration = time;
    b.preemption_bound = None;
    b.checkpoint_file = None;
    b.checkpoint_interval = 1;
    b.expect_explicit_explore = false;
    b.location = false;
    b.log = false;
    b
}
