//! The platform loom lends the runtime: one loom `Mutex` around the world,
//! loom threads that wait by parking; choices, the log copy and the outcomes
//! live outside loom.
//!
//! A waiting thread parks rather than waiting on a loom `Condvar`: loom
//! makes every `wait` and `notify` a scheduling point it explores, while
//! `unpark` is none and `park` only hands the processor on. On pool 1,2,1
//! that takes the completion scenario from 15,130 executions to 9,659, for
//! the same 527 different logs (`docs/engines.md`).

use leash_ir::Program;
use leash_threads::explore::{Choices, Collected};
use leash_threads::{Config, Entry, Log, Outcome, Platform, Sleeper, World};
use std::sync::{Arc, Mutex, MutexGuard};

/// What the executions of one exploration share outside loom (a `std` mutex:
/// loom does not see it, and it survives a loom panic).
#[derive(Default)]
pub(crate) struct Shared {
    /// The answers of the current run.
    pub(crate) choices: Choices,
    /// The executions so far.
    pub(crate) collected: Collected,
    /// The steps of the current execution.
    pub(crate) log: Log,
}

/// Locks `shared`, whatever a panic left in it.
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// loom's primitives, held in `std` `Arc`s (see the crate docs).
#[derive(Clone)]
pub(crate) struct LoomPlatform {
    world: Arc<loom::sync::Mutex<World>>,
    parked: Arc<Mutex<Vec<Option<loom::thread::Thread>>>>,
    shared: Arc<Mutex<Shared>>,
}

impl LoomPlatform {
    /// A fresh world for one execution; starts the execution's answers and log.
    pub(crate) fn new(program: &Arc<Program>, config: Config, shared: &Arc<Mutex<Shared>>) -> LoomPlatform {
        {
            let mut sh = lock(shared);
            sh.choices.begin();
            sh.log.clear();
        }
        LoomPlatform {
            world: Arc::new(loom::sync::Mutex::new(World::new(program.clone(), config))),
            parked: Arc::default(),
            shared: shared.clone(),
        }
    }
}

impl Platform for LoomPlatform {
    type Guard<'a> = loom::sync::MutexGuard<'a, World>;

    fn lock(&self) -> Self::Guard<'_> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&'a self, guard: Self::Guard<'a>, who: Sleeper) -> Self::Guard<'a> {
        {
            // Noted before the world is let go: a thread that sees `who`
            // asleep finds whom to unpark. An unpark that comes before the
            // `park` is kept by loom, and `park` then returns at once.
            let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
            if parked.len() <= who.0 {
                parked.resize(who.0 + 1, None);
            }
            parked[who.0] = Some(loom::thread::current());
        }
        drop(guard);
        loom::thread::park();
        self.lock()
    }

    fn wake(&self, who: Sleeper) {
        let parked = self.parked.lock().unwrap_or_else(|e| e.into_inner()).get(who.0).cloned().flatten();
        if let Some(thread) = parked {
            thread.unpark();
        }
    }

    fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        loom::thread::spawn(f);
    }

    const WAITS_FOR_THREADS: bool = false;

    fn finish(&self, outcome: Outcome) {
        lock(&self.shared).collected.add(outcome, || None);
    }

    fn choose(&self, n: usize) -> usize {
        lock(&self.shared).choices.choose(n)
    }

    fn record(&self, entry: &Entry) -> bool {
        let mut sh = lock(&self.shared);
        sh.log.push(entry.clone());
        sh.choices.logged(entry)
    }
}
