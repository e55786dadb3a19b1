//! The progress line on stderr while the native prover explores: states,
//! states per second, depth, frontier and memory, for explorations that last
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
        let rate = p.states as f64 / p.elapsed.as_secs_f64();
        let phase = match p.phase {
            Phase::Search => "search",
            Phase::FairCycles => "fair cycles",
            Phase::Confirm => "confirming without symmetry",
            Phase::Unreduced => "searching without partial-order reduction",
        };
        bar.set_message(format!(
            "{} ({}, {phase}): {} states, {:.0} states/s, depth {}, frontier {}, {} MiB, {:.1} s",
            self.name,
            scenario.name(),
            p.states,
            rate,
            p.depth,
            p.frontier,
            p.store_bytes >> 20,
            p.elapsed.as_secs_f64()
        ));
        bar.tick();
    }
}
