//! Pictures of models and counterexamples as Graphviz DOT: the design graph
//! (ownership, channels, contexts, locks), the same graph marked with the end
//! state of a counterexample, and a per-task timeline of the trace. Graphs are
//! petgraph graphs written in a fixed node and edge order: the same input gives
//! byte-identical DOT. Rendering to SVG is the caller's business (the CLI runs
//! Graphviz `dot` when it is installed).

mod counterexample;
mod design;
mod dot;
mod sites;
mod timeline;

pub use counterexample::{counterexample_dot, Counterexample};
pub use design::{Design, Edge, EdgeKind, Node, NodeKey, Status};
pub use sites::{Site, SiteKind, Sites};
pub use timeline::timeline_dot;

/// The design graph of a model as DOT.
pub fn design_dot(program: &leash_ir::Program, source: &str, title: &str) -> String {
    dot::write(&Design::build(program, source), title)
}
