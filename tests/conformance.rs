//! leash against the real Go runtime. Every model of the corpus
//! (models/seeds, models/examples, models/gobench, models/semantics) and generated models
//! (`leash::arbitrary`) are emitted as Go programs (`leash emit go`), built
//! once, and run many times per scenario with varied seeds, GOMAXPROCS 1 and 2
//! and seeded `runtime.Gosched` perturbation. Every goroutine Go leaves
//! behind, every deadlock and every panic must be among leash's findings for
//! that scenario: a task alive at the end must be named by a leak, no-exit or
//! deadlock finding, a panic must be a panic finding with the same message.
//! Each divergence is printed with the command that reproduces it, and a
//! table of them ends the output.
//!
//! Go 1.19+ and golang.org/x/sync in /usr/share/gocode (Debian's
//! golang-golang-x-sync-dev) are needed: without them the tests say so and
//! pass, unless `LEASH_REQUIRE_GO=1`, when they fail.

use leash::arbitrary;
use leash::{check_source, CheckOptions, FindingReport, ModelReport, Verdict};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The harness's shortest delay (`minDelay` in crates/golang/src/harness/base.go), in µs.
const SHORTEST_DELAY_US: u64 = 200;

/// How many more runs a divergence seen in a run that broke the time premise
/// gets to show again.
const LATE_RERUNS: usize = 3;

/// Where Debian's golang-golang-x-sync-dev puts golang.org/x/sync.
const GOPATH: &str = "/usr/share/gocode";
const SCENARIOS: [&str; 3] = ["completion", "error", "cancel"];

/// How much a sweep runs.
struct Sweep {
    /// Runs per model and scenario; seeds 1..=runs, GOMAXPROCS and perturbation alternate.
    runs: u64,
    /// Generated designs and mutants.
    designs: usize,
    mutants: usize,
    /// Programs run at once.
    jobs: usize,
}

/// The Go toolchain, or why there is none.
fn go() -> Option<PathBuf> {
    let ok = Command::new("go").arg("version").output().is_ok_and(|o| o.status.success());
    let sync = Path::new(GOPATH).join("src/golang.org/x/sync/errgroup").is_dir();
    if ok && sync {
        return Some(PathBuf::from("go"));
    }
    let why =
        if ok { format!("golang.org/x/sync is not in {GOPATH}") } else { "`go` is not installed".into() };
    if std::env::var("LEASH_REQUIRE_GO").is_ok_and(|v| v == "1") {
        panic!("{why}, and LEASH_REQUIRE_GO=1 (apt-get install golang-go golang-golang-x-sync-dev)");
    }
    eprintln!("skipped: {why} (apt-get install golang-go golang-golang-x-sync-dev; LEASH_REQUIRE_GO=1 makes this fail)");
    None
}

/// A model under test.
struct Model {
    name: String,
    source: String,
}

/// The corpus models and the emitter's construct models (every IR
/// construct), sorted, but those marked `// leash: slow` (minutes for
/// leash); `perf` too if asked (only to be built: they are big for leash).
fn corpus(perf: bool) -> Vec<Model> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        "models/seeds",
        "models/examples",
        "models/gobench",
        "models/semantics",
        "crates/golang/tests/constructs",
    ];
    if perf {
        dirs.push("models/perf");
    }
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("a directory entry").path()).collect();
        paths.sort();
        for p in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "leash")) {
            let stem = p.file_stem().expect("a file name").to_string_lossy();
            let source = std::fs::read_to_string(&p).expect("a readable model");
            if dir != "models/perf" && source.lines().any(|l| l.trim() == "// leash: slow") {
                continue;
            }
            let dir = dir.rsplit('/').next().expect("a folder");
            out.push(Model { name: format!("{dir}/{stem}"), source });
        }
    }
    out
}

/// The models of `LEASH_CONFORMANCE_MODELS` (a folder of `*.leash`), if set:
/// a way to hold one's own models to Go.
fn extra() -> Vec<Model> {
    let Ok(dir) = std::env::var("LEASH_CONFORMANCE_MODELS") else { return Vec::new() };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("LEASH_CONFORMANCE_MODELS={dir}: {e}"))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "leash"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Model {
            name: format!("extra/{}", p.file_stem().expect("a file name").to_string_lossy()),
            source: std::fs::read_to_string(&p).expect("a readable model"),
        })
        .collect()
}

/// Generated designs and one-defect mutants, the same on every run.
fn generated(designs: usize, mutants: usize) -> Vec<Model> {
    let mut runner = TestRunner::deterministic();
    let mut out = Vec::new();
    for i in 0..designs {
        let d = arbitrary::design().new_tree(&mut runner).expect("a design").current();
        out.push(Model { name: format!("generated/design{i:02}"), source: d.to_source() });
    }
    for i in 0..mutants {
        let m = arbitrary::mutant().new_tree(&mut runner).expect("a mutant").current();
        out.push(Model { name: format!("generated/mutant{i:02}-{}", m.defect.name()), source: m.source });
    }
    out
}

/// Every example of docs/language.md, to be built.
fn doc_examples() -> Vec<Model> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md"))
        .expect("docs/language.md");
    doc.split("```leash\n")
        .skip(1)
        .enumerate()
        .map(|(i, rest)| Model {
            name: format!("docs/language{i:02}"),
            source: rest.split("```").next().expect("a closed block").to_string(),
        })
        .collect()
}

/// The directory of a model's program; `vet` builds (the build test) and
/// the others (the conformance runs) use their own, since the two tests run
/// at once on the same models.
fn workdir(name: &str, vet: bool) -> PathBuf {
    let kind = if vet { "vetted" } else { "conformance" };
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(kind).join(name.replace('/', "__"))
}

/// Emits and builds a model's program; its path, or what went wrong.
fn build(go: &Path, m: &Model, vet: bool) -> Result<PathBuf, String> {
    let program = leash::compile(&m.name, &m.source).map_err(|b| b.render())?;
    let file = format!("{}.leash", m.name.rsplit('/').next().expect("a name"));
    let text = leash_golang::emit(&program, &m.source, &file)
        .map_err(|d| leash::render_diagnostics(&m.name, &m.source, &d))?;
    let dir = workdir(&m.name, vet);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("model.leash"), &m.source).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("main.go"), &text).map_err(|e| e.to_string())?;
    let mut steps: Vec<Vec<&str>> = vec![vec!["build", "-o", "model", "main.go"]];
    if vet {
        steps.push(vec!["vet", "main.go"]);
    }
    for args in steps {
        let out = Command::new(go)
            .args(&args)
            .current_dir(&dir)
            .env("GO111MODULE", "off")
            .env("GOPATH", GOPATH)
            .env("GOFLAGS", "")
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("go {}:\n{}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
        }
    }
    if vet {
        let out = Command::new("gofmt")
            .arg("-l")
            .arg("main.go")
            .current_dir(&dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.stdout.is_empty() {
            return Err(format!("not gofmt'd: {}", dir.join("main.go").display()));
        }
    }
    Ok(dir.join("model"))
}

/// Runs `f` on every item with `jobs` threads; results in the items' order.
fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().expect("no panic while locked");
                    *n += 1;
                    *n - 1
                };
                let Some(item) = items.get(i) else { return };
                let r = f(item);
                results.lock().expect("no panic while locked")[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .expect("no panic while locked")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// One run's configuration.
#[derive(Clone, Copy, Debug)]
struct Run {
    scenario: &'static str,
    seed: u64,
    procs: u32,
    perturb: u32,
    patience: u32,
}

impl Run {
    fn new(scenario: &'static str, seed: u64) -> Run {
        Run {
            scenario,
            seed,
            procs: 1 + (seed % 2) as u32,
            perturb: [0, 30][(seed / 2 % 2) as usize],
            patience: 1,
        }
    }

    fn command(&self, dir: &Path) -> String {
        format!(
            "cd {} && GOMAXPROCS={} ./model -scenario {} -seed {} -perturb {}{}",
            dir.display(),
            self.procs,
            self.scenario,
            self.seed,
            self.perturb,
            if self.patience > 1 { format!(" -patience {}", self.patience) } else { String::new() }
        )
    }
}

/// What one run of a program showed.
#[derive(Debug, Default)]
struct Shown {
    /// Tasks alive at the end: (task, wait reason, model line).
    alive: Vec<(String, String, u64)>,
    /// A panic (or fatal error): (task if known, message).
    panic: Option<(String, String)>,
    /// `returned`, `stuck` or `panicked`.
    main: String,
    /// The longest a runnable goroutine waited to run, in microseconds.
    sched_latency_us: u64,
    /// A bound on the longest a thread of the program waited for a CPU, in
    /// microseconds (0 where the system does not say).
    cpu_wait_us: u64,
    /// The raw report (stdout and the start of stderr).
    raw: String,
}

fn execute(binary: &Path, run: &Run) -> Shown {
    let mut child = Command::new(binary)
        .args([
            "-scenario",
            run.scenario,
            "-seed",
            &run.seed.to_string(),
            "-perturb",
            &run.perturb.to_string(),
        ])
        .args(["-patience", &run.patience.to_string()])
        .env("GOMAXPROCS", run.procs.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let start = Instant::now();
    while child.try_wait().expect("waiting works").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.wait_with_output().expect("the output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let raw = format!(
        "{}{}",
        stdout.trim(),
        stderr.lines().take(12).map(|l| format!("\n    {l}")).collect::<String>()
    );
    let mut shown = Shown { raw, ..Shown::default() };
    if let Some(line) = stdout.lines().find(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).expect("the harness prints JSON");
        shown.main = v["main"].as_str().unwrap_or("").to_string();
        shown.sched_latency_us = v["sched_latency_us"].as_u64().unwrap_or(0);
        shown.cpu_wait_us = v["cpu_wait_us"].as_u64().unwrap_or(0);
        for a in v["alive"].as_array().into_iter().flatten() {
            let s = |k: &str| a[k].as_str().unwrap_or("").to_string();
            shown.alive.push((s("task"), s("reason"), a["line"].as_u64().unwrap_or(0)));
        }
        if let Some(p) = v["panic"].as_object() {
            let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
            shown.panic = Some((s("task"), s("message")));
        }
        return shown;
    }
    // A fatal error (an unlock of an unlocked mutex) is not a panic: Go dies
    // and prints the goroutine that made it.
    if let Some(msg) =
        stderr.lines().find_map(|l| l.strip_prefix("fatal error: ").or(l.strip_prefix("panic: ")))
    {
        let task = stderr
            .split("\n\n")
            .find(|b| b.contains("[running]"))
            .and_then(|b| b.lines().filter_map(|l| l.strip_prefix("main.task_")).next_back())
            .map(|f| f.split(['(', '.']).next().unwrap_or("").to_string())
            .unwrap_or_default();
        shown.panic = Some((task, msg.to_string()));
        shown.main = "panicked".into();
        return shown;
    }
    shown.main = format!("no report (exit {:?})", out.status.code());
    shown
}

/// A panic message without what differs between Go and leash: the
/// `fatal error: ` and `runtime error: ` prefixes, the index and value.
fn panic_class(msg: &str) -> String {
    let m = msg.trim().trim_start_matches("fatal error: ").trim_start_matches("runtime error: ");
    if m.starts_with("index out of range") {
        return "index out of range".into();
    }
    if let (true, Some(i)) = (m.starts_with("value "), m.find(" out of range ")) {
        return m[i + 1..].to_string();
    }
    m.to_string()
}

/// leash's findings in a scenario, in words: `leak compute, orphan compute`.
fn summary(findings: &[&FindingReport]) -> String {
    if findings.is_empty() {
        return "no finding".into();
    }
    let words: Vec<String> = findings
        .iter()
        .map(|f| {
            let detail = if f.kind == "panic" { format!(" ({})", f.detail) } else { String::new() };
            format!("{} {}{detail}", f.kind, f.tasks.join(" "))
        })
        .collect();
    words.join(", ")
}

/// Whether leash's task `model` is Go's `go`: the harness reports the
/// model's names, but a fatal error's stack names the Go function
/// (`main_L12` for the anonymous task `main@12`).
fn same_task(model: &str, go: &str) -> bool {
    model == go || model.replace('@', "_L").replace('.', "_") == go
}

/// What Go showed in a run that leash does not have, one line each.
fn diverging(shown: &Shown, findings: &[&FindingReport]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((task, msg)) = &shown.panic {
        let same: Vec<&&FindingReport> = findings
            .iter()
            .filter(|f| f.kind == "panic" && panic_class(&f.detail) == panic_class(msg))
            .collect();
        if same.is_empty() {
            out.push(format!("panic in {task}: {msg}"));
        } else if !task.is_empty() && !same.iter().any(|f| f.tasks.iter().any(|t| same_task(t, task))) {
            let tasks: Vec<&str> = same.iter().flat_map(|f| f.tasks.iter().map(String::as_str)).collect();
            out.push(format!("panic in {task}: {msg} (leash: in {})", tasks.join(", ")));
        }
    }
    let stuck = ["leak", "no-exit", "deadlock"];
    for (task, reason, line) in &shown.alive {
        if !findings
            .iter()
            .any(|f| stuck.contains(&f.kind.as_str()) && f.tasks.iter().any(|t| same_task(t, task)))
        {
            let what = if shown.main == "stuck" { "stuck" } else { "left behind" };
            out.push(format!("{task} {what} [{reason}] at line {line}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One kind of divergence of one model in one scenario.
struct Divergence {
    model: String,
    scenario: &'static str,
    what: String,
    leash: String,
    runs: usize,
    first: Run,
    dir: PathBuf,
    raw: String,
}

/// A model ready to run: its program and leash's report.
struct Ready {
    name: String,
    binary: PathBuf,
    report: ModelReport,
    /// Marked `// leash: late-runs-excused` (see [`LATE_RUNS_EXCUSED`]).
    late_excused: bool,
}

/// The mark of a model whose Go verdict rests on a long timer not firing
/// beside a hot loop (a cycle of instant steps that keeps a CPU busy): the
/// harness's timers are 0.2 to 2 ms, so a run that waited that long for a
/// CPU breaks the premise outright, and what it shows is excused without
/// reruns. Its hand-written twin in models/semantics/go, with timers of
/// tens of milliseconds, is the evidence instead. Runs that were not late
/// count as for any model.
const LATE_RUNS_EXCUSED: &str = "// leash: late-runs-excused";

/// Checks, emits and builds the models, runs them, and returns the divergences.
fn conform(go: &Path, models: &[Model], sweep: &Sweep) -> (Vec<Divergence>, String) {
    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let options = CheckOptions { timeout: Some(Duration::from_secs(60)), ..CheckOptions::default() };
    let prepared = parallel(models, cores, |m| {
        let report = check_source(&m.name, &m.source, &options).map_err(|b| b.render())?;
        let binary = build(go, m, false)?;
        let late_excused = m.source.lines().any(|l| l.trim() == LATE_RUNS_EXCUSED);
        Ok::<_, String>(Ready { name: m.name.clone(), binary, report, late_excused })
    });
    let mut ready = Vec::new();
    let mut failures = Vec::new();
    for (m, r) in models.iter().zip(prepared) {
        match r {
            Ok(r) => ready.push(r),
            Err(e) => failures.push(format!("{}: {e}", m.name)),
        }
    }
    assert!(failures.is_empty(), "models that did not build:\n{}", failures.join("\n"));
    let built = started.elapsed();
    let mut jobs = Vec::new();
    for i in 0..ready.len() {
        for scenario in SCENARIOS {
            for seed in 1..=sweep.runs {
                jobs.push((i, Run::new(scenario, seed)));
            }
        }
    }
    let outcomes = parallel(&jobs, sweep.jobs, |(i, run)| {
        let r = &ready[*i];
        let findings: Vec<&FindingReport> =
            r.report.findings.iter().filter(|f| f.scenarios.iter().any(|s| s == run.scenario)).collect();
        let shown = execute(&r.binary, run);
        let mut what = diverging(&shown, &findings);
        // A task still running, sleeping or working when the harness gave up
        // may only have been slow (and the tasks waiting for it with it): what
        // diverges must show again with more patience. So may one in a lock's
        // queue: at GOMAXPROCS 1 a goroutine that takes and releases the lock
        // in a loop keeps the processor until it is preempted (10 ms), longer
        // than the harness waits for stability. A real deadlock shows again.
        let timing = |w: &String| {
            ["[running]", "[sleep]", "[work]", "[sync.Mutex.Lock]", "[sync.RWMutex.Lock]"]
                .iter()
                .any(|t| w.contains(t))
        };
        // So may anything in a run where a goroutine stayed runnable for
        // longer than the shortest delay, or a thread waited that long for
        // a CPU (the machine overloaded): that breaks leash's premise that
        // time passes only once no goroutine can take an instant step. Either
        // must show again in one of a few more runs.
        let slow = what.iter().any(timing);
        let mut excused = false;
        let late = shown.sched_latency_us.max(shown.cpu_wait_us) >= SHORTEST_DELAY_US;
        if late && r.late_excused && !what.is_empty() {
            return (Vec::new(), shown.raw, late, true);
        }
        if slow || (late && !what.is_empty()) {
            let again = Run { patience: if slow { 10 } else { run.patience }, ..*run };
            let tries = if late { LATE_RERUNS } else { 1 };
            let mut shown_again = Vec::new();
            for _ in 0..tries {
                shown_again.extend(diverging(&execute(&r.binary, &again), &findings));
                if what.iter().all(|w| shown_again.contains(w)) {
                    break;
                }
            }
            let before = what.len();
            what.retain(|w| shown_again.contains(w));
            excused = late && what.len() < before;
        }
        (what, shown.raw, late, excused)
    });
    let late = outcomes.iter().filter(|o| o.2).count();
    let excused = outcomes.iter().filter(|o| o.3).count();
    let mut table: BTreeMap<(String, &'static str, String), Divergence> = BTreeMap::new();
    for ((i, run), (what, raw, _, _)) in jobs.iter().zip(outcomes) {
        let r = &ready[*i];
        for w in what {
            let scenario_report = r.report.scenarios.iter().find(|s| s.scenario == run.scenario);
            let incomplete = scenario_report.is_some_and(|s| s.verdict == Verdict::Incomplete);
            let findings: Vec<&FindingReport> =
                r.report.findings.iter().filter(|f| f.scenarios.iter().any(|s| s == run.scenario)).collect();
            let mut leash = summary(&findings);
            if incomplete {
                leash.push_str(" (incomplete search)");
            }
            table
                .entry((r.name.clone(), run.scenario, w.clone()))
                .or_insert_with(|| Divergence {
                    model: r.name.clone(),
                    scenario: run.scenario,
                    what: w,
                    leash,
                    runs: 0,
                    first: *run,
                    dir: workdir(&r.name, false),
                    raw: raw.clone(),
                })
                .runs += 1;
        }
    }
    let stats = format!(
        "{} programs built and checked in {:.1?}, {} runs in {:.1?} ({} per model and scenario); \
         in {late} a goroutine stayed runnable or a thread waited for a CPU for {SHORTEST_DELAY_US} µs or more, \
         and {excused} of those diverged but not again in up to {LATE_RERUNS} more runs",
        ready.len(),
        built,
        jobs.len(),
        started.elapsed() - built,
        sweep.runs
    );
    (table.into_values().collect(), stats)
}

/// Prints each divergence with its reproduction, then the table; fails if there is one.
fn report(divergences: &[Divergence], stats: &str, runs: u64) {
    eprintln!("{stats}");
    for d in divergences {
        eprintln!(
            "\nDIVERGENCE {} [{}]: Go: {} ({} of {runs} runs); leash: {}\n  reproduce: {}\n  model: {}\n  report: {}",
            d.model,
            d.scenario,
            d.what,
            d.runs,
            d.leash,
            d.first.command(&d.dir),
            d.dir.join("model.leash").display(),
            d.raw
        );
    }
    if divergences.is_empty() {
        eprintln!("no divergence");
        return;
    }
    let mut table =
        String::from("\n| model | scenario | Go showed | runs | leash found |\n|---|---|---|---|---|\n");
    for d in divergences {
        table.push_str(&format!(
            "| {} | {} | {} | {}/{runs} | {} |\n",
            d.model, d.scenario, d.what, d.runs, d.leash
        ));
    }
    eprintln!("{table}");
    panic!("{} divergences between Go and leash (table above)", divergences.len());
}

/// Held by each test that loads every core, so that a sweep never runs
/// beside the builds: a goroutine left unscheduled for longer than the
/// shortest delay (`minDelay` in the harness) breaks leash's premise that
/// time passes only once every goroutine waits, and Go then shows what
/// leash rightly does not (one run in forty of a reader that had not yet
/// reached its `RLock`, while a hundred Go builds ran beside the sweep).
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_corpus_model_and_doc_example_is_a_go_program_that_builds_vets_and_is_gofmt_clean() {
    let Some(go) = go() else { return };
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let mut models = corpus(true);
    models.extend(doc_examples());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let results = parallel(&models, cores, |m| build(&go, m, true));
    let failed: Vec<String> = models
        .iter()
        .zip(results)
        .filter_map(|(m, r)| r.err().map(|e| format!("{}:\n{e}", m.name)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} programs failed:\n{}",
        failed.len(),
        models.len(),
        failed.join("\n")
    );
}

#[test]
fn go_shows_nothing_that_leash_does_not_find() {
    let Some(go) = go() else { return };
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let sweep = Sweep { runs: 40, designs: 32, mutants: 40, jobs: 4 };
    let mut models = corpus(false);
    models.extend(generated(sweep.designs, sweep.mutants));
    models.extend(extra());
    let (divergences, stats) = conform(&go, &models, &sweep);
    report(&divergences, &stats, sweep.runs);
}

/// The same, longer: more runs per model and more generated models (.ci/slow).
#[test]
#[ignore]
fn go_shows_nothing_that_leash_does_not_find_in_a_long_sweep() {
    let Some(go) = go() else { return };
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let sweep = Sweep { runs: 200, designs: 100, mutants: 100, jobs: 4 };
    let mut models = corpus(false);
    models.extend(generated(sweep.designs, sweep.mutants));
    models.extend(extra());
    let (divergences, stats) = conform(&go, &models, &sweep);
    report(&divergences, &stats, sweep.runs);
}
