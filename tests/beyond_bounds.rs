//! The models marked `// leash: beyond-bounds` need more than the default
//! bounds (5,000,000 states, 180 s), so the corpus tests skip them. This test
//! holds them to their `// expect:` lines with raised bounds, so that what
//! docs/performance.md says of them stays true. Tens of minutes in release
//! mode on two cores: run by `.ci/slow`, not on every push.

use leash::{CheckOptions, SearchOptions};
use std::path::Path;
use std::time::Duration;

#[test]
#[ignore = "tens of minutes in release mode: run with --release -- --ignored"]
fn models_beyond_the_default_bounds_match_their_expectations_with_raised_bounds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(root.join("models/perf"))
        .expect("models/perf")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let source = std::fs::read_to_string(p).expect("readable");
            source.lines().any(|l| l.trim() == "// leash: beyond-bounds")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no model is marked beyond-bounds: delete this test");
    let options = CheckOptions {
        search: SearchOptions { max_states: 20_000_000, ..SearchOptions::default() },
        timeout: Some(Duration::from_secs(3_600)),
        workers: 2,
        hunt: false,
        ..CheckOptions::default()
    };
    for f in files {
        let name = f.strip_prefix(root).expect("under root").display().to_string();
        let source = std::fs::read_to_string(&f).expect("readable");
        let report = leash::check_source(&name, &source, &options).expect("compiles");
        let outcome = leash::expect::compare(&source, &report);
        assert!(outcome.passed(), "{name}: {outcome}");
    }
}
