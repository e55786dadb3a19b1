//! `leash emit go` as a user runs it: the program on stdout or in a file,
//! exit code 2 with located diagnostics for a model that does not compile or
//! that Go cannot express, and for a file that does not exist.

use std::process::{Command, Output};

use tempfile::TempDir;

fn leash(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Writes `text` to `name` in `dir`, a folder removed when the test ends.
fn scratch(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write model");
    path.display().to_string()
}

#[test]
fn a_model_becomes_a_go_program_on_stdout_or_in_a_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let o = leash(&["emit", "go", "models/seeds/timeout_unbuffered.leash"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let go = String::from_utf8(o.stdout).expect("utf-8");
    assert!(go.contains("design of timeout_unbuffered.leash"), "{go}");
    assert!(go.contains("\tgo task_compute(newTask(), out)\n"), "{go}");
    let out = scratch(&tmp, "timeout.go", "");
    let o = leash(&["emit", "go", "models/seeds/timeout_unbuffered.leash", "-o", &out]);
    assert_eq!((o.status.code(), o.stdout.len()), (Some(0), 0));
    assert_eq!(std::fs::read_to_string(&out).expect("written"), go);
}

#[test]
fn bad_input_exits_two_with_diagnostics() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let typo = scratch(&tmp, "typo.leash", "task main() {\n    sned out\n}\n");
    let o = leash(&["emit", "go", &typo]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("typo.leash:2:5") && err.contains("did you mean `send`?"), "{err}");

    let done = scratch(
        &tmp,
        "done.leash",
        "task main() {\n    let ctx = background()\n    let d = ctx.done\n    send d\n}\n",
    );
    let o = leash(&["emit", "go", &done]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("error[E0300]") && err.contains("done.leash:4:5"), "{err}");

    let o = leash(&["emit", "go", "no/such/model.leash"]);
    assert_eq!(o.status.code(), Some(2));
}
