//! The reductions against the plain search, on the corpus and on generated
//! models: with symmetry, partial-order reduction, both or neither, every
//! model gets the same findings (kind, tasks, detail) and bounds in every
//! scenario, never more states with a reduction, and every path found
//! replays on the reference semantics to the same finding. Partial-order
//! reduction leaves findings and their paths exactly as they are without it.

mod common;
use common::models;
use leash_ir::Program;
use leash_native::{
    explore_persistent, explore_with, replay, Control, Exploration, Finding, Phase, Progress, Reporter,
};
use leash_semantics::{enabled, FindingKind, Scenario};
use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

/// The corpus (`models/`), the slow files (`// leash: slow`) or the others.
fn corpus(slow: bool) -> Vec<(String, Program)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files = Vec::new();
    models(&root, &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let source = std::fs::read_to_string(&f).expect("readable");
            let marked = |mark: &str| source.lines().any(|l| l.trim() == mark);
            let is_slow = marked("// leash: slow");
            let name = f.strip_prefix(&root).expect("under models").display().to_string();
            (is_slow == slow).then(|| {
                (name.clone(), leash_ir::compile(&source).unwrap_or_else(|e| panic!("{name}: {e:?}")))
            })
        })
        .collect()
}

/// Which reductions a search uses.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reductions {
    symmetry: bool,
    por: bool,
}

const PLAIN: Reductions = Reductions { symmetry: false, por: false };
const SYMMETRY: Reductions = Reductions { symmetry: true, por: false };
const POR: Reductions = Reductions { symmetry: false, por: true };
const BOTH: Reductions = Reductions { symmetry: true, por: true };

fn explore(p: &Program, scenario: Scenario, with: Reductions) -> Exploration {
    explore_for(p, scenario, with, None)
}

/// Explores with the default bounds and, if given, a time budget.
fn explore_for(p: &Program, scenario: Scenario, with: Reductions, budget: Option<Duration>) -> Exploration {
    let deadline = budget.map(|b| Instant::now() + b);
    let stop = || deadline.is_some_and(|d| Instant::now() >= d);
    let control = Control { symmetry: with.symmetry, por: with.por, ..Control::new(&stop) };
    explore_with(p, scenario, &leash_native::Options::default(), &control)
}

fn summary(e: &Exploration) -> Vec<(FindingKind, Vec<u16>, String)> {
    e.findings.iter().map(|f| (f.kind, f.funcs.clone(), f.detail.clone())).collect()
}

/// The path of `f` replays, and ends where the finding says.
fn replays(p: &Program, scenario: Scenario, f: &Finding) -> Result<(), String> {
    let r = replay(p, scenario, &f.path).map_err(|e| format!("{e:?}"))?;
    let last_panic = r.steps.last().and_then(|s| s.panic.as_ref());
    match f.kind {
        FindingKind::Panic if !f.path.is_empty() => match last_panic {
            Some(e) if e.detail == f.detail => Ok(()),
            other => Err(format!("ends in {other:?}, not the panic {}", f.detail)),
        },
        FindingKind::Deadlock | FindingKind::Leak if f.cycle.is_empty() => {
            if enabled(p, &r.last, scenario).is_empty() {
                Ok(())
            } else {
                Err("ends in a state that can move".into())
            }
        }
        _ => Ok(()),
    }
}

/// Where persistent sets stored fewer states than the plain search.
#[derive(Default)]
struct Pruned {
    /// In some scenario.
    some: bool,
    /// In a scenario with a fair cycle, which they found on their own graph.
    judging_fair_cycles: bool,
}

/// Compares the search over persistent sets alone (which decides nothing
/// when it finds something) with the plain search: when its graph has no
/// cycle of instant steps, it must find exactly the plain search's dead
/// states, panics and warnings, and a fair cycle exactly when the plain
/// search finds one (not always naming the same tasks: the graphs differ);
/// else some of the plain search's findings. Returns where it stored fewer
/// states. A time budget, if given, applies to each search; a plain
/// search cut short leaves nothing to compare with.
fn compare_persistent(
    what: &str,
    p: &Program,
    scenario: Scenario,
    plain: &Exploration,
    budget: Option<Duration>,
    problems: &mut Vec<String>,
) -> Pruned {
    let mut pruned = Pruned::default();
    if plain.incomplete.is_some() {
        return pruned;
    }
    let split = |e: &Exploration| {
        let (cycles, safety): (Vec<&Finding>, Vec<&Finding>) =
            e.findings.iter().partition(|f| !f.cycle.is_empty());
        let safety: Vec<_> = safety.iter().map(|f| (f.kind, f.funcs.clone(), f.detail.clone())).collect();
        (safety, !cycles.is_empty())
    };
    let (want, want_cycle) = split(plain);
    for symmetry in [false, true] {
        let deadline = budget.map(|b| Instant::now() + b);
        let stop = || deadline.is_some_and(|d| Instant::now() >= d);
        let control = Control { symmetry, ..Control::new(&stop) };
        let (reduced, instant) = explore_persistent(p, scenario, &leash_native::Options::default(), &control);
        let what = format!("{what} persistent sets (symmetry {symmetry}, instant cycles {instant})");
        if reduced.incomplete.is_some() {
            continue;
        }
        let (got, got_cycle) = split(&reduced);
        if got.iter().any(|f| !want.contains(f)) || (!instant && (got != want || got_cycle != want_cycle)) {
            problems.push(format!(
                "{what}: {got:?} (a fair cycle: {got_cycle}), {want:?} (a fair cycle: {want_cycle}) without reductions"
            ));
        }
        if reduced.stats.states > plain.stats.states {
            problems.push(format!("{what}: {} states, {} without", reduced.stats.states, plain.stats.states));
        }
        let fewer = !symmetry && reduced.stats.states < plain.stats.states;
        pruned.some |= fewer;
        pruned.judging_fair_cycles |= fewer && !instant && want_cycle;
        for f in &reduced.findings {
            if let Err(e) = replays(p, scenario, f) {
                problems.push(format!("{what}: the {} path of {:?} {e}", f.kind.name(), f.funcs));
            }
        }
    }
    pruned
}

/// Compares a reduced search of one model and scenario with the plain one,
/// and for partial-order reduction with the same search without it; pushes
/// what differs to `problems`. Returns where persistent sets pruned states.
fn compare_one(
    what: &str,
    p: &Program,
    scenario: Scenario,
    budget: Option<Duration>,
    problems: &mut Vec<String>,
) -> Pruned {
    let plain = explore_for(p, scenario, PLAIN, budget);
    let symmetric = explore_for(p, scenario, SYMMETRY, budget);
    let por = explore_for(p, scenario, POR, budget);
    let both = explore_for(p, scenario, BOTH, budget);
    for (with, reduced, base) in
        [(SYMMETRY, &symmetric, None), (POR, &por, Some(&plain)), (BOTH, &both, Some(&symmetric))]
    {
        let what = format!("{what} {with:?}");
        let (found_on, found_off) = (summary(reduced), summary(&plain));
        match (reduced.incomplete, plain.incomplete) {
            (None, None) => {
                if found_on != found_off {
                    problems.push(format!("{what}: {found_on:?}, {found_off:?} without reductions"));
                }
                if reduced.stats.states > plain.stats.states {
                    problems.push(format!(
                        "{what}: {} states, {} without reductions",
                        reduced.stats.states, plain.stats.states
                    ));
                }
            }
            (None, Some(_)) => {
                if let Some(f) = found_off.iter().find(|f| !found_on.contains(f)) {
                    problems.push(format!("{what}: {f:?} found only without reductions"));
                }
            }
            (Some(bound), None) => problems.push(format!("{what}: {bound} with reductions only")),
            (Some(_), Some(_)) => {}
        }
        if let Some(base) = base.filter(|b| b.incomplete.is_none() && reduced.incomplete.is_none()) {
            if reduced.findings != base.findings {
                problems
                    .push(format!("{what}: other findings or paths than without partial-order reduction"));
            }
        }
        for f in &reduced.findings {
            if let Err(e) = replays(p, scenario, f) {
                problems.push(format!("{what}: the {} path of {:?} {e}", f.kind.name(), f.funcs));
            }
        }
    }
    compare_persistent(what, p, scenario, &plain, budget, problems)
}

/// Compares the searches on the corpus. The slow models get a time budget:
/// where only the plain search is cut short, what it found must be found
/// with the reductions too.
fn compare(slow: bool) {
    let budget = slow.then(|| Duration::from_secs(120));
    let mut problems = Vec::new();
    let (mut checked, mut pruned, mut fair) = (0, 0, 0);
    for (name, p) in corpus(slow) {
        for scenario in Scenario::ALL {
            let what = format!("{name} [{}]", scenario.name());
            let found = compare_one(&what, &p, scenario, budget, &mut problems);
            pruned += usize::from(found.some);
            fair += usize::from(found.judging_fair_cycles);
            checked += 1;
        }
    }
    assert!(slow || checked >= 150, "only {checked} model scenarios");
    eprintln!("pruned {pruned}, of them with a fair cycle {fair}");
    assert!(slow || pruned >= 20, "persistent sets pruned states in only {pruned} model scenarios");
    assert!(slow || fair >= 6, "persistent sets judged a fair cycle in only {fair} model scenarios");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn reductions_keep_every_finding_of_the_corpus() {
    compare(false);
}

/// The slow models (large pools, deep trees): run with `cargo test --release -- --ignored`.
#[test]
#[ignore = "minutes in release mode: run with --release -- --ignored"]
fn reductions_keep_every_finding_of_the_slow_models() {
    compare(true);
}

#[test]
fn symmetry_reduces_the_pool() {
    let (_, pool) = corpus(false)
        .into_iter()
        .find(|(name, _)| name.ends_with("pool_4_8_2.leash"))
        .expect("the pool model");
    let (on, off) = (explore(&pool, Scenario::Cancel, SYMMETRY), explore(&pool, Scenario::Cancel, PLAIN));
    assert!(on.findings.is_empty() && off.findings.is_empty() && on.incomplete.is_none());
    assert!(
        on.stats.states * 3 < off.stats.states * 2,
        "{} states with symmetry, {} without",
        on.stats.states,
        off.stats.states
    );
}

#[test]
fn error_and_cancel_explore_alike_in_models_without_work() {
    // What `Scenario::same_steps` claims, and `leash check` relies on to
    // explore only one of the two: without `work`, the two scenarios give
    // the same exploration, findings, paths and counts included.
    let mut compared = 0;
    for (name, p) in corpus(false) {
        if !Scenario::Error.same_steps(Scenario::Cancel, &p) {
            continue;
        }
        for with in [PLAIN, BOTH] {
            let error = explore(&p, Scenario::Error, with);
            let cancel = explore(&p, Scenario::Cancel, with);
            assert_eq!(Exploration { scenario: Scenario::Cancel, ..error }, cancel, "{name} {with:?}");
        }
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} models without work");
    let with_work = leash_ir::compile("task main() {\n    work job?\n}\n").expect("compiles");
    assert!(!Scenario::Error.same_steps(Scenario::Cancel, &with_work));
    assert!(Scenario::Cancel.same_steps(Scenario::Cancel, &with_work));
}

const SPINNERS: &str = "task main() {\n    spawn spin()\n    spawn spin()\n    spawn spin()\n}\ntask spin() {\n    loop {\n        yield\n        yield\n    }\n}\n";

#[test]
fn a_fair_cycle_found_with_symmetry_is_confirmed_without() {
    let p = leash_ir::compile(SPINNERS).expect("compiles");
    let (on, off) = (explore(&p, Scenario::Completion, SYMMETRY), explore(&p, Scenario::Completion, PLAIN));
    assert!(summary(&on).iter().any(|(kind, _, _)| *kind == FindingKind::NoExit), "{:?}", summary(&on));
    assert_eq!(summary(&on), summary(&off));
    assert_eq!(on.stats, off.stats, "the confirming search decides");
}

#[test]
fn a_confirming_search_cut_short_is_incomplete() {
    let p = leash_ir::compile(SPINNERS).expect("compiles");
    let off = explore(&p, Scenario::Completion, PLAIN);
    let bounded = |symmetry| {
        let options = leash_native::Options { max_states: off.stats.states - 1, ..Default::default() };
        let control = Control { symmetry, por: false, ..Control::new(&|| false) };
        explore_with(&p, Scenario::Completion, &options, &control)
    };
    let (on, plain) = (bounded(true), bounded(false));
    let phases = RefCell::new(Vec::new());
    let report = |p: &Progress| phases.borrow_mut().push((p.phase, p.states));
    let control = Control {
        progress: Some(Reporter { elapsed: &|| Duration::ZERO, report: &report }),
        por: false,
        ..Control::new(&|| false)
    };
    let options = leash_native::Options { max_states: off.stats.states - 1, ..Default::default() };
    explore_with(&p, Scenario::Completion, &options, &control);
    let phases = phases.into_inner();
    let reduced = phases.iter().find(|(phase, _)| *phase == Phase::FairCycles).map(|(_, states)| *states);
    assert!(reduced.is_some_and(|n| n < options.max_states), "the reduced search completes: {phases:?}");
    assert!(phases.iter().any(|(phase, _)| *phase == Phase::Confirm), "{phases:?}");
    assert_eq!(on.incomplete, Some(leash_native::Bound::States(off.stats.states - 1)));
    assert_eq!(on.incomplete, plain.incomplete);
    assert!(on.findings.iter().all(|f| f.kind != FindingKind::NoExit), "no-exit is unconfirmed");
}

#[test]
fn a_path_through_reordered_tasks_replays_without_the_reduction() {
    // Either worker may take the job that panics; the reduced search reorders
    // them on the way (one runs ahead of the other), the trace keeps spawn order.
    let src = "task main() {\n    let jobs = chan(2)\n    let c = chan(0)\n    spawn worker(jobs, c)\n    spawn worker(jobs, c)\n    send jobs, :a\n    send jobs, :b\n    close(c)\n}\ntask worker(jobs, c) {\n    yield\n    let v = recv jobs\n    yield\n    if v == :b {\n        close(c)\n    }\n}\n";
    let p = leash_ir::compile(src).expect("compiles");
    let (on, off) = (explore(&p, Scenario::Completion, SYMMETRY), explore(&p, Scenario::Completion, PLAIN));
    assert!(on.stats.states < off.stats.states, "{} and {} states", on.stats.states, off.stats.states);
    let panic = on.findings.iter().find(|f| f.kind == FindingKind::Panic).expect("a panic");
    assert_eq!(panic.detail, "close of closed channel");
    assert_eq!(
        panic.path.len(),
        off.findings.iter().find(|f| f.kind == FindingKind::Panic).unwrap().path.len()
    );
    replays(&p, Scenario::Completion, panic).expect("replays");
}

/// A deterministic generator of small models whose tasks share some of
/// main's objects and not others, so that partial-order reduction has
/// independent steps to prune (the corpus mostly shares everything).
struct Gen(u64);

/// Main's objects: (name, constructor, kind).
const OBJECTS: [(&str, &str, &str); 17] = [
    ("a", "chan(0)", "chan"),
    ("b", "chan(1)", "chan"),
    ("q", "chan(2)", "chan"),
    ("m", "mutex()", "mutex"),
    ("wg", "waitgroup()", "wg"),
    ("ctx", "with_cancel(signal())", "ctx"),
    ("sig", "signal()", "ctx"),
    ("tk", "ticker()", "ticker"),
    ("o", "once()", "once"),
    ("cell", "chan(1)", "chan"),
    ("g", "group(signal())", "group"),
    ("dl", "with_timeout(background())", "ctx"),
    ("tm", "timer()", "timer"),
    ("stk", "ticker(short)", "ticker"),
    ("stm", "timer(short)", "timer"),
    ("mp", "map()", "map"),
    ("ls", "list()", "list"),
];

/// The receive on the done channel of `x`, a context or a group.
fn done_of(x: &str, kind: &str) -> Option<String> {
    match kind {
        "ctx" => Some(format!("recv {x}.done")),
        "group" => Some(format!("recv {x}.ctx.done")),
        _ => None,
    }
}

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One statement over the objects `have` (indices into [`OBJECTS`]).
    fn stmt(&mut self, have: &[usize], depth: u32) -> String {
        let local = ["yield", "work job", "work job?", "choose {\nyield\n} or {\n}", "sleep"];
        if have.is_empty() || self.below(5) == 0 {
            return local[self.below(local.len())].to_string();
        }
        let (x, _, kind) = OBJECTS[have[self.below(have.len())]];
        let forms: Vec<String> = match kind {
            "chan" => vec![
                format!("send {x}, 1"),
                format!("recv {x}"),
                format!("close({x})"),
                format!("for v in {x} {{}}"),
                format!("select {{\nrecv {x} => {{}}\ndefault => {{}}\n}}"),
                format!("select {{\nsend {x}, 3 => {{}}\ndefault => {{}}\n}}"),
                format!("select {{\nrecv {x} => {{}}\nafter => {{}}\n}}"),
            ],
            "mutex" => vec![format!("{x}.lock()\nyield\n{x}.unlock()")],
            "wg" => vec![format!("{x}.add(1)"), format!("{x}.done()"), format!("{x}.wait()")],
            "ctx" => vec![
                format!("recv {x}.done"),
                format!("work job({x})"),
                format!("if {x}.err() == err {{ return }}"),
                format!("cancel({x})"),
                format!("let own = with_cancel({x})\nspawn sub(own)\nrecv own.done"),
                format!("let own = with_cancel({x})\nspawn sub(own)"),
            ],
            "group" => vec![
                format!("{x}.go member()"),
                format!("let e = {x}.wait()"),
                format!("recv {x}.ctx.done"),
                format!("work job({x}.ctx)"),
            ],
            "ticker" => vec![
                format!("recv {x}"),
                format!("stop({x})"),
                format!("select {{\nrecv {x} => {{}}\ndefault => {{}}\n}}"),
            ],
            "timer" => vec![
                format!("recv {x}"),
                format!("stop({x})"),
                format!("select {{\nrecv {x} => {{}}\nafter => {{}}\n}}"),
            ],
            "map" => vec![
                format!("{x}[1] = 2"),
                format!("let v = {x}[1]"),
                format!("delete({x}, 1)"),
                format!("for k, v in {x} {{}}"),
            ],
            "list" => vec![format!("push({x}, 1)"), format!("if len({x}) > 0 {{\nlet v = pop({x})\n}}")],
            _ => vec![format!("{x}.do(noop)")],
        };
        let simple = forms[self.below(forms.len())].clone();
        if depth == 0 {
            return simple;
        }
        match self.below(8) {
            0 => {
                let (y, _, ykind) = OBJECTS[have[self.below(have.len())]];
                let other = match (ykind, done_of(y, ykind)) {
                    ("chan", _) => format!("send {y}, 2 => {{}}"),
                    (_, Some(done)) => format!("{done} => return"),
                    _ => "after => {}".to_string(),
                };
                let mine = match (kind, done_of(x, kind)) {
                    ("chan" | "ticker" | "timer", _) => format!("recv {x} => {{}}"),
                    (_, Some(done)) => format!("{done} => {{}}"),
                    _ => "after => {}".to_string(),
                };
                format!("select {{\n{other}\n{mine}\n}}")
            }
            1 => format!("for i in 0..2 {{\n{}\n}}", self.stmt(have, depth - 1)),
            2 if kind == "chan" => format!("loop {{\nselect {{\nrecv {x} => break\ndefault => {{}}\n}}\n}}"),
            // A ticking loop that only another object ends: its runs are
            // cycles through time, fair or not.
            3 | 4 if kind == "ticker" => {
                let (y, _, ykind) = OBJECTS[have[self.below(have.len())]];
                let end = match (ykind, done_of(y, ykind)) {
                    ("chan", _) => format!("recv {y} => break"),
                    (_, Some(done)) => format!("{done} => break"),
                    _ => "after => break".to_string(),
                };
                format!("loop {{\nselect {{\nrecv {x} => {{}}\n{end}\n}}\n}}")
            }
            _ => simple,
        }
    }

    fn body(&mut self, have: &[usize], len: usize) -> String {
        (0..1 + self.below(len)).map(|_| self.stmt(have, 1)).collect::<Vec<_>>().join("\n")
    }

    fn model(&mut self) -> String {
        let made: Vec<usize> = (0..OBJECTS.len()).filter(|_| self.below(3) == 0).collect();
        let mut text = String::from(
            "fn noop() {\n}\ntask member() {\nwork job?\n}\ntask sub(c) {\nyield\ncancel(c)\n}\ntask main() {\n",
        );
        for &i in &made {
            text.push_str(&format!("let {} = {}\n", OBJECTS[i].0, OBJECTS[i].1));
        }
        let workers = 2 + self.below(2);
        let mut tasks = String::new();
        for w in 0..workers {
            let given: Vec<usize> = made.iter().copied().filter(|_| self.below(2) == 0).collect();
            let names: Vec<&str> = given.iter().map(|&i| OBJECTS[i].0).collect();
            text.push_str(&format!("spawn w{w}({})\n", names.join(", ")));
            tasks.push_str(&format!("task w{w}({}) {{\n{}\n}}\n", names.join(", "), self.body(&given, 3)));
        }
        text.push_str(&self.body(&made, 3));
        text.push_str("\n}\n");
        text + &tasks
    }
}

/// How many generated models the test checks.
const GENERATED: u64 = 600;

#[test]
fn reductions_keep_every_finding_of_generated_models() {
    let mut problems = Vec::new();
    let (mut compiled, mut reduced) = (0, 0);
    for m in 0..GENERATED {
        let text = Gen(m).model();
        let Ok(p) = leash_ir::compile(&text) else { continue };
        compiled += 1;
        for scenario in Scenario::ALL {
            let what = format!("model {m} [{}]", scenario.name());
            let before = problems.len();
            reduced += usize::from(
                compare_one(&what, &p, scenario, Some(Duration::from_secs(20)), &mut problems).some,
            );
            if problems.len() > before {
                problems.push(text.clone());
            }
        }
    }
    assert!(compiled * 10 >= GENERATED * 9, "only {compiled} of {GENERATED} generated models compile");
    eprintln!("pruned {reduced}");
    assert!(reduced >= 100, "partial-order reduction pruned only {reduced} generated model scenarios");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_depth_bound_met_over_persistent_sets_is_left_to_the_full_search() {
    // Paths over persistent sets may be longer than the shortest: where the
    // first search meets the depth bound, the plain search answers.
    let (_, p) = corpus(false).into_iter().find(|(n, _)| n.ends_with("pipeline_3.leash")).expect("the model");
    let options = leash_native::Options { max_depth: 10, ..Default::default() };
    let bounded = |por| {
        let control = Control { symmetry: false, por, ..Control::new(&|| false) };
        explore_with(&p, Scenario::Completion, &options, &control)
    };
    let (with, without) = (bounded(true), bounded(false));
    assert_eq!(with.incomplete, Some(leash_native::Bound::Depth(10)));
    assert_eq!(with, without);
}
