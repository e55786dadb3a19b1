//! Generated models for property tests (the `arbitrary` feature): proptest
//! strategies for well-formed designs built from the fixed patterns of the
//! seed corpus, and for one-defect mutants of them that leash must refute.
//!
//! A [`Design`] is an owner tree: `main` owns [`Component`]s, and a
//! [`Component::Child`] is a task that owns components of its own. Every
//! component has the same exit story: the owner starts it, uses it, and stops
//! it (cancel, close, join or wait), so a design verifies in every scenario
//! without a warning. A [`Mutant`] is a design with exactly one [`Defect`].
//! [`design`] and [`mutant`] are the strategies.
//!
//! ```
//! use leash::arbitrary::{Component, Defect, Design, Node};
//! use leash::{check_source, CheckOptions, FindingKind, Verdict};
//!
//! // main awaits a result with a timeout, then joins the computation.
//! let design = Design { main: Node { components: vec![Component::Timeout], overlap: false } };
//! let report = check_source("design.leash", &design.to_source(), &CheckOptions::default()).unwrap();
//! assert!(report.verdict == Verdict::Verified && report.findings.is_empty());
//!
//! // Unbuffered, the result is never received once the timeout wins.
//! let mutant = design.with_defect(Defect::UnbufferedResult).unwrap();
//! let report = check_source("mutant.leash", &mutant.source, &CheckOptions::default()).unwrap();
//! let found = |f: &leash::FindingReport| {
//!     let kind = FindingKind::from_name(&f.kind).unwrap();
//!     mutant.defect.kinds().contains(&kind) && f.tasks.contains(&mutant.task)
//! };
//! assert!(report.findings.iter().any(found));
//! ```

mod print;

use crate::FindingKind;
use print::Printer;
use proptest::prelude::*;

/// At most this many tasks besides `main`, which keeps state spaces within a few thousand states.
pub const MAX_SPAWNED: u8 = 3;

/// How deep [`Component::Child`] components nest.
const MAX_NESTING: u32 = 2;

/// A generated design: the components `main` owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Design {
    /// The body of `main`.
    pub main: Node,
}

/// A task body: the components it owns and how their lifetimes overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Numbered in preorder from 1; the number names the component's tasks and variables.
    pub components: Vec<Component>,
    /// Start every component, use them, then stop them in reverse order;
    /// otherwise each one is started, used and stopped before the next.
    pub overlap: bool,
}

/// One fixed pattern, owned by the task whose body holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component {
    /// A worker that selects on its context and a buffered jobs channel;
    /// the owner sends `jobs` jobs (at most `capacity`, so sends never block), then stops it.
    Worker {
        /// The jobs channel's buffer.
        capacity: u8,
        /// Jobs sent.
        jobs: u8,
        /// How the owner stops the worker before joining it.
        stop: Stop,
    },
    /// A task that pings on a ticker (`defer stop`) until its context is cancelled.
    Heartbeat,
    /// A computation whose result is awaited with a timeout on a buffered channel, then joined.
    Timeout,
    /// An error group with a context; members send into a buffered channel that
    /// the owner closes and drains after `wait`.
    Group {
        /// Tasks started with `g.go`.
        members: u8,
        /// `group(ctx, 1)`: `g.go` waits while a member runs.
        limited: bool,
    },
    /// Members counted by a wait group; each hands a result to the owner on an
    /// unbuffered channel; `wait` comes after the spawn loop and the collection.
    WaitGroup {
        /// Tasks started in the spawn loop.
        members: u8,
        /// One `wg.add(members)` before the loop, instead of `wg.add(1)` in it.
        add_first: bool,
    },
    /// A task that updates state under a shared mutex, then sends an event the owner receives.
    Publisher,
    /// A job under a context with a deadline whose work may fail: it reports
    /// a failure on a buffered error channel or closes a done channel; the
    /// owner selects on both and on the deadline, then joins it.
    Fallible,
    /// A task that polls in a loop with `select` and `default` (sleeping
    /// when nothing is ready) until its context is cancelled; the owner sends
    /// it a job on a buffered channel, then cancels and joins it.
    Poller,
    /// A task that prepares, then sends a notification on a buffered channel;
    /// the owner takes it only if it is there (`select` with `default`), then joins it.
    Notify,
    /// A joined child task that owns components of its own, under a context
    /// of its own when they need one.
    Child {
        /// How the owner waits for it.
        join: Join,
        /// What the child owns.
        body: Node,
    },
}

/// How a [`Component::Worker`] is told to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The owner closes the jobs channel.
    Close,
    /// The owner cancels the worker's context.
    Cancel,
}

/// How the owner of a [`Component::Child`] waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Join {
    /// `join` on the task handle.
    Handle,
    /// A receive from a done channel the child closes in a `defer`.
    DoneChannel,
}

/// A one-defect mutation of a design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defect {
    /// A worker's, heartbeat's or poller's select loses its `recv ctx.done` case.
    DropCtxCase,
    /// A result channel becomes unbuffered: once a timeout wins, or while the
    /// owner waits before receiving (or has looked and gone on), the sender is stuck.
    UnbufferedResult,
    /// A jobs, results or done channel is never closed.
    ForgetClose,
    /// A context made with `with_cancel` is never cancelled.
    ForgetCancel,
    /// A ticker is never stopped.
    ForgetStop,
    /// A publisher holds its mutex across its send.
    MutexAcrossSend,
    /// A wait group's `wait` moves into the spawn loop.
    WaitInLoop,
}

impl Defect {
    /// Every defect.
    pub const ALL: [Defect; 7] = [
        Defect::DropCtxCase,
        Defect::UnbufferedResult,
        Defect::ForgetClose,
        Defect::ForgetCancel,
        Defect::ForgetStop,
        Defect::MutexAcrossSend,
        Defect::WaitInLoop,
    ];

    /// A short name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Defect::DropCtxCase => "drop-ctx-case",
            Defect::UnbufferedResult => "unbuffered-result",
            Defect::ForgetClose => "forget-close",
            Defect::ForgetCancel => "forget-cancel",
            Defect::ForgetStop => "forget-stop",
            Defect::MutexAcrossSend => "mutex-across-send",
            Defect::WaitInLoop => "wait-in-loop",
        }
    }

    /// The finding kinds that report it: a mutant has a finding of one of
    /// these kinds naming the [`Mutant::task`]. A task stuck forever is a
    /// leak, or a deadlock when every task is stuck; a heartbeat or poller
    /// without its context case loops forever (no-exit). Forgotten cancels and stops are
    /// owner-rule warnings: the verdict stays verified.
    pub fn kinds(self) -> &'static [FindingKind] {
        match self {
            Defect::DropCtxCase => &[FindingKind::Leak, FindingKind::Deadlock, FindingKind::NoExit],
            Defect::ForgetCancel => &[FindingKind::Uncancelled],
            Defect::ForgetStop => &[FindingKind::Unstopped],
            Defect::UnbufferedResult | Defect::ForgetClose | Defect::MutexAcrossSend | Defect::WaitInLoop => {
                &[FindingKind::Leak, FindingKind::Deadlock]
            }
        }
    }
}

/// A place in a design where one defect can be put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The defect.
    pub defect: Defect,
    /// The task its finding names (`worker2`, or the owner, e.g. `main`).
    pub task: String,
}

/// A design with exactly one defect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// The design it was made from.
    pub design: Design,
    /// The defect.
    pub defect: Defect,
    /// The task a finding of one of [`Defect::kinds`] names.
    pub task: String,
    /// The model text.
    pub source: String,
}

impl Design {
    /// The model text, with an `// expect: verified` line. Deterministic.
    pub fn to_source(&self) -> String {
        let mut out = Printer::new(None).design(self);
        out.insert_str(0, "// A design generated by leash::arbitrary.\n// expect: verified\n");
        out
    }

    /// Where defects can be put, in the order of the model text.
    pub fn sites(&self) -> Vec<Site> {
        let mut printer = Printer::new(None);
        printer.design(self);
        printer.sites
    }

    /// The design with the defect of `sites()[site]`, if there is such a site.
    pub fn mutant(&self, site: usize) -> Option<Mutant> {
        let Site { defect, task } = self.sites().into_iter().nth(site)?;
        let mut source = Printer::new(Some(site)).design(self);
        source.insert_str(0, &format!("// leash::arbitrary: {} in {task}\n", defect.name()));
        Some(Mutant { design: self.clone(), defect, task, source })
    }

    /// The design with `defect` at its first site, if it has one.
    pub fn with_defect(&self, defect: Defect) -> Option<Mutant> {
        self.mutant(self.sites().iter().position(|s| s.defect == defect)?)
    }

    /// Tasks besides `main`.
    pub fn spawned(&self) -> u8 {
        self.main.tasks()
    }
}

impl Node {
    fn tasks(&self) -> u8 {
        self.components.iter().map(Component::tasks).sum()
    }

    fn needs_ctx(&self) -> bool {
        self.components.iter().any(Component::needs_ctx)
    }

    /// Keeps the components that fit within `budget` spawned tasks, shrinking groups to fit.
    fn fit(self, budget: u8) -> Node {
        let mut left = budget;
        let components = self
            .components
            .into_iter()
            .filter_map(|c| {
                let c = c.fit(left)?;
                left -= c.tasks();
                Some(c)
            })
            .collect();
        Node { components, overlap: self.overlap }
    }
}

impl Component {
    fn tasks(&self) -> u8 {
        match self {
            Component::Group { members, .. } | Component::WaitGroup { members, .. } => *members,
            Component::Child { body, .. } => 1 + body.tasks(),
            _ => 1,
        }
    }

    fn needs_ctx(&self) -> bool {
        match self {
            Component::Worker { .. }
            | Component::Heartbeat
            | Component::Timeout
            | Component::Group { .. } => true,
            Component::Fallible | Component::Poller => true,
            Component::WaitGroup { .. } | Component::Publisher | Component::Notify => false,
            Component::Child { body, .. } => body.needs_ctx(),
        }
    }

    fn fit(self, budget: u8) -> Option<Component> {
        match self {
            _ if budget == 0 => None,
            Component::Group { members, limited } => {
                Some(Component::Group { members: members.min(budget), limited })
            }
            Component::WaitGroup { members, add_first } => {
                Some(Component::WaitGroup { members: members.min(budget), add_first })
            }
            Component::Child { join, body } => {
                let body = body.fit(budget - 1);
                (!body.components.is_empty()).then_some(Component::Child { join, body })
            }
            other => Some(other),
        }
    }
}

/// Well-formed designs of at most [`MAX_SPAWNED`] tasks besides `main`.
pub fn design() -> impl Strategy<Value = Design> {
    node(MAX_NESTING).prop_map(|main| Design { main: main.fit(MAX_SPAWNED) })
}

/// One-defect mutants of [`design`]s, every site equally likely within a design.
pub fn mutant() -> impl Strategy<Value = Mutant> {
    design()
        .prop_flat_map(|d| {
            let sites = d.sites().len();
            (Just(d), 0..sites)
        })
        .prop_map(|(d, site)| d.mutant(site).expect("the site index is in range"))
}

fn node(depth: u32) -> BoxedStrategy<Node> {
    (prop::collection::vec(component(depth), 1..=3), any::<bool>())
        .prop_map(|(components, overlap)| Node { components, overlap })
        .boxed()
}

fn component(depth: u32) -> BoxedStrategy<Component> {
    let stop = prop_oneof![Just(Stop::Close), Just(Stop::Cancel)];
    let worker = (1..=2u8, stop).prop_flat_map(|(capacity, stop)| {
        (1..=capacity).prop_map(move |jobs| Component::Worker { capacity, jobs, stop })
    });
    let leaf = prop_oneof![
        worker,
        Just(Component::Heartbeat),
        Just(Component::Timeout),
        (1..=2u8, any::<bool>()).prop_map(|(members, limited)| Component::Group { members, limited }),
        (1..=2u8, any::<bool>()).prop_map(|(members, add_first)| Component::WaitGroup { members, add_first }),
        Just(Component::Publisher),
        Just(Component::Fallible),
        Just(Component::Poller),
        Just(Component::Notify),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let join = prop_oneof![Just(Join::Handle), Just(Join::DoneChannel)];
    let child = (join, node(depth - 1)).prop_map(|(join, body)| Component::Child { join, body });
    prop_oneof![4 => leaf, 1 => child].boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_source, render_text, CheckOptions, Verdict};

    /// A design of one component.
    fn leaf(c: Component) -> Design {
        Design { main: Node { components: vec![c], overlap: false } }
    }

    #[test]
    fn the_select_and_deadline_components_verify_and_each_defect_is_refuted() {
        // A notification taken only if there, next to other tasks: the
        // owner's `default` must still be able to win the race.
        let beside = Design {
            main: Node {
                components: vec![Component::Notify, Component::WaitGroup { members: 2, add_first: false }],
                overlap: true,
            },
        };
        for design in [leaf(Component::Fallible), leaf(Component::Poller), leaf(Component::Notify), beside] {
            let source = design.to_source();
            let report = check_source("design.leash", &source, &CheckOptions::default()).unwrap();
            let shown = || format!("{source}\n{}", render_text(std::slice::from_ref(&report)));
            assert!(report.verdict == Verdict::Verified && report.findings.is_empty(), "{}", shown());
            let sites = design.sites();
            assert!(!sites.is_empty());
            for i in 0..sites.len() {
                let mutant = design.mutant(i).unwrap();
                let report = check_source("mutant.leash", &mutant.source, &CheckOptions::default()).unwrap();
                let found = report.findings.iter().any(|f| {
                    FindingKind::from_name(&f.kind).is_some_and(|k| mutant.defect.kinds().contains(&k))
                        && f.tasks.contains(&mutant.task)
                });
                assert!(
                    found,
                    "{} in {}:\n{}\n{}",
                    mutant.defect.name(),
                    mutant.task,
                    mutant.source,
                    render_text(std::slice::from_ref(&report))
                );
            }
        }
    }
}
