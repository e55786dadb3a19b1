//! The threads: one per task and one for the environment, each taking steps
//! under the platform's lock and waiting on its condition variable when it
//! cannot move; and the detection of an execution in which nothing can move.
//!
//! A task that finds it cannot move marks itself blocked at the world's
//! current version; one that can only take a time-driven step marks itself
//! idle, then lets go of the lock once before taking it, so that the
//! environment can fire in between (the completion and error scenarios fire
//! only when every task is blocked or idle). Every step bumps the version, so
//! marks are only trusted in the state where they were made.

use crate::contexts::Event;
use crate::plan::Plan;
use crate::world::World;
use crate::{Blocked, End, Instance, Outcome, Platform, Sleeper};
use leash_semantics::Scenario;

/// What one attempt of a task to move did.
enum Attempt {
    /// It took a step (or panicked, or hit a bound: see [`World::halted`]).
    Moved,
    /// It can only take a time step and marked itself idle: it lets go of
    /// the lock once before taking the step.
    Idle,
    /// It cannot move; `fresh` when it found so in this version.
    Blocked {
        /// Whether the mark is new.
        fresh: bool,
    },
}

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
    drop(w);
    task_loop(p, 0);
    let mut w = p.lock();
    while w.threads_running > 0 {
        w = p.wait(w, Sleeper::JOIN);
    }
    Outcome { log: w.log.clone(), end: w.end.clone().unwrap_or(End::Exited) }
}

/// The thread of a spawned task.
fn task_thread<P: Platform>(p: &P, me: Instance) {
    task_loop(p, me);
    let mut w = p.lock();
    finish_thread(p, &mut w);
}

/// A spawned or environment thread is done: the last one wakes the caller of `run`.
fn finish_thread<P: Platform>(p: &P, w: &mut World) {
    w.threads_running -= 1;
    if w.threads_running == 0 {
        p.wake(Sleeper::JOIN);
    }
}

/// Takes task `me`'s steps until it exits or the execution halts.
fn task_loop<P: Platform>(p: &P, me: Instance) {
    let mut w = p.lock();
    while !w.halted() && !w.task(me).exited {
        match attempt(p, &mut w, me) {
            Attempt::Moved | Attempt::Idle => {
                wake_changed(p, &mut w);
                drop(w);
                w = p.lock();
            }
            Attempt::Blocked { fresh } => {
                if fresh {
                    wake_changed(p, &mut w);
                }
                if !w.halted() {
                    w = p.wait(w, Sleeper::task(me));
                }
            }
        }
    }
}

/// After the world changed (or a task marked itself blocked or idle): every
/// blocked task that can move now is woken, the others are marked blocked
/// in the new state; the environment is woken when it has something to fire
/// or nothing left to wait for; on a halt, everyone is woken.
fn wake_changed<P: Platform>(p: &P, w: &mut World) {
    refresh_blocked(p, w);
    // The task that moved may have exited, leaving only blocked ones.
    w.check_stuck();
    if w.halted() {
        for t in w.live().collect::<Vec<_>>() {
            p.wake(Sleeper::task(t));
        }
        p.wake(Sleeper::ENVIRONMENT);
        return;
    }
    if w.environment {
        let due = w.config.scenario == Scenario::Cancel || w.quiet();
        if w.live().next().is_none() || (due && !w.events().is_empty()) {
            p.wake(Sleeper::ENVIRONMENT);
        }
    }
}

/// Every blocked task that can move now is woken; the others are marked
/// blocked in the current state.
fn refresh_blocked<P: Platform>(p: &P, w: &mut World) {
    if w.halted() {
        return;
    }
    let version = w.version;
    let blocked: Vec<Instance> = w.live().filter(|&t| w.task(t).blocked_at.is_some()).collect();
    for t in blocked {
        if matches!(w.plan(t), Plan::Blocked) {
            w.task_mut(t).blocked_at = Some(version);
        } else {
            w.task_mut(t).blocked_at = None;
            p.wake(Sleeper::task(t));
        }
    }
}

/// One try of task `me` to move in the current state.
fn attempt<P: Platform>(p: &P, w: &mut World, me: Instance) -> Attempt {
    let version = w.version;
    if w.task(me).blocked_at == Some(version) {
        return Attempt::Blocked { fresh: false };
    }
    let (moves, time) = match w.plan(me) {
        Plan::Blocked => {
            w.task_mut(me).blocked_at = Some(version);
            return Attempt::Blocked { fresh: true };
        }
        Plan::Panic(message) => {
            let at = w.at(me);
            w.halt(End::Panic { task: me, at, message });
            return Attempt::Moved;
        }
        Plan::Ready { moves, time } => (moves, time),
    };
    if time && w.task(me).idle_at != Some(version) && w.idle_matters() {
        w.task_mut(me).idle_at = Some(version);
        return Attempt::Idle;
    }
    if w.log.len() >= w.config.max_steps {
        w.halt(End::StepBound);
        return Attempt::Moved;
    }
    let k = if moves.len() >= 2 { p.choose(moves.len()) } else { 0 };
    match w.take(me, moves[k]) {
        Ok(entry) => {
            p.record(&entry);
            w.push(entry);
            for child in std::mem::take(&mut w.starts) {
                w.threads_running += 1;
                let q = p.clone();
                p.spawn(move || task_thread(&q, child));
            }
        }
        Err(end) => w.halt(end),
    }
    Attempt::Moved
}

/// The environment's thread: fires the signal and deadlines, at any moment
/// in the cancel scenario, only while every task is blocked or idle in the
/// others.
fn environment<P: Platform>(p: &P) {
    let mut w = p.lock();
    while !w.halted() && w.live().next().is_some() {
        let events = if w.config.scenario == Scenario::Cancel || w.quiet() { w.events() } else { Vec::new() };
        if events.is_empty() {
            w.check_stuck();
            if w.halted() {
                wake_changed(p, &mut w);
                break;
            }
            w = p.wait(w, Sleeper::ENVIRONMENT);
            continue;
        }
        if w.log.len() >= w.config.max_steps {
            w.halt(End::StepBound);
            wake_changed(p, &mut w);
            break;
        }
        let k = if events.len() >= 2 { p.choose(events.len()) } else { 0 };
        fire(p, &mut w, events[k]);
        wake_changed(p, &mut w);
        drop(w);
        w = p.lock();
    }
    finish_thread(p, &mut w);
}

/// Fires an event and logs it.
fn fire<P: Platform>(p: &P, w: &mut World, e: Event) {
    let entry = w.fire(e);
    p.record(&entry);
    w.push(entry);
}

impl World {
    /// Whether a task about to take a time step must first let the
    /// environment fire: an environment that waits for idleness exists and
    /// may have something to fire.
    fn idle_matters(&self) -> bool {
        self.environment && self.config.scenario != Scenario::Cancel && self.may_fire()
    }

    /// Whether every live task is blocked or idle in the current state.
    fn quiet(&self) -> bool {
        let v = Some(self.version);
        self.live().all(|t| self.task(t).blocked_at == v || self.task(t).idle_at == v)
    }

    /// Ends the execution as stuck when every live task is blocked in the
    /// current state and the environment has nothing to fire (if the
    /// configuration asks for it).
    fn check_stuck(&mut self) {
        if !self.config.detect_stuck || self.halted() {
            return;
        }
        let v = Some(self.version);
        let live: Vec<Instance> = self.live().collect();
        if live.is_empty() || live.iter().any(|&t| self.task(t).blocked_at != v) {
            return;
        }
        if self.environment && !self.events().is_empty() {
            return;
        }
        let blocked =
            live.iter().map(|&t| Blocked { task: t, func: self.task(t).func, at: self.at(t) }).collect();
        self.halt(End::Stuck { main_alive: live.first() == Some(&0), blocked });
    }
}
