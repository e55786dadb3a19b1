//! Robustness of the front end: whatever the input, `parse` and `compile`
//! return (no panic, no hang), every diagnostic points inside the text, and
//! rendering the diagnostics does not panic.

use leash_syntax::Diagnostic;
use proptest::prelude::*;
use proptest::sample::Index;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// ---- helpers --------------------------------------------------------------

/// Panics unless every span of `diagnostics` (primary and notes) lies within `text`.
fn assert_spans_in_text(text: &str, diagnostics: &[Diagnostic]) {
    let len = text.len();
    for d in diagnostics {
        let spans = std::iter::once(d.span).chain(d.notes.iter().map(|n| n.span));
        for s in spans {
            assert!(
                s.start <= s.end && (s.end as usize) <= len,
                "{} `{}` has span {:?} outside the text (length {len}):\n{text:?}",
                d.code,
                d.message,
                s
            );
        }
    }
}

/// Parses and compiles `text`; checks spans and renders any errors.
fn parse_and_compile(text: &str) {
    let (_, errors) = leash_syntax::parse(text);
    assert_spans_in_text(text, &errors);
    if let Err(bad) = leash::compile("fuzz.leash", text) {
        assert_spans_in_text(text, &bad.diagnostics);
        let _ = bad.render();
    }
}

/// Pieces of leash source text, joined without separators (spaces are tokens too).
const TOKENS: &[&str] = &[
    // keywords
    "task",
    "fn",
    "var",
    "let",
    "const",
    "if",
    "else",
    "while",
    "loop",
    "for",
    "in",
    "select",
    "recv",
    "send",
    "spawn",
    "join",
    "work",
    "defer",
    "return",
    "break",
    "continue",
    "choose",
    "or",
    "after",
    "default",
    "sleep",
    "yield",
    "true",
    "false",
    "ok",
    "err",
    "nil",
    "as",
    "close",
    "cancel",
    "stop",
    "struct",
    "reset",
    "exit",
    "delete",
    "len",
    "push",
    "pop",
    // constructors, methods, fields, types
    "map",
    "list",
    "rlocker",
    "Worker",
    "chan",
    "mutex",
    "rwmutex",
    "cond",
    "once",
    "waitgroup",
    "group",
    "signal",
    "background",
    "with_cancel",
    "with_timeout",
    "ticker",
    "timer",
    "lock",
    "unlock",
    "add",
    "done",
    "wait",
    "go",
    "ctx",
    "int",
    "bool",
    // punctuation
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "..",
    ";",
    ":",
    "=>",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "!",
    "&&",
    "||",
    "?",
    "@",
    "_",
    // identifiers and numbers
    "main",
    "worker",
    "x",
    "ch",
    "mu",
    "wg",
    "N",
    "a",
    "b",
    "0",
    "1",
    "3",
    "16",
    "17",
    "40000",
    "99999999999999999999",
    // layout and comments
    " ",
    " ",
    " ",
    "\n",
    "\n",
    "\t",
    "// expect: verified\n",
    "// expect\n",
    "// c\n",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|ts| ts.concat())
}

/// Token soup that starts like a model, so the parser gets past the top level more often.
fn model_like() -> impl Strategy<Value = String> {
    token_soup().prop_map(|body| format!("task main() {{\n{body}\n}}\ntask worker(ch, mu) {{\n{body}\n}}\n"))
}

/// Every `*.leash` file under `models/`, sorted by path.
fn models() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "leash") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models"), &mut paths);
    paths.sort();
    paths.into_iter().filter_map(|p| std::fs::read_to_string(&p).ok().map(|s| (p, s))).collect()
}

/// One edit of a model's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    /// Deletes up to `len` bytes from a position.
    Delete(Index, usize),
    /// Repeats up to `len` bytes from a position right after themselves.
    Duplicate(Index, usize),
    /// Inserts a token at a position.
    Insert(Index, &'static str),
    /// Swaps two lines.
    SwapLines(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..40usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<Index>(), 1..40usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        (any::<Index>(), prop::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Delete(i, n) if !bytes.is_empty() => {
            let start = i.index(bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Duplicate(i, n) if !bytes.is_empty() => {
            let start = i.index(bytes.len());
            let end = (start + n).min(bytes.len());
            let copy = bytes[start..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::Insert(i, t) => {
            let at = i.index(bytes.len() + 1);
            bytes.splice(at..at, t.bytes());
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<Vec<u8>> = bytes.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
            *bytes = lines.join(&b'\n');
        }
        _ => {}
    }
}

/// 256 cases per property (kept small so the suite runs in seconds in debug);
/// set `PROPTEST_CASES` to fuzz longer.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---- (a) arbitrary input --------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        parse_and_compile(&text);
    }

    #[test]
    fn arbitrary_strings_do_not_panic(text in "\\PC{0,200}") {
        parse_and_compile(&text);
    }

    #[test]
    fn token_soup_does_not_panic(text in token_soup()) {
        parse_and_compile(&text);
    }

    #[test]
    fn model_like_token_soup_does_not_panic(text in model_like()) {
        parse_and_compile(&text);
    }
}

// ---- (a') statement soup: well-formed lines in random combinations --------

/// Declares every name the statements below use, so that many soups compile and
/// reach the whole of lowering.
const PRELUDE: &str = "let ch = chan(1)\nlet mu = mutex()\nlet wg = waitgroup()\nlet ctx = signal()\n\
    let c2 = with_cancel(ctx)\nvar x: int[0..3] = 0\nvar v = 0\nlet t = spawn leaf()\nlet tk = ticker()\n\
    let a = [chan(1); 2]\nlet b = [0; 3]\nlet o = once()\nlet rw = rwmutex()\nlet cv = cond(mu)\n\
    let g = group(ctx, 2)\nlet m = map()\nlet q = list()\nlet cb = fn(y) {\nreturn y\n}\nlet s = S { n: 1, fire: cb }\n";

/// Statements of the language; `$` is replaced by another statement.
const STMTS: &[&str] = &[
    "send ch, 1",
    "let v = recv ch",
    "let (v, ok) = recv ch",
    "recv ch",
    "close(ch)",
    "cancel(c2)",
    "mu.lock()",
    "mu.unlock()",
    "wg.add(1)",
    "wg.done()",
    "wg.wait()",
    "spawn leaf()",
    "let t = spawn leaf()",
    "join t",
    "work fetch(ctx)?",
    "let r = work fetch(ctx)",
    "x = x + 1",
    "if x == 1 { $ } else { $ }",
    "loop {\n$\nif x == 2 { break }\n}",
    "while x < 2 {\n$\nx = x + 1\n}",
    "for i in 0..2 {\n$\nif i == 1 { continue }\n}",
    "for v in ch {\n$\n}",
    "choose { $ } or { $ }",
    "defer mu.unlock()",
    "defer wg.done()",
    "defer cancel(c2)",
    "if x == 3 { return }",
    "select {\nrecv ch as v => $\nafter => {}\n}",
    "select {\nsend ch, 1 => {}\ndefault => $\n}",
    "select {\nrecv ctx.done => return\nrecv ch as (v, ok) => { $ }\n}",
    "g.go leaf()",
    "let e = g.wait()",
    "stop(tk)",
    "recv tk",
    "o.do(helper2)",
    "sleep",
    "yield",
    "send a[0], 1",
    "rw.rlock()",
    "rw.runlock()",
    "rw.lock()",
    "cv.wait()",
    "cv.signal()",
    "if ctx.err() == err { return }",
    "var y = x",
    "v = x",
    "let w = x == v",
    "b[1] = 2",
    "x = b[0]",
    "let tm = timer()",
    "shared = shared + 1",
    "while shared < N {\n$\n}",
    // a few mistakes, so that errors meet valid code
    "send mu, 1",
    "ch.lock()",
    "x = true",
    "break",
    "wg.wiat()",
    "spawn helper2()",
    // structs, maps, lists, function values, timers
    "s.n = s.n + 1",
    "s.bump()",
    "spawn s.run()",
    "let f = s.fire",
    "m[x] = v",
    "let (mv, found) = m[x]",
    "delete(m, x)",
    "for k, mv in m {\n$\n}",
    "let n = len(m)",
    "push(q, x)",
    "let h = pop(q)",
    "let r2 = cb(1)",
    "let g2 = fn() {\n$\n}",
    "spawn {\n$\n}",
    "let was = reset(tk)",
    "if x == 2 { exit() }",
    "let grid = [[0; 2]; 2]",
    "let nope = S { missing: 1 }",
];

fn statements() -> impl Strategy<Value = String> {
    let one = prop::sample::select(STMTS);
    let line = (one.clone(), one.clone(), one).prop_map(|(a, b, c)| {
        a.replacen('$', &b.replace('$', c), 1)
            .replacen('$', &c.replace('$', "sleep"), 1)
            .replace('$', "yield")
    });
    prop::collection::vec(line, 0..10).prop_map(|ls| ls.join("\n"))
}

fn statement_model() -> impl Strategy<Value = String> {
    (statements(), statements(), statements()).prop_map(|(m, w, h)| {
        format!(
            "const N = 2\nvar shared: int[0..N] = 0\n\n\
             task main() {{\n{PRELUDE}spawn worker(ch, mu)\nhelper(ch)\nlet f = helper\nf(ch)\n{m}\n}}\n\n\
             task worker(ch, mu) {{\n{PRELUDE}{w}\n}}\n\nfn helper(ch) {{\n{PRELUDE}{h}\n}}\n\n\
             fn helper2() {{}}\n\ntask leaf() {{}}\n\nstruct S {{\n n: int\n fire\n}}\n\n\
             fn (s: S) bump() {{}}\n\ntask (s: S) run() {{}}\n"
        )
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn statement_soup_does_not_panic(text in statement_model()) {
        parse_and_compile(&text);
        if let Ok(program) = leash::compile("soup.leash", &text) {
            let _ = leash_ir::pretty(&program);
        }
    }
}

// ---- (b) mutated models ---------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_models_do_not_panic(
        which in any::<Index>(),
        edits in prop::collection::vec(mutation(), 1..5),
    ) {
        let models = models();
        if models.is_empty() {
            return Ok(());
        }
        let (_, source) = &models[which.index(models.len())];
        let mut bytes = source.clone().into_bytes();
        for m in &edits {
            apply(&mut bytes, m);
        }
        let text = String::from_utf8_lossy(&bytes);
        parse_and_compile(&text);
    }
}

#[test]
fn unmodified_models_compile_or_render() {
    for (path, source) in models() {
        if let Err(bad) = leash::compile(&path.display().to_string(), &source) {
            assert_spans_in_text(&source, &bad.diagnostics);
            let _ = bad.render();
        }
    }
}

// ---- deep and long inputs -------------------------------------------------

/// Compiles `src`, which must be rejected within a few seconds, and renders the errors.
fn assert_rejected_quickly(src: &str) {
    let start = Instant::now();
    let bad = match leash::compile("deep.leash", src) {
        Ok(_) => panic!("a pathological model compiled"),
        Err(bad) => bad,
    };
    assert!(!bad.diagnostics.is_empty());
    assert_spans_in_text(src, &bad.diagnostics);
    let _ = bad.render();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn nested_parens_200k_are_rejected_quickly() {
    let src = format!("task main() {{\n    var x = {}\n}}\n", "(".repeat(200_000));
    assert_rejected_quickly(&src);
}

#[test]
fn nested_braces_200k_are_rejected_quickly() {
    let src = format!("task main() {}\n", "{".repeat(200_000));
    assert_rejected_quickly(&src);
}

#[test]
fn balanced_nested_parens_200k_are_rejected_quickly() {
    let src = format!("task main() {{\n    var x = {}1{}\n}}\n", "(".repeat(100_000), ")".repeat(100_000));
    assert_rejected_quickly(&src);
}

#[test]
fn nested_loops_are_rejected_quickly() {
    let src = format!("task main() {{\n{}\n}}\n", "loop {\n".repeat(50_000));
    assert_rejected_quickly(&src);
}

#[test]
fn top_level_parens_200k_are_rejected_quickly() {
    assert_rejected_quickly(&"(".repeat(200_000));
}

/// Compiles `src` and renders any errors; the input only has to be handled, not accepted.
fn compile_and_render(src: &str) {
    if let Err(bad) = leash::compile("model.leash", src) {
        assert_spans_in_text(src, &bad.diagnostics);
        let _ = bad.render();
    }
}

/// `open` repeated `n` times, then `inner`, then `close` repeated `n` times.
fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

/// Sizes around the nesting limit (100) and far beyond it.
const DEPTHS: &[usize] = &[1, 30, 49, 50, 51, 98, 99, 100, 101, 102, 150, 10_000];

/// Long chains and deep nesting of every construct either compile or are
/// rejected with diagnostics; none overflows the stack (a test thread has 2 MiB).
/// Before d68d116 a chain of ~280 `+1`, `.b`, `[0]` or `?`, or ~210 `else if`,
/// overflowed the stack.
#[test]
fn deep_constructs_of_every_kind_do_not_overflow() {
    let task = |body: String| {
        format!("task main() {{\n    let ch = chan(1)\n    var a = 0\n{body}\n}}\nfn f() {{}}\n")
    };
    for &n in DEPTHS {
        let cases = [
            task(format!("    var x = {}", nest("(", "1", ")", n))),
            task(format!("    var x = 1{}", "+1".repeat(n))),
            task(format!("    var x = true{}", " || true && false".repeat(n))),
            task(format!("    var x = {}true", "!".repeat(n))),
            task(format!("    var x = {}1", "-".repeat(n))),
            task(format!("    var x = a{}", ".b".repeat(n))),
            task(format!("    var x = a{}", "[0]".repeat(n))),
            task(format!("    work f{}", "?".repeat(n))),
            task(format!("    let v = {}ch", "recv ".repeat(n))),
            task(format!("    if true {{}}{}", " else if true {}".repeat(n))),
            task(format!("    if true {{}}{} else {{}}", " else if a == 1 { sleep }".repeat(n))),
            task(nest("loop {\n", "break\n", "}\n", n)),
            task(nest("if true {\n", "sleep\n", "}\n", n)),
            task(nest("while a < 1 {\n", "a = a + 1\n", "}\n", n)),
            task(nest("for i in 0..2 {\n", "sleep\n", "}\n", n)),
            task(nest("choose {\n", "sleep\n", "} or {}\n", n)),
            task(nest("select {\ndefault => {\n", "sleep\n", "}\n}\n", n)),
            task(nest("select {\nrecv ch => ", "sleep", "\n}", n)),
            task(format!("    {}f()", "defer ".repeat(n))),
            task(nest("loop {\nif a == 0 {\n", "var y = ((1 + 2) - (3 + 4))\n", "}\n}\n", n)),
            task(nest("if (((", "true", "))) {}", n)),
            task(format!("    send ch, {}", nest("(", ":x", ")", n))),
            format!("const N = {}\ntask main() {{}}\n", nest("(", "1", ")", n)),
            format!("var g: int[0..{}] = 0\ntask main() {{}}\n", nest("(", "1", ")", n)),
            format!("task main() {{\n    spawn w({})\n}}\ntask w(x) {{}}\n", nest("(", "1", ")", n)),
        ];
        for src in &cases {
            compile_and_render(src);
        }
    }
}

// ---- regressions: bugs these tests found, now fixed ------------------------

#[test]
fn const_negation_overflow_is_an_error_not_a_panic() {
    compile_and_render("const M = -(-9223372036854775807 - 1)\ntask main() {}\n");
    assert!(leash::compile("bug.leash", "const M = -(-9223372036854775807 - 1)\ntask main() {}\n").is_err());
}

#[test]
fn const_overflow_is_an_error() {
    let src = "const N = 9223372036854775807\nconst M = N + 1\ntask main() {\n    for i in 0..M {\n        sleep\n    }\n}\n";
    assert!(leash::compile("bug.leash", src).is_err(), "an overflowing constant was accepted");
}

#[test]
fn huge_functions_are_refused_not_truncated() {
    let src = format!("task main() {{\n    while true {{\n{}    }}\n}}\n", "        sleep\n".repeat(70_000));
    assert!(leash::compile("bug.leash", &src).is_err(), "a function of 70000 instructions was accepted");
    if let Ok(program) = leash::compile("bug.leash", &src) {
        let main = program.func(program.main);
        // The loop test must jump past the 70000-instruction body to the final return.
        match &main.code[0] {
            leash_ir::Instr::Branch { target, .. } => {
                assert_eq!(*target as usize, main.code.len() - 1, "the loop exit jumps into the body")
            }
            other => panic!("expected the loop test first, found {other:?}"),
        }
    }
}

#[test]
fn recursion_check_is_linear() {
    let n = 1000;
    let mut src = String::from("task main() {\n    spawn t0()\n}\n");
    for i in 0..n - 1 {
        src += &format!("task t{i}() {{\n    spawn t{}()\n}}\n", i + 1);
    }
    src += &format!("task t{}() {{}}\n", n - 1);
    let start = Instant::now();
    assert!(leash::compile("chain.leash", &src).is_ok());
    let took = start.elapsed();
    assert!(took < Duration::from_millis(500), "a 1000-task chain took {took:?}");
}
