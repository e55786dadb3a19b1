//! The design graph: tasks (boxes) linked by ownership (who spawns whom), the
//! objects they share (channels, contexts, locks, groups, tickers) and the
//! statements that use them. Built from the IR alone, as a petgraph graph whose
//! node and edge order is fixed by the program, so its DOT is byte-stable.

use crate::sites::{SiteKind, Sites};
use leash_ir::{Callee, CaseKind, Expr, FuncId, Instr, Op, Program};
use leash_syntax::LineIndex;
use petgraph::graph::{EdgeIndex, Graph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKey {
    /// A task function (all its instances).
    Task(FuncId),
    /// An object creation site.
    Site(usize),
}

/// How a node is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The design itself: no run.
    Plain,
    /// Blocked forever at the end of the counterexample.
    Blocked,
    /// Still able to move (spinning, or not yet finished).
    Running,
    /// Exited.
    Exited,
    /// An object in a notable state (closed, cancelled, locked).
    Marked,
}

/// A node.
#[derive(Clone, Debug)]
pub struct Node {
    /// What it stands for.
    pub key: NodeKey,
    /// The title line.
    pub title: String,
    /// Further lines.
    pub lines: Vec<String>,
    /// The DOT shape.
    pub shape: &'static str,
    /// How it is coloured.
    pub status: Status,
}

/// What an edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// Ownership: the source spawns the target.
    Spawn,
    /// A statement of the task uses the object.
    Use,
    /// Context derivation, a group's context, a cond's lock.
    Derive,
}

/// An edge.
#[derive(Clone, Debug)]
pub struct Edge {
    /// What it means.
    pub kind: EdgeKind,
    /// The operation (`send`, `recv`, `cancel`, `spawn`, ...).
    pub label: String,
    /// The source lines of the statements.
    pub lines: BTreeSet<u32>,
    /// Drawn bold in red: the operation a stuck task waits on.
    pub stuck: bool,
}

/// The design graph of a model.
pub struct Design {
    /// The graph.
    pub graph: Graph<Node, Edge>,
    nodes: BTreeMap<NodeKey, NodeIndex>,
    edges: BTreeMap<(NodeIndex, NodeIndex, String), EdgeIndex>,
    /// The points-to facts it was built from.
    pub sites: Sites,
    /// For each function, the task functions whose instances run its code.
    pub runners: Vec<BTreeSet<FuncId>>,
}

fn kind_text(p: &Program, k: &SiteKind) -> String {
    match k {
        SiteKind::Struct(s) => format!("struct {}", p.structs[*s as usize].name),
        SiteKind::Chan(0) => "chan (unbuffered)".into(),
        SiteKind::Chan(n) => format!("chan({n})"),
        SiteKind::Mutex => "mutex".into(),
        SiteKind::RwMutex => "rwmutex".into(),
        SiteKind::Cond => "cond".into(),
        SiteKind::Once => "once".into(),
        SiteKind::WaitGroup => "waitgroup".into(),
        SiteKind::Group => "errgroup".into(),
        SiteKind::Ctx(kind) => format!("ctx {kind}"),
        SiteKind::Ticker => "ticker".into(),
        SiteKind::Timer => "timer".into(),
        SiteKind::Array => "array".into(),
    }
}

fn shape(k: &SiteKind) -> &'static str {
    match k {
        SiteKind::Chan(_) => "ellipse",
        SiteKind::Ctx(_) => "hexagon",
        SiteKind::Mutex | SiteKind::RwMutex | SiteKind::Cond | SiteKind::Once => "octagon",
        SiteKind::WaitGroup | SiteKind::Group => "component",
        SiteKind::Ticker | SiteKind::Timer => "note",
        SiteKind::Array => "record",
        SiteKind::Struct(_) => "folder",
    }
}

/// How many instances one spawn site makes: the product of the bounds of the
/// `for i in lo..hi` loops around it; `None` inside an unbounded loop.
fn multiplicity(code: &[Instr], pc: usize) -> Option<u32> {
    let mut n: u32 = 1;
    for (j, instr) in code.iter().enumerate() {
        let Instr::Jump { target } = instr else { continue };
        let top = *target as usize;
        if j <= pc || top > pc {
            continue;
        }
        let bound = match &code[top] {
            Instr::Branch { cond: Expr::Binary(leash_ir::BinOp::Lt, i, hi), target: end }
                if (*end as usize) > j =>
            {
                match (&**i, &**hi, top.checked_sub(1).map(|k| &code[k])) {
                    (
                        Expr::Local(a),
                        Expr::Const(leash_ir::Const::Int(hi)),
                        Some(Instr::Assign {
                            dst: leash_ir::Place::Bind(b),
                            value: Expr::Const(leash_ir::Const::Int(lo)),
                        }),
                    ) if a == b => Some((hi - lo).max(0) as u32),
                    _ => None,
                }
            }
            _ => None,
        };
        n = n.saturating_mul(bound?);
    }
    Some(n)
}

impl Design {
    /// Builds the design graph of `p`; `source` gives the line numbers.
    pub fn build(p: &Program, source: &str) -> Design {
        let lines = LineIndex::new(source);
        let sites = Sites::analyse(p);
        let runners = runners(p);
        let mut d =
            Design { graph: Graph::new(), nodes: BTreeMap::new(), edges: BTreeMap::new(), sites, runners };
        let mut spawned: BTreeMap<FuncId, Option<u32>> = BTreeMap::new();
        for func in &p.funcs {
            for (pc, instr) in func.code.iter().enumerate() {
                if let Instr::Spawn { func: callee, .. } = instr {
                    let m = multiplicity(&func.code, pc);
                    let e = spawned.entry(*callee).or_insert(Some(0));
                    *e = match (*e, m) {
                        (Some(a), Some(b)) => Some(a.saturating_add(b)),
                        _ => None,
                    };
                }
            }
        }
        for (id, func) in p.funcs.iter().enumerate().filter(|(_, f)| f.is_task) {
            let title = match spawned.get(&(id as FuncId)) {
                Some(Some(n)) if *n > 1 => format!("{} ×{n}", func.name),
                Some(None) => format!("{} ×n", func.name),
                _ => func.name.clone(),
            };
            d.add_node(Node {
                key: NodeKey::Task(id as FuncId),
                title,
                lines: Vec::new(),
                shape: "box",
                status: Status::Plain,
            });
        }
        for (i, site) in d.sites.sites.clone().iter().enumerate() {
            if site.kind == SiteKind::Array {
                continue;
            }
            let mut title = names(p, &d.sites, i).join(", ");
            if title.is_empty() {
                title = kind_text(p, &site.kind);
            }
            let mut kind = kind_text(p, &site.kind);
            if site.count > 1 {
                kind = format!("{kind} ×{}", site.count);
            }
            d.add_node(Node {
                key: NodeKey::Site(i),
                title,
                lines: vec![kind],
                shape: shape(&site.kind),
                status: Status::Plain,
            });
        }
        for (id, func) in p.funcs.iter().enumerate() {
            let id = id as FuncId;
            for (pc, instr) in func.code.iter().enumerate() {
                let line = lines.line(func.spans[pc].start);
                d.uses(p, id, instr, line);
            }
        }
        for (parent, child) in d.sites.derived.clone() {
            d.add_edge(NodeKey::Site(parent), NodeKey::Site(child), EdgeKind::Derive, "derives", None);
        }
        for (group, ctx) in d.sites.group_ctx.clone() {
            d.add_edge(NodeKey::Site(group), NodeKey::Site(ctx), EdgeKind::Derive, "ctx", None);
        }
        for (cond, mu) in d.sites.cond_mutex.clone() {
            d.add_edge(NodeKey::Site(cond), NodeKey::Site(mu), EdgeKind::Derive, "locks", None);
        }
        // A struct holds the objects of its fields, and owns the tasks whose
        // handles it keeps.
        for ((s, field), objects) in d.sites.fields.clone() {
            let SiteKind::Struct(def) = d.sites.sites[s].kind else { continue };
            let name = &p.structs[def as usize].fields[field as usize];
            for o in objects {
                d.add_edge(NodeKey::Site(s), NodeKey::Site(o), EdgeKind::Derive, name, None);
            }
        }
        for (s, field, task) in d.sites.owned.clone() {
            let SiteKind::Struct(def) = d.sites.sites[s].kind else { continue };
            let label = format!("owns ({})", p.structs[def as usize].fields[field as usize]);
            d.add_edge(NodeKey::Site(s), NodeKey::Task(task), EdgeKind::Spawn, &label, None);
        }
        d
    }

    fn add_node(&mut self, n: Node) {
        let key = n.key;
        let idx = self.graph.add_node(n);
        self.nodes.insert(key, idx);
    }

    /// The node for `key`, if drawn.
    pub fn node(&self, key: NodeKey) -> Option<NodeIndex> {
        self.nodes.get(&key).copied()
    }

    fn add_edge(&mut self, from: NodeKey, to: NodeKey, kind: EdgeKind, label: &str, line: Option<u32>) {
        let (Some(a), Some(b)) = (self.node(from), self.node(to)) else { return };
        let key = (a, b, label.to_string());
        let e = match self.edges.get(&key) {
            Some(&e) => e,
            None => {
                let e = self.graph.add_edge(
                    a,
                    b,
                    Edge { kind, label: label.into(), lines: BTreeSet::new(), stuck: false },
                );
                self.edges.insert(key, e);
                e
            }
        };
        if let Some(l) = line {
            self.graph[e].lines.insert(l);
        }
    }

    /// Marks the edges of `line` that touch `task` as the ones a stuck task waits on.
    pub fn mark_stuck(&mut self, task: FuncId, line: u32) {
        let Some(t) = self.node(NodeKey::Task(task)) else { return };
        for e in self.graph.edge_indices() {
            let (a, b) = self.graph.edge_endpoints(e).expect("edge exists");
            if (a == t || b == t) && self.graph[e].lines.contains(&line) {
                self.graph[e].stuck = true;
            }
        }
    }

    fn uses(&mut self, p: &Program, f: FuncId, instr: &Instr, line: u32) {
        let runners = self.runners[f as usize].clone();
        let sites = |d: &Design, e: &Expr| d.sites.of_expr(f, e);
        for r in runners {
            let task = NodeKey::Task(r);
            let to = |d: &mut Design, e: &Expr, label: &str, outward: bool| {
                for s in sites(d, e) {
                    let site = NodeKey::Site(s);
                    let label = match (&d.sites.sites[s].kind, label) {
                        (SiteKind::Ctx(_), "recv") => "done",
                        (SiteKind::Ticker | SiteKind::Timer, "recv") => "fires",
                        _ => label,
                    };
                    if outward {
                        d.add_edge(task, site, EdgeKind::Use, label, Some(line));
                    } else {
                        d.add_edge(site, task, EdgeKind::Use, label, Some(line));
                    }
                }
            };
            match instr {
                Instr::Spawn { func, group, detached, .. } => {
                    let label = match (group.is_some(), detached) {
                        (true, _) => "g.go",
                        (false, true) => "spawn detached (not owned)",
                        (false, false) => "spawn",
                    };
                    self.add_edge(task, NodeKey::Task(*func), EdgeKind::Spawn, label, Some(line));
                }
                Instr::Send { chan, .. } => to(self, chan, "send", true),
                Instr::Recv { chan, .. } => to(self, chan, "recv", false),
                Instr::Select { cases, .. } => {
                    for c in cases {
                        match &c.kind {
                            CaseKind::Send { chan, .. } => to(self, chan, "send", true),
                            CaseKind::Recv { chan, .. } => to(self, chan, "recv", false),
                            CaseKind::After => {}
                        }
                    }
                }
                Instr::OnceEnter { once, .. } => to(self, once, "do", true),
                Instr::Op { op, target, arg, .. } => {
                    let label = match op {
                        Op::Close => "close",
                        Op::Cancel => "cancel",
                        Op::Stop => "stop",
                        Op::Reset => "reset",
                        Op::Lock | Op::Unlock | Op::RLock | Op::RUnlock | Op::WLock | Op::WUnlock => "lock",
                        Op::WgAdd => "add",
                        Op::WgDone => "done",
                        Op::WgWait | Op::GroupWait | Op::CondWait => "wait",
                        Op::CondSignal | Op::CondBroadcast => "signal",
                        Op::MapDelete => "delete",
                        Op::ListLoad if arg.is_some() => "push",
                        Op::Push => "push",
                        Op::ListLoad | Op::Pop => "pop",
                    };
                    to(self, target, label, true);
                }
                _ => {}
            }
        }
        let _ = p;
    }
}

/// The names by which a site is known: locals and model-level variables that
/// may hold it (temporaries left out), the creating function's first; an
/// object held in a struct's field is also `w.field`.
fn names(p: &Program, sites: &Sites, site: usize) -> Vec<String> {
    let mut out = local_names(p, sites, site);
    for ((s, field), objects) in &sites.fields {
        let SiteKind::Struct(def) = sites.sites[*s].kind else { continue };
        if !objects.contains(&site) || out.len() >= 3 {
            continue;
        }
        let holder = local_names(p, sites, *s).into_iter().next();
        let holder = holder.unwrap_or_else(|| p.structs[def as usize].name.clone());
        let name = format!("{holder}.{}", p.structs[def as usize].fields[*field as usize]);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The locals and model-level variables that may hold a site.
fn local_names(p: &Program, sites: &Sites, site: usize) -> Vec<String> {
    let creator = sites.sites[site].func;
    let mut out: Vec<String> = Vec::new();
    let mut push = |n: &str| {
        if !n.starts_with('$') && !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    };
    for (g, global) in p.globals.iter().enumerate() {
        if sites.of_global(g as u16).contains(&site) {
            push(&global.name);
        }
    }
    let mut funcs: Vec<FuncId> = vec![creator];
    funcs.extend((0..p.funcs.len() as FuncId).filter(|&f| f != creator));
    for f in funcs {
        for (slot, name) in p.func(f).locals.iter().enumerate() {
            if sites.of_slot(f, slot as u16).len() == 1 && sites.of_slot(f, slot as u16).contains(&site) {
                push(name);
            }
        }
    }
    out.truncate(3);
    out
}

/// For each function, the task functions whose instances run its code.
fn runners(p: &Program) -> Vec<BTreeSet<FuncId>> {
    let mut r: Vec<BTreeSet<FuncId>> = p
        .funcs
        .iter()
        .enumerate()
        .map(|(i, f)| if f.is_task { BTreeSet::from([i as FuncId]) } else { BTreeSet::new() })
        .collect();
    loop {
        let mut changed = false;
        for (f, func) in p.funcs.iter().enumerate() {
            for instr in &func.code {
                // A function value runs where it is made (or further on).
                let callee = match instr {
                    Instr::Call { callee: Callee::Static(g), .. } => Some(*g),
                    Instr::New { ctor: leash_ir::Ctor::Closure { func, .. }, .. } => Some(*func),
                    _ => None,
                };
                if let Some(g) = callee {
                    let add = r[f].clone();
                    let before = r[g as usize].len();
                    r[g as usize].extend(add);
                    changed |= r[g as usize].len() != before;
                }
            }
        }
        if !changed {
            return r;
        }
    }
}
