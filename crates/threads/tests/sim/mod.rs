//! A deterministic platform for the tests: real threads, but only one runs
//! at a time, and a seeded generator picks which one at every lock and wait
//! (and, if asked, answers the free choices). The same seed and script give
//! the same execution. When every thread waits, the platform reports a
//! deadlock, as loom and shuttle would.

use leash_threads::{Config, Entry, Outcome, Platform, Sleeper, World};
use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

thread_local! {
    static ME: Cell<usize> = const { Cell::new(0) };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Runnable,
    Waiting,
    Finished,
}

/// How an execution failed on the platform itself.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug
pub enum Failure {
    /// Every thread waited: the log so far.
    Deadlock(Vec<Entry>),
    /// A thread panicked (a bug of the runtime).
    Crash(String),
}

/// The unwinding payload that ends the threads of a deadlocked execution.
struct Deadlock;

struct Sched {
    threads: Vec<State>,
    current: usize,
    rng: u64,
    script: VecDeque<usize>,
    random_choices: bool,
    log: Vec<Entry>,
    /// What each waiting thread waits as.
    sleepers: Vec<Option<Sleeper>>,
    deadlock: bool,
    crashed: Option<String>,
}

impl Sched {
    fn random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick(&mut self) -> Option<usize> {
        let runnable: Vec<usize> =
            (0..self.threads.len()).filter(|&t| self.threads[t] == State::Runnable).collect();
        if runnable.is_empty() {
            return None;
        }
        let k = (self.random() % runnable.len() as u64) as usize;
        Some(runnable[k])
    }
}

struct Inner {
    world: Mutex<World>,
    sched: Mutex<Sched>,
    turn: Condvar,
    handles: Mutex<Vec<JoinHandle<()>>>,
    outcome: Mutex<Option<Outcome>>,
}

/// The platform.
#[derive(Clone)]
pub struct Sim(Arc<Inner>);

impl Sim {
    /// A platform running `world`: schedules from `seed`, choices from
    /// `script`, then random ones (`random_choices`) or 0.
    pub fn new(world: World, seed: u64, script: Vec<usize>, random_choices: bool) -> Sim {
        let sched = Sched {
            threads: vec![State::Runnable],
            current: 0,
            rng: seed,
            script: script.into(),
            random_choices,
            log: Vec::new(),
            sleepers: Vec::new(),
            deadlock: false,
            crashed: None,
        };
        Sim(Arc::new(Inner {
            world: Mutex::new(world),
            sched: Mutex::new(sched),
            turn: Condvar::new(),
            handles: Mutex::new(Vec::new()),
            outcome: Mutex::new(None),
        }))
    }

    /// Runs the execution on the calling thread.
    pub fn run(&self) -> Result<Outcome, Failure> {
        ME.set(0);
        let result = catch_unwind(AssertUnwindSafe(|| leash_threads::run(self)));
        self.finish();
        loop {
            let h = self.0.handles.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match h {
                Some(h) => {
                    let _ = h.join();
                }
                None => break,
            }
        }
        let s = self.sched();
        if let Some(c) = &s.crashed {
            return Err(Failure::Crash(c.clone()));
        }
        match result {
            Ok(()) => {
                let outcome = self.0.outcome.lock().unwrap_or_else(|e| e.into_inner()).take();
                Ok(outcome.expect("the caller of run finishes last"))
            }
            Err(p) if p.is::<Deadlock>() => Err(Failure::Deadlock(s.log.clone())),
            Err(p) => Err(Failure::Crash(message(&*p))),
        }
    }

    fn sched(&self) -> MutexGuard<'_, Sched> {
        self.0.sched.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives the turn to a runnable thread (perhaps this one) and waits for ours.
    fn switch(&self, mut s: MutexGuard<'_, Sched>) {
        match s.pick() {
            Some(next) => s.current = next,
            None => s.deadlock = true,
        }
        self.0.turn.notify_all();
        self.wait_turn(s);
    }

    fn wait_turn(&self, mut s: MutexGuard<'_, Sched>) {
        let me = ME.get();
        while !s.deadlock && s.current != me {
            s = self.0.turn.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        if s.deadlock {
            drop(s);
            resume_unwind(Box::new(Deadlock));
        }
    }

    /// The calling thread is done: the turn goes to another.
    fn finish(&self) {
        let mut s = self.sched();
        let me = ME.get();
        s.threads[me] = State::Finished;
        match s.pick() {
            Some(next) => s.current = next,
            None if s.threads.contains(&State::Waiting) => s.deadlock = true,
            None => {}
        }
        self.0.turn.notify_all();
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.0.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

impl Platform for Sim {
    type Guard<'a> = MutexGuard<'a, World>;

    fn lock(&self) -> MutexGuard<'_, World> {
        let s = self.sched();
        self.switch(s);
        self.world()
    }

    fn wait<'a>(&'a self, guard: MutexGuard<'a, World>, who: Sleeper) -> MutexGuard<'a, World> {
        drop(guard);
        let mut s = self.sched();
        let me = ME.get();
        s.threads[me] = State::Waiting;
        if s.sleepers.len() <= me {
            s.sleepers.resize(me + 1, None);
        }
        s.sleepers[me] = Some(who);
        self.switch(s);
        self.world()
    }

    fn wake(&self, who: Sleeper) {
        let mut s = self.sched();
        for t in 0..s.threads.len() {
            if s.threads[t] == State::Waiting && s.sleepers.get(t).copied().flatten() == Some(who) {
                s.threads[t] = State::Runnable;
            }
        }
    }

    fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        let id = {
            let mut s = self.sched();
            s.threads.push(State::Runnable);
            s.threads.len() - 1
        };
        let sim = self.clone();
        let h = std::thread::spawn(move || {
            ME.set(id);
            let r = catch_unwind(AssertUnwindSafe(|| {
                let s = sim.sched();
                sim.wait_turn(s);
                f();
            }));
            if let Err(p) = r {
                if !p.is::<Deadlock>() {
                    let mut s = sim.sched();
                    s.crashed = Some(message(&*p));
                    s.deadlock = true;
                    sim.0.turn.notify_all();
                }
            }
            sim.finish();
        });
        self.0.handles.lock().unwrap_or_else(|e| e.into_inner()).push(h);
    }

    const WAITS_FOR_THREADS: bool = true;

    fn finish(&self, outcome: Outcome) {
        *self.0.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    }

    fn choose(&self, n: usize) -> usize {
        assert!(n >= 2, "choose({n})");
        let mut s = self.sched();
        match s.script.pop_front() {
            Some(a) => a.min(n - 1),
            None if s.random_choices => (s.random() % n as u64) as usize,
            None => 0,
        }
    }

    fn record(&self, entry: &Entry) -> bool {
        self.sched().log.push(entry.clone());
        true
    }
}

/// Runs one execution of `program`.
pub fn execute(
    program: &Arc<leash_ir::Program>,
    config: Config,
    seed: u64,
    script: Vec<usize>,
    random_choices: bool,
) -> Result<Outcome, Failure> {
    let sim = Sim::new(World::new(Arc::clone(program), config), seed, script, random_choices);
    sim.run()
}
