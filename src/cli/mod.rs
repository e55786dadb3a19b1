//! Argument parsing and dispatch to one small file per subcommand.

mod check;
mod emit;
mod explain;
mod files;
mod graph;
mod parse;
mod pictures;
mod progress;
mod replay;
mod test;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit codes and examples, at the end of `leash --help`.
const AFTER_HELP: &str = "\
Exit codes:
  0  every model verified (check), as expected (test), valid (parse)
  1  a violation, an incomplete search, or a model not as expected
  2  a model that does not compile, or bad usage

Examples:
  leash check models/                      check every model under models/
  leash check --scenario cancel pool.leash one scenario
  leash check --dot out --svg pool.leash   draw every counterexample
  leash test models/                       each model against its // expect: lines
  leash replay pool.leash leash1:...       re-run a printed counterexample
  cat pool.leash | leash check -           a model on standard input
  leash explain E0006                      what an error code means

Documentation: docs/cli.md, docs/language.md, docs/errors.md";

/// leash: a model checker for the lifecycle of concurrent tasks.
#[derive(Parser)]
#[command(name = "leash", version, about, after_help = AFTER_HELP)]
struct Cli {
    /// Colour in diagnostics: auto (only on a terminal, and not when
    /// NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

/// When to colour diagnostics.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always (ANSI escapes).
    Always,
    /// Never.
    Never,
}

/// Whether diagnostics on stderr are coloured (decided once, from `--color`).
static COLOUR: AtomicBool = AtomicBool::new(false);

/// Prints the diagnostics of a model that does not compile on stderr.
fn invalid(bad: &leash::BadModel) {
    if COLOUR.load(Ordering::Relaxed) {
        eprint!("{}", bad.render_in_colour());
    } else {
        eprint!("{}", bad.render());
    }
}

#[derive(Subcommand)]
enum Command {
    /// Parse and validate models; print diagnostics or `ok` per file.
    Parse {
        /// Model files or folders (searched for *.leash); `-` is standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also print the lowered IR.
        #[arg(long)]
        ir: bool,
    },
    /// Check models in every scenario and print the verdicts and traces.
    #[command(after_help = AFTER_HELP)]
    Check {
        /// Model files or folders (searched recursively for *.leash, in
        /// sorted order); `-` is standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// How traces are laid out.
        #[arg(long, value_enum, default_value_t = TraceLayout::List)]
        trace: TraceLayout,
        /// Write a DOT picture and a timeline per finding into this folder.
        #[arg(long, value_name = "DIR")]
        dot: Option<PathBuf>,
        /// Also render the pictures to SVG with Graphviz `dot`.
        #[arg(long, requires = "dot")]
        svg: bool,
        /// Stop after the first model that is not verified.
        #[arg(long)]
        fail_fast: bool,
        /// What each scenario's exploration cost: states (or executions),
        /// transitions, depth, time, states per second, the bytes stored;
        /// and each model's peak memory. On stdout after the traces with
        /// text output, on stderr with the others.
        #[arg(long)]
        stats: bool,
        #[command(flatten)]
        bounds: Bounds,
    },
    /// Print the design graph of a model as DOT.
    Graph {
        /// The model file (`-`: standard input).
        model: PathBuf,
        /// Write the DOT to this file instead of printing it.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also render it to SVG beside the output file.
        #[arg(long, requires = "output")]
        svg: bool,
    },
    /// Re-execute a counterexample printed by `check` and print its trace.
    Replay {
        /// The model file (`-`: standard input).
        model: PathBuf,
        /// The trace string (`leash1:...`), or with `--engine shuttle` the
        /// shuttle schedule a finding printed.
        trace: String,
        /// Run a shuttle schedule on shuttle instead of a trace on the reference semantics.
        #[arg(long, value_enum, default_value_t = ReplayEngine::Reference)]
        engine: ReplayEngine,
        /// The scenario of a shuttle schedule.
        #[arg(long, value_parser = parse_scenario, default_value = "completion")]
        scenario: leash::Scenario,
        /// How the trace is laid out.
        #[arg(long = "trace", value_enum, default_value_t = TraceLayout::List)]
        layout: TraceLayout,
        /// Also write the counterexample graph to this DOT file (and its timeline beside it).
        #[arg(long, value_name = "FILE")]
        dot: Option<PathBuf>,
    },
    /// Translate a model into another language.
    Emit {
        #[command(subcommand)]
        target: EmitTarget,
    },
    /// Check models against their `// expect:` lines.
    #[command(after_help = AFTER_HELP)]
    Test {
        /// Model files or folders; `-` is standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TestFormat::Text)]
        format: TestFormat,
        /// Stop after the first model that is not as expected.
        #[arg(long)]
        fail_fast: bool,
        #[command(flatten)]
        bounds: Bounds,
    },
    /// Explain an error code (`leash explain E0006`); without one, list them all.
    Explain {
        /// The code, e.g. E0006.
        code: Option<String>,
    },
    /// Print a shell completion script (e.g. `leash completions bash > /etc/bash_completion.d/leash`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; e.g. `leash man | man -l -`).
    Man,
}

/// Output formats of `test`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    /// `ok` or `FAIL` per model, then `N passed, M failed`.
    Text,
    /// JUnit XML, a test case per model.
    Junit,
    /// A SARIF 2.1.0 log, a result per mismatch.
    Sarif,
}

/// The languages `emit` writes.
#[derive(Subcommand)]
enum EmitTarget {
    /// A runnable Go program: a skeleton of the design and a harness that
    /// runs it under a scenario and reports leaked goroutines (docs/go.md).
    Go {
        /// The model file.
        model: PathBuf,
        /// Write the program to this file instead of printing it.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// What `replay` runs a trace on.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReplayEngine {
    /// A `leash1:` trace on the reference semantics.
    Reference,
    /// A shuttle schedule on shuttle, then on the reference semantics.
    Shuttle,
}

/// Trace layouts.
#[derive(Clone, Copy, ValueEnum)]
enum TraceLayout {
    /// A numbered list of steps.
    List,
    /// One column per task.
    Columns,
}

impl TraceLayout {
    fn style(self) -> leash::TraceStyle {
        match self {
            TraceLayout::List => leash::TraceStyle::List,
            TraceLayout::Columns => leash::TraceStyle::Columns,
        }
    }
}

/// Output formats of `check`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The verdict table and every finding's trace.
    Text,
    /// The JSON document of docs/cli.md.
    Json,
    /// A SARIF 2.1.0 log, for code scanning.
    Sarif,
    /// JUnit XML, a test case per model and scenario.
    Junit,
}

/// Search bounds and scenario selection shared by `check` and `test`.
#[derive(Args)]
struct Bounds {
    /// Only these scenarios (repeatable): completion, error, cancel.
    #[arg(long = "scenario", value_parser = parse_scenario)]
    scenarios: Vec<leash::Scenario>,
    /// Hygiene warnings (unstopped, uncancelled, work-after-cancel) become violations.
    #[arg(long)]
    strict: bool,
    /// Report this kind of finding as a warning (repeatable), e.g.
    /// `--allow orphan`; for one spawn, write `spawn detached` in the model.
    #[arg(long = "allow", value_name = "KIND", value_parser = parse_kind)]
    allow: Vec<leash::FindingKind>,
    /// Stop a scenario after this many states (reported as incomplete).
    #[arg(long, default_value_t = 5_000_000)]
    max_states: usize,
    /// Do not explore deeper than this many steps (reported as incomplete).
    #[arg(long, default_value_t = 10_000)]
    max_depth: usize,
    /// Do not explore states with more live tasks than this (reported as
    /// incomplete, naming the task that piles up and where it is spawned).
    #[arg(long, default_value_t = 32)]
    max_tasks: usize,
    /// Wall-clock budget of each model, in seconds, shared by its scenarios
    /// in order: the scenario searching when it runs out, and the ones
    /// after it, are incomplete (timeout).
    #[arg(long, default_value_t = leash::DEFAULT_TIMEOUT.as_secs_f64())]
    timeout: f64,
    /// Stop a scenario when its visited set exceeds this many MiB (reported as incomplete).
    #[arg(long, default_value_t = 8192)]
    max_memory: usize,
    /// Turn off symmetry reduction (interchangeable tasks of one function
    /// stored once); verdicts and finding kinds are the same either way.
    #[arg(long)]
    no_symmetry: bool,
    /// Turn off partial-order reduction (verified models settled over
    /// persistent sets of steps); findings and traces are the same either way.
    #[arg(long)]
    no_por: bool,
    /// Turn off the bug hunt (randomised depth-first runs beside a search
    /// that grows big, for violations too deep for it; the result is the
    /// same for any --jobs).
    #[arg(long)]
    no_hunt: bool,
    /// Threads that expand states (default: one per core); the result is the
    /// same for any number.
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// No progress line on stderr (it shows only on a terminal, after a
    /// second); with a JSON, SARIF or JUnit output, no per-model lines or
    /// summary on stderr either.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Which engine explores, and the loom and shuttle engines' own settings.
#[derive(Args)]
struct EngineArgs {
    /// The engine: native (exhaustive, the default), loom (every interleaving
    /// on loom's threads, at most 5 threads), shuttle (schedules on shuttle's threads).
    #[arg(long, value_enum, default_value_t = EngineName::Native)]
    engine: EngineName,
    /// shuttle's scheduler: random and pct sample schedules, dfs enumerates them.
    #[arg(long, value_enum)]
    scheduler: Option<SchedulerName>,
    /// shuttle: schedules to sample (random, pct) or the bound on schedules per
    /// DFS run; loom: executions after which it stops (reported as incomplete).
    #[arg(long)]
    iterations: Option<usize>,
    /// shuttle: the seed of the random and pct schedulers.
    #[arg(long)]
    seed: Option<u64>,
    /// loom and shuttle: steps after which one execution is cut (reported as incomplete).
    #[arg(long)]
    max_steps: Option<usize>,
}

/// Engines.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineName {
    /// The native prover.
    Native,
    /// loom.
    Loom,
    /// shuttle.
    Shuttle,
}

/// shuttle's schedulers.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchedulerName {
    /// Uniformly random schedules.
    Random,
    /// Probabilistic concurrency testing (depth 3).
    Pct,
    /// Depth-first enumeration: exhaustive when it finishes.
    Dfs,
}

impl EngineArgs {
    fn engine(&self) -> Result<leash::Engine, String> {
        let shuttle_only = self.scheduler.is_some() || self.seed.is_some();
        if shuttle_only && self.engine != EngineName::Shuttle {
            return Err("--scheduler and --seed need --engine shuttle".into());
        }
        if self.iterations.is_some() && self.engine == EngineName::Native {
            return Err(
                "--iterations needs --engine loom or --engine shuttle (the native engine has --max-states)"
                    .into(),
            );
        }
        if self.max_steps.is_some() && self.engine == EngineName::Native {
            return Err(
                "--max-steps needs --engine loom or --engine shuttle (the native engine has --max-depth)"
                    .into(),
            );
        }
        Ok(match self.engine {
            EngineName::Native => leash::Engine::Native,
            EngineName::Loom => {
                let d = leash::LoomOptions::default();
                leash::Engine::Loom(leash::LoomOptions {
                    max_steps: self.max_steps.unwrap_or(d.max_steps),
                    max_executions: self.iterations,
                    ..d
                })
            }
            EngineName::Shuttle => leash::Engine::Shuttle(self.shuttle()),
        })
    }

    fn shuttle(&self) -> leash::ShuttleOptions {
        let d = leash::ShuttleOptions::default();
        let strategy = match self.scheduler.unwrap_or(SchedulerName::Random) {
            SchedulerName::Random => leash::ShuttleStrategy::Random,
            SchedulerName::Pct => leash::ShuttleStrategy::Pct { depth: 3 },
            SchedulerName::Dfs => leash::ShuttleStrategy::Dfs,
        };
        leash::ShuttleOptions {
            strategy,
            iterations: self.iterations.unwrap_or(d.iterations),
            seed: self.seed.unwrap_or(d.seed),
            max_steps: self.max_steps.unwrap_or(d.max_steps),
            ..d
        }
    }
}

fn parse_scenario(s: &str) -> Result<leash::Scenario, String> {
    leash::Scenario::from_name(s)
        .ok_or_else(|| format!("unknown scenario `{s}`: use completion, error or cancel"))
}

fn parse_kind(s: &str) -> Result<leash::FindingKind, String> {
    leash::FindingKind::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = leash::FindingKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown kind of finding `{s}`: use one of {}", all.join(", "))
    })
}

impl Bounds {
    fn options(&self) -> Result<leash::CheckOptions, String> {
        if !(self.timeout > 0.0 && self.timeout.is_finite()) {
            return Err("--timeout must be a positive number of seconds".into());
        }
        let mut scenarios =
            if self.scenarios.is_empty() { leash::Scenario::ALL.to_vec() } else { self.scenarios.clone() };
        scenarios.sort();
        scenarios.dedup();
        Ok(leash::CheckOptions {
            scenarios,
            strict: self.strict,
            allow: self.allow.clone(),
            search: leash::SearchOptions {
                max_states: self.max_states,
                max_depth: self.max_depth,
                max_memory: self.max_memory.saturating_mul(1 << 20),
                max_tasks: self.max_tasks,
            },
            timeout: Some(std::time::Duration::from_secs_f64(self.timeout)),
            engine: self.engine.engine()?,
            symmetry: !self.no_symmetry,
            por: !self.no_por,
            hunt: !self.no_hunt,
            workers: self
                .jobs
                .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from),
        })
    }
}

/// Runs the command line; `Err` is a usage error (exit 2).
pub fn run() -> Result<ExitCode, String> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(ExitCode::from(code));
        }
    };
    let colour = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    COLOUR.store(colour, Ordering::Relaxed);
    match cli.command {
        Command::Parse { paths, ir } => parse::run(&paths, ir),
        Command::Check { paths, format, trace, dot, svg, fail_fast, stats, bounds } => {
            let output = check::Output {
                format,
                style: trace.style(),
                dot: dot.as_deref(),
                svg,
                fail_fast,
                stats,
                quiet: bounds.quiet,
            };
            check::run(&paths, &output, &bounds.options()?)
        }
        Command::Graph { model, output, svg } => graph::run(&model, output.as_deref(), svg),
        Command::Test { paths, format, fail_fast, bounds } => {
            test::run(&paths, format, &bounds.options()?, fail_fast, bounds.quiet)
        }
        Command::Explain { code } => explain::run(code.as_deref()),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "leash", &mut out);
            print(&String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            print(&String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Emit { target: EmitTarget::Go { model, output } } => emit::go(&model, output.as_deref()),
        Command::Replay { model, trace, engine: ReplayEngine::Reference, layout, dot, .. } => {
            replay::run(&model, &trace, layout.style(), dot.as_deref())
        }
        Command::Replay { model, trace, engine: ReplayEngine::Shuttle, scenario, layout, dot } => {
            replay::run_shuttle(&model, &trace, scenario, layout.style(), dot.as_deref())
        }
    }
}

/// Writes to stdout, ending quietly if the reader has gone (broken pipe).
fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}
