//! Writing a design graph as DOT, nodes then edges in index order.

use crate::design::{Design, EdgeKind, NodeKey, Status};
use std::fmt::Write;

/// Escapes a string for a double-quoted DOT label.
pub(crate) fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub(crate) fn node_id(key: NodeKey) -> String {
    match key {
        NodeKey::Task(f) => format!("t{f}"),
        NodeKey::Site(s) => format!("s{s}"),
    }
}

fn colours(status: Status) -> (&'static str, &'static str, &'static str) {
    // (fill, border, font)
    match status {
        Status::Plain => ("#ffffff", "#333333", "#000000"),
        Status::Blocked => ("#f8d0d0", "#c0392b", "#7b1f17"),
        Status::Running => ("#fde8b0", "#d68910", "#6e4a08"),
        Status::Exited => ("#eeeeee", "#999999", "#777777"),
        Status::Marked => ("#e3edf7", "#2e6da4", "#1d4266"),
    }
}

/// The graph as DOT with a title.
pub(crate) fn write(d: &Design, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph leash {{");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"{}\"];",
        escape(title)
    );
    let _ = writeln!(out, "  node [fontname=\"Helvetica\", fontsize=10];");
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];");
    for idx in d.graph.node_indices() {
        let n = &d.graph[idx];
        let (fill, border, font) = colours(n.status);
        let mut label = escape(&n.title);
        for l in &n.lines {
            label.push_str("\\n");
            label.push_str(&escape(l));
        }
        let style = if n.shape == "box" { "rounded,filled" } else { "filled" };
        let width = if matches!(n.status, Status::Blocked) { 2.5 } else { 1.2 };
        let _ = writeln!(
            out,
            "  {} [shape={}, style=\"{style}\", fillcolor=\"{fill}\", color=\"{border}\", fontcolor=\"{font}\", penwidth={width}, label=\"{label}\"];",
            node_id(n.key),
            n.shape,
        );
    }
    for e in d.graph.edge_indices() {
        let (a, b) = d.graph.edge_endpoints(e).expect("edge exists");
        let edge = &d.graph[e];
        let lines: Vec<String> = edge.lines.iter().map(|l| l.to_string()).collect();
        let label = if lines.is_empty() {
            edge.label.clone()
        } else {
            format!("{} :{}", edge.label, lines.join(","))
        };
        let style = match (edge.stuck, edge.kind) {
            (true, _) => "color=\"#c0392b\", fontcolor=\"#c0392b\", penwidth=2.5",
            (false, EdgeKind::Spawn) => "color=\"#000000\", penwidth=2",
            (false, EdgeKind::Use) => "color=\"#2e6da4\", fontcolor=\"#2e6da4\"",
            (false, EdgeKind::Derive) => "color=\"#777777\", fontcolor=\"#777777\", style=dotted",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\", {style}];",
            node_id(d.graph[a].key),
            node_id(d.graph[b].key),
            escape(&label)
        );
    }
    out.push_str("}\n");
    out
}
