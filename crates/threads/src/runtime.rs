//! The threads: one per task, each taking its task's instant steps under the
//! platform's lock and waiting ([`Platform::wait`]) while the task cannot
//! move. Time and the environment have no thread: they are made to
//! happen by whichever thread holds the lock when they may.
//!
//! - After every step (and after the start), the thread that took it looks
//!   at the world. When no task can move, time must pass (or, outside
//!   completion, the signal may come instead): it picks which comes first
//!   ([`Platform::choose`]) and takes it, and so on while the world stays
//!   that way. Nothing is lost by not letting go of the lock: no other
//!   thread could take a step in between. When tasks can move, it chooses
//!   whether the signal (outside the completion scenario), or the deadline
//!   of a context that time has passed since it was made, a timer that time
//!   has passed since it was armed (and in completion the signal once time
//!   has passed: [`World::aged_steps`]) comes now,
//!   before any of them moves, unless these sleep: once offered and not
//!   taken, they are offered again only after a step that may not commute
//!   with them ([`World::meets_signal`]); every other step gives the same world
//!   whichever side of it the signal lands, and the runs in which it came
//!   first explore what follows (a sleep set for the environment's one
//!   step). Right after a timed step, it chooses whether another timed
//!   step comes at the same instant (a tie), before the tasks woken move (a
//!   tick only when the task it wakes shares an object: `ties.rs`).
//! - A polling task (a loop round a `select` with only `default` ready, or a
//!   `yield`) does not hold time back: when no task is urgent, its thread
//!   chooses between polling and letting time pass.
//!
//! Then the threads whose tasks can move now are woken, and an execution in
//! which nothing can move ends. Whether a task can move, and whether time may
//! pass, is read off the world, never off the threads: a task just spawned
//! whose thread has not run yet still holds time back.
//!
//! An environment thread sending the signal at the moment the library
//! schedules it would explore the same moments, but the library would also
//! explore every placement of that thread's own operations among the
//! others', most of them giving the same log; a choice after each step costs
//! far fewer executions (`docs/engines.md`).

use crate::plan::Plan;
use crate::time::Event;
use crate::world::World;
use crate::{Blocked, End, Entry, Instance, Outcome, Platform, Sleeper};

/// Runs an execution on the calling thread; see [`crate::run`].
pub(crate) fn run<P: Platform>(p: &P) {
    let mut w = p.lock();
    w.threads_running = 1;
    if let Err(end) = w.start() {
        w.halt(end);
    }
    after_step(p, &mut w);
    let mut w = task_loop(p, w, 0);
    if P::WAITS_FOR_THREADS {
        while w.threads_running > 1 {
            w = p.wait(w, Sleeper::JOIN);
        }
    }
    thread_done(p, w);
}

/// The thread of a spawned task.
fn task_thread<P: Platform>(p: &P, me: Instance) {
    let w = task_loop(p, p.lock(), me);
    thread_done(p, w);
}

/// A thread is done: the last one to finish hands the outcome to the
/// platform; on a platform that waits for its threads, the one before it
/// wakes the caller of `run`.
fn thread_done<'a, P: Platform>(p: &'a P, mut w: P::Guard<'a>) {
    w.threads_running -= 1;
    match w.threads_running {
        0 => {
            let outcome = Outcome {
                log: std::mem::take(&mut w.log),
                end: w.end.take().unwrap_or(End::Exited),
                orphans: std::mem::take(&mut w.orphans),
            };
            drop(w);
            p.finish(outcome);
        }
        1 if P::WAITS_FOR_THREADS => p.wake(Sleeper::JOIN),
        _ => {}
    }
}

/// Takes task `me`'s instant steps until it exits or the execution halts,
/// and returns the lock still held; waits while the task cannot move (the
/// steps that complete its parked operation or end its wait for time are
/// taken by other threads). The lock is let go between two steps, not
/// between a step and the wait that follows it: nothing another thread could
/// do in between would let the task move without waking it.
fn task_loop<'a, P: Platform>(p: &'a P, mut w: P::Guard<'a>, me: Instance) -> P::Guard<'a> {
    let mut stepped = false;
    while !w.halted() && !w.task(me).exited {
        w.touched_ctx.set(false);
        let plan = w.plan(me);
        let plan_touched_ctx = w.touched_ctx.get();
        match plan {
            Plan::Blocked => {
                w.task_mut(me).asleep = true;
                w = p.wait(w, Sleeper::task(me));
                w.task_mut(me).asleep = false;
            }
            Plan::Ready(_) | Plan::Panic(_) if std::mem::take(&mut stepped) => {
                // A scheduling point between two steps of this task.
                drop(w);
                w = p.lock();
            }
            Plan::Panic(message) => {
                let result = w.take_panic(me, message);
                record(p, &mut w, result);
                stepped = true;
            }
            Plan::Ready(_) if at_bound(p, &mut w) => {}
            Plan::Ready(ref moves) => {
                // A polling task lets time pass when nothing else holds it back.
                let plans = w.plans();
                let time = if w.polls(me, &plan) && w.quiet(&plans) { w.timed(&plans) } else { Vec::new() };
                let n = moves.len() + time.len();
                let k = if n >= 2 { p.choose(n) } else { 0 };
                w.touched_ctx.set(plan_touched_ctx);
                let result = match moves.get(k) {
                    Some(&mv) => w.take(me, mv, false),
                    None => w.happen(time[k - moves.len()], true),
                };
                record(p, &mut w, result);
                stepped = true;
            }
        }
    }
    w
}

/// Whether the execution has taken its [`crate::Config::max_steps`]: then it
/// ends there, before another step.
fn at_bound<P: Platform>(p: &P, w: &mut World) -> bool {
    if w.log.len() < w.config.max_steps {
        return false;
    }
    w.halt(End::StepBound);
    after_step(p, w);
    true
}

/// Logs a step (or ends the execution as the step said) and goes on as
/// after every step.
fn record<P: Platform>(p: &P, w: &mut World, result: Result<Entry, End>) {
    match result {
        Ok(entry) => {
            if w.meets_signal(&entry) {
                w.signal_asleep = false;
            }
            log(p, w, entry);
        }
        Err(end) => w.halt(end),
    }
    after_step(p, w);
}

/// Appends an entry to the log, and ends the execution at once if the
/// platform finds it redundant.
fn log<P: Platform>(p: &P, w: &mut World, entry: Entry) {
    let new = p.record(&entry);
    w.log.push(entry);
    if !new {
        w.halt(End::Redundant);
    }
}

/// After the world changed: time passes while no task can move (or the
/// signal comes instead), a timed step but a tick may come at the instant
/// one just did, outside completion the signal may come now, an
/// execution in which nothing can move ends (when the runtime detects it);
/// then every sleeping task thread whose task can move, or has exited, is
/// woken (on a halt, every sleeping thread), and a task that can move for
/// the first time gets its thread. A task whose first steps are timed ones
/// (it starts with `work`, say) has no thread until then: one that took the
/// lock only to find it cannot move would be an interleaving the library
/// explores for nothing.
fn after_step<P: Platform>(p: &P, w: &mut World) {
    while !w.halted() {
        let plans = w.plans();
        let walks = w.walks();
        let event = if w.movers(&plans) {
            // Tasks can move; a timed step may still come at the instant
            // one just came (while a task is urgent: otherwise the pollers
            // let time pass), and the signal, or a deadline (or in
            // completion the signal) that time has passed since it was
            // made, or a timer since it was armed, may come first.
            let quiet = w.quiet(&plans);
            let mut events = if quiet { Vec::new() } else { w.ties(&plans) };
            let ties = events.len();
            let mut any_moment = if quiet || w.instant { Vec::new() } else { w.aged_steps() };
            if w.signal_any_moment() {
                any_moment.push(Event::Signal);
            }
            let offered = !w.signal_asleep && !any_moment.is_empty();
            if offered {
                events.extend(any_moment);
            }
            // Short timers and tickers never sleep: they are offered after
            // every step, and so is the walk of a cancellation (the
            // canceller's goroutine running).
            events.extend(w.short_fires());
            events.extend(walks.iter().map(|&c| Event::Walk(c)));
            let k = if events.is_empty() { 0 } else { p.choose(events.len() + 1) };
            let event = k.checked_sub(1).map(|k| (events[k], k < ties));
            if offered && event.is_none_or(|(_, timed)| timed) {
                w.signal_asleep = true;
            }
            event
        } else if !walks.is_empty() {
            // Nothing else moves: a cancellation walking comes before time.
            let k = if walks.len() >= 2 { p.choose(walks.len()) } else { 0 };
            Some((Event::Walk(walks[k]), false))
        } else {
            let mut events = w.timed(&plans);
            let timed = events.len();
            events.extend(w.short_fires());
            if w.signal_any_moment() {
                events.push(Event::Signal);
            }
            if events.is_empty() {
                w.check_stuck();
                None
            } else {
                let k = if events.len() >= 2 { p.choose(events.len()) } else { 0 };
                Some((events[k], k < timed))
            }
        };
        let Some((e, timed)) = event else { break };
        if w.log.len() >= w.config.max_steps {
            w.halt(End::StepBound);
            break;
        }
        // An event wakes the cancellations that may come at any moment:
        // time passing, or one of them.
        w.signal_asleep = false;
        match w.happen(e, timed) {
            Ok(entry) => log(p, w, entry),
            Err(end) => w.halt(end),
        }
    }
    let halted = w.halted();
    for t in 0..w.tasks.len() as Instance {
        let task = w.task(t);
        if task.asleep && (halted || task.exited || w.plan(t).moves()) {
            w.task_mut(t).asleep = false;
            p.wake(Sleeper::task(t));
        } else if !task.thread && !halted && !task.exited && w.plan(t).moves() {
            w.task_mut(t).thread = true;
            w.threads_running += 1;
            let q = p.clone();
            p.spawn(move || task_thread(&q, t));
        }
    }
}

impl World {
    /// Ends the execution as stuck, if the configuration asks for it and
    /// tasks are left: the caller found that no task can move, no time can
    /// pass and the signal cannot come.
    fn check_stuck(&mut self) {
        let live: Vec<Instance> = self.live().collect();
        if !self.config.detect_stuck || live.is_empty() {
            return;
        }
        let blocked =
            live.iter().map(|&t| Blocked { task: t, func: self.task(t).func, at: self.at(t) }).collect();
        self.halt(End::Stuck { main_alive: live.first() == Some(&0), blocked });
    }
}
