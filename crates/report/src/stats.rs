//! `--stats`: what each scenario's exploration cost, as text: states (or an
//! engine's executions), transitions, depth, time, rate, and the bytes the
//! visited set held; and the model's peak memory.

use crate::{ModelReport, ScenarioStats};
use std::fmt::Write;

/// The cost of each scenario of `m`, one line each under a line naming the
/// model and, when it was measured, the peak resident memory of the process
/// after it (of every model checked so far, then).
pub fn render_stats(m: &ModelReport) -> String {
    let mut out = format!("stats {}", m.path);
    if let Some(bytes) = m.peak_memory_bytes {
        let _ = write!(out, ": peak memory so far {}", size(bytes));
    }
    out.push('\n');
    let width = m.scenarios.iter().map(|s| s.scenario.len()).max().unwrap_or(0);
    for s in &m.scenarios {
        let _ = writeln!(out, "  {:width$}  {}", s.scenario, costs(&s.stats));
    }
    out
}

/// One scenario's costs.
fn costs(st: &ScenarioStats) -> String {
    if let Some(other) = &st.same_as {
        return crate::text::shares(other);
    }
    let seconds = st.time_ms as f64 / 1000.0;
    let rate =
        |n: usize| if st.time_ms == 0 { "-".to_string() } else { grouped((n as f64 / seconds) as u64) };
    match st.engine.as_deref() {
        Some(engine) => format!(
            "{engine}: {} executions  {} steps  longest {}  {seconds:.3} s  {} executions/s",
            grouped(st.states as u64),
            grouped(st.transitions as u64),
            st.max_depth,
            rate(st.states)
        ),
        None => {
            let per_state = st.store_bytes.checked_div(st.states).unwrap_or(0);
            format!(
                "{} states  {} transitions  depth {}  {seconds:.3} s  {} states/s  {} stored ({per_state} bytes a state)",
                grouped(st.states as u64),
                grouped(st.transitions as u64),
                st.max_depth,
                rate(st.states),
                size(st.store_bytes as u64)
            )
        }
    }
}

/// `n` with its thousands grouped: 1,234,567.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Bytes in KiB, or in MiB from one MiB, with one decimal.
fn size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if (bytes as f64) < MIB {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ScenarioReport, Verdict};

    fn scenario(name: &str, stats: ScenarioStats) -> ScenarioReport {
        ScenarioReport {
            scenario: name.to_string(),
            verdict: Verdict::Verified,
            bound: None,
            violations: Vec::new(),
            warnings: Vec::new(),
            stats,
        }
    }

    #[test]
    fn every_scenario_gets_its_costs_and_the_model_its_peak_memory() {
        let native = ScenarioStats {
            states: 75_653,
            transitions: 1_234_567,
            max_depth: 42,
            store_bytes: 7_262_688,
            time_ms: 526,
            ..ScenarioStats::default()
        };
        let loom = ScenarioStats {
            states: 97_992,
            transitions: 1_300_000,
            max_depth: 15,
            time_ms: 3_300,
            engine: Some("loom".to_string()),
            executions: Some(97_992),
            ..ScenarioStats::default()
        };
        let shared = ScenarioStats { same_as: Some("cancel".to_string()), ..ScenarioStats::default() };
        let instant =
            ScenarioStats { states: 3, transitions: 2, max_depth: 2, store_bytes: 300, ..Default::default() };
        let m = ModelReport {
            path: "pool.leash".to_string(),
            verdict: Verdict::Verified,
            scenarios: vec![
                scenario("completion", native),
                scenario("error", shared),
                scenario("cancel", loom),
                scenario("instant", instant),
            ],
            findings: Vec::new(),
            peak_memory_bytes: Some(22_544_384),
        };
        assert_eq!(
            render_stats(&m),
            "stats pool.leash: peak memory so far 21.5 MiB\n\
             \x20 completion  75,653 states  1,234,567 transitions  depth 42  0.526 s  143,826 states/s  6.9 MiB stored (96 bytes a state)\n\
             \x20 error       the exploration of cancel (the same steps: the model has no `work`)\n\
             \x20 cancel      loom: 97,992 executions  1,300,000 steps  longest 15  3.300 s  29,694 executions/s\n\
             \x20 instant     3 states  2 transitions  depth 2  0.000 s  - states/s  0.3 KiB stored (100 bytes a state)\n"
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }
}
