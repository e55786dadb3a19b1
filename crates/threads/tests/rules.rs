//! One small model per rule of docs/semantics.md and per corner of the
//! runtime (parking, FIFO wait queues, select defaults, time under maximal
//! progress, polling, timers and tickers, conds, wait groups, rwmutexes,
//! groups, contexts and the environment, defer captures, silent panics): each
//! is run under many schedules and choices, must replay on the reference
//! semantics, and must show exactly the violations its `// expect:` lines
//! name; where a rule decides what *every* execution does, that is checked
//! too.

mod checks;
mod sim;

use checks::{check, runs};
use leash_semantics::Scenario;
use leash_threads::{End, Outcome};

const SEEDS: u64 = 80;

fn verify(models: &[(&str, &str)]) {
    let mut problems = Vec::new();
    for (name, text) in models {
        problems.extend(check(name, text, SEEDS));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn channels_follow_gos_rules() {
    verify(&[
        (
            "close wakes every receiver",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n let a = spawn r(ch)\n let b = spawn r(ch)\n close(ch)\n join a\n join b\n}\ntask r(ch) {\n recv ch\n}\n",
        ),
        (
            "buffered values come before closed",
            "// expect: verified\ntask main() {\n let ch = chan(2)\n send ch, 1\n send ch, 2\n close(ch)\n let (a, x) = recv ch\n let (b, y) = recv ch\n let (c, z) = recv ch\n assert a == 1 && b == 2 && x && y && !z\n}\n",
        ),
        ("send on closed", "// expect: panic\ntask main() {\n let ch = chan(1)\n close(ch)\n send ch\n}\n"),
        ("close of nil", "// expect: panic\ntask main() {\n let ch = nil\n close(ch)\n}\n"),
        ("nil blocks", "// expect: deadlock\ntask main() {\n let ch = nil\n recv ch\n}\n"),
        (
            "a parked sender panics when its channel is closed",
            "// expect: panic\ntask main() {\n let ch = chan(0)\n let t = spawn s(ch)\n yield\n close(ch)\n join t\n}\ntask s(ch) {\n send ch, 1\n}\n",
        ),
        (
            "chan of chan",
            "// expect: verified\ntask main() {\n let reqs = chan(0)\n let t = spawn server(reqs)\n let reply = chan(0)\n send reqs, reply\n let v = recv reply\n assert v == 7\n close(reqs)\n join t\n}\ntask server(reqs) {\n for r in reqs {\n send r, 7\n }\n}\n",
        ),
        (
            "several senders meet one receiver, each value once",
            "// expect: verified\nvar sum = 0\ntask main() {\n let ch = chan(0)\n let a = spawn s(ch, 1)\n let b = spawn s(ch, 2)\n let c = spawn s(ch, 4)\n for i in 0..3 {\n let v = recv ch\n sum = sum + v\n }\n join a\n join b\n join c\n assert sum == 7\n}\ntask s(ch, v) {\n send ch, v\n}\n",
        ),
        (
            "unbuffered hand-off to a parked receiver in a helper",
            "// expect: verified\nfn get(ch) {\n let v = recv ch\n return v\n}\ntask main() {\n let ch = chan(0)\n let t = spawn s(ch)\n let v = get(ch)\n assert v == :x\n join t\n}\ntask s(ch) {\n send ch, :x\n}\n",
        ),
    ]);
}

#[test]
fn select_takes_any_ready_case_and_default_only_without_one() {
    verify(&[
        (
            "blocks without default",
            "// expect: deadlock\ntask main() {\n let ch = chan(0)\n select {\n recv ch => {}\n }\n}\n",
        ),
        ("no cases", "// expect: deadlock\ntask main() {\n select {\n }\n}\n"),
        (
            "default when nothing is ready",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n select {\n recv ch => {}\n default => {}\n }\n}\n",
        ),
        (
            "two selects with default never meet",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n let t = spawn s(ch)\n select {\n recv ch => { assert false }\n default => {}\n }\n join t\n}\ntask s(ch) {\n select {\n send ch, 1 => { assert false }\n default => {}\n }\n}\n",
        ),
        (
            "a select with default meets a parked sender",
            "// expect: panic\ntask main() {\n let ch = chan(0)\n let t = spawn s(ch)\n loop {\n select {\n recv ch => { assert false }\n default => {}\n }\n }\n}\ntask s(ch) {\n send ch, 1\n}\n",
        ),
        (
            "a sender meets a parked select, which gets the value",
            "// expect: verified\ntask main() {\n let a = chan(0)\n let b = chan(0)\n let t = spawn s(a, b)\n select {\n recv a as v => assert v == 1\n recv b as v => assert v == 2\n }\n join t\n}\ntask s(a, b) {\n choose {\n send a, 1\n } or {\n send b, 2\n }\n}\n",
        ),
        (
            "select against select",
            "// expect: verified\nvar got = 0\ntask main() {\n let a = chan(0)\n let b = chan(0)\n let t = spawn s(a, b)\n select {\n recv a as v => got = v\n send b, 5 => got = 5\n }\n join t\n}\ntask s(a, b) {\n select {\n send a, 1 => {}\n recv b as v => assert v == 5\n }\n}\n",
        ),
        (
            "the same channel in two cases",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n let t = spawn s(ch)\n select {\n recv ch as v => assert v == 3\n recv ch as w => assert w == 3\n }\n join t\n}\ntask s(ch) {\n send ch, 3\n}\n",
        ),
        (
            "after never beats a ready case",
            "// expect: verified\ntask main() {\n let ch = chan(1)\n send ch\n select {\n recv ch => {}\n after => { assert false }\n }\n}\n",
        ),
        (
            "a ticker and a timer",
            "// expect: deadlock\ntask main() {\n let tick = ticker()\n recv tick\n recv tick\n stop(tick)\n select {\n recv tick => {}\n default => {}\n }\n let t = timer()\n select {\n recv t => {}\n recv tick => { assert false }\n }\n recv t\n}\n",
        ),
        (
            "a stopped timer never fires",
            "// expect: verified\ntask main() {\n let t = timer()\n stop(t)\n select {\n recv t => assert false\n default => {}\n }\n}\n",
        ),
    ]);
}

#[test]
fn locks_conds_wait_groups_and_once() {
    verify(&[
        (
            "rwmutex prefers a waiting writer",
            "// expect: deadlock main w\nvar mu = rwmutex()\ntask main() {\n let t = spawn w()\n mu.rlock()\n yield\n mu.rlock()\n mu.runlock()\n mu.runlock()\n join t\n}\ntask w() {\n mu.lock()\n mu.unlock()\n}\n",
        ),
        (
            "rwmutex readers share and exclude the writer",
            "// expect: verified\nvar mu = rwmutex()\nvar inside = 0\ntask main() {\n let a = spawn r()\n let b = spawn r()\n let c = spawn w()\n join a\n join b\n join c\n}\ntask r() {\n mu.rlock()\n mu.runlock()\n}\ntask w() {\n mu.lock()\n inside = inside + 1\n assert inside == 1\n inside = inside - 1\n mu.unlock()\n}\n",
        ),
        ("runlock unheld", "// expect: panic\ntask main() {\n let mu = rwmutex()\n mu.runlock()\n}\n"),
        ("unlock unheld rw", "// expect: panic\ntask main() {\n let mu = rwmutex()\n mu.unlock()\n}\n"),
        (
            "cond wait releases the lock",
            "// expect: verified\nvar mu = mutex()\nvar ready = false\ntask main() {\n let c = cond(mu)\n let t = spawn n(c)\n mu.lock()\n while !ready {\n c.wait()\n }\n mu.unlock()\n join t\n}\ntask n(c) {\n mu.lock()\n ready = true\n c.broadcast()\n mu.unlock()\n}\n",
        ),
        (
            "a signal before the wait is lost",
            "// expect: deadlock main\nvar mu = mutex()\ntask main() {\n let c = cond(mu)\n let t = spawn n(c)\n yield\n mu.lock()\n c.wait()\n mu.unlock()\n join t\n}\ntask n(c) {\n c.signal()\n}\n",
        ),
        (
            "signal wakes one of two waiters",
            "// expect: deadlock\nvar mu = mutex()\ntask main() {\n let c = cond(mu)\n let a = spawn w(c)\n let b = spawn w(c)\n loop {\n mu.lock()\n c.signal()\n mu.unlock()\n yield\n mu.lock()\n mu.unlock()\n join a\n join b\n return\n }\n}\ntask w(c) {\n mu.lock()\n c.wait()\n mu.unlock()\n}\n",
        ),
        ("cond wait without the lock", "// expect: panic\ntask main() {\n let c = cond(mutex())\n c.wait()\n}\n"),
        ("negative counter", "// expect: panic\ntask main() {\n let wg = waitgroup()\n wg.done()\n}\n"),
        (
            "a task exits with its last step",
            "// expect: verified\ntask main() {\n let wg = waitgroup()\n wg.add(2)\n spawn w(wg)\n spawn w(wg)\n wg.wait()\n}\ntask w(wg) {\n defer wg.done()\n work a\n}\n",
        ),
        (
            "once runs its body once",
            "// expect: verified\nvar o = once()\nvar n: int[0..1] = 0\nfn inc() {\n n = n + 1\n}\ntask main() {\n let t = spawn w()\n o.do(inc)\n join t\n assert n == 1\n}\ntask w() {\n o.do(inc)\n assert n == 1\n}\n",
        ),
        (
            "lock order inversion",
            "// expect: deadlock\nvar a = mutex()\nvar b = mutex()\ntask main() {\n let t = spawn other()\n a.lock()\n b.lock()\n b.unlock()\n a.unlock()\n join t\n}\ntask other() {\n b.lock()\n a.lock()\n a.unlock()\n b.unlock()\n}\n",
        ),
    ]);
}

#[test]
fn tasks_helpers_defer_and_errors() {
    verify(&[
        (
            "defers run last in first out",
            "// expect: verified\ntask main() {\n let ch = chan(2)\n let t = spawn f(ch)\n join t\n let first = recv ch\n assert first == 2\n}\ntask f(ch) {\n defer send ch, 1\n defer send ch, 2\n}\n",
        ),
        (
            "a helper's defer runs when it returns",
            "// expect: verified\nfn locked(mu) {\n mu.lock()\n defer mu.unlock()\n work inside\n}\ntask main() {\n let mu = mutex()\n locked(mu)\n mu.lock()\n mu.unlock()\n}\n",
        ),
        (
            "errors propagate through helpers",
            "// expect[error]: deadlock\nfn get() {\n work fetch?\n return ok\n}\ntask main() {\n let ch = chan(1)\n let r = get()\n if r == err { send ch\n send ch }\n}\n",
        ),
        (
            "a callback stores into a global",
            "// expect: verified\nvar x: int[0..5] = 0\nfn five() {\n return 5\n}\nfn call(cb) {\n x = cb()\n}\ntask main() {\n call(five)\n assert x == 5\n}\n",
        ),
        (
            "a returned value out of a global's range",
            "// expect: panic\nvar x: int[0..5] = 0\nfn six() {\n return 6\n}\ntask main() {\n x = six()\n}\n",
        ),
        (
            "a helper returns two results to the let that binds them",
            "// expect[error]: panic main\nfn fetch(ctx) {\n let r = work get(ctx)\n if r == err {\n  return (0, err)\n }\n return (42, ok)\n}\ntask main() {\n let (v, e) = fetch(background())\n assert e == err || v == 42\n assert e == ok || v == 42\n}\n",
        ),
        (
            "two results survive the helper's defers, and _ discards one",
            "// expect: verified\nfn pair(ch) {\n defer close(ch)\n return (1, :two)\n}\ntask main() {\n let ch = chan(0)\n let (a, _) = pair(ch)\n let (_, b) = pair(chan(0))\n assert a == 1 && b == :two\n}\n",
        ),
        (
            "a task that only runs silent code",
            "// expect: verified\ntask main() {\n let t = spawn quiet(1)\n join t\n}\ntask quiet(n) {\n let m = n + 1\n}\n",
        ),
        (
            "overflow in the silent tail of a step",
            "// expect: panic\nvar n = 0\ntask main() {\n n = 32767\n let v = n\n let w = v + 1\n}\n",
        ),
        (
            "index out of range",
            "// expect: panic\ntask main() {\n let a = [chan(1); 2]\n let i = 2\n send a[i]\n}\n",
        ),
        (
            "arrays are shared handles",
            "// expect: verified\ntask main() {\n let seen = [false; 2]\n let t = spawn w(seen)\n join t\n assert seen[1]\n}\ntask w(seen) {\n seen[1] = true\n}\n",
        ),
        (
            "vars passed to tasks are shared",
            "// expect: verified\ntask main() {\n var flag = false\n let t = spawn setter(flag)\n join t\n assert flag\n}\ntask setter(flag) {\n flag = true\n}\n",
        ),
        (
            "a lost update",
            "// expect: panic\nvar count = 0\ntask main() {\n let t = spawn incr()\n let c = count\n count = c + 1\n join t\n assert count == 2\n}\ntask incr() {\n let c = count\n count = c + 1\n}\n",
        ),
        (
            "choose explores every branch",
            "// expect: panic\ntask main() {\n choose {\n work a\n } or {\n let mu = mutex()\n mu.unlock()\n }\n}\n",
        ),
    ]);
}

#[test]
fn groups_contexts_and_the_environment() {
    verify(&[
        (
            "the first error cancels the group and is returned",
            "// expect: verified\ntask main() {\n let g = group(background())\n g.go fails()\n g.go waits(g.ctx)\n let e = g.wait()\n assert e == err\n}\ntask fails() {\n return err\n}\ntask waits(ctx) {\n recv ctx.done\n}\n",
        ),
        (
            "a group limit blocks go",
            "// expect: deadlock main blocked\ntask main() {\n let ch = chan(0)\n let g = group(background(), 1)\n g.go blocked(ch)\n g.go blocked(ch)\n close(ch)\n let e = g.wait()\n}\ntask blocked(ch) {\n recv ch\n}\n",
        ),
        (
            "work fails only in the error scenario",
            "// expect[error]: panic\ntask main() {\n let r = work fetch\n assert r == ok\n}\n",
        ),
        (
            "the signal comes mid-work in every scenario",
            "// expect: panic\ntask main() {\n let ctx = signal()\n let t = spawn w(ctx)\n recv ctx.done\n join t\n}\ntask w(ctx) {\n work a\n assert ctx.err() == ok\n}\n",
        ),
        (
            "work with a cancelled context returns err",
            "// expect: verified\ntask main() {\n let ctx = with_cancel(background())\n cancel(ctx)\n let r = work call(ctx)\n assert r == err\n}\n",
        ),
        (
            "cancellation flows down the tree",
            "// expect: verified\ntask main() {\n let root = with_cancel(background())\n let child = with_cancel(root)\n let t = spawn w(child)\n cancel(root)\n join t\n cancel(child)\n}\ntask w(ctx) {\n recv ctx.done\n}\n",
        ),
        (
            "deadlines fire",
            "// expect: verified\ntask main() {\n let a = with_timeout(background())\n let b = with_timeout(background())\n recv a.done\n recv b.done\n assert a.err() == err && b.err() == err\n}\n",
        ),
        (
            "contexts in an array",
            "// expect: verified\ntask main() {\n let cs = [with_timeout(background()); 2]\n let c = cs[1]\n recv c.done\n}\n",
        ),
        (
            "a dropped signal context never fires",
            "// expect: deadlock\nfn drop() {\n let s = signal()\n}\ntask main() {\n drop()\n let ch = chan(0)\n recv ch\n}\n",
        ),
        (
            "the signal reaches a child context",
            "// expect: verified\ntask main() {\n let s = signal()\n let c = with_cancel(s)\n let t = spawn w(c)\n join t\n cancel(c)\n}\ntask w(ctx) {\n loop {\n select {\n recv ctx.done => return\n after => {}\n }\n }\n}\n",
        ),
        (
            "no deadline for a context done through its parent",
            "// expect: deadlock\ntask main() {\n let p = with_cancel(background())\n let c = with_timeout(p)\n cancel(p)\n let ch = chan(0)\n recv ch\n cancel(c)\n}\n",
        ),
        (
            "no deadline for a cancelled context",
            "// expect: deadlock\ntask main() {\n let c = with_timeout(background())\n cancel(c)\n let ch = chan(0)\n recv ch\n cancel(c)\n}\n",
        ),
        (
            "the signal after its context was cancelled",
            "// expect: deadlock\ntask main() {\n let s = signal()\n cancel(s)\n let ch = chan(0)\n recv ch\n cancel(s)\n}\n",
        ),
        (
            "a deadline in the error group's context",
            "// expect: verified\ntask main() {\n let g = group(with_timeout(background()))\n g.go w(g.ctx)\n let e = g.wait()\n}\ntask w(ctx) {\n recv ctx.done\n}\n",
        ),
        (
            "the signal comes between instant steps outside completion",
            "// expect[error]: panic\n// expect[cancel]: panic\ntask main() {\n let ctx = signal()\n let t = spawn w(ctx)\n join t\n}\ntask w(ctx) {\n let c = chan(1)\n if ctx.err() == ok {\n  send c, 1\n  assert ctx.err() == ok\n }\n}\n",
        ),
    ]);
}

/// A select with `default` beside a send case on a full buffered channel:
/// no case is ready, so `default` runs, even while a receiver of that channel
/// is about to receive (this test found the reference counting that receiver
/// as a rendezvous partner, as for an unbuffered channel).
#[test]
fn a_full_buffered_send_case_does_not_stop_default() {
    verify(&[(
        "default beside a full buffer",
        "// expect: verified\ntask main() {\n let ch = chan(1)\n send ch\n let t = spawn w(ch)\n select {\n send ch => {}\n default => {}\n }\n join t\n}\ntask w(ch) {\n recv ch\n}\n",
    )]);
}

/// Every execution of `text` in every scenario, each replayed on the reference.
fn every_run(name: &str, text: &str) -> Vec<(Scenario, Outcome)> {
    let mut out = Vec::new();
    for scenario in Scenario::ALL {
        match runs(name, text, scenario, SEEDS) {
            Ok(os) => out.extend(os.into_iter().map(|o| (scenario, o))),
            Err(problems) => panic!("{} problems:\n{}", problems.len(), problems.join("\n")),
        }
    }
    out
}

/// A task that finds nothing ready parks in a step of its own, and a
/// non-blocking select sees only partners that have parked: a goroutine just
/// spawned has not (it may, if it runs first, so the leak shows in some
/// executions). Once time has passed (`sleep`: maximal progress), the child
/// has parked and the select always meets it.
#[test]
fn default_sees_only_partners_that_have_parked() {
    verify(&[
        ("an unparked sender is missed", include_str!("../../../models/semantics/default_misses_unparked_sender.leash")),
        ("an unparked receiver is missed", include_str!("../../../models/semantics/default_send_misses_receiver.leash")),
        (
            "a parked sender is met",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n let t = spawn s(ch)\n sleep\n select {\n recv ch => {}\n default => assert false\n }\n join t\n}\ntask s(ch) {\n send ch, 1\n}\n",
        ),
    ]);
}

/// Wait queues are first parked, first served: senders parked on a full
/// buffer move their values in in order, parked senders and receivers of an
/// unbuffered channel are met in order. `sleep` lets each task park before
/// the next is spawned.
#[test]
fn wait_queues_are_first_in_first_out() {
    verify(&[
        (
            "parked senders, unbuffered",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n let a = spawn s(ch, 1)\n sleep\n let b = spawn s(ch, 2)\n sleep\n let x = recv ch\n let y = recv ch\n assert x == 1 && y == 2\n join a\n join b\n}\ntask s(ch, v) {\n send ch, v\n}\n",
        ),
        (
            "parked senders, full buffer",
            "// expect: verified\ntask main() {\n let ch = chan(1)\n send ch, 0\n let a = spawn s(ch, 1)\n sleep\n let b = spawn s(ch, 2)\n sleep\n let x = recv ch\n let y = recv ch\n let z = recv ch\n assert x == 0 && y == 1 && z == 2\n join a\n join b\n}\ntask s(ch, v) {\n send ch, v\n}\n",
        ),
        (
            "parked receivers, one in a select",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n let other = chan(0)\n let a = spawn r(ch, other, 1)\n sleep\n let b = spawn r(ch, other, 2)\n sleep\n send ch, 1\n send ch, 2\n join a\n join b\n}\ntask r(ch, other, want) {\n select {\n recv other => assert false\n recv ch as v => assert v == want\n }\n}\n",
        ),
        (
            "a parked task is woken by a cancellation",
            "// expect: verified\ntask main() {\n let ctx = with_cancel(background())\n let ch = chan(0)\n let t = spawn w(ctx, ch)\n sleep\n cancel(ctx)\n join t\n}\ntask w(ctx, ch) {\n select {\n recv ch => assert false\n recv ctx.done => {}\n }\n}\n",
        ),
    ]);
}

/// `c.signal()` wakes the task that has waited longest; a wait group
/// releases all its waiters, and a released `wg.wait()` panics when the
/// group was re-armed before it returned. A negative counter is stored, and
/// the task that stored it panics at its next step: a waiter released just
/// before may see the counter first and panic with the reuse message.
#[test]
fn conds_are_fifo_and_wait_groups_check_reuse() {
    verify(&[
        ("cond signal wakes the first waiter", include_str!("../../../models/semantics/cond_signal_wakes_first_waiter.leash")),
        (
            "cond signal wakes the first waiter, in time",
            "// expect: verified\nvar mu = mutex()\nvar c = cond(mu)\ntask main() {\n let a = spawn w()\n sleep\n let b = spawn w()\n sleep\n mu.lock()\n c.signal()\n mu.unlock()\n join a\n mu.lock()\n c.signal()\n mu.unlock()\n join b\n}\ntask w() {\n mu.lock()\n c.wait()\n mu.unlock()\n}\n",
        ),
        ("a wait group reused before wait returned", include_str!("../../../models/semantics/wg_reused_before_wait_returned.leash")),
        (
            "a wait group reused after wait returned",
            "// expect: verified\ntask main() {\n let wg = waitgroup()\n wg.add(1)\n let t = spawn w(wg)\n wg.wait()\n wg.add(1)\n let u = spawn w(wg)\n wg.wait()\n join t\n join u\n}\ntask w(wg) {\n wg.done()\n}\n",
        ),
        (
            "a wait group releases every waiter",
            "// expect: verified\ntask main() {\n let wg = waitgroup()\n wg.add(1)\n let a = spawn w(wg)\n let b = spawn w(wg)\n sleep\n wg.done()\n join a\n join b\n}\ntask w(wg) {\n wg.wait()\n}\n",
        ),
        ("a negative counter", "// expect: panic main\ntask main() {\n let wg = waitgroup()\n wg.done()\n}\n"),
        (NEGATIVE_WHILE_RELEASED.0, NEGATIVE_WHILE_RELEASED.1),
    ]);
    let messages: std::collections::BTreeSet<String> =
        every_run(NEGATIVE_WHILE_RELEASED.0, NEGATIVE_WHILE_RELEASED.1)
            .into_iter()
            .filter_map(|(_, o)| match o.end {
                End::Panic { message, .. } => Some(message),
                _ => None,
            })
            .collect();
    let both =
        ["sync: WaitGroup is reused before previous Wait has returned", "sync: negative WaitGroup counter"];
    assert_eq!(messages, both.map(String::from).into(), "which task panics first is a race");
}

/// `main` takes the counter below zero just after it released the waiter.
const NEGATIVE_WHILE_RELEASED: (&str, &str) = (
    "a negative counter and a released waiter",
    "// expect: panic\ntask main() {\n let wg = waitgroup()\n wg.add(1)\n let t = spawn w(wg)\n sleep\n wg.done()\n wg.done()\n join t\n}\ntask w(wg) {\n wg.wait()\n}\n",
);

/// The owner rule: a task still running when the task that spawned it
/// exits is an orphan (one that exits in the same step is not, and a task
/// spawned `detached` has no owner); the orphan is noted at the step its
/// owner exits, and nobody owns it from then on.
#[test]
fn a_task_outliving_its_owner_is_an_orphan() {
    verify(&[
        (
            "main returns in the step that spawns",
            "// expect: orphan w\ntask main() {\n let ch = chan(1)\n spawn w(ch)\n}\ntask w(ch) {\n send ch\n}\n",
        ),
        (
            "a detached task",
            "// expect: verified\ntask main() {\n let ch = chan(1)\n spawn detached w(ch)\n}\ntask w(ch) {\n send ch\n}\n",
        ),
        (
            "owner and child exit in the same step",
            "// expect: verified\ntask main() {\n let ch = chan(0)\n spawn w(ch)\n send ch\n}\ntask w(ch) {\n recv ch\n}\n",
        ),
        (
            "a grandchild outlives its parent",
            "// expect: orphan b\ntask main() {\n let t = spawn a()\n join t\n}\ntask a() {\n let ch = chan(1)\n spawn b(ch)\n}\ntask b(ch) {\n send ch\n}\n",
        ),
        ("the seed's buffered timeout", include_str!("../../../models/seeds/timeout_buffered.leash")),
    ]);
    let grandchild = "task main() {\n let t = spawn a()\n join t\n}\ntask a() {\n let ch = chan(1)\n spawn b(ch)\n}\ntask b(ch) {\n send ch\n}\n";
    let runs = every_run("a grandchild outlives its parent", grandchild);
    assert!(!runs.is_empty());
    for (scenario, o) in runs {
        let orphans: Vec<(u32, u16)> = o.orphans.iter().map(|x| (x.task, x.owner)).collect();
        // b (instance 2, function 2) is left by a (function 1), only by a.
        assert_eq!(orphans, [(2, 1)], "{scenario:?}: {o:?}");
        assert_eq!(o.orphans[0].func, 2);
    }
}

/// Time passes only when no task can take an instant step: work ends, a
/// timer fires, a ticker ticks only then. A timer's value and a ticker's
/// tick wait in the channel (one tick at most) and `stop` does not drain it.
#[test]
fn time_passes_only_when_no_task_is_urgent() {
    verify(&[
        ("after never beats a ready case", include_str!("../../../models/semantics/after_never_beats_ready.leash")),
        ("a timer not before a ready case", include_str!("../../../models/semantics/timer_not_before_ready.leash")),
        (
            "work ends after every instant step",
            "// expect: verified\nvar done = false\ntask main() {\n let t = spawn w()\n work a\n assert done\n join t\n}\ntask w() {\n done = true\n}\n",
        ),
        (
            "a timer fires for a parked receiver",
            "// expect: verified\ntask main() {\n let t = timer()\n recv t\n stop(t)\n}\n",
        ),
        (
            "a stopped timer keeps the value that waits",
            "// expect: deadlock\ntask main() {\n let t = timer()\n sleep\n stop(t)\n recv t\n}\n",
        ),
        (
            "a ticker keeps one tick, and stop leaves it",
            "// expect: deadlock\ntask main() {\n let tk = ticker()\n sleep\n sleep\n stop(tk)\n recv tk\n select {\n recv tk => assert false\n default => {}\n }\n}\n",
        ),
    ]);
    // Both orders of the timer and the sleep happen.
    let kept = "task main() {\n let t = timer()\n sleep\n stop(t)\n recv t\n}\n";
    let ends: Vec<bool> =
        every_run("a stopped timer", kept).iter().map(|(_, o)| o.end == End::Exited).collect();
    assert!(ends.contains(&true) && ends.contains(&false), "{ends:?}");
}

/// Ties: right after a timed step, another timed step may come at the same
/// instant, before the tasks woken move, so that what they do next races
/// (the lost update of two workers, of two timers' or two tickers'
/// handlers); a tie needs the other step to be pending then, and a tick
/// ties only when the task it wakes shares an object with another task (a
/// context only when one may cancel it and the other polls it), or, when it
/// wakes no one, a task that reaches the ticker may move at once.
#[test]
fn timed_steps_may_come_at_the_same_instant() {
    let lost = include_str!("../../../models/semantics/work_ties_lost_update.leash");
    verify(&[
        ("two workers lose an update", lost),
        (
            "sleeps tie, so the woken tasks race",
            "// expect: panic\nvar x = 0\ntask main() {\n let t = spawn w()\n sleep\n x = 1\n join t\n}\ntask w() {\n sleep\n assert x == 0\n}\n",
        ),
        (
            "no tie once a task moved: the sleep started after the first one ended",
            "// expect: verified\nvar x = 0\ntask main() {\n let ch = chan(0)\n let t = spawn w(ch)\n sleep\n send ch\n x = 1\n x = 2\n join t\n}\ntask w(ch) {\n recv ch\n sleep\n assert x != 1\n}\n",
        ),
        (
            "a timer ties with a sleep",
            "// expect: panic\nvar x = 0\ntask main() {\n let t = spawn w()\n let tm = timer()\n recv tm\n x = 1\n x = 2\n join t\n}\ntask w() {\n sleep\n assert x != 1\n}\n",
        ),
        (
            "two timers' handlers lose an update",
            include_str!("../../../models/semantics/timers_tie_lost_update.leash"),
        ),
        (
            "ticks tie when their handlers share a variable",
            "// expect: panic\nvar x = 0\ntask main() {\n let t = spawn w()\n let tk = ticker()\n recv tk\n x = 1\n x = 2\n stop(tk)\n join t\n}\ntask w() {\n let tk = ticker()\n recv tk\n assert x != 1\n stop(tk)\n}\n",
        ),
        (
            "two tickers' handlers lose an update",
            include_str!("../../../models/semantics/ticks_tie_lost_update.leash"),
        ),
        (
            "two tickers' handlers race over channels",
            include_str!("../../../models/semantics/ticks_tie_close_races_send.leash"),
        ),
        (
            "a tick handler's cancel lands between another's two reads",
            include_str!("../../../models/semantics/ticks_tie_cancel_between_reads.leash"),
        ),
    ]);
    // Ticks of two tickers whose tasks share only a context that one
    // cancels and the other only waits on never tie (a ticker's own next
    // tick may: a late Go ticker is next due at once).
    let apart = "// expect: verified\ntask main() {\n let ctx = with_cancel(background())\n let t = spawn w(ctx)\n let tk = ticker()\n recv tk\n stop(tk)\n cancel(ctx)\n join t\n}\ntask w(ctx) {\n let tk = ticker()\n select {\n recv tk => {}\n recv ctx.done => {}\n }\n stop(tk)\n}\n";
    let tied = every_run("ticks apart", apart)
        .iter()
        .filter(|(_, o)| {
            o.log.windows(2).any(|w| {
                matches!(w, [leash_threads::Entry::Fire { obj: a, .. }, leash_threads::Entry::Fire { obj: b, .. }] if a != b)
            })
        })
        .count();
    assert_eq!(tied, 0, "ticks of tasks that share nothing tied");
    // Both workers' ends come first in some run, and together in some.
    let ties = every_run("two workers lose an update", lost)
        .iter()
        .filter(|(_, o)| {
            o.log.windows(2).any(|w| {
                matches!(
                    w,
                    [
                        leash_threads::Entry::Step { time: true, .. },
                        leash_threads::Entry::Step { time: true, .. }
                    ]
                )
            })
        })
        .count();
    assert!(ties > 0, "no two work steps ended at the same instant");
}

/// A loop that polls (a `select` with `default`, or a `yield`) lets time
/// pass while it spins, so the deadline it polls fires and the loop ends;
/// its first poll, on arrival, happens at once, and so does its first poll
/// after time passed (the reference rejects a log where time passes twice
/// while the poller has not gone round again).
#[test]
fn a_polling_loop_lets_time_pass() {
    let busy = include_str!("../../../models/semantics/busy_poll_deadline.leash");
    verify(&[
        ("busy poll of a deadline", busy),
        (
            "a yield loop polling ctx.err",
            "// expect: verified\ntask main() {\n let ctx = with_timeout(background())\n while ctx.err() == ok {\n yield\n }\n cancel(ctx)\n}\n",
        ),
        (
            "time passing ends a spin: the poller polls again before more time passes",
            "// expect: verified\ntask main() {\n let ctx = with_timeout(background())\n let t = spawn w()\n loop {\n select {\n recv ctx.done => {\n join t\n return\n }\n default => {}\n }\n }\n}\ntask w() {\n sleep\n sleep\n sleep\n}\n",
        ),
        (
            "the first poll is at once",
            "// expect: verified\ntask main() {\n let ctx = with_timeout(background())\n select {\n recv ctx.done => assert false\n default => {}\n }\n cancel(ctx)\n}\n",
        ),
    ]);
    for (scenario, o) in every_run("busy poll of a deadline", busy) {
        assert!(matches!(o.end, End::Exited | End::StepBound), "{scenario:?}: {o:?}");
    }
    let exits =
        every_run("busy poll of a deadline", busy).iter().filter(|(_, o)| o.end == End::Exited).count();
    assert!(exits > 0, "the deadline never fired while main polled");
}

/// A loop that neither waits nor polls is instant while it ends: one round
/// of arithmetic before a send never loses to an `after`. (One that spins
/// for ever is a cycle of instant steps, on which only the native search
/// lets time pass: here such an execution ends at the step bound.)
#[test]
fn a_bounded_loop_is_instant() {
    verify(&[("a bounded loop", include_str!("../../../models/semantics/bounded_loop_is_instant.leash"))]);
    for (name, model) in [
        ("busy loop on a deadline", include_str!("../../../models/semantics/busy_loop_deadline.leash")),
        ("spin-wait on a flag", include_str!("../../../models/semantics/spin_wait_flag.leash")),
    ] {
        for (scenario, o) in &every_run(name, model) {
            assert!(matches!(o.end, End::Exited | End::StepBound), "{name} {scenario:?}: {o:?}");
        }
    }
}

/// A deferred call's operands are evaluated at the `defer` statement.
#[test]
fn defer_captures_its_operands() {
    verify(&[
        ("defer evaluates arguments", include_str!("../../../models/semantics/defer_evaluates_arguments.leash")),
        (
            "a deferred call sends the value of then",
            "// expect: verified\nfn put(ch, v) {\n send ch, v\n}\nfn f(ch) {\n let v = 1\n defer put(ch, v)\n v = 2\n}\ntask main() {\n let ch = chan(1)\n f(ch)\n let x = recv ch\n assert x == 1\n}\n",
        ),
    ]);
}

/// A context's deadline and, in completion, the signal cancel from a
/// goroutine of their own: once time has passed since the context was
/// made, the cancel may land between any two steps of the tasks a timed
/// step woke. One made since the last step of time, and the signal before
/// any time has passed, still wait for time.
#[test]
fn aged_cancellations_land_between_woken_steps() {
    verify(&[
        (
            "the signal lands between two reads after a work",
            include_str!("../../../models/semantics/signal_lands_between_woken_steps.leash"),
        ),
        (
            "a deadline lands between two reads after a work",
            include_str!("../../../models/semantics/deadline_lands_between_woken_steps.leash"),
        ),
        (
            "a deadline made after the work waits for time",
            "// expect: verified\ntask main() {\n work a\n let ctx = with_timeout(background())\n defer cancel(ctx)\n let c = chan(1)\n let e1 = ctx.err()\n send c, 1\n let e2 = ctx.err()\n assert e1 == e2\n}\n",
        ),
        (
            "a yield between the reads lets time pass (Go's Gosched)",
            "// expect: panic main\ntask main() {\n work a\n let ctx = with_timeout(background())\n defer cancel(ctx)\n let e1 = ctx.err()\n yield\n let e2 = ctx.err()\n assert e1 == e2\n}\n",
        ),
        (
            "the signal waits for time in completion",
            "// expect[completion]: verified\n// expect[error]: panic main\n// expect[cancel]: panic main\ntask main() {\n let ctx = signal()\n let c = chan(1)\n let e1 = ctx.err()\n send c, 1\n let e2 = ctx.err()\n assert e1 == e2\n work a\n}\n",
        ),
    ]);
}
