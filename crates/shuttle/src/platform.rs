//! The platform shuttle lends the runtime: one shuttle `Mutex` around the
//! world, one shuttle `Condvar`, shuttle threads. Free choices come either
//! from shuttle's random data (recorded in its schedule) or from a prefix of
//! answers explored around shuttle (for DFS, which has no random data).

use leash_ir::Program;
use leash_threads::explore::{Choices, Collected, Sleepers};
use leash_threads::{Config, Entry, Log, Outcome, Platform, Sleeper, World};
use shuttle::rand::RngCore;
use shuttle::scheduler::Schedule;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where answers to free choices come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answers {
    /// shuttle's random data: sampled, and recorded in the schedule.
    Random,
    /// The current prefix of the choice tree.
    Prefix,
}

/// What executions share outside shuttle.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) choices: Choices,
    pub(crate) collected: Collected,
    pub(crate) log: Log,
    /// The schedule of the current execution, as the recorder saw it.
    pub(crate) schedule: Schedule,
    /// The outcome of the last execution (for a replay).
    pub(crate) last: Option<Outcome>,
    /// The answers given in the current execution (prefix mode).
    pub(crate) answers: Vec<usize>,
}

/// Locks `shared`, whatever a panic left in it.
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Clone)]
pub(crate) struct ShuttlePlatform {
    world: Arc<shuttle::sync::Mutex<World>>,
    wakes: Arc<Sleepers<shuttle::sync::Condvar>>,
    shared: Arc<Mutex<Shared>>,
    answers: Answers,
}

impl ShuttlePlatform {
    /// A fresh world for one execution.
    pub(crate) fn new(
        program: &Arc<Program>,
        config: Config,
        shared: &Arc<Mutex<Shared>>,
        answers: Answers,
    ) -> ShuttlePlatform {
        {
            let mut sh = lock(shared);
            sh.choices.begin();
            sh.log.clear();
            sh.answers.clear();
            sh.last = None;
        }
        ShuttlePlatform {
            world: Arc::new(shuttle::sync::Mutex::new(World::new(program.clone(), config))),
            wakes: Arc::default(),
            shared: shared.clone(),
            answers,
        }
    }
}

impl Platform for ShuttlePlatform {
    type Guard<'a> = shuttle::sync::MutexGuard<'a, World>;

    fn lock(&self) -> Self::Guard<'_> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&'a self, guard: Self::Guard<'a>, who: Sleeper) -> Self::Guard<'a> {
        let wake = self.wakes.get(who, shuttle::sync::Condvar::new);
        wake.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self, who: Sleeper) {
        if let Some(w) = self.wakes.existing(who) {
            w.notify_one();
        }
    }

    fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        shuttle::thread::spawn(f);
    }

    const WAITS_FOR_THREADS: bool = true;

    fn finish(&self, outcome: Outcome) {
        lock(&self.shared).last = Some(outcome);
    }

    fn choose(&self, n: usize) -> usize {
        let a = match self.answers {
            Answers::Random => (shuttle::rand::thread_rng().next_u64() % n as u64) as usize,
            Answers::Prefix => lock(&self.shared).choices.choose(n),
        };
        lock(&self.shared).answers.push(a);
        a
    }

    fn record(&self, entry: &Entry) -> bool {
        let mut sh = lock(&self.shared);
        sh.log.push(entry.clone());
        self.answers == Answers::Random || sh.choices.logged(entry)
    }
}
