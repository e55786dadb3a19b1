//! The timeline of a counterexample, GoKer style: one lane per task (and one
//! for the environment), the steps in order down the lanes, edges for each
//! matched send → receive, close → wake-up, cancel → done and spawn, and the
//! last state of each lane ("leaks here: chan send", "deadlocked here: ...").

use crate::dot::escape;
use leash_ir::Program;
use leash_native::{replay, task_names};
use leash_semantics::{
    describe_step, enabled, touches, wait_reason, Actor, CtxKind, Object, Scenario, Touch,
};
use leash_syntax::LineIndex;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

/// Follows heap objects across steps, giving each a stable number.
#[derive(Default)]
struct Identities {
    current: Vec<Option<usize>>,
    next: usize,
}

impl Identities {
    fn of(&mut self, o: u16) -> usize {
        let i = o as usize;
        if self.current.len() <= i {
            self.current.resize(i + 1, None);
        }
        *self.current[i].get_or_insert_with(|| {
            self.next += 1;
            self.next
        })
    }

    fn renumber(&mut self, map: &[u16]) {
        let mut next = Vec::new();
        for (old, &new) in map.iter().enumerate() {
            if new == u16::MAX {
                continue;
            }
            if next.len() <= new as usize {
                next.resize(new as usize + 1, None);
            }
            next[new as usize] = self.current.get(old).copied().flatten();
        }
        self.current = next;
    }
}

/// The timeline of `path` (then `cycle`, marked as repeating) as DOT.
pub fn timeline_dot(
    p: &Program,
    source: &str,
    scenario: Scenario,
    path: &[u16],
    cycle: &[u16],
    title: &str,
) -> Result<String, String> {
    let all: Vec<u16> = path.iter().chain(cycle).copied().collect();
    let r = replay(p, scenario, &all).map_err(|e| format!("the trace does not replay: {e:?}"))?;
    let names = task_names(p, &r);
    let lines = LineIndex::new(source);
    let line_text = |start: u32| {
        let s = start as usize;
        let a = source[..s].rfind('\n').map_or(0, |i| i + 1);
        let b = source[s..].find('\n').map_or(source.len(), |i| s + i);
        let text = &source[a..b];
        text.find("//").map_or(text, |i| &text[..i]).trim().to_string()
    };

    let mut lanes: Vec<String> = vec!["env".into()];
    let lane_of = |lanes: &mut Vec<String>, name: &str| match lanes.iter().position(|l| l == name) {
        Some(i) => i,
        None => {
            lanes.push(name.to_string());
            lanes.len() - 1
        }
    };
    for n in &names[0] {
        lane_of(&mut lanes, n);
    }
    let mut nodes: Vec<(usize, String, String)> = Vec::new(); // (lane, id, label)
    let mut cross: Vec<(String, String, &'static str)> = Vec::new();
    let mut first_in_lane: BTreeMap<usize, String> = BTreeMap::new();
    let mut ids = Identities::default();
    let mut buffered: BTreeMap<usize, VecDeque<String>> = BTreeMap::new();
    let mut closed_by: BTreeMap<usize, String> = BTreeMap::new();
    let mut cancelled_by: BTreeMap<usize, String> = BTreeMap::new();
    let mut signal: Option<String> = None;
    for (i, step) in r.steps.iter().enumerate() {
        let s = &step.before;
        let t = &step.transition;
        let text = describe_step(p, s, t);
        let n = i + 1;
        let marker = if i == path.len() && !cycle.is_empty() { "↻ " } else { "" };
        let (lane, label) = match t.actor {
            Actor::Task(slot) => {
                let lane = lane_of(&mut lanes, &names[i][slot as usize]);
                let note = if text.note.is_empty() { String::new() } else { format!(" [{}]", text.note) };
                (
                    lane,
                    format!(
                        "{marker}{n}. {}{note}\\n:{}",
                        escape(&line_text(text.span.start)),
                        lines.line(text.span.start)
                    ),
                )
            }
            _ => (0, format!("{marker}{n}. {}", escape(&text.note))),
        };
        let id = format!("n{n}");
        first_in_lane.entry(lane).or_insert_with(|| id.clone());
        nodes.push((lane, id.clone(), label));
        if let Some((partner, _)) = t.partner {
            let plane = lane_of(&mut lanes, &names[i][partner as usize]);
            let pid = format!("n{n}p");
            first_in_lane.entry(plane).or_insert_with(|| pid.clone());
            nodes.push((plane, pid.clone(), format!("{n}. send (rendezvous)")));
            cross.push((pid, id.clone(), "send → recv"));
        }
        match touches(p, s, t) {
            Touch::Send(o) => buffered.entry(ids.of(o)).or_default().push_back(id.clone()),
            Touch::Recv(o) if t.partner.is_none() => {
                if let Some(from) = buffered.entry(ids.of(o)).or_default().pop_front() {
                    cross.push((from, id.clone(), "send → recv"));
                }
            }
            Touch::Close(o) => {
                closed_by.insert(ids.of(o), id.clone());
            }
            Touch::RecvClosed(o) => {
                if let Some(from) = closed_by.get(&ids.of(o)) {
                    cross.push((from.clone(), id.clone(), "close → wake"));
                }
            }
            Touch::Cancel(c) | Touch::Deadline(c) => {
                cancelled_by.insert(ids.of(c), id.clone());
            }
            Touch::Signal => signal = Some(id.clone()),
            Touch::Done(c) => {
                let mut at = Some(c);
                while let Some(x) = at {
                    if let Some(from) = cancelled_by.get(&ids.of(x)) {
                        cross.push((from.clone(), id.clone(), "cancel → done"));
                        break;
                    }
                    match s.heap.get(x as usize) {
                        Some(Object::Ctx { kind: CtxKind::Signal, .. }) => {
                            if let Some(from) = &signal {
                                cross.push((from.clone(), id.clone(), "signal → done"));
                            }
                            break;
                        }
                        Some(Object::Ctx { parent, .. }) => at = *parent,
                        _ => break,
                    }
                }
            }
            _ => {}
        }
        for &f in &step.spawned {
            let child = names[i + 1].iter().rev().find(|n| n.starts_with(&p.func(f).name)).cloned();
            if let Some(child) = child {
                let lane = lane_of(&mut lanes, &child);
                cross.push((id.clone(), format!("h{lane}"), "spawn"));
            }
        }
        ids.renumber(&step.heap_map);
    }

    // The last state of each lane.
    let end = &r.last;
    let end_names = names.last().expect("names after the last step");
    let next = enabled(p, end, scenario);
    // Nothing can move while `main` is alive: a deadlock, not a leak.
    let deadlock = next.is_empty() && end.tasks.iter().any(|t| t.func == p.main);
    let moving: Vec<bool> = {
        let mut m = vec![false; end.tasks.len()];
        for t in next {
            if let Actor::Task(s) = t.actor {
                m[s as usize] = true;
            }
            if let Some((s, _)) = t.partner {
                m[s as usize] = true;
            }
        }
        m
    };
    let mut footers: BTreeMap<usize, String> = BTreeMap::new();
    for (slot, name) in end_names.iter().enumerate() {
        let lane = lane_of(&mut lanes, name);
        let (reason, span) = wait_reason(p, end, slot);
        let line = lines.line(span.start);
        let text = if !moving[slot] && deadlock {
            format!("deadlocked here: {reason} :{line}")
        } else if !moving[slot] {
            format!("leaks here: {reason} :{line}")
        } else if !cycle.is_empty() {
            format!("loops forever [{reason}] :{line}")
        } else {
            format!("still running [{reason}] :{line}")
        };
        footers.insert(lane, text);
    }

    let mut out = String::new();
    let _ = writeln!(out, "digraph timeline {{");
    let _ = writeln!(
        out,
        "  graph [rankdir=TB, newrank=true, nodesep=0.3, ranksep=0.25, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"{}\"];",
        escape(title)
    );
    let _ = writeln!(out, "  node [fontname=\"Helvetica\", fontsize=9, shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"];");
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=8];");
    for (lane, name) in lanes.iter().enumerate() {
        if lane == 0 && !nodes.iter().any(|(l, _, _)| *l == 0) {
            continue;
        }
        let _ = writeln!(out, "  subgraph cluster_{lane} {{");
        let _ = writeln!(out, "    label=\"\"; color=\"#dddddd\";");
        let _ = writeln!(
            out,
            "    h{lane} [label=\"{}\", shape=plaintext, style=\"\", fontsize=11];",
            escape(name)
        );
        let mut prev = format!("h{lane}");
        for (l, id, label) in nodes.iter().filter(|(l, _, _)| *l == lane) {
            let fill = if *l == 0 { "#eef3fa" } else { "#ffffff" };
            let _ = writeln!(out, "    {id} [label=\"{label}\", fillcolor=\"{fill}\"];");
            let _ = writeln!(out, "    {prev} -> {id} [style=invis, weight=10];");
            prev = id.clone();
        }
        let footer = match footers.get(&lane) {
            Some(f) => f.clone(),
            None if lane == 0 => String::new(),
            None => "exited".into(),
        };
        if !footer.is_empty() {
            let colour = if footer.starts_with("leaks") {
                "#c0392b"
            } else if footer == "exited" {
                "#777777"
            } else {
                "#d68910"
            };
            let _ = writeln!(
                out,
                "    f{lane} [label=\"{}\", shape=plaintext, style=\"\", fontcolor=\"{colour}\"];",
                escape(&footer)
            );
            let _ = writeln!(out, "    {prev} -> f{lane} [style=invis, weight=10];");
        }
        let _ = writeln!(out, "  }}");
    }
    // Time flows down: step n is above step n+1 whatever their lanes.
    let order: Vec<&String> = nodes.iter().map(|(_, id, _)| id).collect();
    for w in order.windows(2) {
        let _ = writeln!(out, "  {} -> {} [style=invis];", w[0], w[1]);
    }
    for (from, to, label) in &cross {
        let _ = writeln!(out, "  {from} -> {to} [label=\"{label}\", color=\"#2e6da4\", fontcolor=\"#2e6da4\", constraint=false];");
    }
    out.push_str("}\n");
    Ok(out)
}
