//! The Go statement tree the emitter builds, and its rendering as gofmt'd
//! text. Jumps stay abstract (to an IR node) until `tidy` has turned them
//! into fallthrough, `break`, `continue` or, rarely, `goto`.

use leash_ir::{Expr, Pc};
use std::collections::BTreeMap;

/// A statement.
#[derive(Clone, Debug)]
pub(crate) enum Stmt {
    /// One simple statement.
    Line(Line),
    If(If),
    For(For),
    /// `select { cases }` (a case head may be `default:`).
    Select(Vec<Case>, Option<u32>),
    /// `switch tag { case 0: ... default: ... }`, the model's `choose`.
    Switch(String, Vec<Vec<Stmt>>, Option<u32>),
    /// A `{ ... }` block, for short-lived variables.
    Block(Vec<Stmt>),
    /// A function literal: `open` body `close` (`defer func() {` ... `}()`).
    Closure(String, Vec<Stmt>, String, Option<u32>),
    /// The code of an IR node starts here.
    Label(Pc),
    /// Control goes to an IR node that follows.
    Goto(Pc),
    /// Control goes back to a loop header.
    Continue(Pc),
    /// Control leaves the loop with this header.
    Break(Pc),
}

/// A simple statement.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) text: String,
    /// The locals it names.
    pub(crate) uses: Vec<u16>,
    /// The model line it comes from.
    pub(crate) line: Option<u32>,
    pub(crate) kind: LineKind,
}

/// What a line is, where a rewrite needs to know.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LineKind {
    Plain,
    /// `perturb()`, the harness's scheduling point.
    Perturb,
    /// `return` (bare: without a value).
    Return {
        bare: bool,
    },
    /// `value, ok = <-chan`, where `ok` is a local slot (`temp`: the slot
    /// of `value` when it is a local of the lowering).
    Recv {
        value: String,
        temp: Option<u16>,
        ok: u16,
        chan: String,
        uses: Vec<u16>,
    },
    /// `slot = n`.
    SetInt {
        slot: u16,
        value: i16,
    },
    /// `slot = i16(slot + 1)`.
    Step {
        slot: u16,
    },
    /// `place = temp`: a local of the lowering copied into the local `slot`
    /// (the variable of a `for v in ch`, given the value received).
    Copy {
        place: String,
        slot: u16,
        temp: u16,
    },
}

/// A condition, with its negation ready.
#[derive(Clone, Debug)]
pub(crate) struct Cond {
    pub(crate) text: String,
    pub(crate) negated: String,
    /// The IR condition, for pattern matching.
    pub(crate) ir: Expr,
    pub(crate) uses: Vec<u16>,
}

impl Cond {
    pub(crate) fn not(self) -> Cond {
        Cond { text: self.negated, negated: self.text, ir: crate::emit::negate(&self.ir), uses: self.uses }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct If {
    pub(crate) cond: Cond,
    pub(crate) then: Vec<Stmt>,
    pub(crate) els: Vec<Stmt>,
    pub(crate) line: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct For {
    /// The IR loop header.
    pub(crate) header: Pc,
    pub(crate) head: ForHead,
    pub(crate) body: Vec<Stmt>,
    pub(crate) line: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) enum ForHead {
    /// `for {`
    Forever,
    /// `for cond {`
    While(Cond),
    /// `for init; cond; post {`
    Clause { init: Line, cond: Cond, post: String },
    /// `for value = range chan {`
    Range { value: String, chan: String, uses: Vec<u16> },
}

#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// `case v = <-ch:` or `default:`.
    pub(crate) head: String,
    pub(crate) uses: Vec<u16>,
    pub(crate) body: Vec<Stmt>,
}

impl Stmt {
    pub(crate) fn line(text: impl Into<String>, uses: Vec<u16>, line: Option<u32>) -> Stmt {
        Stmt::Line(Line { text: text.into(), uses, line, kind: LineKind::Plain })
    }

    /// Whether control never goes on to the next statement.
    pub(crate) fn jumps(&self) -> bool {
        match self {
            Stmt::Goto(_) | Stmt::Continue(_) | Stmt::Break(_) => true,
            Stmt::Line(l) => matches!(l.kind, LineKind::Return { .. }),
            _ => false,
        }
    }

    /// Whether a function literal in the statement names local `slot`.
    pub(crate) fn captures(&self, slot: u16) -> bool {
        let any = |stmts: &[Stmt]| stmts.iter().any(|s| s.captures(slot));
        match self {
            Stmt::Closure(_, body, _, _) => {
                let mut uses = Vec::new();
                body.iter().for_each(|s| s.uses(&mut uses));
                uses.contains(&slot)
            }
            Stmt::If(i) => any(&i.then) || any(&i.els),
            Stmt::For(f) => any(&f.body),
            Stmt::Select(cases, _) => cases.iter().any(|c| any(&c.body)),
            Stmt::Switch(_, arms, _) => arms.iter().any(|a| any(a)),
            Stmt::Block(b) => any(b),
            Stmt::Line(_) | Stmt::Label(_) | Stmt::Goto(_) | Stmt::Continue(_) | Stmt::Break(_) => false,
        }
    }

    /// Every local named in the statement, nested statements included.
    pub(crate) fn uses(&self, out: &mut Vec<u16>) {
        let all = |stmts: &[Stmt], out: &mut Vec<u16>| stmts.iter().for_each(|s| s.uses(out));
        match self {
            Stmt::Line(l) => {
                out.extend(&l.uses);
                if let LineKind::Recv { uses, .. } = &l.kind {
                    out.extend(uses);
                }
            }
            Stmt::If(i) => {
                out.extend(&i.cond.uses);
                all(&i.then, out);
                all(&i.els, out);
            }
            Stmt::For(f) => {
                match &f.head {
                    ForHead::Forever => {}
                    ForHead::While(c) => out.extend(&c.uses),
                    ForHead::Clause { init, cond, .. } => {
                        out.extend(&init.uses);
                        out.extend(&cond.uses);
                    }
                    ForHead::Range { uses, .. } => out.extend(uses),
                }
                all(&f.body, out);
            }
            Stmt::Select(cases, _) => {
                for c in cases {
                    out.extend(&c.uses);
                    all(&c.body, out);
                }
            }
            Stmt::Switch(_, arms, _) => arms.iter().for_each(|a| all(a, out)),
            Stmt::Block(b) | Stmt::Closure(_, b, _, _) => all(b, out),
            Stmt::Label(_) | Stmt::Goto(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
        }
    }
}

/// Lines of Go text with the model line each came from.
#[derive(Default)]
pub(crate) struct Text {
    pub(crate) lines: Vec<(String, Option<u32>)>,
}

impl Text {
    pub(crate) fn push(&mut self, depth: usize, text: &str, line: Option<u32>) {
        let mut s = "\t".repeat(depth);
        s.push_str(text);
        self.lines.push((s, line));
    }

    pub(crate) fn blank(&mut self) {
        self.lines.push((String::new(), None));
    }
}

/// Labels chosen by `tidy`: loop labels and `goto` targets, by IR node.
#[derive(Default)]
pub(crate) struct Labels {
    pub(crate) names: BTreeMap<Pc, String>,
}

/// Renders statements at `depth` tabs.
pub(crate) fn render(stmts: &[Stmt], depth: usize, labels: &Labels, out: &mut Text) {
    let mut i = 0;
    while i < stmts.len() {
        match &stmts[i] {
            Stmt::Label(pc) => {
                if let Some(name) = labels.names.get(pc) {
                    let before_loop = matches!(stmts.get(i + 1), Some(Stmt::For(f)) if f.header == *pc);
                    if !before_loop {
                        out.push(depth.saturating_sub(1), &format!("{name}:"), None);
                    }
                }
            }
            s => render_one(s, depth, labels, out),
        }
        i += 1;
    }
}

fn render_one(s: &Stmt, depth: usize, labels: &Labels, out: &mut Text) {
    match s {
        Stmt::Line(l) => out.push(depth, &l.text, l.line),
        Stmt::If(x) => {
            out.push(depth, &format!("if {} {{", x.cond.text), x.line);
            render(&x.then, depth + 1, labels, out);
            render_else(&x.els, depth, labels, out);
        }
        Stmt::For(f) => {
            if let Some(name) = labels.names.get(&f.header) {
                out.push(depth.saturating_sub(1), &format!("{name}:"), None);
            }
            let head = match &f.head {
                ForHead::Forever => "for {".to_string(),
                ForHead::While(c) => format!("for {} {{", c.text),
                ForHead::Clause { init, cond, post } => {
                    format!("for {}; {}; {post} {{", init.text, cond.text)
                }
                ForHead::Range { value, chan, .. } if value == "_" => format!("for range {chan} {{"),
                ForHead::Range { value, chan, .. } => format!("for {value} = range {chan} {{"),
            };
            out.push(depth, &head, f.line);
            render(&f.body, depth + 1, labels, out);
            out.push(depth, "}", None);
        }
        Stmt::Select(cases, line) if cases.is_empty() => out.push(depth, "select {}", *line),
        Stmt::Select(cases, line) => {
            out.push(depth, "select {", *line);
            for c in cases {
                out.push(depth, &c.head, *line);
                render(&c.body, depth + 1, labels, out);
            }
            out.push(depth, "}", None);
        }
        Stmt::Switch(tag, arms, line) => {
            out.push(depth, &format!("switch {tag} {{"), *line);
            for (n, arm) in arms.iter().enumerate() {
                let head = if n + 1 == arms.len() { "default:".to_string() } else { format!("case {n}:") };
                out.push(depth, &head, *line);
                render(arm, depth + 1, labels, out);
            }
            out.push(depth, "}", None);
        }
        Stmt::Block(b) => {
            out.push(depth, "{", None);
            render(b, depth + 1, labels, out);
            out.push(depth, "}", None);
        }
        Stmt::Closure(open, body, close, line) => {
            out.push(depth, open, *line);
            render(body, depth + 1, labels, out);
            out.push(depth, close, None);
        }
        Stmt::Goto(pc) => out.push(depth, &format!("goto {}", labels.names[pc]), None),
        Stmt::Continue(pc) => match labels.names.get(pc) {
            Some(name) => out.push(depth, &format!("continue {name}"), None),
            None => out.push(depth, "continue", None),
        },
        Stmt::Break(pc) => match labels.names.get(pc) {
            Some(name) => out.push(depth, &format!("break {name}"), None),
            None => out.push(depth, "break", None),
        },
        Stmt::Label(_) => unreachable!("labels are rendered by `render`"),
    }
}

/// `} else {` ... `}`, `} else if` for an else that is a single `if`, or `}`.
fn render_else(els: &[Stmt], depth: usize, labels: &Labels, out: &mut Text) {
    match els {
        [] => out.push(depth, "}", None),
        [Stmt::If(x)] => {
            out.push(depth, &format!("}} else if {} {{", x.cond.text), x.line);
            render(&x.then, depth + 1, labels, out);
            render_else(&x.els, depth, labels, out);
        }
        _ => {
            out.push(depth, "} else {", None);
            render(els, depth + 1, labels, out);
            out.push(depth, "}", None);
        }
    }
}
