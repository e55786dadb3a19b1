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
    let o = leash(&["test", "models"]);
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
