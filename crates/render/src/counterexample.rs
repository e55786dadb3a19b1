//! The design graph marked with the end state of a counterexample: blocked
//! tasks red with their wait reason and line, running ones amber, exited ones
//! grey; channels with their buffers and closed flags, contexts cancelled,
//! locks held; the operation a stuck task waits on drawn in red.

use crate::design::{Design, NodeKey, Status};
use crate::dot;
use leash_ir::Program;
use leash_native::{replay, task_names};
use leash_semantics::{enabled, wait_reason, Actor, CtxKind, Object, Scenario, State, TimerState, Value};
use leash_syntax::LineIndex;
use std::collections::BTreeMap;

/// A counterexample to draw.
pub struct Counterexample<'a> {
    /// The model's IR.
    pub program: &'a Program,
    /// The model's text (for line numbers).
    pub source: &'a str,
    /// The scenario the trace lives in.
    pub scenario: Scenario,
    /// Transition indices from the initial state to the end state drawn.
    pub path: &'a [u16],
    /// The picture's title (what was found).
    pub title: &'a str,
}

/// Formats a value for a label.
pub(crate) fn value(p: &Program, v: Value) -> String {
    match v {
        Value::Unit => "()".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Atom(a) => format!(":{}", p.atoms[a as usize]),
        Value::Ok => "ok".into(),
        Value::Err => "err".into(),
        Value::Nil => "nil".into(),
        Value::Obj(_) | Value::Ref(_) | Value::Done(_) => "handle".into(),
        Value::Task(_) | Value::TaskDone => "task".into(),
        Value::Func(f) => p.func(f).name.clone(),
    }
}

/// The counterexample as DOT, or why its path does not replay.
pub fn counterexample_dot(c: &Counterexample) -> Result<String, String> {
    let replayed =
        replay(c.program, c.scenario, c.path).map_err(|e| format!("the trace does not replay: {e:?}"))?;
    let names = task_names(c.program, &replayed);
    let end_names = names.last().expect("names after the last step");
    let state = &replayed.last;
    let lines = LineIndex::new(c.source);
    let mut d = Design::build(c.program, c.source);

    let moving: Vec<bool> = {
        let mut m = vec![false; state.tasks.len()];
        for t in enabled(c.program, state, c.scenario) {
            if let Actor::Task(s) = t.actor {
                m[s as usize] = true;
            }
            if let Some((s, _)) = t.partner {
                m[s as usize] = true;
            }
        }
        m
    };
    let mut per_task: BTreeMap<u16, Vec<(Status, String)>> = BTreeMap::new();
    for (slot, task) in state.tasks.iter().enumerate() {
        let (reason, span) = wait_reason(c.program, state, slot);
        let line = lines.line(span.start);
        let status = if moving[slot] { Status::Running } else { Status::Blocked };
        let what = if moving[slot] { "running" } else { "blocked" };
        per_task
            .entry(task.func)
            .or_default()
            .push((status, format!("{}{what} [{reason}] :{line}", prefix(&end_names[slot]))));
        if status == Status::Blocked {
            d.mark_stuck(task.func, line);
        }
    }
    let alive: Vec<&String> = end_names.iter().collect();
    let mut seen: Vec<(String, u16)> = Vec::new();
    for (i, step) in replayed.steps.iter().enumerate() {
        for (slot, t) in step.before.tasks.iter().enumerate() {
            let n = &names[i][slot];
            if !seen.iter().any(|(s, _)| s == n) {
                seen.push((n.clone(), t.func));
            }
        }
    }
    for (n, func) in seen {
        if !alive.contains(&&n) {
            per_task.entry(func).or_default().push((Status::Exited, format!("{}exited", prefix(&n))));
        }
    }
    for (func, entries) in per_task {
        let Some(idx) = d.node(NodeKey::Task(func)) else { continue };
        let node = &mut d.graph[idx];
        node.status = [Status::Blocked, Status::Running, Status::Exited]
            .into_iter()
            .find(|s| entries.iter().any(|(e, _)| e == s))
            .unwrap_or(Status::Plain);
        node.lines.extend(entries.into_iter().map(|(_, l)| l));
    }
    for (site, o) in object_sites(&d, state) {
        let Some(idx) = d.node(NodeKey::Site(site)) else { continue };
        let (marked, notes) = describe_object(c.program, state, o);
        let node = &mut d.graph[idx];
        node.lines.extend(notes);
        if marked {
            node.status = Status::Marked;
        }
    }
    Ok(dot::write(&d, c.title))
}

/// `worker#2: ` for a replicated task's instance; nothing for `main`.
fn prefix(name: &str) -> String {
    if name.contains('#') {
        format!("{name}: ")
    } else {
        String::new()
    }
}

/// Runtime objects of the end state matched to their creation sites, through
/// the variables that hold them (when a variable can hold only one site).
fn object_sites(d: &Design, s: &State) -> BTreeMap<usize, u16> {
    let mut out = BTreeMap::new();
    let deref = |v: Value| match v {
        Value::Ref(c) => match s.heap.get(c as usize) {
            Some(Object::Cell { value, .. }) => *value,
            _ => v,
        },
        v => v,
    };
    let obj = |v: Value| match deref(v) {
        Value::Obj(o) | Value::Done(o) => Some(o),
        _ => None,
    };
    let mut note = |sites: std::collections::BTreeSet<usize>, o: Option<u16>| {
        if let (Some(o), 1) = (o, sites.len()) {
            out.entry(*sites.iter().next().expect("one")).or_insert(o);
        }
    };
    for g in 0..s.heap.len() {
        if let Some(Object::Cell { value, .. }) = s.heap.get(g) {
            note(d.sites.of_global(g as u16), obj(*value));
        }
    }
    for task in &s.tasks {
        for frame in &task.frames {
            for (slot, v) in frame.locals.iter().enumerate() {
                note(d.sites.of_slot(frame.func, slot as u16), obj(*v));
            }
        }
    }
    out
}

/// Lines describing an object's state, and whether it is in a notable one.
fn describe_object(p: &Program, s: &State, o: u16) -> (bool, Vec<String>) {
    match s.heap.get(o as usize) {
        Some(Object::Chan { cap, buf, closed }) => {
            let mut lines = Vec::new();
            if *cap > 0 {
                let items: Vec<String> = buf.iter().map(|v| value(p, *v)).collect();
                lines.push(format!("buffer {}/{cap}: [{}]", buf.len(), items.join(", ")));
            }
            if *closed {
                lines.push("closed".into());
            }
            (*closed, lines)
        }
        Some(Object::Ctx { kind, .. }) => {
            if s.ctx_done(o) {
                let why = if *kind == CtxKind::Signal { "signalled" } else { "cancelled" };
                (true, vec![format!("✗ {why}")])
            } else {
                (false, vec!["live".into()])
            }
        }
        Some(Object::Mutex { locked: true }) => (true, vec!["locked".into()]),
        Some(Object::RwMutex(leash_semantics::RwMutex { count, writer, wait, rsem, wsem })) => {
            // Behind a writer, the readers inside are those it waits for;
            // without one, those counted but the ones about to take a permit.
            let inside = if *writer { (*wait).max(0) as u8 } else { count.saturating_sub(*rsem) };
            let waiting = *writer && (*wait > 0 || *wsem > 0);
            let mut l = Vec::new();
            if inside > 0 {
                l.push(format!("{inside} reader(s) inside"));
            }
            if *writer && !waiting {
                l.push("writer inside".into());
            }
            if waiting {
                l.push("writer waiting".into());
            }
            (!l.is_empty(), l)
        }
        Some(Object::WaitGroup { count, waiters }) => {
            let mut l = vec![format!("counter {count}")];
            if *waiters > 0 {
                l.push(format!("{waiters} waiting"));
            }
            (*count != 0, l)
        }
        Some(Object::Group { active, failed, .. }) => {
            let mut l = vec![format!("{active} running")];
            if *failed {
                l.push("failed".into());
            }
            (*failed, l)
        }
        Some(Object::Ticker { running, pending, .. }) => {
            let mut l = vec![if *running { "running" } else { "stopped" }.to_string()];
            if *pending {
                l.push("a tick waits".into());
            }
            (false, l)
        }
        Some(Object::Timer { state, .. }) => {
            let t = match state {
                TimerState::Armed => "armed",
                TimerState::Pending => "fired, value waiting",
                TimerState::Done => "fired",
                TimerState::Stopped => "stopped",
                TimerState::Rearmed => "reset, old value waiting",
            };
            (false, vec![t.into()])
        }
        _ => (false, Vec::new()),
    }
}
