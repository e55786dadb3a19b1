//! The `leash` binary as a user runs it: exit codes, usage errors, output shape.

use std::process::{Command, Output};

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

fn scratch(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("leash-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
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
    let path = scratch("typo.leash", "task main() {\n    let out = chan(0)\n    sned out\n}\n");
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
    let path =
        scratch("wrong.leash", "// expect: verified\ntask main() {\n    let ch = chan(0)\n    recv ch\n}\n");
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
    assert_eq!(leash(&["check", "models/seeds/timeout_buffered.leash"]).status.code(), Some(0));
    assert_eq!(leash(&["check", "--strict", "models/seeds/timeout_buffered.leash"]).status.code(), Some(1));
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
    let o = leash(&["check", "--scenario", "completion", "models/seeds/timeout_unbuffered.leash"]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.trim_start().starts_with("replay: ")).expect("a replay line");
    let args: Vec<&str> = line.trim_start().trim_start_matches("replay: leash ").split(' ').collect();
    let dir = std::env::temp_dir().join(format!("leash-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let dot = dir.join("leak.dot").display().to_string();
    let r = leash(&[args[0], args[1], args[2], "--dot", &dot]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(stdout(&r).contains("compute#1 [chan send]"), "{}", stdout(&r));
    assert!(std::fs::read_to_string(&dot).expect("dot written").starts_with("digraph leash {"));
    assert!(dir.join("leak.timeline.dot").exists());
    let changed = scratch(
        "changed.leash",
        &std::fs::read_to_string(args[1]).expect("model").replace("chan(0)", "chan(1)"),
    );
    let c = leash(&["replay", &changed, args[2]]);
    assert_eq!(c.status.code(), Some(2));
    assert!(stderr(&c).contains("another version of the model"), "{}", stderr(&c));
}

#[test]
fn check_writes_pictures_per_finding() {
    let dir = std::env::temp_dir().join(format!("leash-dot-{}", std::process::id()));
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
    let o =
        leash(&["check", "--engine", "shuttle", "--iterations", "30", "models/seeds/timeout_buffered.leash"]);
    assert_eq!(o.status.code(), Some(1), "sampled is not verified: {}", stdout(&o));
    assert!(stdout(&o).contains("incomplete (no violation found in 30 schedules)"), "{}", stdout(&o));
    let o = leash(&["check", "--scheduler", "dfs", "models/seeds/timeout_buffered.leash"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("need --engine shuttle"), "{}", stderr(&o));
}

#[test]
fn loom_refuses_a_model_wider_than_five_threads_with_exit_two() {
    let wide = scratch(
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
