//! Shortening a path that the bug hunt met: every candidate is replayed on
//! the reference semantics and kept only if it still ends in the same
//! finding, so a shortened path is as real as the one it came from; but it
//! need not be the shortest of the model (that takes breadth-first search).
//!
//! First the loops are cut out: where the run came back to a state it had
//! been in, the steps in between go. Then steps are dropped, in chunks
//! halving down to single steps (after Zeller's delta debugging), a step
//! being told by who takes it (a task by the order tasks were started, an
//! event by its object) so that the steps after a dropped one still mean
//! the same moves. Both end when the finding is met earlier on the way.

use crate::search::{dead_state, event_finding};
use crate::Finding;
use leash_ir::Program;
use leash_semantics::{apply, enabled, initial, path_steps, Actor, Scenario, State, Transition};
use rustc_hash::FxHashMap;

/// At most this many steps are replayed to shorten one path.
const BUDGET: usize = 1 << 18;

/// `f`, a finding met at the end of its path, with a path as short as
/// loops cut out and steps dropped make it.
pub(crate) fn shorten(p: &Program, scenario: Scenario, f: &Finding) -> Finding {
    let key = Key::of(f);
    let Some(mut best) =
        without_loops(p, scenario, &f.path).and_then(|path| ends_in(p, scenario, &path, &key))
    else {
        return f.clone();
    };
    let mut spent = best.path.len();
    let mut moves = moves(p, scenario, &best.path);
    let mut chunk = moves.len().div_ceil(2);
    while chunk > 0 && spent < BUDGET {
        let mut start = 0;
        while start < moves.len() && spent < BUDGET {
            let end = (start + chunk).min(moves.len());
            let candidate: Vec<Move> = moves[..start].iter().chain(&moves[end..]).copied().collect();
            spent += candidate.len();
            match replay_moves(p, scenario, &candidate, &key) {
                Some(found) => {
                    moves = candidate[..found.path.len()].to_vec();
                    best = found;
                }
                None => start = end,
            }
        }
        chunk /= 2;
    }
    best
}

/// What a finding is, as the search keys it: kind, tasks and detail.
struct Key<'f> {
    kind: leash_semantics::FindingKind,
    funcs: &'f [u16],
    detail: &'f str,
}

impl<'f> Key<'f> {
    fn of(f: &'f Finding) -> Key<'f> {
        Key { kind: f.kind, funcs: &f.funcs, detail: &f.detail }
    }

    fn matches(&self, f: &Finding) -> bool {
        f.kind == self.kind && f.funcs == self.funcs && f.detail == self.detail
    }
}

/// `path` with every loop cut out: a state met again drops the steps since
/// it was first met. `None` if the path does not replay.
fn without_loops(p: &Program, scenario: Scenario, path: &[u16]) -> Option<Vec<u16>> {
    let mut s = initial(p).ok()?.state;
    let mut out: Vec<u16> = Vec::with_capacity(path.len());
    let mut at: FxHashMap<State, usize> = FxHashMap::default();
    at.insert(s.clone(), 0);
    let mut states = vec![s.clone()];
    for (i, &k) in path.iter().enumerate() {
        let t = *path_steps(p, &s, scenario).get(k as usize)?;
        out.push(k);
        match apply(p, &s, &t, scenario) {
            // A panic ends the path.
            Err(_) => return (i + 1 == path.len()).then_some(out),
            Ok(a) => s = a.state,
        }
        match at.get(&s) {
            Some(&j) => {
                for dropped in states.drain(j + 1..) {
                    at.remove(&dropped);
                }
                out.truncate(j);
            }
            None => {
                at.insert(s.clone(), states.len());
                states.push(s.clone());
            }
        }
    }
    Some(out)
}

/// The finding `key` met first along `path` (by a step's panic or warning,
/// or in the dead state at its end), with the path that far.
fn ends_in(p: &Program, scenario: Scenario, path: &[u16], key: &Key) -> Option<Finding> {
    let mut s = initial(p).ok()?.state;
    for (i, &k) in path.iter().enumerate() {
        let t = *path_steps(p, &s, scenario).get(k as usize)?;
        match step(p, scenario, &s, &t, &path[..=i], key) {
            Stepped::Found(f) => return Some(f),
            Stepped::Panicked => return None,
            Stepped::Next(next, _) => s = next,
        }
    }
    dead(p, scenario, &s, path, key)
}

/// Who takes a step: a task by the order in which tasks were started (0 is
/// `main`), which dropping other steps does not change, or the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Task(u32),
    Signal,
    Deadline(u16),
    Fire(u16),
    Walk(u16),
}

/// A step told by who takes it, not by its index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Move {
    who: Who,
    case: u16,
    alt: u16,
    partner: Option<(u32, u16)>,
    time: bool,
}

/// The tasks of a run by slot, each named by the order it was started in.
struct Names {
    ids: Vec<u32>,
    started: u32,
}

impl Names {
    fn new(s: &State) -> Names {
        Names { ids: (0..s.tasks.len() as u32).collect(), started: s.tasks.len() as u32 }
    }

    fn of(&self, t: &Transition) -> Move {
        let who = match t.actor {
            Actor::Task(slot) => Who::Task(self.ids[slot as usize]),
            Actor::Signal => Who::Signal,
            Actor::Deadline(c) => Who::Deadline(c),
            Actor::Fire(o) => Who::Fire(o),
            Actor::Walk(c) => Who::Walk(c),
        };
        let partner = t.partner.map(|(slot, case)| (self.ids[slot as usize], case));
        Move { who, case: t.case, alt: t.alt, partner, time: t.time }
    }

    /// Tasks started and exited by a step.
    fn step(&mut self, spawned: usize, exited: &[u16]) {
        for _ in 0..spawned {
            self.ids.push(self.started);
            self.started += 1;
        }
        for &x in exited.iter().rev() {
            self.ids.remove(x as usize);
        }
    }
}

/// `path` as moves.
fn moves(p: &Program, scenario: Scenario, path: &[u16]) -> Vec<Move> {
    let Ok(init) = initial(p) else { return Vec::new() };
    let mut s = init.state;
    let mut names = Names::new(&s);
    let mut out = Vec::with_capacity(path.len());
    for &k in path {
        let t = path_steps(p, &s, scenario)[k as usize];
        out.push(names.of(&t));
        let Ok(a) = apply(p, &s, &t, scenario) else { break };
        names.step(a.spawned.len(), &a.exited);
        s = a.state;
    }
    out
}

/// Replays `moves`, each taken as the enabled step that is the same move
/// (never one held back: that is a real step only in a state on a cycle of
/// instant steps, which one run does not show);
/// the finding `key` met first on the way, with its path of indices, or
/// `None` if a move is not enabled where it comes or the finding is not met.
fn replay_moves(p: &Program, scenario: Scenario, moves: &[Move], key: &Key) -> Option<Finding> {
    let mut s = initial(p).ok()?.state;
    let mut names = Names::new(&s);
    let mut path = Vec::with_capacity(moves.len());
    for m in moves {
        let ts = enabled(p, &s, scenario);
        let k = ts.iter().position(|t| names.of(t) == *m)?;
        path.push(k as u16);
        match step(p, scenario, &s, &ts[k], &path, key) {
            Stepped::Found(f) => return Some(f),
            Stepped::Panicked => return None,
            Stepped::Next(next, (spawned, exited)) => {
                names.step(spawned, &exited);
                s = next;
            }
        }
    }
    dead(p, scenario, &s, &path, key)
}

/// What a step of a replay came to.
enum Stepped {
    /// It panicked or warned with the finding sought.
    Found(Finding),
    /// It panicked otherwise: the path ends here without the finding.
    Panicked,
    /// The state after it, with how many tasks it started and which exited.
    Next(State, (usize, Vec<u16>)),
}

/// Takes `t` in `s`, the last step of `path`, looking for the finding `key`.
fn step(p: &Program, scenario: Scenario, s: &State, t: &Transition, path: &[u16], key: &Key) -> Stepped {
    match apply(p, s, t, scenario) {
        Err(e) => {
            let f = event_finding(e, path.to_vec());
            if key.matches(&f) {
                Stepped::Found(f)
            } else {
                Stepped::Panicked
            }
        }
        Ok(a) => {
            let warned =
                a.events.into_iter().map(|e| event_finding(e, path.to_vec())).find(|f| key.matches(f));
            match warned {
                Some(f) => Stepped::Found(f),
                None => Stepped::Next(a.state, (a.spawned.len(), a.exited)),
            }
        }
    }
}

/// The finding `key` of `s` if `s`, reached by `path`, is a dead state with it.
fn dead(p: &Program, scenario: Scenario, s: &State, path: &[u16], key: &Key) -> Option<Finding> {
    if s.tasks.is_empty() || !enabled(p, s, scenario).is_empty() {
        return None;
    }
    dead_state(p, s, path.to_vec()).into_iter().find(|f| key.matches(f))
}
