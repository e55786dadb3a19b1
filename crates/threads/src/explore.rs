//! What the loom and shuttle engines share around their library: the tree of
//! the environment's free choices, explored one prefix at a time, and the
//! collection of the executions worth reporting.
//!
//! A library explores interleavings for a deterministic program; the free
//! choices ([`crate::Platform::choose`]) are explored outside it. A run with
//! prefix `P` answers the first `P.len()` choices from `P` and every later one
//! with 0, noting how many answers each later choice had. Its children are
//! `P, 0, …, 0, a` for every later position and every other answer `a`: each
//! sequence of answers is the first-different-position child of exactly one
//! run, so every combination of interleaving and answers is executed.
//!
//! A child is also pinned to where its parent met the choice it answers
//! differently: the logs (hashed) at which the parent's executions asked it
//! with more than `a` answers. The library runs every interleaving again for
//! the child, and most of them never get there: they end before that choice,
//! or meet it elsewhere, and are executions of another run. An execution
//! whose log leaves the way to every pinned log is [redundant](Choices::logged)
//! and ends at once, rather than being run to its end for nothing. Only
//! executions that passed their pin teach a run its children. Two logs that
//! hash alike can only keep a redundant execution going, never end a new one.

use crate::{End, Entry, Outcome};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Where a run's executions must pass to be new: the logs (hashed) at which
/// its parent's executions met the choice the run answers differently, and
/// the way there.
#[derive(Clone, Debug)]
struct Pin {
    /// Every prefix of the logs in `at`. Only these: an execution that
    /// followed some other log of the parent's could end without meeting
    /// the choice, and would not be stopped.
    on_the_way: HashSet<u64>,
    /// The logs at the choice.
    at: HashSet<u64>,
}

/// A run to make: the answers it starts with, and where its executions must
/// pass to be new (none for the first run).
#[derive(Clone, Debug, Default)]
struct Branch {
    prefix: Vec<usize>,
    pin: Option<Pin>,
}

/// The hash of the empty log.
const EMPTY_LOG: u64 = 0;

/// The answers of one run, and what the run learnt about later choices.
#[derive(Clone, Debug, Default)]
pub struct Choices {
    prefix: Vec<usize>,
    pin: Option<Pin>,
    /// Choices asked so far in the current execution.
    next: usize,
    /// The hash of the current execution's log so far.
    hash: u64,
    /// Whether the current execution can only repeat ones of other runs.
    redundant: bool,
    /// For the hash of every log this run's executions made while they were
    /// not redundant, the hashes of the logs one entry shorter that led to
    /// it (more than one only where two logs hash alike: a collision can
    /// only widen a way, never cut it).
    parents: HashMap<u64, Vec<u64>>,
    /// By later position, by how many answers the choice had: the logs at
    /// which executions that passed their pin met it.
    learnt: Vec<BTreeMap<usize, HashSet<u64>>>,
}

impl Choices {
    /// Answers from `prefix`, then 0; every execution counts (a replay).
    pub fn new(prefix: Vec<usize>) -> Choices {
        Choices::from_branch(Branch { prefix, pin: None })
    }

    /// The answers of a run of the tree.
    fn from_branch(branch: Branch) -> Choices {
        Choices { prefix: branch.prefix, pin: branch.pin, ..Choices::default() }
    }

    /// Starts an execution: answers start again from the first.
    pub fn begin(&mut self) {
        self.next = 0;
        self.hash = EMPTY_LOG;
        self.redundant = false;
    }

    /// The answer to the next choice among `n`.
    pub fn choose(&mut self, n: usize) -> usize {
        let i = self.next;
        self.next += 1;
        if let Some(&a) = self.prefix.get(i) {
            // Whether the pinned choice comes at a pinned log: implied by
            // the way there, but for logs that hash alike.
            let pinned_here = i + 1 == self.prefix.len();
            if a >= n || (pinned_here && self.pin.as_ref().is_some_and(|pin| !pin.at.contains(&self.hash))) {
                self.redundant = true;
            }
            return a.min(n.saturating_sub(1));
        }
        if !self.redundant {
            let later = i - self.prefix.len();
            if self.learnt.len() <= later {
                self.learnt.resize_with(later + 1, BTreeMap::new);
            }
            self.learnt[later].entry(n).or_default().insert(self.hash);
        }
        0
    }

    /// Notes the next entry of the current execution's log. False once the
    /// execution is redundant: its log left the way to every log its run is
    /// pinned to, or the pinned choice came with too few answers, so every
    /// execution it can become is one of another run.
    pub fn logged(&mut self, entry: &Entry) -> bool {
        let mut hasher = DefaultHasher::new();
        self.hash.hash(&mut hasher);
        entry.hash(&mut hasher);
        let parent = std::mem::replace(&mut self.hash, hasher.finish());
        if self.next < self.prefix.len()
            && self.pin.as_ref().is_some_and(|pin| !pin.on_the_way.contains(&self.hash))
        {
            self.redundant = true;
        }
        if !self.redundant {
            let parents = self.parents.entry(self.hash).or_default();
            if !parents.contains(&parent) {
                parents.push(parent);
            }
        }
        !self.redundant
    }

    /// The runs this run opened, in the order they should be explored.
    fn children(&self) -> Vec<Branch> {
        let mut out = Vec::new();
        for (later, by_arity) in self.learnt.iter().enumerate() {
            let most = by_arity.keys().next_back().copied().unwrap_or(0);
            for a in 1..most {
                let at: HashSet<u64> =
                    by_arity.range(a + 1..).flat_map(|(_, logs)| logs.iter().copied()).collect();
                let pin = Pin { on_the_way: self.prefixes(&at), at };
                let mut prefix = self.prefix.clone();
                prefix.resize(self.prefix.len() + later, 0);
                prefix.push(a);
                out.push(Branch { prefix, pin: Some(pin) });
            }
        }
        out
    }

    /// Every prefix of the logs hashed in `logs`, walked back through the
    /// logs one entry shorter.
    fn prefixes(&self, logs: &HashSet<u64>) -> HashSet<u64> {
        let mut out = HashSet::new();
        let mut todo: Vec<u64> = logs.iter().copied().collect();
        while let Some(h) = todo.pop() {
            if !out.insert(h) {
                continue;
            }
            todo.extend(self.parents.get(&h).into_iter().flatten().copied());
        }
        out
    }
}

/// Runs still to make, depth first.
#[derive(Clone, Debug)]
pub struct ChoiceTree {
    stack: Vec<Branch>,
    /// Runs taken so far.
    pub runs: usize,
}

impl Default for ChoiceTree {
    fn default() -> ChoiceTree {
        ChoiceTree { stack: vec![Branch::default()], runs: 0 }
    }
}

impl ChoiceTree {
    /// The answers of the next run, if any is left.
    pub fn pop(&mut self) -> Option<Choices> {
        let branch = self.stack.pop()?;
        self.runs += 1;
        Some(Choices::from_branch(branch))
    }

    /// Adds the runs a finished run opened.
    pub fn expand(&mut self, done: &Choices) {
        self.stack.extend(done.children().into_iter().rev());
    }

    /// Whether every run has been made.
    pub fn is_done(&self) -> bool {
        self.stack.is_empty()
    }
}

/// Why an execution is kept: one per way of going wrong.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Stuck(bool, Vec<u16>),
    Panic((u16, u16), String),
    /// A task of this function left running by an owner of that one.
    Orphan(u16, u16),
}

/// A kept execution, with the engine's replay string for it.
type Kept = Arc<(Outcome, Option<String>)>;

/// The executions of an exploration worth reporting: for each way of going
/// wrong (stuck with these tasks, this panic, a task of this function
/// orphaned by an owner of that one) the one that shows it in the fewest
/// steps.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// By way of going wrong: the steps it took to show, and the execution.
    kept: BTreeMap<Key, (usize, Kept)>,
    /// Executions run, the redundant ones included.
    pub executions: usize,
    /// Executions ended as redundant ([`End::Redundant`]).
    pub redundant: usize,
    /// Steps taken in all of them.
    pub steps: usize,
    /// Steps of the longest one.
    pub longest: usize,
    /// Executions cut by the step bound.
    pub step_bound: usize,
    /// The most threads an execution asked for beyond the platform's limit.
    pub too_many_threads: Option<usize>,
}

impl Collected {
    /// Notes one execution; `replay` gives the engine's own replay string
    /// for it (shuttle's schedule), asked for only if the execution is kept.
    /// An orphan is shown by the step that orphaned it, whatever came after
    /// (even a cut): the path to it is real.
    pub fn add(&mut self, o: Outcome, replay: impl FnOnce() -> Option<String>) {
        self.executions += 1;
        if o.end == End::Redundant {
            self.redundant += 1;
            return;
        }
        self.steps += o.log.len();
        self.longest = self.longest.max(o.log.len());
        let mut shows: Vec<(Key, usize)> =
            o.orphans.iter().map(|x| (Key::Orphan(x.func, x.owner), x.step + 1)).collect();
        match &o.end {
            End::Exited | End::Redundant => {}
            End::StepBound => self.step_bound += 1,
            End::TooManyThreads { needed } => {
                self.too_many_threads = Some(self.too_many_threads.unwrap_or(0).max(*needed));
            }
            End::Stuck { main_alive, blocked } => {
                let mut funcs: Vec<u16> = blocked.iter().map(|b| b.func).collect();
                funcs.sort_unstable();
                funcs.dedup();
                shows.push((Key::Stuck(*main_alive, funcs), o.log.len()));
            }
            End::Panic { at, message, .. } => shows.push((Key::Panic(*at, message.clone()), o.log.len())),
        }
        shows.retain(|(key, steps)| self.kept.get(key).is_none_or(|(k, _)| steps < k));
        if shows.is_empty() {
            return;
        }
        let kept: Kept = Arc::new((o, replay()));
        for (key, steps) in shows {
            self.kept.insert(key, (steps, kept.clone()));
        }
    }

    /// The kept executions with their replay strings, in a fixed order,
    /// each once.
    pub fn outcomes(&self) -> impl Iterator<Item = &(Outcome, Option<String>)> {
        let mut seen: Vec<&Kept> = Vec::new();
        self.kept.values().filter_map(move |(_, k)| {
            if seen.iter().any(|s| Arc::ptr_eq(s, k)) {
                return None;
            }
            seen.push(k);
            Some(&**k)
        })
    }
}

/// Why an engine's exploration is not exhaustive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The time budget ran out.
    Time,
    /// Some execution reached the per-execution step bound (a loop that does
    /// not end, or a run longer than the bound).
    Steps(usize),
    /// loom's branch bound (`max_branches`) was reached.
    Branches(usize),
    /// Schedules were sampled (shuttle's random and PCT schedulers): this many.
    Sampled(usize),
    /// The scheduler's own iteration bound (shuttle's DFS `--iterations`).
    Iterations(usize),
    /// The bound on executions (loom's `--iterations`).
    Executions(usize),
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cut::Time => write!(f, "timeout"),
            Cut::Steps(n) => write!(f, "an execution reached {n} steps"),
            Cut::Branches(n) => write!(f, "loom max-branches {n}"),
            Cut::Sampled(n) => write!(f, "no violation found in {n} schedules"),
            Cut::Iterations(n) => write!(f, "dfs stopped after {n} schedules"),
            Cut::Executions(n) => write!(f, "loom stopped after {n} executions"),
        }
    }
}

/// What an engine's exploration of one scenario did.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// The executions worth reporting, and counters.
    pub collected: Collected,
    /// Runs of the library (one per prefix of choices).
    pub runs: usize,
    /// `None` when every interleaving and every choice was explored.
    pub incomplete: Option<Cut>,
    /// Executions the library aborted itself (its own deadlock detection):
    /// their logs, to be checked as "nothing could move".
    pub library_deadlocks: Vec<crate::Log>,
}

/// The condition variables of an engine's platform, one per [`crate::Sleeper`],
/// made when first waited on (inside the library's execution, where its
/// primitives must be made).
pub struct Sleepers<C> {
    table: std::sync::Mutex<Vec<std::sync::Arc<C>>>,
}

impl<C> Default for Sleepers<C> {
    fn default() -> Sleepers<C> {
        Sleepers { table: std::sync::Mutex::new(Vec::new()) }
    }
}

impl<C> Sleepers<C> {
    /// The condition variable of `who`, made with `make` if it has none yet.
    pub fn get(&self, who: crate::Sleeper, make: impl Fn() -> C) -> std::sync::Arc<C> {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table.len() <= who.0 {
            table.resize_with(who.0 + 1, || std::sync::Arc::new(make()));
        }
        table[who.0].clone()
    }

    /// The condition variable of `who`, if it ever waited.
    pub fn existing(&self, who: crate::Sleeper) -> Option<std::sync::Arc<C>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).get(who.0).cloned()
    }
}

std::thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Puts leash's panic hook on top of the current one: while a thread runs
/// [`quietly`], its panics print nothing; otherwise the previous hook runs.
/// An engine whose library installs a hook of its own (shuttle prints every
/// panic it sees, loom's own thread teardown included) calls this again after
/// the library's first run, so that leash's hook is outermost.
pub fn silence_library_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(|q| q.get()) {
            previous(info);
        }
    }));
}

/// Runs `f` with the panic messages of this thread silenced: an engine
/// catches the library's panics (a deadlock it detected, a bound) and turns
/// them into findings, so they must not reach the terminal. Panics on other
/// threads, and outside `f`, print as before.
pub fn quietly<R>(f: impl FnOnce() -> R) -> R {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(silence_library_panics);
    let before = QUIET.with(|q| q.replace(true));
    let r = f();
    QUIET.with(|q| q.set(before));
    r
}

/// The text of a caught panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "program" with two choices, the second only after answer 1 to the
    /// first: every answer sequence must be run exactly once.
    #[test]
    fn the_choice_tree_runs_every_answer_sequence() {
        let mut tree = ChoiceTree::default();
        let mut seen = Vec::new();
        while let Some(mut c) = tree.pop() {
            c.begin();
            let a = c.choose(3);
            let b = if a == 1 { c.choose(2) } else { 0 };
            seen.push((a, b));
            tree.expand(&c);
        }
        seen.sort_unstable();
        assert_eq!(seen, vec![(0, 0), (1, 0), (1, 1), (2, 0)]);
        assert!(tree.is_done());
    }
}
