//! The threads: one per task, each taking its task's instant steps under the
//! platform's lock and waiting on its own condition variable while the task
//! cannot move; and, when the signal may come at any moment (outside the
//! completion scenario), one for the environment, which sends it whenever
//! the library schedules it. Time has no thread: it is made to pass by
//! whichever thread holds the lock when it may.
//!
//! - After every step (and after the start), the thread that took it looks
//!   at the world. When no task can move, time must pass (or the signal may
//!   come instead): it picks which timed step comes first
//!   ([`Platform::choose`]) and takes it, and so on while the world stays
//!   that way. Nothing is lost by not letting go of the lock: no other
//!   thread could take a step in between.
//! - A polling task (a loop round a `select` with only `default` ready, or a
//!   `yield`) does not hold time back: when no task is urgent, its thread
//!   chooses between polling and letting time pass.
//!
//! Then the threads that can now do something are woken, and an execution
//! in which nothing can move ends. Whether a task can move, and whether time
//! may pass, is read off the world, never off the threads: a task just
//! spawned whose thread has not run yet still holds time back.

use crate::plan::Plan;
use crate::time::Event;
use crate::world::World;
use crate::{Blocked, End, Entry, Instance, Outcome, Platform, Sleeper};

/// Runs an execution on the calling thread; see [`crate::run`].
pub(crate) fn run<P: Platform>(p: &P) -> Outcome {
    let mut w = p.lock();
    if let Err(end) = w.start() {
        w.halt(end);
    }
    if !w.halted() && w.environment {
        let needed = w.threads_asked + 1;
        if needed > w.config.max_threads {
            w.halt(End::TooManyThreads { needed });
        } else {
            w.threads_asked = needed;
            w.threads_running += 1;
            let q = p.clone();
            p.spawn(move || environment(&q));
        }
    }
    after_step(p, &mut w);
    let mut w = task_loop(p, w, 0);
    while w.threads_running > 0 {
        w = p.wait(w, Sleeper::JOIN);
    }
    Outcome { log: w.log.clone(), end: w.end.clone().unwrap_or(End::Exited) }
}

/// The thread of a spawned task.
fn task_thread<P: Platform>(p: &P, me: Instance) {
    let mut w = task_loop(p, p.lock(), me);
    finish_thread(p, &mut w);
}

/// A spawned or environment thread is done: the last one wakes the caller of `run`.
fn finish_thread<P: Platform>(p: &P, w: &mut World) {
    w.threads_running -= 1;
    if w.threads_running == 0 {
        p.wake(Sleeper::JOIN);
    }
}

/// The environment's thread: sends the signal at the moment the library
/// schedules it, once it can come; its work is then done.
fn environment<P: Platform>(p: &P) {
    let mut w = p.lock();
    while !w.halted() && !w.signalled && w.live().next().is_some() {
        if !w.signal_any_moment() {
            w.environment_asleep = true;
            w = p.wait(w, Sleeper::ENVIRONMENT);
            w.environment_asleep = false;
        } else if !at_bound(p, &mut w) {
            let result = w.happen(Event::Signal);
            record(p, &mut w, result);
        }
    }
    finish_thread(p, &mut w);
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
        let plan = w.plan(me);
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
                let at = w.at(me);
                w.halt(End::Panic { task: me, at, message });
                after_step(p, &mut w);
            }
            Plan::Ready(_) if at_bound(p, &mut w) => {}
            Plan::Ready(ref moves) => {
                // A polling task lets time pass when nothing else holds it back.
                let plans = w.plans();
                let time = if w.polls(me, &plan) && w.quiet(&plans) { w.timed(&plans) } else { Vec::new() };
                let n = moves.len() + time.len();
                let k = if n >= 2 { p.choose(n) } else { 0 };
                let result = match moves.get(k) {
                    Some(&mv) => w.take(me, mv, false),
                    None => w.happen(time[k - moves.len()]),
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

/// Logs a step (or ends the execution as the step said), starts the
/// threads of the tasks it spawned, and goes on as after every step.
fn record<P: Platform>(p: &P, w: &mut World, result: Result<Entry, End>) {
    match result {
        Ok(entry) => {
            p.record(&entry);
            w.log.push(entry);
            for child in std::mem::take(&mut w.starts) {
                w.threads_running += 1;
                let q = p.clone();
                p.spawn(move || task_thread(&q, child));
            }
        }
        Err(end) => w.halt(end),
    }
    after_step(p, w);
}

/// After the world changed: time passes while no task can move (or the
/// signal comes instead), an execution in which nothing can move ends (when
/// the runtime detects it); then every sleeping thread that can now do
/// something is woken: a task thread whose task can move or has exited, the
/// environment's once the signal can come or nothing is left to wait for (on
/// a halt, every sleeping thread).
fn after_step<P: Platform>(p: &P, w: &mut World) {
    while !w.halted() {
        let plans = w.plans();
        if w.movers(&plans) {
            break;
        }
        let mut events = w.timed(&plans);
        if w.signal_any_moment() {
            events.push(Event::Signal);
        }
        if events.is_empty() {
            w.check_stuck();
            break;
        }
        if w.log.len() >= w.config.max_steps {
            w.halt(End::StepBound);
            break;
        }
        let k = if events.len() >= 2 { p.choose(events.len()) } else { 0 };
        match w.happen(events[k]) {
            Ok(entry) => {
                p.record(&entry);
                w.log.push(entry);
            }
            Err(end) => w.halt(end),
        }
    }
    let halted = w.halted();
    for t in 0..w.tasks.len() as Instance {
        if w.task(t).asleep && (halted || w.task(t).exited || w.plan(t).moves()) {
            w.task_mut(t).asleep = false;
            p.wake(Sleeper::task(t));
        }
    }
    if w.environment_asleep && (halted || w.live().next().is_none() || w.signal_any_moment()) {
        w.environment_asleep = false;
        p.wake(Sleeper::ENVIRONMENT);
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
