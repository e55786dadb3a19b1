//! leash models as runnable Go programs (`leash emit go`).
//!
//! [`emit`] turns a compiled model into the text of a Go `package main`:
//!
//! - a **skeleton of the design**: every task a function `task_NAME` run as a
//!   goroutine, every helper a function `fn_NAME`, every `work` step a
//!   function `work_NAME` to replace with the real call; channels, `context`,
//!   `sync`, `errgroup` (golang.org/x/sync), tickers and timers as Go has them;
//!   each task's exit story (how it can return, where it can wait) as its doc
//!   comment;
//! - a **test harness**: `-scenario completion|error|cancel -seed N -perturb P`
//!   give the work its seeded durations and outcomes, the signal and the
//!   deadlines their seeded moments, and seeded `runtime.Gosched` calls at
//!   every step; after `main` returns the program reports, as one JSON line,
//!   the tasks still alive (wait reason and model line), a panic, or a
//!   deadlock.
//!
//! The translation is a pure function of the program and its source text:
//! the same model gives byte-identical Go. docs/go.md describes the mapping,
//! the harness and what is approximate.
//!
//! ```
//! let source = "task main() {\n    let done = chan(0)\n    spawn worker(done)\n    recv done\n}\n\n\
//!               task worker(done) {\n    work job\n    close(done)\n}\n";
//! let program = leash_ir::compile(source).unwrap();
//! let go = leash_golang::emit(&program, source, "worker.leash").unwrap();
//! assert!(go.contains("func task_worker(self *Task, done chan struct{}) error {"));
//! assert!(go.contains("\tgo task_worker(newTask(), done)\n"));
//! ```

mod cfg;
mod emit;
mod go;
mod kinds;
mod names;
mod refs;
mod story;
mod structure;
mod tidy;

use emit::{FnCx, Model};
use go::Text;
use leash_ir::{Ctor, Elem, Expr, FuncId, Instr, Program};
use leash_syntax::Diagnostic;

/// The harness's Go code, always included.
const HARNESS: &str = include_str!("harness/base.go");
/// Error groups, when the model has one.
const HARNESS_GROUP: &str = include_str!("harness/group.go");
/// Comparison of arrays and callbacks, when the model compares them.
const HARNESS_SAME: &str = include_str!("harness/same.go");
const HARNESS_COLLECTIONS: &str = include_str!("harness/collections.go");
/// Short timers and tickers, when the model makes one.
const HARNESS_SHORT: &str = include_str!("harness/short.go");

/// The Go program of a model: `source` is the model's text (for lines and
/// comments), `model` the name its header mentions. A model that Go cannot
/// express (a send on a context's done channel, a channel that carries
/// itself) is a diagnostic.
pub fn emit(program: &Program, source: &str, model: &str) -> Result<String, Vec<Diagnostic>> {
    let m = Model::new(program, source).map_err(|d| vec![*d])?;
    let mut text = Text::default();
    let mut funcs = Vec::new();
    for id in 0..program.funcs.len() as FuncId {
        funcs.push(function(&m, id).map_err(|d| vec![*d])?);
    }
    let groups = makes(program, &|c| matches!(c, Ctor::Group { .. }));
    header(&mut text, model, groups, m.uses_same.get());
    for (s, def) in program.structs.iter().enumerate() {
        text.push(0, &format!("// {} is the model's struct `{}`.", m.names.structs[s], def.name), None);
        text.push(0, &format!("type {} struct {{", m.names.structs[s]), None);
        // gofmt aligns the field types in a column.
        let width = m.names.fields[s].iter().map(String::len).max().unwrap_or(0);
        for (i, k) in m.kinds.fields[s].iter().enumerate() {
            text.push(1, &format!("{:width$} {}", m.names.fields[s][i], m.go_type(k)), None);
        }
        text.push(0, "}", None);
        text.blank();
    }
    for (i, g) in program.globals.iter().enumerate() {
        let k = m.go_type(&m.kinds.globals[i]);
        match g.range {
            Some((lo, hi)) => text.push(
                0,
                &format!("// {} holds an int[{lo}..{hi}]: a store outside panics.", m.names.globals[i]),
                None,
            ),
            None => text.push(
                0,
                &format!("// {} is the model-level variable `{}`.", m.names.globals[i], g.name),
                None,
            ),
        }
        text.push(0, &format!("var {} {k}", m.names.globals[i]), None);
        text.blank();
    }
    let init = program.init as usize;
    let order = (0..program.funcs.len()).filter(|&i| i != init).chain([init]);
    for id in order {
        text.lines.append(&mut funcs[id].lines);
        text.blank();
    }
    for (name, [head, literal, body]) in m.makers.borrow().iter() {
        text.push(
            0,
            &format!("// {name} makes a function value of the model, given what it captured."),
            None,
        );
        text.push(0, &format!("func {name}{head}"), None);
        text.push(1, literal, None);
        text.push(2, body, None);
        text.push(1, "}", None);
        text.push(0, "}", None);
        text.blank();
    }
    for w in &m.names.works {
        text.push(
            0,
            &format!("// {w} is the model's `{}`: replace it with the real call.", &w["work_".len()..]),
            None,
        );
        text.push(0, &format!("func {w}(ctx context.Context) error {{ return simulateWork(ctx) }}"), None);
        text.blank();
    }
    let mut harness = HARNESS.to_string();
    if groups {
        harness.push_str(HARNESS_GROUP);
    }
    if m.uses_same.get() {
        harness.push_str(HARNESS_SAME);
    }
    if uses_collections(program) {
        harness.push_str(HARNESS_COLLECTIONS);
    }
    if program.short_timers {
        harness.push_str(HARNESS_SHORT);
    }
    for l in harness.lines() {
        text.push(0, l, None);
    }
    text.blank();
    let table: Vec<String> = text
        .lines
        .iter()
        .enumerate()
        .filter_map(|(n, (_, line))| line.map(|l| format!("{}: {l}", n + 1)))
        .collect();
    text.push(0, "// modelLines maps lines of this file to lines of the model, for the report.", None);
    text.push(0, &format!("var modelLines = map[int]int{{{}}}", table.join(", ")), None);
    // Every Go task name that differs from the model's (`task_main_L12` for
    // the anonymous task `main@12`), so that the report speaks the model's names.
    let renamed: Vec<String> = program
        .funcs
        .iter()
        .zip(&m.names.funcs)
        .filter(|(f, go)| f.is_task && go.strip_prefix("task_") != Some(f.name.as_str()))
        .map(|(f, go)| format!("{:?}: {:?}", &go["task_".len()..], f.name))
        .collect();
    text.blank();
    text.push(0, "// modelTasks maps Go task names to the model's, where they differ.", None);
    text.push(0, &format!("var modelTasks = map[string]string{{{}}}", renamed.join(", ")), None);
    let mut out = String::new();
    for (l, _) in &text.lines {
        out.push_str(l);
        out.push('\n');
    }
    Ok(out)
}

/// Whether the program needs `collections.go`: it makes a map or a list, or
/// ranges over or looks up a map (a nil one, a struct's field never made,
/// needs the iterator and `has` too).
fn uses_collections(p: &Program) -> bool {
    let looks_up = p.funcs.iter().any(|f| {
        f.code.iter().any(|i| {
            let mut found = false;
            refs::visit_exprs(i, &mut |e| found |= matches!(e, Expr::MapHas(..)));
            found
        })
    });
    looks_up || makes(p, &|c| matches!(c, Ctor::Map | Ctor::List | Ctor::MapIter(_)))
}

/// Whether the program makes an object that `kind` picks, alone or as an
/// element of an array or a field of a struct.
fn makes(p: &Program, kind: &dyn Fn(&Ctor) -> bool) -> bool {
    fn within(c: &Ctor, kind: &dyn Fn(&Ctor) -> bool) -> bool {
        let elem = |e: &Elem| matches!(e, Elem::Ctor(c) if within(c, kind));
        kind(c)
            || match c {
                Ctor::Array { elem: e, .. } => elem(e),
                Ctor::Struct { fields, .. } => fields.iter().any(elem),
                _ => false,
            }
    }
    p.funcs.iter().any(|f| f.code.iter().any(|i| matches!(i, Instr::New { ctor, .. } if within(ctor, kind))))
}

fn header(text: &mut Text, model: &str, groups: bool, same: bool) {
    let lines = [
        format!("// Command model is the design of {model}, generated by `leash emit go`:"),
        "// a skeleton of the tasks, channels, contexts and locks of the model,".to_string(),
        "// followed by a harness that runs it and reports the goroutines left".to_string(),
        "// behind (docs/go.md). Build and run it with the system's x/sync:".to_string(),
        "//".to_string(),
        "//\tGO111MODULE=off GOPATH=/usr/share/gocode go build -o model main.go".to_string(),
        "//\t./model -scenario cancel -seed 7 -perturb 20".to_string(),
        "package main".to_string(),
        String::new(),
        "import (".to_string(),
    ];
    for l in &lines {
        text.push(0, l, None);
    }
    let mut std = vec![
        "context",
        "encoding/json",
        "errors",
        "flag",
        "fmt",
        "math",
        "os",
        "runtime",
        "runtime/metrics",
        "strconv",
        "strings",
        "sync",
        "sync/atomic",
        "time",
    ];
    if same {
        std.push("reflect");
    }
    std.sort_unstable();
    for p in std {
        text.push(1, &format!("{p:?}"), None);
    }
    if groups {
        text.blank();
        text.push(1, "\"golang.org/x/sync/errgroup\"", None);
    }
    text.push(0, ")", None);
    text.blank();
}

/// One function's text: doc comment, signature, declarations, body.
struct Function {
    lines: Vec<(String, Option<u32>)>,
}

fn function(m: &Model, id: FuncId) -> Result<Function, Box<Diagnostic>> {
    let p = m.p;
    let func = p.func(id);
    let cx = FnCx::new(m, id);
    let body = structure::region(&cx, 0)?;
    let mut text = Text::default();
    let name = &m.names.funcs[id as usize];
    if id == p.init {
        text.push(0, "// initModel sets the model-level variables, before main starts.", None);
    } else {
        for l in story::story(m, id) {
            if l.is_empty() {
                text.push(0, "//", None);
            } else {
                text.push(0, &format!("// {l}"), None);
            }
        }
    }
    let mut params: Vec<String> =
        (0..func.params).map(|s| format!("{} {}", cx.local_name(s), cx.slot_type(s))).collect();
    let result = if func.is_task {
        params.insert(0, "self *Task".to_string());
        " error".to_string()
    } else {
        let first = m.kinds.rets[id as usize].as_ref().map_or("struct{}".to_string(), |k| m.go_type(k));
        match func.results.is_empty() {
            true => m.kinds.rets[id as usize].as_ref().map_or(String::new(), |_| format!(" {first}")),
            // A helper with several results: `(int, error)`.
            false => {
                let rest: Vec<String> = func.results.iter().map(|&r| cx.slot_type(r)).collect();
                format!(" ({first}, {})", rest.join(", "))
            }
        }
    };
    text.push(0, &format!("func {name}({}){result} {{", params.join(", ")), Some(m.line(func.span)));
    if func.is_task {
        text.push(1, "defer self.exit()", None);
    }
    let mut uses = Vec::new();
    body.iter().for_each(|s| s.uses(&mut uses));
    uses.sort_unstable();
    uses.dedup();
    for s in uses.into_iter().filter(|&s| s >= func.params) {
        text.push(1, &format!("var {} {}", cx.local_name(s), cx.slot_type(s)), None);
    }
    go::render(&body, 1, &cx.labels.borrow(), &mut text);
    text.push(0, "}", None);
    Ok(Function { lines: text.lines })
}
