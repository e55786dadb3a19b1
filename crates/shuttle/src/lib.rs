//! The shuttle engine: a model's tasks run as shuttle threads over shuttle's
//! `Mutex` and `Condvar` (through `leash-threads`) under one of shuttle's
//! schedulers.
//!
//! - `random` and `pct` sample schedules; free choices come from shuttle's
//!   random data and are part of its schedule. A run that finds nothing says
//!   "no violation found in N schedules", never "verified".
//! - `dfs` enumerates schedules; shuttle's DFS has no random data, so free
//!   choices are explored around it, one prefix at a time, and an
//!   exploration that finishes within its iteration bound (on the schedules
//!   of every prefix together) is exhaustive.
//!
//! shuttle's failure persistence is off and nothing of it is printed: a
//! scheduler wrapper writes every execution's schedule down, and a failing
//! execution's schedule (with the answers to its free choices) is its replay
//! string, which [`replay`] runs again.

mod platform;
mod recorder;

use leash_ir::Program;
use leash_semantics::Scenario;
use leash_threads::explore::{panic_message, quietly, silence_library_panics, ChoiceTree, Choices, Cut, Run};
use leash_threads::{Config, Outcome};
use platform::{lock, Answers, Shared, ShuttlePlatform};
use recorder::Recorder;
use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler, ReplayScheduler, Scheduler};
use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// Threads a shuttle execution may start (it has no fixed limit; this keeps
/// runaway spawning bounded).
pub const MAX_THREADS: usize = 64;

/// Which of shuttle's schedulers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Uniformly random schedules.
    Random,
    /// Probabilistic concurrency testing with this bug depth.
    Pct {
        /// PCT's depth (priority change points + 1).
        depth: usize,
    },
    /// Depth-first enumeration of every schedule.
    Dfs,
}

/// How to explore.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The scheduler.
    pub strategy: Strategy,
    /// Schedules to sample (random, pct), or the bound on the schedules of a
    /// DFS exploration (every prefix of free choices together).
    pub iterations: usize,
    /// The seed of the random and PCT schedulers.
    pub seed: u64,
    /// Steps after which one execution is cut.
    pub max_steps: usize,
    /// Wall-clock budget.
    pub time: Option<Duration>,
    /// Whether the runtime detects stuck executions itself (otherwise
    /// shuttle's deadlock detection does, and its panic is caught).
    pub detect_stuck: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            strategy: Strategy::Random,
            iterations: 1_000,
            seed: 0,
            max_steps: 1_000,
            time: Some(Duration::from_secs(60)),
            detect_stuck: true,
        }
    }
}

/// Why shuttle could not run a model, or a replay string is no good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// An execution started more than [`MAX_THREADS`] threads.
    TooManyThreads {
        /// Threads it asked for.
        needed: usize,
    },
    /// A replay string that does not parse or does not fit the model.
    BadSchedule(String),
    /// shuttle failed in a way that is not a finding.
    Internal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::TooManyThreads { needed } => {
                write!(f, "an execution started {needed} threads; the shuttle engine allows {MAX_THREADS}")
            }
            Error::BadSchedule(m) => write!(f, "bad shuttle schedule: {m}"),
            Error::Internal(m) => write!(f, "shuttle failed: {m}"),
        }
    }
}

/// shuttle installs a panic hook on its first run that prints every panic in
/// the process; one empty run puts it in place, then leash's hook goes on top.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let config = shuttle_config(1, None);
        shuttle::Runner::new(shuttle::scheduler::RoundRobinScheduler::new(1), config).run(|| {});
        silence_library_panics();
    });
}

/// Explores `scenario` of `program` with shuttle.
pub fn explore(program: &Program, scenario: Scenario, options: &Options) -> Result<Run, Error> {
    init();
    let start = Instant::now();
    let session = Session::new(program, scenario, options);
    let mut run = Run::default();
    match options.strategy {
        Strategy::Random | Strategy::Pct { .. } => {
            let scheduler: Box<dyn Scheduler + Send> = match options.strategy {
                Strategy::Pct { depth } => {
                    Box::new(PctScheduler::new_from_seed(options.seed, depth, options.iterations))
                }
                _ => Box::new(RandomScheduler::new_from_seed(options.seed, options.iterations)),
            };
            session.run(scheduler, Answers::Random, options.time, &mut run)?;
            run.runs = 1;
            if run.incomplete.is_none() {
                run.incomplete = Some(Cut::Sampled(lock(&session.shared).collected.executions));
            }
        }
        Strategy::Dfs => {
            let mut tree = ChoiceTree::default();
            while let Some(choices) = tree.pop() {
                let left = options.time.map(|t| t.saturating_sub(start.elapsed()));
                if left == Some(Duration::ZERO) {
                    run.incomplete = Some(Cut::Time);
                    break;
                }
                // The bound is on the schedules of the whole exploration,
                // every prefix of free choices together.
                let before = lock(&session.shared).collected.executions;
                let budget = options.iterations.saturating_sub(before);
                if budget == 0 {
                    run.incomplete = Some(Cut::Iterations(options.iterations));
                    break;
                }
                lock(&session.shared).choices = choices;
                let scheduler = DfsScheduler::new(Some(budget), false);
                if !session.run(Box::new(scheduler), Answers::Prefix, left, &mut run)? {
                    break;
                }
                let sh = lock(&session.shared);
                if sh.collected.executions - before >= budget {
                    // DFS stopped at the bound; it may or may not have been done.
                    run.incomplete = Some(Cut::Iterations(options.iterations));
                    break;
                }
                tree.expand(&sh.choices);
            }
            run.runs = tree.runs;
        }
    }
    if options.time.is_some_and(|t| start.elapsed() >= t) && run.incomplete.is_none() {
        run.incomplete = Some(Cut::Time);
    }
    let sh = lock(&session.shared);
    run.collected = sh.collected.clone();
    if let Some(needed) = run.collected.too_many_threads {
        return Err(Error::TooManyThreads { needed });
    }
    if run.incomplete.is_none() && run.collected.step_bound > 0 {
        run.incomplete = Some(Cut::Steps(options.max_steps));
    }
    Ok(run)
}

/// Runs the execution a replay string (from a finding of [`explore`]) names.
pub fn replay(
    program: &Program,
    scenario: Scenario,
    schedule: &str,
    options: &Options,
) -> Result<Outcome, Error> {
    let bad = |m: &str| Error::BadSchedule(m.to_string());
    let (answers, encoded) = schedule.split_once(':').ok_or_else(|| bad("expected ANSWERS:SCHEDULE"))?;
    let parsed = deserialize_schedule(encoded).ok_or_else(|| bad("shuttle cannot read the schedule"))?;
    let (mode, prefix) = if answers == "r" {
        (Answers::Random, None)
    } else {
        let prefix = answers
            .strip_prefix('p')
            .ok_or_else(|| bad("the answers must be `r` or `p` and a list"))?
            .split('.')
            .filter(|a| !a.is_empty())
            .map(|a| a.parse::<usize>().map_err(|_| bad("an answer is not a number")))
            .collect::<Result<Vec<_>, _>>()?;
        (Answers::Prefix, Some(prefix))
    };
    init();
    let session = Session::new(program, scenario, options);
    if let Some(prefix) = prefix {
        lock(&session.shared).choices = Choices::new(prefix);
    }
    let mut scheduler = ReplayScheduler::new_from_schedule(parsed);
    scheduler.set_allow_incomplete();
    let mut run = Run::default();
    session.run(Box::new(scheduler), mode, options.time, &mut run).map_err(|e| match e {
        Error::Internal(m) => Error::BadSchedule(format!("it does not fit this model ({m})")),
        e => e,
    })?;
    let sh = lock(&session.shared);
    sh.last.clone().ok_or_else(|| bad("the schedule ran no execution"))
}

/// One model under one scenario, ready for shuttle runs.
struct Session {
    program: Arc<Program>,
    config: Config,
    shared: Arc<Mutex<Shared>>,
    max_steps: usize,
}

impl Session {
    fn new(program: &Program, scenario: Scenario, options: &Options) -> Session {
        Session {
            program: Arc::new(program.clone()),
            config: Config {
                scenario,
                max_steps: options.max_steps,
                max_threads: MAX_THREADS,
                detect_stuck: options.detect_stuck,
            },
            shared: Arc::new(Mutex::new(Shared::default())),
            max_steps: options.max_steps,
        }
    }

    /// One shuttle run; false when it ended the exploration (a library
    /// deadlock or a bound), with `run` updated.
    fn run(
        &self,
        scheduler: Box<dyn Scheduler + Send>,
        answers: Answers,
        time: Option<Duration>,
        run: &mut Run,
    ) -> Result<bool, Error> {
        let model = {
            let shared = self.shared.clone();
            let program = self.program.clone();
            let config = self.config;
            move || {
                leash_threads::run(&ShuttlePlatform::new(&program, config, &shared, answers));
                let mut sh = lock(&shared);
                let token = replay_string(&sh, answers);
                let outcome = sh.last.clone().expect("the caller of run finishes last on shuttle");
                sh.collected.add(outcome, || Some(token));
            }
        };
        let recorder = Recorder { inner: scheduler, shared: self.shared.clone() };
        let config = shuttle_config(self.max_steps, time);
        let result =
            quietly(|| catch_unwind(AssertUnwindSafe(|| shuttle::Runner::new(recorder, config).run(model))));
        let Err(payload) = result else { return Ok(true) };
        let message = panic_message(&*payload);
        let mut sh = lock(&self.shared);
        if message.contains("deadlock") {
            let log = std::mem::take(&mut sh.log);
            run.library_deadlocks.push(log);
            return Ok(false);
        }
        if message.contains("max_steps") {
            run.incomplete = Some(Cut::Steps(self.max_steps));
            return Ok(false);
        }
        Err(Error::Internal(message))
    }
}

/// The replay string of the execution that just ended: its answers, then
/// shuttle's encoding of its schedule.
fn replay_string(sh: &Shared, answers: Answers) -> String {
    let head = match answers {
        Answers::Random => "r".to_string(),
        Answers::Prefix => {
            let list: Vec<String> = sh.answers.iter().map(|a| a.to_string()).collect();
            format!("p{}", list.join("."))
        }
    };
    format!("{head}:{}", serialize_schedule(&sh.schedule))
}

/// shuttle's configuration, every field set here: no failure persistence, no
/// warnings, a library step bound well above the runtime's own.
fn shuttle_config(max_steps: usize, time: Option<Duration>) -> shuttle::Config {
    let mut c = shuttle::Config::new();
    c.stack_size = 0x40000;
    c.failure_persistence = shuttle::FailurePersistence::None;
    c.max_steps = shuttle::MaxSteps::FailAfter(max_steps.saturating_mul(64).max(10_000));
    c.max_time = time;
    c.silence_warnings = true;
    c.record_steps_in_span = false;
    c
}
