//! The choice tree against brute force, on toy systems whose executions a
//! toy library enumerates the way loom does (every interleaving, again for
//! every run): across all runs, the executions that are not redundant show
//! every combination of interleaving and answers exactly once, however the
//! answers bend the interleavings (choices whose number of answers depends on
//! the interleaving, answers that shorten a thread, optional events logged
//! only when they happen).

use leash_threads::explore::{ChoiceTree, Choices};
use leash_threads::Entry;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// One operation of a toy thread; each is one step that logs an entry.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// A plain step.
    Plain,
    /// A choice among `base`, or `base + 1` answers when the shared counter
    /// is odd; the answer is added to the counter, and a nonzero one skips
    /// the thread's next operation when `skip`.
    Choose { base: usize, skip: bool },
    /// After its step, an event that may happen (logged) or not (nothing
    /// logged), as the signal after a step.
    Offer,
}

/// Whose turn it is, and which answer each choice gets.
trait Oracle {
    /// Which of `runnable` (never empty) moves next.
    fn pick(&mut self, runnable: &[usize]) -> usize;
    /// The answer to a choice among `n >= 2`.
    fn answer(&mut self, n: usize) -> usize;
    /// Notes an entry; false ends the execution there.
    fn log(&mut self, entry: Entry) -> bool;
}

/// Runs the toy system to its end (or until the oracle ends it).
fn execute(threads: &[Vec<Op>], oracle: &mut impl Oracle) {
    let mut pcs = vec![0usize; threads.len()];
    let mut counter = 0usize;
    loop {
        let runnable: Vec<usize> = (0..threads.len()).filter(|&t| pcs[t] < threads[t].len()).collect();
        if runnable.is_empty() {
            return;
        }
        let t = oracle.pick(&runnable);
        let pc = pcs[t];
        pcs[t] += 1;
        let mut alt = 0;
        match threads[t][pc] {
            Op::Plain | Op::Offer => {}
            Op::Choose { base, skip } => {
                let n = base + counter % 2;
                alt = if n >= 2 { oracle.answer(n) } else { 0 };
                counter += alt;
                if skip && alt > 0 {
                    pcs[t] += 1;
                }
            }
        }
        counter += 1;
        let step = Entry::Step {
            task: t as u32,
            func: 0,
            pc: pc as u16,
            case: 0,
            alt: alt as u16,
            partner: None,
            time: false,
        };
        if !oracle.log(step) {
            return;
        }
        if matches!(threads[t][pc], Op::Offer)
            && oracle.answer(2) == 1
            && !oracle.log(Entry::Fire { obj: t as u32, alt: 0 })
        {
            return;
        }
    }
}

/// Every interleaving under fixed choices, as a library explores them: a
/// run follows a schedule prefix and then the first runnable thread; each
/// later point with another runnable thread opens a schedule of its own.
struct Library<'a> {
    choices: &'a mut Choices,
    schedule: Vec<usize>,
    at: usize,
    /// Per later point: how many threads could move there.
    open: Vec<usize>,
    log: Vec<Entry>,
    ended_redundant: bool,
}

impl Oracle for Library<'_> {
    fn pick(&mut self, runnable: &[usize]) -> usize {
        let i = self.at;
        self.at += 1;
        if let Some(&k) = self.schedule.get(i) {
            return runnable[k];
        }
        self.open.push(runnable.len());
        runnable[0]
    }

    fn answer(&mut self, n: usize) -> usize {
        self.choices.choose(n)
    }

    fn log(&mut self, entry: Entry) -> bool {
        let new = self.choices.logged(&entry);
        self.log.push(entry);
        self.ended_redundant = !new;
        new
    }
}

/// The logs of the executions that are not redundant, over every run of the
/// choice tree and every interleaving of each run.
fn explored(threads: &[Vec<Op>]) -> Vec<Vec<Entry>> {
    let mut kept = Vec::new();
    let mut tree = ChoiceTree::default();
    while let Some(mut choices) = tree.pop() {
        let mut schedules = vec![Vec::new()];
        while let Some(schedule) = schedules.pop() {
            choices.begin();
            let mut lib = Library {
                choices: &mut choices,
                schedule: schedule.clone(),
                at: 0,
                open: Vec::new(),
                log: Vec::new(),
                ended_redundant: false,
            };
            execute(threads, &mut lib);
            let (open, log, redundant) = (lib.open, lib.log, lib.ended_redundant);
            for (later, &n) in open.iter().enumerate() {
                for k in 1..n {
                    let mut s = schedule.clone();
                    s.resize(schedule.len() + later, 0);
                    s.push(k);
                    schedules.push(s);
                }
            }
            if !redundant {
                kept.push(log);
            }
        }
        tree.expand(&choices);
    }
    kept
}

/// Every sequence of picks and answers, each run once: the brute force.
struct Exhaustive {
    decisions: Vec<usize>,
    at: usize,
    open: Vec<usize>,
    log: Vec<Entry>,
}

impl Exhaustive {
    fn decide(&mut self, n: usize) -> usize {
        let i = self.at;
        self.at += 1;
        if let Some(&d) = self.decisions.get(i) {
            return d;
        }
        self.open.push(n);
        0
    }
}

impl Oracle for Exhaustive {
    fn pick(&mut self, runnable: &[usize]) -> usize {
        runnable[self.decide(runnable.len())]
    }

    fn answer(&mut self, n: usize) -> usize {
        self.decide(n)
    }

    fn log(&mut self, entry: Entry) -> bool {
        self.log.push(entry);
        true
    }
}

fn all_logs(threads: &[Vec<Op>]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![Vec::new()];
    while let Some(decisions) = todo.pop() {
        let mut ex = Exhaustive { decisions: decisions.clone(), at: 0, open: Vec::new(), log: Vec::new() };
        execute(threads, &mut ex);
        for (later, &n) in ex.open.iter().enumerate() {
            for d in 1..n {
                let mut p = decisions.clone();
                p.resize(decisions.len() + later, 0);
                p.push(d);
                todo.push(p);
            }
        }
        assert!(out.insert(format!("{:?}", ex.log)), "the brute force ran {:?} twice", ex.log);
    }
    out
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Plain),
        Just(Op::Offer),
        (1usize..=3, any::<bool>()).prop_map(|(base, skip)| Op::Choose { base, skip }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_interleaving_and_answers_is_explored_once(
        threads in proptest::collection::vec(proptest::collection::vec(op(), 1..=3), 1..=3)
    ) {
        let kept = explored(&threads);
        let mut seen = BTreeSet::new();
        for log in &kept {
            prop_assert!(seen.insert(format!("{log:?}")), "explored twice: {log:?}");
        }
        prop_assert_eq!(seen, all_logs(&threads));
    }
}
