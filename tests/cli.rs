//! The `leash` binary as a user runs it: exit codes, usage errors, output shape.

use std::process::{Command, Output};

use tempfile::TempDir;

fn leash(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to `name` in `dir`, a folder removed when the test ends.
fn scratch(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write model");
    path.display().to_string()
}

#[test]
fn verified_model_exits_zero() {
    let o = leash(&["check", "models/seeds/heartbeat.leash"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("verified"));
}

#[test]
fn violated_model_exits_one_and_names_the_stuck_task() {
    let o = leash(&["check", "models/seeds/timeout_unbuffered.leash"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("compute#1 [chan send] models/seeds/timeout_unbuffered.leash:"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_typo_is_one_located_error_with_exit_two() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(&tmp, "typo.leash", "task main() {\n    let out = chan(0)\n    sned out\n}\n");
    let o = leash(&["check", &path]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown statement `sned`"), "{err}");
    assert!(err.contains("typo.leash:3:5"), "{err}");
    assert!(err.contains("did you mean `send`?"), "{err}");
    assert!(err.contains('^'), "{err}");
    assert_eq!(err.matches("error[").count(), 1, "{err}");
}

#[test]
fn missing_files_and_bad_options_are_usage_errors() {
    let o = leash(&["check", "no/such/model.leash"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such file"), "{}", stderr(&o));
    assert_eq!(leash(&["check"]).status.code(), Some(2));
    assert_eq!(leash(&["check", "--scenario", "sunny", "models/seeds"]).status.code(), Some(2));
    assert_eq!(leash(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn parse_says_ok_per_file() {
    let o = leash(&["parse", "models/seeds/heartbeat.leash", "models/seeds/done_channel.leash"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).lines().filter(|l| l.ends_with(": ok")).count(), 2);
}

#[test]
fn test_command_passes_on_the_corpus() {
    let o = leash(&["test", "models/seeds", "models/examples"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let last = stdout(&o).lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
}

#[test]
fn test_command_fails_on_a_wrong_expectation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(
        &tmp,
        "wrong.leash",
        "// expect: verified\ntask main() {\n    let ch = chan(0)\n    recv ch\n}\n",
    );
    let o = leash(&["test", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("expected verified, violated in completion, error, cancel"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("0 passed, 1 failed"));
}

#[test]
fn strict_turns_warnings_into_violations() {
    assert_eq!(leash(&["check", "models/seeds/cache_eviction_close.leash"]).status.code(), Some(0));
    assert_eq!(
        leash(&["check", "--strict", "models/seeds/cache_eviction_close.leash"]).status.code(),
        Some(1)
    );
}

#[test]
fn an_orphan_is_a_violation_unless_allowed() {
    let model = "models/seeds/timeout_buffered.leash";
    let o = leash(&["check", model]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("orphan"), "{}", stdout(&o));
    assert_eq!(leash(&["check", "--allow", "orphan", model]).status.code(), Some(0));
    let bad = leash(&["check", "--allow", "orphn", model]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown kind of finding `orphn`"));
}

#[test]
fn a_bound_hit_is_incomplete_and_exits_one() {
    let o = leash(&[
        "check",
        "--max-states",
        "10",
        "--scenario",
        "cancel",
        "models/seeds/worker_pool_errgroup.leash",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("incomplete (max-states 10)"), "{}", stdout(&o));
}

#[test]
fn the_bug_hunt_finds_a_deep_deadlock_beyond_a_bound_unless_turned_off() {
    let (model, bounds) =
        ("models/perf/deep_deadlock.leash", ["--max-states", "2000", "--scenario", "cancel"]);
    let o = leash(&[&["check"][..], &bounds, &[model]].concat());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("deadlock main, leader, relay  (scenarios: cancel)"), "{out}");
    assert!(out.contains("violated in cancel, search incomplete (max-states 2000)"), "{out}");
    assert!(out.contains("not necessarily the shortest"), "{out}");
    let o = leash(&[&["check", "--no-hunt"][..], &bounds, &[model]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("incomplete (max-states 2000)"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("deadlock main"), "{}", stdout(&o));
}

#[test]
fn json_output_parses() {
    let o = leash(&["check", "--format", "json", "models/seeds/range_never_closed.leash"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["models"][0]["verdict"], "violated");
}

#[test]
fn traces_can_be_laid_out_in_columns() {
    let o = leash(&[
        "check",
        "--trace",
        "columns",
        "--scenario",
        "completion",
        "models/examples/rwr_deadlock.leash",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("= sync.RWMutex.RLock :11") && out.contains("= sync.RWMutex.Lock :18"), "{out}");
}

#[test]
fn replay_reproduces_a_printed_trace_and_refuses_a_changed_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let o = leash(&["check", "--scenario", "completion", "models/seeds/timeout_unbuffered.leash"]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.trim_start().starts_with("replay: ")).expect("a replay line");
    let args: Vec<&str> = line.trim_start().trim_start_matches("replay: leash ").split(' ').collect();
    let dir = tmp.path();
    let dot = dir.join("leak.dot").display().to_string();
    let r = leash(&[args[0], args[1], args[2], "--dot", &dot]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(stdout(&r).contains("compute#1 [chan send]"), "{}", stdout(&r));
    assert!(std::fs::read_to_string(&dot).expect("dot written").starts_with("digraph leash {"));
    assert!(dir.join("leak.timeline.dot").exists());
    let changed = scratch(
        &tmp,
        "changed.leash",
        &std::fs::read_to_string(args[1]).expect("model").replace("chan(0)", "chan(1)"),
    );
    let c = leash(&["replay", &changed, args[2]]);
    assert_eq!(c.status.code(), Some(2));
    assert!(stderr(&c).contains("another version of the model"), "{}", stderr(&c));
}

#[test]
fn check_writes_pictures_per_finding() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let o = leash(&["check", "--dot", &dir.display().to_string(), "models/seeds/timeout_unbuffered.leash"]);
    assert_eq!(o.status.code(), Some(1));
    for f in ["timeout_unbuffered.completion.leak.dot", "timeout_unbuffered.completion.leak.timeline.dot"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let g = leash(&["graph", "models/seeds/heartbeat.leash"]);
    assert_eq!(g.status.code(), Some(0));
    assert!(stdout(&g).starts_with("digraph leash {"));
}

#[test]
fn the_engines_are_chosen_on_the_command_line() {
    let o = leash(&["check", "--engine", "loom", "models/seeds/timeout_unbuffered.leash"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("leak compute"), "{}", stdout(&o));
    // A model native verifies (timeout_buffered's worker is an orphan,
    // which shuttle finds too).
    let o = leash(&["check", "--engine", "shuttle", "--iterations", "30", "models/seeds/done_channel.leash"]);
    assert_eq!(o.status.code(), Some(1), "sampled is not verified: {}", stdout(&o));
    assert!(stdout(&o).contains("incomplete (no violation found in 30 schedules)"), "{}", stdout(&o));
    let o = leash(&["check", "--scheduler", "dfs", "models/seeds/timeout_buffered.leash"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("need --engine shuttle"), "{}", stderr(&o));
}

#[test]
fn loom_refuses_a_model_wider_than_five_threads_with_exit_two() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let wide = scratch(
        &tmp,
        "wide.leash",
        "task main() {\n    for i in 0..5 {\n        spawn w()\n    }\n}\n\ntask w() {\n    yield\n}\n",
    );
    let o = leash(&["check", "--engine", "loom", &wide]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("error[E0200]") && err.contains("loom models at most 5") && err.contains("^"),
        "{err}"
    );
}

#[test]
fn a_shuttle_schedule_replays_from_the_command_line() {
    let o = leash(&[
        "check",
        "--engine",
        "shuttle",
        "--iterations",
        "100",
        "--scenario",
        "completion",
        "models/seeds/timeout_unbuffered.leash",
    ]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.contains("shuttle schedule:")).expect("a schedule line");
    let schedule = line.rsplit('\'').nth(1).expect("quoted schedule");
    let o = leash(&[
        "replay",
        "--engine",
        "shuttle",
        "--scenario",
        "completion",
        "models/seeds/timeout_unbuffered.leash",
        schedule,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("shuttle ran the schedule: leak"), "{}", stdout(&o));
    let o = leash(&["replay", "--engine", "shuttle", "models/seeds/timeout_unbuffered.leash", "r:zz"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_reductions_switch_off_without_changing_what_is_found() {
    let states = |args: &[&str]| {
        let o = leash(&[&["check", "--format", "json", "models/perf/pipeline_3.leash"], args].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
        v["models"][0]["scenarios"][0]["stats"]["states"].as_u64().expect("a state count")
    };
    let (both, no_por, neither) =
        (states(&[]), states(&["--no-por"]), states(&["--no-por", "--no-symmetry"]));
    assert!(both < no_por && no_por <= neither, "{both}, {no_por}, {neither} states");
    let text =
        |args: &[&str]| stdout(&leash(&[&["check", "models/seeds/timeout_unbuffered.leash"], args].concat()));
    assert_eq!(text(&[]), text(&["--no-por"]), "the same findings and traces");
}

fn leash_with_input(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("the binary ends")
}

#[test]
fn check_prints_a_row_per_model_then_traces_then_one_summary_line() {
    let o = leash(&["check", "models/seeds/heartbeat.leash", "models/seeds/timeout_unbuffered.leash"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("MODEL") && lines[0].contains("COMPLETION"), "{out}");
    assert!(lines[1].starts_with("models/seeds/heartbeat.leash") && lines[1].contains("verified"), "{out}");
    assert!(
        lines[2].starts_with("models/seeds/timeout_unbuffered.leash") && lines[2].contains("leak"),
        "{out}"
    );
    assert!(out.find("leak compute").expect("a trace") > out.find(lines[2]).expect("the row"), "{out}");
    assert_eq!(lines.last(), Some(&"2 models: 1 verified, 1 violated, 0 incomplete"), "{out}");
}

#[test]
fn machine_formats_say_each_model_and_the_summary_on_stderr() {
    let o = leash(&["check", "--format", "json", "models/seeds/heartbeat.leash"]);
    assert_eq!(o.status.code(), Some(0));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("stdout is only the JSON");
    let err = stderr(&o);
    assert!(err.contains("models/seeds/heartbeat.leash: verified"), "{err}");
    assert!(err.ends_with("1 model: 1 verified, 0 violated, 0 incomplete\n"), "{err}");
    assert!(stderr(&leash(&["check", "-q", "--format", "json", "models/seeds/heartbeat.leash"])).is_empty());
}

#[test]
fn fail_fast_stops_after_the_first_model_that_is_not_verified() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let o = leash(&[
        "check",
        "--fail-fast",
        "models/seeds/timeout_unbuffered.leash",
        "models/seeds/heartbeat.leash",
        "models/seeds/done_channel.leash",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(!out.contains("heartbeat.leash"), "{out}");
    assert!(
        out.ends_with("3 models: 0 verified, 1 violated, 0 incomplete, 2 not checked (--fail-fast)\n"),
        "{out}"
    );
    let t = leash(&[
        "test",
        "--fail-fast",
        "models/seeds/heartbeat.leash",
        &wrong_model(&tmp),
        "models/seeds/heartbeat.leash",
    ]);
    assert_eq!(t.status.code(), Some(1));
    assert!(stdout(&t).ends_with("1 passed, 1 failed, 1 not checked (--fail-fast)\n"), "{}", stdout(&t));
}

fn wrong_model(tmp: &TempDir) -> String {
    scratch(
        tmp,
        "wrong_ff.leash",
        "// expect: verified\ntask main() {\n    let ch = chan(0)\n    recv ch\n}\n",
    )
}

/// A model whose task set grows without bound: every scenario runs until a
/// bound (the task bound is raised out of the way where another is tested).
const GROWING: &str = "task main() {\n    loop {\n        spawn w()\n    }\n}\n\ntask w() {\n    yield\n}\n";

#[test]
fn an_incomplete_search_says_how_far_it_got_and_what_to_try() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(&tmp, "growing.leash", GROWING);
    let o =
        leash(&["check", "--max-states", "200", "--max-tasks", "1000", "--scenario", "completion", &path]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("incomplete in completion (max-states 200): 20"), "{out}");
    assert!(out.contains("  hint: raise --max-states") && out.contains("a spawn in a loop"), "{out}");
    assert!(out.ends_with("1 model: 0 verified, 0 violated, 1 incomplete\n"), "{out}");
}

/// The task bound names the spawn site and what to do; the native search
/// is not told to use the native engine.
#[test]
fn a_search_cut_by_the_task_bound_names_the_spawn_site() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(&tmp, "growing_tasks.leash", GROWING);
    let o = leash(&["check", "--scenario", "completion", &path]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("incomplete in completion (max-tasks 32: ") && out.contains("spawned at"), "{out}");
    assert!(!out.contains("--engine native"), "{out}");
}

#[test]
fn the_timeout_is_a_budget_per_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(&tmp, "growing_timeout.leash", GROWING);
    let o = leash(&["check", "--format", "json", "--timeout", "0.5", "--max-tasks", "100000", &path]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let scenarios = v["models"][0]["scenarios"].as_array().expect("scenarios");
    let states: Vec<u64> = scenarios.iter().map(|s| s["stats"]["states"].as_u64().expect("states")).collect();
    for s in scenarios {
        assert_eq!(s["bound"], "timeout", "{s}");
    }
    // The first scenario spends the budget; the ones after it find it spent.
    assert!(states[0] > 100 && states[1] <= 32 && states[2] <= 32, "{states:?}");
    let help = stdout(&leash(&["check", "--help"]));
    assert!(help.contains("budget of each model"), "{help}");
}

#[test]
fn dot_lists_the_files_it_wrote() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let o = leash(&["check", "--dot", &dir.display().to_string(), "models/seeds/timeout_unbuffered.leash"]);
    let err = stderr(&o);
    for f in ["timeout_unbuffered.completion.leak.dot", "timeout_unbuffered.completion.leak.timeline.dot"] {
        let line = format!("wrote {}", dir.join(f).display());
        assert!(err.lines().any(|l| l == line), "{line} not in:\n{err}");
    }
}

#[test]
fn replay_names_what_the_trace_shows() {
    let o = leash(&["check", "--scenario", "completion", "models/seeds/timeout_unbuffered.leash"]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.trim_start().starts_with("replay: ")).expect("a replay line");
    let args: Vec<&str> = line.trim_start().trim_start_matches("replay: leash ").split(' ').collect();
    let r = leash(&args);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let first = stdout(&r).lines().next().unwrap_or_default().to_string();
    assert!(
        first.starts_with("models/seeds/timeout_unbuffered.leash (completion): leak compute, "),
        "{first}"
    );
    let d = leash(&["check", "--scenario", "completion", "models/examples/rwr_deadlock.leash"]);
    let out = stdout(&d);
    let line = out.lines().find(|l| l.trim_start().starts_with("replay: ")).expect("a replay line");
    let args: Vec<&str> = line.trim_start().trim_start_matches("replay: leash ").split(' ').collect();
    let first = stdout(&leash(&args)).lines().next().unwrap_or_default().to_string();
    assert!(first.contains("(completion): deadlock "), "{first}");
}

#[test]
fn columns_keep_whole_line_numbers() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let long = "work a_rather_long_name_for_an_opaque_step_of_work";
    let text = format!("task main() {{\n\n\n\n\n\n\n\n\n    {long}\n    let ch = chan(0)\n    send ch\n}}\n");
    let path = scratch(&tmp, "long_line.leash", &text);
    let o = leash(&["check", "--trace", "columns", "--scenario", "completion", &path]);
    let out = stdout(&o);
    assert!(out.contains("… [ok] :10") || out.contains("[ok] :10"), "{out}");
    assert!(out.contains("= chan send :12"), "{out}");
}

#[test]
fn json_keeps_models_that_do_not_compile() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let bad = scratch(&tmp, "bad_json.leash", "task main() {\n    sned ch\n}\n");
    let o = leash(&["check", "--format", "json", "models/seeds/heartbeat.leash", &bad]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["models"].as_array().map(Vec::len), Some(1));
    let invalid = &v["invalid"][0];
    assert_eq!(invalid["path"], bad.as_str());
    assert_eq!(invalid["diagnostics"][0]["code"], "E0006");
    assert_eq!(invalid["diagnostics"][0]["location"]["line"], 2);
    assert_eq!(invalid["diagnostics"][0]["hint"], "did you mean `send`?");
    assert!(invalid["rendered"].as_str().expect("rendered").contains("^^^^"));
}

#[test]
fn a_dash_reads_the_model_from_standard_input() {
    let model = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/seeds/timeout_unbuffered.leash"
    ))
    .expect("model");
    let o = leash_with_input(&["check", "--scenario", "completion", "-"], &model);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("compute#1 [chan send] <stdin>:"), "{}", stdout(&o));
    let p = leash_with_input(&["parse", "-"], "task main() {\n    sned ch\n}\n");
    assert_eq!(p.status.code(), Some(2));
    assert!(stderr(&p).contains("<stdin>:2:5"), "{}", stderr(&p));
    let g = leash_with_input(&["graph", "-"], &model);
    assert!(stdout(&g).starts_with("digraph leash {"));
    assert_eq!(leash(&["check", "-", "-"]).status.code(), Some(2));
}

#[test]
fn test_reports_as_junit_and_sarif() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let wrong = wrong_model(&tmp);
    let j = leash(&["test", "--format", "junit", "models/seeds/heartbeat.leash", &wrong]);
    assert_eq!(j.status.code(), Some(1));
    let xml = stdout(&j);
    assert!(xml.starts_with("<?xml") && xml.contains("<testsuite name=\"leash test\" tests=\"2\""), "{xml}");
    assert!(xml.contains("expected verified, violated in completion, error, cancel"), "{xml}");
    let s = leash(&["test", "--format", "sarif", "models/seeds/heartbeat.leash", &wrong]);
    assert_eq!(s.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).expect("valid SARIF");
    // The expectation not met, at its expect line; the unexpected deadlock in
    // each scenario, where main waits.
    let results = v["runs"][0]["results"].as_array().expect("results");
    let lines: Vec<&serde_json::Value> =
        results.iter().map(|r| &r["locations"][0]["physicalLocation"]["region"]["startLine"]).collect();
    assert_eq!(lines, [1, 4, 4, 4], "{results:?}");
    assert!(results.iter().all(|r| r["ruleId"] == "expectation" && r["level"] == "error"));
    let message = results[1]["message"]["text"].as_str().expect("a message");
    assert!(message.ends_with("unexpected deadlock main (completion)"), "{message}");
}

#[test]
fn a_bad_expect_line_is_an_error_in_check_too() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(&tmp, "leek.leash", "// expect: leek w\ntask main() {\n}\n");
    let o = leash(&["check", &path]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown verdict `leek`") && err.contains("did you mean `leak`?"), "{err}");
    assert!(err.contains("leek.leash:1:12") && err.contains("^^^^"), "{err}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = scratch(&tmp, "colour.leash", "task main() {\n    sned ch\n}\n");
    assert!(!stderr(&leash(&["check", &path])).contains('\u{1b}'), "not a terminal: no colour");
    assert!(stderr(&leash(&["check", "--color", "always", &path])).contains("\u{1b}["));
    assert!(!stderr(&leash(&["--color", "never", "check", &path])).contains('\u{1b}'));
}

#[test]
fn explain_prints_the_page_of_an_error_code() {
    let o = leash(&["explain", "E0006"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("E0006: unknown statement"), "{}", stdout(&o));
    assert!(stdout(&o).contains("sned out"));
    assert_eq!(stdout(&leash(&["explain", "6"])), stdout(&o));
    let all = stdout(&leash(&["explain"]));
    assert!(all.lines().count() >= 45 && all.lines().any(|l| l.starts_with("E0014: Go syntax")), "{all}");
    assert_eq!(leash(&["explain", "E9999"]).status.code(), Some(2));
}

#[test]
fn completions_and_a_manual_page() {
    for shell in ["bash", "zsh", "fish"] {
        let o = leash(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("check") && stdout(&o).contains("fail-fast"), "{shell}");
    }
    let man = stdout(&leash(&["man"]));
    assert!(man.starts_with(".ie") || man.starts_with(".TH"), "{}", &man[..man.len().min(200)]);
    assert!(man.contains("leash"));
}

#[test]
fn help_gives_exit_codes_and_examples() {
    for args in [&["--help"][..], &["check", "--help"], &["test", "--help"]] {
        let help = stdout(&leash(args));
        assert!(help.contains("Exit codes:") && help.contains("Examples:"), "{args:?}: {help}");
        assert!(help.contains("2  a model that does not compile"), "{help}");
    }
}

#[test]
fn stats_give_every_scenario_its_costs_before_the_summary() {
    let o = leash(&["check", "--stats", "models/seeds/worker_ctx_shutdown.leash"]);
    let out = stdout(&o);
    let at = out.find("stats models/seeds/worker_ctx_shutdown.leash").expect("a stats block");
    let block: Vec<&str> = out[at..].lines().take(4).collect();
    assert!(block[0].contains("peak memory so far"), "{out}");
    for (line, scenario) in block[1..].iter().zip(["completion", "error", "cancel"]) {
        assert!(line.trim_start().starts_with(scenario), "{out}");
        assert!(
            line.contains("states") && line.contains("transitions") && line.contains("bytes a state"),
            "{out}"
        );
    }
    assert!(out.trim_end().ends_with("1 model: 1 verified, 0 violated, 0 incomplete"), "{out}");
    let json = leash(&["check", "--stats", "--format", "json", "models/seeds/worker_ctx_shutdown.leash"]);
    assert!(stderr(&json).contains("stats models/seeds/worker_ctx_shutdown.leash"));
    assert!(!stdout(&json).contains("stats models/"));
}
