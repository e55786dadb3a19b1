//! Steps: which transitions a state enables, and the state after one.
//!
//! A transition is one visible instruction of one task (plus the silent
//! instructions that follow it), or one event of time or of the environment.
//! Instant steps take no time; time passes only when no task can take one
//! (or every task that can is polling in a loop): then `work` and `sleep`
//! end, timers fire, tickers tick, deadlines expire and `after` cases fire. The signal
//! arrives when time passes in the completion scenario, and at any moment in
//! the others.

mod chan;
mod exec;
mod map_race;
mod ready;
mod ties;

use crate::state::{CtxKind, Object, State, Task, Value};
use crate::{Event, Scenario};
use exec::Exec;
use leash_ir::{Instr, Program};
pub(crate) use map_race::MAP_WRITING;
use ready::{task_moves, timed_moves};
use std::sync::Arc;

pub(crate) use chan::queues;
pub(crate) use ready::{cond_waiters, line_of};

/// Who moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The task in this slot.
    Task(u16),
    /// The environment sends the signal.
    Signal,
    /// The deadline of the context at this heap index fires.
    Deadline(u16),
    /// The timer at this heap index fires, or the ticker there ticks.
    Fire(u16),
    /// The cancellation of the context at this heap index, whose done
    /// channel it closed, walks down to its children: an instant step of
    /// the goroutine that cancels (see [`crate::Object::Ctx`]'s `walking`).
    Walk(u16),
}

/// One enabled step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Who moves.
    pub actor: Actor,
    /// The select case taken (`cases.len()` for `default`; [`Transition::PARK`]
    /// when the task parks); 0 otherwise.
    pub case: u16,
    /// Which alternative: a work outcome (0 ok, 1 err), a `choose` branch,
    /// the case a timer's or ticker's first parked receiver takes.
    pub alt: u16,
    /// The parked task met on a channel: its slot and its select case
    /// (`u16::MAX` for a plain send or receive).
    pub partner: Option<(u16, u16)>,
    /// Whether it happens only when time passes (work ending, `sleep`,
    /// `after`, timers, tickers, deadlines, the signal in completion).
    pub time: bool,
    /// A step held back by maximal progress (see [`held_back`]) that lets
    /// time pass for its own timer, ticker or deadline only: taken on a
    /// cycle of instant steps that makes or resets another timed object,
    /// which is then due a whole delay after it was made, not at once.
    pub narrow: bool,
}

impl Transition {
    /// The `case` of a step that parks its task in the wait queues.
    pub const PARK: u16 = u16::MAX;

    /// The `alt` of a map loop's step that ends the loop; any other `alt`
    /// takes the map's entry at that position.
    pub const MAP_END: u16 = u16::MAX;

    pub(crate) fn task(slot: usize) -> Transition {
        Transition {
            actor: Actor::Task(slot as u16),
            case: 0,
            alt: 0,
            partner: None,
            time: false,
            narrow: false,
        }
    }

    /// Whether this step parks its task.
    pub fn parks(&self) -> bool {
        self.case == Transition::PARK && matches!(self.actor, Actor::Task(_))
    }
}

/// The result of a step.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The canonical state after the step.
    pub state: State,
    /// Owner-rule warnings the step raised.
    pub events: Vec<Event>,
    /// Functions of the tasks the step spawned, in order (appended after the
    /// live tasks before `exited` are removed).
    pub spawned: Vec<u16>,
    /// Slots (before removal, counting spawned tasks) of the tasks that exited.
    pub exited: Vec<u16>,
    /// For each heap index during the step: its index after, or `u16::MAX` if
    /// the object was collected. Lets a viewer follow objects across steps.
    pub heap_map: Vec<u16>,
    /// The heap indices, one bit each, at which the state after the step
    /// holds a timer, ticker or context with a deadline that is not the one
    /// armed there before it: one the step made or reset (its time starts
    /// afresh), or one the heap's collection moved there. A key naming such
    /// an index does not name one object armed all along. Every bit when
    /// one is past index 63.
    pub renamed: u64,
}

impl Applied {
    /// Whether `renamed` (see [`Applied::renamed`], or a union of such
    /// masks) names heap index `o` anew: its bit, or past index 63 any bit.
    pub fn names_anew(renamed: u64, o: u16) -> bool {
        if o < 64 {
            renamed & 1 << o != 0
        } else {
            renamed != 0
        }
    }
}

/// A new task running `func`, owned by `owner`.
pub(crate) fn new_task(func: u16, owner: Option<u16>, group: Option<u16>, frame: crate::Frame) -> Arc<Task> {
    Arc::new(Task {
        func,
        owner,
        group,
        phase: 0,
        wait: 0,
        spin: 0,
        seen: false,
        frames: vec![frame],
        panic: None,
    })
}

/// The initial state: model-level variables initialised, `main` started.
pub fn initial(p: &Program) -> Result<Applied, Event> {
    let heap = p.globals.iter().map(|g| Object::Cell { value: Value::Unit, range: g.range }).collect();
    let mut x = Exec {
        p,
        s: State { tasks: Vec::new(), heap, signalled: false, instant: false },
        events: Vec::new(),
        spawned: Vec::new(),
        exits: Vec::new(),
        rearmed: Vec::new(),
        objects: 0,
        closes: false,
        waits_moved: false,
        mover: None,
        landed: None,
    };
    x.s.tasks.push(new_task(p.init, None, None, x.frame(p.init, &[])));
    let mut budget = 100_000;
    while !x.s.tasks[0].frames.is_empty() {
        budget -= 1;
        let blocks = !matches!(x.instr(0), Instr::Assign { .. } | Instr::New { .. } | Instr::Return { .. });
        if budget == 0 || blocks {
            return Err(x.fault(0, "model-level initialisation must not block".into()));
        }
        x.exec(0, &Transition::task(0)).map_err(|f| x.fault(0, f))?;
    }
    x.s.tasks.clear();
    x.exits.clear();
    let frame = x.frame(p.main, &[]);
    x.s.tasks.push(new_task(p.main, None, None, frame));
    x.run_ahead(0).map_err(|f| x.fault(0, f))?;
    x.finish(vec![p.main])
}

/// Every transition enabled in `s` under `scenario`, in a fixed order: the
/// instant steps of tasks by slot (cases, partners and alternatives in
/// order); then, when time may pass, the timed steps of tasks by slot and the
/// timers, tickers and deadlines by heap index; then the signal.
///
/// Time may pass when no task is *urgent*: one that can take an instant
/// step, unless it is polling in a loop (see [`polls`]).
pub fn enabled(p: &Program, s: &State, scenario: Scenario) -> Vec<Transition> {
    let mut out = Vec::new();
    let walks: Vec<u16> = walks(s).collect();
    let (waiting, urgent) = instant_steps(p, s, !walks.is_empty(), &mut out);
    // Maximal progress: time passes when no task is urgent. Right after a
    // timed step, another may come at the same instant, before the tasks
    // woken move, so that they race with each other (two timers that expire
    // in one pass of Go's timers, then update shared state); a tick only when
    // the task it wakes shares an object with another task (see [`ties`]).
    // A short timer armed fires before any long timed step.
    // A cancellation walking down to its children is a goroutine running:
    // time waits for it.
    let urgent = urgent || !walks.is_empty();
    out.extend(walks.into_iter().map(|c| env_step(Actor::Walk(c), false)));
    let tie = urgent && s.instant;
    if (!urgent || tie) && !(p.short_timers && short_timer_armed(s)) {
        let ticks = if tie { Ticks::Tying } else { Ticks::All };
        timed_steps(p, s, scenario, &waiting, ticks, &mut out);
    } else if urgent && !s.instant {
        for actor in aged_steps(s, scenario) {
            env_steps(p, s, actor, false, &mut out);
        }
    }
    if p.short_timers {
        for actor in short_fires(s) {
            env_steps(p, s, actor, false, &mut out);
        }
    }
    if scenario != Scenario::Completion && signal_pending(s) {
        out.push(env_step(Actor::Signal, false));
    }
    out
}

/// The timed steps that maximal progress holds back in `s` (none when time
/// may pass there): those [`enabled`] would give were no task urgent.
///
/// Go's clock runs while tasks take instant steps, so in a state on a cycle
/// of instant steps (two tasks handing values over for ever) time does pass:
/// a search that finds such a cycle takes these steps from its states too
/// (docs/semantics.md, Time). A path names one of them by its index after
/// the enabled steps (see [`path_steps`]).
///
/// Each comes twice, the second [`Transition::narrow`]: time passes for
/// every timed object armed, or for the step's own only. The search knows
/// which the cycle allows: a timer made on every round of the cycle has not
/// run long when another fires beside it
/// (`a_timer_made_on_a_hot_cycle_is_not_aged_by_a_deadline_beside_it`).
pub fn held_back(p: &Program, s: &State, scenario: Scenario) -> Vec<Transition> {
    let mut out = Vec::new();
    let (waiting, urgent) = instant_steps(p, s, walks(s).next().is_some(), &mut out);
    out.clear();
    if urgent && !s.instant {
        timed_steps(p, s, scenario, &waiting, Ticks::All, &mut out);
        let enabled: Vec<Actor> = aged_steps(s, scenario).collect();
        out.retain(|t| !enabled.contains(&t.actor));
        out = out.into_iter().flat_map(|t| [t, Transition { narrow: true, ..t }]).collect();
    }
    out
}

/// The deadlines, the timers, and in completion the signal, that may land
/// between two instant steps: those of contexts that time has passed since
/// they were made, and of timers since they were armed (`aged`). Go cancels
/// from a goroutine of its own (`time.AfterFunc`), so a deadline that
/// expired at the instant of a timed step lands anywhere among the steps of
/// the tasks that step woke; and its timer pass reads the clock once, so a
/// timer due just after it fires at the next scheduling point, among them
/// too (`a_timer_due_with_another_may_fire_after_its_handoff`).
fn aged_steps(s: &State, scenario: Scenario) -> impl Iterator<Item = Actor> + '_ {
    let deadlines = s.heap.iter().enumerate().filter_map(move |(i, o)| match o {
        Object::Ctx { kind: CtxKind::Timeout, aged: true, .. } if !s.ctx_done(i as u16) => {
            Some(Actor::Deadline(i as u16))
        }
        Object::Timer { aged: true, .. } => Some(Actor::Fire(i as u16)),
        _ => None,
    });
    let signal = scenario == Scenario::Completion
        && !s.signalled
        && s.heap.iter().any(|o| matches!(o, Object::Ctx { kind: CtxKind::Signal, aged: true, .. }));
    deadlines.chain(signal.then_some(Actor::Signal))
}

/// Every step a path may take from `s`, as paths number them: those
/// [`enabled`], then those [`held_back`].
pub fn path_steps(p: &Program, s: &State, scenario: Scenario) -> Vec<Transition> {
    let mut out = enabled(p, s, scenario);
    out.extend(held_back(p, s, scenario));
    out
}

/// Appends every task's instant steps to `out` (`walking`: a cancellation
/// walks down to a context's children in `s`); returns the slots of the
/// tasks that have none, and whether some task is urgent.
fn instant_steps(p: &Program, s: &State, walking: bool, out: &mut Vec<Transition>) -> (Vec<usize>, bool) {
    let mut urgent = false;
    let mut waiting = Vec::new();
    for slot in 0..s.tasks.len() {
        let before = out.len();
        task_moves(p, s, slot, walking, out);
        if out.len() == before {
            waiting.push(slot);
        } else {
            urgent |= !polls(p, s, slot, &out[before..]);
        }
    }
    (waiting, urgent)
}

/// Which tickers' ticks are among the steps of time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ticks {
    /// Every running ticker's: time passes.
    All,
    /// Those that may tie with the timed step just taken ([`ties::tick_ties`]).
    Tying,
}

/// Appends the steps of time passing: the timed steps of the `waiting`
/// tasks, the timers, the tickers `ticks` picks and the deadlines, and in
/// completion the signal.
fn timed_steps(
    p: &Program,
    s: &State,
    scenario: Scenario,
    waiting: &[usize],
    ticks: Ticks,
    out: &mut Vec<Transition>,
) {
    for &slot in waiting {
        timed_moves(p, s, slot, scenario, out);
    }
    for actor in timed_objects(p, s, ticks) {
        env_steps(p, s, actor, true, out);
    }
    if scenario == Scenario::Completion && signal_pending(s) {
        out.push(env_step(Actor::Signal, true));
    }
}

/// The contexts whose cancellation is walking down to their children, by heap index.
fn walks(s: &State) -> impl Iterator<Item = u16> + '_ {
    (0..s.heap.len() as u16).filter(|&c| s.ctx_walking(c))
}

/// A step of time or of the environment.
fn env_step(actor: Actor, time: bool) -> Transition {
    Transition { actor, case: 0, alt: 0, partner: None, time, narrow: false }
}

/// The steps of `actor`: one, but for a timer or ticker whose first parked
/// receiver waits on it in several cases of one select, one per case (its
/// `alt`), as Go's timer hands its value to whichever of them is first in
/// the channel's queue (see `chan::first_in_line`).
fn env_steps(p: &Program, s: &State, actor: Actor, time: bool, out: &mut Vec<Transition>) {
    let cases = match actor {
        Actor::Fire(o) => chan::first_in_line(p, s, o, false).map_or(1, |(_, cases)| cases.len()),
        _ => 1,
    };
    out.extend((0..cases as u16).map(|alt| Transition { alt, ..env_step(actor, time) }));
}

/// Whether the model has a signal that has not arrived yet.
fn signal_pending(s: &State) -> bool {
    !s.signalled && s.heap.iter().any(|o| matches!(o, Object::Ctx { kind: CtxKind::Signal, .. }))
}

/// The short timers that may fire and the short tickers that may tick: at
/// any moment, not held back by maximal progress (a period or delay of a
/// few nanoseconds is no longer than a few statements), by heap index.
fn short_fires(s: &State) -> impl Iterator<Item = Actor> + '_ {
    s.heap.iter().enumerate().filter_map(|(i, o)| match o {
        Object::Timer { state, short: true, .. } if state.active() => Some(Actor::Fire(i as u16)),
        Object::Ticker { running: true, pending: false, short: true, .. } => Some(Actor::Fire(i as u16)),
        _ => None,
    })
}

/// Whether a short timer is armed: it fires before time passes for the
/// long timed steps (a short ticker, periodic, holds nothing back).
fn short_timer_armed(s: &State) -> bool {
    s.heap.iter().any(|o| matches!(o, Object::Timer { state, short: true, .. } if state.active()))
}

/// The long timers that fire, the long tickers that tick (those `ticks`
/// picks) and the deadlines that expire when time passes, by heap index.
///
/// At a tie, only those armed before the instant: one made or reset at it
/// (by a task the timed step woke) is due a whole delay on.
fn timed_objects<'a>(p: &'a Program, s: &'a State, ticks: Ticks) -> impl Iterator<Item = Actor> + 'a {
    let all = ticks == Ticks::All;
    s.heap.iter().enumerate().filter_map(move |(i, o)| match o {
        Object::Timer { state, short: false, aged, .. } if state.active() && (all || *aged) => {
            Some(Actor::Fire(i as u16))
        }
        Object::Ticker { running: true, pending: false, short: false, aged, .. }
            if all || *aged && ties::tick_ties(p, s, i as u16) =>
        {
            Some(Actor::Fire(i as u16))
        }
        Object::Ctx { kind: CtxKind::Timeout, aged, .. } if !s.ctx_done(i as u16) && (all || *aged) => {
            Some(Actor::Deadline(i as u16))
        }
        _ => None,
    })
}

/// Whether a timed step that may tie is pending in `s`: a task's (its
/// `work` or `sleep` ending, an `after` case of its select), a timer's, a
/// tick that may tie, a deadline's, or the signal not yet arrived (timed in
/// completion). An over-approximation (a select's task may have a case
/// ready), cheap enough for every timed step.
fn timed_pending(p: &Program, s: &State) -> bool {
    let mut moves = Vec::new();
    let tasks = (0..s.tasks.len()).filter(|&slot| !s.tasks[slot].frames.is_empty()).any(|slot| {
        moves.clear();
        timed_moves(p, s, slot, Scenario::Completion, &mut moves);
        !moves.is_empty()
    });
    tasks || timed_objects(p, s, Ticks::Tying).next().is_some() || signal_pending(s)
}

/// Whether the timed steps enabled in `s` come at the instant of the timed
/// step before (see [`enabled`]): one was just taken and a task is urgent.
fn ties(p: &Program, s: &State) -> bool {
    let walking = walks(s).next().is_some();
    s.instant && (walking || instant_steps(p, s, walking, &mut Vec::new()).1)
}

/// Whether task `slot`, whose instant steps are `moves`, is polling: it is
/// at a `yield`, or it has gone round a loop that polls since it last
/// waited and is back at a `select` whose only step is `default`. Go's
/// clock runs while a loop spins, so a polling task does not hold time back
/// (a one-shot `select` with `default` still happens at once). A `yield` is
/// Go's `runtime.Gosched`: the goroutine goes to the back of the global run
/// queue, and the scheduler runs the timers that are due before it, so time
/// may pass before it goes on, even the first time.
pub(crate) fn polls(p: &Program, s: &State, slot: usize, moves: &[Transition]) -> bool {
    match ready::instr_of(p, s, slot) {
        Instr::Yield => true,
        Instr::Select { cases, default: Some(_) } => {
            s.tasks[slot].spin != 0 && moves.len() == 1 && moves[0].case as usize == cases.len()
        }
        _ => false,
    }
}

/// Applies `t` to `s` under `scenario`. A run-time panic is returned as the error.
pub fn apply(p: &Program, s: &State, t: &Transition, scenario: Scenario) -> Result<Applied, Event> {
    let mut x = Exec {
        p,
        s: s.clone(),
        events: Vec::new(),
        spawned: Vec::new(),
        exits: Vec::new(),
        rearmed: Vec::new(),
        objects: s.heap.len(),
        closes: matches!(t.actor, Actor::Signal),
        waits_moved: false,
        mover: match t.actor {
            Actor::Task(slot) => Some(slot as usize),
            _ => None,
        },
        landed: None,
    };
    if t.time && !ties(p, s) {
        // Time passes (a tie comes at the instant of the step before it):
        // what was made before ages; for a narrow step, only its own object.
        // The signal's context ages only where the signal waits for time.
        let signal = scenario == Scenario::Completion;
        let own = match t.actor {
            Actor::Fire(o) | Actor::Deadline(o) => Some(o as usize),
            _ => None,
        };
        for (i, o) in x.s.heap.iter_mut().enumerate() {
            let passes = !t.narrow || own == Some(i);
            match o {
                // A ticker apart from an instant reads as aged (see below);
                // a narrow step leaves it as fresh as the rest.
                Object::Ticker { aged, .. } if !passes => *aged = false,
                _ if !passes && !matches!(o, Object::Ctx { kind: CtxKind::Signal, .. }) => {}
                Object::Ctx { kind, aged: aged @ false, .. } => {
                    *aged = *kind == CtxKind::Timeout || (*kind == CtxKind::Signal && signal);
                }
                Object::Timer { state, short: false, aged, .. } => *aged = state.active(),
                Object::Ticker { running, aged, .. } => *aged = *running,
                _ => {}
            }
        }
    }
    if t.time {
        x.s.tasks.iter_mut().filter(|task| task.spin != 0).for_each(|task| Arc::make_mut(task).spin = 0);
    }
    match t.actor {
        Actor::Signal => {
            // Each `signal()` context's cancellation walks down to its children.
            let roots: Vec<u16> = (0..x.s.heap.len() as u16)
                .filter(|&c| matches!(x.s.heap[c as usize], Object::Ctx { kind: CtxKind::Signal, .. }))
                .filter(|&c| !x.s.ctx_done(c) && x.s.ctx_has_children(c))
                .collect();
            x.s.signalled = true;
            for c in roots {
                if let Object::Ctx { walking, .. } = &mut x.s.heap[c as usize] {
                    *walking = true;
                }
            }
        }
        Actor::Deadline(c) => {
            x.cancel_ctx(c);
        }
        Actor::Walk(c) => x.walk(c).map_err(|(slot, f)| x.fault(slot, f))?,
        Actor::Fire(o) => x.fire(o, t.alt).map_err(|(slot, f)| x.fault(slot, f))?,
        Actor::Task(slot) => {
            let slot = slot as usize;
            // The mover's own panic unwinds it (a task it ran on never
            // faults in its step: see `run_ahead`).
            x.exec(slot, t).or_else(|f| x.start_panic(slot, f)).map_err(|f| x.fault(slot, f))?;
            x.run_ahead(slot).map_err(|f| x.fault(slot, f))?;
        }
    }
    // Only kept when it matters (another timed step is pending), so that
    // states differing only in it are rare.
    x.s.instant = t.time && timed_pending(p, &x.s);
    if !x.s.instant {
        // A ticker's freshness matters only to a tie; the next timed step
        // out of an instant lets time pass and ages every running ticker,
        // so states apart from an instant do not tell them apart.
        for o in &mut x.s.heap {
            if let Object::Ticker { running, aged, .. } = o {
                *aged = *running;
            }
        }
    }
    let spawned = x.spawned.iter().map(|&s| x.s.tasks[s].func).collect();
    x.finish(spawned)
}
