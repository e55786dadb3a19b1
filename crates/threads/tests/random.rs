//! Random models over every primitive (channels of both kinds, select with
//! every kind of case and `default`, in loops that poll, mutex, cond,
//! rwmutex, wait group, once, error group, contexts with the signal and a
//! deadline, ticker, timer, `sleep`, helpers (one with two results), defer
//! with captured operands, choose, work, a ranged variable), with workers
//! owned by `main` or detached, each run under a few schedules in every
//! scenario: every execution must end by itself and replay on the reference
//! semantics (its orphans included). A disagreement is a bug in one of the
//! two implementations.

mod sim;

use leash_semantics::Scenario;
use leash_threads::conform::conform;
use leash_threads::Config;
use std::sync::Arc;

const MODELS: u64 = 400;
const SEEDS: u64 = 6;

const HEADER: &str = "var mu = mutex()
var c = cond(mu)
var a = chan(0)
var b = chan(1)
var rw = rwmutex()
var wg = waitgroup()
var n: int[0..3] = 0
var o = once()
var ctx = with_timeout(signal())
var tk = ticker()
var tm = timer()
var g = group(ctx, 2)
var arr = [chan(0); 2]
var reqs = chan(0)
var note = chan(0)
fn set(x) {
    n = x
}
fn apply(f) {
    f(1)
}
fn bump() {
    n = n + 1
}
fn get() {
    let v = recv b
    work fetch(ctx)?
    return ok
}
fn pair() {
    defer set(0)
    let v = n
    return (v, ok)
}
";

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }

    fn case(&mut self) -> String {
        let head = self.pick(&[
            "recv a",
            "recv a as (v, k)",
            "send a, 1",
            "recv b",
            "send b, 2",
            "recv ctx.done",
            "recv g.ctx.done",
            "recv tk",
            "recv tm",
            "recv note",
            "recv arr[0]",
            "send arr[0], 4",
            "recv reqs as r",
            "after",
        ]);
        let body = self.pick(&["{}", "yield", "n = 0", "work step", "stop(tk)"]);
        format!("{head} => {body}")
    }

    fn stmt(&mut self, depth: u32) -> String {
        let simple = [
            "send a, 1",
            "recv a",
            "send b, 3",
            "recv b",
            "let (x, k) = recv b",
            "close(a)",
            "close(b)",
            "mu.lock()\nn = n + 1\nmu.unlock()",
            "mu.lock()\nc.signal()\nmu.unlock()",
            "mu.lock()\nc.broadcast()\nmu.unlock()",
            "mu.lock()\nc.wait()\nmu.unlock()",
            "rw.rlock()\nrw.runlock()",
            "rw.lock()\nn = 0\nrw.unlock()",
            "wg.add(1)",
            "wg.done()",
            "wg.wait()",
            "o.do(bump)",
            "work job",
            "work job(ctx)",
            "work job?",
            "let r = get()",
            "cancel(ctx)",
            "stop(tk)",
            "stop(tm)",
            "recv tm",
            "recv tk",
            "recv ctx.done",
            "g.go member()",
            "let e = g.wait()",
            "yield",
            "sleep",
            "n = 0",
            "assert n < 3",
            "defer wg.done()",
            "defer send b, 1",
            "if ctx.err() == err { return }",
            "send arr[1], 1",
            "recv arr[1]",
            "let i = n\nsend arr[i], 2",
            "let r = chan(1)\nsend reqs, r\nrecv r",
            "let (r, k) = recv reqs\nif k { send r, 5 }",
            "apply(set)",
            "note = chan(0)",
            "close(note)",
            "recv note",
            "let nt = note\nrecv nt",
            "defer close(note)",
            "defer stop(tk)",
            "let v = n\ndefer set(v)\nn = 0",
            "sleep",
            "wg.add(1)\nwg.done()",
            "let (pv, pe) = pair()\nassert pe == ok",
        ];
        if depth == 0 {
            return self.pick(&simple).to_string();
        }
        match self.below(10) {
            0 => {
                let cases: Vec<String> = (0..1 + self.below(3)).map(|_| self.case()).collect();
                let default = if self.below(3) == 0 { "\ndefault => {}" } else { "" };
                format!("select {{\n{}{default}\n}}", cases.join("\n"))
            }
            1 => format!("choose {{\n{}\n}} or {{\n{}\n}}", self.stmt(depth - 1), self.stmt(depth - 1)),
            2 => format!("for i in 0..2 {{\n{}\n}}", self.stmt(depth - 1)),
            3 => format!("if n == 1 {{\n{}\n}} else {{\n{}\n}}", self.stmt(depth - 1), self.stmt(depth - 1)),
            _ => self.pick(&simple).to_string(),
        }
    }

    fn body(&mut self, len: u64) -> String {
        (0..1 + self.below(len)).map(|_| self.stmt(2)).collect::<Vec<_>>().join("\n")
    }

    fn model(&mut self) -> String {
        let workers = 1 + self.below(2);
        let mut main = String::new();
        for i in 0..workers {
            let detached = if self.below(4) == 0 { "detached " } else { "" };
            main.push_str(&format!("let t{i} = spawn {detached}w{i}()\n"));
        }
        main.push_str(&self.body(4));
        main.push('\n');
        for i in 0..workers {
            if self.below(3) > 0 {
                main.push_str(&format!("join t{i}\n"));
            }
        }
        let mut text = format!("{HEADER}task main() {{\n{main}}}\ntask member() {{\n{}\n}}\n", self.body(2));
        for i in 0..workers {
            text.push_str(&format!("task w{i}() {{\n{}\n}}\n", self.body(4)));
        }
        text
    }
}

#[test]
fn random_models_replay_on_the_reference() {
    let mut problems = Vec::new();
    let mut rejected = 0;
    let mut orphaned = 0;
    for m in 0..MODELS {
        let text = Gen(m).model();
        let Ok(program) = leash_ir::compile(&text) else {
            rejected += 1;
            continue;
        };
        let program = Arc::new(program);
        for scenario in Scenario::ALL {
            let config = Config { scenario, max_steps: 150, max_threads: 16, detect_stuck: true };
            for seed in 0..SEEDS {
                match sim::execute(&program, config, seed, Vec::new(), true) {
                    Ok(o) => {
                        orphaned += o.orphans.len();
                        if let Err(d) = conform(&program, scenario, &o) {
                            problems.push(format!("model {m} {scenario:?} seed {seed}: {d}\n{o:?}\n{text}"));
                        }
                    }
                    Err(f) => problems.push(format!("model {m} {scenario:?} seed {seed}: {f:?}\n{text}")),
                }
            }
        }
    }
    assert!(rejected < MODELS / 10, "{rejected} generated models do not compile");
    assert!(orphaned > 0, "no execution left a task running after its owner");
    assert!(problems.is_empty(), "{} problems, the first:\n{}", problems.len(), problems[0]);
}
