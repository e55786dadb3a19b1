//! The progress line on stderr while the native prover explores: states,
//! states per second, depth, memory and time, for explorations that last
//! more than a second. Off with `--quiet`, and drawn only on a terminal.

use leash::{Phase, Progress, Scenario};
use std::io::IsTerminal;
use std::time::Duration;

/// Runs `check` with a progress line for model `name` (when `enabled` and
/// stderr is a terminal), and clears the line afterwards.
pub fn observe<R>(name: &str, enabled: bool, check: impl FnOnce(Option<leash::Observer>) -> R) -> R {
    let line = Line::new(name, enabled);
    let show = |s: Scenario, p: &Progress| line.show(s, p);
    let r = check(line.bar.as_ref().map(|_| &show as leash::Observer));
    line.finish();
    r
}

/// A progress line for one model (hidden until a second has passed).
struct Line {
    bar: Option<indicatif::ProgressBar>,
    name: String,
}

impl Line {
    /// A line for model `name`, or none when `enabled` is false or stderr is
    /// not a terminal.
    fn new(name: &str, enabled: bool) -> Line {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
            bar.set_style(indicatif::ProgressStyle::with_template("{msg}").expect("a valid template"));
            bar
        });
        Line { bar, name: name.to_string() }
    }

    /// Removes the line.
    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }

    fn show(&self, scenario: Scenario, p: &Progress) {
        let Some(bar) = &self.bar else { return };
        if p.elapsed < Duration::from_secs(1) {
            return;
        }
        bar.set_message(message(&self.name, scenario, p));
        bar.tick();
    }
}

/// The widest progress line: it fits a terminal of 100 columns.
const WIDTH: usize = 99;

/// `3.4M` for 3,400,000: counts in at most five characters.
fn short(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.1}G", n / 1e9),
        n if n >= 1e6 => format!("{:.1}M", n / 1e6),
        n if n >= 1e4 => format!("{:.0}k", n / 1e3),
        n => format!("{n:.0}"),
    }
}

/// The progress line: model, scenario and phase, then states, states per
/// second, depth, memory and time; the model's name is shortened from the
/// left so that the line stays within [`WIDTH`] columns.
fn message(name: &str, scenario: Scenario, p: &Progress) -> String {
    let phase = match p.phase {
        Phase::Search => "search",
        Phase::FairCycles => "fair cycles",
        Phase::Confirm => "confirming",
        Phase::Unreduced => "full search",
        Phase::Hunt => "bug hunt",
    };
    let rate = p.states as f64 / p.elapsed.as_secs_f64().max(1e-3);
    let mib = p.store_bytes >> 20;
    let memory = if mib >= 1024 { format!("{:.1} GiB", mib as f64 / 1024.0) } else { format!("{mib} MiB") };
    let counters = format!(
        " ({}, {phase}): {} states, {}/s, depth {}, {memory}, {:.0} s",
        scenario.name(),
        short(p.states as f64),
        short(rate),
        p.depth,
        p.elapsed.as_secs_f64()
    );
    let room = WIDTH.saturating_sub(counters.chars().count());
    let count = name.chars().count();
    let name: String = if count > room {
        let keep = room.saturating_sub(1);
        std::iter::once('…').chain(name.chars().skip(count - keep)).collect()
    } else {
        name.to_string()
    };
    format!("{name}{counters}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_fits_100_columns_and_names_the_phase_plainly() {
        let p = Progress {
            phase: Phase::Unreduced,
            states: 123_456_789,
            depth: 12_345,
            frontier: 9_876_543,
            store_bytes: 123_456 << 20,
            transitions: 0,
            elapsed: Duration::from_secs(3_599),
        };
        let long = format!("models/{}/pool.leash", "very_long_folder_name/".repeat(5));
        let line = message(&long, Scenario::Completion, &p);
        assert!(line.chars().count() <= WIDTH, "{} columns: {line}", line.chars().count());
        assert!(line.contains("(completion, full search)") && line.contains("123.5M states"), "{line}");
        assert!(line.contains("120.6 GiB, 3599 s"), "{line}");
        assert!(line.starts_with('…') && line.contains("pool.leash"), "{line}");
        assert!(!line.contains("partial-order"), "{line}");
        let short_name = message("a.leash", Scenario::Cancel, &p);
        assert!(short_name.starts_with("a.leash (cancel, full search)"), "{short_name}");
    }
}
