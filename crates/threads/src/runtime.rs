//! The threads: one per task, taking the task's instant steps, and one for
//! the environment, which lets time pass when no task is urgent and sends
//! the signal; each takes steps under the platform's lock and waits on its
//! own condition variable when it has nothing to do. After every step the
//! threads that can now do something are woken, and an execution in which
//! nothing can move is detected.
//!
//! Whether a task can move, and whether time may pass, is read off the
//! world itself after every step, never off the threads: a task just spawned
//! whose thread has not run yet still holds time back.

use crate::plan::Plan;
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
    let plans = w.plans();
    w.check_stuck(&plans);
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

/// Takes task `me`'s instant steps until it exits or the execution halts;
/// waits while it cannot move (other threads take its steps that complete
/// a parked operation or wait for time).
fn task_loop<P: Platform>(p: &P, me: Instance) {
    let mut w = p.lock();
    while !w.halted() && !w.task(me).exited {
        match w.plan(me) {
            Plan::Blocked => {
                w.task_mut(me).asleep = true;
                w = p.wait(w, Sleeper::task(me));
                w.task_mut(me).asleep = false;
            }
            Plan::Panic(message) => {
                let at = w.at(me);
                w.halt(End::Panic { task: me, at, message });
                after_step(p, &mut w);
            }
            Plan::Ready(_) if at_bound(p, &mut w) => {}
            Plan::Ready(moves) => {
                let k = if moves.len() >= 2 { p.choose(moves.len()) } else { 0 };
                let result = w.take(me, moves[k], false);
                record(p, &mut w, result);
                drop(w);
                w = p.lock();
            }
        }
    }
}

/// The environment's thread: whenever time may pass, or (outside the
/// completion scenario) while the signal may come, it picks what happens
/// next; otherwise it waits.
fn environment<P: Platform>(p: &P) {
    let mut w = p.lock();
    while !w.halted() && w.live().next().is_some() {
        let plans = w.plans();
        let events = w.events(&plans);
        if events.is_empty() {
            w.environment_asleep = true;
            w = p.wait(w, Sleeper::ENVIRONMENT);
            w.environment_asleep = false;
            continue;
        }
        if at_bound(p, &mut w) {
            continue;
        }
        let k = if events.len() >= 2 { p.choose(events.len()) } else { 0 };
        let result = w.happen(events[k]);
        record(p, &mut w, result);
        drop(w);
        w = p.lock();
    }
    finish_thread(p, &mut w);
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
/// threads of the tasks it spawned, and wakes whoever it concerns.
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

/// After the world changed: an execution in which nothing can move ends
/// (when the runtime detects it); every sleeping task thread whose task can
/// move now, or has exited, is woken; the environment's thread is woken
/// when it has something to do or nothing left to wait for; on a halt,
/// everyone is woken.
fn after_step<P: Platform>(p: &P, w: &mut World) {
    let plans = if w.halted() { Vec::new() } else { w.plans() };
    w.check_stuck(&plans);
    if w.halted() {
        for t in 0..w.tasks.len() as Instance {
            if std::mem::replace(&mut w.task_mut(t).asleep, false) {
                p.wake(Sleeper::task(t));
            }
        }
        if std::mem::replace(&mut w.environment_asleep, false) {
            p.wake(Sleeper::ENVIRONMENT);
        }
        return;
    }
    for t in 0..w.tasks.len() as Instance {
        let task = w.task(t);
        if task.asleep && (task.exited || plans[t as usize].moves()) {
            w.task_mut(t).asleep = false;
            p.wake(Sleeper::task(t));
        }
    }
    if w.environment_asleep && (w.live().next().is_none() || !w.events(&plans).is_empty()) {
        w.environment_asleep = false;
        p.wake(Sleeper::ENVIRONMENT);
    }
}

impl World {
    /// Ends the execution as stuck when no live task can move and the
    /// environment has nothing to do (if the configuration asks for it),
    /// given every task's plan.
    fn check_stuck(&mut self, plans: &[Plan]) {
        if !self.config.detect_stuck || self.halted() {
            return;
        }
        let live: Vec<Instance> = self.live().collect();
        if live.is_empty()
            || live.iter().any(|&t| plans[t as usize].moves())
            || !self.events(plans).is_empty()
        {
            return;
        }
        let blocked =
            live.iter().map(|&t| Blocked { task: t, func: self.task(t).func, at: self.at(t) }).collect();
        self.halt(End::Stuck { main_alive: live.first() == Some(&0), blocked });
    }
}
