//! Replays an engine's log on the reference semantics.
//!
//! An engine runs the model on a thread library and records one [`Entry`] per
//! step. Here each entry is matched with the one transition of
//! `leash_semantics` that takes the same step (same task, instruction, select
//! case or parking, outcome, parked partner completed, instant or timed; the
//! same timer, ticker or deadline, followed by number across the reference's
//! renumbering of its heap), the path is replayed, and the way the execution
//! ended is checked against the reference: a stuck execution must end in a
//! reference state where nothing can move, a panic must be a panic there too.
//! The tasks the engine saw orphaned (left running by an owner that exited)
//! must be those the reference orphans, step by step.
//! What comes out is a finding whose path is a list of indices into the
//! reference's enabled transitions, the same as the native prover's, so every
//! engine's counterexample is printed, pictured and replayed the same way.
//!
//! When an entry matches several transitions, every candidate is tried in
//! order with backtracking.

use crate::{End, Entry, Instance, Log, Orphan, Outcome};
use leash_ir::Program;
use leash_semantics::{
    apply, enabled, initial, Actor, Applied, Event, FindingKind, Object, Scenario, State, Transition,
};
use std::fmt;

/// A finding of an engine, confirmed on the reference semantics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmed {
    /// What kind (leak, deadlock, panic, orphan).
    pub kind: FindingKind,
    /// The task functions it names, as the native prover names them.
    pub funcs: Vec<u16>,
    /// The panic message, or the reference's words for an orphan; empty otherwise.
    pub detail: String,
    /// The instruction that panicked.
    pub at: Option<(u16, u16)>,
    /// Indices into the reference's enabled transitions, from the initial state.
    pub path: Vec<u16>,
}

/// Where an engine and the reference semantics part ways: a bug in one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// How many entries of the log replayed before the disagreement.
    pub step: usize,
    /// What differs.
    pub what: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the engine and the reference semantics disagree after {} steps: {}", self.step, self.what)
    }
}

/// Tried replays before an ambiguous log is given up on.
const MAX_APPLIES: usize = 200_000;

/// A reference state with the engine's instance in each task slot, and the
/// engine's number of each context, timer and ticker of its heap.
#[derive(Clone)]
struct Point {
    state: State,
    slots: Vec<Instance>,
    next: Instance,
    /// By heap index: the number the engine's log gives the object.
    numbers: Vec<Option<u32>>,
    /// Contexts, timers and tickers numbered so far.
    made: u32,
}

impl Point {
    /// The initial point, from the reference's initial step.
    fn start(p: &Program, init: Applied) -> Point {
        let mut point =
            Point { state: State::default(), slots: vec![0], next: 1, numbers: Vec::new(), made: 0 };
        point.renumber(p.globals.len(), &vec![None; p.globals.len()], &init);
        point.state = init.state;
        point
    }

    fn slot(&self, task: Instance) -> Option<u16> {
        self.slots.iter().position(|&i| i == task).map(|s| s as u16)
    }

    fn top(&self, slot: u16) -> Option<(u16, u16)> {
        let f = self.state.tasks.get(slot as usize)?.frames.last()?;
        Some((f.func, f.pc))
    }

    fn number(&self, o: u16) -> Option<u32> {
        self.numbers.get(o as usize).copied().flatten()
    }

    fn matches(&self, t: &Transition, e: &Entry) -> bool {
        match (e, t.actor) {
            (Entry::Signal, Actor::Signal) => true,
            (&Entry::Deadline { ctx }, Actor::Deadline(o)) => self.number(o) == Some(ctx),
            (&Entry::Walk { ctx }, Actor::Walk(o)) => self.number(o) == Some(ctx),
            (&Entry::Fire { obj, alt }, Actor::Fire(o)) => self.number(o) == Some(obj) && t.alt == alt,
            (&Entry::Step { task, func, pc, case, alt, partner, time }, Actor::Task(slot)) => {
                let partner_ok = match (partner, t.partner) {
                    (None, None) => true,
                    (Some((who, c)), Some((ps, pc))) => self.slot(who) == Some(ps) && c == pc,
                    _ => false,
                };
                self.slot(task) == Some(slot)
                    && self.top(slot) == Some((func, pc))
                    && t.case == case
                    && t.alt == alt
                    && t.time == time
                    && partner_ok
            }
            _ => false,
        }
    }

    /// The point after `t`, and the events the reference raised in it.
    fn step(&self, p: &Program, t: &Transition, scenario: Scenario) -> Result<(Point, Vec<Event>), Event> {
        let a = apply(p, &self.state, t, scenario)?;
        let mut slots = self.slots.clone();
        let mut next = self.next;
        for _ in &a.spawned {
            slots.push(next);
            next += 1;
        }
        let mut exited = a.exited.clone();
        exited.sort_unstable_by(|a, b| b.cmp(a));
        for s in exited {
            slots.remove(s as usize);
        }
        let mut point = Point { state: State::default(), slots, next, numbers: Vec::new(), made: self.made };
        point.renumber(self.state.heap.len(), &self.numbers, &a);
        point.state = a.state;
        Ok((point, a.events))
    }

    /// Follows the numbers across a step that renumbered the heap (`numbers`
    /// by the old indices, the first `before` of them objects that existed
    /// before the step): the objects the step made and kept get the next
    /// numbers, in the order they were made, as the engine numbers them.
    fn renumber(&mut self, before: usize, numbers: &[Option<u32>], a: &Applied) {
        self.numbers = vec![None; a.state.heap.len()];
        for (old, &new) in a.heap_map.iter().enumerate() {
            let Some(slot) = self.numbers.get_mut(new as usize) else { continue };
            if old < before {
                *slot = numbers[old];
            } else if matches!(
                a.state.heap[new as usize],
                Object::Ctx { .. } | Object::Timer { .. } | Object::Ticker { .. }
            ) {
                *slot = Some(self.made);
                self.made += 1;
            }
        }
    }
}

/// Replays `outcome` on the reference semantics of `p` under `scenario`.
/// Returns the findings the execution shows (its orphans, and how it ended
/// unless it ended well or hit a bound), or where the two disagree.
pub fn conform(p: &Program, scenario: Scenario, outcome: &Outcome) -> Result<Vec<Confirmed>, Disagreement> {
    replay(p, scenario, &outcome.log, Ending::Engine(&outcome.end), Some(&outcome.orphans))
}

/// Replays the log of an execution the library aborted because it found no
/// thread able to run: the reference must reach a state where nothing moves.
/// The library's abort loses the runtime's world, and with it the orphans
/// the execution saw: none are reported from such a log.
pub fn conform_library_deadlock(
    p: &Program,
    scenario: Scenario,
    log: &Log,
) -> Result<Vec<Confirmed>, Disagreement> {
    replay(p, scenario, log, Ending::LibraryDeadlock, None)
}

/// The reference path of an execution, however it ended (for replays).
pub fn path(p: &Program, scenario: Scenario, log: &Log) -> Result<Vec<u16>, Disagreement> {
    let found = replay(p, scenario, log, Ending::Any, None)?;
    Ok(found.into_iter().next().map(|c| c.path).unwrap_or_default())
}

/// How an execution ended, as far as the check is concerned.
#[derive(Clone, Copy)]
enum Ending<'a> {
    /// Anything: only the steps are checked.
    Any,
    /// As the runtime says.
    Engine(&'a End),
    /// The library found every thread blocked.
    LibraryDeadlock,
}

fn replay(
    p: &Program,
    scenario: Scenario,
    log: &Log,
    end: Ending,
    orphans: Option<&[Orphan]>,
) -> Result<Vec<Confirmed>, Disagreement> {
    let init = match initial(p) {
        Ok(init) => init,
        // The model panics before its first step (initialising a variable,
        // or in main's silent start): the engine must have said so too.
        Err(e) => {
            return match end {
                Ending::Engine(End::Panic { message, .. }) if log.is_empty() && *message == e.detail => {
                    Ok(vec![panic_finding(e, Vec::new())])
                }
                _ => Err(Disagreement {
                    step: 0,
                    what: format!("the reference panics before the first step: {}", e.detail),
                }),
            }
        }
    };
    let start = Point::start(p, init);
    let mut applies = 0;
    let mut furthest = Disagreement { step: 0, what: String::new() };
    let mut path = Vec::new();
    let run = Run { p, scenario, log, end, orphans };
    match run.search(start, 0, &mut path, &mut Vec::new(), &mut applies, &mut furthest) {
        Some(found) => Ok(found),
        None if applies >= MAX_APPLIES => Err(Disagreement {
            step: furthest.step,
            what: format!("the log is too ambiguous to replay ({MAX_APPLIES} tries)"),
        }),
        None => Err(furthest),
    }
}

/// One replay: the model, the scenario, the log, how it ended, and the
/// orphans the engine saw (when it knows them).
struct Run<'a> {
    p: &'a Program,
    scenario: Scenario,
    log: &'a Log,
    end: Ending<'a>,
    orphans: Option<&'a [Orphan]>,
}

impl Run<'_> {
    /// Replays the log from entry `i` at `at`, `path` leading there and
    /// `orphaned` the orphans confirmed on the way.
    fn search(
        &self,
        at: Point,
        i: usize,
        path: &mut Vec<u16>,
        orphaned: &mut Vec<Confirmed>,
        applies: &mut usize,
        furthest: &mut Disagreement,
    ) -> Option<Vec<Confirmed>> {
        let p = self.p;
        let ts = enabled(p, &at.state, self.scenario);
        let Some(entry) = self.log.get(i) else {
            let ended = match self.end {
                Ending::Any => Ok(vec![Confirmed {
                    kind: FindingKind::Leak,
                    funcs: Vec::new(),
                    detail: String::new(),
                    at: None,
                    path: path.clone(),
                }]),
                Ending::Engine(end) => finish(p, self.scenario, &at, &ts, end, path),
                Ending::LibraryDeadlock if ts.is_empty() && !at.state.tasks.is_empty() => {
                    Ok(dead(p, &at, path))
                }
                Ending::LibraryDeadlock => Err(format!(
                    "the library found every thread blocked but the reference can take {} steps",
                    ts.len()
                )),
            };
            return match ended {
                Ok(found) => Some(orphaned.iter().cloned().chain(found).collect()),
                Err(what) => {
                    if i >= furthest.step {
                        *furthest = Disagreement { step: i, what };
                    }
                    None
                }
            };
        };
        let mut candidates = 0;
        for (k, t) in ts.iter().enumerate() {
            if !at.matches(t, entry) || *applies >= MAX_APPLIES {
                continue;
            }
            candidates += 1;
            *applies += 1;
            path.push(k as u16);
            let (next, events) = match at.step(p, t, self.scenario) {
                Ok(stepped) => stepped,
                // The step's silent tail panicked (an overflow, say): the
                // engine logged the step, then panicked before its next one.
                Err(e) => match self.end {
                    Ending::Engine(End::Panic { task, message, .. })
                        if i + 1 == self.log.len()
                            && matches!(entry, Entry::Step { task: t, .. } if t == task)
                            && e.kind == FindingKind::Panic
                            && e.detail == *message =>
                    {
                        let panic = panic_finding(e, path.clone());
                        return Some(orphaned.iter().cloned().chain([panic]).collect());
                    }
                    _ => {
                        path.pop();
                        continue;
                    }
                },
            };
            match self.orphans_agree(i, &events, path) {
                Ok(confirmed) => {
                    let before = orphaned.len();
                    orphaned.extend(confirmed);
                    if let Some(found) = self.search(next, i + 1, path, orphaned, applies, furthest) {
                        return Some(found);
                    }
                    orphaned.truncate(before);
                }
                Err(what) if i >= furthest.step => *furthest = Disagreement { step: i, what },
                Err(_) => {}
            }
            path.pop();
        }
        if candidates == 0 && i >= furthest.step {
            *furthest = Disagreement {
                step: i,
                what: format!("no step of the reference matches {entry:?} (task slots {:?})", at.slots),
            };
        }
        None
    }

    /// Checks the orphans the reference raised in entry `i` (its `events`)
    /// against those the engine saw there, when it knows them: the same
    /// tasks' functions, orphaned by owners of the same names. Returns them
    /// as findings, `path` leading through the step.
    fn orphans_agree(&self, i: usize, events: &[Event], path: &[u16]) -> Result<Vec<Confirmed>, String> {
        let Some(orphans) = self.orphans else { return Ok(Vec::new()) };
        let mut reference: Vec<&Event> = events.iter().filter(|e| e.kind == FindingKind::Orphan).collect();
        let mut confirmed = Vec::new();
        for o in orphans.iter().filter(|o| o.step == i) {
            let owner = format!("`{}`", self.p.func(o.owner).name);
            let Some(k) = reference.iter().position(|e| e.func == o.func && e.detail.contains(&owner)) else {
                return Err(format!(
                    "the engine left a task of {} orphaned by {owner}; the reference does not",
                    self.p.func(o.func).name
                ));
            };
            let e = reference.remove(k);
            confirmed.push(Confirmed {
                kind: FindingKind::Orphan,
                funcs: vec![e.func],
                detail: e.detail.clone(),
                at: e.at,
                path: path.to_vec(),
            });
        }
        match reference.first() {
            Some(e) => Err(format!(
                "the reference orphans a task of {}: {}; the engine does not",
                self.p.func(e.func).name,
                e.detail
            )),
            None => Ok(confirmed),
        }
    }
}

/// Checks how the execution ended against the reference state it reached.
fn finish(
    p: &Program,
    scenario: Scenario,
    at: &Point,
    ts: &[Transition],
    end: &End,
    path: &[u16],
) -> Result<Vec<Confirmed>, String> {
    match end {
        End::StepBound | End::TooManyThreads { .. } | End::Redundant => Ok(Vec::new()),
        End::Exited if at.state.tasks.is_empty() => Ok(Vec::new()),
        End::Exited => Err(format!("every thread exited but the reference still has tasks {:?}", at.slots)),
        End::Stuck { main_alive, blocked } => {
            if !ts.is_empty() {
                return Err(format!(
                    "the engine is stuck but the reference can still take {} steps",
                    ts.len()
                ));
            }
            let mut stuck: Vec<Instance> = blocked.iter().map(|b| b.task).collect();
            stuck.sort_unstable();
            let mut live = at.slots.clone();
            live.sort_unstable();
            if stuck != live {
                return Err(format!("blocked tasks {stuck:?} but the reference has {live:?} left"));
            }
            let main = at.state.tasks.iter().any(|t| t.func == p.main);
            if main != *main_alive {
                return Err(format!("main alive: engine {main_alive}, reference {main}"));
            }
            Ok(dead(p, at, path))
        }
        End::Panic { task, at: place, message } => {
            // A task spawned by the step that panicked is not live before it.
            let func = at.slot(*task).map(|slot| at.state.tasks[slot as usize].func);
            // The step that panicked is not in the log: any step of the
            // reference that panics the same way in the same task ends it.
            for (k, t) in ts.iter().enumerate() {
                if let Err(e) = apply(p, &at.state, t, scenario) {
                    let same = e.kind == FindingKind::Panic
                        && func.is_none_or(|f| e.func == f)
                        && e.detail == *message;
                    if same && e.at == Some(*place) {
                        let mut full = path.to_vec();
                        full.push(k as u16);
                        return Ok(vec![panic_finding(e, full)]);
                    }
                }
            }
            Err(format!("the engine panicked with {message:?} at {place:?}; no step of the reference does"))
        }
    }
}

fn panic_finding(e: Event, path: Vec<u16>) -> Confirmed {
    Confirmed { kind: FindingKind::Panic, funcs: vec![e.func], detail: e.detail, at: e.at, path }
}

/// The findings of a reference state where nothing moves, as the native
/// prover words them: a deadlock while `main` lives, else a leak per task.
fn dead(p: &Program, at: &Point, path: &[u16]) -> Vec<Confirmed> {
    let main = at.state.tasks.iter().any(|t| t.func == p.main);
    let mut funcs: Vec<u16> = at.state.tasks.iter().map(|t| t.func).collect();
    funcs.sort_unstable();
    funcs.dedup();
    let finding =
        |kind, funcs| Confirmed { kind, funcs, detail: String::new(), at: None, path: path.to_vec() };
    if main {
        vec![finding(FindingKind::Deadlock, funcs)]
    } else {
        funcs.into_iter().map(|f| finding(FindingKind::Leak, vec![f])).collect()
    }
}
