//! Any bytes, read as text, that compile: checking them in every scenario
//! within small bounds and rendering the report never panic, and every
//! counterexample replays to the trace it was reported with.

#![no_main]

use leash::{check_source, render_json, render_text, CheckOptions, SearchOptions};
use leash_report::replay_code::ReplayCode;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = CheckOptions {
        search: SearchOptions { max_states: 2_000, max_depth: 1_000, max_memory: 64 << 20, max_tasks: 16 },
        timeout: Some(Duration::from_secs(1)),
        ..CheckOptions::default()
    };
    let Ok(report) = check_source("fuzz.leash", &text, &options) else { return };
    let program = leash::compile("fuzz.leash", &text).expect("it compiled once");
    for f in &report.findings {
        let code: ReplayCode = f.replay.parse().expect("a printed trace parses");
        let out = leash_report::replay("fuzz.leash", &text, &program, &code).expect("a trace replays");
        assert_eq!((&out.trace, &out.cycle), (&f.trace, &f.cycle), "{} {}", f.kind, f.replay);
    }
    let _ = render_text(std::slice::from_ref(&report));
    let _ = render_json(vec![report]);
});
