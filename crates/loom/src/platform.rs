//! The platform loom lends the runtime: one loom `Mutex` around the world, one
//! loom `Condvar`, loom threads; choices and the log copy live outside loom.

use leash_ir::Program;
use leash_threads::explore::{Choices, Collected, Sleepers};
use leash_threads::{Config, Entry, Log, Platform, Sleeper, World};
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
    wakes: Arc<Sleepers<loom::sync::Condvar>>,
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
            wakes: Arc::default(),
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
        let wake = self.wakes.get(who, loom::sync::Condvar::new);
        wake.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self, who: Sleeper) {
        if let Some(w) = self.wakes.existing(who) {
            w.notify_one();
        }
    }

    fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        loom::thread::spawn(f);
    }

    fn choose(&self, n: usize) -> usize {
        lock(&self.shared).choices.choose(n)
    }

    fn record(&self, entry: &Entry) {
        lock(&self.shared).log.push(entry.clone());
    }
}
