//! Go identifiers for the model's names: tasks become `task_NAME`, helpers
//! `fn_NAME`, work steps `work_NAME`; variables and locals keep their names
//! unless Go or the harness already uses them (then `_` is appended), and
//! shadowed locals get `_2`, `_3`, ...

use leash_ir::{FuncId, Program};
use std::collections::BTreeSet;

/// Go's keywords and predeclared identifiers, the packages the program
/// imports, and the identifiers of the harness.
const RESERVED: &[&str] = &[
    // keywords
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
    // predeclared
    "any",
    "append",
    "bool",
    "byte",
    "cap",
    "close",
    "comparable",
    "complex",
    "complex64",
    "complex128",
    "copy",
    "delete",
    "error",
    "false",
    "float32",
    "float64",
    "imag",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "iota",
    "len",
    "make",
    "new",
    "nil",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "rune",
    "string",
    "true",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    // packages
    "atomic",
    "context",
    "errgroup",
    "errors",
    "flag",
    "fmt",
    "json",
    "math",
    "metrics",
    "os",
    "reflect",
    "runtime",
    "strconv",
    "strings",
    "sync",
    "time",
    // the harness
    "Ctx",
    "Group",
    "Task",
    "afterDelay",
    "array",
    "assert",
    "background",
    "blocked",
    "choose",
    "derive",
    "errFailed",
    "giveUp",
    "has",
    "list",
    "mapIter",
    "newList",
    "newMapIter",
    "recovered",
    "goroutine",
    "harness",
    "i16",
    "inRange",
    "initModel",
    "main",
    "maxAfter",
    "maxDeadline",
    "maxSignal",
    "maxSleep",
    "maxTick",
    "maxTimer",
    "maxWork",
    "minTick",
    "modelLines",
    "modelTasks",
    "newGroup",
    "newTask",
    "panicReport",
    "parseGoroutine",
    "perturb",
    "pollEvery",
    "reason",
    "recvOK",
    "recvValue",
    "ref",
    "repeat",
    "report",
    "run",
    "same",
    "self",
    "signalContext",
    "simulateWork",
    "sleepDelay",
    "snapshot",
    "stableFor",
    "start",
    "task",
    "shortTicker",
    "shortTimer",
    "shorts",
    "tickPeriod",
    "tickPeriodOf",
    "timerDelay",
    "timerDelayOf",
    "withCancel",
    "withTimeout",
    "workFailPercent",
];

/// The Go name of every function, variable, work step and local.
pub(crate) struct Names {
    /// Per function: `task_NAME`, `fn_NAME`, or `initModel` for the initialiser.
    pub(crate) funcs: Vec<String>,
    /// Per model-level variable.
    pub(crate) globals: Vec<String>,
    /// Per work name: `work_NAME`.
    pub(crate) works: Vec<String>,
    /// Per function, per local slot.
    pub(crate) locals: Vec<Vec<String>>,
    /// Per struct type: its Go type name.
    pub(crate) structs: Vec<String>,
    /// Per struct type, per field.
    pub(crate) fields: Vec<Vec<String>>,
}

/// The Go type name of every struct: its model name, unless Go, the harness
/// or a generated function has it (then `_` is appended).
pub(crate) fn struct_types(p: &Program) -> Vec<String> {
    p.structs
        .iter()
        .map(|s| {
            let generated = ["task_", "fn_", "work_"].iter().any(|pre| s.name.starts_with(pre));
            if RESERVED.contains(&s.name.as_str()) || generated || s.name == "initModel" {
                format!("{}_", s.name)
            } else {
                s.name.clone()
            }
        })
        .collect()
}

impl Names {
    pub(crate) fn new(p: &Program) -> Names {
        let mut seen = BTreeSet::new();
        let funcs: Vec<String> = p
            .funcs
            .iter()
            .enumerate()
            .map(|(id, f)| {
                // An anonymous task is named `func@LINE` (or `func@LINE.N`):
                // `task_func_L9`, made unique if a task of that name exists.
                let name = f.name.replace('@', "_L").replace('.', "_");
                let mut go = if id == p.init as usize {
                    "initModel".to_string()
                } else if f.is_task {
                    format!("task_{name}")
                } else {
                    format!("fn_{name}")
                };
                while !seen.insert(go.clone()) {
                    go.push('_');
                }
                go
            })
            .collect();
        let works: Vec<String> = p.works.iter().map(|w| format!("work_{w}")).collect();
        let mut taken: BTreeSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        taken.extend(funcs.iter().cloned());
        taken.extend(works.iter().cloned());
        let structs = struct_types(p);
        taken.extend(structs.iter().cloned());
        let fields = p
            .structs
            .iter()
            .map(|s| s.fields.iter().map(|f| fresh(f, &mut BTreeSet::new())).collect())
            .collect();
        let globals: Vec<String> = p.globals.iter().map(|g| fresh(&g.name, &mut taken)).collect();
        let locals = p
            .funcs
            .iter()
            .map(|f| {
                let mut mine = taken.clone();
                f.locals.iter().enumerate().map(|(slot, name)| local(name, slot, &mut mine)).collect()
            })
            .collect();
        Names { funcs, globals, works, locals, structs, fields }
    }

    /// The Go name of local `slot` of function `f`.
    pub(crate) fn local(&self, f: FuncId, slot: u16) -> &str {
        &self.locals[f as usize][slot as usize]
    }
}

/// A temporary of the lowering (`$7`) becomes `tmp7`.
fn local(name: &str, slot: usize, taken: &mut BTreeSet<String>) -> String {
    match name.strip_prefix('$') {
        Some(_) => fresh(&format!("tmp{slot}"), taken),
        None => fresh(name, taken),
    }
}

/// `name`, or `name_` if Go or the harness has it, then `_2`, `_3`, ... until unused.
fn fresh(name: &str, taken: &mut BTreeSet<String>) -> String {
    let base = if RESERVED.contains(&name) { format!("{name}_") } else { name.to_string() };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_shadowed_names_are_renamed() {
        let p = leash_ir::compile(
            "var time = 0\ntask main() {\n    let chan_ = 1\n    let x = 1\n    let x = :two\n    let go = 3\n    time = go\n}\n",
        )
        .unwrap();
        let n = Names::new(&p);
        assert_eq!(n.globals, ["time_"]);
        let main = &n.locals[p.main as usize];
        assert!(main.contains(&"x".to_string()) && main.contains(&"x_2".to_string()), "{main:?}");
        assert!(main.contains(&"go_".to_string()), "{main:?}");
        assert_eq!(n.funcs[p.main as usize], "task_main");
    }
}
