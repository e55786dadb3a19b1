//! One small model per rule of docs/semantics.md, with the verdicts it must get.
//! `summary` condenses a report to "scenario: finding task, ..." so that each
//! test is one line of model and one line of expectation.

use leash::{CheckOptions, Scenario};

fn summary_with(src: &str, options: &CheckOptions) -> String {
    let report =
        leash::check_source("rule.leash", src, options).unwrap_or_else(|bad| panic!("{}", bad.render()));
    let per: Vec<String> = report
        .scenarios
        .iter()
        .map(|s| {
            let mut items: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.scenarios.contains(&s.scenario))
                .map(|f| format!("{} {}", f.kind, f.tasks.join(" ")))
                .collect();
            items.sort();
            if let Some(b) = &s.bound {
                items.push(format!("incomplete ({b})"));
            }
            if items.is_empty() {
                items.push("verified".into());
            }
            items.join(", ")
        })
        .collect();
    if per.iter().all(|p| *p == per[0]) {
        return format!("all: {}", per[0]);
    }
    report
        .scenarios
        .iter()
        .zip(per)
        .map(|(s, p)| format!("{}: {p}", s.scenario))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn summary(src: &str) -> String {
    summary_with(src, &CheckOptions::default())
}

#[test]
fn close_wakes_every_receiver() {
    let src = "task main() {\n let ch = chan(0)\n let a = spawn r(ch)\n let b = spawn r(ch)\n let c = spawn r(ch)\n close(ch)\n join a\n join b\n join c\n}\ntask r(ch) {\n recv ch\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn receive_on_closed_channel_reports_not_ok() {
    let src =
        "task main() {\n let ch = chan(1)\n close(ch)\n let (v, ok) = recv ch\n if ok { close(ch) }\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn buffered_values_are_received_before_closed() {
    let src = "task main() {\n let ch = chan(1)\n send ch, 1\n close(ch)\n let (v, ok) = recv ch\n if !ok { close(ch) }\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn send_on_closed_channel_panics() {
    assert_eq!(summary("task main() {\n let ch = chan(1)\n close(ch)\n send ch\n}\n"), "all: panic main");
}

#[test]
fn close_of_nil_and_closed_channels_panic() {
    assert_eq!(summary("task main() {\n let ch = nil\n close(ch)\n}\n"), "all: panic main");
    assert_eq!(summary("task main() {\n let ch = chan(0)\n close(ch)\n close(ch)\n}\n"), "all: panic main");
}

#[test]
fn nil_channel_blocks_forever() {
    assert_eq!(summary("task main() {\n let ch = nil\n recv ch\n}\n"), "all: deadlock main");
    assert_eq!(
        summary("task main() {\n let ch = nil\n select {\n send ch => {}\n default => {}\n }\n}\n"),
        "all: verified"
    );
}

#[test]
fn select_blocks_without_default_and_not_with_it() {
    assert_eq!(
        summary("task main() {\n let ch = chan(0)\n select {\n recv ch => {}\n }\n}\n"),
        "all: deadlock main"
    );
    assert_eq!(
        summary("task main() {\n let ch = chan(0)\n select {\n recv ch => {}\n default => {}\n }\n}\n"),
        "all: verified"
    );
    assert_eq!(summary("task main() {\n select {\n }\n}\n"), "all: deadlock main");
}

#[test]
fn a_ready_select_case_is_eventually_chosen() {
    // The timer case is always ready, but ctx.done is ready infinitely often once
    // the signal came: fairness takes it, so this is not a no-exit.
    let src = "task main() {\n let ctx = signal()\n loop {\n select {\n recv ctx.done => return\n after => {}\n }\n }\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn a_loop_with_no_way_out_is_no_exit() {
    assert_eq!(summary("task main() {\n loop {\n yield\n }\n}\n"), "all: no-exit main");
    assert_eq!(summary("task main() {\n loop {\n }\n}\n"), "all: no-exit main");
}

#[test]
fn a_blocked_task_beside_a_spinning_one_is_a_leak() {
    let src = "task main() {\n let ch = chan(0)\n spawn stuck(ch)\n loop {\n sleep\n }\n}\ntask stuck(ch) {\n recv ch\n}\n";
    assert_eq!(summary(src), "all: leak stuck, no-exit main");
}

#[test]
fn rwmutex_prefers_a_waiting_writer() {
    let src = "var mu = rwmutex()\ntask main() {\n let t = spawn w()\n mu.rlock()\n yield\n mu.rlock()\n mu.runlock()\n mu.runlock()\n join t\n}\ntask w() {\n mu.lock()\n mu.unlock()\n}\n";
    assert_eq!(summary(src), "all: deadlock main w");
}

/// Lockers that find a mutex held are served in the order they parked (Go's
/// semaphore queue), but one arriving while it is free may take it first.
#[test]
fn parked_lockers_are_served_in_order_and_a_newcomer_may_barge() {
    let in_order = include_str!("../models/semantics/mutex_serves_parked_lockers_in_order.leash");
    assert_eq!(summary(in_order), "all: verified");
    let barge = "var mu = mutex()\nvar x = 0\ntask main() {\n mu.lock()\n let t = spawn w()\n work a\n mu.unlock()\n mu.lock()\n assert x == 1\n mu.unlock()\n join t\n}\ntask w() {\n mu.lock()\n x = 1\n mu.unlock()\n}\n";
    assert_eq!(summary(barge), "all: panic main");
}

#[test]
fn rwmutex_readers_share() {
    let src = "var mu = rwmutex()\ntask main() {\n let t = spawn r()\n mu.rlock()\n let u = spawn r()\n join u\n mu.runlock()\n join t\n}\ntask r() {\n mu.rlock()\n mu.runlock()\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn cond_wait_releases_the_lock() {
    let src = "var mu = mutex()\nvar ready = false\ntask main() {\n let c = cond(mu)\n let t = spawn n(c)\n mu.lock()\n while !ready {\n c.wait()\n }\n mu.unlock()\n join t\n}\ntask n(c) {\n mu.lock()\n ready = true\n c.broadcast()\n mu.unlock()\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn cond_signal_before_wait_is_lost() {
    let src = "var mu = mutex()\ntask main() {\n let c = cond(mu)\n let t = spawn n(c)\n yield\n mu.lock()\n c.wait()\n mu.unlock()\n join t\n}\ntask n(c) {\n c.signal()\n}\n";
    assert_eq!(summary(src), "all: deadlock main");
}

#[test]
fn waitgroup_counter_below_zero_panics() {
    assert_eq!(summary("task main() {\n let wg = waitgroup()\n wg.done()\n}\n"), "all: panic main");
}

#[test]
fn unlock_of_unlocked_mutex_panics() {
    assert_eq!(summary("task main() {\n let mu = mutex()\n mu.unlock()\n}\n"), "all: panic main");
    assert_eq!(summary("task main() {\n let mu = rwmutex()\n mu.runlock()\n}\n"), "all: panic main");
}

#[test]
fn defers_run_last_in_first_out() {
    let src = "task main() {\n let ch = chan(2)\n let t = spawn f(ch)\n join t\n let first = recv ch\n if first != 2 { close(ch)\n close(ch) }\n}\ntask f(ch) {\n defer send ch, 1\n defer send ch, 2\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn a_helpers_defer_runs_when_the_helper_returns() {
    let src = "fn locked(mu) {\n mu.lock()\n defer mu.unlock()\n work inside\n}\ntask main() {\n let mu = mutex()\n locked(mu)\n mu.lock()\n mu.unlock()\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn helpers_return_early_and_propagate_errors() {
    let src = "fn get() {\n work fetch?\n return ok\n}\ntask main() {\n let ch = chan(1)\n let r = get()\n if r == err { send ch\n send ch }\n}\n";
    assert_eq!(summary(src), "completion: verified | error: deadlock main | cancel: verified");
}

#[test]
fn work_fails_only_in_the_error_scenario() {
    let src = "task main() {\n let r = work fetch\n if r == err { let mu = mutex()\n mu.unlock() }\n}\n";
    assert_eq!(summary(src), "completion: verified | error: panic main | cancel: verified");
}

#[test]
fn the_signal_comes_mid_work_in_every_scenario() {
    let src = "task main() {\n let ctx = signal()\n let t = spawn w(ctx)\n recv ctx.done\n join t\n}\ntask w(ctx) {\n work a\n if ctx.err() == err { let mu = mutex()\n mu.unlock() }\n}\n";
    // Outside completion the signal may also come before `w` starts its work.
    assert_eq!(
        summary(src),
        "completion: panic w | error: panic w, work-after-cancel w | cancel: panic w, work-after-cancel w"
    );
}

#[test]
fn the_signal_comes_between_instant_steps_outside_completion() {
    let src = "task main() {\n let ctx = signal()\n let t = spawn w(ctx)\n join t\n}\ntask w(ctx) {\n let c = chan(1)\n if ctx.err() == ok {\n  send c, 1\n  if ctx.err() == err { let mu = mutex()\n mu.unlock() }\n }\n}\n";
    assert_eq!(summary(src), "completion: verified | error: panic w | cancel: panic w");
}

/// A deadline made since the last step of time, and in completion the
/// signal before any time has passed, do not land between two reads that
/// follow at once (once time has passed they may:
/// `deadline_lands_between_woken_steps`). Not corpus models: Go's harness,
/// whose delays are random and short, can show them on a loaded machine
/// (1 run in 40 did), against leash's assumption that a few statements
/// take less time than any timed step.
#[test]
fn cancellations_made_since_time_last_passed_wait_for_time() {
    let fresh = "task main() {\n work a\n let ctx = with_timeout(background())\n defer cancel(ctx)\n let c = chan(1)\n let e1 = ctx.err()\n send c, 1\n let e2 = ctx.err()\n assert e1 == e2\n}\n";
    assert_eq!(summary(fresh), "all: verified");
    let signal = "task main() {\n let ctx = signal()\n let c = chan(1)\n let e1 = ctx.err()\n send c, 1\n let e2 = ctx.err()\n assert e1 == e2\n work a\n}\n";
    assert_eq!(summary(signal), "completion: verified | error: panic main | cancel: panic main");
    // A `yield` between the reads is Go's Gosched, behind the timers that
    // are due: there the deadline may land.
    assert_eq!(summary(&fresh.replace("send c, 1", "yield")), "all: panic main");
}

#[test]
fn work_with_a_cancelled_context_returns_err() {
    let src = "task main() {\n let ctx = with_cancel(background())\n cancel(ctx)\n let r = work call(ctx)\n if r == ok { let mu = mutex()\n mu.unlock() }\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn cancellation_flows_down_the_context_tree() {
    let src = "task main() {\n let root = with_cancel(background())\n let child = with_cancel(root)\n let t = spawn w(child)\n cancel(root)\n join t\n cancel(child)\n}\ntask w(ctx) {\n recv ctx.done\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn errgroup_first_error_cancels_and_is_returned() {
    let src = "task main() {\n let g = group(background())\n g.go fails()\n g.go waits(g.ctx)\n let e = g.wait()\n if e == ok { let mu = mutex()\n mu.unlock() }\n}\ntask fails() {\n return err\n}\ntask waits(ctx) {\n recv ctx.done\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn errgroup_limit_blocks_go() {
    let src = "task main() {\n let ch = chan(0)\n let g = group(background(), 1)\n g.go blocked(ch)\n g.go blocked(ch)\n close(ch)\n let e = g.wait()\n}\ntask blocked(ch) {\n recv ch\n}\n";
    assert_eq!(summary(src), "all: deadlock main blocked");
}

#[test]
fn once_runs_its_body_once() {
    let src = "var o = once()\nvar n: int[0..1] = 0\nfn inc() {\n n = n + 1\n}\ntask main() {\n let t = spawn w()\n o.do(inc)\n join t\n}\ntask w() {\n o.do(inc)\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn int_out_of_declared_range_panics() {
    assert_eq!(summary("var n: int[0..1] = 0\ntask main() {\n n = 2\n}\n"), "all: panic main");
}

#[test]
fn array_index_out_of_range_panics() {
    assert_eq!(
        summary("task main() {\n let a = [chan(1); 2]\n let i = 2\n send a[i]\n}\n"),
        "all: panic main"
    );
}

#[test]
fn choose_explores_every_branch() {
    let src = "task main() {\n choose {\n work a\n } or {\n let mu = mutex()\n mu.unlock()\n }\n}\n";
    assert_eq!(summary(src), "all: panic main");
}

#[test]
fn owner_exiting_before_its_child_is_an_orphan_unless_it_joins() {
    let spawn_only = "task main() {\n spawn child()\n}\ntask child() {\n work a\n}\n";
    assert_eq!(summary(spawn_only), "all: orphan child");
    let joined = "task main() {\n let t = spawn child()\n join t\n}\ntask child() {\n work a\n}\n";
    assert_eq!(summary(joined), "all: verified");
}

#[test]
fn a_task_exits_with_its_last_step() {
    // wg.done() is the worker's last action: the owner may return as soon as
    // Wait does, and the worker is not an orphan.
    let src = "task main() {\n let wg = waitgroup()\n wg.add(1)\n spawn w(wg)\n wg.wait()\n}\ntask w(wg) {\n defer wg.done()\n work a\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn variables_passed_to_tasks_are_shared() {
    let src = "var mu = mutex()\ntask main() {\n var flag = false\n let t = spawn setter(flag)\n join t\n if !flag { mu.unlock() }\n}\ntask setter(flag) {\n flag = true\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn a_search_cut_short_is_incomplete_never_verified() {
    let src = "task main() {\n let ch = chan(0)\n loop {\n spawn w(ch)\n }\n}\ntask w(ch) {\n recv ch\n}\n";
    let options = CheckOptions {
        scenarios: vec![Scenario::Completion],
        search: leash::SearchOptions { max_states: 50, ..Default::default() },
        ..Default::default()
    };
    assert_eq!(summary_with(src, &options), "all: incomplete (max-states 50)");
    let depth =
        CheckOptions { search: leash::SearchOptions { max_depth: 3, ..Default::default() }, ..options };
    assert_eq!(summary_with(src, &depth), "all: incomplete (max-depth 3)");
}

#[test]
fn a_model_that_keeps_spawning_is_cut_at_max_tasks_naming_the_spawn_site() {
    let src = "task main() {\n let ch = chan(0)\n loop {\n  spawn w(ch)\n  yield\n }\n}\ntask w(ch) {\n recv ch\n}\n";
    let options = CheckOptions {
        scenarios: vec![Scenario::Completion],
        search: leash::SearchOptions { max_tasks: 6, ..Default::default() },
        ..Default::default()
    };
    let report = leash::check_source("grow.leash", src, &options).expect("compiles");
    let bound = report.scenarios[0].bound.as_deref().expect("cut short");
    assert!(bound.starts_with("max-tasks 6: 6 `w` tasks alive at once, spawned at grow.leash:4;"), "{bound}");
    assert_eq!(report.scenarios[0].stats.states, 47, "the search stops growing at the bound");
}

#[test]
fn a_task_bound_below_a_design_of_distinct_tasks_says_no_function_piles_up() {
    let src = "task main() {\n let ch = chan(0)\n spawn a(ch)\n spawn b(ch)\n spawn c(ch)\n recv ch\n}\n\
               task a(ch) {\n recv ch\n}\ntask b(ch) {\n recv ch\n}\ntask c(ch) {\n recv ch\n}\n";
    let options = CheckOptions {
        scenarios: vec![Scenario::Completion],
        search: leash::SearchOptions { max_tasks: 3, ..Default::default() },
        ..Default::default()
    };
    let report = leash::check_source("distinct.leash", src, &options).expect("compiles");
    let bound = report.scenarios[0].bound.as_deref().expect("cut short");
    assert!(bound.starts_with("max-tasks 3: more tasks alive at once, no two of one function;"), "{bound}");
}

#[test]
fn a_failed_assert_is_a_panic_at_its_line() {
    assert_eq!(summary("var n = 0\ntask main() {\n n = 1\n assert n == 0\n}\n"), "all: panic main");
    let report =
        leash::check_source("a.leash", "task main() {\n assert 1 == 2\n}\n", &CheckOptions::default())
            .expect("compiles");
    assert_eq!(report.findings[0].location.as_ref().map(|l| l.line), Some(2));
}

#[test]
fn defer_takes_a_block() {
    let src = "task main() {\n let mu = mutex()\n mu.lock()\n defer {\n mu.unlock()\n mu.lock()\n mu.unlock()\n }\n work a\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn a_received_result_propagates_with_question_mark() {
    let src = "fn get(ch) {\n recv ch?\n return ok\n}\ntask main() {\n let ch = chan(1)\n send ch, err\n let r = get(ch)\n assert r == err\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn an_anonymous_task_shares_the_locals_it_assigns() {
    // `flag` is assigned inside the block: main sees the write after the join.
    let src =
        "task main() {\n let flag = false\n let t = spawn {\n  flag = true\n }\n join t\n assert flag\n}\n";
    assert_eq!(summary(src), "all: verified");
    // A local assigned around the block is shared too: the task sees main's write.
    let src = "task main() {\n let n = 0\n let ch = chan(0)\n let t = spawn {\n  recv ch\n  assert n == 1\n }\n n = 1\n send ch, 0\n join t\n}\n";
    assert_eq!(summary(src), "all: verified");
    // A local nobody assigns is a copy; parameters are captured like locals.
    let src = "task main() {\n let ch = chan(0)\n let h = spawn helper(ch)\n recv ch\n join h\n}\ntask helper(out) {\n let t = spawn {\n  send out, 1\n }\n join t\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn an_anonymous_task_is_owned_by_its_spawner_and_named_by_its_line() {
    let src = "task main() {\n spawn {\n  work w\n }\n}\n";
    assert_eq!(summary(src), "all: orphan main@2");
    let src = "task main() {\n spawn detached {\n  let t = spawn {\n   work w\n  }\n  join t\n }\n}\n";
    assert_eq!(summary(src), "all: verified");
    let src = "task main() {\n let g = group(background())\n g.go {\n  work w?\n }\n let e = g.wait()\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn an_unguarded_update_after_simultaneous_work_is_lost() {
    let racy = "var count = 0\ntask main() {\n let wg = waitgroup()\n wg.add(2)\n spawn w(wg)\n spawn w(wg)\n wg.wait()\n assert count == 2\n}\ntask w(wg) {\n defer wg.done()\n work compute\n count = count + 1\n}\n";
    assert_eq!(summary(racy), "all: panic main");
    let guarded = racy
        .replace(" let wg = waitgroup()\n", " let wg = waitgroup()\n let mu = mutex()\n")
        .replace("spawn w(wg)", "spawn w(wg, mu)")
        .replace("task w(wg)", "task w(wg, mu)")
        .replace(" count = count + 1\n", " mu.lock()\n count = count + 1\n mu.unlock()\n");
    assert_eq!(summary(&guarded), "all: verified");
}

/// Ticks tie (come at the same instant, before the tasks woken move) when
/// the task a tick wakes shares an object with another task: two tickers'
/// handlers that add to a shared count race, also through a helper, and a
/// lock makes them safe; a context counts when one may cancel it and the
/// other polls it (docs/semantics.md, Time).
#[test]
fn ticks_tie_when_their_handlers_share_an_object() {
    let racy = "var count = 0\ntask main() {\n let a = spawn beat()\n let b = spawn beat()\n join a\n join b\n assert count == 2\n}\ntask beat() {\n let t = ticker()\n recv t\n stop(t)\n count = count + 1\n}\n";
    assert_eq!(summary(racy), "all: panic main");
    let helper = racy.replace(" count = count + 1\n}\n", " bump()\n}\nfn bump() {\n count = count + 1\n}\n");
    assert_eq!(summary(&helper), "all: panic main");
    let guarded = racy
        .replace("var count = 0\n", "var count = 0\nvar mu = mutex()\n")
        .replace(" count = count + 1\n", " mu.lock()\n count = count + 1\n mu.unlock()\n");
    assert_eq!(summary(&guarded), "all: verified");
    let polled = include_str!("../models/semantics/ticks_tie_cancel_between_reads.leash");
    assert_eq!(summary(polled), "all: panic reader");
    let waited = polled.replace(
        "    let x = ctx.err()\n    let y = ctx.err()\n    assert x == y\n",
        "    select {\n        recv ctx.done => {}\n        recv t => {}\n    }\n",
    );
    assert_ne!(waited, polled);
    assert_eq!(summary(&waited), "all: verified");
}

#[test]
fn a_helper_returns_two_results_to_the_let_that_binds_them() {
    // The second result is the work's outcome: err only in the error scenario.
    let src = "fn fetch(ctx) {\n let r = work get(ctx)\n if r == err {\n  return (0, err)\n }\n return (42, ok)\n}\ntask main() {\n let (v, e) = fetch(background())\n assert e == err || v == 42\n assert e == ok || v == 0\n}\n";
    assert_eq!(summary(src), "all: verified");
    // Which result is which: the success path gives (42, ok) everywhere,
    // the failure path (0, err) only where work can fail.
    let wrong = src.replace("assert e == ok || v == 0", "assert e == err || v == 0");
    assert_eq!(summary(&wrong), "all: panic main");
    let wrong = src.replace("assert e == ok || v == 0", "assert e == ok || v == 42");
    assert_eq!(summary(&wrong), "completion: verified | error: panic main | cancel: verified");
    // The results survive the helper's defers, and `_` discards one.
    let deferred = "fn pair(ch) {\n defer close(ch)\n return (1, :two)\n}\ntask main() {\n let ch = chan(0)\n let (a, _) = pair(ch)\n let (_, b) = pair(chan(0))\n assert a == 1 && b == :two\n}\n";
    assert_eq!(summary(deferred), "all: verified");
}

#[test]
fn tasks_may_spawn_each_other_within_the_task_bound() {
    // A tree bounded by a depth parameter is checked like any model.
    let tree = "task main() {\n let t = spawn node(3)\n join t\n}\ntask node(n) {\n if n > 0 {\n  let a = spawn node(n - 1)\n  let b = spawn node(n - 1)\n  join a\n  join b\n }\n}\n";
    assert_eq!(summary(tree), "all: verified");
    // A chain that never ends piles up tasks until the task bound names it.
    let chain = "task main() {\n let t = spawn a()\n join t\n}\ntask a() {\n let t = spawn b()\n join t\n}\ntask b() {\n let t = spawn a()\n join t\n}\n";
    let report = leash::check_source("rule.leash", chain, &CheckOptions::default()).expect("compiles");
    for s in &report.scenarios {
        let bound = s.bound.as_deref().unwrap_or_default();
        assert!(bound.starts_with("max-tasks 32"), "{bound}");
    }
}

#[test]
fn a_struct_is_shared_by_reference() {
    // A task writes a field of the struct it was given; its owner reads the
    // write after the join, through its own handle.
    let shared = "struct Box {\n n: int\n}\ntask main() {\n let b = Box { n: 1 }\n let t = spawn set(b)\n join t\n assert b.n == 2\n}\ntask set(b) {\n b.n = 2\n}\n";
    assert_eq!(summary(shared), "all: verified");
    // Stored in an array and read back, it is the same struct.
    let array = "struct Box {\n n: int\n}\ntask main() {\n let b = Box {}\n let a = [b; 2]\n let c = a[1]\n c.n = 3\n assert b.n == 3\n}\n";
    assert_eq!(summary(array), "all: verified");
}

#[test]
fn a_field_is_shared_memory() {
    // Two unguarded read-modify-writes of one field lose an update...
    let racy = "struct C {\n n: int\n}\ntask main() {\n let c = C {}\n let t = spawn incr(c)\n c.n = c.n + 1\n join t\n assert c.n == 2\n}\ntask incr(c) {\n c.n = c.n + 1\n}\n";
    assert_eq!(summary(racy), "all: panic main");
    // ... and the struct's own mutex, left at its zero value, guards them.
    let guarded = "struct C {\n mu: mutex\n n: int\n}\ntask main() {\n let c = C {}\n let t = spawn c.incr()\n c.incr_here()\n join t\n assert c.n == 2\n}\nfn (c: C) incr_here() {\n c.mu.lock()\n c.n = c.n + 1\n c.mu.unlock()\n}\ntask (c: C) incr() {\n c.incr_here()\n}\n";
    assert_eq!(summary(guarded), "all: verified");
}

#[test]
fn zero_values_of_left_out_fields_are_gos() {
    // A left-out chan is nil (a receive blocks forever), a waitgroup is ready
    // to use, a bool is false and a result is ok.
    let src = "struct S {\n ch: chan\n wg: waitgroup\n b: bool\n r: result\n}\ntask main() {\n let s = S {}\n assert !s.b\n assert s.r == ok\n s.wg.add(1)\n s.wg.done()\n s.wg.wait()\n recv s.ch\n}\n";
    assert_eq!(summary(src), "all: deadlock main");
}

#[test]
fn task_methods_run_in_groups_and_own_their_spawns() {
    // `g.go s.run()` is a group member; an anonymous task spawned inside a
    // method is named after the method.
    let src = "struct S {\n out: chan\n}\ntask main() {\n let s = S { out: chan(1) }\n let g = group()\n g.go s.run()\n g.wait()\n recv s.out\n}\ntask (s: S) run() {\n let t = spawn {\n  send s.out, 1\n }\n join t\n return ok\n}\n";
    assert_eq!(summary(src), "all: verified");
    let leak = "struct S {\n out: chan\n}\ntask main() {\n let s = S { out: chan(0) }\n spawn s.run()\n}\ntask (s: S) run() {\n spawn detached {\n  send s.out, 1\n }\n}\n";
    assert_eq!(summary(leak), "all: leak S.run@9, orphan S.run");
}

#[test]
fn arrays_of_arrays_make_each_row_anew() {
    let src = "task main() {\n let grid = [[0; 2]; 3]\n grid[1][0] = 5\n let row = grid[2]\n assert row[0] == 0\n assert grid[1][0] == 5\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn stop_of_a_timer_tells_whether_it_prevented_the_fire() {
    let before = "task main() {\n let t = timer()\n let s = stop(t)\n assert s\n}\n";
    assert_eq!(summary(before), "all: verified");
    let after = "task main() {\n let t = timer()\n recv t\n let s = stop(t)\n assert !s\n}\n";
    assert_eq!(summary(after), "all: verified");
    // A value still waiting in the channel: too late to stop, and it stays.
    let waiting = "task main() {\n let t = timer()\n sleep\n let s = stop(t)\n if !s {\n  recv t\n }\n}\n";
    assert_eq!(summary(waiting), "all: verified");
}

#[test]
fn a_map_reads_the_zero_value_of_a_missing_key() {
    let src = "task main() {\n let m = map()\n m[:a] = 2\n let (v, ok) = m[:b]\n assert v == 0 && !ok\n assert m[:a] == 2\n delete(m, :a)\n delete(m, :a)\n assert len(m) == 0\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn a_map_is_iterated_in_any_order() {
    // Either key may come first: a model that counts on one order fails.
    let src = "task main() {\n let m = map()\n m[1] = true\n m[2] = true\n var first = 0\n for k, _ in m {\n  if first == 0 {\n   first = k\n  }\n }\n assert first == 1\n}\n";
    assert_eq!(summary(src), "all: panic main");
    // Every entry comes exactly once.
    let all = "task main() {\n let m = map()\n m[1] = 10\n m[2] = 20\n m[3] = 30\n var sum = 0\n for _, v in m {\n  sum = sum + v\n }\n assert sum == 60\n}\n";
    assert_eq!(summary(all), "all: verified");
}

#[test]
fn a_map_loop_skips_deleted_entries_and_may_or_may_not_see_new_ones() {
    // An entry deleted before the loop reaches it is not produced.
    let deleted = "task main() {\n let m = map()\n m[1] = true\n m[2] = true\n var seen = 0\n for k, _ in m {\n  seen = seen + 1\n  delete(m, 3 - k)\n }\n assert seen == 1\n}\n";
    assert_eq!(summary(deleted), "all: verified");
    // An entry added during the loop may be produced, or not (Go's spec):
    // both outcomes are reachable.
    let never = "task main() {\n let m = map()\n m[1] = true\n var seen = 0\n for k, _ in m {\n  seen = seen + 1\n  m[2] = true\n }\n assert seen == 1\n}\n";
    assert_eq!(summary(never), "all: panic main");
    let always = "task main() {\n let m = map()\n m[1] = true\n var seen = 0\n for k, _ in m {\n  seen = seen + 1\n  m[2] = true\n }\n assert seen == 2\n}\n";
    assert_eq!(summary(always), "all: panic main");
}

/// The panic messages a model's findings carry, sorted and deduplicated.
fn panic_details(src: &str) -> Vec<String> {
    let report = leash::check_source("rule.leash", src, &CheckOptions::default())
        .unwrap_or_else(|bad| panic!("{}", bad.render()));
    let mut details: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.kind == "panic")
        .map(|f| format!("{}: {}", f.tasks.join(" "), f.detail))
        .collect();
    details.sort();
    details.dedup();
    details
}

#[test]
fn map_writes_race_without_a_lock() {
    // Go's map code sees one write inside the other (a fatal error in either
    // writer, or in main's read beside add's write), or the update is lost.
    let src = "task main() {\n let m = map()\n let t = spawn add(m)\n m[:n] = m[:n] + 1\n join t\n assert m[:n] == 2\n}\ntask add(m) {\n m[:n] = m[:n] + 1\n}\n";
    assert_eq!(
        panic_details(src),
        [
            "add: fatal error: concurrent map read and map write",
            "add: fatal error: concurrent map writes",
            "main: assertion failed",
            "main: fatal error: concurrent map read and map write",
            "main: fatal error: concurrent map writes",
        ]
    );
    // Under a lock, neither.
    let guarded = "task main() {\n let m = map()\n let mu = mutex()\n let t = spawn add(m, mu)\n add_one(m, mu)\n join t\n assert m[:n] == 2\n}\nfn add_one(m, mu) {\n mu.lock()\n m[:n] = m[:n] + 1\n mu.unlock()\n}\ntask add(m, mu) {\n add_one(m, mu)\n}\n";
    assert_eq!(summary(guarded), "all: verified");
    // A range over the map beside a delete: the range's next round sees the
    // write (an iteration sets no flag, so the delete sees nothing); and a
    // delete from an empty map, which Go's delete returns from before it checks.
    let range = "task main() {\n let m = map()\n m[1] = true\n let t = spawn del(m)\n for k, _ in m {\n }\n join t\n}\ntask del(m) {\n delete(m, 1)\n}\n";
    assert_eq!(panic_details(range), ["main: fatal error: concurrent map iteration and map write"]);
    let empty = "task main() {\n let m = map()\n let t = spawn del(m)\n delete(m, 1)\n join t\n}\ntask del(m) {\n delete(m, 1)\n}\n";
    assert_eq!(summary(empty), "all: verified");
    // `len` beside a write is not checked, as in Go (it reads the count only).
    let len = "task main() {\n let m = map()\n m[1] = true\n let t = spawn add(m)\n let n = len(m)\n join t\n assert n >= 1\n}\ntask add(m) {\n m[2] = true\n}\n";
    assert_eq!(summary(len), "all: verified");
}

#[test]
fn function_values_capture_as_go_closures_do() {
    // An assigned capture is shared: the function's write is seen outside.
    let shared =
        "task main() {\n var n = 0\n let inc = fn() {\n  n = n + 1\n }\n inc()\n inc()\n assert n == 2\n}\n";
    assert_eq!(summary(shared), "all: verified");
    // A local assigned after the function is made is still the same
    // variable inside it (Go captures variables, not values).
    let later = "task main() {\n var n = 1\n let get = fn() {\n  return n\n }\n n = 5\n let v = get()\n assert v == 5\n}\n";
    assert_eq!(summary(later), "all: verified");
    // Two tasks calling one closure race on what it captured.
    let racy = "task main() {\n var n = 0\n let inc = fn() {\n  n = n + 1\n }\n let t = spawn call(inc)\n inc()\n join t\n assert n == 2\n}\ntask call(f) {\n f()\n}\n";
    assert_eq!(summary(racy), "all: panic main");
}

#[test]
fn a_struct_field_may_hold_a_function_value() {
    let src = "struct W {\n on\n}\ntask main() {\n let out = chan(1)\n let w = W {\n  on: fn(v) {\n   send out, v\n  }\n }\n w.on(3)\n let got = recv out\n assert got == 3\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn reset_rearms_a_timer_and_keeps_a_waiting_value() {
    // A fired timer, reset, fires again; Reset reports it was not active.
    let again = "task main() {\n let t = timer()\n recv t\n let was = reset(t)\n assert !was\n recv t\n}\n";
    assert_eq!(summary(again), "all: verified");
    // Reset after it fired but before its value was taken: the old value is
    // received at once, and the timer is armed again (Stop then reports it).
    let waiting = "task main() {\n let t = timer()\n sleep\n let active = reset(t)\n if !active {\n  recv t\n  let s = stop(t)\n  assert s\n } else {\n  stop(t)\n }\n}\n";
    assert_eq!(summary(waiting), "all: verified");
    // A stopped ticker ticks again after reset.
    let ticker =
        "task main() {\n let tick = ticker()\n stop(tick)\n reset(tick)\n recv tick\n stop(tick)\n}\n";
    assert_eq!(summary(ticker), "all: verified");
    // A timer armed again and dropped is unstopped.
    let dropped = "task main() {\n let t = timer()\n recv t\n reset(t)\n}\n";
    assert_eq!(summary(dropped), "all: unstopped main");
}

#[test]
fn exit_ends_every_task_with_the_program() {
    // os.Exit in main: the worker blocked on its channel stops with it.
    let main_exits = "task main() {\n let jobs = chan(0)\n spawn worker(jobs)\n exit()\n}\ntask worker(jobs) {\n recv jobs\n}\n";
    assert_eq!(summary(main_exits), "all: verified");
    // log.Fatal in a worker while main waits for it: no deadlock, no leak.
    let worker_exits = "task main() {\n let done = chan(0)\n spawn worker(done)\n recv done\n}\ntask worker(done) {\n let r = work load\n if r == err {\n  exit()\n }\n send done\n}\n";
    assert_eq!(summary(worker_exits), "all: verified");
    // Nothing is left to stop: a running ticker is not a finding.
    let ticker = "task main() {\n let t = ticker()\n exit()\n}\n";
    assert_eq!(summary(ticker), "all: verified");
    // What happened before the exit still counts.
    let before = "task main() {\n let ch = chan(0)\n close(ch)\n close(ch)\n exit()\n}\n";
    assert_eq!(summary(before), "all: panic main");
}

#[test]
fn a_list_is_a_queue_shared_by_reference() {
    let fifo = "task main() {\n let q = list()\n push(q, 1)\n push(q, 2)\n assert len(q) == 2\n let a = pop(q)\n let b = pop(q)\n assert a == 1 && b == 2 && len(q) == 0\n}\n";
    assert_eq!(summary(fifo), "all: verified");
    // Popping an empty list panics, as `q[0]` of an empty slice does.
    let empty = "task main() {\n let q = list()\n let v = pop(q)\n}\n";
    assert_eq!(summary(empty), "all: panic main");
    // Two tasks share it: a consumer that does not wait for the producer
    // may find it empty.
    let racy = "task main() {\n let q = list()\n let t = spawn consume(q)\n push(q, 1)\n join t\n}\ntask consume(q) {\n let v = pop(q)\n}\n";
    assert_eq!(summary(racy), "all: panic consume");
}

#[test]
fn a_cond_over_a_read_lock_releases_it_while_it_waits() {
    // The writer can take the lock only because the reader's wait let go of
    // its read lock; a wait without a read lock held panics.
    let src = "task main() {\n let rw = rwmutex()\n let c = cond(rw.rlocker())\n var ready = false\n let t = spawn reader(rw, c, ready)\n rw.lock()\n ready = true\n c.broadcast()\n rw.unlock()\n join t\n}\ntask reader(rw, c, ready) {\n rw.rlock()\n while !ready {\n  c.wait()\n }\n rw.runlock()\n}\n";
    assert_eq!(summary(src), "all: verified");
    let unheld = "task main() {\n let rw = rwmutex()\n let c = cond(rw.rlocker())\n c.wait()\n}\n";
    assert_eq!(summary(unheld), "all: panic main");
}

#[test]
fn a_helper_may_return_up_to_four_results() {
    let src = "fn f(c) {\n if c {\n  return (1, true, ok)\n }\n return (0, false, err)\n}\ntask main() {\n let (v, hit, e) = f(true)\n assert v == 1 && hit && e == ok\n let (w, _, e2) = f(false)\n assert w == 0 && e2 == err\n}\n";
    assert_eq!(summary(src), "all: verified");
}

#[test]
fn a_nil_map_reads_as_empty() {
    // A map-valued map's missing entry is a nil map: reading, counting,
    // ranging over and deleting from it are fine, as in Go; writing panics.
    let src = "task main() {\n let outer = map()\n let a = map()\n a[5] = true\n outer[1] = a\n let inner = outer[2]\n assert len(inner) == 0\n let (v, ok) = inner[3]\n assert !ok && !v\n delete(inner, 3)\n for k, _ in inner {\n  assert false\n }\n}\n";
    assert_eq!(summary(src), "all: verified");
    let write =
        "task main() {\n let outer = map()\n outer[1] = map()\n let inner = outer[2]\n inner[1] = true\n}\n";
    assert_eq!(summary(write), "all: panic main");
}

#[test]
fn a_store_through_a_field_loads_the_struct_first() {
    // Go loads `r.subs`, then stores into the map: main may swap the map in
    // between, and the old one still gets the entry.
    let src = "struct Reg {\n subs: map\n}\ntask main() {\n let r = Reg { subs: map() }\n let old = r.subs\n let t = spawn add(r)\n r.subs = map()\n let n = len(old)\n join t\n assert len(old) == n\n}\ntask add(r: Reg) {\n r.subs[1] = true\n}\n";
    assert_eq!(summary(src), "all: panic main");
}

#[test]
fn fields_left_out_start_at_gos_nil() {
    // A task handle field starts nil and is set when the task is spawned;
    // the design graph then shows the struct owning the task.
    let src = "struct Server {\n stop: chan\n runner: task\n seen: map\n}\ntask main() {\n let s = Server { stop: chan(0) }\n assert len(s.seen) == 0\n s.runner = spawn serve(s)\n close(s.stop)\n join s.runner\n}\ntask serve(s: Server) {\n recv s.stop\n}\n";
    assert_eq!(summary(src), "all: verified");
    // Using a nil context panics, as in Go.
    let nil_ctx = "struct W {\n ctx: ctx\n}\ntask main() {\n let w = W {}\n cancel(w.ctx)\n}\n";
    assert_eq!(summary(nil_ctx), "all: panic main");
}
