//! The formats CI reads: SARIF 2.1.0 for code scanning (the fields a code
//! scanning upload requires) and JUnit XML for test dashboards (parsed back).

use leash::{check_source, BadModel, CheckOptions, ModelReport, Scenario, SearchOptions};
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const LEAKY: &str = "models/seeds/timeout_unbuffered.leash";
const VERIFIED: &str = "models/seeds/heartbeat.leash";

const KINDS: [&str; 8] =
    ["leak", "deadlock", "no-exit", "panic", "orphan", "unstopped", "uncancelled", "work-after-cancel"];

fn check_with(path: &str, options: &CheckOptions) -> ModelReport {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("model");
    check_source(path, &source, options).expect("compiles")
}

fn check(path: &str) -> ModelReport {
    check_with(path, &CheckOptions::default())
}

/// The leaky model with its orphan allowed: one violation (the leak) and
/// one warning (the orphan), to see both rendered.
fn leaky() -> ModelReport {
    check_with(LEAKY, &CheckOptions { allow: vec![leash::FindingKind::Orphan], ..CheckOptions::default() })
}

fn sarif(models: &[ModelReport], invalid: &[BadModel]) -> Value {
    serde_json::from_str(&leash::render_sarif(models, invalid)).expect("SARIF is JSON")
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no string at {pointer} in {v:#}"))
}

/// The fields SARIF 2.1.0 and a code scanning upload require of a log.
fn assert_valid_log(log: &Value) {
    assert_eq!(str_at(log, "/version"), "2.1.0");
    assert!(str_at(log, "/$schema").contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(str_at(log, "/runs/0/tool/driver/name"), "leash");
    assert_eq!(str_at(log, "/runs/0/tool/driver/version"), env!("CARGO_PKG_VERSION"));
    let rules = log.pointer("/runs/0/tool/driver/rules").and_then(Value::as_array).expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| str_at(r, "/id")).collect();
    assert_eq!(ids, KINDS, "a rule per finding kind");
    for r in rules {
        assert!(!str_at(r, "/shortDescription/text").is_empty());
        assert!(matches!(str_at(r, "/defaultConfiguration/level"), "error" | "warning"));
    }
    for result in log.pointer("/runs/0/results").and_then(Value::as_array).expect("results, maybe empty") {
        let rule = str_at(result, "/ruleId");
        assert!(KINDS.contains(&rule), "{rule}");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(ids[index], rule);
        assert!(matches!(str_at(result, "/level"), "error" | "warning"));
        assert!(!str_at(result, "/message/text").is_empty());
        assert!(!str_at(result, "/locations/0/physicalLocation/artifactLocation/uri").is_empty());
        assert!(
            result.pointer("/locations/0/physicalLocation/region/startLine").and_then(Value::as_u64).unwrap()
                >= 1
        );
        let steps = result
            .pointer("/codeFlows/0/threadFlows/0/locations")
            .and_then(Value::as_array)
            .expect("the trace as a thread flow");
        assert!(!steps.is_empty());
        for s in steps {
            assert!(!str_at(s, "/location/message/text").is_empty());
            assert!(!str_at(s, "/location/physicalLocation/artifactLocation/uri").is_empty());
        }
    }
}

#[test]
fn sarif_of_a_leak_has_one_result_per_finding_with_its_location_and_trace() {
    let report = leaky();
    let log = sarif(std::slice::from_ref(&report), &[]);
    assert_valid_log(&log);
    let results = log.pointer("/runs/0/results").and_then(Value::as_array).unwrap();
    assert_eq!(results.len(), report.findings.len());
    assert_eq!(results.len(), 2, "the leak and the orphan, each merged over the three scenarios");

    let leak = &results[0];
    assert_eq!(str_at(leak, "/ruleId"), "leak");
    assert_eq!(str_at(leak, "/level"), "error");
    assert!(str_at(leak, "/message/text").starts_with("leak compute  (scenarios: completion, error, cancel)"));
    assert!(str_at(leak, "/message/text").contains("compute#1 [chan send]"));
    assert_eq!(str_at(leak, "/locations/0/physicalLocation/artifactLocation/uri"), LEAKY);
    // Where compute waits forever: `send out`, line 17, column 5.
    assert_eq!(leak.pointer("/locations/0/physicalLocation/region/startLine"), Some(&Value::from(17)));
    assert_eq!(leak.pointer("/locations/0/physicalLocation/region/startColumn"), Some(&Value::from(5)));
    let steps = leak.pointer("/codeFlows/0/threadFlows/0/locations").and_then(Value::as_array).unwrap();
    let texts: Vec<&str> = steps.iter().map(|s| str_at(s, "/location/message/text")).collect();
    assert_eq!(
        texts,
        [
            "main: spawn compute(out)",
            "main: select { [waits]",
            "main: after => {} [timer fires]",
            "compute#1: work expensive [ok]",
            "compute#1: send out [waits]",
            "at the end: compute#1 [chan send]"
        ]
    );
    let lines: Vec<u64> = steps
        .iter()
        .map(|s| s.pointer("/location/physicalLocation/region/startLine").and_then(Value::as_u64).unwrap())
        .collect();
    assert_eq!(lines, [8, 9, 11, 16, 17, 17]);

    let orphan = &results[1];
    assert_eq!(str_at(orphan, "/ruleId"), "orphan");
    assert_eq!(str_at(orphan, "/level"), "warning");
}

#[test]
fn sarif_of_a_verified_model_has_no_results() {
    let log = sarif(&[check(VERIFIED)], &[]);
    assert_valid_log(&log);
    assert_eq!(log.pointer("/runs/0/results"), Some(&Value::Array(Vec::new())));
    assert_eq!(log.pointer("/runs/0/invocations/0/executionSuccessful"), Some(&Value::Bool(true)));
}

#[test]
fn sarif_is_byte_identical_across_runs() {
    let a = leash::render_sarif(&[leaky(), check(VERIFIED)], &[]);
    let b = leash::render_sarif(&[leaky(), check(VERIFIED)], &[]);
    assert_eq!(a, b);
}

#[test]
fn sarif_under_strict_makes_warnings_errors() {
    let model = "models/seeds/cache_eviction_close.leash";
    for (strict, level) in [(false, "warning"), (true, "error")] {
        let log = sarif(&[check_with(model, &CheckOptions { strict, ..CheckOptions::default() })], &[]);
        assert_valid_log(&log);
        assert_eq!(str_at(&log, "/runs/0/results/0/ruleId"), "work-after-cancel");
        assert_eq!(str_at(&log, "/runs/0/results/0/level"), level);
    }
    // An orphan is a violation without --strict.
    assert_eq!(str_at(&sarif(&[check(LEAKY)], &[]), "/runs/0/results/1/level"), "error");
}

#[test]
fn sarif_notes_invalid_models_and_incomplete_searches() {
    let bad =
        check_source("typo.leash", "task main() {\n    sned ch\n}\n", &CheckOptions::default()).unwrap_err();
    let small = CheckOptions {
        scenarios: vec![Scenario::Completion],
        search: SearchOptions { max_states: 3, ..SearchOptions::default() },
        ..CheckOptions::default()
    };
    let log = sarif(&[check_with(VERIFIED, &small)], &[bad]);
    assert_valid_log(&log);
    assert_eq!(log.pointer("/runs/0/invocations/0/executionSuccessful"), Some(&Value::Bool(false)));
    let notes =
        log.pointer("/runs/0/invocations/0/toolExecutionNotifications").and_then(Value::as_array).unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(str_at(&notes[0], "/level"), "error");
    assert!(str_at(&notes[0], "/message/text").contains("unknown statement `sned`"));
    assert_eq!(notes[0].pointer("/locations/0/physicalLocation/region/startLine"), Some(&Value::from(2)));
    assert_eq!(str_at(&notes[1], "/level"), "warning");
    assert!(str_at(&notes[1], "/message/text").contains("scenario completion incomplete (max-states 3)"));
}

fn junit(models: &[ModelReport], invalid: &[BadModel]) -> Report {
    let xml = leash::render_junit(models, invalid);
    Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

#[test]
fn junit_has_a_suite_per_model_and_a_case_per_scenario_failing_with_the_trace() {
    let report = junit(&[leaky(), check(VERIFIED)], &[]);
    assert_eq!(report.name.as_ref().map(|n| n.as_str()), Some("leash"));
    assert_eq!((report.tests, report.failures, report.errors), (6, 3, 0));
    assert_eq!(report.test_suites.len(), 2);

    let leaky = &report.test_suites[0];
    assert_eq!(leaky.name.as_str(), LEAKY);
    assert_eq!((leaky.tests, leaky.failures), (3, 3));
    let names: Vec<&str> = leaky.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["completion", "error", "cancel"]);
    for case in &leaky.test_cases {
        assert_eq!(case.classname.as_ref().map(|c| c.as_str()), Some(LEAKY));
        let TestCaseStatus::NonSuccess { kind, message, ty, description, .. } = &case.status else {
            panic!("{} should fail: {:?}", case.name.as_str(), case.status);
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("leak"));
        assert_eq!(message.as_ref().map(|m| m.as_str()), Some("leak compute"));
        let trace = description.as_ref().map(|d| d.as_str()).unwrap_or_default();
        assert!(trace.contains("leak compute  (scenarios: completion, error, cancel)"), "{trace}");
        assert!(trace.contains("spawn compute(out)"), "{trace}");
        assert!(trace.contains("after => {}"), "the trace is unescaped text: {trace}");
        assert!(trace.contains("compute#1 [chan send] models/seeds/timeout_unbuffered.leash:17"), "{trace}");
        assert!(!trace.contains("orphan"), "warnings are not failures: {trace}");
        let out = case.system_out.as_ref().map(|o| o.as_str()).unwrap_or_default();
        assert!(out.contains("warning: orphan compute"), "warnings go to system-out: {out}");
    }

    let verified = &report.test_suites[1];
    assert_eq!(verified.name.as_str(), VERIFIED);
    assert_eq!((verified.tests, verified.failures, verified.errors), (3, 0, 0));
    assert!(verified.test_cases.iter().all(|c| matches!(c.status, TestCaseStatus::Success { .. })));
}

#[test]
fn junit_fails_incomplete_searches_and_errs_on_invalid_models() {
    let bad =
        check_source("typo.leash", "task main() {\n    sned ch\n}\n", &CheckOptions::default()).unwrap_err();
    let small = CheckOptions {
        search: SearchOptions { max_states: 3, ..SearchOptions::default() },
        ..CheckOptions::default()
    };
    let report = junit(&[check_with(VERIFIED, &small)], &[bad]);
    assert_eq!((report.tests, report.failures, report.errors), (4, 3, 1));
    for case in &report.test_suites[0].test_cases {
        let TestCaseStatus::NonSuccess { kind, message, .. } = &case.status else {
            panic!("an incomplete search must fail CI: {:?}", case.status);
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert_eq!(message.as_ref().map(|m| m.as_str()), Some("incomplete (max-states 3)"));
    }
    let invalid = &report.test_suites[1];
    assert_eq!(invalid.name.as_str(), "typo.leash");
    let TestCaseStatus::NonSuccess { kind, description, .. } = &invalid.test_cases[0].status else {
        panic!("an invalid model is an error");
    };
    assert_eq!(*kind, NonSuccessKind::Error);
    assert!(description.as_ref().unwrap().as_str().contains("did you mean `send`?"));
}

#[test]
fn junit_is_identical_across_runs_but_for_the_times() {
    let zero = |mut r: ModelReport| {
        for s in &mut r.scenarios {
            s.stats.time_ms = 0;
        }
        r
    };
    let a = leash::render_junit(&[zero(leaky()), zero(check(VERIFIED))], &[]);
    let b = leash::render_junit(&[zero(leaky()), zero(check(VERIFIED))], &[]);
    assert_eq!(a, b);
}

fn leash_bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

#[test]
fn the_binary_writes_sarif_and_exits_one_on_a_leak() {
    let o = leash_bin(&["check", "--format", "sarif", LEAKY]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let log: Value = serde_json::from_slice(&o.stdout).expect("stdout is the SARIF log");
    assert_valid_log(&log);
    assert_eq!(str_at(&log, "/runs/0/results/0/ruleId"), "leak");
    assert_eq!(str_at(&log, "/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri"), LEAKY);

    let o = leash_bin(&["check", "--format", "sarif", VERIFIED]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn the_binary_writes_junit_and_exits_one_on_a_leak() {
    let o = leash_bin(&["check", "--format", "junit", LEAKY, VERIFIED]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let report = Report::deserialize_from_str(&String::from_utf8_lossy(&o.stdout)).expect("JUnit XML");
    assert_eq!((report.test_suites.len(), report.tests, report.failures), (2, 6, 3));
}
